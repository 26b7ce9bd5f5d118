"""Sums over the grid taken in a run's one pass over the blocks: one dask task per block for a whole group of sums.

A :class:`BlockSum` is a numpy function of a block's arrays (a zone's weighted moments, a product's pixel
statistics, the valid pixels of an input, a pathway's yearly sums ...) whose results are added up over the
blocks. :func:`block_tasks` turns a nested dict of them into one task per block and *group*: a run with a
hundred products pays a task per block and product, not a task, a reduction tree and a slice of every input
per sum (and the graph of each window of a large grid is that much smaller to build). :func:`finish_tree` adds
the blocks' results up exactly rounded (:func:`math.fsum` element by element): the sums do not depend on the
order of the blocks or on the scheduler.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import dask.array as da
import numpy as np
from dask.base import tokenize


@dataclass(frozen=True)
class BlockSum:
    """A sum over the grid of a per-block numpy function.

    Attributes
    ----------
    fn : callable
        ``fn(*blocks)`` → the block's sums (a number or an array of a fixed shape); with ``located=True``
        ``fn(*blocks, row0=, col0=)``, the grid row and column of the block's first pixel.
    arrays : tuple of dask.array.Array
        2-D (y, x) arrays of the grid, chunked alike.
    group : str
        The sums of a group are taken in one task per block (which needs the blocks of all their arrays).
    combine : callable, optional
        ``combine(results)`` of the blocks' results (a list, in row-major block order); default
        :func:`add_up`.
    located : bool
        Pass the block's position to ``fn``.
    """

    fn: Callable[..., Any]
    arrays: tuple[da.Array, ...]
    group: str = ""
    combine: Callable[[list[Any]], Any] | None = None
    located: bool = False


def add_up(results: list[Any]) -> Any:
    """The blocks' results added up: integers exactly, floats exactly rounded (:func:`math.fsum`) element by element.

    Parameters
    ----------
    results : list
        One number or array of one shape per block.

    Returns
    -------
    int or float or numpy.ndarray
        Of the results' shape; an integer array stays integer (int64), a float array is float64.
    """
    arrs = [np.asarray(r) for r in results]
    stacked = np.stack(arrs)
    if stacked.dtype.kind in "biu":
        out = stacked.astype("int64").sum(axis=0)
        return int(out) if out.ndim == 0 else out
    flat = stacked.reshape(len(arrs), -1).astype("f8")
    summed = np.array([math.fsum(col) for col in flat.T], dtype="f8").reshape(arrs[0].shape)
    return float(summed) if summed.ndim == 0 else summed


def leaves(tree: Any, path: tuple = ()) -> Iterator[tuple[tuple, BlockSum]]:
    """The :class:`BlockSum` leaves of a nested dict with their key paths, in the dict's order."""
    if isinstance(tree, BlockSum):
        yield path, tree
    elif isinstance(tree, dict):
        for k, v in tree.items():
            yield from leaves(v, path + (k,))


def block_tasks(tree: dict[str, Any]) -> dict[str, da.Array]:
    """One lazy task per block and group of the :class:`BlockSum` leaves of ``tree``.

    Parameters
    ----------
    tree : dict
        Nested dict whose leaves are :class:`BlockSum` (other leaves are not allowed).

    Returns
    -------
    dict of str to dask.array.Array
        Group → object array (ny, nx), one element per block: the list of the group's leaf results in
        :func:`leaves` order. Pass the computed arrays (whole or a block-aligned window of them) to
        :func:`finish_tree`.

    Raises
    ------
    ValueError
        A leaf whose arrays are not chunked like the others of its group.
    """
    groups: dict[str, list[BlockSum]] = {}
    for _, leaf in leaves(tree):
        groups.setdefault(leaf.group, []).append(leaf)
    return {g: _group_task(g, members) for g, members in groups.items()}


def _group_task(group: str, members: list[BlockSum]) -> da.Array:
    unique: dict[str, da.Array] = {}
    for m in members:
        for a in m.arrays:
            unique.setdefault(a.name, a)
    arrays = list(unique.values())
    position = {name: i for i, name in enumerate(unique)}
    index = [[position[a.name] for a in m.arrays] for m in members]
    chunks = arrays[0].chunks
    for a in arrays[1:]:
        if a.chunks != chunks:
            raise ValueError(f"block sums need arrays chunked alike: {a.name} {a.chunks} vs {chunks}")

    calls = [(m.fn, m.located, idx) for m, idx in zip(members, index)]  # no dask array in the task's closure

    def block(*blocks: np.ndarray, block_info: dict[Any, Any] | None = None) -> np.ndarray:
        (row0, _), (col0, _) = block_info[0]["array-location"] if block_info else ((0, 0), (0, 0))
        results = []
        for fn, located, idx in calls:
            args = [blocks[i] for i in idx]
            results.append(fn(*args, row0=row0, col0=col0) if located else fn(*args))
        out = np.empty((1, 1), dtype=object)
        out[0, 0] = results
        return out

    ny, nx = (len(c) for c in chunks)
    # named from the group's members and arrays: dask would otherwise hash the function by pickling it
    name = "block-sums-" + tokenize(group, [(m.fn, m.located) for m in members], [a.name for a in arrays])
    return da.map_blocks(
        block, *arrays, name=name, dtype=object, chunks=((1,) * ny, (1,) * nx), meta=np.empty((0, 0), object)
    )


def finish_tree(tree: dict[str, Any], computed: dict[str, np.ndarray]) -> dict[str, Any]:
    """The nested dict of ``tree`` with every :class:`BlockSum` replaced by its blocks' results combined.

    Parameters
    ----------
    tree : dict
        As given to :func:`block_tasks`.
    computed : dict of str to numpy.ndarray
        Group → the computed object array of :func:`block_tasks` (all blocks, or those of a window).

    Returns
    -------
    dict
        Same keys as ``tree``; each leaf ``combine``-d (default :func:`add_up`) over the blocks.
    """
    position: dict[str, int] = {}  # the leaf's place in its group's list: leaves() order, as in block_tasks

    def walk(node: Any) -> Any:
        if isinstance(node, BlockSum):
            i = position[node.group] = position.get(node.group, -1) + 1
            return (node.combine or add_up)([block[i] for block in computed[node.group].ravel()])
        return {k: walk(v) for k, v in node.items()}

    return walk(tree)
