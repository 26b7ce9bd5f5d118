"""The region report: ``report.html`` with quick-looks, statistics, QA, provenance and methods.

:func:`write_report` reads what a run and ``scsmap stats`` wrote (manifest, alignment
report, statistics) and renders ``scsmap/templates/report.html.j2`` with jinja2. The
quick-looks are drawn with matplotlib from the COG overviews, in the colours of the
product's fixed legend (:mod:`scsmap.styles`, the same as its ``.qml``), and saved as
PNG files in ``quicklooks/`` beside the report.
"""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import json
import logging
import os
import platform
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from .. import __version__
from ..config import Config
from ..errors import OutputError
from ..io.folder import locked
from ..io.manifest import load_manifest
from ..io.raster_info import gdal_version
from ..io.read import read_columns_csv, read_decimated
from ..io.stats_files import read_stats_csv
from ..products.styles import Legend, legend_for
from .stats import STATS_CSV, product_of, write_stats

log = logging.getLogger("scsmap")

REPORT = "report.html"
QUICKLOOKS = "quicklooks"
#: longest side of a quick-look, pixels
QUICKLOOK_SIZE = 640
_VERSIONED = (
    "numpy",
    "rasterio",
    "xarray",
    "rioxarray",
    "dask",
    "odc-geo",
    "geopandas",
    "pyproj",
    "pandas",
    "pydantic",
    "exactextract",
    "pystac",
    "jinja2",
    "matplotlib",
)

METHODS = (
    "Maps were made with scsmap {version} on one region grid ({crs}, {res}); every input was warped onto it "
    "once as recorded in the alignment report. Stocks are SOC 0-30 cm at T0 (GSOCseq Technical Manual, FAO "
    "2020); the 4 per 1000 target is 0.004 x T0 stock a year (Minasny et al. 2017, Geoderma 292:59); MAOC "
    "saturation follows Georgiou et al. 2022 (Nat Commun 13:3797) or Hassink 1997 (Plant Soil 191:77); the "
    "GSOCseq scenarios are run with RothC 26.3 (Coleman & Jenkinson) following the GSOCseq protocol. All "
    "statistics are area-weighted with the geodesic area of each cell on the WGS84 ellipsoid, weighted by the "
    "exact share of the cell inside each unit (exactextract); totals are Σ value x area, and the share of the "
    "4 per 1000 target is Σ(rate x area) / Σ(0.004 x T0 x area), never a mean of per-pixel ratios."
)


def versions() -> dict[str, str]:
    """Versions of Python, GDAL and the libraries a run depends on."""
    out = {"scsmap": __version__, "python": platform.python_version(), "GDAL": gdal_version()}
    for name in _VERSIONED:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def mpl_colormap(legend: Legend):
    """A matplotlib colormap and norm drawing ``legend`` exactly as its QGIS style does.

    Ramps: linear interpolation between the stops, values beyond the ends in the end
    colours; classes: each code in its colour. NaN is transparent.
    """
    from matplotlib.colors import BoundaryNorm, LinearSegmentedColormap, ListedColormap, Normalize

    if legend.kind == "ramp":
        lo, hi = legend.min, legend.max
        cmap = LinearSegmentedColormap.from_list("legend", [((v - lo) / (hi - lo), c) for v, c in legend.stops], N=512)
        norm = Normalize(lo, hi, clip=True)
    else:
        codes = [c for c, _, _ in legend.classes]
        cmap = ListedColormap([c for _, _, c in legend.classes])
        norm = BoundaryNorm([c - 0.5 for c in codes] + [codes[-1] + 0.5], len(codes))
    cmap.set_bad((0, 0, 0, 0))
    return cmap, norm


