"""Compute a run: one dask graph stores every product block by block into tiled staging GeoTIFFs.

In the same pass the graph takes each product's pixel statistics (for the ``STATISTICS_*``
tags), the region's area-weighted sums of the zonal engine (the run summary,
:mod:`scsmap.outputs.zonal`), the abatement-curve sums and the alignment counts. Grids larger
than ``compute.pass_pixels`` are computed window by window (:mod:`scsmap.pipeline.windows`).
"""

from __future__ import annotations

import functools
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dask.array as da
import numpy as np
import xarray as xr

from .. import __version__
from ..inputs.once import forget_blocks
from ..io.failures import input_read_error
from ..io.overviews import first_level_path, has_first_overview
from ..io.write import OverviewBlockTarget, RasterSpec, class_codes, compress_staging, open_tiled
from ..io.written import masked_block, masked_dtype, written_block
from ..layers.abatement import curve_layers, curve_terms
from ..layers.block_sums import BlockSum, block_tasks, finish_tree
from ..layers.keys import Select, Stack
from ..layers.model import Model
from ..outputs.pixel_sums import finite_sums
from ..outputs.trajectory import trajectory_layers, trajectory_practice_outputs, trajectory_terms
from ..outputs.zonal import flat_moments, lazy_sums, weight_grid
from ..products import Product, Summary, as_written
from ..products.styles import legend_for
from ..progress import Progress
from .kernels import compile_note
from .plan import Plan
from .scheduler import Engine
from .windows import block_window, plan_windows, store_in_windows

if TYPE_CHECKING:
    from ..inputs.align import AlignedInputs

log = logging.getLogger("scsmap")


@dataclass
class Computed:
    """What the computation gives the commit stage.

    Attributes
    ----------
    products : list of Product
        The computed products as written (units in ``ghg.rate_units``).
    specs : dict of str to RasterSpec
        Product id → its staging GeoTIFF.
    pixel_stats : dict of str to dict
        Product id → count, sum, sumsq, min, max, total pixels, and a sample of the pixels (continuous
        maps, for the 2nd and 98th percentiles) or the pixels per class code (class maps)
        (:func:`scsmap.io.write.finish_stats`).
    region : dict
        The region's zonal sums (:func:`scsmap.outputs.zonal.lazy_sums`), computed.
    curve : dict or None
        The abatement-curve sums, when the run has a cost table and writes a GHG product.
    counts : dict
        Alignment counts per input layer.
    trajectory : dict
        The national trajectory's sums and layers (:mod:`scsmap.outputs.trajectory`); empty without one.
    """

    products: list[Product]
    specs: dict[str, RasterSpec]
    pixel_stats: dict[str, dict[str, Any]]
    region: dict[str, Any]
    curve: dict[str, Any] | None
    counts: dict[str, dict[str, int]]
    trajectory: dict[str, Any] | None = None


#: pixels of a product sampled for its 2nd and 98th percentiles (``outputs.legend: data``): every k-th row and
#: column of the grid, k the same for every product of a run (a standard error of the percentiles' rank of
#: about 0.05 %, far below the rounding of a legend)
SAMPLE_PIXELS = 1 << 16


def sample_step(shape: tuple[int, int]) -> int:
    """Rows and columns between two sampled pixels: about :data:`SAMPLE_PIXELS` pixels of the grid."""
    return max(1, math.ceil(math.sqrt(shape[0] * shape[1] / SAMPLE_PIXELS)))


