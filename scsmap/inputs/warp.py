"""Warp a lazily read layer onto the region grid, chunk by chunk, with GDAL.

The chunked warp of odc-geo's ``DataArray.odc.reproject`` (its tiling of both grids, the source
blocks each destination chunk needs, GDAL with ``XSCALE=YSCALE=1``), with one difference: a chunk
whose source window reaches past it on every side by the radius of the resampling kernel
(:data:`KERNEL_RADIUS`) and holds no nodata (NaN) within that reach is warped without nodata
values. GDAL then uses its unmasked kernels (for bilinear
``GWKBilinearNoMasksOrDstDensityOnlyFloat``), about 2x faster (11 -> 5 ms for a 512 x 512
chunk). With a destination nodata value GDAL always takes its masked path: the destination starts
as nodata, and ``GDALWarpOperation::WarpRegionInternal`` (GDAL, ``alg/gdalwarpoperation.cpp``)
keeps the destination validity mask unless every destination pixel is valid.

Both paths give the same pixels where the kernels read no NaN and stay inside the window; near its
edge the unmasked kernels differ (they give values to destination pixels up to 2.5 source pixels
outside the source, where the masked ones leave nodata), hence the margin. The NaN check covers the
source pixels the chunk's kernels may read (:func:`kernel_reach`), not the whole window: a coastline
elsewhere in a 512-pixel source block does not matter. Every other chunk keeps the masked warp, so
the result is odc-geo's, bit for bit (``tests/inputs/test_warp.py``; the MKD and synthetic products
are identical too).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import dask.array as da
import numpy as np
import xarray as xr
from dask.highlevelgraph import HighLevelGraph
from odc.geo.geobox import GeoBox, GeoboxTiles
from odc.geo.xr import xr_coords

from ..io.gdal_warp import warp_plane

#: source pixels a resampling kernel reaches from a destination pixel (XSCALE=YSCALE=1): every resampling
#: scsmap allows 1 (bilinear's 2 x 2; nearest and the area methods read the pixels under the destination
#: pixel), cubic 2 (its 4 x 4 support; the tests find no difference at 1, kept for safety). A chunk takes the
#: unmasked kernels only when its source window reaches this far past it on every side (the tests fail at
#: less than 1: the kernels then differ at the window's edge).
KERNEL_RADIUS = {"cubic": 2}


def reproject(
    data: xr.DataArray,
    geobox: GeoBox,
    resampling: str,
    chunks: tuple[int, int],
    mask: xr.DataArray | None = None,
    source: GeoBox | None = None,
) -> xr.DataArray:
    """Warp ``data`` onto ``geobox``, lazily, chunk by chunk.

    Parameters
    ----------
    data : xarray.DataArray
        Floating point, (band, y, x) or (y, x), dask-backed, with an odc-geo geobox
        (``data.odc.geobox``); NaN is nodata.
    geobox : GeoBox
        The destination grid.
    resampling : str
        A GDAL resampling name (``"bilinear"``, ``"nearest"``, ``"average"``, ``"mode"``, ...).
    chunks : (int, int)
        Destination chunk shape (y, x).
    mask : xarray.DataArray, optional
        bool (y, x) on ``geobox`` with these chunks: NaN where it is False, set in each chunk's warp task
        (what ``.where(mask)`` gives, without a task and a copy per chunk).
    source : GeoBox, optional
        The source grid of ``data``, exactly (default: ``data.odc.geobox``). A layer made by xarray arithmetic
        from a cut of a file has lost the file's ``GeoTransform``, and odc-geo rebuilds its grid from the pixel
        centres' coordinates, which gives a 0.01 degree pixel as 0.009999999999999787 degree
        (:func:`source_grid`).

    Returns
    -------
    xarray.DataArray
        The dtype and dimensions of ``data``, y and x on ``geobox``, with the coordinates, attributes
        and encoding ``data.odc.reproject(geobox, resampling=resampling, dst_nodata=nan, chunks=chunks,
        always_yx=True)`` gives; NaN where no valid source pixel contributes (and outside ``mask``).

    Raises
    ------
    ValueError
        A ``mask`` not chunked as the destination, or a ``source`` whose shape is not that of ``data``.
    """
    in_mask = None if mask is None else mask.data
    src_box = source_grid(data, source)
    return _on_grid(data, geobox, _warp_dask(data.data, src_box, geobox, resampling, chunks, mask=in_mask))


def source_grid(data: xr.DataArray, source: GeoBox | None) -> GeoBox:
    """The source grid of ``data`` (y, x on its last two axes): ``source`` when given, else ``data.odc.geobox``.

    Raises
    ------
    ValueError
        A ``source`` whose shape (y, x) is not that of ``data``'s last two axes.
    """
    if source is None:
        return data.odc.geobox
    if tuple(source.shape.yx) != tuple(data.shape[-2:]):
        raise ValueError(f"a source grid of shape {tuple(source.shape.yx)} for data of shape {data.shape}")
    return source


def _on_grid(data: xr.DataArray, geobox: GeoBox, warped: da.Array) -> xr.DataArray:
    """``warped`` (the dask warp of ``data`` onto ``geobox``) with the coordinates, attributes and encoding of
    odc-geo's reproject."""
    coords = {name: c for name, c in data.coords.items() if not set(c.dims) & {"y", "x"} and name != "spatial_ref"}
    coords.update(xr_coords(geobox, crs_coord_name="spatial_ref", always_yx=True))
    out = xr.DataArray(
        warped, dims=data.dims, coords=coords, attrs={k: v for k, v in data.attrs.items() if k != "nodata"}
    )
    out.encoding["grid_mapping"] = "spatial_ref"
    return out


