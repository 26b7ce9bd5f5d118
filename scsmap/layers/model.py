"""The model layers of a run: where the science meets the lazy input layers.

:class:`Model` resolves the layers the models make from the input-derived layers of
:class:`~scsmap.inputs.derive.Derived`: MAOC saturation, IPCC climate zone and soil class,
the practice stack, the GHG stack, the GSOCseq scenarios and the baseline class. Each rule
gathers its input layers, calls one adapter of this package (arrays and settings in, array
and provenance out) and records the provenance. Products name what they are made from with
a :data:`~scsmap.layers.keys.Source`; :meth:`Model.layer` resolves it.
"""

from __future__ import annotations

import functools
from collections.abc import Collection

import numpy as np
import xarray as xr

from ..config import Config
from ..errors import ConfigError, Unavailable
from ..inputs.derive import Derived
from ..inputs.resolver import Resolver
from ..io.tables import load_land_use_params, load_wrb_mapping
from ..rothc.gsocseq import BauInput
from ..rules.fourp1000 import target_4p1000
from . import ghg, gsocseq, ipcc, practices, saturation
from .keys import Select, Source, Stack, source_layer

_WARMUP = ("temperature_warmup", "precipitation_warmup", "pet_warmup")


class Model(Resolver):
    """Lazy, cached model layers of one run, falling back on the input-derived layers.

    Parameters
    ----------
    cfg : Config
    derived : Derived
        The run's input-derived layers.
    """

    def __init__(self, cfg: Config, derived: Derived):
        self.cfg = cfg
        self.derived = derived
        self._selected: dict[Select, xr.DataArray] = {}
        self._practice_outputs: frozenset[str] | None = None  # None: every output of the practice stack
        super().__init__(
            {
                "target_4p1000": lambda: target_4p1000(self.get("soc_stock"), cfg.parameters.rate_4p1000),
                "saturation_capacity": self._capacity,
                "saturation_ratio": lambda: saturation.ratio(
                    self.get("soc_stock"), self.get("saturation_capacity"), cfg.parameters.saturation.f_maoc
                ),
                "saturation_deficit": lambda: saturation.deficit(
                    self.get("soc_stock"), self.get("saturation_capacity"), cfg.parameters.saturation.f_maoc
                ),
                "ipcc_climate_zone": self._climate_zone,
                "ipcc_soil_class": self._soil_class,
                Stack.PRACTICES.value: self._practices,
                Stack.GHG.value: self._ghg,
                Stack.GSOCSEQ.value: self._gsocseq,
                "gsocseq_uncertainty": lambda: self._gate(cfg.rothc.uncertainty, "rothc.uncertainty is false"),
                "gsocseq_warmup": lambda: self._gate(
                    derived.has_input("temperature_warmup"),
                    "no warm-up climate series (`temperature_warmup`, `precipitation_warmup`)",
                ),
                "gsocseq_montecarlo": lambda: self._gate(
                    bool(cfg.rothc.monte_carlo_draws), "rothc.monte_carlo_draws is 0"
                ),
                "baseline_class": self._baseline_class,
            },
            fallback=derived,
        )

    # -- products' sources
    def layer(self, source: Source) -> xr.DataArray:
        """The layer a product is made from: a layer by name, or one output of a stack.

        Parameters
        ----------
        source : str or Select

        Returns
        -------
        xarray.DataArray
            Lazy, on the region grid (cached).

        Raises
        ------
        Unavailable
            The region's inputs or the config do not allow it (the reason says why).
        """
        if not isinstance(source, Select):
            return self.get(source)
        if source not in self._selected:
            self._selected[source] = self._select(source)
        return self._selected[source]

    def missing_source(self, source: Source) -> str | None:
        """Why a product's source cannot be made.

        Parameters
        ----------
        source : str or Select

        Returns
        -------
        str or None
            The reason; None when it can be made.
        """
        try:
            self.layer(source)
        except Unavailable as exc:
            return str(exc)
        return None

    def needs_source(self, source: Source) -> set[str]:
        """The layers a product's source was derived from (after :meth:`layer`).

        Parameters
        ----------
        source : str or Select

        Returns
        -------
        set of str
        """
        return self.needs([source_layer(source)])

    def keep_practice_outputs(self, names: Collection[str]) -> None:
        """Compute only the outputs ``names`` of the practice stack from now on (the others are never filled).

        For a run that writes some practice products and no GHG product: the stack is made again with
        these outputs only (:func:`scsmap.layers.practices.practice_stack`), and what was selected from
        it is forgotten. Taking another output of it, or the GHG stack (which reads every practice
        output), then raises ``RuntimeError``: a reader missed when ``names`` was drawn up fails loudly.

        Parameters
        ----------
        names : collection of str
            Outputs of the practice stack (``rate_cover_crops``, ``rate_best`` ...); names that are not
            among its outputs are ignored.
        """
        self._practice_outputs = frozenset(names)
        for name in (Stack.PRACTICES.value, Stack.GHG.value):
            self._cache.pop(name, None)
        self._selected = {s: a for s, a in self._selected.items() if s.stack not in (Stack.PRACTICES, Stack.GHG)}

    def _select(self, s: Select) -> xr.DataArray:
        needs_costs = s.output.startswith("cost") or s.output in ("cheapest_practice", "abatement_at_price")
        if s.stack is Stack.GHG and needs_costs and self.ghg_tables.costs is None:
            raise Unavailable("no cost table: set tables.practice_costs (docs/regionalise.md)")
        stack = self.get(s.layer)
        dim = s.stack.dim
        if s.output not in stack.coords[dim].values:
            if s.stack is Stack.PRACTICES and s.output in self.practice_tables.outputs:
                raise RuntimeError(f"{s.output} is not computed in this run (Model.keep_practice_outputs)")
            raise Unavailable(f"{s.output}: practice not in practices.enabled")
        return gsocseq.select_output(stack, dim, s.output, s.qa_bit, self.cfg.rothc.apply_gsocseq_corrections)

    # -- tables, read once per run
    @functools.cached_property
    def practice_tables(self) -> practices.PracticeTables:
        """The run's practice tables (read on first use)."""
        return practices.PracticeTables(self.cfg)

    @functools.cached_property
    def ghg_tables(self) -> ghg.GhgTables:
        """The run's GHG and cost tables (read on first use)."""
        return ghg.GhgTables(self.cfg, self.practice_tables)

    def tags(self, tag_set: str | None, practice: str | None = None) -> dict[str, str]:
        """GeoTIFF tags naming the settings and tables a product used, besides its provenance.

        Parameters
        ----------
        tag_set : {"saturation", "practices", "ghg"} or None
        practice : str, optional
            The practice of a per-practice product.

        Returns
        -------
        dict of str to str
            Tag name → text; empty for products without a tag set.
        """
        if tag_set == "saturation":
            s = self.cfg.parameters.saturation
            return {"SATURATION_METHOD": s.method, "F_MAOC": str(s.f_maoc)}
        if tag_set == "practices":
            return self.practice_tables.tags(practice)
        if tag_set == "ghg":
            return self.ghg_tables.tags(practice)
        return {}

    # -- rules
    def _gate(self, available: bool, why: str) -> xr.DataArray:
        if not available:
            raise Unavailable(why)
        return self.get(Stack.GSOCSEQ.value)

    def _capacity_layers(self) -> tuple[xr.DataArray, xr.DataArray, xr.DataArray, xr.DataArray, xr.DataArray | None]:
        """Clay, silt, bulk density, coarse fragments and (Georgiou) the HAC share the capacity is made from."""
        clay, silt, bd, cf = (self.get(n) for n in ("clay", "silt", "bulk_density", "coarse_fragments"))
        hac = self.get("clay_activity") if self.cfg.parameters.saturation.method != "hassink1997" else None
        return clay, silt, bd, cf, hac

    def _capacity(self) -> xr.DataArray:
        return saturation.capacity(
            *self._capacity_layers(), self.cfg.parameters.depth_cm, self.cfg.parameters.saturation
        )

    def capacity_compiled(self) -> bool:
        """Whether the compiled kernel computes the MAOC capacity (:func:`scsmap.layers.saturation.capacity_dtype`).

        Returns
        -------
        bool
            False too when the capacity cannot be made (a layer is unavailable).
        """
        try:
            return saturation.capacity_dtype(*self._capacity_layers(), self.cfg.parameters.saturation) is not None
        except Unavailable:
            return False

    def _climate_zone(self) -> xr.DataArray:
        mat, map_, pet = self.get("mat"), self.get("map"), self.get("pet_annual")
        tmax = self.get("temperature_warmest_month")
        codes, text = ipcc.climate_zone(mat, map_, pet, tmax, self.optional("elevation"), self.optional("frost_days"))
        self.note("ipcc_climate_zone", text)
        return codes

    def _soil_class(self) -> xr.DataArray:
        default = self.cfg.practices.default_soil_class
        sand, clay = self.get("sand"), self.get("clay")
        tables = self.cfg.tables
        if self.derived.has_input("wrb"):
            if tables.wrb_legend is None:
                raise Unavailable("a `wrb` layer needs tables.wrb_legend (CSV code,rsg)")
            codes, classes, _ = load_wrb_mapping(tables.wrb_legend, tables.wrb_to_ipcc_soil)
            out, text = ipcc.soil_class(sand, clay, default, self.get("wrb"), (codes, classes), tables.wrb_to_ipcc_soil)
        else:
            out, text = ipcc.soil_class(sand, clay, default)
        self.note("ipcc_soil_class", text)
        return out

    def _practices(self) -> xr.DataArray:
        pt = self.practice_tables
        if not pt.rules:
            raise Unavailable("practices.enabled is empty")
        names = [
            "soc_stock",
            "clay",
            "sand",
            "ipcc_climate_zone",
            "ipcc_soil_class",
            "aridity_index",
            "land_use",
            "saturation_ratio",
            "saturation_deficit",
        ]
        soc, clay, sand, zone, soil, ai, lu, sat, deficit = (self.get(n) for n in names)
        slope = self.optional("slope")
        if slope is None:
            self.note("slope", "not available (no `slope` or `elevation` layer): slope rules not applied", keep=True)
            slope = xr.full_like(soc, np.nan)
        attrs = [a for a in practices.BASELINE_LAYERS if self.derived.has_input(f"baseline_{a}")]
        baseline = {a: self.get(f"baseline_{a}") for a in attrs}
        required = {}
        for name in sorted({r.requires for r in pt.rules if r.requires}):
            users = ", ".join(r.practice for r in pt.rules if r.requires == name)
            if self.derived.has_input(name):
                required[name] = self.get(name)
            else:
                self.note(name, f"no `{name}` layer: {users} unknown (masked input) where eligible", keep=True)
        keep = None if self._practice_outputs is None else [n for n in pt.outputs if n in self._practice_outputs]
        out = practices.practice_stack(
            soc, clay, sand, zone, soil, ai, slope, lu, sat, deficit, baseline, pt, required, outputs=keep
        )
        self.note(Stack.PRACTICES.value, practices.provenance(pt, self.cfg.practices.rate_source, attrs))
        return out

    def _ghg(self) -> xr.DataArray:
        if self._practice_outputs is not None:
            raise RuntimeError("the GHG stack reads every practice output (Model.keep_practice_outputs)")
        gt = self.ghg_tables
        rice = self.get("rice") if self.derived.has_input("rice") else None
        out = ghg.ghg_stack(
            self.get(Stack.PRACTICES.value),
            self.get("ipcc_climate_zone"),
            self.get("map"),
            self.get("land_use"),
            gt,
            rice,
        )
        costs = self.cfg.tables.practice_costs
        shown = self.cfg.relative_path(costs) if costs is not None else None  # as the TABLE_* tags show it
        self.note(Stack.GHG.value, ghg.provenance(gt, self.cfg.ghg, shown))
        return out

    def _baseline_class(self) -> xr.DataArray:
        asr = self.get(Stack.GSOCSEQ.value).sel(gsocseq_output="asr_bau", drop=True)
        out, text = ghg.baseline(asr, self.get("soc_stock"), self.cfg.ghg)
        self.note("baseline_class", text)
        return out

    def _warmup(self) -> list[xr.DataArray]:
        """Warm-up climate (temperature, precipitation, PET), or [] when no series is configured."""
        have = [n for n in _WARMUP if self.derived.has_input(n)]
        if not have:
            return []
        if "temperature_warmup" not in have or "precipitation_warmup" not in have:
            raise ConfigError(
                "a GSOCseq warm-up needs both `temperature_warmup` and `precipitation_warmup` "
                f"(given: {', '.join(have)})"
            )
        t, p = self.get("temperature_warmup"), self.get("precipitation_warmup")
        if t.sizes["series_month"] != p.sizes["series_month"]:
            raise ConfigError(
                f"temperature_warmup has {t.sizes['series_month']} months but precipitation_warmup "
                f"{p.sizes['series_month']}"
            )
        return [t, p, self.get("pet_warmup")]

    def bau_input(self) -> BauInput:
        """``rothc.bau_input`` resolved: npp_scaled when a separate spin-up climate is given, else equilibrium."""
        if self.cfg.rothc.bau_input is not None:
            return self.cfg.rothc.bau_input
        spin = any(self.derived.has_input(f"{n}_spinup") for n in ("temperature", "precipitation"))
        return "npp_scaled" if spin else "equilibrium"

    def trajectory_years(self) -> tuple[int, ...]:
        """Forward years at which the GSOCseq stack records each scenario's SOC (the trajectory)."""
        o = self.cfg.outputs
        return tuple(range(o.trajectory_rothc_step, o.trajectory_years + 1, o.trajectory_rothc_step))

    def _land_use_warmup(self, warm: list[xr.DataArray]) -> xr.DataArray | None:
        """The yearly land use of the warm-up (LUsim), checked against the warm-up climate; None without it."""
        if not self.derived.has_input("land_use_warmup"):
            return None
        lu = self.get("land_use_warmup")
        if not warm:
            raise ConfigError(
                "`land_use_warmup` (yearly land use) needs a warm-up climate series "
                "(`temperature_warmup`, `precipitation_warmup`)"
            )
        years = warm[0].sizes["series_month"] // 12
        if lu.sizes["warmup_year"] != years:
            raise ConfigError(
                f"land_use_warmup has {lu.sizes['warmup_year']} yearly band(s) but the warm-up climate {years} year(s)"
            )
        return lu

    def _gsocseq(self) -> xr.DataArray:
        rc, years = self.cfg.rothc, self.cfg.parameters.horizon_years
        soc, clay, lu = self.get("soc_stock"), self.get("clay"), self.get("land_use")
        forward = [self.get(n) for n in ("temperature", "precipitation", "pet")]
        spinup = [self.get(n) for n in ("temperature_spinup", "precipitation_spinup", "pet_spinup")]
        cover = self.get("cover")
        if self.derived.has_input("dr"):
            dr = self.get("dr")
        else:
            self.note("dr", "land-use table scsmap/data/land_use_rothc.csv (docs/methods/gsocseq.md §1.3)")
            dr = xr.full_like(soc, np.nan)
        warm = self._warmup()
        lu_warm = self._land_use_warmup(warm)
        bau = self.bau_input()
        out = gsocseq.gsocseq_stack(
            soc,
            clay,
            lu,
            forward,
            spinup,
            cover,
            dr,
            warm,
            rc,
            years,
            self.cfg.parameters.rate_4p1000,
            load_land_use_params(),
            bau_input=bau,
            land_use_warmup=lu_warm,
            path_years=self.trajectory_years(),
        )
        self.note(Stack.GSOCSEQ.value, gsocseq.provenance(rc, years, warm, bau, lu_warm is not None))
        return out
