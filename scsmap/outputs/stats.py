"""Area-correct statistics per region, admin unit and class (``stats.csv``, ``stats.gpkg``).

Every figure is weighted by the part of each grid cell inside the unit times the cell's
geodesic area: exactextract gives the exact coverage fraction of each cell by each
polygon, :func:`scsmap.grid.cell_area_ha` the cell's area on the grid CRS's ellipsoid
(exact for geographic grids, areal scale factor for projected ones). Pixel counts in
degrees are never used.

For a unit *u* (optionally restricted to class *k* of a class map such as ``land_use``),
with weights ``w = coverage x cell area [ha]`` and a product *v* valid on cells *V*:

* ``area_ha`` = Σ_u w (the unit's area on the grid, whatever the data);
* ``valid_area_ha`` = Σ_{u∩V} w;  ``mean`` = Σ_{u∩V} w v / ``valid_area_ha``;
* ``total`` = Σ_{u∩V} w v / 10^6, in Mt C for ``t ha-1`` maps and Mt C yr-1 for ``t ha-1 yr-1`` maps;
* ``share_4p1000_percent`` (``t ha-1 yr-1`` maps) = 100 Σ w v / Σ w target_4p1000 over the cells where
  both are valid: the share of the area-weighted 4 per 1000 target met (methods §5), never a
  mean of per-pixel ratios.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from odc.geo.geobox import GeoBox

from ..config import AdminUnitsConfig, Config
from ..errors import InputError, OutputError
from ..io.manifest import load_manifest
from ..products import PRODUCTS, Product
from ..products.styles import legend_for

log = logging.getLogger("scsmap")

STATS_CSV = "stats.csv"
STATS_GPKG = "stats.gpkg"
#: attribute names tried for an admin unit's name when `name_field` is not given
NAME_FIELDS = ("NAME", "name", "NAME_1", "ADM1_EN", "shapeName", "NAME_EN", "ADMIN")
#: admin units whose best-covered product is valid on less than this share of their area on the grid are
#: left out: neighbours of the region that only share its border cells (where two boundary files disagree)
MIN_VALID_SHARE = 0.25
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


@dataclass
class StatsResult:
    """What :func:`write_stats` wrote."""

    table: pd.DataFrame
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
    """Units of a total over area: ``t ha-1`` → ``Mt C``, ``t ha-1 yr-1`` → ``Mt C yr-1``, else None (no total)."""
    if units == "t ha-1" or units.startswith("t ha-1 "):
        return "Mt C" + units.removeprefix("t ha-1")
    return None


def _read(path: Path) -> np.ndarray:
    with rasterio.open(path) as ds:
        a = ds.read(1).astype("float64")
        if ds.nodata is not None:
            a[a == ds.nodata] = np.nan
    return a.ravel()


def _grid(path: Path) -> tuple[GeoBox, Any]:
    with rasterio.open(path) as ds:
        return GeoBox((ds.height, ds.width), ds.transform, ds.crs.to_wkt()), ds.crs


def cell_weights(template: Path, zones: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cells of each zone and their weights (coverage fraction x geodesic cell area).

    Parameters
    ----------
    template : Path
        Any raster on the products' grid.
    zones : geopandas.GeoDataFrame
        Polygons, any CRS (reprojected to the grid's).

    Returns
    -------
    zone_index, cell_id, weight_ha : numpy.ndarray
        Parallel 1-D arrays: zone row number, flat cell index (row-major) and
        ``coverage x cell_area_ha`` [ha].
    """
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    from ..grid import cell_area_ha

    geobox, crs = _grid(template)
    zones = zones.to_crs(crs)[["geometry"]].reset_index(drop=True)
    zones["_zone"] = np.arange(len(zones))
    # every cell counts, whatever the products' nodata: a raster of ones on the products' grid
    b = geobox.extent.boundingbox
    ones = NumPyRasterSource(
        np.ones(geobox.shape.yx, dtype="uint8"), b.left, b.bottom, b.right, b.top, srs_wkt=crs.to_wkt()
    )
    res = exact_extract(ones, zones, ["cell_id", "coverage"], include_cols=["_zone"], output="pandas")
    area = cell_area_ha(geobox, geobox.shape.yx).values.ravel()
    zi, ci, w = [], [], []
    for z, cells, cov in zip(res["_zone"], res["cell_id"], res["coverage"]):
        cells = np.asarray(cells, dtype="int64")
        zi.append(np.full(len(cells), z, dtype="int64"))
        ci.append(cells)
        w.append(np.asarray(cov, dtype="float64") * area[cells])
    if not ci:
        return np.zeros(0, "int64"), np.zeros(0, "int64"), np.zeros(0)
    return np.concatenate(zi), np.concatenate(ci), np.concatenate(w)


