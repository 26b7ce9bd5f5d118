"""Mineral-associated organic carbon (MAOC) capacity, saturation ratio and deficit (docs/methods/saturation.md).

Pure functions on arrays (numpy, dask or xarray). Units: clay and silt in % of the
fine earth, bulk density in g cm-3, depth in cm, coarse fragments in % volume,
stocks in t ha-1 (t C per ha).
"""

from __future__ import annotations

from typing import cast

import numpy as np
from numpy.typing import ArrayLike

from ._types import E


def _g_per_kg_to_stock(c_g_per_kg: E, bulk_density: E | float, depth_cm: float, coarse_fragments: E | float) -> E:
    """g C kg-1 soil → t C ha-1 over ``depth_cm``: × BD · depth · 0.1 · (1 − CF/100)."""
    return c_g_per_kg * bulk_density * depth_cm * 0.1 * (1.0 - coarse_fragments / 100.0)


def capacity_georgiou(
    clay: E,
    silt: E | float,
    bulk_density: E | float,
    depth_cm: float = 30.0,
    coarse_fragments: E | float = 0.0,
    hac_share: E | float = 1.0,
    slope_hac: float = 0.86,
    slope_lac: float = 0.48,
) -> E:
    """MAOC capacity after Georgiou et al. (2022).

    ``MOC_max [g C kg-1] = slope · (clay + silt)``, slope = 0.86 for soils dominated
    by high-activity 2:1 clays and 0.48 for low-activity 1:1 clays, converted to a
    stock with ``× BD · depth_cm · 0.1 · (1 − CF/100)``.

    Parameters
    ----------
    clay, silt : array_like
        [%] of the fine earth.
    bulk_density : array_like
        [g cm-3].
    depth_cm : float, default 30
    coarse_fragments : array_like, default 0
        [% volume].
    hac_share : array_like, default 1
        1 where 2:1 clays dominate (HAC), 0 for 1:1 (LAC); in between the slope is
        interpolated linearly, as the reference code does with its binary map.
    slope_hac, slope_lac : float
        [g C kg-1 per %].

    Returns
    -------
    array_like
        MAOC capacity [t ha-1].

    References
    ----------
    Georgiou, K. et al. (2022) Global stocks and capacity of mineral-associated soil
    organic carbon. Nat. Commun. 13:3797; code ``global_analysis.py`` lines ~1029-1061
    (``slopemap = activity·0.86 + (1 − activity)·0.48``; stock = g/kg /10 · BD ·
    depth/10 kg m-2). Worked value (docs/methods/saturation.md §4.2): clay+silt 50 %, HAC, BD 1.3,
    30 cm → 43 g kg-1 → 167.7 t ha-1.
    """
    slope = hac_share * slope_hac + (1.0 - hac_share) * slope_lac
    return _g_per_kg_to_stock(slope * (clay + silt), bulk_density, depth_cm, coarse_fragments)


def capacity_hassink(
    clay: E,
    silt: E | float,
    bulk_density: E | float,
    depth_cm: float = 30.0,
    coarse_fragments: E | float = 0.0,
    silt_share: float = 0.5,
    intercept: float = 4.09,
    slope: float = 0.37,
) -> E:
    """Fine-fraction C capacity after Hassink (1997).

    ``C_sat [g C kg-1] = 4.09 + 0.37 · fine``, fine = clay + ``silt_share`` · silt
    (the < 20 µm fraction), converted to a stock like :func:`capacity_georgiou`.

    Parameters
    ----------
    clay, silt : array_like
        [%].
    bulk_density : array_like
        [g cm-3].
    depth_cm : float
    coarse_fragments : array_like
        [% volume].
    silt_share : float, default 0.5
        Share of the silt fraction below 20 µm (0.5 approximates 2-20 µm within
        2-50 µm silt; 1 where silt is already defined as 2-20 µm).
    intercept, slope : float
        [g C kg-1] and [g C kg-1 per %].

    Returns
    -------
    array_like
        Capacity [t ha-1].

    References
    ----------
    Hassink, J. (1997) The capacity of soils to preserve organic C and N by their
    association with clay and silt particles. Plant Soil 191:77-87. Check values
    (docs/methods/saturation.md §4.1): fine 40 % → 18.89 g kg-1; BD 1.3, 30 cm → 73.7 t ha-1.
    """
    fine = clay + silt_share * silt
    return _g_per_kg_to_stock(intercept + slope * fine, bulk_density, depth_cm, coarse_fragments)


def saturation_ratio(soc_stock: E, capacity: E, f_maoc: float = 0.66) -> E:
    """Saturation of the MAOC capacity, in %.

    ``ratio = 100 · f_MAOC · SOC / capacity``; values above 100 % are kept (flagged
    by the value itself, never clipped).

    Parameters
    ----------
    soc_stock, capacity : array_like
        [t ha-1].
    f_maoc : float, default 0.66
        Share of SOC that is mineral-associated (Georgiou et al. 2022: 66 % of topsoil SOC).

    Returns
    -------
    array_like
        [%], the type of ``soc_stock``; NaN where capacity ≤ 0.

    References
    ----------
    Georgiou, K. et al. (2022) Nat. Commun. 13:3797 (f_MAOC = 0.66 of topsoil SOC);
    docs/methods/saturation.md §4.3 steps 2-3.
    """
    cap: E
    if hasattr(capacity, "where") and not isinstance(capacity, np.ndarray):  # xarray / dask-backed
        cap = capacity.where(capacity > 0)
    else:  # numpy arrays and scalars, float: array-like, and np.where keeps them numpy
        cap = cast(E, np.where(np.asarray(capacity) > 0, cast(ArrayLike, capacity), np.nan))
    return 100.0 * f_maoc * soc_stock / cap


def saturation_deficit(soc_stock: E, capacity: E, f_maoc: float = 0.66) -> E:
    """Saturation deficit: the MAOC a soil can still take up.

    ``deficit = max(0, capacity − f_MAOC · SOC)``

    Parameters
    ----------
    soc_stock, capacity : array_like
        [t ha-1].
    f_maoc : float, default 0.66
        Share of SOC that is mineral-associated [1].

    Returns
    -------
    array_like
        [t ha-1], ≥ 0 (NaN stays NaN), the type of ``soc_stock``.

    References
    ----------
    Georgiou, K. et al. (2022) Nat. Commun. 13:3797; docs/methods/saturation.md §4.3 step 3.
    """
    d = capacity - f_maoc * soc_stock
    if hasattr(d, "clip") and not isinstance(d, (np.ndarray, np.generic)):  # xarray
        return cast(E, d.clip(min=0.0))
    return cast(E, np.maximum(cast(ArrayLike, d), 0.0))  # numpy arrays and scalars, float
