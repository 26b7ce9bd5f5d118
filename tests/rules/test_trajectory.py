"""National trajectory sums: a practice follows its line r·min(t, D) up to the room left by the saturation
deficit (IPCC 2006 Vol. 4 Ch. 2 eq. 2.25; docs/methods/practices.md §6.5, docs/methods/saturation.md §4.3)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scsmap.rules.trajectory import (
    path_bins,
    path_bins_many,
    practice_cumulative,
    practice_path_sums,
    practice_paths_sums,
    weighted_sums,
)

NAN = float("nan")


def test_path_sums_by_hand():
    # cell 1: 1 ha, 0.5 t/ha/yr, room 3 t/ha -> 0.5 t, 1.0, ... capped at 3 from year 6
    # cell 2: 2 ha, 0.2 t/ha/yr, room unknown (NaN: not capped) -> 0.2 t x min(year, 20)
    # cell 3: 3 ha, a loss of 0.1 t/ha/yr, room 1: a loss is never capped -> -0.1 x min(year, 20)
    # cell 4: rate unknown, cell 5: outside the region (weight 0): left out
    w = [1.0, 2.0, 3.0, 4.0, 0.0]
    r = [0.5, 0.2, -0.1, NAN, 1.0]
    c = [3.0, NAN, 1.0, 1.0, 1.0]
    years = [0, 2, 6, 10, 20, 25]
    # year 2: 1 + 2 x 0.4 - 3 x 0.2 = 1.2; year 6: 3 + 2.4 - 1.8 = 3.6; year 10: 3 + 4 - 3 = 4;
    # year 20: 3 + 8 - 6 = 5; year 25: D = 20 reached, as year 20
    expect = [0.0, 1.2, 3.6, 4.0, 5.0, 5.0]
    assert practice_path_sums(w, r, c, 20.0, years) == pytest.approx(expect, abs=1e-12)


def test_negative_room_caps_a_gain_at_zero_and_years_must_increase():
    assert practice_path_sums([2.0], [0.3], [-1.0], 20.0, [0, 1, 5]) == pytest.approx([0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="increasing"):
        practice_path_sums([1.0], [0.3], [1.0], 20.0, [0, 5, 2])


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    duration=st.sampled_from([20.0, 7.5, 1.0, 60.0]),
    n_years=st.integers(1, 80),
)
def test_path_sums_equal_the_sum_of_cumulative_changes_year_by_year(seed, duration, n_years):
    """The binned sums against the definition: Σ w · practice_cumulative for each year separately."""
    rng = np.random.default_rng(seed)
    n = 500
    w = rng.uniform(0, 10, n) * (rng.random(n) > 0.1)
    r = rng.normal(0.2, 0.4, n)
    r[rng.random(n) < 0.1] = NAN
    c = rng.uniform(-1, 8, n)
    c[rng.random(n) < 0.1] = NAN
    r[:20] = c[:20] / 3.0  # exactly on the cap at year 3
    r[20:30], c[20:30] = 0.5, duration * 0.5  # exactly on the cap when D is reached (x = D, 7.5 included)
    years = list(range(n_years + 1))
    ok = np.isfinite(r) & (w > 0)
    expect = [np.sum(w[ok] * practice_cumulative(r[ok], c[ok], duration, y)) for y in years]
    got = practice_path_sums(w.reshape(20, 25), r.reshape(20, 25), c.reshape(20, 25), duration, years)
    np.testing.assert_allclose(got, expect, rtol=1e-12, atol=1e-9)
    # the compiled bins are numpy's (searchsorted and bincount), bit for bit: with the search and with the
    # closed form of whole years (0, 1, 2, ...); float32 rates and room as their float64 values
    t = np.minimum(np.asarray(years, dtype="f8"), duration)
    for whole_years in (False, True):
        wr, wc = path_bins_many(w, [r], c, t, whole_years)
        for a, b in zip((wr[0], wc[0]), path_bins(w, r, c, t)):
            np.testing.assert_array_equal(a, b)
    r32, c32 = r.astype("f4"), c.astype("f4")
    np.testing.assert_array_equal(
        practice_path_sums(w, r32, c32, duration, years),
        practice_path_sums(w, r32.astype("f8"), c32.astype("f8"), duration, years),
    )


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), duration=st.sampled_from([20.0, 7.5, 1.0]))
def test_path_sums_of_uneven_years_equal_the_year_by_year_sums(seed, duration):
    """Years that are not 0, 1, 2, ... take the search: the same sums as the definition."""
    rng = np.random.default_rng(seed)
    n = 400
    w = rng.uniform(0, 10, n)
    r = rng.normal(0.2, 0.4, n)
    c = rng.uniform(-1, 8, n)
    c[rng.random(n) < 0.1] = NAN
    years = sorted({0.0, *rng.choice(np.arange(1, 40), size=6, replace=False).tolist(), 2.5})
    expect = [np.sum(w * practice_cumulative(r, c, duration, y)) for y in years]
    np.testing.assert_allclose(practice_path_sums(w, r, c, duration, years), expect, rtol=1e-12, atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), whole=st.booleans(), f32=st.booleans())
def test_pathways_in_one_pass_equal_each_pathway_alone(seed, whole, f32):
    """Several pathways sharing weights and room, in one pass: each row equal, bit for bit, to that pathway's
    sums alone (its bins added in cell order either way); float32 rates as their float64 values, mixed too."""
    rng = np.random.default_rng(seed)
    n = 3_000
    w = rng.uniform(0, 10, n) * (rng.random(n) > 0.1)
    w[rng.random(n) < 0.02] = NAN
    c = rng.uniform(-1, 8, n)
    c[rng.random(n) < 0.1] = NAN
    rates = []
    for k in range(5):
        r = rng.normal(0.2, 0.4, n)
        r[rng.random(n) < 0.1 * k] = NAN
        r[rng.random(n) < 0.1] = 0.0
        rates.append(r.astype("f4") if f32 and k % 2 else r)
    years = list(range(31)) if whole else [0.0, 0.5, 3.0, 7.0, 19.0, 40.0]
    got = practice_paths_sums(w, rates, c, 20.0, years)
    assert got.shape == (5, len(years))
    for k, r in enumerate(rates):
        np.testing.assert_array_equal(got[k], practice_path_sums(w, r, c, 20.0, years), err_msg=str(k))
        t = np.minimum(np.asarray(years, dtype="f8"), 20.0)
        alone = path_bins(w, r, c, t)
        line = np.cumsum(alone[0][::-1])[::-1][1:]
        np.testing.assert_array_equal(got[k], t * line + np.cumsum(alone[1])[: t.size], err_msg=str(k))
    with pytest.raises(ValueError, match="no rate layer"):
        practice_paths_sums(w, [], c, 20.0, years)
    for short in ([rates[0], rates[1][:-1]], [rates[0]]):  # a rate layer, or the room, of another size
        with pytest.raises(ValueError, match="weights' 3000 cells"):
            practice_paths_sums(w, short, c if len(short) == 2 else c[:10], 20.0, years)


def test_weighted_sums_leave_out_nan_and_outside_cells():
    w = np.array([[1.0, 2.0], [0.0, 4.0]])
    v = np.array([[[1.0, NAN], [5.0, 0.5]], [[2.0, 2.0], [2.0, NAN]]])
    np.testing.assert_allclose(weighted_sums(w, v), [1.0 + 0.0 + 2.0, 2.0 + 4.0], rtol=0, atol=0)


@pytest.mark.parametrize("whole", [True, False])
def test_the_compiled_bins_are_bincounts_bits_with_zero_rates(whole):
    """The loop's bins equal numpy.bincount's bit for bit (compared as bytes: -0.0 is not +0.0) where most rates
    are +0.0 or -0.0, with negative rates, NaN, a negative or missing room and zero weights."""
    rng = np.random.default_rng(11)
    n = 5_000
    w = rng.uniform(0, 10, n) * (rng.random(n) > 0.1)
    c = rng.uniform(-1, 8, n)
    c[rng.random(n) < 0.1] = NAN
    r = rng.normal(0.1, 0.4, n)
    zero = rng.random(n) < 0.6
    r[zero] = np.where(rng.random(zero.sum()) < 0.5, 0.0, -0.0)
    r[rng.random(n) < 0.05] = NAN
    r[:50] = -0.0  # a run of -0.0 first: a sum of them alone would be -0.0
    years = list(range(31)) if whole else [0.0, 0.5, 3.0, 7.0, 19.0, 40.0]
    t = np.minimum(np.asarray(years, dtype="f8"), 20.0)
    for rate in (r, r.astype("f4")):
        wr, wc = path_bins_many(w, [np.ascontiguousarray(rate)], c, t, whole)
        expect_wr, expect_wc = path_bins(w, rate, c, t)
        assert wr[0].tobytes() == expect_wr.tobytes()
        assert wc[0].tobytes() == expect_wc.tobytes()


@pytest.mark.parametrize("k", [1, 4, 5, 9])
def test_each_lane_of_the_compiled_bins_is_its_layers_bincount(k):
    """Layers binned four at a time (free lanes filled): each row equals numpy.bincount's bins of its own layer
    alone, as bytes, whatever its lane and its neighbours (zero runs, NaN, negative rates, capped cells)."""
    rng = np.random.default_rng(k)
    n = 4_000
    w = rng.uniform(0, 10, n) * (rng.random(n) > 0.1)
    c = rng.uniform(-1, 8, n)
    c[rng.random(n) < 0.1] = NAN
    rates = []
    for j in range(k):
        r = rng.normal(0.1 * j, 0.4, n)
        r[rng.random(n) < 0.1 * (j % 4)] = np.where(j % 2, 0.0, -0.0)
        r[rng.random(n) < 0.05 * (j % 3)] = NAN
        rates.append(r.astype("f4"))
    for years in (list(range(31)), [0.0, 0.5, 3.0, 7.0, 19.0, 40.0]):
        t = np.minimum(np.asarray(years, dtype="f8"), 20.0)
        wr, wc = path_bins_many(w, rates, c.astype("f4"), t, years[1] == 1)
        assert wr.shape == wc.shape == (k, t.size + 1)
        for j, r in enumerate(rates):
            expect_wr, expect_wc = path_bins(w, r, c.astype("f4"), t)
            assert wr[j].tobytes() == expect_wr.tobytes(), j
            assert wc[j].tobytes() == expect_wc.tobytes(), j
    with pytest.raises(ValueError, match="no rate layer"):
        path_bins_many(w, [], c, t, False)
    with pytest.raises(ValueError, match="one dtype"):
        path_bins_many(w, [rates[0], rates[0].astype("f8")], c, t, False)
