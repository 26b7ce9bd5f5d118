"""Input-derived layers of a run, resolved from inputs, documented derivations and fills, with provenance.

:class:`Derived` answers "give me clay / silt / bulk density / SOC stock / land use /
monthly temperature / PET / slope ..." for a run. Each answer comes from an input layer,
a documented derivation (SOC stock from content, air temperature from LST, PET, land use
from land cover, slope from elevation) or a fill declared in the config, and the choice
is recorded in :attr:`Derived.provenance`, which goes into the products' tags. The model
layers (saturation, IPCC classes, practices, GHG, RothC) are in :mod:`scsmap.layers`.
"""

from __future__ import annotations

from collections.abc import Callable

import dask.array as da
import numpy as np
import xarray as xr

from ..config import LAYERS, Config
from ..errors import ConfigError, Unavailable
from ..grid import latitude
from ..io.tables import legend_codes, load_reclass_table
from ..rothc.gsocseq import cover_fallback
from ..rules.soil import bulk_density_ptf, soc_stock_from_content
from .align import AlignedInputs, empty_like_grid
from .climate import (
    air_temperature_from_lst,
    annual_pet,
    annual_precipitation,
    aridity_index_layer,
    mean_annual_temperature,
    pet_hargreaves_layer,
    pet_thornthwaite_layer,
    pet_thornthwaite_series,
    warmest_month,
)
from .land_use import reclassify
from .once import computed_once
from .resolver import Resolver
from .terrain import slope_percent

#: an annual summary of a monthly layer (month, y, x) -> (y, x)
Summarise = Callable[[xr.DataArray], xr.DataArray]

#: the annual summaries of the monthly climate layers: name -> (what the provenance says, the monthly layer, the
#: summary)
ANNUAL: dict[str, tuple[str, str, Summarise]] = {
    "mat": ("mean of the 12 months", "temperature", mean_annual_temperature),
    "map": ("sum of the 12 months", "precipitation", annual_precipitation),
    "pet_annual": ("sum of the 12 months", "pet", annual_pet),
    "temperature_warmest_month": ("maximum of the 12 months", "temperature", warmest_month),
}

#: input layers that may be filled from the config (``fill.<name>``) where the region has no raster
FILLABLE = ("silt", "bulk_density", "coarse_fragments", "clay_activity")


