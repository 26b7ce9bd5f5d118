"""The practice stack on the region grid: suitability, reasons and capped rates of every practice.

:class:`PracticeTables` reads the run's practice tables once (rule table, IPCC Tier 1
tables, rate table) and turns the config into :class:`~scsmap.rules.practices.PracticeSettings`;
:func:`practice_stack` applies :func:`scsmap.rules.practices_compiled.evaluate_stack` (the compiled
form of :func:`scsmap.rules.practices.evaluate`) chunk by chunk and
returns every output on a ``practice_output`` dimension, from which every
``suitability_*``, ``rate_*`` and composite product is a slice (docs/methods/practices.md).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import xarray as xr

from ..config import Config
from ..errors import ConfigError
from ..io.tables import load_practice_rates, load_practice_rules, load_tier1, records
from ..rules.practices import BASELINE_LEVELS, PracticeRule, PracticeSettings, output_names
from ..rules.practices_compiled import compile_rules, evaluate_stack
from .stacks import map_stack

#: the baseline attributes a raster layer can give (layer ``baseline_<attribute>``)
BASELINE_LAYERS = ("tillage", "input", "grassland")


class PracticeTables:
    """The tables and settings of one run's practice rules, read once per run.

    Parameters
    ----------
    cfg : Config
        ``practices``, ``tables`` and ``parameters`` sections.

    Attributes
    ----------
    rules : list of PracticeRule
        The enabled practices, in rule-table order.
    tier1 : Tier1Tables
    rates : dict or None
        Practice → rate per zone code [t C ha-1 yr-1] of the rate table (``rate_source: table``).
    settings : PracticeSettings
    outputs : list of str
        Names of the practice stack's outputs, in order.
    compiled : CompiledRules
        The rules and tables as lookup arrays of the compiled kernel
        (:func:`scsmap.rules.practices_compiled.compile_rules`).

    Raises
    ------
    ConfigError
        A table that cannot be read, or rule rows whose levels or baseline names the tables do not know.
    """

    def __init__(self, cfg: Config):
        pc, tc = cfg.practices, cfg.tables
        rules = load_practice_rules(tc.practice_rules, pc.rules)
        enabled = pc.enabled
        self.rules: list[PracticeRule] = [r for r in rules if enabled is None or r.practice in enabled]
        self.tier1, infos = load_tier1(pc.ipcc_edition, tc.ipcc_soc_ref, tc.ipcc_factors)
        self.rates: dict[str, np.ndarray] | None = None
        self.rate_rows: tuple[dict[str, str], ...] | None = None
        if pc.rate_source == "table":
            if tc.practice_rates is None:
                raise ConfigError(
                    "practices.rate_source = table needs tables.practice_rates (a packaged name "
                    "such as 'lessmann2021' or a country CSV)"
                )
            self.rates, rate_rows, info = load_practice_rates(tc.practice_rates)
            self.rate_rows = records(rate_rows)
            infos.append(info)
        self.table_tags = {f"TABLE_{i.field.split('.')[-1].upper()}": i.tag(cfg.relative_path(i.name)) for i in infos}
        self.settings = PracticeSettings(
            transition_years=pc.transition_years,
            horizon_years=cfg.parameters.horizon_years,
            rate_4p1000=cfg.parameters.rate_4p1000,
            best_of=2 if pc.best_of == "suitable" else 1,
            efficiency_beta=pc.efficiency_beta,
            poc_allowance=pc.poc_allowance,
            relative_cap=(
                pc.relative_cap.stock_low,
                pc.relative_cap.stock_high,
                pc.relative_cap.rate_low,
                pc.relative_cap.rate_high,
            ),
            exclude_soc_above=pc.exclude_soc_above,
            exclude_sand_above=pc.exclude_sand_above,
            exclude_soil_classes=tuple(pc.exclude_soil_classes),
            marginal_slope_percent=pc.marginal_slope_percent,
            marginal_aridity_index=pc.marginal_aridity_index,
            available_resources=tuple(pc.available_resources),
            manure_n_kg_ha=pc.manure_n_kg_ha,
            baseline={k: str(v).lower() for k, v in pc.baseline.model_dump().items()},
        )
        self.outputs = output_names(self.rules)
        self._check_rules()
        #: the rules and tables as the compiled kernel's lookup arrays (built once per run)
        self.compiled = compile_rules(self.rules, self.tier1, self.settings, self.rates)

    def _check_rules(self) -> None:
        """Refuse rule rows whose levels or baseline names the tables do not know (a typo would give NaN)."""
        problems = []
        for r in self.rules:
            where = f"practice rule {r.practice}"
            if r.factor not in ("F_LU", "F_MG", "F_I", "F_AF"):
                problems.append(f"{where}: factor {r.factor!r} is not one of F_LU, F_MG, F_I, F_AF")
            for lv in filter(None, (r.to_level, r.from_level)):
                if not any((lu, r.factor, lv) in self.tier1.factors for lu in ("cropland", "grassland")):
                    problems.append(f"{where}: level {lv!r} of {r.factor} is not in the IPCC factor table")
            if r.baseline and r.baseline not in BASELINE_LEVELS:
                problems.append(f"{where}: baseline {r.baseline!r} is not one of {', '.join(BASELINE_LEVELS)}")
            elif r.baseline:
                bad = [a for a in r.adoptable if a not in BASELINE_LEVELS[r.baseline]]
                if bad:
                    problems.append(
                        f"{where}: adoptable level(s) {bad} unknown; {r.baseline} levels are "
                        f"{', '.join(BASELINE_LEVELS[r.baseline])}"
                    )
        if problems:
            raise ConfigError(problems)

    def tags(self, practice: str | None) -> dict[str, str]:
        """GeoTIFF tags naming the tables and the values a practice product used.

        Parameters
        ----------
        practice : str or None
            The practice of a per-practice product (None: a composite).

        Returns
        -------
        dict of str to str
            Editions, rate source, caps, baseline, tables; with a practice also its rule row, the
            Tier 1 factor rows used and its Tier 2 rates.
        """
        pc = self.settings
        t = {
            "IPCC_EDITION": str(self.tier1.edition),
            "SOCREF_EDITION": str(self.tier1.socref_edition),
            "RATE_SOURCE": "table (Tier 2) where it has a value, Tier 1 elsewhere"
            if self.rates is not None
            else "IPCC Tier 1",
            "TRANSITION_YEARS": f"{pc.transition_years:g}",
            "RELATIVE_CAP": "r_max = {2:g}/yr up to {0:g} t/ha, linear to {3:g}/yr at {1:g} t/ha".format(
                *pc.relative_cap
            ),
            "BASELINE": json.dumps(pc.baseline, sort_keys=True),
            **self.table_tags,
        }
        rule = next((r for r in self.rules if r.practice == practice), None)
        if rule is not None:
            t["RULE"] = json.dumps({k: v for k, v in rule.__dict__.items() if k != "source"}, default=list)
            t["RULE_SOURCE"] = rule.source
            lu = ("cropland", "grassland")
            levels = (rule.to_level,) + (
                (rule.from_level,) if rule.from_level else BASELINE_LEVELS.get(rule.baseline, ())
            )
            t["TIER1_FACTORS"] = ";".join(f"{u}:{self.tier1.describe(u, rule.factor, levels)}" for u in lu)
            if self.rate_rows is not None:
                rows = [r for r in self.rate_rows if r["practice"] == practice]
                t["TIER2_RATES"] = json.dumps(rows, ensure_ascii=False)
        return t


def practice_stack(
    soc: xr.DataArray,
    clay: xr.DataArray,
    sand: xr.DataArray,
    zone: xr.DataArray,
    soil: xr.DataArray,
    aridity: xr.DataArray,
    slope: xr.DataArray,
    land_use: xr.DataArray,
    saturation: xr.DataArray,
    deficit: xr.DataArray,
    baseline: dict[str, xr.DataArray],
    pt: PracticeTables,
    required: dict[str, xr.DataArray] | None = None,
    outputs: Sequence[str] | None = None,
) -> xr.DataArray:
    """The practice outputs on a ``practice_output`` dimension (lazy; one kernel call per chunk).

    Parameters
    ----------
    soc : xarray.DataArray
        SOC stock at T0 [t ha-1], (y, x).
    clay, sand : xarray.DataArray
        [%].
    zone, soil : xarray.DataArray
        IPCC climate zone and soil class codes (NaN unknown).
    aridity : xarray.DataArray
        Aridity index [1].
    slope : xarray.DataArray
        [%], NaN where unknown (slope rules not applied).
    land_use : xarray.DataArray
        FAO land-use class.
    saturation, deficit : xarray.DataArray
        MAOC saturation ratio [%] and deficit [t ha-1].
    baseline : dict of str to xarray.DataArray
        Baseline layers by attribute (``tillage``, ``input``, ``grassland``), 1-based level codes.
    pt : PracticeTables
    required : dict of str to xarray.DataArray, optional
        Layers that rules require (``requires`` column of the rule table, e.g. ``rice``); a rule whose
        layer is not given is "masked input" on every eligible pixel.
    outputs : sequence of str, optional
        The outputs to compute (names of :attr:`PracticeTables.outputs`); default: all. The kernel fills
        only these (:func:`scsmap.rules.practices_compiled.evaluate_stack`).

    Returns
    -------
    xarray.DataArray
        float32 (practice_output, y, x), coordinates: ``outputs`` in :attr:`PracticeTables.outputs` order
        (default all of them); units as :func:`scsmap.rules.practices.evaluate` gives them.

    Raises
    ------
    KeyError
        A name of ``outputs`` that is not an output of the stack.
    """
    base_attrs = list(baseline)
    req = dict(required or {})
    req_names = list(req)
    arrays = [soc, clay, sand, zone, soil, aridity, slope, land_use, saturation, deficit, *baseline.values()]
    arrays += list(req.values())
    compiled = pt.compiled
    names, positions = list(pt.outputs), None
    if outputs is not None:
        wanted = set(outputs)
        if unknown := wanted - set(pt.outputs):
            raise KeyError(f"not outputs of the practice stack: {sorted(unknown)}")
        positions = [i for i, n in enumerate(pt.outputs) if n in wanted]
        names = [pt.outputs[i] for i in positions]

    def block(soc, clay, sand, zone, soil, ai, slope_, lu, sat, deficit, *rest):
        base, extra = rest[: len(base_attrs)], rest[len(base_attrs) :]
        # the compiled kernel: scsmap.rules.practices.evaluate's results, stacked as float32 in one pass
        return evaluate_stack(
            compiled,
            soc,
            clay,
            sand,
            zone,
            soil,
            ai,
            slope_,
            lu,
            sat,
            deficit,
            dict(zip(base_attrs, base)),
            dict(zip(req_names, extra)),
            positions,
        )

    return map_stack(block, arrays, "practice_output", names)


def provenance(pt: PracticeTables, rate_source: str, baseline_layers: list[str]) -> str:
    """The provenance note of the practice stack: factors, rate source, baseline, caps.

    Parameters
    ----------
    pt : PracticeTables
    rate_source : str
        ``practices.rate_source``.
    baseline_layers : list of str
        The baseline attributes given as layers.

    Returns
    -------
    str
    """
    tier1 = pt.tier1
    return (
        f"IPCC {tier1.edition} factors, SOC_REF {tier1.socref_edition}, rate source {rate_source}, baseline "
        f"{'layers ' + ', '.join(baseline_layers) + ' + ' if baseline_layers else ''}config defaults; "
        "capped by the saturation deficit and the relative-rate cap (docs/methods/saturation.md §4.3-4.4)"
    )
