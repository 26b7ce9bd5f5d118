"""Marginal abatement cost curve: per-step sums and the sorted curve. Pure numpy.

Each pixel contributes the practice with the largest positive net GHG balance
(``best_practice_net``), with its net abatement ``net_ghg_best`` [t CO₂e ha-1 yr-1] and its
cost per t (``cost_per_tco2_best``). Pixels are grouped into steps, one per practice ×
IPCC climate zone; a step's cost is its total cost over its total abatement
(Σ area·net·cost_t / Σ area·net). Steps sorted by cost and cumulated give the curve; its
total equals the area-weighted sum of ``net_ghg_best`` over the pixels with a cost
(docs/methods/ghg.md §9.2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._types import FloatArray, FloatingArray, IntArray
from .practices import UNKNOWN_PRACTICE

#: keys are practice code x ZONES + climate zone code
ZONES = 16
N_KEYS = 13 * ZONES
#: columns of :func:`abatement_curve`, in order
CURVE_COLUMNS = (
    "step",
    "practice",
    "climate_zone",
    "area_ha",
    "abatement_Mt_CO2e_yr",
    "cost_per_tco2e",
    "cumulative_Mt_CO2e_yr",
    "cost_million_per_yr",
)


class Curve(TypedDict):
    """The abatement curve: :data:`CURVE_COLUMNS`, one row per step (see :func:`abatement_curve`)."""

    step: IntArray
    practice: NDArray[np.object_]
    climate_zone: NDArray[np.object_]
    area_ha: FloatArray
    abatement_Mt_CO2e_yr: FloatArray
    cost_per_tco2e: FloatArray
    cumulative_Mt_CO2e_yr: FloatArray
    cost_million_per_yr: FloatArray


def block_sums(
    code: FloatingArray, zone: FloatingArray, net: FloatingArray, cost_t: FloatingArray, area: FloatingArray
) -> FloatArray:
    """Per-step sums of one block of pixels.

    Parameters
    ----------
    code, zone : numpy.ndarray
        Best-net practice code (0 none, ``UNKNOWN_PRACTICE`` unknown) and IPCC climate zone code, NaN
        unknown; shape (y, x).
    net : numpy.ndarray
        Net GHG balance of that practice [t CO₂e ha-1 yr-1].
    cost_t : numpy.ndarray
        Its cost per t CO₂e [currency t-1 CO₂e].
    area : numpy.ndarray
        Weight of each pixel [ha] (cell area, or coverage × cell area).

    Returns
    -------
    numpy.ndarray
        Shape (1, 1, 3, N_KEYS): area [ha], abatement [t CO₂e yr-1] and cost [currency yr-1] per
        key (practice code × ZONES + zone code), over the pixels with a positive balance and a cost.
    """
    key = np.nan_to_num(code, nan=-1).astype("int64") * ZONES + np.nan_to_num(zone, nan=0).astype("int64")
    c = np.nan_to_num(code, nan=0)
    ok = (c > 0) & (c != UNKNOWN_PRACTICE) & np.isfinite(net) & (net > 0) & np.isfinite(cost_t) & np.isfinite(area)
    k, a, n, c = key[ok], area[ok].astype("f8"), net[ok].astype("f8"), cost_t[ok].astype("f8")
    # numpy's stub types bincount as intp whatever the weights; with float64 weights it is float64
    sums = cast(FloatArray, np.stack([np.bincount(k, w, minlength=N_KEYS)[:N_KEYS] for w in (a, a * n, a * n * c)]))
    return sums[None, None]


def abatement_curve(sums: ArrayLike, practice_names: Mapping[int, str], zone_names: Mapping[int, str]) -> Curve:
    """The curve from the per-step sums of :func:`block_sums`.

    Parameters
    ----------
    sums : numpy.ndarray, shape (3, N_KEYS)
        Area [ha], area-weighted abatement [t CO₂e yr-1], cost [currency yr-1] per key.
    practice_names, zone_names : dict
        Class code → name.

    Returns
    -------
    Curve
        Columns :data:`CURVE_COLUMNS`, one row per step with abatement > 0, sorted by cost per t
        (then by key): ``step``, ``practice``, ``climate_zone``, ``area_ha`` [ha], ``abatement_Mt_CO2e_yr``
        [Mt CO₂e yr-1], ``cost_per_tco2e`` [currency t-1 CO₂e], ``cumulative_Mt_CO2e_yr`` [Mt CO₂e yr-1],
        ``cost_million_per_yr`` [million currency yr-1].

    References
    ----------
    docs/methods/ghg.md §9.2 (cost layer and abatement curve).
    """
    sums = np.asarray(sums, dtype="f8")
    keys = np.flatnonzero(sums[1] > 0)
    cost = sums[2, keys] / sums[1, keys]
    order = np.lexsort((keys, cost))  # by cost, then key (stable)
    keys, cost = keys[order], cost[order]
    abatement = sums[1, keys] / 1e6
    return {
        "step": np.arange(1, len(keys) + 1),
        "practice": np.array([practice_names.get(int(k) // ZONES, str(int(k) // ZONES)) for k in keys], dtype=object),
        "climate_zone": np.array([zone_names.get(int(k) % ZONES, "unknown") for k in keys], dtype=object),
        "area_ha": sums[0, keys],
        "abatement_Mt_CO2e_yr": abatement,
        "cost_per_tco2e": cost,
        "cumulative_Mt_CO2e_yr": np.cumsum(abatement),
        "cost_million_per_yr": sums[2, keys] / 1e6,
    }


def curve_at_price(curve: Curve, price: float) -> float:
    """Cumulative abatement of the steps whose cost per t is at most ``price``.

    Parameters
    ----------
    curve : Curve
        From :func:`abatement_curve`.
    price : float
        Carbon price [currency t-1 CO₂e].

    Returns
    -------
    float
        [Mt CO₂e yr-1].
    """
    return float(np.sum(curve["abatement_Mt_CO2e_yr"][curve["cost_per_tco2e"] <= price]))