@dataclass
class WarpGroup:
    """Layers warped onto the grid together, chunk by chunk (:func:`reproject_group`).

    Attributes
    ----------
    names : tuple of str
        The dask names of the members' warped arrays, in member order.
    needed : frozenset of int or None
        The members a computation reads (set by :meth:`keep`); None: every member. A chunk's task warps only
        these.
    """

    names: tuple[str, ...]
    needed: frozenset[int] | None = None

    def keep(self, layers: Collection[str]) -> None:
        """Warp only the members whose arrays are among the graph layer names ``layers`` (every member when
        none is: the group is then not computed)."""
        needed = frozenset(i for i, name in enumerate(self.names) if name in layers)
        self.needed = needed or None


def reproject_group(
    datas: Sequence[xr.DataArray],
    geobox: GeoBox,
    resampling: str,
    chunks: tuple[int, int],
    mask: xr.DataArray,
    source: GeoBox | None = None,
) -> tuple[list[xr.DataArray], WarpGroup]:
    """Warp layers on one source grid onto ``geobox`` together: what :func:`reproject` gives each, in fewer GDAL calls.

    In each chunk the members whose kernels take GDAL's unmasked path (:func:`kernel_reach`) are warped in one
    call of several bands, which finds the source pixels of each destination pixel once for all of them (on
    the benchmark's 40x upsampling, 4 bands in one call took 42 % less time per band than 4 calls); a member
    whose kernels read a NaN is warped alone, as :func:`reproject` warps it. Each member's pixels are
    :func:`reproject`'s, bit for bit (``tests/inputs/test_warp.py``).

    Parameters
    ----------
    datas : sequence of xarray.DataArray
        Floating point (band, y, x) with one band, dask-backed, all with the same dtype, source geobox and
        chunks; NaN is nodata.
    geobox, resampling, chunks, mask, source
        As :func:`reproject` takes them (the mask is not optional here; ``source`` is every member's).

    Returns
    -------
    (list of xarray.DataArray, WarpGroup)
        Each member as :func:`reproject` gives it, and the group: a computation that reads only some
        members calls :meth:`WarpGroup.keep` before it starts, so that the others are not warped (they are
        all warped otherwise; their source blocks are read either way).

    Raises
    ------
    ValueError
        Members of different source grids, chunks, dtypes or band counts, a mask not chunked as the
        destination, or a ``source`` whose shape is not the members'.
    """
    first = datas[0]
    src_box = source_grid(first, source)
    for d in datas[1:]:
        if source_grid(d, source) != src_box or d.data.chunks != first.data.chunks or d.dtype != first.dtype:
            raise ValueError("the members of a warp group need one source grid, chunking and dtype")
    if first.ndim != 3 or first.shape[0] != 1:
        raise ValueError(f"the members of a warp group have one band (band, y, x), not the shape {first.shape}")
    arrays, group = _warp_group_dask([d.data for d in datas], src_box, geobox, resampling, chunks, mask.data)
    return [_on_grid(d, geobox, a) for d, a in zip(datas, arrays, strict=True)], group


