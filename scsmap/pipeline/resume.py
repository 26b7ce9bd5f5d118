"""Resumable, crash-safe runs: resume keys, reuse of finished products, stale staging directories.

Every product entry of ``manifest.json`` carries a ``resume_key``: the sha256 of the config
digest (``config_sha256``), the sha256 of every file the run reads (inputs, boundary, CSV
tables; listed under ``inputs_sha256``), the scsmap version and the product id. ``scsmap run
--resume`` keeps a product when its file is still byte-identical to its manifest entry
(``sha256``) and its ``resume_key`` equals the key of the new run; everything else is
computed again. Because a manifest is only ever moved into place after the products it
lists, a run killed at any point leaves a manifest that describes files that are complete.

Staging folders of killed runs are removed by the next command under the folder's lock
(:mod:`scsmap.io.folder`).
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from .. import __version__
from ..config import Config, input_paths
from ..config.load import local_path
from ..io.write import sha256

log = logging.getLogger("scsmap")


def input_checksums(cfg: Config) -> dict[str, str]:
    """sha256 of every file a run reads: input rasters, boundary files and CSV tables.

    Parameters
    ----------
    cfg : Config

    Returns
    -------
    dict of str to str
        Path → sha256 hex digest, sorted by path. Remote paths (``/vsicurl/``, ``s3://``)
        cannot be hashed and map to ``"remote"``.
    """
    paths: list[Path | str] = [p for spec in cfg.inputs.values() for p in input_paths(spec)]
    b = cfg.region.boundary
    if b is not None:
        paths += [p for p in (b.path, b.countries) if p is not None]
    paths += [v for v in cfg.tables.model_dump().values() if isinstance(v, str) and v.endswith(".csv")]
    out: dict[str, str] = {}
    for p in sorted(set(map(str, paths))):
        local = local_path(p)
        local = local if local is not None and local.is_file() else None
        out[p] = sha256(local) if local is not None else "remote"
    return out


def resume_key(config_sha256: str, checksums: dict[str, str], product_id: str) -> str:
    """The resume key of one product: sha256 of the config digest, input checksums, version and id."""
    blob = json.dumps(
        {
            "config_sha256": config_sha256,
            "inputs_sha256": checksums,
            "scsmap_version": __version__,
            "product": product_id,
        },
        sort_keys=True,
    ).encode()
    return hashlib.sha256(blob).hexdigest()


def reusable_entries(
    out_dir: Path, manifest: dict[str, Any] | None, keys: dict[str, str], filenames: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """Manifest entries of products that ``--resume`` may keep.

    A product is kept when the previous manifest lists it under the same file name and resume
    key, and the file on disk still has the sha256 recorded in that entry.

    Parameters
    ----------
    out_dir : Path
    manifest : dict or None
        The previous ``manifest.json`` (:func:`read_manifest`).
    keys : dict of str to str
        Product id → resume key of the new run.
    filenames : dict of str to str
        Product id → file name in the new run.

    Returns
    -------
    dict of str to dict
        Product id → the previous manifest entry, for the products that are kept.
    """
    if not manifest:
        return {}
    kept = {}
    for entry in manifest.get("products", []):
        pid = entry.get("id")
        if pid not in keys or entry.get("resume_key") != keys[pid] or entry.get("path") != filenames[pid]:
            continue
        f = out_dir / entry["path"]
        if f.is_file() and sha256(f) == entry.get("sha256"):
            kept[pid] = entry
        else:
            log.info("resume: %s changed on disk since the last run; computing it again", f)
    return kept


def same_run(manifest: dict[str, Any] | None, keys: dict[str, str]) -> set[str]:
    """Product ids that the previous manifest lists with this run's resume key (their files may be
    replaced by ``--resume`` without ``--overwrite``: they belong to the same run, damaged or not)."""
    if not manifest:
        return set()
    return {
        e.get("id")
        for e in manifest.get("products", [])
        if e.get("id") in keys and e.get("resume_key") == keys[e["id"]]
    }
