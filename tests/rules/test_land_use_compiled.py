"""The compiled land-cover reclassification equals the numpy one (its oracle), its errors included."""

from __future__ import annotations

import numpy as np
import pytest

from scsmap.config.catalogue import LAND_COVER_LEGENDS
from scsmap.io.tables import load_reclass_table
from scsmap.rules.land_use import UnknownCodes, reclass_block
from scsmap.rules.land_use_compiled import MAX_LOOKUP, reclass_codes


def _same(x: np.ndarray, codes: np.ndarray, classes: np.ndarray) -> None:
    want = reclass_block(x, codes, classes)
    got = reclass_codes(x, codes, classes)
    assert got.dtype == np.float32 and got.shape == np.shape(x)
    np.testing.assert_array_equal(got, want)  # NaN where NaN, the same floats elsewhere


def _unknown(fn, x, codes, classes) -> list[int]:
    with pytest.raises(UnknownCodes) as info:
        fn(x, codes, classes)
    return info.value.codes


@pytest.mark.parametrize("name", list(LAND_COVER_LEGENDS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_packaged_legend_equals_numpy(name, dtype):
    t = load_reclass_table(name).sorted()
    rng = np.random.default_rng(5)
    x = rng.choice(t.codes, size=(64, 96)).astype(dtype)
    x[rng.random(x.shape) < 0.1] = np.nan
    x[0, :3] = [np.inf, -np.inf, np.nan]  # not finite: nodata, as numpy's isfinite says
    x[1, : len(t.codes)] = t.codes  # every code, the first and the last too
    _same(x, t.codes, t.classes)


def test_a_hand_table():
    codes = np.array([10.0, 11.0, 30.0, 210.0])
    classes = np.array([2, 3, 4, 13], dtype="f4")
    x = np.array([[30, 10, np.nan], [210, 11, 10]], dtype="f4")
    want = np.array([[4, 2, np.nan], [13, 3, 2]], dtype="f4")
    np.testing.assert_array_equal(reclass_codes(x, codes, classes), want)


@pytest.mark.parametrize("bad", [9.0, 12.0, 211.0, 10.5, -10.0, 1e9])
def test_an_unlisted_code_raises_what_numpy_raises(bad):
    codes = np.array([10.0, 11.0, 30.0, 210.0])
    classes = np.array([2, 3, 4, 13], dtype="f4")
    x = np.array([[30, 10, np.nan], [210, bad, 10]], dtype="f4")
    assert _unknown(reclass_codes, x, codes, classes) == _unknown(reclass_block, x, codes, classes)


def test_tables_the_lookup_does_not_take_still_equal_numpy():
    x = np.array([[1.5, 2.0, np.nan], [7e5, 2.0, 1.5]])
    # a code that is not an integer, a range wider than the lookup, a code listed twice
    fractional = (np.array([1.5, 2.0, 7e5]), np.array([1, 2, 3], dtype="f4"))
    wide = (np.array([1.5, 2.0, 1.5 + MAX_LOOKUP, 7e5]), np.array([1, 2, 4, 3], dtype="f4"))
    twice = (np.array([1.5, 2.0, 2.0, 7e5]), np.array([1, 2, 5, 3], dtype="f4"))
    for codes, classes in (fractional, wide, twice):
        _same(x, codes, classes)


def test_blocks_of_nodata_only_and_of_other_shapes():
    t = load_reclass_table("esa_cci").sorted()
    _same(np.full((5, 7), np.nan, "f4"), t.codes, t.classes)
    _same(np.zeros((0, 4), "f4"), t.codes, t.classes)
    _same(np.array([[[t.codes[3]]]], "f4"), t.codes, t.classes)
    _same(np.asarray(t.codes[::-1][:, None], dtype="f4").T, t.codes, t.classes)  # not contiguous in C order
    _same(np.asarray(t.codes[:5], dtype="i2"), t.codes, t.classes)  # integer codes
