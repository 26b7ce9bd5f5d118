"""Compiled (numba) month loop of :func:`scsmap.rothc.kernel.simulate` for pixel vectors.

One pass per pixel over all months: moisture deficit, rate modifier, decay factors and the
pool update of the Rothamsted discrete scheme are computed in registers instead of ~40 numpy
passes over the pixel vector per month. The operations and their order are those of the numpy
path (:class:`scsmap.rothc.kernel._Modifiers` and :class:`scsmap.rothc.kernel._Stepper`), which
stays the test oracle, except that a multiply and an add may be fused (:data:`FASTMATH`) and ``exp``
is the loop's own (:func:`_exp`): the two agree to 1e-12 relative (tests/rothc/test_compiled.py).

Sources of the equations: Coleman & Jenkinson, RothC-26.3 description §1.5-1.7 (docs/methods/rothc.md
§2.2-§2.3); SoilR ``fT.RothC`` for the ``soilr`` temperature function (docs/methods/gsocseq.md §1.5).

The loop releases the GIL, so the thread pool of :func:`scsmap.rothc.gsocseq.gsocseq_pixels` and
the dask threads run it on all cores. Compiled once per machine and cached next to this module
(``cache=True``); where the cache directory is read-only numba compiles in memory at first use
(about 2 s).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import numpy as np
from numba import njit
from numpy.typing import ArrayLike

from . import params as P
from ._types import BoolArray, FloatArray, IntArray

#: LLVM may fuse a multiply and an add into one FMA instruction (one rounding instead of two): the
#: exponential's polynomial and the pool update take about a quarter less time, and the results move
#: by a few units in the last place (5.9e-14 relative after a year of months, measured), far inside the
#: 1e-12 the tests allow against the numpy oracle. No other fast-math flag: NaN and infinities keep
#: their IEEE meaning (no-data pixels stay NaN).
FASTMATH = {"contract"}

#: temperature functions of the loop (``temperature`` argument of :func:`simulate_pixels`)
ROTHAMSTED, SOILR = 0, 1


@njit(inline="always")
def _minimum(a: float, b: float) -> float:
    """``numpy.minimum`` of two floats: NaN if either is NaN (Python's ``min`` is not)."""
    if a != a or b != b:
        return np.nan
    return a if a < b else b


@njit(inline="always")
def _maximum(a: float, b: float) -> float:
    """``numpy.maximum`` of two floats: NaN if either is NaN."""
    if a != a or b != b:
        return np.nan
    return a if a > b else b


#: |x| beyond which :func:`_exp` clamps its argument (e^-45 < 3e-20: a pool's decay is complete)
EXP_CLAMP = 45.0


@njit(inline="always")
def _exp(x: float) -> float:
    """``exp(x)`` that LLVM vectorises (numba calls libm's scalar ``exp`` otherwise, 4x slower than numpy's SIMD).

    ``exp(x) = (exp(x/128))**128`` with the Taylor polynomial of degree 12 on ``|x/128| <= 0.36``
    (truncation < 3e-16) and 7 squarings: relative error below 1e-13 on [-45, 45] (6.5e-14 measured,
    3e-14 on [-10, 10] where RothC's arguments lie; tests/rothc/test_compiled.py). The polynomial is
    evaluated by Estrin's scheme (pairs, then powers y², y⁴, y⁸), whose chain of dependent operations is 4
    multiply-adds long where Horner's is 12: the month loop waits on it (about 10 % faster). The argument
    is clamped to ``[-45, 45]``; NaN stays NaN.
    """
    x = _maximum(_minimum(x, EXP_CLAMP), -EXP_CLAMP)
    y = x * 0.0078125
    y2 = y * y
    y4 = y2 * y2
    y8 = y4 * y4
    q0 = (1.0 + y) + (0.5 + y * (1.0 / 6.0)) * y2
    q1 = (1.0 / 24.0 + y * (1.0 / 120.0)) + (1.0 / 720.0 + y * (1.0 / 5040.0)) * y2
    q2 = (1.0 / 40320.0 + y * (1.0 / 362880.0)) + (1.0 / 3628800.0 + y * (1.0 / 39916800.0)) * y2
    p = (q0 + q1 * y4) + (q2 + (1.0 / 479001600.0) * y4) * y8
    p = p * p
    p = p * p
    p = p * p
    p = p * p
    p = p * p
    p = p * p
    return p * p


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH)
def _loop(  # noqa: PLR0913 - one flat signature is what numba compiles
    act: FloatArray,
    s: FloatArray,
    tmp: FloatArray,
    rain: FloatArray,
    evap: FloatArray,
    covered: BoolArray,
    cover: FloatArray,
    has_cover: bool,
    smax: FloatArray,
    s1: FloatArray,
    sb: FloatArray,
    rmin: FloatArray,
    factor: FloatArray,
    neg_coeff: float,
    fb: FloatArray,
    fh: FloatArray,
    inputs: FloatArray,
    k: FloatArray,
    tstep: float,
    temperature: int,
) -> None:
    n_month = tmp.shape[0]
    n_pix = act.shape[1]
    k0, k1, k2, k3 = -k[0] * tstep, -k[1] * tstep, -k[2] * tstep, -k[3] * tstep
    for m in range(n_month):  # months outside, pixels inside: the inner loop vectorises
        tm = tmp[m]
        rn = rain[m if rain.shape[0] == n_month else 0]
        ev = evap[m if evap.shape[0] == n_month else 0]
        cv = covered[m if covered.shape[0] == n_month else 0]
        cf = cover[m if cover.shape[0] == n_month else 0]
        u = inputs[m if inputs.shape[0] == n_month else 0]
        for i in range(n_pix):
            # moisture (kernel._Modifiers.month, same operation order)
            si = s[i]
            df = ev[i] * neg_coeff
            df += rn[i]
            df = si + df
            df = _minimum(df, 0.0)
            is_cov = cv[i]
            low = smax[i] if is_cov else _minimum(sb[i], si)
            si = _maximum(low, df)
            s[i] = si
            b = smax[i] - si
            b *= P.RM_MOIST_MAX - rmin[i]
            b /= smax[i] - s1[i]
            b += rmin[i]
            b = 1.0 if si > s1[i] else b
            t = tm[i]
            if temperature == ROTHAMSTED:
                rm = t + P.TEMP_C
                rm = P.TEMP_B / rm
                rm = _exp(rm)
                rm += 1.0
                rm = P.TEMP_A / rm
                rm = 0.0 if t < P.TEMP_MIN else rm
            else:
                rm = P.SOILR_TEMP_A / (1.0 + _exp(P.SOILR_TEMP_B / (t + P.SOILR_TEMP_C)))
                rm = np.nan if t < -P.SOILR_TEMP_C else rm
            rm *= b
            if has_cover:
                rm *= cf[i]
            else:
                rm *= P.COVER_VEGETATED if is_cov else P.COVER_BARE
            rm *= factor[i]
            # decay and transfer (kernel._Stepper.decay / apply)
            a0, a1, a2, a3 = act[0, i], act[1, i], act[2, i], act[3, i]
            p0 = a0 * _exp(rm * k0)
            p1 = a1 * _exp(rm * k1)
            p2 = a2 * _exp(rm * k2)
            p3 = a3 * _exp(rm * k3)
            d = a0 - p0
            d += a1
            d -= p1
            d += a2
            d -= p2
            d += a3
            d -= p3
            p2 += fb[i] * d
            p3 += fh[i] * d
            act[0, i] = p0 + u[0, i]
            act[1, i] = p1 + u[1, i]
            act[2, i] = p2 + u[2, i]
            act[3, i] = p3 + u[3, i]


