"""RothC-26.3 engine: monthly step, runs over month series, equilibria.

Sections: docs/methods/rothc.md §2.3, docs/methods/gsocseq.md §1.7.

State layout
------------
Pools are float64 arrays with the **pool axis first**: ``pools.shape == (5, *S)`` in
the order DPM, RPM, BIO, HUM, IOM (:data:`scsmap.rothc.params.POOLS`), where ``*S``
are pixel axes of any shape (``(npix,)``, ``(ny, nx)``, or ``()`` for one point).
Functions that only concern the active pools take or return ``(4, *S)``.
Monthly series carry the **month axis first**: rate modifiers ``rm.shape == (n, *S)``,
climate ``(n, *S)``, carbon inputs ``(n, 4, *S)`` (month, pool, pixels; a length-1
month axis is broadcast over all months). Pixel axes broadcast (numpy rules), so a
scalar clay or a ``(1,)`` input is fine. Units: pools and inputs t C ha-1 (inputs per
month), rate modifiers [-], temperature degC, rain/evaporation mm month-1, clay %,
depth cm, deficits mm.

Numerics
--------
The Rothamsted discrete scheme (RothC_Py ``decomp``): with the monthly rate modifier
RM and ``e_p = exp(−RM·k_p/12)``, each active pool decays to ``e_p·P``; the decomposed
amount ``D = Σ(P − e_p·P)`` goes ``x/(x+1)`` to CO2, ``0.46/(x+1)`` to BIO and
``0.54/(x+1)`` to HUM; the month's inputs are added afterwards. One month is therefore
an affine map ``C' = A_m C + u_m`` with ``A_m = diag(e) + f (1 − e)ᵀ``,
``f = (0, 0, 0.46, 0.54)/(x+1)``. When the 12 monthly modifiers and inputs repeat
(a climatology, once the moisture deficit has settled, see
:func:`scsmap.rothc.modifiers.tsmd_settle`), one year is the affine map
``C_{y+1} = M C_y + v`` with ``M = A_12 ⋯ A_1`` (4×4 per pixel). :func:`annual_map`
builds it by pushing the unit vectors and the input through the same monthly update,
:func:`solve_periodic` gives the exact periodic equilibrium ``(I − M) C* = v`` and
:func:`advance_years` applies ``N`` years by repeated squaring (``O(log N)`` 4×4
products instead of ``12·N`` months of exponentials).

Everything is vectorised numpy over pixels; memory is a few arrays of the pixel shape
(plus the records requested), never proportional to the number of months run.

Radiocarbon (optional, for the Rothamsted point-run outputs): the reference code
tracks a radiocarbon age per pool; equivalently (``exp(−conr·age) = ract/P``) it tracks
the "radioactive carbon" ``ract`` of each active pool, which follows the same linear
update scaled by ``exc = exp(−ln2/5568/12)`` plus ``modern × inputs``
(in :func:`simulate` and :func:`equilibrium_rothamsted`; :func:`delta_c` turns it into Delta 14C).

References
----------
Jenkinson, D.S. (1990) The turnover of organic carbon and nitrogen in soil. Phil.
Trans. R. Soc. Lond. B 329:361-368.
Coleman, K. & Jenkinson, D.S. RothC-26.3 - A model for the turnover of carbon in soil.
Model description and users guide, §1.3-1.7 and §2 (Rothamsted Research; RothC_Py
@f2ab6df ``RothC_description.pdf``, code ``RothC_Py.py``).
Dechow, R. et al. (2019) Evaluation of the RothC model as a prognostic tool for the
prediction of SOC trends in Germany; and the GSOCseq scripts v1.2
``11_ROTH_C_SPIN_UP_Analytical.R`` (analytic spin-up, docs/methods/gsocseq.md §1.7).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, NamedTuple, TypeAlias, TypedDict, TypeVar, cast, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import modifiers as mod
from . import params as P
from ._types import AffineMap, FloatArray, FloatLike, IntArray

#: temperature function of the rate modifier: Rothamsted RothC-26.3 or SoilR/GSOCseq
Temperature: TypeAlias = Literal["rothamsted", "soilr"]
#: record the state every month or at the end of every 12th month
Record: TypeAlias = Literal["month", "year"]
#: the plant-cover flag PC (bool or 0/1 of any dtype); compared with 0 only
FlagArray: TypeAlias = NDArray[np.generic]
_S = TypeVar("_S", bound=np.generic)

__all__ = [
    "decay_factors",
    "partition_inputs",
    "step",
    "run",
    "simulate",
    "rate_modifiers",
    "annual_map",
    "compose",
    "solve_periodic",
    "advance_years",
    "iterate_years",
    "equilibrium_rothamsted",
    "equilibrium_exact",
    "forward_periodic",
    "periodic_cycle",
    "analytic_spinup",
    "delta_c",
    "SimResult",
    "Equilibrium",
]

_TSTEP = P.TIME_STEP_YR

#: run :func:`simulate` without records or radiocarbon through the compiled month loop
#: (:mod:`scsmap.rothc.compiled`), and the moisture cycle of the periodic runs through
#: :mod:`scsmap.rothc.compiled_moisture`; ``False`` selects the numpy path, the tests' oracle
COMPILED = True
_CONR = np.log(2.0) / P.C14_HALF_LIFE
_EXC = np.exp(-_CONR * _TSTEP)


def _f64(a: ArrayLike) -> FloatArray:
    return np.asarray(a, dtype=np.float64)


def _fractions(x: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """BIO and HUM shares of decomposed C, ``0.46/(x+1)`` and ``0.54/(x+1)``."""
    x = _f64(x)
    return P.BIO_SHARE / (x + 1.0), P.HUM_SHARE / (x + 1.0)


def decay_factors(rm: ArrayLike) -> FloatArray:
    """Monthly retention factors ``e_p = exp(−RM · k_p / 12)`` of the active pools.

    Parameters
    ----------
    rm : array_like
        Rate modifier RM = a·b·c(·f_PR) of the month [-], shape ``S``.

    Returns
    -------
    numpy.ndarray
        Shape ``(4, *S)``: share of DPM, RPM, BIO, HUM left after the month [-].

    References
    ----------
    Coleman & Jenkinson, RothC-26.3 description §1.5 (``Y·(1 − e^{−abckt})``
    decomposes in a month, t = 1/12).
    """
    rm = _f64(rm)
    arg = np.multiply.outer(P.K_ACTIVE, -rm)  # (-RM)*k as in RothC_Py ...
    arg *= _TSTEP  # ... then * tstep
    return np.exp(arg, out=arg)


def partition_inputs(
    c_inp: ArrayLike, dr: ArrayLike = P.DR_CROPS, fym: ArrayLike = 0.0, *, axis: int = 0
) -> FloatArray:
    """Split plant C input and farmyard manure into the four active pools.

    Plant input: ``DR/(DR+1)`` to DPM, ``1/(DR+1)`` to RPM; FYM: 49 % DPM, 49 % RPM,
    2 % HUM.

    Parameters
    ----------
    c_inp : array_like
        Plant C input [t C ha-1 per month].
    dr : array_like, default 1.44
        DPM/RPM ratio of the plant input [-].
    fym : array_like, default 0
        Farmyard manure C [t C ha-1 per month].
    axis : int, default 0
        Where to insert the pool axis: 0 gives ``(4, *shape)`` (one month), 1 gives
        ``(n, 4, *S)`` for month-first series.

    Returns
    -------
    numpy.ndarray
        Inputs to DPM, RPM, BIO, HUM [t C ha-1 per month], float64.

    References
    ----------
    Coleman & Jenkinson, RothC-26.3 description §1.3; RothC_Py ``decomp``.
    """
    c_inp, dr, fym = np.broadcast_arrays(_f64(c_inp), _f64(dr), _f64(fym))
    d = dr / (dr + 1.0) * c_inp + P.FYM_DPM * fym
    r = 1.0 / (dr + 1.0) * c_inp + P.FYM_RPM * fym
    h = P.FYM_HUM * fym
    return np.stack([d, r, np.zeros_like(d), h], axis=axis)


def _transfer(y: FloatArray, e: FloatArray, fb: FloatArray, fh: FloatArray) -> FloatArray:
    """Linear part of one month on active pools ``y`` (4, ...): returns ``A_m y``."""
    y1 = e * y
    d = y[0] - y1[0]
    for p in (1, 2, 3):
        d = d + (y[p] - y1[p])
    y1[2] += fb * d
    y1[3] += fh * d
    return y1


@overload
def step(
    pools: ArrayLike, rm: ArrayLike, x: ArrayLike, inputs: ArrayLike = ..., *, return_co2: Literal[False] = ...
) -> FloatArray: ...
@overload
def step(
    pools: ArrayLike, rm: ArrayLike, x: ArrayLike, inputs: ArrayLike = ..., *, return_co2: Literal[True]
) -> tuple[FloatArray, FloatArray]: ...
def step(
    pools: ArrayLike, rm: ArrayLike, x: ArrayLike, inputs: ArrayLike = 0.0, *, return_co2: bool = False
) -> FloatArray | tuple[FloatArray, FloatArray]:
    """One month of the Rothamsted discrete scheme.

    Parameters
    ----------
    pools : array_like
        Shape ``(5, *S)`` (DPM, RPM, BIO, HUM, IOM) or ``(4, *S)`` (active pools)
        [t C ha-1] at the start of the month.
    rm : array_like
        Rate modifier of the month [-], broadcastable to ``S``.
    x : array_like
        CO2/(BIO+HUM) ratio from :func:`scsmap.rothc.params.x_clay` [-].
    inputs : array_like, default 0
        Shape ``(4, *S)``: C added to DPM, RPM, BIO, HUM at the end of the month
        [t C ha-1] (:func:`partition_inputs`).
    return_co2 : bool, default False
        Also return the CO2-C evolved in the month [t C ha-1].

    Returns
    -------
    pools : numpy.ndarray
        Same layout as the input, end of the month [t C ha-1] (IOM unchanged).
    co2 : numpy.ndarray, optional
        Shape ``S`` [t C ha-1].

    References
    ----------
    Coleman & Jenkinson, RothC-26.3 description §1.5-1.7; RothC_Py ``decomp``
    (docs/methods/rothc.md §2.3, oracle RC-4 of §2.5).
    """
    pools = _f64(pools)
    e = decay_factors(rm)
    fb, fh = _fractions(x)
    act = pools[:4]
    new = e * act
    d = act[0] - new[0]
    for p in (1, 2, 3):
        d = d + (act[p] - new[p])
    new[2] = new[2] + fb * d
    new[3] = new[3] + fh * d
    new = new + _f64(inputs)
    if pools.shape[0] == 5:
        iom = np.broadcast_to(pools[4], new.shape[1:])
        new = np.concatenate([new, iom[None]], axis=0)
    if return_co2:
        xx = _f64(x)
        return new, d * (xx / (xx + 1.0))
    return new


class _Stepper:
    """In-place monthly update for a fixed pixel set (avoids per-month allocations)."""

    def __init__(self, shape: tuple[int, ...], x: ArrayLike):
        self.fb, self.fh = (np.broadcast_to(f, shape) for f in _fractions(x))
        self.arg = np.empty((4,) + shape)
        self.p1 = np.empty((4,) + shape)
        self.d = np.empty(shape)

    def decay(self, rm: ArrayLike, out: FloatArray | None = None) -> FloatArray:
        out = self.arg if out is None else out
        np.multiply(np.negative(rm), P.K_ACTIVE.reshape((4,) + (1,) * (out.ndim - 1)), out=out)
        out *= _TSTEP
        return np.exp(out, out=out)

    def apply(
        self, act: FloatArray, e: FloatArray, u: FloatArray | None = None, scale: float | None = None
    ) -> FloatArray:
        """act (4, *S) updated in place: act <- scale * A act + u."""
        p1, d = self.p1, self.d
        np.multiply(act, e, out=p1)
        np.subtract(act[0], p1[0], out=d)
        for p in (1, 2, 3):
            d += act[p]
            d -= p1[p]
        act[...] = p1
        act[2] += self.fb * d
        act[3] += self.fh * d
        if scale is not None:
            act *= scale
        if u is not None:
            act += u
        return d


class _Modifiers:
    """Monthly rate modifier with the deficit carried, in place on a fixed pixel set.

    Same arithmetic (operation order) as :func:`scsmap.rothc.modifiers.tsmd_step`,
    :func:`~scsmap.rothc.modifiers.temperature_factor` and :func:`rate_modifiers`, with
    preallocated buffers (the month loop allocates nothing).
    """

    def __init__(
        self,
        shape: tuple[int, ...],
        clay: ArrayLike,
        depth: ArrayLike,
        *,
        factor: ArrayLike = 1.0,
        evap_coeff: float = P.PAN_COEFF,
        rm_min: ArrayLike = P.RM_MOIST_MIN,
        temperature: Temperature = "rothamsted",
    ):
        def full(a: ArrayLike) -> FloatArray:
            return np.array(np.broadcast_to(_f64(a), shape))

        smax, s1, sb = mod.smd_limits(clay, depth)
        self.smax, self.s1, self.sb = full(smax), full(s1), full(sb)
        self.denom = self.smax - self.s1
        self.rmin = full(rm_min)
        self.span = P.RM_MOIST_MAX - self.rmin
        self.factor: FloatArray | None = None if np.all(_f64(factor) == 1.0) else full(factor)
        self.neg_coeff = -float(evap_coeff)
        self.temperature = temperature
        self.df, self.low, self.b, self.rm = (np.empty(shape) for _ in range(4))
        self.mask = np.empty(shape, dtype=bool)

    def month(
        self,
        s: FloatArray,
        tmp: FloatArray,
        rain: FloatArray,
        evap: FloatArray,
        covered: FlagArray,
        cover: FloatArray | None = None,
    ) -> FloatArray:
        """Update deficit ``s`` in place; return the month's RM buffer (overwritten next call)."""
        df, low, b, rm, mask = self.df, self.low, self.b, self.rm, self.mask
        np.multiply(evap, self.neg_coeff, out=df)
        df += rain  # rain - coeff*evap
        np.add(s, df, out=df)
        np.minimum(df, 0.0, out=df)  # candidate
        np.not_equal(covered, 0, out=mask)
        np.minimum(self.sb, s, out=low)  # bare: min(smd_bare, s)
        np.copyto(low, self.smax, where=mask)  # covered: smd_max
        np.maximum(low, df, out=s)
        np.subtract(self.smax, s, out=b)
        b *= self.span
        b /= self.denom
        b += self.rmin
        np.greater(s, self.s1, out=mask)
        np.copyto(b, 1.0, where=mask)
        # temperature
        if self.temperature == "rothamsted":
            np.add(tmp, P.TEMP_C, out=rm)
            with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
                np.divide(P.TEMP_B, rm, out=rm)
                np.exp(rm, out=rm)
            rm += 1.0
            np.divide(P.TEMP_A, rm, out=rm)
            np.less(tmp, P.TEMP_MIN, out=mask)
            np.copyto(rm, 0.0, where=mask)
        else:
            rm[...] = mod.temperature_factor_soilr(tmp)
        rm *= b
        if cover is None:
            np.not_equal(covered, 0, out=mask)
            low.fill(P.COVER_BARE)
            np.copyto(low, P.COVER_VEGETATED, where=mask)
            rm *= low
        else:
            rm *= cover
        if self.factor is not None:
            rm *= self.factor
        return rm


