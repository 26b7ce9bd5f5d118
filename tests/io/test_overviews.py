"""The first overview level made in the compute pass (io/overviews.py): GDAL's own overviews are the oracle."""

from __future__ import annotations

import hashlib
import threading

import dask.array as da
import numpy as np
import pytest
import rasterio
import rasterio.shutil
from odc.geo.geobox import GeoBox
from rasterio.io import MemoryFile
from rasterio.transform import from_origin

from scsmap.io import write as W
from scsmap.io.overviews import (
    first_level_path,
    first_overview,
    has_first_overview,
    overview_factors,
    overview_path,
)
from scsmap.pipeline.compute import OVERVIEW_TILE


def test_first_overview_by_hand():
    """Means of the valid cells of each 2 x 2 (nodata -9999 left out, none valid: nodata); nearest: top left."""
    block = np.array(
        [
            [1.0, 2.0, -9999.0, -9999.0, 0.5, 0.25],
            [3.0, 4.0, -9999.0, -9999.0, -9999.0, 1.0],
        ],
        dtype="float32",
    )
    assert first_overview(block, -9999.0, "average").tolist() == [[2.5, -9999.0, 0.5833333134651184]]
    assert first_overview(block, -9999.0, "average").dtype == np.float32
    codes = np.array([[1, 2, 3, 4], [5, 6, 7, 8]], dtype="uint8")
    assert first_overview(codes, 255, "nearest").tolist() == [[1, 3]]
    nan = np.array([[np.nan, 1.0], [np.nan, np.nan]], dtype="float32")
    assert first_overview(nan, np.nan, "average").tolist() == [[1.0]]


def test_first_overview_refuses_odd_blocks_and_other_resamplings():
    with pytest.raises(ValueError, match="no whole 2 x 2"):
        first_overview(np.zeros((3, 4), "float32"), -9999.0, "average")
    with pytest.raises(ValueError, match="resampling 'bilinear'"):
        first_overview(np.zeros((2, 2), "float32"), -9999.0, "bilinear")


@pytest.mark.parametrize(
    ("shape", "factors"),
    [((512, 512), []), ((513, 100), [2]), ((678, 1150), [2, 4]), ((2049, 2047), [2, 4]), ((3162, 1030), [2, 4, 8])],
)
def test_overview_factors_are_those_of_gdals_cog_driver(tmp_path, shape, factors):
    """The hand-counted factors, and the ones GDAL's COG driver gives a grid of that shape (512-pixel tiles)."""
    assert overview_factors(shape, 512) == factors
    with MemoryFile() as mem:
        with mem.open(driver="GTiff", width=shape[1], height=shape[0], count=1, dtype="uint8") as ds:
            ds.write(np.zeros((1, *shape), "uint8"))
        with mem.open() as src:
            rasterio.shutil.copy(src, tmp_path / "c.tif", driver="COG", BLOCKSIZE="512")
    with rasterio.open(tmp_path / "c.tif") as ds:
        assert ds.overviews(1) == factors


def test_has_first_overview_needs_even_chunks_and_overviews():
    assert has_first_overview(((1024, 1024, 200), (1024, 126)), 512)
    assert not has_first_overview(((1024, 1023), (1024,)), 512)  # an odd chunk
    assert not has_first_overview(((300, 212), (400,)), 512)  # one tile: no overviews
    assert has_first_overview(((300, 212), (400,)), 256)


