"""Region configuration schema: the pydantic models of a region config.

Every key of a region YAML file is a field of :class:`Config` or of one of its
sections, with its type, default, bounds and description (``scsmap schema`` prints
them as JSON schema; docs/config.md is generated from them). Loading, merging and
path resolution are in :mod:`scsmap.config.load`.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import os
import re
import string
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from ..rothc.gsocseq import PIXEL_BATCH
from ..rules.practices import PRACTICE_IDS
from .catalogue import DEFAULT_LEGEND, LAND_COVER_LEGENDS, LAYERS, LEGEND_ALIASES
from .units import check_units

#: memory the Monte Carlo draws may hold per worker thread [MB]
MC_MEMORY_MB = 1024


RESAMPLING = Literal["auto", "nearest", "bilinear", "cubic", "average", "mode", "min", "max", "med"]


#: path prefixes GDAL reads without a local file (URLs, object stores, virtual file systems)
REMOTE_PREFIXES = ("/vsi", "http://", "https://", "ftp://", "s3://", "gs://", "az://")

#: a data file path as written (a local path, a URL or a GDAL virtual path such as /vsicurl/https://...): kept as a
#: string so that ``//`` in URLs survives; path-like objects are accepted and turned into strings
DataPath = Annotated[str, BeforeValidator(lambda v: os.fspath(v) if isinstance(v, os.PathLike) else v)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class BoundaryConfig(_Model):
    """Where the region's boundary polygon comes from.

    Give ``path`` (any vector file GDAL reads; all its features are dissolved,
    or those matching ``where``), or ``countries`` (a countries file) and the
    region's ``iso3`` code is looked up in ``iso3_fields``.
    """

    path: DataPath | None = Field(None, description="polygon file (GeoPackage, GeoJSON, shapefile, zip://...)")
    countries: DataPath | None = Field(None, description="countries file in which the region's ISO3 code is looked up")
    iso3_fields: list[str] = Field(
        ["ISO_A3", "ADM0_A3", "ISO3", "GID_0"], description="attribute names tried, in order, for the ISO3 lookup"
    )
    where: dict[str, str] | None = Field(None, description="attribute filter on `path`, e.g. {NAME: Skopje}")
    layer: str | None = Field(None, description="layer name inside a multi-layer vector file")
    all_touched: bool | None = Field(
        None,
        description="keep every grid cell the boundary touches, not only the cells whose centre is inside. "
        "True is how the GSOCseq stacks are cut: edge cells count with their whole value, so a region's "
        "pixel count grows by its rim (on the Bialowieza stack 439 simulated instead of 357 pixels) while "
        "area totals, weighted by the covered share of each cell, change only by the rim's uncovered values; "
        "default (null): true under outputs.naming: gsocseq, else false",
    )

    @model_validator(mode="after")
    def _one_source(self) -> BoundaryConfig:
        if (self.path is None) == (self.countries is None):
            raise ValueError("give exactly one of `path` (a polygon file) or `countries` (ISO3 lookup)")
        return self


class RegionConfig(_Model):
    """The region: its name, ISO3 code and extent."""

    name: str = Field(..., description="human-readable region name")
    iso3: str = Field(..., pattern=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3 code, e.g. MKD")
    boundary: BoundaryConfig | None = Field(None, description="boundary polygon; outputs are masked to it")
    bbox: tuple[float, float, float, float] | None = Field(
        None,
        description="lon/lat bounding box (min_lon, min_lat, max_lon, max_lat) in EPSG:4326; "
        "used for the grid when there is no boundary, or to clip it",
    )

    @model_validator(mode="after")
    def _extent(self) -> RegionConfig:
        if self.boundary is None and self.bbox is None:
            raise ValueError("give a `boundary` or a `bbox`")
        if self.bbox is not None:
            x0, y0, x1, y1 = self.bbox
            if not (-180 <= x0 < x1 <= 180 and -90 <= y0 < y1 <= 90):
                raise ValueError("bbox must be (min_lon, min_lat, max_lon, max_lat) within -180..180, -90..90")
        return self


class GridConfig(_Model):
    """The one grid every layer is warped into."""

    crs: str = Field("EPSG:4326", description="CRS of the region grid (EPSG code or WKT); equal-area CRSs allowed")
    resolution: float = Field(
        1 / 120,
        gt=0,
        allow_inf_nan=False,
        description="pixel size in CRS units (degrees for EPSG:4326; "
        "default 1/120 degree = 30 arc-seconds, the GSOCseq grid)",
    )
    like: str | None = Field(
        None,
        description="use the native grid of this input layer (e.g. soc_stock) "
        "instead of crs/resolution, cropped to the region",
    )
    snap: Literal["global", "none"] = Field(
        "global",
        description="'global': pixel edges on multiples of the resolution from the CRS origin "
        "(the global 30-arc-second grid); 'none': edges start at the region's corner",
    )
    chunk_size: int = Field(
        1024,
        ge=64,
        le=16384,
        description="dask chunk size in pixels (y and x); smaller chunks need less memory, larger ones "
        "spend less time per pixel on tasks and warp calls (docs/scaling.md)",
    )


class InputConfig(_Model):
    """One input layer: file(s), band(s), units and how to resample it."""

    path: DataPath | list[DataPath] = Field(
        ...,
        description="raster file; for monthly layers one 12-band file, "
        "a list of 12 files, or a pattern with {month} or {month:02d}; URLs and GDAL virtual paths "
        "(/vsicurl/..., /vsizip/..., zip://..., s3://...) reach GDAL unchanged",
    )
    bands: list[int] | None = Field(None, description="1-based band numbers (default: 1, or 1-12 for monthly layers)")
    units: str = Field(
        ...,
        description="units the file stores after scale/offset: any unit of the layer's dimension pint reads "
        "(e.g. 't ha-1', 't/ha', 'g kg-1', 'percent', 'mm month-1', 'K', 'degC'), or 'class' for class codes; "
        "converted to the layer's canonical unit",
    )
    scale: float = Field(1.0, description="raw values are multiplied by this first (e.g. 0.1)")
    offset: float = Field(0.0, description="then this is added")
    nodata: float | Literal["none"] | None = Field(
        None, description="nodata override: a value, or 'none' to ignore the file's own nodata; default: the file's"
    )
    crs: str | None = Field(None, description="CRS to assign when the file has none (or to override a wrong one)")
    kind: Literal["continuous", "categorical"] | None = Field(None, description="default: the layer's kind")
    resampling: RESAMPLING = Field(
        "auto",
        description="'auto': average when coarsening, bilinear otherwise (continuous); mode / nearest (categorical)",
    )
    legend: str | None = Field(
        None,
        description="land_cover only: the legend of its codes, mapped to the FAO land-use classes: a packaged legend ("
        + ", ".join(LAND_COVER_LEGENDS)
        + "; default esa_cci) or a CSV path with columns code,land_use (relative to the file that declares it)",
    )
    plausibility: bool = Field(
        True,
        description="refuse values whose distribution betrays a unit mistake (SOC stock in kg m-2 declared as t ha-1, "
        "organic carbon 10 times too small, a fraction declared as %); false where the values are right",
    )

    @field_validator("path")
    @classmethod
    def _pattern(cls, v: str | list[str]) -> str | list[str]:
        for p in [v] if isinstance(v, str) else v:
            check_month_pattern(p)
        return v


class FillConfig(_Model):
    """How a soil property is filled where a region has no raster for it."""

    constant: float | None = Field(None, description="a constant value in the layer's canonical unit")
    ptf: Literal["manrique_jones_1991", "alexander_1980"] | None = Field(
        None, description="pedotransfer function (bulk density from organic carbon %)"
    )
    source: str | None = Field(None, description="where the constant or the choice comes from")

    @model_validator(mode="after")
    def _one(self) -> FillConfig:
        if (self.constant is None) == (self.ptf is None):
            raise ValueError("give exactly one of `constant` or `ptf`")
        return self


class SaturationConfig(_Model):
    """Mineral-associated OC (MAOC) capacity and its use (docs/methods/saturation.md §4)."""

    method: Literal["georgiou2022", "hassink1997"] = Field("georgiou2022", description="capacity model")
    f_maoc: float = Field(
        0.66,
        gt=0,
        le=1,
        description="share of SOC that is mineral-associated "
        "(Georgiou et al. 2022: 0.66 of topsoil SOC); 1 for a conservative cap",
    )
    georgiou_slope_hac: float = Field(0.86, gt=0, description="g C kg-1 per % (clay+silt), 2:1 clays")
    georgiou_slope_lac: float = Field(0.48, gt=0, description="g C kg-1 per % (clay+silt), 1:1 clays")
    hassink_intercept: float = Field(4.09, description="g C kg-1 (Hassink 1997)")
    hassink_slope: float = Field(0.37, description="g C kg-1 per % of particles < 20 um (Hassink 1997)")
    hassink_silt_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description="share of the silt fraction counted as < 20 um (0.5 for 2-50 um silt; 1 where silt is 2-20 um)",
    )


class ParametersConfig(_Model):
    """Model parameters shared by the rules."""

    depth_cm: float = Field(30.0, gt=0, le=100, description="soil depth of the SOC stock, cm")
    horizon_years: int = Field(20, ge=1, le=200, description="time horizon of potentials, years")
    t0_year: int = Field(
        2020,
        ge=1900,
        le=2200,
        description="year of T0, the start of the horizon (GSOCseq: 2020, forward run 2020-2040, "
        "docs/methods/gsocseq.md §1.1); "
        "the data's time in the STAC catalogue: datetime T0, start_datetime T0, end_datetime T0 + horizon_years",
    )
    rate_4p1000: float = Field(0.004, gt=0, lt=1, description="4 per 1000 target rate, yr-1")
    lst_bias_c: float = Field(
        0.0,
        description="added to (LST day + LST night)/2 when monthly air temperature "
        "is derived from land-surface temperature, degC",
    )
    saturation: SaturationConfig = Field(default_factory=SaturationConfig)


class RothCConfig(_Model):
    """RothC / GSOCseq protocol settings (docs/methods/gsocseq.md §1, docs/methods/rothc.md §2)."""

    engine: Literal["rothamsted", "gsocseq_compat"] = Field(
        "rothamsted",
        description="'rothamsted': exact RothC 26.3 discrete monthly scheme with the periodic "
        "spin-up; 'gsocseq_compat': the FAO GSOCseq scripts' numerics (analytic spin-up, explicit Euler, 239 "
        "forward steps, SoilR temperature, fw1func moisture) for regression against published GSOCseq maps",
    )
    bau_input: Literal["equilibrium", "npp_scaled"] | None = Field(
        None,
        description="BAU C input when there is no warm-up series: 'equilibrium' = the spin-up equilibrium "
        "input C_eq; 'npp_scaled' = C_eq x NPP_forward / NPP_spin-up with MIAMI NPP of each period's "
        "climatology (the GSOCseq scripts' convention: their warm-up scales every year's input by its NPP). "
        "Default (null): npp_scaled when a separate spin-up climate (`*_spinup` layers) is given, else "
        "equilibrium (the two are identical when both periods share one climate). With a warm-up series the "
        "BAU input is the mean warm-up input",
    )
    ssm_increase: tuple[float, float, float] = Field(
        (0.05, 0.10, 0.20), description="relative C-input increase of SSM1, SSM2, SSM3 (GSOCseq: 5, 10, 20 %)"
    )
    uncertainty: bool = Field(True, description="run GSOCseq's min/max chains and write the uncertainty maps (%)")
    monte_carlo_draws: int = Field(
        0,
        ge=0,
        le=10000,
        description="Monte Carlo draws of the GSOCseq input bounds "
        "(0 = off); writes mean, SD, 5th and 95th percentile of each scenario's ASR; each draw holds "
        f"4 ASR values of {PIXEL_BATCH} pixels in float64 per worker thread (draws x 0.5 MB), "
        f"at most {MC_MEMORY_MB} MB",
    )

    @field_validator("monte_carlo_draws")
    @classmethod
    def _draws_fit(cls, v: int) -> int:
        need = v * 4 * PIXEL_BATCH * 8 / 2**20
        if need > MC_MEMORY_MB:
            most = int(MC_MEMORY_MB * 2**20 // (4 * PIXEL_BATCH * 8))
            raise ValueError(
                f"{v} draws hold about {need:,.0f} MB per worker thread (4 ASR x {PIXEL_BATCH} pixels x "
                f"8 bytes each), over {MC_MEMORY_MB} MB; at most {most} draws"
            )
        return v

    seed: int = Field(0, description="seed of the Monte Carlo draws (same config and inputs => same maps)")
    temperature_function: Literal["rothamsted", "soilr"] = Field(
        "rothamsted", description="RothC temperature factor: Rothamsted (0 below -5 degC) or SoilR/GSOCseq variant"
    )
    cropland_bare_months: list[int] = Field(
        default_factory=list,
        description="months (1-12) in which cropland is bare, for the cover fallback rule "
        "used when no `cover` layer is given",
    )
    moisture_depth_cm: float = Field(30.0, gt=0, description="topsoil depth of the moisture-deficit routine, cm")
    apply_gsocseq_corrections: bool = Field(
        False,
        description="set GSOCseq products to nodata where GSOCseq's map corrections fail (gsocseq_qa > 0); "
        "by default the flags are only reported in the gsocseq_qa layer",
    )

    @field_validator("cropland_bare_months")
    @classmethod
    def _months(cls, v: list[int]) -> list[int]:
        if any(m < 1 or m > 12 for m in v):
            raise ValueError("months are 1..12")
        return v


class TablesConfig(_Model):
    """Lookup tables (packaged names or paths to CSV files; see docs/regionalise.md)."""

    land_cover_reclass: str | None = Field(
        None,
        description="older spelling of inputs.land_cover.legend (a packaged legend or a CSV path with columns "
        "code,land_use); give one of the two",
    )
    ipcc_soc_ref: str = Field(
        "ipcc2006",
        description="IPCC Tier 1 reference SOC stocks (Table 2.3): packaged "
        "'ipcc2006' or a CSV with columns edition,climate,soil_class,value,tag,verified,source",
    )
    ipcc_factors: str = Field(
        "ipcc",
        description="IPCC stock-change factors F_LU, F_MG, F_I (Tables 5.5, 6.2) and "
        "the agroforestry F_AF: packaged 'ipcc' (2006 and 2019 rows) or a CSV with columns "
        "edition,land_use,factor,level,climate,value,tag,verified,source",
    )
    practice_rules: str = Field(
        "scsmap",
        description="practice rule table (eligibility, gates, thresholds; "
        "docs/methods/practices.md §6.2): packaged 'scsmap' or a CSV with the same columns",
    )
    practice_rates: str | None = Field(
        None,
        description="practice rate table used when practices.rate_source = "
        "table: packaged 'lessmann2021' or a country Tier 2 CSV with columns "
        "practice,climate,rate,tag,source [t C ha-1 yr-1]",
    )
    wrb_legend: str | None = Field(
        None,
        description="CSV with columns code,rsg: the WRB reference soil group of each code of the `wrb` input layer",
    )
    wrb_to_ipcc_soil: str = Field(
        "wrb_to_ipcc",
        description="WRB reference soil group -> IPCC soil class "
        "(docs/methods/ipcc.md §3.3): packaged 'wrb_to_ipcc' or a CSV with columns rsg,soil_class",
    )
    n2o_factors: str = Field(
        "ipcc",
        description="IPCC N2O factors EF1, EF4, EF5, FracLEACH, FracGAS (2006 and 2019 "
        "Vol 4 Ch 11; docs/methods/ghg.md §8.2): packaged 'ipcc' or a CSV with columns "
        "set,parameter,climate,n_type,value,tag,source",
    )
    gwp: str = Field(
        "ipcc",
        description="GWP100 values (AR4, AR5, AR6; docs/methods/ghg.md §8.1): packaged 'ipcc' or a CSV "
        "with columns set,gas,value,source",
    )
    practice_nitrogen: str = Field(
        "scsmap",
        description="N bookkeeping per practice (docs/methods/ghg.md §8.4): packaged "
        "'scsmap' or a CSV with columns practice,f_ext,n_ext_type,added_n_kg_ha_yr,"
        "added_n_type,delta_n2o_kg_ha_yr,tag,source",
    )
    rice_ch4: str = Field(
        "ipcc",
        description="rice CH4 factors, IPCC 2019 Vol 4 Ch 5.5 Tables 5.11-5.14 (baseline EF_c, SF_w, SF_p, CFOA; "
        "docs/methods/ghg.md §8.6): packaged 'ipcc' or a CSV with columns parameter,level,value,low,high,tag,source",
    )
    rice_ch4_practices: str = Field(
        "scsmap",
        description="the organic amendment each practice adds on rice (amendment = a CFOA level, roa_t_ha per "
        "season): packaged 'scsmap' or a CSV with columns practice,amendment,roa_t_ha,tag,source",
    )
    practice_costs: str | None = Field(
        None,
        description="net cost per practice, supplied by the task force "
        "(docs/methods/ghg.md §9.2): CSV with columns practice,land_use,region,cost_per_ha_yr,"
        "cost_per_tco2e,currency,year,tag,source; without it no cost products",
    )


class BaselineConfig(_Model):
    """Region-wide current management, used where no baseline layer is given (docs/methods/practices.md §6.2 gates)."""

    tillage: Literal["full_tillage", "reduced_tillage", "no_till"] = Field(
        "full_tillage", description="cropland tillage now (layer `baseline_tillage` wins)"
    )
    input: Literal["low", "medium", "high_without_manure", "high_with_manure"] = Field(
        "medium", description="cropland C input level now, IPCC Table 5.5 (layer `baseline_input` wins)"
    )
    grassland: Literal["nominal", "moderately_degraded", "severely_degraded", "improved", "high_intensity_grazing"] = (
        Field("nominal", description="grassland state now, IPCC Table 6.2 (layer `baseline_grassland` wins)")
    )
    residue_burning: bool = Field(False, description="crop residues are burned or removed now")
    irrigated: bool = Field(False, description="cropland is irrigated now")
    agroforestry: bool = Field(False, description="trees are already integrated (agroforestry) now")


class RelativeCapConfig(_Model):
    """Relative-rate cap that falls with the initial stock (docs/methods/saturation.md §4.4)."""

    stock_low: float = Field(30.0, ge=0, description="t C ha-1; at or below it the cap is rate_low")
    stock_high: float = Field(60.0, ge=0, description="t C ha-1; at or above it the cap is rate_high")
    rate_low: float = Field(0.010, ge=0, description="yr-1 (10 per mille)")
    rate_high: float = Field(0.004, ge=0, description="yr-1 (4 per mille)")

    @model_validator(mode="after")
    def _ordered(self) -> RelativeCapConfig:
        if self.stock_high <= self.stock_low:
            raise ValueError("stock_high must be greater than stock_low")
        return self


class PracticesConfig(_Model):
    """Practice suitability and practice rates (docs/methods/ipcc.md §3, docs/methods/saturation.md §4.3-4.4,
    docs/methods/practices.md §6)."""

    enabled: list[str] | None = Field(None, description="practice ids to map (default: all); see `scsmap products`")
    ipcc_edition: Literal[2006, 2019] = Field(
        2019,
        description="IPCC edition of the stock-change factors; "
        "SOC_REF stays 2006 (2019 Table 2.3 not transcribed, docs/methods/ipcc.md §3.4b)",
    )
    rate_source: Literal["tier1", "table"] = Field(
        "tier1",
        description="'tier1': SOC_REF x F_LU x (F_new - F_old) / D; 'table': tables.practice_rates where "
        "it has a value for the practice and climate (Tier 2), Tier 1 elsewhere",
    )
    transition_years: float = Field(
        20.0, gt=0, description="IPCC D: years over which a Tier 1 stock change happens (then 0)"
    )
    default_soil_class: Literal["hac", "lac"] = Field(
        "hac", description="IPCC soil class where no WRB layer says otherwise and the soil is not sandy"
    )
    best_of: Literal["suitable", "suitable_or_conditional"] = Field(
        "suitable", description="which suitability classes best_practice and rate_combined may pick"
    )
    efficiency_beta: float | None = Field(
        None,
        ge=0,
        description="optional saturation efficiency: rate x "
        "(1 - saturation/100)^beta (docs/methods/saturation.md §4.3 step 5); null = off",
    )
    poc_allowance: float = Field(0.0, ge=0, description="t C ha-1 added to the MAOC deficit in the capacity cap")
    relative_cap: RelativeCapConfig = Field(default_factory=RelativeCapConfig)
    exclude_soc_above: float = Field(200.0, gt=0, description="t C ha-1; soils above are excluded (organic)")
    exclude_sand_above: float = Field(90.0, gt=0, le=100, description="% sand; soils above are excluded")
    exclude_soil_classes: list[Literal["hac", "lac", "sandy", "spodic", "volcanic", "wetland", "organic"]] = Field(
        ["organic", "wetland"], description="IPCC soil classes excluded from every practice"
    )
    marginal_slope_percent: float = Field(
        16.0, ge=0, description="cropland steeper than this is marginal (set-aside), %"
    )
    marginal_aridity_index: float = Field(0.20, ge=0, description="cropland with a lower aridity index is marginal")
    available_resources: list[Literal["manure", "irrigation_water"]] = Field(
        default_factory=list,
        description="resources known to be available; practices needing another are 'conditional' (reason bit 128)",
    )
    manure_n_kg_ha: float | None = Field(
        None,
        ge=0,
        description="manure N available, kg N ha-1 yr-1: caps the "
        "organic-amendment gain at N x 10 x 0.001 x 0.5 t C (docs/methods/practices.md §6.2 P4a)",
    )
    baseline: BaselineConfig = Field(default_factory=BaselineConfig)
    rules: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="overrides of practice rule table cells, e.g. {cover_crops: {ai_conditional_below: 0.4}}",
    )

    @field_validator("enabled")
    @classmethod
    def _known(cls, v: list[str] | None) -> list[str] | None:
        bad = [p + did_you_mean(p, PRACTICE_IDS) for p in v or [] if p not in PRACTICE_IDS]
        if bad:
            raise ValueError(f"unknown practice(s) {', '.join(bad)}; known: {', '.join(PRACTICE_IDS)}")
        return v

    @field_validator("rules")
    @classmethod
    def _known_rules(cls, v: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        cls._known(list(v))
        return v


class GhgConfig(_Model):
    """Net greenhouse-gas balance, costs and baselines of practices (docs/methods/ghg.md §8-§9)."""

    gwp_set: Literal["AR4", "AR5", "AR6"] = Field(
        "AR6",
        description="GWP100 set of N2O (AR4 298, AR5 265, AR6 "
        "273); AR5 is the one of Paris-Agreement inventory reporting",
    )
    n2o_factor_set: Literal["2019", "2019_aggregated", "2006"] = Field(
        "2019",
        description="IPCC N2O emission factors: '2019' disaggregated by wet/dry climate and N type, "
        "'2019_aggregated' or '2006' (leaching only in wet climates in all sets)",
    )
    cn_ratio: float = Field(
        10.0,
        gt=0,
        description="C:N of the SOM a practice builds (IPCC R = 10; Kirkby et al. "
        "2011 about 12; Tipping et al. 2016 nutrient-rich SOM 8.3; docs/methods/ghg.md §8.3)",
    )
    cn_ratio_loss: float = Field(
        10.0,
        gt=0,
        description="C:N of SOM lost where a practice loses SOC (IPCC "
        "2006 Eq 11.8 R = 10 for management change on cropland)",
    )
    price: float = Field(
        100.0,
        ge=0,
        description="carbon price for abatement_at_price, in the cost table's "
        "currency per t CO2e; `scsmap run --price` overrides it",
    )
    rate_units: Literal["t C", "t CO2"] = Field(
        "t C",
        description="unit of the written rate maps (t ha-1 yr-1 "
        "products): 't CO2' multiplies them by 44/12 (statistics give both)",
    )
    rice_water_regime: Literal[
        "continuously_flooded",
        "single_drainage",
        "multiple_drainage",
        "regular_rainfed",
        "drought_prone",
        "deep_water",
        "upland",
    ] = Field(
        "continuously_flooded",
        description="water regime of rice during the season (IPCC 2019 Table 5.12 SF_w) for the CH4 a practice's "
        "organic amendment adds on rice (where the `rice` layer is 1)",
    )
    rice_preseason: Literal["non_flooded_lt180", "non_flooded_gt180", "flooded_gt30", "non_flooded_gt365"] = Field(
        "non_flooded_lt180",
        description="water regime before the rice season (IPCC 2019 Table 5.13 SF_p; the baseline EF_c assumes "
        "non-flooded < 180 days)",
    )
    rice_cultivation_days: float = Field(
        120.0,
        gt=0,
        le=366,
        description="rice cultivation period of one season, days (IPCC 2019 Table 5.11A gives "
        "regional defaults; scsmap default 120 [D])",
    )
    rice_seasons: float = Field(1.0, gt=0, le=3, description="rice seasons per year")
    baseline_increasing_above: float = Field(
        0.4, description="baseline_class: BAU ASR above this % of SOC_T0 per year is 'increasing' (4 per 1000)"
    )
    baseline_declining_below: float = Field(
        -0.4,
        description="baseline_class: BAU ASR below this % per year is 'declining'; between the two 'near constant'",
    )

    @model_validator(mode="after")
    def _order(self) -> GhgConfig:
        if self.baseline_declining_below > self.baseline_increasing_above:
            raise ValueError("baseline_declining_below must not be above baseline_increasing_above")
        return self


class OutputsConfig(_Model):
    """Where and how products are written."""

    dir: Path | None = Field(None, description="output directory (default: out/<config name>)")
    naming: Literal["scsmap", "gsocseq"] = Field("scsmap", description="file naming preset")
    overwrite: bool = Field(False, description="replace existing outputs")
    products: list[str] | None = Field(None, description="product ids to write (default: all that the inputs allow)")
    nodata: float = Field(-9999.0, description="nodata value of float products")
    license: str = Field(
        "other",
        pattern=r"^[A-Za-z0-9.+-]+$",
        description="licence of the products, an SPDX identifier (e.g. CC-BY-4.0, the licence your inputs allow) or "
        "'other'; written into the STAC catalogue with a link (the SPDX page, or license_url)",
    )
    license_url: str | None = Field(
        None, description="where the products' terms are written (a URL); the STAC licence link for 'other'"
    )
    tile_size: int = Field(
        512,
        ge=128,
        le=4096,
        multiple_of=16,
        description="COG tile size in pixels: a multiple of 16 from 128 to 4096 (GDAL's limits)",
    )
    trajectory_years: int = Field(
        50,
        ge=0,
        le=200,
        description="years of the national trajectory written to trajectory.csv (cumulative Mt C and Mt CO2 "
        "by year per practice and per RothC scenario); 0 = no trajectory",
    )
    trajectory_rothc_step: int = Field(
        5,
        ge=1,
        le=50,
        description="the RothC scenarios' SOC is recorded every this many forward years (each recorded year "
        "costs 4 values per pixel in the GSOCseq stack); the years between are not interpolated but left empty",
    )
    legend: Literal["data", "fixed"] = Field(
        "data",
        description="legend ranges of the continuous maps in the QGIS styles, the QGIS project and the report: "
        "'data' = each map's 2nd-98th percentiles in this run, rounded to round numbers (readable maps), "
        "'fixed' = each family's default range from the literature (the same colours in every region and run; "
        "docs/products.md, Legends)",
    )


class AdminUnitsConfig(_Model):
    """A polygon file of admin units (countries, admin-1 ...) to compute statistics for."""

    path: DataPath = Field(..., description="polygon file GDAL reads (GeoPackage, GeoJSON, shapefile, zip://...)")
    layer: str | None = Field(None, description="layer name inside a multi-layer vector file")
    id_field: str | None = Field(None, description="attribute with the unit id (default: the feature number)")
    name_field: str | None = Field(
        None,
        description="attribute with the unit name (default: the first of NAME, "
        "name, NAME_1, ADM1_EN, shapeName, NAME_EN present)",
    )
    where: dict[str, str] | None = Field(None, description="attribute filter, e.g. {ISO_A3: MKD}")
    label: str | None = Field(None, description="name of this set of units in the statistics (default: file stem)")


class StatisticsConfig(_Model):
    """Area-weighted statistics written by `scsmap stats` (stats.csv, stats.gpkg)."""

    admin: list[AdminUnitsConfig] = Field(
        default_factory=list, description="admin-unit polygon files; the region's own boundary is always a unit"
    )
    group_by: list[str] = Field(
        ["land_use", "ipcc_climate_zone"],
        description="class-map products to break every unit down by, when the run wrote them",
    )


class ComputeConfig(_Model):
    """Where the dask graph runs (docs/scaling.md). Never changes what is written: outputs are
    byte-identical whichever scheduler computes them, and this section is left out of the
    config digest (``CONFIG_SHA256``)."""

    scheduler: str = Field(
        "threads",
        description="'threads' (default: this process), 'processes' (a local "
        "dask.distributed cluster with memory limits) or the address of a running dask "
        "scheduler, e.g. 'tcp://10.0.0.5:8786' (dask-jobqueue, Kubernetes, cloud); "
        "`scsmap run --scheduler` overrides it",
    )
    n_workers: int | None = Field(
        None, ge=1, le=1024, description="'processes': worker processes (default: one per CPU core)"
    )
    threads_per_worker: int = Field(1, ge=1, le=256, description="'processes': threads per worker")
    memory_limit: str = Field(
        "auto",
        description="'processes': memory limit per worker, e.g. '4GB'; 'auto' "
        "shares the machine's memory between the workers; workers spill to disk, then "
        "pause, before reaching it",
    )
    gdal_config: dict[str, str] = Field(
        default_factory=dict,
        description="GDAL config options set in this "
        "process and on every worker, e.g. {GDAL_CACHEMAX: '256', "
        "GDAL_NUM_THREADS: '1'}; GDAL_*, CPL_* and VSI_* environment variables "
        "of this process are passed to the workers too. GDAL's block cache is "
        "512 MB unless GDAL_CACHEMAX is set here or in the environment",
    )
    connect_timeout_s: float = Field(30.0, gt=0, description="seconds to wait for a scheduler address to answer")
    max_pixels: int | None = Field(
        None,
        gt=0,
        description="largest grid a run accepts (pixels); default: half the machine's memory in bytes, "
        "e.g. 12.9e9 on 24 GiB. A guard against slips such as a resolution in the wrong CRS units",
    )
    pass_pixels: int = Field(
        16_000_000,
        ge=1,
        description="grids with more pixels are computed in chunk-aligned "
        "windows of at most this many pixels, one after the other, so that memory stays "
        "bounded whatever the grid size (same maps; statistics to the last bits)",
    )

    @field_validator("scheduler")
    @classmethod
    def _scheduler(cls, v: str) -> str:
        if v in ("threads", "processes") or re.match(r"^[a-z][a-z0-9+]*://\S+$", v):
            return v
        raise ValueError("give 'threads', 'processes' or a scheduler address such as 'tcp://host:8786'")


class GsocseqStacksConfig(_Model):
    """GSOCseq 52-band input stacks (docs/methods/gsocseq.md §1.2), expanded into `inputs` when the config is loaded."""

    spinup: Path | None = Field(None, description="spin-up stack: SOC, clay, spin-up climate, DR, land use, cover")
    forward: Path | None = Field(
        None, description="forward stack: the forward climate (everything, without a spin-up stack)"
    )


class Config(_Model):
    """A complete, validated region configuration."""

    region: RegionConfig
    gsocseq_stacks: GsocseqStacksConfig | None = Field(
        None,
        description="GSOCseq 52-band stacks; band layout 1 SOC, 2 clay, 3-14 T, 15-26 P, 27-38 PET, 39 DR, "
        "40 land use, 41-52 cover. Explicit `inputs` win",
    )
    data_dir: Path | None = Field(None, description="base directory of relative input paths")
    grid: GridConfig = Field(default_factory=GridConfig)
    inputs: dict[str, InputConfig] = Field(default_factory=dict, description="input layers by canonical name")
    fill: dict[str, FillConfig] = Field(
        default_factory=dict,
        description="fills for soil properties a region lacks: silt, bulk_density, coarse_fragments, clay_activity",
    )
    parameters: ParametersConfig = Field(default_factory=ParametersConfig)
    rothc: RothCConfig = Field(default_factory=RothCConfig)
    practices: PracticesConfig = Field(default_factory=PracticesConfig)
    ghg: GhgConfig = Field(default_factory=GhgConfig)
    tables: TablesConfig = Field(default_factory=TablesConfig)
    outputs: OutputsConfig = Field(default_factory=OutputsConfig)
    statistics: StatisticsConfig = Field(default_factory=StatisticsConfig)
    compute: ComputeConfig = Field(
        default_factory=ComputeConfig,
        description="where the computation runs "
        "(threads, local processes or a dask scheduler address); no effect on outputs",
    )

    # set by the loader, not by users
    source: Path | None = Field(None, exclude=True, description="config file this was loaded from")

    @field_validator("inputs")
    @classmethod
    def _known_layers(cls, v: dict[str, InputConfig]) -> dict[str, InputConfig]:
        unknown = [k for k in v if k not in LAYERS]
        if unknown:
            raise ValueError(
                "unknown input layer(s): "
                + ", ".join(f"{k!r}{did_you_mean(k, LAYERS)}" for k in unknown)
                + f"; known layers: {', '.join(LAYERS)}"
            )
        for name, spec in v.items():
            problem = check_units(name, spec.units)
            if problem:
                raise ValueError(f"{name}: units {problem}")
        return v

    @field_validator("fill")
    @classmethod
    def _known_fills(cls, v: dict[str, FillConfig]) -> dict[str, FillConfig]:
        allowed = ("silt", "bulk_density", "coarse_fragments", "clay_activity")
        unknown = [k for k in v if k not in allowed]
        if unknown:
            raise ValueError(
                "cannot fill "
                + ", ".join(f"{k!r}{did_you_mean(k, allowed)}" for k in unknown)
                + f"; fillable: {', '.join(allowed)}"
            )
        for k, f in v.items():
            if f.ptf is not None and k != "bulk_density":
                raise ValueError(f"{k}: pedotransfer functions exist only for bulk_density")
        return v

    @model_validator(mode="after")
    def _cross(self) -> Config:
        if self.grid.like is not None and self.grid.like not in self.inputs:
            raise ValueError(
                f"grid.like = {self.grid.like!r} is not one of the inputs ({', '.join(self.inputs) or 'none'})"
            )
        others = [n for n, spec in self.inputs.items() if spec.legend is not None and n != "land_cover"]
        if others:
            raise ValueError(f"inputs.{others[0]}.legend: only the land_cover layer has a legend")
        lc = self.inputs.get("land_cover")
        given = [v for v in (lc.legend if lc else None, self.tables.land_cover_reclass) if v is not None]
        if len(given) == 2 and given[0] != given[1]:
            raise ValueError(
                f"inputs.land_cover.legend ({given[0]!r}) and tables.land_cover_reclass ({given[1]!r}) disagree: "
                "give inputs.land_cover.legend only"
            )
        name = given[0] if given else DEFAULT_LEGEND
        if not name.lower().endswith(".csv") and LEGEND_ALIASES.get(name, name) not in LAND_COVER_LEGENDS:
            close = did_you_mean(name, [*LAND_COVER_LEGENDS, *LEGEND_ALIASES])
            raise ValueError(
                f"land-cover legend {name!r}{close} is neither a packaged legend ({', '.join(LAND_COVER_LEGENDS)}) "
                "nor a CSV file (columns code,land_use)"
            )
        return self

    @property
    def boundary_all_touched(self) -> bool:
        """``region.boundary.all_touched``, or its default: True under the ``gsocseq`` naming preset."""
        b = self.region.boundary
        if b is not None and b.all_touched is not None:
            return b.all_touched
        return self.outputs.naming == "gsocseq"

    @property
    def land_cover_legend(self) -> str:
        """The legend of the land-cover layer: ``inputs.land_cover.legend``, else ``tables.land_cover_reclass``,
        else ``esa_cci``; a packaged legend's name (aliases resolved) or a CSV path."""
        lc = self.inputs.get("land_cover")
        name = (lc.legend if lc else None) or self.tables.land_cover_reclass or DEFAULT_LEGEND
        return LEGEND_ALIASES.get(name, name)

    @property
    def region_id(self) -> str:
        """Short id of the run: the config file's stem (e.g. ``mkd``), else the ISO3 code."""
        return self.source.stem if self.source else self.region.iso3.lower()

    @property
    def output_dir(self) -> Path:
        """Output directory: ``outputs.dir`` or ``out/<region_id>``."""
        return self.outputs.dir if self.outputs.dir is not None else Path("out") / self.region_id

    def relative_path(self, path: str | os.PathLike[str]) -> str:
        """A data path as the products and the digest show it: relative to ``data_dir`` when it lies inside it,
        else relative to the config file's folder (``../`` where needed); URLs and GDAL virtual paths unchanged.

        So that product tags (``SOURCE_<layer>``) and ``CONFIG_SHA256`` do not depend on where the project
        sits on a disk (``/home/ana/...`` or ``C:\\Users\\...``).

        Parameters
        ----------
        path : str or path-like
            A path as the loader resolved it (absolute), or a remote path.

        Returns
        -------
        str
            POSIX-style relative path; the path unchanged when it is remote, when the config was not loaded
            from a file and has no ``data_dir``, or when no relative path exists (another drive).
        """
        text = os.fspath(path)
        prefix = ""
        if text.startswith("zip://"):
            prefix, text = "zip://", text.removeprefix("zip://")
        if text.startswith(REMOTE_PREFIXES) or not os.path.isabs(text.split("!")[0]):
            return prefix + text
        target = Path(text.split("!")[0])
        rest = text[len(text.split("!")[0]) :]
        bases = [b for b in (self.data_dir, self.source.parent if self.source else None) if b is not None]
        for base in bases:
            if target.is_relative_to(base):
                return prefix + target.relative_to(base).as_posix() + rest
        if self.source is not None:
            try:
                return prefix + Path(os.path.relpath(target, self.source.parent)).as_posix() + rest
            except ValueError:  # another drive (Windows)
                pass
        return prefix + text

    def digest(self) -> str:
        """sha256 of the validated config (JSON, sorted keys): identifies a run's settings.

        The ``compute`` section (where the graph runs) is left out: it never changes the outputs. Data paths
        enter relative to ``data_dir`` or the config's folder (:meth:`relative_path`), and ``data_dir`` relative
        to the config's folder, so the digest does not change when the project moves to another folder or
        machine.

        Returns
        -------
        str
            Hex digest (``CONFIG_SHA256`` of the products).
        """
        data = self.model_dump(mode="json", exclude={"compute"})
        rel = self.relative_path
        if self.data_dir is not None and self.source is not None:
            with contextlib.suppress(ValueError):  # another drive (Windows): kept absolute
                data["data_dir"] = Path(os.path.relpath(self.data_dir, self.source.parent)).as_posix()
        for spec in data["inputs"].values():
            spec["path"] = [rel(p) for p in spec["path"]] if isinstance(spec["path"], list) else rel(spec["path"])
            if isinstance(spec.get("legend"), str) and spec["legend"].lower().endswith(".csv"):
                spec["legend"] = rel(spec["legend"])
        boundary = data["region"].get("boundary")
        for key in ("path", "countries"):
            if boundary and isinstance(boundary.get(key), str):
                boundary[key] = rel(boundary[key])
        for unit in data["statistics"]["admin"]:
            unit["path"] = rel(unit["path"])
        data["tables"] = {
            k: rel(v) if isinstance(v, str) and v.lower().endswith(".csv") else v for k, v in data["tables"].items()
        }
        blob = json.dumps(data, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A hint naming the closest of ``choices`` to a misspelt ``word``.

    Parameters
    ----------
    word : str
    choices : iterable of str

    Returns
    -------
    str
        ``" (did you mean 'x'?)"``, or ``""`` when nothing is close (difflib ratio < 0.6).
    """
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


#: format specs accepted for the month of a path pattern: {month} (1..12), {month:02d} (01..12), {month:d}
MONTH_SPECS = ("", "d", "02d")


def check_month_pattern(path: str) -> None:
    """Refuse path patterns other than ``{month}`` / ``{month:02d}`` (no other fields, no attribute access).

    Raises
    ------
    ValueError
        Naming the field that is not accepted.
    """
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(path) if name is not None]
    except ValueError as exc:  # unbalanced braces
        raise ValueError(f"{path!r}: not a valid path pattern ({exc}); write {{month:02d}} for the month") from None
    for name, spec, conv in fields:
        if name != "month" or conv is not None or spec not in MONTH_SPECS:
            shown = "{" + name + (f"!{conv}" if conv else "") + (f":{spec}" if spec else "") + "}"
            raise ValueError(
                f"{path!r}: {shown} is not a path pattern scsmap fills; use {{month}} or {{month:02d}} "
                "(months 1-12), or list the files"
            )