#: resamplings whose every value lies within the range of the source values it reads (a weighted mean with
#: weights >= 0, or one of the values): from finite source values they give finite values. Not cubic, cubic
#: spline or Lanczos (negative weights can overshoot), nor sum or rms.
WITHIN_RANGE = frozenset({"nearest", "bilinear", "average", "mode", "min", "max", "med", "q1", "q3"})


def valid_on_grid(
    data: xr.DataArray,
    geobox: GeoBox,
    resampling: str,
    chunks: tuple[int, int],
    warped: da.Array,
    mask: xr.DataArray | None = None,
) -> da.Array:
    """Where :func:`reproject` gives a finite value, without warping where that is known beforehand.

    Parameters
    ----------
    data : xarray.DataArray
        Floating point (y, x), dask-backed, with an odc-geo geobox; NaN is nodata.
    geobox : GeoBox
        The destination grid.
    resampling : str
        A GDAL resampling name.
    chunks : (int, int)
        Destination chunk shape (y, x).
    warped : dask.array.Array
        ``reproject(data, geobox, resampling, chunks, mask=mask).data``: the chunks whose kernels' reach passes the
        source window's edge take ``isfinite`` of its block (the same task as the layer's own, not a second warp).
    mask : xarray.DataArray, optional
        bool (y, x) on ``geobox`` with these chunks, the mask ``warped`` was made with: False where it is False (a
        chunk known valid is its block of the mask, without a pass of its own).

    Returns
    -------
    dask.array.Array
        bool (y, x) on ``geobox``: ``isfinite(warped)``, equal to it pixel for pixel (read only: a chunk may be
        ``mask``'s own block). A chunk whose kernels
        read only finite source pixels inside its source window (:func:`kernel_reach`) takes GDAL's unmasked
        kernels, which give every pixel of the chunk a value; with a resampling of :data:`WITHIN_RANGE` these
        values are finite, so the chunk is valid throughout and is not warped (a chunk whose reach holds a
        non-finite pixel is warped in its task). The alignment report counts the valid pixels of every input's
        first band this way (for a monthly layer that band is otherwise never warped in a run of rule products).
    """
    in_mask = None if mask is None else mask.data
    return _warp_dask(data.data, data.odc.geobox, geobox, resampling, chunks, valid_of=warped, mask=in_mask)


def _warp_dask(
    src: da.Array,
    src_box: GeoBox,
    dst_box: GeoBox,
    resampling: str,
    chunks: tuple[int, int],
    valid_of: da.Array | None = None,
    mask: da.Array | None = None,
) -> da.Array:
    """The chunked warp of a dask array whose last two axes are y, x on ``src_box``, NaN outside ``mask``; with
    ``valid_of`` (the warp itself, made with ``mask``) its validity instead, False outside ``mask``
    (:func:`valid_on_grid`)."""
    valid_only = valid_of is not None
    valid_keys = None if valid_of is None else valid_of.__dask_keys__()
    lead = src.ndim - 2
    src_tiles = GeoboxTiles(src_box, src.chunks[lead:])
    dst_tiles = GeoboxTiles(dst_box, chunks)
    if mask is not None and mask.chunks != dst_tiles.chunks:
        raise ValueError(f"the mask's chunks {mask.chunks} are not the destination's {dst_tiles.chunks}")
    mask_keys = None if mask is None else mask.__dask_keys__()
    dst_to_src = dst_tiles.grid_intersect(src_tiles)
    name = f"warp-{uuid4().hex}"
    keys = src.__dask_keys__()
    graph: dict[Any, Any] = {}
    for lead_idx in itertools.product(*(range(len(c)) for c in src.chunks[:lead])):
        lead_shape = tuple(src.chunks[i][j] for i, j in enumerate(lead_idx))
        group = keys
        for i in lead_idx:
            group = group[i]
        for iy, ix in itertools.product(*(range(n) for n in dst_tiles.shape)):
            shape = (*lead_shape, *dst_tiles.chunk_shape((iy, ix)))
            sources = dst_to_src.get((iy, ix))
            if not sources:
                graph[(name, *lead_idx, iy, ix)] = (
                    (np.full, shape, False, bool) if valid_only else (np.full, shape, np.nan, src.dtype)
                )
                continue
            if valid_keys is not None and not _may_skip(src_tiles, sources, dst_tiles[iy, ix], resampling):
                in_mask = None if mask_keys is None else mask_keys[iy][ix]
                graph[(name, *lead_idx, iy, ix)] = (_finite, valid_keys[iy][ix], in_mask)
                continue
            blocks = [group[sy][sx] for sy, sx in sources]
            block = _valid_block if valid_only else _warp_block
            in_mask = None if mask_keys is None else mask_keys[iy][ix]
            graph[(name, *lead_idx, iy, ix)] = _chunk_task(
                block, (), src_tiles, sources, dst_tiles, (iy, ix), shape, resampling, in_mask, blocks
            )
    out_chunks = (*src.chunks[:lead], *dst_tiles.chunks)
    hlg = HighLevelGraph.from_collections(name, graph, dependencies=[a for a in (src, mask, valid_of) if a is not None])
    return da.Array(hlg, name, chunks=out_chunks, dtype=bool if valid_only else src.dtype)


