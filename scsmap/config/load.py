"""Loading a region config: YAML files, ``extends:`` chains, paths, overrides, clear errors.

A region config is a YAML file that overrides what the region needs: its boundary,
its input layers (each with the units its file stores), how missing soil properties
are filled, and where the outputs go. Every config chain starts from the packaged
defaults (``scsmap/data/defaults.yaml``, :data:`PACKAGED_DEFAULTS`); a config may
``extends:`` a parent file of its own (e.g. a country's shared settings), which
itself starts from them. :func:`load_config` merges the files, resolves relative paths and
validates everything at once (:mod:`scsmap.config.schema`), so that ``scsmap
validate`` can report *every* problem with its YAML path and a hint.

Relative input paths are resolved against ``data_dir`` when it is set, else
against the directory of the config file; ``data_dir`` itself is relative to the
config file that declares it. ``${VAR}`` and ``${VAR:-default}`` are expanded in
paths from the environment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ..errors import ConfigError
from .catalogue import LAYERS
from .schema import REMOTE_PREFIXES, Config, FillConfig, InputConfig, check_month_pattern, did_you_mean
from .units import check_units
from .yaml_files import load_yaml_text, read_config_file, short_repr

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand_env(value: str) -> str:
    """Expand ``${VAR}`` and ``${VAR:-default}`` from the environment.

    The default applies also when VAR is set but empty (shell semantics); an unset VAR without a
    default expands to the empty string.

    Parameters
    ----------
    value : str
        A path or other config string.

    Returns
    -------
    str
    """
    return _ENV.sub(lambda m: os.environ.get(m.group(1)) or (m.group(2) or ""), value)


def _read_yaml(path: Path) -> dict[str, Any]:
    data = read_config_file(path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys, not {type(data).__name__}")
    return data


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _anchor_paths(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """Make the paths a file declares absolute relative to that file (before merging)."""
    data = dict(data)
    if isinstance(data.get("data_dir"), str):
        data["data_dir"] = str((base / expand_env(data["data_dir"])).resolve())
    tables = data.get("tables")
    if isinstance(tables, dict):
        data["tables"] = {
            k: (_anchor_one(v, base, None) if isinstance(v, str) and v.endswith(".csv") else v)
            for k, v in tables.items()
        }
    inputs = data.get("inputs")
    if isinstance(inputs, dict):
        lc = inputs.get("land_cover")
        if isinstance(lc, dict) and isinstance(lc.get("legend"), str) and lc["legend"].lower().endswith(".csv"):
            data["inputs"] = {**inputs, "land_cover": {**lc, "legend": _anchor_one(lc["legend"], base, None)}}
    return data


def local_path(p: str | Path) -> Path | None:
    """The local file behind a data path: the path itself, the archive of a ``zip://...!...`` path,
    or None for a remote path (URL, object store, GDAL virtual file system) that cannot be checked or hashed."""
    s = str(p)
    if s.startswith("zip://"):
        return Path(s.removeprefix("zip://").split("!")[0])
    if s.startswith(REMOTE_PREFIXES):
        return None
    return Path(s)


#: the packaged defaults, the root of every config chain (inside the installed package)
PACKAGED_DEFAULTS = "defaults.yaml"


def packaged_defaults_path() -> Path:
    """The packaged defaults file (``scsmap/data/defaults.yaml`` of the installed package).

    Returns
    -------
    pathlib.Path
    """
    return Path(str(resources.files("scsmap.data").joinpath(PACKAGED_DEFAULTS)))


def packaged_defaults() -> dict[str, Any]:
    """The packaged defaults as a mapping (read on each call; a config is loaded once per command).

    Returns
    -------
    dict

    Raises
    ------
    ConfigError
        The installed file is not a YAML mapping (a broken installation).
    """
    return _read_yaml(packaged_defaults_path())


def config_chain(path: str | os.PathLike[str]) -> list[Path]:
    """The config file, every file it ``extends:``, in order (``${VAR}`` expanded), and the packaged defaults last.

    Raises
    ------
    ConfigError
        A file of the chain cannot be read (:func:`scsmap.config.yaml_files.read_config_file`).
    """
    out: list[Path] = []
    p = Path(path).resolve()
    while p.is_file() and p not in out:
        out.append(p)
        data = read_config_file(p) or {}
        parent = data.get("extends") if isinstance(data, dict) else None
        if not isinstance(parent, str):
            break
        p = (p.parent / expand_env(parent)).resolve()
    defaults = packaged_defaults_path()
    if defaults.is_file() and defaults.resolve() not in out:
        out.append(defaults.resolve())
    return out


def _anchor_one(p: str, base: Path, data_dir: str | None) -> str:
    p = expand_env(p)
    if p.startswith(("zip://", *REMOTE_PREFIXES)) or os.path.isabs(p):
        return p
    return str(((Path(data_dir) if data_dir else base) / p).resolve())


def load_raw(path: str | os.PathLike[str], _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a config file and the chain of files it ``extends:``, merged (no validation).

    Parameters
    ----------
    path : str or path-like
        The YAML file.
    _seen : tuple of pathlib.Path
        Files already on the ``extends`` chain (to detect a loop; internal).

    Returns
    -------
    dict
        The merged YAML mapping over the packaged defaults (:func:`packaged_defaults`), the paths each
        file declares made absolute.

    Raises
    ------
    ConfigError
        If a file is missing, not YAML, or the ``extends`` chain loops.
    """
    path = Path(path).resolve()
    if path in _seen:
        raise ConfigError(f"`extends` loops back to {path}")
    data = _read_yaml(path)
    parent = data.pop("extends", None)
    data = _anchor_paths(data, path.parent)
    if parent is None:
        return data if path == packaged_defaults_path().resolve() else _merge(packaged_defaults(), data)
    if not isinstance(parent, str):
        raise ConfigError(f"{path}: `extends` must be a path to another YAML file")
    base = load_raw(path.parent / expand_env(parent), _seen + (path,))
    return _merge(base, data)


