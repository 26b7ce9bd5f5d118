"""Annual climate summaries computed on the climate grid, then warped (inputs/derive.py, inputs/align.py).

Oracles: the same summaries of the monthly layers warped one by one onto the region grid (what
scsmap did before; the monthly layers are still built by ``assemble_inputs``), and a hand
calculation on a synthetic field. MAT and MAP are linear in the months and bilinear/average
resampling is linear, so the two orders agree to float32 round-off; PET (Thornthwaite) and the
warmest month are not linear, and the differences on North Macedonia are the ones stated in
docs/scaling.md.
"""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
import yaml
from conftest import CONFIGS, needs_shared
from rasterio.transform import from_origin

from scsmap.config import load_config
from scsmap.inputs.align import assemble_inputs
from scsmap.inputs.climate import annual_pet, mean_annual_temperature, warmest_month
from scsmap.inputs.derive import Derived
from scsmap.layers.model import Model


def _both(cfg, name, monthly, how):
    d = Derived(cfg, assemble_inputs(cfg))
    native = d.get(name).values.astype("f8")
    on_grid = how(d.get(monthly)).values.astype("f8")
    return native, on_grid, d


@pytest.fixture(scope="module")
def mkd():
    return load_config(CONFIGS / "regions" / "mkd.yaml")


@needs_shared
def test_mkd_mat_and_map_equal_the_warped_months_to_float32_round_off(mkd):
    for name, monthly, how, tol in (
        ("mat", "temperature", mean_annual_temperature, 1e-5),  # degC
        ("map", "precipitation", lambda m: m.sum("month", skipna=False), 1e-3),  # mm yr-1
    ):
        native, on_grid, d = _both(mkd, name, monthly, how)
        np.testing.assert_array_equal(np.isnan(native), np.isnan(on_grid))
        ok = np.isfinite(native)
        assert ok.sum() > 500_000
        np.testing.assert_allclose(native[ok], on_grid[ok], rtol=1e-6, atol=tol)
        assert "on the source grid of" in d.provenance[name]


@needs_shared
def test_mkd_pet_and_zones_differences_are_the_stated_ones(mkd):
    """Thornthwaite PET is not linear in temperature: computed at 1 km then warped it differs from PET of
    the warped months by at most 10 mm yr-1 (0.17 mm mean, of ~700 mm); the climate zones by < 0.05 % of pixels."""
    native, on_grid, d = _both(mkd, "pet_annual", "pet", annual_pet)
    ok = np.isfinite(native) & np.isfinite(on_grid)
    diff = np.abs(native[ok] - on_grid[ok])
    assert diff.max() < 10.0 and diff.mean() < 0.5
    assert 600 < np.mean(native[ok]) < 800
    warm_native, warm_grid, _ = _both(mkd, "temperature_warmest_month", "temperature", warmest_month)
    ok = np.isfinite(warm_native)
    assert np.abs(warm_native[ok] - warm_grid[ok]).max() < 0.5  # degC
    # zones: the model's map against the decision tree on the month-by-month summaries
    from scsmap.layers import ipcc

    model = Model(mkd, d)
    zones = model.get("ipcc_climate_zone").values
    zones_grid, _ = ipcc.climate_zone(
        d.get("temperature").mean("month", skipna=False),
        d.get("precipitation").sum("month", skipna=False),
        annual_pet(d.get("pet")),
        d.get("temperature").max("month", skipna=False),
        d.optional("elevation"),
        None,
    )
    inside = np.asarray(d.inputs.mask.values) & (zones > 0)
    changed = (zones != zones_grid.values)[inside].mean()
    assert changed < 5e-4


def _write(path, data, transform):
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=data.shape[-1],
        height=data.shape[-2],
        count=data.shape[0],
        dtype="float32",
        crs="EPSG:4326",
        transform=transform,
        nodata=-9999.0,
    ) as ds:
        ds.write(data.astype("float32"))


