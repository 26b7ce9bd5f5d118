"""The compiled moisture cycle (scsmap.rothc.compiled_moisture) against its numpy oracle.

Oracles: :func:`scsmap.rothc.modifiers.tsmd_settle` (itself checked against month-by-month stepping in
test_kernel.py) for the settled deficit, the years and the unsettled flags, which must be equal bit for
bit; and ``kernel._cycle_rm`` with ``kernel.COMPILED = False`` (numpy's ``tsmd_step``, ``cover_factor``
and ``rate_modifiers``) for one year's rate modifiers, equal to 1e-13 relative (the loop's own ``exp``)
and deficits equal bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest

from scsmap.rothc import compiled_moisture as CM
from scsmap.rothc import kernel as K
from scsmap.rothc import modifiers as M


def _climatology(rng, n, evap_coeff=1.0):
    """Pixels that settle at once, after a few years, after a long unclamped drift, bare months, and no data."""
    evap = rng.uniform(0.0, 160.0, (12, n))
    rain = rng.uniform(0.0, 150.0, (12, n))
    covered = rng.random((12, n)) < 0.6
    drift = slice(0, n // 5)  # wet-dry balance within a hair: slow unclamped drift (jump path)
    evap[:, drift] = 40.0
    rain[:, drift] = evap_coeff * 40.0 + rng.choice([-1e-4, -3e-3, 2e-3], (1, n // 5))
    covered[:, drift] = True
    mixed = slice(n // 10, n // 5)  # drifts with bare months, wetting and drying months (margins, held soils)
    rain[:, mixed] = evap_coeff * 40.0 + rng.uniform(-2e-3, 1.5e-3, (12, n // 10))
    covered[2:4, mixed] = False
    covered[8, mixed] = False
    held = slice(n // 5, n // 5 + 50)  # bare months holding a dry soil beyond the bare limit
    covered[2:4, held] = False
    rain[:, held] = 0.5 * evap[:, held]
    rain[3, n - 3] = np.nan  # no data in one month
    evap[:, n - 2] = np.nan
    return rain, evap, covered


def _settle_both(rain, evap, covered, clay, depth, swc0, **kw):
    ref = M.tsmd_settle(rain, evap, covered, clay, depth, swc0=swc0, **kw)
    limits = M.smd_limits(clay, depth)
    shape = np.broadcast_shapes(np.shape(swc0), rain.shape[1:], evap.shape[1:], np.shape(limits[0]))
    got = CM.settle_pixels(
        rain,
        evap,
        covered,
        limits,
        np.asarray(swc0, dtype=float),
        shape,
        evap_coeff=kw.get("evap_coeff", 0.75),
        max_years=kw.get("max_years", 1000),
        atol=M.SETTLE_ATOL,
    )
    return ref, got


@pytest.mark.parametrize("evap_coeff", [0.75, 1.0])
def test_settle_equals_numpy_bit_for_bit(evap_coeff):
    rng = np.random.default_rng(3)
    n = 4000
    rain, evap, covered = _climatology(rng, n, evap_coeff)
    clay = rng.uniform(2.0, 70.0, n)
    depth = np.where(rng.random(n) < 0.5, 23.0, 30.0)
    swc0 = np.where(rng.random(n) < 0.5, 0.0, -rng.uniform(0, 60, n))
    ref, got = _settle_both(rain, evap, covered, clay, depth, swc0, evap_coeff=evap_coeff)
    for r, g in zip(ref, got, strict=True):
        np.testing.assert_array_equal(g, r)
    s, years, unsettled = got
    assert years[: n // 5].max() > 100  # the drift pixels jumped over many years
    assert unsettled[n - 3] and unsettled[n - 2] and not unsettled[: n - 3].any()
    assert years[n - 2] == 1001 and np.isnan(s[n - 2])  # numpy counts every year of a no-data pixel


def test_settle_broadcasts_a_shared_climatology_and_stops_at_max_years():
    rain = np.array([10, 5, 0, 0, 0, 0, 0, 0, 5, 10, 20, 10.0])
    pan = np.array([20, 30, 60, 90, 120, 150, 150, 120, 90, 60, 30, 20.0])
    clay = np.array([[5.0, 20.0, 45.0], [10.0, 30.0, 60.0]])  # one climatology (12,), pixels (2, 3)
    ref, got = _settle_both(rain, pan, np.ones(12), clay, 30.0, 0.0)
    for r, g in zip(ref, got, strict=True):
        assert g.shape == (2, 3)
        np.testing.assert_array_equal(g, r)
    slow = np.full(12, 40.0)  # unclamped drift of -0.0012 mm a year, but capped at one year
    ref, got = _settle_both(0.75 * slow - 1e-4, slow, np.ones(12), 23.4, 23.0, 0.0, max_years=0)
    for r, g in zip(ref, got, strict=True):
        np.testing.assert_array_equal(g, r)


@pytest.mark.parametrize("temperature", ["rothamsted", "soilr"])
@pytest.mark.parametrize("with_cover", [False, True])
def test_cycle_equals_numpy(temperature, with_cover):
    rng = np.random.default_rng(11)
    n = 3000
    rain, evap, covered = _climatology(rng, n)
    tmp = rng.normal(9.0, 11.0, (12, n))
    tmp[0, :6] = [-5.0, -5.000001, -18.3, -30.0, 45.0, -4.9]  # the temperature-function edges
    clay = rng.uniform(2.0, 70.0, n)
    limits = M.smd_limits(clay, 30.0)
    cover = rng.uniform(0.6, 1.0, (12, n)) if with_cover else None
    factor = np.where(rng.random(n) < 0.1, 0.4, 1.0)
    rm_min = rng.uniform(0.1, 0.3, n)
    swc = -rng.uniform(0, 80, n)
    args = (swc, tmp, rain, evap, covered, limits, cover, factor, 1.0, rm_min, temperature, (n,))
    K.COMPILED = False
    try:
        rm_ref, s_ref = K._cycle_rm(*args)
    finally:
        K.COMPILED = True
    rm, s = K._cycle_rm(*args)
    np.testing.assert_array_equal(s, s_ref)
    np.testing.assert_array_equal(np.isnan(rm), np.isnan(rm_ref))
    # the loop's exp clamps its argument at 45 (compiled._exp): a = 47.9 / (1 + e^45) = 1.4e-18 where numpy's
    # exp overflows to a = 0, just above -18.3 degC with the SoilR function
    np.testing.assert_allclose(rm, rm_ref, rtol=1e-13, atol=1e-17)
    if temperature == "rothamsted":  # 0 below -5 degC, not at it
        assert rm[0, 1] == 0 and rm[0, 3] == 0 and rm[0, 0] > 0
    else:  # NaN below -18.3 degC (SoilR's NA)
        assert np.isnan(rm[0, 3]) and not np.isnan(rm[0, 0])


def test_equilibrium_and_forward_runs_equal_the_numpy_path():
    rng = np.random.default_rng(5)
    n = 2000
    rain, evap, covered = _climatology(rng, n)
    tmp = rng.normal(12.0, 8.0, (12, n))
    clay = rng.uniform(5.0, 60.0, n)
    inputs = np.zeros((12, 4, n))
    inputs[:, 0], inputs[:, 1] = 0.1 / 12, rng.uniform(0.05, 0.2, n) / 12
    kw = dict(tmp12=tmp, rain12=rain, evap12=evap, covered12=covered, clay=clay, depth=30.0, evap_coeff=1.0)
    out = {}
    for compiled in (False, True):
        K.COMPILED = compiled
        try:
            eq = K.equilibrium_exact(**kw, inputs12=inputs, iom=np.full(n, 2.0))
            fwd = K.forward_periodic(eq.pools * 0.8, eq.swc - 5.0, years=20, **kw, inputs12=inputs * 1.1)
        finally:
            K.COMPILED = True
        out[compiled] = (eq, fwd)
    (eq0, f0), (eq1, f1) = out[False], out[True]
    np.testing.assert_array_equal(eq1.swc, eq0.swc)
    np.testing.assert_array_equal(eq1.months, eq0.months)
    # the fixed point amplifies the rate modifiers' 1e-13 (the loops' exp) by 1/(1 - lambda), lambda the HUM
    # pool's annual decay factor exp(-0.02 RM): up to ~10^3 for the slow pixels
    np.testing.assert_allclose(eq1.pools, eq0.pools, rtol=1e-10, equal_nan=True)
    np.testing.assert_array_equal(f1[1], f0[1])
    np.testing.assert_allclose(f1[0], f0[0], rtol=1e-10, equal_nan=True)
