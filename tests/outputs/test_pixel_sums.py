"""The compiled pixel sums (scsmap.outputs.pixel_sums) against numpy's own expressions, bit for bit.

Oracle: ``ok = numpy.isfinite(b)``, ``x = numpy.where(ok, b, 0).astype("f8")``; ``ok.sum()``, ``x.sum()``
and ``(x * x).sum()`` (numpy's pairwise summation), which the products' statistics used before.
"""

from __future__ import annotations

import numpy as np
import pytest

from scsmap.outputs.pixel_sums import PAIRWISE_BLOCK, finite_sums


def _oracle(b):
    ok = np.isfinite(b)
    x = np.where(ok, b, 0).astype("f8")
    return int(ok.sum()), float(x.sum()), float((x * x).sum())


def _same(got, ref):
    assert got[0] == ref[0]
    for g, r in zip(got[1:], ref[1:], strict=True):  # the same float, sign of zero included
        assert np.float64(g).tobytes() == np.float64(r).tobytes(), (g, r)


@pytest.mark.parametrize("dtype", ["f4", "f8"])
def test_equal_to_numpy_on_random_blocks_of_every_size(dtype):
    rng = np.random.default_rng(4)
    sizes = [1, 7, 8, 9, 15, 16, PAIRWISE_BLOCK - 1, PAIRWISE_BLOCK, PAIRWISE_BLOCK + 1, 136, 255, 256, 257, 1000]
    shapes = [(n,) for n in sizes] + [(1, 1), (3, 5), (976, 1024), (1024, 1024), (513, 257)]
    for shape in shapes:
        b = (rng.standard_normal(shape) * 10 ** rng.uniform(-3, 8)).astype(dtype)
        b[rng.random(shape) < 0.2] = np.nan
        _same(finite_sums(b), _oracle(b))


def test_no_data_infinities_negative_zeros_and_views():
    rng = np.random.default_rng(5)
    b = rng.uniform(-5, 5, (300, 200)).astype("f4")
    b[::7, ::3] = np.inf
    b[1::11] = -np.inf
    b[2::5, 1::4] = np.nan
    _same(finite_sums(b), _oracle(b))
    view = b.T[::2]  # not contiguous: summed in the order numpy sums its copy
    _same(finite_sums(view), _oracle(np.ascontiguousarray(view)))
    _same(finite_sums(np.full((40, 40), np.nan, "f4")), (0, 0.0, 0.0))
    _same(finite_sums(np.full((3, 3), -0.0)), _oracle(np.full((3, 3), -0.0)))  # 0.0, as numpy's identity makes it
    _same(finite_sums(np.empty((0, 4), "f4")), (0, 0.0, 0.0))


def test_the_pairwise_order_matters_here():
    """A sum whose value depends on the order: a naive left-to-right loop would differ from numpy's."""
    b = np.array([1e16, 1.0, -1e16, 1.0] * 100 + [3.0] * 37)
    naive = 0.0
    for v in b:
        naive += v
    ref = _oracle(b)
    assert naive != ref[1]
    _same(finite_sums(b), ref)
