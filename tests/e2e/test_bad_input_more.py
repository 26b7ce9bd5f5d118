"""More bad inputs (issue 6): CRSs PROJ cannot transform, NaN/inf, fractions outside 0-100 %, SOC stock
units that only a plausibility check catches, class codes that would wrap in uint8, and the CLI view
of them all (message, exit status 2, no traceback, previous outputs untouched).

Same conventions as test_bad_input.py: each failing run goes into a copy of a good run's outputs
with overwrite=True, and the copy must stay byte-identical.
"""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from helpers import (
    SAMPLE,
    SMALL_BBOX,
    SMALL_SHAPE,
    assert_untouched,
    copy_outputs,
    demo_config_dict,
    dump_config,
    rewrite_sample,
    run_into,
    snapshot,
    write_small_raster,
)

from scsmap.config import load_config
from scsmap.errors import InputError, OutputError, ScsmapError
from scsmap.pipeline import run

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

LOCAL_CS = 'LOCAL_CS["site grid",UNIT["metre",1]]'


@pytest.fixture(scope="module")
def good_small(tmp_path_factory):
    """Outputs of a good run over the small window (soc_stock and clay only)."""
    return run_into(small_raw(), tmp_path_factory.mktemp("good_small"), "small")[1]


@pytest.fixture
def prev(good_small, tmp_path):
    out = copy_outputs(good_small, tmp_path / "out")
    return out, snapshot(out)


def small_raw() -> dict:
    raw = demo_config_dict()
    raw["inputs"] = {k: v for k, v in raw["inputs"].items() if k in ("soc_stock", "clay")}
    raw["region"]["bbox"] = SMALL_BBOX
    return raw


def fails(raw: dict, tmp_path, prev, kind=ScsmapError) -> str:
    out, before = prev
    cfg_path = dump_config(raw, tmp_path / "bad.yaml")
    with pytest.raises(ScsmapError) as info:
        run(load_config(cfg_path), out_dir=out, overwrite=True)
    assert isinstance(info.value, kind), f"{type(info.value).__name__}: {info.value}"
    assert_untouched(out, before)
    return str(info.value)


def grid(values) -> np.ndarray:
    return np.broadcast_to(np.asarray(values, dtype="float32"), SMALL_SHAPE).copy()


def soc(tmp_path, data, name="soc.tif", **kw):
    return {"path": str(write_small_raster(tmp_path / name, data, **kw)), "units": "t ha-1"}


# --------------------------------------------------------------------------- CRS


@pytest.mark.parametrize("where", ["file", "config"])
def test_crs_that_cannot_be_transformed(tmp_path, prev, where):
    raw = small_raw()
    if where == "file":
        raw["inputs"]["soc_stock"] = soc(tmp_path, grid(50), crs=LOCAL_CS)
    else:
        raw["inputs"]["soc_stock"] = {**soc(tmp_path, grid(50), crs=None), "crs": LOCAL_CS}
    msg = fails(raw, tmp_path, prev, InputError)
    assert "'soc_stock'" in msg and str(tmp_path / "soc.tif") in msg
    assert "cannot be transformed" in msg
    assert "inputs.soc_stock.crs" in msg and "gdalwarp" in msg
    assert ("inputs.soc_stock.crs" in msg.split("hint")[0]) == (where == "config")


def test_crs_string_proj_does_not_know(tmp_path, prev):
    raw = small_raw()
    raw["inputs"]["soc_stock"] = {**soc(tmp_path, grid(50), crs=None), "crs": "EPSG:999999"}
    msg = fails(raw, tmp_path, prev, InputError)
    assert "inputs.soc_stock.crs" in msg and "'EPSG:999999'" in msg and "EPSG code" in msg


# --------------------------------------------------------------------------- NaN / inf


def test_infinite_values_are_refused(tmp_path, prev):
    data = grid(50)
    data[3, 4] = np.inf
    data[7, 8] = -np.inf
    raw = small_raw()
    raw["inputs"]["soc_stock"] = soc(tmp_path, data)
    msg = fails(raw, tmp_path, prev, InputError)
    assert "'soc_stock'" in msg and str(tmp_path / "soc.tif") in msg and "infinite" in msg
    assert "inputs.soc_stock.nodata" in msg


def test_float32_overflow_of_scale_is_refused(tmp_path, prev):
    raw = small_raw()
    raw["inputs"]["soc_stock"] = {**soc(tmp_path, grid(3e30)), "scale": 1e10}
    msg = fails(raw, tmp_path, prev, InputError)
    assert "infinite" in msg and "inputs.soc_stock.scale" in msg


