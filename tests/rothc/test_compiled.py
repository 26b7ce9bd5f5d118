"""The compiled month loop (scsmap.rothc.compiled) against the numpy path of kernel.simulate.

Oracles: ``numpy.exp`` (libm / SIMD) for the loop's own exponential, and the numpy month loop of
:func:`scsmap.rothc.kernel.simulate` (``kernel.COMPILED = False``), itself checked against the
Rothamsted description and the RothC_Py example in test_kernel.py. Equality is asked to 1e-12
relative: the two differ only in the last bits of ``exp``.
"""

from __future__ import annotations

import numpy as np
import pytest

from scsmap.rothc import compiled as C
from scsmap.rothc import kernel as K


def test_exp_matches_numpy_over_the_clamp_range():
    x = np.concatenate([np.linspace(-C.EXP_CLAMP, C.EXP_CLAMP, 200_001), [0.0, -0.0, 1e-300, -1e-12]])
    got = np.array([C._exp(v) for v in x[::97]] + [C._exp(v) for v in x[-4:]])
    ref = np.exp(np.concatenate([x[::97], x[-4:]]))
    np.testing.assert_allclose(got, ref, rtol=1e-13, atol=0)
    assert np.isnan(C._exp(np.nan))
    for big in (1e6, np.inf):  # clamped, not overflowing
        assert C._exp(big) == C._exp(C.EXP_CLAMP) and C._exp(-big) == C._exp(-C.EXP_CLAMP)


def _climate(rng, n_month, shape):
    tmp = rng.normal(9.0, 11.0, (n_month, *shape))
    tmp.flat[:6] = [-5.0, -5.000001, -18.27, -30.0, 45.0, -4.9]  # the temperature-function edges
    rain = rng.uniform(0.0, 150.0, (n_month, *shape))
    evap = rng.uniform(0.0, 160.0, (n_month, *shape))
    covered = rng.random((n_month, *shape)) < 0.6
    return tmp, rain, evap, covered


def _both(**kw):
    out = {}
    for compiled in (False, True):
        K.COMPILED = compiled
        try:
            out[compiled] = K.simulate(**kw)
        finally:
            K.COMPILED = True
    return out[False], out[True]


def _assert_same(ref, got):
    np.testing.assert_array_equal(np.isnan(ref.pools), np.isnan(got.pools))
    np.testing.assert_allclose(got.pools, ref.pools, rtol=1e-12, atol=1e-13)
    np.testing.assert_array_equal(np.isnan(ref.swc), np.isnan(got.swc))
    np.testing.assert_allclose(got.swc, ref.swc, rtol=1e-12, atol=1e-10)


@pytest.mark.parametrize("temperature", ["rothamsted", "soilr"])
@pytest.mark.parametrize("with_cover", [False, True])
def test_simulate_equals_numpy_path(temperature, with_cover):
    rng = np.random.default_rng(7)
    n = 3000
    tmp, rain, evap, covered = _climate(rng, 36, (n,))
    pools = rng.uniform(0.0, 40.0, (5, n))
    kw = dict(
        pools=pools,
        swc=rng.uniform(-40.0, 0.0, n),
        tmp=tmp,
        rain=rain,
        evap=evap,
        covered=covered,
        clay=rng.uniform(2.0, 70.0, n),
        depth=30.0,
        inputs=rng.uniform(0.0, 0.5, (36, 4, n)),
        cover=np.where(covered, 0.6, 1.0) * rng.uniform(0.8, 1.0, (36, n)) if with_cover else None,
        factor=np.where(rng.random(n) < 0.2, 0.4, 1.0),
        evap_coeff=1.0,
        temperature=temperature,
    )
    ref, got = _both(**kw)
    _assert_same(ref, got)
    assert got.ract is None and got.records == {}
    np.testing.assert_array_equal(got.pools[4], pools[4])  # IOM untouched


def test_broadcasting_and_nan_like_numpy_path():
    """Pixel shape (ny, nx), one month of inputs for all months, scalar deficit and depth, NaN inputs."""
    rng = np.random.default_rng(11)
    shape = (40, 25)
    tmp, rain, evap, covered = _climate(rng, 12, shape)
    tmp[3, 0, 0] = np.nan  # NaN temperature in one month
    rain[:, 1, 1] = np.nan  # NaN rain
    clay = rng.uniform(5.0, 50.0, shape)
    clay[2, 2] = np.nan
    ref, got = _both(
        pools=rng.uniform(0.0, 30.0, (5, *shape)),
        swc=0.0,
        tmp=tmp,
        rain=rain,
        evap=evap[:1],  # one month, broadcast over all
        covered=covered,
        clay=clay,
        depth=23.0,
        inputs=np.full((1, 4, 1, 1), 0.1),
        evap_coeff=0.75,
    )
    _assert_same(ref, got)
    assert np.isnan(got.pools[:4, 0, 0]).all() and np.isnan(got.pools[:4, 1, 1]).all()
    assert np.isnan(got.pools[:4, 2, 2]).all() and np.isfinite(got.pools[:4, 5, 5]).all()


