"""The national SOC trajectory: cumulative sequestration by year, per practice and per RothC scenario.

Numpy block sums, the practice path's bins in one compiled (numba) pass (docs/methods/practices.md §6.5).
A practice changes the stock linearly over the IPCC transition period D and then not at all (IPCC 2006
Vol. 4 Ch. 2 eq. 2.25, D = 20 yr), and never beyond the room left by the saturation deficit
(docs/methods/saturation.md §4.3). The RothC scenarios' path is their simulated SOC change since T0 at
the end of each recorded forward year.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

import numpy as np
from numba import njit
from numpy.typing import ArrayLike

from ._types import FloatArray


def practice_cumulative(rate: ArrayLike, room: ArrayLike, duration: float, year: float) -> FloatArray:
    """Cumulative SOC change of a practice after ``year`` years [t C ha-1].

    ``min(rate · min(year, D), room)`` for gains, ``rate · min(year, D)`` for losses (a loss is not capped).

    Parameters
    ----------
    rate : array_like
        Capped rate [t C ha-1 yr-1] (NaN unknown).
    room : array_like
        Saturation deficit plus the POC allowance [t C ha-1] (NaN: not capped).
    duration : float
        IPCC D [yr]: the years over which the Tier 1 change happens.
    year : float
        Years since adoption.

    Returns
    -------
    numpy.ndarray
        [t C ha-1], shape of ``rate``.

    References
    ----------
    IPCC (2006) Vol. 4 Ch. 2 eq. 2.25 (linear change over D years); docs/methods/saturation.md §4.3 (cap).
    """
    r = np.asarray(rate, dtype="f8")
    lin = r * min(float(year), float(duration))
    cap = np.asarray(room, dtype="f8")
    capped = np.where(np.isfinite(cap), np.minimum(lin, np.maximum(cap, 0.0)), lin)
    out: FloatArray = np.where(r > 0, capped, lin)
    return out


def practice_path_sums(
    weight: ArrayLike, rate: ArrayLike, room: ArrayLike, duration: float, years: Sequence[float]
) -> FloatArray:
    """Σ w · cumulative change for each year [t C] (weights in ha), NaN rates left out.

    The sum of :func:`practice_cumulative` over the cells for every year, in a few passes over the cells
    rather than one per year: with ``t = min(year, D)`` nondecreasing in the year, a gaining cell with room
    ``c`` follows its line ``r · t`` while ``t ≤ c / r`` and stays at ``c`` after, so each cell is binned by
    the number of years it is still on its line, and each year's sum is
    ``t · Σ w·r (cells still on their line) + Σ w·c (cells at their cap)``.

    Parameters
    ----------
    weight : array_like
        Cell weights [ha] (cells of weight 0 are left out).
    rate, room : array_like
        As :func:`practice_cumulative`, same shape as ``weight``.
    duration : float
        IPCC D [yr].
    years : sequence of float
        Years since adoption, in increasing order.

    Returns
    -------
    numpy.ndarray
        ``(len(years),)`` [t C].

    Raises
    ------
    ValueError
        ``years`` not in increasing order.
    """
    out: FloatArray = practice_paths_sums(weight, [rate], room, duration, years)[0]
    return out


def practice_paths_sums(
    weight: ArrayLike, rates: Sequence[ArrayLike], room: ArrayLike, duration: float, years: Sequence[float]
) -> FloatArray:
    """:func:`practice_path_sums` of several pathways sharing the weights and the room, :data:`LANES` at a time in
    one pass over the cells (:func:`path_bins_many`).

    Each pathway's bins are added up in cell order, as :func:`practice_path_sums` of that pathway alone adds
    them: the same sums, bit for bit. The pathways' additions are independent of one another, so that one
    pass over the cells overlaps them (a pathway alone waits for each addition to its bin before the next).

    Parameters
    ----------
    weight : array_like
        Cell weights [ha] (cells of weight 0 are left out).
    rates : sequence of array_like
        ``k`` rate layers [t C ha-1 yr-1], each of ``weight``'s size (NaN left out).
    room : array_like
        [t C ha-1], of ``weight``'s size.
    duration : float
        IPCC D [yr].
    years : sequence of float
        Years since adoption, in increasing order.

    Returns
    -------
    numpy.ndarray
        ``(k, len(years))`` [t C].

    Raises
    ------
    ValueError
        ``years`` not in increasing order; no rate layer; a rate layer or the room not of the weights' size.
    """
    t = np.minimum(np.asarray(years, dtype="f8"), float(duration))
    if np.any(np.diff(t) < 0):
        raise ValueError("practice_path_sums: years must be in increasing order")
    if not len(rates):
        raise ValueError("practice_paths_sums: no rate layer")
    w, flat, c = _flat_f8(weight), [_flat_float(r) for r in rates], _flat_float(room)
    if any(a.size != w.size for a in (*flat, c)):  # the loop reads them cell by cell, unchecked
        raise ValueError(f"practice_paths_sums: rates and room must have the weights' {w.size} cells")
    if len({a.dtype for a in flat}) > 1:  # one dtype for the loop: float64 values of float32 ones are exact
        flat = [a.astype("f8") for a in flat]
    n = t.size
    wr, wc = path_bins_many(w, flat, c, t, _whole_years(years))
    # year j: cells with on_line > j are on their line, cells with on_line <= j at their cap
    line = np.cumsum(wr[:, ::-1], axis=1)[:, ::-1][:, 1:]  # Σ w·r over on_line ≥ j + 1
    at_cap = np.cumsum(wc, axis=1)[:, :n]  # Σ w·c over on_line ≤ j
    out: FloatArray = t * line + at_cap
    return out


def _flat_f8(a: ArrayLike) -> FloatArray:
    return np.ascontiguousarray(np.ravel(np.asarray(a)), dtype="f8")


def _flat_float(a: ArrayLike) -> np.ndarray:
    """Flat and contiguous, float32 kept as it is (the loop widens each value to float64 exactly), else float64."""
    arr = np.ravel(np.asarray(a))
    return np.ascontiguousarray(arr, dtype="f4" if arr.dtype == np.float32 else "f8")


def _whole_years(years: Sequence[float]) -> bool:
    """True when the years are 0, 1, 2, ...: the loop then bins a cell without a search (see :func:`_bins_loop`)."""
    return bool(np.array_equal(np.asarray(years, dtype="f8"), np.arange(len(years), dtype="f8")))


def path_bins(weight: ArrayLike, rate: ArrayLike, room: ArrayLike, t: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The bins of :func:`practice_path_sums` in numpy (the test oracle of its compiled loop).

    Parameters
    ----------
    weight, rate, room : array_like
        As :func:`practice_path_sums`: cell weights [ha], capped rates [t C ha-1 yr-1], room [t C ha-1].
    t : numpy.ndarray
        ``min(year, D)`` of each year [yr], nondecreasing.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``(len(t) + 1,)`` each, by the number of years a cell is still on its line: Σ w·r [t C yr-1] and
        Σ w·cap [t C] (0 for cells that are not capped).
    """
    w, r, c = _flat_f8(weight), _flat_f8(rate), _flat_f8(room)
    ok = np.isfinite(r) & (w > 0)
    w, r, c = w[ok], r[ok], c[ok]
    n = t.size
    capped = (r > 0) & np.isfinite(c)
    cap = np.maximum(c, 0.0)
    # years on the line: those with r·t ≤ cap (a prefix of the years, t nondecreasing); all n where not capped
    on_line = np.full(r.shape, n, dtype="int64")
    on_line[capped] = np.searchsorted(t, cap[capped] / r[capped], side="right")
    wr: FloatArray = np.bincount(on_line, weights=w * r, minlength=n + 1).astype("f8")
    wc: FloatArray = np.bincount(on_line, weights=np.where(capped, w * cap, 0.0), minlength=n + 1).astype("f8")
    return wr, wc