def _month_slice(a: NDArray[_S], m: int, n: int) -> NDArray[_S]:
    """Month ``m`` of a month-first array (length ``n`` or 1)."""
    if np.ndim(a) == 0:
        return a
    month: NDArray[_S] = a[m] if a.shape[0] == n else a[0]
    return month


@overload
def run(pools: ArrayLike, rm: ArrayLike, x: ArrayLike, inputs: ArrayLike, *, record: None = ...) -> FloatArray: ...
@overload
def run(
    pools: ArrayLike, rm: ArrayLike, x: ArrayLike, inputs: ArrayLike, *, record: Record
) -> tuple[FloatArray, FloatArray]: ...
def run(
    pools: ArrayLike, rm: ArrayLike, x: ArrayLike, inputs: ArrayLike, *, record: Record | None = None
) -> FloatArray | tuple[FloatArray, FloatArray]:
    """Run the discrete scheme over a series of monthly rate modifiers.

    Parameters
    ----------
    pools : array_like
        Shape ``(5, *S)`` or ``(4, *S)`` [t C ha-1]; not modified.
    rm : array_like
        Shape ``(n, *S)``: rate modifier of each month [-].
    x : array_like
        CO2/(BIO+HUM) ratio [-], broadcastable to ``S``.
    inputs : array_like
        Shape ``(n, 4, *S)`` or ``(1, 4, *S)`` (same every month) [t C ha-1 month-1].
    record : {None, "month", "year"}
        Also return the pools at the end of every month, or of every 12th month.

    Returns
    -------
    pools : numpy.ndarray
        Pools after the ``n`` months, same layout as the input.
    records : numpy.ndarray, optional
        Shape ``(n or n//12, 5|4, *S)`` when ``record`` is given.

    References
    ----------
    As :func:`step`.
    """
    pools = _f64(pools)
    rm = _f64(rm)
    inputs = _f64(inputs)
    n = rm.shape[0]
    shape = np.broadcast_shapes(pools.shape[1:], rm.shape[1:], np.shape(x), inputs.shape[2:])
    state = np.array(np.broadcast_to(pools, (pools.shape[0],) + shape))
    act = state[:4]
    st = _Stepper(shape, x)
    recs = []
    for m in range(n):
        e = st.decay(np.broadcast_to(rm[m], shape))
        st.apply(act, e, _month_slice(inputs, m, n))
        if record == "month" or (record == "year" and (m + 1) % 12 == 0):
            recs.append(state.copy())
    if record is None:
        return state
    return state, (np.stack(recs) if recs else np.empty((0,) + state.shape))


