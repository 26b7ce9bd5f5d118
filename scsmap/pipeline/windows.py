"""Bounded memory on large grids: compute and write the products window by window.

One ``dask.compute`` over a whole large grid lets the scheduler run ahead: with inputs that
are coarser than the grid (one source block feeding many output blocks) and monthly layers
reduced to annual maps, it warps block after block of every month before it can finish
any, and memory grows with the grid. On grids larger than ``compute.pass_pixels`` the
pipeline therefore stores the products in chunk-aligned windows, one ``dask.compute`` per
window, so that peak memory depends on the window (and chunk) size, not on the grid.

The exact statistics, the summary's area sums and the alignment counts are computed in the
same passes, per window, and combined on the client: counts as integers, minima and maxima
exactly, sums with :func:`math.fsum` (exactly rounded). The maps therefore hold the same pixels
as in a single pass; the ``STATISTICS_*`` tags and the manifest's summary can differ from a
single pass in the last bits (a different but deterministic summation), and are the same on
every scheduler and every rerun with the same ``compute.pass_pixels``.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable
from typing import Any

import dask.array as da
import numpy as np

from ..progress import Stage

log = logging.getLogger("scsmap")


def plan_windows(chunks: tuple[tuple[int, ...], tuple[int, ...]], pass_pixels: int) -> list[tuple[slice, slice]] | None:
    """Chunk-aligned windows of at most ``pass_pixels`` pixels (at least one chunk each), of even size.

    Each window is a block of ``ky`` rows by ``kx`` columns of chunks (``ky · kx`` chunks fit in
    ``pass_pixels``), the shape that computes the fewest chunks counting the ring of chunks around each
    window (clipped at the grid's edges): a layer with a halo (the slope's elevation) computes the
    chunks of that ring again in every window that borders them, so that compact windows compute
    fewer (40 x 40 chunks with room for 15 in a window: 3,564 chunks with their rings in windows of
    2-3 x 5 chunks, 5,192 in runs of 13-14 chunks within a row). Ties go to fewer windows, then to
    wider ones (whole rows of chunks when they are as good). The rows and the columns are shared
    evenly among the windows, so that no window is a small remainder: 10 columns in runs of at most 7
    make runs of 5 and 5, not 7 and 3 (a window of 3 chunks keeps one of 2 threads idle a third of its
    time).

    Parameters
    ----------
    chunks : (tuple of int, tuple of int)
        dask chunk sizes along y and x (``array.chunks`` of a 2-D grid array).
    pass_pixels : int
        Largest number of pixels computed in one pass.

    Returns
    -------
    list of (slice, slice) or None
        Row-major windows (y slice, x slice); None when the whole grid fits in one pass.
    """
    cy, cx = chunks
    ny, nx = sum(cy), sum(cx)
    if ny * nx <= pass_pixels:
        return None
    ey, ex = np.cumsum((0,) + tuple(cy)), np.cumsum((0,) + tuple(cx))
    most = max(1, pass_pixels // (max(cy) * max(cx)))  # chunks in one window
    best: tuple[tuple[int, int, int], list[tuple[int, int]], list[tuple[int, int]]] | None = None
    for ky in range(1, min(len(cy), most) + 1):
        rows, cols = _even_runs(len(cy), ky), _even_runs(len(cx), most // ky)
        ringed = _ringed(rows, len(cy)) * _ringed(cols, len(cx))
        key = (ringed, len(rows) * len(cols), ky)
        if best is None or key < best[0]:
            best = (key, rows, cols)
    assert best is not None  # ky = 1 is always tried
    _, rows, cols = best
    return [(slice(int(ey[a]), int(ey[b])), slice(int(ex[c]), int(ex[d]))) for a, b in rows for c, d in cols]


def _ringed(runs: list[tuple[int, int]], n: int) -> int:
    """Chunks along one axis of the windows ``runs`` with one more on each side (within ``0 .. n``), summed."""
    return sum(min(b + 1, n) - max(a - 1, 0) for a, b in runs)


def _even_runs(n: int, most: int) -> list[tuple[int, int]]:
    """``n`` items in the fewest consecutive runs of at most ``most``, their lengths differing by one at most."""
    k = -(-n // most)
    edges = [n * i // k for i in range(k + 1)]
    return list(zip(edges[:-1], edges[1:], strict=True))


def block_window(chunks: tuple[tuple[int, ...], tuple[int, ...]], ys: slice, xs: slice) -> tuple[slice, slice]:
    """The block indices (y, x) of a chunk-aligned pixel window (``slice(None)``: the whole axis).

    Parameters
    ----------
    chunks : (tuple of int, tuple of int)
        dask chunk sizes along y and x.
    ys, xs : slice
        Pixel rows and columns, on chunk boundaries (:func:`plan_windows`).

    Returns
    -------
    (slice, slice)
        For ``array.blocks[...]`` of an array with one element per block.

    Raises
    ------
    ValueError
        A window edge that is not on a chunk boundary.
    """

    def axis(sizes: tuple[int, ...], s: slice) -> slice:
        edges = [int(e) for e in np.cumsum((0,) + tuple(sizes))]
        start = edges.index(s.start or 0) if (s.start or 0) in edges else None
        stop = edges.index(edges[-1] if s.stop is None else s.stop) if (s.stop is None or s.stop in edges) else None
        if start is None or stop is None:
            raise ValueError(f"window {s} is not on the chunk boundaries {edges}")
        return slice(start, stop)

    return axis(chunks[0], ys), axis(chunks[1], xs)


class OffsetTarget:
    """A store target that writes a window's blocks at the window's offset in the full grid."""

    def __init__(self, target, y0: int, x0: int):
        self.target, self.y0, self.x0 = target, y0, x0

    def __setitem__(self, key, value):
        ys, xs = key[-2:]
        self.target[slice(ys.start + self.y0, ys.stop + self.y0), slice(xs.start + self.x0, xs.stop + self.x0)] = value


def store_in_windows(
    compute,
    sources: list[da.Array],
    targets: list,
    windows: list[tuple[slice, slice]],
    sums: Callable[[slice, slice], dict[str, Any]],
    stage: Stage | None = None,
    finish: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Store every source into its target, one window (one ``compute`` call) after the other.

    Parameters
    ----------
    compute : callable
        ``compute(*collections)`` of the run's engine (:meth:`scsmap.scheduler.Engine.compute`).
    sources : list of dask.array.Array
        2-D (y, x) arrays of the grid.
    targets : list
        Store targets of the full grid, one per source.
    windows : list of (slice, slice)
        From :func:`plan_windows`.
    stage : scsmap.progress.Stage, optional
        Shows the progress of the windows.
    sums : callable
        ``sums(ys, xs)`` → nested dict of lazy scalars over one window (keys ``min``/``max``
        are combined as minima/maxima, integer values as exact sums, others with fsum, lists
        and arrays element by element; a key ``total`` is kept as it is, the arrays of a key
        ``sample`` are concatenated).
    finish : callable, optional
        Applied to each window's computed ``sums`` before they are combined (e.g. per-block results
        reduced to one dict of scalars).
    Returns
    -------
    dict
        The nested dict of ``sums`` combined over the whole grid.
    """
    parts = []
    for i, (ys, xs) in enumerate(windows, 1):
        log.info("window %d/%d: rows %d-%d, columns %d-%d", i, len(windows), ys.start, ys.stop, xs.start, xs.stop)
        store = da.store(
            [s[ys, xs] for s in sources],
            [OffsetTarget(t, ys.start, xs.start) for t in targets],
            lock=False,
            compute=False,
        )
        with stage.dask(i - 1, len(windows)) if stage is not None else contextlib.nullcontext():
            done = compute(store, sums(ys, xs))[1]
            parts.append(finish(done) if finish is not None else done)
    return combine(parts)


