"""One GDAL warp of an in-memory plane (the call behind :mod:`scsmap.inputs.warp`).

A bilinear upsampling between two north-up grids of one CRS, with no NaN in the source pixels it reads, is
GDAL's resampled ``RasterIO`` of the source window the chunk covers (:func:`resampled_read`) instead of GDAL's
warper: the same kernel at the same source positions, 4 to 6 times faster (a 1024 x 1024 chunk from 0.01-degree
pixels: 3.4 against 16.8 ms for one band, 10.0 against 56.5 ms for five), equal to the warper's values but for
a float32 last bit now and then, where GDAL computes a position otherwise (2 pixels in a million from random
sources, 3 in a thousand from the smooth one of ``tests/inputs/test_warp.py``; ``tests/io/test_gdal_warp.py``).
"""

from __future__ import annotations

import numpy as np
from odc.geo.geobox import GeoBox
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.io import MemoryFile
from rasterio.warp import reproject
from rasterio.windows import Window

#: GDAL's warp memory limit when none is given (``GDALWarpOperation::Initialize``), MB
DEFAULT_WARP_MEMORY_MB = 64


def warp_plane(
    src: np.ndarray, dst: np.ndarray, src_box: GeoBox, dst_box: GeoBox, resampling: str, masked: bool
) -> None:
    """Warp ``src`` into ``dst`` in place, as odc-geo's ``rio_reproject`` does.

    Parameters
    ----------
    src : numpy.ndarray
        Floating point (y, x) on ``src_box``, or (band, y, x): several planes in one GDAL call, which finds the
        source pixels of each destination pixel once for all of them.
    dst : numpy.ndarray
        (y, x) on ``dst_box`` (or (band, y, x) as ``src``), the dtype of ``src``, filled with NaN; only pixels a
        source pixel reaches are written.
    src_box, dst_box : GeoBox
    resampling : str
        A GDAL resampling name (``"bilinear"``, ``"nearest"``, ``"average"``, ``"mode"``, ...).
    masked : bool
        True: NaN is the source and destination nodata (GDAL's masked kernels, which skip it). False: no
        nodata values, so GDAL may use its unmasked kernels, which read NaN as a number: the caller makes
        sure no pixel they read is NaN (:func:`scsmap.inputs.warp.kernel_reach`).

    Notes
    -----
    ``XSCALE=YSCALE=1`` as odc-geo sets them: GDAL's kernels keep a radius of one source pixel instead
    of widening with the scale change (https://github.com/OSGeo/gdal/issues/7750).

    An unmasked bilinear upsampling within one CRS is GDAL's resampled read instead (:func:`resampled_read`,
    module docstring).

    GDAL cuts a warp into pieces when its source and destination planes need more than its memory limit
    (``GDALWarpOperation::CollectChunkList``, GDAL ``alg/gdalwarpoperation.cpp``; 64 MB by default), and the
    pieces may round a source coordinate differently in the last bit. A call of ``n`` planes gets ``n`` times
    the default limit: it is cut where a call of one plane is, and each plane is that call's, bit for bit
    (without nodata GDAL's kernels compute each band on its own).
    """
    if not masked and resampling == "bilinear" and upsampled_alike(src_box, dst_box):
        resampled_read(src, dst, src_box, dst_box, resampling)
        return
    nodata = np.nan if masked else None
    bands = src.shape[0] if src.ndim == 3 else 1
    reproject(
        src,
        dst,
        src_transform=src_box.transform,
        src_crs=CRS.from_user_input(str(src_box.crs)),
        dst_transform=dst_box.transform,
        dst_crs=CRS.from_user_input(str(dst_box.crs)),
        resampling=Resampling[resampling],
        src_nodata=nodata,
        dst_nodata=nodata,
        warp_mem_limit=DEFAULT_WARP_MEMORY_MB * bands if bands > 1 else 0,
        XSCALE=1,
        YSCALE=1,
    )


#: smallest upsampling (source pixel / destination pixel, on each axis) that :func:`resampled_read` takes
MIN_UPSAMPLING = 2.0
#: smallest destination side (pixels) that :func:`resampled_read` takes
MIN_SIDE = 4


def upsampled_alike(src_box: GeoBox, dst_box: GeoBox) -> bool:
    """Both grids north-up, unrotated, of one CRS, the source's pixels at least :data:`MIN_UPSAMPLING` times the
    destination's on each axis, and the destination at least :data:`MIN_SIDE` pixels on a side.

    GDAL resamples a read only where the window's whole pixels differ from the buffer's on some axis; otherwise
    it copies the window's pixels from whole offsets (a window of one grid's pixel size, shifted by a fraction of
    a pixel, would be moved, not interpolated). With both conditions the window is at most about half the
    buffer on each axis.

    Parameters
    ----------
    src_box, dst_box : GeoBox
        The source window and the destination chunk (any CRS; degrees or metres alike).

    Returns
    -------
    bool
        True when a destination chunk is a window of the source resampled (:func:`resampled_read`).
    """
    a, d = src_box.affine, dst_box.affine
    return (
        src_box.crs == dst_box.crs
        and a.b == a.d == d.b == d.d == 0
        and a.a > 0
        and d.a > 0
        and a.e < 0
        and d.e < 0
        and d.a * MIN_UPSAMPLING <= a.a
        and -d.e * MIN_UPSAMPLING <= -a.e
        and min(dst_box.shape.yx) >= MIN_SIDE
    )


def resampled_read(src: np.ndarray, dst: np.ndarray, src_box: GeoBox, dst_box: GeoBox, resampling: str) -> None:
    """``dst`` as GDAL's resampled ``RasterIO`` of the source window that ``dst_box`` covers, in place.

    Parameters
    ----------
    src : numpy.ndarray
        Floating point (y, x) on ``src_box``, or (band, y, x); no NaN in the pixels the kernel reads.
    dst : numpy.ndarray
        (y, x) on ``dst_box`` (or (band, y, x) as ``src``), the dtype of ``src``; every pixel is written.
    src_box, dst_box : GeoBox
        :func:`upsampled_alike` grids; ``dst_box`` inside ``src_box`` with the kernel's reach
        (:func:`scsmap.inputs.warp.kernel_reach`).
    resampling : str
        A GDAL resampling name; GDAL widens its kernels when a window is reduced, which the warper does not
        (``XSCALE=YSCALE=1``): only for :func:`upsampled_alike` grids.

    Notes
    -----
    The window's offset and size are floating-point source pixels (``GDALRasterIOExtraArg``'s
    ``dfXOff``, ``dfYOff``, ``dfXSize``, ``dfYSize``, https://gdal.org/en/stable/api/raster_c_api.html); GDAL
    places each destination pixel's centre in it as its warper places it from the two geotransforms.
    """
    a, d = src_box.affine, dst_box.affine
    height, width = src_box.shape.yx
    window = Window(
        (d.c - a.c) / a.a,
        (d.f - a.f) / a.e,
        dst_box.shape.x * d.a / a.a,
        dst_box.shape.y * d.e / a.e,
    )
    bands = src.shape[0] if src.ndim == 3 else 1
    profile = dict(
        driver="MEM", width=width, height=height, count=bands, dtype=src.dtype.name,
        crs=CRS.from_user_input(str(src_box.crs)), transform=a,
    )  # fmt: skip
    with MemoryFile() as memory, memory.open(**profile) as ds:
        if src.ndim == 3:
            ds.write(src)
            ds.read(window=window, out=dst, resampling=Resampling[resampling])
        else:
            ds.write(src, 1)
            ds.read(1, window=window, out=dst, resampling=Resampling[resampling])
