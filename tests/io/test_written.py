"""The compiled product blocks against the numpy expressions they replace (the oracles, written here by hand)."""

from __future__ import annotations

import numpy as np
import pytest

from scsmap.io.written import masked_block, masked_dtype, written_block

SPECIALS = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.5, -2.25, 3.4e38, -3.4e38, 1e-45, 5e-324, 1e39, -1e300])


def _block(dtype: str, shape=(37, 53), seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    b = rng.normal(0, 100, shape).astype(dtype)
    b[rng.random(shape) < 0.3] = np.nan  # scattered nodata
    flat = b.reshape(-1)
    n = min(len(SPECIALS), flat.size)
    flat[:n] = SPECIALS[:n].astype(dtype)  # 1e39 overflows to +inf in float32, as numpy casts it
    return b


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(37, 53), (1, 13), (0, 5), (3, 4, 5)])
def test_masked_block_is_numpy_where(dtype, shape):
    values = _block(dtype, shape)
    mask = np.random.default_rng(1).random(values.shape) < 0.7
    expected = np.where(mask, values, np.nan)
    got = masked_block(values, mask)
    assert got.dtype == expected.dtype == np.dtype(dtype) and got.shape == values.shape
    np.testing.assert_array_equal(got.view(f"u{got.itemsize}"), expected.view(f"u{got.itemsize}"))  # bit for bit


def test_masked_block_of_non_contiguous_and_integer_blocks():
    values = _block("float32", (40, 60))[::2, 1::3]
    mask = (np.arange(values.size).reshape(values.shape) % 3) > 0
    np.testing.assert_array_equal(masked_block(values, mask), np.where(mask, values, np.nan))
    codes = np.arange(12, dtype="uint8").reshape(3, 4)
    m = codes % 2 == 0
    got = masked_block(codes, m)
    assert got.dtype == np.where(m, codes, np.nan).dtype
    np.testing.assert_array_equal(got, np.where(m, codes, np.nan))
    with pytest.raises(ValueError, match="shape"):
        masked_block(values, mask[:-1])


@pytest.mark.parametrize("src", ["float32", "float64"])
@pytest.mark.parametrize("nodata", [-9999.0, 0.0, np.nan, 1e-7])
def test_written_block_is_numpy_where_then_cast(src, nodata):
    values = _block(src)
    expected = np.where(np.isfinite(values), values, np.float32(nodata)).astype("float32")
    got = written_block(values, nodata, "float32")
    assert got.dtype == np.float32 and got.shape == values.shape
    np.testing.assert_array_equal(got.view("u4"), expected.view("u4"))  # bit for bit, NaN nodata and -0.0 too
    if src == "float64":
        assert np.isposinf(got[0, 11])  # 1e39: finite in float64, +inf in float32, as numpy casts it


def test_written_block_keeps_the_finiteness_of_the_values_before_the_cast():
    values = np.array([[1e39, -1e39, np.inf, np.nan, 2.0]])
    got = written_block(values, -9999.0, "float32")
    np.testing.assert_array_equal(got, np.array([[np.inf, -np.inf, -9999.0, -9999.0, 2.0]], dtype="float32"))


def test_written_block_of_other_dtypes_goes_through_numpy():
    values = _block("float32")
    for dtype in ("float64", "int16"):
        expected = np.where(np.isfinite(values), values, np.float32(-9999)).astype(dtype)
        got = written_block(values, -9999, dtype)
        assert got.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(got, expected)
    ints = np.arange(6, dtype="int32").reshape(2, 3)
    np.testing.assert_array_equal(written_block(ints, -1, "float32"), ints.astype("float32"))


@pytest.mark.parametrize("dtype", ["float32", "float64", "uint8", "int16", "int64", "bool"])
def test_masked_dtype_is_that_of_the_block(dtype):
    values = np.zeros((2, 3), dtype)
    assert masked_dtype(dtype) == masked_block(values, np.ones((2, 3), bool)).dtype


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_block_masked_already_is_not_copied(dtype):
    """Where every pixel outside the mask is NaN with numpy.nan's bits, the block itself is numpy.where's result
    (no copy); a value or another NaN (-nan, as an invalid operation gives on x86) outside it is masked in a copy."""
    values = _block(dtype)
    mask = np.random.default_rng(2).random(values.shape) < 0.7
    values[~mask] = np.nan
    assert masked_block(values, mask) is values
    np.testing.assert_array_equal(
        values.view(f"u{values.itemsize}"), np.where(mask, values, np.nan).view(f"u{values.itemsize}")
    )
    assert masked_block(values, np.ones(values.shape, bool)) is values  # a block inside the region
    for outside in (-np.array(np.nan, dtype), np.array(1.5, dtype)):
        other = values.copy()
        other[np.argwhere(~mask)[0][0], np.argwhere(~mask)[0][1]] = outside
        got = masked_block(other, mask)
        assert got is not other
        expected = np.where(mask, other, np.nan)
        np.testing.assert_array_equal(got.view(f"u{got.itemsize}"), expected.view(f"u{got.itemsize}"))


def test_a_region_without_boundary_is_not_masked():
    """Its mask is True everywhere (scsmap.grid.boundary_mask): float products keep their blocks, without a task per
    block; a region with a boundary, and integer products (which masking turns into float64), are masked."""
    from types import SimpleNamespace

    import dask.array as da

    from scsmap.inputs.align import AlignedInputs
    from scsmap.pipeline.compute import _masked

    def inputs(boundary, mask):  # a stand-in with AlignedInputs' own region_mask
        ns = SimpleNamespace(boundary=boundary, mask=SimpleNamespace(data=mask))
        ns.region_mask = AlignedInputs.region_mask.fget(ns)
        return ns

    values = da.from_array(_block("float32", (8, 6)), chunks=4)
    mask = da.from_array(np.arange(48).reshape(8, 6) % 5 > 0, chunks=4)
    assert _masked(values, inputs(None, mask)) is values
    masked = _masked(values, inputs("a boundary", mask))
    np.testing.assert_array_equal(masked.compute(), np.where(mask.compute(), values.compute(), np.nan))
    codes = da.from_array(np.arange(48, dtype="uint8").reshape(8, 6), chunks=4)
    as_float = _masked(codes, inputs(None, da.ones((8, 6), bool, chunks=4)))
    assert as_float.dtype == np.float64


def test_a_finite_block_of_the_files_dtype_is_written_as_it_is():
    """No value to replace and no cast: the block itself is the result (not copied); one NaN or ±inf, or another
    dtype, and it is a new array, numpy's bit for bit."""
    values = np.random.default_rng(3).normal(0, 100, (37, 53)).astype("float32")
    assert written_block(values, -9999.0, "float32") is values
    for bad in (np.nan, np.inf, -np.inf):
        other = values.copy()
        other[36, 52] = bad
        got = written_block(other, -9999.0, "float32")
        assert got is not other and got[36, 52] == -9999.0
        np.testing.assert_array_equal(got.view("u4"), np.where(np.isfinite(other), other, np.float32(-9999)).view("u4"))
    wider = values.astype("float64")
    got = written_block(wider, -9999.0, "float32")
    assert got.dtype == np.float32 and got is not wider
    np.testing.assert_array_equal(got, values)
