"""Net GHG balance and costs of the practices on the region grid, and the RothC baseline class.

Post-processing of the practice stack (:mod:`scsmap.layers.practices`): one kernel call per
chunk (:func:`scsmap.rules.ghg_compiled.evaluate_ghg_stack`, the compiled form of
:func:`scsmap.rules.ghg.evaluate_ghg`) gives every ``n2o_*``, ``net_ghg_*``,
``cost_per_tco2_*`` and composite layer on a ``ghg_output`` dimension. The tables (N2O
factors, GWP100, N bookkeeping, costs) are read once per run by :class:`GhgTables`
(docs/methods/ghg.md §8-§9).
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from ..config import Config
from ..config.schema import GhgConfig
from ..errors import ConfigError
from ..io.tables import (
    load_emission_factors,
    load_gwp,
    load_practice_costs,
    load_practice_nitrogen,
    load_rice_methane,
    records,
)
from ..rules.ghg import CO2_PER_C, GhgSettings, baseline_class, rice_ch4_co2e, wet_climate
from ..rules.ghg_compiled import compile_ghg, evaluate_ghg_stack
from .practices import PracticeTables
from .stacks import map_stack


class GhgTables:
    """The tables and settings of one run's GHG balance and costs, read once per run.

    Parameters
    ----------
    cfg : Config
        ``ghg``, ``tables``, ``practices`` and ``region`` sections.
    practices : PracticeTables
        The run's practice tables (the practices whose balance is computed).

    Attributes
    ----------
    settings : GhgSettings
    costs : dict or None
        Practice → (cost lookup by land-use class, per t CO2e?) of the cost table; None without one.
    currency : str or None
        ``"<currency> <year>"`` of the cost table.
    outputs : list of str
        Names of the GHG stack's outputs, in order.
    compiled : CompiledGhg
        The settings and tables as lookup arrays of the compiled kernel
        (:func:`scsmap.rules.ghg_compiled.compile_ghg`).

    Raises
    ------
    ConfigError
        A table that cannot be read or lacks a value the run needs.
    """

    def __init__(self, cfg: Config, practices: PracticeTables):
        g, tc = cfg.ghg, cfg.tables
        self.gwp_set, self.factor_set = g.gwp_set, g.n2o_factor_set
        self.practices = practices
        wet, dry, ef_info = load_emission_factors(tc.n2o_factors, g.n2o_factor_set)
        gwp, gwp_info = load_gwp(tc.gwp, g.gwp_set)
        gwp_ch4, _ = load_gwp(tc.gwp, g.gwp_set, "CH4")
        rice, rice_infos = load_rice_methane(
            tc.rice_ch4,
            tc.rice_ch4_practices,
            g.rice_water_regime,
            g.rice_preseason,
            g.rice_cultivation_days,
            g.rice_seasons,
            gwp_ch4,
        )
        nitrogen, _, n_info = load_practice_nitrogen(tc.practice_nitrogen, cfg.practices.manure_n_kg_ha)
        missing = [r.practice for r in self.practices.rules if r.practice not in nitrogen]
        if missing:
            raise ConfigError(f"tables.practice_nitrogen: no row for practice(s) {missing} ({tc.practice_nitrogen})")
        self.settings = GhgSettings(
            wet=wet,
            dry=dry,
            gwp_n2o=gwp,
            cn_gain=g.cn_ratio,
            cn_loss=g.cn_ratio_loss,
            best_of=self.practices.settings.best_of,
            price=g.price,
            nitrogen=nitrogen,
            rice=rice,
        )
        infos = [ef_info, gwp_info, n_info, *rice_infos]
        self.costs: dict[str, tuple[np.ndarray, bool]] | None = None
        self.currency: str | None = None
        self.cost_rows: tuple[dict[str, str], ...] = ()
        if tc.practice_costs is not None:
            self.costs, self.currency, cost_rows, info = load_practice_costs(
                tc.practice_costs, (cfg.region.iso3, cfg.region.name)
            )
            self.cost_rows = records(cost_rows)
            infos.append(info)
        self.table_tags = {f"TABLE_{i.field.split('.')[-1].upper()}": i.tag(cfg.relative_path(i.name)) for i in infos}
        names = [r.practice for r in self.practices.rules]
        self.outputs = [f"{k}_{p}" for p in names for k in ("n2o", "ch4", "net_ghg")]
        self.outputs += ["best_practice_net", "net_ghg_best"]
        if self.costs is not None:
            self.outputs += [f"cost_per_tco2_{p}" for p in names] + [
                "cost_per_tco2_best",
                "cheapest_practice",
                "abatement_at_price",
                "cost_best_ha",
            ]
        #: the settings and tables as the compiled kernel's lookup arrays (built once per run)
        self.compiled = compile_ghg(
            names, {r.practice: r.code for r in self.practices.rules}, self.settings, self.costs, self.outputs
        )

    def tags(self, practice: str | None) -> dict[str, str]:
        """GeoTIFF tags: GWP set, factor set, C:N, the practice's N row, the cost table and price.

        Parameters
        ----------
        practice : str or None
            The practice of a per-practice product (None: a composite).

        Returns
        -------
        dict of str to str
        """
        s = self.settings
        t = {
            "GWP_SET": f"{self.gwp_set} GWP100 N2O = {s.gwp_n2o:g}",
            "N2O_FACTOR_SET": self.factor_set,
            "CO2_PER_C": f"{CO2_PER_C:.6f} (44/12)",
            "CN_RATIO": f"gain {s.cn_gain:g}, loss {s.cn_loss:g}",
            "N2O_PER_KG_N": json.dumps(
                {
                    c: {t: round(e.per_kg_n(t), 6) for t in ("synthetic", "organic", "som")}
                    for c, e in (("wet", s.wet), ("dry", s.dry))
                }
            ),
            **self.table_tags,
        }
        if practice in s.nitrogen:
            t["PRACTICE_NITROGEN"] = json.dumps(s.nitrogen[practice].__dict__)
        if s.rice is not None:
            r = s.rice
            t["RICE_CH4"] = (
                f"IPCC 2019 Ch 5.5 Tier 1 where the `rice` layer is 1: EF_c {r.ef_c:g} kg CH4/ha/d, SF_w {r.sf_w:g}, "
                f"SF_p {r.sf_p:g}, {r.days:g} d x {r.seasons:g} season(s), GWP100 CH4 {r.gwp_ch4:g}; "
                + (
                    f"{practice} adds {rice_ch4_co2e(r, practice):.4g} t CO2e/ha/yr on rice "
                    f"(ROA {r.amendments[practice][0]:g} t/ha, CFOA {r.amendments[practice][1]:g})"
                    if practice in r.amendments
                    else "no organic amendment on rice"
                )
            )
        if self.costs is not None:
            t["CURRENCY"] = self.currency
            t["CARBON_PRICE"] = f"{s.price:g} {self.currency} per t CO2e"
            if practice is not None:
                rows = [r for r in self.cost_rows if r["practice"] == practice]
                t["PRACTICE_COSTS"] = json.dumps(rows, ensure_ascii=False)
        return t


def ghg_stack(
    practice_stack: xr.DataArray,
    zone: xr.DataArray,
    map_: xr.DataArray,
    land_use: xr.DataArray,
    gt: GhgTables,
    rice: xr.DataArray | None = None,
) -> xr.DataArray:
    """All GHG and cost outputs on a ``ghg_output`` dimension (lazy; one kernel call per chunk).

    Parameters
    ----------
    practice_stack : xarray.DataArray
        The practice stack (:func:`scsmap.layers.practices.practice_stack`), (practice_output, y, x).
    zone : xarray.DataArray
        IPCC climate zone codes.
    map_ : xarray.DataArray
        Annual precipitation [mm yr-1].
    land_use : xarray.DataArray
        FAO land-use class (the cost table's rows are by class).
    gt : GhgTables

    Returns
    -------
    xarray.DataArray
        float32 (ghg_output, y, x), coordinates :attr:`GhgTables.outputs`: ``n2o_*``, ``net_ghg_*``
        [t CO2e ha-1 yr-1], ``cost_per_tco2_*`` [currency t-1 CO2e] and the composites
        (:func:`scsmap.rules.ghg.evaluate_ghg`).
    """
    pt = gt.practices
    stack = practice_stack
    names = [r.practice for r in pt.rules]
    index = {o: i for i, o in enumerate(pt.outputs)}
    rate_i = [index[f"rate_{p}"] for p in names]
    suit_i = [index[f"suitability_{p}"] for p in names]
    compiled = gt.compiled

    def block(lu, st, zone, map_, *rice_):
        wet = wet_climate(zone, map_)
        # the compiled kernel: scsmap.rules.ghg.evaluate_ghg's results, stacked as float32 in one pass
        return evaluate_ghg_stack(compiled, st, rate_i, suit_i, wet, lu, rice_[0] if rice_ else None)

    return map_stack(block, [land_use, stack, zone, map_, *([] if rice is None else [rice])], "ghg_output", gt.outputs)


def provenance(gt: GhgTables, g: GhgConfig, cost_table: str | None) -> str:
    """The provenance note of the GHG stack: factor set, GWP, C:N, cost table and price.

    Parameters
    ----------
    gt : GhgTables
    g : GhgConfig
    cost_table : str or None
        ``tables.practice_costs``, as :meth:`scsmap.config.Config.relative_path` shows it (the tag does not
        depend on where the project sits).

    Returns
    -------
    str
    """
    s = gt.settings
    return f"N2O factors IPCC {g.n2o_factor_set}, {g.gwp_set} GWP100 {s.gwp_n2o:g}, C:N {s.cn_gain:g}; " + (
        f"costs {cost_table} ({gt.currency}), price {s.price:g}" if gt.costs is not None else "no cost table"
    )


def baseline(asr_bau: xr.DataArray, soc: xr.DataArray, g: GhgConfig) -> tuple[xr.DataArray, str]:
    """BAU SOC baseline class (1 increasing, 2 near constant, 3 declining; NaN unknown) and its provenance.

    Parameters
    ----------
    asr_bau : xarray.DataArray
        RothC BAU absolute sequestration rate [t C ha-1 yr-1].
    soc : xarray.DataArray
        SOC stock at T0 [t C ha-1].
    g : GhgConfig
        ``ghg.baseline_increasing_above`` and ``ghg.baseline_declining_below`` [% yr-1].

    Returns
    -------
    (xarray.DataArray, str)
        float32 class codes (NaN where unknown), and the provenance text.

    References
    ----------
    :func:`scsmap.rules.ghg.baseline_class`; docs/methods/fourp1000.md §5.
    """
    out = xr.apply_ufunc(
        baseline_class,
        asr_bau,
        soc,
        kwargs={"increasing_above": g.baseline_increasing_above, "declining_below": g.baseline_declining_below},
        dask="parallelized",
        output_dtypes=["f8"],
    )
    text = (
        f"RothC BAU ASR / SOC_T0: increasing above {g.baseline_increasing_above:g} % per year, declining "
        f"below {g.baseline_declining_below:g} % per year"
    )
    return out.where(out > 0).astype("float32"), text
