"""The run: plan → compute → write → commit (:mod:`.plan`, :mod:`.compute`, :mod:`.commit`).

:func:`run` is the only entry point the CLI and the Makefile use. It computes all products
in one dask graph (each input is read and warped once), writes them into a staging folder
next to the outputs and moves them into place only when every file is complete, so that a
failed run leaves existing outputs untouched and no half-written file under a final name.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Config, load_config
from ..errors import OutputError
from ..io.failures import quiet_georeference_warnings
from ..io.folder import STAC_DIR, commit_files, link_into, locked, new_staging, terminated_as_interrupt
from ..io.gdal_env import gdal_env
from ..io.manifest import ALIGNMENT, MANIFEST, write_json
from ..io.write import disk_full
from ..outputs.abatement import CURVE_CSV, write_curve
from ..outputs.qgis_project import project_name, write_project
from ..outputs.stac import write_stac
from ..outputs.trajectory import TRAJECTORY_CSV, write_trajectory
from ..progress import QUIET, Progress
from .commit import currency_of, sidecars, write_products
from .compute import compute_run
from .heap import base_pages, frozen_heap
from .manifest import build_manifest, region_summary
from .plan import Plan, claim_folder, make_plan, select_products
from .scheduler import graph_settings, open_engine

__all__ = ["Plan", "Run", "RunResult", "run", "select_products"]


@dataclass(repr=False)
class Run:
    """What a run wrote and its headline numbers (``scsmap.run`` returns it).

    Attributes
    ----------
    out_dir : Path
        The run's output folder.
    manifest : dict
        The run's ``manifest.json``: every product with units, nodata, dtype, sha256 and statistics,
        the config digest, the summary.
    skipped : dict of str to str
        Product id → why the region's inputs cannot make it.

    Examples
    --------
    >>> r = scsmap.run("configs/regions/demo.yaml", out="out/demo")  # doctest: +SKIP
    >>> r.summary["soc_stock_total_Mt"]  # doctest: +SKIP
    >>> ds = r.open()  # the maps as a lazy xarray.Dataset  # doctest: +SKIP
    """

    out_dir: Path
    manifest: dict[str, Any]
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def summary(self) -> dict[str, Any]:
        """The manifest's summary: the region's area-weighted headline numbers (units in the key names)."""
        return self.manifest["summary"]

    @property
    def products(self) -> list[str]:
        """The ids of the products in the folder, in registry order."""
        return [e["id"] for e in self.manifest.get("products", [])]

    def open(self, chunks: int = 512) -> Any:
        """The products as one lazy ``xarray.Dataset`` (:func:`scsmap.outputs.dataset.open_run`).

        Parameters
        ----------
        chunks : int
            dask chunk size in y and x.

        Returns
        -------
        xarray.Dataset
            One variable per product, dims (y, x), units and long names as attributes, class maps with
            ``flag_values`` / ``flag_meanings``.
        """
        from ..outputs.dataset import open_run

        return open_run(self.out_dir, chunks=chunks)

    def __repr__(self) -> str:
        region = self.manifest.get("region", {})
        return (
            f"Run({region.get('name', '?')!r}, out_dir={str(self.out_dir)!r}, {len(self.products)} products, "
            f"{len(self.skipped)} skipped)"
        )


#: the name used before ``Run``
RunResult = Run


def run(
    config: Config | str | os.PathLike,
    out: str | os.PathLike | None = None,
    overwrite: bool | None = None,
    progress: bool | Progress = False,
    scheduler: str | None = None,
    resume: bool = False,
    allow_nonempty: bool = False,
    *,
    out_dir: str | os.PathLike | None = None,
    overrides: Any = None,
) -> Run:
    """Run a region: write every product, the manifest, the alignment report and the STAC catalogue.

    Parameters
    ----------
    config : Config or path-like
        A validated configuration (:func:`scsmap.config.load_config`) or the path of a region YAML file
        (loaded with ``overrides``).
    out : path-like, optional
        The output folder; overrides ``outputs.dir`` (default ``out/<config name>``). ``out_dir=`` is the
        same (the keyword before ``out``).
    overwrite : bool, optional
        Overrides ``outputs.overwrite``: replace the outputs of a previous scsmap run in the folder.
    progress : bool or Progress
        Show a labelled progress display on stderr over every stage (inputs, compute, statistics, COG,
        styles, checksums, QGIS project, STAC, commit): True for the default display
        (:class:`scsmap.progress.Progress`: live in a terminal, plain lines in a log).
    scheduler : str, optional
        Overrides ``compute.scheduler``: ``threads``, ``processes`` or a dask scheduler address
        (:mod:`scsmap.pipeline.scheduler`). Outputs are the same whichever runs them.
    resume : bool
        Keep the products whose file and manifest entry match this run's resume key (config
        digest and input checksums, :mod:`scsmap.pipeline.resume`) and compute only the others.
        Implies that ``manifest.json`` and ``alignment_report.json`` may be replaced.
    allow_nonempty : bool
        Write into a non-empty folder that holds no scsmap run (its files are never touched).
    out_dir : path-like, optional
        Same as ``out``.
    overrides : mapping or sequence of Override, optional
        With a config path: values set after loading (:func:`scsmap.config.load_config`), e.g.
        ``{"grid.resolution": 0.01}``.

    Returns
    -------
    Run

    Raises
    ------
    ConfigError, InputError, OutputError
        With a message naming the file, layer or config field. Nothing already in ``out``
        is changed when an error is raised; an interrupted commit is rolled back or completed by
        the next scsmap command in the folder (:mod:`scsmap.io.folder`).
    TypeError
        ``out`` and ``out_dir`` both given, or ``overrides`` with an already loaded Config.

    Examples
    --------
    >>> import scsmap  # doctest: +SKIP
    >>> r = scsmap.run("configs/regions/demo.yaml", out="out/demo")  # doctest: +SKIP
    >>> r.open()["soc_t0"].mean().item()  # mean SOC stock, t ha-1  # doctest: +SKIP
    """
    if out is not None and out_dir is not None and Path(out) != Path(out_dir):
        raise TypeError("give the output folder once: out= (or out_dir=)")
    if isinstance(config, Config):
        if overrides:
            raise TypeError("overrides apply to a config file: scsmap.load_config(path, overrides=...)")
        cfg = config
    else:
        cfg = load_config(config, overrides=overrides)
    quiet_georeference_warnings()
    prog = progress if isinstance(progress, Progress) else (Progress() if progress else QUIET)
    target = out if out is not None else out_dir
    out = Path(target) if target is not None else cfg.output_dir
    stage = prog.stage("inputs", detail=f"{len(cfg.inputs)} layers read and checked")
    with stage, graph_settings(), frozen_heap(), base_pages():
        plan = make_plan(cfg, out, allow_nonempty)
    with locked(out, "run"), terminated_as_interrupt():
        claim_folder(plan, cfg.outputs.overwrite if overwrite is None else overwrite, resume, allow_nonempty)
        if plan.up_to_date:
            return Run(out_dir=out, manifest=plan.previous or {}, skipped=plan.skipped)
        staging = new_staging(out)
        try:
            with open_engine(cfg.compute, scheduler) as engine, graph_settings(), frozen_heap(), base_pages():
                computed = compute_run(plan, engine, staging, prog)
            with gdal_env(engine.options):  # the run's GDAL cache for the COG conversion too
                entries = write_products(plan, computed, staging, prog)
            summary = region_summary(computed)
            if computed.curve:
                summary.update(write_curve(computed.curve, plan.model.ghg_tables, staging))
            if computed.trajectory:
                summary.update(write_trajectory(computed.trajectory["sums"], computed.trajectory["layers"], staging))
            alignment = plan.inputs.alignment_report(computed.counts)
            kept = [n for e in plan.reused.values() for n in (e["path"], *sidecars(e["path"], e["dtype"] == "uint8"))]
            link_into(staging, out, kept)  # the kept products too: the staging folder is the complete new run
            files = [n for p in plan.products for n in (p.filename(cfg), *sidecars(p.filename(cfg), p.is_class_map))]
            files += [CURVE_CSV] * bool(computed.curve) + [TRAJECTORY_CSV] * bool(computed.trajectory)
            files += [project_name(cfg), STAC_DIR, ALIGNMENT, MANIFEST]
            manifest = build_manifest(
                plan, entries, summary, alignment["grid"], files=files, currency=currency_of(plan, plan.products)
            )
            write_json(staging / ALIGNMENT, alignment)
            write_json(staging / MANIFEST, manifest)
            with prog.stage("QGIS project", detail=project_name(cfg)):
                write_project(staging, manifest, project_name(cfg))
            with prog.stage("STAC", detail=f"{len(manifest['products'])} items"):
                write_stac(staging, manifest)
            with prog.stage("commit", detail=str(out)):
                commit_files(out, staging, files, remove=plan.owned - set(files))
        except BaseException as exc:
            if disk_full(exc, out):
                raise OutputError(
                    f"no space left on the file system of {out} while writing the outputs (the run needs up to about "
                    f"{plan.output_bytes() / 1e9:.2g} GB there, uncompressed; {exc})",
                    "free some space or choose another directory with --out; existing outputs were left as they were",
                ) from None
            raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return Run(out_dir=out, manifest=manifest, skipped=plan.skipped)
