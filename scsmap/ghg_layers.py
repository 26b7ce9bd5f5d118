"""Net GHG balance, costs and SOC baselines of a run, lazily (methods §8-§9; issue 7).

Post-processing of the practice stack (:mod:`scsmap.rule_layers`): one kernel call per
chunk (:func:`scsmap.rules.ghg.evaluate_ghg`) gives every ``n2o_*``, ``net_ghg_*``,
``cost_per_tco2_*`` and composite layer on a ``ghg_output`` dimension. Tables are CSV
data (packaged or the task force's own, named in the config's ``tables`` section): IPCC N₂O
factors, GWP100 values, the N bookkeeping of each practice and the practice costs.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from .errors import ConfigError, Unavailable
from .rule_layers import stack_float32
from .rules.ghg import CO2_PER_C, N_TYPES, EmissionFactors, GhgSettings, PracticeNitrogen, baseline_class, \
    evaluate_ghg, wet_climate
from .tables import PRACTICE_IDS, TableInfo, _float, read_table

if TYPE_CHECKING:
    from .derive import Derived

N2O_FACTOR_TABLES = {"ipcc": "n2o_factors.csv"}
GWP_TABLES = {"ipcc": "gwp100.csv"}
NITROGEN_TABLES = {"scsmap": "practice_nitrogen.csv"}
#: ``ghg.n2o_factor_set`` → (table set, disaggregated by climate and N type)
FACTOR_SETS = {"2019": ("2019", True), "2019_aggregated": ("2019", False), "2006": ("2006", False)}


def load_emission_factors(source: str, factor_set: str) -> tuple[EmissionFactors, EmissionFactors, TableInfo]:
    """Wet- and dry-climate N₂O factors of one set (methods §8.2).

    Parameters
    ----------
    source : str
        Packaged ``ipcc`` or a CSV with columns ``set,parameter,climate,n_type,value``.
    factor_set : str
        ``2019`` (disaggregated by wet/dry climate and N type), ``2019_aggregated`` or ``2006``.
        Aggregated sets use the ``all`` rows of EF1 and EF4; FracLEACH is always wet/dry.

    Raises
    ------
    ConfigError
        A parameter the set needs is missing from the table.
    """
    df, info = read_table(source, N2O_FACTOR_TABLES, "tables.n2o_factors",
                          {"set", "parameter", "climate", "n_type", "value"})
    year, split = FACTOR_SETS[factor_set]
    rows = df[df["set"] == year]

    def value(param: str, climate: str, n_type: str) -> float:
        for c in ((climate, "all") if split or param == "FracLEACH" else ("all",)):
            for t in (n_type, "all"):
                hit = rows[(rows["parameter"] == param) & (rows["climate"] == c) & (rows["n_type"] == t)]
                if len(hit):
                    return _float(hit["value"].iloc[0], f"tables.n2o_factors ({year} {param} {c} {t})")
        raise ConfigError(f"tables.n2o_factors: {source} has no {param} value for set {year}, climate {climate}, "
                          f"N type {n_type}")

    def climate(c: str) -> EmissionFactors:
        return EmissionFactors(ef1={t: value("EF1", c, t) for t in N_TYPES}, ef4=value("EF4", c, "all"),
                               ef5=value("EF5", c, "all"), frac_leach=value("FracLEACH", c, "all"),
                               frac_gas={"synthetic": value("FracGASF", c, "synthetic"),
                                         "organic": value("FracGASM", c, "organic"),
                                         "som": value("FracGAS", c, "som")})

    return climate("wet"), climate("dry"), info


def load_gwp(source: str, gwp_set: str) -> tuple[float, TableInfo]:
    """GWP100 of N₂O in one IPCC assessment report (methods §8.1)."""
    df, info = read_table(source, GWP_TABLES, "tables.gwp", {"set", "gas", "value"})
    hit = df[(df["set"] == gwp_set) & (df["gas"] == "N2O")]
    if not len(hit):
        raise ConfigError(f"tables.gwp: {source} has no N2O value for {gwp_set} (sets: {sorted(set(df['set']))})")
    return _float(hit["value"].iloc[0], f"tables.gwp ({gwp_set})"), info


def load_practice_nitrogen(source: str, manure_n_kg_ha: float | None = None
                           ) -> tuple[dict[str, PracticeNitrogen], pd.DataFrame, TableInfo]:
    """N bookkeeping per practice (methods §8.4 steps 2 and 5).

    ``manure_n_kg_ha`` (``practices.manure_n_kg_ha``) replaces the N added by organic amendments.

    Raises
    ------
    ConfigError
        Unknown practice or N type, a number that is not one, f_ext outside 0-1.
    """
    df, info = read_table(source, NITROGEN_TABLES, "tables.practice_nitrogen",
                          {"practice", "f_ext", "n_ext_type", "added_n_kg_ha_yr", "added_n_type",
                           "delta_n2o_kg_ha_yr"})
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
        f_ext = _float(r.f_ext, where)
        if not 0 <= f_ext <= 1:
            problems.append(f"{where}: f_ext {f_ext} is not between 0 and 1")
        added = _float(r.added_n_kg_ha_yr or "0", where)
        if r.practice == "organic_amendments" and manure_n_kg_ha is not None:
            added = manure_n_kg_ha
        out[r.practice] = PracticeNitrogen(f_ext, r.n_ext_type, added, r.added_n_type,
                                           _float(r.delta_n2o_kg_ha_yr or "0", where))
    if problems:
        raise ConfigError(problems)
    return out, df, info


def load_practice_costs(source: str, region: tuple[str, ...]) -> tuple[dict[str, tuple[np.ndarray, bool]],
                                                                         str, pd.DataFrame, TableInfo]:
    """Per-practice net costs by land-use class (methods §9.2).

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
    df, info = read_table(source, {}, "tables.practice_costs",
                          {"practice", "land_use", "region", "cost_per_ha_yr", "cost_per_tco2e", "currency", "year"})
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
        per_ha, per_t = _float(r.cost_per_ha_yr, where), _float(r.cost_per_tco2e, where)
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


