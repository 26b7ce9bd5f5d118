"""Every file a region's maps depend on, for incremental builds (``scsmap inputs``, the Makefile)."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from ..config import Config, input_paths


def config_chain(path: str | os.PathLike) -> list[Path]:
    """The config file and every file it ``extends:``, in order (``${VAR}`` expanded)."""
    from ..config.load import expand_env

    out: list[Path] = []
    p = Path(path).resolve()
    while p.is_file() and p not in out:
        out.append(p)
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        parent = data.get("extends") if isinstance(data, dict) else None
        if not isinstance(parent, str):
            break
        p = (p.parent / expand_env(parent)).resolve()
    return out


def _local(p) -> Path | None:
    s = str(p)
    if s.startswith("zip://"):
        s = s.removeprefix("zip://").split("!")[0]
    elif s.startswith(("/vsi", "http://", "https://", "s3://")):
        return None
    return Path(s)


def dependency_files(cfg: Config) -> list[Path]:
    """Local files a run of ``cfg`` reads: config chain, inputs, boundary, admin units, tables.

    Shapefiles bring their ``.shp/.shx/.dbf/.prj`` siblings. Remote paths are left out.
    """
    files: list[Path] = list(config_chain(cfg.source)) if cfg.source else []
    for spec in cfg.inputs.values():
        files += [p for q in input_paths(spec) if (p := _local(q)) is not None]
    b = cfg.region.boundary
    files += [p for q in ((b.path, b.countries) if b else ()) if q is not None and (p := _local(q)) is not None]
    files += [p for u in cfg.statistics.admin if (p := _local(u.path)) is not None]
    if cfg.tables.land_cover_reclass.endswith(".csv"):
        files.append(Path(cfg.tables.land_cover_reclass))
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
