"""IPCC Tier 1 tables: SOC_REF, stock-change factors, land-use mapping, climate groups, WRB → soil class.

Climate columns name either one IPCC climate zone (``warm_temperate_moist``) or a
group of zones from ``ipcc_climate_groups.csv`` (``temperate_boreal_moist``); a
row for a single zone wins over a group row.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from ...errors import ConfigError
from ...rules.ipcc_classes import N_SOILS, N_ZONES, SOILS, ZONES
from ...rules.practices import LandUseIpcc, Tier1Tables
from .base import TableInfo, number, packaged_csv, read_table, records

SOC_REF_TABLES = {"ipcc2006": "ipcc_soc_ref.csv"}
FACTOR_TABLES = {"ipcc": "ipcc_factors.csv"}
WRB_TABLES = {"wrb_to_ipcc": "wrb_to_ipcc_soil.csv"}


@cache
def climate_groups() -> dict[str, tuple[str, ...]]:
    """Group name → the zones it covers (``ipcc_climate_groups.csv``).

    Returns
    -------
    dict of str to tuple of str
    """
    df = packaged_csv("ipcc_climate_groups.csv")
    return {g: tuple(z.split(";")) for g, z in zip(df["group"], df["zones"])}


def zone_codes_of(climate: str, where: str) -> list[int]:
    """Class codes named by a climate cell (a zone or a group).

    Parameters
    ----------
    climate : str
        A zone (``warm_temperate_moist``) or a group (``temperate_boreal_moist``).
    where : str
        Table and column, for the error message.

    Returns
    -------
    list of int
        Zone codes 1-12 (:data:`scsmap.rules.ipcc_classes.ZONES`).

    Raises
    ------
    ConfigError
        Unknown zone or group name (with the known names).
    """
    if climate in ZONES:
        return [ZONES[climate]]
    groups = climate_groups()
    if climate in groups:
        return [ZONES[z] for z in groups[climate]]
    raise ConfigError(
        f"{where}: unknown climate {climate!r}; use a zone ({', '.join(ZONES)}) or a group ({', '.join(groups)})"
    )


def by_zone(rows: list[tuple[str, float]], where: str) -> np.ndarray:
    """Values per zone code; single-zone rows win over group rows.

    Parameters
    ----------
    rows : list of (str, float)
        (climate zone or group, value) pairs.
    where : str
        Table, for error messages.

    Returns
    -------
    numpy.ndarray
        ``(13,)`` float64 by zone code (index 0 unused), NaN where no row applies.

    Raises
    ------
    ConfigError
        Unknown zone or group name.
    """
    out = np.full(N_ZONES + 1, np.nan)
    for climate, value in sorted(rows, key=lambda r: -len(zone_codes_of(r[0], where))):
        out[zone_codes_of(climate, where)] = value
    return out


@cache
def land_use_ipcc() -> LandUseIpcc:
    """FAO land-use class → IPCC land use and cropland F_LU level (``land_use_ipcc.csv``).

    Returns
    -------
    LandUseIpcc
    """
    df = packaged_csv("land_use_ipcc.csv")
    group = np.zeros(256, dtype="int8")
    levels = {}
    for code, grp, lvl in zip(df["land_use"].astype(int), df["ipcc_land_use"], df["f_lu_level"]):
        group[code] = 1 if grp == "cropland" else 2
        if grp == "cropland":
            levels[int(code)] = lvl
    return LandUseIpcc(group=group, f_lu_level=levels)


def load_tier1(edition: int, soc_ref: str = "ipcc2006", factors: str = "ipcc") -> tuple[Tier1Tables, list[TableInfo]]:
    """Load SOC_REF and the cropland/grassland stock-change factors of an edition.

    Parameters
    ----------
    edition : {2006, 2019}
    soc_ref, factors : str
        Packaged table names or CSV paths (``tables.ipcc_soc_ref``, ``tables.ipcc_factors``).

    Returns
    -------
    (Tier1Tables, list of TableInfo)
        The tables, and where SOC_REF and the factors came from.

    Raises
    ------
    ConfigError
        Unreadable tables, bad values, unknown climate or soil names, or no row of
        the requested edition.

    References
    ----------
    IPCC 2006 Vol 4 Ch 2 Table 2.3, Ch 5 Table 5.5, Ch 6 Table 6.2; 2019 Refinement
    Tables 5.5 and 6.2; Cardinael et al. 2018 (agroforestry F_LU); docs/methods/ipcc.md §3.4-3.6,
    docs/methods/practices.md §6.4.
    """
    s_df, s_info = read_table(
        soc_ref, SOC_REF_TABLES, "tables.ipcc_soc_ref", {"edition", "climate", "soil_class", "value"}
    )
    f_df, f_info = read_table(
        factors, FACTOR_TABLES, "tables.ipcc_factors", {"edition", "land_use", "factor", "level", "climate", "value"}
    )
    soils = SOILS
    s_ed = edition if (s_df["edition"] == str(edition)).any() else 2006
    sel = s_df[s_df["edition"] == str(s_ed)]
    if sel.empty:
        raise ConfigError(f"tables.ipcc_soc_ref: {soc_ref} has no rows for edition {edition} or 2006")
    ref = np.full((N_ZONES + 1, N_SOILS + 1), np.nan)
    for soil, grp in sel.groupby("soil_class"):
        if soil not in soils:
            raise ConfigError(f"tables.ipcc_soc_ref: unknown soil class {soil!r}; known: {', '.join(soils)}")
        rows = [(c, number(v, "tables.ipcc_soc_ref")) for c, v in zip(grp["climate"], grp["value"])]
        ref[:, soils[soil]] = by_zone(rows, "tables.ipcc_soc_ref")
    fsel = f_df[f_df["edition"] == str(edition)]
    if fsel.empty:
        raise ConfigError(f"tables.ipcc_factors: {factors} has no rows for edition {edition}")
    out: dict[tuple[str, str, str], np.ndarray] = {}
    errors: dict[tuple[str, str, str], np.ndarray] = {}
    has_error = "error_percent" in fsel.columns
    for key, grp in fsel.groupby(["land_use", "factor", "level"]):
        rows = [(c, number(v, "tables.ipcc_factors")) for c, v in zip(grp["climate"], grp["value"])]
        out[key] = by_zone(rows, "tables.ipcc_factors")
        if has_error:  # blank cells: no error range transcribed (NaN)
            err = [
                (c, number(v, "tables.ipcc_factors error_percent"))
                for c, v in zip(grp["climate"], grp["error_percent"])
                if str(v).strip()
            ]
            errors[key] = by_zone(err, "tables.ipcc_factors") / 100.0
    return Tier1Tables(
        edition=edition,
        socref_edition=s_ed,
        soc_ref=ref,
        factors=out,
        land_use=land_use_ipcc(),
        rows=records(fsel),
        errors=errors,
    ), [s_info, f_info]


def load_wrb_mapping(codes: str, mapping: str = "wrb_to_ipcc") -> tuple[np.ndarray, np.ndarray, list[TableInfo]]:
    """WRB raster codes → IPCC soil class codes.

    Parameters
    ----------
    codes : str
        CSV path with columns ``code,rsg``: the raster's integer codes and the WRB
        reference soil group each stands for (the legend of the region's WRB map).
    mapping : str
        Packaged name or CSV path with columns ``rsg,soil_class`` (default: the
        Annex 3A.5 mapping of docs/methods/ipcc.md §3.3).

    Returns
    -------
    (codes, classes, info)
        Parallel arrays raster code → soil class code.

    Raises
    ------
    ConfigError
        Unknown reference soil group or soil class.
    """
    c_df, c_info = read_table(codes, {}, "tables.wrb_legend", {"code", "rsg"})
    m_df, m_info = read_table(mapping, WRB_TABLES, "tables.wrb_to_ipcc_soil", {"rsg", "soil_class"})
    soils = SOILS
    rsg = {r.strip().lower(): s for r, s in zip(m_df["rsg"], m_df["soil_class"])}
    out_codes, out_classes = [], []
    for code, group in zip(c_df["code"], c_df["rsg"]):
        key = group.strip().lower()
        if key not in rsg:
            raise ConfigError(
                f"tables.wrb_legend: reference soil group {group!r} (code {code}) is not in "
                f"{mapping}; known: {', '.join(sorted(m_df['rsg']))}"
            )
        if rsg[key] not in soils:
            raise ConfigError(f"tables.wrb_to_ipcc_soil: unknown soil class {rsg[key]!r}")
        out_codes.append(number(code, "tables.wrb_legend"))
        out_classes.append(soils[rsg[key]])
    return np.asarray(out_codes), np.asarray(out_classes, dtype="f8"), [c_info, m_info]
