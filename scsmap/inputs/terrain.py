"""Slope of the gridded elevation on the region grid (Horn 1981), lazily and chunk-exact.

The slope of a pixel needs its 8 neighbours; on dask arrays the blocks are
extended by a one-pixel halo (``map_overlap``) so that chunked equals unchunked.
"""

from __future__ import annotations

import dask.array as da
import numpy as np
import xarray as xr
from odc.geo.geobox import GeoBox

from ..rules.terrain import EARTH_RADIUS_M
from ..rules.terrain_compiled import slope_interior


def slope_percent(elevation: xr.DataArray, geobox: GeoBox) -> xr.DataArray:
    """Lazy slope [%] of an elevation layer on the region grid.

    Parameters
    ----------
    elevation : xarray.DataArray
        [m], dims (y, x), dask-backed, on ``geobox``.
    geobox : odc.geo.geobox.GeoBox
        The region grid; on a geographic CRS the pixel width in metres is
        ``res · π/180 · R · cos(latitude)`` with R = 6 371 008.8 m and the latitude of the pixel's
        centre, otherwise the CRS units are taken as metres.

    Returns
    -------
    xarray.DataArray
        Slope [%], float32, same grid and chunks.

    Notes
    -----
    Only the elevation gets a halo (``map_overlap``); the latitudes of a chunk's rows are computed in
    the chunk's task from the grid (those of its halo rows too). Each block's slopes are computed by the
    compiled kernel :func:`scsmap.rules.terrain_compiled.slope_interior` for the pixels inside the halo
    only: :func:`scsmap.rules.terrain.horn_slope_percent` cast to float32, bit for bit.
    """
    aff = geobox.affine
    rx, ry = abs(aff.a), abs(aff.e)
    geographic = geobox.crs.geographic
    scale = np.pi / 180.0 * EARTH_RADIUS_M if geographic else 1.0
    starts = np.cumsum((0, *elevation.data.chunks[0]))  # first row of each chunk row (and the end)

    def block(z: np.ndarray, block_info: dict | None = None) -> np.ndarray:
        if not geographic:
            return slope_interior(z, rx * scale, ry * scale)
        assert block_info is not None  # dask passes it
        i = block_info[0]["chunk-location"][0]
        lat = aff.f + aff.e * (np.arange(starts[i] - 1, starts[i + 1] + 1) + 0.5)  # the chunk's rows and its halo
        return slope_interior(z, rx * scale * np.cos(np.radians(lat)), ry * scale)

    # the block's slopes without its halo's (trim=False: the kernel leaves the halo out), float32
    data = da.map_overlap(
        block, elevation.data, depth=1, boundary="nearest", trim=False, chunks=elevation.data.chunks, dtype="f4"
    )
    return xr.DataArray(data, coords=elevation.coords, dims=elevation.dims, name="slope", attrs={"units": "%"})
