"""RothC rate-modifying factors, vectorised over pixels (docs/methods/rothc.md §2.2, docs/methods/gsocseq.md §1.5).

The monthly rate modifier is ``RM = a · b · c (· f_PR)``: temperature factor *a*,
topsoil-moisture factor *b*, soil-cover factor *c* and, in GSOCseq-style runs, the
paddy factor *f_PR*. All functions take numpy arrays (any shape, broadcasting) and
return float64 arrays; nothing here loops over pixels.

The moisture factor depends on the accumulated topsoil moisture deficit (TSMD), which
carries over from month to month (and from year to year): it is the only state of the
modifiers. :func:`tsmd_step` advances it one month; :func:`tsmd_settle` iterates a
repeated 12-month climatology until the deficit at the end of the year repeats, i.e.
until the moisture factors are periodic (needed before the annual affine map of
:mod:`scsmap.rothc.kernel` is constant).

Units: temperature degC (monthly mean air temperature), rainfall and evaporation
mm month-1, clay % of fine earth, depth cm, deficits mm (negative = drier).

References
----------
Coleman, K. & Jenkinson, D.S. RothC-26.3 model description, §1.6 (rate-modifying
factors), Table 2 (worked TSMD example); Rothamsted-Models/RothC_Py @f2ab6df
``RMF_Tmp``, ``RMF_Moist``, ``RMF_PC``.
Sierra, C.A., Müller, M. & Trumbore, S.E. (2012) Models of soil organic matter
decomposition: the SoilR package. Geosci. Model Dev. 5:1045-1060 (``fT.RothC``).
FAO (2020) GSOCseq technical manual v1.1, ch. 4-6, and GSOCseq scripts v1.2.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import params as P
from ._types import BoolArray, FloatArray, IntArray

#: ``(smd_max, smd_1bar, smd_bare)`` of :func:`smd_limits` [mm]
Limits = tuple[FloatArray, FloatArray, FloatArray]

__all__ = [
    "temperature_factor",
    "temperature_factor_soilr",
    "smd_limits",
    "tsmd_step",
    "tsmd_series",
    "tsmd_settle",
    "cover_factor",
    "paddy_factor",
]


def _f64(a: ArrayLike) -> FloatArray:
    return np.asarray(a, dtype=np.float64)


def temperature_factor(tmp: ArrayLike) -> FloatArray:
    """Rothamsted temperature factor *a* (RothC-26.3).

    ``a = 47.91 / (1 + exp(106.06 / (T + 18.27)))`` for T ≥ −5 °C, else 0.

    Parameters
    ----------
    tmp : array_like
        Monthly mean air temperature [degC], any shape.

    Returns
    -------
    numpy.ndarray
        a [-], same shape, float64 (about 1 at 9.25 °C, 0.0162 at −5 °C).

    References
    ----------
    Jenkinson, D.S. et al. (1987) Intercomparison of models; Coleman & Jenkinson,
    RothC-26.3 description §1.6.1; RothC_Py ``RMF_Tmp``. Check values (docs/methods/rothc.md §2.2):
    −5 → 0.0162, 0 → 0.1439, 10 → 1.099, 20 → 2.822, 30 → 4.791.
    """
    t = _f64(tmp)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        a = P.TEMP_A / (np.exp(P.TEMP_B / (t + P.TEMP_C)) + 1.0)
    return np.where(t < P.TEMP_MIN, 0.0, a)


def temperature_factor_soilr(tmp: ArrayLike) -> FloatArray:
    """SoilR / GSOCseq temperature factor (``fT.RothC``).

    ``a = 47.9 / (1 + exp(106 / (T + 18.3)))``; NaN where T < −18.3 °C (the SoilR
    function returns NA there, which the GSOCseq scripts turn into a nodata pixel).
    Unlike :func:`temperature_factor` it is *not* set to 0 below −5 °C.

    Parameters
    ----------
    tmp : array_like
        Monthly mean air temperature [degC].

    Returns
    -------
    numpy.ndarray
        a [-], float64, NaN below −18.3 °C.

    References
    ----------
    Sierra et al. (2012) SoilR, ``R/fT.RothC.R``; docs/methods/gsocseq.md §1.5.
    """
    t = _f64(tmp)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        a = P.SOILR_TEMP_A / (1.0 + np.exp(P.SOILR_TEMP_B / (t + P.SOILR_TEMP_C)))
    return np.where(t < -P.SOILR_TEMP_C, np.nan, a)


def smd_limits(clay: ArrayLike, depth: ArrayLike) -> Limits:
    """Deficit limits of the Rothamsted TSMD routine.

    Parameters
    ----------
    clay : array_like
        Clay [%].
    depth : array_like
        Topsoil depth [cm] (23 cm in the original calibration, 30 cm in GSOCseq).

    Returns
    -------
    smd_max, smd_1bar, smd_bare : numpy.ndarray
        Depth-adjusted maximum deficit ``−(20 + 1.3·clay − 0.01·clay²)·depth/23``, the
        −1 bar deficit ``0.444·smd_max`` and the bare-soil limit ``0.556·smd_max``
        [mm, negative].

    References
    ----------
    Coleman & Jenkinson, RothC-26.3 description §1.6.2 (clay 23.4 %, 23 cm →
    −44.94 mm); RothC_Py ``RMF_Moist``.
    """
    clay = _f64(clay)
    smd_max = -(P.SMD_A + P.SMD_B * clay - P.SMD_C * (clay * clay))
    smd_max_adj = smd_max * _f64(depth) / P.SMD_REF_DEPTH_CM
    return smd_max_adj, P.SMD_1BAR_SHARE * smd_max_adj, P.SMD_BARE_SHARE * smd_max_adj


@overload
def tsmd_step(
    swc: ArrayLike,
    rain: ArrayLike,
    evap: ArrayLike,
    covered: ArrayLike,
    clay: ArrayLike,
    depth: ArrayLike,
    *,
    evap_coeff: float = ...,
    rm_min: float | FloatArray = ...,
    limits: None = ...,
) -> tuple[FloatArray, FloatArray]: ...
@overload
def tsmd_step(
    swc: ArrayLike,
    rain: ArrayLike,
    evap: ArrayLike,
    covered: ArrayLike,
    clay: ArrayLike | None,
    depth: ArrayLike | None,
    *,
    evap_coeff: float = ...,
    rm_min: float | FloatArray = ...,
    limits: Limits,
) -> tuple[FloatArray, FloatArray]: ...
def tsmd_step(
    swc: ArrayLike,
    rain: ArrayLike,
    evap: ArrayLike,
    covered: ArrayLike,
    clay: ArrayLike | None,
    depth: ArrayLike | None,
    *,
    evap_coeff: float = P.PAN_COEFF,
    rm_min: float | FloatArray = P.RM_MOIST_MIN,
    limits: Limits | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Advance the accumulated topsoil moisture deficit one month; return it and *b*.

    ``DF = rain − evap_coeff·evap``; ``cand = min(0, swc + DF)``; vegetated:
    ``swc' = max(smd_max, cand)``; bare: ``swc' = max(min(smd_bare, swc), cand)``
    (a bare soil dries no further than ``smd_bare`` unless it already was drier).
    ``b = 1`` if ``swc' > smd_1bar`` else
    ``rm_min + (1 − rm_min)·(smd_max − swc')/(smd_max − smd_1bar)``.

    Parameters
    ----------
    swc : array_like
        Accumulated deficit at the end of the previous month [mm, ≤ 0]; 0 = field
        capacity (the Rothamsted start value).
    rain : array_like
        Rainfall of the month [mm].
    evap : array_like
        Open-pan evaporation [mm] with ``evap_coeff=0.75`` (Rothamsted input files), or
        potential evapotranspiration with ``evap_coeff=1.0`` (GSOCseq).
    covered : array_like of bool or {0, 1}
        Soil covered by vegetation this month (RothC ``PC = 1``).
    clay, depth : array_like
        [%], [cm]; ignored when ``limits`` is given.
    evap_coeff : float, default 0.75
        Evaporation to evapotranspiration factor [-].
    rm_min : float or array_like, default 0.2
        Lower bound of *b* (``minRM_Moist`` of the v2 input files).
    limits : tuple, optional
        Precomputed ``smd_limits(clay, depth)``.

    Returns
    -------
    swc_new : numpy.ndarray
        Deficit at the end of the month [mm].
    b : numpy.ndarray
        Moisture factor [-], in [rm_min, 1].

    References
    ----------
    Coleman & Jenkinson, RothC-26.3 description §1.6.2 and Table 2; RothC_Py
    ``RMF_Moist`` (version 1.0.0 = RothC v2 options ``opt_RMmoist 1, opt_SMDbare 1``).
    """
    # without limits, clay and depth are given (the overloads say so)
    smd_max, smd_1bar, smd_bare = (
        limits if limits is not None else smd_limits(cast(ArrayLike, clay), cast(ArrayLike, depth))
    )
    swc = _f64(swc)
    df = _f64(rain) - evap_coeff * _f64(evap)
    cand = np.minimum(0.0, swc + df)
    covered = np.asarray(covered) != 0
    swc_new = np.where(covered, np.maximum(smd_max, cand), np.maximum(np.minimum(smd_bare, swc), cand))
    with np.errstate(divide="ignore", invalid="ignore"):
        b = rm_min + (P.RM_MOIST_MAX - rm_min) * (smd_max - swc_new) / (smd_max - smd_1bar)
    b = np.where(swc_new > smd_1bar, 1.0, b)
    return swc_new, b


