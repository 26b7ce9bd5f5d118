"""The full GSOCseq-equivalent RothC sequence per pixel on N synthetic pixels.

Per pixel, as the FAO GSOCseq scripts do it (methods §1.7-§1.8): spin-up (equilibrium) for
the nominal, min and max chains; a 20-year warm-up (240 months of year-to-year climate and
inputs) for each of the three chains; then 8 forward runs of 240 months (BAU, SSM1-3 nominal;
BAU and SSM2 for the min and the max chain). The warm-up is a true monthly loop; the forward
runs repeat one climatology and use the annual affine map (scsmap.rothc.kernel.forward_periodic).

Pixels are processed in batches on a thread pool, so memory is bounded by the batch size.
The same run measures a reference: the same forward runs stepped month by month
(240 monthly steps each), on a subset of the pixels, extrapolated to N.
The FAO R scripts need 0.20-0.27 s per pixel for this sequence on this machine (design §5).

Usage: python benchmarks/gsocseq_sequence.py --pixels 1000000 [--batch 50000] [--workers 2]
The last line is ``pixels_per_second: <float>``.
"""

from __future__ import annotations

import argparse
import resource
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from scsmap.rothc import kernel as K
from scsmap.rothc import params as P

T12 = np.array([0.5, 2.0, 6.0, 11.0, 16.0, 20.0, 23.0, 22.5, 18.0, 12.0, 6.0, 2.0])
P12 = np.array([50.0, 45, 45, 50, 60, 40, 35, 30, 40, 55, 65, 60])
E12 = np.array([1.0, 4, 20, 47, 87, 117, 143, 129, 84, 45, 16, 4])
BOUNDS = {"nominal": (1.0, 1.0, 1.0, 1.0), "min": (1.02, 0.95, 0.9, 0.8), "max": (0.98, 1.05, 1.1, 1.2)}


def synthetic(n: int, seed: int):
    rng = np.random.default_rng(seed)
    soc = rng.uniform(20, 120, n)
    clay = rng.uniform(5, 50, n)
    dt = rng.normal(0, 3, n)  # regional temperature offset
    pf = rng.uniform(0.6, 1.6, n)  # precipitation factor
    dr = np.where(rng.random(n) < 0.5, 1.44, 0.67)
    return soc, clay, dt, pf, dr


