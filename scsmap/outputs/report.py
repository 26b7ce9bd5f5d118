"""The region report: one self-contained ``report.html``, a brief first and a technical annex after it.

:func:`write_report` reads what a run and ``scsmap stats`` wrote (manifest, alignment report,
statistics, abatement curve) and renders ``scsmap/templates/report.html.j2`` with jinja2. Every
image is embedded as a ``data:`` URI (a palette PNG), so the file can be e-mailed alone; ``--pdf``
prints it with headless Chromium (:func:`write_pdf`).

The report is a list of :data:`SECTIONS`, each its own template ``scsmap/templates/report/<id>.html.j2``
rendered with one shared context: a new block (a trajectory chart, uncertainty ranges) is a template,
an entry in :data:`SECTIONS` and, if it needs data, a key of the context (:func:`report_context`).

The first screen is the brief: the headline figures of the run formatted once for the console and the
report (:func:`scsmap.products.summary.brief`), caveat boxes made from the run (:func:`caveats`) and the
key maps large with their legends; then practices and costs, admin units, and the annex with every map
(in the legends of its ``.qml``: :func:`scsmap.products.registry.entry_legend`), statistics, QA,
alignment, configuration, checksums, versions and methods.
"""

from __future__ import annotations

import base64
import datetime as _dt
import importlib.metadata
import json
import logging
import math
import os
import platform
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from .. import __version__
from ..config import Config
from ..errors import OutputError
from ..io.folder import locked
from ..io.images import png_data_uri
from ..io.manifest import load_manifest
from ..io.raster_info import gdal_version
from ..io.read import read_columns_csv, read_decimated
from ..io.stats_files import read_stats_csv
from ..io.write import write_text
from ..products.registry import GROUPS, entry_legend, written_product
from ..products.styles import Legend, family_ranges, nice_step
from ..products.summary import PRICE_READINGS, brief
from ..products.units import display_units, format_value
from ..progress import QUIET, Progress
from .qgis_project import key_maps, layer_name, unique_names
from .stats import STATS_CSV, write_stats

log = logging.getLogger("scsmap")

REPORT = "report.html"
REPORT_PDF = "report.pdf"
#: longest side of a map in the brief and in the annex, pixels
BRIEF_SIZE = 900
ANNEX_SIZE = 420
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
    "rich",
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


#: the figures of the brief shown as large numbers (the others on one line below them)
HEADLINE_FIGURES = (
    "soc_stock_total",
    "target_4p1000",
    "rate_best",
    "net_ghg_best",
    "abatement_at_price",
    "abatement_curve_at_price",
)


@dataclass(frozen=True)
class Section:
    """One block of the report: an anchor, a navigation title and its template ``report/<id>.html.j2``.

    Attributes
    ----------
    id : str
    title : str
    annex : bool
        Part of the technical annex (after the brief, practices and units).
    """

    id: str
    title: str
    annex: bool = False