def tsmd_series(
    rain: ArrayLike,
    evap: ArrayLike,
    covered: ArrayLike,
    clay: ArrayLike,
    depth: ArrayLike,
    *,
    swc0: ArrayLike = 0.0,
    evap_coeff: float = P.PAN_COEFF,
    rm_min: float | FloatArray = P.RM_MOIST_MIN,
) -> tuple[FloatArray, FloatArray]:
    """Run :func:`tsmd_step` over a month axis; return every month's deficit and *b*.

    Parameters
    ----------
    rain, evap, covered : array_like
        Shape ``(n_months, ...)`` (month axis first) [mm], [mm], [bool].
    clay, depth : array_like
        Broadcastable to ``rain[0]`` [%], [cm].
    swc0 : array_like, default 0
        Deficit before the first month [mm].
    evap_coeff, rm_min : float
        See :func:`tsmd_step`.

    Returns
    -------
    swc, b : numpy.ndarray
        Shape ``(n_months, ...)``: deficit at the end of each month [mm] and moisture
        factor [-]. Memory grows with n_months; for long runs step month by month.

    References
    ----------
    Coleman & Jenkinson, RothC-26.3 description, Table 2 (docs/methods/rothc.md §2.5, RC-3).
    """
    rain = _f64(rain)
    evap = _f64(evap)
    covered = np.asarray(covered)
    n = rain.shape[0]
    limits = smd_limits(clay, depth)
    swc = np.broadcast_to(_f64(swc0), np.broadcast_shapes(np.shape(swc0), rain.shape[1:], np.shape(limits[0])))
    out_s, out_b = [], []
    for m in range(n):
        swc, b = tsmd_step(
            swc,
            rain[m],
            evap[m if evap.shape[0] == n else 0],
            covered[m if covered.shape[0] == n else 0],
            None,
            None,
            evap_coeff=evap_coeff,
            rm_min=rm_min,
            limits=limits,
        )
        out_s.append(swc)
        out_b.append(b)
    return np.stack(out_s), np.stack(out_b)


