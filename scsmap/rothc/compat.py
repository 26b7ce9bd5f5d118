"""``engine: gsocseq_compat`` — the numerics of the FAO GSOCseq reference scripts.

Sections: docs/methods/gsocseq.md §1.5, §1.7, §1.11.

The default scsmap engine (:mod:`scsmap.rothc.kernel`, :func:`scsmap.rothc.gsocseq._chain`)
integrates RothC-26.3 exactly (Rothamsted discrete scheme, TSMD with carry-over, 12 months a
year, periodic spin-up equilibrium). Published GSOCseq maps were made differently; this module
reproduces *their* numerics so that those maps can be regressed against:

* **rate modifiers** (:func:`xi_gsocseq`): SoilR ``fT.RothC`` temperature function
  ``47.9/(1+exp(106/(T+18.3)))`` (NaN below −18.3 °C, no zero below −5 °C), the scripts'
  ``fw1func`` moisture routine with all its quirks (month 1 never clamped; ``b`` from the month-12
  ``MaxTSMD`` for every month; deficit restarted at month 1 of every 12-month call; ``P − 1.0·PET``),
  the cover factor ``c`` and the paddy factor (docs/methods/gsocseq.md §1.5, §1.11 #2);
* **spin-up**: the analytic steady state of the continuous ODE with the mean modifier ξ̄
  (:func:`spinup_analytic`, docs/methods/gsocseq.md §1.7, Dechow et al. 2019) instead of the periodic
  equilibrium of the monthly engine;
* **integrator** (:func:`forward_euler`): ``soilassessment::carbonTurnover(..., "euler")`` = deSolve
  explicit Euler with Δt = 1/12 yr on ``dC/dt = u + ξ(t)·A·C`` over ``tt = seq(1/12, years, 1/12)``,
  i.e. ``12·years − 1`` steps (239 = 19.92 yr for 20 years; 11 per one-year call, December unused);
  unstable when ``k_DPM·ξ·Δt > 2`` (ξ > 2.4) (docs/methods/gsocseq.md §1.7, §1.11 #1).

* **warm-up** (:func:`gsocseq_compat_chain` with ``warm``): each year of the series is one call of
  the scripts' ``Roth_C`` — ξ_m of that year's climate (fw1func restarted, the paddy factor of the
  year's class), 11 Euler steps (``seq(1/12, 1, by = 1/12)``: December unused), the input
  ``C_eq · NPP_y / NPP_spin-up`` (× the year's land-use NPP coefficient share under yearly land
  use) and the DR of the year's class; T0 is the SOC after the last year and the BAU input the
  mean of the yearly inputs (``12_ROTH_C_WARM_UP.R``, ``13_ROTH_C_FORWARD.R``). Without a series
  the SOC map is T0, as in the exact engine.

:func:`gsocseq_compat_chain` is a drop-in replacement for :func:`scsmap.rothc.gsocseq._chain`.

Measured difference to the exact engine (documented bound)
----------------------------------------------------------
Temperate test climate (Skopje-like: T 0.5…23 °C, P 30…65 mm, PET 1…143 mm per month;
``tests/rothc/test_compat.py::test_compat_vs_exact_temperate``), 96 pixels spanning SOC 20–150
t C ha-1, clay 5–60 %, DR 0.25/0.67/1.44, all-vegetated (c = 0.6) or bare Dec–Feb (c = 1),
identical spin-up and forward climate, 20 years, Δ = 0/5/10/20 %, exact engine =
``_chain(..., temperature="rothamsted", depth=30)``. ΔASR = compat − exact [t C ha-1 yr-1]:

=========  ==============  ===========  ==================  =========================
scenario   mean ΔASR       max |ΔASR|   max rel. Δfinal     max |ΔRSR| (rel.)
=========  ==============  ===========  ==================  =========================
BAU        −0.0027         0.017        0.23 %              —
SSM1       −0.0047         0.017        0.23 %              0.010 (11 %)
SSM2       −0.0067         0.022        0.30 %              0.020 (11 %)
SSM3       −0.0107         0.043        0.55 %              0.041 (11 %)
=========  ==============  ===========  ==================  =========================

The compat C_eq is 0.83–1.01 × the exact one; RSR = Δ·(response to input) scales with C_eq, hence
the ~11 % relative RSR difference. Bound asserted by the test: **|ΔASR| < 0.05 t C ha-1 yr-1
(mean |ΔASR| BAU < 0.01), |Δfinal|/final < 1 %, |ΔRSR| < 0.05 t C ha-1 yr-1** for every scenario.
Sources of the difference, largest first:

1. analytic vs periodic spin-up: with ξ̄ the equilibrium pools are those of a constant climate,
   but the forward run sees the seasonal ξ_m through Euler; and the steady state of the
   *continuous* ODE differs from that of the discrete monthly scheme (inputs added continuously
   vs at month end). The compat BAU therefore drifts slightly although climate does not change,
   while the exact BAU is stationary by construction; together with 2. C_eq differs by −17…+1 %;
2. the fw1func moisture modifiers differ from the Rothamsted TSMD with carry-over (no carry-over
   from December, month-12 MaxTSMD for all months, bare months B = 1.8 handled differently), and
   the SoilR temperature function differs slightly (47.9/106/18.3 vs 47.91/106.06/18.27);
3. explicit Euler vs exact exponential decay within a month (first-order error in k·ξ·Δt,
   large for DPM in warm months, small for the slow pools that hold most of the carbon);
4. 239 instead of 240 steps (19.92 yr): the final December is not integrated.

With separate spin-up and forward climates the bound does not hold: on the Białowieża GSOCseq stacks
(1981–2000 spin-up, 2001–2019 forward) compat − exact reaches |ΔASR| 0.19 t C ha-1 yr-1 and 3.8 % of the
final SOC (measured on every shipped region: docs/products.md § The gsocseq_compat engine).
Outside temperate climates the difference is larger and unbounded: for ξ > 2.4 (hot, moist,
bare months) the Euler DPM pool oscillates with growing amplitude (as reported by the GSOCseq
manual, Annex I, "−999/outliers with the euler method").

References
----------
FAO GSP (2020) GSOCseq Technical Manual v1.1, ch. 5-6 and Annex I; GSOCseq scripts v1.2
(key [S12] of docs/methods/index.md §0.2): ``11_ROTH_C_SPIN_UP_Analytical.R``, ``12_ROTH_C_WARM_UP.R``,
``13_ROTH_C_FORWARD.R`` (``fw1func``, ``xi.frame``, ``carbonTurnover(..., "euler")``).
soilassessment (R package, Omuto) ``carbonTurnover``; deSolve ``ode(method = "euler")``.
Sierra, C.A., Müller, M., Trumbore, S.E. (2012) Models of soil organic matter decomposition:
the SoilR package. Geosci. Model Dev. 5:1045-1060 — ``fT.RothC``, ``fW.RothC``, ``RothCModel``.
Dechow, R. et al. (2019) Geoderma 337:463-478 (analytic spin-up).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from . import kernel as K
from . import params as P
from ._types import FloatArray
from .modifiers import temperature_factor_soilr

__all__ = [
    "xi_gsocseq",
    "fw1func",
    "spinup_analytic",
    "ode_matrix",
    "forward_euler",
    "gsocseq_compat_chain",
    "SOIL_THICK_CM",
    "BARE_B",
    "DT",
]

#: soil thickness of the scripts' moisture routine [cm] (``soil.thick = 30``)
SOIL_THICK_CM = 30.0
#: fw1func divisor of MaxTSMD in bare months [-]
BARE_B = 1.8
#: Euler step [yr] (``by = 1/12``)
DT = 1.0 / 12.0


def _f64(a: ArrayLike) -> FloatArray:
    return np.asarray(a, dtype=np.float64)


def fw1func(
    prec12: ArrayLike,
    pet12: ArrayLike,
    bare12: ArrayLike,
    clay: ArrayLike,
    *,
    thick: float = SOIL_THICK_CM,
    pe: float = 1.0,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Moisture factor *b* as the GSOCseq scripts' ``fw1func`` computes it, quirks included.

    ``M = P − pE·PET``; ``Acc₁ = min(M₁, 0)`` (**never clamped**); for months i = 2…12:
    ``B_i = 1.8`` if bare else 1, ``MaxTSMD_i = −(20 + 1.3 clay − 0.01 clay²)·(thick/23)/B_i``,
    ``Acc_i = Acc_{i−1} + M_i`` if that is < 0 else 0, then ``Acc_i = MaxTSMD_i`` if
    ``Acc_i ≤ MaxTSMD_i``. Then, with **MaxTSMD of month 12 for all months**,
    ``b = 1`` if ``Acc > 0.444·MaxTSMD`` else ``0.2 + 0.8 (MaxTSMD − Acc)/(MaxTSMD − 0.444 MaxTSMD)``,
    clamped ``b ≥ 0.2``. The deficit starts afresh at month 1 on every call (no carry-over).

    Parameters
    ----------
    prec12, pet12 : array_like
        (12, *S) precipitation and PET [mm month-1].
    bare12 : array_like
        (12, *S) bool, bare soil (scripts: cover factor > 0.8).
    clay : array_like
        (*S) clay [%].
    thick : float
        Soil thickness [cm] (30 in the scripts).
    pe : float
        Evaporation coefficient (1 in the scripts: PET supplied).

    Returns
    -------
    b : numpy.ndarray
        (12, *S) moisture factor [-] in [0.2, 1] (NaN where inputs are NaN).
    acc : numpy.ndarray
        (12, *S) accumulated deficit ``Acc.TSMD`` [mm].
    max12 : numpy.ndarray
        (*S) the month-12 MaxTSMD used for every month [mm].

    References
    ----------
    GSOCseq scripts v1.2, ``fw1func`` in ``11_ROTH_C_SPIN_UP_Analytical.R``, ``12_ROTH_C_WARM_UP.R``,
    ``13_ROTH_C_FORWARD.R``; derived from SoilR ``fW.RothC`` (Sierra et al. 2012); docs/methods/gsocseq.md §1.5.
    """
    m = _f64(prec12) - pe * _f64(pet12)
    bare = np.asarray(bare12, bool)
    clay = _f64(clay)
    base = -(P.SMD_A + P.SMD_B * clay - P.SMD_C * clay**2) * (thick / P.SMD_REF_DEPTH_CM)
    acc = np.empty(np.broadcast_shapes(m.shape, bare.shape, (1,) + clay.shape))
    acc[0] = np.minimum(m[0], 0.0)  # month 1: never clamped
    mx: FloatArray | None = None
    for i in range(1, 12):
        mx = base / np.where(bare[i], BARE_B, 1.0)
        cand = acc[i - 1] + m[i]
        a = np.where(cand < 0.0, cand, 0.0)
        acc[i] = np.where(a <= mx, mx, a)
    assert mx is not None  # months 2..12 set it
    with np.errstate(invalid="ignore", divide="ignore"):
        b = np.where(acc > P.SMD_1BAR_SHARE * mx, 1.0, 0.2 + 0.8 * (mx - acc) / (mx - P.SMD_1BAR_SHARE * mx))
    b = np.where(np.isnan(acc), np.nan, np.maximum(b, P.RM_MOIST_MIN))
    return b, acc, mx


