"""Land-use classes: reclassification of land-cover codes through tables kept as data.

The default table maps ESA CCI land cover to the 13 FAO GSOCseq land-use classes
exactly as the GSOCseq v1.2 scripts do (methods §1.3). A region overrides it with
``tables.land_cover_reclass: path/to/table.csv`` (columns ``code,land_use``).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from .errors import ConfigError, InputError

_PACKAGED = {"esa_cci_to_fao": "esa_cci_to_fao.csv"}


@dataclass(frozen=True)
class ReclassTable:
    """A land-cover → land-use lookup table.

    Attributes
    ----------
    name : str
        Packaged name or file path.
    codes, classes : numpy.ndarray
        Parallel arrays: land-cover code → land-use class.
    """

    name: str
    codes: np.ndarray
    classes: np.ndarray


def _read_table(name: str) -> pd.DataFrame:
    if name in _PACKAGED:
        with resources.files("scsmap.data").joinpath(_PACKAGED[name]).open("r", encoding="utf-8") as fh:
            return pd.read_csv(fh)
    path = Path(name)
    if not path.exists():
        raise ConfigError(f"tables.land_cover_reclass: {name!r} is neither a packaged table "
                          f"({', '.join(_PACKAGED)}) nor an existing CSV file")
    return pd.read_csv(path)


def load_reclass_table(name: str) -> ReclassTable:
    """Load a land-cover → land-use table (packaged name or CSV path).

    Raises
    ------
    ConfigError
        Missing file, missing ``code``/``land_use`` columns, duplicate codes or
        classes outside 0..255.
    """
    df = _read_table(name)
    if not {"code", "land_use"} <= set(df.columns):
        raise ConfigError(f"land-cover table {name}: needs columns 'code' and 'land_use' (has {list(df.columns)})")
    if df["code"].duplicated().any():
        dup = sorted(df.loc[df["code"].duplicated(), "code"].tolist())
        raise ConfigError(f"land-cover table {name}: duplicate codes {dup}")
    classes = df["land_use"].to_numpy()
    if (classes < 0).any() or (classes > 254).any():
        raise ConfigError(f"land-cover table {name}: land_use classes must be 0..254")
    return ReclassTable(name=name, codes=df["code"].to_numpy(dtype="float64"), classes=classes.astype("float32"))


def land_use_classes() -> pd.DataFrame:
    """The FAO land-use classes (code, name, color) used for legends and colour tables."""
    with resources.files("scsmap.data").joinpath("land_use_classes.csv").open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh)


def _reclass_block(x: np.ndarray, codes: np.ndarray, classes: np.ndarray, name: str, source: str) -> np.ndarray:
    out = np.full(x.shape, np.nan, dtype="float32")
    valid = np.isfinite(x)
    if not valid.any():
        return out
    idx = np.searchsorted(codes, x[valid])
    idx = np.clip(idx, 0, len(codes) - 1)
    hit = codes[idx] == x[valid]
    if not hit.all():
        missing = np.unique(x[valid][~hit])[:20]
        raise InputError(f"layer 'land_cover': codes {missing.astype(int).tolist()} in {source} are not in the "
                         f"reclass table {name}",
                         "add them to the table (tables.land_cover_reclass) or declare them as nodata")
    out[valid] = classes[idx]
    return out


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
    order = np.argsort(table.codes)
    codes, classes = table.codes[order], table.classes[order]
    out = xr.apply_ufunc(_reclass_block, land_cover, kwargs={"codes": codes, "classes": classes, "name": table.name,
                                                                "source": source},
                         dask="parallelized", output_dtypes=["float32"])
    out.attrs = {"units": "class", "long_name": "land-use class (FAO GSOCseq classes)"}
    return out
