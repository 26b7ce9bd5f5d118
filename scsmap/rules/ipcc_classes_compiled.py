"""Compiled (numba) IPCC climate zones and soil classes: one pass per pixel, codes as float32 with NaN.

:func:`climate_zone_codes` and :func:`soil_class_codes` return what
:func:`scsmap.rules.ipcc_classes.ipcc_climate_zone` and :func:`scsmap.rules.ipcc_classes.ipcc_soil_class`
return, with 0 ("not classified") as NaN and cast to float32 (the class layers of the model), without the
numpy path's ~20 full-size passes and temporaries per block. The decision trees and their order are those
of the numpy functions (docs/methods/ipcc.md §3.2-3.3), which stay the test oracle: the codes are equal
(tests/rules/test_ipcc_classes_compiled.py). The loops release the GIL and are compiled once per machine,
cached next to this module.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import ArrayLike, NDArray

from .ipcc_classes import SOILS, ZONES

__all__ = ["climate_zone_codes", "soil_class_codes"]

_TM, _TW, _TMO, _TD = ZONES["tropical_montane"], ZONES["tropical_wet"], ZONES["tropical_moist"], ZONES["tropical_dry"]
_WTM, _WTD = ZONES["warm_temperate_moist"], ZONES["warm_temperate_dry"]
_CTM, _CTD = ZONES["cool_temperate_moist"], ZONES["cool_temperate_dry"]
_BM, _BD, _PM, _PD = ZONES["boreal_moist"], ZONES["boreal_dry"], ZONES["polar_moist"], ZONES["polar_dry"]
_SANDY, _ORGANIC = SOILS["sandy"], SOILS["organic"]


def _flat(a: ArrayLike | None, like: np.ndarray) -> np.ndarray:
    """``a`` as one contiguous row of ``like``'s size, float32 or float64 as given, else float64 (the loops
    widen each value to float64 exactly); a one-element NaN stand-in when None.

    Raises
    ------
    ValueError
        ``a`` does not have the shape of ``like`` (nor broadcasts to it).
    """
    if a is None:
        return np.full(1, np.nan)
    arr = np.broadcast_to(np.asarray(a), like.shape)
    return np.ascontiguousarray(arr, dtype=arr.dtype if arr.dtype in (np.float32, np.float64) else "f8").ravel()


def climate_zone_codes(
    mat: ArrayLike,
    map_: ArrayLike,
    pet: ArrayLike,
    elevation: ArrayLike | None = None,
    max_month_temperature: ArrayLike | None = None,
    frost_days: ArrayLike | None = None,
) -> NDArray[np.float32]:
    """IPCC climate zone codes 1-12 as float32, NaN where not classified.

    :func:`scsmap.rules.ipcc_classes.ipcc_climate_zone` (IPCC 2019 Refinement, Vol 4 Ch 3 Annex 3A.5,
    Fig. 3A.5.2; docs/methods/ipcc.md §3.2) in one compiled pass.

    Parameters
    ----------
    mat, map_, pet, elevation, max_month_temperature, frost_days : array_like
        As :func:`scsmap.rules.ipcc_classes.ipcc_climate_zone`, all of one shape; the last three optional.

    Returns
    -------
    numpy.ndarray of float32
        The shape of ``mat``: the zone codes (:data:`scsmap.rules.ipcc_classes.ZONES`), NaN where MAT, MAP or
        PET is NaN or PET is not positive.
    """
    m = np.asarray(mat)
    out = np.empty(m.shape, dtype="f4")
    _zone_loop(
        _flat(m, m),
        _flat(map_, m),
        _flat(pet, m),
        _flat(elevation, m),
        _flat(max_month_temperature, m),
        _flat(frost_days, m),
        elevation is not None,
        max_month_temperature is not None,
        frost_days is not None,
        out.reshape(-1),
    )
    return out


@njit(nogil=True, cache=True, error_model="numpy")
def _zone_loop(  # noqa: PLR0913 - the layers of the decision tree
    mat: np.ndarray,
    map_: np.ndarray,
    pet: np.ndarray,
    elev: np.ndarray,
    tmax: np.ndarray,
    frost: np.ndarray,
    has_elev: bool,
    has_tmax: bool,
    has_frost: bool,
    out: np.ndarray,
) -> None:
    for i in range(mat.size):
        m, p, e = np.float64(mat[i]), np.float64(map_[i]), np.float64(pet[i])
        if not (np.isfinite(m) and np.isfinite(p) and e > 0.0):
            out[i] = np.nan
            continue
        moist = p / e > 1.0
        tropical = m > 18.0 and (not has_frost or frost[i] <= 7.0)
        if tropical:
            if has_elev and elev[i] > 1000.0:
                z = _TM
            elif p > 2000.0:
                z = _TW
            elif p > 1000.0:
                z = _TMO
            else:
                z = _TD
        elif m > 10.0:
            z = _WTM if moist else _WTD
        elif m > 0.0:
            z = _CTM if moist else _CTD
        elif not has_tmax or tmax[i] >= 10.0:
            z = _BM if moist else _BD
        else:
            z = _PM if moist else _PD
        out[i] = z


def soil_class_codes(sand: ArrayLike, clay: ArrayLike, default: str = "hac") -> NDArray[np.float32]:
    """IPCC mineral-soil class codes from texture and the region default, as float32, NaN where not classified.

    :func:`scsmap.rules.ipcc_classes.ipcc_soil_class` without a WRB layer (IPCC 2006/2019 Vol 4 Ch 3 Annex
    3A.5; docs/methods/ipcc.md §3.3) in one compiled pass: sandy where sand > 70 % and clay < 8 %, else
    ``default``.

    Parameters
    ----------
    sand, clay : array_like
        [%] of the fine earth, one shape.
    default : str
        Class name where the soil is not sandy (``hac`` or ``lac``).

    Returns
    -------
    numpy.ndarray of float32
        The shape of ``sand``: class codes (:data:`scsmap.rules.ipcc_classes.SOILS`), NaN where sand or clay
        is NaN.

    Raises
    ------
    KeyError
        Unknown ``default`` class name.
    """
    s = np.asarray(sand)
    out = np.empty(s.shape, dtype="f4")
    _soil_loop(_flat(s, s), _flat(clay, s), float(SOILS[default]), out.reshape(-1))
    return out


@njit(nogil=True, cache=True, error_model="numpy")
def _soil_loop(sand: np.ndarray, clay: np.ndarray, default: float, out: np.ndarray) -> None:
    for i in range(sand.size):
        s, c = np.float64(sand[i]), np.float64(clay[i])
        if not (np.isfinite(s) and np.isfinite(c)):
            out[i] = np.nan
        elif s > 70.0 and c < 8.0 and default != _ORGANIC:
            out[i] = _SANDY
        else:
            out[i] = default
