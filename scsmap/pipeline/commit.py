"""Finish a run's files in its staging folder: staging GeoTIFFs → COGs with statistics, styles, checksums.

Stage by stage, each shown in the progress display: the exact statistics go into each staging file's
tags, each file becomes a COG, gets its QGIS style (``.qml``) and, for class maps, its category names
and attribute table (``.tif.aux.xml``), and its sha256 is taken. They are moved into the output folder
by the journaled commit of :mod:`scsmap.io.folder`.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..io.overviews import overview_path
from ..io.write import class_pixels, finish_stats, set_statistics, sha256, to_cog, write_categories
from ..products import Product
from ..products.styles import legend_for, write_qml
from ..progress import Progress
from .compute import Computed
from .plan import Plan, sidecars

__all__ = ["cog_workers", "currency_of", "sidecars", "write_products"]


def cog_workers() -> int:
    """Files converted to COG (and checksummed) at a time: one per CPU core of this machine.

    GDAL releases the GIL while it compresses, so threads of this process convert files side by side
    (each with ``NUM_THREADS=1``, :data:`scsmap.io.write.COG_OPTIONS`); the files stay bit-identical.
    """
    return max(1, os.cpu_count() or 1)


def currency_of(plan: Plan, products: list[Product]) -> str | None:
    """The currency of the run's cost table when it writes cost maps (shown in their units)."""
    if any("currency" in p.units for p in products):
        return plan.model.ghg_tables.currency
    return None


def write_products(plan: Plan, computed: Computed, staging: Path, progress: Progress) -> dict[str, dict[str, Any]]:
    """Convert every staging GeoTIFF into a COG with exact statistics, its ``.qml`` style and categories.

    Returns
    -------
    dict of str to dict
        Product id → manifest entry (path, long name, units, dtype, nodata, sha256, statistics with the
        2nd and 98th percentiles, pixels per class code of class maps, valid range, resume key).
    """
    cfg = plan.cfg
    products = computed.products
    n = len(products)
    mode = cfg.outputs.legend
    currency = currency_of(plan, products)
    stats: dict[str, dict[str, float]] = {}
    counts: dict[str, dict[int, int]] = {}
    with progress.stage("statistics", n) as st:
        for p in products:
            parts = computed.pixel_stats[p.id]
            stats[p.id] = finish_stats(parts)
            if p.is_class_map:
                counts[p.id] = class_pixels(parts)
            set_statistics(computed.specs[p.id].path, stats[p.id])
            st.advance()
    with progress.stage("COG", n) as st, ThreadPoolExecutor(cog_workers()) as pool:

        def cog(p: Product) -> None:
            spec = computed.specs[p.id]
            to_cog(
                spec.path, staging / p.filename(cfg), "nearest" if p.is_class_map else "average", cfg.outputs.tile_size
            )
            spec.path.unlink()
            overview_path(spec.path).unlink(missing_ok=True)  # the first overview levels made by the compute pass
            st.advance()

        list(pool.map(cog, products))  # in order; the first error is raised once every file is done
    with progress.stage("styles", n) as st:
        for p in products:
            final = staging / p.filename(cfg)
            legend = legend_for(p, mode, stats[p.id], counts.get(p.id), currency)
            write_qml(legend, final)
            if p.is_class_map:
                write_categories(final, legend_for(p).classes, counts[p.id])
            st.advance()
    entries = {}
    with progress.stage("checksums", n) as st, ThreadPoolExecutor(cog_workers()) as pool:
        digests = dict(zip((p.id for p in products), pool.map(lambda p: sha256(staging / p.filename(cfg)), products)))
        for p in products:
            entries[p.id] = {
                "id": p.id,
                "path": p.filename(cfg),
                "long_name": p.long_name,
                "units": p.units,
                "dtype": p.dtype,
                "nodata": computed.specs[p.id].nodata,
                "sha256": digests[p.id],
                "statistics": stats[p.id],
                **({"class_pixels": {str(k): v for k, v in counts[p.id].items()}} if p.is_class_map else {}),
                "valid_range": p.valid_range,
                "resume_key": plan.keys[p.id],
            }
            st.advance()
    return entries