def xi_gsocseq(
    tmp12: ArrayLike,
    prec12: ArrayLike,
    pet12: ArrayLike,
    bare12: ArrayLike,
    clay: ArrayLike,
    cover12: ArrayLike,
    paddy: ArrayLike = 1.0,
) -> FloatArray:
    """Monthly rate modifiers ξ_m = a·b·c·f_PR exactly as the GSOCseq scripts compute them.

    Parameters
    ----------
    tmp12 : array_like
        (12, n) monthly mean air temperature [degC].
    prec12, pet12 : array_like
        (12, n) precipitation and PET [mm month-1].
    bare12 : array_like
        (12, n) bool, bare soil for the moisture routine (scripts: ``Cov > 0.8``).
    clay : array_like
        (n,) clay [%].
    cover12 : array_like
        (12, n) soil-cover factor c [-] (0.6 vegetated … 1 bare).
    paddy : array_like
        (n,) or scalar paddy factor f_PR [-] (0.4 for FAO class 13, else 1).

    Returns
    -------
    numpy.ndarray
        (12, n) ξ_m [-]; NaN where T < −18.3 °C (SoilR returns NA; the scripts drop the pixel).

    References
    ----------
    SoilR ``fT.RothC`` (Sierra et al. 2012); GSOCseq scripts v1.2 ``fw1func``, ``fPR``, ``fC``;
    docs/methods/gsocseq.md §1.5.
    """
    a = temperature_factor_soilr(tmp12)
    b, _, _ = fw1func(prec12, pet12, bare12, clay)
    return a * b * _f64(cover12) * _f64(paddy)