class Derived(Resolver):
    """Lazy, cached input-derived layers of one run.

    Every name of the layer catalogue (:data:`scsmap.config.LAYERS`) resolves to its input
    layer; the names below have rules of their own: ``soc_stock``, ``bulk_density``,
    ``silt``, ``coarse_fragments``, ``clay_activity``, ``sand``, ``temperature``, ``pet``,
    ``mat``, ``map``, ``pet_annual``, ``aridity_index``, ``land_use``, ``cover``, ``slope``,
    ``*_spinup`` and ``pet_warmup``.

    Parameters
    ----------
    cfg : Config
    inputs : AlignedInputs
        The run's input layers on the region grid.
    """

    def __init__(self, cfg: Config, inputs: AlignedInputs):
        self.cfg = cfg
        self.inputs = inputs
        self._native_kept: dict[str, xr.DataArray] = {}  # input layers on their source grid (_native)
        self._annual_warped: dict[str, xr.DataArray] | None = None  # the annual summaries on the grid (_annual)
        # window by window (scsmap.pipeline.windows): the source-grid layers are then computed once, not per window
        self._windowed = int(np.prod(inputs.geobox.shape.yx)) > cfg.compute.pass_pixels
        rules = {name: (lambda n=name: self.input(n)) for name in LAYERS}
        rules.update(
            {
                "soc_stock": self._soc_stock,
                "bulk_density": self._bulk_density,
                **{name: (lambda n=name: self._input_or_fill(n)) for name in FILLABLE if name != "bulk_density"},
                "sand": self._sand,
                "temperature": self._temperature,
                "pet": self._pet,
                "mat": self._mat,
                "map": self._map,
                "pet_annual": self._pet_annual,
                "temperature_warmest_month": self._warmest_month,
                "aridity_index": lambda: aridity_index_layer(self.get("map"), self.get("pet_annual")),
                "land_use": self._land_use,
                "cover": self._cover,
                "slope": self._slope,
                "temperature_spinup": lambda: self._spinup("temperature"),
                "precipitation_spinup": lambda: self._spinup("precipitation"),
                "pet_spinup": lambda: self._spinup("pet"),
                "pet_warmup": self._pet_warmup,
            }
        )
        super().__init__(rules)

    def has_input(self, name: str) -> bool:
        """True when the config gives an input layer ``name`` (a layer name of :data:`scsmap.config.LAYERS`)."""
        return name in self.inputs.layers

    def input(self, name: str) -> xr.DataArray:
        """The input layer ``name`` itself, its provenance noted.

        Parameters
        ----------
        name : str
            A layer of :data:`scsmap.config.LAYERS`.

        Returns
        -------
        xarray.DataArray
            float32 in the layer's canonical unit, on the region grid, NaN outside the boundary.

        Raises
        ------
        Unavailable
            The config gives no such input.
        """
        if name not in self.inputs.layers:
            raise Unavailable(f"no `{name}` input layer")
        src = self.inputs.sources[name]
        self.note(
            name,
            f"input layer {', '.join(self.cfg.relative_path(p) for p in src.paths)} ({src.units_declared} -> "
            f"{src.unit}; resampling "
            f"{self.inputs.resampling[name]})",
            keep=True,
        )
        return self.inputs.layers[name]

    def latitude(self) -> xr.DataArray:
        """Cell-centre latitude [degrees north] on the grid, float64 (y, x), lazily."""
        return latitude(self.inputs.geobox, self.inputs.chunks)

    # -- rules
    def _fill(self, name: str) -> xr.DataArray:
        fill = self.cfg.fill.get(name)
        if fill is None:
            raise Unavailable(f"no `{name}` input layer and no `fill.{name}` in the config")
        if fill.constant is not None:
            self.note(name, f"constant {fill.constant:g}" + (f" ({fill.source})" if fill.source else ""))
            layer = empty_like_grid(self.inputs.geobox, self.inputs.chunks, fill.constant)
            # masked to the boundary; without one the constant layer stays a view of one value (no block of it is
            # made; scsmap.rules.saturation_compiled reads the value)
            mask = self.inputs.region_mask
            return layer if mask is None else layer.where(mask)
        raise Unavailable(f"fill.{name}: only constants are supported for {name}")

    def _input_or_fill(self, name: str) -> xr.DataArray:
        if self.has_input(name):
            return self.input(name)
        return self._fill(name)

    def _soc_stock(self) -> xr.DataArray:
        if self.has_input("soc_stock"):
            return self.input("soc_stock")
        if not self.has_input("organic_carbon"):
            raise Unavailable("no `soc_stock` layer and no `organic_carbon` layer to derive it from")
        oc = self.input("organic_carbon")
        bd = self.get("bulk_density")
        cf = self.get("coarse_fragments")
        depth = self.cfg.parameters.depth_cm
        soc = soc_stock_from_content(oc, bd, depth, cf)
        self.note(
            "soc_stock",
            (f"derived: organic_carbon[%] x bulk_density[g cm-3] x {depth:g} cm x (1 - coarse_fragments/100)"),
        )
        soc.attrs = {"units": "t ha-1"}
        return soc

    def _bulk_density(self) -> xr.DataArray:
        if self.has_input("bulk_density"):
            return self.input("bulk_density")
        fill = self.cfg.fill.get("bulk_density")
        if fill is not None and fill.ptf is not None:
            if not self.has_input("organic_carbon"):
                raise Unavailable(f"fill.bulk_density.ptf = {fill.ptf} needs an `organic_carbon` input layer")
            oc = self.input("organic_carbon")
            self.note("bulk_density", f"pedotransfer function {fill.ptf} from organic_carbon")
            return bulk_density_ptf(oc, fill.ptf)
        return self._fill("bulk_density")

    def _temperature_recipe(self) -> tuple[str, ...]:
        """The input layers the monthly temperature comes from, in the order of preference."""
        for recipe in (("temperature",), ("lst_day", "lst_night"), ("temperature_min", "temperature_max")):
            if all(self.has_input(n) for n in recipe):
                return recipe
        raise Unavailable(
            "no `temperature` layer and no `lst_day` + `lst_night` (or `temperature_min` + "
            "`temperature_max`) layers to derive it from"
        )

    def _combine_temperature(self, recipe: tuple[str, ...], layers: list[xr.DataArray]) -> xr.DataArray:
        """Monthly temperature from the layers of its recipe (on the region grid or on their source grid)."""
        if recipe == ("lst_day", "lst_night"):
            return air_temperature_from_lst(layers[0], layers[1], self.cfg.parameters.lst_bias_c)
        if recipe == ("temperature_min", "temperature_max"):
            return (layers[0] + layers[1]) / 2
        return layers[0]

    def _temperature(self) -> xr.DataArray:
        recipe = self._temperature_recipe()
        if recipe == ("lst_day", "lst_night"):
            bias = self.cfg.parameters.lst_bias_c
            self.note(
                "temperature",
                (
                    f"proxy: (MODIS LST day + night)/2 {bias:+g} degC "
                    "(land-surface, not air temperature; see docs/methods/climate.md)"
                ),
            )
        elif recipe == ("temperature_min", "temperature_max"):
            self.note("temperature", "(temperature_min + temperature_max) / 2")
        return self._combine_temperature(recipe, [self.input(n) for n in recipe])

    def _pet(self) -> xr.DataArray:
        if self.has_input("pet"):
            return self.input("pet")
        if self.has_input("temperature_min") and self.has_input("temperature_max"):
            self.note(
                "pet",
                "Hargreaves & Samani (1985) from monthly mean, minimum and maximum temperature and "
                "latitude (FAO-56 eq. 52)",
            )
            return pet_hargreaves_layer(
                self.get("temperature"), self.get("temperature_min"), self.get("temperature_max"), self.latitude()
            )
        self.note("pet", "Thornthwaite (1948) from monthly temperature and latitude")
        return pet_thornthwaite_layer(self.get("temperature"), self.latitude())

    # -- annual climate summaries: computed on the climate layers' own grid, then warped (one band, not 12)
    def _native(self, name: str) -> xr.DataArray:
        """Input layer ``name`` on its source grid over the region; monthly layers with a ``month`` dimension.

        On a grid computed window by window its blocks are read once per run
        (:func:`scsmap.inputs.once.computed_once`), for every annual summary made from it and every window."""
        if name not in self._native_kept:
            data = self.inputs.native_over_region(name)
            data = data.rename(band="month") if LAYERS[name].months else data.isel(band=0, drop=True)
            if self._windowed and isinstance(data.data, da.Array):
                data = data.copy(data=computed_once(data.data))
            self._native_kept[name] = data
        return self._native_kept[name]

    def _on_one_source_grid(self, *names: str) -> bool:
        """The input layers ``names`` are read (not placeholders) and share one source grid."""
        return all(n in self.inputs.native for n in names) and self.inputs.same_source_grid(*names)

    def _native_temperature(self) -> tuple[xr.DataArray, str] | None:
        """Monthly temperature on its source grid and the input whose grid it is on; None when its
        inputs are on different grids (then the annual summaries come from the warped months)."""
        recipe = self._temperature_recipe()
        if not self._on_one_source_grid(*recipe):
            return None
        return self._combine_temperature(recipe, [self._native(n) for n in recipe]), recipe[0]

    def _native_pet(self) -> tuple[xr.DataArray, str] | None:
        """Monthly PET on its source grid (input, Hargreaves or Thornthwaite as :meth:`_pet`) and the input
        whose grid it is on; None when its inputs are on different grids."""
        if self.has_input("pet"):
            return (self._native("pet"), "pet") if self._on_one_source_grid("pet") else None
        recipe = self._temperature_recipe()
        hargreaves = self.has_input("temperature_min") and self.has_input("temperature_max")
        names = tuple(dict.fromkeys(recipe + (("temperature_min", "temperature_max") if hargreaves else ())))
        if not self._on_one_source_grid(*names):
            return None
        temp = self._combine_temperature(recipe, [self._native(n) for n in recipe])
        data = self.inputs.native_over_region(recipe[0])
        lat = latitude(self.inputs.native_grid(recipe[0]), (max(data.chunks[1]), max(data.chunks[2])))
        lat = lat.assign_coords(y=data.y, x=data.x).chunk(y=data.chunks[1], x=data.chunks[2])  # exactly the data's
        if hargreaves:
            tmin, tmax = self._native("temperature_min"), self._native("temperature_max")
            return pet_hargreaves_layer(temp, tmin, tmax, lat), recipe[0]
        return pet_thornthwaite_layer(temp, lat), recipe[0]

    def _native_monthly(self, monthly: str) -> tuple[xr.DataArray, str] | None:
        """Monthly layer ``monthly`` (``temperature``, ``precipitation`` or ``pet``) on its source grid and the input
        whose grid it is on; None when its inputs are not read or are on different grids."""
        if monthly == "temperature":
            return self._native_temperature()
        if monthly == "pet":
            return self._native_pet()
        return (self._native(monthly), monthly) if self._on_one_source_grid(monthly) else None

    def _annual(self, name: str) -> xr.DataArray:
        """Annual summary ``name`` (:data:`ANNUAL`) of a monthly layer: made on the layer's source grid and warped
        when the layer has one (:meth:`_native_monthly`), else of the months on the region grid; the provenance
        says which."""
        label, monthly, how = ANNUAL[name]
        on_grid = self.get(monthly)
        native = self._native_monthly(monthly)
        if native is None:
            self.note(name, f"{label} of the monthly layers on the region grid")
            return how(on_grid)
        grid = native[1]
        info = self.inputs.sources[grid]
        self.note(
            name,
            f"{label} on the source grid of `{grid}` ({info.resolution[0]:.6g} x {info.resolution[1]:.6g}), "
            f"then warped to the region grid ({self.inputs.resampling[grid]})",
        )
        if self._annual_warped is None:  # the first one asked for: all of them, warped together where they can be
            summaries = self._annual_summaries()
            self._annual_warped = self.inputs.to_grid_together(summaries)
            for key, warped in self._annual_warped.items():
                warped.attrs = dict(summaries[key][1].attrs)
        return self._annual_warped[name]

    def _annual_summaries(self) -> dict[str, tuple[str, xr.DataArray]]:
        """Every annual summary of :data:`ANNUAL` that the inputs allow on a source grid: name → (the input whose
        grid it is on, the summary (y, x) on that grid). A run computes only those it reads
        (:meth:`scsmap.inputs.warp.WarpGroup.keep`)."""
        out: dict[str, tuple[str, xr.DataArray]] = {}
        for name, (_, monthly, how) in ANNUAL.items():
            try:
                native = self._native_monthly(monthly)
            except Unavailable:
                continue
            if native is None:
                continue
            data, grid = native
            summary = how(data)
            if self._windowed and isinstance(summary.data, da.Array):  # read by every window: computed once
                summary = summary.copy(data=computed_once(summary.data))
            out[name] = (grid, summary)
        return out

    def _mat(self) -> xr.DataArray:
        return self._annual("mat")

    def _map(self) -> xr.DataArray:
        return self._annual("map")

    def _pet_annual(self) -> xr.DataArray:
        return self._annual("pet_annual")

    def _warmest_month(self) -> xr.DataArray:
        return self._annual("temperature_warmest_month")

    def _sand(self) -> xr.DataArray:
        if self.has_input("sand"):
            return self.input("sand")
        clay, silt = self.get("clay"), self.get("silt")
        self.note("sand", "derived: 100 - clay - silt")
        return (100.0 - clay - silt).clip(min=0.0)

    def _slope(self) -> xr.DataArray:
        if self.has_input("slope"):
            return self.input("slope")
        if not self.has_input("elevation"):
            raise Unavailable("no `slope` or `elevation` input layer")
        elev = self.get("elevation")
        self.note(
            "slope",
            "Horn (1981) slope of the elevation layer on the region grid (coarser than the DEM: "
            "underestimates steep slopes)",
        )
        return slope_percent(elev, self.inputs.geobox)

    def _cover(self) -> xr.DataArray:
        if self.has_input("cover"):
            return self.input("cover")
        months = tuple(self.cfg.rothc.cropland_bare_months)
        lu = self.get("land_use")
        cov = xr.apply_ufunc(
            lambda a: np.moveaxis(cover_fallback(a, months), 0, -1),
            lu,
            output_core_dims=[["month"]],
            dask="parallelized",
            output_dtypes=["float64"],
            dask_gufunc_kwargs={"output_sizes": {"month": 12}},
        )
        self.note(
            "cover",
            (
                f"GSOCseq fallback rule: 0.6 vegetated, 1 bare soil and cropland in months "
                f"{list(months) or 'none'} (docs/methods/gsocseq.md §1.4)"
            ),
        )
        return cov.transpose("month", "y", "x").astype("float32")

    def _spinup(self, name: str) -> xr.DataArray:
        if self.has_input(f"{name}_spinup"):
            return self.input(f"{name}_spinup")
        if name == "pet" and not self.has_input("pet") and self.has_input("temperature_spinup"):
            self.note("pet_spinup", "Thornthwaite (1948) from temperature_spinup and latitude")
            return pet_thornthwaite_layer(self.get("temperature_spinup"), self.latitude())
        self.note(f"{name}_spinup", f"same as the forward {name} (no {name}_spinup layer)", keep=True)
        return self.get(name)

    def _pet_warmup(self) -> xr.DataArray:
        if self.has_input("pet_warmup"):
            return self.input("pet_warmup")
        if self.has_input("pet"):
            raise ConfigError(
                "a `pet` layer is given but no `pet_warmup` series: give `pet_warmup`, or drop `pet` "
                "to compute Thornthwaite PET for every period"
            )
        pet = pet_thornthwaite_series(self.get("temperature_warmup"), self.latitude())
        self.note("pet_warmup", "Thornthwaite (1948) year by year from temperature_warmup and latitude")
        return pet

    def _land_use(self) -> xr.DataArray:
        if self.has_input("land_use"):
            return self.input("land_use")
        if not self.has_input("land_cover"):
            raise Unavailable("no `land_cover` or `land_use` input layer")
        table = load_reclass_table(self.cfg.land_cover_legend)
        land_cover = self.input("land_cover")
        shown = self.cfg.relative_path(table.name) if table.name.lower().endswith(".csv") else table.name
        self.note("land_use", f"land_cover reclassified with table {shown}")
        return reclassify(land_cover, table, source=self.inputs.sources["land_cover"].paths[0], legends=legend_codes())
