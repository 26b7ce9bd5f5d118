"""Practice suitability, Tier 1 / Tier 2 practice rates with saturation caps, and composites.

Pure numpy, per pixel (docs/methods/ipcc.md §3.7, docs/methods/saturation.md §4.3-4.4,
docs/methods/practices.md §6). :func:`evaluate` takes flat or
N-d arrays of the pixel inputs and returns, for each practice of the rule table,
a suitability class, reason bits and a capped rate, plus the composites.

Suitability classes: 0 unsuitable, 1 conditional, 2 suitable, 3 unknown (an input the rule
needs is missing, :data:`UNKNOWN`). A pixel that its known inputs already make unsuitable is
unsuitable even where another input is missing (a forest pixel without a clay value is not
eligible for no-till, whatever its clay). ``best_practice`` (and the GHG composites
``best_practice_net`` and ``cheapest_practice``) use 0 for "no suitable practice" and
:data:`UNKNOWN_PRACTICE` where no practice qualifies and at least one is unknown.

Reason bits (a bit set on a class-1 pixel names the condition that made it conditional):

====  =====  =================================================================
bit   value  meaning
====  =====  =================================================================
0     1      land use not eligible (or, for marginal-only practices, not marginal)
1     2      climate: too arid / too humid for the practice, or zone excluded
2     4      too steep
3     8      soil excluded (SOC > 200 t/ha, sand > 90 %, organic or wetland
             soil), or a texture condition (clay) for a conditional pixel
4     16     saturated: MAOC saturation ratio ≥ 100 % (no mineral-associated gain)
5     32     already practised (baseline is at or beyond the practice level)
6     64     an input the rule needs is missing (class 3 unknown; no other bit is
             then set), or no Tier 1 table value for the pixel's climate zone and
             soil (class 0)
7     128    needs a resource whose availability is not known (manure,
             irrigation water): conditional
====  =====  =================================================================
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._types import BoolArray, FloatArray, IntArray
from .ipcc_classes import N_ZONES, SOILS, ZONES

#: the practices scsmap maps, in the order of the packaged rule table (``scsmap/data/practices.csv``);
#: their products are ``suitability_<p>``, ``suitability_reason_<p>`` and ``rate_<p>``
PRACTICE_IDS: tuple[str, ...] = (
    "cover_crops",
    "reduced_tillage",
    "no_till",
    "residue_retention",
    "organic_amendments",
    "balanced_fertilisation",
    "agroforestry",
    "improved_grazing",
    "grassland_restoration",
    "irrigation",
    "set_aside",
    "paddy_management",
)

#: baseline attributes and their level names; raster layers carry the 1-based codes
BASELINE_LEVELS: dict[str, tuple[str, ...]] = {
    "tillage": ("full_tillage", "reduced_tillage", "no_till"),
    "input": ("low", "medium", "high_without_manure", "high_with_manure"),
    "grassland": ("nominal", "moderately_degraded", "severely_degraded", "improved", "high_intensity_grazing"),
    "residue_burning": ("false", "true"),
    "irrigated": ("false", "true"),
    "agroforestry": ("false", "true"),
}

BIT_LAND_USE, BIT_CLIMATE, BIT_SLOPE, BIT_SOIL, BIT_SATURATED, BIT_ALREADY, BIT_MASKED, BIT_RESOURCE = (
    1 << i for i in range(8)
)

#: suitability class of a pixel where an input the rule needs is missing
UNKNOWN = 3
#: ``best_practice`` (``best_practice_net``, ``cheapest_practice``) code where no practice qualifies and at least
#: one practice is unknown (its suitability is :data:`UNKNOWN`); 0 is "no suitable practice", 255 nodata, and the
#: practice codes of the rule table are 1..253
UNKNOWN_PRACTICE = 254

COMPOSITES = (
    "best_practice",
    "rate_best",
    "rate_combined",
    "potential_total",
    "share_4p1000",
    "years_to_saturation",
    "rate_best_low",
    "rate_best_high",
)


@dataclass(frozen=True)
class LandUseIpcc:
    """FAO land-use class → IPCC land use and cropland F_LU level (``scsmap/data/land_use_ipcc.csv``).

    Attributes
    ----------
    group : numpy.ndarray
        int8 (256,) by FAO class code: 0 not cropland or grassland, 1 cropland, 2 grassland.
    f_lu_level : dict of int to str
        Cropland classes → level of F_LU in IPCC Table 5.5 (``long_term_cultivated``, ``paddy_rice``, ...).
    """

    group: NDArray[np.int8]
    f_lu_level: dict[int, str]


@dataclass
class Tier1Tables:
    """IPCC Tier 1 reference stocks and stock-change factors of one edition.

    Attributes
    ----------
    edition : int
        2006 or 2019 (factors).
    socref_edition : int
        Edition of the SOC_REF values (2006 also when 2019 is asked: the 2019
        Table 2.3 is not transcribed, docs/methods/ipcc.md).
    soc_ref : numpy.ndarray
        [t C ha-1], shape (13, 8): zone code × soil class code; NaN = no value.
    factors : dict
        ``(land_use, factor, level)`` → array (13,) of values per zone code.
    land_use : LandUseIpcc
        Which FAO land-use classes are cropland or grassland, and their F_LU level.
    rows : tuple of dict
        The factor table rows of this edition (column → text), for product tags.
    errors : dict
        ``(land_use, factor, level)`` → array (13,) of the relative 95 % half-width of each value per
        zone code [1] (the ± error column of IPCC Tables 5.5 and 6.2); NaN where none is transcribed
        (counted as 0 and named in the tags).
    """

    edition: int
    socref_edition: int
    soc_ref: FloatArray
    factors: dict[tuple[str, str, str], FloatArray]
    land_use: LandUseIpcc
    rows: tuple[dict[str, str], ...] = ()
    errors: dict[tuple[str, str, str], FloatArray] = field(default_factory=dict)

    def describe(self, land_use: str, factor: str, levels: tuple[str, ...]) -> str:
        """The rows used for a factor change, as compact JSON (for product tags).

        Parameters
        ----------
        land_use : {"cropland", "grassland"}
        factor : str
            ``F_LU``, ``F_MG``, ``F_I`` or ``F_AF``.
        levels : tuple of str
            The levels of the change.

        Returns
        -------
        str
            JSON list of ``{level, climate, value, tag}``.
        """
        sel = [r for r in self.rows if r["land_use"] == land_use and r["factor"] == factor and r["level"] in levels]
        return json.dumps(
            [{k: r[k] for k in ("level", "climate", "value", "tag")} for r in sel],
            ensure_ascii=False,
            separators=(",", ":"),
        )


@dataclass(frozen=True)
class PracticeRule:
    """One row of the practice rule table (docs/methods/practices.md §6.2).

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
    requires : str
        An input layer the rule needs beyond the common ones (e.g. ``rice``, a 0/1 mask): where it is
        missing (no layer, or nodata on an eligible pixel) the rule's input is missing (class 0, reason
        bit 64, rate NaN); where it is 0 the pixel is not eligible (bit 1). Empty: none.
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
    requires: str = ""
    color: str = "#888888"
    tag: str = ""
    source: str = ""


