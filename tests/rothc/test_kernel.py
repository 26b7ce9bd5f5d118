"""RothC kernel: oracles from the Rothamsted description and methods.md, and properties.

Oracles (never this code's own output):
- x(clay), Falloon IOM and the temperature factor: docs/methods/rothc.md §2.1-2.2 check values;
- RC-3: TSMD worked example, RothC-26.3 description Table 2 (docs/methods/rothc.md §2.5);
- RC-4: one-month Hoosfield step, description §2.2;
- GS-1: GSOCseq analytic spin-up, four cases (docs/methods/rothc.md §2.5 / App. A.3);
- RC-1: equilibrium of the RothC_Py example, ``RothC_Py_year_results.csv`` (needs ../shared).
"""

from __future__ import annotations

import csv

import numpy as np
import pytest
from conftest import SHARED, needs_shared
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from scsmap.rothc import kernel as K
from scsmap.rothc import modifiers as M
from scsmap.rothc import params as P

REF = SHARED / "reference" / "rothc"
needs_ref = pytest.mark.skipif(not (REF / "RothC_Py_input.dat").is_file(), reason=f"{REF} not found")


# ---------------------------------------------------------------------------------------------
# constants and modifiers (docs/methods/rothc.md §2.1, docs/methods/rothc.md §2.2)
# ---------------------------------------------------------------------------------------------


def test_x_clay_check_values():
    clay = [0, 10, 13, 20, 23.4, 30, 40, 60]
    expected = [5.762, 4.307, 4.051, 3.644, 3.514, 3.342, 3.205, 3.113]
    np.testing.assert_allclose(P.x_clay(clay), expected, atol=6e-4)
    # the 1.67 factor scales the Rothamsted ratio to 3.51 at 23.4 % clay (description §1.4)
    assert round(float(P.x_clay(23.4)), 2) == 3.51


def test_falloon_iom_check_values():
    np.testing.assert_allclose(P.falloon_iom([20, 40, 60, 100, 200]), [1.486, 3.273, 5.194, 9.294, 20.468], atol=6e-4)


def test_temperature_factor_check_values():
    t = [-5, 0, 5, 10, 15, 20, 25, 30]
    expected = [0.0162, 0.1439, 0.4971, 1.099, 1.898, 2.822, 3.802, 4.791]
    np.testing.assert_allclose(M.temperature_factor(t), expected, atol=6e-4)
    assert M.temperature_factor(-5.01) == 0.0
    assert M.temperature_factor(-30.0) == 0.0
    a = M.temperature_factor(np.array([[0.0, 10.0], [-6.0, 30.0]]))
    assert a.shape == (2, 2) and a.dtype == np.float64 and a[1, 0] == 0.0


def test_temperature_factor_soilr_variant():
    # 47.9/(1+exp(106/(T+18.3))); not zeroed below -5, NA below -18.3 (docs/methods/gsocseq.md §1.5);
    # reaches 2.4 at T ~ 17.8 degC (docs/methods/gsocseq.md §1.7 Euler-instability note)
    a = M.temperature_factor_soilr([-10.0, 17.8, -18.4, 10.0])
    assert a[0] > 0.0
    assert abs(a[1] - 2.4) < 0.02
    assert np.isnan(a[2])
    assert abs(a[3] - 1.099) < 0.01


def test_smd_limits_description_value():
    smd_max, smd_1bar, smd_bare = M.smd_limits(23.4, 23.0)
    assert round(float(smd_max), 2) == -44.94
    assert smd_1bar == pytest.approx(0.444 * smd_max) and smd_bare == pytest.approx(0.556 * smd_max)
    # deeper topsoil scales the deficit linearly (depth/23)
    assert M.smd_limits(23.4, 46.0)[0] == pytest.approx(2 * smd_max)


