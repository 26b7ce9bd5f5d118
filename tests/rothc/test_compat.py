"""GSOCseq-compat engine (scsmap.rothc.compat): oracles independent of the code under test.

* GS-1 analytic spin-up values (docs/methods/rothc.md §2.5);
* fw1func quirks worked by hand from the rules of docs/methods/gsocseq.md §1.5;
* explicit-Euler step count from the closed form (I + Δt ξ A)^N C0 + Σ (I + Δt ξ A)^i Δt u;
* Euler instability for k_DPM ξ Δt > 2 (DPM's own recursion is scalar: d_N = (1 − k ξ Δt)^N d_0);
* the documented compat-vs-exact bound in a temperate climate.
"""

from __future__ import annotations

import numpy as np
import pytest

from scsmap.rothc import compat as C
from scsmap.rothc.gsocseq import _chain

KD, KR, KB, KH = 10.0, 0.3, 0.66, 0.02  # docs/methods/rothc.md §2.1 [yr-1]


def _x(clay):
    return 1.67 * (1.85 + 1.60 * np.exp(-0.0786 * clay))


def _A(clay):
    """Active-pool ODE matrix of docs/methods/rothc.md §2.4, written out here (not taken from the module)."""
    x = _x(clay)
    k = np.array([KD, KR, KB, KH])
    A = -np.diag(k)
    A[2] += 0.46 / (x + 1) * k
    A[3] += 0.54 / (x + 1) * k
    return A


# --- GS-1: analytic spin-up (docs/methods/rothc.md §2.5) ---------------------------------------------------------
GS1 = [
    ((0.5, 50, 20, 1.44), 2.536214, (0.2994, 6.9295, 0.9701, 37.5809, 4.2201)),
    ((0.3, 35, 13, 1.44), 1.168839, (0.2299, 5.3226, 0.6703, 25.9660, 2.8112)),
    ((1.2, 80, 40, 0.67), 8.179822, (0.2735, 13.6058, 1.4825, 57.4302, 7.2080)),
    ((0.8, 60, 30, 0.25), 3.995518, (0.0999, 13.3184, 1.0415, 40.3461, 5.1941)),
]


@pytest.mark.parametrize("args,c_eq,pools", GS1)
def test_gs1_analytic_spinup(args, c_eq, pools):
    xi, soc, clay, dr = (np.array([v], float) for v in args)
    ce, p = C.spinup_analytic(xi, soc, clay, dr)
    np.testing.assert_allclose(ce, [c_eq], atol=2e-6)
    np.testing.assert_allclose(p[:, 0], pools, atol=1.5e-4)
    np.testing.assert_allclose(p.sum(axis=0), soc, rtol=1e-12)


def test_analytic_spinup_is_the_steady_state_of_the_ode():
    # −(ξA)^-1 u with u = C_eq (γ_D, γ_R, 0, 0)
    xi, soc, clay, dr = 0.7, 45.0, 25.0, 1.44
    ce, p = C.spinup_analytic(np.array([xi]), np.array([soc]), np.array([clay]), np.array([dr]))
    u = ce[0] * np.array([dr / (1 + dr), 1 / (1 + dr), 0, 0])
    np.testing.assert_allclose(p[:4, 0], -np.linalg.solve(xi * _A(clay), u), rtol=1e-10)


# --- fw1func quirks, by hand -------------------------------------------------------------------------
CLAY = 20.0
S = (20 + 1.3 * CLAY - 0.01 * CLAY**2) * 30 / 23  # 54.7826 mm
MAX_COV, MAX_BARE = -S, -S / 1.8  # -54.78, -30.43 mm
M = np.array([-70.0, 10, 60, -20, -20, -20, 100, -10, -5, 20, -25, -10])  # P - PET [mm]
PET = np.full(12, 80.0)
PREC = PET + M


def _b(acc, mx):
    return max(0.2, 1.0 if acc > 0.444 * mx else 0.2 + 0.8 * (mx - acc) / (mx - 0.444 * mx))