def _warp_group_dask(
    srcs: list[da.Array],
    src_box: GeoBox,
    dst_box: GeoBox,
    resampling: str,
    chunks: tuple[int, int],
    mask: da.Array,
) -> tuple[list[da.Array], WarpGroup]:
    """The chunked warp of one-band (1, y, x) dask arrays on ``src_box`` together: one task per chunk warps them
    all (:func:`_warp_group_block`), one task per member and chunk takes its plane."""
    src_tiles = GeoboxTiles(src_box, srcs[0].chunks[1:])
    dst_tiles = GeoboxTiles(dst_box, chunks)
    if mask.chunks != dst_tiles.chunks:
        raise ValueError(f"the mask's chunks {mask.chunks} are not the destination's {dst_tiles.chunks}")
    mask_keys = mask.__dask_keys__()
    dst_to_src = dst_tiles.grid_intersect(src_tiles)
    token = uuid4().hex
    group_name = f"warp-group-{token}"
    names = tuple(f"warp-{i}-{token}" for i in range(len(srcs)))
    group = WarpGroup(names)
    keys = [s.__dask_keys__()[0] for s in srcs]  # the one band's blocks, (y, x)
    graph: dict[Any, Any] = {}
    members: list[dict[Any, Any]] = [{} for _ in srcs]
    for iy, ix in itertools.product(*(range(n) for n in dst_tiles.shape)):
        shape = (1, *dst_tiles.chunk_shape((iy, ix)))
        sources = dst_to_src.get((iy, ix))
        if not sources:
            for i, m in enumerate(members):
                m[(names[i], 0, iy, ix)] = (np.full, shape, np.nan, srcs[i].dtype)
            continue
        blocks = [k[sy][sx] for k in keys for sy, sx in sources]
        graph[(group_name, iy, ix)] = _chunk_task(
            _warp_group_block,
            (group,),
            src_tiles,
            sources,
            dst_tiles,
            (iy, ix),
            shape,
            resampling,
            mask_keys[iy][ix],
            blocks,
        )
        for i, m in enumerate(members):
            m[(names[i], 0, iy, ix)] = (_member_plane, (group_name, iy, ix), i)
    holder = da.Array(
        HighLevelGraph.from_collections(group_name, graph, dependencies=[*srcs, mask]),
        group_name,
        chunks=dst_tiles.chunks,
        dtype=object,
    )
    out_chunks = ((1,), *dst_tiles.chunks)
    arrays = [
        da.Array(HighLevelGraph.from_collections(n, m, dependencies=[holder]), n, chunks=out_chunks, dtype=s.dtype)
        for n, m, s in zip(names, members, srcs, strict=True)
    ]
    return arrays, group


def _chunk_task(
    fn: Any,
    head: tuple[Any, ...],
    src_tiles: GeoboxTiles,
    sources: list[tuple[int, int]],
    dst_tiles: GeoboxTiles,
    idx: tuple[int, int],
    shape: tuple[int, ...],
    resampling: str,
    mask: Any,
    blocks: list[Any],
) -> tuple[Any, ...]:
    """The dask task of one destination chunk: ``fn(*head, src_tiles, sources, dst_tiles, idx, shape, resampling,
    mask, *blocks)``, the blocks (and mask) given by their keys."""
    return (fn, *head, src_tiles, sources, dst_tiles, idx, shape, resampling, mask, *blocks)


def _member_plane(planes: tuple[np.ndarray | None, ...], i: int) -> np.ndarray:
    """Member ``i``'s block of a group's chunk (:func:`_warp_group_block`)."""
    plane = planes[i]
    if plane is None:  # pragma: no cover - WarpGroup.keep names every member the graph holds
        raise RuntimeError(f"member {i} of a warp group was not warped: WarpGroup.keep left it out")
    return plane


