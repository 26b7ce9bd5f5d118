"""``scsmap build``: maps → statistics → report, each step only when it is out of date — make without make.

The Makefile's ``make <region>`` for users who never touch a Makefile (Windows, OSGeo4W, a notebook):

1. **maps** (``manifest.json``) are up to date when the manifest is newer than every file the run reads
   (:func:`scsmap.outputs.deps.dependency_files`: the config chain with the packaged defaults, inputs,
   boundary, admin units, tables) and records this config's digest and this scsmap version. Otherwise
   :func:`scsmap.pipeline.run` runs with ``resume``: products whose config digest and input checksums
   are unchanged are kept, the others computed (``overwrite``: scsmap's own earlier outputs in the folder
   are replaced, nothing else is touched — :mod:`scsmap.io.folder`). When every product is kept (a file
   touched but not changed), the manifest's time is set to now, so that the next build skips the check.
2. **statistics** (``stats.csv``) when missing or older than the manifest or a dependency.
3. **report** (``report.html``) when missing or older than ``stats.csv``, the manifest or a dependency.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..config import Config, load_config
from ..io.manifest import MANIFEST
from ..outputs.deps import dependency_files
from ..outputs.report import REPORT, write_report
from ..outputs.stats import STATS_CSV, write_stats
from ..progress import QUIET, Progress
from . import Run, run


@dataclass
class Step:
    """One step of a build.

    Attributes
    ----------
    name : {"maps", "statistics", "report"}
    path : Path
        The step's target file.
    made : bool
        True when the step ran, False when its target was up to date.
    why : str
        Why it ran (or "up to date").
    """

    name: str
    path: Path
    made: bool
    why: str


@dataclass
class Build:
    """What ``scsmap build`` did.

    Attributes
    ----------
    out_dir : Path
    steps : list of Step
        maps, statistics, report, in order.
    run : Run or None
        The run, when the maps step ran.
    """

    out_dir: Path
    steps: list[Step] = field(default_factory=list)
    run: Run | None = None


def _mtime(p: Path) -> float:
    return p.stat().st_mtime if p.exists() else float("-inf")


def _newest(files: list[Path]) -> tuple[float, Path | None]:
    best, which = float("-inf"), None
    for f in files:
        m = _mtime(f)
        if m > best:
            best, which = m, f
    return best, which


def maps_out_of_date(cfg: Config, out: Path, deps: list[Path]) -> str | None:
    """Why the maps of ``out`` must be (re)made; None when they are up to date.

    Parameters
    ----------
    cfg : Config
    out : Path
        The run's folder.
    deps : list of Path
        :func:`scsmap.outputs.deps.dependency_files` of ``cfg``.

    Returns
    -------
    str or None
    """
    manifest = out / MANIFEST
    if not manifest.is_file():
        return "no manifest.json yet"
    from ..io.manifest import load_manifest

    m: dict[str, Any] = load_manifest(out)
    if m.get("config_sha256") != cfg.digest():
        return "the config changed"
    if m.get("scsmap_version") != __version__:
        return f"made by scsmap {m.get('scsmap_version')}, this is {__version__}"
    newest, which = _newest(deps)
    if newest > _mtime(manifest):
        return f"{which} is newer than manifest.json"
    missing = [e["path"] for e in m.get("products", []) if not (out / e["path"]).is_file()]
    if missing:
        return f"{missing[0]} is missing"
    return None


def _stale(target: Path, sources: list[Path]) -> str | None:
    if not target.is_file():
        return f"no {target.name} yet"
    newest, which = _newest(sources)
    if newest > _mtime(target):
        return f"{which.name if which else '?'} is newer than {target.name}"
    return None


def build(
    config: Config | str | os.PathLike,
    out: str | os.PathLike | None = None,
    *,
    overrides: Any = None,
    progress: bool | Progress = False,
    scheduler: str | None = None,
    force: bool = False,
) -> Build:
    """Maps, statistics and report of a region, each only when out of date (``scsmap build``).

    Parameters
    ----------
    config : Config or path-like
        A loaded config or a region YAML file.
    out : path-like, optional
        The output folder (default ``outputs.dir``, else ``out/<config name>``).
    overrides : mapping, optional
        With a config path: values set after loading (:func:`scsmap.config.load_config`).
    progress : bool or Progress
        Show the progress of every step (the run's stages, the statistics' windows, the report's maps) on stderr,
        as :func:`scsmap.pipeline.run` does.
    scheduler : str, optional
        ``threads``, ``processes`` or a dask scheduler address (:func:`scsmap.pipeline.run`).
    force : bool
        Make every step again (the maps without ``resume``).

    Returns
    -------
    Build

    Raises
    ------
    ConfigError, InputError, OutputError
        As :func:`scsmap.pipeline.run`, :func:`scsmap.outputs.stats.write_stats` and
        :func:`scsmap.outputs.report.write_report`; the steps before the failing one keep their files.
    """
    cfg = config if isinstance(config, Config) else load_config(config, overrides=overrides)
    dest = Path(out) if out is not None else cfg.output_dir
    deps = dependency_files(cfg)
    result = Build(out_dir=dest)

    if isinstance(progress, Progress):  # the caller's display, closed by the caller
        _build_steps(cfg, dest, deps, result, progress, scheduler, force)
    else:
        with Progress() if progress else QUIET as prog:
            _build_steps(cfg, dest, deps, result, prog, scheduler, force)
    return result


def _build_steps(
    cfg: Config, dest: Path, deps: list[Path], result: Build, prog: Progress, scheduler: str | None, force: bool
) -> None:
    """The three steps of :func:`build`, each when out of date, recorded in ``result``."""
    manifest = dest / MANIFEST
    why = "forced" if force else maps_out_of_date(cfg, dest, deps)
    if why:
        before = _mtime(manifest)
        result.run = run(cfg, dest, overwrite=True, resume=not force, progress=prog, scheduler=scheduler)
        if _mtime(manifest) == before:  # every product kept (same digest and checksums): checked now, as make
            os.utime(manifest)  # would after its recipe, so that the next build does not check again
            why += "; every product was up to date (checksums)"
    result.steps.append(Step("maps", manifest, bool(why), why or "up to date"))

    why = "forced" if force else _stale(dest / STATS_CSV, [manifest, *deps])
    if why:
        write_stats(cfg, dest, progress=prog)
    result.steps.append(Step("statistics", dest / STATS_CSV, bool(why), why or "up to date"))

    why = "forced" if force else _stale(dest / REPORT, [dest / STATS_CSV, manifest, *deps])
    if why:
        write_report(cfg, dest, progress=prog)
    result.steps.append(Step("report", dest / REPORT, bool(why), why or "up to date"))
