"""One GDAL warp of an in-memory plane (the call behind :mod:`scsmap.inputs.warp`)."""

from __future__ import annotations

import numpy as np
from odc.geo.geobox import GeoBox
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.warp import reproject

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

    GDAL cuts a warp into pieces when its source and destination planes need more than its memory limit
    (``GDALWarpOperation::CollectChunkList``, GDAL ``alg/gdalwarpoperation.cpp``; 64 MB by default), and the
    pieces may round a source coordinate differently in the last bit. A call of ``n`` planes gets ``n`` times
    the default limit: it is cut where a call of one plane is, and each plane is that call's, bit for bit
    (without nodata GDAL's kernels compute each band on its own).
    """
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
