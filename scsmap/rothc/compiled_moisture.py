"""Compiled (numba) moisture cycle: the settled deficit of a climatology and the rate modifiers of a year.

Two loops of the exact equilibrium and the fast forward run (:func:`scsmap.rothc.kernel.equilibrium_exact`,
:func:`scsmap.rothc.kernel.periodic_cycle`, :func:`scsmap.rothc.kernel.forward_periodic`), one pixel at a
time instead of about 15 numpy passes over the pixel vector per month and year:

- :func:`settle_pixels` is :func:`scsmap.rothc.modifiers.tsmd_settle` (iterate the year until the
  December deficit repeats, jumping over runs of unclamped years). Same operations in the same order
  and no fast-math: the deficit, the years and the unsettled flags equal the numpy function's bit for bit.
- :func:`cycle_pixels` is the 12 months of ``kernel._cycle_rm``: deficit and moisture factor *b*
  (:func:`scsmap.rothc.modifiers.tsmd_step`), cover factor and temperature factor multiplied as
  :func:`scsmap.rothc.kernel.rate_modifiers` does. The deficits are bit for bit; the rate modifiers
  differ from numpy's only by the loop's own ``exp`` (1e-13 relative, :func:`scsmap.rothc.compiled._exp`).

The numpy functions stay the test oracle (tests/rothc/test_compiled_moisture.py). Sources of the
equations: Coleman & Jenkinson, RothC-26.3 description §1.6 and Table 2 (docs/methods/rothc.md §2.2-§2.5);
SoilR ``fT.RothC`` for the ``soilr`` temperature function (docs/methods/gsocseq.md §1.5).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import numpy as np
from numba import njit
from numpy.typing import ArrayLike

from . import params as P
from ._types import BoolArray, FloatArray, IntArray
from .compiled import ROTHAMSTED, SOILR, _exp, _maximum, _minimum, _pixels


def _m12(a: ArrayLike, shape: tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
    """A ``(12, ...)`` series as ``(12, npix)``: its pixel axes aligned on the right of ``shape``, as numpy broadcasts
    each month ``a[m]`` against the pixels."""
    a = np.asarray(a, dtype=dtype)
    a = a.reshape(a.shape[:1] + (1,) * (len(shape) + 1 - a.ndim) + a.shape[1:])
    return np.ascontiguousarray(np.broadcast_to(a, (12, *shape)).reshape(12, -1))


@njit(inline="always")
def _month(s: float, rain: float, evap: float, covered: bool, smax: float, sb: float, evap_coeff: float) -> float:
    """The deficit after one month (:func:`scsmap.rothc.modifiers.tsmd_step`, same operations)."""
    df = rain - evap_coeff * evap
    cand = _minimum(0.0, s + df)
    if covered:
        return _maximum(smax, cand)
    return _maximum(_minimum(sb, s), cand)


@njit(nogil=True, cache=True, error_model="numpy")
def _settle_loop(  # noqa: C901, PLR0913 - one flat loop is what numba compiles
    s: FloatArray,
    years: IntArray,
    unsettled: BoolArray,
    rain: FloatArray,
    evap: FloatArray,
    covered: BoolArray,
    smax: FloatArray,
    sb: FloatArray,
    evap_coeff: float,
    max_years: int,
    atol: float,
) -> None:
    for i in range(s.shape[0]):
        si = s[i]
        yrs = 0
        done = False
        it = 0
        while it <= max_years:
            it += 1
            cur = si
            nxt = cur
            free = True  # no month clamped to a constant this year
            lo_margin = np.inf  # room before a lower limit would clamp
            hi_margin = np.inf  # room before field capacity (0) would clamp
            for m in range(12):
                r, e, cov = rain[m, i], evap[m, i], covered[m, i]
                df = r - evap_coeff * e
                prev = nxt
                nxt = _month(prev, r, e, cov, smax[i], sb[i], evap_coeff)
                is_free = nxt == prev + df
                is_frozen = (not cov) and df < 0 and prev <= sb[i] and nxt == prev
                free = free and (is_free or is_frozen)
                lower = smax[i] if cov else (sb[i] if df < 0 else -np.inf)
                lo_margin = _minimum(lo_margin, nxt - lower if is_free else np.inf)
                hi_margin = _minimum(hi_margin, _minimum(-nxt, sb[i] - prev if is_frozen else np.inf))
            step = nxt - cur
            done = abs(step) <= atol
            if done:
                break
            si = nxt
            yrs += 1
            if nxt != nxt:  # NaN stays NaN: numpy iterates to max_years, counting every year
                yrs += max_years + 1 - it
                break
            if free:  # an unclamped year repeats until a limit: jump over those years at once
                room = lo_margin if step < 0 else hi_margin
                n = np.floor(_maximum(room, 0.0) / abs(step))
                if not np.isfinite(n):
                    n = 0.0
                k = int(_minimum(n, 2.0**52))
                si = si + float(k) * step
                yrs += k
        s[i] = si
        years[i] = yrs
        unsettled[i] = not done


def settle_pixels(
    rain12: FloatArray,
    evap12: FloatArray,
    covered12: ArrayLike,
    limits: tuple[FloatArray, FloatArray, FloatArray],
    swc0: FloatArray,
    shape: tuple[int, ...],
    *,
    evap_coeff: float,
    max_years: int,
    atol: float,
) -> tuple[FloatArray, IntArray, BoolArray]:
    """:func:`scsmap.rothc.modifiers.tsmd_settle` through the compiled loop, equal bit for bit.

    Parameters
    ----------
    rain12, evap12, covered12 : array_like
        ``(12, ...)`` climatology broadcastable to ``(12, *shape)`` [mm], [mm], [PC flag].
    limits : tuple of numpy.ndarray
        :func:`scsmap.rothc.modifiers.smd_limits`, broadcastable to ``shape`` [mm].
    swc0 : numpy.ndarray
        Deficit before the first year, broadcastable to ``shape`` [mm].
    shape : tuple of int
        Pixel shape ``S``.
    evap_coeff, max_years, atol
        As :func:`scsmap.rothc.modifiers.tsmd_settle`.

    Returns
    -------
    swc, years, unsettled : numpy.ndarray
        Shape ``S``: settled December deficit [mm], years to settle, pixels not settled after ``max_years``.
    """
    s = _pixels(swc0, shape).copy()
    years = np.zeros(s.shape, dtype=np.int64)
    unsettled = np.zeros(s.shape, dtype=np.bool_)
    cast(Callable[..., None], _settle_loop)(  # a numba dispatcher: its call is not typed
        s,
        years,
        unsettled,
        _m12(rain12, shape),
        _m12(evap12, shape),
        _m12(np.not_equal(covered12, 0), shape, dtype=np.bool_),
        _pixels(limits[0], shape),
        _pixels(limits[2], shape),
        float(evap_coeff),
        int(max_years),
        float(atol),
    )
    return s.reshape(shape), years.reshape(shape), unsettled.reshape(shape)


@njit(nogil=True, cache=True, error_model="numpy")
def _cycle_loop(  # noqa: PLR0913 - one flat signature is what numba compiles
    s: FloatArray,
    rm12: FloatArray,
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
    evap_coeff: float,
    temperature: int,
) -> None:
    for m in range(12):  # months outside, pixels inside: the inner loop vectorises
        for i in range(s.shape[0]):
            cov = covered[m, i]
            si = _month(s[i], rain[m, i], evap[m, i], cov, smax[i], sb[i], evap_coeff)
            s[i] = si
            b = rmin[i] + (P.RM_MOIST_MAX - rmin[i]) * (smax[i] - si) / (smax[i] - s1[i])
            b = 1.0 if si > s1[i] else b
            c = cover[m, i] if has_cover else (P.COVER_VEGETATED if cov else P.COVER_BARE)
            t = tmp[m, i]
            if temperature == ROTHAMSTED:
                a = P.TEMP_A / (_exp(P.TEMP_B / (t + P.TEMP_C)) + 1.0)
                a = 0.0 if t < P.TEMP_MIN else a
            else:
                a = P.SOILR_TEMP_A / (1.0 + _exp(P.SOILR_TEMP_B / (t + P.SOILR_TEMP_C)))
                a = np.nan if t < -P.SOILR_TEMP_C else a
            rm12[m, i] = a * b * c * factor[i]


def cycle_pixels(
    swc_start: ArrayLike,
    tmp12: FloatArray,
    rain12: FloatArray,
    evap12: FloatArray,
    covered12: ArrayLike,
    limits: tuple[FloatArray, FloatArray, FloatArray],
    cover12: FloatArray | None,
    factor: ArrayLike,
    evap_coeff: float,
    rm_min: ArrayLike,
    temperature: str,
    shape: tuple[int, ...],
) -> tuple[FloatArray, FloatArray]:
    """The rate modifiers of one year from deficit ``swc_start``, and the deficit at its end.

    Parameters
    ----------
    swc_start : array_like
        Deficit entering January, broadcastable to ``shape`` [mm].
    tmp12, rain12, evap12, covered12 : array_like
        ``(12, ...)`` broadcastable to ``(12, *shape)`` [degC], [mm], [mm], [PC flag].
    limits : tuple of numpy.ndarray
        :func:`scsmap.rothc.modifiers.smd_limits` [mm].
    cover12 : numpy.ndarray or None
        ``(12, ...)`` soil-cover factor c; None: :func:`scsmap.rothc.modifiers.cover_factor` of ``covered12``.
    factor, evap_coeff, rm_min, temperature
        As :func:`scsmap.rothc.kernel.simulate` (``temperature`` "rothamsted" or "soilr").
    shape : tuple of int
        Pixel shape ``S``.

    Returns
    -------
    rm12 : numpy.ndarray
        ``(12, *S)`` rate modifiers [-].
    swc : numpy.ndarray
        ``S`` deficit at the end of December [mm].
    """
    s = _pixels(swc_start, shape).copy()
    rm12 = np.empty((12, s.size))
    cast(Callable[..., None], _cycle_loop)(
        s,
        rm12,
        _m12(tmp12, shape),
        _m12(rain12, shape),
        _m12(evap12, shape),
        _m12(np.not_equal(covered12, 0), shape, dtype=np.bool_),
        np.ones((1, 1)) if cover12 is None else _m12(cover12, shape),  # not read without cover12
        cover12 is not None,
        *(_pixels(v, shape) for v in limits),
        _pixels(rm_min, shape),
        _pixels(factor, shape),
        float(evap_coeff),
        ROTHAMSTED if temperature == "rothamsted" else SOILR,
    )
    return rm12.reshape((12, *shape)), s.reshape(shape)
