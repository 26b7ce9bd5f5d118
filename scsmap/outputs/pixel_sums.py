"""The valid pixels, sum and sum of squares of a product's block in one compiled (numba) pass.

:func:`finite_sums` gives what ``numpy`` gives for ``ok = isfinite(b)``, ``x = where(ok, b, 0).astype(f8)``:
``ok.sum()``, ``x.sum()`` and ``(x * x).sum()``, bit for bit, without the float64 copies of the block: the
sums are numpy's pairwise summation (``pairwise_sum`` of ``numpy/_core/src/umath/loops_utils.h.src``: blocks
of at most 128 values summed with 8 accumulators, halves of a larger range split at a multiple of 8 and
added), which ``add.reduce`` applies to a contiguous array. The numpy expressions stay the test oracle
(tests/outputs/test_pixel_sums.py). A 1024 x 1024 float32 block: about 2 ms instead of 5.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import numpy as np
from numba import njit

#: numpy's ``PW_BLOCKSIZE``: ranges of up to this many values are summed with 8 accumulators
PAIRWISE_BLOCK = 128


@njit(inline="always")
def _value(b: np.ndarray, i: int) -> float:
    """``b[i]`` as float64, 0 where it is not finite."""
    v = np.float64(b[i])
    return v if np.isfinite(v) else 0.0


@njit(nogil=True, cache=True)
def _pairwise(b: np.ndarray, start: int, n: int) -> tuple[float, float]:  # noqa: PLR0915 - numpy's unrolled loop
    """Pairwise sums of the values and of their squares over ``b[start:start + n]`` (numpy's order)."""
    if n < 8:
        s = 0.0
        q = 0.0
        for i in range(start, start + n):
            v = _value(b, i)
            s += v
            q += v * v
        return s, q
    if n <= PAIRWISE_BLOCK:
        v0, v1, v2, v3 = _value(b, start), _value(b, start + 1), _value(b, start + 2), _value(b, start + 3)
        v4, v5, v6, v7 = _value(b, start + 4), _value(b, start + 5), _value(b, start + 6), _value(b, start + 7)
        s0, s1, s2, s3, s4, s5, s6, s7 = v0, v1, v2, v3, v4, v5, v6, v7
        q0, q1, q2, q3 = v0 * v0, v1 * v1, v2 * v2, v3 * v3
        q4, q5, q6, q7 = v4 * v4, v5 * v5, v6 * v6, v7 * v7
        i = 8
        whole = n - n % 8
        while i < whole:
            j = start + i
            v0, v1, v2, v3 = _value(b, j), _value(b, j + 1), _value(b, j + 2), _value(b, j + 3)
            v4, v5, v6, v7 = _value(b, j + 4), _value(b, j + 5), _value(b, j + 6), _value(b, j + 7)
            s0 += v0
            s1 += v1
            s2 += v2
            s3 += v3
            s4 += v4
            s5 += v5
            s6 += v6
            s7 += v7
            q0 += v0 * v0
            q1 += v1 * v1
            q2 += v2 * v2
            q3 += v3 * v3
            q4 += v4 * v4
            q5 += v5 * v5
            q6 += v6 * v6
            q7 += v7 * v7
            i += 8
        s = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
        q = ((q0 + q1) + (q2 + q3)) + ((q4 + q5) + (q6 + q7))
        while i < n:
            v = _value(b, start + i)
            s += v
            q += v * v
            i += 1
        return s, q
    half = n // 2
    half -= half % 8
    sa, qa = _pairwise(b, start, half)
    sb, qb = _pairwise(b, start + half, n - half)
    return sa + sb, qa + qb


@njit(nogil=True, cache=True)
def _count(b: np.ndarray) -> int:
    n = 0
    for i in range(b.size):
        if np.isfinite(b[i]):
            n += 1
    return n


def finite_sums(block: np.ndarray) -> tuple[int, float, float]:
    """Valid pixels, sum and sum of squares of the finite pixels of a block.

    Parameters
    ----------
    block : numpy.ndarray
        Any shape, float32 or float64 (NaN and infinities are left out).

    Returns
    -------
    count : int
        Finite pixels.
    sum, sumsq : float
        ``x.sum()`` and ``(x * x).sum()`` of ``x = where(isfinite(block), block, 0).astype(float64)``, equal
        to numpy's bit for bit (the same pairwise order).
    """
    flat = np.ascontiguousarray(block).reshape(-1)
    total, squares = cast(Callable[..., tuple[float, float]], _pairwise)(flat, 0, flat.size)
    # numpy adds the reduction to its identity, 0.0 (which turns a sum of -0.0 into 0.0)
    return int(cast(Callable[..., int], _count)(flat)), 0.0 + float(total), 0.0 + float(squares)