def spinup_analytic(
    xi_mean: ArrayLike, soc0: ArrayLike, clay: ArrayLike, dr: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """GSOCseq analytic spin-up (docs/methods/gsocseq.md §1.7): equilibrium input and pools holding ``soc0``.

    Thin alias of :func:`scsmap.rothc.kernel.analytic_spinup`, which implements the same closed
    form as docs/methods/gsocseq.md §1.7 (``C_eq = ξ̄ (SOC₀ − IOM)/S``, IOM after Falloon).

    Parameters
    ----------
    xi_mean : array_like
        (n,) mean of the 12 spin-up ξ_m [-].
    soc0 : array_like
        (n,) SOC to hold [t C ha-1].
    clay : array_like
        (n,) [%].
    dr : array_like
        (n,) DPM/RPM ratio [-].

    Returns
    -------
    c_eq : numpy.ndarray
        (n,) [t C ha-1 yr-1].
    pools : numpy.ndarray
        (5, n) DPM, RPM, BIO, HUM, IOM [t C ha-1].

    References
    ----------
    GSOCseq scripts v1.2 ``11_ROTH_C_SPIN_UP_Analytical.R``; Dechow et al. (2019); oracle GS-1.
    """
    return K.analytic_spinup(xi_mean, soc0, clay, dr)


def ode_matrix(clay: ArrayLike) -> FloatArray:
    """Matrix A of the continuous RothC ODE ``dC/dt = u + ξ·A·C`` (docs/methods/rothc.md §2.4), active pools.

    Parameters
    ----------
    clay : array_like
        (*S) clay [%].

    Returns
    -------
    numpy.ndarray
        (4, 4, *S) [yr-1]: ``A = −diag(k) + f kᵀ`` with ``f = (0, 0, 0.46, 0.54)/(x+1)``.

    References
    ----------
    SoilR ``RothCModel`` (Sierra et al. 2012); soilassessment ``carbonTurnover``.
    """
    x = P.x_clay(clay)
    k = P.K_ACTIVE
    shape = np.shape(x)
    A = np.zeros((4, 4) + shape)
    for j in range(4):
        A[j, j] = -k[j]
        A[2, j] = A[2, j] + P.BIO_SHARE / (x + 1.0) * k[j]
        A[3, j] = A[3, j] + P.HUM_SHARE / (x + 1.0) * k[j]
    return A


def forward_euler(
    pools: ArrayLike,
    xi12: ArrayLike,
    c_in_annual: ArrayLike,
    dr: ArrayLike,
    clay: ArrayLike,
    years: int = 20,
    record: Sequence[int] = (),
) -> FloatArray | tuple[FloatArray, FloatArray]:
    """deSolve explicit Euler of the RothC ODE as ``soilassessment::carbonTurnover(..., "euler")``.

    ``C_{j+1} = C_j + Δt (u + ξ_j A C_j)``, Δt = 1/12 yr, ``u = C_in·(γ_D, γ_R, 0, 0)``
    [t C ha-1 yr-1], ``j = 0 … 12·years − 2``: ``12·years − 1`` steps (239 for 20 years, 11 for one).

    Why plain arrays suffice for ξ(t): the scripts pass ``xi.frame = data.frame(tt, rep(ξ_1…ξ_12))``
    with ``tt = seq(1/12, years, by = 1/12)``, i.e. node ``t_i = i/12`` carries ξ of month
    ``((i − 1) mod 12) + 1``; carbonTurnover turns it into an *interpolating* cubic spline ξ(t),
    which passes through every node, ``ξ(t_i) = ξ_i``. deSolve's fixed-step ``"euler"`` evaluates
    the derivative only at the output times ``t_i`` (``y_{i+1} = y_i + (t_{i+1} − t_i)·f(t_i, y_i)``),
    never between nodes, so the spline's shape between nodes never enters, and the step from
    ``t_i`` uses exactly the tabulated ``ξ_i``. The ``12·years`` output times give ``12·years − 1``
    intervals: the last month of the series (December of the final year) is never integrated and
    the run covers 19.92 yr for ``years = 20``.

    Parameters
    ----------
    pools : array_like
        (5, n) initial DPM, RPM, BIO, HUM, IOM [t C ha-1]; IOM is carried unchanged.
    xi12 : array_like
        (12, n) monthly rate modifiers ξ_m [-] (repeated every year).
    c_in_annual : array_like
        (n,) or (k, n) annual plant C input [t C ha-1 yr-1]; a leading axis runs ``k`` scenarios.
    dr : array_like
        (n,) DPM/RPM ratio [-].
    clay : array_like
        (n,) clay [%].
    years : int
        Length of ``tt`` in years (``tt = seq(1/12, years, by = 1/12)``).
    record : sequence of int
        Years ``y`` (1 … ``years``) at which to record the total SOC, after ``12·y − 1`` steps: the state
        a ``years = y`` run ends in (the trajectory of the forward run).

    Returns
    -------
    numpy.ndarray
        (5, n) final pools [t C ha-1] (``(k, 5, n)`` with a scenario axis in ``c_in_annual``); with
        ``record`` also the total SOC ``(len(record), n)`` (``(k, len(record), n)``) [t C ha-1].
        Explicit Euler is unstable for ``k_DPM·ξ·Δt > 2`` (ξ > 2.4): DPM then oscillates with
        growing amplitude and may become negative, as in the reference scripts.

    References
    ----------
    soilassessment ``carbonTurnover``; deSolve ``ode(..., method = "euler")`` (Soetaert et al. 2010);
    GSOCseq scripts v1.2 ``13_ROTH_C_FORWARD.R``; docs/methods/gsocseq.md §1.7, docs/methods/rothc.md §2.4.
    """
    pools = _f64(pools)
    xi12 = _f64(xi12)
    c_in = _f64(c_in_annual)
    scen = c_in.ndim == pools.ndim  # leading scenario axis
    gd = P.dpm_share(dr)
    x = P.x_clay(clay)
    fb = P.BIO_SHARE / (x + 1.0)
    fh = P.HUM_SHARE / (x + 1.0)
    kd, kr, kb, kh = (float(v) for v in P.K_ACTIVE)
    shape = np.broadcast_shapes(c_in.shape, pools.shape[1:]) if scen else pools.shape[1:]
    dpm, rpm, bio, hum = (np.broadcast_to(pools[i], shape).copy() for i in range(4))
    u_d = DT * c_in * gd
    u_r = DT * c_in * (1.0 - gd)
    iom = np.broadcast_to(pools[4], shape)
    at: dict[int, list[int]] = {}
    for i, y in enumerate(record):
        at.setdefault(12 * int(y) - 1, []).append(i)
    rec = np.full((len(record),) + shape, np.nan)
    if 0 in at:  # a 1/12-year series has no step
        rec[at[0]] = dpm + rpm + bio + hum + iom
    for j in range(12 * int(years) - 1):
        h = DT * xi12[j % 12]
        fd, fr, fbio, fhum = h * kd * dpm, h * kr * rpm, h * kb * bio, h * kh * hum
        tot = fd + fr + fbio + fhum
        dpm = dpm - fd + u_d
        rpm = rpm - fr + u_r
        bio = bio - fbio + fb * tot
        hum = hum - fhum + fh * tot
        if j + 1 in at:
            rec[at[j + 1]] = dpm + rpm + bio + hum + iom
    out = np.stack([dpm, rpm, bio, hum, iom], axis=1 if scen else 0)
    if not record:
        return out
    return out, (np.moveaxis(rec, 0, 1) if scen else rec)


def gsocseq_compat_chain(
    soc: FloatArray,
    clay: FloatArray,
    spin: FloatArray,
    fwd: FloatArray,
    dr: FloatArray,
    cover12: FloatArray,
    paddy: FloatArray | float,
    years: int,
    increases: Sequence[float],
    *,
    warm: FloatArray | None = None,
    warm_ratio: FloatArray | None = None,
    warm_dr: FloatArray | None = None,
    warm_paddy: FloatArray | None = None,
    bau_ratio: FloatArray | None = None,
    path_years: Sequence[int] = (),
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray | None]:
    """GSOCseq-compatible spin-up (+ warm-up) + forward chain; drop-in for :func:`scsmap.rothc.gsocseq._chain`.

    1. ξ_m of the spin-up climatology (:func:`xi_gsocseq`, bare = cover > 0.8) and ξ̄ = their mean;
    2. analytic spin-up (:func:`spinup_analytic`): C_eq and pools summing to ``soc``;
    3. with ``warm``, the warm-up year by year (module docstring): each year's ξ_m, 11 Euler steps,
       input ``C_eq · warm_ratio[y]``; T0 = the SOC after it, BAU input = the mean yearly input;
       without it T0 = ``soc`` and the BAU input ``C_eq · bau_ratio`` (``C_eq`` when None);
    4. per scenario Δ in ``increases``, :func:`forward_euler` from those pools with the forward
       climatology's ξ_m and input ``C_BAU·(1 + Δ)``.

    (``temperature`` and ``depth`` of ``_chain`` do not apply: the scripts fix SoilR's temperature
    function and a 30 cm moisture layer.)

    Parameters
    ----------
    soc : numpy.ndarray
        (n,) SOC of the map [t C ha-1].
    clay : numpy.ndarray
        (n,) [%].
    spin, fwd : numpy.ndarray
        (3, 12, n) spin-up and forward climatologies: T [degC], P [mm month-1], PET [mm month-1].
    dr : numpy.ndarray
        (n,) DPM/RPM ratio [-] of the T0 land use.
    cover12 : numpy.ndarray
        (12, n) cover factor c [-].
    paddy : numpy.ndarray or float
        (n,) paddy factor f_PR [-] of the T0 land use.
    years : int
        Forward horizon [yr] (``12·years − 1`` Euler steps).
    increases : sequence of float
        Relative input increases, e.g. ``(0, 0.05, 0.10, 0.20)`` for BAU, SSM1-3.
    warm : numpy.ndarray, optional
        (3, 12·Y, n) warm-up climate year by year.
    warm_ratio : numpy.ndarray, optional
        (Y, n) input of each warm-up year relative to C_eq [1] (NPP ratio × land-use share); needed with ``warm``.
    warm_dr, warm_paddy : numpy.ndarray, optional
        (Y, n) DR and paddy factor of each warm-up year (default: those of the T0 land use).
    bau_ratio : numpy.ndarray, optional
        (n,) BAU input relative to C_eq without a warm-up (``rothc.bau_input: npp_scaled``).
    path_years : sequence of int
        Forward years at which to record the total SOC.

    Returns
    -------
    finals : numpy.ndarray
        (len(increases), n) total SOC at the end of the forward run [t C ha-1].
    c_bau : numpy.ndarray
        (n,) BAU input [t C ha-1 yr-1].
    t0 : numpy.ndarray
        (n,) SOC at the start of the forward run [t C ha-1].
    path : numpy.ndarray or None
        (len(increases), len(path_years), n) total SOC [t C ha-1], None without ``path_years``.

    Raises
    ------
    ValueError
        ``warm`` without ``warm_ratio``.

    References
    ----------
    GSOCseq scripts v1.2 ``11_ROTH_C_SPIN_UP_Analytical.R``, ``12_ROTH_C_WARM_UP.R``, ``13_ROTH_C_FORWARD.R``;
    docs/methods/gsocseq.md §1.5-§1.7.
    """
    bare12 = _f64(cover12) > 0.8
    xi_sp = xi_gsocseq(spin[0], spin[1], spin[2], bare12, clay, cover12, paddy)
    c_eq, pools = spinup_analytic(xi_sp.mean(axis=0), soc, clay, dr)
    c_bau = c_eq if bau_ratio is None else c_eq * bau_ratio
    if warm is not None:
        if warm_ratio is None:
            raise ValueError("a compat warm-up needs the yearly input ratios (warm_ratio)")
        nyear = warm.shape[1] // 12
        total = np.zeros(np.shape(c_eq))
        for y in range(nyear):
            w = warm[:, 12 * y : 12 * (y + 1)]
            pad_y = paddy if warm_paddy is None else warm_paddy[y]
            dr_y = dr if warm_dr is None else warm_dr[y]
            xi_y = xi_gsocseq(w[0], w[1], w[2], bare12, clay, cover12, pad_y)
            c_y = c_eq * warm_ratio[y]
            one = forward_euler(pools, xi_y, c_y, dr_y, clay, years=1)
            assert isinstance(one, np.ndarray)
            pools = one
            total = total + c_y
        c_bau = total / nyear
    t0 = pools.sum(axis=0)
    xi_fw = xi_gsocseq(fwd[0], fwd[1], fwd[2], bare12, clay, cover12, paddy)
    c_in = np.stack([c_bau * (1.0 + d) for d in increases])
    if not path_years:
        fin = forward_euler(pools, xi_fw, c_in, dr, clay, years=years)
        assert isinstance(fin, np.ndarray)
        return fin.sum(axis=1), c_bau, t0, None
    run = forward_euler(pools, xi_fw, c_in, dr, clay, years=max([years, *path_years]), record=[years, *path_years])
    assert isinstance(run, tuple)
    rec = run[1]  # (k, 1 + len(path_years), n)
    return rec[:, 0], c_bau, t0, rec[:, 1:]