def _config(tmp_path, night_transform):
    n = 40
    t12 = np.stack([np.full((n, n), 5.0 + m) for m in range(12)])  # constant in space: 5..16 degC
    _write(tmp_path / "day.tif", t12 + 2.0, from_origin(20.0, 42.0, 0.05, 0.05))
    _write(tmp_path / "night.tif", t12 - 2.0, night_transform)
    _write(tmp_path / "soc.tif", np.full((1, n, n), 50.0), from_origin(20.0, 42.0, 0.05, 0.05))
    raw = {
        "extends": str(CONFIGS / "defaults.yaml"),
        "region": {"name": "t", "iso3": "TST", "bbox": [20.5, 40.5, 21.5, 41.5]},
        "grid": {"resolution": 0.01, "chunk_size": 64},
        "inputs": {
            "lst_day": {"path": str(tmp_path / "day.tif"), "units": "degC"},
            "lst_night": {"path": str(tmp_path / "night.tif"), "units": "degC"},
            "soc_stock": {"path": str(tmp_path / "soc.tif"), "units": "t ha-1"},
        },
        "parameters": {"lst_bias_c": 0.0},
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(raw))
    return load_config(tmp_path / "c.yaml")


def test_lst_on_one_grid_by_hand(tmp_path):
    """(day + night)/2 of a spatially constant field: MAT = mean(5..16) = 10.5 degC, warmest month 16 degC."""
    cfg = _config(tmp_path, from_origin(20.0, 42.0, 0.05, 0.05))
    d = Derived(cfg, assemble_inputs(cfg))
    mat, warm = d.get("mat").values, d.get("temperature_warmest_month").values
    np.testing.assert_allclose(mat[np.isfinite(mat)], 10.5, rtol=1e-6)
    np.testing.assert_allclose(warm[np.isfinite(warm)], 16.0, rtol=1e-6)
    assert "source grid of `lst_day`" in d.provenance["mat"]


def test_lst_on_two_grids_falls_back_to_the_warped_months(tmp_path):
    """Day and night LST on different grids cannot be combined natively: the months are warped first."""
    cfg = _config(tmp_path, from_origin(19.99, 42.01, 0.05, 0.05))
    d = Derived(cfg, assemble_inputs(cfg))
    mat = d.get("mat").values
    np.testing.assert_allclose(mat[np.isfinite(mat)], 10.5, rtol=1e-6)
    assert d.provenance["mat"] == "mean of the 12 months of the monthly layers on the region grid"


@pytest.mark.parametrize("one_pass", [True, False])
def test_summaries_warped_together_are_those_warped_one_by_one(demo_raw, write_config, monkeypatch, one_pass):
    """On a grid 20x finer than the climate files, computed in one pass, the 4 annual summaries are warped in one
    group (AlignedInputs.to_grid_together), each equal bit for bit to its warp alone (AlignedInputs.to_grid), and
    a computation that reads one of them warps only that one; window by window they are warped one by one."""
    import scsmap.inputs.warp as warp_module

    demo_raw["region"] = {"name": "a part of the demo", "iso3": "MKD", "bbox": [22.0, 41.8, 22.12, 41.9]}
    demo_raw["grid"] = {"resolution": 0.0004, "chunk_size": 128}  # 300 x 250 pixels, 6 chunks
    cfg = load_config(write_config(demo_raw), overrides={} if one_pass else {"compute.pass_pixels": 20_000})
    inputs = assemble_inputs(cfg)
    assert inputs.group_warps is one_pass
    before = list(inputs.warp_groups)
    d = Derived(cfg, inputs)
    names = ["mat", "map", "pet_annual", "temperature_warmest_month"]
    warped = {n: d.get(n) for n in names}
    new = [g for g in inputs.warp_groups if g not in before]
    assert [len(g.names) for g in new] == ([4] if one_pass else [])
    summaries = d._annual_summaries()
    assert sorted(summaries) == sorted(names)
    values = {}
    for name in names:
        grid, summary = summaries[name]
        alone = inputs.to_grid(grid, summary).values
        assert np.isfinite(alone).sum() > 10_000, name
        values[name] = warped[name].values
        np.testing.assert_array_equal(values[name], alone, err_msg=name)
        assert warped[name].attrs == summary.attrs and warped[name].dims == ("y", "x")
    if one_pass:  # a computation reading MAP only: the other members are not warped
        calls: list[int] = []
        real = warp_module.warp_plane
        count = lambda src: calls.append(src.shape[0] if src.ndim == 3 else 1)  # noqa: E731
        monkeypatch.setattr(warp_module, "warp_plane", lambda src, *a, **k: count(src) or real(src, *a, **k))
        d2 = Derived(cfg, assemble_inputs(cfg))
        only_map = d2.get("map")
        for g in d2.inputs.warp_groups:
            g.keep(set(only_map.data.__dask_graph__().layers))
        np.testing.assert_array_equal(only_map.values, values["map"])
        assert calls and set(calls) == {1}, calls  # MAP alone in each chunk's call


