"""Soil properties: SOC stock from content, bulk-density pedotransfer functions.

Pure functions on arrays (numpy, dask or xarray); no I/O.
"""

from __future__ import annotations

from typing import cast

import numpy as np
from numpy.typing import ArrayLike

from ._types import E


def soc_stock_from_content(
    organic_carbon: E, bulk_density: E | float, depth_cm: float, coarse_fragments: E | float = 0.0
) -> E:
    """SOC stock of a layer from organic carbon content.

    ``SOC = OC · BD · depth · (1 − CF/100)``

    Parameters
    ----------
    organic_carbon : array_like
        Organic carbon content of the fine earth [%] (g per 100 g).
    bulk_density : array_like
        Bulk density of the fine earth [g cm-3].
    depth_cm : float
        Layer thickness [cm].
    coarse_fragments : array_like, default 0
        Coarse fragments (> 2 mm) [% volume].

    Returns
    -------
    array_like
        SOC stock [t ha-1] (t C per ha).

    Notes
    -----
    1 ha × 1 cm holds 100 m³ of soil; × BD [g cm-3 = t m-3] gives t of soil; × OC/100
    gives t C: ``OC[%]/100 · BD · depth_cm · 100 = OC · BD · depth_cm``.

    References
    ----------
    GSOCseq Technical Manual (FAO 2020) ch. 6; FAO (2017) GSOC Mapping Cookbook,
    eq. for SOC stocks (OCS = ORGC × BLD × HSIZE × (1 − CRFVOL/100), in the same units).
    """
    return organic_carbon * bulk_density * depth_cm * (1.0 - coarse_fragments / 100.0)


def bulk_density_ptf(organic_carbon: E, method: str) -> E:
    """Bulk density of mineral topsoil from organic carbon content.

    Parameters
    ----------
    organic_carbon : array_like
        Organic carbon content [%].
    method : {"manrique_jones_1991", "alexander_1980"}
        ``manrique_jones_1991``: BD = 1.660 − 0.318 · OC^0.5;
        ``alexander_1980``: BD = 1.72 − 0.294 · OC^0.5.

    Returns
    -------
    array_like
        Bulk density [g cm-3], floored at 0.1.

    Raises
    ------
    ValueError
        For an unknown method.

    References
    ----------
    Manrique, L.A., Jones, C.A. (1991) Bulk density of soils in relation to soil
    physical and chemical properties. SSSA J. 55:476–481.
    Alexander, E.B. (1980) Bulk densities of California soils in relation to other
    soil properties. SSSA J. 44:689–692.
    Both coefficient pairs are recalled from the literature [R] (docs/methods/soil.md;
    confidence tags: docs/methods/index.md §0.3).
    """
    coef = {"manrique_jones_1991": (1.660, 0.318), "alexander_1980": (1.72, 0.294)}
    if method not in coef:
        raise ValueError(f"unknown bulk density PTF {method!r}; known: {', '.join(coef)}")
    a, b = coef[method]
    # every Elementwise type is array-like, and numpy's ufuncs hand xarray and dask arguments to their own
    # __array_ufunc__, so the result has the type of organic_carbon
    bd = cast(E, a - b * np.sqrt(np.maximum(cast(ArrayLike, organic_carbon), 0.0)))
    return cast(E, np.maximum(cast(ArrayLike, bd), 0.1))
