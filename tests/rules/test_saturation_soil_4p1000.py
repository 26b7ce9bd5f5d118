"""Hand-computed and literature oracles for the per-pixel rules."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from scsmap.inputs.climate import air_temperature_from_lst, annual_precipitation, mean_annual_temperature
from scsmap.rules.fourp1000 import target_4p1000
from scsmap.rules.saturation import capacity_georgiou, capacity_hassink, saturation_deficit, saturation_ratio
from scsmap.rules.soil import bulk_density_ptf, soc_stock_from_content


def test_georgiou_worked_example_methods_4_2():
    # docs/methods/saturation.md §4.2: clay+silt 50 %, HAC, BD 1.3, 30 cm -> 0.86*50 = 43 g/kg
    # -> 43*1.3*30*0.1 = 167.7 t/ha
    assert capacity_georgiou(20.0, 30.0, 1.3, 30.0) == pytest.approx(167.7, abs=1e-9)
    # LAC slope 0.48: 24 g/kg -> 93.6 t/ha
    assert capacity_georgiou(20.0, 30.0, 1.3, 30.0, hac_share=0.0) == pytest.approx(93.6, abs=1e-9)
    # coarse fragments 20 % remove a fifth of the fine earth
    assert capacity_georgiou(20.0, 30.0, 1.3, 30.0, coarse_fragments=20.0) == pytest.approx(167.7 * 0.8)


def test_hassink_check_values_methods_4_1():
    # docs/methods/saturation.md §4.1: fine 20/40/60 % -> 11.49/18.89/26.29 g/kg; 40 %, BD 1.3, 30 cm -> 73.7 t/ha
    for fine, g_per_kg in ((20, 11.49), (40, 18.89), (60, 26.29)):
        # clay = fine, silt 0  => capacity / (BD*depth*0.1) is the g/kg value
        assert capacity_hassink(float(fine), 0.0, 1.0, 10.0) == pytest.approx(g_per_kg, abs=1e-9)
    assert capacity_hassink(30.0, 20.0, 1.3, 30.0, silt_share=0.5) == pytest.approx(73.671, abs=1e-9)


def test_saturation_ratio_and_deficit_by_hand():
    soc = np.array([50.0, 200.0, np.nan])
    cap = np.array([100.0, 100.0, 100.0])
    np.testing.assert_allclose(saturation_ratio(soc, cap, 0.66), [33.0, 132.0, np.nan])
    np.testing.assert_allclose(saturation_deficit(soc, cap, 0.66), [67.0, 0.0, np.nan])
    # zero capacity gives NaN, never inf
    assert np.isnan(saturation_ratio(np.array([10.0]), np.array([0.0]))[0])


def test_rules_accept_xarray_and_keep_nan():
    soc = xr.DataArray([[50.0, np.nan]])
    cap = xr.DataArray([[100.0, 80.0]])
    assert float(saturation_deficit(soc, cap, 1.0)[0, 0]) == 50.0
    assert np.isnan(float(saturation_ratio(soc, cap, 1.0)[0, 1]))


def test_target_4p1000():
    assert target_4p1000(60.0) == pytest.approx(0.24)
    assert target_4p1000(60.0, rate=0.01) == pytest.approx(0.6)


def test_soc_stock_from_content_by_hand():
    # 2 % OC, BD 1.2 g/cm3, 30 cm, 10 % coarse fragments: 2*1.2*30*0.9 = 64.8 t C/ha
    assert soc_stock_from_content(2.0, 1.2, 30.0, 10.0) == pytest.approx(64.8)
    # 1 % OC in 1 ha x 30 cm of soil at BD 1: 3000 t soil -> 30 t C
    assert soc_stock_from_content(1.0, 1.0, 30.0) == pytest.approx(30.0)


def test_bulk_density_ptfs():
    assert bulk_density_ptf(4.0, "manrique_jones_1991") == pytest.approx(1.660 - 0.318 * 2)
    assert bulk_density_ptf(4.0, "alexander_1980") == pytest.approx(1.72 - 0.294 * 2)
    with pytest.raises(ValueError, match="unknown"):
        bulk_density_ptf(1.0, "nope")


def test_climate_aggregates():
    t = xr.DataArray(np.arange(12, dtype=float).reshape(12, 1, 1), dims=("month", "y", "x"))
    assert mean_annual_temperature(t).item() == pytest.approx(5.5)
    assert annual_precipitation(t).item() == pytest.approx(66.0)
    t[3] = np.nan
    assert np.isnan(mean_annual_temperature(t).item())
    day = xr.DataArray([[[20.0]]], dims=("month", "y", "x"))
    night = xr.DataArray([[[10.0]]], dims=("month", "y", "x"))
    assert air_temperature_from_lst(day, night, -1.2).item() == pytest.approx(13.8)


fin = st.floats(min_value=0.0, max_value=100.0, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(soc=st.floats(0.1, 500), clay=fin, silt=fin, bd=st.floats(0.2, 2.0), f=st.floats(0.05, 1.0))
def test_saturation_properties(soc, clay, silt, bd, f):
    cap = capacity_georgiou(clay, silt, bd)
    deficit = saturation_deficit(np.array([soc]), np.array([cap]), f)[0]
    assert deficit >= 0
    if cap > 0:
        ratio = saturation_ratio(np.array([soc]), np.array([cap]), f)[0]
        # deficit is zero exactly when the MAOC fills the capacity
        assert (deficit == 0) == (ratio >= 100)
        # ratio and deficit agree: capacity - deficit = min(capacity, f*SOC)
        assert cap - deficit == pytest.approx(min(cap, f * soc), rel=1e-9, abs=1e-9)
    # more fine material never lowers the capacity
    assert capacity_georgiou(clay + 1, silt, bd) > cap
