"""The public Python API: load_config, run, open_run, PRODUCTS, __version__."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

import scsmap
from scsmap.io.read import read_band


def test_import_is_light():
    """``import scsmap`` loads no dask, xarray or rasterio (the CLI's --help stays fast)."""
    code = "import sys, scsmap; print(sorted(m for m in ('dask', 'xarray', 'rasterio') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_public_names():
    assert {"load_config", "run", "open_run", "PRODUCTS", "__version__"} <= set(scsmap.__all__)
    assert "soc_t0" in scsmap.PRODUCTS and callable(scsmap.load_config) and callable(scsmap.run)


def test_open_run_gives_the_products_lazily(demo_outputs):
    ds = scsmap.open_run(demo_outputs)
    assert {"soc_t0", "land_use", "rate_best"} <= set(ds.data_vars)
    soc = ds["soc_t0"]
    assert soc.chunks is not None and soc.attrs["units"] == "t ha-1"
    np.testing.assert_array_equal(soc.values, read_band(demo_outputs / "soc_t0.tif"))
    lu = ds["land_use"].attrs
    assert lu["flag_values"][:3] == [0, 1, 2] and lu["flag_meanings"].split()[2] == "cropland"
    assert ds.attrs["iso3"] == "MKD"
