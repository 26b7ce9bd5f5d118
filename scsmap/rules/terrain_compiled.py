"""Compiled (numba) Horn slope of a block with a one-pixel halo: one pass per pixel, float32 out.

:func:`slope_interior` gives the slopes :func:`scsmap.rules.terrain.horn_slope_percent` gives for the pixels
inside the halo, cast to float32 (the slope layer's dtype), without the numpy path's padded float64 copy, its
~12 full-size temporaries, the halo's slopes that are dropped and the cast in a pass of its own. The arithmetic
is the numpy function's, operation for operation in float64 (no fused multiply-add), except that ``hypot`` (a
tenth of a microsecond) is taken as ``sqrt(x² + y²)`` where the float32 result cannot tell them apart: the
slopes are equal bit for bit (tests/rules/test_terrain_compiled.py), and the numpy function stays the test
oracle. The loop releases
the GIL and is compiled once per machine and version of the sources (:mod:`scsmap.kernel_cache`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._types import Float32Array

__all__ = ["slope_interior"]


#: a relative perturbation of 2**-48, 16 float64 units in the last place or more: wider than the error of
#: ``100 * sqrt(x * x + y * y)`` against ``100 * hypot(x, y)`` (a few units)
_NUDGE = 2.0**-48


@njit(inline="always")
def _percent(dzdx: float, dzdy: float) -> np.float32:
    """``float32(100 * hypot(dzdx, dzdy))``, taken as ``100 * sqrt(dzdx² + dzdy²)`` wherever that rounds to the
    same float32 whatever its last bits (all but about one value in ten million); ``hypot`` elsewhere, and for
    very small, very large and non-finite values."""
    t = 100.0 * math.sqrt(dzdx * dzdx + dzdy * dzdy)
    if t > 1e-130 and t < 1e300 and np.float32(t * (1.0 - _NUDGE)) == np.float32(t * (1.0 + _NUDGE)):
        return np.float32(t)
    return np.float32(100.0 * math.hypot(dzdx, dzdy))


@njit(nogil=True)  # not cached: the tests' alone (the compile note counts the cached kernels a run uses)
def _percent_of(dzdx: np.ndarray, dzdy: np.ndarray, out: np.ndarray) -> None:
    """:func:`_percent` of each pair (flat arrays), for the tests."""
    for k in range(out.size):
        out[k] = _percent(dzdx[k], dzdy[k])


@njit(nogil=True, cache=True)
def _slope_loop(z: np.ndarray, dx: np.ndarray, dy: float, out: np.ndarray) -> None:
    """Slopes [%] of the pixels of ``z`` (2-D, with a one-pixel halo) inside the halo into ``out``; ``dx``: the
    pixel width of each row of ``z``."""
    ddy = 8.0 * dy
    for r in range(out.shape[0]):
        ddx = 8.0 * dx[r + 1]
        for col in range(out.shape[1]):
            a, b, c = float(z[r, col]), float(z[r, col + 1]), float(z[r, col + 2])
            d, f = float(z[r + 1, col]), float(z[r + 1, col + 2])
            g, h, i = float(z[r + 2, col]), float(z[r + 2, col + 1]), float(z[r + 2, col + 2])
            dzdx = ((c + 2 * f + i) - (a + 2 * d + g)) / ddx
            dzdy = ((g + 2 * h + i) - (a + 2 * b + c)) / ddy
            out[r, col] = _percent(dzdx, dzdy)


def slope_interior(elevation: np.ndarray, dx: float | np.ndarray, dy: float) -> Float32Array:
    """Slope in percent by Horn's (1981) third-order finite difference, of the pixels inside a one-pixel halo.

    ``horn_slope_percent(elevation, dx, dy)[1:-1, 1:-1].astype("float32")``
    (:func:`scsmap.rules.terrain.horn_slope_percent`; Horn, B.K.P. (1981) Hill shading and the reflectance
    map. Proc. IEEE 69:14-47, as in GDAL ``gdaldem slope``) in one compiled pass.

    Parameters
    ----------
    elevation : numpy.ndarray
        [m], float32 or float64, shape (ny + 2, nx + 2): the block and its halo; a NaN neighbour gives NaN.
    dx : float or numpy.ndarray
        Pixel width [m]: a scalar, or one value per row of ``elevation``, shape (ny + 2,) or (ny + 2, 1)
        (it varies with latitude on geographic grids).
    dy : float
        Pixel height [m].

    Returns
    -------
    numpy.ndarray
        Slope [%], float32, shape (ny, nx).

    Raises
    ------
    ValueError
        ``elevation`` not 2-D or smaller than 3 x 3, or ``dx`` neither a scalar nor one value per row.
    """
    z = np.asarray(elevation)
    if z.ndim != 2 or min(z.shape) < 3:
        raise ValueError(f"elevation of shape {z.shape}: a 2-D block with a one-pixel halo (at least 3 x 3) is needed")
    if z.dtype not in (np.float32, np.float64):
        z = z.astype("f8")
    widths = np.asarray(dx, dtype="f8")
    if widths.ndim == 0:
        widths = np.full(z.shape[0], float(widths))
    elif widths.shape in ((z.shape[0],), (z.shape[0], 1)):
        widths = np.ascontiguousarray(widths.reshape(-1))
    else:
        raise ValueError(f"dx of shape {widths.shape}: a scalar or one value per row of elevation {z.shape}")
    out = np.empty((z.shape[0] - 2, z.shape[1] - 2), dtype="f4")
    _slope_loop(np.ascontiguousarray(z), widths, float(dy), out)
    return out