def _monthly(a: ArrayLike, n: int, shape: tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
    """A month-first series ``(n | 1, *S)`` (or a scalar) as ``(n | 1, npix)`` without copying when possible."""
    a = np.asarray(a, dtype=dtype)
    if a.ndim == 0:
        a = a[None]
    k = a.shape[0] if a.shape[0] == n else 1
    return np.ascontiguousarray(np.broadcast_to(a[:k], (k, *shape)).reshape(k, -1))


def _pixels(a: ArrayLike, shape: tuple[int, ...]) -> np.ndarray:
    return np.ascontiguousarray(np.broadcast_to(np.asarray(a, dtype=np.float64), shape).reshape(-1))


def simulate_pixels(
    state: FloatArray,
    s: FloatArray,
    *,
    tmp: FloatArray,
    rain: FloatArray,
    evap: FloatArray,
    covered: np.ndarray,
    cover: FloatArray | None,
    limits: tuple[FloatArray, FloatArray, FloatArray],
    rm_min: FloatArray,
    factor: FloatArray,
    evap_coeff: float,
    x: FloatArray,
    inputs: FloatArray,
    temperature: str,
) -> None:
    """Run the month loop in place on ``state`` ``(5, *S)`` (IOM untouched) and the deficit ``s`` ``S``.

    The arguments are those of :func:`scsmap.rothc.kernel.simulate` after its broadcasting (``state``
    and ``s`` C-contiguous with pixel shape ``S``; the series month first with ``n`` or 1 months);
    ``limits`` are :func:`scsmap.rothc.modifiers.smd_limits` and ``x`` the CO2/(BIO+HUM) ratio.
    """
    shape = s.shape
    n = tmp.shape[0]
    act = state.reshape(5, -1)[:4]
    fb, fh = P.BIO_SHARE / (x + 1.0), P.HUM_SHARE / (x + 1.0)
    inp = np.asarray(inputs, dtype=np.float64)
    k_inp = inp.shape[0] if inp.shape[0] == n else 1
    cast(Callable[..., None], _loop)(  # a numba dispatcher: its call is not typed
        act,
        s.reshape(-1),
        _monthly(tmp, n, shape),
        _monthly(rain, n, shape),
        _monthly(evap, n, shape),
        _monthly(np.not_equal(covered, 0), n, shape, dtype=np.bool_),
        _monthly(1.0 if cover is None else cover, n, shape),
        cover is not None,
        *(_pixels(v, shape) for v in limits),
        _pixels(rm_min, shape),
        _pixels(factor, shape),
        -float(evap_coeff),
        _pixels(fb, shape),
        _pixels(fh, shape),
        np.ascontiguousarray(np.broadcast_to(inp[:k_inp], (k_inp, 4, *shape)).reshape(k_inp, 4, -1)),
        P.K_ACTIVE,
        P.TIME_STEP_YR,
        ROTHAMSTED if temperature == "rothamsted" else SOILR,
    )


@njit(inline="always")
def _push(
    y0: float, y1: float, y2: float, y3: float, e0: float, e1: float, e2: float, e3: float, fb: float, fh: float
) -> tuple[float, float, float, float]:
    """One month of the linear part on a 4-vector, as :func:`scsmap.rothc.kernel._transfer`."""
    p0, p1, p2, p3 = e0 * y0, e1 * y1, e2 * y2, e3 * y3
    d = y0 - p0
    d = d + (y1 - p1)
    d = d + (y2 - p2)
    d = d + (y3 - p3)
    return p0, p1, p2 + fb * d, p3 + fh * d


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH)
def _annual_map_loop(
    rm12: FloatArray, fb: FloatArray, fh: FloatArray, inputs: FloatArray, k: FloatArray, tstep: float,
    scale: float, Y: FloatArray, v: FloatArray,
) -> None:  # fmt: skip
    n_month, n_pix = rm12.shape
    e = np.empty((4, n_pix))
    for m in range(n_month):  # months outside; per month one pass for the decay factors, one per column
        rm = rm12[m]
        u = inputs[m if inputs.shape[0] == n_month else 0]
        e0, e1, e2, e3 = e[0], e[1], e[2], e[3]
        for i in range(n_pix):
            r = -rm[i]
            e0[i] = _exp(k[0] * r * tstep)
            e1[i] = _exp(k[1] * r * tstep)
            e2[i] = _exp(k[2] * r * tstep)
            e3[i] = _exp(k[3] * r * tstep)
        for j in range(4):  # the columns of M: the unit vectors pushed through the year
            y0, y1, y2, y3 = Y[0, j], Y[1, j], Y[2, j], Y[3, j]
            for i in range(n_pix):
                a0, a1, a2, a3 = _push(y0[i], y1[i], y2[i], y3[i], e0[i], e1[i], e2[i], e3[i], fb[i], fh[i])
                y0[i], y1[i], y2[i], y3[i] = a0 * scale, a1 * scale, a2 * scale, a3 * scale
        v0, v1, v2, v3 = v[0], v[1], v[2], v[3]
        for i in range(n_pix):
            a0, a1, a2, a3 = _push(v0[i], v1[i], v2[i], v3[i], e0[i], e1[i], e2[i], e3[i], fb[i], fh[i])
            v0[i] = a0 * scale + u[0, i]
            v1[i] = a1 * scale + u[1, i]
            v2[i] = a2 * scale + u[2, i]
            v3[i] = a3 * scale + u[3, i]


