"""``scsmap init``: a commented region config guessed from a folder of rasters, each unsure guess marked.

:func:`init_config` inspects every raster under a folder (through :mod:`scsmap.io.inspect`: CRS, bands,
data type, nodata, GDAL scale, sampled values), recognises the file-name patterns of the data sets task
forces hold (GSNmap, SoilGrids, GSOCmap, CHELSA, TerraClimate, WorldClim, MODIS LST, ESA CCI,
WorldCover, CGLS-LC100, GlobCover, MODIS IGBP, CORINE) and generic names (``clay``, ``bd``, ``prec``,
``dem`` ...), groups 12 monthly files into a ``{month:02d}`` pattern, guesses each layer's units from
the data set or its values and the land-cover legend from the codes, and writes a config whose
comments say what each file is and mark with ``CHECK`` every guess it is unsure of. Files it does not
use are listed with the reason. ``scsmap validate`` then passes or says what is missing.

The guesses are conventions of the data sets (documented units and scales) and the physical ranges of
:mod:`scsmap.config.catalogue`; nothing here reads a file but through :mod:`scsmap.io`.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..config import LAYERS
from ..config.catalogue import DEFAULT_LEGEND
from ..errors import InputError, OutputError
from ..io.inspect import RasterFacts, describe, find_files, inspect_raster
from ..io.tables import legend_codes
from ..io.write import write_new_text

#: names that mark a file scsmap does not use as a layer (uncertainty, probabilities, masks ...)
_SKIP = {
    "sd": "a standard deviation",
    "sdev": "a standard deviation",
    "std": "a standard deviation",
    "stdev": "a standard deviation",
    "uncertainty": "an uncertainty",
    "q0.05": "a quantile",
    "q0.95": "a quantile",
    "q05": "a quantile",
    "q95": "a quantile",
    "var": "a variance",
    "prob": "a probability",
    "mask": "a mask",
    "qa": "a quality flag",
    "count": "a count",
    "tseason": "a bioclimatic index",
    "trange": "a bioclimatic index",
}
#: tokens of annual summaries (a monthly layer cannot use them)
_ANNUAL = {"annual", "yearly", "bio1", "bio01", "bio12", "prr", "avtr", "year"}
#: generic tokens → layer
_GENERIC: dict[str, tuple[str, ...]] = {
    "soc_stock": ("ocs", "socs", "socstock", "stock", "gsocmap"),
    "organic_carbon": ("soc", "oc", "corg", "orgc", "organic", "carbon", "om"),
    "bulk_density": ("bd", "bdod", "bkd", "bulk", "bdens", "bulkdensity"),
    "coarse_fragments": ("cf", "cfvo", "cfrag", "cfragf", "coarse", "gravel", "stones"),
    "clay": ("clay",),
    "silt": ("silt",),
    "sand": ("sand",),
    "precipitation": ("prec", "ppt", "precip", "precipitation", "rain", "rainfall", "prcp"),
    "temperature": ("tmean", "tavg", "tas", "temp", "tair", "temperature", "t2m", "temp10"),
    "temperature_min": ("tmin", "tasmin", "tmn"),
    "temperature_max": ("tmax", "tasmax", "tmx"),
    "pet": ("pet", "et0", "eto", "evapotranspiration"),
    "lst_day": ("lstday", "lst_day", "lstd"),
    "lst_night": ("lstnight", "lst_night", "lstn"),
    "elevation": ("dem", "elev", "elevation", "srtm", "dtm", "altitude", "gmted", "gtopo"),
    "slope": ("slope", "slp"),
    "land_cover": ("lc", "landcover", "lulc", "lccs", "esacci", "globcover", "worldcover", "corine", "clc"),
}
#: data sets recognised by name: (pattern on the lower-case relative path, data set, legend or None)
_DATASETS: list[tuple[re.Pattern[str], str, str | None]] = [
    (re.compile(r"gsnm"), "GSNmap", None),
    (re.compile(r"(^|[/_])(soc|ocs|bdod|clay|silt|sand|cfvo)_\d+-\d+cm_"), "SoilGrids", None),
    (re.compile(r"gsocmap"), "GSOCmap", None),
    (re.compile(r"chelsa"), "CHELSA", None),
    (re.compile(r"terraclimate"), "TerraClimate", None),
    (re.compile(r"(^|[/_])wc2"), "WorldClim", None),
    (re.compile(r"mod11|modis_lst|lst"), "MODIS LST", None),
    (re.compile(r"esacci|esa_cci|esa-cci|c3s-lc|lccs"), "ESA CCI land cover", "esa_cci"),
    (re.compile(r"worldcover"), "ESA WorldCover", "worldcover"),
    (re.compile(r"lc100|cgls|discrete-classification"), "Copernicus CGLS-LC100", "cgls_lc100"),
    (re.compile(r"globcover"), "GlobCover 2009", "globcover2009"),
    (re.compile(r"mcd12q1|igbp|lc_type1"), "MODIS MCD12Q1 (IGBP)", "modis_igbp"),
    (re.compile(r"corine|(^|[/_])(u20\d\d_)?clc"), "CORINE Land Cover", "corine"),
]
#: GSNmap property codes → layer and units (GSNmap/GloSIS templates: CORG %, BKD g cm-3, CLAY/SILT/SAND %)
_GSNMAP = {
    "corg": ("organic_carbon", "%"),
    "bkd": ("bulk_density", "g cm-3"),
    "clay": ("clay", "%"),
    "silt": ("silt", "%"),
    "sand": ("sand", "%"),
    "cfragf": ("coarse_fragments", "%"),
}
#: SoilGrids 2.0 properties → layer and the units of its published integers (ISRIC SoilGrids FAQ: mapped units)
_SOILGRIDS = {
    "ocs": ("soc_stock", "t ha-1"),
    "soc": ("organic_carbon", "dg kg-1"),
    "bdod": ("bulk_density", "cg cm-3"),
    "clay": ("clay", "g kg-1"),
    "silt": ("silt", "g kg-1"),
    "sand": ("sand", "g kg-1"),
    "cfvo": ("coarse_fragments", "cm3 dm-3"),
}
_SOIL = ("soc_stock", "organic_carbon", "bulk_density", "coarse_fragments", "clay", "silt", "sand")
#: three upper-case letters in names that are not ISO 3166 codes
_NOT_ISO3 = {"BKD", "SOC", "OCS", "DEM", "DTM", "CEC", "QRF", "MAP", "MAT", "PET", "LST", "TIF", "CLC", "ESA", "CCI"}


@dataclass
class Candidate:
    """A file (or 12 monthly files) that may be one input layer."""

    path: str  # relative to the folder, POSIX; a {month:02d} pattern for 12 files
    facts: RasterFacts
    layer: str | None
    dataset: str | None
    legend: str | None = None
    units: str | None = None
    scale: float | None = None
    offset: float | None = None
    monthly_files: bool = False
    notes: list[str] = field(default_factory=list)
    unsure: list[str] = field(default_factory=list)
    skip: str | None = None


@dataclass
class InitResult:
    """What ``scsmap init`` wrote.

    Attributes
    ----------
    path : Path
        The config written.
    text : str
        Its text.
    layers : dict of str to Candidate
        The layers chosen.
    unsure : int
        How many guesses are marked ``CHECK``.
    unused : list of (str, str)
        Files not used, with the reason.
    """

    path: Path
    text: str
    layers: dict[str, Candidate]
    unsure: int
    unused: list[tuple[str, str]]


def _stem(rel: str) -> str:
    """The relative path without the file's suffix (``.tif``), lower case."""
    return re.sub(r"\.[a-z0-9]{2,4}$", "", rel.lower())


