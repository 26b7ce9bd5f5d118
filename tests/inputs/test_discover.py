"""`scsmap init FOLDER`: a commented config guessed from a folder of rasters; validate passes on it or says what
is missing. Oracles: the documented conventions of each data set (SoilGrids mapped units, GSNmap units, the
12 monthly files) and the codes written into the synthetic files."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from conftest import SHARED, needs_shared
from helpers import SMALL_SHAPE, write_small_raster

from scsmap.cli import main
from scsmap.config import load_config
from scsmap.errors import InputError, OutputError
from scsmap.inputs.discover import init_config
from scsmap.pipeline.plan import predict


def _field(value: float) -> np.ndarray:
    rng = np.random.default_rng(1)
    return (value * (1 + 0.2 * rng.standard_normal(SMALL_SHAPE))).astype("float32")


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "my data"
    (d / "soil").mkdir(parents=True)
    (d / "climate").mkdir()
    write_small_raster(d / "soil" / "ocs_0-30cm_mean.tif", _field(60), nodata=-9999)  # SoilGrids, t ha-1
    write_small_raster(d / "soil" / "clay_0-5cm_mean.tif", _field(250), nodata=-9999)  # SoilGrids, g kg-1
    write_small_raster(d / "soil" / "clay_0-5cm_uncertainty.tif", _field(20), nodata=-9999)
    write_small_raster(d / "soil" / "silt.tif", _field(0.3), nodata=-9999)  # a fraction 0..1
    for m in range(1, 13):
        write_small_raster(d / "climate" / f"prec_{m:02d}.tif", _field(50 + m), nodata=-9999)
        write_small_raster(d / "climate" / f"wc2.1_30s_tavg_{m}.tif", _field(5 + m), nodata=-9999)
    write_small_raster(d / "climate" / "prec_annual.tif", _field(700), nodata=-9999)
    codes = np.where(np.arange(SMALL_SHAPE[1]) < 10, 10, np.where(np.arange(SMALL_SHAPE[1]) < 20, 61, 130))
    write_small_raster(d / "landcover.tif", np.broadcast_to(codes, SMALL_SHAPE).astype("uint8"), nodata=0)
    write_small_raster(d / "dem.tif", _field(800), nodata=-9999)
    (d / "notes.txt").write_text("not a raster")
    return d


def test_init_guesses_layers_units_patterns_and_legend(folder, tmp_path):
    res = init_config(folder, tmp_path / "cfg" / "region.yaml")
    raw = yaml.safe_load(res.text)
    ins = raw["inputs"]
    assert set(ins) == {"soc_stock", "clay", "silt", "precipitation", "temperature", "land_cover", "elevation"}
    assert ins["soc_stock"] == {"path": "soil/ocs_0-30cm_mean.tif", "units": "t ha-1"}
    assert ins["clay"]["units"] == "g kg-1"  # SoilGrids mapped units
    assert ins["silt"]["units"] == "fraction"
    assert ins["precipitation"]["path"] == "climate/prec_{month:02d}.tif"
    assert ins["temperature"]["path"] == "climate/wc2.1_30s_tavg_{month}.tif" and ins["temperature"]["units"] == "degC"
    assert ins["land_cover"]["legend"] == "esa_cci"  # codes 10, 61, 130 exist only in ESA CCI
    # unsure guesses are marked: the SoilGrids depth, the silt units, the legend from codes, the region
    clay_line = next(ln for ln in res.text.splitlines() if ln.strip().startswith("units:") and "g kg-1" in ln)
    assert "CHECK" in clay_line and "0-30 cm" in clay_line
    assert res.unsure >= 4 and res.text.count("CHECK") >= res.unsure
    assert raw["data_dir"] == "../my data"
    why = dict(res.unused)
    assert "uncertainty" in why["soil/clay_0-5cm_uncertainty.tif"]
    assert "12 monthly values" in why["climate/prec_annual.tif"]
    # the config loads, finds its files, and a run would make SOC stock
    cfg = load_config(res.path)
    assert "soc_t0" in predict(cfg).products


def test_init_never_replaces_a_file(folder, tmp_path):
    out = tmp_path / "region.yaml"
    out.write_text("mine")
    with pytest.raises(OutputError, match="exists"):
        init_config(folder, out)
    assert out.read_text() == "mine"
    init_config(folder, out, overwrite=True)
    assert out.read_text() != "mine"


def test_init_of_a_folder_without_rasters(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no raster"):
        init_config(tmp_path / "empty", tmp_path / "r.yaml")
    with pytest.raises(InputError, match="not a folder"):
        init_config(tmp_path / "nowhere", tmp_path / "r.yaml")


def test_init_command(folder, tmp_path):
    out = tmp_path / "r.yaml"
    result = CliRunner().invoke(main, ["init", str(folder), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert out.is_file() and "CHECK" in result.output and "scsmap validate" in result.output
    again = CliRunner().invoke(main, ["init", str(folder), "--out", str(out)])
    assert again.exit_code == 2 and "exists" in again.output


@needs_shared
@pytest.mark.shared
def test_init_on_bhutan_soil_validates_and_derives_soc(tmp_path):
    res = init_config(SHARED / "data" / "bhutan" / "soil", tmp_path / "btn.yaml")
    ins = yaml.safe_load(res.text)["inputs"]
    assert {k: v["units"] for k, v in ins.items()} == {
        "organic_carbon": "%",
        "bulk_density": "g cm-3",
        "coarse_fragments": "%",
        "clay": "%",
        "silt": "%",
        "sand": "%",
    }
    assert all("MEAN" in v["path"] for v in ins.values())
    pred = predict(load_config(res.path), read_inputs=True)
    assert "soc_t0" in pred.products and "saturation_deficit" in pred.products


@needs_shared
@pytest.mark.shared
def test_init_on_mkd_finds_monthly_climate_boundary_and_legend(tmp_path):
    res = init_config(SHARED / "data" / "mkd", tmp_path / "mkd.yaml")
    raw = yaml.safe_load(res.text)
    ins = raw["inputs"]
    assert raw["region"]["iso3"] == "MKD" and raw["region"]["boundary"]["path"] == "boundary/MKD_un_bnda.shp"
    assert raw["region"]["name"] == "MKD"  # the folder's name is the ISO3 code
    assert ins["precipitation"]["path"] == "climate/chelsa12_prec_m{month:02d}_1km.tif"
    assert ins["lst_day"]["units"] == ins["lst_night"]["units"] == "K"
    assert ins["land_cover"]["legend"] in ("globcover2009", "esa_cci")
    assert ("globcover" in ins["land_cover"]["path"]) == (ins["land_cover"]["legend"] == "globcover2009")
    pred = predict(load_config(res.path), read_inputs=True)
    assert {"soc_t0", "soc_final_bau", "rate_best"} <= set(pred.products)
    assert not [w for w in pred.warnings if "land_cover" in w]