#: pathways binned together in one pass over the cells by :func:`_bins_loop`
LANES = 4


def path_bins_many(
    w: FloatArray, rates: Sequence[np.ndarray], c: np.ndarray, t: FloatArray, whole_years: bool
) -> tuple[FloatArray, FloatArray]:
    """:func:`path_bins` of each rate layer, compiled: :data:`LANES` layers a pass over the cells (:func:`_bins_loop`).

    Parameters
    ----------
    w : numpy.ndarray
        ``(N,)`` float64 cell weights [ha], contiguous.
    rates : sequence of numpy.ndarray
        ``k`` rate layers [t C ha-1 yr-1], ``(N,)`` each, contiguous, all float32 or all float64.
    c : numpy.ndarray
        ``(N,)`` room [t C ha-1], float32 or float64, contiguous.
    t : numpy.ndarray
        ``min(year, D)`` of each year [yr], nondecreasing.
    whole_years : bool
        The years are 0, 1, 2, ... (:func:`_whole_years`).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``(k, len(t) + 1)`` each: row ``j`` is :func:`path_bins` of ``rates[j]``, bit for bit.

    Raises
    ------
    ValueError
        No rate layer, or the rate layers of more than one dtype.
    """
    if not len(rates):
        raise ValueError("path_bins_many: no rate layer")
    if len({r.dtype for r in rates}) > 1:
        raise ValueError("path_bins_many: the rate layers must share one dtype")
    k, n = len(rates), t.size
    wr, wc = np.zeros((k + LANES, n + 1)), np.zeros((k + LANES, n + 1))  # free lanes sum into the rows past k
    for g in range(0, k, LANES):
        lanes = list(rates[g : g + LANES])
        lanes += [lanes[0]] * (LANES - len(lanes))  # free lanes bin the first layer again; their rows are dropped
        cast(Callable[..., None], _bins_loop)(w, *lanes, c, t, wr[g:], wc[g:], whole_years)  # numba: untyped
    return wr[:k], wc[:k]