def test_tsmd_worked_example_rc3():
    rain = [74, 59, 62, 51, 52, 57, 34, 55, 58, 56, 75, 71]
    pan = [8, 10, 27, 49, 83, 99, 103, 91, 69, 34, 16, 8]
    acc, b = M.tsmd_series(rain, pan, np.ones(12), 23.4, 23.0)
    acc_expected = [0, 0, 0, 0, -10.25, -27.50, -44.94, -44.94, -38.69, -8.19, 0, 0]
    b_expected = [1, 1, 1, 1, 1, 0.7585, 0.2, 0.2, 0.4001, 1, 1, 1]
    np.testing.assert_allclose(acc, acc_expected, atol=0.005)  # Table 2 prints 2 decimals
    np.testing.assert_allclose(b, b_expected, atol=1e-4)


def test_tsmd_bare_soil_stops_at_bare_limit():
    smd_max, _s1, smd_bare = M.smd_limits(23.4, 23.0)  # -44.94, -19.95, -24.99
    # bare soil from field capacity, a very dry month: only down to smd_bare
    s, _b = M.tsmd_step(0.0, 0.0, 200.0, 0, 23.4, 23.0)
    assert s == pytest.approx(smd_bare)
    # already drier than smd_bare (e.g. under a crop before): stays there, no further drying
    s2, _ = M.tsmd_step(-40.0, 0.0, 200.0, 0, 23.4, 23.0)
    assert s2 == pytest.approx(-40.0)
    # rain rewets: -40 + 30 = -10
    s3, b3 = M.tsmd_step(-40.0, 30.0, 0.0, 0, 23.4, 23.0)
    assert s3 == pytest.approx(-10.0) and b3 == 1.0
    # covered soil dries to smd_max; b = 0.2 there
    s4, b4 = M.tsmd_step(0.0, 0.0, 200.0, 1, 23.4, 23.0)
    assert s4 == pytest.approx(smd_max) and b4 == pytest.approx(0.2)
    # PET instead of pan evaporation (evap_coeff=1): DF = rain - PET
    s5, _ = M.tsmd_step(0.0, 10.0, 20.0, 1, 23.4, 23.0, evap_coeff=1.0)
    assert s5 == pytest.approx(-10.0)
    # v2 minRM_Moist lowers the floor of b
    _, b6 = M.tsmd_step(0.0, 0.0, 200.0, 1, 23.4, 23.0, rm_min=0.1)
    assert b6 == pytest.approx(0.1)


def test_cover_and_paddy_factors():
    np.testing.assert_array_equal(M.cover_factor([0, 1, True, False]), [1.0, 0.6, 0.6, 1.0])
    np.testing.assert_array_equal(M.paddy_factor([True, False]), [0.4, 1.0])


def test_tsmd_settle_jumps_over_a_slow_drift():
    # covered all year, net DF = -0.0012 mm/yr and never clamped: 0 -> smd_max takes ~37,000 years
    pan = np.full(12, 40.0)
    rain = 0.75 * pan - 1e-4
    smd_max = M.smd_limits(23.4, 23.0)[0]
    s, yrs, uns = M.tsmd_settle(rain, pan, np.ones(12), 23.4, 23.0)
    assert not uns
    assert s == pytest.approx(smd_max, abs=1e-9)
    assert abs(yrs - (-smd_max) / 12e-4) < 3
    s_next, _ = M.tsmd_series(rain, pan, np.ones(12), 23.4, 23.0, swc0=s)
    assert s_next[-1] == pytest.approx(s, abs=1e-10)
    # the same with bare months that hold the soil beyond the bare limit
    cov = np.array([1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1])
    s2, _y2, uns2 = M.tsmd_settle(rain, pan, cov, 23.4, 23.0)
    s2_next, _ = M.tsmd_series(rain, pan, cov, 23.4, 23.0, swc0=s2)
    assert not uns2 and s2_next[-1] == pytest.approx(s2, abs=1e-10)


def test_tsmd_settle_reaches_a_fixed_point():
    rain = np.array([10, 5, 0, 0, 0, 0, 0, 0, 5, 10, 20, 10.0])
    pan = np.array([20, 30, 60, 90, 120, 150, 150, 120, 90, 60, 30, 20.0])
    cov = np.ones(12)
    s, yrs, uns = M.tsmd_settle(rain, pan, cov, 30.0, 30.0)
    assert not uns and yrs >= 1
    s_next, _ = M.tsmd_series(rain, pan, cov, 30.0, 30.0, swc0=s)
    assert s_next[-1] == pytest.approx(s, abs=1e-10)


