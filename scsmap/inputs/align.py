"""Assemble the aligned input Dataset of a run: every layer warped into the region grid.

Layers are read lazily (:mod:`scsmap.io.read`), checked over the region, warped with
GDAL, chunk by chunk as odc-geo does it (:mod:`scsmap.inputs.warp`), into the one region
``GeoBox`` (average when coarsening and bilinear when refining continuous layers, mode /
nearest for classes, unless the config says otherwise) and masked to the boundary. An
alignment report records, per layer, the source CRS, resolution, nodata, the resampling used
and the valid-pixel counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import dask.array as da
import numpy as np
import xarray as xr
from odc.geo.geobox import GeoBox
from odc.geo.geom import Geometry

from ..config import LAYERS, Config
from ..errors import InputError
from ..grid import (
    boundary_mask,
    cell_area_ha,
    check_grid_size,
    chunks_for,
    region_extent,
    region_geobox,
    yx_coords,
)
from ..io.read import SourceInfo, covering_window, open_layer, preflight
from ..io.vector import load_boundary
from .warp import WarpGroup, reproject, reproject_group, valid_on_grid


@dataclass
class AlignedInputs:
    """The inputs of a run on one grid.

    Attributes
    ----------
    geobox : GeoBox
        The region grid.
    chunks : (int, int)
        dask chunk shape (y, x).
    layers : dict of str to xarray.DataArray
        float32, (y, x) or (month, y, x) for monthly layers, canonical units, NaN
        outside the boundary and where the source had no data.
    mask : xarray.DataArray
        bool (y, x), True inside the region boundary.
    cell_area : xarray.DataArray
        float64 (y, x), geodesic cell area in ha.
    sources : dict of str to SourceInfo
    resampling : dict of str to str
        The resampling actually used per layer.
    counts : dict
        Lazy dask scalars: valid pixels per layer before (in the source file, over the region's bounding
        box and 2 pixels around it: :func:`scsmap.io.read.region_window`) and after (on the grid, inside
        the boundary) warping.
    valid_grid : dict of str to dask.array.Array
        Lazy bool (y, x) per layer: valid on the grid (first band); ``counts`` sums it.
    boundary : odc.geo.geom.Geometry or None
        The region's boundary as read (None: a bbox only).
    footprint : odc.geo.geom.Geometry or None
        The region: boundary ∩ bbox (:func:`scsmap.grid.region_extent`), the zone of the run summary.
    native : dict of str to xarray.DataArray
        Every input layer on its own source grid, float32 (band, y, x), canonical units, lazily read:
        annual climate summaries are computed there and only the result is warped (:meth:`to_grid`).
    warp_groups : list of WarpGroup
        The layers warped together (:func:`scsmap.inputs.warp.reproject_group`; grids computed in one pass
        only), input layers and annual climate summaries (:meth:`to_grid_together`); a computation calls
        :meth:`scsmap.inputs.warp.WarpGroup.keep` with its graph's layer names, so that the members it does not
        read are not warped.
    group_warps : bool
        Whether layers may be warped together: the grid is computed in one pass (``compute.pass_pixels``).
    """

    geobox: GeoBox
    chunks: tuple[int, int]
    layers: dict[str, xr.DataArray]
    mask: xr.DataArray
    cell_area: xr.DataArray
    sources: dict[str, SourceInfo]
    resampling: dict[str, str]
    counts: dict[str, dict[str, Any]] = field(default_factory=dict)
    boundary: Geometry | None = None
    valid_grid: dict[str, Any] = field(default_factory=dict)
    footprint: Geometry | None = None
    native: dict[str, xr.DataArray] = field(default_factory=dict)
    warp_groups: list[WarpGroup] = field(default_factory=list)
    group_warps: bool = False

    @property
    def region_mask(self) -> xr.DataArray | None:
        """:attr:`mask` where it masks a cell; None for a region without a boundary, whose mask is True everywhere
        (:func:`scsmap.grid.boundary_mask`): masking with it would change nothing, at a task and a new block per
        chunk."""
        return None if self.boundary is None else self.mask

    def same_source_grid(self, *names: str) -> bool:
        """True when the input layers ``names`` are all on one source grid (shape, transform, CRS)."""
        boxes = [self.sources[n].geobox for n in names]
        return all(b == boxes[0] for b in boxes[1:])

    def native_over_region(self, name: str) -> xr.DataArray:
        """Input layer ``name`` on its source grid, cut to the pixels that cover the region grid
        (2 source pixels of margin for the resampling kernels), (band, y, x), lazily; its grid is
        :meth:`native_grid`."""
        rows, cols = self._region_slices(name)
        return self.native[name].isel(y=rows, x=cols)

    def native_grid(self, name: str) -> GeoBox:
        """The grid of :meth:`native_over_region`: the file's own geotransform cut to its window, exactly.

        A layer computed from that cut (an annual climate summary) has lost the file's ``GeoTransform`` in
        xarray's arithmetic; its coordinates would give odc-geo a rebuilt grid (a 0.01 degree pixel as
        0.009999999999999787 degree), so :meth:`to_grid` warps it from this one."""
        return self.sources[name].geobox[self._region_slices(name)]

    def _region_slices(self, name: str) -> tuple[slice, slice]:
        """(rows, columns) of input ``name``'s source grid that cover the region grid, 2 pixels of margin."""
        gb = self.sources[name].geobox
        bounds = self.geobox.extent.to_crs(gb.crs).boundingbox
        win = covering_window(bounds, gb.affine, gb.shape.y, gb.shape.x, margin=2)
        return slice(win.row_off, win.row_off + win.height), slice(win.col_off, win.col_off + win.width)

    def to_grid(self, name: str, data: xr.DataArray) -> xr.DataArray:
        """A layer computed on the source grid of input ``name``, warped onto the region grid as ``name`` is.

        Parameters
        ----------
        name : str
            An input layer; its resampling (:attr:`resampling`) is used.
        data : xarray.DataArray
            (y, x) on the source grid of ``name`` (from :meth:`native_over_region`), warped from
            :meth:`native_grid`.

        Returns
        -------
        xarray.DataArray
            (y, x) on the region grid, NaN outside the boundary.
        """
        source = self.native_grid(name)
        return reproject(data, self.geobox, self.resampling[name], self.chunks, mask=self.mask, source=source)

    def to_grid_together(self, layers: dict[str, tuple[str, xr.DataArray]]) -> dict[str, xr.DataArray]:
        """Layers computed on the source grids of inputs, each warped as :meth:`to_grid` warps it, in fewer GDAL calls.

        Layers on one source grid with one resampling, chunking and dtype, whose source is
        :data:`GROUP_MIN_UPSAMPLING` times coarser than the grid or more, are warped together
        (:func:`scsmap.inputs.warp.reproject_group`, the same pixels bit for bit) when :attr:`group_warps`
        allows it; the group joins :attr:`warp_groups`, so that a computation warps only the members it reads.
        The others are warped one by one.

        Parameters
        ----------
        layers : dict of str to (str, xarray.DataArray)
            Name → (the input whose source grid and resampling the layer takes, the layer: floating point
            (y, x) on that grid, from :meth:`native_over_region`).

        Returns
        -------
        dict of str to xarray.DataArray
            Name → (y, x) on the region grid, NaN outside the boundary, as :meth:`to_grid` gives it.
        """
        together: dict[tuple[Any, ...], list[str]] = {}
        out: dict[str, xr.DataArray] = {}
        for name, (grid, data) in layers.items():
            method = self.resampling[grid]
            source = self.native_grid(grid)
            key = _group_key(source, data, self.sources[grid], method, self.geobox) if self.group_warps else None
            if key is None:
                out[name] = self.to_grid(grid, data)
            else:
                together.setdefault(key, []).append(name)
        for (source, _, method, _), names in together.items():
            if len(names) < 2:
                out[names[0]] = self.to_grid(layers[names[0]][0], layers[names[0]][1])
                continue
            members = [layers[n][1].expand_dims("band") for n in names]
            warped, group = reproject_group(members, self.geobox, method, self.chunks, self.mask, source=source)
            out.update((n, w.isel(band=0, drop=True)) for n, w in zip(names, warped, strict=True))
            self.warp_groups.append(group)
        return {name: out[name] for name in layers}

    def alignment_report(self, counts: dict[str, dict[str, int]] | None = None) -> dict[str, Any]:
        """The alignment report as a JSON-ready dict (the manifest's ``alignment_report``).

        Parameters
        ----------
        counts : dict, optional
            The computed :attr:`counts` (layer → ``valid_pixels_source``, ``valid_pixels_grid``).

        Returns
        -------
        dict
            ``grid`` (CRS, shape, resolution, bounds, transform, chunks) and ``layers`` (per layer: its
            source report, the resampling used and the counts).
        """
        gb = self.geobox
        layers = {}
        for name, info in self.sources.items():
            entry = info.report()
            entry["resampling"] = self.resampling[name]
            if counts and name in counts:
                entry.update(counts[name])
            layers[name] = entry
        return {
            "grid": {
                "crs": _crs_label(gb),
                "shape": list(gb.shape.yx),
                "resolution": [gb.resolution.x, gb.resolution.y],
                "bounds": list(gb.boundingbox),
                "transform": list(gb.affine)[:6],
                "chunks": list(self.chunks),
            },
            "layers": layers,
        }


