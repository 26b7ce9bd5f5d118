"""Land-use tables: land cover → land-use reclass tables, RothC parameters per land-use class."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ...errors import ConfigError
from ...rothc.gsocseq import LandUseParams
from ...rules.land_use import ReclassTable

_PACKAGED = {"esa_cci_to_fao": "esa_cci_to_fao.csv"}


def _read_table(name: str) -> pd.DataFrame:
    if name in _PACKAGED:
        with resources.files("scsmap.data").joinpath(_PACKAGED[name]).open("r", encoding="utf-8") as fh:
            return pd.read_csv(fh)
    path = Path(name)
    if not path.exists():
        raise ConfigError(
            f"tables.land_cover_reclass: {name!r} is neither a packaged table "
            f"({', '.join(_PACKAGED)}) nor an existing CSV file"
        )
    return pd.read_csv(path)


def load_reclass_table(name: str) -> ReclassTable:
    """Load a land-cover → land-use table (packaged name or CSV path).

    Parameters
    ----------
    name : str
        Packaged name (``esa_cci_to_fao``) or CSV path with columns ``code,land_use``
        (``tables.land_cover_reclass``).

    Returns
    -------
    ReclassTable
        Codes (float64) and FAO land-use classes (float32), in table order.

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


def load_land_use_params() -> LandUseParams:
    """Per-class DR, target flags, paddy factor and NPP coefficient (``scsmap/data/land_use_rothc.csv``).

    Returns
    -------
    LandUseParams
        ``(256,)`` arrays by FAO class code.

    References
    ----------
    GSOCseq Technical Manual v1.1 and scripts v1.2 (DR by land use; paddy factor 0.4 after Shirato &
    Yokozawa 2005); docs/methods/gsocseq.md §1.1, §1.3, §1.5.
    """
    with resources.files("scsmap.data").joinpath("land_use_rothc.csv").open("r", encoding="utf-8") as fh:
        df = pd.read_csv(fh)
    dr = np.full(256, np.nan)
    spin = np.zeros(256, bool)
    fwd = np.zeros(256, bool)
    pad = np.ones(256)
    npp = np.full(256, np.nan)
    code = df["code"].to_numpy(int)
    npp[code] = df["npp_coefficient"].to_numpy(float)
    dr[code] = df["dr"].to_numpy(float)
    spin[code] = df["spinup"].to_numpy(bool)
    fwd[code] = df["forward"].to_numpy(bool)
    pad[code] = df["paddy_factor"].to_numpy(float)
    return LandUseParams(dr, spin, fwd, pad, npp)