# ---------------------------------------------------------------------------------------------
# monthly step (RC-4) and analytic spin-up (GS-1)
# ---------------------------------------------------------------------------------------------


def test_one_month_hoosfield_rc4():
    pools = np.array([0.1533, 4.4852, 0.6671, 25.8576, 2.7])
    out = K.step(pools, 0.3561, P.x_clay(23.4))
    np.testing.assert_allclose(out[:4], [0.1140, 4.4455, 0.6651, 25.8551], atol=1e-4)
    assert out[4] == 2.7


def test_step_vectorised_matches_scalar():
    rng = np.random.default_rng(1)
    pools = rng.uniform(0, 30, (5, 7))
    rm = rng.uniform(0, 3, 7)
    clay = rng.uniform(0, 70, 7)
    u = K.partition_inputs(rng.uniform(0, 1, 7), 1.44, rng.uniform(0, 1, 7))
    vec = K.step(pools, rm, P.x_clay(clay), u)
    for i in range(7):
        one = K.step(pools[:, i], rm[i], P.x_clay(clay[i]), u[:, i])
        np.testing.assert_allclose(vec[:, i], one, rtol=0, atol=1e-14)


GS1 = [
    ((0.5, 50, 20, 1.44), 2.536214, [0.2994, 6.9295, 0.9701, 37.5809, 4.2201]),
    ((0.3, 35, 13, 1.44), 1.168839, [0.2299, 5.3226, 0.6703, 25.9660, 2.8112]),
    ((1.2, 80, 40, 0.67), 8.179822, [0.2735, 13.6058, 1.4825, 57.4302, 7.2080]),
    ((0.8, 60, 30, 0.25), 3.995518, [0.0999, 13.3184, 1.0415, 40.3461, 5.1941]),
]


@pytest.mark.parametrize("args, c_eq, pools", GS1)
def test_analytic_spinup_gs1(args, c_eq, pools):
    ce, p = K.analytic_spinup(*args)
    assert ce == pytest.approx(c_eq, abs=6e-7)
    np.testing.assert_allclose(p, pools, atol=6e-5)
    assert p.sum() == pytest.approx(args[1], rel=1e-12)


def test_analytic_spinup_vectorised():
    xi, soc, clay, dr = (np.array([a[0][i] for a in GS1]) for i in range(4))
    ce, p = K.analytic_spinup(xi, soc, clay, dr)
    np.testing.assert_allclose(ce, [a[1] for a in GS1], atol=6e-7)
    assert p.shape == (5, 4)


# ---------------------------------------------------------------------------------------------
# Rothamsted equilibrium on the reference input (RC-1)
# ---------------------------------------------------------------------------------------------


def _ref_input():
    lines = (REF / "RothC_Py_input.dat").read_text().split("\n")
    rows = np.array([[float(v) for v in ln.split()] for ln in lines[7:] if ln.strip()])
    return rows  # year month modern Tmp Rain Evap C_inp FYM PC DPM_RPM


def _ref_year_rows():
    with open(REF / "RothC_Py_year_results.csv") as fh:
        return [dict((k, float(v)) for k, v in r.items()) for r in csv.DictReader(fh)]


def _ref_kw(rows):
    r12 = rows[:12]
    return dict(
        tmp12=r12[:, 3],
        rain12=r12[:, 4],
        evap12=r12[:, 5],
        covered12=r12[:, 8],
        clay=13.0,
        depth=25.0,
        inputs12=K.partition_inputs(r12[:, 6], r12[:, 9], r12[:, 7], axis=1),
        iom=3.0041,
    )