def _crs_label(gb: GeoBox) -> str:
    epsg = gb.crs.epsg
    return f"EPSG:{epsg}" if epsg else gb.crs.to_wkt()


def _source_pixel_size(info: SourceInfo, target: GeoBox) -> float:
    """Approximate source pixel size in the target CRS units (for 'auto' resampling)."""
    ext = info.geobox.extent.to_crs(target.crs)
    ny, nx = info.shape
    return math.sqrt(ext.area / (nx * ny))


def choose_resampling(layer: str, requested: str, kind: str, src_size: float, dst_size: float) -> str:
    """Resolve ``auto`` resampling.

    Continuous: ``average`` when the target pixel is coarser than the source by more
    than 10 % (every source pixel counts), else ``bilinear``. Categorical: ``mode``
    when coarsening, else ``nearest``.

    Parameters
    ----------
    layer : str
        Layer name.
    requested : str
        ``inputs.<layer>.resampling``; anything but ``auto`` is returned as it is.
    kind : {"continuous", "categorical"}
    src_size, dst_size : float
        Source and target pixel size, both in the target CRS's units.

    Returns
    -------
    str
        A GDAL resampling name.
    """
    if requested != "auto":
        return requested
    coarsen = dst_size > 1.1 * src_size
    if kind == "categorical":
        return "mode" if coarsen else "nearest"
    return "average" if coarsen else "bilinear"


