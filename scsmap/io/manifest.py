"""A run's JSON files: ``manifest.json`` (products, checksums, summary) and ``alignment_report.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import OutputError

MANIFEST = "manifest.json"
ALIGNMENT = "alignment_report.json"


def load_manifest(out_dir: str | Path) -> dict[str, Any]:
    """The run's ``manifest.json``.

    Raises
    ------
    OutputError
        If the folder holds no manifest (the maps were not made yet).
    """
    path = Path(out_dir) / MANIFEST
    if not path.is_file():
        raise OutputError(
            f"no manifest.json in {out_dir}: the maps of this region have not been made there",
            "run `scsmap run CONFIG` (or `make <region>`) first, or pass the run's --out folder",
        )
    return json.loads(path.read_text(encoding="utf-8"))


def read_manifest(path: Path) -> dict[str, Any] | None:
    """The manifest at ``path``, or None when it is missing or not valid JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_json(path: Path) -> dict[str, Any]:
    """A JSON file (an alignment report), or an empty dict when the file is missing."""
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _json_default(o: Any) -> Any:
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    return str(o)


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as indented JSON (numpy scalars as numbers, paths as strings)."""
    path.write_text(json.dumps(data, indent=2, sort_keys=False, default=_json_default) + "\n", encoding="utf-8")