@needs_shared
@needs_ref
@pytest.mark.parametrize("method", ["monthly", "annual"])
def test_rothamsted_equilibrium_oracle(method):
    rows = _ref_input()
    eq = K.equilibrium_rothamsted(**_ref_kw(rows), method=method)
    ref = _ref_year_rows()[0]
    assert int(eq.months) == 19872 == int(ref["Month"])
    names = ["DPM_t_C_ha", "RPM_t_C_ha", "BIO_t_C_ha", "HUM_t_C_ha", "IOM_t_C_ha"]
    np.testing.assert_allclose(eq.pools, [ref[n] for n in names], rtol=0, atol=1e-9)
    assert eq.pools.sum() == pytest.approx(ref["SOC_t_C_ha"], abs=1e-9)


@needs_shared
@needs_ref
def test_exact_equilibrium_vs_reference_within_stopping_tolerance():
    rows = _ref_input()
    kw = _ref_kw(rows)
    ex = K.equilibrium_exact(**kw)
    ref = _ref_year_rows()[0]
    rm12, s, _ = K.periodic_cycle(**{k: kw[k] for k in ("tmp12", "rain12", "evap12", "covered12", "clay", "depth")})
    Mx, _v = K.annual_map(rm12, P.x_clay(13.0), kw["inputs12"])
    lam = np.max(np.abs(np.linalg.eigvals(Mx)))
    bound = 2 * P.EQ_TOL * lam / (1 - lam)  # distance left when the annual change is < 1e-6
    diff = abs(ex.pools.sum() - ref["SOC_t_C_ha"])
    assert diff <= bound
    assert diff > 1e-7  # the iteration really stops short of the fixed point (HUM is slow)


# ---------------------------------------------------------------------------------------------
# affine map
# ---------------------------------------------------------------------------------------------


def test_solve_periodic_matches_linear_solve():
    rng = np.random.default_rng(3)
    rm12 = rng.uniform(0, 3, (12, 9))
    u = K.partition_inputs(rng.uniform(0, 0.5, (12, 9)), 1.44, rng.uniform(0, 0.2, (12, 9)), axis=1)
    Mx, v = K.annual_map(rm12, P.x_clay(rng.uniform(0, 60, 9)), u)
    c = K.solve_periodic(Mx, v)
    for i in range(9):
        ref = np.linalg.solve(np.eye(4) - Mx[:, :, i], v[:, i])
        np.testing.assert_allclose(c[:, i], ref, rtol=1e-12)


def test_advance_years_per_pixel_counts():
    rng = np.random.default_rng(4)
    rm12 = rng.uniform(0, 3, (12, 5))
    u = K.partition_inputs(rng.uniform(0, 0.5, (12, 5)), 1.44, axis=1)
    Mx, v = K.annual_map(rm12, 3.5, u)
    c0 = rng.uniform(0, 30, (5, 5))
    n = np.array([0, 1, 7, 20, 1000])
    out = K.advance_years(c0, Mx, v, n)
    for i, ni in enumerate(n):
        np.testing.assert_allclose(
            out[:, i], K.advance_years(c0[:, i], Mx[:, :, i], v[:, i], int(ni)), rtol=1e-13, atol=1e-12
        )
    np.testing.assert_array_equal(out[4], c0[4])  # IOM untouched
    with pytest.raises(ValueError):
        K.advance_years(c0, Mx, v, -1)


def test_run_matches_simulate_given_its_rate_modifiers():
    rng = np.random.default_rng(5)
    n, npix = 36, 6
    clim = dict(
        tmp=rng.uniform(-8, 28, (n, npix)),
        rain=rng.uniform(0, 150, (n, npix)),
        evap=rng.uniform(0, 150, (n, npix)),
        covered=rng.integers(0, 2, (n, npix)),
    )
    clay = rng.uniform(0, 60, npix)
    u = K.partition_inputs(rng.uniform(0, 0.4, (n, npix)), 1.44, axis=1)
    pools = np.vstack([rng.uniform(0, 20, (4, npix)), np.full((1, npix), 2.0)])
    sim = K.simulate(pools, 0.0, clay=clay, depth=30.0, inputs=u, record="month", **clim)
    out, recs = K.run(pools, sim.records["rm"], P.x_clay(clay), u, record="month")
    np.testing.assert_allclose(out, sim.pools, rtol=1e-14, atol=1e-13)
    np.testing.assert_allclose(recs, sim.records["pools"], rtol=1e-14, atol=1e-13)


