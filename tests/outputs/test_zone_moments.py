"""The area-weighting primitive every area, mean, total and share comes from, by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scsmap.outputs.zonal import zone_moments, zone_moments_many

NAN = float("nan")


def test_zone_moments_by_hand():
    # 6 cells, 2 zones; cell 3 has no value, cell 4 lies outside every zone (weight 0), cell 5 has no target,
    # cell 6 has a key beyond the zones (left out)
    w = np.array([1.0, 2.0, 3.0, 4.0, 0.0, 5.0])
    k = np.array([0, 1, 1, 0, 1, 7])
    v = np.array([0.5, -1.0, NAN, 2.0, 9.0, 1.0], dtype="f4")
    t = np.array([0.1, 0.2, 0.3, NAN, 0.5, 0.6], dtype="f4")
    out = zone_moments(w, k, 2, v, t)
    # zone 0: cells 1 and 4 -> area 5, Σwv = 0.5 + 8 = 8.5; with a target only cell 1: 0.5 and 1 x 0.1
    # zone 1: cell 2 only (cell 3 NaN, cell 5 weight 0) -> 2, -2; target 2 x 0.2
    expect = [[5.0, 8.5, 0.5, np.float32(0.1)], [2.0, -2.0, -2.0, 2 * np.float64(np.float32(0.2))]]
    np.testing.assert_allclose(out, expect, rtol=1e-15, atol=0)
    # no key: one zone; no target: the share columns are 0
    assert zone_moments(w, None, 1, v).tolist() == [[12.0, 0.5 + 8.0 - 2.0 + 5.0, 0.0, 0.0]]


def test_zone_moments_add_in_cell_order_as_bincount():
    """The sums are those of numpy.bincount over the valid cells (same order, float64): bit for bit."""
    rng = np.random.default_rng(3)
    n = 10_000
    w = rng.uniform(0, 30, n) * (rng.random(n) > 0.05)
    k = rng.integers(0, 17, n)
    v = rng.normal(1, 2, n).astype("f4")
    v[rng.random(n) < 0.1] = NAN
    t = rng.uniform(0, 1, n).astype("f4")
    t[rng.random(n) < 0.1] = NAN
    ok = np.isfinite(v) & (w > 0)
    both = ok & np.isfinite(t)
    vv, tt = v.astype("f8"), t.astype("f8")
    expect = np.stack(
        [
            np.bincount(k[ok], w[ok], minlength=17),
            np.bincount(k[ok], w[ok] * vv[ok], minlength=17),
            np.bincount(k[both], w[both] * vv[both], minlength=17),
            np.bincount(k[both], w[both] * tt[both], minlength=17),
        ],
        axis=1,
    )
    assert np.array_equal(zone_moments(w.reshape(100, 100), k.reshape(100, 100), 17, v, t), expect)


@pytest.mark.parametrize("dtype", ["f4", "f8"])
def test_zone_moments_value_dtypes(dtype):
    out = zone_moments(np.ones(3), None, 1, np.array([1.0, 2.0, NAN], dtype=dtype))
    assert out[0, :2].tolist() == [2.0, 3.0]


def test_zone_area_of_one_zone_sums_as_bincount_does():
    """Oracle: ``numpy.bincount`` (cell order, float64), which the area used before; the order matters here."""
    from scsmap.outputs.zonal import zone_area

    rng = np.random.default_rng(8)
    for dtype in ("f4", "f8"):
        w = (rng.random((300, 257)) * 10.0 ** rng.integers(-3, 12, (300, 257))).astype(dtype)
        ref = np.bincount(np.zeros(w.size, "int64"), w.ravel().astype("f8"), minlength=1)[:1]
        got = zone_area(w, None, 1)
        assert got.shape == (1,) and got.tobytes() == ref.tobytes()
        assert got[0] != math.fsum(w.ravel().astype("f8"))  # an order-sensitive sum: the test can fail
    assert zone_area(np.ones((2, 2)), None, 3).tolist() == [4.0, 0.0, 0.0]


@pytest.mark.parametrize("dtype", ["f4", "f8"])
def test_zone_moments_of_one_zone_add_in_cell_order_as_bincount(dtype):
    """Without keys (the run's own region, summed without a branch per cell): numpy.bincount's sums over the
    valid cells, bit for bit, with -0.0 values, infinities, NaN and zero weights, and an order-sensitive sum."""
    rng = np.random.default_rng(11)
    n = 20_000
    w = rng.uniform(0, 30, n) * 10.0 ** rng.integers(-8, 9, n)
    w[rng.random(n) < 0.05] = 0.0
    w[rng.random(n) < 0.01] = NAN
    v = (rng.normal(1, 2, n) * 10.0 ** rng.integers(-6, 7, n)).astype(dtype)
    v[rng.random(n) < 0.3] = NAN
    v[rng.random(n) < 0.02] = -0.0
    v[rng.random(n) < 0.01] = np.inf
    t = rng.uniform(0, 1, n).astype(dtype)
    t[rng.random(n) < 0.2] = NAN
    ok = np.isfinite(v) & (w > 0)
    both = ok & np.isfinite(t)
    vv, tt = v.astype("f8"), t.astype("f8")
    zero = np.zeros(n, "int64")
    sums = [
        np.bincount(zero[ok], w[ok], minlength=1),
        np.bincount(zero[ok], w[ok] * vv[ok], minlength=1),
        np.bincount(zero[both], w[both] * vv[both], minlength=1),
        np.bincount(zero[both], w[both] * tt[both], minlength=1),
    ]
    expect = np.stack(sums, axis=1)
    got = zone_moments(w.reshape(100, 200), None, 1, v.reshape(100, 200), t.reshape(100, 200))
    assert got.tobytes() == expect.tobytes()
    assert got[0, 1] != math.fsum(w[ok] * vv[ok])  # an order-sensitive sum: the test can fail
    no_target = zone_moments(w, None, 1, v)
    assert no_target.tobytes() == np.array([[sums[0][0], sums[1][0], 0.0, 0.0]]).tobytes()
    only_negative_zeros = zone_moments(np.ones(4), None, 1, np.full(4, -0.0, dtype))
    assert only_negative_zeros.tobytes() == np.array([[4.0, 0.0, 0.0, 0.0]]).tobytes()  # bincount's +0.0


@pytest.mark.parametrize("n_products", [1, 3, 4, 5, 9])
def test_many_products_in_one_pass_are_each_products_sums(n_products):
    """zone_moments_many gives each product zone_moments' row bit for bit (the sums of numpy.bincount over one
    key): products of float32 and float64, with and without a target, NaN, infinities, -0.0 and zero weights."""
    rng = np.random.default_rng(n_products)
    n = 20_000
    w = rng.uniform(0, 30, n) * (rng.random(n) > 0.05)
    values, targets = [], []
    for p in range(n_products):
        v = rng.normal(p, 2, n).astype("f8" if p % 3 == 2 else "f4")
        v[rng.random(n) < 0.1] = NAN
        v[rng.random(n) < 0.01] = -0.0
        v[rng.integers(0, n, 3)] = [np.inf, -np.inf, NAN]
        values.append(v)
        t = rng.uniform(0, 1, n).astype("f4") if p % 2 else None
        if t is not None:
            t[rng.random(n) < 0.1] = NAN
        targets.append(t)
    many = zone_moments_many(w, values, targets)
    assert many.shape == (n_products, 4)
    for p, (v, t) in enumerate(zip(values, targets)):
        one = zone_moments(w, None, 1, v, t)
        assert np.array_equal(many[p : p + 1], one, equal_nan=True), p
        ok = (w > 0) & np.isfinite(v.astype("f8"))
        wv = w * v.astype("f8")
        assert many[p, 0] == np.bincount(np.zeros(ok.sum(), "int64"), w[ok])[0]
        with np.errstate(invalid="ignore"):
            assert np.array_equal(many[p, 1], np.bincount(np.zeros(ok.sum(), "int64"), wv[ok])[0], equal_nan=True)
        if t is None:
            assert many[p, 2] == 0.0 and many[p, 3] == 0.0
        else:
            both = ok & np.isfinite(t)
            assert many[p, 2] == np.bincount(np.zeros(both.sum(), "int64"), wv[both])[0]
            assert many[p, 3] == np.bincount(np.zeros(both.sum(), "int64"), (w * t.astype("f8"))[both])[0]


def test_many_products_refuse_layers_of_another_size():
    w = np.ones(10)
    with pytest.raises(ValueError, match="10 cells"):
        zone_moments_many(w, [np.ones(10, "f4"), np.ones(9, "f4")], [None, None])
    with pytest.raises(ValueError, match="2 value layers and 1 targets"):
        zone_moments_many(w, [np.ones(10, "f4")] * 2, [None])