def annual_map_pixels(
    rm12: FloatArray, x: FloatArray, inputs12: FloatArray, shape: tuple[int, ...], scale: float
) -> tuple[FloatArray, FloatArray]:
    """:func:`scsmap.rothc.kernel.annual_map` through the compiled loop (same arguments after broadcasting to
    the pixel shape ``S``); returns ``M`` ``(4, 4, *S)`` and ``v`` ``(4, *S)``."""
    n = rm12.shape[0]
    inp = np.asarray(inputs12, dtype=np.float64)
    k_inp = inp.shape[0] if inp.shape[0] == n else 1
    npix = int(np.prod(shape, dtype=np.int64))
    Y = np.zeros((4, 4, npix))
    for p in range(4):
        Y[p, p] = 1.0
    v = np.zeros((4, npix))
    fb, fh = P.BIO_SHARE / (x + 1.0), P.HUM_SHARE / (x + 1.0)
    cast(Callable[..., None], _annual_map_loop)(
        _monthly(rm12, n, shape),
        _pixels(fb, shape),
        _pixels(fh, shape),
        np.ascontiguousarray(np.broadcast_to(inp[:k_inp], (k_inp, 4, *shape)).reshape(k_inp, 4, -1)),
        P.K_ACTIVE,
        P.TIME_STEP_YR,
        float(scale),
        Y,
        v,
    )
    return Y.reshape((4, 4, *shape)), v.reshape((4, *shape))


