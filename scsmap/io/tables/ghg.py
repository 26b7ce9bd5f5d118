"""GHG and cost tables: N2O emission factors, GWP100, N bookkeeping per practice, practice costs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import ConfigError
from ...rules.ghg import N_TYPES, EmissionFactors, PracticeNitrogen, RiceMethane
from ...rules.practices import PRACTICE_IDS
from .base import TableInfo, number, read_table

N2O_FACTOR_TABLES = {"ipcc": "n2o_factors.csv"}
GWP_TABLES = {"ipcc": "gwp100.csv"}
NITROGEN_TABLES = {"scsmap": "practice_nitrogen.csv"}
RICE_CH4_TABLES = {"ipcc": "rice_ch4.csv"}
RICE_PRACTICE_TABLES = {"scsmap": "rice_ch4_practices.csv"}
#: ``ghg.n2o_factor_set`` → (table set, disaggregated by climate and N type)
FACTOR_SETS = {"2019": ("2019", True), "2019_aggregated": ("2019", False), "2006": ("2006", False)}


def load_emission_factors(source: str, factor_set: str) -> tuple[EmissionFactors, EmissionFactors, TableInfo]:
    """Wet- and dry-climate N₂O factors of one set.

    Parameters
    ----------
    source : str
        Packaged ``ipcc`` or a CSV with columns ``set,parameter,climate,n_type,value``.
    factor_set : str
        ``2019`` (disaggregated by wet/dry climate and N type), ``2019_aggregated`` or ``2006``.
        Aggregated sets use the ``all`` rows of EF1 and EF4; FracLEACH is always wet/dry.

    Returns
    -------
    (EmissionFactors, EmissionFactors, TableInfo)
        Wet-climate and dry-climate factors, and where the table came from.

    Raises
    ------
    ConfigError
        A parameter the set needs is missing from the table.

    References
    ----------
    IPCC (2006, 2019 Refinement) Vol. 4 Ch. 11, Tables 11.1 and 11.3 (docs/methods/ghg.md §8.2).
    """
    df, info = read_table(
        source, N2O_FACTOR_TABLES, "tables.n2o_factors", {"set", "parameter", "climate", "n_type", "value"}
    )
    year, split = FACTOR_SETS[factor_set]
    rows = df[df["set"] == year]

    def value(param: str, climate: str, n_type: str) -> float:
        for c in (climate, "all") if split or param == "FracLEACH" else ("all",):
            for t in (n_type, "all"):
                hit = rows[(rows["parameter"] == param) & (rows["climate"] == c) & (rows["n_type"] == t)]
                if len(hit):
                    return number(hit["value"].iloc[0], f"tables.n2o_factors ({year} {param} {c} {t})")
        raise ConfigError(
            f"tables.n2o_factors: {source} has no {param} value for set {year}, climate {climate}, N type {n_type}"
        )

    def climate(c: str) -> EmissionFactors:
        return EmissionFactors(
            ef1={t: value("EF1", c, t) for t in N_TYPES},
            ef4=value("EF4", c, "all"),
            ef5=value("EF5", c, "all"),
            frac_leach=value("FracLEACH", c, "all"),
            frac_gas={
                "synthetic": value("FracGASF", c, "synthetic"),
                "organic": value("FracGASM", c, "organic"),
                "som": value("FracGAS", c, "som"),
            },
        )

    return climate("wet"), climate("dry"), info


def load_gwp(source: str, gwp_set: str, gas: str = "N2O") -> tuple[float, TableInfo]:
    """GWP100 of N₂O (or another gas) in one IPCC assessment report.

    Parameters
    ----------
    source : str
        Packaged ``ipcc`` or a CSV with columns ``set,gas,value``.
    gwp_set : {"AR4", "AR5", "AR6"}
    gas : str
        ``N2O`` or ``CH4``.

    Returns
    -------
    (float, TableInfo)
        GWP100 [kg CO₂e per kg of the gas] and where the table came from.

    Raises
    ------
    ConfigError
        The table has no row for the gas and ``gwp_set``.

    References
    ----------
    IPCC AR4, AR5, AR6 (WG1) GWP100 values (docs/methods/ghg.md §8.1).
    """
    df, info = read_table(source, GWP_TABLES, "tables.gwp", {"set", "gas", "value"})
    hit = df[(df["set"] == gwp_set) & (df["gas"] == gas)]
    if not len(hit):
        raise ConfigError(f"tables.gwp: {source} has no {gas} value for {gwp_set} (sets: {sorted(set(df['set']))})")
    return number(hit["value"].iloc[0], f"tables.gwp ({gwp_set})"), info


def load_practice_nitrogen(
    source: str, manure_n_kg_ha: float | None = None
) -> tuple[dict[str, PracticeNitrogen], pd.DataFrame, TableInfo]:
    """N bookkeeping per practice (docs/methods/ghg.md §8.4 steps 2 and 5).

    Parameters
    ----------
    source : str
        Packaged ``scsmap`` or a CSV with columns ``practice,f_ext,n_ext_type,added_n_kg_ha_yr,
        added_n_type,delta_n2o_kg_ha_yr``.
    manure_n_kg_ha : float, optional
        ``practices.manure_n_kg_ha`` [kg N ha-1 yr-1]: replaces the N added by organic amendments.

    Returns
    -------
    (dict of str to PracticeNitrogen, pandas.DataFrame, TableInfo)
        Per practice id; the table's rows; where the table came from.

    Raises
    ------
    ConfigError
        Unknown practice or N type, a number that is not one, f_ext outside 0-1.
    """
    df, info = read_table(
        source,
        NITROGEN_TABLES,
        "tables.practice_nitrogen",
        {"practice", "f_ext", "n_ext_type", "added_n_kg_ha_yr", "added_n_type", "delta_n2o_kg_ha_yr"},
    )
    out, problems = {}, []
    for r in df.itertuples():
        where = f"tables.practice_nitrogen ({r.practice})"
        if r.practice not in PRACTICE_IDS:
            problems.append(f"{where}: unknown practice; known: {', '.join(PRACTICE_IDS)}")
            continue
        bad = [t for t in (r.n_ext_type, r.added_n_type) if t not in ("synthetic", "organic")]
        if bad:
            problems.append(f"{where}: N type {bad[0]!r} is not 'synthetic' or 'organic'")
            continue
        f_ext = number(r.f_ext, where)
        if not 0 <= f_ext <= 1:
            problems.append(f"{where}: f_ext {f_ext} is not between 0 and 1")
        added = number(r.added_n_kg_ha_yr or "0", where)
        if r.practice == "organic_amendments" and manure_n_kg_ha is not None:
            added = manure_n_kg_ha
        out[r.practice] = PracticeNitrogen(
            f_ext, r.n_ext_type, added, r.added_n_type, number(r.delta_n2o_kg_ha_yr or "0", where)
        )
    if problems:
        raise ConfigError(problems)
    return out, df, info


def load_practice_costs(
    source: str, region: tuple[str, ...]
) -> tuple[dict[str, tuple[np.ndarray, bool]], str, pd.DataFrame, TableInfo]:
    """Per-practice net costs by land-use class (docs/methods/ghg.md §9.2).

    Parameters
    ----------
    source : str
        CSV with columns ``practice,land_use,region,cost_per_ha_yr,cost_per_tco2e,currency,year``
        (+ ``tag,source``). ``land_use``: FAO land-use codes separated by ``;`` or ``*``;
        ``region``: the run's ISO3 code or name, or ``*``. Specific rows win over ``*`` rows.
        A row gives either ``cost_per_ha_yr`` [currency ha-1 yr-1] or ``cost_per_tco2e``.
    region : tuple of str
        The run's ISO3 code and name.

    Returns
    -------
    (costs, currency, rows, info)
        ``costs[practice] = (lut, per_t)``: a (256,) lookup by land-use class, NaN where no
        row applies; ``currency`` as ``"USD 2024"``.

    Raises
    ------
    ConfigError
        Unknown practice, mixed currencies or years, a row with both or neither cost, a
        practice with both kinds of cost, bad land-use codes.
    """
    df, info = read_table(
        source,
        {},
        "tables.practice_costs",
        {"practice", "land_use", "region", "cost_per_ha_yr", "cost_per_tco2e", "currency", "year"},
    )
    problems = []
    money = sorted({f"{c} {y}" for c, y in zip(df["currency"], df["year"])})
    if len(money) != 1:
        problems.append(f"tables.practice_costs: one currency and year per table, found {money or 'none'}")
    rows = df[df["region"].isin(("*",) + tuple(region))]
    costs: dict[str, tuple[np.ndarray, bool]] = {}
    # '*' rows first, then specific ones, so that specific rows win
    order = sorted(rows.itertuples(), key=lambda r: (r.region != "*", r.land_use != "*"))
    for r in order:
        where = f"tables.practice_costs ({r.practice}, land use {r.land_use}, region {r.region})"
        if r.practice not in PRACTICE_IDS:
            problems.append(f"{where}: unknown practice; known: {', '.join(PRACTICE_IDS)}")
            continue
        per_ha, per_t = number(r.cost_per_ha_yr, where), number(r.cost_per_tco2e, where)
        if np.isfinite(per_ha) == np.isfinite(per_t):
            problems.append(f"{where}: give exactly one of cost_per_ha_yr and cost_per_tco2e")
            continue
        lut, kind = costs.get(r.practice, (np.full(256, np.nan), bool(np.isfinite(per_t))))
        if kind != bool(np.isfinite(per_t)):
            problems.append(f"{where}: a practice's rows must all give cost per ha or all cost per t CO2e")
            continue
        try:
            codes = list(range(256)) if r.land_use == "*" else [int(c) for c in r.land_use.split(";")]
        except ValueError:
            problems.append(f"{where}: land_use must be '*' or FAO class codes separated by ';'")
            continue
        if any(not 0 <= c <= 255 for c in codes):
            problems.append(f"{where}: land-use codes must be 0-255")
            continue
        lut[codes] = per_t if kind else per_ha
        costs[r.practice] = (lut, kind)
    if problems:
        raise ConfigError(problems)
    return costs, money[0], df, info


def load_rice_methane(
    source: str,
    practices_source: str,
    water_regime: str,
    preseason: str,
    days: float,
    seasons: float,
    gwp_ch4: float,
) -> tuple[RiceMethane, list[TableInfo]]:
    """Rice CH₄ factors (IPCC 2019 Tables 5.11-5.14) and the organic amendment each practice adds on rice.

    Parameters
    ----------
    source : str
        Packaged ``ipcc`` or a CSV with columns ``parameter,level,value`` (``tables.rice_ch4``).
    practices_source : str
        Packaged ``scsmap`` or a CSV with columns ``practice,amendment,roa_t_ha`` (``tables.rice_ch4_practices``).
    water_regime, preseason : str
        Levels of ``SF_w`` and ``SF_p`` (``ghg.rice_water_regime``, ``ghg.rice_preseason``).
    days, seasons : float
        Cultivation period [d] and seasons per year.
    gwp_ch4 : float
        [kg CO₂e per kg CH₄].

    Returns
    -------
    (RiceMethane, list of TableInfo)

    Raises
    ------
    ConfigError
        A level or amendment the table does not have.

    References
    ----------
    IPCC (2019) Refinement Vol. 4 Ch. 5.5, Tables 5.11-5.14 (docs/methods/ghg.md §8.6).
    """
    df, info = read_table(source, RICE_CH4_TABLES, "tables.rice_ch4", {"parameter", "level", "value"})
    pr, p_info = read_table(
        practices_source, RICE_PRACTICE_TABLES, "tables.rice_ch4_practices", {"practice", "amendment", "roa_t_ha"}
    )

    def value(param: str, level: str) -> float:
        hit = df[(df["parameter"] == param) & (df["level"] == level)]
        if not len(hit):
            known = sorted(df.loc[df["parameter"] == param, "level"])
            raise ConfigError(f"tables.rice_ch4: no {param} row for {level!r}; known: {', '.join(known)}")
        return number(hit["value"].iloc[0], f"tables.rice_ch4 ({param} {level})")

    amendments = {}
    for _, row in pr.iterrows():
        if row["practice"] not in PRACTICE_IDS:
            raise ConfigError(f"tables.rice_ch4_practices: unknown practice {row['practice']!r}")
        amendments[row["practice"]] = (
            number(row["roa_t_ha"], f"tables.rice_ch4_practices ({row['practice']})"),
            value("CFOA", row["amendment"]),
        )
    m = RiceMethane(
        ef_c=value("EF_c", "global"),
        sf_w=value("SF_w", water_regime),
        sf_p=value("SF_p", preseason),
        days=days,
        seasons=seasons,
        gwp_ch4=gwp_ch4,
        amendments=amendments,
    )
    return m, [info, p_info]
