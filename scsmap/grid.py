"""The region grid (one odc-geo GeoBox per run), boundary masks and cell areas.

Every layer of a run is warped into one :class:`odc.geo.geobox.GeoBox`. By default it
is EPSG:4326 at 1/120 degree with pixel edges on the global 30-arc-second grid, as in
GSOCseq (GSOCseq Technical Manual ch. 13; docs/methods/index.md §0.1); ``grid.like`` uses an
input's native grid instead.
"""

from __future__ import annotations

import os
from collections.abc import Hashable
from typing import TYPE_CHECKING, Literal, TypeAlias, TypedDict

import dask.array as da
import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray
from odc.geo.geobox import GeoBox
from odc.geo.geom import Geometry, box
from odc.geo.xr import rasterize, xr_coords
from pyproj import CRS, Proj

if TYPE_CHECKING:
    from pyproj import Transformer

from .config import GridConfig, RegionConfig
from .errors import ConfigError, InputError

#: what :func:`dask.array.map_blocks` passes as ``block_info[None]``: the keys used here
_BlockInfo = TypedDict("_BlockInfo", {"array-location": list[tuple[int, int]]})
#: the ``block_info`` argument of a block function (``None`` is the output block)
BlockInfos: TypeAlias = dict[int | None, _BlockInfo]


def region_extent(region: RegionConfig, boundary: Geometry | None) -> Geometry:
    """The region's footprint: boundary ∩ bbox, the boundary alone, or the bbox alone.

    Parameters
    ----------
    region : RegionConfig
        ``region.bbox`` (lon/lat, EPSG:4326), if any.
    boundary : odc.geo.geom.Geometry or None
        The region boundary (:func:`scsmap.io.vector.load_boundary`); the config guarantees a
        boundary or a bbox.

    Returns
    -------
    odc.geo.geom.Geometry
        In EPSG:4326 when a bbox is involved, else in the boundary's CRS.

    Raises
    ------
    ConfigError
        If the bbox does not overlap the boundary.
    """
    bbox = box(*region.bbox, crs="EPSG:4326") if region.bbox is not None else None
    if boundary is None:
        assert bbox is not None
        return bbox
    if bbox is None:
        return boundary
    assert region.bbox is not None  # bbox is made from it
    clipped: Geometry = boundary.to_crs("EPSG:4326") & bbox
    if clipped.is_empty:
        b = boundary.to_crs("EPSG:4326").boundingbox
        src = region.boundary.path or region.boundary.countries if region.boundary else None
        raise ConfigError(
            f"region.bbox {tuple(region.bbox)} does not overlap the region boundary {src} "
            f"(lon {b.left:.2f}..{b.right:.2f}, lat {b.bottom:.2f}..{b.top:.2f}); "
            "fix region.bbox or remove it"
        )
    return clipped


def region_geobox(grid: GridConfig, footprint: Geometry, like: GeoBox | None = None) -> GeoBox:
    """Build the region grid.

    Parameters
    ----------
    grid : GridConfig
        CRS, resolution and snapping.
    footprint : Geometry
        Region polygon (any CRS).
    like : GeoBox, optional
        Native grid of the ``grid.like`` layer; the result is that grid cropped to
        the footprint (pixel for pixel, no resampling of that layer).

    Returns
    -------
    GeoBox

    Raises
    ------
    InputError
        If the footprint does not overlap the ``like`` grid.
    """
    if like is not None:
        assert like.crs is not None  # a raster's grid without CRS is refused when it is opened
        fp = footprint.to_crs(like.crs)
        if not fp.intersects(like.extent):
            raise InputError(
                "the region does not overlap the grid of the `grid.like` layer",
                "check region.boundary / region.bbox and the layer's extent",
            )
        x0, y0, x1, y1 = fp.boundingbox
        inv = ~like.affine
        cols, rows = zip(*(inv @ (x, y) for x, y in ((x0, y0), (x0, y1), (x1, y0), (x1, y1))))
        ny, nx = like.shape.yx
        c0, c1 = max(0, int(np.floor(min(cols)))), min(nx, int(np.ceil(max(cols))))
        r0, r1 = max(0, int(np.floor(min(rows)))), min(ny, int(np.ceil(max(rows))))
        return like[r0:r1, c0:c1]
    try:
        crs = CRS.from_user_input(grid.crs)
    except Exception as exc:
        raise ConfigError(f"grid.crs: cannot parse {grid.crs!r}: {exc}") from None
    fp = footprint.to_crs(crs)
    anchor: Literal["edge", "floating"] = "edge" if grid.snap == "global" else "floating"
    return GeoBox.from_geopolygon(fp, resolution=grid.resolution, crs=crs, anchor=anchor)


