"""Lookup tables kept as data: IPCC Tier 1 tables, practice rules and rates, class legends.

Every table is a CSV file under ``scsmap/data/`` (packaged) or a task force's own
CSV named in the config's ``tables`` section. Each value row carries its source
and a confidence tag (methods §0.3: V read in the primary source, V2 secondary
transcription, C computed, R recalled, D scsmap design default) and a
``verified`` mark (true for V and V2).

Climate columns name either one IPCC climate zone (``warm_temperate_moist``) or a
group of zones from ``ipcc_climate_groups.csv`` (``temperate_boreal_moist``); a
row for a single zone wins over a group row.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import ConfigError

N_ZONES = 12
N_SOILS = 7


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class TableInfo:
    """Where a table came from: packaged name or path, and the sha256 of its bytes."""

    field: str
    name: str
    sha256: str

    def tag(self) -> str:
        return f"{self.name} (sha256 {self.sha256[:16]})"


def read_table(name: str, packaged: dict[str, str], field_name: str,
               columns: set[str]) -> tuple[pd.DataFrame, TableInfo]:
    """Read a packaged table by name or a CSV file by path.

    Parameters
    ----------
    name : str
        A key of ``packaged`` or a path to a CSV file.
    packaged : dict
        Packaged table names → file names under ``scsmap/data/``.
    field_name : str
        Config field that named the table (for error messages).
    columns : set of str
        Columns the table must have.

    Returns
    -------
    (pandas.DataFrame, TableInfo)

    Raises
    ------
    ConfigError
        Unknown name, unreadable file or missing columns.
    """
    if name in packaged:
        data = resources.files("scsmap.data").joinpath(packaged[name]).read_bytes()
    else:
        path = Path(name)
        if not path.is_file():
            raise ConfigError(f"{field_name}: {name!r} is neither a packaged table ({', '.join(packaged)}) "
                              "nor an existing CSV file")
        data = path.read_bytes()
    import io

    try:
        df = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{field_name}: {name} is not a readable CSV table: {exc}") from None
    missing = columns - set(df.columns)
    if missing:
        raise ConfigError(f"{field_name}: table {name} lacks column(s) {sorted(missing)} (has {list(df.columns)})")
    return df, TableInfo(field_name, name, hashlib.sha256(data).hexdigest())


def _packaged_csv(file: str) -> pd.DataFrame:
    return read_table(file, {file: file}, "scsmap/data", set())[0]


def _float(value: str, where: str) -> float:
    if value.strip() == "":
        return float("nan")
    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"{where}: {value!r} is not a number") from None


# --------------------------------------------------------------------------- legends and zones


@lru_cache(maxsize=None)
def climate_zone_classes() -> pd.DataFrame:
    """The 12 IPCC climate zones: code, zone, name, color (legend of ``ipcc_climate_zone``)."""
    df = _packaged_csv("ipcc_climate_zones.csv")
    df["code"] = df["code"].astype(int)
    return df


@lru_cache(maxsize=None)
def soil_class_classes() -> pd.DataFrame:
    """The IPCC soil classes: code, soil_class, name, color (legend of ``ipcc_soil_class``)."""
    df = _packaged_csv("ipcc_soil_classes.csv")
    df["code"] = df["code"].astype(int)
    return df


def climate_zone_codes() -> dict[str, int]:
    """Zone name → class code."""
    return dict(zip(climate_zone_classes()["zone"], climate_zone_classes()["code"]))


def soil_class_codes() -> dict[str, int]:
    """Soil class name → class code."""
    return dict(zip(soil_class_classes()["soil_class"], soil_class_classes()["code"]))


@lru_cache(maxsize=None)
def climate_groups() -> dict[str, tuple[str, ...]]:
    """Group name → the zones it covers (``ipcc_climate_groups.csv``)."""
    df = _packaged_csv("ipcc_climate_groups.csv")
    return {g: tuple(z.split(";")) for g, z in zip(df["group"], df["zones"])}


def zone_codes_of(climate: str, where: str) -> list[int]:
    """Class codes named by a climate cell (a zone or a group).

    Raises
    ------
    ConfigError
        Unknown zone or group name (with the known names).
    """
    codes = climate_zone_codes()
    if climate in codes:
        return [codes[climate]]
    groups = climate_groups()
    if climate in groups:
        return [codes[z] for z in groups[climate]]
    raise ConfigError(f"{where}: unknown climate {climate!r}; use a zone ({', '.join(codes)}) or a group "
                      f"({', '.join(groups)})")


def _by_zone(rows: list[tuple[str, float]], where: str) -> np.ndarray:
    """Values per zone code (index 0 unused = NaN); single-zone rows win over group rows."""
    out = np.full(N_ZONES + 1, np.nan)
    for climate, value in sorted(rows, key=lambda r: -len(zone_codes_of(r[0], where))):
        out[zone_codes_of(climate, where)] = value
    return out


# --------------------------------------------------------------------------- IPCC Tier 1


SOC_REF_TABLES = {"ipcc2006": "ipcc_soc_ref.csv"}
FACTOR_TABLES = {"ipcc": "ipcc_factors.csv"}


@dataclass
class Tier1Tables:
    """IPCC Tier 1 reference stocks and stock-change factors of one edition.

    Attributes
    ----------
    edition : int
        2006 or 2019 (factors).
    socref_edition : int
        Edition of the SOC_REF values (2006 also when 2019 is asked: the 2019
        Table 2.3 is not transcribed, methods §3.4b).
    soc_ref : numpy.ndarray
        [t C ha-1], shape (13, 8): zone code × soil class code; NaN = no value.
    factors : dict
        ``(land_use, factor, level)`` → array (13,) of values per zone code.
    info : list of TableInfo
    """

    edition: int
    socref_edition: int
    soc_ref: np.ndarray
    factors: dict[tuple[str, str, str], np.ndarray]
    info: list[TableInfo] = field(default_factory=list)
    rows: pd.DataFrame | None = None

    def factor(self, land_use: str, factor: str, level: str) -> np.ndarray:
        """Factor values per zone code (NaN where the table has none).

        Raises
        ------
        ConfigError
            If the table has no row at all for this land use, factor and level.
        """
        key = (land_use, factor, level)
        if key not in self.factors:
            known = sorted(lv for (lu, f, lv) in self.factors if lu == land_use and f == factor)
            raise ConfigError(f"IPCC factor table (edition {self.edition}): no {factor} level {level!r} for "
                              f"{land_use}; known levels: {', '.join(known) or 'none'}")
        return self.factors[key]

    def describe(self, land_use: str, factor: str, levels: tuple[str, ...]) -> str:
        """The rows used for a factor change, as compact JSON (for product tags)."""
        df = self.rows
        sel = df[(df["land_use"] == land_use) & (df["factor"] == factor) & df["level"].isin(levels)]
        return json.dumps([{k: r[k] for k in ("level", "climate", "value", "tag")} for _, r in sel.iterrows()],
                          ensure_ascii=False, separators=(",", ":"))


def load_tier1(edition: int, soc_ref: str = "ipcc2006", factors: str = "ipcc") -> Tier1Tables:
    """Load SOC_REF and the cropland/grassland stock-change factors of an edition.

    Parameters
    ----------
    edition : {2006, 2019}
    soc_ref, factors : str
        Packaged table names or CSV paths (``tables.ipcc_soc_ref``, ``tables.ipcc_factors``).

    Returns
    -------
    Tier1Tables

    Raises
    ------
    ConfigError
        Unreadable tables, bad values, unknown climate or soil names, or no row of
        the requested edition.

    References
    ----------
    IPCC 2006 Vol 4 Ch 2 Table 2.3, Ch 5 Table 5.5, Ch 6 Table 6.2; 2019 Refinement
    Tables 5.5 and 6.2; Cardinael et al. 2018 (agroforestry F_LU); methods §3.4-3.6, §6.4.
    """
    s_df, s_info = read_table(soc_ref, SOC_REF_TABLES, "tables.ipcc_soc_ref",
                              {"edition", "climate", "soil_class", "value"})
    f_df, f_info = read_table(factors, FACTOR_TABLES, "tables.ipcc_factors",
                              {"edition", "land_use", "factor", "level", "climate", "value"})
    soils = soil_class_codes()
    s_ed = edition if (s_df["edition"] == str(edition)).any() else 2006
    sel = s_df[s_df["edition"] == str(s_ed)]
    if sel.empty:
        raise ConfigError(f"tables.ipcc_soc_ref: {soc_ref} has no rows for edition {edition} or 2006")
    ref = np.full((N_ZONES + 1, N_SOILS + 1), np.nan)
    for soil, grp in sel.groupby("soil_class"):
        if soil not in soils:
            raise ConfigError(f"tables.ipcc_soc_ref: unknown soil class {soil!r}; known: {', '.join(soils)}")
        rows = [(c, _float(v, "tables.ipcc_soc_ref")) for c, v in zip(grp["climate"], grp["value"])]
        ref[:, soils[soil]] = _by_zone(rows, "tables.ipcc_soc_ref")
    fsel = f_df[f_df["edition"] == str(edition)]
    if fsel.empty:
        raise ConfigError(f"tables.ipcc_factors: {factors} has no rows for edition {edition}")
    out: dict[tuple[str, str, str], np.ndarray] = {}
    for key, grp in fsel.groupby(["land_use", "factor", "level"]):
        rows = [(c, _float(v, "tables.ipcc_factors")) for c, v in zip(grp["climate"], grp["value"])]
        out[key] = _by_zone(rows, "tables.ipcc_factors")
    return Tier1Tables(edition=edition, socref_edition=s_ed, soc_ref=ref, factors=out, info=[s_info, f_info],
                       rows=fsel.reset_index(drop=True))


@lru_cache(maxsize=None)
def land_use_ipcc() -> pd.DataFrame:
    """FAO land-use class → IPCC land use (cropland/grassland) and cropland F_LU level."""
    df = _packaged_csv("land_use_ipcc.csv")
    df["land_use"] = df["land_use"].astype(int)
    return df


WRB_TABLES = {"wrb_to_ipcc": "wrb_to_ipcc_soil.csv"}


def load_wrb_mapping(codes: str, mapping: str = "wrb_to_ipcc") -> tuple[np.ndarray, np.ndarray, list[TableInfo]]:
    """WRB raster codes → IPCC soil class codes.

    Parameters
    ----------
    codes : str
        CSV path with columns ``code,rsg``: the raster's integer codes and the WRB
        reference soil group each stands for (the legend of the region's WRB map).
    mapping : str
        Packaged name or CSV path with columns ``rsg,soil_class`` (default: the
        Annex 3A.5 mapping of methods §3.3).

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
    soils = soil_class_codes()
    rsg = {r.strip().lower(): s for r, s in zip(m_df["rsg"], m_df["soil_class"])}
    out_codes, out_classes = [], []
    for code, group in zip(c_df["code"], c_df["rsg"]):
        key = group.strip().lower()
        if key not in rsg:
            raise ConfigError(f"tables.wrb_legend: reference soil group {group!r} (code {code}) is not in "
                              f"{mapping}; known: {', '.join(sorted(m_df['rsg']))}")
        if rsg[key] not in soils:
            raise ConfigError(f"tables.wrb_to_ipcc_soil: unknown soil class {rsg[key]!r}")
        out_codes.append(_float(code, "tables.wrb_legend"))
        out_classes.append(soils[rsg[key]])
    return np.asarray(out_codes), np.asarray(out_classes, dtype="f8"), [c_info, m_info]


# --------------------------------------------------------------------------- practices


PRACTICE_RULE_TABLES = {"scsmap": "practices.csv"}
PRACTICE_RATE_TABLES = {"lessmann2021": "practice_rates_lessmann2021.csv"}

_RULE_NUMBERS = ("ai_unsuitable_below", "ai_conditional_below", "ai_unsuitable_above", "slope_unsuitable_above",
                 "slope_conditional_above", "clay_conditional_above")


@dataclass(frozen=True)
class PracticeRule:
    """One row of the practice rule table (methods §6.2).

    Attributes
    ----------
    practice : str
        Practice id (file names ``suitability_<practice>``, ``rate_<practice>``).
    code : int
        Class code in ``best_practice``.
    name : str
    mechanism : str
        What the practice changes (tillage, input, grazing, land_use); at most
        one practice per mechanism is counted in ``rate_combined``.
    exclusive : bool
        Cannot be combined with any other practice (e.g. set-aside).
    land_use : tuple of int
        Eligible FAO land-use classes.
    factor, from_level, to_level : str
        Tier 1 change: the factor (F_LU, F_MG, F_I, F_AF) moves from
        ``from_level`` (empty: the baseline level) to ``to_level``.
    baseline : str
        Baseline attribute that gates adoption (tillage, input, grassland,
        residue_burning, irrigated, agroforestry) or empty.
    adoptable : tuple of str
        Baseline levels where the practice can still be adopted; elsewhere it is
        "already practised".
    ai_unsuitable_below, ai_conditional_below, ai_unsuitable_above : float
        Aridity thresholds (NaN = none).
    excluded_zones : tuple of str
    slope_unsuitable_above, slope_conditional_above : float
        [%] (NaN = none).
    marginal_only : bool
        Only on marginal cropland (slope > ``practices.marginal_slope_percent`` or
        AI < ``practices.marginal_aridity_index``).
    clay_conditional_above : float
        [%]; conditional above it in ``clay_conditional_zones``.
    clay_conditional_zones : tuple of str
    resource : str
        Resource the practice needs (manure, irrigation_water) or empty.
    color : str
        Legend colour in ``best_practice``.
    tag, source : str
    """

    practice: str
    code: int
    name: str
    mechanism: str
    exclusive: bool
    land_use: tuple[int, ...]
    factor: str
    from_level: str
    to_level: str
    baseline: str
    adoptable: tuple[str, ...]
    ai_unsuitable_below: float
    ai_conditional_below: float
    ai_unsuitable_above: float
    excluded_zones: tuple[str, ...]
    slope_unsuitable_above: float
    slope_conditional_above: float
    marginal_only: bool
    clay_conditional_above: float
    clay_conditional_zones: tuple[str, ...]
    resource: str
    color: str = "#888888"
    tag: str = ""
    source: str = ""


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in str(value).split(";") if v.strip())