def test_records_and_radiocarbon_stay_on_numpy_path(monkeypatch):
    """The compiled loop has no records nor radiocarbon: those runs must not reach it."""

    def boom(*a, **k):  # pragma: no cover - failing is the point
        raise AssertionError("compiled loop used")

    monkeypatch.setattr(C, "simulate_pixels", boom)
    rng = np.random.default_rng(3)
    tmp, rain, evap, covered = _climate(rng, 12, (10,))
    res = K.simulate(
        rng.uniform(1, 10, (5, 10)),
        0.0,
        tmp=tmp,
        rain=rain,
        evap=evap,
        covered=covered,
        clay=20.0,
        depth=23.0,
        inputs=np.zeros((1, 4, 10)),
        record="month",
    )
    assert res.records["pools"].shape == (12, 5, 10)


def test_loop_releases_the_gil_and_threads_agree():
    """Two threads on two halves give what one call gives (nogil loop, no shared scratch)."""
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(5)
    n = 20_000
    tmp, rain, evap, covered = _climate(rng, 24, (n,))
    pools = rng.uniform(0.0, 40.0, (5, n))
    kw = dict(evap_coeff=1.0, depth=30.0)

    def part(sl):
        return K.simulate(
            pools[:, sl],
            0.0,
            tmp=tmp[:, sl],
            rain=rain[:, sl],
            evap=evap[:, sl],
            covered=covered[:, sl],
            clay=20.0,
            inputs=np.full((1, 4, 1), 0.05),
            **kw,
        ).pools

    whole = part(slice(None))
    with ThreadPoolExecutor(2) as ex:
        halves = list(ex.map(part, [slice(0, n // 2), slice(n // 2, n)]))
    np.testing.assert_array_equal(np.concatenate(halves, axis=1), whole)


@pytest.mark.parametrize("scale", [1.0, 0.999])
def test_annual_map_equals_numpy_path(scale):
    rng = np.random.default_rng(9)
    n = 2000
    rm12 = rng.uniform(0.0, 3.0, (12, n))
    rm12[:, :3] = 0.0  # no decomposition all year: M is the identity there
    x, inputs = rng.uniform(3.0, 6.0, n), rng.uniform(0.0, 0.3, (12, 4, n))
    out = {}
    for compiled in (False, True):
        K.COMPILED = compiled
        try:
            out[compiled] = K.annual_map(rm12, x, inputs, scale=scale)
        finally:
            K.COMPILED = True
    (M0, v0), (M1, v1) = out[False], out[True]
    np.testing.assert_allclose(M1, M0, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(v1, v0, rtol=1e-12, atol=1e-14)
    if scale == 1.0:
        np.testing.assert_array_equal(M1[:, :, 0], np.eye(4))
    # a scalar pixel shape and one month of inputs for all months
    M, v = K.annual_map(rm12[:, 5], x[5], inputs[:1, :, 5], scale=scale)
    assert M.shape == (4, 4) and v.shape == (4,)


def test_advance_years_equals_numpy_path_bit_for_bit():
    """Repeated squaring in the compiled loop does the numpy path's sums in the same order: same bits,
    for one count, a count per pixel, a scenario axis and the IOM row."""
    rng = np.random.default_rng(13)
    n = 3000
    M, v = K.annual_map(rng.uniform(0.0, 2.5, (12, n)), rng.uniform(3.0, 6.0, n), rng.uniform(0.0, 0.2, (12, 4, n)))
    cases = [
        (rng.uniform(0.0, 50.0, (5, n)), v, 20),
        (rng.uniform(0.0, 50.0, (4, n)), v, rng.integers(0, 60, n)),
        (rng.uniform(0.0, 50.0, (4, 3, n)), v[:, None] * np.array([1.0, 1.05, 1.2])[:, None], 33),
    ]
    for pools, vv, years in cases:
        out = {}
        for compiled in (False, True):
            K.COMPILED = compiled
            try:
                out[compiled] = K.advance_years(pools, M, vv, years)
            finally:
                K.COMPILED = True
        np.testing.assert_array_equal(out[True], out[False])
    with pytest.raises(ValueError, match=">= 0"):
        K.advance_years(cases[0][0], M, v, -1)