def combine(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Combine per-window partial results (see :func:`store_in_windows`), independent of their order."""
    out: dict[str, Any] = {}
    for key in parts[0]:
        values = [p[key] for p in parts]
        if isinstance(values[0], dict):
            out[key] = combine(values)
        elif key == "sample":  # pixels sampled in each window: all of them, in window order
            out[key] = np.concatenate([np.asarray(v, dtype="f8").ravel() for v in values])
        elif isinstance(values[0], np.ndarray) and values[0].ndim:  # e.g. sums per class: element by element
            flat = np.stack([np.asarray(v, dtype="f8").ravel() for v in values])
            out[key] = np.array([math.fsum(col) for col in flat.T]).reshape(values[0].shape)
        elif isinstance(values[0], (list, tuple)):  # e.g. areas per class, in a fixed order
            out[key] = [combine([{key: v[i]} for v in values])[key] for i in range(len(values[0]))]
        elif key == "total":
            out[key] = values[0]
        elif key in ("min", "max"):
            finite = [float(v) for v in values if not math.isnan(float(v))]
            out[key] = (min if key == "min" else max)(finite) if finite else float("nan")
        elif all(isinstance(v, (int, np.integer)) for v in values):
            out[key] = int(sum(int(v) for v in values))
        else:
            out[key] = math.fsum(float(v) for v in values)
    return out