@dataclass(frozen=True)
class PracticeSettings:
    """Scalar settings of the practice rules (from ``practices`` and ``parameters`` in the config).

    Attributes
    ----------
    transition_years : float
        IPCC D [yr]: Tier 1 stock change spreads over D years (default 20).
    horizon_years : float
        Horizon of ``potential_total`` [yr].
    rate_4p1000 : float
        [yr-1], 0.004.
    best_of : int
        Lowest suitability class that ``best_practice`` may pick (2 suitable only, 1 also conditional).
    efficiency_beta : float or None
        Optional saturation-efficiency exponent β (docs/methods/saturation.md §4.3 step 5).
    poc_allowance : float
        [t ha-1] added to the MAOC deficit in the capacity cap (docs/methods/saturation.md §4.3 step 4).
    relative_cap : (float, float, float, float)
        (stock_low, stock_high, rate_low, rate_high): relative-rate cap r_max(SOC)
        = rate_low [yr-1] up to stock_low [t ha-1], linear to rate_high at stock_high, then held.
    exclude_soc_above, exclude_sand_above : float
        [t ha-1], [%].
    exclude_soil_classes : tuple of str
    marginal_slope_percent, marginal_aridity_index : float
        Marginal cropland for marginal-only practices: slope above or AI below.
    available_resources : tuple of str
    manure_n_kg_ha : float or None
        Manure N available [kg N ha-1 yr-1] for the P4a cap; None = not applied.
    baseline : dict
        Region default level per baseline attribute.
    """

    transition_years: float = 20.0
    horizon_years: float = 20.0
    rate_4p1000: float = 0.004
    best_of: int = 2
    efficiency_beta: float | None = None
    poc_allowance: float = 0.0
    relative_cap: tuple[float, float, float, float] = (30.0, 60.0, 0.010, 0.004)
    exclude_soc_above: float = 200.0
    exclude_sand_above: float = 90.0
    exclude_soil_classes: tuple[str, ...] = ("organic", "wetland")
    marginal_slope_percent: float = 16.0
    marginal_aridity_index: float = 0.20
    available_resources: tuple[str, ...] = ()
    manure_n_kg_ha: float | None = None
    baseline: dict[str, str] = field(
        default_factory=lambda: {
            "tillage": "full_tillage",
            "input": "medium",
            "grassland": "nominal",
            "residue_burning": "false",
            "irrigated": "false",
            "agroforestry": "false",
        }
    )


