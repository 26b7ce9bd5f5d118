"""Terrain: slope from elevation on the region grid (Horn 1981), lazily and chunk-exact.

The slope of a pixel needs its 8 neighbours; on dask arrays the blocks are
extended by a one-pixel halo (``map_overlap``) so that chunked equals unchunked.
"""

from __future__ import annotations

import dask.array as da
import numpy as np
import xarray as xr
from odc.geo.geobox import GeoBox

#: mean Earth radius [m] (IUGG), used for metres per degree on geographic grids
EARTH_RADIUS_M = 6371008.8


def horn_slope_percent(elevation, dx, dy):
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
    return 100.0 * np.hypot(dzdx, dzdy)


def slope_percent(elevation: xr.DataArray, geobox: GeoBox, latitude: xr.DataArray) -> xr.DataArray:
    """Lazy slope [%] of an elevation layer on the region grid.

    Parameters
    ----------
    elevation : xarray.DataArray
        [m], dims (y, x), dask-backed, on ``geobox``.
    geobox : odc.geo.geobox.GeoBox
        The region grid; on a geographic CRS the pixel width in metres is
        ``res · π/180 · R · cos(latitude)`` with R = 6 371 008.8 m, otherwise the
        CRS units are taken as metres.
    latitude : xarray.DataArray
        Cell-centre latitude [degrees], same grid and chunks.

    Returns
    -------
    xarray.DataArray
        Slope [%], float32, same grid and chunks.
    """
    aff = geobox.affine
    rx, ry = abs(aff.a), abs(aff.e)
    geographic = geobox.crs.geographic
    scale = np.pi / 180.0 * EARTH_RADIUS_M if geographic else 1.0

    def block(z, lat):
        dx = rx * scale * (np.cos(np.radians(lat)) if geographic else 1.0)
        return horn_slope_percent(z, dx, ry * scale)

    data = da.map_overlap(block, elevation.data, latitude.data, depth=1, boundary="nearest", dtype="f8")
    return xr.DataArray(data, coords=elevation.coords, dims=elevation.dims, name="slope",
                        attrs={"units": "%"}).astype("float32")
