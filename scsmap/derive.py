"""Derived layers of a run, resolved from inputs and fills, with provenance.

:class:`Derived` answers "give me clay / silt / bulk density / SOC stock / land use
/ monthly temperature ..." for a run. Each answer comes from an input layer, a
documented derivation (SOC stock from content, air temperature from LST, land use
from land cover) or a fill declared in the config, and the choice is recorded in
:attr:`Derived.provenance`, which goes into the products' tags.
"""

from __future__ import annotations

from typing import Callable

import xarray as xr

import numpy as np

from .climate import (air_temperature_from_lst, annual_precipitation, annual_total, aridity_index,
                      mean_annual_temperature, pet_hargreaves, pet_thornthwaite)
from .ghg_layers import baseline_class_layer, ghg_output, ghg_stack
from .grid import latitude
from .rothc.gsocseq import cover_fallback
from .config import Config
from .errors import ConfigError, Unavailable
from .inputs import AlignedInputs, empty_like_grid
from .landuse import load_reclass_table, reclassify
from .rule_layers import (capacity_layer, climate_zone_layer, deficit_layer, practice_output, practice_stack,
                          ratio_layer, slope_layer, soil_class_layer)
from .soil import bulk_density_ptf, soc_stock_from_content


class Derived:
    """Lazy, cached derived layers of one run.

    Parameters
    ----------
    cfg : Config
    inputs : AlignedInputs
    """

    def __init__(self, cfg: Config, inputs: AlignedInputs):
        self.cfg = cfg
        self.inputs = inputs
        self.provenance: dict[str, str] = {}
        self.tables: dict[str, str] = {}
        self._cache: dict[str, xr.DataArray] = {}
        self._deps: dict[str, set[str]] = {}
        self._stack: list[str] = []
        self._rules: dict[str, Callable[[], xr.DataArray]] = {
            "soc_stock": self._soc_stock,
            "clay": lambda: self._layer("clay"),
            "silt": lambda: self._layer_or_fill("silt"),
            "organic_carbon": lambda: self._layer("organic_carbon"),
            "bulk_density": self._bulk_density,
            "coarse_fragments": lambda: self._layer_or_fill("coarse_fragments"),
            "clay_activity": lambda: self._layer_or_fill("clay_activity"),
            "elevation": lambda: self._layer("elevation"),
            "precipitation": lambda: self._layer("precipitation"),
            "temperature": self._temperature,
            "mat": lambda: mean_annual_temperature(self.get("temperature")),
            "map": lambda: annual_precipitation(self.get("precipitation")),
            "land_use": self._land_use,
            "pet": self._pet,
            "cover": self._cover,
            "temperature_spinup": lambda: self._spinup("temperature"),
            "precipitation_spinup": lambda: self._spinup("precipitation"),
            "pet_spinup": lambda: self._spinup("pet"),
            "gsocseq": self._gsocseq,
            "gsocseq_uncertainty": self._gsocseq_uncertainty,
            "gsocseq_warmup": self._gsocseq_warmup,
            "gsocseq_montecarlo": self._gsocseq_montecarlo,
            "saturation_capacity": lambda: capacity_layer(self),
            "saturation_ratio": lambda: ratio_layer(self),
            "saturation_deficit": lambda: deficit_layer(self),
            "temperature_min": lambda: self._layer("temperature_min"),
            "temperature_max": lambda: self._layer("temperature_max"),
            "frost_days": lambda: self._layer("frost_days"),
            "sand": self._sand,
            "pet_annual": lambda: annual_total(self.get("pet"), "mm yr-1"),
            "aridity_index": lambda: aridity_index(self.get("map"), self.get("pet_annual")),
            "slope": lambda: slope_layer(self),
            "ipcc_climate_zone": lambda: climate_zone_layer(self),
            "ipcc_soil_class": lambda: soil_class_layer(self),
            "practices": lambda: practice_stack(self),
            "ghg": lambda: ghg_stack(self),
            "baseline_class": lambda: baseline_class_layer(self),
        }

    # -- public
    def get(self, name: str) -> xr.DataArray:
        """The layer ``name`` on the region grid.

        ``practices.<output>`` names one layer of the practice stack
        (e.g. ``practices.rate_no_till``), ``ghg.<output>`` one of the GHG stack
        (e.g. ``ghg.net_ghg_no_till``).

        Raises
        ------
        Unavailable
            If neither an input nor a derivation nor a fill provides it.
        KeyError
            For an unknown name.
        """
        self._depend(name)
        if name not in self._cache:
            if name.startswith("practices."):
                rule = lambda: practice_output(self, name.split(".", 1)[1])  # noqa: E731
            elif name.startswith("ghg."):
                rule = lambda: ghg_output(self, name.split(".", 1)[1])  # noqa: E731
            else:
                rule = self._rules[name]
            self._stack.append(name)
            try:
                self._cache[name] = rule()
            finally:
                self._stack.pop()
        return self._cache[name]

    def missing(self, names) -> str | None:
        """Why some of ``names`` are unavailable (None when all are available)."""
        for n in names:
            try:
                self.get(n)
            except Unavailable as exc:
                return str(exc)
        return None

    def needs(self, names) -> set[str]:
        """``names`` and every layer they were derived from (after :meth:`get`)."""
        seen, todo = set(), list(names)
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo += self._deps.get(n, ())
        return seen

    # -- bookkeeping
    def _depend(self, name: str) -> None:
        if self._stack:
            self._deps.setdefault(self._stack[-1], set()).add(name)

    def _note(self, name: str, text: str, keep: bool = False) -> None:
        """Record where layer ``name`` comes from (and that the layer being derived uses it)."""
        self._depend(name)
        if keep:
            self.provenance.setdefault(name, text)
        else:
            self.provenance[name] = text

    # -- rules
    def _layer(self, name: str) -> xr.DataArray:
        if name not in self.inputs.layers:
            raise Unavailable(f"no `{name}` input layer")
        src = self.inputs.sources[name]
        self._note(name, f"input layer {', '.join(src.paths)} ({src.units_declared} -> {src.unit}; resampling "
                         f"{self.inputs.resampling[name]})", keep=True)
        return self.inputs.layers[name]

    def _fill(self, name: str) -> xr.DataArray:
        fill = self.cfg.fill.get(name)
        if fill is None:
            raise Unavailable(f"no `{name}` input layer and no `fill.{name}` in the config")
        if fill.constant is not None:
            self._note(name, f"constant {fill.constant:g}" + (f" ({fill.source})" if fill.source else ""))
            return empty_like_grid(self.inputs.geobox, self.inputs.chunks, fill.constant).where(self.inputs.mask)
        raise Unavailable(f"fill.{name}: only constants are supported for {name}")

    def _layer_or_fill(self, name: str) -> xr.DataArray:
        if name in self.inputs.layers:
            return self._layer(name)
        return self._fill(name)

    def _soc_stock(self) -> xr.DataArray:
        if "soc_stock" in self.inputs.layers:
            return self._layer("soc_stock")
        if "organic_carbon" not in self.inputs.layers:
            raise Unavailable("no `soc_stock` layer and no `organic_carbon` layer to derive it from")
        oc = self._layer("organic_carbon")
        bd = self.get("bulk_density")
        cf = self.get("coarse_fragments")
        depth = self.cfg.parameters.depth_cm
        soc = soc_stock_from_content(oc, bd, depth, cf)
        self._note("soc_stock", (f"derived: organic_carbon[%] x bulk_density[g cm-3] x {depth:g} cm x "
                                        "(1 - coarse_fragments/100)"))
        soc.attrs = {"units": "t ha-1"}
        return soc

    def _bulk_density(self) -> xr.DataArray:
        if "bulk_density" in self.inputs.layers:
            return self._layer("bulk_density")
        fill = self.cfg.fill.get("bulk_density")
        if fill is not None and fill.ptf is not None:
            if "organic_carbon" not in self.inputs.layers:
                raise Unavailable(f"fill.bulk_density.ptf = {fill.ptf} needs an `organic_carbon` input layer")
            oc = self._layer("organic_carbon")
            self._note("bulk_density", f"pedotransfer function {fill.ptf} from organic_carbon")
            return bulk_density_ptf(oc, fill.ptf)
        return self._fill("bulk_density")

    def _temperature(self) -> xr.DataArray:
        if "temperature" in self.inputs.layers:
            return self._layer("temperature")
        if "lst_day" in self.inputs.layers and "lst_night" in self.inputs.layers:
            bias = self.cfg.parameters.lst_bias_c
            t = air_temperature_from_lst(self._layer("lst_day"), self._layer("lst_night"), bias)
            self._note("temperature", (f"proxy: (MODIS LST day + night)/2 {bias:+g} degC "
                                              "(land-surface, not air temperature; see docs/methods/climate.md)"))
            return t
        if "temperature_min" in self.inputs.layers and "temperature_max" in self.inputs.layers:
            self._note("temperature", "(temperature_min + temperature_max) / 2")
            return (self.get("temperature_min") + self.get("temperature_max")) / 2
        raise Unavailable("no `temperature` layer and no `lst_day` + `lst_night` (or `temperature_min` + "
                          "`temperature_max`) layers to derive it from")

    def _pet(self) -> xr.DataArray:
        if "pet" in self.inputs.layers:
            return self._layer("pet")
        if "temperature_min" in self.inputs.layers and "temperature_max" in self.inputs.layers:
            self._note("pet", "Hargreaves & Samani (1985) from monthly mean, minimum and maximum temperature and "
                              "latitude (FAO-56 eq. 52)")
            lat = latitude(self.inputs.geobox, self.inputs.chunks)
            t, tn, tx = (self.get(n).chunk(month=-1) for n in ("temperature", "temperature_min", "temperature_max"))

            def hargreaves_last(a, b, c, la):  # month axis last inside apply_ufunc
                m = lambda x: np.moveaxis(x, -1, 0)  # noqa: E731
                return np.moveaxis(pet_hargreaves(m(a), m(b), m(c), la), 0, -1)

            pet = xr.apply_ufunc(hargreaves_last, t, tn, tx, lat, input_core_dims=[["month"]] * 3 + [[]],
                                 output_core_dims=[["month"]], dask="parallelized", output_dtypes=["float64"])
            return pet.transpose("month", "y", "x").astype("float32")
        self._note("pet", "Thornthwaite (1948) from monthly temperature and latitude")
        return self._thornthwaite(self.get("temperature"))

    def _sand(self) -> xr.DataArray:
        if "sand" in self.inputs.layers:
            return self._layer("sand")
        clay, silt = self.get("clay"), self.get("silt")
        self._note("sand", "derived: 100 - clay - silt")
        return (100.0 - clay - silt).clip(min=0.0)

    def _thornthwaite(self, t: xr.DataArray) -> xr.DataArray:
        lat = latitude(self.inputs.geobox, self.inputs.chunks)
        def thornthwaite_last(tt, la):  # month axis last inside apply_ufunc
            return np.moveaxis(pet_thornthwaite(np.moveaxis(tt, -1, 0), la), 0, -1).astype("float32")

        pet = xr.apply_ufunc(thornthwaite_last, t.chunk(month=-1), lat, input_core_dims=[["month"], []],
                             output_core_dims=[["month"]], dask="parallelized", output_dtypes=["float32"])
        return pet.transpose("month", "y", "x")

    def _cover(self) -> xr.DataArray:
        if "cover" in self.inputs.layers:
            return self._layer("cover")
        months = tuple(self.cfg.rothc.cropland_bare_months)
        lu = self.get("land_use")
        cov = xr.apply_ufunc(lambda a: np.moveaxis(cover_fallback(a, months), 0, -1), lu,
                             output_core_dims=[["month"]], dask="parallelized", output_dtypes=["float64"],
                             dask_gufunc_kwargs={"output_sizes": {"month": 12}})
        self._note("cover", (f"GSOCseq fallback rule: 0.6 vegetated, 1 bare soil and cropland in months "
                                    f"{list(months) or 'none'} (methods §1.4)"))
        return cov.transpose("month", "y", "x").astype("float32")

    def _spinup(self, name: str) -> xr.DataArray:
        if f"{name}_spinup" in self.inputs.layers:
            return self._layer(f"{name}_spinup")
        if name == "pet" and "pet" not in self.inputs.layers and "temperature_spinup" in self.inputs.layers:
            self._note("pet_spinup", "Thornthwaite (1948) from temperature_spinup and latitude")
            return self._thornthwaite(self.get("temperature_spinup"))
        self._note(f"{name}_spinup", f"same as the forward {name} (no {name}_spinup layer)", keep=True)
        return self.get(name)

    def _gsocseq(self) -> xr.DataArray:
        from .rothc.gsocseq import OUTPUTS, gsocseq_pixels, load_land_use_params

        names = ["soc_stock", "clay", "land_use", "temperature", "precipitation", "pet", "temperature_spinup",
                 "precipitation_spinup", "pet_spinup", "cover"]
        arrays = [self.get(n) for n in names]
        if "dr" in self.inputs.layers:
            arrays.append(self._layer("dr"))
        else:
            self._note("dr", "land-use table scsmap/data/land_use_rothc.csv (methods §1.3)")
            arrays.append(xr.full_like(arrays[0], np.nan))
        warm = self._warmup_series()
        if warm and self.cfg.rothc.engine == "gsocseq_compat":
            raise ConfigError("rothc.engine = gsocseq_compat has no warm-up: remove the *_warmup inputs or use "
                              "the default engine 'rothamsted'")
        arrays += warm
        rc, years = self.cfg.rothc, self.cfg.parameters.horizon_years
        params = load_land_use_params()

        def block(soc, clay, lu, t, p, e, ts, ps, es, cov, dr, *warm):
            shape = soc.shape
            m = lambda a: np.moveaxis(a, -1, 0).reshape(a.shape[-1], -1).astype("f8")  # noqa: E731
            out = gsocseq_pixels(soc.reshape(-1).astype("f8"), clay.reshape(-1).astype("f8"),
                                 np.stack([m(ts), m(ps), m(es)]), np.stack([m(t), m(p), m(e)]),
                                 lu.reshape(-1), m(cov), years=years, ssm=rc.ssm_increase,
                                 uncertainty=rc.uncertainty, temperature=rc.temperature_function,
                                 depth=rc.moisture_depth_cm, params=params,
                                 dr=dr.reshape(-1).astype("f8"), rate_4p1000=self.cfg.parameters.rate_4p1000,
                                 warm=np.stack([m(w) for w in warm]) if warm else None, engine=rc.engine,
                                 mc_draws=rc.monte_carlo_draws, seed=rc.seed)
            return np.moveaxis(out.reshape((len(OUTPUTS),) + shape), 0, -1).astype("float32")

        core = [[] if a.ndim == 2 else [a.dims[0]] for a in arrays]
        arrays = [a if a.ndim == 2 else a.chunk({a.dims[0]: -1}) for a in arrays]
        res = xr.apply_ufunc(block, *arrays, input_core_dims=core, output_core_dims=[["gsocseq_output"]],
                             dask="parallelized", output_dtypes=["float32"],
                             dask_gufunc_kwargs={"output_sizes": {"gsocseq_output": len(OUTPUTS)}})
        res = res.assign_coords(gsocseq_output=list(OUTPUTS))
        warmup = f"{warm[0].sizes['series_month'] // 12}-yr warm-up" if warm else "no warm-up"
        engine = ("RothC 26.3 (Rothamsted discrete scheme), exact periodic spin-up matched to the SOC map"
                  if rc.engine == "rothamsted" else
                  "GSOCseq-compatible numerics (analytic spin-up, explicit Euler, 239 forward steps, SoilR a(T), "
                  "fw1func moisture)")
        self._note("gsocseq", (f"{engine}, {warmup}, {years}-yr forward, SSM +{list(rc.ssm_increase)}, "
                                      f"temperature function {rc.temperature_function}"))
        return res

    def _warmup_series(self) -> list[xr.DataArray]:
        """Warm-up climate (temperature, precipitation, PET), or [] when no series is configured."""
        names = ("temperature_warmup", "precipitation_warmup", "pet_warmup")
        have = [n for n in names if n in self.inputs.layers]
        if not have:
            return []
        if "temperature_warmup" not in have or "precipitation_warmup" not in have:
            raise ConfigError("a GSOCseq warm-up needs both `temperature_warmup` and `precipitation_warmup` "
                              f"(given: {', '.join(have)})")
        t, p = self._layer("temperature_warmup"), self._layer("precipitation_warmup")
        if t.sizes["series_month"] != p.sizes["series_month"]:
            raise ConfigError(f"temperature_warmup has {t.sizes['series_month']} months but precipitation_warmup "
                              f"{p.sizes['series_month']}")
        if "pet_warmup" in have:
            e = self._layer("pet_warmup")
        elif "pet" in self.inputs.layers:
            raise ConfigError("a `pet` layer is given but no `pet_warmup` series: give `pet_warmup`, or drop `pet` "
                              "to compute Thornthwaite PET for every period")
        else:
            e = self._thornthwaite_series(t)
            self._note("pet_warmup", "Thornthwaite (1948) year by year from temperature_warmup and latitude")
        return [t, p, e]

    def _thornthwaite_series(self, t: xr.DataArray) -> xr.DataArray:
        lat = latitude(self.inputs.geobox, self.inputs.chunks)

        def per_year(tt, la):  # series axis last: (..., 12 Y)
            yrs = np.moveaxis(tt, -1, 0).reshape((-1, 12) + tt.shape[:-1])
            out = np.concatenate([pet_thornthwaite(y, la) for y in yrs])
            return np.moveaxis(out, 0, -1)

        pet = xr.apply_ufunc(per_year, t.chunk(series_month=-1), lat, input_core_dims=[["series_month"], []],
                             output_core_dims=[["series_month"]], dask="parallelized", output_dtypes=["float64"])
        return pet.transpose("series_month", "y", "x").astype("float32")

    def _gsocseq_montecarlo(self) -> xr.DataArray:
        if not self.cfg.rothc.monte_carlo_draws:
            raise Unavailable("rothc.monte_carlo_draws is 0")
        return self.get("gsocseq")

    def _gsocseq_warmup(self) -> xr.DataArray:
        if "temperature_warmup" not in self.inputs.layers:
            raise Unavailable("no warm-up climate series (`temperature_warmup`, `precipitation_warmup`)")
        return self.get("gsocseq")

    def _gsocseq_uncertainty(self) -> xr.DataArray:
        if not self.cfg.rothc.uncertainty:
            raise Unavailable("rothc.uncertainty is false")
        return self.get("gsocseq")

    def _land_use(self) -> xr.DataArray:
        if "land_use" in self.inputs.layers:
            return self._layer("land_use")
        if "land_cover" not in self.inputs.layers:
            raise Unavailable("no `land_cover` or `land_use` input layer")
        table = load_reclass_table(self.cfg.tables.land_cover_reclass)
        self._layer("land_cover")
        self._note("land_use", f"land_cover reclassified with table {table.name}")
        return reclassify(self.inputs.layers["land_cover"], table, source=self.inputs.sources["land_cover"].paths[0])
