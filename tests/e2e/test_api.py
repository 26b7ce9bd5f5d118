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


def test_public_functions_have_numpydoc():
    for name in ("load_config", "run", "open_run", "build"):
        doc = getattr(scsmap, name).__doc__
        for section in ("Parameters\n", "Returns\n", "Raises\n"):
            assert section in doc, (name, section)
    assert {"Run", "build"} <= set(scsmap.__all__)


def test_run_takes_a_path_and_out(tmp_path):
    import pytest
    from helpers import demo_config_dict, dump_config

    raw = demo_config_dict()
    raw["outputs"] = {"products": ["soc_t0"]}
    path = dump_config(raw, tmp_path / "r.yaml")
    r = scsmap.run(str(path), out=tmp_path / "a", overrides={"parameters.depth_cm": 30})
    assert isinstance(r, scsmap.Run) and r.products == ["soc_t0"] and "1 products" in repr(r)
    assert float(r.open()["soc_t0"].mean()) > 0
    kept = scsmap.run(scsmap.load_config(path), out_dir=tmp_path / "b")  # the keyword before `out`
    assert kept.out_dir == tmp_path / "b" and (tmp_path / "b" / "soc_t0.tif").is_file()
    with pytest.raises(TypeError, match="once"):
        scsmap.run(path, out=tmp_path / "c", out_dir=tmp_path / "d")
    with pytest.raises(TypeError, match="overrides"):
        scsmap.run(scsmap.load_config(path), out=tmp_path / "e", overrides={"grid.chunk_size": 256})
