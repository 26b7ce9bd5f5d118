"""MAOC saturation layers on the region grid: capacity, ratio and deficit (docs/methods/saturation.md §4).

Adapters of the rules in :mod:`scsmap.rules.saturation` (elementwise, so they apply to the
lazy layers as they are).
"""

from __future__ import annotations

import dask.array as da
import numpy as np
import xarray as xr

from ..config.schema import SaturationConfig
from ..rules.saturation import capacity_georgiou, capacity_hassink, saturation_deficit, saturation_ratio
from ..rules.saturation_compiled import capacity_block, compiled_dtype


def capacity(
    clay: xr.DataArray,
    silt: xr.DataArray,
    bulk_density: xr.DataArray,
    coarse_fragments: xr.DataArray,
    hac_share: xr.DataArray | None,
    depth_cm: float,
    s: SaturationConfig,
) -> xr.DataArray:
    """MAOC capacity [t ha-1] by the configured method (Georgiou et al. 2022 or Hassink 1997).

    Parameters
    ----------
    clay, silt : xarray.DataArray
        [%] of the fine earth, (y, x).
    bulk_density : xarray.DataArray
        [g cm-3].
    coarse_fragments : xarray.DataArray
        [% volume].
    hac_share : xarray.DataArray or None
        1 where 2:1 clays dominate, 0 for 1:1 clays (Georgiou only; None for Hassink).
    depth_cm : float
        Soil depth of the stock [cm].
    s : SaturationConfig
        ``parameters.saturation``: method and coefficients.

    Returns
    -------
    xarray.DataArray
        MAOC capacity [t ha-1], dims (y, x). Layers of one float dtype are computed by the compiled
        :func:`scsmap.rules.saturation_compiled.capacity_block` (the same floats), others by the numpy expression.

    References
    ----------
    Georgiou, K. et al. (2022) Nat. Commun. 13:3797; Hassink, J. (1997) Plant Soil 191:77-87;
    docs/methods/saturation.md §4.1-4.2.
    """
    hassink = s.method == "hassink1997"
    dtype = capacity_dtype(clay, silt, bulk_density, coarse_fragments, hac_share, s)
    if dtype is not None:  # compiled, block by block
        layers = [clay, silt, bulk_density, coarse_fragments] + ([] if hac_share is None or hassink else [hac_share])
        coefficients = dict(
            method=s.method,
            depth_cm=depth_cm,
            slope_hac=s.georgiou_slope_hac,
            slope_lac=s.georgiou_slope_lac,
            silt_share=s.hassink_silt_share,
            intercept=s.hassink_intercept,
            slope=s.hassink_slope,
        )

        def block(c: np.ndarray, si: np.ndarray, bd: np.ndarray, cf: np.ndarray, *hac: np.ndarray) -> np.ndarray:
            return capacity_block(c, si, bd, cf, hac[0] if hac else None, **coefficients)

        arrays = [a.data if isinstance(a.data, da.Array) else da.from_array(a.data) for a in layers]
        # meta: dask need not call the kernel on an empty block (its first call loads numba)
        data = da.map_blocks(block, *arrays, dtype=dtype, meta=np.empty((0,) * clay.ndim, dtype))
        return xr.DataArray(data, coords=clay.coords, dims=clay.dims)
    args = dict(clay=clay, silt=silt, bulk_density=bulk_density, depth_cm=depth_cm, coarse_fragments=coarse_fragments)
    if hassink:
        return capacity_hassink(
            **args, silt_share=s.hassink_silt_share, intercept=s.hassink_intercept, slope=s.hassink_slope
        )
    return capacity_georgiou(
        **args, hac_share=hac_share, slope_hac=s.georgiou_slope_hac, slope_lac=s.georgiou_slope_lac
    )


def capacity_dtype(
    clay: xr.DataArray,
    silt: xr.DataArray,
    bulk_density: xr.DataArray,
    coarse_fragments: xr.DataArray,
    hac_share: xr.DataArray | None,
    s: SaturationConfig,
) -> np.dtype | None:
    """The dtype the compiled kernel computes :func:`capacity` of these layers in, or None where the numpy expression
    computes it (layers of mixed dtypes, dims or shapes, or no HAC share for Georgiou). The run's compile note asks
    it too (:mod:`scsmap.pipeline.kernels`).

    Parameters
    ----------
    clay, silt, bulk_density, coarse_fragments, hac_share, s
        As :func:`capacity`.

    Returns
    -------
    numpy.dtype or None
        :func:`scsmap.rules.saturation_compiled.compiled_dtype` of the layers the method reads.
    """
    layers = [clay, silt, bulk_density, coarse_fragments] + ([] if s.method == "hassink1997" else [hac_share])
    present = [a for a in layers if a is not None]  # (`None in layers` would compare the arrays)
    if len(present) < len(layers) or any(a.dims != clay.dims or a.shape != clay.shape for a in present):
        return None  # no HAC share; or layers xarray would broadcast
    return compiled_dtype(*(a.dtype for a in present))


def ratio(soc: xr.DataArray, capacity_: xr.DataArray, f_maoc: float) -> xr.DataArray:
    """Saturation ratio ``100 · f_MAOC · SOC / capacity`` (docs/methods/saturation.md §4.3 step 3).

    Parameters
    ----------
    soc : xarray.DataArray
        SOC stock [t ha-1].
    capacity_ : xarray.DataArray
        MAOC capacity [t ha-1].
    f_maoc : float
        Share of SOC that is mineral-associated [1].

    Returns
    -------
    xarray.DataArray
        [%], NaN where the capacity is ≤ 0.
    """
    return saturation_ratio(soc, capacity_, f_maoc)


def deficit(soc: xr.DataArray, capacity_: xr.DataArray, f_maoc: float) -> xr.DataArray:
    """Saturation deficit ``max(0, capacity − f_MAOC · SOC)`` (docs/methods/saturation.md §4.3 step 3).

    Parameters
    ----------
    soc : xarray.DataArray
        SOC stock [t ha-1].
    capacity_ : xarray.DataArray
        MAOC capacity [t ha-1].
    f_maoc : float
        Share of SOC that is mineral-associated [1].

    Returns
    -------
    xarray.DataArray
        [t ha-1], ≥ 0.
    """
    return saturation_deficit(soc, capacity_, f_maoc)
