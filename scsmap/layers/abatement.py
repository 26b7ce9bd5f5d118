"""The layers and lazy sums of the marginal abatement cost curve, taken in the same pass as the maps.

The curve itself (steps, sorting, reading at a price) is :mod:`scsmap.rules.abatement`;
its CSV and chart are written by :mod:`scsmap.outputs.abatement`.
"""

from __future__ import annotations

import dask.array as da
import numpy as np
import xarray as xr

from ..errors import Unavailable
from ..rules.abatement import block_sums
from .block_sums import BlockSum
from .keys import Select, Stack
from .model import Model

#: the GHG stack outputs the curve sums (with the climate zone)
CURVE_OUTPUTS = {
    "mac:code": "best_practice_net",
    "mac:net": "net_ghg_best",
    "mac:cost_t": "cost_per_tco2_best",
    "mac:at_price": "abatement_at_price",
}


def curve_layers(model: Model, mask: xr.DataArray, writes_ghg: bool) -> dict[str, xr.DataArray]:
    """The layers the curve sums, when the run writes a GHG product and has a cost table (else empty).

    Parameters
    ----------
    model : Model
    mask : xarray.DataArray
        bool (y, x), True inside the region.
    writes_ghg : bool
        The run writes at least one product of the GHG stack.

    Returns
    -------
    dict of str to xarray.DataArray
        ``mac:code``, ``mac:net`` [t CO₂e ha-1 yr-1], ``mac:cost_t`` [currency t-1 CO₂e],
        ``mac:at_price`` [t CO₂e ha-1 yr-1] and ``mac:zone`` (IPCC climate zone), NaN outside the
        region; empty without a cost table, without a GHG product or when a layer is unavailable.
    """
    if model.cfg.tables.practice_costs is None or not writes_ghg:
        return {}
    try:
        layers = {k: model.layer(Select(Stack.GHG, out)) for k, out in CURVE_OUTPUTS.items()}
        layers["mac:zone"] = model.get("ipcc_climate_zone")
    except Unavailable:
        return {}
    return {k: v.where(mask) for k, v in layers.items()}


def curve_terms(layers: dict[str, xr.DataArray], weight: da.Array) -> dict[str, BlockSum]:
    """Lazy sums of the curve, group ``"curve"`` (:mod:`scsmap.layers.block_sums`).

    Parameters
    ----------
    layers : dict
        :func:`curve_layers` (2-D, on the region grid).
    weight : dask.array.Array
        Weight of each cell [ha] (coverage × geodesic cell area), same shape and chunks.

    Returns
    -------
    dict of str to BlockSum
        ``mac_sums``: array (3, N_KEYS) of area [ha], abatement [t CO₂e yr-1] and cost
        [currency yr-1] per key (practice code × ZONES + zone code), over the pixels whose best-net
        practice has a positive balance and a cost (:func:`scsmap.rules.abatement.block_sums`);
        ``mac_at_price``: Σ weight · abatement_at_price [t CO₂e yr-1].
    """
    code, zone, net, cost_t = (layers[k].data for k in ("mac:code", "mac:zone", "mac:net", "mac:cost_t"))
    at_price = layers["mac:at_price"].data
    return {
        "mac_sums": BlockSum(_step_sums, (code, zone, net, cost_t, weight), "curve"),
        "mac_at_price": BlockSum(_weighted_total, (at_price, weight), "curve"),
    }


def _step_sums(*blocks: np.ndarray) -> np.ndarray:
    """The (3, N_KEYS) sums of one block (:func:`scsmap.rules.abatement.block_sums`)."""
    return block_sums(*blocks)[0, 0]


def _weighted_total(values: np.ndarray, weight: np.ndarray) -> float:
    """Σ weight · value over a block's finite values."""
    return float(np.where(np.isfinite(values), values * weight, 0).sum())
