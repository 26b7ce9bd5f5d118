"""Region boundary polygons from vector files (via geopandas/pyogrio)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import shapely
from odc.geo.geom import Geometry

from ..config import BoundaryConfig, RegionConfig
from ..errors import InputError

log = logging.getLogger("scsmap")


def _read(path: str, layer: str | None = None) -> gpd.GeoDataFrame:
    try:
        gdf = gpd.read_file(path, layer=layer) if layer else gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types
        raise InputError(
            f"cannot read boundary file {path}: {exc}", "check the path and that GDAL can read the format"
        ) from None
    if gdf.crs is None:
        raise InputError(f"boundary file {path} has no CRS", "add a .prj / CRS to the file (e.g. with ogr2ogr -a_srs)")
    return gdf


def read_polygons(
    path: str, layer: str | None = None, where: dict[str, str] | None = None, where_key: str = "where"
) -> gpd.GeoDataFrame:
    """Read a polygon file and keep the features whose attributes equal ``where``.

    Parameters
    ----------
    path : str
        Any vector file GDAL reads (``zip://`` and ``/vsi`` paths too).
    layer : str, optional
        Layer of a multi-layer file.
    where : dict of str to str, optional
        Attribute → value; values are compared as text.
    where_key : str
        Config field of ``where``, named in the error message.

    Returns
    -------
    geopandas.GeoDataFrame
        The matching features, in the file's CRS.

    Raises
    ------
    InputError
        Unreadable file, no CRS, an attribute of ``where`` missing, or no feature left
        (``where_key`` names the config field in the message).
    """
    gdf = _read(path, layer)
    for key, value in (where or {}).items():
        if key not in gdf.columns:
            raise InputError(
                f"vector file {path} has no attribute {key!r}",
                f"available attributes: {', '.join(map(str, gdf.columns))}",
            )
        gdf = gdf[gdf[key].astype(str) == str(value)]
    if not len(gdf):
        raise InputError(f"no feature in {path} matches {where_key} = {where}")
    return gdf


@dataclass(frozen=True)
class PolygonTable:
    """Polygons of a vector file without geopandas: shapely geometries, attribute columns and CRS.

    Attributes
    ----------
    geometries : list of shapely geometries
        One per feature, in the file's CRS.
    columns : dict of str to list
        Attribute name → one value per feature (Python values as the file's driver gives them).
    crs_wkt : str
        The file's CRS as WKT.
    """

    geometries: list[Any]
    columns: dict[str, list[Any]]
    crs_wkt: str


def read_polygon_table(
    path: str, layer: str | None = None, where: dict[str, str] | None = None, where_key: str = "where"
) -> PolygonTable:
    """Read a polygon file as :class:`PolygonTable`, keeping the features whose attributes equal ``where``.

    Raises
    ------
    InputError
        As :func:`read_polygons`.
    """
    gdf = read_polygons(path, layer, where, where_key)
    name = gdf.geometry.name
    return PolygonTable(
        geometries=list(gdf.geometry.values),
        columns={str(c): gdf[c].tolist() for c in gdf.columns if c != name},
        crs_wkt=gdf.crs.to_wkt(),
    )


def load_boundary(region: RegionConfig) -> Geometry | None:
    """Return the region's boundary as one (multi)polygon, or None when only a bbox is given.

    Parameters
    ----------
    region : RegionConfig
        ``region.boundary`` names a polygon file or a countries file with an ISO3 lookup.

    Returns
    -------
    odc.geo.geom.Geometry or None
        The dissolved boundary in the file's CRS.

    Raises
    ------
    InputError
        If the file cannot be read, has no CRS, no feature matches, or the
        geometry is empty or not polygonal.
    """
    b: BoundaryConfig | None = region.boundary
    if b is None:
        return None
    if b.countries is not None:
        src = str(b.countries)
        gdf = _read(src, b.layer)
        fields = [f for f in b.iso3_fields if f in gdf.columns]
        if not fields:
            raise InputError(
                f"countries file {src} has none of the attribute fields {b.iso3_fields}",
                "set region.boundary.iso3_fields to the field holding ISO3 codes",
            )
        sel = None
        for f in fields:
            hit = gdf[gdf[f].astype(str).str.upper() == region.iso3]
            if len(hit):
                sel = hit
                break
        if sel is None:
            raise InputError(
                f"no feature with ISO3 code {region.iso3} in {src} (fields tried: {fields})",
                "check region.iso3 or region.boundary.iso3_fields",
            )
        gdf = sel
    else:
        src = str(b.path)
        gdf = read_polygons(src, b.layer, b.where, "region.boundary.where")
    geom = gdf.geometry.union_all() if hasattr(gdf.geometry, "union_all") else gdf.geometry.unary_union
    if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise InputError(f"boundary from {src} is empty or not a polygon ({getattr(geom, 'geom_type', None)})")
    if not geom.is_valid:
        geom = repair_polygon(geom, src)
    return Geometry(geom, crs=gdf.crs)


def repair_polygon(geom: Any, src: str) -> Any:
    """An invalid (self-intersecting) polygon made valid with ``shapely.make_valid``, keeping every part.

    ``buffer(0)`` can drop a lobe of a bow-tie; ``make_valid`` keeps the whole area (its polygonal parts).
    A warning gives the area before and after, in the file's CRS units.

    Raises
    ------
    InputError
        Nothing polygonal is left.
    """
    why = shapely.is_valid_reason(geom)
    fixed = shapely.make_valid(geom)
    polys = [g for g in getattr(fixed, "geoms", [fixed]) if g.geom_type in ("Polygon", "MultiPolygon")]
    if not polys:
        raise InputError(
            f"boundary from {src} is not a valid polygon ({why}) and nothing polygonal is left after repairing it",
            "fix the boundary file (e.g. in QGIS: Vector > Geometry Tools > Fix Geometries)",
        )
    out = shapely.union_all(polys)
    log.warning(
        "boundary from %s is not valid (%s): repaired with shapely.make_valid; area %.6g before, %.6g after "
        "(CRS units)",
        src,
        why,
        geom.area,
        out.area,
    )
    return out
