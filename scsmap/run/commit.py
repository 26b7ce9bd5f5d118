"""Finish and commit a run: staging GeoTIFFs → COGs with styles and checksums → moved into place.

Everything is written into the run's staging folder (on the same file system as the
outputs) and moved into place only when every file is complete, the manifest last, so that
a failed run leaves existing outputs untouched and no half-written file under a final name.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..io.manifest import ALIGNMENT, MANIFEST, write_json
from ..io.write import finish_stats, set_statistics, sha256, to_cog
from ..products.styles import legend_for, qml_path, write_qml
from .compute import Computed
from .plan import Plan


def write_products(plan: Plan, computed: Computed, staging: Path) -> dict[str, dict[str, Any]]:
    """Convert every staging GeoTIFF into a COG with exact statistics and its ``.qml`` style.

    Returns
    -------
    dict of str to dict
        Product id → manifest entry (path, long name, units, dtype, nodata, sha256, statistics,
        valid range, resume key).
    """
    cfg = plan.cfg
    entries = {}
    for p in computed.products:
        spec = computed.specs[p.id]
        stats = finish_stats(computed.pixel_stats[p.id])
        set_statistics(spec.path, stats)
        final = staging / p.filename(cfg)
        to_cog(spec.path, final, "nearest" if p.is_class_map else "average", cfg.outputs.tile_size)
        spec.path.unlink()
        write_qml(legend_for(p), final)
        entries[p.id] = {
            "id": p.id,
            "path": p.filename(cfg),
            "long_name": p.long_name,
            "units": p.units,
            "dtype": p.dtype,
            "nodata": spec.nodata,
            "sha256": sha256(final),
            "statistics": stats,
            "valid_range": p.valid_range,
            "resume_key": plan.keys[p.id],
        }
    return entries


def move_into_place(
    staging: Path, out: Path, files: list[str], manifest: dict[str, Any], alignment: dict[str, Any]
) -> None:
    """Write the alignment report and the manifest into ``staging``, then move everything into ``out``.

    Parameters
    ----------
    staging : Path
    out : Path
    files : list of str
        Names of the staged products and sidecars, moved first; the manifest moves last.
    manifest, alignment : dict
    """
    write_json(staging / ALIGNMENT, alignment)
    write_json(staging / MANIFEST, manifest)
    for name in [*files, ALIGNMENT, MANIFEST]:
        os.replace(staging / name, out / name)


def sidecars(path: str) -> list[str]:
    """The files written beside a product file (its QGIS style)."""
    return [qml_path(path).name]