def test_fw1func_quirks_month12_bare():
    bare = np.zeros(12, bool)
    bare[[5, 11]] = True  # June and December bare
    # Acc by the rules: month 1 = min(M1, 0) not clamped; then running sum reset at >= 0, clamped >= MaxTSMD_i
    acc = [
        -70.0,  # month 1: below MaxTSMD, NOT clamped
        MAX_COV,  # -60 -> clamped to covered -54.78
        0.0,  # +5.2 -> 0
        -20.0,
        -40.0,
        MAX_BARE,  # -60 -> clamped to the bare limit -30.43 (June bare)
        0.0,
        -10.0,
        -15.0,
        0.0,
        -25.0,
        MAX_BARE,
    ]  # -35 -> bare limit (December bare)
    mx12 = MAX_BARE  # month-12 MaxTSMD used for every month
    expected = [_b(a, mx12) for a in acc]
    # spot values by hand: month 4 = 0.2 + 0.8*(-30.4348+20)/(0.556*-30.4348) = 0.6933; month 1, 2 clamp to 0.2
    assert expected[0] == 0.2 and expected[1] == 0.2
    assert expected[3] == pytest.approx(0.69332, abs=1e-4)
    b, a, mx = C.fw1func(PREC[:, None], PET[:, None], bare[:, None], np.array([CLAY]))
    np.testing.assert_allclose(a[:, 0], acc, atol=1e-12)
    np.testing.assert_allclose(mx, [mx12], rtol=1e-12)
    np.testing.assert_allclose(b[:, 0], expected, atol=1e-12)


def test_fw1func_quirks_month12_covered_and_month1_bare_ignored():
    bare = np.zeros(12, bool)
    bare[[0, 5]] = True  # January bare (never used for B) and June bare
    acc = [-70.0, MAX_COV, 0.0, -20.0, -40.0, MAX_BARE, 0.0, -10.0, -15.0, 0.0, -25.0, -35.0]
    expected = [_b(v, MAX_COV) for v in acc]  # month-12 covered limit for all b
    # June: clamped at the bare limit but b from the covered limit: 0.2 + 0.8*24.348/30.459 = 0.8395
    assert expected[5] == pytest.approx(0.83950, abs=1e-4)
    assert expected[0] == 0.2  # -70 < MaxTSMD: b < 0.2 before the clamp
    b, a, _ = C.fw1func(PREC[:, None], PET[:, None], bare[:, None], np.array([CLAY]))
    np.testing.assert_allclose(a[:, 0], acc, atol=1e-12)
    np.testing.assert_allclose(b[:, 0], expected, atol=1e-12)


def test_xi_uses_soilr_temperature_cover_and_paddy():
    t = np.array([-20.0, -10, 0, 5, 10, 15, 20, 25, 30, 12, 8, 3])[:, None]
    wet = np.full((12, 1), 100.0)
    dry = np.zeros((12, 1))
    cover = np.full((12, 1), 0.6)
    xi = C.xi_gsocseq(t, wet, dry, cover > 0.8, np.array([30.0]), cover, paddy=0.4)
    a = 47.9 / (1 + np.exp(106 / (t[1:, 0] + 18.3)))  # SoilR fT.RothC; no zero below -5 degC
    assert np.isnan(xi[0, 0])  # NA below -18.3 degC
    np.testing.assert_allclose(xi[1:, 0], a * 1.0 * 0.6 * 0.4, rtol=1e-12)
    assert xi[1, 0] > 0


# --- explicit Euler: step count from the closed form ------------------------------------------------
def _euler_closed_form(c0, xi, u, clay, n):
    Mx = np.eye(4) + (1 / 12) * xi * _A(clay)
    geo = sum(np.linalg.matrix_power(Mx, i) for i in range(n))
    return np.linalg.matrix_power(Mx, n) @ c0 + geo @ ((1 / 12) * u)


@pytest.mark.parametrize("years,steps", [(1, 11), (20, 239)])
def test_euler_step_count_constant_xi(years, steps):
    clay, dr, cin, xi = 25.0, 1.44, 3.0, 0.9
    c0 = np.array([0.5, 8.0, 1.2, 45.0])
    u = cin * np.array([dr / (1 + dr), 1 / (1 + dr), 0, 0])
    pools = np.concatenate([c0, [4.0]])[:, None]
    out = C.forward_euler(pools, np.full((12, 1), xi), np.array([cin]), np.array([dr]), np.array([clay]), years=years)
    np.testing.assert_allclose(out[:4, 0], _euler_closed_form(c0, xi, u, clay, steps), rtol=1e-11)
    assert out[4, 0] == 4.0
    # and not one step more (240 / 12) or less
    for other in (steps - 1, steps + 1):
        assert not np.allclose(out[:4, 0], _euler_closed_form(c0, xi, u, clay, other), rtol=1e-6)


def test_euler_scenario_axis_matches_single_runs():
    rng = np.random.default_rng(0)
    n = 5
    pools = rng.uniform(0.1, 30, (5, n))
    xi12 = rng.uniform(0.1, 1.5, (12, n))
    dr = np.full(n, 0.67)
    clay = rng.uniform(5, 50, n)
    cin = np.stack([np.full(n, 2.0), np.full(n, 2.4)])
    both = C.forward_euler(pools, xi12, cin, dr, clay, years=3)
    assert both.shape == (2, 5, n)
    for i in range(2):
        np.testing.assert_allclose(both[i], C.forward_euler(pools, xi12, cin[i], dr, clay, years=3), rtol=1e-14)


