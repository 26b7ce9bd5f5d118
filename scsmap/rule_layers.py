"""The per-pixel rules applied to a run's derived layers, lazily (dask), with provenance.

Each function takes the run's :class:`~scsmap.derive.Derived` and returns a lazy
DataArray on the region grid: saturation capacity/ratio/deficit (methods §4),
slope, IPCC climate zone (§3.2) and soil class (§3.3), and the practice stack
(§3.7, §4.3-4.4, §6) from which every ``suitability_*``, ``rate_*`` and composite
product is a slice. The science lives in :mod:`scsmap.rules`; this module only
wires layers to it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from .errors import Unavailable
from .rules.ipcc_classes import ipcc_climate_zone, ipcc_soil_class
from .rules.practices import BASELINE_LEVELS, PracticeSettings, evaluate, output_names
from .rules.saturation import capacity_georgiou, capacity_hassink, saturation_deficit, saturation_ratio
from .tables import (PracticeRule, Tier1Tables, load_practice_rates, load_practice_rules, load_tier1,
                     load_wrb_mapping)

if TYPE_CHECKING:
    from .derive import Derived


def _optional(d: "Derived", name: str) -> xr.DataArray | None:
    try:
        return d.get(name)
    except Unavailable:
        return None


def _classes(codes: xr.DataArray) -> xr.DataArray:
    """uint8 class codes with 0 = unknown → float32 with NaN (the writer's class nodata)."""
    return codes.where(codes > 0).astype("float32")


# --------------------------------------------------------------------------- saturation (methods §4)


def capacity_layer(d: "Derived") -> xr.DataArray:
    """MAOC capacity [t ha-1] by the configured method (Georgiou 2022 or Hassink 1997)."""
    s = d.cfg.parameters.saturation
    args = dict(clay=d.get("clay"), silt=d.get("silt"), bulk_density=d.get("bulk_density"),
                depth_cm=d.cfg.parameters.depth_cm, coarse_fragments=d.get("coarse_fragments"))
    if s.method == "hassink1997":
        return capacity_hassink(**args, silt_share=s.hassink_silt_share, intercept=s.hassink_intercept,
                                slope=s.hassink_slope)
    return capacity_georgiou(**args, hac_share=d.get("clay_activity"), slope_hac=s.georgiou_slope_hac,
                             slope_lac=s.georgiou_slope_lac)


def ratio_layer(d: "Derived") -> xr.DataArray:
    """Saturation ratio 100 · f_MAOC · SOC / capacity [%]."""
    return saturation_ratio(d.get("soc_stock"), d.get("saturation_capacity"), d.cfg.parameters.saturation.f_maoc)


def deficit_layer(d: "Derived") -> xr.DataArray:
    """Saturation deficit max(0, capacity − f_MAOC · SOC) [t ha-1]."""
    return saturation_deficit(d.get("soc_stock"), d.get("saturation_capacity"), d.cfg.parameters.saturation.f_maoc)


# --------------------------------------------------------------------------- terrain, climate zone, soil class


def slope_layer(d: "Derived") -> xr.DataArray:
    """Slope [%]: the `slope` input layer, else Horn's slope of the gridded elevation."""
    from .grid import latitude
    from .terrain import slope_percent

    if "slope" in d.inputs.layers:
        return d._layer("slope")
    if "elevation" not in d.inputs.layers:
        raise Unavailable("no `slope` or `elevation` input layer")
    elev = d.get("elevation")
    d._note("slope", "Horn (1981) slope of the elevation layer on the region grid (coarser than the DEM: "
                     "underestimates steep slopes)")
    return slope_percent(elev, d.inputs.geobox, latitude(d.inputs.geobox, d.inputs.chunks))


def climate_zone_layer(d: "Derived") -> xr.DataArray:
    """IPCC climate zone codes 1-12 (NaN where unknown), by the decision tree of methods §3.2."""
    mat, map_, pet = d.get("mat"), d.get("map"), d.get("pet_annual")
    tmax = d.get("temperature").max("month")
    elev = _optional(d, "elevation")
    frost = _optional(d, "frost_days")
    extra = [a for a in (elev, frost) if a is not None]

    def block(m, p, e, tx, *rest):
        it = iter(rest)
        el = next(it) if elev is not None else None
        fr = next(it) if frost is not None else None
        return ipcc_climate_zone(m, p, e, el, tx, fr)

    codes = xr.apply_ufunc(block, mat, map_, pet, tmax, *extra, dask="parallelized", output_dtypes=["uint8"])
    d._note("ipcc_climate_zone", "IPCC 2019 decision tree (Vol 4 Ch 3 Annex 3A.5) on MAT, MAP, annual PET, warmest "
            "month" + (", elevation" if elev is not None else " (no elevation: no tropical montane)")
            + (", frost days" if frost is not None else " (no frost days: 2006 rule MAT > 18 degC for tropical)"))
    return _classes(codes)


def soil_class_layer(d: "Derived") -> xr.DataArray:
    """IPCC soil class codes 1-7 (NaN where unknown), methods §3.3."""
    default = d.cfg.practices.default_soil_class
    sand, clay = d.get("sand"), d.get("clay")
    if "wrb" in d.inputs.layers:
        if d.cfg.tables.wrb_legend is None:
            raise Unavailable("a `wrb` layer needs tables.wrb_legend (CSV code,rsg)")
        codes, classes, infos = load_wrb_mapping(d.cfg.tables.wrb_legend, d.cfg.tables.wrb_to_ipcc_soil)
        d.tables.update({i.field: i.tag() for i in infos})
        wrb = d._layer("wrb")

        def block(s, c, w):
            lut = dict(zip(codes.tolist(), classes.tolist()))
            mapped = np.vectorize(lambda v: lut.get(v, 0.0), otypes=["f8"])(np.nan_to_num(w, nan=-1))
            return ipcc_soil_class(s, c, mapped, default)

        out = xr.apply_ufunc(block, sand, clay, wrb, dask="parallelized", output_dtypes=["uint8"])
        d._note("ipcc_soil_class", f"WRB layer mapped with {d.cfg.tables.wrb_to_ipcc_soil}; sandy by texture; "
                                   f"default {default.upper()} where the WRB code is unknown")
    else:
        out = xr.apply_ufunc(lambda s, c: ipcc_soil_class(s, c, None, default), sand, clay, dask="parallelized",
                             output_dtypes=["uint8"])
        d._note("ipcc_soil_class", f"texture rule (sand > 70 % and clay < 8 % = sandy), else the region default "
                                   f"{default.upper()} (practices.default_soil_class); no WRB layer")
    return _classes(out)


# --------------------------------------------------------------------------- practices (methods §6)


def stack_float32(results: dict[str, np.ndarray], names: list[str], shape: tuple[int, ...]) -> np.ndarray:
    """Kernel results on a last axis, in ``names`` order, as float32.

    Filled in place, so that one chunk never holds a float64 copy of the whole stack
    (memory per chunk, docs/scaling.md).

    Parameters
    ----------
    results : dict of str to numpy.ndarray
        One array per output name, each of ``shape`` (any float dtype; units as the kernel gives them).
    names : list of str
        The outputs to stack, in order.
    shape : tuple of int
        The chunk's shape, e.g. (y, x).

    Returns
    -------
    numpy.ndarray
        float32, shape ``shape + (len(names),)``.

    Raises
    ------
    KeyError
        A name that ``results`` does not hold.
    """
    out = np.empty(tuple(shape) + (len(names),), dtype="float32")
    for i, k in enumerate(names):
        out[..., i] = results[k]
    return out


class PracticeTables:
    """The tables and settings of one run's practice rules (loaded once per run)."""

    def __init__(self, d: "Derived"):
        cfg = d.cfg
        pc, tc = cfg.practices, cfg.tables
        rules = load_practice_rules(tc.practice_rules, pc.rules)
        enabled = pc.enabled
        self.rules: list[PracticeRule] = [r for r in rules if enabled is None or r.practice in enabled]
        self.tier1: Tier1Tables = load_tier1(pc.ipcc_edition, tc.ipcc_soc_ref, tc.ipcc_factors)
        self.rates = None
        self.rate_rows = None
        infos = list(self.tier1.info)
        if pc.rate_source == "table":
            if tc.practice_rates is None:
                from .errors import ConfigError
                raise ConfigError("practices.rate_source = table needs tables.practice_rates (a packaged name "
                                  "such as 'lessmann2021' or a country CSV)")
            self.rates, self.rate_rows, info = load_practice_rates(tc.practice_rates)
            infos.append(info)
        self.table_tags = {f"TABLE_{i.field.split('.')[-1].upper()}": i.tag() for i in infos}
        self.settings = PracticeSettings(
            transition_years=pc.transition_years, horizon_years=cfg.parameters.horizon_years,
            rate_4p1000=cfg.parameters.rate_4p1000, best_of=2 if pc.best_of == "suitable" else 1,
            efficiency_beta=pc.efficiency_beta, poc_allowance=pc.poc_allowance,
            relative_cap=(pc.relative_cap.stock_low, pc.relative_cap.stock_high, pc.relative_cap.rate_low,
                          pc.relative_cap.rate_high),
            exclude_soc_above=pc.exclude_soc_above, exclude_sand_above=pc.exclude_sand_above,
            exclude_soil_classes=tuple(pc.exclude_soil_classes), marginal_slope_percent=pc.marginal_slope_percent,
            marginal_aridity_index=pc.marginal_aridity_index, available_resources=tuple(pc.available_resources),
            manure_n_kg_ha=pc.manure_n_kg_ha,
            baseline={k: str(v).lower() for k, v in pc.baseline.model_dump().items()})
        self.outputs = output_names(self.rules)
        self._check_rules()

    def _check_rules(self) -> None:
        """Refuse rule rows whose levels or baseline names the tables do not know (a typo would give NaN)."""
        from .errors import ConfigError

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
                    problems.append(f"{where}: adoptable level(s) {bad} unknown; {r.baseline} levels are "
                                    f"{', '.join(BASELINE_LEVELS[r.baseline])}")
        if problems:
            raise ConfigError(problems)

    def tags(self, practice: str | None) -> dict[str, str]:
        """GeoTIFF tags naming the tables and the values a practice product used."""
        pc = self.settings
        t = {"IPCC_EDITION": str(self.tier1.edition), "SOCREF_EDITION": str(self.tier1.socref_edition),
             "RATE_SOURCE": "table (Tier 2) where it has a value, Tier 1 elsewhere" if self.rates is not None
             else "IPCC Tier 1", "TRANSITION_YEARS": f"{pc.transition_years:g}",
             "RELATIVE_CAP": "r_max = {2:g}/yr up to {0:g} t/ha, linear to {3:g}/yr at {1:g} t/ha".format(
                 *pc.relative_cap),
             "BASELINE": json.dumps(pc.baseline, sort_keys=True), **self.table_tags}
        rule = next((r for r in self.rules if r.practice == practice), None)
        if rule is not None:
            t["RULE"] = json.dumps({k: v for k, v in rule.__dict__.items() if k != "source"}, default=list)
            t["RULE_SOURCE"] = rule.source
            lu = ("cropland", "grassland")
            levels = (rule.to_level,) + ((rule.from_level,) if rule.from_level else
                                         BASELINE_LEVELS.get(rule.baseline, ()))
            t["TIER1_FACTORS"] = ";".join(f"{u}:{self.tier1.describe(u, rule.factor, levels)}" for u in lu)
            if self.rate_rows is not None:
                rows = self.rate_rows[self.rate_rows["practice"] == practice]
                t["TIER2_RATES"] = json.dumps(rows.to_dict("records"), ensure_ascii=False)
        return t


def practice_tables(d: "Derived") -> PracticeTables:
    """The run's :class:`PracticeTables` (loaded on first use)."""
    if getattr(d, "_practice_tables", None) is None:
        d._practice_tables = PracticeTables(d)
    return d._practice_tables


def practice_stack(d: "Derived") -> xr.DataArray:
    """All practice outputs on a ``practice_output`` dimension (lazy; one kernel call per chunk)."""
    pt = practice_tables(d)
    if not pt.rules:
        raise Unavailable("practices.enabled is empty")
    names = ["soc_stock", "clay", "sand", "ipcc_climate_zone", "ipcc_soil_class", "aridity_index", "land_use",
             "saturation_ratio", "saturation_deficit"]
    arrays = [d.get(n) for n in names]
    slope = _optional(d, "slope")
    if slope is None:
        d._note("slope", "not available (no `slope` or `elevation` layer): slope rules not applied", keep=True)
        slope = xr.full_like(arrays[0], np.nan)
    arrays.insert(6, slope)
    base_attrs = [a for a in ("tillage", "input", "grassland") if f"baseline_{a}" in d.inputs.layers]
    arrays += [d._layer(f"baseline_{a}") for a in base_attrs]
    settings, rules, tier1, rates = pt.settings, pt.rules, pt.tier1, pt.rates
    n_out = len(pt.outputs)

    def block(soc, clay, sand, zone, soil, ai, slope_, lu, sat, deficit, *base):
        res = evaluate(soc, clay, sand, zone, soil, ai, slope_, lu, sat, deficit, rules, tier1, settings, rates,
                       dict(zip(base_attrs, base)))
        return stack_float32(res, pt.outputs, np.shape(soc))

    out = xr.apply_ufunc(block, *arrays, output_core_dims=[["practice_output"]], dask="parallelized",
                         output_dtypes=["float32"], dask_gufunc_kwargs={"output_sizes": {"practice_output": n_out}})
    d._note("practices", f"IPCC {tier1.edition} factors, SOC_REF {tier1.socref_edition}, "
                         f"rate source {d.cfg.practices.rate_source}, baseline "
                         f"{'layers ' + ', '.join(base_attrs) + ' + ' if base_attrs else ''}config defaults; "
                         "capped by the saturation deficit and the relative-rate cap (methods §4.3-4.4)")
    return out.assign_coords(practice_output=pt.outputs)


def practice_output(d: "Derived", name: str) -> xr.DataArray:
    """One layer of the practice stack, e.g. ``rate_no_till`` or ``best_practice``."""
    stack = d.get("practices")
    if name not in stack.coords["practice_output"].values:
        raise Unavailable(f"{name}: practice not in practices.enabled")
    return stack.sel(practice_output=name, drop=True)