# ---------------------------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------------------------

NPIX = 8
_floats = dict(allow_nan=False, allow_infinity=False)


@st.composite
def climates(draw, npix=NPIX):
    """A 12-month climatology for ``npix`` pixels (temperate to warm, wet to dry)."""

    def arr(lo, hi, shape=(12, npix)):  # values to 0.01, as climate inputs are given
        return np.round(draw(hnp.arrays(np.float64, shape, elements=st.floats(lo, hi, **_floats))), 2)

    return dict(
        tmp12=arr(-10.0, 32.0),
        rain12=arr(0.0, 200.0),
        evap12=arr(0.0, 200.0),
        covered12=draw(hnp.arrays(np.int64, (12, npix), elements=st.integers(0, 1))),
        clay=arr(0.0, 80.0, (npix,)),
        depth=arr(10.0, 40.0, (npix,)),
        inputs12=K.partition_inputs(arr(0.0, 1.0), arr(0.25, 1.44, (npix,)), arr(0.0, 0.3), axis=1),
    )


_hyp = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_hyp
@given(
    pools=hnp.arrays(np.float64, (5, NPIX), elements=st.floats(0.0, 100.0, **_floats)),
    rm=hnp.arrays(np.float64, (NPIX,), elements=st.floats(0.0, 6.0, **_floats)),
    clay=hnp.arrays(np.float64, (NPIX,), elements=st.floats(0.0, 100.0, **_floats)),
    c_inp=hnp.arrays(np.float64, (NPIX,), elements=st.floats(0.0, 5.0, **_floats)),
    fym=hnp.arrays(np.float64, (NPIX,), elements=st.floats(0.0, 5.0, **_floats)),
)
def test_monthly_carbon_balance_and_nonnegative(pools, rm, clay, c_inp, fym):
    u = K.partition_inputs(c_inp, 1.44, fym)
    new, co2 = K.step(pools, rm, P.x_clay(clay), u, return_co2=True)
    d_soc = new.sum(axis=0) - pools.sum(axis=0)
    assert np.all(np.abs(d_soc - (c_inp + fym - co2)) <= 1e-12 * (1 + pools.sum(axis=0) + c_inp + fym))
    assert np.all(new >= 0.0) and np.all(co2 >= 0.0)
    np.testing.assert_array_equal(new[4], pools[4])


@_hyp
@given(clim=climates())
def test_simulated_pools_stay_nonnegative(clim):
    pools = np.zeros((5, NPIX))
    res = K.simulate(
        pools,
        0.0,
        tmp=np.tile(clim["tmp12"], (3, 1)),
        rain=np.tile(clim["rain12"], (3, 1)),
        evap=np.tile(clim["evap12"], (3, 1)),
        covered=np.tile(clim["covered12"], (3, 1)),
        clay=clim["clay"],
        depth=clim["depth"],
        inputs=np.tile(clim["inputs12"], (3, 1, 1)),
        record="month",
    )
    assert np.all(res.records["pools"] >= 0.0)


@_hyp
@given(clim=climates())
def test_exact_equilibrium_is_a_fixed_point_of_one_simulated_year(clim):
    ex = K.equilibrium_exact(**clim, iom=2.0)
    with np.errstate(invalid="ignore"):  # inf pools where RM = 0 all year (no equilibrium)
        res = K.simulate(
            ex.pools,
            ex.swc,
            tmp=clim["tmp12"],
            rain=clim["rain12"],
            evap=clim["evap12"],
            covered=clim["covered12"],
            clay=clim["clay"],
            depth=clim["depth"],
            inputs=clim["inputs12"],
        )
    finite = np.all(np.isfinite(ex.pools), axis=0)  # RM = 0 all year and input > 0 has no equilibrium
    np.testing.assert_allclose(
        res.pools[:, finite],
        ex.pools[:, finite],
        rtol=0,
        atol=1e-9 * max(1.0, float(np.max(ex.pools[:, finite], initial=1.0)) / 100),
    )
    np.testing.assert_allclose(res.swc, ex.swc, atol=1e-10)