def rate_modifiers(
    tmp: ArrayLike, b: FloatLike, cover: FloatLike, factor: FloatLike = 1.0, *, temperature: Temperature = "rothamsted"
) -> FloatArray:
    """Combine the factors into the monthly rate modifier ``RM = a·b·c·f``.

    Parameters
    ----------
    tmp : array_like
        Temperature [degC].
    b : array_like
        Moisture factor [-] (:func:`scsmap.rothc.modifiers.tsmd_step`).
    cover : array_like
        Soil-cover factor c [-] (:func:`scsmap.rothc.modifiers.cover_factor`).
    factor : array_like, default 1
        Further multiplier, e.g. the paddy factor [-].
    temperature : {"rothamsted", "soilr"}
        Temperature function (:func:`~scsmap.rothc.modifiers.temperature_factor` or
        :func:`~scsmap.rothc.modifiers.temperature_factor_soilr`).

    Returns
    -------
    numpy.ndarray
        RM [-].

    References
    ----------
    Coleman & Jenkinson, RothC-26.3 description §1.6 (RM = a·b·c); paddy factor of the GSOCseq
    scripts v1.2; docs/methods/rothc.md §2.2, docs/methods/gsocseq.md §1.5.
    """
    a = mod.temperature_factor(tmp) if temperature == "rothamsted" else mod.temperature_factor_soilr(tmp)
    return a * b * cover * factor


class SimResult(NamedTuple):
    """Result of :func:`simulate`.

    Attributes
    ----------
    pools : numpy.ndarray
        ``(5, *S)`` at the end [t C ha-1].
    swc : numpy.ndarray
        Topsoil moisture deficit at the end [mm].
    ract : numpy.ndarray or None
        ``(4, *S)`` radioactive C of the active pools (radiocarbon runs only).
    records : dict
        ``"pools"`` ``(n_rec, 5, *S)``; ``"delta_c"`` ``(n_rec, *S)`` [per mil] with
        radiocarbon; ``"swc"`` and ``"rm"`` ``(n_rec, *S)`` (values of the recorded month).
    """

    pools: FloatArray
    swc: FloatArray
    ract: FloatArray | None
    records: dict[str, FloatArray]


def _climate_shape(*arrays: ArrayLike) -> tuple[int, ...]:
    return np.broadcast_shapes(*(np.shape(a) for a in arrays))


def simulate(
    pools: ArrayLike,
    swc: ArrayLike,
    *,
    tmp: ArrayLike,
    rain: ArrayLike,
    evap: ArrayLike,
    covered: ArrayLike,
    clay: ArrayLike,
    depth: ArrayLike,
    inputs: ArrayLike,
    cover: ArrayLike | None = None,
    factor: ArrayLike = 1.0,
    evap_coeff: float = P.PAN_COEFF,
    rm_min: ArrayLike = P.RM_MOIST_MIN,
    temperature: Temperature = "rothamsted",
    record: Record | None = None,
    ract: ArrayLike | None = None,
    modern: ArrayLike | None = None,
) -> SimResult:
    """Run RothC month by month from climate, carrying pools and the moisture deficit.

    Parameters
    ----------
    pools : array_like
        ``(5, *S)`` initial pools [t C ha-1].
    swc : array_like
        Initial topsoil moisture deficit [mm] (0 = field capacity).
    tmp, rain, evap, covered : array_like
        Shape ``(n, *S)`` month first: air temperature [degC], rainfall [mm], open-pan
        evaporation [mm] (or PET with ``evap_coeff=1``), plant cover flag (PC).
    clay, depth : array_like
        [%], [cm], broadcastable to ``S``.
    inputs : array_like
        ``(n, 4, *S)`` or ``(1, 4, *S)`` C inputs to DPM, RPM, BIO, HUM [t C ha-1 month-1].
    cover : array_like, optional
        ``(n, *S)`` soil-cover factor c; default :func:`~scsmap.rothc.modifiers.cover_factor`
        of ``covered``.
    factor : array_like, default 1
        Static extra rate factor (paddy) [-], broadcastable to ``S``.
    evap_coeff, rm_min : float
        See :func:`scsmap.rothc.modifiers.tsmd_step`.
    temperature : {"rothamsted", "soilr"}
    record : {None, "month", "year"}
        Record pools (and deficit, RM, delta14C) every month or every 12th month.
    ract : array_like, optional
        ``(4, *S)`` radioactive C of the active pools; enables radiocarbon bookkeeping.
    modern : array_like, optional
        ``(n, *S)`` fraction modern of the inputs (per cent / 100), with ``ract``.

    Returns
    -------
    SimResult

    References
    ----------
    Coleman & Jenkinson, RothC-26.3 description §1.5-1.7; RothC_Py main loop.
    """
    tmp = _f64(tmp)
    n = tmp.shape[0]
    inputs = _f64(inputs)
    pools = _f64(pools)
    shape = _climate_shape(
        pools[0], tmp[0], _f64(rain)[0], _f64(evap)[0], np.asarray(covered)[0], clay, depth, inputs[0, 0], factor, swc
    )
    state = np.array(np.broadcast_to(pools, (5,) + shape))
    act = state[:4]
    s = np.array(np.broadcast_to(_f64(swc), shape))
    if COMPILED and record is None and ract is None and temperature in ("rothamsted", "soilr"):
        from .compiled import simulate_pixels

        simulate_pixels(
            state,
            s,
            tmp=tmp,
            rain=_f64(rain),
            evap=_f64(evap),
            covered=np.asarray(covered),
            cover=None if cover is None else _f64(cover),
            limits=mod.smd_limits(clay, depth),
            rm_min=_f64(rm_min),
            factor=_f64(factor),
            evap_coeff=evap_coeff,
            x=P.x_clay(clay),
            inputs=inputs,
            temperature=temperature,
        )
        return SimResult(state, s, None, {})
    mods = _Modifiers(shape, clay, depth, factor=factor, evap_coeff=evap_coeff, rm_min=rm_min, temperature=temperature)
    st = _Stepper(shape, P.x_clay(clay))
    rc = ract is not None
    if rc:
        r = np.array(np.broadcast_to(_f64(cast(ArrayLike, ract)), (4,) + shape))  # rc: ract is given
        modern = _f64(cast(ArrayLike, modern))  # given with ract
        iom_ract = state[4] * np.exp(-_CONR * P.IOM_AGE)
        ubuf = np.empty((4,) + shape)
    recs: dict[str, list[FloatArray]] = {"pools": [], "swc": [], "rm": []}
    if rc:
        recs["delta_c"] = []
    rain = _f64(rain)
    evap = _f64(evap)
    covered = np.asarray(covered)
    cover = None if cover is None else _f64(cover)
    for m in range(n):
        rmv = mods.month(
            s,
            tmp[m],
            _month_slice(rain, m, n),
            _month_slice(evap, m, n),
            _month_slice(covered, m, n),
            None if cover is None else _month_slice(cover, m, n),
        )
        e = st.decay(rmv)
        u = _month_slice(inputs, m, n)
        if rc:  # before the pools: the stepper's scratch buffers are shared
            np.multiply(u, _month_slice(cast(FloatArray, modern), m, n), out=ubuf)
            st.apply(r, e, ubuf, scale=_EXC)
        st.apply(act, e, u)
        if record == "month" or (record == "year" and (m + 1) % 12 == 0):
            recs["pools"].append(state.copy())
            recs["swc"].append(s.copy())
            recs["rm"].append(rmv.copy())
            if rc:
                recs["delta_c"].append(_delta_c_from(state, r, iom_ract))
    records = {k: np.stack(v) for k, v in recs.items() if v} if record else {}
    return SimResult(state, s, r if rc else None, records)


def _delta_c_from(pools: FloatArray, ract: FloatArray, iom_ract: FloatArray) -> FloatArray:
    soc = pools[0] + pools[1] + pools[2] + pools[3] + pools[4]
    total = ract[0] + ract[1] + ract[2] + ract[3] + iom_ract
    with np.errstate(divide="ignore", invalid="ignore"):
        age = np.where(soc <= 0.0, 0.0, np.log(soc / total) / _CONR)
    return (np.exp(-age / P.C14_MEAN_LIFE) - 1.0) * 1000.0