def zonal_statistics(
    out_dir: Path,
    entries: Sequence[dict[str, Any]],
    zones: gpd.GeoDataFrame,
    group_by: Sequence[str] = ("land_use", "ipcc_climate_zone"),
) -> pd.DataFrame:
    """The long statistics table: one row per unit (and class) and product.

    Parameters
    ----------
    out_dir : Path
        Folder holding the product files.
    entries : sequence of dict
        Manifest product entries (``id``, ``path``, ``units``, ``dtype``), all on one grid.
    zones : geopandas.GeoDataFrame
        Columns ``zone_set``, ``zone_id``, ``zone_name`` and polygon geometries.
    group_by : sequence of str
        Class-map product ids to break each unit down by (those present among ``entries``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`; areas in ha, means in the product's units, totals in
        ``total_units``; see the module docstring for the formulas.
    """
    entries = list(entries)
    if not entries:
        raise OutputError(f"no products in {out_dir} to compute statistics from")
    zi, ci, w = cell_weights(out_dir / entries[0]["path"], zones)
    nz = len(zones)
    by_id = {e["id"]: e for e in entries}
    groups: list[tuple[str, np.ndarray, np.ndarray, dict[int, str]]] = [("", zi, np.ones(len(zi), bool), {})]
    for g in group_by:
        if g not in by_id:
            continue
        cls = _read(out_dir / by_id[g]["path"])[ci]
        ok = np.isfinite(cls)
        codes = np.where(ok, cls, 0).astype("int64")
        prod = product_of(by_id[g])
        labels = legend_for(prod).labels() if prod is not None else {}
        groups.append((g, zi * 256 + codes, ok, labels))

    target = _read(out_dir / by_id["target_4p1000"]["path"])[ci] if "target_4p1000" in by_id else None
    if target is None and "soc_t0" in by_id:
        target = 0.004 * _read(out_dir / by_id["soc_t0"]["path"])[ci]

    def sums(key, sel, x, size):
        return np.bincount(key[sel], weights=x[sel], minlength=size)

    rows = []
    zinfo = zones[["zone_set", "zone_id", "zone_name"]].astype(str).to_numpy()
    for gname, key, gok, labels in groups:
        size = nz if not gname else nz * 256
        area = sums(key, gok, w, size)
        present = np.flatnonzero(area > 0)
        for e in entries:
            if _is_class(e):
                continue
            v = _read(out_dir / e["path"])[ci]
            ok = gok & np.isfinite(v)
            va = sums(key, ok, w, size)
            vs = sums(key, ok, w * np.where(ok, v, 0), size)
            tu = total_units(e["units"])
            share = None
            if e["units"] == "t ha-1 yr-1" and target is not None:
                both = ok & np.isfinite(target)
                num = sums(key, both, w * np.where(both, v, 0), size)
                den = sums(key, both, w * np.where(both, target, 0), size)
                share = np.divide(100 * num, den, out=np.full(size, np.nan), where=den > 0)
            for k in present:
                z, code = (k, None) if not gname else divmod(k, 256)
                rows.append(
                    (
                        *zinfo[z],
                        gname,
                        code,
                        labels.get(code, "" if code is None else str(code)),
                        area[k],
                        e["id"],
                        e["units"],
                        _family(e),
                        va[k],
                        vs[k] / va[k] if va[k] > 0 else np.nan,
                        vs[k] / 1e6 if tu else np.nan,
                        tu or "",
                        share[k] if share is not None else np.nan,
                    )
                )
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["class_code"] = table["class_code"].astype("Int64")
    return table


def _drop_edge_units(table: pd.DataFrame) -> pd.DataFrame:
    """Leave out admin units (not the region) whose data cover < MIN_VALID_SHARE of their area."""
    top = (
        table[table["group_by"] == ""]
        .groupby(["zone_set", "zone_id"])
        .agg(area=("area_ha", "first"), valid=("valid_area_ha", "max"))
    )
    keep = top[(top.index.get_level_values(0) == "region") | (top["valid"] >= MIN_VALID_SHARE * top["area"])].index
    idx = pd.MultiIndex.from_frame(table[["zone_set", "zone_id"]])
    return table[idx.isin(keep)].reset_index(drop=True)


