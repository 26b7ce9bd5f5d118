"""Land-use tables: land cover → land-use reclass tables, RothC parameters per land-use class."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ...config.catalogue import LAND_COVER_LEGENDS, LEGEND_ALIASES
from ...errors import ConfigError
from ...rothc.gsocseq import LandUseParams
from ...rules.land_use import ReclassTable


def legend_file(name: str) -> str:
    """The packaged file of a land-cover legend: ``<name>_to_fao.csv`` under ``scsmap/data/``.

    Parameters
    ----------
    name : str
        A key of :data:`scsmap.config.catalogue.LAND_COVER_LEGENDS` (or an alias such as ``esa_cci_to_fao``).
    """
    return f"{LEGEND_ALIASES.get(name, name)}_to_fao.csv"


def _is_packaged(name: str) -> bool:
    return LEGEND_ALIASES.get(name, name) in LAND_COVER_LEGENDS


def _read_table(name: str) -> pd.DataFrame:
    if _is_packaged(name):
        with resources.files("scsmap.data").joinpath(legend_file(name)).open("r", encoding="utf-8") as fh:
            return pd.read_csv(fh)
    path = Path(name)
    if not path.exists():
        raise ConfigError(
            f"inputs.land_cover.legend: {name!r} is neither a packaged legend "
            f"({', '.join(LAND_COVER_LEGENDS)}) nor an existing CSV file"
        )
    return pd.read_csv(path)


def load_reclass_table(name: str) -> ReclassTable:
    """Load a land-cover legend → FAO land-use table (packaged legend or CSV path).

    Parameters
    ----------
    name : str
        A packaged legend (:data:`scsmap.config.catalogue.LAND_COVER_LEGENDS`: ``esa_cci``, ``worldcover``,
        ``cgls_lc100``, ``globcover2009``, ``modis_igbp``, ``corine``, ``corine_grid``; ``esa_cci_to_fao`` is
        ``esa_cci``) or a CSV path with columns ``code,land_use`` (``inputs.land_cover.legend``).

    Returns
    -------
    ReclassTable
        Codes (float64) and FAO land-use classes (float32), in table order; named ``<legend>
        (<file>)`` for a packaged legend.

    Raises
    ------
    ConfigError
        Missing file, missing ``code``/``land_use`` columns, duplicate codes or
        classes outside 0..255.

    References
    ----------
    The packaged tables and the source of each row: docs/methods/gsocseq.md §1.3 and docs/regionalise.md.
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
    label = f"{LEGEND_ALIASES.get(name, name)} ({legend_file(name)})" if _is_packaged(name) else name
    return ReclassTable(name=label, codes=df["code"].to_numpy(dtype="float64"), classes=classes.astype("float32"))


@cache
def legend_codes() -> dict[str, dict[int, str]]:
    """Every packaged legend's codes with their labels (read once), for messages about unknown codes.

    Returns
    -------
    dict of str to dict of int to str
        Legend name → code → label (in the legend's own words).
    """
    out = {}
    for name in LAND_COVER_LEGENDS:
        df = _read_table(name)
        labels = df["label"] if "label" in df.columns else df.get("esa_label", df["code"].astype(str))
        out[name] = {int(c): str(lab) for c, lab in zip(df["code"], labels)}
    return out


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
