"""IPCC climate zone and soil class layers on the region grid (docs/methods/ipcc.md §3.2-3.3).

Adapters of the IPCC class rules applied chunk by chunk, each returning the class layer and its
provenance: the compiled :func:`scsmap.rules.ipcc_classes_compiled.climate_zone_codes` and
:func:`scsmap.rules.ipcc_classes_compiled.soil_class_codes` (equal to the numpy
:func:`scsmap.rules.ipcc_classes.ipcc_climate_zone` and :func:`scsmap.rules.ipcc_classes.ipcc_soil_class`),
and the numpy soil classes where a WRB layer is mapped.
"""

from __future__ import annotations

import functools

import numpy as np
import xarray as xr

from ..rules.ipcc_classes import ipcc_soil_class
from ..rules.ipcc_classes_compiled import climate_zone_codes, soil_class_codes


def _classes(codes: xr.DataArray) -> xr.DataArray:
    """uint8 class codes with 0 = unknown → float32 with NaN (the writer's class nodata)."""
    return codes.where(codes > 0).astype("float32")


def climate_zone(
    mat: xr.DataArray,
    map_: xr.DataArray,
    pet: xr.DataArray,
    warmest_month: xr.DataArray,
    elevation: xr.DataArray | None,
    frost_days: xr.DataArray | None,
) -> tuple[xr.DataArray, str]:
    """IPCC climate zone codes 1-12 (NaN where unknown) and the provenance of the layer.

    Parameters
    ----------
    mat : xarray.DataArray
        Mean annual temperature [degC], (y, x).
    map_, pet : xarray.DataArray
        Annual precipitation and PET [mm yr-1].
    warmest_month : xarray.DataArray
        Mean temperature of the warmest month [degC].
    elevation : xarray.DataArray or None
        [m]; without it no pixel is tropical montane.
    frost_days : xarray.DataArray or None
        Frost days per year; without it the 2006 rule (MAT > 18 degC) marks the tropics.

    Returns
    -------
    (xarray.DataArray, str)
        float32 zone codes, NaN where unknown; the provenance text.
    """
    extra = [a for a in (elevation, frost_days) if a is not None]
    # a module function, not a closure: dask names the task by hashing its function, and a closure's layers with it
    block = functools.partial(_zone_block, has_elevation=elevation is not None, has_frost_days=frost_days is not None)
    codes = xr.apply_ufunc(block, mat, map_, pet, warmest_month, *extra, dask="parallelized", output_dtypes=["float32"])
    text = (
        "IPCC 2019 decision tree (Vol 4 Ch 3 Annex 3A.5) on MAT, MAP, annual PET, warmest month"
        + (", elevation" if elevation is not None else " (no elevation: no tropical montane)")
        + (", frost days" if frost_days is not None else " (no frost days: 2006 rule MAT > 18 degC for tropical)")
    )
    return codes, text


def _zone_block(
    m: np.ndarray,
    p: np.ndarray,
    e: np.ndarray,
    tx: np.ndarray,
    *rest: np.ndarray,
    has_elevation: bool,
    has_frost_days: bool,
) -> np.ndarray:
    """:func:`climate_zone_codes` of a block; ``rest`` holds the elevation and the frost days, those given."""
    it = iter(rest)
    elevation = next(it) if has_elevation else None
    frost_days = next(it) if has_frost_days else None
    return climate_zone_codes(m, p, e, elevation, tx, frost_days)


def soil_class(
    sand: xr.DataArray,
    clay: xr.DataArray,
    default: str,
    wrb: xr.DataArray | None = None,
    wrb_mapping: tuple[np.ndarray, np.ndarray] | None = None,
    mapping_name: str = "",
) -> tuple[xr.DataArray, str]:
    """IPCC soil class codes 1-7 (NaN where unknown) and the provenance of the layer.

    Parameters
    ----------
    sand, clay : xarray.DataArray
        [%] of the fine earth, (y, x).
    default : str
        Class of non-sandy soils without a WRB class (``hac`` or ``lac``).
    wrb : xarray.DataArray, optional
        WRB reference soil group codes of the region's WRB map.
    wrb_mapping : (numpy.ndarray, numpy.ndarray), optional
        Parallel arrays WRB raster code → soil class code (:func:`scsmap.io.tables.load_wrb_mapping`).
    mapping_name : str
        Name of the WRB → IPCC table, for the provenance.

    Returns
    -------
    (xarray.DataArray, str)
        float32 class codes, NaN where unknown; the provenance text.
    """
    if wrb is not None and wrb_mapping is not None:
        codes, classes = wrb_mapping

        def block(s, c, w):
            lut = dict(zip(codes.tolist(), classes.tolist()))
            mapped = np.vectorize(lambda v: lut.get(v, 0.0), otypes=["f8"])(np.nan_to_num(w, nan=-1))
            return ipcc_soil_class(s, c, mapped, default)

        out = xr.apply_ufunc(block, sand, clay, wrb, dask="parallelized", output_dtypes=["uint8"])
        text = (
            f"WRB layer mapped with {mapping_name}; sandy by texture; default {default.upper()} where the WRB "
            "code is unknown"
        )
        out = _classes(out)
    else:
        out = xr.apply_ufunc(
            lambda s, c: soil_class_codes(s, c, default), sand, clay, dask="parallelized", output_dtypes=["float32"]
        )
        text = (
            f"texture rule (sand > 70 % and clay < 8 % = sandy), else the region default {default.upper()} "
            "(practices.default_soil_class); no WRB layer"
        )
    return out, text
