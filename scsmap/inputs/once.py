"""Blocks of a small layer on an input's source grid, computed once per run and process.

The annual climate summaries are computed on the climate grid (a few blocks for a whole country) and
warped block by block onto the region grid. A run on a grid larger than ``compute.pass_pixels`` computes
window by window, one ``dask.compute`` per window, and dask forgets every result between two calls: each
window computed again the source-grid blocks its warps read, 12 months of Thornthwaite PET included (at
40000 x 40000 pixels and 120 windows, a tenth of the compute's worker time). :func:`computed_once` gives
such a layer blocks that are computed at their first use and kept (for that run, in that process) by the
tasks that read them: each window then only warps. :class:`scsmap.inputs.derive.Derived` applies it, on
grids computed window by window only, to the summaries and to the monthly input layers on their source grid
they are made from (read once for every summary); a single pass shares those blocks in its one graph already.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any
from uuid import uuid4

import dask.array as da
import numpy as np
from dask.highlevelgraph import HighLevelGraph
from dask.local import get_sync

__all__ = ["computed_once", "forget_blocks"]

#: the blocks kept, (layer, block index) → array, least recently used first
_BLOCKS: OrderedDict[tuple[str, tuple[int, ...]], np.ndarray] = OrderedDict()
#: most bytes kept in :data:`_BLOCKS`; the least recently used blocks go first (and are computed again if read)
LIMIT_BYTES = 256 * 2**20
#: guards :data:`_BLOCKS` and :data:`_COMPUTING` (never held while a block is computed)
_LOCK = threading.Lock()
#: the blocks being computed, each with the lock its computing thread holds
_COMPUTING: dict[tuple[str, tuple[int, ...]], threading.Lock] = {}


class _Source:
    """The lazy layer behind a :func:`computed_once` array (opaque to dask: not a collection in the graph)."""

    __slots__ = ("array",)

    def __init__(self, array: da.Array):
        self.array = array


def computed_once(array: da.Array) -> da.Array:
    """``array`` with each block computed at its first use, then kept while this run reads it.

    Parameters
    ----------
    array : dask.array.Array
        A small layer (source-grid blocks of a few MB), read by several ``dask.compute`` calls of a run.

    Returns
    -------
    dask.array.Array
        The same chunks, dtype and values. Each block is one task without dependencies: it computes the
        block of ``array`` with the synchronous scheduler, in the worker's thread, unless this process has
        it already (under a name new to each call, so that a later run, or a changed input, never reads an
        earlier result). Two threads asking for the same block at once compute it once.
    """
    name = f"once-{uuid4().hex}"
    source = _Source(array)
    graph: dict[Any, Any] = {}
    for idx in np.ndindex(*array.numblocks):
        graph[(name, *idx)] = (_block, name, source, idx)
    return da.Array(HighLevelGraph.from_collections(name, graph, dependencies=[]), name, array.chunks, array.dtype)


def _block(name: str, source: _Source, idx: tuple[int, ...]) -> np.ndarray:
    """Block ``idx`` of ``source``: kept from an earlier task of this process, else computed now and kept.

    Threads computing different blocks run side by side; one asking for a block another is computing waits for it.
    """
    key = (name, idx)
    with _LOCK:
        if key in _BLOCKS:
            _BLOCKS.move_to_end(key)
            return _BLOCKS[key]
        lock = _COMPUTING.setdefault(key, threading.Lock())
    with lock:
        with _LOCK:
            if key in _BLOCKS:  # computed by the thread this one waited for
                return _BLOCKS[key]
        try:
            # dask's synchronous scheduler itself: by its name, dask would look for (and import) dask.distributed
            block = np.asarray(source.array.blocks[idx].compute(scheduler=get_sync))
            block.setflags(write=False)  # shared by every task that reads it
            with _LOCK:
                _BLOCKS[key] = block
                while sum(b.nbytes for b in _BLOCKS.values()) > LIMIT_BYTES and len(_BLOCKS) > 1:
                    _BLOCKS.popitem(last=False)
        finally:
            with _LOCK:
                _COMPUTING.pop(key, None)
    return block


def forget_blocks() -> None:
    """Drop every kept block of this process (the end of a run: its layers' names are never used again)."""
    with _LOCK:
        _BLOCKS.clear()