def output_names(rules: Iterable[PracticeRule]) -> list[str]:
    """Names of the layers :func:`evaluate` returns, in order.

    Parameters
    ----------
    rules : iterable of PracticeRule

    Returns
    -------
    list of str
        ``suitability_<p>``, ``suitability_reason_<p>``, ``rate_<p>``, ``rate_<p>_low``, ``rate_<p>_high``
        per rule, then :data:`COMPOSITES`.
    """
    names: list[str] = []
    for r in rules:
        p = r.practice
        names += [f"suitability_{p}", f"suitability_reason_{p}", f"rate_{p}", f"rate_{p}_low", f"rate_{p}_high"]
    return names + list(COMPOSITES)


def relative_rate_cap(
    soc: ArrayLike, stock_low: float = 30.0, stock_high: float = 60.0, rate_low: float = 0.010, rate_high: float = 0.004
) -> FloatArray:
    """Relative-rate cap r_max(SOC_T0) [yr-1] that falls with the initial stock.

    ``r_max = rate_low`` for SOC ≤ stock_low, linear to ``rate_high`` at
    stock_high, ``rate_high`` above.

    Parameters
    ----------
    soc : array_like
        SOC stock at T0 [t ha-1].
    stock_low, stock_high : float
        [t ha-1].
    rate_low, rate_high : float
        [yr-1].

    Returns
    -------
    numpy.ndarray
        [yr-1], float64, shape of ``soc``; the rate cap is ``r_max · SOC`` [t ha-1 yr-1].

    References
    ----------
    Minasny, B. et al. (2017) Geoderma 292:59-86: up to ~10 ‰ yr-1 where topsoil SOC < 30 t ha-1,
    4 ‰ as the general aspiration; the cap is a scsmap default [D] (docs/methods/saturation.md §4.4).
    """
    soc = np.asarray(soc, dtype="f8")
    r_max: FloatArray = np.interp(soc, [stock_low, stock_high], [rate_low, rate_high])
    return r_max


def cap_rate(
    rate: ArrayLike,
    deficit: ArrayLike,
    soc: ArrayLike,
    saturation_ratio: ArrayLike,
    duration: float | FloatArray,
    settings: PracticeSettings,
    extra_cap: float | FloatArray | None = None,
) -> FloatArray:
    """Cap a practice rate by the saturation deficit and the relative-rate cap.

    ``capped = min(rate · eff, (deficit + POC allowance) / duration, r_max(SOC) · SOC[, extra_cap])``
    for positive rates, ``eff = (1 − sat/100)^β`` when β is set (else 1); rates
    ≤ 0 are returned unchanged (a loss is never capped upwards).

    Parameters
    ----------
    rate : array_like
        Uncapped rate [t ha-1 yr-1].
    deficit : array_like
        MAOC saturation deficit [t ha-1] (docs/methods/saturation.md §4.3).
    soc : array_like
        SOC stock at T0 [t ha-1].
    saturation_ratio : array_like
        [%].
    duration : float or numpy.ndarray
        Years over which the rate is counted [yr].
    settings : PracticeSettings
    extra_cap : float or numpy.ndarray, optional
        A further cap [t ha-1 yr-1] (e.g. the manure-N cap of docs/methods/practices.md §6.2 P4a).

    Returns
    -------
    numpy.ndarray
        [t ha-1 yr-1], float64; ``capped · duration ≤ deficit + POC allowance`` for positive rates.

    References
    ----------
    Georgiou, K. et al. (2022) Nat. Commun. 13:3797 (capacity); Minasny, B. et al. (2017) Geoderma
    292:59-86 (relative cap); docs/methods/saturation.md §4.3 (steps 3-5) and §4.4.
    """
    return _Caps(deficit, soc, saturation_ratio, settings).apply(rate, duration, extra_cap)