def test_summaries_are_warped_from_the_files_own_grid(tmp_path, monkeypatch):
    """An annual summary is computed on a cut of the climate file, and xarray's arithmetic drops the file's
    ``GeoTransform``: its warp takes the file's grid cut to the window (0.01 degree pixels, as written), not
    the grid odc-geo rebuilds from the pixel centres (0.009999999999999787 degree, 10.480000000000002 E)."""
    import scsmap.inputs.warp as warp_module

    n, res, west, north = 400, 0.01, 10.0, 51.0  # the benchmark's climate grid (benchmarks/scaling.py)
    t12 = np.stack([np.full((n, n), 5.0 + m) for m in range(12)])
    _write(tmp_path / "t.tif", t12, from_origin(west, north, res, res))
    _write(tmp_path / "p.tif", t12 * 10.0, from_origin(west, north, res, res))
    _write(tmp_path / "soc.tif", np.full((1, n, n), 50.0), from_origin(west, north, res, res))
    raw = {
        "extends": str(CONFIGS / "defaults.yaml"),
        "region": {"name": "t", "iso3": "TST", "bbox": [10.5, 50.0, 10.8, 50.3]},
        "grid": {"resolution": 0.0025, "chunk_size": 64, "snap": "none"},
        "inputs": {
            "temperature": {"path": str(tmp_path / "t.tif"), "units": "degC"},
            "precipitation": {"path": str(tmp_path / "p.tif"), "units": "mm month-1"},
            "soc_stock": {"path": str(tmp_path / "soc.tif"), "units": "t ha-1"},
        },
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(raw))
    cfg = load_config(tmp_path / "c.yaml")
    inputs = assemble_inputs(cfg)
    sources: list = []
    for fn in ("_warp_dask", "_warp_group_dask"):
        real = getattr(warp_module, fn)
        spy = lambda src, box, *a, _r=real, **k: sources.append(box) or _r(src, box, *a, **k)  # noqa: E731
        monkeypatch.setattr(warp_module, fn, spy)
    d = Derived(cfg, inputs)
    mat, annual_map = d.get("mat"), d.get("map")
    assert "on the source grid of" in d.provenance["mat"]
    assert sources
    for box in sources:
        a = box.affine
        assert (a.a, a.e) == (res, -res), tuple(a)  # exactly the file's pixel size
        col, row = (a.c - west) / res, (north - a.f) / res
        assert round(col) > 0 and round(row) > 0  # a cut of the file
        assert abs(a.c - (west + round(col) * res)) < 1e-12 and abs(a.f - (north - round(row) * res)) < 1e-12
    np.testing.assert_allclose(mat.values[np.isfinite(mat.values)], 10.5, rtol=1e-6)
    np.testing.assert_allclose(annual_map.values[np.isfinite(annual_map.values)], 1260.0, rtol=1e-6)