class GhgTables:
    """The tables and settings of one run's GHG balance (loaded once per run)."""

    def __init__(self, d: "Derived"):
        from .rule_layers import practice_tables

        cfg, g, tc = d.cfg, d.cfg.ghg, d.cfg.tables
        self.gwp_set, self.factor_set = g.gwp_set, g.n2o_factor_set
        self.practices = practice_tables(d)
        wet, dry, ef_info = load_emission_factors(tc.n2o_factors, g.n2o_factor_set)
        gwp, gwp_info = load_gwp(tc.gwp, g.gwp_set)
        nitrogen, self.nitrogen_rows, n_info = load_practice_nitrogen(tc.practice_nitrogen,
                                                                      cfg.practices.manure_n_kg_ha)
        missing = [r.practice for r in self.practices.rules if r.practice not in nitrogen]
        if missing:
            raise ConfigError(f"tables.practice_nitrogen: no row for practice(s) {missing} ({tc.practice_nitrogen})")
        self.settings = GhgSettings(wet=wet, dry=dry, gwp_n2o=gwp, cn_gain=g.cn_ratio, cn_loss=g.cn_ratio_loss,
                                    best_of=self.practices.settings.best_of, price=g.price, nitrogen=nitrogen)
        infos = [ef_info, gwp_info, n_info]
        self.costs = None
        self.currency = None
        if tc.practice_costs is not None:
            self.costs, self.currency, self.cost_rows, info = load_practice_costs(
                tc.practice_costs, (cfg.region.iso3, cfg.region.name))
            infos.append(info)
        self.table_tags = {f"TABLE_{i.field.split('.')[-1].upper()}": i.tag() for i in infos}
        names = [r.practice for r in self.practices.rules]
        self.outputs = [f"{k}_{p}" for p in names for k in ("n2o", "net_ghg")] + ["best_practice_net", "net_ghg_best"]
        if self.costs is not None:
            self.outputs += [f"cost_per_tco2_{p}" for p in names] + ["cost_per_tco2_best", "cheapest_practice",
                                                                    "abatement_at_price", "cost_best_ha"]

    def tags(self, practice: str | None) -> dict[str, str]:
        """GeoTIFF tags: GWP set, factor set, C:N, the practice's N row, the cost table and price."""
        s = self.settings
        t = {"GWP_SET": f"{self.gwp_set} GWP100 N2O = {s.gwp_n2o:g}", "N2O_FACTOR_SET": self.factor_set,
             "CO2_PER_C": f"{CO2_PER_C:.6f} (44/12)", "CN_RATIO": f"gain {s.cn_gain:g}, loss {s.cn_loss:g}",
             "N2O_PER_KG_N": json.dumps({c: {t: round(e.per_kg_n(t), 6) for t in ("synthetic", "organic", "som")}
                                         for c, e in (("wet", s.wet), ("dry", s.dry))}),
             **self.table_tags}
        if practice in s.nitrogen:
            t["PRACTICE_NITROGEN"] = json.dumps(s.nitrogen[practice].__dict__)
        if self.costs is not None:
            t["CURRENCY"] = self.currency
            t["CARBON_PRICE"] = f"{s.price:g} {self.currency} per t CO2e"
            if practice is not None:
                rows = self.cost_rows[self.cost_rows["practice"] == practice]
                t["PRACTICE_COSTS"] = json.dumps(rows.to_dict("records"), ensure_ascii=False)
        return t


