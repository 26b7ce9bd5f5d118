"""The headline figures (products.summary.brief) and the number format shown to people (products.units).

Oracles: hand-made summaries and the rounding rules of docs/products.md § Units.
"""

from __future__ import annotations

import pytest

from scsmap.products.summary import PRICE_READINGS, brief, headline
from scsmap.products.units import display_units, format_value


@pytest.mark.parametrize(
    "value,units,text",
    [
        (1.46e-15, "t C ha-1 yr-1", "0"),  # float noise prints as 0
        (-0.0001, "Mt C", "0"),  # no "-0.00"
        (153.08, "Mt C", "153.08"),
        (0.30249, "Mt C yr-1", "0.302"),
        (2543322.4, "ha", "2,543,322"),
        (57.44, "%", "57.4"),
        (-12.39, "USD 2024 t-1 CO2e", "-12.4"),
        (None, "%", "–"),
        (float("nan"), "ha", "–"),
    ],
)
def test_format_value_by_hand(value, units, text):
    assert format_value(value, units) == text


def test_units_shown_to_people():
    assert display_units("t ha-1") == "t C ha-1"
    assert display_units("t ha-1 yr-1") == "t C ha-1 yr-1"
    assert display_units("t CO2e ha-1 yr-1") == "t CO2e ha-1 yr-1"
    assert display_units("currency t-1 CO2e", "USD 2024") == "USD 2024 t-1 CO2e"


SUMMARY = {
    "region_area_ha": 2_543_322.0,
    "valid_area_ha": 2_505_312.0,
    "soc_stock_mean_t_ha": 61.1,
    "soc_stock_total_Mt": 153.08,
    "uncertainty_t0_mean_percent": 20.0,
    "target_4p1000_mean_t_ha_yr": 0.2444,
    "target_4p1000_total_Mt_yr": 0.6123,
    "rate_best_mean_t_ha_yr": 0.1405,
    "rate_best_total_Mt_yr": 0.3019,
    "rate_best_total_Mt_CO2_yr": 0.3019 * 44 / 12,
    "rate_best_valid_area_ha": 2_148_891.0,
    "share_4p1000_national_percent": 57.44,
    "net_ghg_best_total_Mt_CO2e_yr": 1.0911,
    "abatement_at_price_total_Mt_CO2e_yr": 1.0054,
    "abatement_curve_at_price_Mt_CO2e_yr": 0.1772,
    "abatement_curve": "abatement_curve.csv",
    "carbon_price": 100.0,
    "currency": "USD 2024",
}


def test_brief_by_hand():
    f = {x.key: x for x in brief(SUMMARY)}
    assert f["soc_stock_total"].text == "153.08 Mt C" and "± 20 %" in f["soc_stock_total"].note
    assert f["target_4p1000"].text == "0.612 Mt C yr-1"
    assert f["rate_best"].text == "0.302 Mt C yr-1"
    assert "= 1.107 Mt CO2 yr-1" in f["rate_best"].note
    assert "mean 0.141 t C ha-1 yr-1 over 2,148,891 ha" in f["rate_best"].note  # the mean's own area
    assert f["share_4p1000"].note == "of the target, over the region"
    assert f["abatement_at_price"].text == "1.005 Mt CO2e yr-1" and "per pixel" in f["abatement_at_price"].note
    assert f["abatement_curve_at_price"].text == "0.177 Mt CO2e yr-1"
    assert f["abatement_curve_at_price"].detail == PRICE_READINGS
    lines = dict(headline(SUMMARY))
    assert "national" not in " ".join(lines.values())
    assert lines["at the carbon price"].startswith("1.005 Mt CO2e yr-1 (at 100 USD 2024 t-1 CO2e")


def test_brief_leaves_out_what_the_run_did_not_make():
    keys = [
        x.key for x in brief({"region_area_ha": 1.0, "carbon_price": 0.0, "abatement_at_price_total_Mt_CO2e_yr": 0})
    ]
    assert keys == ["region_area", "abatement_at_price"]  # a price of 0 is a price