def sequence(soc, clay, dt, pf, dr, seed: int, monthly_forward: bool = False):
    """Spin-up, warm-up and the 8 forward runs for a batch; returns the final SOC (8, n)."""
    n = soc.size
    rng = np.random.default_rng(seed)
    tmp12 = T12[:, None] + dt
    rain12 = P12[:, None] * pf
    evap12 = np.repeat(E12[:, None], n, 1)
    covered12 = np.ones((12, n), bool)
    gd = dr / (1 + dr)
    unit = np.repeat(np.stack([gd / 12, (1 - gd) / 12, 0 * gd, 0 * gd])[None], 12, axis=0)
    # year-to-year warm-up climate: the climatology plus anomalies per month, NPP ratio per year
    wt = rng.normal(0, 1.0, (20, 12, 1))
    wp = rng.uniform(0.7, 1.3, (20, 12, 1))
    wi = rng.uniform(0.9, 1.1, 20)
    finals = []
    for chain, (ft, fp, fc, fs) in BOUNDS.items():
        s0, c0 = soc * fs, clay * fc
        iom = P.falloon_iom(s0)
        eq = K.equilibrium_exact(
            tmp12=tmp12 * ft,
            rain12=rain12 * fp,
            evap12=evap12,
            covered12=covered12,
            clay=c0,
            depth=30.0,
            inputs12=unit,
            iom=iom,
            evap_coeff=1.0,
        )
        c_eq = (s0 - iom) / eq.pools[:4].sum(0)
        pools = np.concatenate([eq.pools[:4] * c_eq, iom[None]])
        unit_c = unit[:1] * c_eq
        swc = eq.swc
        for y in range(20):  # the warm-up: a true monthly loop over 20 different years
            res = K.simulate(
                pools,
                swc,
                tmp=(tmp12 + wt[y]) * ft,
                rain=rain12 * wp[y] * fp,
                evap=evap12,
                covered=covered12,
                clay=c0,
                depth=30.0,
                inputs=unit_c * wi[y],
                evap_coeff=1.0,
            )
            pools, swc = res.pools, res.swc
        scen = (0.0, 0.05, 0.10, 0.20) if chain == "nominal" else (0.0, 0.10 + (-0.15 if chain == "min" else 0.15))
        if not monthly_forward:  # one moisture cycle and one annual map for all scenarios of the chain
            fin, _ = K.forward_periodic(
                pools,
                swc,
                years=20,
                tmp12=tmp12 * ft,
                rain12=rain12 * fp,
                evap12=evap12,
                covered12=covered12,
                clay=c0,
                depth=30.0,
                inputs12=np.repeat(unit[:1] * c_eq, 12, axis=0),
                evap_coeff=1.0,
                input_factors=[1 + inc for inc in scen],
            )
            finals.extend(fin.sum(axis=1))
            continue
        for inc in scen:
            inputs = unit[:1] * c_eq * (1 + inc)
            if monthly_forward:
                fin = K.simulate(
                    pools,
                    swc,
                    tmp=np.tile(tmp12 * ft, (20, 1)),
                    rain=np.tile(rain12 * fp, (20, 1)),
                    evap=np.tile(evap12, (20, 1)),
                    covered=np.tile(covered12, (20, 1)),
                    clay=c0,
                    depth=30.0,
                    inputs=inputs,
                    evap_coeff=1.0,
                ).pools
            else:
                fin, _ = K.forward_periodic(
                    pools,
                    swc,
                    years=20,
                    tmp12=tmp12 * ft,
                    rain12=rain12 * fp,
                    evap12=evap12,
                    covered12=covered12,
                    clay=c0,
                    depth=30.0,
                    inputs12=np.repeat(inputs, 12, axis=0),
                    evap_coeff=1.0,
                )
            finals.append(fin.sum(0))
    return np.stack(finals)


def run(n: int, batch: int, workers: int, monthly_forward: bool = False) -> float:
    """Time the sequence on ``n`` pixels; each batch makes its own inputs and keeps only a checksum,
    so memory does not grow with ``n``."""

    def one(start: int) -> float:
        size = min(batch, n - start)
        return float(np.nansum(sequence(*synthetic(size, start), seed=start, monthly_forward=monthly_forward)))

    t0 = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        checksum = sum(pool.map(one, range(0, n, batch)))
    assert np.isfinite(checksum)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pixels", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=20_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--reference-pixels",
        type=int,
        default=20_000,
        help="pixels for the month-by-month reference (extrapolated to --pixels)",
    )
    a = ap.parse_args()
    nref = min(a.reference_pixels, a.pixels)
    t_ref = run(nref, a.batch, a.workers, monthly_forward=True)
    t = run(a.pixels, a.batch, a.workers)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"pixels                      : {a.pixels:,} (batch {a.batch:,}, {a.workers} threads)")
    print(f"scsmap sequence             : {t:.2f} s  ({t / a.pixels * 1e6:.1f} us per pixel)")
    print(
        f"reference, monthly forward  : {t_ref / nref * a.pixels:.2f} s extrapolated from {nref:,} pixels "
        f"({t_ref / nref * 1e6:.1f} us per pixel)"
    )
    print(f"FAO R scripts (design §5)   : {0.2 * a.pixels:,.0f}-{0.27 * a.pixels:,.0f} s")
    print(f"peak RSS                    : {rss:,.0f} MB")
    print(f"pixels_per_second: {a.pixels / t:.1f}")


if __name__ == "__main__":
    main()