def delta_c(pools: ArrayLike, ract: ArrayLike) -> FloatArray:
    """Delta 14C of total SOC [per mil] from the pools and their radioactive carbon.

    Parameters
    ----------
    pools : array_like
        ``(5, *S)`` [t C ha-1].
    ract : array_like
        ``(4, *S)`` active-pool radioactive C; IOM has a fixed age of 50,000 yr.

    Returns
    -------
    numpy.ndarray
        ``(exp(−age/8035) − 1)·1000`` with ``age = ln(SOC/ract_total)·5568/ln2`` [per mil].

    References
    ----------
    RothC_Py ``decomp`` and main loop (``Total_Delta``).
    """
    pools = _f64(pools)
    return _delta_c_from(pools, _f64(ract), pools[4] * np.exp(-_CONR * P.IOM_AGE))


# --------------------------------------------------------------------------------------------
# annual affine map
# --------------------------------------------------------------------------------------------


def annual_map(rm12: ArrayLike, x: ArrayLike, inputs12: ArrayLike, *, scale: float = 1.0) -> AffineMap:
    """The affine map of one year, ``C_{y+1} = M C_y + v``, for repeating monthly forcing.

    Parameters
    ----------
    rm12 : array_like
        ``(12, *S)`` rate modifiers of January..December of the settled cycle [-].
    x : array_like
        CO2/(BIO+HUM) ratio [-].
    inputs12 : array_like
        ``(12, 4, *S)`` or ``(1, 4, *S)`` monthly inputs [t C ha-1 month-1].
    scale : float, default 1
        Extra factor on the monthly transfer (``exc`` for radiocarbon).

    Returns
    -------
    M : numpy.ndarray
        ``(4, 4, *S)`` (row = pool after the year, column = pool before) [-].
    v : numpy.ndarray
        ``(4, *S)`` [t C ha-1]: the pools after one year from empty pools.

    Notes
    -----
    Built by pushing the four unit vectors (no input) and the zero state (with input)
    through the same monthly update as :func:`run`, so ``M C + v`` equals 12 monthly
    steps up to rounding (≈1e-15 relative). The DPM and RPM rows of ``M`` are diagonal.

    References
    ----------
    docs/methods/rothc.md §2.3 ("One year: the annual affine map").
    """
    rm12 = _f64(rm12)
    inputs12 = _f64(inputs12)
    n = rm12.shape[0]
    shape = np.broadcast_shapes(rm12.shape[1:], np.shape(x), inputs12.shape[2:])
    if COMPILED:
        from .compiled import annual_map_pixels

        return annual_map_pixels(rm12, _f64(x), inputs12, shape, scale)
    Y = np.zeros((4, 4) + shape)
    for p in range(4):
        Y[p, p] = 1.0
    v = np.zeros((4,) + shape)
    fb, fh = (np.broadcast_to(f, shape) for f in _fractions(x))
    for m in range(n):
        e = decay_factors(np.broadcast_to(rm12[m], shape))
        Y = _transfer(Y, e[:, None], fb, fh)
        v = _transfer(v, e, fb, fh)
        if scale != 1.0:
            Y *= scale
            v *= scale
        v += _month_slice(inputs12, m, n)
    return Y, v


def _matvec(M: FloatArray, c: FloatArray) -> FloatArray:
    return np.stack([M[i, 0] * c[0] + M[i, 1] * c[1] + M[i, 2] * c[2] + M[i, 3] * c[3] for i in range(4)])


def _matmul(A: FloatArray, B: FloatArray) -> FloatArray:
    out = np.empty(np.broadcast_shapes(A.shape, B.shape))
    for i in range(4):
        for j in range(4):
            out[i, j] = A[i, 0] * B[0, j] + A[i, 1] * B[1, j] + A[i, 2] * B[2, j] + A[i, 3] * B[3, j]
    return out


def compose(second: AffineMap, first: AffineMap) -> AffineMap:
    """Compose affine maps: ``second ∘ first`` = ``(M2 M1, M2 v1 + v2)``.

    Parameters
    ----------
    second, first : tuple of numpy.ndarray
        ``(M, v)`` pairs as returned by :func:`annual_map`.

    Returns
    -------
    tuple
        ``(M, v)``.
    """
    (M2, v2), (M1, v1) = second, first
    return _matmul(M2, M1), _matvec(M2, v1) + v2


def solve_periodic(M: ArrayLike, v: ArrayLike) -> FloatArray:
    """Exact periodic equilibrium: the fixed point ``C* = M C* + v`` of the annual map.

    Uses the block structure of RothC's map (DPM, RPM rows diagonal; a 2×2 system for
    BIO, HUM solved by Cramer's rule), vectorised over pixels.

    Parameters
    ----------
    M : array_like
        ``(4, 4, *S)``.
    v : array_like
        ``(4, *S)`` [t C ha-1].

    Returns
    -------
    numpy.ndarray
        ``(4, *S)`` active pools at the end of December of the periodic cycle
        [t C ha-1]. Infinite/NaN where a pool never decomposes (RM = 0 all year) and
        receives input.

    References
    ----------
    docs/methods/rothc.md §2.3 (periodic equilibrium ``(I − M) C* = v``).
    """
    M = _f64(M)
    v = _f64(v)
    with np.errstate(divide="ignore", invalid="ignore"):
        c0 = v[0] / (1.0 - M[0, 0])
        c1 = v[1] / (1.0 - M[1, 1])
        r2 = v[2] + M[2, 0] * c0 + M[2, 1] * c1
        r3 = v[3] + M[3, 0] * c0 + M[3, 1] * c1
        a, b = 1.0 - M[2, 2], -M[2, 3]
        c, d = -M[3, 2], 1.0 - M[3, 3]
        det = a * d - b * c
        c2 = (r2 * d - b * r3) / det
        c3 = (a * r3 - c * r2) / det
    return np.stack(np.broadcast_arrays(c0, c1, c2, c3))


def _active_and_iom(pools: ArrayLike) -> tuple[FloatArray, FloatArray | None]:
    pools = _f64(pools)
    return pools[:4], (pools[4] if pools.shape[0] == 5 else None)


def _with_iom(act: FloatArray, iom: FloatArray | None) -> FloatArray:
    if iom is None:
        return act
    return np.concatenate([act, np.broadcast_to(iom, act.shape[1:])[None]], axis=0)


def advance_years(pools: ArrayLike, M: ArrayLike, v: ArrayLike, years: ArrayLike) -> FloatArray:
    """Advance pools by ``years`` whole years of the annual map (repeated squaring).

    Parameters
    ----------
    pools : array_like
        ``(5, *S)`` or ``(4, *S)`` at the start of a year of the settled cycle [t C ha-1].
    M, v : numpy.ndarray
        The annual map (:func:`annual_map`), ``(4, 4, *S)`` and ``(4, *S)``.
    years : int or array_like of int
        ≥ 0; an integer array broadcastable to ``S`` gives every pixel its own count.

    Returns
    -------
    numpy.ndarray
        Pools after ``years`` years, same layout [t C ha-1]. Equals ``12·years`` monthly
        steps with the same forcing to ≈1e-13 relative (tested to 1e-9 t C ha-1). Cost:
        ``O(log2(max years))`` 4×4 products per pixel.

    Raises
    ------
    ValueError
        If ``years`` is negative or not whole.
    """
    yrs = np.asarray(years)
    if yrs.dtype.kind not in "iu":
        if not np.all(yrs == np.round(yrs)):
            raise ValueError("years must be whole numbers")
        yrs = yrs.astype(np.int64)
    if np.any(yrs < 0):
        raise ValueError("years must be >= 0")
    act, iom = _active_and_iom(pools)
    Mp, vp = _f64(M), _f64(v)
    if COMPILED and Mp.ndim == 3 and act.shape[-1] == Mp.shape[-1] and act.ndim in (2, 3):
        from .compiled import advance_pixels

        return _with_iom(advance_pixels(act, Mp, vp, yrs), iom)
    c = np.array(act)
    n: int | IntArray  # whole years: one count, or one per pixel
    if yrs.ndim == 0:
        n = int(yrs)
        while n:
            if n & 1:
                c = _matvec(Mp, c) + vp
            n >>= 1
            if n:
                Mp, vp = compose((Mp, vp), (Mp, vp))
        return _with_iom(c, iom)
    n = np.array(yrs, dtype=np.int64)
    while np.any(n):
        bit = (n & 1).astype(bool)
        if bit.any():
            c = np.where(bit, _matvec(Mp, c) + vp, c)
        n >>= 1
        if np.any(n):
            Mp, vp = compose((Mp, vp), (Mp, vp))
    return _with_iom(c, iom)


