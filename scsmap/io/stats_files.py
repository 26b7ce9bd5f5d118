"""The statistics files of a run: ``stats.csv`` (the long table) and ``stats.gpkg`` (units and table).

:mod:`scsmap.outputs.stats` holds the table as plain rows (one dict per row, keys the table's
columns); this module writes them (pandas, geopandas, pyogrio) and reads ``stats.csv`` back into
the same rows, typed: text columns as ``str`` ("" when empty), ``class_code`` as ``int`` or None,
every other column as ``float`` (NaN when empty).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: integer column (empty on the rows of a whole unit)
INT_COLUMNS = ("class_code",)
#: number columns
FLOAT_COLUMNS = ("area_ha", "valid_area_ha", "mean", "total", "share_4p1000_percent")
#: printf format of the numbers in stats.csv
FLOAT_FORMAT = "%.10g"


def stats_frame(rows: Sequence[dict[str, Any]], columns: Sequence[str]):
    """The rows as a pandas DataFrame (``class_code`` as nullable Int64), for callers that want one."""
    import pandas as pd

    table = pd.DataFrame([[r[c] for c in columns] for r in rows], columns=list(columns))
    for c in INT_COLUMNS:
        if c in table.columns:
            table[c] = table[c].astype("Int64")
    for c in FLOAT_COLUMNS:
        if c in table.columns:
            table[c] = table[c].astype("float64")
    return table


def write_stats_csv(path: Path, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """Write the rows as ``stats.csv`` (numbers with 10 significant digits, empty cells for NaN/None).

    Raises
    ------
    OSError
        As the file system reports it.
    """
    stats_frame(rows, columns).to_csv(path, index=False, float_format=FLOAT_FORMAT)


def _typed(column: str, text: str) -> Any:
    if column in INT_COLUMNS:
        return int(float(text)) if text else None
    if column in FLOAT_COLUMNS:
        return float(text) if text else math.nan
    return text


def read_stats_csv(path: Path) -> list[dict[str, Any]]:
    """``stats.csv`` as rows (dicts keyed by the header's columns), typed as the module docstring says."""
    with open(path, newline="", encoding="utf-8") as fh:
        return [{k: _typed(k, v) for k, v in row.items()} for row in csv.DictReader(fh)]


def write_stats_gpkg(
    path: Path,
    units: Sequence[dict[str, Any]],
    unit_columns: Sequence[str],
    geometries: Sequence[Any],
    crs_wkt: str,
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
) -> None:
    """Write ``stats.gpkg``: layer ``units`` (one polygon per unit and its columns) and table ``stats``.

    Parameters
    ----------
    path : Path
        The GeoPackage (created; must not exist).
    units : sequence of dict
        One row per unit, keys ``unit_columns``.
    unit_columns : sequence of str
    geometries : sequence of shapely geometries
        The units' polygons, in ``crs_wkt``, parallel to ``units``.
    crs_wkt : str
    rows, columns
        The long table (``stats.csv``), written as the attribute table ``stats`` (``class_code`` as a real).

    Raises
    ------
    OSError
        As the file system reports it.
    """
    import geopandas as gpd
    import pandas as pd
    import pyogrio

    frame = pd.DataFrame([[u.get(c, math.nan) for c in unit_columns] for u in units], columns=list(unit_columns))
    gdf = gpd.GeoDataFrame(frame, geometry=list(geometries), crs=crs_wkt)
    gdf.to_file(path, layer="units", driver="GPKG")
    table = stats_frame(rows, columns)
    pyogrio.write_dataframe(table.astype({"class_code": "float64"}), path, layer="stats", driver="GPKG")
