"""IPCC climate zones and IPCC soil classes, per pixel (docs/methods/ipcc.md §3.2, §3.3).

Pure numpy functions. The class codes are defined here (:data:`ZONES`, :data:`SOILS`);
the packaged legends ``scsmap/data/ipcc_climate_zones.csv`` (1 tropical montane … 12
polar dry) and ``scsmap/data/ipcc_soil_classes.csv`` (1 HAC … 7 organic) give their
names and colours (a test keeps the two in step). 0 means "not classified" (an input
is missing).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._types import UInt8Array

#: IPCC climate zone codes by name (legend: scsmap/data/ipcc_climate_zones.csv)
ZONES: dict[str, int] = {
    "tropical_montane": 1,
    "tropical_wet": 2,
    "tropical_moist": 3,
    "tropical_dry": 4,
    "warm_temperate_moist": 5,
    "warm_temperate_dry": 6,
    "cool_temperate_moist": 7,
    "cool_temperate_dry": 8,
    "boreal_moist": 9,
    "boreal_dry": 10,
    "polar_moist": 11,
    "polar_dry": 12,
}
#: number of IPCC climate zones (codes 1..N_ZONES)
N_ZONES = len(ZONES)
#: IPCC soil class codes by name (legend: scsmap/data/ipcc_soil_classes.csv)
SOILS: dict[str, int] = {"hac": 1, "lac": 2, "sandy": 3, "spodic": 4, "volcanic": 5, "wetland": 6, "organic": 7}
#: number of IPCC soil classes (codes 1..N_SOILS)
N_SOILS = len(SOILS)


def ipcc_climate_zone(
    mat: ArrayLike,
    map_: ArrayLike,
    pet: ArrayLike,
    elevation: ArrayLike | None = None,
    max_month_temperature: ArrayLike | None = None,
    frost_days: ArrayLike | None = None,
) -> UInt8Array:
    """IPCC climate zone by the 2019 decision tree (2006 tree without frost days).

    1. Tropical if MAT > 18 °C and frost days ≤ 7 (without a frost-day layer:
       MAT > 18 °C, the 2006 rule): elevation > 1000 m → tropical montane; else
       MAP > 2000 mm → wet, MAP > 1000 mm → moist, else dry.
    2. Else MAT > 10 °C → warm temperate; 3. else MAT > 0 °C → cool temperate;
    4. else boreal if any month has a mean ≥ 10 °C, otherwise polar.
    Temperate, boreal and polar zones are moist where MAP/PET > 1, else dry.

    Parameters
    ----------
    mat : array_like
        Mean annual temperature [degC].
    map_ : array_like
        Mean annual precipitation [mm yr-1].
    pet : array_like
        Annual potential evapotranspiration [mm yr-1].
    elevation : array_like, optional
        [m]; without it no pixel is tropical montane.
    max_month_temperature : array_like, optional
        Warmest monthly mean [degC]; needed to tell boreal from polar (without
        it, MAT ≤ 0 °C pixels are boreal).
    frost_days : array_like, optional
        Frost days per year.

    Returns
    -------
    numpy.ndarray of uint8
        Zone codes 1-12 (:data:`ZONES`); 0 where MAT, MAP or PET is NaN.

    References
    ----------
    IPCC (2019) Refinement, Vol 4 Ch 3 Annex 3A.5, Fig. 3A.5.2 with its corrigendum,
    as coded in two independent public classifiers (docs/methods/ipcc.md §3.2).
    """
    mat = np.asarray(mat, dtype="f8")
    map_ = np.asarray(map_, dtype="f8")
    pet = np.asarray(pet, dtype="f8")
    with np.errstate(invalid="ignore", divide="ignore"):
        moist = map_ / pet > 1.0
    elev = np.zeros_like(mat) if elevation is None else np.asarray(elevation, dtype="f8")
    tropical = mat > 18.0
    if frost_days is not None:
        tropical &= np.asarray(frost_days, dtype="f8") <= 7.0
    warm_month = (
        np.ones(mat.shape, bool)
        if max_month_temperature is None
        else np.asarray(max_month_temperature, dtype="f8") >= 10.0
    )
    z = np.select(
        [
            tropical & (elev > 1000),
            tropical & (map_ > 2000),
            tropical & (map_ > 1000),
            tropical,
            mat > 10.0,
            mat > 0.0,
            warm_month,
        ],
        [
            ZONES["tropical_montane"],
            ZONES["tropical_wet"],
            ZONES["tropical_moist"],
            ZONES["tropical_dry"],
            np.where(moist, ZONES["warm_temperate_moist"], ZONES["warm_temperate_dry"]),
            np.where(moist, ZONES["cool_temperate_moist"], ZONES["cool_temperate_dry"]),
            np.where(moist, ZONES["boreal_moist"], ZONES["boreal_dry"]),
        ],
        default=np.where(moist, ZONES["polar_moist"], ZONES["polar_dry"]),
    )
    missing = ~np.isfinite(mat) | ~np.isfinite(map_) | ~(pet > 0)
    return np.where(missing, 0, z).astype("uint8")


def ipcc_soil_class(
    sand: ArrayLike, clay: ArrayLike, wrb_class: ArrayLike | None = None, default: str = "hac"
) -> UInt8Array:
    """IPCC mineral-soil class from texture, a WRB-derived class or a default.

    Order of the Annex 3A.5 scheme: sandy (sand > 70 % and clay < 8 %, whatever
    the mineral WRB group; Histosols stay organic) → the class mapped from the WRB reference soil group (wetland,
    volcanic, spodic, HAC, LAC, organic) → the region ``default`` (HAC or LAC)
    where no WRB class is known.

    Parameters
    ----------
    sand, clay : array_like
        [%] of the fine earth.
    wrb_class : array_like, optional
        Soil class codes (:data:`SOILS`) already mapped from WRB groups; 0 or NaN
        where unknown.
    default : str
        Class name used where no WRB class is given (``hac`` or ``lac``).

    Returns
    -------
    numpy.ndarray of uint8
        Class codes 1-7 (:data:`SOILS`); 0 where sand or clay is NaN and no WRB
        class is known.

    Raises
    ------
    KeyError
        Unknown ``default`` class name.

    References
    ----------
    IPCC (2006/2019) Vol 4 Ch 3 Annex 3A.5 soil classification scheme, as coded
    publicly (``classify_soil_WRB``); docs/methods/ipcc.md §3.3.
    """
    sand = np.asarray(sand, dtype="f8")
    clay = np.asarray(clay, dtype="f8")
    base = np.full(sand.shape, SOILS[default], dtype="f8")
    if wrb_class is not None:
        w = np.asarray(wrb_class, dtype="f8")
        base = np.where(np.isfinite(w) & (w > 0), w, base)
    sandy = (sand > 70.0) & (clay < 8.0) & (base != SOILS["organic"])  # Histosols are not mineral soils
    out = np.where(sandy, SOILS["sandy"], base)
    texture_known = np.isfinite(sand) & np.isfinite(clay)
    wrb_known = (
        np.zeros(sand.shape, bool)
        if wrb_class is None
        else np.isfinite(np.asarray(wrb_class, dtype="f8")) & (np.asarray(wrb_class, dtype="f8") > 0)
    )
    return np.where(texture_known | wrb_known, out, 0).astype("uint8")
