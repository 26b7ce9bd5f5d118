"""`scsmap validate` predicts the run: every config and input problem at once, then "will make N products;
will skip M: reason x count", and warnings for skipped headline products and unused inputs."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import SHARED, needs_shared
from helpers import demo_config_dict, dump_config

from scsmap.cli import main
from scsmap.config import load_config
from scsmap.pipeline.plan import predict


def invoke(*args):
    try:
        runner = CliRunner(mix_stderr=False)
    except TypeError:  # click >= 8.2 keeps stderr apart
        runner = CliRunner()
    return runner.invoke(main, [str(a) for a in args])


def _write(tmp_path, edit, name="v"):
    raw = demo_config_dict()
    edit(raw)
    return dump_config(raw, tmp_path / f"{name}.yaml")


def test_prediction_is_what_the_run_makes(demo_outputs, tmp_path):
    """From the config alone and from the files, the prediction is the demo run's own product list."""
    manifest = json.loads((demo_outputs / "manifest.json").read_text())
    cfg = load_config(_write(tmp_path, lambda raw: None))
    written = manifest["summary"]["products_written"]
    dry, read = predict(cfg), predict(cfg, read_inputs=True)
    assert dry.products == read.products == written
    assert dry.skipped == read.skipped == manifest["skipped_products"]
    assert not dry.warnings and not read.warnings


def test_lst_day_without_lst_night_warns_and_counts_the_skipped(tmp_path):
    cfg = _write(tmp_path, lambda raw: raw["inputs"].pop("lst_night"))
    result = invoke("validate", cfg)
    assert result.exit_code == 0, result.output
    assert "valid" in result.stdout and "will make" in result.stdout
    skipped = predict(load_config(cfg)).skipped
    lst = [why for why in skipped.values() if "lst_day" in why]
    assert len(lst) > 50, "most products need a temperature"
    assert f"{len(lst)} x no `temperature` layer" in result.stdout
    assert f"will skip {len(skipped)}:" in result.stdout
    assert "inputs.lst_day is given but no product will use it" in result.stderr
    assert "`lst_night`" in result.stderr
    assert "no RothC/GSOCseq scenarios" in result.stderr and "no practice potentials" in result.stderr
    assert "no SOC stock" not in result.stderr


def test_no_soc_stock_is_a_headline_warning(tmp_path):
    def edit(raw):
        raw["inputs"].pop("soc_stock")

    result = invoke("validate", _write(tmp_path, edit))
    assert result.exit_code == 0, result.output
    assert "warning: no SOC stock at T0 (soc_t0)" in result.stderr


def test_inputs_lists_the_problems_of_every_layer_at_once(tmp_path):
    def edit(raw):
        raw["inputs"]["lst_day"]["units"] = "degC"  # kelvin values: out of range
        raw["inputs"]["clay"]["units"] = "fraction"  # % values x 100: out of range

    result = invoke("validate", "--inputs", _write(tmp_path, edit))
    assert result.exit_code == 2, result.output
    assert "2 input layers have problems" in result.stderr
    assert "'lst_day'" in result.stderr and "'clay'" in result.stderr
    assert result.stderr.count("hint:") >= 2


def test_table_that_cannot_be_read_is_reported_by_validate(tmp_path):
    def edit(raw):
        raw.setdefault("tables", {})["practice_costs"] = str(tmp_path / "missing.csv")

    result = invoke("validate", _write(tmp_path, edit))
    assert result.exit_code == 2 and "missing.csv" in result.stderr


@needs_shared
@pytest.mark.shared
def test_inputs_warns_of_land_cover_codes_outside_the_legend(tmp_path):
    def edit(raw):
        raw["inputs"]["land_cover"] = {
            "path": str(SHARED / "data" / "mkd" / "landcover" / "globcover2009_wgs84_300m.tif"),
            "units": "class",
        }

    result = invoke("validate", "--inputs", _write(tmp_path, edit))
    assert result.exit_code == 0, result.output
    assert "land_cover: codes" in result.stderr and "globcover2009" in result.stderr


def test_one_band_annual_file_with_monthly_bands_is_named_as_annual(tmp_path):
    """Twelve bands asked of a one-band file: the message says it is annual, not 'band 2 requested'."""
    import numpy as np
    from helpers import SMALL_SHAPE, write_small_raster

    annual = write_small_raster(tmp_path / "prec_annual.tif", np.full(SMALL_SHAPE, 700, "float32"))

    def edit(raw):
        raw["inputs"]["precipitation"] = {"path": str(annual), "units": "mm", "bands": list(range(1, 13))}

    result = invoke("validate", "--inputs", _write(tmp_path, edit))
    assert result.exit_code == 2, result.output
    assert "annual file" in result.stderr and "12 values" in result.stderr
    assert "band 2 requested" not in result.stderr