def _block_stats(b: np.ndarray, is_class: bool, step: int, row0: int, col0: int) -> dict[str, Any]:
    """The pixel statistics of one block whose first pixel is at ``row0, col0`` of the grid.

    Valid pixels, sum and sum of squares (float64, over the finite pixels), minimum and maximum (NaN
    ignored; NaN where the block has none), and the pixels per class code 0..255 of a class map (NaN
    counted as 255, the nodata code) or the pixels of a continuous map on every ``step``-th row and
    column of the grid (global indices, so that chunks and windows sample the same pixels).
    """
    count, total, squares = finite_sums(b)  # numpy's isfinite count and pairwise sums, in one compiled pass
    flat = b.ravel()
    out: dict[str, Any] = {
        "count": count,
        "sum": total,
        "sumsq": squares,
        "min": float(np.fmin.reduce(flat, initial=np.nan)),
        "max": float(np.fmax.reduce(flat, initial=np.nan)),
    }
    if is_class:
        c = np.where(np.isfinite(b), b, 255).clip(0, 255).astype("int64")
        out["classes"] = np.bincount(c.ravel(), minlength=256)[:256]
    else:
        out["sample"] = b[(-row0) % step :: step, (-col0) % step :: step].ravel()
    return out


def _combine_stats(blocks: list[dict[str, Any]], total: int) -> dict[str, Any]:
    """The statistics of a window from those of its blocks (a list of :func:`_block_stats` dicts).

    Sums are exactly rounded (``math.fsum``), so that they do not depend on the order of the blocks.
    """
    out: dict[str, Any] = {
        "count": sum(p["count"] for p in blocks),
        "sum": math.fsum(p["sum"] for p in blocks),
        "sumsq": math.fsum(p["sumsq"] for p in blocks),
        "total": total,
        "min": float(np.fmin.reduce(np.array([p["min"] for p in blocks]), initial=np.nan)),
        "max": float(np.fmax.reduce(np.array([p["max"] for p in blocks]), initial=np.nan)),
    }
    if "classes" in blocks[0]:
        out["classes"] = np.sum([p["classes"] for p in blocks], axis=0)
    else:
        out["sample"] = np.concatenate([p["sample"] for p in blocks])
    return out


def _pixel_stats(arr: da.Array, is_class: bool, step: int, total: int, group: str) -> BlockSum:
    """The pixel statistics of one product: :func:`_block_stats` of each block, combined by :func:`_combine_stats`.

    Taken in the product's task per block (``group``, :mod:`scsmap.layers.block_sums`) with its zonal sums.
    Continuous maps also give the pixels on every ``step``-th row and column of the grid; class maps the
    pixels per class code.
    """
    return BlockSum(
        functools.partial(_block_stats, is_class=is_class, step=step),
        (arr,),
        group,
        combine=functools.partial(_combine_stats, total=total),
        located=True,
    )


def _masked(values: da.Array, inputs: AlignedInputs) -> da.Array:
    """A product's blocks masked to the region (:func:`scsmap.io.written.masked_block`), NaN outside it.

    A float product of a region without a boundary is not masked (its
    :attr:`~scsmap.inputs.align.AlignedInputs.region_mask` is None): masking would give the same blocks, at a task
    per block.
    """
    dtype = masked_dtype(values.dtype)
    if inputs.region_mask is None and dtype == values.dtype:
        return values
    mask = inputs.mask.data
    return da.map_blocks(masked_block, values, mask, dtype=dtype, meta=np.empty((0,) * values.ndim, dtype))


def _count_valid(valid: np.ndarray) -> int:
    """The True cells of a block (valid pixels of an input layer on the grid)."""
    return int(np.count_nonzero(valid))


