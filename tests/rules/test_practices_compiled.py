"""The compiled practice kernel against its numpy oracle, :func:`scsmap.rules.practices.evaluate`.

Random pixels (missing values, out-of-range codes, every land-use class, baseline layers with
nodata, a rice layer or none) under several settings and both IPCC editions, with and without a
Tier 2 rate table: every output equal to the numpy path's cast to float32 (the kernel keeps the
numpy path's arithmetic and its order, docs/methods/practices.md §6).
"""

from __future__ import annotations

import numpy as np
import pytest

from scsmap.io.tables import load_practice_rates, load_practice_rules, load_tier1
from scsmap.rules.practices import PracticeSettings, evaluate, output_names
from scsmap.rules.practices_compiled import compile_rules, evaluate_stack

RULES = load_practice_rules()


def _pixels(n: int, seed: int) -> tuple[list[np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)

    def holes(a: np.ndarray, share: float = 0.01) -> np.ndarray:
        a = a.astype("f8")
        a[rng.random(n) < share] = np.nan
        return a

    soc = holes(np.where(rng.random(n) < 0.7, rng.uniform(5, 80, n), rng.uniform(80, 260, n)))
    soc[rng.random(n) < 0.01] = np.inf
    clay = holes(rng.uniform(0, 70, n))
    sand = holes(rng.uniform(0, 100, n))
    zone = holes(
        np.where(rng.random(n) < 0.95, rng.integers(1, 13, n), rng.integers(-1, 15, n)) + rng.choice([0, 0.4], n)
    )
    soil = holes(np.where(rng.random(n) < 0.95, rng.integers(1, 6, n), rng.integers(-1, 9, n)))
    ai = holes(rng.uniform(0.0, 2.0, n))
    slope = holes(rng.uniform(0, 40, n), 0.2)
    # mostly cropland and grassland classes (the eligible ones), some others and some out of range
    farmed = np.flatnonzero(load_tier1(2006)[0].land_use.group > 0)
    lu = holes(np.where(rng.random(n) < 0.8, rng.choice(farmed, n), rng.integers(-2, 40, n)))
    lu[rng.random(n) < 0.01] = 300.0
    sat = holes(rng.uniform(0, 110, n))
    deficit = holes(rng.uniform(-10, 120, n))
    baseline = {
        "tillage": holes(rng.integers(0, 5, n).astype("f8"), 0.1),
        "input": holes(rng.integers(1, 5, n).astype("f8") + rng.choice([0.0, 0.5], n), 0.1),
        "grassland": holes(rng.integers(1, 6, n).astype("f8"), 0.1),
    }
    rice = {"rice": holes(rng.integers(0, 2, n).astype("f8"), 0.2)}
    return [soc, clay, sand, zone, soil, ai, slope, lu, sat, deficit], baseline, rice


CASES = [
    (2006, PracticeSettings(), None, True),
    (2019, PracticeSettings(), None, False),
    (2019, PracticeSettings(efficiency_beta=0.5, poc_allowance=2.0, best_of=1, manure_n_kg_ha=100.0), None, True),
    (
        2006,
        PracticeSettings(available_resources=("manure", "irrigation_water"), horizon_years=30.0),
        "lessmann2021",
        True,
    ),
    (2019, PracticeSettings(transition_years=10.0, relative_cap=(20.0, 80.0, 0.02, 0.002)), "lessmann2021", False),
]


@pytest.mark.parametrize("edition,settings_,rates,with_layers", CASES)
def test_compiled_equals_numpy(edition, settings_, rates, with_layers):
    pixel, baseline, rice = _pixels(20_000, seed=edition + int(with_layers))
    tier1 = load_tier1(edition)[0]
    table = None if rates is None else load_practice_rates(rates)[0]
    base, req = (baseline, rice) if with_layers else ({}, {})
    oracle = evaluate(*pixel, RULES, tier1, settings_, table, base, req)
    got = evaluate_stack(compile_rules(RULES, tier1, settings_, table), *pixel, base, req)
    names = output_names(RULES)
    assert got.shape == (len(names), 20_000) and got.dtype == np.float32
    for i, name in enumerate(names):
        np.testing.assert_array_equal(got[i], oracle[name].astype("f4"), err_msg=name)


@pytest.mark.parametrize("edition,settings_,rates,with_layers", CASES[:2])
def test_float32_layers_go_to_the_kernel_as_they_are(edition, settings_, rates, with_layers, monkeypatch):
    """The pipeline's layers are float32: the kernel reads them without float64 copies (a variant of its own) and
    gives the numpy path's results for the same values widened to float64."""
    import scsmap.rules.practices_compiled as PC

    pixel, baseline, rice = _pixels(20_000, seed=edition + 7)
    pixel32 = [a.astype("f4") for a in pixel]
    tier1 = load_tier1(edition)[0]
    table = None if rates is None else load_practice_rates(rates)[0]
    base, req = (baseline, rice) if with_layers else ({}, {})
    oracle = evaluate(*[a.astype("f8") for a in pixel32], RULES, tier1, settings_, table, base, req)
    seen = []
    kernel = PC._loop
    monkeypatch.setattr(PC, "_loop", lambda *a: seen.append(a[0].dtype) or kernel(*a))
    got = evaluate_stack(compile_rules(RULES, tier1, settings_, table), *pixel32, base, req)
    assert seen == [np.float32]  # no float64 copy made
    for i, name in enumerate(output_names(RULES)):
        np.testing.assert_array_equal(got[i], oracle[name].astype("f4"), err_msg=name)


def test_compiled_keeps_the_shape_and_takes_a_scalar_slope():
    pixel, _, _ = _pixels(600, seed=3)
    grid = [a.reshape(20, 30) for a in pixel]
    grid[6] = np.float64(np.nan)  # no slope layer
    tier1 = load_tier1(2006)[0]
    got = evaluate_stack(compile_rules(RULES, tier1, PracticeSettings()), *grid)
    oracle = evaluate(*grid, RULES, tier1, PracticeSettings())
    assert got.shape == (len(output_names(RULES)), 20, 30)
    for i, name in enumerate(output_names(RULES)):
        np.testing.assert_array_equal(got[i], oracle[name].astype("f4"), err_msg=name)
    with pytest.raises(ValueError, match="shape"):
        evaluate_stack(compile_rules(RULES, tier1, PracticeSettings()), *grid[:3], np.zeros(5), *grid[4:])


def test_compiled_computes_only_the_outputs_asked_for_in_their_order():
    """``outputs``: the asked outputs only, in the order asked, each equal to the full stack's (the oracle above)."""
    pixel, baseline, rice = _pixels(5_000, seed=11)
    tier1 = load_tier1(2019)[0]
    compiled = compile_rules(RULES, tier1, PracticeSettings())
    full = evaluate_stack(compiled, *pixel, baseline, rice)
    names = output_names(RULES)
    asked = [names.index("rate_best"), names.index("rate_cover_crops"), 0, len(names) - 1]
    got = evaluate_stack(compiled, *pixel, baseline, rice, outputs=asked)
    assert got.shape == (4, 5_000) and got.dtype == np.float32
    for row, i in enumerate(asked):
        np.testing.assert_array_equal(got[row], full[i], err_msg=names[i])
    assert evaluate_stack(compiled, *pixel, baseline, rice, outputs=[]).shape == (0, 5_000)
    with pytest.raises(IndexError):
        evaluate_stack(compiled, *pixel, baseline, rice, outputs=[len(names)])
    for bad in ([2, 2], [-1]):  # a row left unfilled, or a position counted from the end
        with pytest.raises(ValueError, match="distinct and not negative"):
            evaluate_stack(compiled, *pixel, baseline, rice, outputs=bad)


@pytest.mark.parametrize("edition,settings_,rates,with_layers", CASES)
def test_rates_without_classes_and_reasons_equal_numpy(edition, settings_, rates, with_layers):
    """A run that reads no practice class or reason (the rates and composites only) skips, per pixel, the rules
    that do not name its land-use class, and every rule where no rule names it: the same values as the oracle's."""
    pixel, baseline, rice = _pixels(20_000, seed=edition + 3 * int(with_layers) + 1)
    tier1 = load_tier1(edition)[0]
    table = None if rates is None else load_practice_rates(rates)[0]
    base, req = (baseline, rice) if with_layers else ({}, {})
    names = output_names(RULES)
    asked = [i for i, n in enumerate(names) if not n.startswith("suitability_")]
    assert len(asked) == 3 * len(RULES) + 8
    oracle = evaluate(*pixel, RULES, tier1, settings_, table, base, req)
    got = evaluate_stack(compile_rules(RULES, tier1, settings_, table), *pixel, base, req, outputs=asked)
    for row, i in enumerate(asked):
        np.testing.assert_array_equal(got[row], oracle[names[i]].astype("f4"), err_msg=names[i])


@pytest.mark.parametrize("read_reasons", [True, False])
def test_a_rule_naming_a_class_outside_cropland_and_grassland_equals_numpy(read_reasons):
    """A task force's rule table may name a land-use class that has no Tier 1 factors (tree covered, 4): its pixels
    have no Tier 1 rate (masked), as in the numpy path, never a rate from another pixel's factors."""
    import dataclasses

    rules = [
        dataclasses.replace(r, land_use=(*r.land_use, 4)) if r.practice in ("agroforestry", "improved_grazing") else r
        for r in RULES
    ]
    pixel, baseline, rice = _pixels(20_000, seed=21)
    pixel[7][:5_000] = 4.0  # tree covered
    tier1 = load_tier1(2006)[0]
    names = output_names(rules)
    asked = list(range(len(names))) if read_reasons else [i for i, n in enumerate(names) if n.startswith("rate_")]
    oracle = evaluate(*pixel, rules, tier1, PracticeSettings(), None, baseline, rice)
    got = evaluate_stack(compile_rules(rules, tier1, PracticeSettings()), *pixel, baseline, rice, outputs=asked)
    assert np.nanmax(oracle["rate_agroforestry"][:5_000]) == 0.0  # the oracle: no rate on tree-covered land
    for row, i in enumerate(asked):
        np.testing.assert_array_equal(got[row], oracle[names[i]].astype("f4"), err_msg=names[i])


def test_runs_of_pixels_sharing_their_classes_equal_numpy():
    """Runs of neighbouring pixels with the same classes (zone, soil class, land use, baseline levels) and their own
    SOC, climate, slope and deficit, as on a real grid: the kernel keeps a rule's Tier 1 rate along such a run, and
    every output equals the oracle's. Each class changes in runs of its own length, so that a run may end by one
    class alone (a baseline level too)."""
    pixel, baseline, rice = _pixels(20_000, seed=31)

    def runs(a: np.ndarray, k: int) -> np.ndarray:
        return np.repeat(a[::k], k)[: a.size]

    for i, k in ((3, 9), (4, 7), (7, 11)):  # zone, soil class, land use
        pixel[i] = runs(pixel[i], k)
    baseline = {name: runs(v, k) for (name, v), k in zip(baseline.items(), (5, 13, 6), strict=True)}
    for edition, settings_ in ((2006, PracticeSettings()), (2019, PracticeSettings(efficiency_beta=0.5, best_of=1))):
        tier1 = load_tier1(edition)[0]
        oracle = evaluate(*pixel, RULES, tier1, settings_, None, baseline, rice)
        got = evaluate_stack(compile_rules(RULES, tier1, settings_), *pixel, baseline, rice)
        for i, name in enumerate(output_names(RULES)):
            np.testing.assert_array_equal(got[i], oracle[name].astype("f4"), err_msg=name)
