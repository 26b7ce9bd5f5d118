"""Bad inputs: every mistake a user can make is refused with a clear ScsmapError and writes nothing.

Each case checks (a) the error is a :class:`scsmap.errors.ScsmapError` subclass raised from
:func:`scsmap.config.load_config` or :func:`scsmap.pipeline.run`, (b) its message names the file,
layer or config field and gives a hint, and (c) an output directory holding the files of an
earlier good run is left byte-identical, with no new file and no ``.staging-*`` directory.
Failing runs are made with ``overwrite=True`` so that the existing-outputs guard cannot be what
protects the previous outputs.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import numpy as np
import pytest
from helpers import (
    SAMPLE,
    SMALL_BBOX,
    SMALL_SHAPE,
    assert_untouched,
    copy_outputs,
    demo_config_dict,
    dump_config,
    rewrite_sample,
    snapshot,
    write_small_raster,
)

from scsmap.config import LAYERS, load_config
from scsmap.errors import ConfigError, InputError, OutputError, ScsmapError
from scsmap.pipeline import run

# odc-geo / rioxarray / rasterio warn about affine `*` on every call; keep the report readable
pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

# --------------------------------------------------------------------------- fixtures and helpers


@pytest.fixture(scope="module")
def good_output(tmp_path_factory) -> Path:
    """Outputs of one good demo run (made once per module; copy before use)."""
    base = tmp_path_factory.mktemp("good_run")
    cfg = load_config(dump_config(demo_config_dict(), base / "demo.yaml"))
    out = base / "out"
    run(cfg, out_dir=out)
    assert (out / "manifest.json").is_file() and (out / "soc_t0.tif").is_file()
    return out


@pytest.fixture
def prev_out(good_output, tmp_path) -> tuple[Path, dict[str, str]]:
    """A private copy of the good outputs and its snapshot (relative path -> sha256)."""
    out = copy_outputs(good_output, tmp_path / "out")
    return out, snapshot(out)


def expect_error(fn, kind: type[ScsmapError] = ScsmapError) -> ScsmapError:
    """Call ``fn`` and return the ScsmapError it raises; fail clearly on anything else."""
    try:
        fn()
    except ScsmapError as exc:
        assert isinstance(exc, kind), f"expected {kind.__name__}, got {type(exc).__name__}: {exc}"
        return exc
    except Exception as exc:  # noqa: BLE001 - the point is to report it
        pytest.fail(f"expected a {kind.__name__} (ScsmapError) but got a raw {type(exc).__name__}: {exc}")
    pytest.fail(f"expected a {kind.__name__}, but nothing was raised")


def run_fails(raw: dict, tmp_path: Path, prev_out, kind: type[ScsmapError] = ScsmapError) -> str:
    """Load + run ``raw`` into the previous outputs with overwrite=True; expect ``kind``; check nothing changed."""
    out, before = prev_out
    cfg_path = dump_config(raw, tmp_path / "region.yaml")
    exc = expect_error(lambda: run(load_config(cfg_path), out_dir=out, overwrite=True), kind)
    assert_untouched(out, before)
    return str(exc)


def only_layers(raw: dict, *layers: str, bbox: list[float] | None = None) -> dict:
    """Trim the demo config to some input layers (and optionally a small bbox): a faster run."""
    raw["inputs"] = {k: v for k, v in raw["inputs"].items() if k in layers}
    if bbox is not None:
        raw["region"]["bbox"] = bbox
    return raw


def small_soc(fill: float | None = None) -> np.ndarray:
    """A 20 x 30 SOC stock array in t ha-1 (40..80), or full of ``fill``."""
    if fill is not None:
        return np.full(SMALL_SHAPE, fill, dtype="float32")
    rows, cols = np.mgrid[0 : SMALL_SHAPE[0], 0 : SMALL_SHAPE[1]]
    return (40 + 40 * (rows * SMALL_SHAPE[1] + cols) / (SMALL_SHAPE[0] * SMALL_SHAPE[1])).astype("float32")


# --------------------------------------------------------------------------- files


def test_missing_input_file(demo_raw, tmp_path, prev_out):
    demo_raw["inputs"]["soc_stock"]["path"] = "MKD_OCS_missing.tif"
    msg = run_fails(demo_raw, tmp_path, prev_out, ConfigError)
    assert "inputs.soc_stock.path" in msg
    assert str(SAMPLE / "MKD_OCS_missing.tif") in msg, "the message must show the (resolved) path that was tried"
    # hint: a relative path was resolved against data_dir; say so, so the user knows where it looked
    assert "data_dir" in msg, f"no hint on how relative paths are resolved:\n{msg}"


@pytest.mark.parametrize("keep", ["half", "header"])
def test_corrupt_truncated_geotiff(demo_raw, tmp_path, prev_out, keep):
    blob = (SAMPLE / "MKD_OCS_RF_1km.tif").read_bytes()
    bad = tmp_path / "soc_truncated.tif"
    bad.write_bytes(blob[: len(blob) // 2] if keep == "half" else blob[:64])
    demo_raw["inputs"]["soc_stock"]["path"] = str(bad)
    msg = run_fails(demo_raw, tmp_path, prev_out, InputError)
    assert "soc_stock" in msg
    assert str(bad) in msg
    assert re.search(r"corrupt|truncated", msg), f"no hint that the file is damaged:\n{msg}"


def test_raster_without_crs_is_refused(demo_raw, tmp_path, prev_out):
    bad = write_small_raster(tmp_path / "soc_nocrs.tif", small_soc(), crs=None, nodata=-9999)
    demo_raw["inputs"]["soc_stock"] = {"path": str(bad), "units": "t ha-1"}
    msg = run_fails(demo_raw, tmp_path, prev_out, InputError)
    assert "soc_stock" in msg
    assert str(bad) in msg
    assert "no CRS" in msg
    assert "inputs.soc_stock.crs" in msg


def test_raster_without_crs_works_when_crs_is_set(demo_raw, tmp_path):
    bad = write_small_raster(tmp_path / "soc_nocrs.tif", small_soc(), crs=None, nodata=-9999)
    only_layers(demo_raw, bbox=SMALL_BBOX)  # just this layer, region clipped to it: a fast run
    demo_raw["inputs"]["soc_stock"] = {"path": str(bad), "units": "t ha-1", "crs": "EPSG:4326"}
    result = run(load_config(dump_config(demo_raw, tmp_path / "region.yaml")), out_dir=tmp_path / "out")
    assert "soc_t0" in result.summary["products_written"]
    assert 40 <= result.summary["soc_stock_mean_t_ha"] <= 80
    report = json.loads((tmp_path / "out" / "alignment_report.json").read_text())
    assert "assigned in config" in report["layers"]["soc_stock"]["crs"]


# --------------------------------------------------------------------------- units and ranges


def test_clay_in_g_per_kg_declared_as_percent(demo_raw, tmp_path, prev_out):
    bad = rewrite_sample("clay_0_30_QRF_1km.tif", tmp_path / "clay_g_kg.tif", lambda v: v * 10)
    demo_raw["inputs"]["clay"]["path"] = str(bad)  # still declared as "%"
    msg = run_fails(demo_raw, tmp_path, prev_out, InputError)
    assert "'clay'" in msg
    assert str(bad) in msg
    assert "0..100" in msg, "the message should show the physical range that was violated"
    assert "inputs.clay.units" in msg
    assert "g kg-1" in msg, "the hint should list the accepted units"


def test_clay_in_g_per_kg_declared_correctly_passes_the_check(demo_raw, tmp_path):
    """Control for the test above: the same file declared as g kg-1 is accepted."""
    from scsmap.inputs.align import assemble_inputs

    bad = rewrite_sample("clay_0_30_QRF_1km.tif", tmp_path / "clay_g_kg.tif", lambda v: v * 10)
    demo_raw["inputs"]["clay"].update(path=str(bad), units="g kg-1")
    cfg = load_config(dump_config(demo_raw, tmp_path / "region.yaml"))
    aligned = assemble_inputs(cfg, only=["clay"])
    pre = aligned.sources["clay"].preflight
    assert 0 <= pre["min"] and pre["max"] <= 100


def test_kelvin_lst_declared_as_degc(demo_raw, tmp_path, prev_out):
    demo_raw["inputs"]["lst_day"]["units"] = "degC"
    demo_raw["inputs"]["lst_night"]["units"] = "degC"
    msg = run_fails(demo_raw, tmp_path, prev_out, InputError)
    layer = re.search(r"layer '(lst_day|lst_night)'", msg)
    assert layer, f"the LST layer is not named:\n{msg}"
    assert f"inputs.{layer.group(1)}.units" in msg
    assert re.search(r"accepted: [^)]*\bK\b", msg), f"the hint should offer 'K':\n{msg}"


def test_unknown_units_string_lists_accepted_units(demo_raw, tmp_path, prev_out):
    demo_raw["inputs"]["soc_stock"]["units"] = "tons"
    msg = run_fails(demo_raw, tmp_path, prev_out, ConfigError)
    assert "soc_stock" in msg and "units" in msg
    assert "'tons'" in msg
    for unit in LAYERS["soc_stock"].units:
        assert unit in msg, f"accepted unit {unit!r} not listed:\n{msg}"


# --------------------------------------------------------------------------- extents and nodata


def _far_boundary(tmp_path: Path) -> Path:
    gj = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "far away"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[-60, -20], [-50, -20], [-50, -10], [-60, -10], [-60, -20]]],
                },
            }
        ],
    }
    p = tmp_path / "far_boundary.geojson"
    p.write_text(json.dumps(gj))
    return p


@pytest.mark.parametrize("how", ["bbox", "boundary"])
def test_region_outside_the_data(demo_raw, tmp_path, prev_out, how):
    region = demo_raw["region"]
    if how == "bbox":  # a South American bbox instead of the boundary
        region.pop("boundary")
        region["bbox"] = [-60, -20, -50, -10]
    else:  # a boundary file in South America
        region["boundary"] = {"path": str(_far_boundary(tmp_path))}
    msg = run_fails(demo_raw, tmp_path, prev_out, InputError)
    layer = re.search(r"layer '(\w+)'", msg)
    assert layer and layer.group(1) in demo_raw["inputs"], f"no input layer named:\n{msg}"
    assert "20.452" in msg and "23.034" in msg, f"the file's extent is not shown:\n{msg}"
    assert "-60.000" in msg and "-10.000" in msg, f"the region's extent is not shown:\n{msg}"
    assert "CRS" in msg  # hint: wrong file or wrong CRS


def test_bbox_not_overlapping_the_boundary(demo_raw, tmp_path, prev_out):
    """A South American bbox added to the demo config (which has the MKD boundary)."""
    demo_raw["region"]["bbox"] = [-60, -20, -50, -10]
    msg = run_fails(demo_raw, tmp_path, prev_out)
    assert "region.bbox" in msg
    assert "-60" in msg, f"the bbox is not shown:\n{msg}"
    assert re.search(r"\b2[0-3]\.\d", msg), f"the boundary's extent (lon 20.4..23.0) is not shown:\n{msg}"


@pytest.mark.parametrize("which", ["small", "sample_copy"])
def test_all_nodata_layer(demo_raw, tmp_path, prev_out, which):
    if which == "small":
        bad = write_small_raster(tmp_path / "soc_all_nodata.tif", small_soc(fill=-9999), nodata=-9999)
        demo_raw["inputs"]["soc_stock"] = {"path": str(bad), "units": "t ha-1"}
    else:  # the sample file, every pixel set to its nodata value (-3.4e38, declared in the demo config)
        bad = rewrite_sample(
            "MKD_OCS_RF_1km.tif", tmp_path / "soc_all_nodata.tif", lambda v: np.full_like(v, np.float32(-3.4e38))
        )
        demo_raw["inputs"]["soc_stock"]["path"] = str(bad)
    msg = run_fails(demo_raw, tmp_path, prev_out, InputError)
    assert "'soc_stock'" in msg
    assert str(bad) in msg
    assert "no valid pixel" in msg
    assert "inputs.soc_stock.nodata" in msg


# --------------------------------------------------------------------------- config mistakes


def test_unknown_key_suggests_the_right_one(demo_raw, tmp_path, prev_out):
    demo_raw["grid"] = {"resolutoin": 0.01}
    msg = run_fails(demo_raw, tmp_path, prev_out, ConfigError)
    assert "grid.resolutoin" in msg
    assert "did you mean 'resolution'" in msg


def test_unknown_layer_name_suggests_the_right_one(demo_raw, tmp_path, prev_out):
    demo_raw["inputs"]["soc_stok"] = demo_raw["inputs"].pop("soc_stock")
    msg = run_fails(demo_raw, tmp_path, prev_out, ConfigError)
    assert "'soc_stok'" in msg
    assert "did you mean 'soc_stock'" in msg


def test_unknown_practice_name_suggests_the_right_one(demo_raw, tmp_path, prev_out):
    demo_raw["practices"] = {"enabled": ["cover_crops", "no_til"]}
    msg = run_fails(demo_raw, tmp_path, prev_out, ConfigError)
    assert "practices.enabled" in msg
    assert "'no_til'" in msg
    assert "did you mean 'no_till'" in msg


def test_unknown_practice_product_suggests_the_right_one(demo_raw, tmp_path, prev_out):
    demo_raw["outputs"] = {"products": ["soc_t0", "rate_agroforestri"]}
    msg = run_fails(demo_raw, tmp_path, prev_out, ConfigError)
    assert "'rate_agroforestri'" in msg
    assert "did you mean 'rate_agroforestry'" in msg


def test_wrong_type_names_the_field(demo_raw, tmp_path, prev_out):
    demo_raw["grid"] = {"chunk_size": "big"}
    msg = run_fails(demo_raw, tmp_path, prev_out, ConfigError)
    assert "grid.chunk_size" in msg
    assert "'big'" in msg
    assert "integer" in msg


def test_several_errors_reported_at_once(demo_raw, tmp_path, prev_out):
    demo_raw["grid"] = {"resolutoin": 0.01, "chunk_size": "big"}
    demo_raw["inputs"]["soc_stok"] = demo_raw["inputs"].pop("soc_stock")
    demo_raw["outputs"] = {"overwrite": "maybe"}
    out, before = prev_out
    exc = expect_error(
        lambda: run(load_config(dump_config(demo_raw, tmp_path / "region.yaml")), out_dir=out, overwrite=True),
        ConfigError,
    )
    assert_untouched(out, before)
    msg = str(exc)
    for needle in ("grid.resolutoin", "grid.chunk_size", "'soc_stok'", "outputs.overwrite"):
        assert needle in msg, f"{needle!r} not reported:\n{msg}"
    assert len(exc.problems) >= 4


def test_unknown_layer_and_bad_units_reported_together(demo_raw, tmp_path, prev_out):
    """Two independent mistakes under ``inputs``: both must be reported in one go."""
    demo_raw["inputs"]["soc_stok"] = demo_raw["inputs"].pop("soc_stock")
    demo_raw["inputs"]["clay"]["units"] = "tons"
    msg = run_fails(demo_raw, tmp_path, prev_out, ConfigError)
    assert "'soc_stok'" in msg, msg
    assert "'tons'" in msg, f"the bad clay units are not reported next to the unknown layer:\n{msg}"


def test_schema_error_and_missing_file_reported_together(demo_raw, tmp_path, prev_out):
    """`scsmap validate` promises every problem at once: a typo must not hide a missing file."""
    demo_raw["grid"] = {"resolutoin": 0.01}
    demo_raw["inputs"]["clay"]["path"] = "clay_missing.tif"
    msg = run_fails(demo_raw, tmp_path, prev_out, ConfigError)
    assert "grid.resolutoin" in msg, msg
    assert "inputs.clay.path" in msg and "clay_missing.tif" in msg, (
        f"the missing file is not reported next to the schema error:\n{msg}"
    )


# --------------------------------------------------------------------------- land cover


def _land_cover_with_999(tmp_path: Path) -> Path:
    def put_999(v):
        v = v.astype("uint16")
        v[0, 90:100, 150:160] = 999  # a 10 x 10 block in the middle of the country
        return v

    return rewrite_sample("esacci_lc2010_1km.tif", tmp_path / "lc_with_999.tif", put_999, dtype="uint16")


def test_land_cover_code_missing_from_reclass_table(demo_raw, tmp_path):
    bad = _land_cover_with_999(tmp_path)
    only_layers(demo_raw, "land_cover")
    demo_raw["inputs"]["land_cover"]["path"] = str(bad)
    out = tmp_path / "fresh_out"
    cfg = load_config(dump_config(demo_raw, tmp_path / "region.yaml"))
    msg = str(expect_error(lambda: run(cfg, out_dir=out), InputError))
    assert "999" in msg
    assert "esa_cci_to_fao" in msg
    assert "tables.land_cover_reclass" in msg
    left = [p for p in out.rglob("*")] if out.exists() else []
    assert not left, f"a failed run into a fresh directory left files: {left}"


def test_compute_failure_leaves_previous_outputs(demo_raw, tmp_path, prev_out, monkeypatch):
    """The 999 code is only found while computing, after staging files were opened."""
    import scsmap.pipeline.compute as pipeline

    opened = []
    real_open_tiled = pipeline.open_tiled

    def spy(spec, *a, **kw):
        opened.append(spec.path)
        return real_open_tiled(spec, *a, **kw)

    monkeypatch.setattr(pipeline, "open_tiled", spy)
    demo_raw["inputs"]["land_cover"]["path"] = str(_land_cover_with_999(tmp_path))
    out, _ = prev_out
    msg = run_fails(demo_raw, tmp_path, prev_out, InputError)
    assert "999" in msg
    assert opened, "the run failed before writing anything: this test no longer exercises a compute failure"
    assert all(out in p.parents for p in opened)
    assert not any(p.exists() for p in opened)


# --------------------------------------------------------------------------- outputs


def test_existing_outputs_without_overwrite(demo_raw, tmp_path, prev_out):
    out, before = prev_out
    cfg = load_config(dump_config(demo_raw, tmp_path / "region.yaml"))
    msg = str(expect_error(lambda: run(cfg, out_dir=out, overwrite=False), OutputError))
    assert_untouched(out, before)
    assert str(out) in msg
    assert "soc_t0.tif" in msg
    assert "--overwrite" in msg and "outputs.overwrite" in msg


def test_existing_outputs_with_overwrite(demo_raw, tmp_path, prev_out):
    out, before = prev_out
    demo_raw["region"]["bbox"] = SMALL_BBOX  # a different (small, fast) run over the same file names
    cfg_path = dump_config(demo_raw, tmp_path / "region.yaml")
    result = run(load_config(cfg_path), out_dir=out, overwrite=True)
    after = snapshot(out)
    assert set(after) == set(before), "overwrite must replace the same files, leaving nothing else"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"] == str(cfg_path.resolve())
    assert manifest["summary"] == json.loads(json.dumps(result.summary))
    assert after["soc_t0.tif"] != before["soc_t0.tif"]


def test_output_directory_not_writable(demo_raw, tmp_path, prev_out):
    out, before = prev_out
    cfg = load_config(dump_config(demo_raw, tmp_path / "region.yaml"))
    mode = out.stat().st_mode
    out.chmod(0o500)
    try:
        if os.access(out, os.W_OK):
            pytest.skip("running as root: a 0o500 directory is still writable")
        msg = str(expect_error(lambda: run(cfg, out_dir=out, overwrite=True), OutputError))
    finally:
        out.chmod(stat.S_IMODE(mode))
    assert_untouched(out, before)
    assert str(out) in msg
    assert "not writable" in msg
    assert "--out" in msg


def test_output_path_is_a_file(demo_raw, tmp_path):
    """Works as root too: the output 'directory' is an existing regular file."""
    target = tmp_path / "not_a_dir"
    target.write_text("keep me\n")
    only_layers(demo_raw, "soc_stock", bbox=SMALL_BBOX)
    cfg = load_config(dump_config(demo_raw, tmp_path / "region.yaml"))
    for out in (target, target / "sub"):
        msg = str(expect_error(lambda: run(cfg, out_dir=out, overwrite=True), OutputError))
        assert str(out) in msg
        assert "--out" in msg
    assert target.read_text() == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not_a_dir", "region.yaml"]