def spec_of(p: Product, plan: Plan, staging: Path) -> RasterSpec:
    """The staging GeoTIFF of a product: file, dtype, nodata, band metadata, tags, colour table and, for class
    maps, the CF ``flag_values``/``flag_masks`` and ``flag_meanings`` band tags (the class names inside the file)."""
    cfg, model = plan.cfg, plan.model
    needs = model.needs_source(p.source)
    provenance = {f"SOURCE_{k}": v for k, v in sorted(model.provenance.items()) if k in needs}
    legend = legend_for(p)
    return RasterSpec(
        path=staging / (p.filename(cfg) + ".tmp.tif"),
        dtype=p.dtype,
        nodata=p.nodata if p.is_class_map else cfg.outputs.nodata,
        description=p.long_name,
        units=p.units,
        tags={
            "PRODUCT_ID": p.id,
            "UNITS": p.units,
            "REGION": cfg.region.name,
            "ISO3": cfg.region.iso3,
            "SCSMAP_VERSION": __version__,
            "CONFIG_SHA256": cfg.digest(),
            "BOUNDARY": "every cell the boundary touches (region.boundary.all_touched)"
            if cfg.boundary_all_touched
            else "cells whose centre is inside the boundary",
            "REFERENCES": p.references,
            **provenance,
            **model.tags(p.tag_set, p.practice),
        },
        colormap=legend.colormap() if p.is_class_map else None,
        resampling="nearest" if p.is_class_map else "average",
        band_tags=legend.cf_flags() if p.is_class_map else None,
    )


def _region_sums(plan: Plan, arrays: dict[str, da.Array], weight: xr.DataArray) -> dict[str, Any]:
    """Lazy zonal sums of the region over the products with a summary role (:func:`scsmap.outputs.zonal.lazy_sums`),
    from their blocks masked to the region (``arrays``)."""
    roles = {p.id: p.summary for p in plan.todo}
    values = {
        k: a for k, a in arrays.items() if roles[k] not in (Summary.NONE, Summary.SUITABLE_AREA, Summary.CLASS_SHARES)
    }
    classes = {k: a for k, a in arrays.items() if roles[k] in (Summary.SUITABLE_AREA, Summary.CLASS_SHARES)}
    targets = {}
    if "rate_best" in values:  # the national share of the 4 per 1000 target
        # the same tasks as the target_4p1000 product's when the run writes it (dask names them from their inputs)
        targets["rate_best"] = _masked(plan.model.layer("target_4p1000").data, plan.inputs)
    return lazy_sums(weight.data, values, targets, classes)


def practice_outputs_read(todo: list[Product], model: Model) -> set[str]:
    """The outputs of the practice stack that a run without GHG products reads.

    The outputs its practice products are, and, when it writes one, those its national trajectory sums
    (:func:`scsmap.outputs.trajectory.trajectory_practice_outputs`).

    Parameters
    ----------
    todo : list of Product
        The products the run computes.
    model : Model

    Returns
    -------
    set of str
        Empty when the run writes no practice product.
    """
    names = {p.source.output for p in todo if isinstance(p.source, Select) and p.source.stack is Stack.PRACTICES}
    return names | set(trajectory_practice_outputs(model)) if names else names