def assemble_inputs(cfg: Config, only: list[str] | None = None) -> AlignedInputs:
    """Open, check and warp every configured input into the region grid (lazily).

    Parameters
    ----------
    cfg : Config
    only : list of str, optional
        Restrict to these layer names.

    Returns
    -------
    AlignedInputs

    Raises
    ------
    InputError
        See :func:`scsmap.io.read.open_layer` and :func:`scsmap.io.read.preflight`; the problems of every
        layer in one error (each with its hint) when several layers have one.
    """
    boundary = load_boundary(cfg.region)
    footprint = region_extent(cfg.region, boundary)
    names = [n for n in cfg.inputs if only is None or n in only]
    opened: dict[str, tuple[xr.DataArray, SourceInfo]] = {}
    problems: list[InputError] = []
    for name in names:  # every layer is checked: all their problems are reported at once
        try:
            data, info = open_layer(name, cfg.inputs[name], cfg.grid.chunk_size, footprint)
            preflight(info, cfg.inputs[name], footprint)
        except InputError as exc:
            problems.append(exc)
            continue
        opened[name] = (data, info)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise InputError(
            f"{len(problems)} input layers have problems:\n"
            + "\n".join("  - " + str(e).replace("\n", "\n    ") for e in problems)
        )

    like = opened[cfg.grid.like][1].geobox if cfg.grid.like else None
    geobox = region_geobox(cfg.grid, footprint, like=like)
    check_grid_size(geobox, cfg.grid, cfg.compute.max_pixels)
    if geobox.shape.x < 1 or geobox.shape.y < 1:
        raise InputError("the region grid is empty", "check region.bbox / boundary and grid.resolution")
    chunks = chunks_for(geobox, cfg.grid.chunk_size)
    mask = boundary_mask(geobox, boundary, chunks, cfg.boundary_all_touched)
    dst_size = _pixel_size(geobox)

    layers, resampling, counts, valid_grid = {}, {}, {}, {}
    for name, (_, info) in opened.items():
        spec = cfg.inputs[name]
        kind = spec.kind or LAYERS[name].kind
        resampling[name] = choose_resampling(name, spec.resampling, kind, _source_pixel_size(info, geobox), dst_size)
    # a group holds all its members' chunks from the first one's use to the last one's: not where memory is bounded
    one_pass = geobox.shape.y * geobox.shape.x <= cfg.compute.pass_pixels
    grouped, groups = _warp_groups(opened, resampling, geobox, chunks, mask) if one_pass else ({}, [])
    for name, (data, info) in opened.items():
        method = resampling[name]
        warped = grouped[name] if name in grouped else reproject(data, geobox, method, chunks, mask=mask)
        multi = LAYERS[name].months or LAYERS[name].yearly
        if multi:
            dim = "warmup_year" if LAYERS[name].yearly else "series_month" if LAYERS[name].series else "month"
            warped = warped.rename(band=dim).assign_coords({dim: np.arange(1, warped.sizes["band"] + 1)})
        else:
            warped = warped.isel(band=0, drop=True)
        warped.attrs = dict(data.attrs)
        warped.name = name
        layers[name] = warped
        first_band = data.isel(band=0)
        first_out = warped.isel({warped.dims[0]: 0}) if multi else warped
        # isfinite of the first band warped and masked to the boundary; chunks known valid are not warped for it
        valid_grid[name] = valid_on_grid(first_band, geobox, method, chunks, first_out.data, mask=mask)
        r0, r1, c0, c1 = info.window or (0, info.shape[0], 0, info.shape[1])  # the part of the file the run uses
        counts[name] = {
            "valid_pixels_source": da.isfinite(first_band.data[r0:r1, c0:c1]).sum(),
            "valid_pixels_grid": valid_grid[name].sum(),
        }
    return AlignedInputs(
        geobox=geobox,
        chunks=chunks,
        layers=layers,
        mask=mask,
        cell_area=cell_area_ha(geobox, chunks),
        sources={n: i for n, (_, i) in opened.items()},
        resampling=resampling,
        counts=counts,
        boundary=boundary,
        valid_grid=valid_grid,
        footprint=footprint,
        native={n: d for n, (d, _) in opened.items()},
        warp_groups=groups,
        group_warps=one_pass,
    )