def _resolve_inputs(raw: dict[str, Any], config_dir: Path) -> None:
    """Resolve relative input and boundary paths against ``data_dir`` (merged) or the config folder."""
    base = Path(raw["data_dir"]) if isinstance(raw.get("data_dir"), str) else config_dir
    region = raw.get("region")
    if isinstance(region, dict) and isinstance(region.get("boundary"), dict):
        b = region["boundary"]
        for key in ("path", "countries"):
            if isinstance(b.get(key), str):
                b[key] = _anchor_one(b[key], base, None)
    stats = raw.get("statistics")
    if isinstance(stats, dict) and isinstance(stats.get("admin"), list):
        for unit in stats["admin"]:
            if isinstance(unit, dict) and isinstance(unit.get("path"), str):
                unit["path"] = _anchor_one(unit["path"], base, None)
    inputs = raw.get("inputs")
    if not isinstance(inputs, dict):
        return
    for spec in inputs.values():
        if not isinstance(spec, dict):
            continue
        p = spec.get("path")
        if isinstance(p, str):
            spec["path"] = _anchor_one(p, base, None)
        elif isinstance(p, list):
            spec["path"] = [_anchor_one(q, base, None) if isinstance(q, str) else q for q in p]


#: GSOCseq 52-band stack layout (docs/methods/gsocseq.md §1.2): layer -> 1-based bands
GSOCSEQ_STACK_BANDS = {
    "soc_stock": [1],
    "clay": [2],
    "temperature": list(range(3, 15)),
    "precipitation": list(range(15, 27)),
    "pet": list(range(27, 39)),
    "dr": [39],
    "land_use": [40],
    "cover": list(range(41, 53)),
}
_STACK_UNITS = {
    "soc_stock": "t ha-1",
    "clay": "%",
    "temperature": "degC",
    "precipitation": "mm month-1",
    "pet": "mm month-1",
    "dr": "1",
    "land_use": "class",
    "cover": "1",
}


def _expand_gsocseq_stacks(raw: dict[str, Any]) -> None:
    """Turn ``gsocseq_stacks: {spinup: PATH, forward: PATH}`` into input entries.

    The spin-up stack gives SOC, clay, DR, land use, cover and the *_spinup climate; the
    forward stack the forward climate (and, without a spin-up stack, everything). Inputs
    written explicitly in the config win.
    """
    stacks = raw.pop("gsocseq_stacks", None)
    if stacks is None:
        return
    if not isinstance(stacks, dict) or not set(stacks) <= {"spinup", "forward"} or not stacks:
        raise ConfigError("gsocseq_stacks: give `spinup` and/or `forward`, each the path of a 52-band GSOCseq stack")
    inputs = raw.setdefault("inputs", {})
    climate = ("temperature", "precipitation", "pet")
    for kind in ("forward", "spinup"):
        path = stacks.get(kind)
        if path is None:
            continue
        for layer, bands in GSOCSEQ_STACK_BANDS.items():
            if kind == "spinup" and layer in climate:
                name = f"{layer}_spinup"
            elif kind == "forward" and "spinup" in stacks and layer not in climate:
                continue
            else:
                name = layer
            inputs.setdefault(name, {"path": path, "bands": bands, "units": _STACK_UNITS[layer]})


