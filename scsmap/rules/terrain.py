"""Terrain rules: slope from elevation by Horn's (1981) finite difference. Pure numpy."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._types import FloatArray

#: mean Earth radius [m] (IUGG), used for metres per degree on geographic grids
EARTH_RADIUS_M = 6371008.8


def horn_slope_percent(elevation: ArrayLike, dx: float | FloatArray, dy: float) -> FloatArray:
    """Slope in percent by Horn's (1981) third-order finite difference.

    ``dz/dx = ((c + 2f + i) − (a + 2d + g)) / (8 dx)``,
    ``dz/dy = ((g + 2h + i) − (a + 2b + c)) / (8 dy)``,
    ``slope = 100 · √((dz/dx)² + (dz/dy)²)`` for the 3 × 3 window ``a b c / d e f / g h i``.

    Parameters
    ----------
    elevation : numpy.ndarray
        [m], shape (ny, nx). Edge pixels use the replicated edge (zero gradient
        across the border); a NaN neighbour gives NaN.
    dx : float or numpy.ndarray
        Pixel width [m], scalar or broadcastable to (ny, nx) (varies with latitude
        on geographic grids).
    dy : float
        Pixel height [m].

    Returns
    -------
    numpy.ndarray
        Slope [%], shape (ny, nx).

    References
    ----------
    Horn, B.K.P. (1981) Hill shading and the reflectance map. Proc. IEEE 69:14-47;
    as in GDAL ``gdaldem slope`` (default algorithm).
    """
    z = np.pad(np.asarray(elevation, dtype="f8"), 1, mode="edge")
    a, b, c = z[:-2, :-2], z[:-2, 1:-1], z[:-2, 2:]
    d, f = z[1:-1, :-2], z[1:-1, 2:]
    g, h, i = z[2:, :-2], z[2:, 1:-1], z[2:, 2:]
    dzdx = ((c + 2 * f + i) - (a + 2 * d + g)) / (8.0 * dx)
    dzdy = ((g + 2 * h + i) - (a + 2 * b + c)) / (8.0 * dy)
    slope: FloatArray = 100.0 * np.hypot(dzdx, dzdy)
    return slope