@st.composite
def warm_climates(draw):
    clim = draw(climates())
    clim["tmp12"] = np.clip(clim["tmp12"], 8.0, None)  # slow HUM: keep the iteration to <~10^4 years
    return clim


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clim=warm_climates())
def test_exact_equilibrium_agrees_with_rothamsted_iteration(clim):
    it = K.equilibrium_rothamsted(**clim, iom=2.0, method="annual")
    ex = K.equilibrium_exact(**clim, iom=2.0)
    rm12, _s, settle = K.periodic_cycle(
        **{k: clim[k] for k in ("tmp12", "rain12", "evap12", "covered12", "clay", "depth")}
    )
    Mx, _v = K.annual_map(rm12, P.x_clay(clim["clay"]), clim["inputs12"])
    lam = np.array([np.max(np.abs(np.linalg.eigvals(Mx[:, :, i]))) for i in range(NPIX)])
    # the iteration stops once the annual change is < tol; the slowest mode then still has
    # about tol * lam / (1 - lam) to go
    bound = 4 * P.EQ_TOL / (1 - lam) + 1e-9
    # the iteration only looks at the pools: where they stop changing before the moisture
    # deficit has settled (tiny inputs), it ends on a different moisture cycle
    ok = it.months > 12 * settle
    assert np.all((np.abs(it.pools.sum(axis=0) - ex.pools.sum(axis=0)) <= bound)[ok])
    np.testing.assert_allclose(it.swc[ok], ex.swc[ok], atol=1e-9)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clim=climates(npix=4))
def test_rothamsted_iteration_monthly_equals_annual(clim):
    clim["tmp12"] = np.clip(clim["tmp12"], 8.0, None)
    a = K.equilibrium_rothamsted(**clim, iom=1.0, method="monthly")
    b = K.equilibrium_rothamsted(**clim, iom=1.0, method="annual")
    np.testing.assert_array_equal(a.months, b.months)
    np.testing.assert_allclose(a.pools, b.pools, rtol=0, atol=1e-9)


@_hyp
@given(clim=climates(), k=st.floats(1.01, 3.0))
def test_more_input_gives_more_soc(clim, k):
    lo = K.equilibrium_exact(**clim, iom=2.0)
    clim_hi = dict(clim, inputs12=clim["inputs12"] * k)
    hi = K.equilibrium_exact(**clim_hi, iom=2.0)
    ok = np.all(np.isfinite(lo.pools), axis=0) & (clim["inputs12"].sum(axis=(0, 1)) > 1e-6)
    assert np.all(hi.pools.sum(axis=0)[ok] > lo.pools.sum(axis=0)[ok])
    # and along a forward run from the same state, month by month
    start = np.vstack([np.full((4, NPIX), 5.0), np.full((1, NPIX), 2.0)])
    kw = dict(
        tmp=clim["tmp12"],
        rain=clim["rain12"],
        evap=clim["evap12"],
        covered=clim["covered12"],
        clay=clim["clay"],
        depth=clim["depth"],
        record="month",
    )
    r_lo = K.simulate(start, 0.0, inputs=clim["inputs12"], **kw).records["pools"].sum(axis=1)
    r_hi = K.simulate(start, 0.0, inputs=clim["inputs12"] * k, **kw).records["pools"].sum(axis=1)
    assert np.all(r_hi >= r_lo)


