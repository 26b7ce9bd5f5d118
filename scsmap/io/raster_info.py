"""What a finished product file is: its grid, CRS, bounds and block shape, without reading a pixel.

The readers of the outputs (``scsmap stats``, ``report``, ``mosaic`` and the STAC catalogue) know
a product's grid through :func:`raster_info` only, so that none of them opens a raster itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import rasterio
from affine import Affine
from odc.geo.geobox import GeoBox
from rasterio.crs import CRS
from rasterio.warp import transform_bounds

#: points added along each edge when bounds are transformed to another CRS (as ``rio bounds`` does)
DENSIFY_PTS = 21


@dataclass(frozen=True)
class RasterInfo:
    """The grid and metadata of band 1 of a raster file.

    Attributes
    ----------
    path : Path
    shape : (int, int)
        (height, width) in pixels.
    transform : affine.Affine
        Pixel → CRS coordinates of the top-left corner.
    crs_wkt : str
        The CRS as WKT.
    crs_string : str
        The CRS as GDAL writes it shortly: ``EPSG:4326`` when it has a code, else WKT.
    epsg : int or None
        The CRS's EPSG code, when it has one.
    bounds : (float, float, float, float)
        left, bottom, right, top in the raster's CRS.
    nodata : float or None
    dtype : str
    block_shape : (int, int)
        (height, width) of the file's blocks (tiles).
    """

    path: Path
    shape: tuple[int, int]
    transform: Affine
    crs_wkt: str
    crs_string: str
    epsg: int | None
    bounds: tuple[float, float, float, float]
    nodata: float | None
    dtype: str
    block_shape: tuple[int, int]

    @property
    def geobox(self) -> GeoBox:
        """The file's grid as an odc-geo GeoBox."""
        return GeoBox(self.shape, self.transform, self.crs_wkt)

    @property
    def resolution(self) -> tuple[float, float]:
        """Pixel size (x, y) in CRS units, both positive."""
        return abs(self.transform.a), abs(self.transform.e)

    def bounds_in(self, crs: str) -> tuple[float, float, float, float]:
        """The raster's bounds in another CRS (edges densified; unchanged when the CRS is the same)."""
        return reproject_bounds(self.bounds, self.crs_wkt, crs)


def raster_info(path: str | Path) -> RasterInfo:
    """The grid and metadata of a raster file (band 1), read from its header."""
    with rasterio.open(path) as ds:
        crs = ds.crs
        return RasterInfo(
            path=Path(path),
            shape=(ds.height, ds.width),
            transform=ds.transform,
            crs_wkt=crs.to_wkt() if crs is not None else "",
            crs_string=crs.to_string() if crs is not None else "",
            epsg=crs.to_epsg() if crs is not None else None,
            bounds=(ds.bounds.left, ds.bounds.bottom, ds.bounds.right, ds.bounds.top),
            nodata=ds.nodata,
            dtype=ds.dtypes[0],
            block_shape=tuple(ds.block_shapes[0]),
        )


def same_crs(a: str, b: str) -> bool:
    """True when two CRSs (WKT, ``EPSG:xxxx`` ...) are the same for GDAL."""
    return CRS.from_user_input(a) == CRS.from_user_input(b)


def reproject_bounds(
    bounds: tuple[float, float, float, float], src_crs: str, dst_crs: str
) -> tuple[float, float, float, float]:
    """Bounds (left, bottom, right, top) in ``src_crs`` as bounds in ``dst_crs`` (edges densified)."""
    if same_crs(src_crs, dst_crs):
        return bounds
    src, dst = CRS.from_user_input(src_crs), CRS.from_user_input(dst_crs)
    left, bottom, right, top = transform_bounds(src, dst, *bounds, densify_pts=DENSIFY_PTS)
    return left, bottom, right, top


def gdal_version() -> str:
    """The version of the GDAL library rasterio is built against."""
    return rasterio.__gdal_version__
