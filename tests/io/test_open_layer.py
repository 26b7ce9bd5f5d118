"""An input layer opened lazily: the file's own georeferencing, and its values in canonical units (hand-computed)."""

from __future__ import annotations

import numpy as np
import odc.geo.xr  # noqa: F401 - the .odc accessor
import rasterio
from rasterio.transform import from_origin

from scsmap.config.schema import InputConfig
from scsmap.io.read import open_layer

NAN = np.float32(np.nan)


def _write(path, data, transform, nodata, scales=None):
    profile = dict(
        driver="GTiff", width=data.shape[-1], height=data.shape[-2], count=1, dtype=str(data.dtype), crs="EPSG:4326",
        transform=transform, nodata=nodata,
    )  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data[None])
        if scales is not None:
            dst.scales, dst.offsets = (scales[0],), (scales[1],)
    return path


def test_a_layers_grid_is_its_files_georeferencing_exactly(tmp_path):
    """The layer's geobox is the file's geotransform bit for bit: 0.01 degree pixels from 10 E, 51 N, which the
    pixel centres' coordinates would give as 0.009999999999999787 (the warps place the grid from it)."""
    transform = from_origin(10.0, 51.0, 0.01, 0.01)
    path = _write(tmp_path / "silt.tif", np.full((1100, 1100), 20.0, "f4"), transform, -9999.0)
    data, info = open_layer("silt", InputConfig(path=str(path), units="%"), 1024)
    assert tuple(data.odc.geobox.affine) == tuple(transform)
    assert data.odc.geobox == info.geobox


def test_canonical_values_by_hand_on_the_lazy_path(tmp_path):
    """Nodata masked (an integer code; a float one within 1e-6 of it, relative), the file's scale and offset, the
    unit conversion and an angle turned into percent slope, as float32, chunk by chunk as the whole file reads."""
    transform = from_origin(20.0, 42.0, 0.01, 0.01)
    raw = np.array([[0, 25, -1, 7], [300, -1, 1, 2]], "i2")
    path = _write(tmp_path / "clay.tif", raw, transform, -1, scales=(0.1, 1.0))
    data, _ = open_layer("clay", InputConfig(path=str(path), units="%"), 2)
    expect = np.array([[1.0, 3.5, NAN, 1.7], [31.0, NAN, 1.1, 1.2]], "f4")  # 0.1 * raw + 1
    got = data.values[0]
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, np.where(raw == -1, NAN, raw.astype("f4") * np.float32(0.1) + np.float32(1.0)))
    np.testing.assert_allclose(got, expect, rtol=1e-6)

    fnod = np.float32(-3.4e38)
    height = np.array([[280.15, fnod], [fnod * np.float32(1 + 5e-7), 300.0]], "f4")  # the second within 1e-6
    path = _write(tmp_path / "elevation.tif", height, transform, float(fnod))
    data, _ = open_layer("elevation", InputConfig(path=str(path), units="m"), 1)
    np.testing.assert_array_equal(np.isnan(data.values[0]), [[False, True], [True, False]])

    deg = np.array([[0.0, 45.0], [30.0, -9999.0]], "f4")
    path = _write(tmp_path / "slope.tif", deg, transform, -9999.0)
    data, _ = open_layer("slope", InputConfig(path=str(path), units="degree"), 1)
    expect = np.array([[0.0, 100.0], [100 * np.tan(np.radians(30.0)), np.nan]], "f4")  # 100 tan(angle)
    np.testing.assert_allclose(data.values[0], expect, rtol=1e-6, atol=1e-5)


def test_a_value_outside_the_physical_range_is_refused_where_it_is():
    """The block check names the value, its row and column in the file and its longitude and latitude (the pixel
    centre, by hand: 10 + 2.5 x 0.01 E, 51 - 1.5 x 0.01 N)."""
    import pytest

    from scsmap.errors import InputError
    from scsmap.io.read import _check_block

    block = np.full((1, 3, 4), 20.0, "f4")
    block[0, 1, 2] = 250.0
    wkt = rasterio.crs.CRS.from_epsg(4326).to_wkt()
    transform = from_origin(10.0, 51.0, 0.01, 0.01)
    with pytest.raises(InputError, match=r"value 250 % at row 1, column 2 \(lon 10\.0250, lat 50\.9850\)"):
        _check_block(block, "clay", "clay.tif", (0.0, 100.0), "%", transform, wkt, (0, 3, 0, 4))
