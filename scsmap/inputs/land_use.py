"""Land-use layer from a land-cover layer and a reclass table, lazily (dask)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..errors import InputError
from ..rules.land_use import ReclassTable, UnknownCodes, reclass_block


def _block(x: np.ndarray, codes: np.ndarray, classes: np.ndarray, name: str, source: str) -> np.ndarray:
    try:
        return reclass_block(x, codes, classes)
    except UnknownCodes as exc:
        raise InputError(
            f"layer 'land_cover': codes {exc.codes} in {source} are not in the reclass table {name}",
            "add them to the table (tables.land_cover_reclass) or declare them as nodata",
        ) from None


def reclassify(land_cover: xr.DataArray, table: ReclassTable, source: str = "the land-cover file") -> xr.DataArray:
    """Map land-cover codes to land-use classes.

    Parameters
    ----------
    land_cover : xarray.DataArray
        Land-cover codes (float with NaN for nodata), dims (y, x).
    table : ReclassTable
    source : str
        The land-cover file, named in the error message.

    Returns
    -------
    xarray.DataArray
        float32 land-use class, NaN where the input is NaN.

    Raises
    ------
    InputError
        (at compute time) if a code is missing from the table.
    """
    t = table.sorted()
    out = xr.apply_ufunc(
        _block,
        land_cover,
        kwargs={"codes": t.codes, "classes": t.classes, "name": table.name, "source": source},
        dask="parallelized",
        output_dtypes=["float32"],
    )
    out.attrs = {"units": "class", "long_name": "land-use class (FAO GSOCseq classes)"}
    return out