def _bool(value, where: str) -> bool:
    s = str(value).strip().lower()
    if s in ("true", "1", "yes"):
        return True
    if s in ("false", "0", "no", ""):
        return False
    raise ConfigError(f"{where}: {value!r} is not true/false")


#: the practice ids scsmap knows (the products are made for these)
PRACTICE_IDS: tuple[str, ...] = tuple(_packaged_csv("practices.csv")["practice"])


def load_practice_rules(source: str = "scsmap", overrides: dict[str, dict] | None = None) -> list[PracticeRule]:
    """Read the practice rule table and apply per-practice overrides from the config.

    Parameters
    ----------
    source : str
        Packaged name or CSV path (``tables.practice_rules``).
    overrides : dict, optional
        ``{practice: {column: value}}`` from ``practices.rules`` in the config.

    Returns
    -------
    list of PracticeRule
        In table order (the order breaks ties in ``best_practice``).

    Raises
    ------
    ConfigError
        Unknown practice or column, bad numbers, unknown zones, or a practice id
        scsmap has no products for.
    """
    df, _ = read_table(source, PRACTICE_RULE_TABLES, "tables.practice_rules",
                       set(PracticeRule.__dataclass_fields__) - {"tag", "source", "color"})
    overrides = overrides or {}
    unknown = [p for p in overrides if p not in set(df["practice"])]
    if unknown:
        raise ConfigError(f"practices.rules: unknown practice(s) {unknown}; known: {', '.join(df['practice'])}")
    zones = climate_zone_codes()
    rules = []
    for _, row in df.iterrows():
        r = dict(row)
        pid = r["practice"]
        if pid not in PRACTICE_IDS:
            raise ConfigError(f"tables.practice_rules: practice {pid!r} has no products in scsmap; "
                              f"known: {', '.join(PRACTICE_IDS)}")
        for key, value in overrides.get(pid, {}).items():
            if key not in PracticeRule.__dataclass_fields__ or key in ("practice", "code"):
                raise ConfigError(f"practices.rules.{pid}: unknown or fixed field {key!r}")
            r[key] = ";".join(map(str, value)) if isinstance(value, (list, tuple)) else \
                ("" if value is None else str(value))
        where = f"practice rule {pid}"
        rule = PracticeRule(
            practice=pid, code=int(r["code"]), name=r["name"], mechanism=r["mechanism"],
            exclusive=_bool(r["exclusive"], where), land_use=tuple(int(v) for v in _split(r["land_use"])),
            factor=r["factor"], from_level=r["from_level"].strip(), to_level=r["to_level"].strip(),
            baseline=r["baseline"].strip(), adoptable=_split(r["adoptable"]),
            excluded_zones=_split(r["excluded_zones"]), marginal_only=_bool(r["marginal_only"], where),
            clay_conditional_zones=_split(r["clay_conditional_zones"]), resource=r["resource"].strip(),
            color=r.get("color") or "#888888", tag=r.get("tag", ""), source=r.get("source", ""),
            **{k: _float(r[k], f"{where}.{k}") for k in _RULE_NUMBERS})
        for z in rule.excluded_zones + rule.clay_conditional_zones:
            if z not in zones:
                raise ConfigError(f"{where}: unknown climate zone {z!r}; known: {', '.join(zones)}")
        rules.append(rule)
    return rules


