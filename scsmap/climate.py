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


#: mid-month day of year and days per month (non-leap year)
MID_MONTH_DOY = (15, 46, 74, 105, 135, 166, 196, 227, 258, 288, 319, 349)
DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def daylight_hours(latitude, doy):
    """Astronomical day length.

    ``δ = 0.409 sin(2π J/365 − 1.39)``, ``ω_s = arccos(−tan φ tan δ)``, ``N = 24 ω_s / π``.

    Parameters
    ----------
    latitude : array_like
        [degrees], positive north.
    doy : array_like
        Day of year J (1..365).

    Returns
    -------
    numpy.ndarray
        N [hours]; 0 in polar night, 24 in polar day.

    References
    ----------
    Allen, R.G. et al. (1998) FAO Irrigation and Drainage Paper 56, eqs. 24, 25 and 34.
    """
    import numpy as np

    phi = np.radians(np.asarray(latitude, dtype="f8"))
    delta = 0.409 * np.sin(2 * np.pi * np.asarray(doy, dtype="f8") / 365 - 1.39)
    ws = np.arccos(np.clip(-np.tan(phi) * np.tan(delta), -1.0, 1.0))
    return 24.0 / np.pi * ws


def pet_thornthwaite(temperature, latitude):
    """Monthly potential evapotranspiration after Thornthwaite (1948).

    Heat index ``I = Σ (T⁺/5)^1.514``, ``a = 6.75e-7 I³ − 7.71e-5 I² + 1.792e-2 I + 0.49239``;
    unadjusted ``PET* = 16 (10 T/I)^a`` mm for 0 < T < 26.5 °C,
    ``−415.85 + 32.24 T − 0.43 T²`` for T ≥ 26.5 °C, 0 for T ≤ 0; adjusted for day
    length and month length: ``PET = PET* · (N/12) · (d/30)``.

    Parameters
    ----------
    temperature : array_like
        Monthly mean air temperature [degC], shape (12, ...) January first.
    latitude : array_like
        [degrees], broadcastable to ``temperature.shape[1:]``.

    Returns
    -------
    numpy.ndarray
        PET [mm month-1], shape (12, ...); NaN where any month of T is NaN.

    References
    ----------
    Thornthwaite, C.W. (1948) An approach toward a rational classification of climate.
    Geogr. Rev. 38:55-94 (Appendix I, eq. 10 and the hot-month formula).
    Day length: FAO-56 eqs. 24, 25, 34 (:func:`daylight_hours`); as in the SPEI R
    package ``thornthwaite()`` (Beguería & Vicente-Serrano).
    """
    import numpy as np

    t = np.asarray(temperature, dtype="f8")
    tp = np.maximum(t, 0.0)
    heat = np.sum((tp / 5.0) ** 1.514, axis=0)
    a = 6.75e-7 * heat**3 - 7.71e-5 * heat**2 + 1.792e-2 * heat + 0.49239
    with np.errstate(divide="ignore", invalid="ignore"):
        cool = 16.0 * np.where(heat > 0, (10.0 * tp / np.where(heat > 0, heat, 1.0)) ** a, 0.0)
    hot = -415.85 + 32.24 * t - 0.43 * t * t
    unadj = np.where(t >= 26.5, hot, np.where(t > 0, cool, 0.0))
    lat = np.asarray(latitude, dtype="f8")
    shape = (12,) + (1,) * (t.ndim - 1)
    n_hours = daylight_hours(lat[None, ...], np.reshape(MID_MONTH_DOY, shape))
    days = np.reshape(DAYS_IN_MONTH, shape)
    pet = unadj * (n_hours / 12.0) * (days / 30.0)
    return np.where(np.isnan(t).any(axis=0), np.nan, pet)
