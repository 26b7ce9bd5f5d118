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
import pandas as pd
import rasterio
import yaml
from rasterio.enums import Resampling

from .. import __version__
from ..config import Config
from ..errors import OutputError
from ..io.manifest import load_manifest
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
    out = {"scsmap": __version__, "python": platform.python_version(), "GDAL": rasterio.__gdal_version__}
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

    with rasterio.open(tif) as ds:
        f = max(ds.width, ds.height) / size
        shape = (max(1, round(ds.height / f)), max(1, round(ds.width / f))) if f > 1 else (ds.height, ds.width)
        a = ds.read(1, out_shape=shape, resampling=Resampling.nearest).astype("float64")
        if ds.nodata is not None:
            a[a == ds.nodata] = np.nan
    cmap, norm = mpl_colormap(legend)
    plt.imsave(png, cmap(norm(np.ma.masked_invalid(a))))
    return png


def _css_gradient(legend: Legend) -> str:
    lo, hi = legend.min, legend.max
    return ", ".join(f"{c} {100 * (v - lo) / (hi - lo):.1f}%" for v, c in legend.stops)


def _fmt(v, spec: str = ",.4g") -> str:
    """A number for the report; "–" for missing values (None, NaN, NA, undefined in the template)."""
    if v is None or v is pd.NA or (isinstance(v, float) and not np.isfinite(v)):
        return "–"
    try:
        return format(v, spec)
    except (TypeError, ValueError):
        return "–"


def _matrix(table: pd.DataFrame, columns: list[str], key: str) -> list[list[str]]:
    """Rows: area, then one per product: total (with units) when it has one, else the mean."""
    rows = [["area (ha)"] + [_fmt(table[(table[key] == c)]["area_ha"].max(), ",.0f") for c in columns]]
    for pid, grp in table.groupby("product", sort=False):
        units = grp["total_units"].iloc[0]
        what = f"{pid} total ({units})" if units else f"{pid} mean ({grp['units'].iloc[0]})"
        vals = grp.set_index(key)["total" if units else "mean"]
        rows.append([what] + [_fmt(vals.get(c)) for c in columns])
    return rows


def _stats_context(table: pd.DataFrame) -> dict[str, Any]:
    region = table[(table.zone_set == "region") & (table.group_by == "")]
    units = table[(table.zone_set != "region") & (table.group_by == "")].copy()
    units["col"] = units.zone_set + ": " + units.zone_name
    groups = []
    for g in [g for g in table.group_by.unique() if g]:
        t = table[(table.zone_set == "region") & (table.group_by == g)].copy()
        t["col"] = t.class_code.astype(str) + " " + t.class_name
        cols = list(dict.fromkeys(t.col))
        groups.append({"name": g, "columns": cols, "rows": _matrix(t, cols, "col")})
    ucols = list(dict.fromkeys(units.col))
    return {
        "region_rows": [
            [
                r.product,
                r.units,
                _fmt(r.valid_area_ha, ",.0f"),
                _fmt(r.mean),
                _fmt(r.total) + (f" {r.total_units}" if r.total_units else ""),
                _fmt(r.share_4p1000_percent, ".1f"),
            ]
            for r in region.itertuples()
        ],
        "unit_columns": ucols,
        "unit_rows": _matrix(units, ucols, "col") if ucols else [],
        "groups": groups,
        "region_area": region.area_ha.max() if len(region) else None,
    }


def _qa_rows(manifest: dict[str, Any], table: pd.DataFrame) -> list[dict[str, Any]]:
    region = table[(table.zone_set == "region") & (table.group_by == "")].set_index("product")
    rows = []
    for e in manifest["products"]:
        st, vr = e.get("statistics", {}), e.get("valid_range")
        lo, hi = st.get("minimum"), st.get("maximum")
        inside = None if lo is None or vr is None else (vr[0] <= lo and hi <= vr[1])
        nan = None
        if e["id"] in region.index:
            r = region.loc[e["id"]]
            nan = 100 * (1 - r.valid_area_ha / r.area_ha) if r.area_ha else None
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
    if not (out / STATS_CSV).is_file():
        write_stats(cfg, out)
    table = pd.read_csv(out / STATS_CSV, keep_default_na=False, na_values=[""])
    table["total_units"] = table["total_units"].fillna("")
    table["class_name"] = table["class_name"].fillna("")
    table["group_by"] = table["group_by"].fillna("")
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
                "present": sorted({int(c) for c in table[table.group_by == e["id"]].class_code.dropna()}),
            }
        )
    curve = None
    summary = manifest["summary"]
    if summary.get("abatement_curve") and (out / summary["abatement_curve"]).is_file():
        from .abatement import plot_curve

        rows = pd.read_csv(out / summary["abatement_curve"])
        png = plot_curve(
            rows,
            qdir / "abatement_curve.png",
            summary["carbon_price"],
            summary.get("currency", ""),
            f"{manifest['region']['name']}: marginal abatement cost curve (net of N2O)",
        )
        curve = {"src": f"{QUICKLOOKS}/{png.name}", "csv": summary["abatement_curve"], "rows": rows.to_dict("records")}
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