def _tokens(rel: str) -> set[str]:
    raw = [t for t in re.split(r"[^a-z0-9.]+", _stem(rel)) if t]
    out = set(raw)
    out |= {re.sub(r"\d+$", "", t) for t in raw}
    out |= {re.sub(r"^\d+", "", t) for t in raw}
    return {t for t in out if t}


def _monthly_groups(rels: list[str]) -> dict[str, list[str]]:
    """Groups of 12 files that differ only by a month number 1..12: ``{pattern: [January..December]}``.

    ``01``..``12`` gives ``{month:02d}``, ``1``..``12`` gives ``{month}``.
    """
    groups: dict[str, dict[int, tuple[str, str]]] = {}
    for rel in rels:
        for m in re.finditer(r"(?<!\d)(\d{1,2})(?!\d)", rel):
            value = int(m.group(1))
            if 1 <= value <= 12:
                key = rel[: m.start()] + "\0" + rel[m.end() :]
                groups.setdefault(key, {})[value] = (rel, m.group(1))
    out: dict[str, list[str]] = {}
    taken: set[str] = set()
    for template, months in groups.items():
        files = [months[i][0] for i in sorted(months)]
        if sorted(months) != list(range(1, 13)) or taken & set(files):
            continue
        padded = all(len(text) == 2 for _, text in months.values())
        unpadded = all(text == str(v) for v, (_, text) in months.items())
        if not (padded or unpadded):
            continue
        out[template.replace("\0", "{month:02d}" if padded else "{month}")] = files
        taken |= set(files)
    return out