def _precheck_inputs(raw: dict[str, Any]) -> list[str]:
    """Problems under ``inputs`` found on the raw dict, one line each (names, units, files).

    Run before schema validation so that a schema error elsewhere never hides them.
    """
    inputs = raw.get("inputs")
    if not isinstance(inputs, dict):
        return []
    problems = []
    base = raw.get("data_dir")
    where = f"data_dir {base}" if isinstance(base, str) else "the config file's folder"
    for name, spec in inputs.items():
        if name not in LAYERS:
            problems.append(
                f"inputs.{name}: unknown input layer {name!r}{did_you_mean(name, LAYERS)}; "
                f"known layers: {', '.join(LAYERS)}"
            )
            continue
        if not isinstance(spec, dict):
            continue
        units = spec.get("units")
        problem = check_units(name, units) if isinstance(units, str) else None
        if problem:
            problems.append(f"inputs.{name}.units: {problem}")
        p = spec.get("path")
        paths = p if isinstance(p, list) else [p] if isinstance(p, str) else []
        if isinstance(p, str) and "{" in p:
            try:
                check_month_pattern(p)
            except ValueError as exc:
                problems.append(f"inputs.{name}.path: {exc}")
                continue
            paths = [p.format(month=m) for m in range(1, 13)]
        for i, q in enumerate(paths):
            if isinstance(q, str) and not _exists(q):
                at = f"inputs.{name}.path" + (f"[{i}]" if isinstance(p, list) else "")
                problems.append(f"{at}: file not found: {q} (relative paths are resolved against {where})")
    return problems


def _format_error(err: ErrorDetails, raw: dict[str, Any]) -> str:
    loc = ".".join(str(p) for p in err["loc"])
    typ = err["type"]
    if typ == "extra_forbidden":
        parent = model_at(err["loc"][:-1])
        key = str(err["loc"][-1])
        hint = did_you_mean(key, parent.model_fields) if parent else ""
        valid = f"; valid keys here: {', '.join(parent.model_fields)}" if parent else ""
        return f"{loc}: unknown key{hint}{valid}"
    if typ == "missing":
        return f"{loc}: required key is missing"
    got = err.get("input")
    shown = "" if isinstance(got, dict) else f" (got {short_repr(got)})"
    msg = err["msg"].removeprefix("Value error, ")
    return f"{loc}: {msg}{shown}"