def yx_coords(geobox: GeoBox) -> dict[Hashable, xr.DataArray]:
    """xarray coordinates of a grid with dimensions named ``y`` and ``x`` (and ``spatial_ref``).

    Parameters
    ----------
    geobox : odc.geo.geobox.GeoBox

    Returns
    -------
    dict
        Coordinate name → ``xarray.DataArray`` (pixel-centre ``y``, ``x`` in CRS units).
    """
    return xr_coords(geobox, always_yx=True)


def chunks_for(geobox: GeoBox, chunk_size: int) -> tuple[int, int]:
    """Chunk shape (y, x) for a grid: ``chunk_size`` squared, shrunk to the grid.

    Parameters
    ----------
    geobox : odc.geo.geobox.GeoBox
    chunk_size : int
        [pixels] (``grid.chunk_size``).

    Returns
    -------
    (int, int)
    """
    ny, nx = geobox.shape.yx
    return (min(chunk_size, ny), min(chunk_size, nx))


def _block_geobox(geobox: GeoBox, block_info: BlockInfos | None) -> GeoBox:
    assert block_info is not None  # dask passes it
    (y0, y1), (x0, x1) = block_info[None]["array-location"][-2:]
    return geobox[y0:y1, x0:x1]


def boundary_mask(
    geobox: GeoBox, boundary: Geometry | None, chunks: tuple[int, int], all_touched: bool = False
) -> xr.DataArray:
    """Lazy boolean mask, True inside the boundary, on ``geobox``.

    A cell is inside when its centre is (``all_touched=False``, GDAL's default rule) or when the
    boundary touches it at all (``all_touched=True``, how the GSOCseq stacks are cut: docs/methods/gsocseq.md
    §1.1). Computed block by block, so memory is bounded by the chunk size.

    Parameters
    ----------
    geobox : odc.geo.geobox.GeoBox
        The region grid.
    boundary : odc.geo.geom.Geometry or None
        Any CRS; None: every pixel is inside.
    chunks : (int, int)
        dask chunk shape (y, x).
    all_touched : bool
        Keep every cell the boundary touches (``region.boundary.all_touched``), not only those whose
        centre is inside.

    Returns
    -------
    xarray.DataArray
        bool, dims (y, x), named ``boundary_mask``.
    """
    assert geobox.crs is not None  # the region grid has a CRS
    geom = None if boundary is None else boundary.to_crs(geobox.crs)

    def block(x: NDArray[np.bool_], block_info: BlockInfos | None = None) -> NDArray[np.bool_]:
        gb = _block_geobox(geobox, block_info)
        if geom is None:
            return np.ones(gb.shape.yx, dtype=bool)
        if not geom.intersects(gb.extent):
            return np.zeros(gb.shape.yx, dtype=bool)
        inside: NDArray[np.bool_] = rasterize(geom, gb, all_touched=all_touched).values
        return inside

    template = da.empty(geobox.shape.yx, chunks=chunks, dtype=bool)
    data = da.map_blocks(block, template, dtype=bool)
    return xr.DataArray(data, coords=yx_coords(geobox), dims=("y", "x"), name="boundary_mask")


