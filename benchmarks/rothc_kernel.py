"""RothC kernel throughput (issue 4, benchmark 9a).

Prints, measured in the same run on the same synthetic climate:

1. vectorised kernel (:func:`scsmap.rothc.kernel.simulate`: temperature, moisture deficit
   carried month to month, cover, Rothamsted discrete step) in pixel-months per second,
   next to a plain per-pixel Python loop of the same equations (on fewer pixels), the
   speed-up, and the largest difference between the two;
2. a 20-year forward run with a repeated 12-month climatology: the annual affine map
   (:func:`~scsmap.rothc.kernel.forward_periodic`) vs stepping 240 months, the speed-up
   and the largest difference; plus the scenario case (one map, several input levels);
3. the exact periodic equilibrium vs the Rothamsted iteration (annual-map variant).

Usage: ``python benchmarks/rothc_kernel.py [--pixels 100000] [--months 240] [--loop-pixels 200]``
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from scsmap.rothc import kernel as K
from scsmap.rothc import params as P


def synthetic_climatology(npix, seed=0):
    """A plausible 12-month climatology per pixel (temperate to warm; wet and dry months)."""
    rng = np.random.default_rng(seed)
    m = np.arange(12)[:, None]
    season = np.sin((m - 3.5) / 12 * 2 * np.pi)
    mat = rng.uniform(0, 22, npix)
    amp = rng.uniform(2, 14, npix)
    tmp = mat + amp * season
    rain = rng.uniform(5, 140, (12, npix))
    evap = np.clip(8 + 6 * tmp, 0, None) * rng.uniform(0.6, 1.3, npix)  # open pan [mm]
    covered = (rng.uniform(0, 1, (12, npix)) < 0.8).astype(np.int64)
    clay = rng.uniform(5, 60, npix)
    c_inp = rng.uniform(1, 6, npix) / 12 * np.ones((12, 1))
    inputs = K.partition_inputs(c_inp, np.where(rng.uniform(0, 1, npix) < 0.5, 1.44, 0.67), axis=1)
    return dict(tmp12=tmp, rain12=rain, evap12=evap, covered12=covered, clay=clay, depth=30.0, inputs12=inputs)


def python_loop(pools, swc, tmp, rain, evap, covered, clay, depth, inputs):
    """Plain per-pixel, per-month Python of the same equations (reference for the speed-up)."""
    n, npix = tmp.shape
    out = np.array(pools, dtype=float)
    for i in range(npix):
        c = clay[i]
        smax = -(20.0 + 1.3 * c - 0.01 * (c * c)) * depth / 23.0
        s1, sb = 0.444 * smax, 0.556 * smax
        x = 1.67 * (1.85 + 1.60 * math.exp(-0.0786 * c))
        fb, fh = 0.46 / (x + 1.0), 0.54 / (x + 1.0)
        dpm, rpm, bio, hum = out[0, i], out[1, i], out[2, i], out[3, i]
        s = swc
        for m in range(n):
            t = tmp[m, i]
            a = 0.0 if t < -5.0 else 47.91 / (math.exp(106.06 / (t + 18.27)) + 1.0)
            df = rain[m, i] - 0.75 * evap[m, i]
            cand = min(0.0, s + df)
            cov = covered[m, i] == 1
            s = max(smax, cand) if cov else max(min(sb, s), cand)
            b = 1.0 if s > s1 else 0.2 + 0.8 * (smax - s) / (smax - s1)
            rm = a * b * (0.6 if cov else 1.0)
            d1 = dpm * math.exp(-rm * 10.0 / 12.0)
            r1 = rpm * math.exp(-rm * 0.3 / 12.0)
            b1 = bio * math.exp(-rm * 0.66 / 12.0)
            h1 = hum * math.exp(-rm * 0.02 / 12.0)
            d = (dpm - d1) + (rpm - r1) + (bio - b1) + (hum - h1)
            u = inputs[m, :, i]
            dpm, rpm, bio, hum = d1 + u[0], r1 + u[1], b1 + fb * d + u[2], h1 + fh * d + u[3]
        out[:4, i] = dpm, rpm, bio, hum
    return out


def timed(fn, repeat=1):
    best, res = math.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = fn()
        best = min(best, time.perf_counter() - t0)
    return best, res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pixels", type=int, default=100_000)
    ap.add_argument("--months", type=int, default=240)
    ap.add_argument("--loop-pixels", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=2)
    a = ap.parse_args(argv)
    npix, n = a.pixels, a.months
    years = n // 12
    clim = synthetic_climatology(npix)
    reps = -(-n // 12)

    def series(k):
        return np.concatenate([clim[k]] * reps)[:n]

    tmp, rain, evap, cov = (series(k) for k in ("tmp12", "rain12", "evap12", "covered12"))
    inputs = np.concatenate([clim["inputs12"]] * reps)[:n]
    pools = np.zeros((5, npix))
    pools[:4] = np.array([0.2, 6.0, 0.8, 30.0])[:, None]
    pools[4] = P.falloon_iom(40.0)

    print(f"RothC kernel benchmark: {npix:,} pixels x {n} months (float64, numpy {np.__version__})")
    t_vec, res = timed(
        lambda: K.simulate(
            pools, 0.0, tmp=tmp, rain=rain, evap=evap, covered=cov, clay=clim["clay"], depth=30.0, inputs=inputs
        ),
        a.repeat,
    )
    pm_vec = npix * n / t_vec
    lp = min(a.loop_pixels, npix)
    t_loop, ref = timed(
        lambda: python_loop(
            pools[:, :lp],
            0.0,
            tmp[:, :lp],
            rain[:, :lp],
            evap[:, :lp],
            cov[:, :lp],
            clim["clay"][:lp],
            30.0,
            inputs[:, :, :lp],
        )
    )
    pm_loop = lp * n / t_loop
    dev = float(np.max(np.abs(ref - res.pools[:, :lp])))
    print("\n1. monthly kernel (modifiers + moisture deficit + discrete step)")
    print(f"   vectorised numpy   : {pm_vec:14,.0f} pixel-months/s  ({t_vec:.3f} s)")
    print(f"   plain Python loop  : {pm_loop:14,.0f} pixel-months/s  ({lp} pixels, {t_loop:.3f} s)")
    print(f"   speed-up           : {pm_vec / pm_loop:14,.0f} x   (max |diff| {dev:.1e} t C/ha)")

    print(f"\n2. {years}-year forward with a repeated climatology ({npix:,} pixels)")
    t_aff, (p_aff, _s) = timed(lambda: K.forward_periodic(pools, 0.0, years=years, **clim), a.repeat)
    dev2 = float(np.max(np.abs(p_aff - res.pools))) if n % 12 == 0 else float("nan")
    print(f"   annual affine map  : {t_aff:8.3f} s   ({npix * years * 12 / t_aff:14,.0f} pixel-months/s equivalent)")
    print(f"   monthly stepping   : {t_vec:8.3f} s")
    print(f"   speed-up           : {t_vec / t_aff:8.1f} x   (max |diff| {dev2:.1e} t C/ha)")
    # BAU + 3 SSM scenarios share the climate: one moisture cycle and one matrix M (v scales)
    t_sc, _ = timed(
        lambda: K.forward_periodic(pools, 0.0, years=years, input_factors=(1.0, 1.05, 1.10, 1.20), **clim), a.repeat
    )
    print(
        f"   4 scenarios (BAU, SSM1-3) sharing M: {t_sc:.3f} s  (vs {4 * t_vec:.3f} s stepping, "
        f"{4 * t_vec / t_sc:.1f} x)"
    )

    ne = min(npix, 20_000)
    sub = {k: (v[..., :ne] if isinstance(v, np.ndarray) else v) for k, v in clim.items()}
    t_ex, ex = timed(lambda: K.equilibrium_exact(**sub, iom=3.0), a.repeat)
    t_it, it = timed(lambda: K.equilibrium_rothamsted(**sub, iom=3.0, method="annual"))
    d = np.abs(ex.pools.sum(axis=0) - it.pools.sum(axis=0))
    print(f"\n3. equilibrium ({ne:,} pixels)")
    print(f"   exact periodic     : {t_ex:8.3f} s")
    print(
        f"   Rothamsted iter.   : {t_it:8.3f} s   (annual-map variant; median {np.median(it.months) / 12:,.0f} years)"
    )
    print(f"   |SOC diff| median {np.median(d):.1e}, max {d.max():.1e} t C/ha (iteration stops at 1e-6/yr change)")


if __name__ == "__main__":
    main()
