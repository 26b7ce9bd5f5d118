"""Practice tables: the rule table (eligibility, gates, thresholds) and practice rate tables (Tier 2)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import ConfigError
from ...rules.ipcc_classes import ZONES
from ...rules.practices import PRACTICE_IDS, UNKNOWN_PRACTICE, PracticeRule
from .base import TableInfo, number, read_table
from .ipcc import by_zone

PRACTICE_RULE_TABLES = {"scsmap": "practices.csv"}
PRACTICE_RATE_TABLES = {"lessmann2021": "practice_rates_lessmann2021.csv"}

_RULE_NUMBERS = (
    "ai_unsuitable_below",
    "ai_conditional_below",
    "ai_unsuitable_above",
    "slope_unsuitable_above",
    "slope_conditional_above",
    "clay_conditional_above",
)


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in str(value).split(";") if v.strip())


def _bool(value, where: str) -> bool:
    s = str(value).strip().lower()
    if s in ("true", "1", "yes"):
        return True
    if s in ("false", "0", "no", ""):
        return False
    raise ConfigError(f"{where}: {value!r} is not true/false")


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
    df, _ = read_table(
        source,
        PRACTICE_RULE_TABLES,
        "tables.practice_rules",
        set(PracticeRule.__dataclass_fields__) - {"tag", "source", "color", "requires"},
    )
    overrides = overrides or {}
    unknown = [p for p in overrides if p not in set(df["practice"])]
    if unknown:
        raise ConfigError(f"practices.rules: unknown practice(s) {unknown}; known: {', '.join(df['practice'])}")
    zones = ZONES
    rules = []
    for _, row in df.iterrows():
        r = dict(row)
        pid = r["practice"]
        if pid not in PRACTICE_IDS:
            raise ConfigError(
                f"tables.practice_rules: practice {pid!r} has no products in scsmap; known: {', '.join(PRACTICE_IDS)}"
            )
        for key, value in overrides.get(pid, {}).items():
            if key not in PracticeRule.__dataclass_fields__ or key in ("practice", "code"):
                raise ConfigError(f"practices.rules.{pid}: unknown or fixed field {key!r}")
            r[key] = (
                ";".join(map(str, value)) if isinstance(value, (list, tuple)) else ("" if value is None else str(value))
            )
        where = f"practice rule {pid}"
        rule = PracticeRule(
            practice=pid,
            code=int(r["code"]),
            name=r["name"],
            mechanism=r["mechanism"],
            exclusive=_bool(r["exclusive"], where),
            land_use=tuple(int(v) for v in _split(r["land_use"])),
            factor=r["factor"],
            from_level=r["from_level"].strip(),
            to_level=r["to_level"].strip(),
            baseline=r["baseline"].strip(),
            adoptable=_split(r["adoptable"]),
            excluded_zones=_split(r["excluded_zones"]),
            marginal_only=_bool(r["marginal_only"], where),
            clay_conditional_zones=_split(r["clay_conditional_zones"]),
            resource=r["resource"].strip(),
            requires=("" if pd.isna(r.get("requires", "")) else str(r.get("requires", ""))).strip(),
            color=r.get("color") or "#888888",
            tag=r.get("tag", ""),
            source=r.get("source", ""),
            **{k: number(r[k], f"{where}.{k}") for k in _RULE_NUMBERS},
        )
        if not 1 <= rule.code < UNKNOWN_PRACTICE:
            raise ConfigError(
                f"{where}: code {rule.code} must be 1..{UNKNOWN_PRACTICE - 1} (0 is 'no suitable practice', "
                f"{UNKNOWN_PRACTICE} 'unknown' and 255 nodata in best_practice)"
            )
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
        raise ConfigError(
            f"tables.practice_rates: unknown practice(s) {unknown} in {source}; known: {', '.join(PRACTICE_IDS)}"
        )
    rates = {}
    for pid, grp in df.groupby("practice"):
        rows = [(c, number(v, f"tables.practice_rates ({pid})")) for c, v in zip(grp["climate"], grp["rate"])]
        rates[pid] = by_zone(rows, "tables.practice_rates")
    return rates, df, info
