"""Sums over the grid in one task per block and group (scsmap.layers.block_sums); oracles by hand."""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
import pytest

from scsmap.layers.block_sums import BlockSum, add_up, block_tasks, finish_tree
from scsmap.pipeline.windows import block_window


def _weighted(w: np.ndarray, v: np.ndarray) -> np.ndarray:
    ok = np.isfinite(v)
    return np.array([w[ok].sum(), (w[ok] * v[ok]).sum()])


def test_add_up_is_exact():
    # 1e16 + 1 - 1e16: a float64 running sum says 0, the exactly rounded sum 1
    assert add_up([1e16, 1.0, -1e16]) == 1.0
    assert add_up([np.array([1e16, 2.0]), np.array([1.0, 3.0]), np.array([-1e16, 4.0])]).tolist() == [1.0, 9.0]
    total = add_up([3, 4, np.int64(5)])
    assert total == 12 and isinstance(total, int)


def test_sums_of_a_tree_by_hand():
    w = np.arange(1.0, 13.0).reshape(3, 4)  # weights 1..12
    v = np.array([[1.0, np.nan, 2.0, 2.0], [0.5, 0.5, np.nan, 1.0], [4.0, 0.0, 1.0, np.nan]])
    W, V = da.from_array(w, chunks=2), da.from_array(v, chunks=2)
    tree = {
        "zone": {"moments": BlockSum(_weighted, (W, V), "a"), "area": BlockSum(lambda x: x.sum(), (W,), "a")},
        "valid": BlockSum(lambda x: int(np.isfinite(x).sum()), (V,), "b"),
        "empty": {},
    }
    tasks = block_tasks(tree)
    assert set(tasks) == {"a", "b"} and tasks["a"].shape == (2, 2)
    (computed,) = dask.compute(tasks)
    out = finish_tree(tree, computed)
    # valid cells: weights 1,3,4,5,6,8,9,10,11 -> 57; sum w v = 1 + 6 + 8 + 2.5 + 3 + 8 + 36 + 0 + 11 = 75.5
    assert out["zone"]["moments"].tolist() == [57.0, 75.5]
    assert out["zone"]["area"] == 78.0
    assert out["valid"] == 9
    assert out["empty"] == {}


def test_one_task_per_block_and_group():
    W = da.ones((6, 6), chunks=3)
    tree = {"x": BlockSum(np.sum, (W,), "g"), "y": BlockSum(np.max, (W,), "g"), "z": BlockSum(np.min, (W,), "h")}
    tasks = block_tasks(tree)
    graph = dict(tasks["g"].__dask_graph__())
    mine = [k for k in graph if isinstance(k, tuple) and k[0] == tasks["g"].name]
    assert len(mine) == 4  # 2 x 2 blocks, both sums of group g in each


def test_blocks_are_added_exactly_in_any_order():
    # three blocks whose sums are 1e16, 1 and -1e16: exactly 1 whatever the order (a float64 sum gives 0 or 1)
    for values in ([1e16, 1.0, -1e16], [1e16, -1e16, 1.0], [1.0, 1e16, -1e16]):
        V = da.from_array(np.array([values]), chunks=1)
        tree = {"s": BlockSum(np.sum, (V,), "a")}
        (computed,) = dask.compute(block_tasks(tree))
        assert finish_tree(tree, computed)["s"] == 1.0


def test_located_blocks_and_windows():
    W = da.zeros((5, 7), chunks=(2, 3))
    tree = {"origins": BlockSum(lambda b, row0, col0: (row0, col0), (W,), "a", combine=list, located=True)}
    tasks = block_tasks(tree)
    (computed,) = dask.compute(tasks)
    assert finish_tree(tree, computed)["origins"] == [(r, c) for r in (0, 2, 4) for c in (0, 3, 6)]
    by, bx = block_window(W.chunks, slice(2, 5), slice(3, 7))
    (window,) = dask.compute({g: t.blocks[by, bx] for g, t in tasks.items()})
    assert finish_tree(tree, window)["origins"] == [(2, 3), (2, 6), (4, 3), (4, 6)]


def test_window_off_the_chunk_edges_is_refused():
    with pytest.raises(ValueError, match="not on the chunk boundaries"):
        block_window(((2, 2, 1), (3, 3, 1)), slice(1, 5), slice(None))


def test_arrays_chunked_differently_are_refused():
    tree = {"x": BlockSum(lambda a, b: 0.0, (da.ones((4, 4), chunks=2), da.ones((4, 4), chunks=4)), "g")}
    with pytest.raises(ValueError, match="chunked alike"):
        block_tasks(tree)


def test_the_task_carries_no_dask_graph():
    """The per-block function holds the sums' functions, not their dask arrays: dask would pickle whole graphs
    to name the task (that made the North Macedonia run twice as slow)."""
    import gc
    import types

    W = da.ones((4, 4), chunks=2)
    tree = {"x": BlockSum(np.sum, (W + 1,), "g"), "y": BlockSum(np.max, (W * 2,), "g")}
    (task,) = block_tasks(tree).values()
    assert task.name.startswith("block-sums-")

    def reachable(root, depth):  # objects reachable from root in at most depth references
        seen, frontier = {id(root): root}, [root]
        for _ in range(depth):
            frontier = [r for o in frontier for r in gc.get_referents(o) if id(r) not in seen]
            seen.update((id(o), o) for o in frontier)
        return list(seen.values())

    blocks = [
        o
        for o in reachable(task.dask.layers[task.name].indices, 4)  # blockwise passes the function as an argument
        if isinstance(o, types.FunctionType) and o.__qualname__.endswith("_group_task.<locals>.block")
    ]
    assert len(blocks) == 1
    assert not any(isinstance(o, da.Array) for o in reachable(blocks[0], 8))