def _warp_group_block(
    group: WarpGroup,
    src_tiles: GeoboxTiles,
    sources: list[tuple[int, int]],
    dst_tiles: GeoboxTiles,
    dst_idx: tuple[int, int],
    shape: tuple[int, int, int],
    resampling: str,
    mask: np.ndarray,
    *blocks: np.ndarray,
) -> tuple[np.ndarray | None, ...]:
    """One destination chunk of every needed member of a group, each (1, y, x) as :func:`_warp_block` makes it;
    None for the others. ``blocks``: each member's source blocks in turn."""
    n = len(group.names)
    per = len(blocks) // n
    needed = range(n) if group.needed is None else sorted(group.needed)
    dst_box = dst_tiles[dst_idx]
    windows = {i: _window(src_tiles, sources, (1,), blocks[i * per : (i + 1) * per]) for i in needed}
    window = next(iter(windows.values()))[1]
    reach = kernel_reach(dst_box, window, KERNEL_RADIUS.get(resampling, 1))
    out: list[np.ndarray | None] = [None] * n
    together = [i for i in needed if reach is not None and not np.isnan(windows[i][0][0][reach]).any()]
    if len(together) > 1:  # the unmasked kernels, several bands in one call
        src = np.concatenate([windows[i][0] for i in together])
        dst = np.full((len(together), *shape[1:]), np.nan, dtype=src.dtype)
        warp_plane(src, dst, window, dst_box, resampling, masked=False)
        for j, i in enumerate(together):
            out[i] = dst[j : j + 1]
    for i in needed:
        if out[i] is None:  # alone: masked (its reach holds a NaN or passes the window's edge), or the only one
            src_i = windows[i][0]
            dst_i = np.full(shape, np.nan, dtype=src_i.dtype)
            warp_plane(src_i[0], dst_i[0], window, dst_box, resampling, masked=i not in together)
            out[i] = dst_i
    if not mask.all():
        for i in needed:
            out[i][..., ~mask] = np.nan  # type: ignore[index]
    return tuple(out)


def _window(
    src_tiles: GeoboxTiles, sources: list[tuple[int, int]], lead_shape: tuple[int, ...], blocks: tuple[np.ndarray, ...]
) -> tuple[np.ndarray, GeoBox]:
    """The source blocks a destination chunk needs pasted into one window (NaN where none), and its geobox; a
    window of one block is that block (read only)."""
    window, window_idx = src_tiles.clip(sources)
    if len(blocks) == 1 and blocks[0].shape == (*lead_shape, *window.base.shape.yx):
        return np.ascontiguousarray(blocks[0]), window.base
    src = np.full((*lead_shape, *window.base.shape.yx), np.nan, dtype=blocks[0].dtype)
    for (ty, tx), block in zip(window_idx, blocks, strict=True):
        ys, xs = window.roi[ty, tx]
        src[..., ys, xs] = block
    return src, window.base


def _may_skip(src_tiles: GeoboxTiles, sources: list[tuple[int, int]], dst_box: GeoBox, resampling: str) -> bool:
    """A destination chunk that may be valid without a warp: its kernels' reach lies inside its source window
    and the resampling keeps finite values finite (whether the reach holds only finite pixels is seen in its
    task, :func:`_valid_block`)."""
    window, _ = src_tiles.clip(sources)
    return (
        resampling in WITHIN_RANGE and kernel_reach(dst_box, window.base, KERNEL_RADIUS.get(resampling, 1)) is not None
    )


def _valid_block(
    src_tiles: GeoboxTiles,
    sources: list[tuple[int, int]],
    dst_tiles: GeoboxTiles,
    dst_idx: tuple[int, int],
    shape: tuple[int, ...],
    resampling: str,
    mask: np.ndarray | None,
    *blocks: np.ndarray,
) -> np.ndarray:
    """One destination chunk of :func:`valid_on_grid` whose reach lies inside its window (:func:`_may_skip`), from
    its (y, x) source blocks; False where its ``mask`` block is False."""
    dst_box = dst_tiles[dst_idx]
    window, window_idx = src_tiles.clip(sources)
    reach = kernel_reach(dst_box, window.base, KERNEL_RADIUS.get(resampling, 1))
    if reach is not None and _finite_within(reach, window.roi, window_idx, blocks):
        # the unmasked kernels, reading finite values only: valid wherever the mask is
        return np.ones(shape, dtype=bool) if mask is None else mask
    src, base = _window(src_tiles, sources, (), blocks)
    dst = np.full(shape, np.nan, dtype=src.dtype)
    masked = reach is None or bool(np.isnan(src[reach]).any())
    warp_plane(src, dst, base, dst_box, resampling, masked=masked)
    return _finite(dst, mask)