class _Caps:
    """The per-pixel parts of :func:`cap_rate` that do not depend on the practice, computed once."""

    def __init__(self, deficit: ArrayLike, soc: ArrayLike, saturation_ratio: ArrayLike, settings: PracticeSettings):
        soc = np.asarray(soc, dtype="f8")
        self.room: FloatArray = np.maximum(np.asarray(deficit, dtype="f8"), 0.0) + settings.poc_allowance
        self.relative: FloatArray = relative_rate_cap(soc, *settings.relative_cap) * soc
        self.efficiency: FloatArray | None = None
        if settings.efficiency_beta is not None:
            sat = np.clip(np.asarray(saturation_ratio, dtype="f8"), 0.0, 100.0)
            self.efficiency = (1.0 - sat / 100.0) ** settings.efficiency_beta

    def apply(
        self, rate: ArrayLike, duration: float | FloatArray, extra_cap: float | FloatArray | None = None
    ) -> FloatArray:
        rate = np.asarray(rate, dtype="f8")
        eff = rate if self.efficiency is None else rate * self.efficiency
        capped: FloatArray = np.minimum(np.minimum(eff, self.room / duration), self.relative)
        if extra_cap is not None:
            capped = np.minimum(capped, extra_cap)
        return np.where(rate > 0, capped, rate)


def _level_codes(
    baseline: Mapping[str, ArrayLike | None], settings: PracticeSettings, shape: tuple[int, ...]
) -> dict[str, IntArray]:
    """Per-pixel 0-based level index of each baseline attribute (layer where given, else region default)."""
    out = {}
    for attr, levels in BASELINE_LEVELS.items():
        default = levels.index(str(settings.baseline[attr]).lower())
        layer = baseline.get(attr)
        if layer is None:
            out[attr] = np.full(shape, default, dtype="int64")
        else:
            v = np.asarray(layer, dtype="f8")
            ok = np.isfinite(v) & (v >= 1) & (v <= len(levels))
            out[attr] = np.where(ok, np.nan_to_num(v).astype("int64") - 1, default)
    return out


