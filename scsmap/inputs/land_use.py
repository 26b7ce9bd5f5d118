"""Land-use layer from a land-cover layer and its legend's table to the FAO classes, lazily (dask)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr

from ..errors import InputError
from ..rules.land_use import ReclassTable, UnknownCodes
from ..rules.land_use_compiled import reclass_codes


def where_valid(codes: list[int], legends: Mapping[str, Mapping[int, str]]) -> str:
    """Which packaged legends hold the given codes, for messages.

    Parameters
    ----------
    codes : list of int
        Codes the declared legend does not list.
    legends : mapping
        Legend name → code → label (:func:`scsmap.io.tables.legend_codes`).

    Returns
    -------
    str
        e.g. ``"all of them are codes of globcover2009 (14 rainfed croplands, 230 no data)"``, or per code,
        or that no packaged legend has them.
    """
    full = [n for n, table in legends.items() if all(c in table for c in codes)]
    if full:
        shown = "; ".join(
            f"{n} ({', '.join(f'{c} {legends[n][c]}' for c in codes[:6])}{', ...' if len(codes) > 6 else ''})"
            for n in full
        )
        return f"{'they are' if len(codes) > 1 else 'it is a'} code{'s' if len(codes) > 1 else ''} of: {shown}"
    per = [f"{c}: {', '.join(n for n, t in legends.items() if c in t) or 'no packaged legend'}" for c in codes[:10]]
    return "no packaged legend holds them all; " + "; ".join(per)


def _block(
    x: np.ndarray,
    codes: np.ndarray,
    classes: np.ndarray,
    name: str,
    source: str,
    legends: Mapping[str, Mapping[int, str]],
) -> np.ndarray:
    try:
        return reclass_codes(x, codes, classes)
    except UnknownCodes as exc:
        raise InputError(
            f"layer 'land_cover': codes {exc.codes} in {source} are not in the legend {name}; "
            f"{where_valid(exc.codes, legends)}",
            "set inputs.land_cover.legend (or tables.land_cover_reclass) to the legend the file uses, give a CSV "
            "with columns code,land_use, or declare the codes as nodata",
        ) from None


def reclassify(
    land_cover: xr.DataArray,
    table: ReclassTable,
    source: str = "the land-cover file",
    legends: Mapping[str, Mapping[int, str]] | None = None,
) -> xr.DataArray:
    """Map land-cover codes to land-use classes.

    Parameters
    ----------
    land_cover : xarray.DataArray
        Land-cover codes (float with NaN for nodata), dims (y, x).
    table : ReclassTable
    source : str
        The land-cover file, named in the error message.
    legends : mapping, optional
        The packaged legends' codes and labels (:func:`scsmap.io.tables.legend_codes`): an unknown code's
        message names the legends in which it is valid.

    Returns
    -------
    xarray.DataArray
        float32 land-use class, NaN where the input is NaN.

    Raises
    ------
    InputError
        (at compute time) if a code is missing from the table, naming the legends that hold it.
    """
    t = table.sorted()
    out = xr.apply_ufunc(
        _block,
        land_cover,
        kwargs={
            "codes": t.codes,
            "classes": t.classes,
            "name": table.name,
            "source": source,
            "legends": dict(legends or {}),
        },
        dask="parallelized",
        output_dtypes=["float32"],
    )
    out.attrs = {"units": "class", "long_name": "land-use class (FAO GSOCseq classes)"}
    return out
