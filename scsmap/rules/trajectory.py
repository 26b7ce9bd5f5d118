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
    """:func:`practice_path_sums` of several pathways sharing the weights and the room, in one pass over the cells.

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
    wr, wc = np.zeros((len(flat), n + 1)), np.zeros((len(flat), n + 1))
    cast(Callable[..., None], _bins_loop)(  # a numba dispatcher: its call is not typed
        w, tuple(flat), c, t, wr, wc, _whole_years(years)
    )
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


@njit(nogil=True, cache=True)
def _bins_loop(
    w: FloatArray,
    rates: tuple[np.ndarray, ...],
    c: np.ndarray,
    t: FloatArray,
    wr: FloatArray,
    wc: FloatArray,
    whole_years: bool,
) -> None:
    """:func:`path_bins` of each rate layer of ``rates`` (row ``j`` of ``wr`` and ``wc``) in one pass over the
    cells, adding into each row in cell order (as ``numpy.bincount`` does: the same sums, bit for bit).

    The rates and ``c`` may be float32 (each value is widened to float64 first); the rate layers are of one
    dtype. With ``whole_years`` (the years are 0, 1, 2, ..., so ``t[j] = min(j, D)``) the count of years
    with ``t <= x`` is ``floor(x) + 1`` below ``t[-1]`` and all of them from there: the same count as the
    binary search, without it.
    """
    n = t.size
    for i in range(w.size):
        wi = w[i]
        if not wi > 0:
            continue
        ci = np.float64(c[i])
        for j in range(len(rates)):
            ri = np.float64(rates[j][i])
            if not np.isfinite(ri):
                continue
            if ri > 0 and np.isfinite(ci):
                cap = ci if ci > 0.0 else 0.0
                x = cap / ri
                if whole_years:  # searchsorted(t, x, side="right") for t = min(0, 1, 2, ..., D)
                    lo = n if x >= t[n - 1] else int(np.floor(x)) + 1
                else:
                    lo, hi = 0, n  # searchsorted(t, x, side="right"): the years with t <= x
                    while lo < hi:
                        mid = (lo + hi) // 2
                        if t[mid] <= x:
                            lo = mid + 1
                        else:
                            hi = mid
                wr[j, lo] += wi * ri
                wc[j, lo] += wi * cap
            else:
                wr[j, n] += wi * ri
                wc[j, n] += 0.0


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