def _classify(c: Candidate, rel: str) -> None:
    """Set the layer, data set and the data set's units of a candidate from its name."""
    text = rel.lower()
    tokens = _tokens(rel)
    for word, why in _SKIP.items():
        if word in tokens:
            c.skip = why
            return
    for pattern, dataset, legend in _DATASETS:
        if pattern.search(text):
            c.dataset, c.legend = dataset, legend
            break
    if c.dataset == "GSNmap":
        prop = next((p for p in _GSNMAP if p in tokens), None)
        if prop is None:
            c.skip = "a GSNmap property scsmap does not use"
            return
        c.layer, c.units = _GSNMAP[prop]
        return
    if c.dataset == "SoilGrids":
        m = re.search(r"(soc|ocs|bdod|clay|silt|sand|cfvo)_(\d+)-(\d+)cm", text)
        assert m is not None
        c.layer, c.units = _SOILGRIDS[m.group(1)]
        if (m.group(2), m.group(3)) != ("0", "30"):
            c.unsure.append(
                f"SoilGrids depth {m.group(2)}-{m.group(3)} cm: scsmap needs 0-30 cm, the thickness-weighted mean "
                "(5 x [0-5] + 10 x [5-15] + 15 x [15-30]) / 30 (docs/methods/gsocseq.md §1.2)"
            )
        return
    if c.dataset == "GSOCmap":
        c.layer, c.units = "soc_stock", "t ha-1"
        return
    if c.legend is not None:
        c.layer = "land_cover"
        return
    for layer, words in _GENERIC.items():
        if any(w in tokens for w in words):
            if layer == "organic_carbon" and any(w in tokens for w in _GENERIC["soc_stock"]):
                continue
            if layer == "elevation" and any(w in tokens for w in _GENERIC["slope"]):
                continue
            c.layer = layer
            return
    if c.dataset == "CHELSA" and "pr" in tokens:
        c.layer = "precipitation"
        return
    c.skip = "no layer scsmap knows in its name"


