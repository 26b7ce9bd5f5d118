"""The GSOCseq protocol on pixel vectors: spin-up, forward BAU/SSM1-3, min/max uncertainty.

Per pixel of a target land use (section numbers are those of docs/methods/gsocseq.md; [TM] is the
GSOCseq Technical Manual v1.1 and [S12] the GSOCseq scripts v1.2, docs/methods/index.md §0.2):

1. **Spin-up** — the exact periodic equilibrium of the Rothamsted discrete engine under
   the spin-up climatology (:func:`scsmap.rothc.kernel.equilibrium_exact`), scaled so
   that total SOC equals the SOC map (pools are linear in the C input, so
   ``C_eq = (SOC₀ − IOM)/SOC_active(1 t C ha-1 yr-1)``). IOM after Falloon et al. (1998).
   This replaces GSOCseq's analytic ODE spin-up with mean modifier ξ̄ (§1.7) by the
   steady state of the engine that runs the forward years, so a pixel whose climate and
   input do not change stays exactly at its SOC (no spurious drift).
2. **Warm-up** — when a year-by-year climate series is given (``*_warmup`` layers), each year
   is run month by month with that year's climate and an input scaled by the year's MIAMI NPP
   relative to the spin-up NPP (§1.6 steps 3-4); T0 is the SOC after it and the BAU
   input the mean warm-up input. Without a series the SOC map is taken as T0, as the GSOCseq
   manual allows when the map represents 2015-2020 (§1.7). With yearly land-use maps (the
   scripts' LUsim) each warm-up year takes the DR, paddy factor and NPP coefficient of that
   year's class (:class:`WarmupLandUse`); otherwise land use is held at the T0 map.
3. **Forward** — ``years`` years under the forward climatology with BAU input ``C_BAU`` and
   SSM inputs ``C_BAU·(1 + Δ)``, Δ = 0.05/0.10/0.20 (§1.6 step 5), through the annual
   affine map (:func:`scsmap.rothc.kernel.forward_periodic`). ``C_BAU`` is the mean warm-up
   input; without a warm-up either the equilibrium input ``C_eq`` (``bau_input="equilibrium"``)
   or, as the scripts do, ``C_eq · NPP_forward / NPP_spin-up`` with MIAMI NPP of each
   climatology (``bau_input="npp_scaled"``, :func:`npp_ratio`).
4. **Inverse 4 per 1000** — the additional annual input that makes SOC grow by 0.4 % of T0 a
   year over the horizon (the RothC inverse mode of the 4 per 1000 literature), exact by
   linearity from the SSM1 response, and the share of it each SSM scenario supplies.
5. **Uncertainty** — GSOCseq's min/max chains (§1.8, [TM] Table 12.1): T ×1.02/×0.98, P ×0.95/×1.05,
   clay ×0.9/×1.1, SOC ×0.8/×1.2, medium SSM input ×(1.10 ∓ 0.15); each chain repeats
   spin-up and forward, with its own IOM (§1.11 #9).
   ``U% = 100 (max − min) / (2 mean)`` ([TM] eqs 12.1, 12.7); rate uncertainties by the
   propagation coded in the GSOCseq scripts (sum of stocks in the denominator, §1.8).

Moisture: PET is supplied, so the deficit uses ``P − 1.0·PET`` (pE = 1, §1.5);
the soil is "bare" for the moisture routine where the cover factor exceeds 0.8 (§1.4).
Depth of the moisture routine: 30 cm (GSOCseq).

All functions here are pure numpy on pixel vectors; :mod:`scsmap.layers.gsocseq` maps them onto
the region grid block by block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias, cast

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from . import kernel as K
from . import params as P
from ._types import BoolArray, FloatArray, IntArray

#: the RothC numerics of a GSOCseq run (``rothc.engine``)
Engine: TypeAlias = Literal["rothamsted", "gsocseq_compat"]
#: the BAU input without a warm-up series (``rothc.bau_input``)
BauInput: TypeAlias = Literal["equilibrium", "npp_scaled"]

#: outputs of :func:`gsocseq_pixels`, in order (scsmap product ids without prefix)
SCENARIOS = ("bau", "ssm1", "ssm2", "ssm3")
OUTPUTS = (
    ["final_" + s for s in SCENARIOS]
    + ["absdiff_" + s for s in SCENARIOS]
    + ["asr_" + s for s in SCENARIOS]
    + ["reldiff_" + s for s in SCENARIOS[1:]]
    + ["rsr_" + s for s in SCENARIOS[1:]]
    + ["unc_t0", "unc_bau", "unc_ssm"]
    + ["unc_asr_" + s for s in SCENARIOS]
    + ["unc_rsr_" + s for s in SCENARIOS[1:]]
    + ["t0", "c_input_bau", "cinput_needed_4p1000"]
    + ["share_4p1000_input_" + s for s in SCENARIOS[1:]]
    + ["qa_flags"]
    + [f"mc_{stat}_asr_{s}" for s in SCENARIOS for stat in ("mean", "sd", "p05", "p95")]
)


def output_names(path_years: Sequence[int] = ()) -> list[str]:
    """Outputs of :func:`gsocseq_pixels`: :data:`OUTPUTS`, then ``dsoc_<scenario>_y<year>`` for the path.

    Parameters
    ----------
    path_years : sequence of int
        Forward years of the recorded SOC path (the trajectory).

    Returns
    -------
    list of str
        ``dsoc_<s>_y<k>`` is the SOC change from T0 to the end of forward year ``k`` [t C ha-1].
    """
    return list(OUTPUTS) + [f"dsoc_{s}_y{y}" for s in SCENARIOS for y in path_years]


#: relative 95 % half-widths of the GSOCseq uncertainty table ([TM] Table 12.1; docs/methods/gsocseq.md §1.8),
#: used as ±1.96 SD in Monte Carlo
MC_HALF_WIDTH = {"temperature": 0.02, "precipitation": 0.05, "clay": 0.10, "soc": 0.20, "ssm_points": 0.15}


#: pixels of one batch of :func:`gsocseq_pixels` (memory is bounded by the batch, not by the chunk)
PIXEL_BATCH = 16384


def qa_flags(r: dict[str, FloatArray], t0: FloatArray) -> FloatArray:
    """GSOCseq map-correction tests as bit flags; 0 = passes all.

    ===  ==========================================
    bit  set where
    ===  ==========================================
    0    T0 or a final SOC < 0 or > 800 t C ha-1
    1    an AbsDiff <= -80 or >= 80 t C ha-1
    2    a RelDiff < 0 or >= 80 t C ha-1
    3    an ASR <= -4 or > 4 t C ha-1 yr-1
    4    an RSR < 0 or > 4 t C ha-1 yr-1
    5    an uncertainty < 0 or > 200 %
    ===  ==========================================

    Parameters
    ----------
    r : dict of str to numpy.ndarray
        Outputs of one batch by name (``final_*``, ``absdiff_*``, ``reldiff_*``, ``asr_*``, ``rsr_*``,
        ``unc_*``), each ``(n,)``; missing names are not tested.
    t0 : numpy.ndarray
        ``(n,)`` SOC at T0 [t C ha-1].

    Returns
    -------
    numpy.ndarray
        ``(n,)`` float64 bit flags.

    References
    ----------
    GSOCseq scripts v1.2 ``15_MapsCorrection.R`` (docs/methods/gsocseq.md §1.10).
    """

    def any_(names: Iterable[str], test: Callable[[FloatArray], BoolArray]) -> BoolArray:
        out = np.zeros(t0.shape, bool)
        for n in names:
            if n in r:
                with np.errstate(invalid="ignore"):
                    out |= test(r[n])
        return out

    finals = [f"final_{k}" for k in SCENARIOS]
    bits = [
        any_(finals, lambda v: (v < 0) | (v > 800)) | (t0 < 0) | (t0 > 800),
        any_([f"absdiff_{k}" for k in SCENARIOS], lambda v: (v <= -80) | (v >= 80)),
        any_([f"reldiff_{k}" for k in SCENARIOS[1:]], lambda v: (v < 0) | (v >= 80)),
        any_([f"asr_{k}" for k in SCENARIOS], lambda v: (v <= -4) | (v > 4)),
        any_([f"rsr_{k}" for k in SCENARIOS[1:]], lambda v: (v < 0) | (v > 4)),
        any_([n for n in r if n.startswith("unc_")], lambda v: (v < 0) | (v > 200)),
    ]
    # six bit arrays: the sum is an array, never the empty sum 0
    flags: FloatArray = cast(IntArray, sum(b.astype(np.int64) << i for i, b in enumerate(bits))).astype("f8")
    return flags


@dataclass(frozen=True)
class LandUseParams:
    """RothC parameters per FAO land-use class (``scsmap/data/land_use_rothc.csv``, read by
    :func:`scsmap.io.tables.load_land_use_params`; docs/methods/gsocseq.md §1.3).

    Attributes
    ----------
    dr : numpy.ndarray
        ``(256,)`` DPM/RPM ratio [1] by class code, NaN where undefined.
    spinup, forward : numpy.ndarray of bool
        ``(256,)``: the class is a spin-up / forward (scenario) target.
    paddy : numpy.ndarray
        ``(256,)`` decomposition factor f_PR [1] (0.4 for paddy fields, else 1).
    npp : numpy.ndarray
        ``(256,)`` share of MIAMI NPP that enters the soil [1] (0.53 crops, 0.72 grass, 0.88 trees; NaN
        where the class has none), used when the land use changes over the warm-up (§1.6 step 1).
    """

    dr: FloatArray  # (256,) DPM/RPM ratio, NaN where undefined
    spinup: BoolArray  # (256,) bool
    forward: BoolArray  # (256,) bool
    paddy: FloatArray  # (256,) decomposition factor
    npp: FloatArray | None = None  # (256,) NPP coefficient


@dataclass(frozen=True)
class WarmupLandUse:
    """Land-use parameters of each warm-up year for a vector of pixels (the scripts' LUsim).

    Attributes
    ----------
    dr : numpy.ndarray
        ``(years, n)`` DPM/RPM ratio of the year's land-use class [1].
    paddy : numpy.ndarray
        ``(years, n)`` paddy factor f_PR of the year's class [1].
    npp_share : numpy.ndarray
        ``(years, n)`` NPP coefficient of the year's class divided by that of the T0 (forward) class
        [1]: the scripts scale the year's input by ``NPP_y · coef_y / (NPP_spin-up · coef_T0)``
        (``12_ROTH_C_WARM_UP.R`` applies the 2020 class's coefficient to the 1981-2000 mean NPP).

    References
    ----------
    GSOCseq scripts v1.2 ``12_ROTH_C_WARM_UP.R`` and ``6_Land_Use_ESA_to_FAO_classes_LUsim.R``;
    docs/methods/gsocseq.md §1.6-§1.7.
    """

    dr: FloatArray
    paddy: FloatArray
    npp_share: FloatArray

    def take(self, sel: IntArray) -> WarmupLandUse:
        """The same for a subset of pixels."""
        return WarmupLandUse(self.dr[:, sel], self.paddy[:, sel], self.npp_share[:, sel])


def warmup_land_use(classes: ArrayLike, final: ArrayLike, params: LandUseParams) -> tuple[WarmupLandUse, BoolArray]:
    """Per-year RothC parameters from yearly land-use classes.

    Parameters
    ----------
    classes : array_like
        ``(years, n)`` FAO land-use class of each warm-up year (NaN unknown).
    final : array_like
        ``(n,)`` FAO class at T0 (the forward land use).
    params : LandUseParams
        With ``npp`` coefficients.

    Returns
    -------
    WarmupLandUse
    ok : numpy.ndarray of bool
        ``(n,)`` pixels whose every year has a class with a DR and an NPP coefficient; the scripts drop
        a point with any missing yearly DR (``any(is.na(DR_im))``), and so does scsmap.

    Raises
    ------
    ValueError
        When ``params`` has no NPP coefficients.
    """
    if params.npp is None:
        raise ValueError("yearly land use needs the NPP coefficient of each land-use class (LandUseParams.npp)")
    c = np.asarray(classes, dtype="f8")
    known = np.isfinite(c)
    lu = np.nan_to_num(c, nan=0).astype(int).clip(0, 255)
    lf = np.nan_to_num(np.asarray(final, dtype="f8"), nan=0).astype(int).clip(0, 255)
    dr, coef, coef_f = params.dr[lu], params.npp[lu], params.npp[lf]
    ok = (known & np.isfinite(dr) & np.isfinite(coef)).all(axis=0) & np.isfinite(coef_f) & (coef_f > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = coef / coef_f
    return WarmupLandUse(dr=dr, paddy=params.paddy[lu], npp_share=share), ok


def npp_ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    """MIAMI NPP of one climate over that of another: the GSOCseq scaling of the C input.

    Parameters
    ----------
    num, den : numpy.ndarray
        ``(3, 12, n)`` monthly temperature [degC], precipitation and PET [mm month-1]; NPP from the
        mean of the 12 temperatures and the sum of the 12 precipitations, as the scripts compute it
        for each year (``T<-mean(Temp[,2]); P<-sum(Precip[,2])``).

    Returns
    -------
    numpy.ndarray
        ``(n,)`` [1]; the carbon fraction and the land-use coefficient cancel.

    References
    ----------
    GSOCseq scripts v1.2 ``12_ROTH_C_WARM_UP.R`` (``Cinputs[w] <- Spin_up/NPP_81_00 * NPP_M[w]``);
    Lieth (1975); docs/methods/gsocseq.md §1.6 step 3.
    """
    ratio: FloatArray = miami_npp(num[0].mean(axis=0), num[1].sum(axis=0)) / miami_npp(
        den[0].mean(axis=0), den[1].sum(axis=0)
    )
    return ratio


def cover_fallback(land_use: ArrayLike, cropland_bare_months: Iterable[int] = ()) -> FloatArray:
    """Monthly cover factor c without NDVI: the GSOCseq manual's fallback rule.

    c = 0.6 for vegetated land (trees, tree crops, grassland, shrubs, crop months) and
    c = 1.0 for bare soil (class 9) and for the cropland months listed as bare/fallow.

    Parameters
    ----------
    land_use : array_like
        FAO land-use class, shape S.
    cropland_bare_months : sequence of int
        Months (1-12) in which cropland (class 2, 13) is bare.

    Returns
    -------
    numpy.ndarray
        (12, *S) cover factor [-].

    References
    ----------
    GSOCseq Technical Manual ch. 6 "Monthly vegetation cover" (docs/methods/gsocseq.md §1.4).
    """
    lu = np.asarray(land_use)
    c = np.where(lu == 9, 1.0, 0.6)
    out = np.repeat(c[None], 12, axis=0).astype("f8")
    crop = (lu == 2) | (lu == 13)
    for m in cropland_bare_months:
        out[m - 1] = np.where(crop, 1.0, out[m - 1])
    return out


def miami_npp(mat: ArrayLike, map_mm: ArrayLike, c_frac: float = 0.5) -> FloatArray:
    """Net primary productivity after the MIAMI model (Lieth 1975), as carbon.

    ``NPP_T = 3000 / (1 + exp(1.315 − 0.119 T))``, ``NPP_P = 3000 (1 − exp(−0.000664 P))``,
    ``NPP = min(NPP_T, NPP_P)`` [g DM m-2 yr-1]; × 0.01 × ``c_frac`` → t C ha-1 yr-1.

    Parameters
    ----------
    mat : array_like
        Mean annual air temperature [degC].
    map_mm : array_like
        Annual precipitation [mm yr-1].
    c_frac : float, default 0.5
        Carbon fraction of dry matter (0.5 in all GSOCseq scripts, 0.48 in manual eq 6.9).

    Returns
    -------
    numpy.ndarray
        [t C ha-1 yr-1].

    References
    ----------
    Lieth, H. (1975) Modeling the primary productivity of the world. In: Primary
    Productivity of the Biosphere, Springer, 237-263. GSOCseq Technical Manual eqs 6.6-6.9;
    [S12] 3_MIAMI_MODEL_NPP_MIAMI_MEAN_81-00_TC.R (docs/methods/gsocseq.md §1.6; worked values (15 °C,
    800 mm) → 6.182, (10, 1000) → 7.032 t C ha-1 yr-1).
    """
    mat, map_mm = np.asarray(mat, dtype="f8"), np.asarray(map_mm, dtype="f8")
    npp_t = 3000.0 / (1.0 + np.exp(1.315 - 0.119 * mat))
    npp_p = 3000.0 * (1.0 - np.exp(-0.000664 * map_mm))
    return np.minimum(npp_t, npp_p) * 0.01 * c_frac


def _warmup(
    pools: FloatArray,
    swc: FloatArray,
    warm: FloatArray,
    spin: FloatArray,
    clay: FloatArray,
    cover12: FloatArray,
    covered12: BoolArray,
    paddy: FloatArray,
    unit: FloatArray,
    c_eq: FloatArray,
    temperature: K.Temperature,
    depth: float,
    lu: WarmupLandUse | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """GSOCseq warm-up: each year's climate and an input scaled by that year's MIAMI NPP.

    docs/methods/gsocseq.md §1.6-§1.7.

    C_w = C_eq · NPP_w / NPP_spin-up (ratio chaining of the scripts, telescoped; the land-use coefficient
    cancels for a constant land use, else it enters as ``lu.npp_share``, and DR and the paddy factor are
    those of the year's class). Returns pools and deficit at T0 and the BAU input = mean of the C_w.
    """
    nyear = warm.shape[1] // 12
    npp_spin = miami_npp(spin[0].mean(axis=0), spin[1].sum(axis=0))
    total = np.zeros(np.shape(npp_spin))  # sum of the yearly input ratios (0 + r is exactly r)
    for y in range(nyear):
        w = warm[:, 12 * y : 12 * (y + 1)]
        ratio = miami_npp(w[0].mean(axis=0), w[1].sum(axis=0)) / npp_spin
        if lu is not None:
            ratio = ratio * lu.npp_share[y]
            unit = _unit_inputs(lu.dr[y])
            paddy = lu.paddy[y]
        res = K.simulate(
            pools,
            swc,
            tmp=w[0],
            rain=w[1],
            evap=w[2],
            covered=covered12,
            cover=cover12,
            clay=clay,
            depth=depth,
            inputs=unit * (c_eq * ratio),
            factor=paddy,
            evap_coeff=1.0,
            temperature=temperature,
        )
        pools, swc = res.pools, res.swc
        total = total + ratio
    return pools, swc, c_eq * total / nyear


def _unit_inputs(dr: FloatArray) -> FloatArray:
    """(12, 4, n) monthly inputs of 1 t C ha-1 yr-1 in equal monthly parts, split DR/(1 + DR) to DPM."""
    gd = dr / (1.0 + dr)
    z = np.zeros_like(gd)
    return np.repeat(np.stack([gd / 12.0, (1.0 - gd) / 12.0, z, z])[None], 12, axis=0)


@dataclass(frozen=True)
class ChainResult:
    """What one spin-up (+ warm-up) + forward chain gives.

    Attributes
    ----------
    finals : numpy.ndarray
        ``(k, n)`` total SOC after ``years`` for each input increase [t C ha-1].
    c_bau : numpy.ndarray
        ``(n,)`` BAU input [t C ha-1 yr-1].
    t0 : numpy.ndarray
        ``(n,)`` SOC at the start of the forward run [t C ha-1].
    path : numpy.ndarray or None
        ``(k, len(path_years), n)`` total SOC at the end of the requested forward years [t C ha-1].
    """

    finals: FloatArray
    c_bau: FloatArray
    t0: FloatArray
    path: FloatArray | None = None


def _chain(
    soc: FloatArray,
    clay: FloatArray,
    spin: FloatArray,
    fwd: FloatArray,
    dr: FloatArray,
    cover12: FloatArray,
    paddy: FloatArray,
    years: int,
    increases: Sequence[float],
    temperature: K.Temperature,
    depth: float,
    warm: FloatArray | None = None,
    bau_input: BauInput = "equilibrium",
    warm_lu: WarmupLandUse | None = None,
    path_years: Sequence[int] = (),
) -> ChainResult:
    """One spin-up (+ warm-up) + forward chain for pixel vectors (exact Rothamsted engine)."""
    covered12 = cover12 <= 0.8
    iom = P.falloon_iom(soc)
    unit = _unit_inputs(dr)  # (12, 4, n): 1 t C ha-1 yr-1 in equal monthly parts
    eq = K.equilibrium_exact(
        tmp12=spin[0],
        rain12=spin[1],
        evap12=spin[2],
        covered12=covered12,
        clay=clay,
        depth=depth,
        inputs12=unit,
        iom=iom,
        cover12=cover12,
        factor=paddy,
        evap_coeff=1.0,
        temperature=temperature,
    )
    act1 = eq.pools[:4].sum(axis=0)
    c_eq = np.where(act1 > 0, (soc - iom) / act1, np.nan)
    pools = np.concatenate([eq.pools[:4] * c_eq, iom[None]], axis=0)
    swc, c_bau = np.asarray(eq.swc), c_eq
    if warm is not None:
        pools, swc, c_bau = _warmup(
            pools, swc, warm, spin, clay, cover12, covered12, paddy, unit, c_eq, temperature, depth, warm_lu
        )
    elif bau_input == "npp_scaled":
        c_bau = c_eq * npp_ratio(fwd, spin)
    t0 = pools.sum(axis=0)
    forward = dict(
        tmp12=fwd[0],
        rain12=fwd[1],
        evap12=fwd[2],
        covered12=covered12,
        clay=clay,
        depth=depth,
        inputs12=unit * c_bau,
        cover12=cover12,
        factor=paddy,
        evap_coeff=1.0,
        temperature=temperature,
        input_factors=[1.0 + d for d in increases],
    )
    fin, _ = K.forward_periodic(pools, swc, years=years, **forward)
    if not path_years:
        return ChainResult(fin.sum(axis=1), c_bau, t0)
    # the path for the trajectory (pools at the path years only, jumping between them); the finals stay
    # those of the run above, so that the maps do not depend on whether a path is asked for
    run_years = max([years, *path_years])
    _, _, rec = K.forward_periodic(pools, swc, years=run_years, record_years=list(path_years), **forward)
    return ChainResult(fin.sum(axis=1), c_bau, t0, rec.sum(axis=2))  # path (k, len(path_years), n) total SOC


def _u(lo: FloatArray, hi: FloatArray) -> FloatArray:
    mean = (lo + hi) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        return 100.0 * (hi - lo) / (2.0 * np.abs(mean))


def gsocseq_pixels(
    soc: FloatArray,
    clay: FloatArray,
    spin: FloatArray,
    fwd: FloatArray,
    land_use: ArrayLike,
    cover12: FloatArray,
    *,
    years: int = 20,
    ssm: Sequence[float] = (0.05, 0.10, 0.20),
    uncertainty: bool = True,
    temperature: K.Temperature = "rothamsted",
    depth: float = 30.0,
    params: LandUseParams,
    batch: int = PIXEL_BATCH,
    dr: FloatArray | None = None,
    rate_4p1000: float = 0.004,
    warm: FloatArray | None = None,
    engine: Engine = "rothamsted",
    mc_draws: int = 0,
    seed: int = 0,
    bau_input: BauInput = "equilibrium",
    warm_land_use: FloatArray | None = None,
    path_years: Sequence[int] = (),
    dtype: DTypeLike = np.float64,
) -> FloatArray:
    """GSOCseq products for a vector of pixels.

    Parameters
    ----------
    soc : numpy.ndarray
        (n,) SOC stock at T0, 0-30 cm [t C ha-1].
    clay : numpy.ndarray
        (n,) clay [%].
    spin, fwd : numpy.ndarray
        (3, 12, n) spin-up and forward climatologies: temperature [degC], precipitation
        [mm month-1], PET [mm month-1].
    land_use : numpy.ndarray
        (n,) FAO land-use class.
    cover12 : numpy.ndarray
        (12, n) cover factor c [-].
    years : int
        Forward horizon [yr].
    ssm : tuple of 3 float
        Relative C-input increase of SSM1-3.
    uncertainty : bool
        Run the min/max chains (otherwise uncertainty outputs are NaN).
    temperature : {"rothamsted", "soilr"}
    depth : float
        Depth of the moisture routine [cm].
    params : LandUseParams
        RothC parameters per FAO land-use class (:func:`scsmap.io.tables.load_land_use_params`).
    batch : int
        Pixels processed at once: memory is bounded by the batch, not by ``n``.
    dr : numpy.ndarray, optional
        (n,) DPM/RPM ratio from a layer; where missing, the land-use table's value.
    rate_4p1000 : float
        Relative annual SOC growth of the inverse 4 per 1000 target [yr-1].
    warm : numpy.ndarray, optional
        (3, 12·years, n) warm-up climate year by year (temperature, precipitation, PET);
        when given, T0 is the SOC after the warm-up and the BAU input the mean warm-up input.
    mc_draws : int
        Monte Carlo draws (0 = none): each draw scales T, P, clay and SOC and shifts the SSM
        input increases by factors drawn once for the whole run (normal, 1.96 SD = the GSOCseq
        bounds of docs/methods/gsocseq.md §1.8, :data:`MC_HALF_WIDTH`), so results do not depend on chunking;
        outputs mean, SD, 5th and 95th percentile of the ASR of every scenario.
    seed : int
        Seed of the Monte Carlo draws.
    engine : {"rothamsted", "gsocseq_compat"}
        ``gsocseq_compat`` reproduces the FAO scripts' numerics (:mod:`scsmap.rothc.compat`), warm-up
        included; it ignores ``temperature`` and ``depth``.
    bau_input : {"equilibrium", "npp_scaled"}
        BAU input without ``warm``: ``C_eq``, or ``C_eq · NPP_forward / NPP_spin-up`` (:func:`npp_ratio`),
        the scripts' convention. Ignored with ``warm`` (the BAU input is the mean warm-up input).
    warm_land_use : numpy.ndarray, optional
        (years, n) FAO land-use class of each warm-up year (LUsim, :func:`warmup_land_use`); needs
        ``warm`` with as many years. Pixels with a year whose class has no DR are left out.
    path_years : sequence of int
        Forward years at which to record each scenario's SOC change from T0 (the trajectory).
    dtype : numpy dtype, default float64
        Of the returned array (the model runs in float64 whatever it is; float32 halves the memory of a
        chunk's ~90 outputs where the maps are float32 anyway).

    Raises
    ------
    ValueError
        For an unknown engine, or yearly land use without a warm-up climate of as many years.

    Returns
    -------
    numpy.ndarray
        (len(output_names(path_years)), n) of ``dtype`` in the order of :func:`output_names`: finals [t C ha-1], AbsDiff
        [t C ha-1], ASR [t C ha-1 yr-1], RelDiff, RSR, uncertainties [%], BAU input
        [t C ha-1 yr-1], then the SOC path [t C ha-1]. NaN for pixels whose land use is not a forward target.

    References
    ----------
    GSOCseq Technical Manual (FAO 2020) ch. 5, 6, 12; scripts v1.2 (docs/methods/gsocseq.md §1.5-§1.9).
    """
    if engine not in ("rothamsted", "gsocseq_compat"):
        raise ValueError(f"unknown RothC engine {engine!r}")
    lu = np.nan_to_num(land_use, nan=0).astype(int).clip(0, 255)
    dr_px = params.dr[lu] if dr is None else np.where(np.isfinite(dr) & (dr > 0), dr, params.dr[lu])
    ok = params.forward[lu] & np.isfinite(soc) & np.isfinite(clay) & (soc > 0)
    ok &= np.isfinite(spin).all(axis=(0, 1)) & np.isfinite(fwd).all(axis=(0, 1)) & np.isfinite(cover12).all(axis=0)
    if warm is not None:
        ok &= np.isfinite(warm).all(axis=(0, 1))
    wlu = None
    if warm_land_use is not None:
        if warm is None or warm.shape[1] != 12 * warm_land_use.shape[0]:
            nw = 0 if warm is None else warm.shape[1] // 12
            raise ValueError(
                f"yearly land use over {warm_land_use.shape[0]} years needs a warm-up climate of as many years "
                f"(given: {nw})"
            )
        wlu, lu_ok = warmup_land_use(warm_land_use, lu, params)
        ok &= lu_ok
    n_main = len(OUTPUTS)
    out = np.full((len(output_names(path_years)), soc.shape[0]), np.nan, dtype=dtype)
    idx = np.flatnonzero(ok)
    mc = monte_carlo_factors(mc_draws, seed) if mc_draws else None
    for start in range(0, idx.size, batch):
        sel = idx[start : start + batch]
        main, path = _pixels(
            soc[sel],
            clay[sel],
            spin[:, :, sel],
            fwd[:, :, sel],
            lu[sel],
            cover12[:, sel],
            dr_px[sel],
            years,
            ssm,
            uncertainty,
            temperature,
            depth,
            params,
            rate_4p1000,
            None if warm is None else warm[:, :, sel],
            engine,
            mc,
            bau_input,
            None if wlu is None else wlu.take(sel),
            path_years,
        )
        out[:n_main, sel] = main
        if path is not None:
            out[n_main:, sel] = path.reshape(-1, sel.size)
    return out


def monte_carlo_factors(draws: int, seed: int) -> FloatArray:
    """Monte Carlo factors of the GSOCseq inputs, drawn once per run.

    Normal draws with 1.96 SD equal to the GSOCseq bounds (:data:`MC_HALF_WIDTH`), from
    ``numpy.random.default_rng(seed)``: the same for every pixel and every chunk.

    Parameters
    ----------
    draws : int
        Number of draws.
    seed : int
        Seed of the generator.

    Returns
    -------
    numpy.ndarray
        ``(draws, 5)`` float64: multipliers of temperature, precipitation, clay and SOC [1] (mean 1),
        and the absolute shift of the SSM input increases [1] (mean 0).

    References
    ----------
    GSOCseq Technical Manual v1.1, Table 12.1 (the bounds); docs/methods/gsocseq.md §1.8.
    """
    rng = np.random.default_rng(seed)
    h = MC_HALF_WIDTH
    sd = np.array([h["temperature"], h["precipitation"], h["clay"], h["soc"], h["ssm_points"]]) / 1.96
    z = rng.standard_normal((draws, 5)) * sd
    z[:, :4] += 1.0
    return z


def _pixels(
    s: FloatArray,
    c: FloatArray,
    sp: FloatArray,
    fw: FloatArray,
    lu_ok: IntArray,
    cv: FloatArray,
    dr: FloatArray,
    years: int,
    ssm: Sequence[float],
    uncertainty: bool,
    temperature: K.Temperature,
    depth: float,
    params: LandUseParams,
    rate_4p1000: float,
    wm: FloatArray | None = None,
    engine: Engine = "rothamsted",
    mc: FloatArray | None = None,
    bau_input: BauInput = "equilibrium",
    wlu: WarmupLandUse | None = None,
    path_years: Sequence[int] = (),
) -> tuple[FloatArray, FloatArray | None]:
    """:func:`gsocseq_pixels` on valid target pixels only; returns (len(OUTPUTS), n) and the path."""
    paddy = params.paddy[lu_ok]

    def chain(
        so: FloatArray,
        cl: FloatArray,
        spn: FloatArray,
        fwd: FloatArray,
        warm: FloatArray | None,
        increases: Sequence[float],
        path: Sequence[int] = (),
    ) -> ChainResult:
        if engine == "rothamsted":
            return _chain(
                so, cl, spn, fwd, dr, cv, paddy, years, increases, temperature, depth, warm, bau_input, wlu, path
            )
        from .compat import gsocseq_compat_chain

        ratio = None
        if warm is not None:
            nyear = warm.shape[1] // 12
            ratio = np.stack([npp_ratio(warm[:, 12 * y : 12 * (y + 1)], spn) for y in range(nyear)])
            if wlu is not None:
                ratio = ratio * wlu.npp_share
        fin, cb, t0c, pth = gsocseq_compat_chain(
            so,
            cl,
            spn,
            fwd,
            dr,
            cv,
            paddy,
            years,
            increases,
            warm=warm,
            warm_ratio=ratio,
            warm_dr=None if wlu is None else wlu.dr,
            warm_paddy=None if wlu is None else wlu.paddy,
            bau_ratio=npp_ratio(fwd, spn) if warm is None and bau_input == "npp_scaled" else None,
            path_years=path,
        )
        return ChainResult(fin, cb, t0c, pth)

    nominal = chain(s, c, sp, fw, wm, (0.0, *ssm), path_years)
    fin, c_eq, t0 = nominal.finals, nominal.c_bau, nominal.t0
    r = {f"final_{k}": fin[i] for i, k in enumerate(SCENARIOS)}
    for k in SCENARIOS:
        r[f"absdiff_{k}"] = r[f"final_{k}"] - t0
        r[f"asr_{k}"] = r[f"absdiff_{k}"] / years
    for k in SCENARIOS[1:]:
        r[f"reldiff_{k}"] = r[f"final_{k}"] - r["final_bau"]
        r[f"rsr_{k}"] = r[f"reldiff_{k}"] / years
    r["c_input_bau"] = c_eq
    r["t0"] = t0
    # inverse 4 per 1000: the forward model is linear in the input, so the extra input that lifts the final
    # SOC to T0 (1 + 0.004 years) follows from the SSM1 response: final(ΔC) = final_BAU + ΔC · g
    j = int(np.argmax(np.abs(ssm)))  # the largest increase: best conditioned
    with np.errstate(divide="ignore", invalid="ignore"):
        g = r[f"reldiff_{SCENARIOS[j + 1]}"] / (ssm[j] * c_eq)  # t C ha-1 per (t C ha-1 yr-1)
        need = (t0 * (1.0 + rate_4p1000 * years) - r["final_bau"]) / g
        r["cinput_needed_4p1000"] = need
        for k, d in zip(SCENARIOS[1:], ssm):
            r[f"share_4p1000_input_{k}"] = np.where(need > 0, 100.0 * d * c_eq / need, np.nan)
    if uncertainty:
        med = ssm[1]
        lo_sp = sp * np.array([1.02, 0.95, 1.0])[:, None, None]
        hi_sp = sp * np.array([0.98, 1.05, 1.0])[:, None, None]
        lo_fw = fw * np.array([1.02, 0.95, 1.0])[:, None, None]
        hi_fw = fw * np.array([0.98, 1.05, 1.0])[:, None, None]
        lo_wm = None if wm is None else wm * np.array([1.02, 0.95, 1.0])[:, None, None]
        hi_wm = None if wm is None else wm * np.array([0.98, 1.05, 1.0])[:, None, None]
        lo = chain(s * 0.8, c * 0.9, lo_sp, lo_fw, lo_wm, (0.0, med - 0.15))
        hi = chain(s * 1.2, c * 1.1, hi_sp, hi_fw, hi_wm, (0.0, med + 0.15))
        fin_lo, t0_lo, fin_hi, t0_hi = lo.finals, lo.t0, hi.finals, hi.t0
        u_t0 = _u(t0_lo, t0_hi)
        u_bau = _u(fin_lo[0], fin_hi[0])
        u_ssm = _u(fin_lo[1], fin_hi[1])
        r.update(unc_t0=u_t0, unc_bau=u_bau, unc_ssm=u_ssm)
        with np.errstate(divide="ignore", invalid="ignore"):
            for k in SCENARIOS:
                x = r[f"final_{k}"]
                ux = u_bau if k == "bau" else u_ssm
                r[f"unc_asr_{k}"] = np.sqrt((ux * x) ** 2 + (u_t0 * t0) ** 2) / np.abs(t0 + x)
            bau = r["final_bau"]
            for k in SCENARIOS[1:]:
                x = r[f"final_{k}"]
                r[f"unc_rsr_{k}"] = np.sqrt((u_ssm * x) ** 2 + (u_bau * bau) ** 2) / np.abs(bau + x)
    if mc is not None:
        draws: list[FloatArray] = []
        for ft, fp, fc, fs, dssm in mc:
            scale = np.array([ft, fp, 1.0])[:, None, None]
            run = chain(
                s * fs,
                c * fc,
                sp * scale,
                fw * scale,
                None if wm is None else wm * scale,
                (0.0, *[max(d + dssm, -1.0) for d in ssm]),
            )
            draws.append((run.finals - run.t0) / years)
        asr = np.stack(draws)  # (draws, 4, n)
        for i, k in enumerate(SCENARIOS):
            a = asr[:, i]
            r[f"mc_mean_asr_{k}"] = a.mean(axis=0)
            r[f"mc_sd_asr_{k}"] = a.std(axis=0, ddof=1) if a.shape[0] > 1 else np.zeros_like(a[0])
            r[f"mc_p05_asr_{k}"], r[f"mc_p95_asr_{k}"] = np.percentile(a, [5, 95], axis=0)
    r["qa_flags"] = qa_flags(r, t0)
    out = np.full((len(OUTPUTS), s.shape[0]), np.nan)
    for i, name in enumerate(OUTPUTS):
        if name in r:
            out[i] = r[name]
    path = None if nominal.path is None else nominal.path - t0  # SOC change since T0 [t C ha-1]
    return out, path
