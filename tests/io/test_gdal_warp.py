"""A bilinear upsampling within one CRS (scsmap.io.gdal_warp.resampled_read) against GDAL's warper.

Oracle: ``rasterio.warp.reproject`` with the options :func:`scsmap.io.gdal_warp.warp_plane` gives the warper
(bilinear, no nodata, ``XSCALE=YSCALE=1``): the same values but for a float32 last bit now and then, no NaN,
every pixel written.
"""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine
from odc.geo.geobox import GeoBox
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.warp import reproject

from scsmap.io import gdal_warp
from scsmap.io.gdal_warp import upsampled_alike, warp_plane

#: float32 carries 24 bits: a last-bit difference is at most 2**-23 of a value
ULP = 2.0**-23


def _warper(src, src_box, dst_box, shape):
    dst = np.full(shape, np.nan, dtype=src.dtype)
    bands = src.shape[0] if src.ndim == 3 else 1
    reproject(
        src, dst, src_transform=src_box.affine, src_crs=CRS.from_epsg(4326), dst_transform=dst_box.affine,
        dst_crs=CRS.from_epsg(4326), resampling=Resampling.bilinear, src_nodata=None, dst_nodata=None,
        warp_mem_limit=64 * bands if bands > 1 else 0, XSCALE=1, YSCALE=1,
    )  # fmt: skip
    return dst


def _boxes(rng, src_res, dst_res, size):
    src_box = GeoBox((30, 40), Affine(src_res, 0, 10.0, 0, -src_res, 45.0), "EPSG:4326")
    x0 = 10.0 + rng.uniform(1.05, 8) * src_res  # the chunk starts anywhere within a source pixel
    y0 = 45.0 - rng.uniform(1.05, 8) * src_res
    dst_box = GeoBox(size, Affine(dst_res, 0, x0, 0, -dst_res, y0), "EPSG:4326")
    return src_box, dst_box


@pytest.mark.parametrize("bands", [None, 3])
def test_bilinear_upsampling_is_the_warpers(bands):
    rng = np.random.default_rng(21)
    differ = total = 0
    for src_res, dst_res, size in [(0.01, 0.00025, (512, 384)), (0.01, 0.001, (97, 131)), (0.0037, 0.001, (61, 70))]:
        for _ in range(4):
            src_box, dst_box = _boxes(rng, src_res, dst_res, size)
            lead = () if bands is None else (bands,)
            src = (rng.standard_normal((*lead, 30, 40)) * 10.0 ** rng.uniform(-2, 3)).astype("f4")
            expect = _warper(src, src_box, dst_box, (*lead, *size))
            got = np.full((*lead, *size), np.nan, dtype="f4")
            warp_plane(src, got, src_box, dst_box, "bilinear", masked=False)
            assert np.isfinite(got).all() and np.isfinite(expect).all()
            # a last bit of the values interpolated (near 0 where signs mix: bounded by the source's magnitude)
            assert np.abs(got.astype("f8") - expect).max() <= ULP * np.abs(src).max()
            differ += int((got != expect).sum())
            total += got.size
    assert differ <= total * 1e-4, (differ, total)


def test_the_fast_path_is_taken_where_it_applies_only(monkeypatch):
    taken = []
    real = gdal_warp.resampled_read
    monkeypatch.setattr(gdal_warp, "resampled_read", lambda *a: taken.append(1) or real(*a))
    rng = np.random.default_rng(2)
    src_box, dst_box = _boxes(rng, 0.01, 0.0025, (40, 40))
    src = rng.random((30, 40)).astype("f4")
    dst = np.full((40, 40), np.nan, "f4")
    warp_plane(src, dst, src_box, dst_box, "bilinear", masked=False)
    assert taken == [1]
    for resampling, masked in (("bilinear", True), ("nearest", False), ("cubic", False)):
        warp_plane(src, np.full((40, 40), np.nan, "f4"), src_box, dst_box, resampling, masked=masked)
    assert taken == [1]


def test_grids_it_applies_to():
    src = GeoBox((30, 40), Affine(0.01, 0, 10.0, 0, -0.01, 45.0), "EPSG:4326")
    fine = GeoBox((64, 64), Affine(0.0025, 0, 10.05, 0, -0.0025, 44.95), "EPSG:4326")
    assert upsampled_alike(src, fine)
    assert not upsampled_alike(fine, src)  # a reduction: GDAL's read widens its kernel, the warper does not
    assert not upsampled_alike(src, src)  # a window of whole pixels: GDAL copies, it does not interpolate
    assert not upsampled_alike(src, GeoBox((64, 64), Affine(0.006, 0, 10.05, 0, -0.006, 44.95), "EPSG:4326"))
    assert not upsampled_alike(src, GeoBox((64, 64), Affine(0.0025, 0, 10.05, 0, -0.006, 44.95), "EPSG:4326"))
    assert not upsampled_alike(src, GeoBox((64, 64), Affine(0.006, 0, 10.05, 0, -0.0025, 44.95), "EPSG:4326"))
    assert not upsampled_alike(src, GeoBox((3, 64), Affine(0.0025, 0, 10.05, 0, -0.0025, 44.95), "EPSG:4326"))
    assert not upsampled_alike(src, GeoBox((64, 3), Affine(0.0025, 0, 10.05, 0, -0.0025, 44.95), "EPSG:4326"))
    assert not upsampled_alike(src, GeoBox((64, 64), Affine(0.0025, 0, 10.05, 0, -0.0025, 44.95), "EPSG:3035"))
    assert not upsampled_alike(src, GeoBox((64, 64), Affine(0.0025, 0.0001, 10.05, 0, -0.0025, 44.95), "EPSG:4326"))
    assert not upsampled_alike(src, GeoBox((64, 64), Affine(0.0025, 0, 10.05, 0, 0.0025, 44.8), "EPSG:4326"))
    assert not upsampled_alike(src, GeoBox((64, 64), Affine(0.02, 0, 10.05, 0, -0.0025, 44.95), "EPSG:4326"))


def test_a_window_of_the_sources_pixel_size_is_not_read():
    """Why :func:`upsampled_alike` asks for an upsampling: the same pixel size, shifted by a fraction of a
    pixel, is copied by GDAL's read from whole offsets (not the warper's interpolation)."""
    rng = np.random.default_rng(5)
    src_box = GeoBox((30, 40), Affine(0.004, 0, 10.0, 0, -0.004, 45.0), "EPSG:4326")
    dst_box = GeoBox((20, 25), Affine(0.004, 0, 10.0 + 3.4 * 0.004, 0, -0.004, 45.0 - 2.3 * 0.004), "EPSG:4326")
    src = rng.random((30, 40)).astype("f4")
    read = np.full((20, 25), np.nan, "f4")
    gdal_warp.resampled_read(src, read, src_box, dst_box, "bilinear")
    warped = np.full((20, 25), np.nan, "f4")
    warp_plane(src, warped, src_box, dst_box, "bilinear", masked=False)  # the warper: no upsampling
    assert np.array_equal(warped, _warper(src, src_box, dst_box, (20, 25)))
    assert np.abs(read - warped).max() > 0.01
