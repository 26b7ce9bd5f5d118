"""The run: config → grid → aligned inputs → products → COGs, manifest and reports.

:func:`run` is the only entry point the CLI and the Makefile use. It computes all
products in one dask graph (each input is read and warped once), writes them into
a staging directory next to the outputs and moves them into place only when every
file is complete, so that a failed run leaves existing outputs untouched and no
half-written file under a final name.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import rasterio.errors
import xarray as xr

from .. import __version__
from ..config import Config
from ..errors import ConfigError, InputError, OutputError
from ..inputs.align import AlignedInputs, assemble_inputs
from ..inputs.derive import Derived
from ..io.gdal_env import gdal_env
from ..io.manifest import ALIGNMENT, MANIFEST, read_manifest, write_json
from ..io.read import CORRUPT_HINT
from ..io.write import RasterSpec, class_codes, disk_full, finish_stats, open_tiled, set_statistics, sha256, to_cog
from ..layers.abatement import curve_layers, curve_terms
from ..layers.keys import Select, Stack
from ..layers.model import Model
from ..outputs.abatement import CURVE_CSV, write_curve
from ..outputs.stac import write_stac
from ..products import PRODUCTS, Product, Summary, as_written
from ..products.styles import legend_for, qml_path, write_qml
from ..rules.ghg import CO2_PER_C
from .resume import clean_stale_staging, input_checksums, new_staging, resume_key, reusable_entries, same_run
from .scheduler import open_engine
from .windows import plan_windows, store_in_windows

log = logging.getLogger("scsmap")


@dataclass
class RunResult:
    """What a run wrote and its headline numbers."""

    out_dir: Path
    manifest: dict[str, Any]
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def summary(self) -> dict[str, Any]:
        return self.manifest["summary"]


def select_products(cfg: Config, model: Model) -> tuple[list[Product], dict[str, str]]:
    """Products to write: those asked for (or all), minus those whose inputs are missing.

    Raises
    ------
    ConfigError
        An unknown product id, or an explicitly requested product that cannot be made.
    """
    wanted = cfg.outputs.products
    if wanted is not None:
        unknown = [p for p in wanted if p not in PRODUCTS]
        if unknown:
            import difflib

            hints = [
                f"{p!r}" + (f" (did you mean {m[0]!r}?)" if (m := difflib.get_close_matches(p, PRODUCTS, 1)) else "")
                for p in unknown
            ]
            raise ConfigError(f"outputs.products: unknown product(s) {', '.join(hints)}; known: {', '.join(PRODUCTS)}")
    chosen, skipped = [], {}
    for pid, product in PRODUCTS.items():
        if wanted is not None and pid not in wanted:
            continue
        reason = model.missing_source(product.source)
        if reason:
            if wanted is not None:
                raise ConfigError(f"outputs.products: {pid} cannot be made: {reason}")
            skipped[pid] = reason
        else:
            chosen.append(product)
    if not chosen:
        raise ConfigError(
            "no product can be made from the configured inputs: " + "; ".join(f"{k}: {v}" for k, v in skipped.items())
        )
    return chosen, skipped


def _partials(arr: da.Array, total: int) -> dict[str, Any]:
    ok = da.isfinite(arr)
    x = da.where(ok, arr, 0).astype("f8")
    return {
        "count": ok.sum(),
        "sum": x.sum(),
        "sumsq": (x * x).sum(),
        "total": total,
        "min": da.nanmin(arr),
        "max": da.nanmax(arr),
    }


def _summary_terms(inputs: AlignedInputs, cfg: Config, arrays: dict[str, xr.DataArray]):
    area = inputs.cell_area.data
    terms: dict[str, Any] = {"region_area_ha": da.where(inputs.mask.data, area, 0).sum()}
    if "soc_t0" in arrays:
        soc = arrays["soc_t0"].data
        ok = da.isfinite(soc)
        terms["valid_area_ha"] = da.where(ok, area, 0).sum()
        terms["soc_area_sum"] = da.where(ok, soc * area, 0).sum()
    for pid in ("target_4p1000", "saturation_ratio", "saturation_capacity", "saturation_deficit"):
        if pid in arrays:
            v = arrays[pid].data
            ok = da.isfinite(v)
            terms[f"{pid}_area"] = da.where(ok, area, 0).sum()
            terms[f"{pid}_area_sum"] = da.where(ok, v.astype("f8") * area, 0).sum()
    for pid, arr in arrays.items():
        v = arr.data
        role = PRODUCTS[pid].summary if pid in PRODUCTS else None
        if role in (Summary.RATE, Summary.CO2E) and pid != "target_4p1000":
            ok = da.isfinite(v)
            terms[f"{pid}_area"] = da.where(ok, area, 0).sum()
            terms[f"{pid}_area_sum"] = da.where(ok, v.astype("f8") * area, 0).sum()
        elif role is Summary.SUITABLE_AREA:
            terms[f"{pid}_ha"] = [da.where(v == k, area, 0).sum() for k in (1, 2)]
        elif pid == "best_practice":
            terms["best_practice_ha"] = {
                code: da.where(v == code, area, 0).sum() for code, _, _ in PRODUCTS[pid].class_labels()
            }
    if "mac:code" in arrays:
        terms.update(curve_terms(arrays, area))
    if "rate_best" in arrays and "soc_t0" in arrays:
        rb, soc = arrays["rate_best"].data, arrays["soc_t0"].data
        ok = da.isfinite(rb) & da.isfinite(soc)
        terms["share_num"] = da.where(ok, rb * area, 0).sum()
        terms["share_den"] = da.where(ok, cfg.parameters.rate_4p1000 * soc * area, 0).sum()
    return terms


def _finish_practices(t: dict[str, Any], s: dict[str, Any]) -> None:
    """Practice headline numbers: mean and total rates, suitable areas, best-practice shares, 4p1000 share."""
    for key in [
        k for k in t if k.startswith(("rate_", "n2o_", "net_ghg_", "abatement_at_price")) and k.endswith("_area")
    ]:
        pid = key.removesuffix("_area")
        a, total = float(t[key]), float(t[f"{pid}_area_sum"])
        if pid.startswith("rate_"):  # t C; also in CO2 (44/12, methods §8.1)
            s[f"{pid}_mean_t_ha_yr"] = total / a if a else None
            s[f"{pid}_total_Mt_yr"] = total / 1e6
            s[f"{pid}_total_Mt_CO2_yr"] = total * CO2_PER_C / 1e6
        else:  # t CO2e
            s[f"{pid}_mean_t_CO2e_ha_yr"] = total / a if a else None
            s[f"{pid}_total_Mt_CO2e_yr"] = total / 1e6
    for key in [k for k in t if k.startswith("suitability_") and k.endswith("_ha")]:
        pid = key.removeprefix("suitability_").removesuffix("_ha")
        s[f"{pid}_conditional_ha"], s[f"{pid}_suitable_ha"] = (float(x) for x in t[key])
    if "best_practice_ha" in t:
        areas = {k: float(v) for k, v in t["best_practice_ha"].items()}
        total = sum(areas.values())
        names = {code: name for code, name, _ in PRODUCTS["best_practice"].class_labels()}
        s["best_practice_share_percent"] = {names[k]: 100 * v / total for k, v in areas.items() if v} if total else {}
    if "share_den" in t and float(t["share_den"]):
        s["share_4p1000_national_percent"] = 100 * float(t["share_num"]) / float(t["share_den"])


def _finish_summary(t: dict[str, Any]) -> dict[str, Any]:
    s: dict[str, Any] = {"region_area_ha": float(t["region_area_ha"])}
    if "valid_area_ha" in t:
        va = float(t["valid_area_ha"])
        s["valid_area_ha"] = va
        s["soc_stock_mean_t_ha"] = float(t["soc_area_sum"]) / va if va else None
        s["soc_stock_total_Mt"] = float(t["soc_area_sum"]) / 1e6
    for pid, key in (
        ("target_4p1000", "target_4p1000_mean_t_ha_yr"),
        ("saturation_ratio", "saturation_ratio_mean_percent"),
        ("saturation_capacity", "saturation_capacity_mean_t_ha"),
        ("saturation_deficit", "saturation_deficit_mean_t_ha"),
    ):
        if f"{pid}_area" in t:
            a = float(t[f"{pid}_area"])
            s[key] = float(t[f"{pid}_area_sum"]) / a if a else None
    if "target_4p1000_area_sum" in t:
        s["target_4p1000_total_Mt_yr"] = float(t["target_4p1000_area_sum"]) / 1e6
        s["target_4p1000_total_Mt_CO2_yr"] = float(t["target_4p1000_area_sum"]) * CO2_PER_C / 1e6
    _finish_practices(t, s)
    return s


def _check_out_dir(out_dir: Path, names: list[str], overwrite: bool) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot create output directory {out_dir}: {exc.strerror}",
            "choose another directory with --out or outputs.dir",
        ) from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise OutputError(
            f"output directory {out_dir} is not writable", "choose another directory with --out or outputs.dir"
        )
    existing = [n for n in names if (out_dir / n).exists()]
    if existing and not overwrite:
        shown = ", ".join(existing[:5]) + (" ..." if len(existing) > 5 else "")
        raise OutputError(
            f"outputs exist already in {out_dir}: {shown}",
            "pass --overwrite (or outputs.overwrite: true) to replace them, or choose --out",
        )


def run(
    cfg: Config,
    out_dir: str | os.PathLike | None = None,
    overwrite: bool | None = None,
    progress: bool = False,
    scheduler: str | None = None,
    resume: bool = False,
) -> RunResult:
    """Run a region: write every product, the manifest and the alignment report.

    Parameters
    ----------
    cfg : Config
        Validated configuration (:func:`scsmap.config.load_config`).
    out_dir : path-like, optional
        Overrides ``outputs.dir``.
    overwrite : bool, optional
        Overrides ``outputs.overwrite``.
    progress : bool
        Show a progress bar on stderr during the computation (threaded scheduler).
    scheduler : str, optional
        Overrides ``compute.scheduler``: ``threads``, ``processes`` or a dask scheduler
        address (:mod:`scsmap.scheduler`). Outputs are the same whichever runs them.
    resume : bool
        Keep the products whose file and manifest entry match this run's resume key
        (config digest and input checksums, :mod:`scsmap.resume`) and compute only the
        others. Implies that ``manifest.json`` and ``alignment_report.json`` may be replaced.

    Returns
    -------
    RunResult

    Raises
    ------
    ConfigError, InputError, OutputError
        With a message naming the file, layer or config field. Nothing already in
        ``out_dir`` is changed when an error is raised.
    """
    # odc-geo warps numpy blocks with explicit transforms; rasterio still warns about them
    warnings.filterwarnings("ignore", category=rasterio.errors.NotGeoreferencedWarning)
    out = Path(out_dir) if out_dir is not None else cfg.output_dir
    overwrite = cfg.outputs.overwrite if overwrite is None else overwrite

    log.info("reading and checking %d input layer(s)", len(cfg.inputs))
    inputs = assemble_inputs(cfg)
    model = Model(cfg, Derived(cfg, inputs))
    products, skipped = select_products(cfg, model)
    for pid, why in skipped.items():
        log.info("skipping %s: %s", pid, why)
    checksums = input_checksums(cfg)
    keys = {p.id: resume_key(cfg.digest(), checksums, p.id) for p in products}
    previous = read_manifest(out / MANIFEST) if resume else None
    reused = reusable_entries(out, previous, keys, {p.id: p.filename(cfg) for p in products}) if previous else {}
    if reused and len(reused) == len(products):
        log.info("resume: all %d product(s) in %s are up to date", len(products), out)
        return RunResult(out_dir=out, manifest=previous, skipped=skipped)
    todo = [p for p in products if p.id not in reused]
    ours = same_run(previous, keys)
    names = [p.filename(cfg) for p in todo if p.id not in ours] + ([] if resume else [MANIFEST, ALIGNMENT])
    sidecars = [qml_path(p.filename(cfg)).name for p in todo]
    _check_out_dir(out, names, overwrite)
    clean_stale_staging(out)
    for pid in reused:
        log.info("resume: keeping %s", pid)
    gb = inputs.geobox
    log.info(
        "grid %s x %s pixels (%s), chunks %s",
        gb.shape.y,
        gb.shape.x,
        f"EPSG:{gb.crs.epsg}" if gb.crs.epsg else "custom CRS",
        inputs.chunks,
    )

    arrays = {p.id: model.layer(p.source).where(inputs.mask) for p in todo}
    written = {p.id: as_written(p, cfg) for p in todo}  # ghg.rate_units: t C or t CO2 in the files
    writes_ghg = any(isinstance(p.source, Select) and p.source.stack is Stack.GHG for p in todo)
    todo = [written[p.id][0] for p in todo]
    summary_layers = {**arrays, **curve_layers(model, inputs.mask, writes_ghg)}
    staging = new_staging(out)
    datasets, targets = [], []
    stack = contextlib.ExitStack()
    try:
        sources, partials, spec_nodata, values = [], {}, {}, {}
        total = int(np.prod(gb.shape.yx))
        provenance = {f"SOURCE_{k}": v for k, v in sorted(model.provenance.items())}
        engine = stack.enter_context(open_engine(cfg.compute, scheduler))
        for p in todo:
            nodata = p.nodata if p.is_class_map else cfg.outputs.nodata
            needs = model.needs_source(p.source)
            spec = RasterSpec(
                path=staging / (p.filename(cfg) + ".tmp.tif"),
                dtype=p.dtype,
                nodata=nodata,
                description=p.long_name,
                units=p.units,
                tags={
                    "PRODUCT_ID": p.id,
                    "UNITS": p.units,
                    "REGION": cfg.region.name,
                    "ISO3": cfg.region.iso3,
                    "SCSMAP_VERSION": __version__,
                    "CONFIG_SHA256": cfg.digest(),
                    "REFERENCES": p.references,
                    **{k: v for k, v in provenance.items() if k.removeprefix("SOURCE_") in needs},
                    **model.tags(p.tag_set, p.practice),
                },
                colormap=legend_for(p).colormap() if p.is_class_map else None,
                resampling="nearest" if p.is_class_map else "average",
            )
            spec_nodata[p.id] = nodata
            ds = open_tiled(spec, gb, cfg.outputs.tile_size, **engine.tiled_options)
            datasets.append((p, spec, ds))
            arr = arrays[p.id].data * written[p.id][1] if written[p.id][1] != 1 else arrays[p.id].data
            values[p.id] = arr
            partials[p.id] = _partials(arr, total)
            if p.is_class_map:
                arr = arr.map_blocks(class_codes, p.nodata, p.dtype, p.id, dtype=p.dtype)
            else:
                arr = da.where(da.isfinite(arr), arr, np.float32(nodata)).astype(p.dtype)
            sources.append(arr)
            targets.append(engine.target(ds))
        windows = plan_windows(sources[0].chunks, cfg.compute.pass_pixels) if sources else None
        log.info("computing %d product(s)%s", len(todo), f" in {len(windows)} windows" if windows else "")
        try:
            with _progress(progress and not engine.distributed):
                if windows is None:  # one pass: maps, statistics and summary together
                    store = da.store(sources, targets, lock=False, compute=False)
                    summary_terms = _summary_terms(inputs, cfg, summary_layers)
                    _, parts, terms, counts = engine.compute(store, partials, summary_terms, inputs.counts)
                else:  # bounded memory: window by window, partial sums combined exactly (scsmap.strips)

                    def sums(ys, xs):
                        view = _Window(mask=inputs.mask[ys, xs], cell_area=inputs.cell_area[ys, xs])
                        return {
                            "parts": {pid: _partials(a[ys, xs], total) for pid, a in values.items()},
                            "terms": _summary_terms(view, cfg, {k: a[ys, xs] for k, a in summary_layers.items()}),
                            "grid": {k: v[ys, xs].sum() for k, v in inputs.valid_grid.items()},
                        }

                    done = store_in_windows(engine.compute, sources, targets, windows, sums)
                    parts, terms = done["parts"], done["terms"]
                    (in_source,) = engine.compute({k: c["valid_pixels_source"] for k, c in inputs.counts.items()})
                    counts = {
                        k: {"valid_pixels_source": in_source[k], "valid_pixels_grid": done["grid"][k]}
                        for k in inputs.counts
                    }
        except rasterio.errors.RasterioIOError as exc:
            if disk_full(exc):
                raise
            files = (
                ", ".join(p for i in inputs.sources.values() for p in i.paths if Path(p).name in str(exc))
                or "one of the input files"
            )
            raise InputError(f"reading {files} failed during the computation: {exc}", CORRUPT_HINT) from None
        for _, _, ds in datasets:
            ds.close()
        datasets, targets = [], []
        stack.close()  # shut a local cluster down before the COG conversion

        entries = {}
        stack.enter_context(gdal_env(engine.options))  # the run's GDAL cache for the COG conversion too
        for p in todo:
            tmp = staging / (p.filename(cfg) + ".tmp.tif")
            stats = finish_stats(parts[p.id])
            set_statistics(tmp, stats)
            final_tmp = staging / p.filename(cfg)
            to_cog(tmp, final_tmp, "nearest" if p.is_class_map else "average", cfg.outputs.tile_size)
            tmp.unlink()
            write_qml(legend_for(p), final_tmp)
            entries[p.id] = {
                "id": p.id,
                "path": p.filename(cfg),
                "long_name": p.long_name,
                "units": p.units,
                "dtype": p.dtype,
                "nodata": spec_nodata[p.id],
                "sha256": sha256(final_tmp),
                "statistics": stats,
                "valid_range": p.valid_range,
                "resume_key": keys[p.id],
            }
        counts = {k: {kk: int(vv) for kk, vv in v.items()} for k, v in counts.items()}
        alignment = inputs.alignment_report(counts)
        summary = _finish_summary(terms)
        if "mac_sums" in terms:
            summary.update(write_curve(terms, model.ghg_tables, staging))
            sidecars.append(CURVE_CSV)
        if reused:  # same config digest and inputs: the previous summary holds for the kept products
            summary = {**previous.get("summary", {}), **summary}
        summary["products_written"] = [p.id for p in products]
        manifest = {
            "scsmap_version": __version__,
            "region": {"name": cfg.region.name, "iso3": cfg.region.iso3, "id": cfg.region_id},
            "config": str(cfg.source) if cfg.source else None,
            "config_sha256": cfg.digest(),
            "grid": alignment["grid"],
            "products": [reused.get(p.id) or entries[p.id] for p in products],
            "skipped_products": skipped,
            "layer_sources": dict(sorted(model.provenance.items())),
            "summary": summary,
            "alignment_report": ALIGNMENT,
            "inputs_sha256": checksums,
        }
        write_json(staging / ALIGNMENT, alignment)
        write_json(staging / MANIFEST, manifest)
        # move into place: products first, the manifest last
        for name in [e["path"] for e in entries.values()] + sidecars + [ALIGNMENT, MANIFEST]:
            os.replace(staging / name, out / name)
    except BaseException as exc:
        # dask's threads may still be writing blocks of a failed computation: close under their lock
        for close in [getattr(t, "close", None) for t in targets] + [ds.close for _, _, ds in datasets]:
            try:
                if close is not None:
                    close()
            except Exception:  # pragma: no cover - best effort
                pass
        if disk_full(exc):
            raise OutputError(
                f"no space left on the file system of {out} while writing the outputs ({exc})",
                "free some space or choose another directory with --out; existing outputs were left as they were",
            ) from None
        raise
    finally:
        stack.close()
        shutil.rmtree(staging, ignore_errors=True)
    write_stac(out, manifest)
    return RunResult(out_dir=out, manifest=manifest, skipped=skipped)


@dataclass
class _Window:
    """The grid layers :func:`_summary_terms` reads, cut to one window."""

    mask: xr.DataArray
    cell_area: xr.DataArray


class _progress:
    def __init__(self, on: bool):
        self.on = on
        self.bar = None

    def __enter__(self):
        if self.on:
            from dask.diagnostics import ProgressBar

            self.bar = ProgressBar(out=sys.stderr, dt=0.2)
            self.bar.__enter__()
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)
        return False
