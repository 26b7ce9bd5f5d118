"""Source-grid layers read by every window are computed once per run (inputs/once.py)."""

from __future__ import annotations

import threading

import dask
import dask.array as da
import numpy as np
import pytest

from scsmap.inputs import once
from scsmap.inputs.once import computed_once, forget_blocks


def _counted(calls: list[int]) -> da.Array:
    """A 2 x 3-block layer whose blocks count how often they are computed."""
    base = da.arange(30, chunks=5, dtype="f4").reshape(5, 6).rechunk((3, 2))

    def touch(block):
        if block.size:  # not dask's call for the metadata
            with lock:
                calls.append(1)
        return block * 2

    lock = threading.Lock()
    return base.map_blocks(touch, dtype="f4")


def test_blocks_are_computed_once_across_computes_and_equal_the_layer():
    forget_blocks()
    calls: list[int] = []
    layer = _counted(calls)
    expected = np.arange(30, dtype="f4").reshape(5, 6) * 2
    kept = computed_once(layer)
    assert kept.chunks == layer.chunks and kept.dtype == layer.dtype
    for window in (kept[:3], kept[3:], kept, kept[:, 2:] + 1):  # four compute calls, as four windows
        dask.compute(window, scheduler="threads")
    assert len(calls) == layer.npartitions  # 6 blocks, each computed once
    np.testing.assert_array_equal(kept.compute(scheduler="threads"), expected)
    assert len(calls) == 6
    forget_blocks()
    np.testing.assert_array_equal(kept.compute(scheduler="sync"), expected)
    assert len(calls) == 12  # forgotten: computed again
    forget_blocks()


def test_each_call_is_a_new_layer_and_kept_blocks_are_read_only():
    forget_blocks()
    calls: list[int] = []
    layer = _counted(calls)
    a, b = computed_once(layer), computed_once(layer)
    assert a.name != b.name
    a.compute(), b.compute()
    assert len(calls) == 12  # a new name per call: a later run never reads an earlier one's blocks
    block = next(iter(once._BLOCKS.values()))
    with pytest.raises(ValueError, match="read-only"):
        block[0, 0] = 1.0
    forget_blocks()
    assert not once._BLOCKS


def test_kept_blocks_stay_under_the_limit(monkeypatch):
    forget_blocks()
    monkeypatch.setattr(once, "LIMIT_BYTES", 2 * 3 * 2 * 4)  # room for two 3 x 2 float32 blocks
    calls: list[int] = []
    kept = computed_once(_counted(calls))
    np.testing.assert_array_equal(kept.compute(), np.arange(30, dtype="f4").reshape(5, 6) * 2)
    assert sum(b.nbytes for b in once._BLOCKS.values()) <= once.LIMIT_BYTES
    forget_blocks()


def test_an_error_in_a_block_reaches_the_compute_and_nothing_is_kept():
    forget_blocks()

    def fail(block):
        raise OSError("the climate file went away")

    kept = computed_once(da.zeros((4, 4), chunks=2).map_blocks(fail, dtype="f8"))
    with pytest.raises(OSError, match="went away"):
        kept.compute(scheduler="threads")
    assert not once._BLOCKS
