"""Climate layers on the region grid: annual means and totals, air temperature from LST, PET, aridity.

Functions on xarray objects with a ``month`` dimension (12, January..December), lazily
(dask); the per-pixel formulas are in :mod:`scsmap.rules.climate`.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..rules.climate import aridity_index, pet_hargreaves, pet_thornthwaite


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
    return annual_total(precipitation)


def annual_pet(pet: xr.DataArray) -> xr.DataArray:
    """Annual PET: sum of the 12 monthly PET totals.

    Parameters
    ----------
    pet : xarray.DataArray
        Monthly potential evapotranspiration [mm month-1], dims (month, y, x).

    Returns
    -------
    xarray.DataArray
        [mm yr-1], dims (y, x). NaN if any month is missing.
    """
    return annual_total(pet)


def warmest_month(temperature: xr.DataArray) -> xr.DataArray:
    """Mean temperature of the warmest month: the largest of the 12 monthly means.

    Parameters
    ----------
    temperature : xarray.DataArray
        Monthly mean air temperature [degC], dims (month, y, x).

    Returns
    -------
    xarray.DataArray
        [degC], dims (y, x). NaN if any month is missing.

    References
    ----------
    IPCC (2019) Refinement, Vol 4 Ch 3 Annex 3A.5 (the climate-zone decision tree uses it);
    docs/methods/ipcc.md §3.2.
    """
    out = temperature.max("month", skipna=False)
    out.attrs = {"units": "degC"}
    return out


def annual_total(monthly: xr.DataArray, units: str = "mm yr-1") -> xr.DataArray:
    """Sum of 12 monthly totals (precipitation, PET); NaN if any month is missing.

    Parameters
    ----------
    monthly : xarray.DataArray
        [mm month-1], dims (month, y, x).
    units : str
        Unit attribute of the result.

    Returns
    -------
    xarray.DataArray
        dims (y, x).
    """
    out = monthly.sum("month", skipna=False)
    out.attrs = {"units": units}
    return out


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


def aridity_index_layer(annual_precipitation: xr.DataArray, annual_pet: xr.DataArray) -> xr.DataArray:
    """Aridity index P/PET of two annual layers (:func:`scsmap.rules.climate.aridity_index`).

    Parameters
    ----------
    annual_precipitation, annual_pet : xarray.DataArray
        [mm yr-1], dims (y, x).

    Returns
    -------
    xarray.DataArray
        AI [1], dims (y, x); NaN where PET ≤ 0.

    References
    ----------
    UNEP (1992) World Atlas of Desertification; docs/methods/practices.md §6.1.
    """
    return xr.apply_ufunc(
        aridity_index,
        annual_precipitation,
        annual_pet,
        dask="parallelized",
        output_dtypes=[np.result_type(annual_precipitation.dtype, annual_pet.dtype)],
    )


def pet_thornthwaite_layer(temperature: xr.DataArray, latitude: xr.DataArray) -> xr.DataArray:
    """Monthly potential evapotranspiration after Thornthwaite (1948) of a monthly temperature layer.

    Parameters
    ----------
    temperature : xarray.DataArray
        Monthly mean air temperature [degC], dims (month, y, x).
    latitude : xarray.DataArray
        Cell-centre latitude [degrees], same grid and chunks (:func:`scsmap.grid.latitude`).

    Returns
    -------
    xarray.DataArray
        PET [mm month-1], float32, dims (month, y, x).

    References
    ----------
    Thornthwaite, C.W. (1948) Geogr. Rev. 38:55-94; the formulas are
    :func:`scsmap.rules.climate.pet_thornthwaite`.
    """

    def thornthwaite_last(tt, la):  # month axis last inside apply_ufunc
        return np.moveaxis(pet_thornthwaite(np.moveaxis(tt, -1, 0), la), 0, -1).astype("float32")

    pet = xr.apply_ufunc(
        thornthwaite_last,
        temperature.chunk(month=-1),
        latitude,
        input_core_dims=[["month"], []],
        output_core_dims=[["month"]],
        dask="parallelized",
        output_dtypes=["float32"],
    )
    return pet.transpose("month", "y", "x")


def pet_thornthwaite_series(temperature: xr.DataArray, latitude: xr.DataArray) -> xr.DataArray:
    """Thornthwaite PET year by year of a monthly temperature series (the GSOCseq warm-up climate).

    Each year's heat index comes from that year's 12 months.

    Parameters
    ----------
    temperature : xarray.DataArray
        Monthly mean air temperature [degC], dims (series_month, y, x), whole years January first.
    latitude : xarray.DataArray
        Cell-centre latitude [degrees], same grid and chunks.

    Returns
    -------
    xarray.DataArray
        PET [mm month-1], float32, dims (series_month, y, x).

    References
    ----------
    Thornthwaite, C.W. (1948) Geogr. Rev. 38:55-94 (:func:`scsmap.rules.climate.pet_thornthwaite`).
    """

    def per_year(tt, la):  # series axis last: (..., 12 Y)
        yrs = np.moveaxis(tt, -1, 0).reshape((-1, 12) + tt.shape[:-1])
        out = np.concatenate([pet_thornthwaite(y, la) for y in yrs])
        return np.moveaxis(out, 0, -1)

    pet = xr.apply_ufunc(
        per_year,
        temperature.chunk(series_month=-1),
        latitude,
        input_core_dims=[["series_month"], []],
        output_core_dims=[["series_month"]],
        dask="parallelized",
        output_dtypes=["float64"],
    )
    return pet.transpose("series_month", "y", "x").astype("float32")


def pet_hargreaves_layer(
    temperature: xr.DataArray, temperature_min: xr.DataArray, temperature_max: xr.DataArray, latitude: xr.DataArray
) -> xr.DataArray:
    """Monthly reference evapotranspiration after Hargreaves & Samani (1985).

    Parameters
    ----------
    temperature, temperature_min, temperature_max : xarray.DataArray
        Monthly mean, mean daily minimum and mean daily maximum air temperature [degC],
        dims (month, y, x).
    latitude : xarray.DataArray
        Cell-centre latitude [degrees], same grid and chunks.

    Returns
    -------
    xarray.DataArray
        PET [mm month-1], float32, dims (month, y, x).

    References
    ----------
    Hargreaves, G.H. & Samani, Z.A. (1985) Appl. Eng. Agric. 1:96-99; Allen et al. (1998) FAO-56
    eq. 52; the formulas are :func:`scsmap.rules.climate.pet_hargreaves`.
    """

    def hargreaves_last(a, b, c, la):  # month axis last inside apply_ufunc
        def m(x):
            return np.moveaxis(x, -1, 0)

        return np.moveaxis(pet_hargreaves(m(a), m(b), m(c), la), 0, -1)

    t, tn, tx = (a.chunk(month=-1) for a in (temperature, temperature_min, temperature_max))
    pet = xr.apply_ufunc(
        hargreaves_last,
        t,
        tn,
        tx,
        latitude,
        input_core_dims=[["month"]] * 3 + [[]],
        output_core_dims=[["month"]],
        dask="parallelized",
        output_dtypes=["float64"],
    )
    return pet.transpose("month", "y", "x").astype("float32")