def test_infinite_value_found_while_computing(tmp_path):
    """A value the decimated preflight cannot see: the dask path refuses it at compute time."""
    from scsmap.config import InputConfig
    from scsmap.io.read import open_layer

    data = grid(50)
    data[19, 29] = np.inf
    path = write_small_raster(tmp_path / "soc_inf.tif", data)
    arr, _ = open_layer("soc_stock", InputConfig(path=path, units="t ha-1"), chunk_size=8)
    with pytest.raises(InputError) as info:
        arr.compute()
    assert str(path) in str(info.value) and "infinite" in str(info.value)
    ok, _ = open_layer("soc_stock", InputConfig(path=path, units="t ha-1", nodata=float("inf")), chunk_size=8)
    assert np.isnan(ok.values[0, 19, 29]) and np.nanmax(ok.values) == 50


@pytest.mark.parametrize("nodata", [None, float("nan")])
def test_all_nan_layer(tmp_path, prev, nodata):
    raw = small_raw()
    raw["inputs"]["soc_stock"] = soc(tmp_path, grid(np.nan), nodata=nodata)
    msg = fails(raw, tmp_path, prev, InputError)
    assert "'soc_stock'" in msg and "no valid pixel" in msg and "inputs.soc_stock.nodata" in msg


def test_nan_pixels_are_nodata(tmp_path):
    """NaN inside a float layer is missing data (GDAL's convention), not an error: the pixel stays empty."""
    from scsmap.io.read import read_band

    data = grid(50)
    data[0, :] = np.nan
    raw = small_raw()
    raw["inputs"] = {"soc_stock": soc(tmp_path, data)}
    run(load_config(dump_config(raw, tmp_path / "nan.yaml")), out_dir=tmp_path / "out")
    soc_t0 = read_band(tmp_path / "out" / "soc_t0.tif")
    assert np.isnan(soc_t0[0]).all() and np.nanmin(soc_t0) == np.nanmax(soc_t0) == pytest.approx(50)


# --------------------------------------------------------------------------- fractions and units


@pytest.mark.parametrize("layer,value", [("clay", -5.0), ("clay", 120.0), ("sand", 101.0)])
def test_fraction_outside_0_100(tmp_path, prev, layer, value):
    data = grid(30)
    data[5:10, 5:10] = value
    raw = small_raw()
    raw["inputs"][layer] = {"path": str(write_small_raster(tmp_path / f"{layer}.tif", data)), "units": "%"}
    msg = fails(raw, tmp_path, prev, InputError)
    assert f"'{layer}'" in msg and str(tmp_path / f"{layer}.tif") in msg
    assert "0..100" in msg and f"{value:g}" in msg
    assert f"inputs.{layer}.units" in msg and "g kg-1" in msg


def test_soc_stock_in_kg_per_m2_declared_as_t_per_ha(tmp_path, prev):
    bad = rewrite_sample("MKD_OCS_RF_1km.tif", tmp_path / "soc_kg_m2.tif", lambda v: np.where(v > -1e30, v / 10, v))
    raw = demo_config_dict()
    raw["inputs"] = {"soc_stock": {**raw["inputs"]["soc_stock"], "path": str(bad)}}
    msg = fails(raw, tmp_path, prev, InputError)
    assert "'soc_stock'" in msg and str(bad) in msg
    assert "kg m-2" in msg and "g kg-1" in msg and "inputs.soc_stock.units" in msg
    # control: declared correctly, the same file passes and gives the sample's stocks back
    raw["inputs"]["soc_stock"]["units"] = "kg m-2"
    res = run(load_config(dump_config(raw, tmp_path / "ok.yaml")), out_dir=tmp_path / "ok")
    assert 50 < res.summary["soc_stock_mean_t_ha"] < 80


def test_soc_content_in_g_per_kg_declared_as_stock(tmp_path, prev):
    """A low SOC content map (g kg-1) handed over as a stock: refused by the same plausibility check."""
    content = np.linspace(2, 15, SMALL_SHAPE[0] * SMALL_SHAPE[1], dtype="float32").reshape(SMALL_SHAPE)
    raw = small_raw()
    raw["inputs"]["soc_stock"] = soc(tmp_path, content)
    msg = fails(raw, tmp_path, prev, InputError)
    assert "g kg-1" in msg and "inputs.organic_carbon" in msg


