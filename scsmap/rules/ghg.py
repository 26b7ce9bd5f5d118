"""Net greenhouse-gas balance and costs of practices: pure numpy rules.

Per pixel and practice, from the capped sequestration rate ΔSOC [t C ha-1 yr-1] (section numbers
are those of docs/methods/ghg.md, §8-§9):

1. ``N_req = 1000·max(ΔSOC, 0)/CN`` — N immobilised in new SOM [kg N ha-1 yr-1] (§8.4 step 1);
2. ``N_ext = f_ext·N_req`` — the share supplied by extra external N (§8.4 step 2);
3. ``N_added`` — N the practice itself adds (cover-crop or crop residues, manure);
4. ``N_min = 1000·max(−ΔSOC, 0)/R`` — N mineralised where the practice loses SOC (IPCC F_SOM,
   2006/2019 Vol 4 Ch 11 Eq 11.8);
5. ``N₂O-N = Σ N·(EF1 + FracGAS·EF4 + FracLEACH·EF5)`` with factors by N type and by
   wet/dry climate (§8.2, §8.4 step 3; FracLEACH only on wet pixels), plus an optional
   per-practice ΔN₂O [kg N₂O-N ha-1 yr-1] (§8.4 step 5);
6. ``n2o = N₂O-N·44/28·GWP/1000`` [t CO₂e ha-1 yr-1]; ``net = 44/12·ΔSOC − n2o − ch4`` (§8.4 step 4);
7. on rice, the CH₄ the practice's organic amendment adds (IPCC 2019 Vol 4 Ch 5.5 eqs 5.1-5.3, §8.6):
   ``ch4 = EF_c·SF_w·SF_p·t·seasons·((1 + ROA·CFOA)^0.59 − 1)·GWP_CH4/1000`` [t CO₂e ha-1 yr-1]
   (:func:`rice_ch4_co2e`), 0 off rice.

Costs (§9.2): ``cost_per_tco2 = cost_ha / net`` where ``net > 0``. At a carbon price P the
abatement reachable on a pixel is the largest net balance among the practices whose cost per
t is at most P (so that at an unlimited price it is ``net_ghg_best``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from ._types import BoolArray, FloatArray, FloatingArray
from .ipcc_classes import ZONES
from .practices import UNKNOWN, UNKNOWN_PRACTICE

#: t CO2 per t C (molar masses 44/12; docs/methods/ghg.md §8.1)
CO2_PER_C = 44.0 / 12.0
#: kg N2O per kg N2O-N (molar masses 44/28; docs/methods/ghg.md §8.1)
N2O_PER_N = 44.0 / 28.0
#: N types of the emission-factor table
N_TYPES = ("synthetic", "organic", "som")


@dataclass(frozen=True)
class EmissionFactors:
    """IPCC Tier 1 N₂O factors for one wet/dry climate.

    Attributes
    ----------
    ef1 : dict
        N type → EF1 [kg N₂O-N per kg N].
    ef4 : float
        EF4 [kg N₂O-N per kg NH₃-N + NOx-N volatilised].
    ef5 : float
        EF5 [kg N₂O-N per kg N leached].
    frac_leach : float
        FracLEACH-(H) [kg N per kg N]; 0 in dry climates.
    frac_gas : dict
        N type → FracGASF / FracGASM [kg N per kg N]; 0 for mineralised N.

    References
    ----------
    IPCC (2006, 2019 Refinement) Vol. 4 Ch. 11, Tables 11.1 and 11.3 (docs/methods/ghg.md §8.2).
    """

    ef1: dict[str, float]
    ef4: float
    ef5: float
    frac_leach: float
    frac_gas: dict[str, float]

    def per_kg_n(self, n_type: str) -> float:
        """kg N₂O-N per kg N of one type: ``EF1 + FracGAS·EF4 + FracLEACH·EF5``.

        Parameters
        ----------
        n_type : {"synthetic", "organic", "som"}

        Returns
        -------
        float
            Direct plus indirect (volatilised, leached) N₂O-N [kg N₂O-N per kg N].

        References
        ----------
        IPCC (2019) Vol. 4 Ch. 11, Tables 11.1 (EF1) and 11.3 (EF4, EF5, FracGAS, FracLEACH);
        docs/methods/ghg.md §8.2 and §8.4 step 3 (check: docs/methods/index.md App. A.8).
        """
        return self.ef1[n_type] + self.frac_gas[n_type] * self.ef4 + self.frac_leach * self.ef5


@dataclass(frozen=True)
class PracticeNitrogen:
    """N bookkeeping of one practice (``practice_nitrogen.csv``; docs/methods/ghg.md §8.4).

    Attributes
    ----------
    f_ext : float
        Share of the N immobilised in new SOM that extra external N supplies [1].
    n_ext_type : str
        N type of that external N (``synthetic`` or ``organic``).
    added_n : float
        N the practice adds itself [kg N ha-1 yr-1].
    added_n_type : str
        Its N type.
    delta_n2o : float
        Practice-specific direct N₂O change [kg N₂O-N ha-1 yr-1] (default 0).
    """

    f_ext: float
    n_ext_type: str
    added_n: float = 0.0
    added_n_type: str = "organic"
    delta_n2o: float = 0.0


#: the composites of :func:`evaluate_ghg` (the cost ones only with a cost table)
COMPOSITES = (
    "best_practice_net",
    "net_ghg_best",
    "cost_per_tco2_best",
    "cheapest_practice",
    "abatement_at_price",
    "cost_best_ha",
)

#: exponent of the organic-amendment scaling factor (IPCC 2019 Vol 4 Ch 5 eq 5.3)
SF_O_EXPONENT = 0.59


@dataclass(frozen=True)
class RiceMethane:
    """IPCC Tier 1 rice CH₄ settings of a run (docs/methods/ghg.md §8.6).

    Attributes
    ----------
    ef_c : float
        Baseline emission factor [kg CH₄ ha-1 d-1] (Table 5.11).
    sf_w, sf_p : float
        Scaling factors of the water regime during and before the season [1] (Tables 5.12, 5.13).
    days : float
        Cultivation period of one season [d].
    seasons : float
        Rice seasons per year.
    gwp_ch4 : float
        GWP100 of CH₄ [kg CO₂e per kg CH₄].
    amendments : dict
        Practice → (ROA [t ha-1 per season], CFOA [1]): the organic amendment the practice adds on rice.
    """

    ef_c: float
    sf_w: float
    sf_p: float
    days: float
    seasons: float
    gwp_ch4: float
    amendments: dict[str, tuple[float, float]] = field(default_factory=dict)


def rice_ch4_co2e(m: RiceMethane, practice: str) -> float:
    """CH₄ a practice's organic amendment adds on rice [t CO₂e ha-1 yr-1].

    ``EF_c·SF_w·SF_p·t·seasons·(SF_o − 1)``, ``SF_o = (1 + ROA·CFOA)^0.59`` (no amendment in the baseline),
    × GWP_CH4 / 1000.

    Parameters
    ----------
    m : RiceMethane
    practice : str

    Returns
    -------
    float
        0 for a practice without an amendment on rice.

    References
    ----------
    IPCC (2019) Refinement Vol. 4 Ch. 5.5, eqs 5.1 (CH₄ = Σ EF·t·A), 5.2 (EF = EF_c·SF_w·SF_p·SF_o) and 5.3
    (SF_o = (1 + Σ ROA_i·CFOA_i)^0.59), Tables 5.11-5.14; docs/methods/ghg.md §8.6.
    """
    if practice not in m.amendments:
        return 0.0
    roa, cfoa = m.amendments[practice]
    sf_o = (1.0 + roa * cfoa) ** SF_O_EXPONENT
    kg_ch4 = m.ef_c * m.sf_w * m.sf_p * m.days * m.seasons * (sf_o - 1.0)
    return float(kg_ch4 * m.gwp_ch4 / 1000.0)


@dataclass(frozen=True)
class GhgSettings:
    """Run settings of the GHG balance.

    Attributes
    ----------
    wet, dry : EmissionFactors
    gwp_n2o : float
        GWP100 of N₂O [kg CO₂e per kg N₂O] (AR4 298, AR5 265, AR6 273: the IPCC assessment reports as
        tabulated by ``globalwarmingpotentials``; AR6 WG1 Table 7.SM.7; docs/methods/ghg.md §8.1).
    cn_gain : float
        C:N of the SOM a practice builds (default 10, IPCC 2006 Vol. 4 Ch. 11 eq. 11.8 R;
        docs/methods/ghg.md §8.3).
    cn_loss : float
        C:N of the SOM lost where a practice loses SOC (IPCC R for management change = 10).
    best_of : int
        Lowest suitability class a composite may pick (2 suitable, 1 also conditional).
    price : float
        Carbon price [currency per t CO₂e] of ``abatement_at_price``.
    nitrogen : dict of str to PracticeNitrogen
        N bookkeeping per practice id (``practice_nitrogen.csv``).
    rice : RiceMethane or None
        Rice CH₄ settings; None: no CH₄ term.
    """

    wet: EmissionFactors
    dry: EmissionFactors
    gwp_n2o: float = 273.0
    cn_gain: float = 10.0
    cn_loss: float = 10.0
    best_of: int = 2
    price: float = 100.0
    nitrogen: dict[str, PracticeNitrogen] = field(default_factory=dict)
    rice: RiceMethane | None = None


def n2o_co2e(
    rate: ArrayLike, adopted: ArrayLike, wet: ArrayLike, n: PracticeNitrogen, s: GhgSettings, irrigated: bool = False
) -> FloatArray:
    """N₂O emission caused by a practice [t CO₂e ha-1 yr-1] (docs/methods/ghg.md §8.4 steps 1-5).

    Parameters
    ----------
    rate : array_like
        Capped SOC rate ΔSOC [t C ha-1 yr-1]; NaN where unknown.
    adopted : array_like of bool
        Where the practice is adopted (suitable or conditional): elsewhere 0.
    wet : array_like of bool
        IPCC wet climate (:func:`wet_climate`).
    n : PracticeNitrogen
    s : GhgSettings
    irrigated : bool
        The practice irrigates: leaching applies on dry pixels too (docs/methods/ghg.md §8.4 step 3).

    Returns
    -------
    numpy.ndarray
        N₂O [t CO₂e ha-1 yr-1], float64, same shape as ``rate``; NaN where ``rate`` is NaN.

    References
    ----------
    IPCC (2006, 2019) Vol. 4 Ch. 11: Tier 1 direct and indirect N₂O, Tables 11.1 and 11.3, and
    F_SOM = ΔC_loss·1000/R (eq. 11.8); docs/methods/ghg.md §8.2 and §8.4.
    """
    rate = np.asarray(rate, dtype="f8")
    wet = np.asarray(wet, dtype=bool)
    gain = np.maximum(np.nan_to_num(rate), 0.0)
    loss = np.maximum(-np.nan_to_num(rate), 0.0)
    n_ext = n.f_ext * 1000.0 * gain / s.cn_gain
    n_min = 1000.0 * loss / s.cn_loss
    dry = s.dry if not irrigated else EmissionFactors(s.dry.ef1, s.dry.ef4, s.dry.ef5, s.wet.frac_leach, s.dry.frac_gas)

    def per_kg(t: str) -> FloatArray:
        return np.where(wet, s.wet.per_kg_n(t), dry.per_kg_n(t))

    n2o_n = n_ext * per_kg(n.n_ext_type) + n.added_n * per_kg(n.added_n_type) + n_min * per_kg("som") + n.delta_n2o
    out = np.where(np.asarray(adopted, dtype=bool), n2o_n * N2O_PER_N * s.gwp_n2o / 1000.0, 0.0)
    return np.where(np.isfinite(rate), out, np.nan)


def wet_climate(zone: ArrayLike, annual_precipitation: ArrayLike) -> BoolArray:
    """IPCC wet/dry split of Ch 11 by climate zone (docs/methods/ghg.md §8.4 step 3).

    Zones named ``*_dry`` are dry, ``*_moist`` and ``*_wet`` wet; tropical montane is wet
    where annual precipitation exceeds 1000 mm.

    Parameters
    ----------
    zone : array_like
        IPCC climate zone codes 1-12 (``ipcc_climate_zones.csv``); 0 or NaN unknown.
    annual_precipitation : array_like
        [mm yr-1].

    Returns
    -------
    numpy.ndarray of bool
        True where the climate is wet, shape of ``zone``.

    References
    ----------
    IPCC (2019) Vol. 4 Ch. 11, wet and dry climates of the disaggregated factors; zones of Ch. 3
    Annex 3A.5 (docs/methods/ghg.md §8.4 step 3, docs/methods/ipcc.md §3.2).
    """
    codes = ZONES
    lut = np.zeros(max(codes.values()) + 1, bool)
    for name, code in codes.items():
        lut[code] = name.endswith(("_moist", "_wet"))
    z = np.nan_to_num(np.asarray(zone, dtype="f8")).astype("int64").clip(0, len(lut) - 1)
    montane = z == codes["tropical_montane"]
    return np.where(montane, np.asarray(annual_precipitation, dtype="f8") > 1000.0, lut[z])


def cost_per_tco2(cost_ha: ArrayLike, net: ArrayLike) -> FloatArray:
    """Cost per t CO₂e abated: ``cost_ha / net`` where ``net > 0``, else NaN (docs/methods/ghg.md §9.2).

    Parameters
    ----------
    cost_ha : array_like
        Net cost [currency ha-1 yr-1] (negative: the practice saves money).
    net : array_like
        Net GHG balance [t CO₂e ha-1 yr-1].

    Returns
    -------
    numpy.ndarray
        [currency t-1 CO₂e], float64, broadcast shape of the inputs.
    """
    net = np.asarray(net, dtype="f8")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(net > 0, np.asarray(cost_ha, dtype="f8") / net, np.nan)


def baseline_class(
    asr_bau: ArrayLike, soc_t0: ArrayLike, increasing_above: float = 0.4, declining_below: float = -0.4
) -> FloatArray:
    """SOC baseline under business as usual: 1 increasing, 2 near constant, 3 declining; 0 unknown.

    The relative BAU rate ``100·ASR_BAU/SOC_T0`` [% yr-1] is compared with the 4 per 1000
    rate (increasing above +0.4 % yr-1, docs/methods/fourp1000.md §5) and with a decline
    threshold (scsmap default −0.4 % yr-1 [D]).

    Parameters
    ----------
    asr_bau : array_like
        RothC BAU absolute sequestration rate [t C ha-1 yr-1] (GSOCseq ASR_BAU, docs/methods/gsocseq.md §1.9).
    soc_t0 : array_like
        SOC stock at T0 [t C ha-1].
    increasing_above, declining_below : float
        Thresholds [% yr-1].

    Returns
    -------
    numpy.ndarray
        Class codes (float64; 0 where either input is missing or SOC ≤ 0).

    References
    ----------
    Minasny, B. et al. (2017) Geoderma 292:59-86 (the 4 per 1000 rate); docs/methods/fourp1000.md §5.
    """
    asr = np.asarray(asr_bau, dtype="f8")
    soc = np.asarray(soc_t0, dtype="f8")
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = 100.0 * asr / soc
    cls = np.where(rel > increasing_above, 1.0, np.where(rel < declining_below, 3.0, 2.0))
    return np.where(np.isfinite(rel) & (soc > 0), cls, 0.0)


def evaluate_ghg(
    rates: Mapping[str, FloatArray],
    suitability: Mapping[str, FloatingArray],
    codes: Mapping[str, int],
    wet: BoolArray,
    costs: Mapping[str, tuple[FloatArray, bool]] | None,
    s: GhgSettings,
    rice: ArrayLike | None = None,
) -> dict[str, FloatArray]:
    """N₂O, CH₄ on rice, net balance and costs of every practice, and the composites.

    Parameters
    ----------
    rates, suitability : dict of str to numpy.ndarray
        Practice → capped rate [t C ha-1 yr-1] and suitability class (0/1/2, 3 unknown), as written by
        :func:`scsmap.rules.practices.evaluate`.
    codes : dict
        Practice → class code (``practices.csv``).
    wet : numpy.ndarray of bool
        IPCC wet climate.
    costs : dict, optional
        Practice → ``(cost, per_t)``: per-pixel net cost per ha and year [currency ha-1 yr-1],
        or per t CO₂e when ``per_t`` is True; NaN where no cost is known. None: no cost
        products.
    s : GhgSettings
    rice : array_like, optional
        Rice mask (1 rice, 0 not, NaN unknown: counted as not rice); None: no rice anywhere.

    Returns
    -------
    dict of str to numpy.ndarray
        ``n2o_<p>``, ``ch4_<p>`` (on rice, :func:`rice_ch4_co2e`), ``net_ghg_<p>`` [t CO₂e ha-1 yr-1] and, with
        costs, ``cost_per_tco2_<p>``
        [currency t-1 CO₂e]; composites ``best_practice_net`` (code of the practice with the
        largest positive net balance, 0 none, :data:`~scsmap.rules.practices.UNKNOWN_PRACTICE` where
        none qualifies and a practice is unknown), ``net_ghg_best`` [t CO₂e ha-1 yr-1],
        ``cost_per_tco2_best``, ``cheapest_practice`` (code, 0 none, unknown as
        ``best_practice_net``), ``abatement_at_price``
        [t CO₂e ha-1 yr-1] (largest net balance among the practices costing at most
        ``s.price`` per t, 0 none), and
        ``cost_best_ha`` [currency ha-1 yr-1] (cost of the best-net practice, for the
        abatement curve). All NaN where the rates are NaN.

    References
    ----------
    IPCC (2006, 2019) Vol. 4 Ch. 11 (N₂O factors); IPCC AR4/AR5/AR6 GWP100 of N₂O;
    docs/methods/ghg.md §8.2-§8.4 and §9.2.
    """
    first = next(iter(rates.values()))
    shape = first.shape
    missing = np.logical_and.reduce([~np.isfinite(r) for r in rates.values()])
    any_unknown = np.logical_or.reduce([np.asarray(c) == UNKNOWN for c in suitability.values()])
    out: dict[str, FloatArray] = {}
    best_net, best_code = np.zeros(shape), np.zeros(shape)
    best_cost_t, best_cost_ha = np.full(shape, np.nan), np.full(shape, np.nan)
    cheap_cost, cheap_code = np.full(shape, np.inf), np.zeros(shape)
    at_price = np.zeros(shape)
    on_rice = np.zeros(shape, bool) if rice is None else np.nan_to_num(np.asarray(rice, dtype="f8")) >= 0.5
    for p, rate in rates.items():
        cls = np.nan_to_num(suitability[p])
        adopted = (cls > 0) & (cls != UNKNOWN)  # an unknown pixel has a NaN rate: NaN N2O and balance
        n2o = n2o_co2e(rate, adopted, wet, s.nitrogen[p], s, irrigated=(p == "irrigation"))
        per_ha = 0.0 if s.rice is None else rice_ch4_co2e(s.rice, p)
        ch4 = np.where(np.isfinite(rate), np.where(adopted & on_rice, per_ha, 0.0), np.nan)
        net = CO2_PER_C * np.where(adopted, rate, 0.0) - n2o - ch4
        out[f"n2o_{p}"], out[f"ch4_{p}"], out[f"net_ghg_{p}"] = n2o, ch4, net
        usable = (cls >= s.best_of) & (cls != UNKNOWN) & (net > 0)
        if costs is not None:
            c, per_t = costs[p]
            cost_ha = c * net if per_t else c
            cpt = np.where(adopted, cost_per_tco2(cost_ha, net), np.nan)
            out[f"cost_per_tco2_{p}"] = cpt
            priced = usable & np.isfinite(cpt)
            pick = priced & (cpt < cheap_cost)
            cheap_cost, cheap_code = np.where(pick, cpt, cheap_cost), np.where(pick, codes[p], cheap_code)
            take = priced & (cpt <= s.price) & (net > at_price)
            at_price = np.where(take, net, at_price)
        else:
            cpt = cost_ha = np.full(shape, np.nan)
        pick = usable & (net > best_net)
        best_net, best_code = np.where(pick, net, best_net), np.where(pick, codes[p], best_code)
        best_cost_t, best_cost_ha = np.where(pick, cpt, best_cost_t), np.where(pick, cost_ha, best_cost_ha)
    out.update(best_practice_net=best_code, net_ghg_best=best_net)
    if costs is not None:
        out.update(
            cost_per_tco2_best=best_cost_t,
            cheapest_practice=cheap_code,
            abatement_at_price=at_price,
            cost_best_ha=best_cost_ha,
        )
    for k in COMPOSITES:
        if k in out:
            out[k] = np.where(missing, np.nan, out[k])
    # no practice qualifies but one is unknown: "unknown" (as best_practice), not "no suitable practice"
    for k in ("best_practice_net", "cheapest_practice"):
        if k in out:
            out[k] = np.where((np.nan_to_num(out[k]) == 0) & any_unknown, float(UNKNOWN_PRACTICE), out[k])
            out[k] = np.where(missing & ~any_unknown, 0.0, out[k])  # every practice known to be unsuitable
    return out
