"""What a folder of a task force's files holds, for ``scsmap init``: every raster's CRS, bands, data type, nodata,
scale tags and sampled values, and the vector files, without reading more than a decimated preview.

:func:`find_files` lists a folder; :func:`inspect_raster` describes one raster (:class:`RasterFacts`). The
guesses made from these facts (which layer, which units) are in :mod:`scsmap.inputs.discover`.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.warp import transform_bounds

from ..errors import InputError

#: suffixes of raster files
RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".img", ".nc", ".asc", ".bil", ".jp2")
#: suffixes of vector files a boundary may come from
VECTOR_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".fgb", ".kml")
#: most class codes listed for a class-like raster
MAX_CODES = 64


@dataclass
class RasterFacts:
    """One raster file as ``scsmap init`` sees it.

    Attributes
    ----------
    path : Path
    crs : str or None
        ``EPSG:<code>``, the CRS's WKT when it has no code, or None when the file has no CRS.
    bands, width, height : int
    resolution : (float, float)
        Pixel size in CRS units (x, y).
    dtype : str
    nodata : float or None
    scales, offsets : list of float
        GDAL scale and offset of each band (1, 0 when unset).
    band_units : list of str
        GDAL unit type of each band ('' when unset).
    descriptions : list of str
        Band descriptions ('' when unset).
    bounds_lonlat : (float, float, float, float) or None
        west, south, east, north in EPSG:4326; None without a CRS.
    minimum, maximum, median : float or None
        Of band 1, sampled (at most 512 pixels a side), nodata left out, GDAL scale and offset applied.
    whole : bool
        True when every sampled value is a whole number.
    codes : list of int or None
        The distinct sampled values of band 1 when they are whole and at most :data:`MAX_CODES`.
    """

    path: Path
    crs: str | None
    bands: int
    width: int
    height: int
    resolution: tuple[float, float]
    dtype: str
    nodata: float | None
    scales: list[float] = field(default_factory=list)
    offsets: list[float] = field(default_factory=list)
    band_units: list[str] = field(default_factory=list)
    descriptions: list[str] = field(default_factory=list)
    bounds_lonlat: tuple[float, float, float, float] | None = None
    minimum: float | None = None
    maximum: float | None = None
    median: float | None = None
    whole: bool = False
    codes: list[int] | None = None


def find_files(folder: str | os.PathLike[str]) -> tuple[list[Path], list[Path]]:
    """The raster and vector files under a folder (recursively, hidden folders skipped), sorted.

    Parameters
    ----------
    folder : path-like

    Returns
    -------
    (list of Path, list of Path)
        Rasters (by suffix: :data:`RASTER_SUFFIXES`) and vectors (:data:`VECTOR_SUFFIXES`).

    Raises
    ------
    InputError
        The folder does not exist or is not a folder.
    """
    root = Path(folder)
    if not root.is_dir():
        raise InputError(f"{root} is not a folder", "give the folder that holds your rasters")
    rasters, vectors = [], []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            p = Path(dirpath) / name
            suffix = p.suffix.lower()
            if name.startswith("."):
                continue
            if suffix in RASTER_SUFFIXES:
                rasters.append(p)
            elif suffix in VECTOR_SUFFIXES:
                vectors.append(p)
    return rasters, vectors


def _crs_text(crs: rasterio.crs.CRS | None) -> str | None:
    if crs is None:
        return None
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_wkt()


def inspect_raster(path: str | os.PathLike[str], max_pixels: int = 512) -> RasterFacts:
    """Describe a raster from its header and a decimated preview of band 1 (overviews when it has them).

    Parameters
    ----------
    path : path-like
    max_pixels : int
        Largest side of the preview, in pixels.

    Returns
    -------
    RasterFacts

    Raises
    ------
    InputError
        GDAL cannot open the file.
    """
    p = Path(path)
    try:
        with rasterio.open(p) as src:
            facts = RasterFacts(
                path=p,
                crs=_crs_text(src.crs),
                bands=src.count,
                width=src.width,
                height=src.height,
                resolution=(abs(src.res[0]), abs(src.res[1])),
                dtype=src.dtypes[0],
                nodata=src.nodata,
                scales=[float(s) for s in src.scales],
                offsets=[float(o) for o in src.offsets],
                band_units=[u or "" for u in src.units],
                descriptions=[d or "" for d in src.descriptions],
            )
            if src.crs is not None:
                try:
                    facts.bounds_lonlat = tuple(transform_bounds(src.crs, "EPSG:4326", *src.bounds, densify_pts=21))
                except Exception:  # a CRS without a path to lon/lat
                    facts.bounds_lonlat = None
            step = max(1.0, max(src.width, src.height) / max_pixels)
            shape = (max(1, round(src.height / step)), max(1, round(src.width / step)))
            raw = src.read(1, out_shape=shape, resampling=Resampling.nearest, masked=True)
    except rasterio.errors.RasterioError as exc:
        raise InputError(f"cannot read {p}: {exc}") from None
    values = np.asarray(raw.compressed(), dtype="float64")
    values = values[np.isfinite(values)]
    if facts.nodata is None and values.size:  # -3.4e38 and similar fill values without a nodata tag
        values = values[np.abs(values) < 1e30]
    if values.size:
        values = values * facts.scales[0] + facts.offsets[0]
        facts.minimum, facts.maximum = float(values.min()), float(values.max())
        facts.median = float(np.median(values))
        facts.whole = bool(np.all(values == np.round(values)))
        if facts.whole:
            codes = np.unique(values)
            facts.codes = [int(c) for c in codes] if codes.size <= MAX_CODES else None
    return facts


def describe(facts: RasterFacts) -> str:
    """One line about a raster for a config comment: bands, data type, CRS, pixel size, nodata, values."""
    crs = facts.crs if facts.crs is None or facts.crs.startswith("EPSG") else "a CRS without EPSG code"
    res = facts.resolution[0]
    size = f"{res:.6g} deg" if crs and crs == "EPSG:4326" else f"{res:.6g} CRS units"
    values = (
        f"values {facts.minimum:.4g}..{facts.maximum:.4g} (median {facts.median:.4g})"
        if facts.minimum is not None and not math.isnan(facts.minimum)
        else "no valid value in the preview"
    )
    scale = (
        f", GDAL scale {facts.scales[0]:g} offset {facts.offsets[0]:g}"
        if facts.scales[0] != 1 or facts.offsets[0]
        else ""
    )
    return f"{facts.bands} band(s) {facts.dtype}, {crs or 'NO CRS'}, {size}, nodata {facts.nodata}{scale}, {values}"