def test_air_temperature_in_kelvin_declared_as_degc(tmp_path, prev):
    monthly = np.stack([grid(270 + 2 * m) for m in range(12)])
    raw = small_raw()
    raw["inputs"]["temperature"] = {"path": str(write_small_raster(tmp_path / "t_k.tif", monthly)), "units": "degC"}
    msg = fails(raw, tmp_path, prev, InputError)
    assert "'temperature'" in msg and "-70..50" in msg and "inputs.temperature.units" in msg
    assert "K" in msg.split("accepted:")[1]


# --------------------------------------------------------------------------- integer class maps


def test_land_use_code_that_would_wrap_in_uint8(tmp_path, prev):
    data = np.full(SMALL_SHAPE, 2, dtype="uint16")
    data[0, 0] = 300  # uint8(300) would be 44: a valid-looking class
    raw = small_raw()
    raw["inputs"]["land_use"] = {"path": str(write_small_raster(tmp_path / "lu.tif", data)), "units": "class"}
    msg = fails(raw, tmp_path, prev, InputError)
    assert "'land_use'" in msg and "300" in msg and "0..254" in msg


def test_class_cast_never_wraps():
    from scsmap.io.write import class_codes

    ok = class_codes(np.array([[0, 13, np.nan, 254]], dtype="float32"), 255, "uint8", "land_use")
    assert ok.tolist() == [[0, 13, 255, 254]] and ok.dtype == np.uint8
    for bad in (300.0, 255.0, -1.0, 2.5):
        with pytest.raises(OutputError) as info:
            class_codes(np.array([[1.0, bad]], dtype="float32"), 255, "uint8", "land_use")
        assert "'land_use'" in str(info.value) and f"{bad:g}" in str(info.value).replace(".0]", "]")


# --------------------------------------------------------------------------- the CLI view


def _cli_cases(tmp_path):
    data = grid(50)
    data[1, 1] = np.inf
    cases = {
        "missing file": (
            {"soc_stock": {"path": str(tmp_path / "nope.tif"), "units": "t ha-1"}},
            ["nope.tif", "inputs.soc_stock.path"],
        ),
        "untransformable CRS": (
            {"soc_stock": soc(tmp_path, grid(50), "local.tif", crs=LOCAL_CS)},
            ["local.tif", "cannot be transformed", "inputs.soc_stock.crs"],
        ),
        "inf": ({"soc_stock": soc(tmp_path, data, "inf.tif")}, ["inf.tif", "infinite"]),
        "clay over 100": (
            {"clay": {"path": str(write_small_raster(tmp_path / "c.tif", grid(130))), "units": "%"}},
            ["c.tif", "0..100", "inputs.clay.units"],
        ),
        "truncated": (
            {"soc_stock": {"path": str(tmp_path / "trunc.tif"), "units": "t ha-1"}},
            ["trunc.tif", "corrupt"],
        ),
    }
    blob = (SAMPLE / "MKD_OCS_RF_1km.tif").read_bytes()
    (tmp_path / "trunc.tif").write_bytes(blob[: len(blob) // 3])
    return cases


def test_cli_bad_inputs_exit_2_without_traceback(tmp_path, good_small):
    from scsmap.cli import main

    for name, (inputs, needles) in _cli_cases(tmp_path).items():
        out = copy_outputs(good_small, tmp_path / f"out_{name.replace(' ', '_')}")
        before = snapshot(out)
        raw = small_raw()
        raw["inputs"].update(inputs)
        cfg = dump_config(raw, tmp_path / f"{name.replace(' ', '_')}.yaml")
        result = CliRunner().invoke(main, ["run", str(cfg), "--out", str(out), "--overwrite", "-q"])
        text = result.output  # click >= 8.2: stdout and stderr as a terminal shows them
        assert result.exit_code == 2, f"{name}: exit {result.exit_code}\n{text}"
        assert "Traceback" not in text, f"{name}: traceback shown\n{text}"
        assert text.startswith("error:"), f"{name}: no error line\n{text}"
        for needle in needles:
            assert needle in text, f"{name}: {needle!r} not in\n{text}"
        assert_untouched(out, before)


def test_cli_disk_full_exit_2_without_traceback(tmp_path, good_small, monkeypatch):
    import errno

    import scsmap.pipeline.commit as pipeline
    from scsmap.cli import main

    def full(*a, **kw):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pipeline, "to_cog", full)
    out = copy_outputs(good_small, tmp_path / "out")
    before = snapshot(out)
    raw = small_raw()
    raw["parameters"] = {"rate_4p1000": 0.005}
    result = CliRunner().invoke(
        main, ["run", str(dump_config(raw, tmp_path / "r.yaml")), "--out", str(out), "--overwrite", "-q"]
    )
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "no space left" in result.output and "--out" in result.output
    assert_untouched(out, before)