#: a layer joins a warp group when its source pixels are at least this many times the grid's on a side: its source
#: blocks then hold a sixteenth of a chunk's pixels or less, cheap to read for a run that does not use the layer
GROUP_MIN_UPSAMPLING = 4.0


def _warp_groups(
    opened: dict[str, tuple[xr.DataArray, SourceInfo]],
    resampling: dict[str, str],
    geobox: GeoBox,
    chunks: tuple[int, int],
    mask: xr.DataArray,
) -> tuple[dict[str, xr.DataArray], list[WarpGroup]]:
    """The one-band layers warped together (:func:`scsmap.inputs.warp.reproject_group`): two or more on one source
    grid, with one chunking, dtype and resampling, whose source is :data:`GROUP_MIN_UPSAMPLING` times coarser
    than the grid or more. Returns each grouped layer's warp (band, y, x) and the groups.

    Only for a grid computed in one pass (``compute.pass_pixels``): a group computes every member of a chunk when
    the first is read and keeps them until the last is, where one-by-one warps are made as they are read (a
    40,000 x 40,000 run computed window by window took 2.33 GB with groups, 1.86 GB without; 1e7 pixels in one
    pass 1.12-1.17 against 1.02-1.10 GB)."""
    candidates: dict[tuple[Any, ...], list[str]] = {}
    for name, (data, info) in opened.items():
        if LAYERS[name].months or LAYERS[name].yearly or data.shape[0] != 1:
            continue
        if (key := _group_key(data.odc.geobox, data, info, resampling[name], geobox)) is not None:
            candidates.setdefault(key, []).append(name)
    grouped: dict[str, xr.DataArray] = {}
    groups: list[WarpGroup] = []
    for (*_, method, _), names in candidates.items():
        if len(names) < 2:
            continue
        warped, group = reproject_group([opened[n][0] for n in names], geobox, method, chunks, mask)
        grouped.update(zip(names, warped, strict=True))
        groups.append(group)
    return grouped, groups