@_hyp
@given(clim=climates(), years=st.integers(0, 25), swc_share=st.floats(0.0, 1.0))
def test_affine_forward_equals_monthly_stepping(clim, years, swc_share):
    rng = np.random.default_rng(years)
    pools = np.vstack([rng.uniform(0, 40, (4, NPIX)), np.full((1, NPIX), 3.0)])
    swc0 = swc_share * M.smd_limits(clim["clay"], clim["depth"])[0]  # any deficit, settled or not
    fast, s_fast = K.forward_periodic(pools, swc0, years=years, **clim)
    tile = (years, 1)
    slow = (
        K.simulate(
            pools,
            swc0,
            tmp=np.tile(clim["tmp12"], tile),
            rain=np.tile(clim["rain12"], tile),
            evap=np.tile(clim["evap12"], tile),
            covered=np.tile(clim["covered12"], tile),
            clay=clim["clay"],
            depth=clim["depth"],
            inputs=np.tile(clim["inputs12"], (years, 1, 1)),
            record="year",
        )
        if years
        else None
    )
    if years == 0:
        np.testing.assert_array_equal(fast, pools)
        return
    np.testing.assert_allclose(fast, slow.pools, rtol=0, atol=1e-9)
    np.testing.assert_allclose(s_fast, slow.swc, atol=1e-9)
    # the year-by-year path too
    _p, _s, path = K.forward_periodic(pools, swc0, years=years, record_years=True, **clim)
    np.testing.assert_allclose(path, slow.records["pools"], rtol=0, atol=1e-9)
    # and the pools at chosen years only (jumps between them; unsorted, repeated, the first year, the last)
    at = [years, 1, (years + 1) // 2, 1]
    p_at, s_at, path_at = K.forward_periodic(pools, swc0, years=years, record_years=at, **clim)
    np.testing.assert_allclose(path_at, slow.records["pools"][[y - 1 for y in at]], rtol=0, atol=1e-9)
    np.testing.assert_allclose(p_at, slow.pools, rtol=0, atol=1e-9)
    np.testing.assert_allclose(s_at, slow.swc, atol=1e-9)


def test_forward_scenarios_share_the_map():
    rng = np.random.default_rng(8)
    npix = 6
    clim = dict(
        tmp12=rng.uniform(-2, 25, (12, npix)),
        rain12=rng.uniform(0, 120, (12, npix)),
        evap12=rng.uniform(0, 140, (12, npix)),
        covered12=rng.integers(0, 2, (12, npix)),
        clay=rng.uniform(5, 50, npix),
        depth=30.0,
        inputs12=K.partition_inputs(rng.uniform(0, 0.5, (12, npix)), 1.44, axis=1),
    )
    pools = np.vstack([rng.uniform(0, 40, (4, npix)), np.full((1, npix), 3.0)])
    swc0 = 0.7 * M.smd_limits(clim["clay"], 30.0)[0]
    factors = (1.0, 1.05, 1.2)
    p, s, path = K.forward_periodic(pools, swc0, years=20, input_factors=factors, record_years=True, **clim)
    assert p.shape == (3, 5, npix) and path.shape == (3, 20, 5, npix)
    for i, f in enumerate(factors):
        one, s1 = K.forward_periodic(pools, swc0, years=20, **dict(clim, inputs12=clim["inputs12"] * f))
        np.testing.assert_allclose(p[i], one, rtol=0, atol=1e-10)
        np.testing.assert_allclose(path[i, -1], one, rtol=0, atol=1e-10)
        np.testing.assert_array_equal(s[i], s1)
    assert np.all(np.diff(p.sum(axis=1), axis=0) > 0)  # more input, more SOC
    # the pools at chosen years of every scenario: the year-by-year path at those years
    at = [5, 20, 1, 12]
    p_at, s_at, path_at = K.forward_periodic(pools, swc0, years=25, input_factors=factors, record_years=at, **clim)
    _p, _s, every = K.forward_periodic(pools, swc0, years=25, input_factors=factors, record_years=True, **clim)
    assert path_at.shape == (3, 4, 5, npix)
    np.testing.assert_allclose(path_at, every[:, [y - 1 for y in at]], rtol=0, atol=1e-10)
    np.testing.assert_allclose(p_at, every[:, -1], rtol=0, atol=1e-10)
    with pytest.raises(ValueError, match="outside 1..25"):
        K.forward_periodic(pools, swc0, years=25, record_years=[26], **clim)