def compute_run(plan: Plan, engine: Engine, staging: Path, progress: Progress) -> Computed:
    """Store every product of ``plan.todo`` into its staging GeoTIFF and take the run's sums.

    Raises
    ------
    InputError
        An input file that cannot be read during the computation.
    OSError, rasterio.errors.RasterioIOError
        Writing the staging files failed (a full disk is recognised by the commit stage).
    """
    cfg, inputs, model = plan.cfg, plan.inputs, plan.model
    gb = inputs.geobox
    step = sample_step(gb.shape.yx)
    writes_ghg = any(isinstance(p.source, Select) and p.source.stack is Stack.GHG for p in plan.todo)
    if not writes_ghg:  # the GHG stack reads every practice output; without it, only those the run reads are made
        model.keep_practice_outputs(practice_outputs_read(plan.todo, model))
    layers = {p.id: model.layer(p.source).data for p in plan.todo}
    arrays = {k: _masked(a, inputs) for k, a in layers.items()}
    masked = any(arrays[k] is not a for k, a in layers.items())  # the region's target is masked only with these
    written = {p.id: as_written(p, cfg) for p in plan.todo}  # ghg.rate_units: t C or t CO2 in the files
    curve = curve_layers(model, inputs.mask, writes_ghg)
    footprint = inputs.footprint.to_crs(gb.crs).geom if inputs.footprint is not None else None
    weight = weight_grid(gb, inputs.chunks, footprint)
    total = int(np.prod(gb.shape.yx))
    stacks = {p.source.stack for p in plan.todo if isinstance(p.source, Select)}
    traj = trajectory_layers(model, inputs.region_mask, Stack.PRACTICES in stacks, Stack.GSOCSEQ in stacks)

    products = [written[p.id][0] for p in plan.todo]
    specs, sources, targets, values, datasets = {}, [], [], {}, []
    # a small run's staging files are written uncompressed (the first overview levels add a quarter at most)
    staging_bytes = total * sum(np.dtype(p.dtype).itemsize for p in products) * 5 // 4
    tiled = {**engine.tiled_options, "compress": compress_staging(staging_bytes)}
    try:
        for p in products:
            spec = specs[p.id] = spec_of(p, plan, staging)
            ds = open_tiled(spec, gb, cfg.outputs.tile_size, **tiled)
            datasets.append(ds)
            factor = written[p.id][1]
            arr = arrays[p.id] * factor if factor != 1 else arrays[p.id]
            values[p.id] = arr
            if p.is_class_map:
                arr = arr.map_blocks(class_codes, p.nodata, p.dtype, p.id, dtype=p.dtype)
            else:
                meta = np.empty((0, 0), p.dtype)  # the kernel is not called on dask's meta (its first call compiles it)
                arr = arr.map_blocks(written_block, spec.nodata, p.dtype, dtype=p.dtype, meta=meta)
            sources.append(arr)
            targets.append(engine.target(ds))
        first_level = has_first_overview(sources[0].chunks, cfg.outputs.tile_size)
        if first_level:  # each block's store writes the level too; GDAL then builds only the further levels
            for i, p in enumerate(products):
                spec = specs[p.id]
                ovr_spec = RasterSpec(first_level_path(spec.path), spec.dtype, spec.nodata, "", "", {})
                ds = open_tiled(ovr_spec, gb.zoom_out(2), OVERVIEW_TILE, **tiled)
                datasets.append(ds)
                targets[i] = OverviewBlockTarget(targets[i], engine.target(ds), spec.nodata, spec.resampling)
        windows = plan_windows(sources[0].chunks, cfg.compute.pass_pixels)
        log.info("computing %d product(s)%s", len(products), f" in {len(windows)} windows" if windows else "")

        # every sum of the run in one task per block and group (a product's statistics and zonal sums together)
        tree = {
            "pixels": {k: _pixel_stats(a, written[k][0].is_class_map, step, total, group=k) for k, a in values.items()},
            "region": _region_sums(plan, arrays, weight),
            "curve": curve_terms(curve, weight.data) if curve else {},
            "grid": {k: BlockSum(_count_valid, (v,), "grid") for k, v in inputs.valid_grid.items()},
            "trajectory": trajectory_terms(traj, weight.data),
        }
        tasks = block_tasks(tree)
        graph_layers = set().union(*(a.__dask_graph__().layers for a in (*sources, *tasks.values())))
        for group in inputs.warp_groups:  # the layers warped together: only those this run reads
            group.keep(graph_layers)

        def sums(ys=slice(None), xs=slice(None)) -> dict[str, Any]:  # the tasks of a window's blocks
            if ys == xs == slice(None):  # the whole grid: `.blocks[:, :]` would add a task per block naming another
                return dict(tasks)
            by, bx = block_window(sources[0].chunks, ys, xs)
            return {g: t.blocks[by, bx] for g, t in tasks.items()}

        def finish(computed: dict[str, Any]) -> dict[str, Any]:  # the blocks' sums added up
            return finish_tree(tree, computed)

        in_source = {k: c["valid_pixels_source"] for k, c in inputs.counts.items()}
        detail = f"{len(products)} products" + (f", {len(windows)} windows" if windows else "")
        uses = _kernel_uses(model, tree, products, masked, first_level)
        detail += f"; {note}" if (note := compile_note(uses)) else ""
        with progress.stage("compute", detail=detail) as stage:
            if windows is None:  # one pass: maps, statistics and sums together
                store = da.store(sources, targets, lock=False, compute=False)
                with stage.dask():
                    _, done, in_source = engine.compute(store, sums(), in_source)
                done = finish(done)
            else:  # bounded memory: window by window, partial sums combined exactly
                done = store_in_windows(engine.compute, sources, targets, windows, sums, stage, finish)
                (in_source,) = engine.compute(in_source)
    except BaseException as exc:
        _close(targets, datasets)
        error = input_read_error(exc, [p for i in inputs.sources.values() for p in i.paths], staging)
        if error is not None:
            raise error from None
        raise
    finally:
        forget_blocks()  # the source-grid blocks this run kept (scsmap.inputs.once)
    for ds in datasets:
        ds.close()
    counts = {
        k: {"valid_pixels_source": int(in_source[k]), "valid_pixels_grid": int(done["grid"][k])} for k in inputs.counts
    }
    trajectory = {"sums": done["trajectory"], "layers": traj} if traj else None
    region = flat_moments(done["region"])
    return Computed(products, specs, done["pixels"], region, done["curve"] or None, counts, trajectory)