def load_practice_rates(source: str) -> tuple[dict[str, np.ndarray], pd.DataFrame, TableInfo]:
    """Read a practice rate table (Tier 2 country table or a meta-analysis).

    Parameters
    ----------
    source : str
        Packaged name (``lessmann2021``) or CSV path with columns
        ``practice,climate,rate`` (+ ``tag,source``); rates in t C ha-1 yr-1.

    Returns
    -------
    (rates, rows, info)
        ``rates[practice]`` is an array (13,) per zone code, NaN where the table
        has no value (the Tier 1 rate is used there).

    Raises
    ------
    ConfigError
        Unknown practice or climate, or a rate that is not a number.
    """
    df, info = read_table(source, PRACTICE_RATE_TABLES, "tables.practice_rates", {"practice", "climate", "rate"})
    unknown = sorted(set(df["practice"]) - set(PRACTICE_IDS))
    if unknown:
        raise ConfigError(f"tables.practice_rates: unknown practice(s) {unknown} in {source}; "
                          f"known: {', '.join(PRACTICE_IDS)}")
    rates = {}
    for pid, grp in df.groupby("practice"):
        rows = [(c, _float(v, f"tables.practice_rates ({pid})")) for c, v in zip(grp["climate"], grp["rate"])]
        rates[pid] = _by_zone(rows, "tables.practice_rates")
    return rates, df, info
