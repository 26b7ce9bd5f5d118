"""Finish a run's files in its staging folder: staging GeoTIFFs → COGs with statistics, styles, checksums.

They are moved into the output folder by the journaled commit of :mod:`scsmap.io.folder`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


def sidecars(path: str) -> list[str]:
    """The files written beside a product file (its QGIS style)."""
    return [qml_path(path).name]