def _guess_units(c: Candidate) -> None:
    """Units (and scale) of a candidate from its data set or its values; unsure guesses noted."""
    f, layer = c.facts, c.layer
    assert layer is not None
    spec = LAYERS[layer]
    if spec.unit == "class":
        c.units = "class"
        return
    if c.units is not None:
        return
    med, hi = f.median, f.maximum
    if med is None or hi is None:
        c.units = spec.unit
        c.unsure.append("no valid value in the preview: the units are the canonical ones, unchecked")
        return
    if layer in ("clay", "silt", "sand", "coarse_fragments"):
        c.units = (
            "fraction" if hi <= 1.0 else "%" if hi <= 100 else ("cm3 dm-3" if layer == "coarse_fragments" else "g kg-1")
        )
        c.unsure.append(f"units from the values (up to {hi:.4g})")
    elif layer == "organic_carbon":
        c.units = "%" if med < 15 else "g kg-1" if med < 150 else "dg kg-1"
        c.unsure.append(f"units from the values (median {med:.4g})")
    elif layer == "soc_stock":
        c.units = "kg m-2" if hi < 60 and med < 15 else "t ha-1"
        if c.units == "kg m-2":
            c.unsure.append(f"median {med:.4g}: read as kg m-2 (a stock in t ha-1 is rarely below 15)")
    elif layer == "bulk_density":
        c.units = "g cm-3" if med < 3 else "cg cm-3" if med < 300 else "kg m-3"
        c.unsure.append(f"units from the values (median {med:.4g})")
    elif layer in ("temperature", "temperature_min", "temperature_max", "lst_day", "lst_night"):
        if med > 150 and hi < 400:
            c.units = "K"
        elif hi > 1000:  # stored integers: MODIS LST kelvin x 50, CHELSA v2.1 kelvin x 10
            c.units, c.scale = "K", (0.02 if med > 5000 else 0.1)
            c.unsure.append(f"integers (median {med:.4g}): read as kelvin x {1 / c.scale:g}, scale {c.scale}")
        elif hi > 60:
            c.units, c.scale = "degC", 0.1
            c.unsure.append(f"values up to {hi:.4g}: read as degC x 10 (scale 0.1), as CHELSA v1.2 stores them")
        else:
            c.units = "degC"
        if c.dataset == "MODIS LST" or layer.startswith("lst"):
            c.notes.append("land-surface temperature: scsmap derives air temperature as (day + night) / 2")
    elif layer in ("precipitation", "pet"):
        c.units = "mm month-1"
        if hi > 3000:
            c.scale = 0.1 if hi < 30000 else 0.01
            c.unsure.append(f"values up to {hi:.4g}: read as mm x {1 / c.scale:g} (scale {c.scale})")
    elif layer == "slope":
        c.units = "degree" if hi <= 90 else "%"
        c.unsure.append(f"slope units from the values (up to {hi:.4g}): degree, %, or radians x 100?")
    elif layer == "elevation":
        c.units = "m"
    else:
        c.units = spec.unit
        c.unsure.append("canonical units assumed")
    if f.scales and f.scales[0] != 1 and c.scale is not None:
        c.scale = None  # the file's own GDAL scale is applied already


def _guess_legend(c: Candidate) -> None:
    codes = c.facts.codes
    legends = legend_codes()
    fits = [n for n, table in legends.items() if codes and all(x in table or x == c.facts.nodata for x in codes)]
    if c.legend == "corine" and codes and max(codes) <= 50:
        c.legend = "corine_grid"
    if c.legend is not None and (not codes or c.legend in fits):
        if codes:
            c.notes.append(f"codes {codes[:12]}{' ...' if len(codes) > 12 else ''} all in the {c.legend} legend")
        return
    if c.legend is not None:
        c.unsure.append(f"the name says {c.legend}, but sampled codes fit {', '.join(fits) or 'no packaged legend'}")
        return
    c.legend = fits[0] if fits else DEFAULT_LEGEND
    c.unsure.append(
        f"legend from the codes {codes[:12] if codes else '?'}: they fit {', '.join(fits) or 'no packaged legend'}"
    )


def _score(c: Candidate) -> tuple[int, float]:
    """Higher is better: a named data set first, then the finer pixel."""
    return (1 if c.dataset else 0, -c.facts.resolution[0])


def _q(value: object) -> str:
    """A YAML scalar (JSON is YAML): strings quoted, numbers as they are."""
    return json.dumps(value)


def _iso3(names: list[str]) -> str | None:
    counts: dict[str, int] = {}
    for n in names:
        for tok in re.findall(r"(?<![A-Za-z])[A-Z]{3}(?![A-Za-z])", n):
            if tok not in _NOT_ISO3:
                counts[tok] = counts.get(tok, 0) + 1
    return max(counts, key=lambda k: counts[k]) if counts else None


