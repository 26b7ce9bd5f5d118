"""Marginal abatement cost curve of a run (methods §9.2; issue 7 part 4).

Each pixel contributes the practice with the largest positive net GHG balance
(``best_practice_net``), with its net abatement ``net_ghg_best`` [t CO₂e ha-1 yr-1] and its
cost per t (``cost_per_tco2_best``). Pixels are grouped into steps, one per practice ×
IPCC climate zone; a step's cost is its total cost over its total abatement
(Σ area·net·cost_t / Σ area·net). Steps sorted by cost and cumulated give the curve; its
total equals the area-weighted sum of ``net_ghg_best`` over the pixels with a cost.

The sums are taken in the same pass as the maps (exact per window, :mod:`scsmap.strips`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import dask.array as da
import numpy as np
import pandas as pd
import xarray as xr

from .errors import Unavailable

if TYPE_CHECKING:
    from .derive import Derived

#: keys are practice code x ZONES + climate zone code
ZONES = 16
N_KEYS = 13 * ZONES
#: products whose run also computes the curve
GHG_PRODUCTS = ("n2o_", "net_ghg_", "cost_per_tco2_", "best_practice_net", "cheapest_practice", "abatement_at_price")


def abatement_layers(derived: "Derived", mask: xr.DataArray, written: dict) -> dict[str, xr.DataArray]:
    """The layers the curve sums, when the run writes a GHG product and has a cost table (else empty)."""
    if derived.cfg.tables.practice_costs is None or not any(k.startswith(GHG_PRODUCTS) for k in written):
        return {}
    try:
        layers = {"mac:code": derived.get("ghg.best_practice_net"), "mac:zone": derived.get("ipcc_climate_zone"),
                  "mac:net": derived.get("ghg.net_ghg_best"), "mac:cost_t": derived.get("ghg.cost_per_tco2_best"),
                  "mac:at_price": derived.get("ghg.abatement_at_price")}
    except Unavailable:
        return {}
    return {k: v.where(mask) for k, v in layers.items()}


def _block_sums(code, zone, net, cost_t, area):
    key = np.nan_to_num(code, nan=-1).astype("int64") * ZONES + np.nan_to_num(zone, nan=0).astype("int64")
    ok = (np.nan_to_num(code, nan=0) > 0) & np.isfinite(net) & (net > 0) & np.isfinite(cost_t) & np.isfinite(area)
    k, a, n, c = key[ok], area[ok].astype("f8"), net[ok].astype("f8"), cost_t[ok].astype("f8")
    sums = np.stack([np.bincount(k, w, minlength=N_KEYS)[:N_KEYS] for w in (a, a * n, a * n * c)])
    return sums[None, None]


def abatement_terms(layers: dict[str, xr.DataArray], area: da.Array) -> dict[str, da.Array]:
    """Lazy sums of the curve, taken in the same pass as the maps.

    Parameters
    ----------
    layers : dict
        :func:`abatement_layers` (2-D, on the region grid).
    area : dask.array.Array
        Cell area [ha], same shape and chunks.

    Returns
    -------
    dict
        ``mac_sums``: array (3, N_KEYS) of area [ha], abatement [t CO₂e yr-1] and cost
        [currency yr-1] per key (practice code × ZONES + zone code), over the pixels whose best-net
        practice has a positive balance and a cost; ``mac_at_price``: Σ area · abatement_at_price
        [t CO₂e yr-1].
    """
    code, zone, net, cost_t = (layers[k].data for k in ("mac:code", "mac:zone", "mac:net", "mac:cost_t"))
    ny, nx = (len(c) for c in code.chunks)
    per_block = da.map_blocks(_block_sums, code, zone, net, cost_t, area, dtype="f8", new_axis=[2, 3],
                              chunks=((1,) * ny, (1,) * nx, (3,), (N_KEYS,)))
    at_price = layers["mac:at_price"].data
    return {"mac_sums": per_block.sum(axis=(0, 1)),
            "mac_at_price": da.where(da.isfinite(at_price), at_price * area, 0).sum()}


def abatement_curve(sums: np.ndarray, practice_names: dict[int, str], zone_names: dict[int, str]) -> pd.DataFrame:
    """The curve from the per-step sums of :func:`abatement_terms`.

    Parameters
    ----------
    sums : numpy.ndarray, shape (3, N_KEYS)
        Area [ha], area-weighted abatement [t CO₂e yr-1], cost [currency yr-1] per key.
    practice_names, zone_names : dict
        Class code → name.

    Returns
    -------
    pandas.DataFrame
        One row per step with abatement > 0, sorted by cost per t (then by key): ``step``,
        ``practice``, ``climate_zone``, ``area_ha``, ``abatement_Mt_CO2e_yr``,
        ``cost_per_tco2e``, ``cumulative_Mt_CO2e_yr``, ``cost_million_per_yr``.
    """
    sums = np.asarray(sums, dtype="f8")
    keys = np.flatnonzero(sums[1] > 0)
    df = pd.DataFrame({"key": keys, "practice": [practice_names.get(int(k) // ZONES, str(int(k) // ZONES))
                                                 for k in keys],
                       "climate_zone": [zone_names.get(int(k) % ZONES, "unknown") for k in keys],
                       "area_ha": sums[0, keys], "abatement_Mt_CO2e_yr": sums[1, keys] / 1e6,
                       "cost_per_tco2e": sums[2, keys] / sums[1, keys], "cost_million_per_yr": sums[2, keys] / 1e6})
    df = df.sort_values(["cost_per_tco2e", "key"], kind="stable").reset_index(drop=True)
    df.insert(0, "step", np.arange(1, len(df) + 1))
    df["cumulative_Mt_CO2e_yr"] = df["abatement_Mt_CO2e_yr"].cumsum()
    return df.drop(columns="key")[["step", "practice", "climate_zone", "area_ha", "abatement_Mt_CO2e_yr",
                                   "cost_per_tco2e", "cumulative_Mt_CO2e_yr", "cost_million_per_yr"]]


def curve_at_price(curve: pd.DataFrame, price: float) -> float:
    """Cumulative abatement of the steps whose cost per t is at most ``price`` [Mt CO₂e yr-1]."""
    return float(curve.loc[curve["cost_per_tco2e"] <= price, "abatement_Mt_CO2e_yr"].sum())


def plot_curve(curve: pd.DataFrame, path: str | Path, price: float, currency: str, title: str) -> Path:
    """PNG of the curve: step widths = abatement, heights = cost per t, the price as a line.

    Parameters
    ----------
    curve : pandas.DataFrame
        :func:`abatement_curve`.
    path : path-like
        PNG to write (800 × 450 px).
    price : float
        Carbon price [currency t-1 CO₂e], drawn as a dashed line.
    currency, title : str
        Axis label and title.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .tables import load_practice_rules

    colors = {r.practice: r.color for r in load_practice_rules()}
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    left = 0.0
    for r in curve.itertuples():
        ax.bar(left, r.cost_per_tco2e, width=r.abatement_Mt_CO2e_yr, align="edge",
               color=colors.get(r.practice, "#999999"), edgecolor="white", linewidth=0.3)
        left += r.abatement_Mt_CO2e_yr
    ax.axhline(price, color="black", linestyle="--", linewidth=1)
    ax.text(left, price, f" price {price:g}", va="bottom", ha="right", fontsize=8)
    ax.axhline(0, color="grey", linewidth=0.5)
    ax.set_xlim(0, max(left, 1e-9))
    ax.set_xlabel("cumulative net abatement (Mt CO2e per year)")
    ax.set_ylabel(f"cost ({currency} per t CO2e)")
    ax.set_title(title, fontsize=10)
    seen = list(dict.fromkeys(curve["practice"]))
    ax.legend(handles=[plt.Rectangle((0, 0), 1, 1, color=colors.get(n, "#999999")) for n in seen], labels=seen,
              fontsize=7, loc="upper left", frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return Path(path)


#: file name of the curve in a run's output directory
CURVE_CSV = "abatement_curve.csv"


def write_curve(terms: dict, derived: "Derived", directory: Path) -> dict:
    """Write ``abatement_curve.csv`` into ``directory``; return the manifest summary fields.

    ``terms`` holds the computed ``mac_sums`` and ``mac_at_price`` of :func:`abatement_terms`.
    The summary gets the curve's file name, currency, price, total and reading at the price
    [Mt CO₂e yr-1] and the pixel-wise total reachable at the price.
    """
    from .ghg_layers import ghg_tables
    from .tables import climate_zone_classes

    gt = ghg_tables(derived)
    names = {r.code: r.practice for r in gt.practices.rules}
    zones = dict(zip(climate_zone_classes()["code"], climate_zone_classes()["zone"]))
    curve = abatement_curve(terms["mac_sums"], names, zones)
    curve.to_csv(Path(directory) / CURVE_CSV, index=False, float_format="%.6g")
    price = gt.settings.price
    return {"abatement_curve": CURVE_CSV, "currency": gt.currency, "carbon_price": price,
            "abatement_curve_total_Mt_CO2e_yr": float(curve["abatement_Mt_CO2e_yr"].sum()),
            "abatement_curve_at_price_Mt_CO2e_yr": curve_at_price(curve, price),
            "abatement_at_price_total_Mt_CO2e_yr": float(terms["mac_at_price"]) / 1e6}