def model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The config section (pydantic model) at a YAML path, for error messages.

    Parameters
    ----------
    loc : tuple of int or str
        Keys from the top of the config, e.g. ``("practices", "relative_cap")``.

    Returns
    -------
    type of pydantic.BaseModel or None
        None where the path does not lead to a section (e.g. into a list or a scalar).
    """
    model: type[BaseModel] | None = Config
    for part in loc:
        if model is None:
            return None
        field = model.model_fields.get(str(part))
        if field is None:
            # dict entries (inputs.<name>, fill.<name>)
            if model is Config:
                return None
            continue
        ann = field.annotation
        model = first_model(ann)
        if model is None and str(part) in ("inputs",):
            model = InputConfig
        elif model is None and str(part) in ("fill",):
            model = FillConfig
    return model


def first_model(ann: object) -> type[BaseModel] | None:
    """The first pydantic model in a field annotation (itself, or inside ``X | None``, ``list[X]`` ...).

    Parameters
    ----------
    ann : object
        A type or a generic alias.

    Returns
    -------
    type of pydantic.BaseModel or None
    """
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for a in getattr(ann, "__args__", ()) or ():
        m = first_model(a)
        if m is not None:
            return m
    return None


def _check_files(cfg: Config) -> list[str]:
    problems = []
    b = cfg.region.boundary
    if b is not None:
        for key in ("path", "countries"):
            p = getattr(b, key)
            if p is not None and not _exists(p):
                problems.append(f"region.boundary.{key}: file not found: {p}")
    for i, unit in enumerate(cfg.statistics.admin):
        if not _exists(unit.path):
            problems.append(f"statistics.admin[{i}].path: file not found: {unit.path}")
    return problems


def _exists(p: str | Path) -> bool:
    local = local_path(p)
    return local is None or local.exists()


def input_paths(spec: InputConfig) -> list[str]:
    """The file paths of an input, with a ``{month}`` pattern expanded to 12 files.

    Parameters
    ----------
    spec : InputConfig

    Returns
    -------
    list of str
        One path, the listed paths, or the 12 monthly paths (January first), as written (URLs and
        GDAL virtual paths unchanged).
    """
    if isinstance(spec.path, list):
        return list(spec.path)
    if "{" in spec.path:
        return [spec.path.format(month=m) for m in range(1, 13)]
    return [spec.path]


class Override(NamedTuple):
    """One config value set after the files are merged (``scsmap run --set``, ``--scheduler``, ``--price``).

    Attributes
    ----------
    keys : tuple of str
        Path of the value in the config, e.g. ``("grid", "resolution")``.
    value : Any
        The value (as YAML would give it).
    """

    keys: tuple[str, ...]
    value: Any

    @property
    def dotted(self) -> str:
        """The path as written on the command line, e.g. ``grid.resolution``."""
        return ".".join(self.keys)


def parse_override(item: str) -> Override:
    """``KEY=VALUE`` (``scsmap run --set``) as an :class:`Override`; VALUE is parsed as YAML.

    Raises
    ------
    ConfigError
        No ``=``, an empty key, or a VALUE that is not YAML.
    """
    if "=" not in item:
        raise ConfigError(f"{item!r}: expected KEY=VALUE, e.g. grid.resolution=0.01")
    key, text = item.split("=", 1)
    keys = tuple(k.strip() for k in key.split("."))
    if not all(keys):
        raise ConfigError(f"{item!r}: KEY must be dotted names, e.g. grid.resolution")
    value = load_yaml_text(text, f"--set {key}")
    return Override(keys, value)


def _overrides(overrides: Mapping[str, Any] | Sequence[Override] | None) -> list[Override]:
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        return [Override(tuple(k.split(".")), v) for k, v in overrides.items()]
    return list(overrides)


def load_config(
    path: str | os.PathLike[str],
    overrides: Mapping[str, Any] | Sequence[Override] | None = None,
    check_files: bool = True,
) -> Config:
    """Load, merge, resolve and validate a region config.

    Parameters
    ----------
    path : path-like
        The region YAML file (it may ``extends:`` a defaults file).
    overrides : mapping or sequence of Override, optional
        Values to set after merging: :class:`Override` items, or a mapping of dotted keys, e.g.
        ``{"outputs.dir": "out/x"}``.
    check_files : bool
        Also check that every input and boundary file exists.

    Returns
    -------
    Config

    Raises
    ------
    ConfigError
        Listing every problem found, each with its YAML path and a hint.
    """
    path = Path(path)
    raw = load_raw(path)
    for o in _overrides(overrides):
        node = raw
        *parents, last = o.keys
        for i, p in enumerate(parents):
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise ConfigError(
                    f"--set {o.dotted}: {'.'.join(parents[: i + 1])} is {node!r}, not a mapping of keys",
                    source=str(path),
                )
        node[last] = o.value
    _expand_gsocseq_stacks(raw)
    _resolve_inputs(raw, path.resolve().parent)
    pre = _precheck_inputs(raw)
    if not check_files:
        pre = [p for p in pre if "file not found" not in p]
    try:
        cfg = Config.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()
        if pre:  # the inputs validator repeats what the precheck already said, line by line
            errors = [e for e in errors if tuple(e["loc"]) != ("inputs",)]
        raise ConfigError(pre + [_format_error(e, raw) for e in errors], source=str(path)) from None
    cfg.source = path.resolve()
    problems = pre + (_check_files(cfg) if check_files else [])
    if problems:
        raise ConfigError(problems, source=str(path))
    return cfg


#: JSON Schema dialect of :func:`json_schema` (pydantic writes draft 2020-12)
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
#: identifier of the region-config schema (a URN: the schema is printed by ``scsmap schema``, not served)
SCHEMA_ID = "urn:scsmap:schema:region-config"


def json_schema() -> dict[str, Any]:
    """JSON schema of one region config file as written (``scsmap schema``; editors, CI linters).

    A file is checked on its own, before merging: it may name a parent file with ``extends:``, a parent
    file (a country's shared settings, ``configs/defaults.yaml``) has no ``region``, and ``${VAR}`` paths
    are strings; so no top-level key is required here. The loader (:func:`load_config`) checks the merged
    chain: ``region`` present, files found, cross-field rules.

    Returns
    -------
    dict
        The schema of :class:`Config` (without the loader's ``source`` field), with ``$schema``
        (draft 2020-12), ``$id``, a title and the ``extends`` key.
    """
    schema = Config.model_json_schema()
    props = schema.setdefault("properties", {})
    props.pop("source", None)
    props = {
        "extends": {
            "type": "string",
            "title": "Extends",
            "description": "parent config file (a path relative to this file; ${VAR} expanded): its keys are "
            "the defaults this file overrides. Every chain starts from the packaged defaults",
        },
        **props,
    }
    schema.pop("required", None)
    schema["properties"] = props
    return {"$schema": SCHEMA_DIALECT, "$id": SCHEMA_ID, "title": "scsmap region configuration", **schema}