def _iso2(names: list[str]) -> str | None:
    """A GSNmap-style two-letter prefix (``BT-GSNM-...``)."""
    found = {m.group(1) for n in names if (m := re.match(r"^([A-Z]{2})-GSNM-", n))}
    return found.pop() if len(found) == 1 else None


def _boundary(vectors: list[Path], root: Path) -> tuple[Path | None, list[str]]:
    words = ("boundary", "bnda", "admin0", "adm0", "country", "border", "aoi", "outline", "national")
    named = [v for v in vectors if any(w in v.as_posix().lower() for w in words)]
    pick = (named or vectors or [None])[0]
    others = [v.relative_to(root).as_posix() for v in vectors if v != pick]
    return pick, others


def guess_layers(
    folder: Path, progress: Callable[[str], None] | None = None
) -> tuple[dict[str, Candidate], list[tuple[str, str]], list[Candidate]]:
    """Inspect every raster under ``folder`` and choose one file (or 12 monthly files) per layer.

    Parameters
    ----------
    folder : Path
    progress : callable, optional
        Called with each file's relative path as it is inspected.

    Returns
    -------
    (dict of str to Candidate, list of (str, str), list of Candidate)
        The chosen layers, the files not used with the reason, and the other candidates of chosen layers.
    """
    rasters, _ = find_files(folder)
    rels = [p.relative_to(folder).as_posix() for p in rasters]
    months = _monthly_groups(rels)
    in_group = {r: pattern for pattern, members in months.items() for r in members}
    facts: dict[str, RasterFacts] = {}
    unused: list[tuple[str, str]] = []
    for rel, path in zip(rels, rasters):
        if rel in in_group and months[in_group[rel]][0] != rel:
            continue  # one file of a monthly group stands for the 12
        if progress:
            progress(rel)
        try:
            facts[rel] = inspect_raster(path)
        except InputError as exc:
            unused.append((rel, f"unreadable ({exc.message})"))
    candidates: list[Candidate] = []
    for rel, f in facts.items():
        pattern = in_group.get(rel)
        c = Candidate(path=pattern or rel, facts=f, layer=None, dataset=None, monthly_files=pattern is not None)
        _classify(c, pattern or rel)
        if c.skip is None and c.layer is not None:
            spec = LAYERS[c.layer]
            annual = bool(_tokens(c.path) & _ANNUAL)
            if spec.months and not c.monthly_files and f.bands != 12:
                c.skip = f"{f.bands} band(s): {c.layer} needs 12 monthly values" + (
                    " (an annual file)" if annual else ""
                )
            elif not spec.months and (c.monthly_files or (f.bands == 12 and c.layer not in _SOIL)):
                c.skip = f"monthly values: {c.layer} is one value per pixel"
        if c.skip is not None:
            unused.append((c.path, c.skip))
            continue
        assert c.layer is not None
        if f.crs is None:
            c.unsure.append("the file has no CRS: EPSG:4326 assumed (set crs to the right one)")
        elif not f.crs.startswith("EPSG"):
            c.notes.append("CRS without an EPSG code")
        candidates.append(c)
    chosen: dict[str, Candidate] = {}
    others: list[Candidate] = []
    for c in sorted(candidates, key=_score, reverse=True):
        assert c.layer is not None
        if c.layer in chosen:
            others.append(c)
            chosen[c.layer].notes.append(f"other candidate: {c.path}")
            unused.append((c.path, f"another {c.layer} file was chosen ({chosen[c.layer].path})"))
            continue
        if c.layer in chosen or (c.layer == "land_use"):
            continue
        chosen[c.layer] = c
    for c in chosen.values():
        _guess_units(c)
        if c.layer == "land_cover":
            _guess_legend(c)
    if "soc_stock" in chosen and "organic_carbon" in chosen:
        oc = chosen.pop("organic_carbon")
        unused.append((oc.path, "a SOC stock map is given; organic carbon is used only to derive one"))
    order = list(LAYERS)
    return dict(sorted(chosen.items(), key=lambda kv: order.index(kv[0]))), sorted(unused), others