def quicklook(tif: Path, legend: Legend, png: Path, size: int = QUICKLOOK_SIZE) -> Path:
    """Draw a product from its overviews into a PNG in its legend's colours (transparent nodata)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    a = read_decimated(tif, size)
    cmap, norm = mpl_colormap(legend)
    plt.imsave(png, cmap(norm(np.ma.masked_invalid(a))))
    return png


def _css_gradient(legend: Legend) -> str:
    lo, hi = legend.min, legend.max
    return ", ".join(f"{c} {100 * (v - lo) / (hi - lo):.1f}%" for v, c in legend.stops)


def _fmt(v, spec: str = ",.4g") -> str:
    """A number for the report; "–" for missing values (None, NaN, undefined in the template)."""
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "–"
    try:
        return format(v, spec)
    except (TypeError, ValueError):
        return "–"


Row = dict[str, Any]


def _where(table: list[Row], zone_set: str | None = None, group_by: str | None = None) -> list[Row]:
    """Rows of the region (``zone_set="region"``) or of the other units (``zone_set="units"``), of one group."""
    return [
        r
        for r in table
        if (zone_set is None or (r["zone_set"] == "region") == (zone_set == "region"))
        and (group_by is None or r["group_by"] == group_by)
    ]


def _matrix(table: list[Row], columns: list[str]) -> list[list[str]]:
    """Rows: area, then one per product: total (with units) when it has one, else the mean.

    ``table``'s rows carry their column label under ``"col"``.
    """
    area: dict[str, float] = {}
    for r in table:
        area[r["col"]] = max(area.get(r["col"], -np.inf), r["area_ha"])
    rows = [["area (ha)"] + [_fmt(area.get(c), ",.0f") for c in columns]]
    by_product: dict[str, list[Row]] = {}
    for r in table:
        by_product.setdefault(r["product"], []).append(r)
    for pid, grp in by_product.items():
        units = grp[0]["total_units"]
        what = f"{pid} total ({units})" if units else f"{pid} mean ({grp[0]['units']})"
        vals: dict[str, list[float]] = {}
        for r in grp:
            vals.setdefault(r["col"], []).append(r["total" if units else "mean"])
        # a column label given twice (two units of one name) has no single value
        rows.append([what] + [_fmt(vals[c][0] if len(vals.get(c, ())) == 1 else None) for c in columns])
    return rows


def _stats_context(table: list[Row]) -> dict[str, Any]:
    region = _where(table, "region", "")
    units = [{**r, "col": f"{r['zone_set']}: {r['zone_name']}"} for r in _where(table, "units", "")]
    groups = []
    for g in [g for g in dict.fromkeys(r["group_by"] for r in table) if g]:
        t = [{**r, "col": f"{r['class_code']} {r['class_name']}"} for r in _where(table, "region", g)]
        cols = list(dict.fromkeys(r["col"] for r in t))
        groups.append({"name": g, "columns": cols, "rows": _matrix(t, cols)})
    ucols = list(dict.fromkeys(r["col"] for r in units))
    return {
        "region_rows": [
            [
                r["product"],
                r["units"],
                _fmt(r["valid_area_ha"], ",.0f"),
                _fmt(r["mean"]),
                _fmt(r["total"]) + (f" {r['total_units']}" if r["total_units"] else ""),
                _fmt(r["share_4p1000_percent"], ".1f"),
            ]
            for r in region
        ],
        "unit_columns": ucols,
        "unit_rows": _matrix(units, ucols) if ucols else [],
        "groups": groups,
        "region_area": max(r["area_ha"] for r in region) if region else None,
    }


def _qa_rows(manifest: dict[str, Any], table: list[Row]) -> list[dict[str, Any]]:
    region = {r["product"]: r for r in _where(table, "region", "")}
    rows = []
    for e in manifest["products"]:
        st, vr = e.get("statistics", {}), e.get("valid_range")
        lo, hi = st.get("minimum"), st.get("maximum")
        inside = None if lo is None or vr is None else (vr[0] <= lo and hi <= vr[1])
        nan = None
        if e["id"] in region:
            r = region[e["id"]]
            nan = 100 * (1 - r["valid_area_ha"] / r["area_ha"]) if r["area_ha"] else None
        rows.append(
            {
                "id": e["id"],
                "units": e["units"],
                "valid_range": "–" if vr is None else f"{vr[0]:g} to {vr[1]:g}",
                "min": _fmt(lo),
                "max": _fmt(hi),
                "in_range": inside,
                "nan": _fmt(nan, ".1f"),
                "valid_percent": _fmt(st.get("valid_percent"), ".1f"),
                "sha256": e.get("sha256", ""),
            }
        )
    return rows


def write_report(cfg: Config, out_dir: str | os.PathLike | None = None) -> Path:
    """Render ``report.html`` (and ``quicklooks/*.png``) for a finished run.

    Computes ``stats.csv`` first when the folder has none.

    Parameters
    ----------
    cfg : Config
        The region's config (echoed in the report).
    out_dir : path-like, optional
        The run's folder (default ``cfg.output_dir``).

    Returns
    -------
    Path
        The report.

    Raises
    ------
    OutputError
        No manifest in ``out_dir`` or the report cannot be written.
    """
    import jinja2

    out = Path(out_dir) if out_dir is not None else cfg.output_dir
    manifest = load_manifest(out)
    with locked(out, "report"):
        if not (out / STATS_CSV).is_file():
            write_stats(cfg, out)
        table = read_stats_csv(out / STATS_CSV)
        qdir = out / QUICKLOOKS
        qdir.mkdir(exist_ok=True)
        maps = []
        for e in manifest["products"]:
            p = product_of(e)
            if p is None:
                continue
            legend = legend_for(p)
            png = quicklook(out / e["path"], legend, qdir / f"{e['id']}.png")
            maps.append(
                {
                    "id": e["id"],
                    "name": e["long_name"],
                    "units": e["units"],
                    "family": p.family,
                    "src": f"{QUICKLOOKS}/{png.name}",
                    "legend": legend,
                    "gradient": _css_gradient(legend) if legend.kind == "ramp" else None,
                    "present": sorted({r["class_code"] for r in table if r["group_by"] == e["id"]} - {None}),
                }
            )
        curve = None
        summary = manifest["summary"]
        if summary.get("abatement_curve") and (out / summary["abatement_curve"]).is_file():
            from .abatement import plot_curve

            columns = read_columns_csv(out / summary["abatement_curve"])
            png = plot_curve(
                columns,
                qdir / "abatement_curve.png",
                summary["carbon_price"],
                summary.get("currency", ""),
                f"{manifest['region']['name']}: marginal abatement cost curve (net of N2O)",
            )
            values = {k: v.tolist() for k, v in columns.items()}
            rows = [dict(zip(values, r)) for r in zip(*values.values())]
            curve = {"src": f"{QUICKLOOKS}/{png.name}", "csv": summary["abatement_curve"], "rows": rows}
        alignment_path = out / manifest.get("alignment_report", "alignment_report.json")
        alignment = json.loads(alignment_path.read_text(encoding="utf-8")) if alignment_path.is_file() else {}
        refs = sorted({p.references for e in manifest["products"] if (p := product_of(e)) and p.references})
        g = manifest["grid"]
        env = jinja2.Environment(
            loader=jinja2.PackageLoader("scsmap", "templates"),
            autoescape=jinja2.select_autoescape(["html", "j2"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        html = env.get_template("report.html.j2").render(
            m=manifest,
            s=manifest["summary"],
            maps=maps,
            curve=curve,
            stats=_stats_context(table),
            qa=_qa_rows(manifest, table),
            alignment=alignment,
            config_yaml=yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False),
            versions=versions(),
            references=refs,
            fmt=_fmt,
            methods=METHODS.format(version=__version__, crs=g["crs"], res=f"{abs(g['resolution'][0]):.6g}"),
            generated=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        )
        path = out / REPORT
        try:
            tmp = out / f".{REPORT}.tmp"
            tmp.write_text(html, encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {exc}") from None
        return path
