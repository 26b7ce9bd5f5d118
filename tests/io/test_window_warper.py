"""Windows of a raster on another grid, the file kept open over many windows (the mosaic's reads)."""

from __future__ import annotations

import numpy as np
import rasterio
from affine import Affine
from rasterio.transform import from_origin

from scsmap.io.read import warp_window, window_warper


def test_windows_thinner_than_a_tile_read_the_files_pixels(tmp_path):
    """On the file's own grid, nearest-neighbour windows of 3 rows (tiles of 16) give back the file's pixels, nodata as
    NaN; a window reaching past the file's edge is NaN there; the same from warp_window (the file opened per window)."""
    a = np.arange(40 * 48, dtype="float32").reshape(40, 48)
    a[5:9, 10:20] = -1.0
    transform = from_origin(10.0, 46.0, 0.01, 0.01)
    path = tmp_path / "tiles.tif"
    profile = dict(driver="GTiff", width=48, height=40, count=1, dtype="float32", nodata=-1.0, crs="EPSG:4326")
    with rasterio.open(path, "w", transform=transform, tiled=True, blockxsize=16, blockysize=16, **profile) as ds:
        ds.write(a, 1)
    expected = np.where(a == -1.0, np.nan, a).astype("float64")
    with window_warper(path) as warp:
        rows = [warp("EPSG:4326", transform @ Affine.translation(0, y0), (3, 48)) for y0 in range(0, 42, 3)]
    got = np.concatenate(rows)
    assert got.dtype == np.float64 and got.shape == (42, 48)
    assert np.array_equal(got[:40], expected, equal_nan=True)
    assert np.isnan(got[40:]).all()  # below the file
    assert np.array_equal(
        warp_window(path, "EPSG:4326", transform @ Affine.translation(0, 6), (3, 48)), got[6:9], equal_nan=True
    )
