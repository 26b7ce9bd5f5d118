"""A finished run as one lazy ``xarray.Dataset``: one variable per product, with units and legends."""

from __future__ import annotations

from pathlib import Path

import xarray as xr

from ..io.dataset import open_product
from ..io.manifest import load_manifest
from ..products import PRODUCTS
from ..products.styles import legend_for


def open_run(out_dir: str | Path, chunks: int = 512) -> xr.Dataset:
    """Open the products of a finished run lazily.

    Parameters
    ----------
    out_dir : path-like
        A run's output folder (with ``manifest.json``).
    chunks : int
        dask chunk size in y and x.

    Returns
    -------
    xarray.Dataset
        One variable per product (named by product id, float with NaN for nodata, dims (y, x), CRS
        as ``spatial_ref``), attributes ``units`` and ``long_name``; class maps also carry
        ``flag_values`` (bit-flag maps ``flag_masks``) and ``flag_meanings`` (CF conventions); the dataset's
        attributes hold the
        region and the run's summary numbers.

    Raises
    ------
    OutputError
        The folder holds no manifest.
    """
    out = Path(out_dir)
    m = load_manifest(out)
    variables = {}
    for e in m["products"]:
        v = open_product(out / e["path"], e["nodata"], chunks)
        v.attrs = {"units": e["units"], "long_name": e["long_name"]}
        p = PRODUCTS.get(e["id"])
        if p is not None and p.is_class_map:  # the CF flags the class GeoTIFFs carry as band tags
            for key, text in legend_for(p).cf_flags().items():
                v.attrs[key] = text if key == "flag_meanings" else [int(c) for c in text.split()]
        variables[e["id"]] = v.rename(e["id"])
    ds = xr.Dataset(variables)
    ds.attrs = {
        "region": m["region"]["name"],
        "iso3": m["region"]["iso3"],
        "scsmap_version": m["scsmap_version"],
        "config_sha256": m["config_sha256"],
    }
    return ds