def parallel_band_area(
    lat1: ArrayLike, lat2: ArrayLike, dlon_deg: float, a: float = 6378137.0, b: float = 6356752.314245179
) -> NDArray[np.float64]:
    """Exact area of ellipsoidal cells bounded by two parallels and two meridians.

    ``A = b² · Δλ / 2 · [q(φ2) − q(φ1)]``, ``q(φ) = sin φ / (1 − e² sin² φ) +
    1/(2e) · ln((1 + e sin φ) / (1 − e sin φ))``.

    Parameters
    ----------
    lat1, lat2 : array_like
        Latitudes of the cell edges [degrees]; the sign of the result follows lat2 − lat1.
    dlon_deg : float
        Cell width [degrees].
    a, b : float
        Semi-major and semi-minor axes [m] (default WGS84).

    Returns
    -------
    numpy.ndarray
        Area [m2] (absolute value).

    References
    ----------
    Snyder, J.P. (1987) Map Projections — A Working Manual. USGS Prof. Paper 1395,
    eq. (3-12) for q (authalic latitude), with A = a²(1 − e²)/2 · Δλ · Δq.
    """
    e2 = 1 - (b / a) ** 2
    if e2 <= 0:
        s1: NDArray[np.float64] = np.sin(np.radians(lat1))
        s2: NDArray[np.float64] = np.sin(np.radians(lat2))
        sphere: NDArray[np.float64] = np.abs(a * a * np.radians(dlon_deg) * (s2 - s1))
        return sphere
    e = np.sqrt(e2)

    def q(lat: ArrayLike) -> NDArray[np.float64]:
        s: NDArray[np.float64] = np.sin(np.radians(np.asarray(lat, dtype="f8")))
        qs: NDArray[np.float64] = s / (1 - e2 * s * s) + np.log((1 + e * s) / (1 - e * s)) / (2 * e)
        return qs

    area: NDArray[np.float64] = np.abs(b * b * np.radians(dlon_deg) / 2 * (q(lat2) - q(lat1)))
    return area


def _pyproj_crs(geobox: GeoBox) -> CRS:
    assert geobox.crs is not None  # the region grid has a CRS
    return CRS.from_user_input(geobox.crs.to_wkt()) if not isinstance(geobox.crs, CRS) else geobox.crs


def _to_lonlat(geobox: GeoBox) -> Transformer:
    from pyproj import Transformer

    return Transformer.from_crs(_pyproj_crs(geobox), "EPSG:4326", always_xy=True)


def cell_area_block(geobox: GeoBox, rows: tuple[int, int], cols: tuple[int, int]) -> NDArray[np.float64]:
    """Geodesic area of the cells ``rows[0]:rows[1]``, ``cols[0]:cols[1]`` of a grid, in ha (numpy).

    For geographic grids the area of each cell is exact on the grid CRS's ellipsoid
    (:func:`parallel_band_area`, cells bounded by parallels and meridians). For projected
    grids it is ``|res_x res_y| / areal_scale`` with pyproj's areal scale factor at
    the cell centre (exact for equal-area projections).

    Parameters
    ----------
    geobox : odc.geo.geobox.GeoBox
        The grid (with a CRS).
    rows, cols : (int, int)
        The block's first and end row and column in ``geobox``.

    Returns
    -------
    numpy.ndarray
        float64 ``(rows[1] - rows[0], cols[1] - cols[0])`` [ha].

    References
    ----------
    Snyder, J.P. (1987) USGS Prof. Paper 1395, eq. 3-12 (see :func:`parallel_band_area`).
    """
    crs = _pyproj_crs(geobox)
    aff = geobox.affine
    (y0, y1), (x0, x1) = rows, cols
    if crs.is_geographic:
        ellps = crs.ellipsoid
        assert ellps is not None  # a geographic CRS has a datum
        a, inv_f = ellps.semi_major_metre, ellps.inverse_flattening
        b = a * (1 - 1 / inv_f) if inv_f else a
        edges = aff.f + aff.e * np.arange(y0, y1 + 1)
        band = parallel_band_area(edges[1:], edges[:-1], abs(aff.a), a, b) / 1e4
        return np.repeat(band[:, None], x1 - x0, axis=1)
    xs, ys = np.meshgrid(aff.c + aff.a * (np.arange(x0, x1) + 0.5), aff.f + aff.e * (np.arange(y0, y1) + 0.5))
    lon, lat = _to_lonlat(geobox).transform(xs, ys)
    f = Proj(crs).get_factors(lon, lat)
    area: NDArray[np.float64] = abs(aff.a * aff.e) / np.asarray(f.areal_scale) / 1e4
    return area


