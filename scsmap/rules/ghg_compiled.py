"""Compiled (numba) GHG kernel: N₂O, CH₄, net balance and costs of every practice, and the composites, in one pass.

:func:`evaluate_ghg_stack` returns what :func:`scsmap.rules.ghg.evaluate_ghg` returns, stacked on a leading
axis in the order of the run's GHG outputs and cast to float32, straight from a block of the practice
stack. The per-practice constants (N₂O per kg N of each N type in wet and dry climates, N bookkeeping,
CH₄ on rice, costs by land-use class) are gathered once per run by :func:`compile_ghg`.

The arithmetic and its order are those of :func:`scsmap.rules.ghg.evaluate_ghg` and
:func:`scsmap.rules.ghg.n2o_co2e` (IPCC 2006/2019 Vol. 4 Ch. 11 Tables 11.1 and 11.3, eq. 11.8;
docs/methods/ghg.md §8.2-§8.4, §8.6 and §9.2), which stay the test oracle: the kernel's outputs equal the
numpy results cast to float32, bit for bit (tests/rules/test_ghg_compiled.py). The loop releases the GIL and
is cached next to this module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
from numba import njit
from numpy.typing import ArrayLike, NDArray

from ._types import FloatArray
from .ghg import CO2_PER_C, COMPOSITES, N2O_PER_N, EmissionFactors, GhgSettings, rice_ch4_co2e
from .practices import UNKNOWN, UNKNOWN_PRACTICE
from .practices_compiled import _code, _nan_to_num, output_planes

__all__ = ["CompiledGhg", "compile_ghg", "evaluate_ghg_stack"]


@dataclass(frozen=True)
class CompiledGhg:
    """The GHG settings and tables of a run as lookup arrays (:func:`compile_ghg`).

    Attributes
    ----------
    n_outputs : int
        Outputs of the stack.
    tables : tuple of numpy.ndarray
        The loop's table arguments (see :func:`_loop`).
    scalars : numpy.ndarray
        float64: C:N gain and loss, GWP100 N₂O, lowest class of the best practice, carbon price, costs given.
    """

    n_outputs: int
    tables: tuple[np.ndarray, ...]
    scalars: FloatArray


def compile_ghg(
    practices: Sequence[str],
    codes: Mapping[str, int],
    s: GhgSettings,
    costs: Mapping[str, tuple[np.ndarray, bool]] | None,
    outputs: Sequence[str],
) -> CompiledGhg:
    """Lookup arrays of a run's GHG settings, for :func:`evaluate_ghg_stack` (built once per run).

    Parameters
    ----------
    practices : sequence of str
        The practices, in the order of the rates and classes given to the kernel.
    codes : dict
        Practice → class code (``practices.csv``).
    s : GhgSettings
    costs : dict, optional
        Practice → (cost by FAO land-use class, shape (256,) [currency ha-1 yr-1, or t-1 CO₂e when the flag
        is True]); None: no cost outputs.
    outputs : sequence of str
        The stack's outputs, in order (``n2o_<p>``, ``ch4_<p>``, ``net_ghg_<p>``, ``cost_per_tco2_<p>`` and the
        composites); the kernel fills these.

    Returns
    -------
    CompiledGhg

    Raises
    ------
    KeyError
        A practice without an N row in ``s.nitrogen`` (the GHG tables refuse it first, with a clear message).
    """
    n = len(practices)
    where = {o: i for i, o in enumerate(outputs)}
    per_kg = np.zeros((n, 2, 3))  # practice, dry/wet, N type of the external input / of the added N / SOM
    n_terms = np.zeros((n, 3))  # f_ext, added N, delta N2O
    ch4_ha = np.zeros(n)
    code = np.zeros(n)
    cost_lut = np.full((n, 256), np.nan)
    per_t = np.zeros(n, dtype=np.bool_)
    out_i = np.full((n, 4), -1, dtype=np.int64)  # n2o, ch4, net_ghg, cost_per_tco2
    for i, p in enumerate(practices):
        nb = s.nitrogen[p]
        dry = s.dry
        if p == "irrigation":  # irrigation leaches on dry pixels too (docs/methods/ghg.md §8.4 step 3)
            dry = EmissionFactors(s.dry.ef1, s.dry.ef4, s.dry.ef5, s.wet.frac_leach, s.dry.frac_gas)
        for w, ef in enumerate((dry, s.wet)):
            per_kg[i, w] = (ef.per_kg_n(nb.n_ext_type), ef.per_kg_n(nb.added_n_type), ef.per_kg_n("som"))
        n_terms[i] = (nb.f_ext, nb.added_n, nb.delta_n2o)
        ch4_ha[i] = 0.0 if s.rice is None else rice_ch4_co2e(s.rice, p)
        code[i] = codes[p]
        if costs is not None and p in costs:
            cost_lut[i] = np.asarray(costs[p][0], dtype="f8")
            per_t[i] = bool(costs[p][1])
        out_i[i] = [where.get(f"{k}_{p}", -1) for k in ("n2o", "ch4", "net_ghg", "cost_per_tco2")]
    comp_i = np.array([where.get(k, -1) for k in COMPOSITES], dtype=np.int64)
    scalars = np.array(
        [s.cn_gain, s.cn_loss, s.gwp_n2o, s.best_of, s.price, costs is not None, s.rice is not None], dtype="f8"
    )
    return CompiledGhg(len(outputs), (per_kg, n_terms, ch4_ha, code, cost_lut, per_t, out_i, comp_i), scalars)


def evaluate_ghg_stack(
    compiled: CompiledGhg,
    practice_block: np.ndarray,
    rate_index: Sequence[int],
    class_index: Sequence[int],
    wet: ArrayLike,
    land_use: ArrayLike,
    rice: ArrayLike | None = None,
) -> NDArray[np.float32]:
    """Every practice's N₂O, CH₄, net balance and cost, and the composites, stacked as float32.

    Parameters
    ----------
    compiled : CompiledGhg
        From :func:`compile_ghg`.
    practice_block : numpy.ndarray
        ``(k, *S)`` block of the practice stack (:func:`scsmap.rules.practices_compiled.evaluate_stack`).
    rate_index, class_index : sequence of int
        Where each practice's capped rate [t C ha-1 yr-1] and suitability class are in ``practice_block``, in
        the order given to :func:`compile_ghg`.
    wet : array_like of bool
        IPCC wet climate (:func:`scsmap.rules.ghg.wet_climate`), shape ``S``.
    land_use : array_like
        FAO land-use class (the rows of the cost table), shape ``S``.
    rice : array_like, optional
        Rice mask (1 rice, 0 not, NaN counted as not rice); None: no rice anywhere.

    Returns
    -------
    numpy.ndarray
        float32 ``(n_outputs, *S)``: the outputs of :func:`scsmap.rules.ghg.evaluate_ghg`, same values and
        units, in the order given to :func:`compile_ghg`.
    """
    shape = practice_block.shape[1:]
    npix = int(np.prod(shape, dtype=np.int64))
    block = practice_block.reshape(practice_block.shape[0], npix)
    wet_f = np.ascontiguousarray(np.broadcast_to(np.asarray(wet, dtype=np.bool_), shape).reshape(npix))
    lu = np.ascontiguousarray(np.asarray(land_use, dtype="f8").reshape(npix))
    rice_f = np.zeros(1) if rice is None else np.ascontiguousarray(np.asarray(rice, dtype="f8").reshape(npix))
    out = output_planes(compiled.n_outputs, npix)
    cast(Callable[..., None], _loop)(  # a numba dispatcher: its call is not typed
        block,
        np.asarray(rate_index, dtype=np.int64),
        np.asarray(class_index, dtype=np.int64),
        wet_f,
        lu,
        rice_f,
        rice is not None,
        *compiled.tables,
        compiled.scalars,
        out,
    )
    return out.reshape((compiled.n_outputs, *shape))


@njit(nogil=True, cache=True, error_model="numpy")
def _loop(  # noqa: PLR0912, PLR0913, PLR0915 - one fused pass over all practices
    block: np.ndarray,
    rate_i: np.ndarray,
    class_i: np.ndarray,
    wet: np.ndarray,
    lu_f: np.ndarray,
    rice: np.ndarray,
    has_rice_layer: bool,
    per_kg: np.ndarray,
    n_terms: np.ndarray,
    ch4_ha: np.ndarray,
    code: np.ndarray,
    cost_lut: np.ndarray,
    per_t: np.ndarray,
    out_i: np.ndarray,
    comp_i: np.ndarray,
    scalars: np.ndarray,
    out: np.ndarray,
) -> None:
    cn_gain, cn_loss, gwp, best_of, price = scalars[0], scalars[1], scalars[2], scalars[3], scalars[4]
    has_costs = scalars[5] > 0
    nan = np.nan
    n = rate_i.shape[0]
    for p in range(block.shape[1]):
        w = 1 if wet[p] else 0
        lu = _code(lu_f[p], 255)
        on_rice = False
        if has_rice_layer:
            rv = rice[p]
            on_rice = (0.0 if rv != rv else rv) >= 0.5
        missing = True
        any_unknown = False
        best_net = 0.0
        best_code = 0.0
        best_cost_t = nan
        best_cost_ha = nan
        cheap_cost = np.inf
        cheap_code = 0.0
        at_price = 0.0
        for i in range(n):
            rate = np.float64(block[rate_i[i], p])
            c_raw = np.float64(block[class_i[i], p])
            finite = np.isfinite(rate)
            if finite:
                missing = False
            if c_raw == UNKNOWN:
                any_unknown = True
            cls = _nan_to_num(c_raw)
            adopted = cls > 0 and cls != UNKNOWN
            # N2O of the practice (docs/methods/ghg.md §8.4 steps 1-5)
            r0 = _nan_to_num(rate)
            gain = r0 if r0 > 0.0 else 0.0
            loss = -r0 if -r0 > 0.0 else 0.0
            n_ext = n_terms[i, 0] * 1000.0 * gain / cn_gain
            n_min = 1000.0 * loss / cn_loss
            n2o_n = n_ext * per_kg[i, w, 0] + n_terms[i, 1] * per_kg[i, w, 1] + n_min * per_kg[i, w, 2] + n_terms[i, 2]
            n2o = n2o_n * N2O_PER_N * gwp / 1000.0 if adopted else 0.0
            ch4 = ch4_ha[i] if (adopted and on_rice) else 0.0
            if not finite:
                n2o = nan
                ch4 = nan
            net = CO2_PER_C * (rate if adopted else 0.0) - n2o - ch4
            if out_i[i, 0] >= 0:
                out[out_i[i, 0], p] = n2o
            if out_i[i, 1] >= 0:
                out[out_i[i, 1], p] = ch4
            if out_i[i, 2] >= 0:
                out[out_i[i, 2], p] = net
            usable = cls >= best_of and cls != UNKNOWN and net > 0
            cpt = nan
            cost_ha = nan
            if has_costs:
                c = cost_lut[i, lu]
                cost_ha = c * net if per_t[i] else c
                if adopted and net > 0:
                    cpt = cost_ha / net
                if out_i[i, 3] >= 0:
                    out[out_i[i, 3], p] = cpt
                if usable and np.isfinite(cpt):
                    if cpt < cheap_cost:
                        cheap_cost = cpt
                        cheap_code = code[i]
                    if cpt <= price and net > at_price:
                        at_price = net
            if usable and net > best_net:
                best_net = net
                best_code = code[i]
                best_cost_t = cpt
                best_cost_ha = cost_ha
        # composites (COMPOSITES order): NaN where every rate is unknown; "unknown" where none qualifies but one is
        values = (best_code, best_net, best_cost_t, cheap_code, at_price, best_cost_ha)
        for j in range(6):
            k = comp_i[j]
            if k < 0:
                continue
            v = nan if missing else values[j]
            if j == 0 or j == 3:  # the practice codes
                v0 = 0.0 if v != v else v
                if v0 == 0 and any_unknown:
                    v = UNKNOWN_PRACTICE
                if missing and not any_unknown:
                    v = 0.0
            out[k, p] = v
