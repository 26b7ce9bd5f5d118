"""GSOCseq protocol on pixel vectors, Thornthwaite PET and the cover rule: oracles and properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from scsmap.io.tables import load_land_use_params
from scsmap.rothc import kernel as K
from scsmap.rothc.gsocseq import OUTPUTS, cover_fallback
from scsmap.rothc.gsocseq import gsocseq_pixels as _gsocseq_pixels
from scsmap.rules.climate import daylight_hours, pet_thornthwaite


def gsocseq_pixels(*args, **kw):
    """The kernel with the packaged RothC parameters per land-use class."""
    kw.setdefault("params", load_land_use_params())
    return _gsocseq_pixels(*args, **kw)


# a temperate climatology (Skopje-like) [degC], [mm month-1]
T = np.array([0.5, 2.0, 6.0, 11.0, 16.0, 20.0, 23.0, 22.5, 18.0, 12.0, 6.0, 2.0])
P = np.array([50.0, 45, 45, 50, 60, 40, 35, 30, 40, 55, 65, 60])
E = np.array([1.0, 4, 20, 47, 87, 117, 143, 129, 84, 45, 16, 4])


def _clim(n, dt=0.0):
    return np.stack([np.repeat((T + dt)[:, None], n, 1), np.repeat(P[:, None], n, 1), np.repeat(E[:, None], n, 1)])


def _run(soc, clay, lu, spin, fwd, **kw):
    out = gsocseq_pixels(
        np.asarray(soc, float), np.asarray(clay, float), spin, fwd, np.asarray(lu), cover_fallback(np.asarray(lu)), **kw
    )
    return {name: out[i] for i, name in enumerate(OUTPUTS)}


def test_bau_is_stationary_when_climate_does_not_change():
    r = _run([40.0, 70.0, 120.0], [10.0, 25.0, 45.0], [2, 3, 5], _clim(3), _clim(3))
    np.testing.assert_allclose(r["asr_bau"], 0.0, atol=1e-9)
    np.testing.assert_allclose(r["final_bau"], [40.0, 70.0, 120.0], rtol=1e-12)


def test_ssm_gains_are_linear_in_the_input_increase():
    # the forward model is linear in the inputs from a common state: RelDiff ∝ Δ (5, 10, 20 %)
    r = _run([55.0, 80.0], [20.0, 30.0], [2, 3], _clim(2), _clim(2, dt=1.0))
    np.testing.assert_allclose(r["reldiff_ssm2"], 2 * r["reldiff_ssm1"], rtol=1e-9)
    np.testing.assert_allclose(r["reldiff_ssm3"], 4 * r["reldiff_ssm1"], rtol=1e-9)
    np.testing.assert_allclose(r["rsr_ssm3"], r["reldiff_ssm3"] / 20, rtol=1e-12)
    # GSOCseq QA expectation (docs/methods/gsocseq.md §1.9): mean SSM3 > SSM2 > SSM1 > BAU
    assert (r["final_ssm3"] > r["final_ssm2"]).all() and (r["final_ssm1"] > r["final_bau"]).all()


def test_against_rothamsted_iterative_spinup_and_monthly_forward():
    """Independent path: reference-style equilibrium by iteration, then 240 months stepped one by one."""
    soc, clay, dr = 60.0, 22.0, 1.44
    spin, fwd = _clim(1), _clim(1, dt=1.5)
    r = _run([soc], [clay], [2], spin, fwd, uncertainty=False)
    iom = 0.049 * soc**1.139  # Falloon et al. 1998
    gd = dr / (1 + dr)
    unit = np.zeros((12, 4, 1))
    unit[:, 0], unit[:, 1] = gd / 12, (1 - gd) / 12
    cov = np.full((12, 1), 0.6)
    eq = K.equilibrium_rothamsted(
        tmp12=spin[0],
        rain12=spin[1],
        evap12=spin[2],
        covered12=cov < 0.8,
        clay=clay,
        depth=30.0,
        inputs12=unit,
        iom=iom,
        cover12=cov,
        evap_coeff=1.0,
        tol=1e-12,
        method="annual",
    )
    c_eq = (soc - iom) / eq.pools[:4].sum()
    assert r["c_input_bau"][0] == pytest.approx(c_eq, rel=1e-6)
    pools = np.concatenate([eq.pools[:4] * c_eq, [np.full(1, iom)]])
    for name, scale in (("final_bau", 1.0), ("final_ssm3", 1.2)):
        months = 240
        res = K.simulate(
            pools,
            eq.swc,
            tmp=np.tile(fwd[0], (20, 1)),
            rain=np.tile(fwd[1], (20, 1)),
            evap=np.tile(fwd[2], (20, 1)),
            covered=np.tile(cov < 0.8, (20, 1)),
            cover=np.tile(cov, (20, 1)),
            inputs=np.tile(unit * c_eq * scale, (20, 1, 1)),
            clay=clay,
            depth=30.0,
            evap_coeff=1.0,
        )
        assert res.pools.shape[0] == 5 and months == 240
        assert r[name][0] == pytest.approx(res.pools.sum(), rel=1e-8)
    # 1.5 degC warmer: BAU loses carbon
    assert r["asr_bau"][0] < 0


def test_uncertainty_by_hand_when_bau_is_stationary():
    r = _run([50.0, 90.0], [15.0, 35.0], [2, 3], _clim(2), _clim(2))
    # T0 bounds are SOC x 0.8 and x 1.2: U = 100 (1.2 - 0.8) / (2 x 1.0) = 20 %
    np.testing.assert_allclose(r["unc_t0"], 20.0, rtol=1e-9)
    # BAU stays at T0 in every chain: U_BAU = 20 %, U_ASR = sqrt(2 (20 T0)^2) / (2 T0) = 20/sqrt(2)
    np.testing.assert_allclose(r["unc_bau"], 20.0, rtol=1e-9)
    np.testing.assert_allclose(r["unc_asr_bau"], 20 / math.sqrt(2), rtol=1e-9)
    assert (r["unc_ssm"] > 20).all()  # the SSM input band (±15 points) adds to the SOC band


def test_non_target_land_uses_and_paddy_factor():
    r = _run([60.0] * 5, [20.0] * 5, [4, 1, 9, 2, 13], _clim(5), _clim(5, dt=1.0), uncertainty=False)
    assert np.isnan(r["final_bau"][:3]).all()  # forest, artificial, bare: no forward run
    assert np.isfinite(r["final_bau"][3:]).all()
    # paddy decomposes at 0.4 x the rate: more input is needed to hold the same SOC
    assert r["c_input_bau"][4] == pytest.approx(0.4 * r["c_input_bau"][3], rel=0.02)
    assert np.isnan(r["unc_t0"]).all()  # uncertainty off


def test_dr_layer_overrides_table():
    a = _run([60.0], [20.0], [3], _clim(1), _clim(1, dt=1.0), uncertainty=False)
    b = gsocseq_pixels(
        np.array([60.0]),
        np.array([20.0]),
        _clim(1),
        _clim(1, dt=1.0),
        np.array([3]),
        cover_fallback(np.array([3])),
        uncertainty=False,
        dr=np.array([1.44]),
    )
    c = _run([60.0], [20.0], [2], _clim(1), _clim(1, dt=1.0), uncertainty=False)  # cropland: DR 1.44
    assert b[OUTPUTS.index("c_input_bau")][0] != pytest.approx(a["c_input_bau"][0])
    assert b[OUTPUTS.index("c_input_bau")][0] == pytest.approx(c["c_input_bau"][0], rel=1e-12)


def test_cover_fallback_rule():
    c = cover_fallback(np.array([2, 3, 9, 13]), cropland_bare_months=(7, 8))
    assert c.shape == (12, 4)
    assert (c[:, 1] == 0.6).all() and (c[:, 2] == 1.0).all()
    assert c[6, 0] == 1.0 and c[7, 3] == 1.0 and c[0, 0] == 0.6


# --------------------------------------------------------------------------- Thornthwaite PET


def test_daylight_hours_match_pyet():
    pyet = pytest.importorskip("pyet")
    idx = pd.date_range("2021-01-15", periods=12, freq="MS") + pd.Timedelta(days=14)
    for lat in (0.0, 41.5, -33.0, 60.0):
        ref = np.asarray(pyet.daylight_hours(idx, lat * math.pi / 180))
        np.testing.assert_allclose(daylight_hours(lat, idx.dayofyear.to_numpy()), ref, rtol=1e-9)
    assert daylight_hours(0.0, 172) == pytest.approx(12.0)


def test_thornthwaite_by_hand():
    # constant 10 degC at the equator: i = 2^1.514 per month, I = 12 i
    heat = 12 * 2**1.514
    a = 6.75e-7 * heat**3 - 7.71e-5 * heat**2 + 1.792e-2 * heat + 0.49239
    unadjusted = 16 * (100 / heat) ** a  # ≈ 48.9 mm
    pet = pet_thornthwaite(np.full((12, 1), 10.0), np.array([0.0]))[:, 0]
    days = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    np.testing.assert_allclose(pet, [unadjusted * d / 30 for d in days], rtol=1e-12)
    assert unadjusted == pytest.approx(48.9, abs=0.1)
    # hot months use -415.85 + 32.24 T - 0.43 T^2; freezing months give 0
    t = np.array([-5.0, 30.0] + [20.0] * 10)[:, None]
    pet = pet_thornthwaite(t, np.array([0.0]))[:, 0]
    assert pet[0] == 0.0
    assert pet[1] == pytest.approx((-415.85 + 32.24 * 30 - 0.43 * 900) * 28 / 30)
    # any missing month makes the pixel missing
    t[3] = np.nan
    assert np.isnan(pet_thornthwaite(t, np.array([0.0]))).all()


def test_inverse_4p1000_input_reaches_the_target():
    """Feeding BAU + the computed need must lift SOC to T0 (1 + 0.004 x 20) after 20 years."""
    soc, clay = np.array([45.0, 90.0]), np.array([12.0, 35.0])
    spin, fwd = _clim(2), _clim(2, dt=1.0)
    r = _run(soc, clay, [2, 3], spin, fwd, uncertainty=False)
    need, c_eq = r["cinput_needed_4p1000"], r["c_input_bau"]
    assert (need > 0).all()
    for i in range(2):  # rerun with SSM1 = exactly that extra input (a direct simulation, not the linear shortcut)
        sub = lambda a: a[..., i : i + 1]  # noqa: E731
        out = gsocseq_pixels(
            soc[i : i + 1],
            clay[i : i + 1],
            sub(spin),
            sub(fwd),
            np.array([[2, 3][i]]),
            cover_fallback(np.array([[2, 3][i]])),
            uncertainty=False,
            ssm=(need[i] / c_eq[i], 0.1, 0.2),
        )
        assert out[OUTPUTS.index("final_ssm1")][0] == pytest.approx(soc[i] * 1.08, rel=1e-9)
    np.testing.assert_allclose(r["share_4p1000_input_ssm2"], 100 * 0.10 * c_eq / need, rtol=1e-12)


def test_qa_flags_bits():
    from scsmap.rothc.gsocseq import qa_flags

    t0 = np.array([50.0, 50.0, 900.0])
    r = {
        "final_bau": np.array([50.0, 50.0, 50.0]),
        "absdiff_bau": np.array([0.0, -85.0, 0.0]),
        "asr_bau": np.array([0.0, -4.25, 0.0]),
        "unc_t0": np.array([20.0, 20.0, 250.0]),
    }
    flags = qa_flags(r, t0)
    assert flags.tolist() == [0, (1 << 1) | (1 << 3), 1 | (1 << 5)]


def test_corrections_mask_each_map_by_its_own_test():
    import xarray as xr
    from conftest import CONFIGS

    from scsmap.config import load_config
    from scsmap.layers.gsocseq import select_output
    from scsmap.products import PRODUCTS

    values = np.full((len(OUTPUTS), 3), 1.0)
    values[OUTPUTS.index("qa_flags")] = [0, 1 << 3, 1 << 1]  # pixel 1 fails ASR, pixel 2 AbsDiff
    res = xr.DataArray(values.T, dims=("x", "gsocseq_output"), coords={"gsocseq_output": list(OUTPUTS)})

    def compute(pid, cfg):  # what the run writes for the product, from this stack
        s = PRODUCTS[pid].source
        return select_output(res, "gsocseq_output", s.output, s.qa_bit, cfg.rothc.apply_gsocseq_corrections)

    for flag, expect_asr, expect_abs in ((False, [1, 1, 1], [1, 1, 1]), (True, [1, np.nan, 1], [1, 1, np.nan])):
        cfg = load_config(CONFIGS / "regions" / "demo.yaml", overrides={"rothc.apply_gsocseq_corrections": flag})
        np.testing.assert_array_equal(compute("asr_bau", cfg).values, expect_asr)
        np.testing.assert_array_equal(compute("absdiff_ssm2", cfg).values, expect_abs)
        assert np.isfinite(compute("cinput_needed_4p1000", cfg).values).all()


def test_miami_worked_values_methods_1_6():
    from scsmap.rothc.gsocseq import miami_npp

    # docs/methods/gsocseq.md §1.6 [C]: (15, 800) 6.182; (25, 1500) 9.460; (5, 400) 3.499; (10, 1000) 7.032 t C/ha/yr
    np.testing.assert_allclose(
        miami_npp([15, 25, 5, 10], [800, 1500, 400, 1000]), [6.182, 9.460, 3.499, 7.032], atol=6e-4
    )


def test_warmup_with_the_spinup_climate_changes_nothing():
    spin = _clim(3)
    warm = np.concatenate([spin] * 3, axis=1)  # 3 years of the same climate: NPP ratio 1
    base = _run([40.0, 70.0, 120.0], [10.0, 25.0, 45.0], [2, 3, 5], spin, _clim(3, dt=1.0))
    r = gsocseq_pixels(
        np.array([40.0, 70.0, 120.0]),
        np.array([10.0, 25.0, 45.0]),
        spin,
        _clim(3, dt=1.0),
        np.array([2, 3, 5]),
        cover_fallback(np.array([2, 3, 5])),
        warm=warm,
    )
    np.testing.assert_allclose(r[OUTPUTS.index("t0")], [40.0, 70.0, 120.0], rtol=1e-10)
    for name in ("final_bau", "final_ssm3", "unc_bau"):
        np.testing.assert_allclose(r[OUTPUTS.index(name)], base[name], rtol=1e-9)


def test_warmer_wetter_warmup_by_hand():
    """Two warm-up years 2 degC warmer: T0 falls below the map; the BAU input follows MIAMI NPP."""
    from scsmap.rothc.gsocseq import miami_npp

    spin = _clim(1)
    warm = np.concatenate([_clim(1, dt=2.0)] * 2, axis=1)
    r = gsocseq_pixels(
        np.array([60.0]),
        np.array([20.0]),
        spin,
        spin,
        np.array([2]),
        cover_fallback(np.array([2])),
        warm=warm,
        uncertainty=False,
    )
    nominal = _run([60.0], [20.0], [2], spin, spin, uncertainty=False)
    t0 = r[OUTPUTS.index("t0")][0]
    assert t0 < 60.0
    ratio = miami_npp(T.mean() + 2, P.sum()) / miami_npp(T.mean(), P.sum())
    assert r[OUTPUTS.index("c_input_bau")][0] == pytest.approx(nominal["c_input_bau"][0] * ratio, rel=1e-12)
    assert r[OUTPUTS.index("absdiff_bau")][0] == pytest.approx(r[OUTPUTS.index("final_bau")][0] - t0)


def test_monte_carlo_is_seeded_and_chunk_invariant():
    soc, clay, lu = np.array([40.0, 70.0, 120.0, 55.0]), np.array([10.0, 25.0, 45.0, 18.0]), np.array([2, 3, 5, 2])
    args = (soc, clay, _clim(4), _clim(4, dt=1.0), lu, cover_fallback(lu))
    i = {s: OUTPUTS.index(f"mc_{s}_asr_ssm2") for s in ("mean", "sd", "p05", "p95")}
    a = gsocseq_pixels(*args, uncertainty=False, mc_draws=8, seed=1)
    b = gsocseq_pixels(*args, uncertainty=False, mc_draws=8, seed=1, batch=1)  # other batching
    c = gsocseq_pixels(*args, uncertainty=False, mc_draws=8, seed=2)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    assert not np.allclose(a[i["mean"]], c[i["mean"]])
    assert (a[i["p05"]] <= a[i["mean"]]).all() and (a[i["mean"]] <= a[i["p95"]]).all() and (a[i["sd"]] > 0).all()
    # the nominal run lies inside the draws' 5-95 % band here (warming lowers every draw alike)
    nominal = a[OUTPUTS.index("asr_ssm2")]
    assert np.all(np.abs(a[i["mean"]] - nominal) < 3 * a[i["sd"]])


def test_monte_carlo_bau_stays_stationary_without_climate_change():
    # every draw scales the spin-up and the forward climate alike: BAU stays at its T0 in each draw
    lu = np.array([2, 3])
    r = gsocseq_pixels(
        np.array([50.0, 80.0]),
        np.array([20.0, 30.0]),
        _clim(2),
        _clim(2),
        lu,
        cover_fallback(lu),
        uncertainty=False,
        mc_draws=5,
        seed=3,
    )
    np.testing.assert_allclose(r[OUTPUTS.index("mc_mean_asr_bau")], 0.0, atol=1e-9)
    np.testing.assert_allclose(r[OUTPUTS.index("mc_sd_asr_bau")], 0.0, atol=1e-9)


def test_npp_scaled_bau_input_by_hand():
    """Without a warm-up, npp_scaled BAU input = C_eq x NPP(forward) / NPP(spin-up), MIAMI by hand."""
    spin, fwd = _clim(1), _clim(1, dt=1.5)
    eq = _run([60.0], [20.0], [2], spin, fwd, uncertainty=False)
    sc = _run([60.0], [20.0], [2], spin, fwd, uncertainty=False, bau_input="npp_scaled")
    # MIAMI (Lieth 1975) by hand: NPP_T = 3000/(1 + exp(1.315 - 0.119 T)), NPP_P = 3000 (1 - exp(-0.000664 P))
    t_spin, t_fwd, p = T.mean(), T.mean() + 1.5, P.sum()  # 11.5833 and 13.0833 degC, 575 mm
    npp = [min(3000 / (1 + math.exp(1.315 - 0.119 * t)), 3000 * (1 - math.exp(-0.000664 * p))) for t in (t_spin, t_fwd)]
    assert npp[0] == pytest.approx(952.1, abs=0.1) and npp[0] == npp[1]  # precipitation-limited in both periods
    assert sc["c_input_bau"][0] == pytest.approx(eq["c_input_bau"][0] * npp[1] / npp[0], rel=1e-12)
    wet = _clim(1)
    wet[1] *= 1.2  # a wetter forward period: NPP_P rises
    sc2 = _run([60.0], [20.0], [2], spin, wet, uncertainty=False, bau_input="npp_scaled")
    eq2 = _run([60.0], [20.0], [2], spin, wet, uncertainty=False)
    ratio = (1 - math.exp(-0.000664 * p * 1.2)) / (1 - math.exp(-0.000664 * p))
    assert sc2["c_input_bau"][0] == pytest.approx(eq2["c_input_bau"][0] * ratio, rel=1e-12)
    assert sc2["final_bau"][0] > eq2["final_bau"][0]  # more input, more SOC
    # T0 is the map in both conventions
    assert sc2["t0"][0] == pytest.approx(60.0, rel=1e-12)


def test_path_ends_at_the_finals_and_is_chunk_invariant():
    from scsmap.rothc.gsocseq import output_names

    soc, clay, lu = np.array([40.0, 70.0, 120.0]), np.array([10.0, 25.0, 45.0]), np.array([2, 3, 5])
    args = (soc, clay, _clim(3), _clim(3, dt=1.0), lu, cover_fallback(lu))
    names = output_names((5, 20, 30))
    for engine in ("rothamsted", "gsocseq_compat"):
        out = gsocseq_pixels(*args, uncertainty=False, path_years=(5, 20, 30), engine=engine)
        one = gsocseq_pixels(*args, uncertainty=False, path_years=(5, 20, 30), engine=engine, batch=1)
        plain = gsocseq_pixels(*args, uncertainty=False, engine=engine)
        np.testing.assert_array_equal(out[: len(OUTPUTS)], plain)  # the maps do not depend on the path
        np.testing.assert_allclose(out, one, rtol=1e-12)
        for s in ("bau", "ssm1", "ssm2", "ssm3"):
            np.testing.assert_allclose(
                out[names.index(f"dsoc_{s}_y20")], out[OUTPUTS.index(f"absdiff_{s}")], rtol=1e-9, atol=1e-9
            )


def test_compat_warmup_with_the_spinup_climate_by_hand():
    """Compat warm-up: one year of 11 Euler steps from the analytic spin-up pools, input C_eq (ratio 1)."""
    from scsmap.rothc import compat as C

    spin = _clim(2)
    lu = np.array([2, 3])
    soc, clay = np.array([50.0, 80.0]), np.array([15.0, 30.0])
    r = gsocseq_pixels(soc, clay, spin, spin, lu, cover_fallback(lu), warm=spin.copy(), engine="gsocseq_compat")
    # by hand with the compat pieces: the spin-up, then one warm-up year = forward_euler(years=1)
    params = load_land_use_params()
    cov = cover_fallback(lu)
    dr = params.dr[lu]
    xi = C.xi_gsocseq(spin[0], spin[1], spin[2], cov > 0.8, clay, cov, 1.0)
    c_eq, pools = C.spinup_analytic(xi.mean(axis=0), soc, clay, dr)
    after = C.forward_euler(pools, xi, c_eq, dr, clay, years=1)
    np.testing.assert_allclose(r[OUTPUTS.index("t0")], after.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(r[OUTPUTS.index("c_input_bau")], c_eq, rtol=1e-12)
    fin = C.forward_euler(after, xi, np.stack([c_eq, 1.2 * c_eq]), dr, clay, years=20)
    np.testing.assert_allclose(r[OUTPUTS.index("final_bau")], fin[0].sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(r[OUTPUTS.index("final_ssm3")], fin[1].sum(axis=0), rtol=1e-12)


def test_yearly_land_use_constant_equals_held_land_use():
    spin = _clim(3)
    warm = np.concatenate([_clim(3, dt=1.0), _clim(3, dt=-0.5)], axis=1)
    lu = np.array([2, 3, 5])
    args = (np.array([40.0, 70.0, 120.0]), np.array([10.0, 25.0, 45.0]), spin, spin, lu, cover_fallback(lu))
    for engine in ("rothamsted", "gsocseq_compat"):
        held = gsocseq_pixels(*args, warm=warm, engine=engine)
        yearly = gsocseq_pixels(*args, warm=warm, engine=engine, warm_land_use=np.stack([lu, lu]).astype(float))
        np.testing.assert_allclose(yearly, held, rtol=1e-12, atol=1e-12)


def test_yearly_land_use_forest_year_by_hand():
    """A forest year before cropland: that year's input is scaled by 0.88/0.53 and its DR is 0.25."""
    spin = _clim(1)
    warm = np.concatenate([spin, spin], axis=1)  # NPP ratio 1 both years
    lu = np.array([2])
    kw = dict(uncertainty=False, warm=warm)
    base = gsocseq_pixels(np.array([60.0]), np.array([20.0]), spin, spin, lu, cover_fallback(lu), **kw)
    lusim = gsocseq_pixels(
        np.array([60.0]),
        np.array([20.0]),
        spin,
        spin,
        lu,
        cover_fallback(lu),
        warm_land_use=np.array([[4.0], [2.0]]),
        **kw,
    )
    # BAU input = mean of (C_eq x 0.88/0.53, C_eq x 1): [S12] 12_ROTH_C_WARM_UP.R, NPP coefficients of
    # docs/methods/gsocseq.md §1.3
    c_eq = base[OUTPUTS.index("c_input_bau")][0]
    assert lusim[OUTPUTS.index("c_input_bau")][0] == pytest.approx(c_eq * (0.88 / 0.53 + 1) / 2, rel=1e-12)
    assert lusim[OUTPUTS.index("t0")][0] > base[OUTPUTS.index("t0")][0]  # more, and more resistant, input
    # a year whose class has no DR (urban) drops the pixel, as the scripts do
    urban = gsocseq_pixels(
        np.array([60.0]),
        np.array([20.0]),
        spin,
        spin,
        lu,
        cover_fallback(lu),
        warm_land_use=np.array([[1.0], [2.0]]),
        **kw,
    )
    assert np.isnan(urban[OUTPUTS.index("t0")][0])
    with pytest.raises(ValueError, match="as many years"):
        gsocseq_pixels(
            np.array([60.0]),
            np.array([20.0]),
            spin,
            spin,
            lu,
            cover_fallback(lu),
            warm_land_use=np.array([[2.0]]),
            **kw,
        )
