"""Mosaics: regions merged onto one grid with a stated overlap rule and a provenance layer.

Oracles: the demo run over the whole country (two overlapping halves must give back exactly
its maps), the bounding boxes of the halves (which region each pixel may come from), and the
longitudes of North Macedonia and Bhutan for the two-country mosaic.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner
from conftest import CONFIGS, needs_shared

from scsmap.config import load_config
from scsmap.errors import OutputError
from scsmap.io.read import read_band
from scsmap.outputs.mosaic import mosaic
from scsmap.pipeline import run

WEST, EAST = [20.4, 40.8, 21.9, 42.4], [21.5, 40.8, 23.1, 42.4]
PRODUCTS = ["soc_t0", "target_4p1000", "land_use"]


def _run(config, out, **sets):
    cfg = load_config(config, overrides=sets)
    run(cfg, out_dir=out)
    return out


@pytest.fixture(scope="module")
def halves(tmp_path_factory):
    d = tmp_path_factory.mktemp("halves")
    demo = CONFIGS / "regions" / "demo.yaml"
    west = _run(demo, d / "west", **{"region.bbox": WEST, "outputs.products": PRODUCTS})
    east = _run(demo, d / "east", **{"region.bbox": EAST, "outputs.products": PRODUCTS})
    return west, east, d


def _lon(path):
    with rasterio.open(path) as ds:
        return ds.transform.c + (np.arange(ds.width) + 0.5) * ds.transform.a


def test_two_overlapping_halves_give_back_the_whole_country(halves, demo_outputs):
    west, east, d = halves
    res = mosaic([west, east], d / "mosaic")
    for pid in PRODUCTS:
        a, b = read_band(d / "mosaic" / f"{pid}.tif"), read_band(demo_outputs / f"{pid}.tif")
        assert a.shape == b.shape
        assert np.array_equal(np.isnan(a), np.isnan(b)), pid
        assert np.nanmax(np.abs(a - b)) == 0, pid
    prov = read_band(d / "mosaic" / "provenance.tif")
    lon = _lon(d / "mosaic" / "provenance.tif")
    overlap = (lon > EAST[0]) & (lon < WEST[2])
    assert overlap.any()
    assert set(np.unique(prov[:, overlap][np.isfinite(prov[:, overlap])])) == {1}  # first listed wins
    assert set(np.unique(prov[:, lon > WEST[2]][np.isfinite(prov[:, lon > WEST[2]])])) == {2}
    footprint = np.any([np.isfinite(read_band(demo_outputs / f"{pid}.tif")) for pid in PRODUCTS], axis=0)
    assert np.array_equal(np.isfinite(prov), footprint)
    m = json.loads((d / "mosaic" / "manifest.json").read_text())
    assert [s["provenance_code"] for s in m["sources"]] == [1, 2] and "first region" in m["overlap_rule"]
    assert sum(s["pixels"] for s in m["sources"]) == int(np.isfinite(prov).sum())
    assert (d / "mosaic" / "provenance.qml").is_file() and (d / "mosaic" / "stac" / "collection.json").is_file()
    assert res.manifest["products"][-1]["id"] == "provenance"


def test_the_window_does_not_change_a_pixel(halves):
    """7-row windows (cutting tiles, grid rows not a multiple of 7) write the same files as the default window."""
    west, east, d = halves
    import io
    import math

    from scsmap.progress import Progress

    big = mosaic([west, east], d / "big-window")
    shown = io.StringIO()
    tiny = mosaic([west, east], d / "tiny-window", rows_per_window=7, progress=Progress(live=False, stream=shown))
    assert [e["path"] for e in tiny.manifest["products"]] == [e["path"] for e in big.manifest["products"]]
    assert tiny.manifest["grid"]["shape"][0] % 7
    windows, products = math.ceil(tiny.manifest["grid"]["shape"][0] / 7), len(tiny.manifest["products"]) - 1
    assert f"provenance: {windows} done" in shown.getvalue()  # the progress of both passes, window by window
    assert f"products: {windows * products} done" in shown.getvalue()
    for a, b in zip(big.manifest["products"], tiny.manifest["products"]):
        assert np.array_equal(
            read_band(d / "big-window" / a["path"]), read_band(d / "tiny-window" / b["path"]), equal_nan=True
        )
        assert a["sha256"] == b["sha256"], a["path"]
        assert a["statistics"] == b["statistics"], a["path"]
    assert tiny.manifest["sources"] == big.manifest["sources"]


def test_order_decides_the_overlap(halves):
    west, east, d = halves
    mosaic([east, west], d / "reversed")
    prov = read_band(d / "reversed" / "provenance.tif")
    lon = _lon(d / "reversed" / "provenance.tif")
    overlap = (lon > EAST[0]) & (lon < WEST[2])
    assert set(np.unique(prov[:, overlap][np.isfinite(prov[:, overlap])])) == {1}  # now east (listed first)
    assert set(np.unique(prov[:, lon < EAST[0]][np.isfinite(prov[:, lon < EAST[0]])])) == {2}


def test_mosaic_refuses_bad_requests(halves, tmp_path):
    west, east, d = halves
    with pytest.raises(OutputError, match="at least two"):
        mosaic([west], tmp_path / "m")
    with pytest.raises(OutputError, match="no manifest.json"):
        mosaic([west, tmp_path], tmp_path / "m")
    mosaic([west, east], tmp_path / "m")
    with pytest.raises(OutputError, match="--overwrite"):
        mosaic([west, east], tmp_path / "m")
    mosaic([west, east], tmp_path / "m", overwrite=True)


def test_cli_mosaic(halves, tmp_path):
    from scsmap.cli import main

    west, east, _ = halves
    res = CliRunner().invoke(main, ["mosaic", str(west), str(east), "--out", str(tmp_path / "m")])
    assert res.exit_code == 0, res.output
    assert "provenance.tif" in res.output and "1: " in res.output
    res = CliRunner().invoke(main, ["mosaic", str(west), "--out", str(tmp_path / "n")])
    assert res.exit_code == 2 and "Traceback" not in res.output


@pytest.mark.shared
@needs_shared
def test_north_macedonia_and_bhutan_in_one_grid(tmp_path):
    """Two real national runs far apart land in one grid, each pixel labelled with its country."""
    sets = {"grid.like": None, "grid.resolution": 0.05, "outputs.products": ["soc_t0", "target_4p1000"]}
    mkd = _run(CONFIGS / "regions" / "mkd.yaml", tmp_path / "mkd", **sets)
    btn = _run(CONFIGS / "regions" / "btn.yaml", tmp_path / "btn", **sets)
    res = mosaic([mkd, btn], tmp_path / "mosaic")
    prov = read_band(tmp_path / "mosaic" / "provenance.tif")
    lon = _lon(tmp_path / "mosaic" / "provenance.tif")
    cols1, cols2 = (prov == 1).any(axis=0), (prov == 2).any(axis=0)
    assert 20.4 < lon[cols1].min() and lon[cols1].max() < 23.1  # North Macedonia
    assert 88.7 < lon[cols2].min() and lon[cols2].max() < 92.2  # Bhutan
    soc = read_band(tmp_path / "mosaic" / "soc_t0.tif")
    assert np.array_equal(np.isfinite(soc), np.isfinite(prov))
    assert [s["region"]["iso3"] for s in res.manifest["sources"]] == ["MKD", "BTN"]


def test_sigterm_stops_a_mosaic_and_keeps_the_previous_one(halves, tmp_path):
    """SIGTERM while a mosaic is made: exit 143 with a message, the staging folder removed, the previous
    mosaic as it was (as ``scsmap run`` does)."""
    from helpers import snapshot, terminate_when_stalled

    west, east, _ = halves
    dest = mosaic([west, east], tmp_path / "m").out_dir
    before = snapshot(dest)

    def staging_made() -> None:
        assert list(dest.glob(".staging-*"))

    argv = ["mosaic", str(west), str(east), "--out", str(dest), "--overwrite"]
    code, err = terminate_when_stalled("scsmap.outputs.mosaic", "_make", argv, staging_made)
    assert code == 143, err
    assert "terminated (SIGTERM)" in err and "Traceback" not in err
    assert snapshot(dest) == before
