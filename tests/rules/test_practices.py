"""Practice rules: IPCC tables, climate zones, soil classes, suitability, caps and composites.

Oracles: the IPCC tables as printed in docs/methods/ipcc.md §3.4-3.6, the derived Tier 1 rates of
docs/methods/ipcc.md §3.7 / docs/methods/practices.md §6.4 (rounded there to 2 decimals), and hand calculations.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scsmap.errors import ConfigError
from scsmap.io.tables import load_practice_rates, load_practice_rules
from scsmap.io.tables import load_tier1 as _load_tier1
from scsmap.rules.ipcc_classes import SOILS, ZONES, ipcc_climate_zone, ipcc_soil_class
from scsmap.rules.practices import (
    BIT_ALREADY,
    BIT_CLIMATE,
    BIT_LAND_USE,
    BIT_MASKED,
    BIT_RESOURCE,
    BIT_SATURATED,
    BIT_SLOPE,
    UNKNOWN,
    UNKNOWN_PRACTICE,
    PracticeSettings,
    cap_rate,
    evaluate,
    output_names,
    relative_rate_cap,
)
from scsmap.rules.practices_compiled import compile_rules, evaluate_stack


def load_tier1(edition, *args):
    """The Tier 1 tables of an edition (without their table infos)."""
    return _load_tier1(edition, *args)[0]


UNCAPPED = PracticeSettings(relative_cap=(1e9, 2e9, 1.0, 1.0), best_of=1)
RULES = load_practice_rules()


def run(
    zone="warm_temperate_moist",
    soil="hac",
    lu=2,
    edition=2006,
    soc=60.0,
    ai=0.8,
    slope=5.0,
    sat=30.0,
    deficit=1000.0,
    clay=20.0,
    sand=40.0,
    settings_=UNCAPPED,
    baseline=None,
    rules=RULES,
    rates=None,
    required=(("rice", 1.0),),
):
    """Evaluate one pixel (arrays of one element) and return scalars (on rice unless ``required`` says not)."""
    a = lambda v: np.array([v], dtype="f8")  # noqa: E731
    pixel = [a(v) for v in (soc, clay, sand, ZONES[zone], SOILS[soil], ai, slope, lu, sat, deficit)]
    tier1 = load_tier1(edition)
    base = {k: a(v) for k, v in (baseline or {}).items()}
    req = {k: a(v) for k, v in dict(required).items()}
    out = evaluate(*pixel, rules, tier1, settings_, rates, base, req)
    # every case by hand here also checks the compiled kernel against this numpy oracle (float32 round-off)
    stack = evaluate_stack(compile_rules(rules, tier1, settings_, rates), *pixel, base, req)
    np.testing.assert_array_equal(stack[:, 0], np.array([out[k][0] for k in output_names(rules)], dtype="f4"))
    return {k: float(v[0]) for k, v in out.items()}


# --------------------------------------------------------------------------- tables (docs/methods/ipcc.md §3.4-§3.6)


@pytest.mark.parametrize(
    "zone,soil,value",
    [
        ("boreal_moist", "hac", 68),
        ("boreal_dry", "spodic", 117),
        ("cool_temperate_dry", "lac", 33),
        ("cool_temperate_moist", "volcanic", 130),
        ("warm_temperate_dry", "sandy", 19),
        ("warm_temperate_moist", "hac", 88),
        ("tropical_wet", "lac", 60),
        ("tropical_montane", "wetland", 86),
        ("cool_temperate_dry", "wetland", 87),
    ],
)
def test_soc_ref_cells(zone, soil, value):
    assert load_tier1(2006).soc_ref[ZONES[zone], SOILS[soil]] == value


@pytest.mark.parametrize(
    "zone,soil",
    [("boreal_moist", "lac"), ("warm_temperate_moist", "spodic"), ("polar_moist", "hac"), ("polar_dry", "sandy")],
)
def test_soc_ref_has_no_value(zone, soil):
    assert np.isnan(load_tier1(2019).soc_ref[ZONES[zone], SOILS[soil]])


def test_2019_uses_2006_soc_ref_and_own_factors():
    t = load_tier1(2019)
    assert t.socref_edition == 2006
    f = t.factors[("cropland", "F_LU", "long_term_cultivated")]
    assert f[ZONES["warm_temperate_moist"]] == 0.69 and f[ZONES["cool_temperate_moist"]] == 0.70
    assert f[ZONES["tropical_moist"]] == 0.83 and f[ZONES["tropical_montane"]] == 0.64  # 2006 fallback
    assert np.isnan(t.factors[("cropland", "F_MG", "no_till")][ZONES["tropical_montane"]])  # row removed in 2019
    assert ("cropland", "F_MG", "deep_tillage") not in t.factors


# ------------------------------ Tier 1 rates (docs/methods/ipcc.md §3.7, docs/methods/practices.md §6.4)


def test_oracle_no_till_warm_temperate_moist_2006():
    # docs/methods/ipcc.md §3.7: 88 x 0.69 x (1.15 - 1.00) / 20 = 0.4554, before caps
    assert run()["rate_no_till"] == pytest.approx(88 * 0.69 * 0.15 / 20, abs=1e-12)
    assert run()["rate_no_till"] == pytest.approx(0.455, abs=5e-4)


def test_oracle_no_till_2019():
    # docs/methods/ipcc.md §3.7 / docs/methods/index.md §7: 0.304 (warm temperate moist), 0.299 (cold temperate moist)
    assert run(edition=2019)["rate_no_till"] == pytest.approx(0.304, abs=5e-4)
    assert run(zone="cool_temperate_moist", edition=2019)["rate_no_till"] == pytest.approx(0.299, abs=5e-4)


# (zone, practice, baseline, land use, table value of docs/methods/ipcc.md §3.7(a) rounded to 2 decimals)
TABLE_37A = [
    ("cool_temperate_dry", "no_till", {}, 2, 0.20),
    ("cool_temperate_moist", "no_till", {}, 2, 0.49),
    ("warm_temperate_dry", "reduced_tillage", {}, 2, 0.03),
    ("tropical_moist", "no_till", {}, 2, 0.34),
    ("tropical_wet", "reduced_tillage", {}, 2, 0.16),
    ("warm_temperate_moist", "cover_crops", {}, 2, 0.33),
    ("cool_temperate_moist", "cover_crops", {}, 2, 0.36),
    ("tropical_dry", "balanced_fertilisation", {"input": 1}, 2, 0.06),
    ("cool_temperate_moist", "residue_retention", {"residue_burning": 2}, 2, 0.26),
    ("warm_temperate_moist", "improved_grazing", {}, 3, 0.62),
    ("tropical_montane", "improved_grazing", {}, 3, 0.70),
    ("cool_temperate_moist", "grassland_restoration", {"grassland": 3}, 3, 1.43),
    ("warm_temperate_dry", "grassland_restoration", {"grassland": 2}, 3, 0.10),
]


@pytest.mark.parametrize("zone,practice,baseline,lu,expected", TABLE_37A)
def test_methods_3_7a_table(zone, practice, baseline, lu, expected):
    # the table is rounded to 2 decimals (half up: 38 x 0.05 / 20 = 0.095 is printed 0.10)
    assert abs(run(zone=zone, lu=lu, baseline=baseline)[f"rate_{practice}"] - expected) <= 0.005 + 1e-12


@pytest.mark.parametrize(
    "zone,expected_crop,expected_grass",
    [("cool_temperate_moist", 0.83, 0.90), ("warm_temperate_dry", 0.36, 0.36), ("tropical_moist", 0.67, 0.62)],
)
def test_agroforestry_rates_methods_6_4(zone, expected_crop, expected_grass):
    # SOC_prev x (F_AF - 1) / 20 with 2019 F_LU (docs/methods/practices.md §6.4a)
    assert abs(run(zone=zone, edition=2019)["rate_agroforestry"] - expected_crop) <= 0.005 + 1e-12
    assert abs(run(zone=zone, edition=2019, lu=3)["rate_agroforestry"] - expected_grass) <= 0.005 + 1e-12


def test_negative_2019_reduced_tillage_in_dry_climate_is_kept():
    # 38 x 0.76 x (0.99 - 1.00) / 20 = -0.01444: a loss is reported, never capped upwards
    assert run(zone="warm_temperate_dry", edition=2019)["rate_reduced_tillage"] == pytest.approx(-0.01444)


def test_high_intensity_grazing_only_in_2019():
    # docs/methods/practices.md §6.4b: 95 x 0.10 / 20 = 0.475 for cold-temperate-moist HAC
    r = run(zone="cool_temperate_moist", lu=3, edition=2019, baseline={"grassland": 5})
    assert r["rate_grassland_restoration"] == pytest.approx(0.475)
    r = run(zone="cool_temperate_moist", lu=3, edition=2006, baseline={"grassland": 5})
    assert r["rate_grassland_restoration"] == 0 and r["suitability_reason_grassland_restoration"] == BIT_MASKED


def test_table_rates_replace_tier1_where_given():
    rates, _, _ = load_practice_rates("lessmann2021")
    r = run(zone="warm_temperate_dry", rates=rates)
    assert r["rate_no_till"] == pytest.approx(0.278) and r["rate_cover_crops"] == pytest.approx(0.149)
    assert r["rate_agroforestry"] == pytest.approx(38 * 0.80 * 0.25 / 20)  # no table row: Tier 1


# --------------------------------------------------------------------------- caps (docs/methods/saturation.md §4.3-4.4)


def test_relative_rate_cap_by_hand():
    assert relative_rate_cap(np.array([10, 30, 45, 60, 200.0])) == pytest.approx([0.010, 0.010, 0.007, 0.004, 0.004])


def test_caps_by_hand():
    s = PracticeSettings()
    # deficit 4 t/ha over 20 yr -> 0.2; relative cap at SOC 45: 0.007 x 45 = 0.315; the deficit cap binds
    assert cap_rate(np.array([0.5]), 4.0, 45.0, 50.0, 20.0, s)[0] == pytest.approx(0.2)
    # deficit large: the relative cap binds
    assert cap_rate(np.array([0.5]), 400.0, 45.0, 50.0, 20.0, s)[0] == pytest.approx(0.315)
    # efficiency scaling beta = 1 at 50 % saturation halves the rate
    s2 = PracticeSettings(efficiency_beta=1.0, relative_cap=(1e9, 2e9, 1.0, 1.0))
    assert cap_rate(np.array([0.3]), 400.0, 45.0, 50.0, 20.0, s2)[0] == pytest.approx(0.15)


finite = dict(allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(
    rate=st.floats(-2, 5, **finite),
    deficit=st.floats(0, 300, **finite),
    soc=st.floats(1, 250, **finite),
    sat=st.floats(0, 150, **finite),
    years=st.floats(1, 100, **finite),
    poc=st.floats(0, 10, **finite),
)
def test_capped_rate_never_exceeds_deficit_over_horizon(rate, deficit, soc, sat, years, poc):
    s = PracticeSettings(poc_allowance=poc)
    capped = cap_rate(np.array([rate]), deficit, soc, sat, years, s)[0]
    if rate > 0:
        assert capped <= (deficit + poc) / years + 1e-12
        assert capped <= rate + 1e-12
    else:
        assert capped == rate


@settings(max_examples=100, deadline=None)
@given(
    r1=st.floats(-1, 3, **finite),
    r2=st.floats(-1, 3, **finite),
    deficit=st.floats(0, 300, **finite),
    soc=st.floats(1, 250, **finite),
)
def test_capped_rate_is_monotone_in_the_uncapped_rate(r1, r2, deficit, soc):
    lo, hi = sorted((r1, r2))
    c = cap_rate(np.array([lo, hi]), deficit, soc, 50.0, 20.0, PracticeSettings())
    assert c[0] <= c[1] + 1e-12


@settings(max_examples=60, deadline=None)
@given(gain=st.floats(0.0, 0.5, **finite), extra=st.floats(0.0, 0.5, **finite))
def test_rate_is_monotone_in_the_factor_gain(gain, extra):
    t1, t2 = load_tier1(2006), load_tier1(2006)
    for t, g in ((t1, gain), (t2, gain + extra)):
        t.factors[("cropland", "F_MG", "no_till")] = np.full(13, 1.0 + g)
    a = lambda v: np.array([v], dtype="f8")  # noqa: E731
    args = (a(60), a(20), a(40), a(ZONES["warm_temperate_moist"]), a(SOILS["hac"]), a(0.8), a(5), a(2), a(30), a(40))
    r1 = evaluate(*args, RULES, t1, PracticeSettings(), None)["rate_no_till"][0]
    r2 = evaluate(*args, RULES, t2, PracticeSettings(), None)["rate_no_till"][0]
    assert r1 <= r2 + 1e-12


@settings(max_examples=80, deadline=None)
@given(sat=st.floats(100, 400, **finite), soc=st.floats(5, 190, **finite), lu=st.sampled_from([2, 3, 5, 12, 13]))
def test_rate_is_zero_at_or_above_full_saturation(sat, soc, lu):
    r = run(soc=soc, sat=sat, deficit=0.0, lu=lu, settings_=PracticeSettings())
    for rule in RULES:
        assert r[f"rate_{rule.practice}"] <= 0.0 or rule.practice == "reduced_tillage"
        assert r[f"suitability_{rule.practice}"] == 0
        assert int(r[f"suitability_reason_{rule.practice}"]) & BIT_SATURATED
    assert r["rate_best"] == 0 and r["best_practice"] == 0 and r["years_to_saturation"] == 0


@settings(max_examples=80, deadline=None)
@given(
    zone=st.sampled_from(list(ZONES)),
    soil=st.sampled_from(["hac", "lac", "sandy", "volcanic"]),
    lu=st.sampled_from([1, 2, 3, 4, 5, 8, 12, 13]),
    ai=st.floats(0.01, 3, **finite),
    slope=st.floats(0, 80, **finite),
    soc=st.floats(5, 250, **finite),
    sat=st.floats(0, 150, **finite),
    deficit=st.floats(0, 200, **finite),
    edition=st.sampled_from([2006, 2019]),
)
def test_unsuitable_means_zero_and_best_is_max(zone, soil, lu, ai, slope, soc, sat, deficit, edition):
    r = run(
        zone=zone,
        soil=soil,
        lu=lu,
        ai=ai,
        slope=slope,
        soc=soc,
        sat=sat,
        deficit=deficit,
        edition=edition,
        settings_=PracticeSettings(),
    )
    best = 0.0
    for rule in RULES:
        cls, rate = r[f"suitability_{rule.practice}"], r[f"rate_{rule.practice}"]
        assert cls in (0, 1, 2)
        if cls == 0:
            assert rate == 0
        if cls == 2:
            best = max(best, rate)
        assert 0 <= r[f"suitability_reason_{rule.practice}"] < 255
    assert r["rate_best"] == pytest.approx(best)
    assert r["potential_total"] <= deficit + 1e-9
    if r["best_practice"]:
        rule = next(x for x in RULES if x.code == r["best_practice"])
        assert r[f"rate_{rule.practice}"] == pytest.approx(r["rate_best"])


# ------------------------------ suitability rules (docs/methods/practices.md §6.2)


def test_reason_bits_by_hand():
    r = run(lu=4)  # forest: no practice applies
    assert r["suitability_no_till"] == 0 and r["suitability_reason_no_till"] == BIT_LAND_USE
    r = run(baseline={"tillage": 3})
    assert r["suitability_no_till"] == 0 and r["suitability_reason_no_till"] == BIT_ALREADY
    assert r["suitability_reduced_tillage"] == 0 and r["rate_no_till"] == 0
    r = run(ai=0.1)  # arid: cover crops unsuitable, set-aside eligible (marginal)
    assert r["suitability_cover_crops"] == 0 and r["suitability_reason_cover_crops"] == BIT_CLIMATE
    assert r["suitability_set_aside"] == 2
    r = run(ai=0.3)  # semi-arid: conditional
    assert r["suitability_cover_crops"] == 1 and r["suitability_reason_cover_crops"] == BIT_CLIMATE
    assert r["rate_cover_crops"] > 0
    r = run(slope=50)
    assert r["suitability_agroforestry"] == 0 and r["suitability_reason_agroforestry"] == BIT_SLOPE
    assert r["suitability_set_aside"] == 2  # steep cropland is marginal
    r = run()
    assert r["suitability_organic_amendments"] == 1 and r["suitability_reason_organic_amendments"] == BIT_RESOURCE
    assert r["suitability_set_aside"] == 0  # not marginal
    r = run(soc=250)
    assert r["suitability_no_till"] == 0 and r["suitability_reason_no_till"] == 8


def test_missing_input_is_unknown_with_only_the_masked_bit_and_nan_rates():
    """Issue 15: where an input the rule needs is missing the class is 3 "unknown", not 0 "unsuitable"."""
    nan = float("nan")
    r = run(soc=nan)  # cropland without a SOC value: eligible for no-till, the rest is not known
    assert r["suitability_no_till"] == UNKNOWN == 3 and r["suitability_reason_no_till"] == BIT_MASKED
    assert math.isnan(r["rate_no_till"]) and math.isnan(r["rate_best"])
    # grazing practices are for grassland: what is known makes them unsuitable, whatever the SOC
    assert r["suitability_improved_grazing"] == 0 and r["suitability_reason_improved_grazing"] == BIT_LAND_USE
    # no practice qualifies and some are unknown: best_practice says "unknown", not "no suitable practice"
    assert r["best_practice"] == UNKNOWN_PRACTICE == 254
    r = run(deficit=nan, lu=4)  # forest without a clay value (no saturation deficit): no practice is eligible
    assert {r[f"suitability_{x.practice}"] for x in RULES} == {0}
    reasons = [int(r[f"suitability_reason_{x.practice}"]) for x in RULES]
    assert all(b & BIT_LAND_USE and not b & BIT_MASKED for b in reasons), reasons
    assert r["best_practice"] == 0 and math.isnan(r["rate_best"])
    r = run(lu=nan)  # no land use: unknown, except where the known baseline or climate rule it out
    assert r["suitability_no_till"] == r["suitability_agroforestry"] == UNKNOWN
    assert r["suitability_residue_retention"] == 0 and r["suitability_reason_residue_retention"] == BIT_ALREADY
    assert r["suitability_irrigation"] == 0 and int(r["suitability_reason_irrigation"]) & BIT_CLIMATE  # too humid
    assert r["best_practice"] == UNKNOWN_PRACTICE
    # where no practice qualifies and one is unknown (paddy management without a rice layer, the only rule here),
    # the best rate and the composites are unknown too (NaN, as the GHG composites give), not a known gain of 0
    paddy = [x for x in RULES if x.practice == "paddy_management"]
    r = run(lu=13, required={}, rules=paddy)
    assert r["best_practice"] == UNKNOWN_PRACTICE
    assert all(math.isnan(r[k]) for k in ("rate_best", "rate_best_low", "rate_combined", "potential_total")), r
    # set-aside needs marginal cropland: without an aridity index it is marginal where steep, else unknown
    assert run(ai=nan, slope=50)["suitability_set_aside"] == UNKNOWN  # marginal, the rest unknown
    assert run(ai=nan, slope=5)["suitability_set_aside"] == UNKNOWN
    assert run(ai=0.8, slope=5)["suitability_set_aside"] == 0  # known: not marginal
    # known baseline: already practised is unsuitable even without SOC
    r = run(soc=nan, baseline={"tillage": 3})
    assert r["suitability_no_till"] == 0 and r["suitability_reason_no_till"] == BIT_ALREADY


def test_factor_uncertainty_propagation_by_hand():
    """No-till, warm temperate moist, HAC, 2019: rate and its 95 % range by IPCC Approach 1 by hand.

    rate = SOC_REF x F_LU x (F_MG,NT - F_MG,FT) x F_I / D = 88 x 0.69 x (1.10 - 1.00) x 1 / 20 = 0.3036;
    U(F_NT - F_FT) = 0.04 x 1.10 / 0.10 = 0.44 (full tillage and medium input carry no error), U(F_LU) = 0.16:
    U = sqrt(0.44^2 + 0.16^2) = 0.46819 (IPCC 2006 Vol. 1 Ch. 3 eqs 3.1-3.2; errors of Table 5.5,
    docs/methods/ipcc.md §3.5b).
    """
    r = run(edition=2019)
    rate = 88 * 0.69 * 0.10 / 20
    u = math.sqrt(0.44**2 + 0.16**2)
    assert r["rate_no_till"] == pytest.approx(rate, rel=1e-12)
    assert r["rate_no_till_low"] == pytest.approx(rate * (1 - u), rel=1e-9)
    assert r["rate_no_till_high"] == pytest.approx(rate * (1 + u), rel=1e-9)
    # the bounds are capped like the rate: a small deficit caps all three alike
    capped = run(edition=2019, deficit=2.0, settings_=PracticeSettings(best_of=1))
    assert capped["rate_no_till_high"] == pytest.approx(2.0 / 20, rel=1e-12) == capped["rate_no_till"]
    assert capped["rate_no_till_low"] <= capped["rate_no_till"]
    # rate_best carries the range of the practice it picks
    code = int(r["best_practice"])
    best = next(x.practice for x in RULES if x.code == code)
    assert r["rate_best_low"] == r[f"rate_{best}_low"] and r["rate_best_high"] == r[f"rate_{best}_high"]
    # 2006 cropland rows carry no transcribed error range: the range collapses to the rate
    r06 = run(edition=2006)
    assert r06["rate_no_till_low"] == r06["rate_no_till"] == r06["rate_no_till_high"]


def test_paddy_management_needs_rice():
    # FAO class 13 (ESA CCI 20, irrigated or post-flooding cropland) without a rice layer: unknown (class 3), not
    # suitable and not unsuitable
    r = run(lu=13, required={})
    assert r["suitability_paddy_management"] == UNKNOWN and r["suitability_reason_paddy_management"] == BIT_MASKED
    assert math.isnan(r["rate_paddy_management"])
    assert r["suitability_residue_retention"] in (0, 1, 2) and r["suitability_reason_residue_retention"] != BIT_MASKED
    # rice there: suitable, rate IPCC F_I medium -> high without manure on paddy rice (F_LU 1.10, 2006):
    # 88 x 1.10 x (1.11 - 1.00) / 20 = 0.5324 t C/ha/yr (warm temperate moist, HAC; docs/methods/ipcc.md §3.5a)
    r = run(lu=13, required={"rice": 1})
    assert r["suitability_paddy_management"] == 2
    assert r["rate_paddy_management"] == pytest.approx(88 * 1.10 * 0.11 / 20, rel=1e-12)
    r = run(lu=13, required={"rice": 0})  # irrigated maize: not eligible
    assert r["suitability_paddy_management"] == 0 and r["suitability_reason_paddy_management"] == BIT_LAND_USE
    r = run(lu=13, required={"rice": float("nan")})  # rice map without data here: unknown
    assert r["suitability_paddy_management"] == UNKNOWN and r["suitability_reason_paddy_management"] == BIT_MASKED
    r = run(lu=2)  # not paddy class: not eligible whatever the rice layer
    assert r["suitability_reason_paddy_management"] == BIT_LAND_USE and r["rate_paddy_management"] == 0


def test_best_of_suitable_or_conditional_and_combination():
    s = PracticeSettings(relative_cap=(1e9, 2e9, 1.0, 1.0), best_of=1)
    r = run(settings_=s)
    assert r["best_practice"] == 5  # organic amendments (conditional: manure availability) has the largest rate
    # one practice per mechanism: tillage (no-till) + input (organic) + land use (agroforestry)
    assert r["rate_combined"] == pytest.approx(
        r["rate_no_till"] + r["rate_organic_amendments"] + r["rate_agroforestry"]
    )
    r = run(settings_=PracticeSettings(relative_cap=(1e9, 2e9, 1.0, 1.0), best_of=2))
    assert r["best_practice"] == 7  # agroforestry, organic amendments only conditional
    # manure N cap (docs/methods/practices.md §6.2 P4a): 100 kg N -> 100 x 10 x 0.001 x 0.5 = 0.5 t C
    s3 = PracticeSettings(relative_cap=(1e9, 2e9, 1.0, 1.0), manure_n_kg_ha=100.0)
    r = run(settings_=s3)
    assert r["rate_organic_amendments"] == pytest.approx(0.5) and r["suitability_organic_amendments"] == 2


def test_rule_overrides_and_unknown_practices():
    rules = load_practice_rules(overrides={"cover_crops": {"ai_conditional_below": 0.9}})
    assert run(rules=rules)["suitability_cover_crops"] == 1
    with pytest.raises(ConfigError, match="unknown practice"):
        load_practice_rules(overrides={"cover_crop": {"ai_conditional_below": 0.9}})
    with pytest.raises(ConfigError, match="unknown or fixed field"):
        load_practice_rules(overrides={"cover_crops": {"ai_threshold": 0.9}})


def test_bad_tables_are_refused(tmp_path):
    p = tmp_path / "rates.csv"
    p.write_text("practice,climate,rate\nno_till,warm_temperate_humid,0.3\n")
    with pytest.raises(ConfigError, match="unknown climate 'warm_temperate_humid'"):
        load_practice_rates(str(p))
    p.write_text("practice,climate,rate\nno_tilling,all,0.3\n")
    with pytest.raises(ConfigError, match="unknown practice"):
        load_practice_rates(str(p))
    p.write_text("practice,climate,rate\nno_till,all,fast\n")
    with pytest.raises(ConfigError, match="'fast' is not a number"):
        load_practice_rates(str(p))
    with pytest.raises(ConfigError, match="neither a packaged table"):
        load_practice_rates(str(tmp_path / "missing.csv"))


# --------------------------------------------------------------------------- climate zones and soil classes


@pytest.mark.parametrize(
    "mat,map_,pet,elev,tmax,frost,zone",
    [
        (24, 1500, 1400, 1500, 26, 0, "tropical_montane"),
        (24, 2500, 1400, 200, 26, 0, "tropical_wet"),
        (24, 1500, 1400, 200, 26, 0, "tropical_moist"),
        (24, 800, 1600, 200, 26, 0, "tropical_dry"),
        (24, 800, 1600, 200, 26, 30, "warm_temperate_dry"),  # 2019: too many frost days for tropical
        (15, 900, 800, 200, 25, None, "warm_temperate_moist"),
        (15, 500, 800, 200, 25, None, "warm_temperate_dry"),
        (8, 900, 600, 200, 20, None, "cool_temperate_moist"),
        (8, 400, 600, 200, 20, None, "cool_temperate_dry"),
        (-2, 500, 300, 200, 14, None, "boreal_moist"),
        (-2, 250, 300, 200, 14, None, "boreal_dry"),
        (-12, 300, 100, 200, 5, None, "polar_moist"),
        (-12, 80, 100, 200, 5, None, "polar_dry"),
        (10, 900, 600, 200, 20, None, "cool_temperate_moist"),  # MAT > 10 is strict
        (18.5, 1200, 1000, 200, 25, None, "tropical_moist"),  # 2006 rule without frost days
    ],
)
def test_climate_zone_decision_tree(mat, map_, pet, elev, tmax, frost, zone):
    z = ipcc_climate_zone(
        np.array([mat]),
        np.array([map_]),
        np.array([pet]),
        np.array([elev]),
        np.array([tmax]),
        None if frost is None else np.array([frost]),
    )
    assert z[0] == ZONES[zone]


def test_climate_zone_missing_input_is_zero():
    z = ipcc_climate_zone(np.array([np.nan, 12.0]), np.array([500.0, 500.0]), np.array([600.0, 0.0]))
    assert list(z) == [0, 0]


def test_soil_class_rules():
    sand = np.array([80.0, 80.0, 30.0, 30.0, np.nan, 30.0])
    clay = np.array([5.0, 10.0, 30.0, 30.0, 20.0, 30.0])
    wrb = np.array([0, 0, 0, SOILS["volcanic"], SOILS["spodic"], np.nan])
    out = ipcc_soil_class(sand, clay, wrb, "lac")
    assert list(out) == [SOILS["sandy"], SOILS["lac"], SOILS["lac"], SOILS["volcanic"], SOILS["spodic"], SOILS["lac"]]
    assert ipcc_soil_class(np.array([75.0]), np.array([5.0]), np.array([SOILS["organic"]]))[0] == SOILS["organic"]
    assert ipcc_soil_class(np.array([np.nan]), np.array([5.0]))[0] == 0


# --------------------------------------------------------------------------- PET, slope


def test_hargreaves_matches_pyet():
    pd = pytest.importorskip("pandas")
    pyet = pytest.importorskip("pyet")
    from scsmap.rules.climate import DAYS_IN_MONTH, MID_MONTH_DOY, pet_hargreaves

    lat = 41.5
    tmin = np.array([-3, -1, 2, 6, 10, 14, 16, 16, 12, 7, 3, -1.0])
    tmax = tmin + np.array([8, 9, 11, 13, 14, 15, 16, 16, 14, 12, 9, 8.0])
    tmean = (tmin + tmax) / 2
    mine = pet_hargreaves(tmean[:, None], tmin[:, None], tmax[:, None], np.array([lat]))[:, 0]
    idx = pd.DatetimeIndex([pd.Timestamp(2021, 1, 1) + pd.Timedelta(days=int(d) - 1) for d in MID_MONTH_DOY])
    s = lambda v: pd.Series(v, index=idx)  # noqa: E731
    ref = np.asarray(pyet.hargreaves(s(tmean), s(tmax), s(tmin), lat * math.pi / 180)) * np.array(DAYS_IN_MONTH)
    # pyet uses lambda(T) = 2.501 - 0.002361 T; FAO-56 eq. 52 uses 1/0.408 = 2.45 MJ/kg: ~1-2 % apart
    np.testing.assert_allclose(mine, ref, rtol=0.03)
    assert mine[6] > mine[0] > 0


def test_horn_slope_of_a_tilted_plane():
    from scsmap.rules.terrain import horn_slope_percent

    y, x = np.mgrid[0:6, 0:7] * 100.0  # 100 m pixels
    z = 0.12 * x + 0.05 * y  # 12 % east, 5 % south
    s = horn_slope_percent(z, 100.0, 100.0)
    np.testing.assert_allclose(s[1:-1, 1:-1], 13.0, rtol=1e-12)  # sqrt(12^2 + 5^2)


def test_slope_chunked_equals_unchunked():
    import dask.array as da
    import xarray as xr
    from odc.geo.geobox import GeoBox

    from scsmap.inputs.terrain import slope_percent

    gb = GeoBox.from_bbox((20.0, 41.0, 20.5, 41.5), "EPSG:4326", resolution=0.005)
    rng = np.random.default_rng(1)
    z = rng.uniform(0, 2000, gb.shape.yx)
    lat = np.asarray(gb.coords["latitude"].values)
    mk = lambda a, c: xr.DataArray(da.from_array(a, chunks=c), dims=("y", "x"))  # noqa: E731
    one = slope_percent(mk(z, -1), gb).values
    many = slope_percent(mk(z, 17), gb).values
    assert np.array_equal(one, many)
    # pixels by hand: dx = 0.005 deg x pi/180 x R x cos(latitude of the pixel's centre); beyond the grid's
    # edge the edge pixels are repeated (row 0 and the last column)
    zp = np.pad(z, 1, mode="edge")
    for i, j in [(40, 50), (0, 50), (99, 99), (16, 17)]:
        dx = 0.005 * math.pi / 180 * 6371008.8 * math.cos(math.radians(lat[i]))
        dy = 0.005 * math.pi / 180 * 6371008.8
        w = zp[i : i + 3, j : j + 3]
        gx = ((w[0, 2] + 2 * w[1, 2] + w[2, 2]) - (w[0, 0] + 2 * w[1, 0] + w[2, 0])) / (8 * dx)
        gy = ((w[2, 0] + 2 * w[2, 1] + w[2, 2]) - (w[0, 0] + 2 * w[0, 1] + w[0, 2])) / (8 * dy)
        assert many[i, j] == pytest.approx(100 * math.hypot(gx, gy), rel=1e-6), (i, j)


# --------------------------------------------------------------------------- config


def test_config_refuses_unknown_practices(demo_raw, write_config):
    from scsmap.config import load_config

    demo_raw["practices"] = {"enabled": ["no_til", "cover_crops"]}
    with pytest.raises(ConfigError, match="unknown practice.*did you mean 'no_till'"):
        load_config(write_config(demo_raw))
    demo_raw["practices"] = {"rules": {"agroforestri": {"slope_unsuitable_above": 30}}}
    with pytest.raises(ConfigError, match="agroforestri"):
        load_config(write_config(demo_raw))


def test_rule_table_typos_are_refused(tmp_path):
    import pandas as pd

    from scsmap.config import Config
    from scsmap.layers.practices import PracticeTables

    df = pd.read_csv(_packaged("practices.csv"), dtype=str, keep_default_na=False)
    df.loc[df["practice"] == "no_till", "to_level"] = "no_tillage"
    df.loc[df["practice"] == "cover_crops", "adoptable"] = "low;meduim"
    p = tmp_path / "rules.csv"
    df.to_csv(p, index=False)
    cfg = Config.model_validate(
        {"region": {"name": "x", "iso3": "XXX", "bbox": [20, 41, 21, 42]}, "tables": {"practice_rules": str(p)}}
    )
    with pytest.raises(ConfigError) as err:
        PracticeTables(cfg)
    assert "level 'no_tillage' of F_MG" in str(err.value) and "['meduim']" in str(err.value)


def _packaged(name):
    from importlib import resources

    return resources.files("scsmap.data").joinpath(name)
