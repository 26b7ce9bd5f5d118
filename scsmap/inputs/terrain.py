"""Slope of the gridded elevation on the region grid (Horn 1981), lazily and chunk-exact.

The slope of a pixel needs its 8 neighbours; on dask arrays the blocks are
extended by a one-pixel halo (``map_overlap``) so that chunked equals unchunked.
"""

from __future__ import annotations

import dask.array as da
import numpy as np
import xarray as xr
from odc.geo.geobox import GeoBox

from ..rules.terrain import EARTH_RADIUS_M, horn_slope_percent


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
    return xr.DataArray(data, coords=elevation.coords, dims=elevation.dims, name="slope", attrs={"units": "%"}).astype(
        "float32"
    )