def test_euler_instability_above_xi_2_4():
    # DPM obeys its own scalar recursion: (DPM_N − DPM*) = (1 − k ξ Δt)^N (DPM_0 − DPM*)
    cin, dr = 2.0, 1.44
    u_d = cin * dr / (1 + dr)
    for xi, years in ((2.5, 20), (2.3, 20)):
        star = u_d / (KD * xi)
        pools = np.array([star + 1.0, 5.0, 1.0, 40.0, 3.0])[:, None]
        dev = [
            C.forward_euler(pools, np.full((12, 1), xi), np.array([cin]), np.array([dr]), np.array([20.0]), years=y)[
                0, 0
            ]
            - star
            for y in (1, 2, years)
        ]
        g = 1 - KD * xi / 12
        np.testing.assert_allclose(dev, [g**11, g**23, g ** (12 * years - 1)], rtol=1e-6, atol=1e-12)
        if xi == 2.5:  # k ξ Δt = 2.083 > 2: sign flips every step, amplitude grows ~1.083x per month
            # 11, 23, 239 steps are all odd: the deviation is negative and growing; after 20 years the
            # DPM pool itself is hugely negative (GSOCseq's "-999/outliers with the euler method")
            assert dev[0] < 0 and dev[1] < dev[0] and dev[2] < -1e7
        else:  # 1.917 < 2: oscillating but damped
            assert abs(dev[2]) < 1e-8


# --- compat vs exact engine: documented bound --------------------------------------------------------
T = np.array([0.5, 2.0, 6.0, 11.0, 16.0, 20.0, 23.0, 22.5, 18.0, 12.0, 6.0, 2.0])
P_ = np.array([50.0, 45, 45, 50, 60, 40, 35, 30, 40, 55, 65, 60])
E = np.array([1.0, 4, 20, 47, 87, 117, 143, 129, 84, 45, 16, 4])


def test_compat_vs_exact_temperate():
    soc, clay, dr, bare = np.array(
        np.meshgrid([20.0, 40, 80, 150], [5.0, 20, 35, 60], [0.25, 0.67, 1.44], [0, 1], indexing="ij")
    ).reshape(4, -1)
    n = soc.size
    clim = np.stack([np.repeat(v[:, None], n, 1) for v in (T, P_, E)])
    cover = np.full((12, n), 0.6)
    cover[np.ix_([0, 1, 11], np.flatnonzero(bare))] = 1.0  # bare Dec-Feb on half the pixels
    inc = (0.0, 0.05, 0.10, 0.20)
    fc, cc, tc, _ = C.gsocseq_compat_chain(soc, clay, clim, clim, dr, cover, 1.0, 20, inc)
    exact = _chain(soc, clay, clim, clim, dr, cover, 1.0, 20, inc, "rothamsted", 30.0)
    fe, te = exact.finals, exact.t0
    assert fc.shape == (4, n) and cc.shape == (n,) and tc.shape == (n,)
    np.testing.assert_allclose(tc, soc, rtol=1e-12)
    np.testing.assert_allclose(te, soc, rtol=1e-12)
    # Sources of the difference (see the module docstring): analytic spin-up with the mean ξ̄ of the
    # continuous ODE vs the periodic equilibrium of the discrete monthly engine (compat BAU drifts, exact
    # BAU is stationary); fw1func moisture quirks and SoilR temperature constants vs Rothamsted TSMD with
    # carry-over; explicit Euler vs exact exponential decay within the month; 239 vs 240 months.
    d_asr = (fc - tc) / 20 - (fe - te) / 20  # t C ha-1 yr-1
    rel = np.abs(fc - fe) / fe
    assert np.abs(d_asr).max() < 0.05  # measured max 0.017 (BAU) … 0.043 (SSM3)
    assert np.abs(d_asr[0]).mean() < 0.01  # measured 0.003
    assert rel.max() < 0.01  # measured 0.55 %
    d_rsr = (fc[1:] - fc[0]) / 20 - (fe[1:] - fe[0]) / 20
    assert np.abs(d_rsr).max() < 0.05  # measured 0.010/0.020/0.041 (C_eq ratio 0.83-1.01)


def test_ode_matrix_matches_methods_2_4():
    np.testing.assert_allclose(C.ode_matrix(np.array([5.0, 40.0]))[..., 1], _A(40.0), rtol=1e-14)
