"""Bounded memory on large grids: compute and write the products window by window.

One ``dask.compute`` over a whole large grid lets the scheduler run ahead: with inputs that
are coarser than the grid (one source block feeding many output blocks) and monthly layers
reduced to annual maps, it warps block after block of every month before it can finish
any, and memory grows with the grid. On grids larger than ``compute.pass_pixels`` the
pipeline therefore stores the products in chunk-aligned windows, one ``dask.compute`` per
window, so that peak memory depends on the window (and chunk) size, not on the grid.

The statistics and the summary are then computed in one more pass from the written
temporary GeoTIFFs, read back with the grid's chunks: the same values reduced by the same
dask reduction tree as in a single pass, so the outputs (maps, ``STATISTICS_*`` tags,
manifest) are byte-identical whichever way the grid was computed.
"""

from __future__ import annotations

import logging
from pathlib import Path

import dask.array as da
import numpy as np
import rasterio
from rasterio.windows import Window

log = logging.getLogger("scsmap")


def plan_windows(chunks: tuple[tuple[int, ...], tuple[int, ...]], pass_pixels: int) -> list[tuple[slice, slice]] | None:
    """Chunk-aligned windows of at most ``pass_pixels`` pixels (at least one chunk each).

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
    # whole chunk rows when a row of chunks fits, else runs of chunks within a row
    ey, ex = np.cumsum((0,) + tuple(cy)), np.cumsum((0,) + tuple(cx))
    row_px = nx * max(cy)
    if row_px <= pass_pixels:
        rows_per = max(1, pass_pixels // row_px)
        return [(slice(int(ey[i]), int(ey[min(i + rows_per, len(cy))])), slice(0, nx))
                for i in range(0, len(cy), rows_per)]
    cols_per = max(1, pass_pixels // (max(cy) * max(cx)))
    return [(slice(int(ey[i]), int(ey[i + 1])), slice(int(ex[j]), int(ex[min(j + cols_per, len(cx))])))
            for i in range(len(cy)) for j in range(0, len(cx), cols_per)]


class OffsetTarget:
    """A store target that writes a window's blocks at the window's offset in the full grid."""

    def __init__(self, target, y0: int, x0: int):
        self.target, self.y0, self.x0 = target, y0, x0

    def __setitem__(self, key, value):
        ys, xs = key[-2:]
        self.target[slice(ys.start + self.y0, ys.stop + self.y0), slice(xs.start + self.x0, xs.stop + self.x0)] = value


def store_in_windows(compute, sources: list[da.Array], targets: list, windows: list[tuple[slice, slice]],
                     count: dict[str, da.Array] | None = None) -> dict[str, int]:
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
    count : dict of str to dask.array.Array, optional
        Boolean (y, x) arrays whose True pixels are counted in the same passes (exact integers).

    Returns
    -------
    dict of str to int
        The counts of ``count`` over the whole grid.
    """
    totals = dict.fromkeys(count or {}, 0)
    for i, (ys, xs) in enumerate(windows, 1):
        log.info("window %d/%d: rows %d-%d, columns %d-%d", i, len(windows), ys.start, ys.stop, xs.start, xs.stop)
        store = da.store([s[ys, xs] for s in sources], [OffsetTarget(t, ys.start, xs.start) for t in targets],
                         lock=False, compute=False)
        _, n = compute(store, {k: v[ys, xs].sum() for k, v in (count or {}).items()})
        for k, v in n.items():
            totals[k] += int(v)
    return totals


def _read_block(path: str, nodata: float, block_info=None) -> np.ndarray:
    (y0, y1), (x0, x1) = block_info[None]["array-location"]
    with rasterio.open(path) as ds:
        a = ds.read(1, window=Window(x0, y0, x1 - x0, y1 - y0)).astype("float32")
    a[a == np.float32(nodata)] = np.nan
    return a


def read_back(path: Path, nodata: float, chunks: tuple[tuple[int, ...], tuple[int, ...]], dtype: str) -> da.Array:
    """A written product as a lazy array with the grid's chunks: nodata → NaN, in the product's
    float dtype (class maps: float32, as the values they were cast from)."""
    out_dtype = "float32" if np.dtype(dtype).kind in "ui" else dtype
    return da.map_blocks(_read_block, str(path), nodata, chunks=chunks, dtype=out_dtype,
                         meta=np.empty((0, 0), out_dtype))
