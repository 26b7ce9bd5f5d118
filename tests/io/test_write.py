"""Writing products: the staging compression (or none) does not reach the COG (io/write.py)."""

from __future__ import annotations

import hashlib

import numpy as np
import rasterio
from odc.geo.geobox import GeoBox

from scsmap.io import write as W


def _product(tmp_path, name: str, compression: dict[str, str], monkeypatch, compress: bool = True) -> str:
    monkeypatch.setattr(W, "staging_compression", lambda: compression)
    gb = GeoBox.from_bbox((20.0, 41.0, 20.3, 41.2), "EPSG:4326", resolution=0.001)
    spec = W.RasterSpec(
        path=tmp_path / f"{name}.tmp.tif", dtype="float32", nodata=-9999.0, description="d", units="t C ha-1",
        tags={"PRODUCT_ID": "x"},
    )  # fmt: skip
    y, x = np.mgrid[0 : gb.shape.y, 0 : gb.shape.x]
    data = (np.sin(x / 30.0) * np.cos(y / 20.0) * 40 + 50).astype("float32")
    data[:20, :30] = -9999.0
    ds = W.open_tiled(spec, gb, 128, compress=compress)
    W.write_window(ds, data, 0)
    ds.close()
    with rasterio.open(spec.path) as staged:
        assert (staged.compression is not None) == compress
    final = tmp_path / f"{name}.tif"
    W.to_cog(spec.path, final, "average", 128)
    return hashlib.sha256(final.read_bytes()).hexdigest()


def test_cog_bytes_do_not_depend_on_the_staging_compression(tmp_path, monkeypatch):
    zstd = _product(tmp_path, "a", {"compress": "ZSTD", "ZSTD_LEVEL": "1"}, monkeypatch)
    deflate = _product(tmp_path, "b", {"compress": "DEFLATE"}, monkeypatch)
    raw = _product(tmp_path, "c", {"compress": "ZSTD", "ZSTD_LEVEL": "1"}, monkeypatch, compress=False)
    assert zstd == deflate == raw
    with rasterio.open(tmp_path / "a.tif") as ds:
        assert ds.compression.name.upper() == "DEFLATE" and ds.overviews(1)


def test_staging_compression_is_zstd_where_gdal_has_it():
    assert W.staging_compression()["compress"] in ("ZSTD", "DEFLATE")


def test_small_runs_stage_uncompressed_large_ones_compressed():
    assert not W.compress_staging(8 * 4 * 10_000_000 * 5 // 4)  # the benchmark's 8 float32 products at 1e7 pixels
    assert not W.compress_staging(W.STAGING_RAW_MAX_BYTES) and W.compress_staging(W.STAGING_RAW_MAX_BYTES + 1)
    assert W.compress_staging(8 * 4 * 40_000**2)  # 40000 x 40000: 51 GB uncompressed