def _group_key(
    source: GeoBox, data: xr.DataArray, info: SourceInfo, method: str, geobox: GeoBox
) -> tuple[Any, ...] | None:
    """What layers warped together share (source grid ``source``, chunking, resampling, dtype), or None for a layer
    whose source is less than :data:`GROUP_MIN_UPSAMPLING` times coarser than ``geobox`` on a side."""
    if _source_pixel_size(info, geobox) < GROUP_MIN_UPSAMPLING * _pixel_size(geobox):
        return None
    return (source, data.data.chunks[-2:], method, data.dtype)


def _pixel_size(geobox: GeoBox) -> float:
    """The side of a pixel of ``geobox`` (the square root of its area), in its CRS's units."""
    return math.sqrt(abs(geobox.affine.a * geobox.affine.e))


def dry_inputs(cfg: Config) -> AlignedInputs:
    """The inputs of ``cfg`` as placeholders on a 2 x 2 grid, without opening a file: what a run would make
    can then be predicted from the config alone (``scsmap validate``).

    Each configured layer is a lazy float32 array of ones with the dims of its kind ((y, x), or
    (month, y, x) with 12 months), its source described from the config.

    Parameters
    ----------
    cfg : Config

    Returns
    -------
    AlignedInputs
        Not for computing maps: the values are placeholders.
    """
    from odc.geo.geobox import GeoBox as _GeoBox

    geobox = _GeoBox.from_bbox((0.0, 0.0, 0.02, 0.02), "EPSG:4326", resolution=0.01)
    chunks = (2, 2)
    coords = yx_coords(geobox)
    layers, sources = {}, {}
    for name, spec in cfg.inputs.items():
        lspec = LAYERS[name]
        flat = empty_like_grid(geobox, chunks, 1.0)
        if lspec.months:
            dim = "series_month" if lspec.series else "month"
            arr = xr.concat([flat] * 12, dim=dim).assign_coords({dim: np.arange(1, 13)})
        else:
            arr = flat
        arr.name = name
        layers[name] = arr
        sources[name] = SourceInfo(
            layer=name,
            paths=[str(p) for p in ([spec.path] if isinstance(spec.path, str) else spec.path)],
            bands=list(spec.bands or [1]),
            crs="EPSG:4326",
            resolution=(0.01, 0.01),
            shape=(2, 2),
            dtype="float32",
            nodata=None,
            units_declared=spec.units,
            unit=lspec.unit,
            conversion="(not read)",
            geobox=geobox,
        )
    mask = xr.DataArray(da.ones((2, 2), dtype=bool, chunks=chunks), coords=coords, dims=("y", "x"))
    return AlignedInputs(
        geobox=geobox,
        chunks=chunks,
        layers=layers,
        mask=mask,
        cell_area=empty_like_grid(geobox, chunks, 1.0),
        sources=sources,
        resampling=dict.fromkeys(layers, "nearest"),
    )


def empty_like_grid(geobox: GeoBox, chunks: tuple[int, int], value: float) -> xr.DataArray:
    """A lazy constant float32 layer on the grid.

    Parameters
    ----------
    geobox : odc.geo.geobox.GeoBox
    chunks : (int, int)
        dask chunk shape (y, x).
    value : float
        In the layer's canonical unit.

    Returns
    -------
    xarray.DataArray
        float32, dims (y, x).
    """
    data = da.full(geobox.shape.yx, np.float32(value), chunks=chunks, dtype="float32")
    return xr.DataArray(data, coords=yx_coords(geobox), dims=("y", "x"))
