"""Units through pint: any spelling of the layer's dimension is converted, a wrong dimension is refused.

Oracles are hand calculations from the definitions of the units (SI; 1 t = 1000 kg, 1 ha = 10^4 m2,
0 degC = 273.15 K, degF = 9/5 degC + 32; slope percent = 100 tan(angle)), never the code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml
from conftest import SAMPLE

from scsmap.config import LAYERS, InputConfig, load_config
from scsmap.config.units import UnitsError, conversion
from scsmap.errors import ConfigError
from scsmap.io.read import _to_canonical


@pytest.mark.parametrize(
    "layer, unit, raw, canonical",
    [
        ("soc_stock", "t ha-1", 50.0, 50.0),
        ("soc_stock", "t/ha", 50.0, 50.0),
        ("soc_stock", "Mg ha-1", 50.0, 50.0),
        ("soc_stock", "Mg/ha", 50.0, 50.0),
        ("soc_stock", "t C ha-1", 50.0, 50.0),  # carbon stated in the unit
        ("soc_stock", "kg m-2", 5.0, 50.0),  # 5 kg / 1 m2 = 5e4 kg / ha = 50 t / ha
        ("soc_stock", "kg/m^2", 5.0, 50.0),
        ("soc_stock", "g m-2", 5000.0, 50.0),
        ("organic_carbon", "%", 2.0, 2.0),
        ("organic_carbon", "percent", 2.0, 2.0),
        ("organic_carbon", "g/kg", 20.0, 2.0),  # 20 g / 1000 g = 2 %
        ("organic_carbon", "g kg-1", 20.0, 2.0),
        ("organic_carbon", "dg kg-1", 200.0, 2.0),  # SoilGrids soc: 200 dg/kg = 20 g/kg
        ("organic_carbon", "permille", 20.0, 2.0),
        ("organic_carbon", "fraction", 0.02, 2.0),
        ("bulk_density", "kg m-3", 1350.0, 1.35),
        ("bulk_density", "cg cm-3", 135.0, 1.35),  # SoilGrids bdod
        ("bulk_density", "t m-3", 1.35, 1.35),
        ("coarse_fragments", "cm3 dm-3", 150.0, 15.0),  # SoilGrids cfvo: 150 cm3 / 1000 cm3
        ("clay_activity", "%", 40.0, 0.4),
        ("precipitation", "mm month-1", 80.0, 80.0),
        ("precipitation", "mm/month", 80.0, 80.0),
        ("precipitation", "mm", 80.0, 80.0),  # a band total of one month
        ("precipitation", "cm month-1", 8.0, 80.0),
        ("precipitation", "kg m-2 month-1", 80.0, 80.0),  # 80 kg water / m2 = 0.08 m3 / m2 = 80 mm
        ("precipitation", "kg m-2", 80.0, 80.0),
        ("pet", "m month-1", 0.08, 80.0),
        ("temperature", "degC", 12.5, 12.5),
        ("temperature", "°C", 12.5, 12.5),
        ("temperature", "K", 285.65, 12.5),
        ("temperature", "degF", 54.5, 12.5),  # (54.5 - 32) * 5/9
        ("lst_day", "kelvin", 273.15, 0.0),
        ("frost_days", "d yr-1", 40.0, 40.0),
        ("frost_days", "days", 40.0, 40.0),
        ("elevation", "km", 1.2, 1200.0),
        ("elevation", "ft", 1000.0, 304.8),
        ("slope", "%", 12.0, 12.0),
        ("slope", "fraction", 0.12, 12.0),  # rise / run
        ("slope", "degree", 45.0, 100.0),  # 100 tan(45 degrees)
        ("slope", "rad", math.pi / 4, 100.0),
        ("slope", "grad", 50.0, 100.0),  # 50 grad = 45 degrees
        ("land_cover", "class", 130.0, 130.0),
    ],
)
def test_conversion_to_the_canonical_unit(layer, unit, raw, canonical):
    spec = InputConfig(path="x.tif", units=unit)
    got = _to_canonical(np.array([raw], dtype="float32"), np.dtype("float32"), None, spec, layer)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, [canonical], rtol=2e-6, atol=2e-5)


def test_float32_arithmetic_of_the_project_spellings_is_unchanged():
    """The factors of the spellings the shipped configs use are exact decimals, as the hand-made table had."""
    assert (conversion("lst_day", "K").factor, conversion("lst_day", "K").shift) == (1.0, -273.15)
    assert conversion("clay", "g kg-1").factor == 0.1
    assert conversion("soc_stock", "kg m-2").factor == 10.0
    assert conversion("bulk_density", "kg m-3").factor == 0.001


@pytest.mark.parametrize(
    "layer, unit, words",
    [
        ("soc_stock", "kg m-3", ["[mass] / [length] ** 3", "[mass] / [length] ** 2", "t ha-1"]),
        ("soc_stock", "tons", ["[mass]", "t ha-1"]),
        ("clay", "g cm-3", ["[mass] / [length] ** 3", "dimensionless", "%"]),
        ("clay", "degree", ["angle", "clay"]),
        ("temperature", "mm", ["[length]", "[temperature]", "degC", "K"]),
        ("temperature", "C", ["coulomb", "degC"]),
        ("precipitation", "mm/day", ["per day", "28 to 31 days", "mm month-1"]),
        ("precipitation", "degC", ["[temperature]", "[length] / [time]"]),
        ("land_cover", "%", ["class"]),
        ("clay", "class", ["clay"]),
        ("soc_stock", "t ha-", ["not a unit", "t ha-1"]),
        ("soc_stock", " ", ["no unit"]),
    ],
)
def test_wrong_dimension_is_refused_with_the_expected_one(layer, unit, words):
    with pytest.raises(UnitsError) as info:
        conversion(layer, unit)
    for w in words:
        assert w in str(info.value), (w, str(info.value))


def test_every_listed_example_converts():
    for name, spec in LAYERS.items():
        assert spec.units[0] == spec.unit, name
        for unit in spec.units:
            conversion(name, unit)


def test_config_lists_every_unit_problem_at_once(tmp_path):
    raw = {
        "region": {"name": "x", "iso3": "MKD", "bbox": [20.5, 41.0, 21.0, 41.5]},
        "inputs": {
            "soc_stock": {"path": str(SAMPLE / "MKD_OCS_RF_1km.tif"), "units": "kg m-3"},
            "clay": {"path": str(SAMPLE / "clay_0_30_QRF_1km.tif"), "units": "percent"},  # fine
            "precipitation": {"path": str(SAMPLE / "chelsa12_prec_monthly_1km.tif"), "units": "mm/day"},
        },
    }
    p = tmp_path / "r.yaml"
    p.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError) as info:
        load_config(p)
    problems = info.value.problems
    assert any(q.startswith("inputs.soc_stock.units:") and "[mass] / [length] ** 2" in q for q in problems)
    assert any(q.startswith("inputs.precipitation.units:") and "per day" in q for q in problems)
    assert not any("inputs.clay" in q for q in problems)


def test_new_spellings_read_the_sample_like_the_canonical_ones(tmp_path):
    """`t/ha`, `percent`, `mm/month` read the demo files to the same values as `t ha-1`, `%`, `mm month-1`."""
    from scsmap.inputs.align import assemble_inputs

    def aligned(units: dict) -> dict:
        raw = {
            "region": {"name": "x", "iso3": "MKD", "boundary": {"path": str(SAMPLE / "ne10m_admin0_MKD.geojson")}},
            "inputs": {
                "soc_stock": {
                    "path": str(SAMPLE / "MKD_OCS_RF_1km.tif"),
                    "units": units["soc_stock"],
                    "nodata": -3.4e38,
                },
                "clay": {"path": str(SAMPLE / "clay_0_30_QRF_1km.tif"), "units": units["clay"], "crs": "EPSG:4326"},
                "precipitation": {
                    "path": str(SAMPLE / "chelsa12_prec_monthly_1km.tif"),
                    "units": units["precipitation"],
                    "nodata": -99999,
                },
            },
        }
        p = tmp_path / f"{units['clay']}.yaml"
        p.write_text(yaml.safe_dump(raw))
        inputs = assemble_inputs(load_config(p))
        return {k: v.isel({v.dims[0]: 0}).values if v.ndim == 3 else v.values for k, v in inputs.layers.items()}

    a = aligned({"soc_stock": "t ha-1", "clay": "%", "precipitation": "mm month-1"})
    b = aligned({"soc_stock": "t/ha", "clay": "percent", "precipitation": "mm/month"})
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
        assert np.isfinite(a[k]).any()