class _Stocks:
    """Tier 1 equilibrium stocks SOC_REF · F_LU · F_MG · F_I per pixel for any factor levels.

    Lookups are integer fancy indexing: ``table[level, zone]`` arrays built once per
    call from the factor table, so that a chunk of 10⁶ pixels costs a few array passes.
    """

    #: baseline attribute that sets each factor, per IPCC land use (None: fixed level)
    ATTR: ClassVar[dict[str, dict[str, str]]] = {
        "cropland": {"F_MG": "tillage", "F_I": "input"},
        "grassland": {"F_MG": "grassland"},
    }
    FIXED: ClassVar[dict[tuple[str, str], str]] = {("grassland", "F_LU"): "grassland", ("grassland", "F_I"): "medium"}

    def __init__(
        self, tier1: Tier1Tables, zone: IntArray, soil: IntArray, land_use: IntArray, levels: Mapping[str, IntArray]
    ):
        self.t = tier1
        self.zone = zone
        self.levels = levels
        self.soc_ref: FloatArray = tier1.soc_ref[zone, soil]
        group = tier1.land_use.group
        self._flu = np.full((256, N_ZONES + 1), np.nan)  # cropland F_LU by land-use class and zone
        for code, lvl in tier1.land_use.f_lu_level.items():
            self._flu[code] = tier1.factors.get(("cropland", "F_LU", lvl), np.full(N_ZONES + 1, np.nan))
        lu = np.clip(land_use, 0, 255)
        self.lu = lu
        valid_lu = (land_use >= 0) & (land_use <= 255)
        self.is_crop: BoolArray = valid_lu & (group[lu] == 1)
        self.is_grass: BoolArray = valid_lu & (group[lu] == 2)

    def _table(self, land_use: str, factor: str, level: str) -> FloatArray:
        try:
            values: FloatArray = self.t.factors[(land_use, factor, level)][self.zone]
            return values
        except KeyError:
            return np.full(self.zone.shape, np.nan)

    def _error(self, land_use: str, factor: str, level: str) -> FloatArray:
        """Relative 95 % half-width of one factor level per pixel (0 where the table has none)."""
        e = self.t.errors.get((land_use, factor, level))
        if e is None:
            return np.zeros(self.zone.shape)
        return np.nan_to_num(e[self.zone])

    def error(self, land_use: str, factor: str) -> FloatArray:
        """Relative 95 % half-width of one factor at the baseline level, per pixel."""
        if factor == "F_LU" and land_use == "cropland":
            eflu = np.zeros((256, N_ZONES + 1))
            for code, lvl in self.t.land_use.f_lu_level.items():
                e = self.t.errors.get(("cropland", "F_LU", lvl))
                if e is not None:
                    eflu[code] = np.nan_to_num(e)
            out: FloatArray = eflu[self.lu, self.zone]
            return out
        fixed = self.FIXED.get((land_use, factor))
        if fixed is not None:
            return self._error(land_use, factor, fixed)
        attr = self.ATTR[land_use][factor]
        lut = np.stack(
            [
                np.nan_to_num(self.t.errors.get((land_use, factor, lv), np.zeros(N_ZONES + 1)))
                for lv in BASELINE_LEVELS[attr]
            ]
        )
        values: FloatArray = lut[self.levels[attr], self.zone]
        return values

    def factor(self, land_use: str, factor: str) -> FloatArray:
        """Per-pixel value of one factor at the baseline level."""
        if factor == "F_LU" and land_use == "cropland":
            f_lu: FloatArray = self._flu[self.lu, self.zone]
            return f_lu
        fixed = self.FIXED.get((land_use, factor))
        if fixed is not None:
            return self._table(land_use, factor, fixed)
        attr = self.ATTR[land_use][factor]
        nan = np.full(N_ZONES + 1, np.nan)
        lut = np.stack([self.t.factors.get((land_use, factor, lv), nan) for lv in BASELINE_LEVELS[attr]])
        values: FloatArray = lut[self.levels[attr], self.zone]
        return values

    def baseline_factors(self, land_use: str) -> dict[str, FloatArray]:
        """F_LU, F_MG, F_I at the baseline levels (cached)."""
        key = f"_f_{land_use}"
        if not hasattr(self, key):
            setattr(self, key, {k: self.factor(land_use, k) for k in ("F_LU", "F_MG", "F_I")})
        cached: dict[str, FloatArray] = getattr(self, key)
        return cached

    def tier1_rate(self, rule: PracticeRule, years: float) -> FloatArray:
        """(stock_new − stock_old) / D for the rule's factor change; NaN off cropland/grassland."""
        return self.tier1_rate_uncertainty(rule, years)[0]

    def tier1_rate_uncertainty(self, rule: PracticeRule, years: float) -> tuple[FloatArray, FloatArray]:
        """The Tier 1 rate and its relative 95 % half-width from the factors' error ranges.

        ``rate = SOC_REF · Π F_other · (F_new − F_old) / D``; IPCC Approach 1 error propagation
        (2006 Vol. 1 Ch. 3 eqs 3.1-3.2): the difference carries ``√((U_new F_new)² + (U_old F_old)²)
        / |F_new − F_old|``, the product adds the other factors' ``U`` in quadrature. SOC_REF's own
        error is not included (Table 2.3's ranges are not transcribed).
        """
        rate = np.full(self.zone.shape, np.nan)
        unc = np.zeros(self.zone.shape)
        for land_use, mask in (("cropland", self.is_crop), ("grassland", self.is_grass)):
            if not mask.any() or not any(
                k[0] == land_use and k[1] == rule.factor and k[2] == rule.to_level for k in self.t.factors
            ):
                continue
            f = dict(self.baseline_factors(land_use))
            e = {k: self.error(land_use, k) for k in ("F_LU", "F_MG", "F_I")}
            if rule.factor == "F_AF":
                old = self.soc_ref * f["F_LU"] * f["F_MG"] * f["F_I"]
                new = old * self._table(land_use, "F_AF", rule.to_level)
                f_af = self._table(land_use, "F_AF", rule.to_level)
                e_af = self._error(land_use, "F_AF", rule.to_level)
                with np.errstate(divide="ignore", invalid="ignore"):
                    u_diff = np.abs(e_af * f_af / (f_af - 1.0))
                u = np.sqrt(u_diff**2 + e["F_LU"] ** 2 + e["F_MG"] ** 2 + e["F_I"] ** 2)
            elif rule.factor in f:
                if rule.from_level:
                    f[rule.factor] = self._table(land_use, rule.factor, rule.from_level)
                    e[rule.factor] = self._error(land_use, rule.factor, rule.from_level)
                f_old, e_old = f[rule.factor], e[rule.factor]
                old = self.soc_ref * f["F_LU"] * f["F_MG"] * f["F_I"]
                f[rule.factor] = self._table(land_use, rule.factor, rule.to_level)
                e[rule.factor] = self._error(land_use, rule.factor, rule.to_level)
                new = self.soc_ref * f["F_LU"] * f["F_MG"] * f["F_I"]
                f_new, e_new = f[rule.factor], e[rule.factor]
                with np.errstate(divide="ignore", invalid="ignore"):
                    u_diff = np.sqrt((e_new * f_new) ** 2 + (e_old * f_old) ** 2) / np.abs(f_new - f_old)
                others = [k for k in ("F_LU", "F_MG", "F_I") if k != rule.factor]
                u = np.sqrt(u_diff**2 + sum(e[k] ** 2 for k in others))
            else:
                continue
            rate = np.where(mask, (new - old) / years, rate)
            unc = np.where(mask, np.nan_to_num(u), unc)
        return rate, unc


