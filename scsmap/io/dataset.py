"""Open a run's products lazily as xarray objects (for :func:`scsmap.open_run`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import rioxarray
import xarray as xr


def open_product(path: Path, nodata: float, chunks: int = 512) -> xr.DataArray:
    """Band 1 of a product GeoTIFF, lazily (dask), float with nodata as NaN, dims (y, x).

    Parameters
    ----------
    path : Path
    nodata : float
        The product's declared nodata value.
    chunks : int
        dask chunk size in y and x.
    """
    da: Any = rioxarray.open_rasterio(path, chunks={"y": chunks, "x": chunks}, masked=False, lock=False)
    band = da.isel(band=0, drop=True)
    return band.where(band != nodata)
