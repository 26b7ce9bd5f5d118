"""Area-correct statistics per region, admin unit and class (``stats.csv``, ``stats.gpkg``).

Every figure comes from the one area-weighting engine, :mod:`scsmap.outputs.zonal`, the same
that gives the run summary: each grid cell is weighted by the part of it inside the unit
(exactextract's exact coverage fraction) times its geodesic area (:func:`scsmap.grid.cell_area_ha`).
Pixel counts in degrees are never used.

For a unit *u* (optionally restricted to class *k* of a class map such as ``land_use``),
with weights ``w = coverage x cell area [ha]`` and a product *v* valid on cells *V*:

* ``area_ha`` = Σ_u w (the unit's area on the grid, whatever the data);
* ``valid_area_ha`` = Σ_{u∩V} w;  ``mean`` = Σ_{u∩V} w v / ``valid_area_ha``;
* ``total`` = Σ_{u∩V} w v / 10^6 for the maps of an area density in tonnes (:func:`total_units`):
  Mt C for ``t ha-1``, Mt C yr-1 for ``t ha-1 yr-1``, Mt CO2 yr-1 for ``t CO2 ha-1 yr-1`` and
  Mt CO2e yr-1 for ``t CO2e ha-1 yr-1``; empty for other units;
* ``share_4p1000_percent`` (``t ha-1 yr-1`` maps, t C) = 100 Σ w v / Σ w target over the cells where
  both are valid, the target being the ``target_4p1000`` product (else ``parameters.rate_4p1000`` ×
  ``soc_t0``): the share of the area-weighted 4 per 1000 target met (docs/methods/fourp1000.md §5), never a mean of
  per-pixel ratios.

The products are read window by window (whole rows of tiles, or on a grid too wide for that one row of
tiles in pieces of whole tiles: :data:`WINDOW_PIXELS` pixels at most, every tile decoded once), the
weights of each window are computed for all units at once, and the sums of the windows are added up
(float64): memory is bounded by the window, not by the grid, and the region's row equals the run
summary, taken with the same primitives during the run. Inside this module the table is plain Python:
a list of rows, one dict per row with the keys :data:`COLUMNS`.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from odc.geo.geobox import GeoBox
from odc.geo.geom import Geometry

from ..config import AdminUnitsConfig, Config
from ..errors import InputError, OutputError
from ..io.folder import locked
from ..io.gdal_env import gdal_env, gdal_options
from ..io.manifest import load_manifest
from ..io.raster_info import raster_info
from ..io.read import read_window
from ..io.stats_files import write_stats_csv, write_stats_gpkg
from ..products import PRODUCTS, Product
from ..products.styles import legend_for
from ..products.units import display_units
from ..progress import QUIET, Progress
from .zonal import N_CLASSES, Weights, cell_weights, finish, zone_area, zone_class_areas, zone_moments

log = logging.getLogger("scsmap")

STATS_CSV = "stats.csv"
STATS_GPKG = "stats.gpkg"
#: attribute names tried for an admin unit's name when `name_field` is not given
NAME_FIELDS = ("NAME", "name", "NAME_1", "ADM1_EN", "shapeName", "NAME_EN", "ADMIN")
#: admin units whose best-covered product is valid on less than this share of their area on the grid are
#: left out: neighbours of the region that only share its border cells (where two boundary files disagree)
MIN_VALID_SHARE = 0.25
#: pixels of one window of the product grid (:func:`window_shape`: whole tiles, whole rows when a row of tiles
#: fits). A window's weights, values and the engine's temporaries take about 100-150 bytes per pixel and unit
#: covering it: 100-300 MB at the default for the region and one admin level (measured: 10000 x 10000 grid,
#: 354 MB peak RSS in all). Smaller windows cost time: a 512-row tile is decoded once per window it meets
WINDOW_PIXELS = 2**20
#: units of the rates whose share of the 4 per 1000 target is given (t C ha-1 yr-1)
RATE_UNITS = "t ha-1 yr-1"
COLUMNS = [
    "zone_set",
    "zone_id",
    "zone_name",
    "group_by",
    "class_code",
    "class_name",
    "area_ha",
    "product",
    "units",
    "family",
    "valid_area_ha",
    "mean",
    "total",
    "total_units",
    "share_4p1000_percent",
]


@dataclass(frozen=True)
class Zones:
    """The units statistics are computed for: parallel lists, geometries in one CRS.

    Attributes
    ----------
    sets, ids, names : list of str
        ``zone_set`` (``region`` or the admin file's label), ``zone_id`` and ``zone_name`` of each unit.
    geometries : list of shapely geometries
        The units' polygons, in ``crs``.
    crs : str
        WKT (or any CRS string PROJ reads).
    """

    sets: list[str]
    ids: list[str]
    names: list[str]
    geometries: list[Any]
    crs: str

    def __len__(self) -> int:
        return len(self.geometries)

    def to_crs(self, crs: str) -> list[Any]:
        """The geometries in another CRS (shapely)."""
        return [Geometry(g, crs=self.crs).to_crs(crs).geom for g in self.geometries]


@dataclass
class StatsResult:
    """What :func:`write_stats` wrote: the table's rows (dicts keyed by :data:`COLUMNS`) and the files."""

    rows: list[dict[str, Any]]
    csv: Path
    gpkg: Path


def product_of(entry: dict[str, Any]) -> Product | None:
    """The registry product of a manifest entry (None for products this version does not know)."""
    return PRODUCTS.get(entry["id"])


def _family(entry: dict[str, Any]) -> str:
    p = product_of(entry)
    return p.family if p is not None else ""


def _is_class(entry: dict[str, Any]) -> bool:
    return entry.get("dtype") == "uint8" or entry.get("units") == "class"


def total_units(units: str) -> str | None:
    """Units of a total over area, for the area densities in tonnes; None (no total) for other units.

    ``t ha-1`` → ``Mt C``, ``t ha-1 yr-1`` → ``Mt C yr-1``, ``t CO2 ha-1 yr-1`` → ``Mt CO2 yr-1``,
    ``t CO2e ha-1 yr-1`` → ``Mt CO2e yr-1`` (a bare ``t`` is tonnes of carbon).
    """
    words = units.split(" ")
    if words[:2] == ["t", "ha-1"]:
        return " ".join(["Mt", "C", *words[2:]])
    if len(words) >= 3 and words[0] == "t" and words[2] == "ha-1":
        return " ".join(["Mt", words[1], *words[3:]])
    return None


def window_rows(shape: tuple[int, int], block_rows: int, window_pixels: int = WINDOW_PIXELS) -> int:
    """Rows of one window: as many whole rows as fit ``window_pixels``, rounded down to whole tile rows
    of ``block_rows`` when at least one fits (so that no tile is decoded twice); at least one row."""
    rows = max(1, window_pixels // max(1, shape[1]))
    if block_rows > 0 and rows >= block_rows:
        rows -= rows % block_rows
    return min(rows, shape[0])


def window_shape(
    shape: tuple[int, int], block_shape: tuple[int, int], window_pixels: int = WINDOW_PIXELS
) -> tuple[int, int]:
    """Rows and columns of one window of a grid read window by window, so that no tile is decoded twice.

    Parameters
    ----------
    shape : (int, int)
        Rows and columns of the grid.
    block_shape : (int, int)
        Rows and columns of the files' tiles (or strips).
    window_pixels : int
        Pixels of a window at most (at least one tile, whatever this says).

    Returns
    -------
    (int, int)
        Whole rows (:func:`window_rows`) when a row of tiles fits in ``window_pixels``; else one row of tiles
        in pieces of as many whole tiles as fit (a 40,000-pixel-wide grid of 512-pixel tiles: 512 x 2,048 for
        2**20 pixels, where 26 whole rows decoded every tile 20 times).
    """
    height, width = shape
    block_rows, block_cols = block_shape
    if block_rows * width <= window_pixels or block_cols >= width:
        return window_rows(shape, block_rows, window_pixels), width
    cols = max(block_cols, window_pixels // block_rows // block_cols * block_cols)
    return min(block_rows, height), min(cols, width)


class _KeySums:
    """Sums of named quantities per key, the keys (sorted int64) found window by window."""

    def __init__(self, width: int):
        self.width = width
        self.keys = np.zeros(0, "int64")
        self.sums: dict[str, np.ndarray] = {}

    def index(self, keys: np.ndarray) -> np.ndarray:
        """Positions of ``keys`` (unique) in the sums, adding the keys not seen before."""
        new = np.setdiff1d(keys, self.keys, assume_unique=True)
        if new.size:
            merged = np.union1d(self.keys, new)
            pos = np.searchsorted(merged, self.keys)
            for name, s in self.sums.items():
                grown = np.zeros((len(merged), self.width))
                grown[pos] = s
                self.sums[name] = grown
            self.keys = merged
        return np.searchsorted(self.keys, keys)

    def add(self, name: str, index: np.ndarray, values: np.ndarray) -> None:
        s = self.sums.get(name)
        if s is None:
            s = self.sums[name] = np.zeros((len(self.keys), self.width))
        s[index] += values

    def get(self, name: str, keys: np.ndarray) -> np.ndarray:
        """The sums of ``keys`` (zeros for keys never added)."""
        out = np.zeros((len(keys), self.width))
        s = self.sums.get(name)
        if s is None or not len(self.keys):
            return out
        pos = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        hit = self.keys[pos] == keys
        out[hit] = s[pos[hit]]
        return out


def _window_weights(window: GeoBox, geoms: list[Any], bounds: np.ndarray) -> Weights:
    """:func:`~scsmap.outputs.zonal.cell_weights` of the zones whose bounding box meets the window (zone
    numbers kept): exactextract is handed only the polygons that can cover a cell of it."""
    left, bottom, right, top = window.extent.boundingbox
    near = np.flatnonzero(
        (bounds[:, 0] <= right) & (bounds[:, 2] >= left) & (bounds[:, 1] <= top) & (bounds[:, 3] >= bottom)
    )
    if not near.size:
        return Weights(np.zeros(0, "int64"), np.zeros(0, "int64"), np.zeros(0))
    w = cell_weights(window, [geoms[i] for i in near])
    return Weights(near[w.zone], w.cell, w.weight)


def zonal_statistics(
    out_dir: Path,
    entries: Sequence[dict[str, Any]],
    zones: Zones,
    group_by: Sequence[str] = ("land_use", "ipcc_climate_zone"),
    rate_4p1000: float | None = None,
    rows_per_window: int | None = None,
    currency: str | None = None,
    progress: Progress = QUIET,
) -> list[dict[str, Any]]:
    """The long statistics table: one row per unit (and class) and product.

    Parameters
    ----------
    out_dir : Path
        Folder holding the product files.
    entries : sequence of dict
        Manifest product entries (``id``, ``path``, ``units``, ``dtype``), all on one grid.
    zones : Zones
        The units (any CRS; reprojected to the grid's).
    group_by : sequence of str
        Class-map product ids to break each unit down by (those present among ``entries``).
    rate_4p1000 : float, optional
        ``parameters.rate_4p1000``: the target is this rate × ``soc_t0`` when the run wrote no
        ``target_4p1000`` product (no share without either).
    rows_per_window : int, optional
        Whole rows of the grid read at a time (default: windows of :func:`window_shape`).
    currency : str, optional
        The run's cost-table currency, written in the units of cost maps.
    progress : Progress, optional
        Shows the windows read.

    Returns
    -------
    list of dict
        Rows keyed by :data:`COLUMNS`; areas in ha, means in the product's units (``units`` as shown to
        people, :func:`scsmap.products.units.display_units`: ``t C ha-1``, ``t C ha-1 yr-1`` ...), totals in
        ``total_units``; see the module docstring for the formulas. Keys: the zone index for the
        unit rows, zone × 256 + class code for the class rows, in increasing order.
    """
    entries = list(entries)
    if not entries:
        raise OutputError(f"no products in {out_dir} to compute statistics from")
    info = raster_info(out_dir / entries[0]["path"])
    grid = info.geobox
    geoms = zones.to_crs(info.crs_wkt)
    nz = len(zones)
    by_id = {e["id"]: e for e in entries}
    groups = list(dict.fromkeys(g for g in group_by if g in by_id))
    values = [e for e in entries if not _is_class(e)]
    target_entry = by_id.get("target_4p1000") or (by_id.get("soc_t0") if rate_4p1000 is not None else None)
    if not any(e["units"] == RATE_UNITS for e in values):
        target_entry = None

    area = np.zeros(nz)
    moments = {e["id"]: np.zeros((nz, 4)) for e in values}
    class_area = {g: np.zeros((nz, N_CLASSES)) for g in groups}
    class_moments = {g: _KeySums(4) for g in groups}
    height, width = grid.shape.yx
    step = (rows_per_window, width) if rows_per_window else window_shape(grid.shape.yx, info.block_shape, WINDOW_PIXELS)
    bounds = shapely.bounds(np.asarray(geoms, dtype=object)).reshape(-1, 4)
    windows = [
        (slice(y0, min(height, y0 + step[0])), slice(x0, min(width, x0 + step[1])))
        for y0 in range(0, height, step[0])
        for x0 in range(0, width, step[1])
    ]
    # products are read and summed on every core (GDAL and the compiled sums release the GIL); their sums are
    # added in product and window order, so the table does not depend on the number of threads
    with (
        progress.stage("statistics", len(windows), detail=f"{nz} unit(s), {len(entries)} products") as st,
        ThreadPoolExecutor(os.cpu_count() or 1) as pool,
    ):
        for rows, cols in windows:
            st.advance()
            w = _window_weights(grid[rows, cols], geoms, bounds)
            if not len(w.cell):
                continue

            def read(
                entry: dict[str, Any], rows: slice = rows, cols: slice = cols, cells: np.ndarray = w.cell
            ) -> np.ndarray:
                return read_window(out_dir / entry["path"], rows, cols).ravel()[cells]

            area += zone_area(w.weight, w.zone, nz)
            target = None
            if target_entry is not None:
                target = read(target_entry)
                if target_entry["id"] != "target_4p1000":
                    target = rate_4p1000 * target.astype("f8")
            keyed = {}
            for g in groups:
                codes = read(by_id[g])
                class_area[g] += zone_class_areas(w.weight, w.zone, nz, codes)
                ok = np.isfinite(codes) & (codes >= 0) & (codes < N_CLASSES)
                keys, inverse = np.unique(w.zone[ok] * N_CLASSES + codes[ok].astype("int64"), return_inverse=True)
                keyed[g] = (ok, w.weight[ok], inverse, len(keys), class_moments[g].index(keys))

            def sums(
                e: dict[str, Any], w: Weights = w, target: np.ndarray | None = target, keyed: dict[str, Any] = keyed
            ) -> tuple[np.ndarray, list[np.ndarray]]:
                v = read(e)
                t = target if e["units"] == RATE_UNITS else None
                per_class = [
                    zone_moments(weight, inverse, n, v[ok], None if t is None else t[ok])
                    for ok, weight, inverse, n, _ in keyed.values()
                ]
                return zone_moments(w.weight, w.zone, nz, v, t), per_class

            for e, (m, per_class) in zip(values, pool.map(sums, values)):
                moments[e["id"]] += m
                for (g, (*_, index)), mg in zip(keyed.items(), per_class):
                    class_moments[g].add(e["id"], index, mg)

    table: list[dict[str, Any]] = []
    for g in ["", *groups]:
        key_area = area if not g else class_area[g].ravel()
        present = np.flatnonzero(key_area > 0)
        prod = product_of(by_id[g]) if g else None
        labels = legend_for(prod).labels() if prod is not None else {}
        for e in values:
            sums = moments[e["id"]][present] if not g else class_moments[g].get(e["id"], present)
            f = finish(sums)
            tu = total_units(e["units"])
            for j, k in enumerate(present.tolist()):
                z, code = (k, None) if not g else divmod(k, N_CLASSES)
                table.append(
                    {
                        "zone_set": zones.sets[z],
                        "zone_id": zones.ids[z],
                        "zone_name": zones.names[z],
                        "group_by": g,
                        "class_code": code,
                        "class_name": "" if code is None else labels.get(code, str(code)),
                        "area_ha": float(key_area[k]),
                        "product": e["id"],
                        "units": display_units(e["units"], currency),
                        "family": _family(e),
                        "valid_area_ha": float(f.valid_area[j]),
                        "mean": float(f.mean[j]),
                        "total": float(f.total[j]) / 1e6 if tu else math.nan,
                        "total_units": tu or "",
                        "share_4p1000_percent": float(f.share_percent[j]),
                    }
                )
    return table


def _drop_edge_units(table: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Leave out admin units (not the region) whose data cover < MIN_VALID_SHARE of their area."""
    area: dict[tuple[str, str], float] = {}
    valid: dict[tuple[str, str], float] = {}
    for r in table:
        if r["group_by"] == "":
            u = (r["zone_set"], r["zone_id"])
            area.setdefault(u, r["area_ha"])
            valid[u] = max(valid.get(u, -math.inf), r["valid_area_ha"])
    keep = {u for u in area if u[0] == "region" or valid[u] >= MIN_VALID_SHARE * area[u]}
    return [r for r in table if (r["zone_set"], r["zone_id"]) in keep]


def read_admin_units(unit: AdminUnitsConfig, index: int = 0) -> Zones:
    """Admin units of one ``statistics.admin`` entry (``zone_set`` = the entry's label), in the file's CRS.

    Raises
    ------
    InputError
        Unreadable file, no CRS, missing ``id_field``/``name_field`` attribute or no feature left.
    """
    from ..io.vector import read_polygon_table

    at = f"statistics.admin[{index}]"
    polygons = read_polygon_table(str(unit.path), unit.layer, unit.where, f"{at}.where")
    columns = polygons.columns
    for field in (unit.id_field, unit.name_field):
        if field is not None and field not in columns:
            raise InputError(
                f"{at}: {unit.path} has no attribute {field!r}",
                f"available attributes: {', '.join(map(str, columns))}",
            )
    n = len(polygons.geometries)
    name_field = unit.name_field or next((f for f in NAME_FIELDS if f in columns), None)
    ids = [str(v) for v in columns[unit.id_field]] if unit.id_field else [str(i) for i in range(1, n + 1)]
    names = [str(v) for v in columns[name_field]] if name_field else list(ids)
    label = unit.label or Path(str(unit.path)).name.split(".")[0]
    return Zones([label] * n, ids, names, polygons.geometries, polygons.crs_wkt)


def region_zones(cfg: Config) -> Zones:
    """The region itself (boundary ∩ bbox) followed by every unit of ``statistics.admin``, in the region's CRS."""
    from ..grid import region_extent
    from ..io.vector import load_boundary

    ext = region_extent(cfg.region, load_boundary(cfg.region))
    crs = ext.crs.to_wkt()
    sets, ids, names, geoms = ["region"], [cfg.region.iso3], [cfg.region.name], [ext.geom]
    for i, unit in enumerate(cfg.statistics.admin):
        units = read_admin_units(unit, i)
        sets += units.sets
        ids += units.ids
        names += units.names
        geoms += units.to_crs(crs)
    return Zones(sets, ids, names, geoms, crs)


def wide(table: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """Unit-level rows of the long table as one row per unit.

    Returns
    -------
    columns : list of str
        ``zone_set``, ``zone_id``, ``zone_name``, ``area_ha``, then ``<product>_mean``, ``<product>_total``
        and ``<product>_share_4p1000`` for the products with a value in any unit (in the table's order).
    rows : list of dict
        One per unit, in the table's order; NaN where a unit has no value.
    """
    top = [r for r in table if r["group_by"] == ""]
    units: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in top:
        units.setdefault((r["zone_set"], r["zone_id"], r["zone_name"]), {"area_ha": r["area_ha"]})
    columns = ["zone_set", "zone_id", "zone_name", "area_ha"]
    for col, suffix in (("mean", "mean"), ("total", "total"), ("share_4p1000_percent", "share_4p1000")):
        cells: dict[str, dict[tuple[str, str, str], float]] = {}
        for r in top:
            cells.setdefault(r["product"], {})[(r["zone_set"], r["zone_id"], r["zone_name"])] = r[col]
        for pid, by_unit in cells.items():
            if all(math.isnan(v) for v in by_unit.values()):
                continue
            name = f"{pid}_{suffix}"
            columns.append(name)
            for u, row in units.items():
                row[name] = by_unit.get(u, math.nan)
    rows = [{"zone_set": s, "zone_id": i, "zone_name": n, **row} for (s, i, n), row in units.items()]
    return columns, rows


def write_stats(
    cfg: Config,
    out_dir: str | os.PathLike | None = None,
    rows_per_window: int | None = None,
    progress: Progress = QUIET,
) -> StatsResult:
    """Compute the statistics of a finished run and write ``stats.csv`` and ``stats.gpkg``.

    Parameters
    ----------
    cfg : Config
        The region config (boundary, ``statistics.admin``, ``statistics.group_by``,
        ``parameters.rate_4p1000``, ``compute.gdal_config``).
    out_dir : path-like, optional
        The run's folder (default ``cfg.output_dir``).
    rows_per_window : int, optional
        Whole rows of the grid read at a time (default: windows of :func:`window_shape`).
    progress : Progress, optional
        Shows the windows read.

    Returns
    -------
    StatsResult
        ``stats.gpkg`` holds layer ``units`` (one polygon per unit with the unit-level
        columns of :func:`wide`) and the attribute table ``stats`` (= ``stats.csv``).

    Raises
    ------
    OutputError
        No manifest in ``out_dir``, or the files cannot be written.
    InputError
        An admin-unit file cannot be read.
    """
    out = Path(out_dir) if out_dir is not None else cfg.output_dir
    manifest = load_manifest(out)
    zones = region_zones(cfg)
    log.info("statistics for %d unit(s) over %d product(s)", len(zones), len(manifest["products"]))
    with gdal_env(gdal_options(cfg.compute)):  # the run's bounded GDAL block cache
        table = zonal_statistics(
            out,
            manifest["products"],
            zones,
            cfg.statistics.group_by,
            rate_4p1000=cfg.parameters.rate_4p1000,
            rows_per_window=rows_per_window,
            currency=manifest.get("currency"),
            progress=progress,
        )
    table = _drop_edge_units(table)
    with locked(out, "stats"):
        return _write_files(out, table, zones)


def _write_files(out: Path, table: list[dict[str, Any]], zones: Any) -> StatsResult:
    """Write ``stats.csv`` and ``stats.gpkg`` (each to a temporary name first, then moved into place)."""
    csv, gpkg = out / STATS_CSV, out / STATS_GPKG
    tmp_csv, tmp_gpkg = out / f".{STATS_CSV}.tmp", out / f".tmp.{STATS_GPKG}"
    try:
        write_stats_csv(tmp_csv, table, COLUMNS)
        tmp_gpkg.unlink(missing_ok=True)
        unit_columns, units = wide(table)
        geometry: dict[tuple[str, str], Any] = {}
        for s, i, g in zip(zones.sets, zones.ids, zones.geometries):
            geometry.setdefault((s, i), g)
        geoms = [geometry[(u["zone_set"], u["zone_id"])] for u in units]
        write_stats_gpkg(tmp_gpkg, units, unit_columns, geoms, zones.crs, table, COLUMNS)
        os.replace(tmp_csv, csv)
        os.replace(tmp_gpkg, gpkg)
    except OSError as exc:
        raise OutputError(f"cannot write statistics into {out}: {exc}") from None
    finally:
        tmp_csv.unlink(missing_ok=True)
        tmp_gpkg.unlink(missing_ok=True)
    return StatsResult(rows=table, csv=csv, gpkg=gpkg)