def ghg_tables(d: "Derived") -> GhgTables:
    """The run's :class:`GhgTables` (loaded on first use)."""
    if getattr(d, "_ghg_tables", None) is None:
        d._ghg_tables = GhgTables(d)
    return d._ghg_tables


def ghg_stack(d: "Derived") -> xr.DataArray:
    """All GHG and cost outputs on a ``ghg_output`` dimension (lazy; one kernel call per chunk)."""
    gt = ghg_tables(d)
    pt = gt.practices
    stack = d.get("practices")
    names = [r.practice for r in pt.rules]
    codes = {r.practice: r.code for r in pt.rules}
    index = {o: i for i, o in enumerate(pt.outputs)}
    rate_i = [index[f"rate_{p}"] for p in names]
    suit_i = [index[f"suitability_{p}"] for p in names]
    costs, settings, outputs = gt.costs, gt.settings, gt.outputs

    def block(st, zone, map_, lu):
        wet = wet_climate(zone, map_)
        lu_i = np.nan_to_num(np.asarray(lu, dtype="f8"), nan=0).astype("int64").clip(0, 255)
        cost = None if costs is None else {p: (costs[p][0][lu_i] if p in costs else np.full(lu_i.shape, np.nan),
                                                 costs[p][1] if p in costs else False) for p in names}
        res = evaluate_ghg({p: st[..., i].astype("f8") for p, i in zip(names, rate_i)},
                           {p: st[..., i] for p, i in zip(names, suit_i)}, codes, wet, cost, settings)
        return stack_float32(res, outputs, np.shape(lu))

    out = xr.apply_ufunc(block, stack, d.get("ipcc_climate_zone"), d.get("map"), d.get("land_use"),
                         input_core_dims=[["practice_output"], [], [], []], output_core_dims=[["ghg_output"]],
                         dask="parallelized", output_dtypes=["float32"],
                         dask_gufunc_kwargs={"output_sizes": {"ghg_output": len(outputs)}})
    d._note("ghg", f"N2O factors IPCC {d.cfg.ghg.n2o_factor_set}, {d.cfg.ghg.gwp_set} GWP100 {settings.gwp_n2o:g}, "
                   f"C:N {settings.cn_gain:g}; " + (f"costs {d.cfg.tables.practice_costs} ({gt.currency}), price "
                                                    f"{settings.price:g}" if costs is not None else "no cost table"))
    return out.assign_coords(ghg_output=outputs)


def ghg_output(d: "Derived", name: str) -> xr.DataArray:
    """One layer of the GHG stack, e.g. ``net_ghg_no_till`` or ``abatement_at_price``."""
    gt = ghg_tables(d)
    if name.startswith("cost") or name in ("cheapest_practice", "abatement_at_price"):
        if gt.costs is None:
            raise Unavailable("no cost table: set tables.practice_costs (docs/regionalise.md)")
    stack = d.get("ghg")
    if name not in stack.coords["ghg_output"].values:
        raise Unavailable(f"{name}: practice not in practices.enabled")
    return stack.sel(ghg_output=name, drop=True)


def baseline_class_layer(d: "Derived") -> xr.DataArray:
    """BAU SOC baseline class (1 increasing, 2 near constant, 3 declining; NaN unknown) from RothC."""
    asr = d.get("gsocseq").sel(gsocseq_output="asr_bau", drop=True)
    g = d.cfg.ghg
    out = xr.apply_ufunc(baseline_class, asr, d.get("soc_stock"),
                         kwargs={"increasing_above": g.baseline_increasing_above,
                                 "declining_below": g.baseline_declining_below},
                         dask="parallelized", output_dtypes=["f8"])
    d._note("baseline_class", f"RothC BAU ASR / SOC_T0: increasing above {g.baseline_increasing_above:g} % per "
                              f"year, declining below {g.baseline_declining_below:g} % per year")
    return out.where(out > 0).astype("float32")