def cell_area_ha(geobox: GeoBox, chunks: tuple[int, int]) -> xr.DataArray:
    """Lazy geodesic area of each cell, in ha (:func:`cell_area_block` chunk by chunk).

    Parameters
    ----------
    geobox : odc.geo.geobox.GeoBox
        The region grid.
    chunks : (int, int)
        dask chunk shape (y, x).

    Returns
    -------
    xarray.DataArray
        float64, dims (y, x), [ha].
    """

    def block(x: NDArray[np.float64], block_info: BlockInfos | None = None) -> NDArray[np.float64]:
        assert block_info is not None  # dask passes it
        rows, cols = block_info[None]["array-location"][-2:]
        return cell_area_block(geobox, rows, cols)

    template = da.empty(geobox.shape.yx, chunks=chunks, dtype="f8")
    data = da.map_blocks(block, template, dtype="f8")
    return xr.DataArray(data, coords=yx_coords(geobox), dims=("y", "x"), name="cell_area", attrs={"units": "ha"})


def latitude(geobox: GeoBox, chunks: tuple[int, int]) -> xr.DataArray:
    """Lazy latitude of each cell centre.

    Parameters
    ----------
    geobox : odc.geo.geobox.GeoBox
        The region grid (any CRS: projected centres are transformed to EPSG:4326).
    chunks : (int, int)
        dask chunk shape (y, x).

    Returns
    -------
    xarray.DataArray
        [degrees north], float64, dims (y, x).
    """
    crs = _pyproj_crs(geobox)
    aff = geobox.affine

    def block(x: NDArray[np.float64], block_info: BlockInfos | None = None) -> NDArray[np.float64]:
        assert block_info is not None  # dask passes it
        (y0, y1), (x0, x1) = block_info[None]["array-location"][-2:]
        xs: NDArray[np.float64]
        ys: NDArray[np.float64]
        xs, ys = np.meshgrid(aff.c + aff.a * (np.arange(x0, x1) + 0.5), aff.f + aff.e * (np.arange(y0, y1) + 0.5))
        if crs.is_geographic:
            return ys
        _, lat = _to_lonlat(geobox).transform(xs, ys)
        lat_deg: NDArray[np.float64] = np.asarray(lat)
        return lat_deg

    template = da.empty(geobox.shape.yx, chunks=chunks, dtype="f8")
    return xr.DataArray(
        da.map_blocks(block, template, dtype="f8"),
        coords=yx_coords(geobox),
        dims=("y", "x"),
        name="latitude",
        attrs={"units": "degrees_north"},
    )


def machine_max_pixels() -> int:
    """Default largest grid (``compute.max_pixels``): half the machine's memory in bytes, as pixels."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2)
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 8_000_000_000


def check_grid_size(geobox: GeoBox, grid: GridConfig, max_pixels: int | None = None) -> None:
    """Refuse a grid that is absurdly large or small for its CRS: the sign of a slip in the config.

    Parameters
    ----------
    geobox : GeoBox
        The region grid (its shape only: nothing is allocated).
    grid : GridConfig
        The config's ``grid`` section (CRS and resolution, named in the message).
    max_pixels : int, optional
        ``compute.max_pixels``; default :func:`machine_max_pixels`.

    Raises
    ------
    ConfigError
        More pixels than ``max_pixels``, or a geographic grid coarser than 5 degrees; the hint names
        the likely slip (a resolution in the units of another CRS).
    """
    limit = max_pixels or machine_max_pixels()
    ny, nx = geobox.shape.yx
    crs = geobox.crs
    geographic = bool(crs is not None and crs.geographic)
    units = "degrees" if geographic else (crs.units[0] if crs is not None and crs.units else "CRS units")
    res = grid.resolution
    if geographic and res > 5:
        raise ConfigError(
            f"grid.resolution = {res:g} degrees in {grid.crs}: a grid of {ny} x {nx} pixels",
            hint="the resolution looks like metres; in degrees, 250 m is about 0.0025 (1/400) and 1 km "
            "about 0.0083 (1/120), or set grid.crs to a projected CRS",
        )
    if ny * nx > limit:
        hint = "a coarser grid.resolution, a smaller region, or a larger compute.max_pixels"
        if not geographic and res < 1:
            hint = (
                f"the resolution looks like degrees but {grid.crs} counts in {units}: did you mean "
                f"grid.resolution={res * 111_320:.0f} (about {res:g} degrees)?"
            )
        raise ConfigError(
            f"the region grid would be {ny:,} x {nx:,} = {ny * nx:.3g} pixels at grid.resolution = "
            f"{res:g} {units}, over compute.max_pixels ({limit:.3g})",
            hint=hint,
        )