#: tile size of the staging files' first overview levels: a chunk of 512 or 1024 pixels on a side (the
#: default) makes whole tiles of it
OVERVIEW_TILE = 256


def _kernel_uses(
    model: Model, tree: dict[str, Any], products: list[Product], masked: bool, first_level: bool
) -> list[str]:
    """What this run computes with compiled kernels (:data:`scsmap.pipeline.kernels.KERNEL_USES`): the stack layers
    the model made for it (and the GSOCseq warm-up when it has a warm-up climate), the MAOC capacity when the model
    made it with the compiled kernel, the IPCC climate zones and soil classes (the latter from texture: a WRB layer
    is mapped in numpy), the land-use classes (of a land-cover layer) and slope (of an elevation layer) it made, the
    products' pixel statistics, the region's area, the continuous products' written blocks, the masked blocks when a
    product is masked (``masked``), the first overview levels of continuous products (``first_level``), the
    trajectory and the zonal sums when the run takes them."""
    derived = model.derived
    continuous = any(not p.is_class_map for p in products)
    uses = [s.value for s in Stack if s.value in model.resolved] + ["pixel statistics", "region area"]
    warm_up = Stack.GSOCSEQ.value in model.resolved and derived.has_input("temperature_warmup")
    uses += ["gsocseq warm-up"] if warm_up else []
    uses += ["written blocks"] if continuous else []
    uses += ["masked blocks"] if masked else []
    uses += ["overviews"] if first_level and continuous else []
    uses += ["saturation capacity"] if "saturation_capacity" in model.resolved and model.capacity_compiled() else []
    uses += ["ipcc climate zones"] if "ipcc_climate_zone" in model.resolved else []
    uses += ["ipcc soil classes"] if "ipcc_soil_class" in model.resolved and not derived.has_input("wrb") else []
    uses += ["land-use classes"] if "land_use" in model.resolved and not derived.has_input("land_use") else []
    uses += ["slope"] if "slope" in model.resolved and not derived.has_input("slope") else []
    uses += ["trajectory"] if tree["trajectory"] else []
    return uses + (["zonal sums"] if tree["region"].get("moments") else [])


def _close(targets: list, datasets: list) -> None:
    """Close the staging files of a failed computation; dask's threads may still be writing blocks,
    so the targets close under their writers' lock."""
    for close in [getattr(t, "close", None) for t in targets] + [ds.close for ds in datasets]:
        try:
            if close is not None:
                close()
        except Exception:  # pragma: no cover - best effort
            pass
