"""Every file a region's maps depend on, for incremental builds (``scsmap inputs``, the Makefile)."""

from __future__ import annotations

from pathlib import Path

from ..config import Config, input_paths
from ..config.load import config_chain, local_path


def dependency_files(cfg: Config) -> list[Path]:
    """Local files a run of ``cfg`` reads: config chain, inputs, boundary, admin units, tables.

    Shapefiles bring their ``.shp/.shx/.dbf/.prj`` siblings. Remote paths are left out.
    """
    files: list[Path] = list(config_chain(cfg.source)) if cfg.source else []
    for spec in cfg.inputs.values():
        files += [p for q in input_paths(spec) if (p := local_path(q)) is not None]
    b = cfg.region.boundary
    files += [p for q in ((b.path, b.countries) if b else ()) if q is not None and (p := local_path(q)) is not None]
    files += [p for u in cfg.statistics.admin if (p := local_path(u.path)) is not None]
    if cfg.land_cover_legend.lower().endswith(".csv"):
        files.append(Path(cfg.land_cover_legend))
    out: list[Path] = []
    for f in files:
        group = [f] + ([f.with_suffix(s) for s in (".shx", ".dbf", ".prj")] if f.suffix.lower() == ".shp" else [])
        out += [g.resolve() for g in group if g.exists() and g.resolve() not in out]
    return out


def make_rule(target: str, files: list[Path]) -> str:
    """A Makefile rule ``target: file ...`` (spaces in paths escaped), plus an empty rule per file
    (as ``gcc -MP`` writes) so that a file the config no longer reads does not stop make."""
    names = [str(f).replace(" ", "\\ ") for f in files]
    deps = " \\\n  ".join(names)
    return f"{target}: \\\n  {deps}\n" + "".join(f"\n{n}:" for n in names) + "\n"
