"""The manifest of a run: every product with units, nodata, dtype, sha256 and statistics; the summary.

The summary's numbers come from the region's zonal sums taken during the computation
(:mod:`scsmap.outputs.zonal`), named by the products' summary roles (:mod:`scsmap.products.summary`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import __version__
from ..io.manifest import ALIGNMENT
from ..outputs.zonal import finish
from ..products.summary import summarize
from .compute import Computed
from .plan import Plan


def region_summary(computed: Computed) -> dict[str, Any]:
    """The run summary from the region's zonal sums (area-weighted: coverage × geodesic cell area)."""
    region = computed.region
    figures = {}
    for pid, m in region["moments"].items():
        f = finish(np.asarray(m))
        figures[pid] = {
            "valid_area": float(f.valid_area[0]),
            "total": float(f.total[0]),
            "share_percent": float(f.share_percent[0]),
        }
    classes = {pid: np.asarray(a)[0] for pid, a in region["classes"].items()}
    return summarize(float(np.asarray(region["area"])[0]), figures, classes)


def build_manifest(
    plan: Plan,
    entries: dict[str, dict[str, Any]],
    summary: dict[str, Any],
    grid: dict[str, Any],
    files: list[str],
    currency: str | None = None,
) -> dict[str, Any]:
    """The manifest of a run.

    Parameters
    ----------
    plan : Plan
    entries : dict of str to dict
        The computed products' entries (path, units, dtype, nodata, sha256, statistics, resume key).
    summary : dict
        :func:`region_summary` and the curve's fields; with ``--resume`` the previous summary is kept
        for the products that were not computed again (same config digest and inputs).
    grid : dict
        The grid of the alignment report.
    files : list of str
        Every top-level name the run owns in its folder (products, styles, categories, curve, QGIS project,
        STAC): what a later run may replace or remove (:mod:`scsmap.io.folder`).
    currency : str, optional
        The cost table's currency (shown in the units of cost maps).
    """
    cfg = plan.cfg
    if plan.reused and plan.previous:
        summary = {**plan.previous.get("summary", {}), **summary}
    summary["products_written"] = [p.id for p in plan.products]
    return {
        "scsmap_version": __version__,
        "region": {"name": cfg.region.name, "iso3": cfg.region.iso3, "id": cfg.region_id},
        "config": str(cfg.source) if cfg.source else None,
        "config_sha256": cfg.digest(),
        "period": {"t0_year": cfg.parameters.t0_year, "horizon_years": cfg.parameters.horizon_years},
        "license": {"id": cfg.outputs.license, "url": cfg.outputs.license_url},
        "grid": grid,
        "products": [plan.reused.get(p.id) or entries[p.id] for p in plan.products],
        "skipped_products": plan.skipped,
        "legend": cfg.outputs.legend,
        "currency": currency,
        "layer_sources": dict(sorted(plan.model.provenance.items())),
        "summary": summary,
        "alignment_report": ALIGNMENT,
        "inputs_sha256": plan.checksums,
        "files": files,
    }