def iterate_years(pools: ArrayLike, M: FloatArray, v: FloatArray, years: int) -> FloatArray:
    """Apply the annual map year by year and return every year-end state.

    Parameters
    ----------
    pools : array_like
        ``(5, *S)`` or ``(4, *S)`` [t C ha-1].
    M, v : numpy.ndarray
        Annual map (:func:`annual_map`), ``(4, 4, *S)`` and ``(4, *S)``.
    years : int
        Number of years [yr].

    Returns
    -------
    numpy.ndarray
        ``(years, 5|4, *S)``: the pools at the end of years 1..``years`` [t C ha-1].
    """
    act, iom = _active_and_iom(pools)
    c = np.array(act)
    out = []
    for _ in range(int(years)):
        c = _matvec(M, c) + v
        out.append(_with_iom(c, iom))
    return np.stack(out) if out else np.empty((0,) + _f64(pools).shape)


# --------------------------------------------------------------------------------------------
# equilibria
# --------------------------------------------------------------------------------------------


class Equilibrium(NamedTuple):
    """Result of :func:`equilibrium_rothamsted` / :func:`equilibrium_exact`.

    Attributes
    ----------
    pools : numpy.ndarray
        ``(5, *S)`` at the end of December [t C ha-1].
    swc : numpy.ndarray
        Moisture deficit at the end of December [mm] (continue runs from it).
    months : numpy.ndarray of int
        Months iterated: Rothamsted — months run until the stopping test passed
        (19,872 for the RothC_Py example); exact — 12 × the years the moisture deficit
        needed to settle (0 when it starts settled).
    ract : numpy.ndarray or None
        ``(4, *S)`` radioactive C (radiocarbon runs).
    delta_c : numpy.ndarray or None
        Delta 14C of SOC [per mil] (radiocarbon runs).
    """

    pools: FloatArray
    swc: FloatArray
    months: IntArray
    ract: FloatArray | None = None
    delta_c: FloatArray | None = None


def _cycle_rm(
    swc_start: ArrayLike,
    tmp12: FloatArray,
    rain12: FloatArray,
    evap12: FloatArray,
    covered12: FlagArray,
    limits: mod.Limits,
    cover12: FloatArray | None,
    factor: FloatLike,
    evap_coeff: float,
    rm_min: float | FloatArray,
    temperature: Temperature,
    shape: tuple[int, ...],
) -> tuple[FloatArray, FloatArray]:
    """Rate modifiers of one year (12, *S) starting from deficit ``swc_start``; and end deficit."""
    if COMPILED:
        from .compiled_moisture import cycle_pixels

        return cycle_pixels(
            swc_start, tmp12, rain12, evap12, covered12, limits, cover12, factor, evap_coeff, rm_min, temperature, shape
        )
    s = swc_start
    out = np.empty((12,) + shape)
    for m in range(12):
        s, b = mod.tsmd_step(
            s, rain12[m], evap12[m], covered12[m], None, None, evap_coeff=evap_coeff, rm_min=rm_min, limits=limits
        )
        c = mod.cover_factor(covered12[m]) if cover12 is None else cover12[m]
        out[m] = rate_modifiers(tmp12[m], b, c, factor, temperature=temperature)
    return out, np.broadcast_to(s, shape)


def _settle(
    rain12: FloatArray,
    evap12: FloatArray,
    covered12: FlagArray,
    clay: ArrayLike,
    depth: ArrayLike,
    *,
    swc0: ArrayLike,
    evap_coeff: float,
    rm_min: ArrayLike,
    max_years: int,
) -> tuple[FloatArray, IntArray]:
    """:func:`scsmap.rothc.modifiers.tsmd_settle` (compiled when :data:`COMPILED`): settled deficit and years."""
    if not COMPILED:
        s, yrs, _uns = mod.tsmd_settle(
            rain12, evap12, covered12, clay, depth, swc0=swc0, evap_coeff=evap_coeff, rm_min=rm_min, max_years=max_years
        )
        return s, yrs
    from .compiled_moisture import settle_pixels

    limits = mod.smd_limits(clay, depth)
    shape = np.broadcast_shapes(
        np.shape(swc0), rain12.shape[1:], evap12.shape[1:], covered12.shape[1:], np.shape(limits[0]), np.shape(rm_min)
    )
    s, yrs, _uns = settle_pixels(
        rain12,
        evap12,
        covered12,
        limits,
        _f64(swc0),
        shape,
        evap_coeff=evap_coeff,
        max_years=max_years,
        atol=mod.SETTLE_ATOL,
    )
    return s, yrs


def _prep12(
    tmp12: ArrayLike, rain12: ArrayLike, evap12: ArrayLike, covered12: ArrayLike, cover12: ArrayLike | None
) -> tuple[FloatArray, FloatArray, FloatArray, FlagArray, FloatArray | None]:
    def m12(a: ArrayLike, name: str) -> NDArray[Any]:  # dtype of a
        a = np.asarray(a)
        if a.ndim == 0 or a.shape[0] != 12:
            raise ValueError(f"{name} must have a month axis of length 12 first, got shape {a.shape}")
        return a

    return (
        m12(_f64(tmp12), "tmp12"),
        m12(_f64(rain12), "rain12"),
        m12(_f64(evap12), "evap12"),
        m12(covered12, "covered12"),
        None if cover12 is None else m12(_f64(cover12), "cover12"),
    )