def read_admin_units(unit: AdminUnitsConfig, index: int = 0) -> gpd.GeoDataFrame:
    """Admin units of one ``statistics.admin`` entry as ``zone_set, zone_id, zone_name, geometry``.

    Raises
    ------
    InputError
        Unreadable file, no CRS, missing ``id_field``/``name_field`` attribute or no feature left.
    """
    from ..io.vector import read_polygons

    at = f"statistics.admin[{index}]"
    gdf = read_polygons(str(unit.path), unit.layer, unit.where, f"{at}.where")
    for field in (unit.id_field, unit.name_field):
        if field is not None and field not in gdf.columns:
            raise InputError(
                f"{at}: {unit.path} has no attribute {field!r}",
                f"available attributes: {', '.join(map(str, gdf.columns))}",
            )
    name_field = unit.name_field or next((f for f in NAME_FIELDS if f in gdf.columns), None)
    ids = gdf[unit.id_field].astype(str) if unit.id_field else pd.Series(range(1, len(gdf) + 1), index=gdf.index)
    names = gdf[name_field].astype(str) if name_field else ids.astype(str)
    label = unit.label or Path(str(unit.path)).name.split(".")[0]
    return gpd.GeoDataFrame(
        {"zone_set": label, "zone_id": ids.astype(str).values, "zone_name": names.values},
        geometry=gdf.geometry.values,
        crs=gdf.crs,
    )


def region_zones(cfg: Config) -> gpd.GeoDataFrame:
    """The region itself (boundary ∩ bbox) followed by every unit of ``statistics.admin``."""
    from ..grid import region_extent
    from ..io.vector import load_boundary

    ext = region_extent(cfg.region, load_boundary(cfg.region))
    parts = [
        gpd.GeoDataFrame(
            {"zone_set": ["region"], "zone_id": [cfg.region.iso3], "zone_name": [cfg.region.name]},
            geometry=[ext.geom],
            crs=ext.crs.to_wkt(),
        )
    ]
    for i, unit in enumerate(cfg.statistics.admin):
        parts.append(read_admin_units(unit, i).to_crs(parts[0].crs))
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)


def wide(table: pd.DataFrame) -> pd.DataFrame:
    """Unit-level rows of the long table as one row per unit: ``area_ha`` and ``<product>_mean``,
    ``<product>_total``, ``<product>_share_4p1000`` columns."""
    top = table[table["group_by"] == ""]
    keys = ["zone_set", "zone_id", "zone_name"]
    out = top.groupby(keys, sort=False)["area_ha"].first().to_frame()
    for col, suffix in (("mean", "mean"), ("total", "total"), ("share_4p1000_percent", "share_4p1000")):
        piv = top.pivot_table(index=keys, columns="product", values=col, sort=False, dropna=True)
        piv = piv.dropna(axis=1, how="all")
        piv.columns = [f"{c}_{suffix}" for c in piv.columns]
        out = out.join(piv)
    return out.reset_index()


def write_stats(cfg: Config, out_dir: str | os.PathLike | None = None) -> StatsResult:
    """Compute the statistics of a finished run and write ``stats.csv`` and ``stats.gpkg``.

    Parameters
    ----------
    cfg : Config
        The region config (boundary, ``statistics.admin``, ``statistics.group_by``).
    out_dir : path-like, optional
        The run's folder (default ``cfg.output_dir``).

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
    table = _drop_edge_units(zonal_statistics(out, manifest["products"], zones, cfg.statistics.group_by))
    csv, gpkg = out / STATS_CSV, out / STATS_GPKG
    tmp_csv, tmp_gpkg = out / f".{STATS_CSV}.tmp", out / f".tmp.{STATS_GPKG}"
    try:
        table.to_csv(tmp_csv, index=False, float_format="%.10g")
        tmp_gpkg.unlink(missing_ok=True)
        units = wide(table)
        geoms = zones.set_index(["zone_set", "zone_id"]).geometry
        gdf = gpd.GeoDataFrame(
            units, geometry=[geoms.loc[(s, i)] for s, i in zip(units.zone_set, units.zone_id)], crs=zones.crs
        )
        gdf.to_file(tmp_gpkg, layer="units", driver="GPKG")
        import pyogrio

        pyogrio.write_dataframe(table.astype({"class_code": "float64"}), tmp_gpkg, layer="stats", driver="GPKG")
        os.replace(tmp_csv, csv)
        os.replace(tmp_gpkg, gpkg)
    except OSError as exc:
        raise OutputError(f"cannot write statistics into {out}: {exc}") from None
    finally:
        tmp_csv.unlink(missing_ok=True)
        tmp_gpkg.unlink(missing_ok=True)
    return StatsResult(table=table, csv=csv, gpkg=gpkg)