@njit(inline="always")
def _years_on_line(x: float, t: FloatArray, n: int, whole_years: bool) -> int:
    """``searchsorted(t, x, side="right")``: the years with ``t <= x``. With ``whole_years`` (``t[j] = min(j, D)``)
    that count is ``floor(x) + 1`` below ``t[-1]`` and all of them from there: the same count, without the search."""
    if whole_years:
        return n if x >= t[n - 1] else int(np.floor(x)) + 1
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if t[mid] <= x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(inline="always")
def _lane(  # noqa: PLR0913 - numba inlines it
    acc_r: float,
    acc_c: float,
    wi: float,
    ci: float,
    c_finite: bool,
    value: float,
    t: FloatArray,
    n: int,
    whole_years: bool,
) -> tuple[float, float, int, float, float]:
    """One cell of one lane of :func:`_bins_loop`: ``(acc_r, acc_c, lo, dr, dc)``, the lane's sums of the last
    bin (``n``: cells not capped, or capped after the last year) with the cell's terms added, and the terms
    ``dr = w·r``, ``dc = w·cap`` of an earlier bin ``lo < n`` (``lo = n`` when there is none). A cell whose rate
    is NaN adds +0.0 (see :func:`_bins_loop`)."""
    ri = np.float64(value)
    if ri > 0 and c_finite:
        cap = ci if ci > 0.0 else 0.0
        lo = _years_on_line(cap / ri, t, n, whole_years)
        if lo < n:
            return acc_r, acc_c, lo, wi * ri, wi * cap
        return acc_r + wi * ri, acc_c + wi * cap, n, 0.0, 0.0
    return acc_r + (wi * ri if np.isfinite(ri) else 0.0), acc_c, n, 0.0, 0.0


@njit(nogil=True, cache=True)
def _bins_loop(  # noqa: PLR0913 - the four lanes' layers
    w: FloatArray,
    r0: np.ndarray,
    r1: np.ndarray,
    r2: np.ndarray,
    r3: np.ndarray,
    c: np.ndarray,
    t: FloatArray,
    wr: FloatArray,
    wc: FloatArray,
    whole_years: bool,
) -> None:
    """:func:`path_bins` of four rate layers (rows 0-3 of ``wr`` and ``wc``) in one pass over the cells, adding into
    each bin in cell order (as ``numpy.bincount`` does: the same sums, bit for bit).

    Each lane keeps the sums of its last bin (``n``: the cells that are not capped, or not before the last
    year), where most cells go, in registers and adds them to ``wr[:, n]`` and ``wc[:, n]`` at the end; the
    cells of the earlier bins are added in memory. A cell whose rate is NaN adds +0.0 to the last bin instead
    of a branch: the sums start at +0.0 and a sum of floats is -0.0 only when both terms are, so they never hold
    -0.0 and adding +0.0 leaves them as they are. The four lanes' sums wait on their own additions only, so a
    pass of four layers takes well under four passes of one (the 15 pathways of a 1024 x 1024 block: 15 against 26
    ms, docs/scaling.md). The rates and ``c`` may be float32 (each value is widened to float64 first); the four
    rate layers are of one dtype.
    """
    n = t.size
    a0 = b0 = a1 = b1 = a2 = b2 = a3 = b3 = 0.0
    for i in range(w.size):
        wi = w[i]
        if not wi > 0:
            continue
        ci = np.float64(c[i])
        fin = np.isfinite(ci)
        # each lane's earlier bin is added here, not in _lane: a helper that writes into wr and wc took 40 times as
        # long (158 against 4 ms for four layers of a 1024 x 1024 block; numba does not keep the arrays it is passed)
        a0, b0, lo, dr, dc = _lane(a0, b0, wi, ci, fin, r0[i], t, n, whole_years)
        if lo < n:
            wr[0, lo] += dr
            wc[0, lo] += dc
        a1, b1, lo, dr, dc = _lane(a1, b1, wi, ci, fin, r1[i], t, n, whole_years)
        if lo < n:
            wr[1, lo] += dr
            wc[1, lo] += dc
        a2, b2, lo, dr, dc = _lane(a2, b2, wi, ci, fin, r2[i], t, n, whole_years)
        if lo < n:
            wr[2, lo] += dr
            wc[2, lo] += dc
        a3, b3, lo, dr, dc = _lane(a3, b3, wi, ci, fin, r3[i], t, n, whole_years)
        if lo < n:
            wr[3, lo] += dr
            wc[3, lo] += dc
    for lane, (a, b) in enumerate(((a0, b0), (a1, b1), (a2, b2), (a3, b3))):
        wr[lane, n] += a
        wc[lane, n] += b


def weighted_sums(weight: ArrayLike, values: ArrayLike) -> FloatArray:
    """Σ w · v per leading row of ``values`` over the cells where v is finite [units × ha].

    Parameters
    ----------
    weight : array_like
        ``(*S)`` cell weights [ha].
    values : array_like
        ``(k, *S)`` values (NaN left out).

    Returns
    -------
    numpy.ndarray
        ``(k,)``.
    """
    w = np.ravel(np.asarray(weight, dtype="f8"))
    v = np.asarray(values, dtype="f8").reshape(-1, w.size)
    ok = np.isfinite(v) & (w > 0)
    out: FloatArray = np.where(ok, v * w, 0.0).sum(axis=1)
    return out