def equilibrium_rothamsted(
    *,
    tmp12: ArrayLike,
    rain12: ArrayLike,
    evap12: ArrayLike,
    covered12: ArrayLike,
    clay: ArrayLike,
    depth: ArrayLike,
    inputs12: ArrayLike,
    iom: ArrayLike,
    cover12: ArrayLike | None = None,
    factor: ArrayLike = 1.0,
    evap_coeff: float = P.PAN_COEFF,
    rm_min: ArrayLike = P.RM_MOIST_MIN,
    temperature: Temperature = "rothamsted",
    swc0: ArrayLike = 0.0,
    tol: float = P.EQ_TOL,
    max_years: int = 100_000,
    method: Literal["monthly", "annual"] = "monthly",
    modern12: ArrayLike | None = None,
) -> Equilibrium:
    """Rothamsted iterative equilibrium: cycle the 12 months until the annual change is small.

    Exactly the reference procedure: start from empty active pools and deficit 0, run
    the 12 months over and over (deficit carried on), and after every December compare
    ``DPM+RPM+BIO+HUM`` with the previous December (0 before the first); stop when
    ``|Δ| < tol``. Each pixel stops at its own year.

    Parameters
    ----------
    tmp12, rain12, evap12, covered12 : array_like
        ``(12, *S)`` climatology (January first) [degC], [mm], [mm], [PC flag].
    clay, depth : array_like
        [%], [cm].
    inputs12 : array_like
        ``(12, 4, *S)`` or ``(1, 4, *S)`` [t C ha-1 month-1].
    iom : array_like
        Inert organic matter [t C ha-1].
    cover12 : array_like, optional
        ``(12, *S)`` cover factor c (default from ``covered12``).
    factor, evap_coeff, rm_min, temperature
        See :func:`simulate`.
    swc0 : array_like, default 0
    tol : float, default 1e-6
        [t C ha-1].
    max_years : int, default 100000
    method : {"monthly", "annual"}
        "monthly" steps every month as the reference does; "annual" steps month by month
        only until the moisture deficit has settled and then iterates the annual affine
        map (same stopping test, same result to rounding, ~100× faster on large arrays).
    modern12 : array_like, optional
        ``(12, *S)`` fraction modern of the inputs: track radiocarbon ("monthly" only).

    Returns
    -------
    Equilibrium
        ``months`` = 12 × years iterated per pixel.

    Raises
    ------
    ValueError
        If an argument has no month axis of length 12, or a pixel has not converged
        after ``max_years``.

    References
    ----------
    RothC_Py main loop (``while test > 1E-6``); RothC Fortran ``Shell.for``;
    docs/methods/rothc.md §2.3 (oracle RC-1 of §2.5: 19,872 months, SOC 37.211050).
    """
    tmp12, rain12, evap12, covered12, cover12 = _prep12(tmp12, rain12, evap12, covered12, cover12)
    if method not in ("monthly", "annual"):
        raise ValueError(f"method must be 'monthly' or 'annual', got {method!r}")
    rc = modern12 is not None
    if rc and method != "monthly":
        raise ValueError("radiocarbon bookkeeping needs method='monthly'")
    inputs12 = _f64(inputs12)
    shape = _climate_shape(
        tmp12[0], rain12[0], evap12[0], covered12[0], clay, depth, inputs12[0, 0], iom, factor, swc0, rm_min
    )
    npix = int(np.prod(shape, dtype=np.int64))

    def flat(a: NDArray[_S]) -> NDArray[_S]:
        return np.broadcast_to(a, shape).reshape(-1)

    def flat12(a: NDArray[_S]) -> NDArray[_S]:
        return np.stack([flat(a[m]) for m in range(12)])

    # per-pixel static data, compressed to the still-iterating pixels as they converge
    # (float64 arrays, and the bool cover flag "Cv")
    d: dict[str, NDArray[Any]] = {
        "T": flat12(tmp12),
        "R": flat12(rain12),
        "E": flat12(evap12),
        "Cv": flat12(np.asarray(covered12) != 0),
        "U": np.stack(
            [np.stack([flat(_month_slice(inputs12, m, 12)[p]) for p in range(4)], axis=0) for m in range(12)]
        ),
        "fac": flat(_f64(factor)),
        "rmin": flat(_f64(rm_min)),
        "x": flat(P.x_clay(clay)),
    }
    d["Cf"] = flat12(mod.cover_factor(covered12)) if cover12 is None else flat12(cover12)
    lim = [flat(v) for v in mod.smd_limits(clay, depth)]
    d["L0"], d["L1"], d["L2"] = lim
    if rc:
        d["MOD"] = flat12(_f64(cast(ArrayLike, modern12)))  # rc: modern12 is given
    iomf = flat(_f64(iom)).copy()

    out_act = np.zeros((4, npix))
    out_ract: FloatArray | None = np.zeros((4, npix)) if rc else None
    out_swc = np.zeros(npix)
    out_years = np.zeros(npix, dtype=np.int64)

    idx = np.arange(npix)
    a = np.zeros((4, npix))
    r: FloatArray | None = np.zeros((4, npix)) if rc else None
    s = flat(_f64(swc0)).copy()
    toc1 = np.zeros(npix)
    st = _Stepper((npix,), d["x"])
    e12: FloatArray | None = None  # decay factors of the settled cycle
    amap: AffineMap | None = None  # annual map of the settled cycle ("annual" method)
    y = 0
    while idx.size:
        if y >= max_years:
            raise ValueError(f"Rothamsted equilibrium not reached after {max_years} years for {idx.size} pixel(s)")
        if e12 is None:  # moisture deficit not yet periodic for every pixel: compute this year's modifiers
            s_start = s
            rm12 = np.empty((12, idx.size))
            limits = (d["L0"], d["L1"], d["L2"])
            for m in range(12):
                s, b = mod.tsmd_step(
                    s,
                    d["R"][m],
                    d["E"][m],
                    d["Cv"][m],
                    None,
                    None,
                    evap_coeff=evap_coeff,
                    rm_min=d["rmin"],
                    limits=limits,
                )
                rm12[m] = rate_modifiers(d["T"][m], b, d["Cf"][m], d["fac"], temperature=temperature)
            e_year = np.stack([decay_factors(rm12[m]) for m in range(12)])
            if np.all(np.abs(s - s_start) <= 1e-10):
                e12 = e_year  # from now on every year repeats this one
        else:
            e_year = e12
        if amap is not None:
            a = _matvec(amap[0], a) + amap[1]
        else:
            for m in range(12):
                st.apply(a, e_year[m], d["U"][m])
                if rc:
                    assert r is not None
                    st.apply(r, e_year[m], d["U"][m] * d["MOD"][m], scale=_EXC)
            if method == "annual" and e12 is not None:
                amap = _annual_map_from_e(e12, d["x"], d["U"])
        y += 1
        toc0 = toc1
        toc1 = a[0] + a[1] + a[2] + a[3]
        done = np.abs(toc1 - toc0) < tol
        if done.any():
            sel = idx[done]
            out_act[:, sel] = a[:, done]
            out_swc[sel] = s[done]
            out_years[sel] = y
            if rc:
                assert out_ract is not None and r is not None
                out_ract[:, sel] = r[:, done]
            keep = ~done
            idx = idx[keep]
            if not idx.size:
                break
            a, s, toc1 = a[:, keep], s[keep], toc1[keep]
            if rc:
                assert r is not None
                r = r[:, keep]
            d = {k: v[..., keep] for k, v in d.items()}
            if e12 is not None:
                e12 = e12[..., keep]
            if amap is not None:
                amap = (amap[0][..., keep], amap[1][..., keep])
            st = _Stepper((idx.size,), d["x"])
    pools = np.concatenate([out_act, iomf[None]], axis=0)
    dc: FloatArray | None = None
    ract: FloatArray | None = None
    if rc:
        assert out_ract is not None
        dc = _delta_c_from(pools, out_ract, iomf * np.exp(-_CONR * P.IOM_AGE)).reshape(shape)
        ract = out_ract.reshape((4,) + shape)
    return Equilibrium(pools.reshape((5,) + shape), out_swc.reshape(shape), (12 * out_years).reshape(shape), ract, dc)


def _annual_map_from_e(e12: FloatArray, x: FloatArray, inputs12: FloatArray) -> AffineMap:
    """:func:`annual_map` from precomputed decay factors ``e12`` ``(12, 4, *S)``."""
    shape = e12.shape[2:]
    Y = np.zeros((4, 4) + shape)
    for p in range(4):
        Y[p, p] = 1.0
    v = np.zeros((4,) + shape)
    fb, fh = (np.broadcast_to(f, shape) for f in _fractions(x))
    n = inputs12.shape[0]
    for m in range(12):
        Y = _transfer(Y, e12[m][:, None], fb, fh)
        v = _transfer(v, e12[m], fb, fh) + _month_slice(inputs12, m, n)
    return Y, v


def equilibrium_exact(
    *,
    tmp12: ArrayLike,
    rain12: ArrayLike,
    evap12: ArrayLike,
    covered12: ArrayLike,
    clay: ArrayLike,
    depth: ArrayLike,
    inputs12: ArrayLike,
    iom: ArrayLike,
    cover12: ArrayLike | None = None,
    factor: FloatLike = 1.0,
    evap_coeff: float = P.PAN_COEFF,
    rm_min: float | FloatArray = P.RM_MOIST_MIN,
    temperature: Temperature = "rothamsted",
    swc0: ArrayLike = 0.0,
    modern12: ArrayLike | None = None,
    max_settle_years: int = 1000,
) -> Equilibrium:
    """Exact periodic equilibrium of a repeated 12-month forcing.

    First the moisture deficit is iterated from ``swc0`` until its year-end value
    repeats (:func:`scsmap.rothc.modifiers.tsmd_settle`); the 12 rate modifiers of
    that settled cycle define the annual affine map (:func:`annual_map`), whose fixed
    point is solved exactly (:func:`solve_periodic`). The result is the December state
    that the Rothamsted iteration converges to (it stops within about
    ``tol/(1 − λ)`` of it, λ the slowest eigenvalue of the annual map, i.e. ~1e-4).

    Parameters
    ----------
    tmp12, rain12, evap12, covered12 : array_like
        ``(12, *S)`` climatology, January first [degC], [mm], [mm], [PC flag].
    clay, depth : array_like
        [%], [cm].
    inputs12 : array_like
        ``(12, 4, *S)`` or ``(1, 4, *S)`` [t C ha-1 month-1].
    iom : array_like
        [t C ha-1].
    cover12, factor, evap_coeff, rm_min, temperature, swc0
        As :func:`equilibrium_rothamsted`.
    modern12 : array_like, optional
        ``(12, *S)`` fraction modern of the inputs: also solve the radiocarbon fixed point.
    max_settle_years : int, default 1000
        Cap on the moisture iterations (:func:`scsmap.rothc.modifiers.tsmd_settle`).

    Returns
    -------
    Equilibrium
        ``months`` = 12 × the years the deficit needed to settle from ``swc0`` (0 when
        the climatology returns to field capacity every winter). Pools are ``inf`` where
        the rate modifier is 0 all year (T < −5 °C every month) and input is positive.

    References
    ----------
    docs/methods/rothc.md §2.3, "One year: the annual affine map"; Coleman & Jenkinson, RothC-26.3 description §2.
    """
    tmp12, rain12, evap12, covered12, cover12 = _prep12(tmp12, rain12, evap12, covered12, cover12)
    inputs12 = _f64(inputs12)
    shape = _climate_shape(
        tmp12[0], rain12[0], evap12[0], covered12[0], clay, depth, inputs12[0, 0], iom, factor, swc0, rm_min
    )
    s, yrs = _settle(
        rain12,
        evap12,
        covered12,
        clay,
        depth,
        swc0=swc0,
        evap_coeff=evap_coeff,
        rm_min=rm_min,
        max_years=max_settle_years,
    )
    s = np.broadcast_to(s, shape)
    limits = mod.smd_limits(clay, depth)
    rm12, _ = _cycle_rm(
        s, tmp12, rain12, evap12, covered12, limits, cover12, factor, evap_coeff, rm_min, temperature, shape
    )
    x = P.x_clay(clay)
    M, v = annual_map(rm12, x, inputs12)
    act = solve_periodic(M, v)
    pools = np.concatenate([act, np.broadcast_to(_f64(iom), shape)[None]], axis=0)
    ract = dc = None
    if modern12 is not None:
        mod12 = _f64(modern12)
        u_r = np.stack([_month_slice(inputs12, m, 12) * _month_slice(mod12, m, 12) for m in range(12)])
        Mr, vr = annual_map(rm12, x, u_r, scale=_EXC)
        ract = solve_periodic(Mr, vr)
        dc = delta_c(pools, ract)
    return Equilibrium(pools, np.array(s), 12 * np.broadcast_to(yrs, shape), ract, dc)