def _finite(block: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """``isfinite(block)``, False where ``mask`` (when given) is False."""
    finite = np.isfinite(block)
    if mask is not None:
        finite &= mask
    return finite


def _finite_within(reach: tuple[slice, slice], roi: Any, window_idx: Any, blocks: tuple[np.ndarray, ...]) -> bool:
    """Every pixel of ``reach`` (rows and columns of a source window) lies in one of the window's blocks and is
    finite, checked in the blocks themselves (the window is not pasted)."""
    r0, r1, c0, c1 = reach[0].start, reach[0].stop, reach[1].start, reach[1].stop
    covered = 0
    for (ty, tx), block in zip(window_idx, blocks, strict=True):
        ys, xs = roi[ty, tx]
        y0, y1, x0, x1 = max(r0, ys.start), min(r1, ys.stop), max(c0, xs.start), min(c1, xs.stop)
        if y0 >= y1 or x0 >= x1:
            continue
        if not np.isfinite(block[y0 - ys.start : y1 - ys.start, x0 - xs.start : x1 - xs.start]).all():
            return False
        covered += (y1 - y0) * (x1 - x0)
    return covered == (r1 - r0) * (c1 - c0)  # a pixel in no block is NaN in the pasted window


def _warp_block(
    src_tiles: GeoboxTiles,
    sources: list[tuple[int, int]],
    dst_tiles: GeoboxTiles,
    dst_idx: tuple[int, int],
    shape: tuple[int, ...],
    resampling: str,
    mask: np.ndarray | None,
    *blocks: np.ndarray,
) -> np.ndarray:
    """One destination chunk: paste its source blocks into one window (NaN where none), warp plane by plane; NaN
    where the chunk's ``mask`` block is False."""
    lead = len(shape) - 2
    src, window = _window(src_tiles, sources, shape[:lead], blocks)
    dst_box = dst_tiles[dst_idx]
    dst = np.full(shape, np.nan, dtype=src.dtype)
    reach = kernel_reach(dst_box, window, KERNEL_RADIUS.get(resampling, 1))
    for plane in np.ndindex(*shape[:lead]):
        masked = reach is None or bool(np.isnan(src[plane][reach]).any())
        warp_plane(src[plane], dst[plane], window, dst_box, resampling, masked=masked)
    if mask is not None and not mask.all():
        dst[..., ~mask] = np.nan
    return dst


def kernel_reach(dst_box: GeoBox, src_box: GeoBox, radius: int) -> tuple[slice, slice] | None:
    """The source pixels the kernels of a destination chunk may read, or None past the source's edge.

    Parameters
    ----------
    dst_box : GeoBox
        The destination chunk.
    src_box : GeoBox
        Its source window.
    radius : int
        Source pixels the kernel reaches from a destination pixel (:data:`KERNEL_RADIUS`).

    Returns
    -------
    (slice, slice) or None
        Rows and columns of ``src_box``: every source pixel within ``radius`` of the chunk's extent;
        None when these pass the edge of ``src_box``. GDAL's unmasked kernels differ from its masked
        ones at the edge of the source array (they give values to destination pixels whose centres lie
        outside it, where the masked kernels leave nodata), so only a chunk with a reach may take them,
        and only when no pixel of its reach is NaN.
    """
    extent = dst_box.extent if dst_box.crs == src_box.crs else dst_box.footprint(src_box.crs)  # densified
    b = extent.boundingbox
    inverse = ~src_box.affine
    cols, rows = zip(
        *(inverse @ corner for corner in ((b.left, b.top), (b.left, b.bottom), (b.right, b.top), (b.right, b.bottom))),
        strict=True,
    )
    r0, r1 = math.floor(min(rows) - radius), math.ceil(max(rows) + radius)
    c0, c1 = math.floor(min(cols) - radius), math.ceil(max(cols) + radius)
    height, width = src_box.shape.yx
    if r0 < 0 or c0 < 0 or r1 > height or c1 > width:
        return None
    return slice(r0, r1), slice(c0, c1)