def config_text(
    folder: Path, out: Path, layers: dict[str, Candidate], unused: list[tuple[str, str]]
) -> tuple[str, int]:
    """The commented YAML of a region config for ``layers`` found in ``folder``, to be written at ``out``.

    Returns
    -------
    (str, int)
        The text and the number of ``CHECK`` marks.
    """
    root = folder.resolve()
    try:
        data_dir = Path(os.path.relpath(root, out.resolve().parent)).as_posix()
    except ValueError:  # another drive (Windows)
        data_dir = root.as_posix()
    _, vectors = find_files(root)
    boundary, other_vectors = _boundary(vectors, root)
    names = [p.name for p in root.rglob("*") if p.is_file()]
    iso3 = _iso3(names)
    checks = 0
    today = _dt.date.today().isoformat()
    lines = [
        f"# Region config written by `scsmap init {folder}` on {today} (scsmap {__version__}).",
        "# Each guess scsmap is unsure of is marked CHECK: look at it, then remove the mark.",
        f"# Next: scsmap validate {out.name} --inputs   (what a run will make and skip), then scsmap build {out.name}",
        "# Every key: docs/config.md. The packaged defaults apply (grid, fills, parameters); no `extends:` needed.",
        "",
        f"data_dir: {_q(data_dir)}",
        "",
        "region:",
    ]
    region_name = root.name if root.name.lower() not in ("soil", "data", "inputs", "rasters") else root.parent.name
    if iso3 and len(region_name) <= 3:
        region_name = iso3
    shown = region_name if region_name == iso3 else region_name.replace("_", " ").title()
    lines.append(f"  name: {_q(shown)}   # CHECK: the region's name (from the folder)")
    checks += 1
    if iso3:
        lines.append(f"  iso3: {iso3}   # CHECK: ISO 3166-1 alpha-3 code, guessed from the file names")
    else:
        two = _iso2(names)
        seen = f" (the file names start with {two}, an alpha-2 code)" if two else " (none found in the file names)"
        lines.append(f"  iso3: XXX   # CHECK: the region's ISO 3166-1 alpha-3 code{seen}")
    checks += 1
    if boundary is not None:
        rel = boundary.relative_to(root).as_posix()
        lines += [
            "  boundary:",
            f"    path: {_q(rel)}" + ("   # CHECK: one of several vector files" if other_vectors else ""),
        ]
        checks += bool(other_vectors)
        for v in other_vectors:
            lines.append(f"    # other vector file: {v}")
    else:
        bounds = [c.facts.bounds_lonlat for c in layers.values() if c.facts.bounds_lonlat]
        if bounds:
            w, s = min(b[0] for b in bounds), min(b[1] for b in bounds)
            e, n = max(b[2] for b in bounds), max(b[3] for b in bounds)
            lines.append(f"  bbox: [{w:.4f}, {s:.4f}, {e:.4f}, {n:.4f}]   # CHECK: no boundary file in the folder:")
            lines.append("  # the rasters' extent in lon/lat. Better: a boundary polygon, e.g.")
            lines.append(
                "  # boundary: {path: my_boundary.gpkg}   or   boundary: {countries: ne_10m_admin_0_countries.zip}"
            )
            checks += 1
    like = next((n for n in ("soc_stock", "organic_carbon", "clay") if n in layers), None)
    if like:
        res = layers[like].facts.resolution[0]
        lines += [
            "",
            "grid:",
            f"  like: {like}   # the grid of the {like} file ({res:.6g} CRS units); or crs + resolution",
        ]
    lines += ["", "inputs:"]
    for name, c in layers.items():
        f = c.facts
        lines.append(f"  {name}:" + (f"   # {c.dataset}" if c.dataset else ""))
        what = "12 files, January..December" if c.monthly_files else describe(f)
        lines.append(f"    path: {_q(c.path)}   # {what}")
        if c.monthly_files:
            lines.append(f"    # first file: {describe(f)}")
        unit_note = "   # CHECK: " + "; ".join(c.unsure) if c.unsure else ""
        lines.append(f"    units: {_q(c.units)}{unit_note}")
        checks += bool(c.unsure)
        if c.scale is not None:
            lines.append(f"    scale: {c.scale}")
        if f.crs is None:
            lines.append('    crs: "EPSG:4326"')
        if name == "land_cover":
            lines.append(f"    legend: {c.legend}   # packaged legends: docs/regionalise.md#land-cover-legends")
            if f.nodata is None:
                lines.append("    nodata: 0   # CHECK: the file declares no nodata; 0 is 'no data' in most legends")
                checks += 1
        for note in c.notes:
            lines.append(f"    # {note}")
    missing_soil = [n for n in ("silt", "bulk_density") if n not in layers]
    if missing_soil and ("soc_stock" in layers or "organic_carbon" in layers):
        lines += ["", "fill:   # soil properties without a raster: a constant (in the canonical unit) with its source"]
        if "silt" in missing_soil:
            lines += ["  silt:", "    constant: 25   # CHECK: a national mean silt content, %", '    source: "..."']
            checks += 1
        if "bulk_density" in missing_soil:
            lines += [
                "  bulk_density:",
                "    constant: 1.4   # CHECK: a national mean bulk density, g cm-3 (or ptf: manrique_jones_1991)",
                '    source: "..."',
            ]
            checks += 1
    wanted = {
        "climate (monthly precipitation and temperature)": ("precipitation", "temperature", "lst_day"),
        "land cover": ("land_cover",),
    }
    absent = [k for k, v in wanted.items() if not any(x in layers for x in v)]
    if absent:
        lines += [
            "",
            f"# Not found: {', '.join(absent)}.",
            "# Without them the RothC scenarios and the practice potentials are skipped (scsmap validate lists",
            "# what a run will make and skip); add them under inputs: when you have them.",
        ]
    if unused:
        lines += ["", "# Files not used:"]
        lines += [f"#   {rel}: {why}" for rel, why in unused]
    return "\n".join(lines) + "\n", checks