def periodic_cycle(
    *,
    tmp12: ArrayLike,
    rain12: ArrayLike,
    evap12: ArrayLike,
    covered12: ArrayLike,
    clay: ArrayLike,
    depth: ArrayLike,
    swc0: ArrayLike = 0.0,
    cover12: ArrayLike | None = None,
    factor: FloatLike = 1.0,
    evap_coeff: float = P.PAN_COEFF,
    rm_min: float | FloatArray = P.RM_MOIST_MIN,
    temperature: Temperature = "rothamsted",
    max_settle_years: int = 1000,
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Settled moisture cycle of a 12-month climatology and its 12 rate modifiers.

    Parameters
    ----------
    tmp12, rain12, evap12, covered12, clay, depth, cover12, factor, evap_coeff, rm_min, temperature
        As :func:`equilibrium_rothamsted`.
    swc0 : array_like, default 0
        Deficit entering the first year [mm].
    max_settle_years : int, default 1000

    Returns
    -------
    rm12 : numpy.ndarray
        ``(12, *S)`` rate modifiers of the settled cycle [-] (input of :func:`annual_map`).
    swc : numpy.ndarray
        Settled December deficit s* [mm].
    settle_years : numpy.ndarray of int
        Years from ``swc0`` until the deficit entering the year is s*
        (:func:`scsmap.rothc.modifiers.tsmd_settle`).
    """
    tmp12, rain12, evap12, covered12, cover12 = _prep12(tmp12, rain12, evap12, covered12, cover12)
    shape = _climate_shape(tmp12[0], rain12[0], evap12[0], covered12[0], clay, depth, factor, swc0, rm_min)
    s, yrs = _settle(
        rain12,
        evap12,
        covered12,
        clay,
        depth,
        swc0=swc0,
        evap_coeff=evap_coeff,
        rm_min=rm_min,
        max_years=max_settle_years,
    )
    s = np.array(np.broadcast_to(s, shape))
    rm12, _ = _cycle_rm(
        s,
        tmp12,
        rain12,
        evap12,
        covered12,
        mod.smd_limits(clay, depth),
        cover12,
        factor,
        evap_coeff,
        rm_min,
        temperature,
        shape,
    )
    return rm12, s, np.broadcast_to(yrs, shape)


class _Climate12(TypedDict):
    """Flattened 12-month climatology of :func:`forward_periodic` (keyword arguments of :func:`periodic_cycle`)."""

    tmp12: FloatArray
    rain12: FloatArray
    evap12: FloatArray
    covered12: FlagArray
    cover12: FloatArray | None


class _Soil(TypedDict):
    """Flattened per-pixel soil and rate settings of :func:`forward_periodic`."""

    clay: FloatArray
    depth: FloatArray
    factor: FloatArray
    rm_min: FloatArray


@overload
def forward_periodic(
    pools: ArrayLike,
    swc: ArrayLike,
    *,
    years: int,
    tmp12: ArrayLike,
    rain12: ArrayLike,
    evap12: ArrayLike,
    covered12: ArrayLike,
    clay: ArrayLike,
    depth: ArrayLike,
    inputs12: ArrayLike,
    cover12: ArrayLike | None = ...,
    factor: ArrayLike = ...,
    evap_coeff: float = ...,
    rm_min: ArrayLike = ...,
    temperature: Temperature = ...,
    record_years: Literal[False] = ...,
    max_settle_years: int = ...,
    input_factors: Sequence[float] | None = ...,
) -> tuple[FloatArray, FloatArray]: ...
@overload
def forward_periodic(
    pools: ArrayLike,
    swc: ArrayLike,
    *,
    years: int,
    tmp12: ArrayLike,
    rain12: ArrayLike,
    evap12: ArrayLike,
    covered12: ArrayLike,
    clay: ArrayLike,
    depth: ArrayLike,
    inputs12: ArrayLike,
    cover12: ArrayLike | None = ...,
    factor: ArrayLike = ...,
    evap_coeff: float = ...,
    rm_min: ArrayLike = ...,
    temperature: Temperature = ...,
    record_years: Literal[True] | Sequence[int],
    max_settle_years: int = ...,
    input_factors: Sequence[float] | None = ...,
) -> tuple[FloatArray, FloatArray, FloatArray]: ...
def forward_periodic(
    pools: ArrayLike,
    swc: ArrayLike,
    *,
    years: int,
    tmp12: ArrayLike,
    rain12: ArrayLike,
    evap12: ArrayLike,
    covered12: ArrayLike,
    clay: ArrayLike,
    depth: ArrayLike,
    inputs12: ArrayLike,
    cover12: ArrayLike | None = None,
    factor: ArrayLike = 1.0,
    evap_coeff: float = P.PAN_COEFF,
    rm_min: ArrayLike = P.RM_MOIST_MIN,
    temperature: Temperature = "rothamsted",
    record_years: bool | Sequence[int] = False,
    max_settle_years: int = 1000,
    input_factors: Sequence[float] | None = None,
) -> tuple[FloatArray, ...]:
    """Run ``years`` years of a repeated 12-month forcing, fast and exact.

    The moisture deficit does not depend on the pools, so every year is an affine map of
    the pools. While a pixel's deficit has not yet settled into the annual cycle (usually
    0-2 years, see :func:`scsmap.rothc.modifiers.tsmd_settle`) each year gets its own map;
    the remaining years use the map of the settled cycle by repeated squaring
    (:func:`annual_map`, :func:`advance_years`). The result equals monthly stepping of
    all ``12·years`` months to ~1e-12 t C ha-1.

    Parameters
    ----------
    pools : array_like
        ``(5, *S)`` initial pools [t C ha-1].
    swc : array_like
        Initial moisture deficit [mm] (e.g. left by a warm-up run).
    years : int
    tmp12, rain12, evap12, covered12, clay, depth, inputs12, cover12, factor,
    evap_coeff, rm_min, temperature
        As :func:`equilibrium_rothamsted`.
    record_years : bool or sequence of int, default False
        Also return the pools at the end of every year ``(years, 5, *S)`` (True, stepped year by year),
        or at the end of the given years only ``(len(record_years), 5, *S)`` (a sequence of years in
        ``1..years``, in its order), reached by repeated squaring between them: ``O(log2 years)``
        matrix products per pixel instead of one a year, and no copy of the pools of the other years.
    max_settle_years : int, default 1000
    input_factors : sequence of float, optional
        Run one scenario per factor with ``inputs12 × factor`` (e.g. BAU and SSM
        ``(1, 1.05, 1.10, 1.20)``) from the same start. The moisture cycle and the annual
        matrix ``M`` are built once (``v`` is linear in the inputs). Outputs then gain a
        leading scenario axis: pools ``(k, 5, *S)``, path ``(k, years, 5, *S)``.

    Returns
    -------
    pools : numpy.ndarray
        ``(5, *S)`` after ``years`` years [t C ha-1].
    swc : numpy.ndarray
        Deficit at the end [mm].
    path : numpy.ndarray, optional
        With ``record_years``: the pools at the end of every year, or of the given years [t C ha-1].

    Raises
    ------
    ValueError
        ``record_years`` names a year outside ``1..years``.

    Notes
    -----
    Scenarios that share the climate but scale the inputs (BAU, SSM) share ``M``: pass
    ``input_factors``, or build it once with :func:`periodic_cycle` and
    :func:`annual_map` and call :func:`advance_years` with ``v × factor`` (after the
    unsettled first years, if any).
    """
    tmp12, rain12, evap12, covered12, cover12 = _prep12(tmp12, rain12, evap12, covered12, cover12)
    inputs12 = _f64(inputs12)
    pools = _f64(pools)
    shape = _climate_shape(
        pools[0], swc, tmp12[0], rain12[0], evap12[0], covered12[0], clay, depth, inputs12[0, 0], factor, rm_min
    )
    npix = int(np.prod(shape, dtype=np.int64))
    years = int(years)

    def flat(a: NDArray[_S]) -> NDArray[_S]:
        return np.broadcast_to(a, shape).reshape(-1)

    def flat12(a: ArrayLike) -> NDArray[Any]:  # (12, npix), dtype of a: each month a[m] broadcast to the pixels
        a = np.asarray(a)
        a = a.reshape(a.shape[:1] + (1,) * (len(shape) + 1 - a.ndim) + a.shape[1:])
        return np.ascontiguousarray(np.broadcast_to(a, (12, *shape))).reshape(12, npix)

    ft: _Climate12 = dict(
        tmp12=flat12(tmp12),
        rain12=flat12(rain12),
        evap12=flat12(evap12),
        covered12=flat12(covered12),
        cover12=None if cover12 is None else flat12(cover12),
    )
    fs: _Soil = dict(
        clay=flat(_f64(clay)), depth=flat(_f64(depth)), factor=flat(_f64(factor)), rm_min=flat(_f64(rm_min))
    )
    lead = inputs12.reshape(inputs12.shape[:2] + (1,) * (len(shape) + 2 - inputs12.ndim) + inputs12.shape[2:])
    u = np.ascontiguousarray(np.broadcast_to(lead, (12, 4, *shape))).reshape(12, 4, npix)  # month m or the one month
    rm12, s_star, settle = periodic_cycle(
        **ft,
        **fs,
        swc0=flat(_f64(swc)),
        evap_coeff=evap_coeff,
        temperature=temperature,
        max_settle_years=max_settle_years,
    )
    kk = np.minimum(settle, years)
    x = P.x_clay(fs["clay"])
    M, v = annual_map(rm12, x, u)
    # the years before the moisture deficit settles differ from the cycle, but they too are
    # affine maps of the pools (their deficits do not depend on the pools): build them once
    s = np.array(flat(_f64(swc)))
    early: list[tuple[IntArray, AffineMap]] = []
    for j in range(int(kk.max(initial=0))):
        sel = np.flatnonzero(kk > j)
        lim = mod.smd_limits(fs["clay"][sel], fs["depth"][sel])
        rm_j, s_end = _cycle_rm(
            s[sel],
            ft["tmp12"][:, sel],
            ft["rain12"][:, sel],
            ft["evap12"][:, sel],
            ft["covered12"][:, sel],
            lim,
            None if ft["cover12"] is None else ft["cover12"][:, sel],
            fs["factor"][sel],
            evap_coeff,
            fs["rm_min"][sel],
            temperature,
            (sel.size,),
        )
        s[sel] = s_end
        early.append((sel, annual_map(rm_j, x[sel], u[:, :, sel])))
    s_final = np.where(years > kk, s_star, s).reshape(shape)
    start = np.array(np.broadcast_to(pools, (5,) + shape)).reshape(5, npix)

    def one(fac: float) -> tuple[FloatArray, ...]:
        cur = start.copy()
        act = cur[:4]
        path: list[FloatArray] = []
        if record_years:
            for j in range(years):
                nxt = _matvec(M, act) + v * fac
                if j < len(early):
                    sel, (Mj, vj) = early[j]
                    nxt[:, sel] = _matvec(Mj, act[:, sel]) + vj * fac
                act[...] = nxt
                path.append(cur.reshape((5,) + shape).copy())
        else:
            for sel, (Mj, vj) in early:
                act[:, sel] = _matvec(Mj, act[:, sel]) + vj * fac
            act[...] = advance_years(act, M, v * fac, years - kk)
        out: tuple[FloatArray, ...] = (cur.reshape((5,) + shape), s_final.copy())
        if record_years:
            out += (np.stack(path) if path else np.empty((0, 5) + shape),)
        return out

    if not isinstance(record_years, bool):
        at = [int(y) for y in record_years]
        if any(y < 1 or y > years for y in at):
            raise ValueError(f"record_years: years {at} outside 1..{years}")
        facs = np.asarray([1.0] if input_factors is None else input_factors, dtype=np.float64)[:, None]
        cur = np.array(np.broadcast_to(start, (facs.shape[0], 5, npix)))
        act = cur[:, :4].transpose(1, 0, 2)  # (4, k, npix) view
        vk = v[:, None] * facs
        pos = np.zeros(npix, dtype=np.int64)  # the year each pixel's pools are at
        done = 0  # early (unsettled) years applied
        rec = np.empty((facs.shape[0], len(at), 5, npix))
        targets = [*at, years]  # the last: the pools returned, at the end of the run
        for i in np.argsort(targets, kind="stable"):
            y = targets[i]
            for sel, (Mj, vj) in early[done:y]:  # pixels still unsettled step their own years up to y
                act[:, :, sel] = _matvec(Mj, act[:, :, sel]) + vj[:, None] * facs
                pos[sel] += 1
            done = max(done, min(y, len(early)))
            # settled pixels jump to y on the cycle's map (the unsettled ones are at y already)
            n = np.where(pos >= kk, y - pos, 0)
            act[...] = advance_years(act, M, vk, n)
            pos += n
            if i < len(at):
                rec[:, i] = cur
        if input_factors is None:
            return cur[0].reshape((5,) + shape), s_final.copy(), rec[0].reshape((len(at), 5) + shape)
        k = facs.shape[0]
        return (
            cur.reshape((k, 5) + shape),
            np.broadcast_to(s_final, (k,) + shape).copy(),
            rec.reshape((k, len(at), 5) + shape),
        )
    if input_factors is None:
        return one(1.0)
    if record_years:
        runs = [one(float(f)) for f in input_factors]
        return tuple(np.stack(parts) for parts in zip(*runs))
    # all scenarios at once: the scenario axis rides along the pixels' in every matrix-vector product,
    # so the powers of M (repeated squaring) are built once, not once per scenario; same arithmetic
    facs = np.asarray(input_factors, dtype=np.float64)[:, None]  # (k, 1)
    cur = np.array(np.broadcast_to(start, (facs.shape[0], 5, npix)))
    act = cur[:, :4].transpose(1, 0, 2)  # (4, k, npix) view
    for sel, (Mj, vj) in early:
        act[:, :, sel] = _matvec(Mj, act[:, :, sel]) + vj[:, None] * facs
    act[...] = advance_years(act, M, v[:, None] * facs, years - kk)
    return cur.reshape((facs.shape[0], 5) + shape), np.broadcast_to(s_final, (facs.shape[0],) + shape).copy()


def analytic_spinup(
    xi_mean: ArrayLike, soc0: ArrayLike, clay: ArrayLike, dr: ArrayLike, iom: ArrayLike | None = None
) -> tuple[FloatArray, FloatArray]:
    """GSOCseq analytic spin-up: the input that holds SOC at ``soc0`` in steady state.

    Steady state of the continuous RothC ODE with one mean rate modifier ξ̄ (docs/methods/gsocseq.md §1.7):

    ``S = γ_D/k_DPM + γ_R/k_RPM + 0.46/(x·k_BIO) + 0.54/(x·k_HUM)`` [yr],
    ``C_eq = ξ̄ (SOC₀ − IOM)/S``, ``DPM = γ_D C_eq/(ξ̄ k_DPM)``, ``RPM = γ_R C_eq/(ξ̄ k_RPM)``,
    ``BIO = 0.46 C_eq/(x ξ̄ k_BIO)``, ``HUM = 0.54 C_eq/(x ξ̄ k_HUM)``, with
    ``γ_D = DR/(1+DR)``, ``γ_R = 1/(1+DR)`` and ``IOM = 0.049·SOC₀^1.139``.

    Parameters
    ----------
    xi_mean : array_like
        Mean of the 12 monthly rate modifiers ξ_m = a·b·c·f_PR [-].
    soc0 : array_like
        SOC stock to hold [t C ha-1].
    clay : array_like
        [%].
    dr : array_like
        DPM/RPM ratio [-].
    iom : array_like, optional
        IOM [t C ha-1]; default Falloon et al. (1998) from ``soc0``.

    Returns
    -------
    c_eq : numpy.ndarray
        Annual C input at equilibrium [t C ha-1 yr-1].
    pools : numpy.ndarray
        ``(5, *S)`` DPM, RPM, BIO, HUM, IOM [t C ha-1], summing to ``soc0``.

    References
    ----------
    Dechow, R., Franko, U., Kätterer, T. & Kolbe, H. (2019) Evaluation of the RothC
    model as a prognostic tool for the prediction of SOC trends in Germany. Geoderma
    337:463-478; GSOCseq scripts v1.2 ``11_ROTH_C_SPIN_UP_Analytical.R``
    (``fget_equilibrium_fractions``); docs/methods/gsocseq.md §1.7, oracle GS-1.
    """
    xi = _f64(xi_mean)
    soc0 = _f64(soc0)
    x = P.x_clay(clay)
    iom = P.falloon_iom(soc0) if iom is None else _f64(iom)
    g_d = P.dpm_share(dr)
    g_r = 1.0 - g_d
    s = g_d / P.K_DPM + g_r / P.K_RPM + P.BIO_SHARE / (x * P.K_BIO) + P.HUM_SHARE / (x * P.K_HUM)
    c_eq = xi * (soc0 - iom) / s
    with np.errstate(divide="ignore", invalid="ignore"):
        q = c_eq / xi
    pools = np.stack(
        np.broadcast_arrays(
            g_d * q / P.K_DPM, g_r * q / P.K_RPM, P.BIO_SHARE * q / (x * P.K_BIO), P.HUM_SHARE * q / (x * P.K_HUM), iom
        )
    )
    return c_eq, pools