def evaluate(
    soc: ArrayLike,
    clay: ArrayLike,
    sand: ArrayLike,
    zone: ArrayLike,
    soil: ArrayLike,
    aridity: ArrayLike,
    slope: ArrayLike,
    land_use: ArrayLike,
    saturation_ratio: ArrayLike,
    deficit: ArrayLike,
    rules: Sequence[PracticeRule],
    tier1: Tier1Tables,
    settings: PracticeSettings,
    rate_table: Mapping[str, FloatArray] | None = None,
    baseline: Mapping[str, ArrayLike | None] | None = None,
    required: Mapping[str, ArrayLike] | None = None,
) -> dict[str, FloatArray]:
    """Suitability, reasons and capped rates of every practice, and the composites.

    Parameters
    ----------
    soc : array_like
        SOC stock at T0 [t ha-1].
    clay, sand : array_like
        [%].
    zone, soil : array_like
        IPCC climate zone and soil class codes (0 = unknown).
    aridity : array_like
        Aridity index P/PET [1].
    slope : array_like
        [%]; NaN where unknown (slope rules are then not applied).
    land_use : array_like
        FAO land-use class.
    saturation_ratio, deficit : array_like
        MAOC saturation [%] and deficit [t ha-1] (docs/methods/saturation.md §4.3).
    rules : list of PracticeRule
    tier1 : Tier1Tables
    settings : PracticeSettings
    rate_table : dict, optional
        Practice → rate per zone code [t ha-1 yr-1] (Tier 2 or meta-analysis);
        where finite it replaces the Tier 1 rate and is counted over the horizon.
    baseline : dict, optional
        Baseline attribute → per-pixel 1-based level codes (:data:`BASELINE_LEVELS`).
    required : dict, optional
        Layers some rules require (``PracticeRule.requires``) by name, e.g. ``rice`` (1 rice, 0 not);
        a rule whose layer is absent has its input missing on every eligible pixel.

    Returns
    -------
    dict of str to numpy.ndarray
        ``suitability_<p>`` (0/1/2, 3 = :data:`UNKNOWN` with reason 64 where an input the rule
        needs is missing and the known inputs do not make it unsuitable),
        ``suitability_reason_<p>`` (bits), ``rate_<p>`` [t ha-1 yr-1] (0 where
        unsuitable, NaN where an input is missing), ``rate_<p>_low`` / ``rate_<p>_high`` (the 95 % range
        of the rate from the factors' error ranges, IPCC Approach 1, each capped like the rate; equal to the
        rate where a Tier 2 table value is used), and ``best_practice`` (rule
        code, 0 = no suitable practice, :data:`UNKNOWN_PRACTICE` where none qualifies and one is
        unknown; never NaN), ``rate_best``, ``rate_combined`` [t ha-1 yr-1],
        ``potential_total`` [t ha-1], ``share_4p1000`` [%], ``years_to_saturation``
        [yr] (0 where saturated, NaN where no practice gains), ``rate_best_low`` / ``rate_best_high``
        (the range of the best practice's rate) [t ha-1 yr-1], all NaN where an
        input is missing and, but ``best_practice``, where it is :data:`UNKNOWN_PRACTICE`.
        Arrays are float64 (class maps are cast by the writer).

    References
    ----------
    IPCC (2006) Vol. 4 Ch. 2 eq. 2.25 (D = 20 yr) with SOC_REF of Table 2.3 and the factors of
    Tables 5.5 and 6.2 (2006 or 2019); Cardinael et al. (2018) Environ. Res. Lett. 13:124020
    (agroforestry); docs/methods/ipcc.md §3.1 and §3.7, docs/methods/saturation.md §4.3-4.4,
    docs/methods/fourp1000.md §5, docs/methods/practices.md §6.2-6.3.
    """
    soc = np.asarray(soc, dtype="f8")
    shape = soc.shape
    zone = cast(IntArray, np.nan_to_num(np.asarray(zone, dtype="f8")).astype("int64").clip(0, N_ZONES))
    soil = cast(
        IntArray, np.nan_to_num(np.asarray(soil, dtype="f8")).astype("int64").clip(0, tier1.soc_ref.shape[1] - 1)
    )
    lu_f = np.asarray(land_use, dtype="f8")
    lu = np.nan_to_num(lu_f, nan=-1).astype("int64")
    ai = np.asarray(aridity, dtype="f8")
    slope = np.broadcast_to(np.asarray(slope, dtype="f8"), shape)
    clay = np.asarray(clay, dtype="f8")
    sand = np.asarray(sand, dtype="f8")
    sat = np.asarray(saturation_ratio, dtype="f8")
    deficit = np.asarray(deficit, dtype="f8")
    missing = (
        ~np.isfinite(soc) | ~np.isfinite(lu_f) | (zone == 0) | (soil == 0) | ~np.isfinite(ai) | ~np.isfinite(deficit)
    )
    levels = _level_codes(baseline or {}, settings, shape)
    stocks = _Stocks(tier1, zone, soil, lu, levels)
    zones = ZONES
    soils = SOILS
    soil_excluded = (
        (soc > settings.exclude_soc_above)
        | (sand > settings.exclude_sand_above)
        | np.isin(soil, [soils[s] for s in settings.exclude_soil_classes])
    )
    marginal = (slope > settings.marginal_slope_percent) | (ai < settings.marginal_aridity_index)
    horizon = float(settings.horizon_years)
    tier1_years = min(horizon, float(settings.transition_years))
    manure_cap = None if settings.manure_n_kg_ha is None else settings.manure_n_kg_ha * 10 * 0.001 * 0.5
    caps = _Caps(deficit, soc, sat, settings)

    out: dict[str, np.ndarray] = {}
    best_rate = np.zeros(shape)
    best_low, best_high = np.zeros(shape), np.zeros(shape)
    best_code = np.zeros(shape)
    best_years = np.full(shape, horizon)
    by_mechanism: dict[str, np.ndarray] = {}
    exclusive_best = np.zeros(shape)
    any_unknown = np.zeros(shape, dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        lu_idx = np.clip(lu, 0, 255)
        lu_valid = (lu >= 0) & (lu <= 255)
        saturated = sat >= 100.0
        for rule in rules:
            u_bits = np.zeros(shape, dtype="uint8")  # causes that make the practice unsuitable
            c_bits = np.zeros(shape, dtype="uint8")  # causes that make it conditional

            def flag(where: BoolArray, bit: int, conditional: bool = False) -> None:
                acc = c_bits if conditional else u_bits
                acc |= where.view(np.uint8) * np.uint8(bit)

            def zone_in(names: Iterable[str]) -> BoolArray:
                lut = np.zeros(N_ZONES + 1, bool)
                lut[[zones[z] for z in names]] = True
                inside: BoolArray = lut[zone]
                return inside

            lut = np.zeros(256, bool)
            lut[list(rule.land_use)] = True
            lu_ok = lut[lu_idx] & lu_valid
            not_eligible = lu_valid & ~lu_ok  # only a known land use makes a pixel ineligible
            if rule.marginal_only:
                # "not marginal" is known where the aridity index is (a missing slope skips the slope test)
                not_eligible |= lu_ok & ~marginal & np.isfinite(ai)
                lu_ok &= marginal
            flag(not_eligible, BIT_LAND_USE)
            if rule.excluded_zones:
                flag(zone_in(rule.excluded_zones), BIT_CLIMATE)
            test: Callable[[float], BoolArray]
            for value, test, conditional, bit in (
                (rule.ai_unsuitable_below, lambda v: ai < v, False, BIT_CLIMATE),
                (rule.ai_unsuitable_above, lambda v: ai > v, False, BIT_CLIMATE),
                (rule.ai_conditional_below, lambda v: ai < v, True, BIT_CLIMATE),
                (rule.slope_unsuitable_above, lambda v: slope > v, False, BIT_SLOPE),
                (rule.slope_conditional_above, lambda v: slope > v, True, BIT_SLOPE),
            ):
                if np.isfinite(value):
                    flag(test(value), bit, conditional)
            flag(soil_excluded, BIT_SOIL)
            if np.isfinite(rule.clay_conditional_above) and rule.clay_conditional_zones:
                flag((clay > rule.clay_conditional_above) & zone_in(rule.clay_conditional_zones), BIT_SOIL, True)
            flag(saturated, BIT_SATURATED)
            if rule.baseline:
                names = BASELINE_LEVELS[rule.baseline]
                ok = np.zeros(len(names), bool)
                ok[[names.index(a) for a in rule.adoptable if a in names]] = True
                flag(~ok[levels[rule.baseline]], BIT_ALREADY)
            if rule.resource and not (
                rule.resource in settings.available_resources
                or (rule.resource == "manure" and settings.manure_n_kg_ha is not None)
            ):
                c_bits |= np.uint8(BIT_RESOURCE)

            # an input this rule needs (e.g. a rice mask): missing on eligible pixels -> the masked-input branch
            miss = missing
            if rule.requires:
                layer = (required or {}).get(rule.requires)
                need = np.full(shape, np.nan) if layer is None else np.broadcast_to(np.asarray(layer, "f8"), shape)
                miss = missing | (lu_ok & ~np.isfinite(need))
                flag(np.isfinite(need) & (need < 0.5), BIT_LAND_USE)

            rate, unc = stocks.tier1_rate_uncertainty(rule, float(settings.transition_years))
            years = np.full(shape, tier1_years)
            if rate_table is not None and rule.practice in rate_table:
                t2 = rate_table[rule.practice][zone]
                use = np.isfinite(t2) & lu_ok
                rate = np.where(use, t2, rate)
                unc = np.where(use, 0.0, unc)  # a Tier 2 table carries no error range
                years = np.where(use, horizon, years)
            flag(lu_ok & ~np.isfinite(rate) & ~miss, BIT_MASKED)  # no table value: unsuitable
            extra = manure_cap if rule.resource == "manure" else None
            capped = caps.apply(np.nan_to_num(rate), years, extra)
            # the 95 % range of the rate from the factors' errors, each bound capped like the rate
            r0 = np.nan_to_num(rate)
            lo_hi = (caps.apply(r0 * (1.0 - unc), years, extra), caps.apply(r0 * (1.0 + unc), years, extra))
            low, high = np.minimum(*lo_hi), np.maximum(*lo_hi)
            # the one "input missing" branch: an input the rule needs is missing (`miss`: the common inputs and
            # the rule's own, e.g. the rice mask) -> class 3 unknown, reason bit 64 alone, rate NaN; a pixel that
            # its known inputs already make unsuitable stays unsuitable (class 0, its reasons)
            unsuitable = u_bits > 0
            unknown = miss & ~unsuitable
            cls = np.where(unsuitable, 0, np.where(unknown, UNKNOWN, np.where(c_bits > 0, 1, 2)))
            bits = np.where(unknown, np.uint8(BIT_MASKED), u_bits | c_bits)
            final = np.where(cls == 0, 0.0, capped)
            final = np.where(miss, np.nan, final)
            out[f"suitability_{rule.practice}"] = cls.astype("f8")
            out[f"suitability_reason_{rule.practice}"] = bits.astype("f8")
            out[f"rate_{rule.practice}"] = final
            for name, bound in (("low", low), ("high", high)):
                out[f"rate_{rule.practice}_{name}"] = np.where(miss, np.nan, np.where(cls == 0, 0.0, bound))
            any_unknown |= unknown

            eligible = (cls >= settings.best_of) & (cls != UNKNOWN)
            pick = eligible & (final > best_rate)
            best_low = np.where(pick, out[f"rate_{rule.practice}_low"], best_low)
            best_high = np.where(pick, out[f"rate_{rule.practice}_high"], best_high)
            best_rate = np.where(pick, final, best_rate)
            best_code = np.where(pick, rule.code, best_code)
            best_years = np.where(pick, years, best_years)
            usable = np.where(eligible & (final > 0), final, 0.0)
            if rule.exclusive:
                exclusive_best = np.maximum(exclusive_best, usable)
            else:
                by_mechanism[rule.mechanism] = np.maximum(by_mechanism.get(rule.mechanism, 0.0), usable)

        combined_raw = sum(by_mechanism.values(), np.zeros(shape))
        combined = np.maximum(caps.apply(combined_raw, tier1_years), exclusive_best)
        target = settings.rate_4p1000 * soc
        out["best_practice"] = best_code
        out["rate_best"] = best_rate
        out["rate_combined"] = combined
        out["potential_total"] = best_rate * best_years
        out["share_4p1000"] = np.where(target > 0, 100.0 * best_rate / target, np.nan)
        out["years_to_saturation"] = np.where(deficit <= 0, 0.0, np.where(best_rate > 0, deficit / best_rate, np.nan))
        out["rate_best_low"], out["rate_best_high"] = best_low, best_high
    for k in COMPOSITES:
        out[k] = np.where(missing, np.nan, out[k])
    # no practice qualifies but one is unknown: "unknown", not "no suitable practice", and the best (and combined)
    # rate is unknown too (NaN, as the GHG composites give), not a gain of 0
    unknown_best = (best_code == 0) & any_unknown
    for k in COMPOSITES:
        out[k] = np.where(unknown_best, np.nan, out[k])
    out["best_practice"] = np.where(unknown_best, float(UNKNOWN_PRACTICE), best_code)
    return out