def _field(shape: tuple[int, int], dtype: str) -> np.ndarray:
    """A smooth field with noise, nodata holes and a nodata corner, or class codes with nodata 255."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]]
    if dtype == "uint8":
        codes = ((x // 37 + y // 23) % 9).astype("uint8")
        codes[rng.random(shape) < 0.05] = 255
        return codes
    data = (np.sin(x / 40.0) * np.cos(y / 55.0) * 30 + 40 + rng.normal(0, 0.5, shape)).astype("float32")
    data[rng.random(shape) < 0.1] = -9999.0
    data[: shape[0] // 3, : shape[1] // 4] = -9999.0
    return data


def _cog(tmp_path, name: str, data: np.ndarray, chunk: int | None) -> str:
    """COG bytes of ``data`` through the staging file, with the first level made block by block when ``chunk``."""
    ny, nx = data.shape
    gb = GeoBox.from_bbox((20.0, 41.0, 20.0 + nx * 0.001, 41.0 + ny * 0.001), "EPSG:4326", shape=(ny, nx))
    nodata = 255 if data.dtype == np.uint8 else -9999.0
    resampling = "nearest" if data.dtype == np.uint8 else "average"
    spec = W.RasterSpec(tmp_path / f"{name}.tmp.tif", str(data.dtype), nodata, "d", "u", {"PRODUCT_ID": "x"})
    ds = W.open_tiled(spec, gb, 512)
    if chunk is None:
        W.write_window(ds, data, 0)
    else:  # as the compute pass stores a product: each block and the first level it gives, by the block's task
        arr = da.from_array(data, chunks=chunk)
        assert has_first_overview(arr.chunks, 512)
        ovr_spec = W.RasterSpec(first_level_path(spec.path), spec.dtype, nodata, "", "", {})
        ovr = W.open_tiled(ovr_spec, gb.zoom_out(2), OVERVIEW_TILE)
        target = W.OverviewBlockTarget(
            W.BlockTarget(ds, threading.Lock()), W.BlockTarget(ovr, threading.Lock()), nodata, resampling
        )
        da.store(arr, target, lock=False, scheduler="threads")
        ovr.close()
    ds.close()
    final = tmp_path / f"{name}.tif"
    W.to_cog(spec.path, final, resampling, 512)
    assert not first_level_path(spec.path).exists()
    overview_path(spec.path).unlink(missing_ok=True)
    return hashlib.sha256(final.read_bytes()).hexdigest()


@pytest.mark.parametrize("dtype", ["float32", "uint8"])
@pytest.mark.parametrize(
    ("shape", "chunk"),
    [
        ((1300, 1100), 256),  # every level from an even one
        ((1102, 1300), 512),  # an odd first level (551 rows): GDAL spreads the odd row over the second
        ((678, 1150), 1024),  # North Macedonia's grid: chunks of 1024 and 126 columns
        ((2048, 1536), (512, 1024)),  # square tiles from oblong chunks, four levels
    ],
)
def test_cog_from_the_first_level_is_gdals_byte_for_byte(tmp_path, dtype, shape, chunk):
    """The COG made with the first level from the compute pass is the file GDAL makes alone, to the byte: the
    same pixels at every level (GDAL's average and nearest), the same layout, tags and overviews."""
    data = _field(shape, dtype)
    ours = _cog(tmp_path, "ours", data, chunk)
    gdal = _cog(tmp_path, "gdal", data, None)
    assert ours == gdal
    with rasterio.open(tmp_path / "ours.tif") as ds:
        assert ds.overviews(1) == overview_factors(shape, 512) and ds.overviews(1)


def test_first_level_of_a_written_product_in_a_memory_file_matches_gdal():
    """The average of a block equals GDAL's own first level of it, read from a GDAL-made overview."""
    data = _field((256, 384), "float32")
    with MemoryFile() as mem:
        profile = dict(driver="GTiff", width=384, height=256, count=1, dtype="float32", nodata=-9999.0,
                       crs="EPSG:4326", transform=from_origin(20, 41, 0.001, 0.001))  # fmt: skip
        with mem.open(**profile) as ds:
            ds.write(data, 1)
            ds.build_overviews([2], rasterio.enums.Resampling.average)
        with mem.open() as ds:
            gdal = ds.read(1, out_shape=(128, 192))
    assert np.array_equal(first_overview(data, -9999.0, "average"), gdal)


def test_the_block_target_writes_both_files_and_refuses_odd_offsets(tmp_path):
    """Each block goes to the staging file as it is and, halved, to the first level at half its position; a block
    that does not start on an even row and column is refused before anything is written."""
    data = _field((8, 12), "float32")
    main, level1 = {}, {}

    class Recorder:
        def __init__(self, into):
            self.into = into

        def __setitem__(self, key, value):
            self.into[(key[0].start, key[0].stop, key[1].start, key[1].stop)] = value.copy()

    target = W.OverviewBlockTarget(Recorder(main), Recorder(level1), -9999.0, "average")
    target[slice(4, 8), slice(6, 12)] = data[4:8, 6:12]
    assert list(main) == [(4, 8, 6, 12)] and np.array_equal(main[(4, 8, 6, 12)], data[4:8, 6:12])
    assert list(level1) == [(2, 4, 3, 6)]
    assert np.array_equal(level1[(2, 4, 3, 6)], first_overview(data[4:8, 6:12], -9999.0, "average"))
    with pytest.raises(ValueError, match="row 3, column 6"):
        target[slice(3, 5), slice(6, 8)] = data[3:5, 6:8]
    assert len(main) == 1 and len(level1) == 1


def test_the_block_target_closes_both_files_under_their_locks(tmp_path):
    """A failed run closes its targets (pipeline.compute._close): both files, each under its writers' lock."""
    gb = GeoBox.from_bbox((20.0, 41.0, 20.008, 41.004), "EPSG:4326", shape=(4, 8))
    specs = [W.RasterSpec(tmp_path / f"{n}.tif", "float32", -9999.0, "d", "u", {}) for n in ("main", "level1")]
    main, level1 = W.open_tiled(specs[0], gb, 16), W.open_tiled(specs[1], gb.zoom_out(2), 16)
    locks = [threading.Lock(), threading.Lock()]
    target = W.OverviewBlockTarget(W.BlockTarget(main, locks[0]), W.BlockTarget(level1, locks[1]), -9999.0, "average")
    with locks[1]:  # a writer of the first level still busy: closing waits for it
        closer = threading.Thread(target=target.close)
        closer.start()
        closer.join(0.2)
        assert closer.is_alive() and not level1.closed
    closer.join(5)
    assert main.closed and level1.closed