#: year-end deficits closer than this [mm] are taken as equal by :func:`tsmd_settle` (absorbs rounding)
SETTLE_ATOL = 1e-10


def tsmd_settle(
    rain12: ArrayLike,
    evap12: ArrayLike,
    covered12: ArrayLike,
    clay: ArrayLike,
    depth: ArrayLike,
    *,
    swc0: ArrayLike = 0.0,
    evap_coeff: float = P.PAN_COEFF,
    rm_min: ArrayLike = P.RM_MOIST_MIN,
    max_years: int = 1000,
    atol: float = SETTLE_ATOL,
) -> tuple[FloatArray, IntArray, BoolArray]:
    """Iterate a repeated 12-month climatology until the year-end deficit repeats.

    The annual deficit map *f* (12 applications of :func:`tsmd_step`) is monotone and
    1-Lipschitz, and every month either clamps the deficit (to 0, ``smd_max`` or the
    bare-soil limit) or shifts it by ``DF``. Starting from ``swc0`` the year-end
    deficits form a monotone sequence that reaches a fixed point ``f(s*) = s*``
    after finitely many years (usually 0-2): once a month clamps, the rest of the year
    is fixed. From ``s*`` on, the 12 moisture factors repeat every year, so one year of
    RothC is a constant affine map of the pools.

    Pixels are iterated only while unsettled. A year in which no month clamps the deficit
    to a constant (0, ``smd_max``, ``smd_bare``) shifts it by a fixed amount, and so does
    every following year until a limit is reached: such runs of years are skipped in one jump
    (``years`` counts them), so even a pixel with a tiny net drift settles in a few iterations.
    ``unsettled`` flags pixels still moving after ``max_years`` iterations (not expected).

    Parameters
    ----------
    rain12, evap12, covered12 : array_like
        Shape ``(12, ...)``: the climatology, January first [mm], [mm], [bool].
    clay, depth : array_like
        [%], [cm], broadcastable to ``rain12[0]``.
    swc0 : array_like, default 0
        Deficit at the end of the December before the first year [mm] (0 = the
        Rothamsted start; pass the deficit left by a previous run to continue it).
    evap_coeff, rm_min : float
        See :func:`tsmd_step`.
    max_years : int, default 1000
    atol : float, default 1e-10
        Year-end deficits closer than this [mm] are taken as equal (absorbs rounding).

    Returns
    -------
    swc : numpy.ndarray
        Settled year-end (December) deficit s* [mm], shape of the pixel axes.
    years : numpy.ndarray of int
        Number of whole years from ``swc0`` until the deficit entering the year is s*
        (0 when ``swc0`` is already periodic). Stepping these years month by month and
        then using the annual map reproduces monthly stepping exactly.
    unsettled : numpy.ndarray of bool
        Pixels that had not settled after ``max_years``.

    References
    ----------
    Coleman & Jenkinson, RothC-26.3 description §1.6.2 (deficit carried month to
    month; start the series in a wet month); docs/methods/rothc.md §2.3 (the annual affine map).
    """
    rain12 = _f64(rain12)
    evap12 = _f64(evap12)
    covered12 = np.asarray(covered12)
    limits = smd_limits(clay, depth)
    shape = np.broadcast_shapes(
        np.shape(swc0), rain12.shape[1:], evap12.shape[1:], covered12.shape[1:], np.shape(limits[0]), np.shape(rm_min)
    )

    def bc(a: ArrayLike, m: int | None = None) -> NDArray[Any]:  # flat pixels, dtype of a
        a = np.asarray(a) if m is None else np.asarray(a)[m]
        return np.broadcast_to(a, shape).reshape(-1)

    s: FloatArray = bc(_f64(swc0)).copy()
    lim = cast(Limits, tuple(bc(v) for v in limits))
    rmin: FloatArray = bc(_f64(rm_min))
    R = [bc(rain12, m) for m in range(12)]
    E = [bc(evap12, m) for m in range(12)]
    C = [bc(covered12, m) for m in range(12)]
    years = np.zeros(s.shape, dtype=np.int64)
    idx = np.arange(s.size)  # pixels still iterating
    it = 0
    while idx.size and it <= max_years:
        it += 1
        every = idx.size == s.size  # all pixels still iterating (the first year): no gathers
        take: Callable[[NDArray[Any]], NDArray[Any]] = (lambda a: a) if every else (lambda a: a[idx])
        cur = s.copy() if every else s[idx]
        nxt = cur
        li = cast(Limits, tuple(take(v) for v in lim))
        rmin_i = take(rmin)
        free = np.ones(idx.size, dtype=bool)  # no month clamped to a constant this year
        lo_margin = np.full(idx.size, np.inf)  # room before a lower limit would clamp
        hi_margin = np.full(idx.size, np.inf)  # room before field capacity (0) would clamp
        for m in range(12):
            r_m, e_m, c_m = take(R[m]), take(E[m]), take(C[m])
            df = r_m - evap_coeff * e_m
            prev = nxt
            nxt, _b = tsmd_step(prev, r_m, e_m, c_m, None, None, evap_coeff=evap_coeff, rm_min=rmin_i, limits=li)
            cov = c_m != 0
            is_free = nxt == prev + df  # no clamp
            is_frozen = ~cov & (df < 0) & (prev <= li[2]) & (nxt == prev)  # bare soil held at prev
            free &= is_free | is_frozen  # f(s) = s + const locally
            lower = np.where(cov, li[0], np.where(df < 0, li[2], -np.inf))
            lo_margin = np.minimum(lo_margin, np.where(is_free, nxt - lower, np.inf))
            hi_margin = np.minimum(hi_margin, np.minimum(-nxt, np.where(is_frozen, li[2] - prev, np.inf)))
        step_ = nxt - cur
        done = np.abs(step_) <= atol
        # settled pixels keep their current value (the one that repeats)
        s[idx[~done]] = nxt[~done]
        years[idx[~done]] += 1
        # an unclamped year shifts the deficit by the same amount every year until a limit is hit:
        # jump over those years at once (exact in exact arithmetic; avoids ~|smd_max|/|shift| iterations)
        drift = free & ~done
        if drift.any():
            c = step_[drift]
            room = np.where(c < 0, lo_margin[drift], hi_margin[drift])
            n = np.floor(np.maximum(room, 0.0) / np.abs(c))
            n = np.where(np.isfinite(n), n, 0.0)
            n = np.minimum(n, 2.0**52).astype(np.int64)
            j = idx[drift]
            s[j] = s[j] + n * c
            years[j] += n
        idx = idx[~done]
    unsettled = np.zeros(s.shape, dtype=bool)
    unsettled[idx] = True
    return s.reshape(shape), years.reshape(shape), unsettled.reshape(shape)


