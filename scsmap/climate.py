"""Climate layers: annual means and totals, air temperature from land-surface temperature.

Pure functions on xarray objects with a ``month`` dimension (12, January..December).
"""

from __future__ import annotations

import xarray as xr


def mean_annual_temperature(temperature: xr.DataArray) -> xr.DataArray:
    """MAT: mean of the 12 monthly mean temperatures.

    Parameters
    ----------
    temperature : xarray.DataArray
        Monthly mean air temperature [degC], dims (month, y, x).

    Returns
    -------
    xarray.DataArray
        [degC], dims (y, x). NaN if any month is missing.
    """
    return temperature.mean("month", skipna=False)


def annual_precipitation(precipitation: xr.DataArray) -> xr.DataArray:
    """MAP: sum of the 12 monthly precipitation totals.

    Parameters
    ----------
    precipitation : xarray.DataArray
        Monthly precipitation [mm month-1], dims (month, y, x).

    Returns
    -------
    xarray.DataArray
        [mm yr-1], dims (y, x). NaN if any month is missing.
    """
    return precipitation.sum("month", skipna=False)


def air_temperature_from_lst(lst_day: xr.DataArray, lst_night: xr.DataArray, bias_c: float = 0.0) -> xr.DataArray:
    """Monthly air-temperature proxy from MODIS day and night land-surface temperature.

    ``T_air ≈ (LST_day + LST_night) / 2 + bias``

    Parameters
    ----------
    lst_day, lst_night : xarray.DataArray
        Monthly mean daytime / night-time LST [degC], dims (month, y, x).
    bias_c : float
        Added correction [degC] (``parameters.lst_bias_c``).

    Returns
    -------
    xarray.DataArray
        [degC], dims (month, y, x).

    Notes
    -----
    LST is the skin temperature of the surface, not 2 m air temperature. For North
    Macedonia the uncorrected proxy is about 1.2 degC warmer than TerraClimate 2017
    mean air temperature (r = 0.94 at 1 km; ``../shared/data/mkd/SOURCE.txt``), so
    ``lst_bias_c = -1.2`` removes the mean bias there. The bias depends on season,
    cover and elevation: use station or reanalysis air temperature where available.
    """
    t = (lst_day + lst_night) / 2.0 + bias_c
    t.attrs = {"units": "degC", "long_name": "monthly mean air temperature (proxy from MODIS LST)"}
    return t
