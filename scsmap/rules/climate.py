"""Climate rules: day length, potential evapotranspiration (Thornthwaite, Hargreaves), aridity.

Pure numpy functions on monthly arrays (month axis first, January..December).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._types import FloatArray, FloatingArray

#: mid-month day of year and days per month (non-leap year)
MID_MONTH_DOY = (15, 46, 74, 105, 135, 166, 196, 227, 258, 288, 319, 349)
DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def daylight_hours(latitude: ArrayLike, doy: ArrayLike) -> FloatArray:
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
    phi: FloatArray = np.radians(np.asarray(latitude, dtype="f8"))
    delta: FloatArray = 0.409 * np.sin(2 * np.pi * np.asarray(doy, dtype="f8") / 365 - 1.39)
    ws: FloatArray = np.arccos(np.clip(-np.tan(phi) * np.tan(delta), -1.0, 1.0))
    return 24.0 / np.pi * ws


def pet_thornthwaite(temperature: ArrayLike, latitude: ArrayLike) -> FloatArray:
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
    t: FloatArray = np.asarray(temperature, dtype="f8")
    lat: FloatArray = np.asarray(latitude, dtype="f8")
    # month by month: a few 2-D temporaries instead of a dozen (12, ...) ones (memory per chunk)
    heat = np.zeros(t.shape[1:])
    for m in range(12):
        heat += (np.maximum(t[m], 0.0) / 5.0) ** 1.514
    a = 6.75e-7 * heat**3 - 7.71e-5 * heat**2 + 1.792e-2 * heat + 0.49239
    has_heat = heat > 0
    heat_safe = np.where(has_heat, heat, 1.0)
    pet = np.empty(np.broadcast_shapes(t.shape, (12,) + lat.shape))
    for m in range(12):
        tm = t[m]
        with np.errstate(divide="ignore", invalid="ignore"):
            cool = 16.0 * np.where(has_heat, (10.0 * np.maximum(tm, 0.0) / heat_safe) ** a, 0.0)
        hot = -415.85 + 32.24 * tm - 0.43 * tm * tm
        unadj = np.where(tm >= 26.5, hot, np.where(tm > 0, cool, 0.0))
        pet[m] = unadj * (daylight_hours(lat, MID_MONTH_DOY[m]) / 12.0) * (DAYS_IN_MONTH[m] / 30.0)
    pet[:, np.isnan(t).any(axis=0)] = np.nan
    return pet


def extraterrestrial_radiation(latitude: ArrayLike, doy: ArrayLike) -> FloatArray:
    """Daily extraterrestrial radiation Ra.

    ``Ra = 24·60/π · Gsc · dr · (ωs sin φ sin δ + cos φ cos δ sin ωs)``, Gsc = 0.0820 MJ m-2 min-1,
    ``dr = 1 + 0.033 cos(2π J/365)``.

    Parameters
    ----------
    latitude : array_like
        [degrees], positive north.
    doy : array_like
        Day of year J.

    Returns
    -------
    numpy.ndarray
        Ra [MJ m-2 day-1].

    References
    ----------
    Allen, R.G. et al. (1998) FAO Irrigation and Drainage Paper 56, eqs. 21, 23, 24, 25.
    """
    phi: FloatArray = np.radians(np.asarray(latitude, dtype="f8"))
    j: FloatArray = np.asarray(doy, dtype="f8")
    dr = 1.0 + 0.033 * np.cos(2 * np.pi * j / 365)
    delta: FloatArray = 0.409 * np.sin(2 * np.pi * j / 365 - 1.39)
    ws: FloatArray = np.arccos(np.clip(-np.tan(phi) * np.tan(delta), -1.0, 1.0))
    ra: FloatArray = (
        24 * 60 / np.pi * 0.0820 * dr * (ws * np.sin(phi) * np.sin(delta) + np.cos(phi) * np.cos(delta) * np.sin(ws))
    )
    return ra


def pet_hargreaves(
    temperature: ArrayLike, temperature_min: ArrayLike, temperature_max: ArrayLike, latitude: ArrayLike
) -> FloatArray:
    """Monthly reference evapotranspiration after Hargreaves & Samani (1985).

    ``ET0 = 0.0023 · 0.408 Ra · (T + 17.8) · √(Tmax − Tmin)`` mm day-1 at the
    mid-month day, times the days of the month (0.408 converts MJ m-2 to mm of
    evaporated water, λ = 2.45 MJ kg-1).

    Parameters
    ----------
    temperature, temperature_min, temperature_max : array_like
        Monthly mean, mean daily minimum and mean daily maximum air temperature
        [degC], shape (12, ...), January first.
    latitude : array_like
        [degrees], broadcastable to ``temperature.shape[1:]``.

    Returns
    -------
    numpy.ndarray
        PET [mm month-1], shape (12, ...), ≥ 0; NaN where an input is NaN.

    References
    ----------
    Hargreaves, G.H. & Samani, Z.A. (1985) Reference crop evapotranspiration from
    temperature. Appl. Eng. Agric. 1:96-99; Allen et al. (1998) FAO-56 eq. 52.
    Checked against ``pyet.hargreaves`` in the tests.
    """
    t: FloatArray = np.asarray(temperature, dtype="f8")
    rng: FloatArray = np.maximum(np.asarray(temperature_max, dtype="f8") - np.asarray(temperature_min, dtype="f8"), 0.0)
    shape = (12,) + (1,) * (t.ndim - 1)
    lat: FloatArray = np.asarray(latitude, dtype="f8")
    ra = extraterrestrial_radiation(lat[None, ...], np.reshape(MID_MONTH_DOY, shape))
    daily: FloatArray = 0.0023 * 0.408 * ra * (t + 17.8) * np.sqrt(rng)
    monthly: FloatArray = np.maximum(daily, 0.0) * np.reshape(DAYS_IN_MONTH, shape)
    return monthly


def aridity_index(annual_precipitation: ArrayLike, annual_pet: ArrayLike) -> FloatingArray:
    """Aridity index AI = P / PET (UNEP 1992).

    Parameters
    ----------
    annual_precipitation, annual_pet : array_like
        [mm yr-1].

    Returns
    -------
    numpy.ndarray
        AI [1], broadcast shape, the inputs' float dtype; NaN where PET ≤ 0. UNEP classes:
        hyper-arid < 0.05, arid 0.05-0.20, semi-arid 0.20-0.50, dry sub-humid 0.50-0.65, humid ≥ 0.65.

    References
    ----------
    UNEP (1992) World Atlas of Desertification (aridity classes); docs/methods/practices.md §6.1.
    """
    p, pet = np.asarray(annual_precipitation), np.asarray(annual_pet)
    with np.errstate(invalid="ignore"):
        return p / np.where(pet > 0, pet, np.nan)