def cover_factor(covered: ArrayLike) -> FloatArray:
    """Soil-cover factor *c*: 0.6 when vegetated (PC = 1), 1.0 when bare.

    Parameters
    ----------
    covered : array_like of bool or {0, 1}
        RothC ``PC`` flag.

    Returns
    -------
    numpy.ndarray
        c [-], float64. (GSOCseq derives a continuous ``c = 1 − 0.4·P_veg`` from NDVI,
        docs/methods/gsocseq.md §1.4; such a c can be passed to the kernel directly.)

    References
    ----------
    Coleman & Jenkinson, RothC-26.3 description §1.6.3; RothC_Py ``RMF_PC``.
    """
    return np.where(np.asarray(covered) != 0, P.COVER_VEGETATED, P.COVER_BARE).astype(np.float64)


def paddy_factor(is_paddy: ArrayLike, factor: float = P.PADDY_FACTOR) -> FloatArray:
    """Paddy-field decomposition factor *f_PR*: 0.4 on paddy fields, else 1.

    Parameters
    ----------
    is_paddy : array_like of bool
        True where the land-use class is paddy (FAO class 13 in GSOCseq).
    factor : float, default 0.4

    Returns
    -------
    numpy.ndarray
        f_PR [-], float64.

    References
    ----------
    GSOCseq scripts v1.2 (all RothC scripts; comment cites Shirato, Y. & Yokozawa, M.
    (2005) Applying the Rothamsted Carbon Model for long-term experiments on Japanese
    paddy soils and modifying it by simple tuning of the decomposition rate. Soil Sci.
    Plant Nutr. 51:405-415); docs/methods/gsocseq.md §1.5.
    """
    return np.where(np.asarray(is_paddy).astype(bool), factor, 1.0).astype(np.float64)