def init_config(
    folder: str | os.PathLike[str],
    out: str | os.PathLike[str],
    overwrite: bool = False,
    progress: Callable[[str], None] | None = None,
) -> InitResult:
    """Write a commented region config guessed from the rasters of ``folder`` (``scsmap init``).

    Parameters
    ----------
    folder : path-like
        The folder of the task force's files (searched recursively).
    out : path-like
        The config to write (relative paths in it are relative to its folder).
    overwrite : bool
        Replace ``out`` when it exists (else refused: a user's file is never replaced silently).
    progress : callable, optional
        Called with each file's relative path as it is inspected.

    Returns
    -------
    InitResult

    Raises
    ------
    InputError
        ``folder`` is not a folder, or holds no raster scsmap recognises.
    OutputError
        ``out`` exists (without ``overwrite``) or cannot be written.
    """
    root = Path(folder)
    dest = Path(out)
    if dest.exists() and not overwrite:
        raise OutputError(f"{dest} exists already", "choose another --out, or pass --overwrite to replace it")
    layers, unused, _ = guess_layers(root, progress)
    if not layers:
        raise InputError(
            f"no raster under {root} looks like a layer scsmap uses ({len(unused)} file(s) seen)",
            "name your files after what they hold (clay, soc, bd, prec_01 ...) or write the config by hand "
            "(docs/index.md)",
        )
    text, checks = config_text(root, dest, layers, unused)
    try:
        write_new_text(dest, text, overwrite)
    except FileExistsError:
        raise OutputError(f"{dest} exists already", "choose another --out, or pass --overwrite") from None
    except OSError as exc:
        raise OutputError(f"cannot write {dest}: {exc.strerror}") from None
    return InitResult(dest, text, layers, checks, unused)