@njit(nogil=True, cache=True, error_model="numpy")  # no FASTMATH: bit for bit with kernel.advance_years
def _advance_loop(c: FloatArray, M: FloatArray, v: FloatArray, years: IntArray) -> None:  # noqa: C901
    n_scen, n_pix = c.shape[1], c.shape[2]
    Mp = np.empty((4, 4))
    Mn = np.empty((4, 4))
    vp = np.empty((4, n_scen))
    vn = np.empty(4)
    cn = np.empty(4)
    for i in range(n_pix):
        for a in range(4):
            for b in range(4):
                Mp[a, b] = M[a, b, i]
            for j in range(n_scen):
                vp[a, j] = v[a, j, i]
        n = years[i]
        while n:
            if n & 1:  # c = Mp c + vp (kernel._matvec, same sums)
                for j in range(n_scen):
                    for a in range(4):
                        cn[a] = Mp[a, 0] * c[0, j, i] + Mp[a, 1] * c[1, j, i] + Mp[a, 2] * c[2, j, i]
                        cn[a] = cn[a] + Mp[a, 3] * c[3, j, i] + vp[a, j]
                    for a in range(4):
                        c[a, j, i] = cn[a]
            n >>= 1
            if n:  # (Mp, vp) <- (Mp Mp, Mp vp + vp) (kernel.compose)
                for j in range(n_scen):
                    for a in range(4):
                        vn[a] = Mp[a, 0] * vp[0, j] + Mp[a, 1] * vp[1, j] + Mp[a, 2] * vp[2, j]
                        vn[a] = vn[a] + Mp[a, 3] * vp[3, j] + vp[a, j]
                    for a in range(4):
                        vp[a, j] = vn[a]
                for a in range(4):
                    for b in range(4):
                        Mn[a, b] = Mp[a, 0] * Mp[0, b] + Mp[a, 1] * Mp[1, b] + Mp[a, 2] * Mp[2, b] + Mp[a, 3] * Mp[3, b]
                for a in range(4):
                    for b in range(4):
                        Mp[a, b] = Mn[a, b]


def advance_pixels(c: FloatArray, M: FloatArray, v: FloatArray, years: IntArray) -> FloatArray:
    """:func:`scsmap.rothc.kernel.advance_years` through the compiled loop for pixel vectors.

    ``c`` ``(4, n)`` or ``(4, k, n)`` (``k`` scenarios sharing ``M``), ``M`` ``(4, 4, n)``, ``v`` broadcastable
    to ``c``, ``years`` ``(n,)`` whole years >= 0. Returns the advanced active pools, shaped as ``c``.
    """
    shape = c.shape
    c3 = np.array(c.reshape(4, -1, shape[-1]), dtype=np.float64)  # a copy: advanced in place
    v3 = np.ascontiguousarray(np.broadcast_to(v, shape).reshape(c3.shape), dtype=np.float64)
    n = np.ascontiguousarray(np.broadcast_to(years, (shape[-1],)), dtype=np.int64)
    cast(Callable[..., None], _advance_loop)(c3, np.ascontiguousarray(M, dtype=np.float64), v3, n)
    return c3.reshape(shape)