#: the report's blocks, in order; each is ``scsmap/templates/report/<id>.html.j2``
SECTIONS = (
    Section("brief", "Brief"),
    Section("practices", "Practices and costs"),
    Section("units", "Admin units"),
    Section("maps", "All maps", annex=True),
    Section("statistics", "Statistics", annex=True),
    Section("qa", "Quality assurance", annex=True),
    Section("alignment", "Alignment", annex=True),
    Section("config", "Configuration", annex=True),
    Section("checksums", "Files and checksums", annex=True),
    Section("versions", "Versions", annex=True),
    Section("methods", "Methods", annex=True),
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


# --------------------------------------------------------------------------- maps


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
    return cmap.with_extremes(bad=(0, 0, 0, 0)), norm


def map_image(tif: Path, legend: Legend, size: int) -> str:
    """A product drawn from its overviews in its legend's colours (nodata transparent), as a data URI."""
    a = read_decimated(tif, size)
    codes = {c for c, _, _ in legend.classes}
    if legend.kind == "classes":  # codes without a class (none in scsmap's maps) stay transparent
        a = np.where(np.isin(a, list(codes)), a, np.nan)
    cmap, norm = mpl_colormap(legend)
    return png_data_uri(cmap(norm(np.ma.masked_invalid(a))))


def ramp_ticks(legend: Legend) -> list[dict[str, Any]]:
    """Tick labels of a ramp legend: its two ends and round values between them, with their position [%]."""
    lo, hi = legend.min, legend.max
    step = nice_step(hi - lo, 4)
    values = [lo]
    k = math.ceil(lo / step - 1e-9)
    while k * step < hi:
        v = round(k * step, 10) + 0.0
        if 0.2 < (v - lo) / (hi - lo) < 0.8:  # not on top of an end's label
            values.append(v)
        k += 1
    values.append(hi)
    return [{"value": f"{v:g}", "pos": 100 * (v - lo) / (hi - lo)} for v in values]


def legend_view(legend: Legend) -> dict[str, Any]:
    """What the template draws for a legend: a CSS gradient and ticks, or one swatch per class entry.

    Bit-flag maps (reasons, QA flags) list each reason once and every combination as "several".
    """
    if legend.kind == "ramp":
        lo, hi = legend.min, legend.max
        stops = ", ".join(f"{c} {100 * (v - lo) / (hi - lo):.2f}%" for v, c in legend.stops)
        return {"kind": "ramp", "gradient": stops, "ticks": ramp_ticks(legend), "note": legend.range_note}
    entries = (
        [(label, colour) for label, colour, _ in legend.grouped()]
        if legend.bits
        else [(f"{code} {label}", colour) for code, label, colour in legend.classes]
    )
    return {"kind": "classes", "entries": [{"label": lab, "colour": col} for lab, col in entries]}


def _map_card(
    out: Path, e: dict[str, Any], manifest: dict[str, Any], size: int, title: str | None = None
) -> dict[str, Any] | None:
    legend = entry_legend(e, manifest)
    p = written_product(e)
    if legend is None or p is None:
        return None
    if e.get("class_pixels"):  # the classes that occur in the map (a map drawn with every class of its table)
        shown = legend.only({int(k) for k in e["class_pixels"]})
    else:
        shown = legend
    return {
        "id": e["id"],
        "title": title or layer_name(e, legend.units),
        "long_name": e["long_name"],
        "units": legend.units,
        "group": p.group,
        "src": map_image(out / e["path"], legend, size),
        "legend": legend_view(shown),
    }


# --------------------------------------------------------------------------- tables

Row = dict[str, Any]


def _region(table: list[Row]) -> dict[str, Row]:
    return {r["product"]: r for r in table if r["zone_set"] == "region" and not r["group_by"]}


#: the rows of the admin-unit table: product, column of stats.csv, label
UNIT_ROWS = (
    ("soc_t0", "total", "SOC stock"),
    ("soc_t0", "mean", "SOC stock, mean"),
    ("target_4p1000", "total", "4 per 1000 target"),
    ("rate_best", "total", "best-practice potential"),
    ("rate_best", "share_4p1000_percent", "share of the 4 per 1000 target"),
    ("rate_combined", "total", "best combination of practices"),
    ("net_ghg_best", "total", "net of N2O"),
    ("abatement_at_price", "total", "reachable at the carbon price"),
)


def unit_table(table: list[Row]) -> dict[str, Any]:
    """The admin-unit table: one column per unit (the region first), human row labels, numbers rounded
    per unit (:func:`scsmap.products.units.format_value`)."""
    top = [r for r in table if not r["group_by"]]
    units: dict[tuple[str, str], str] = {}
    for r in top:
        units.setdefault(
            (r["zone_set"], r["zone_id"]),
            f"{r['zone_name']} ({'the run boundary' if r['zone_set'] == 'region' else r['zone_set']})",
        )
    cells = {(r["zone_set"], r["zone_id"], r["product"]): r for r in top}
    columns = [{"name": name, "set": key[0]} for key, name in units.items()]
    rows = [
        {
            "label": "area",
            "units": "ha",
            "values": [
                format_value(next((r["area_ha"] for r in top if (r["zone_set"], r["zone_id"]) == k), None), "ha")
                for k in units
            ],
        }
    ]
    for pid, col, label in UNIT_ROWS:
        found = [cells.get((k[0], k[1], pid)) for k in units]
        if not any(found):
            continue
        some = next(r for r in found if r)
        unit = {"total": some["total_units"], "mean": some["units"], "share_4p1000_percent": "%"}[col]
        rows.append(
            {
                "label": label,
                "units": unit,
                "values": [format_value(r[col] if r else None, unit) for r in found],
            }
        )
    return {"columns": columns, "rows": rows}


def region_rows(table: list[Row]) -> list[dict[str, Any]]:
    """The region's statistics, one row per product, rounded per unit."""
    out = []
    for r in table:
        if r["zone_set"] != "region" or r["group_by"]:
            continue
        out.append(
            {
                "product": r["product"],
                "units": r["units"],
                "valid_area": format_value(r["valid_area_ha"], "ha"),
                "mean": format_value(r["mean"], r["units"]),
                "total": (format_value(r["total"], r["total_units"]) + " " + r["total_units"])
                if r["total_units"]
                else "",
                "share": format_value(r["share_4p1000_percent"], "%"),
            }
        )
    return out


def group_tables(table: list[Row]) -> list[dict[str, Any]]:
    """The region by class of each ``statistics.group_by`` map: area and the totals (or means) of the
    products with a summary role worth comparing across classes."""
    keep = ("soc_t0", "target_4p1000", "rate_best", "net_ghg_best", "abatement_at_price", "asr_bau")
    groups = []
    for g in [g for g in dict.fromkeys(r["group_by"] for r in table) if g]:
        rows = [r for r in table if r["zone_set"] == "region" and r["group_by"] == g]
        classes = list(dict.fromkeys((r["class_code"], r["class_name"]) for r in rows))
        lines = [
            {
                "label": "area (ha)",
                "values": [
                    format_value(next(r["area_ha"] for r in rows if r["class_code"] == c), "ha") for c, _ in classes
                ],
            }
        ]
        for pid in keep:
            prow = {r["class_code"]: r for r in rows if r["product"] == pid}
            if not prow:
                continue
            some = next(iter(prow.values()))
            col, unit = ("total", some["total_units"]) if some["total_units"] else ("mean", some["units"])
            lines.append(
                {
                    "label": f"{pid} {'total' if col == 'total' else 'mean'} ({unit})",
                    "values": [format_value(prow[c][col] if c in prow else None, unit) for c, _ in classes],
                }
            )
        groups.append({"name": g, "columns": [f"{c} {n}" for c, n in classes], "rows": lines})
    return groups


def qa_rows(manifest: dict[str, Any], table: list[Row]) -> list[dict[str, Any]]:
    """Per product: valid range, min and max, whether they are inside the range, the share of the region
    without data and the share of valid pixels of the grid."""
    region = _region(table)
    rows = []
    for e in manifest["products"]:
        st, vr = e.get("statistics", {}), e.get("valid_range")
        lo, hi = st.get("minimum"), st.get("maximum")
        inside = None if lo is None or vr is None else (vr[0] <= lo and hi <= vr[1])
        nan = None
        if e["id"] in region:
            r = region[e["id"]]
            nan = 100 * (1 - r["valid_area_ha"] / r["area_ha"]) if r["area_ha"] else None
        units = display_units(e["units"], manifest.get("currency"))
        rows.append(
            {
                "id": e["id"],
                "units": units,
                "valid_range": "–" if vr is None else f"{vr[0]:g} to {vr[1]:g}",
                "min": format_value(lo, units),
                "max": format_value(hi, units),
                "p2_p98": f"{format_value(st['p2'], units)} to {format_value(st['p98'], units)}" if "p2" in st else "–",
                "in_range": inside,
                "nan": format_value(nan, "%"),
                "valid_percent": format_value(st.get("valid_percent"), "%"),
                "sha256": e.get("sha256", ""),
            }
        )
    return rows


# --------------------------------------------------------------------------- caveats


def caveats(manifest: dict[str, Any], table: list[Row], cfg: Config) -> list[dict[str, str]]:
    """Caveat boxes made from the run: what a decision-maker must know before quoting a figure.

    Returns
    -------
    list of dict
        ``title`` and ``text`` of each: an illustrative cost table, a stationary BAU (one climatology), the
        share of the region where inputs are missing, the area RothC covers, the legend ranges.
    """
    s, src = manifest["summary"], manifest.get("layer_sources", {})
    region = _region(table)
    written = {e["id"] for e in manifest["products"]}
    out = []
    costs = cfg.tables.practice_costs
    if s.get("currency") and costs is not None:
        illustrative = "illustrative" in str(costs).lower()
        if Path(str(costs)).is_file():  # the rows' source and tag columns say whether the costs are placeholders
            columns = read_columns_csv(Path(str(costs)))
            text = " ".join(str(v) for k in ("source", "tag", "note") if k in columns for v in columns[k])
            illustrative |= "illustrative" in text.lower()
        out.append(
            {
                "title": "Illustrative costs" if illustrative else "Costs",
                "text": f"Costs come from {Path(str(costs)).name} ({s['currency']})"
                + (
                    ", whose rows are marked ILLUSTRATIVE: placeholders, not for decision use. Cost maps, the "
                    "abatement curve and every figure at the carbon price change with the real costs."
                    if illustrative
                    else "; check their source and year before quoting the figures at the carbon price."
                ),
            }
        )
    if any(w.startswith(("soc_final_", "asr_", "absdiff_")) for w in written):
        spinup = [src.get(k, "") for k in ("temperature_spinup", "precipitation_spinup", "pet_spinup")]
        if all(v.startswith("same as") for v in spinup if v) and any(spinup):
            out.append(
                {
                    "title": "Stationary BAU",
                    "text": "RothC spins up and runs forward with one climatology: business as usual stays at T0 "
                    "(asr_bau = 0, soc_final_bau = soc_t0), so the scenario gains are measured against an "
                    "unchanging baseline. Give a spin-up climatology (temperature_spinup, ...) for a BAU trend.",
                }
            )
    area = s.get("region_area_ha")
    if area:
        parts = []
        if s.get("valid_area_ha") is not None:
            parts.append(f"{100 * (1 - s['valid_area_ha'] / area):.1f} % of the region has no SOC stock value")
        unknown = [(k[: -len("_unknown_ha")], v) for k, v in s.items() if k.endswith("_unknown_ha")]
        if unknown:
            worst = max(v for _, v in unknown)
            parts.append(
                f"on up to {100 * worst / area:.1f} % an input a practice rule needs is missing (suitability "
                "'unknown', grey on the maps; best practice 'unknown')"
            )
        if parts:
            out.append({"title": "Missing inputs", "text": "; ".join(parts) + "."})
    if "soc_final_bau" in region and "soc_t0" in region and region["soc_t0"]["valid_area_ha"]:
        share = 100 * region["soc_final_bau"]["valid_area_ha"] / region["soc_t0"]["valid_area_ha"]
        out.append(
            {
                "title": "RothC coverage",
                "text": f"The RothC/GSOCseq maps cover {share:.0f} % of the area with a SOC stock: the land uses "
                "GSOCseq models (cropland, grassland, shrubland, tree crops, paddy fields) where every input is "
                "known. Their totals (soc_final_*, absdiff_*) are over that area only and do not compare with "
                "the SOC stock total of the whole region.",
            }
        )
    if s.get("abatement_curve_at_price_Mt_CO2e_yr") is not None:
        out.append({"title": "Two readings at the carbon price", "text": PRICE_READINGS})
    mode = manifest.get("legend", "fixed")
    out.append(
        {
            "title": "Legends",
            "text": "Colour ranges are the fixed defaults of each kind of map, taken from the literature, so that "
            "regions and runs compare (outputs.legend: fixed)."
            if mode == "fixed"
            else "Each map's colours span its own 2nd-98th percentiles in this run (outputs.legend: data): read "
            "the legend of each map; colours do not compare between maps, regions or runs "
            "(outputs.legend: fixed for that).",
        }
    )
    return out


# --------------------------------------------------------------------------- the report


def report_context(
    cfg: Config, out: Path, manifest: dict[str, Any], table: list[Row], progress: Progress = QUIET
) -> dict[str, Any]:
    """Everything the templates show, in one dict (the sections share it)."""
    entries = {e["id"]: e for e in manifest["products"]}
    keys = key_maps(manifest)
    figures = brief(manifest["summary"])
    titles = unique_names(
        {e["id"]: layer_name(e, leg.units) for e in manifest["products"] if (leg := entry_legend(e, manifest))}
    )
    jobs = [(entries[pid], BRIEF_SIZE) for pid in keys] + [(e, ANNEX_SIZE) for e in manifest["products"]]
    with progress.stage("report maps", len(jobs)) as st, ThreadPoolExecutor(os.cpu_count() or 1) as pool:

        def card(job: tuple[dict[str, Any], int]) -> dict[str, Any] | None:
            e, size = job
            try:
                return _map_card(out, e, manifest, size, titles.get(e["id"]))
            finally:
                st.advance()

        cards = list(pool.map(card, jobs))  # pictures drawn on every core (GDAL and PNG encoding release the GIL)
    key_cards = [c for c in cards[: len(keys)] if c is not None]
    annex = [c for c in cards[len(keys) :] if c is not None]
    groups = [{"name": g, "cards": [c for c in annex if c["group"] == g]} for g in GROUPS]
    curve = None
    s = manifest["summary"]
    if s.get("abatement_curve") and (out / s["abatement_curve"]).is_file():
        from .abatement import curve_png

        columns = read_columns_csv(out / s["abatement_curve"])
        png = curve_png(
            columns,
            s["carbon_price"],
            s.get("currency", ""),
            f"{manifest['region']['name']}: marginal abatement cost curve (net of N2O)",
        )
        values = {k: v.tolist() for k, v in columns.items()}
        rows = [dict(zip(values, r)) for r in zip(*values.values())]
        cost_unit = f"{s.get('currency') or 'currency'} t-1 CO2e"
        curve = {
            "src": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
            "csv": s["abatement_curve"],
            "cost_unit": cost_unit,
            "rows": [
                {
                    "step": r["step"],
                    "practice": r["practice"],
                    "zone": r["climate_zone"],
                    "area": format_value(r["area_ha"], "ha"),
                    "abatement": format_value(r["abatement_Mt_CO2e_yr"], "Mt CO2e yr-1"),
                    "cost": format_value(r["cost_per_tco2e"], cost_unit),
                    "cumulative": format_value(r["cumulative_Mt_CO2e_yr"], "Mt CO2e yr-1"),
                }
                for r in rows
            ],
        }
    shares = sorted(s.get("best_practice_share_percent", {}).items(), key=lambda kv: -kv[1])
    alignment_path = out / manifest.get("alignment_report", "alignment_report.json")
    alignment = json.loads(alignment_path.read_text(encoding="utf-8")) if alignment_path.is_file() else {}
    refs = sorted({p.references for e in manifest["products"] if (p := written_product(e)) and p.references})
    g = manifest["grid"]
    units = [r for r in table if r["zone_set"] != "region"]
    return {
        "m": manifest,
        "s": s,
        "sections": SECTIONS,
        "figures": figures,
        "headline_figures": [f for f in figures if f.key in HEADLINE_FIGURES],
        "context_figures": [f for f in figures if f.key not in HEADLINE_FIGURES],
        "caveats": caveats(manifest, table, cfg),
        "key_maps": key_cards,
        "map_groups": [grp for grp in groups if grp["cards"]],
        "family_ranges": family_ranges(),
        "project_file": next((f for f in manifest.get("files", []) if f.endswith(".qgz")), None),
        "practice_shares": [{"name": k, "share": format_value(v, "%")} for k, v in shares],
        "curve": curve,
        "units": unit_table(table) if units else None,
        "region_rows": region_rows(table),
        "group_tables": group_tables(table),
        "region_area": format_value(
            max((r["area_ha"] for r in table if r["zone_set"] == "region"), default=None), "ha"
        ),
        "qa": qa_rows(manifest, table),
        "alignment": alignment,
        "config_yaml": yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False),
        "versions": versions(),
        "references": refs,
        "methods": METHODS.format(version=__version__, crs=g["crs"], res=f"{abs(g['resolution'][0]):.6g}"),
        "generated": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def render_report(context: dict[str, Any]) -> str:
    """The HTML of the report from :func:`report_context`."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("scsmap", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("report.html.j2").render(**context)


def write_report(
    cfg: Config, out_dir: str | os.PathLike | None = None, pdf: bool = False, progress: Progress = QUIET
) -> Path:
    """Render ``report.html`` (one self-contained file) for a finished run, and ``report.pdf`` with ``pdf``.

    Computes ``stats.csv`` first when the folder has none.

    Parameters
    ----------
    cfg : Config
        The region's config (echoed in the report).
    out_dir : path-like, optional
        The run's folder (default ``cfg.output_dir``).
    pdf : bool
        Also print the report to ``report.pdf`` with headless Chromium (:func:`write_pdf`).
    progress : Progress, optional
        Shows the maps being drawn.

    Returns
    -------
    Path
        The report (the HTML file).

    Raises
    ------
    OutputError
        No manifest in ``out_dir``, the report cannot be written, or (``pdf``) no Chromium.
    """
    out = Path(out_dir) if out_dir is not None else cfg.output_dir
    manifest = load_manifest(out)
    with locked(out, "report"):
        if not (out / STATS_CSV).is_file():
            write_stats(cfg, out, progress=progress)
        table = read_stats_csv(out / STATS_CSV)
        html = render_report(report_context(cfg, out, manifest, table, progress))
        path = out / REPORT
        try:
            tmp = out / f".{REPORT}.tmp"
            write_text(tmp, html)
            os.replace(tmp, path)
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {exc}") from None
        if pdf:
            with progress.stage("PDF", detail=REPORT_PDF):
                write_pdf(path, out / REPORT_PDF)
        return path


def chromium() -> str | None:
    """The headless browser that prints the PDF: Chromium or Chrome on the PATH (None if there is none)."""
    return next(
        (p for n in ("chromium", "chromium-browser", "google-chrome", "chrome") if (p := shutil.which(n))), None
    )


def write_pdf(html: Path, pdf: Path, timeout: float = 300) -> Path:
    """Print an HTML file to PDF with headless Chromium (its print style sheet, A4).

    Raises
    ------
    OutputError
        No Chromium on the PATH, or Chromium failed.
    """
    browser = chromium()
    if browser is None:
        raise OutputError(
            "--pdf needs Chromium or Chrome on the PATH to print the report",
            "install it (Debian: apt-get install chromium), or open report.html in a browser and print it to PDF",
        )
    tmp = pdf.with_name(f".{pdf.name}.tmp")
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--user-data-dir={profile}",
            f"--print-to-pdf={tmp}",
            html.resolve().as_uri(),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise OutputError(f"Chromium could not print {html}: {exc}") from None
    if proc.returncode != 0 or not tmp.is_file() or tmp.stat().st_size == 0:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"Chromium could not print {html} (exit {proc.returncode}): {proc.stderr.strip()[-500:]}")
    os.replace(tmp, pdf)
    return pdf
