"""Guard rails against a tired user's inputs: config safety, resource guards, every pixel checked, odd rasters.

Each test gives the mistake a user makes and checks the refusal: a clear message with its hint (exit 2 in the
CLI), nothing written, never a hang or a plausible-looking wrong map.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import rasterio
import yaml
from helpers import SMALL_BBOX, SMALL_NORTH, SMALL_WEST, demo_config_dict, dump_config, write_small_raster
from rasterio.transform import Affine, from_origin

from scsmap.config import input_paths, load_config
from scsmap.config.load import local_path
from scsmap.errors import ConfigError, InputError
from scsmap.io.read import read_band
from scsmap.pipeline import run


def small(tmp_path: Path, products=("soc_t0",), **inputs) -> Path:
    raw = demo_config_dict()
    raw["region"]["bbox"] = SMALL_BBOX
    raw["outputs"] = {"products": list(products)}
    raw["inputs"].update(inputs)
    return dump_config(raw, tmp_path / "region.yaml")


def write(path: Path, data, transform, crs="EPSG:4326", **kw) -> Path:
    data = np.asarray(data)
    data = data[None] if data.ndim == 2 else data
    profile = dict(
        driver="GTiff",
        width=data.shape[2],
        height=data.shape[1],
        count=data.shape[0],
        dtype=str(data.dtype),
        transform=transform,
        crs=crs,
        **kw,
    )
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(data)
    return path


# --------------------------------------------------------------------------- config safety


def test_duplicate_keys_name_both_lines(tmp_path):
    p = tmp_path / "dup.yaml"
    p.write_text(
        "region:\n  name: x\n  iso3: ABC\n  bbox: [0, 0, 1, 1]\ngrid:\n  resolution: 0.01\ngrid:\n  snap: none\n"
    )
    with pytest.raises(ConfigError, match=r"key 'grid' appears twice in one mapping \(lines 5 and 7\)"):
        load_config(p)


def test_alias_bomb_is_refused_quickly(tmp_path):
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        lines.append(f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 10) + "]")
    p = tmp_path / "bomb.yaml"
    p.write_text("\n".join(lines) + "\nregion: {name: x, iso3: ABC, bbox: [0, 0, 1, 1]}\npractices: {rules: *j}\n")
    t0 = time.monotonic()
    with pytest.raises(ConfigError, match="expands to more than"):
        load_config(p)
    assert time.monotonic() - t0 < 5


def test_messages_quote_values_shortly(tmp_path):
    p = tmp_path / "long.yaml"
    p.write_text(
        yaml.safe_dump(
            {"region": {"name": "x", "iso3": "ABC", "bbox": [0, 0, 1, 1]}, "grid": {"resolution": list(range(100000))}}
        )
    )
    with pytest.raises(ConfigError) as err:
        load_config(p)
    assert len(str(err.value)) < 600


def test_extends_must_be_a_small_regular_utf8_file(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("extends: /dev/zero\nregion: {name: x, iso3: ABC, bbox: [0, 0, 1, 1]}\n")
    with pytest.raises(ConfigError, match="/dev/zero is not a regular file"):
        load_config(p)
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * 2_000_000 + "\n")
    p.write_text(f"extends: {big}\nregion: {{name: x, iso3: ABC, bbox: [0, 0, 1, 1]}}\n")
    with pytest.raises(ConfigError, match="too large for a config"):
        load_config(p)


def test_latin1_config_is_named_with_the_fix(tmp_path):
    p = tmp_path / "latin1.yaml"
    p.write_bytes(
        "region: {name: Bialowieża, iso3: POL, bbox: [0, 0, 1, 1]}\n".encode("latin-1", "replace").replace(
            b"?", b"\xbf"
        )
    )
    with pytest.raises(ConfigError) as err:
        load_config(p)
    assert "is not UTF-8 text" in str(err.value) and "Save with Encoding" in str(err.value)


@pytest.mark.parametrize(
    "pattern",
    [
        "t_{month.__class__}.tif",
        "t_{month:999999999d}.tif",
        "t_{year}.tif",
        "t_{0}.tif",
        "t_{month!r}.tif",
        "t_{month.tif",
    ],
)
def test_path_patterns_accept_only_the_month(tmp_path, pattern):
    cfg = small(tmp_path, ("mat",), temperature={"path": pattern, "units": "degC"})
    with pytest.raises(ConfigError, match="path pattern|not a valid path pattern"):
        load_config(cfg)


def test_urls_and_gdal_virtual_paths_reach_gdal_unchanged(tmp_path):
    url = "/vsicurl/https://example.org/data//soc.tif"
    cfg = load_config(small(tmp_path, soc_stock={"path": url, "units": "t ha-1"}), check_files=True)
    assert cfg.inputs["soc_stock"].path == url and input_paths(cfg.inputs["soc_stock"]) == [url]
    assert local_path(url) is None and local_path("zip:///a/b.zip!x.tif") == Path("/a/b.zip")


@pytest.mark.parametrize(
    "key, value, match",
    [
        ("grid.resolution", float("inf"), "finite number"),
        ("grid.resolution", 0, "greater than 0"),
        ("outputs.tile_size", 0, "greater than or equal to 128"),
        ("outputs.tile_size", 100, "multiple of 16"),
        ("outputs.tile_size", 100000, "less than or equal to 4096"),
        ("rothc.monte_carlo_draws", 5000, "MB per worker thread"),
    ],
)
def test_schema_limits(tmp_path, key, value, match):
    with pytest.raises(ConfigError, match=match):
        load_config(small(tmp_path), overrides={key: value})


def test_resolution_in_the_units_of_another_crs_is_named(tmp_path):
    cfg = load_config(small(tmp_path), overrides={"grid.crs": "EPSG:3035"})
    t0 = time.monotonic()
    with pytest.raises(ConfigError) as err:
        run(cfg, out_dir=tmp_path / "out")
    assert time.monotonic() - t0 < 60
    assert "over compute.max_pixels" in str(err.value) and "looks like degrees" in str(err.value)
    assert not (tmp_path / "out").exists()
    cfg = load_config(small(tmp_path), overrides={"grid.resolution": 250})
    with pytest.raises(ConfigError, match="looks like metres"):
        run(cfg, out_dir=tmp_path / "out")


def test_an_empty_cost_table_is_a_config_error(tmp_path):
    empty = tmp_path / "costs.csv"
    empty.write_text("")
    raw = demo_config_dict()
    raw["region"]["bbox"] = SMALL_BBOX
    raw["tables"] = {"practice_costs": str(empty)}
    raw["outputs"] = {"products": ["cost_per_tco2_best"]}
    with pytest.raises(ConfigError, match="not a readable CSV table"):
        run(load_config(dump_config(raw, tmp_path / "r.yaml")), out_dir=tmp_path / "out")


# --------------------------------------------------------------------------- inputs


def test_a_fifo_input_is_refused_not_read_forever(tmp_path):
    fifo = tmp_path / "soc.tif"
    os.mkfifo(fifo)
    cfg = load_config(small(tmp_path, soc_stock={"path": str(fifo), "units": "t ha-1"}))
    with pytest.raises(InputError, match="not a regular file"):
        run(cfg, out_dir=tmp_path / "out")


def test_one_absurd_pixel_the_preview_cannot_see_is_refused_while_computing(tmp_path):
    """A 2100 x 2100 file is previewed at every other pixel; the absurd value sits on a skipped one."""
    n = 2100
    res = (SMALL_BBOX[3] - SMALL_BBOX[1]) / n
    data = np.full((n, n), 55.0, "float32")
    data[1000, 1000] = 9.4e22  # the preview reads the odd rows and columns
    path = write(tmp_path / "soc.tif", data, from_origin(SMALL_WEST, SMALL_NORTH, res, res))
    cfg = load_config(
        small(tmp_path, soc_stock={"path": str(path), "units": "t ha-1"}), overrides={"grid.resolution": 1 / 240}
    )
    with pytest.raises(InputError) as err:
        run(cfg, out_dir=tmp_path / "out")
    msg = str(err.value)
    assert (
        "9.4e+22" in msg
        and "row 1000, column 1000" in msg
        and f"lon {SMALL_WEST + 1000.5 * res:.4f}" in msg
        and str(path) in msg
    )
    assert not list((tmp_path / "out").glob("*.tif"))


def test_gdal_scale_and_offset_are_honoured(tmp_path):
    raw = np.full((20, 30), 600, "int16")
    path = write_small_raster(tmp_path / "soc_x10.tif", raw)
    with rasterio.open(path, "r+") as ds:
        ds.scales, ds.offsets = (0.1,), (0.0,)
    res = run(load_config(small(tmp_path, soc_stock={"path": str(path), "units": "t ha-1"})), out_dir=tmp_path / "o")
    soc = read_band(res.out_dir / "soc_t0.tif")
    np.testing.assert_allclose(soc[np.isfinite(soc)], 60.0, rtol=1e-6)
    rep = (res.out_dir / "alignment_report.json").read_text()
    assert "GDAL scale/offset" in rep
    cfg = load_config(small(tmp_path, soc_stock={"path": str(path), "units": "t ha-1", "scale": 0.1}))
    with pytest.raises(InputError, match="scaled twice"):
        run(cfg, out_dir=tmp_path / "o2")


@pytest.mark.parametrize("bands", [13, 1])
def test_a_monthly_layer_needs_12_bands(tmp_path, bands):
    path = write_small_raster(tmp_path / "t.tif", np.full((bands, 20, 30), 10.0, "float32"))
    cfg = load_config(small(tmp_path, ("mat",), temperature={"path": str(path), "units": "degC"}))
    with pytest.raises(InputError, match=f"has {bands} band\\(s\\); a monthly layer needs 12"):
        run(cfg, out_dir=tmp_path / "out")


def test_valid_odd_rasters_work(tmp_path):
    # one pixel covering the whole region
    one = write(tmp_path / "one.tif", np.array([[60.0]], "float32"), from_origin(20.9, 42.0, 1.0, 1.0))
    res = run(load_config(small(tmp_path, soc_stock={"path": str(one), "units": "t ha-1"})), out_dir=tmp_path / "a")
    assert np.nanmean(read_band(res.out_dir / "soc_t0.tif")) == pytest.approx(60.0)
    # south-up: rows run northward; the value grows with the row, so with latitude
    rows = np.repeat(np.arange(100, dtype="float32")[:, None], 50, axis=1)
    south_up = write(tmp_path / "south_up.tif", 20 + rows, Affine(0.01, 0, 20.8, 0, 0.01, 41.2))
    res = run(
        load_config(small(tmp_path, soc_stock={"path": str(south_up), "units": "t ha-1"})), out_dir=tmp_path / "b"
    )
    soc = read_band(res.out_dir / "soc_t0.tif")
    assert np.nanmean(soc[:3]) > np.nanmean(soc[-3:])  # north (top) is larger
    assert 20 + (41.73 - 41.2) / 0.01 - 1 <= np.nanmin(soc) and np.nanmax(soc) <= 20 + (41.9 - 41.2) / 0.01 + 1
    # a 0.5 degree climate grid over a region smaller than one of its cells
    coarse = write(tmp_path / "t.tif", np.full((12, 4, 4), 12.0, "float32"), from_origin(20.0, 43.0, 0.5, 0.5))
    res = run(
        load_config(small(tmp_path, ("mat",), temperature={"path": str(coarse), "units": "degC"})),
        out_dir=tmp_path / "c",
    )
    assert np.nanmean(read_band(res.out_dir / "mat.tif")) == pytest.approx(12.0)
    # projected in US survey feet
    crs = "+proj=utm +zone=34 +datum=WGS84 +units=us-ft +no_defs"
    feet = write(
        tmp_path / "feet.tif",
        np.full((120, 120), 55.0, "float32"),
        from_origin(1_640_000, 15_250_000, 1000, 1000),
        crs=rasterio.crs.CRS.from_proj4(crs),
    )
    res = run(load_config(small(tmp_path, soc_stock={"path": str(feet), "units": "t ha-1"})), out_dir=tmp_path / "d")
    assert np.nanmean(read_band(res.out_dir / "soc_t0.tif")) == pytest.approx(55.0)


def test_a_rotated_raster_is_refused(tmp_path):
    path = write(
        tmp_path / "rot.tif", np.full((40, 40), 55.0, "float32"), Affine(0.01, 0.002, 20.9, 0.002, -0.01, 42.0)
    )
    with pytest.raises(InputError, match="rotated geotransform: warp it first"):
        run(load_config(small(tmp_path, soc_stock={"path": str(path), "units": "t ha-1"})), out_dir=tmp_path / "o")


@pytest.mark.parametrize(
    "layer, units, values, match",
    [
        ("organic_carbon", "g kg-1", 2.5, "10 times too small"),
        ("coarse_fragments", "%", 0.12, "look like a fraction"),
        ("clay", "%", 0.23, "look like a fraction"),
    ],
)
def test_unit_mistakes_of_the_layers_soc_stock_is_derived_from(tmp_path, layer, units, values, match):
    data = values * (1 + 0.1 * np.random.default_rng(1).random((20, 30))).astype("float32")
    path = write_small_raster(tmp_path / f"{layer}.tif", data.astype("float32"))
    raw = demo_config_dict()
    raw["region"]["bbox"] = SMALL_BBOX
    raw["inputs"][layer] = {"path": str(path), "units": units}
    raw["outputs"] = {"products": ["mat"]}
    cfg = load_config(dump_config(raw, tmp_path / "r.yaml"))
    with pytest.raises(InputError, match=match) as err:
        run(cfg, out_dir=tmp_path / "out")
    assert f"inputs.{layer}.plausibility: false" in str(err.value)
    raw["inputs"][layer]["plausibility"] = False  # the values are right: the user says so
    run(load_config(dump_config(raw, tmp_path / "r.yaml")), out_dir=tmp_path / "out")


def test_a_self_intersecting_boundary_keeps_both_lobes(tmp_path, caplog):
    import json

    bow = {
        "type": "Polygon",
        "coordinates": [[[21.0, 41.75], [21.25, 41.9], [21.25, 41.75], [21.0, 41.9], [21.0, 41.75]]],
    }
    fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": bow}]}
    b = tmp_path / "bow.geojson"
    b.write_text(json.dumps(fc))
    raw = demo_config_dict()
    raw["region"] = {"name": "bow", "iso3": "MKD", "boundary": {"path": str(b)}}
    raw["outputs"] = {"products": ["soc_t0"]}
    with caplog.at_level("WARNING", logger="scsmap"):
        res = run(load_config(dump_config(raw, tmp_path / "r.yaml")), out_dir=tmp_path / "out")
    assert any("make_valid" in r.message and "before" in r.message for r in caplog.records)
    soc = read_band(res.out_dir / "soc_t0.tif")
    ny, nx = soc.shape
    assert (
        np.isfinite(soc[ny // 2 - 3 : ny // 2 + 3, 2]).any() and np.isfinite(soc[ny // 2 - 3 : ny // 2 + 3, -3]).any()
    )


# --------------------------------------------------------------------------- exit codes and noise


def test_native_stderr_noise_is_kept_from_the_user():
    code = (
        "import os, sys\n"
        "from scsmap.cli.common import native_stderr_captured\n"
        "with native_stderr_captured():\n"
        "    os.write(2, b'_tiffWriteProc: No space left on device.\\n' * 50)\n"
        "    print('error: the message the user needs', file=sys.stderr)\n"
    )
    err = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stderr
    assert err == "error: the message the user needs\n"
