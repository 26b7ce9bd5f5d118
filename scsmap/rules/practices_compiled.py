"""Compiled (numba) practice kernel: every practice and the composites in one pass per pixel.

:func:`evaluate_stack` returns what :func:`scsmap.rules.practices.evaluate` returns, stacked on a
leading axis in :func:`scsmap.rules.practices.output_names` order and cast to float32, without
the ~40 numpy passes and temporaries per practice of the numpy path. The per-rule and per-table
work (lookup tables by zone, land-use class and baseline level) is done once by
:func:`compile_rules`; the loop then reads a few table cells per pixel and practice.

The rules, the arithmetic and its order are those of :func:`scsmap.rules.practices.evaluate`
(docs/methods/ipcc.md §3.1 and §3.7, docs/methods/saturation.md §4.3-4.4, docs/methods/practices.md
§6.2-6.3), which stays the test oracle: the kernel's outputs equal the numpy results cast to float32,
bit for bit (tests/rules/test_practices_compiled.py). The loop releases the GIL (dask threads run it on all
cores) and is compiled once per machine, cached next to this module.

When the run reads no practice's class or reason (its rates and the composites only), a rule that does not name a
pixel's land-use class is not evaluated for that pixel: the class would be unsuitable (land use), the rates 0 (NaN
where an input is missing), and the rule would change neither the best practice nor the combined rate. Where no
rule names the class (forest, settlements, water in the default table) the pixel's rule loop is skipped whole. On
the benchmark's 40,000 x 40,000 inputs (two sevenths of its pixels cropland, one seventh grassland) this halved the
kernel's time per chunk, 216 -> 109 ms for 1024 x 1024 pixels (docs/scaling.md), with the same outputs.

A rule's Tier 1 rate and its uncertainty depend on the pixel's classes only (land use, climate zone, soil class,
baseline levels); the loop keeps them from the pixel before while these stay the same, as they mostly do from one
pixel to the next (cropland chunks of the benchmark 188 -> 138 ns per pixel).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
from numba import njit
from numpy.typing import ArrayLike, NDArray

from ._types import FloatArray
from .ipcc_classes import N_ZONES, SOILS, ZONES
from .practices import (
    BASELINE_LEVELS,
    BIT_ALREADY,
    BIT_CLIMATE,
    BIT_LAND_USE,
    BIT_MASKED,
    BIT_RESOURCE,
    BIT_SATURATED,
    BIT_SLOPE,
    BIT_SOIL,
    UNKNOWN,
    UNKNOWN_PRACTICE,
    PracticeRule,
    PracticeSettings,
    Tier1Tables,
)

__all__ = ["CompiledRules", "compile_rules", "evaluate_stack", "output_planes"]

#: baseline attributes in the order of the level rows passed to the loop
ATTRS: tuple[str, ...] = tuple(BASELINE_LEVELS)
#: most levels of any baseline attribute
MAX_LEVELS = max(len(v) for v in BASELINE_LEVELS.values())
#: factor index of a rule: F_LU, F_MG, F_I (the three of the stock), F_AF (a multiplier of it)
FACTORS = ("F_LU", "F_MG", "F_I", "F_AF")
#: land uses of the Tier 1 stock, in the order of the tables' land-use axis
LAND_USES = ("cropland", "grassland")


@dataclass(frozen=True)
class CompiledRules:
    """The rule table, Tier 1 / Tier 2 tables and settings of a run as lookup arrays (:func:`compile_rules`).

    Attributes
    ----------
    n_outputs : int
        5 outputs per rule and 8 composites.
    defaults : numpy.ndarray
        int64 (len(ATTRS),): region-default 0-based level of each baseline attribute.
    n_levels : numpy.ndarray
        int64 (len(ATTRS),): levels of each attribute.
    requires : tuple of str
        The layers rules require, in the order of the loop's ``required`` rows.
    tables : tuple of numpy.ndarray
        The loop's table arguments (see :func:`_loop`).
    scalars : numpy.ndarray
        float64: the loop's scalar settings (see :func:`_loop`).
    """

    n_outputs: int
    defaults: NDArray[np.int64]
    n_levels: NDArray[np.int64]
    requires: tuple[str, ...]
    tables: tuple[np.ndarray, ...]
    scalars: FloatArray


def _zone_lut(names: Sequence[str]) -> NDArray[np.bool_]:
    lut = np.zeros(N_ZONES + 1, bool)
    lut[[ZONES[z] for z in names]] = True
    return lut


def compile_rules(
    rules: Sequence[PracticeRule],
    tier1: Tier1Tables,
    settings: PracticeSettings,
    rate_table: Mapping[str, FloatArray] | None = None,
) -> CompiledRules:
    """Lookup arrays of a run's practice rules, for :func:`evaluate_stack` (built once per run).

    Parameters
    ----------
    rules : sequence of PracticeRule
    tier1 : Tier1Tables
    settings : PracticeSettings
    rate_table : dict, optional
        Practice → rate per zone code [t ha-1 yr-1] (Tier 2), as :func:`scsmap.rules.practices.evaluate`.

    Returns
    -------
    CompiledRules

    Raises
    ------
    KeyError
        A rule naming a zone or baseline level the code tables do not know (the rule loader refuses
        these first, with a clear message).
    """
    nz = N_ZONES + 1
    nan_z = np.full(nz, np.nan)
    zero_z = np.zeros(nz)

    def f_of(lu: str, factor: str, level: str) -> FloatArray:
        return np.asarray(tier1.factors.get((lu, factor, level), nan_z), dtype="f8")

    def e_of(lu: str, factor: str, level: str) -> FloatArray:
        e = tier1.errors.get((lu, factor, level))
        return zero_z if e is None else np.nan_to_num(np.asarray(e, dtype="f8"))

    # cropland F_LU by land-use class and zone (docs/methods/ipcc.md §3.5)
    crop_flu = np.full((256, nz), np.nan)
    crop_eflu = np.zeros((256, nz))
    for code, lvl in tier1.land_use.f_lu_level.items():
        crop_flu[code] = f_of("cropland", "F_LU", lvl)
        if tier1.errors.get(("cropland", "F_LU", lvl)) is not None:
            crop_eflu[code] = e_of("cropland", "F_LU", lvl)
    # the baseline factors F_LU, F_MG, F_I per land use, by level of the attribute that sets them
    # (a fixed level is repeated over the level axis; cropland F_LU comes from crop_flu)
    attr_of = {("cropland", "F_MG"): "tillage", ("cropland", "F_I"): "input", ("grassland", "F_MG"): "grassland"}
    fixed = {("grassland", "F_LU"): "grassland", ("grassland", "F_I"): "medium"}
    base_f = np.full((2, 3, MAX_LEVELS, nz), np.nan)
    base_e = np.zeros((2, 3, MAX_LEVELS, nz))
    base_attr = np.full((2, 3), -1, dtype=np.int64)
    for g, lu in enumerate(LAND_USES):
        for k, factor in enumerate(FACTORS[:3]):
            if (lu, factor) in attr_of:
                attr = attr_of[(lu, factor)]
                base_attr[g, k] = ATTRS.index(attr)
                for i, lv in enumerate(BASELINE_LEVELS[attr]):
                    base_f[g, k, i] = f_of(lu, factor, lv)
                    base_e[g, k, i] = e_of(lu, factor, lv)
            elif (lu, factor) in fixed:
                base_f[g, k, :] = f_of(lu, factor, fixed[(lu, factor)])
                base_e[g, k, :] = e_of(lu, factor, fixed[(lu, factor)])

    n = len(rules)
    mechanisms = list(dict.fromkeys(r.mechanism for r in rules if not r.exclusive))
    requires = tuple(dict.fromkeys(r.requires for r in rules if r.requires))
    r_lu = np.zeros((n, 256), bool)
    r_zone_excl = np.zeros((n, nz), bool)
    r_clay_zone = np.zeros((n, nz), bool)
    r_adopt = np.zeros((n, MAX_LEVELS), bool)
    r_int = np.zeros((n, 8), dtype=np.int64)  # marginal_only, baseline attr, resource cond, requires, factor,
    # has from level, manure cap, code
    r_mech = np.full(n, -1, dtype=np.int64)
    r_thr = np.full((n, 6), np.nan)  # ai_unsuitable_below, ai_unsuitable_above, ai_conditional_below,
    # slope_unsuitable_above, slope_conditional_above, clay_conditional_above
    r_has = np.zeros((n, 2), bool)
    r_new_f = np.full((n, 2, nz), np.nan)
    r_new_e = np.zeros((n, 2, nz))
    r_from_f = np.full((n, 2, nz), np.nan)
    r_from_e = np.zeros((n, 2, nz))
    r_t2 = np.full((n, nz), np.nan)
    for i, r in enumerate(rules):
        r_lu[i, list(r.land_use)] = True
        if r.excluded_zones:
            r_zone_excl[i] = _zone_lut(r.excluded_zones)
        if r.clay_conditional_zones:
            r_clay_zone[i] = _zone_lut(r.clay_conditional_zones)
        attr_i = -1
        if r.baseline:
            attr_i = ATTRS.index(r.baseline)
            names = BASELINE_LEVELS[r.baseline]
            r_adopt[i, [names.index(a) for a in r.adoptable if a in names]] = True
        resource_cond = bool(r.resource) and not (
            r.resource in settings.available_resources
            or (r.resource == "manure" and settings.manure_n_kg_ha is not None)
        )
        r_int[i] = (
            r.marginal_only,
            attr_i,
            resource_cond,
            requires.index(r.requires) if r.requires else -1,
            FACTORS.index(r.factor),
            bool(r.from_level),
            r.resource == "manure" and settings.manure_n_kg_ha is not None,
            r.code,
        )
        r_mech[i] = -1 if r.exclusive else mechanisms.index(r.mechanism)
        r_thr[i] = (
            r.ai_unsuitable_below,
            r.ai_unsuitable_above,
            r.ai_conditional_below,
            r.slope_unsuitable_above,
            r.slope_conditional_above,
            r.clay_conditional_above if r.clay_conditional_zones else np.nan,
        )
        for g, lu in enumerate(LAND_USES):
            r_has[i, g] = any(k[0] == lu and k[1] == r.factor and k[2] == r.to_level for k in tier1.factors)
            r_new_f[i, g] = f_of(lu, r.factor, r.to_level)
            r_new_e[i, g] = e_of(lu, r.factor, r.to_level)
            if r.from_level:
                r_from_f[i, g] = f_of(lu, r.factor, r.from_level)
                r_from_e[i, g] = e_of(lu, r.factor, r.from_level)
        if rate_table is not None and r.practice in rate_table:
            r_t2[i] = np.asarray(rate_table[r.practice], dtype="f8")
    soil_excl = np.zeros(tier1.soc_ref.shape[1], bool)
    soil_excl[[SOILS[s] for s in settings.exclude_soil_classes]] = True
    manure_cap = np.nan if settings.manure_n_kg_ha is None else settings.manure_n_kg_ha * 10 * 0.001 * 0.5
    beta = np.nan if settings.efficiency_beta is None else float(settings.efficiency_beta)
    horizon = float(settings.horizon_years)
    scalars = np.array(
        [
            settings.exclude_soc_above,
            settings.exclude_sand_above,
            settings.marginal_slope_percent,
            settings.marginal_aridity_index,
            horizon,
            min(horizon, float(settings.transition_years)),
            float(settings.transition_years),
            manure_cap,
            settings.poc_allowance,
            *settings.relative_cap,
            beta,
            settings.best_of,
            settings.rate_4p1000,
            len(mechanisms),
        ],
        dtype="f8",
    )
    tables = (
        np.ascontiguousarray(tier1.soc_ref, dtype="f8"),
        np.ascontiguousarray(tier1.land_use.group, dtype=np.int64),
        crop_flu,
        crop_eflu,
        base_f,
        base_e,
        base_attr,
        soil_excl,
        r_lu,
        r_zone_excl,
        r_clay_zone,
        r_adopt,
        r_int,
        r_mech,
        r_thr,
        r_has,
        r_new_f,
        r_new_e,
        r_from_f,
        r_from_e,
        r_t2,
    )
    return CompiledRules(
        n_outputs=5 * n + 8,
        defaults=np.array([BASELINE_LEVELS[a].index(str(settings.baseline[a]).lower()) for a in ATTRS], dtype=np.int64),
        n_levels=np.array([len(BASELINE_LEVELS[a]) for a in ATTRS], dtype=np.int64),
        requires=requires,
        tables=tables,
        scalars=scalars,
    )


def evaluate_stack(
    compiled: CompiledRules,
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
    baseline: Mapping[str, ArrayLike | None] | None = None,
    required: Mapping[str, ArrayLike] | None = None,
    outputs: Sequence[int] | None = None,
) -> NDArray[np.float32]:
    """Every practice's suitability, reasons and rates, and the composites, stacked as float32.

    Parameters
    ----------
    compiled : CompiledRules
        From :func:`compile_rules`.
    soc, clay, sand, zone, soil, aridity, slope, land_use, saturation_ratio, deficit : array_like
        As :func:`scsmap.rules.practices.evaluate`, all of one shape ``S`` (``slope`` may be a scalar).
    baseline : dict, optional
        Baseline attribute → per-pixel 1-based level codes.
    required : dict, optional
        Layers some rules require, by name (e.g. ``rice``).
    outputs : sequence of int, optional
        Positions (in :func:`scsmap.rules.practices.output_names` order) of the outputs to return, in
        this order; default: all. Only these are written: a run that writes a few practice products (and
        its national trajectory, which reads the rates) neither fills nor allocates the other planes
        (a 512 x 512 chunk with 16 of 68 outputs: 52.8 -> 39.4 ms; with all, each write looks its row up, +5-9 %).
        Without any rule's class and reason among them, the rules that do not name a pixel's land-use class are
        not evaluated for it (see the module's docstring).

    Returns
    -------
    numpy.ndarray
        float32 ``(5 · n_rules + 8, *S)``, or ``(len(outputs), *S)``: the outputs of
        :func:`scsmap.rules.practices.evaluate` in :func:`scsmap.rules.practices.output_names` order (or
        the order of ``outputs``), same values and units, cast to float32.

    Raises
    ------
    ValueError
        Inputs that do not share one shape; a position in ``outputs`` twice or negative.
    IndexError
        A position in ``outputs`` past the last output.
    """
    soc_a = np.asarray(soc)
    shape = soc_a.shape
    npix = soc_a.size

    def flat(a: ArrayLike) -> np.ndarray:
        arr = np.asarray(a)
        if arr.dtype.kind not in "fiub":
            arr = arr.astype("f8")
        if arr.shape != shape:
            if arr.ndim == 0:
                return np.full(npix, float(arr))
            raise ValueError(f"practice inputs: shape {arr.shape}, expected {shape}")
        return arr.reshape(-1)

    def as_f8(a: ArrayLike) -> FloatArray:
        return np.ascontiguousarray(flat(a), dtype="f8")

    layers = [soc_a, clay, sand, zone, soil, aridity, slope, land_use, saturation_ratio, deficit]
    # float32 layers go to the kernel as they are (it widens each value as it reads it, as numpy's float64 copy
    # would): one compiled variant for all-float32 inputs, the float64 one for any other mix
    all_f4 = all(isinstance(x, np.ndarray) and x.dtype == np.float32 and x.shape == shape for x in layers)
    kernel_inputs = [np.ascontiguousarray(x).reshape(-1) if all_f4 else as_f8(x) for x in layers]

    levels = np.empty((len(ATTRS), npix), dtype=np.int8)
    base = baseline or {}
    for i, attr in enumerate(ATTRS):
        layer = base.get(attr)
        if layer is None:
            levels[i] = compiled.defaults[i]
        else:
            v = as_f8(layer)
            ok = np.isfinite(v) & (v >= 1) & (v <= compiled.n_levels[i])
            levels[i] = np.where(ok, np.nan_to_num(v).astype("int64") - 1, compiled.defaults[i])
    req = required or {}
    need = np.full((max(len(compiled.requires), 1), npix), np.nan)
    present = np.zeros(max(len(compiled.requires), 1), dtype=np.bool_)
    for i, name in enumerate(compiled.requires):
        if req.get(name) is not None:
            need[i] = as_f8(req[name])
            present[i] = True
    keep = np.arange(compiled.n_outputs) if outputs is None else np.asarray(outputs, dtype=np.int64).reshape(-1)
    if len(np.unique(keep)) != len(keep) or (keep < 0).any():
        raise ValueError(f"outputs: positions must be distinct and not negative, got {keep.tolist()}")
    row = np.full(compiled.n_outputs, -1, dtype=np.int64)  # output -> its row of the result; -1: not computed
    row[keep] = np.arange(len(keep))
    out = output_planes(len(keep), npix)
    cast(Callable[..., None], _loop)(  # a numba dispatcher: its call is not typed
        *kernel_inputs,
        levels,
        need,
        present,
        *compiled.tables,
        compiled.scalars,
        row,
        out,
    )
    return out.reshape((len(keep), *shape))


#: float32 elements between the output planes of the compiled kernels (192 bytes, three cache lines)
PLANE_PAD = 48


def output_planes(n: int, npix: int) -> NDArray[np.float32]:
    """An empty float32 ``(n, npix)`` array whose rows are :data:`PLANE_PAD` elements apart in memory.

    A kernel writes one element to every plane per pixel; planes of a power-of-two length (a 512 × 512
    chunk: 2^18 pixels, 1 MiB) would start at addresses that share the same cache sets, so that the writes
    evict each other. Each plane is contiguous, so ``reshape((n, y, x))`` stays a view.
    """
    out: NDArray[np.float32] = np.empty((n, npix + PLANE_PAD), dtype=np.float32)[:, :npix]
    return out


@njit(inline="always")
def _minimum(a: float, b: float) -> float:
    """``numpy.minimum`` of two floats: NaN if either is NaN (the rules may not import scsmap.rothc's twin)."""
    if a != a or b != b:
        return np.nan
    return a if a < b else b


@njit(inline="always")
def _maximum(a: float, b: float) -> float:
    """``numpy.maximum`` of two floats: NaN if either is NaN."""
    if a != a or b != b:
        return np.nan
    return a if a > b else b


@njit(inline="always")
def _nan_to_num(a: float) -> float:
    """``numpy.nan_to_num``: NaN → 0, ±inf → ± the largest float64."""
    if a != a:
        return 0.0
    if a == np.inf:
        return 1.7976931348623157e308
    if a == -np.inf:
        return -1.7976931348623157e308
    return a


@njit(inline="always")
def _code(v: float, hi: int) -> int:
    """``nan_to_num(v).astype(int64).clip(0, hi)`` of a class-code float (non-finite → 0)."""
    if not np.isfinite(v) or v >= 9.2e18 or v <= -9.2e18:
        return 0
    c = int(v)
    return 0 if c < 0 else (hi if c > hi else c)


@njit(inline="always")
def _cap(rate: float, room_per_year: float, extra: float, relative: float, eff: float) -> float:
    """``_Caps.apply`` of one pixel: ``room_per_year`` is ``room / duration``; eff 1 when no β; extra NaN when none."""
    e = rate * eff
    capped = _minimum(_minimum(e, room_per_year), relative)
    if extra == extra:
        capped = _minimum(capped, extra)
    return capped if rate > 0 else rate


@njit(inline="always")
def _put(out: np.ndarray, row: np.ndarray, j: int, p: int, value: float) -> None:
    """``out[row[j], p] = value``: output ``j`` of pixel ``p`` into its row, nowhere when ``row[j]`` is -1."""
    r = row[j]
    if r >= 0:
        out[r, p] = value


@njit(inline="always")
def _rates_of_unnamed(out: np.ndarray, row: np.ndarray, o: int, p: int, missing: bool) -> None:
    """The rate, low and high outputs (``o + 2 .. o + 4``) of a rule that does not name pixel ``p``'s land-use
    class: the class is unsuitable (land use), so they are 0, or NaN where an input of the pixel is missing."""
    v = np.nan if missing else 0.0
    _put(out, row, o + 2, p, v)
    _put(out, row, o + 3, p, v)
    _put(out, row, o + 4, p, v)


@njit(nogil=True, cache=True, error_model="numpy")
def _loop(  # noqa: PLR0912, PLR0913, PLR0915 - one fused pass over all practices
    soc: np.ndarray,
    clay: np.ndarray,
    sand: np.ndarray,
    zone_f: np.ndarray,
    soil_f: np.ndarray,
    ai: np.ndarray,
    slope: np.ndarray,
    lu_f: np.ndarray,
    sat: np.ndarray,
    deficit: np.ndarray,
    levels: np.ndarray,
    need: np.ndarray,
    present: np.ndarray,
    soc_ref: np.ndarray,
    lu_group: np.ndarray,
    crop_flu: np.ndarray,
    crop_eflu: np.ndarray,
    base_f: np.ndarray,
    base_e: np.ndarray,
    base_attr: np.ndarray,
    soil_excl: np.ndarray,
    r_lu: np.ndarray,
    r_zone_excl: np.ndarray,
    r_clay_zone: np.ndarray,
    r_adopt: np.ndarray,
    r_int: np.ndarray,
    r_mech: np.ndarray,
    r_thr: np.ndarray,
    r_has: np.ndarray,
    r_new_f: np.ndarray,
    r_new_e: np.ndarray,
    r_from_f: np.ndarray,
    r_from_e: np.ndarray,
    r_t2: np.ndarray,
    scalars: np.ndarray,
    row: np.ndarray,
    out: np.ndarray,
) -> None:
    ex_soc, ex_sand, m_slope, m_ai = scalars[0], scalars[1], scalars[2], scalars[3]
    horizon, tier1_years, transition, manure_cap, poc = scalars[4], scalars[5], scalars[6], scalars[7], scalars[8]
    s_lo, s_hi, rate_lo, rate_hi, beta = scalars[9], scalars[10], scalars[11], scalars[12], scalars[13]
    best_of, rate_4p1000, n_mech = int(scalars[14]), scalars[15], int(scalars[16])
    n_rules = r_int.shape[0]
    n_soils = soc_ref.shape[1]
    nz = soc_ref.shape[0] - 1
    npix = soc.shape[0]
    mech = np.zeros(max(n_mech, 1))
    f = np.zeros(3)
    e = np.zeros(3)
    nan = np.nan
    # the classes and reasons read by the run (any rule's), and the land-use classes some rule names
    reasons = False
    for r in range(n_rules):
        if row[5 * r] >= 0 or row[5 * r + 1] >= 0:
            reasons = True
    # a rule's Tier 1 rate and uncertainty depend on the pixel's classes only (land use, zone, soil class,
    # baseline levels): kept from the pixel before while the classes stay the same (neighbours mostly share them)
    n_attr = levels.shape[0]
    key_lv = np.full(n_attr, -1, dtype=np.int64)
    key_lu, key_z, key_so = -3, -1, -1
    kept_rate = np.empty(n_rules)
    kept_unc = np.empty(n_rules)
    kept = np.zeros(n_rules, dtype=np.bool_)
    lu_named = np.zeros(r_lu.shape[1], dtype=np.bool_)
    for r in range(n_rules):
        for c in range(r_lu.shape[1]):
            if r_lu[r, c]:
                lu_named[c] = True
    for p in range(npix):
        s0 = np.float64(soc[p])  # each input widened to float64 as it is read (float32 layers are not copied)
        v_lu = np.float64(lu_f[p])
        z = _code(np.float64(zone_f[p]), nz)
        so = _code(np.float64(soil_f[p]), n_soils - 1)
        a = np.float64(ai[p])
        sl = np.float64(slope[p])
        sa = np.float64(sat[p])
        de = np.float64(deficit[p])
        lu = -1 if (not np.isfinite(v_lu) or v_lu >= 9.2e18 or v_lu <= -9.2e18) else int(v_lu)
        missing = (
            not np.isfinite(s0)
            or not np.isfinite(v_lu)
            or z == 0
            or so == 0
            or not np.isfinite(a)
            or not np.isfinite(de)
        )
        lu_valid = 0 <= lu <= 255
        lu_idx = 0 if lu < 0 else (255 if lu > 255 else lu)
        best_rate = 0.0
        best_low = 0.0
        best_high = 0.0
        best_code = 0.0
        best_years = horizon
        exclusive_best = 0.0
        for m in range(n_mech):
            mech[m] = 0.0
        any_unknown = False
        combined = 0.0
        if not reasons and lu_valid and not lu_named[lu_idx]:
            # no rule names the pixel's land-use class (forest, settlements, water, ... in the default table): every
            # rule as in the loop below when it skips the rule; the combined rate is then 0 as the loop's
            # (a sum of zeros, which no cap changes)
            for r in range(n_rules):
                _rates_of_unnamed(out, row, 5 * r, p, missing)
        else:
            soil_excluded = s0 > ex_soc or np.float64(sand[p]) > ex_sand or soil_excl[so]
            marginal = sl > m_slope or a < m_ai
            saturated = sa >= 100.0
            # the caps (docs/methods/saturation.md §4.3-4.4)
            room = _maximum(de, 0.0) + poc
            room_t1 = room / tier1_years
            room_h = room / horizon
            if s0 != s0:
                r_max = nan
            elif s0 <= s_lo:
                r_max = rate_lo
            elif s0 >= s_hi:
                r_max = rate_hi
            else:
                r_max = (rate_hi - rate_lo) / (s_hi - s_lo) * (s0 - s_lo) + rate_lo
            relative = r_max * s0
            eff = 1.0
            if beta == beta:
                sc = sa if sa != sa else (0.0 if sa < 0.0 else (100.0 if sa > 100.0 else sa))
                eff = (1.0 - sc / 100.0) ** beta
            # the baseline Tier 1 factors of the pixel's land use
            grp = lu_group[lu_idx] if lu_valid else 0
            g = grp - 1
            sr = soc_ref[z, so]
            same = lu == key_lu and z == key_z and so == key_so
            if same:
                for i in range(n_attr):
                    if levels[i, p] != key_lv[i]:
                        same = False
                        break
            if not same:  # other classes: the factors below, and each rule's rate when first needed
                key_lu, key_z, key_so = lu, z, so
                for i in range(n_attr):
                    key_lv[i] = levels[i, p]
                for i in range(n_rules):
                    kept[i] = False
            if g >= 0 and not same:
                for k in range(3):
                    lv = 0 if base_attr[g, k] < 0 else levels[base_attr[g, k], p]
                    f[k] = base_f[g, k, lv, z]
                    e[k] = base_e[g, k, lv, z]
                if g == 0:
                    f[0] = crop_flu[lu_idx, z]
                    e[0] = crop_eflu[lu_idx, z]
            for r in range(n_rules):
                o = 5 * r
                if not reasons and lu_valid and not r_lu[r, lu_idx]:
                    # a rule that does not name the land-use class: unsuitable (land use), its rates 0, NaN where an
                    # input is missing; it changes neither the best practice nor the combined rate (with the class and
                    # reasons unread, nothing else of it is needed)
                    _rates_of_unnamed(out, row, o, p, missing)
                    continue
                u_bits = 0
                c_bits = 0
                lu_ok = lu_valid and r_lu[r, lu_idx]
                not_eligible = lu_valid and not r_lu[r, lu_idx]
                if r_int[r, 0]:  # marginal only
                    if lu_ok and not marginal and np.isfinite(a):
                        not_eligible = True
                    lu_ok = lu_ok and marginal
                if not_eligible:
                    u_bits |= BIT_LAND_USE
                if r_zone_excl[r, z]:
                    u_bits |= BIT_CLIMATE
                t = r_thr[r, 0]
                if t == t and a < t:
                    u_bits |= BIT_CLIMATE
                t = r_thr[r, 1]
                if t == t and a > t:
                    u_bits |= BIT_CLIMATE
                t = r_thr[r, 2]
                if t == t and a < t:
                    c_bits |= BIT_CLIMATE
                t = r_thr[r, 3]
                if t == t and sl > t:
                    u_bits |= BIT_SLOPE
                t = r_thr[r, 4]
                if t == t and sl > t:
                    c_bits |= BIT_SLOPE
                if soil_excluded:
                    u_bits |= BIT_SOIL
                t = r_thr[r, 5]
                if t == t and np.float64(clay[p]) > t and r_clay_zone[r, z]:
                    c_bits |= BIT_SOIL
                if saturated:
                    u_bits |= BIT_SATURATED
                attr = r_int[r, 1]
                if attr >= 0 and not r_adopt[r, levels[attr, p]]:
                    u_bits |= BIT_ALREADY
                if r_int[r, 2]:
                    c_bits |= BIT_RESOURCE
                miss = missing
                ri = r_int[r, 3]
                if ri >= 0:
                    nd = need[ri, p] if present[ri] else nan
                    if lu_ok and not np.isfinite(nd):
                        miss = True
                    if np.isfinite(nd) and nd < 0.5:
                        u_bits |= BIT_LAND_USE
                # the Tier 1 rate and its relative 95 % half-width (IPCC 2006 Vol. 1 Ch. 3 eqs 3.1-3.2)
                rate = nan
                unc = 0.0
                # only an eligible pixel with its inputs needs the rate (elsewhere its outputs are 0 or NaN)
                if lu_ok and not miss and g >= 0 and r_has[r, g] and kept[r]:
                    rate = kept_rate[r]
                    unc = kept_unc[r]
                elif lu_ok and not miss and g >= 0 and r_has[r, g]:
                    k = r_int[r, 4]
                    f_new = r_new_f[r, g, z]
                    e_new = r_new_e[r, g, z]
                    if k == 3:  # F_AF multiplies the stock
                        old = sr * f[0] * f[1] * f[2]
                        new = old * f_new
                        u_diff = abs(e_new * f_new / (f_new - 1.0))
                        uu = np.sqrt(u_diff**2 + e[0] ** 2 + e[1] ** 2 + e[2] ** 2)
                    else:
                        f_old = r_from_f[r, g, z] if r_int[r, 5] else f[k]
                        e_old = r_from_e[r, g, z] if r_int[r, 5] else e[k]
                        f0 = f_old if k == 0 else f[0]
                        f1 = f_old if k == 1 else f[1]
                        f2 = f_old if k == 2 else f[2]
                        old = sr * f0 * f1 * f2
                        f0 = f_new if k == 0 else f[0]
                        f1 = f_new if k == 1 else f[1]
                        f2 = f_new if k == 2 else f[2]
                        new = sr * f0 * f1 * f2
                        u_diff = np.sqrt((e_new * f_new) ** 2 + (e_old * f_old) ** 2) / abs(f_new - f_old)
                        others = 0.0
                        for j in range(3):
                            if j != k:
                                others = others + e[j] ** 2
                        uu = np.sqrt(u_diff**2 + others)
                    rate = (new - old) / transition
                    unc = _nan_to_num(uu)
                    kept_rate[r] = rate
                    kept_unc[r] = unc
                    kept[r] = True
                years = tier1_years
                t2 = r_t2[r, z]
                if np.isfinite(t2) and lu_ok:  # a Tier 2 table value replaces it, counted over the horizon
                    rate = t2
                    unc = 0.0
                    years = horizon
                if lu_ok and not np.isfinite(rate) and not miss:
                    u_bits |= BIT_MASKED
                unknown = miss and u_bits == 0
                if u_bits > 0:
                    cls = 0
                elif unknown:
                    cls = UNKNOWN
                elif c_bits > 0:
                    cls = 1
                else:
                    cls = 2
                bits = BIT_MASKED if unknown else (u_bits | c_bits)
                if miss:
                    final = nan
                    low_o = nan
                    high_o = nan
                elif cls == 0:
                    final = 0.0
                    low_o = 0.0
                    high_o = 0.0
                else:
                    extra = manure_cap if r_int[r, 6] else nan
                    per_year = room_h if years == horizon else room_t1  # room / years
                    r0 = _nan_to_num(rate)
                    final = _cap(r0, per_year, extra, relative, eff)
                    lo = _cap(r0 * (1.0 - unc), per_year, extra, relative, eff)
                    hi = _cap(r0 * (1.0 + unc), per_year, extra, relative, eff)
                    low_o = _minimum(lo, hi)
                    high_o = _maximum(lo, hi)
                _put(out, row, o, p, cls)
                _put(out, row, o + 1, p, bits)
                _put(out, row, o + 2, p, final)
                _put(out, row, o + 3, p, low_o)
                _put(out, row, o + 4, p, high_o)
                if unknown:
                    any_unknown = True
                eligible = cls >= best_of and cls != UNKNOWN
                if eligible and final > best_rate:
                    best_low = low_o
                    best_high = high_o
                    best_rate = final
                    best_code = r_int[r, 7]
                    best_years = years
                usable = final if (eligible and final > 0) else 0.0
                mi = r_mech[r]
                if mi < 0:
                    exclusive_best = _maximum(exclusive_best, usable)
                else:
                    mech[mi] = _maximum(mech[mi], usable)
            combined_raw = 0.0
            for m in range(n_mech):
                combined_raw = combined_raw + mech[m]
            combined = _maximum(_cap(combined_raw, room_t1, nan, relative, eff), exclusive_best)
        target = rate_4p1000 * s0
        o = 5 * n_rules
        if missing or (best_code == 0 and any_unknown):
            for j in range(1, 8):
                _put(out, row, o + j, p, nan)
        else:
            _put(out, row, o + 1, p, best_rate)
            _put(out, row, o + 2, p, combined)
            _put(out, row, o + 3, p, best_rate * best_years)
            _put(out, row, o + 4, p, 100.0 * best_rate / target if target > 0 else nan)
            _put(out, row, o + 5, p, 0.0 if de <= 0 else (de / best_rate if best_rate > 0 else nan))
            _put(out, row, o + 6, p, best_low)
            _put(out, row, o + 7, p, best_high)
        _put(out, row, o, p, UNKNOWN_PRACTICE if (best_code == 0 and any_unknown) else best_code)
