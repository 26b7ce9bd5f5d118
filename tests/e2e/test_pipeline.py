"""End to end on the embedded sample: products, manifest, COGs, chunking, reruns."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import rasterio
from conftest import CONFIGS
from rio_cogeo.cogeo import cog_validate

from scsmap.config import load_config
from scsmap.io.read import read_band
from scsmap.io.write import sha256
from scsmap.pipeline import run
from scsmap.products import PRODUCTS


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    cfg = load_config(CONFIGS / "regions" / "demo.yaml")
    return run(cfg, out_dir=out)


def test_demo_writes_every_product_and_manifest(demo_run):
    out = demo_run.out_dir
    manifest = json.loads((out / "manifest.json").read_text())
    ids = [p["id"] for p in manifest["products"]]
    # the demo has every input: skipped are only the warm-up T0 (no yearly climate series) and the
    # Monte Carlo maps (rothc.monte_carlo_draws is 0 by default)
    optional = {p for p, prod in PRODUCTS.items() if prod.requires[0] in ("gsocseq_warmup", "gsocseq_montecarlo")}
    assert optional == {"soc_t0_warmup"} | {p for p in PRODUCTS if p.startswith("mc_")}
    assert ids == [p for p in PRODUCTS if p not in optional]
    assert set(manifest["skipped_products"]) == optional
    for entry in manifest["products"]:
        path = out / entry["path"]
        assert path.exists()
        assert entry["sha256"] == sha256(path)
        with rasterio.open(path) as ds:
            assert ds.dtypes[0] == entry["dtype"]
            assert ds.nodata == entry["nodata"]
            assert ds.units[0] == entry["units"] == PRODUCTS[entry["id"]].units
            assert ds.descriptions[0] == PRODUCTS[entry["id"]].long_name
            assert ds.crs.to_epsg() == 4326
            assert ds.tags()["PRODUCT_ID"] == entry["id"]
            if "STATISTICS_MEAN" not in ds.tags(1):  # empty: only the cost of a practice that gains nowhere
                assert ds.tags(1)["STATISTICS_VALID_PERCENT"] == "0.0"
                practice = entry["id"].removeprefix("cost_per_tco2_")
                assert entry["id"].startswith("cost_per_tco2_"), entry["id"]
                with rasterio.open(out / f"net_ghg_{practice}.tif") as net:
                    assert float(net.tags(1)["STATISTICS_MAXIMUM"]) <= 0, entry["id"]
    assert manifest["config_sha256"] and manifest["scsmap_version"]
    assert (out / "alignment_report.json").exists()
    assert not list(out.glob(".staging-*"))


def test_every_product_is_a_valid_cog(demo_run):
    for entry in demo_run.manifest["products"]:
        valid, errors, _ = cog_validate(str(demo_run.out_dir / entry["path"]), strict=True)
        assert valid, (entry["path"], errors)


def test_demo_values_are_consistent_and_plausible(demo_run):
    out = demo_run.out_dir
    soc = read_band(out / "soc_t0.tif")
    tgt = read_band(out / "target_4p1000.tif")
    cap = read_band(out / "saturation_capacity.tif")
    ratio = read_band(out / "saturation_ratio.tif")
    deficit = read_band(out / "saturation_deficit.tif")
    # the 4p1000 target is 0.004 x SOC on every pixel (float32 rounding)
    np.testing.assert_allclose(tgt, 0.004 * soc, rtol=1e-6)
    assert np.array_equal(np.isnan(tgt), np.isnan(soc))
    # North Macedonia SOC 0-30 cm: FAO map range 20-280 t/ha (SOURCE.txt), profiles mean 57.7 t/ha
    assert 15 < np.nanmin(soc) and np.nanmax(soc) < 300
    assert 45 < np.nanmean(soc) < 80
    # capacity from constants: Georgiou 0.86*(clay+24.9)*1.52*30*0.1 where clay is 3-42 %
    assert np.nanmin(cap) >= 0.86 * (3 + 24.9) * 1.52 * 3 - 1e-3
    assert np.nanmax(cap) <= 0.86 * (42 + 24.9) * 1.52 * 3 + 1e-3
    # ratio and deficit agree with each other: capacity - deficit = min(capacity, 0.66*SOC)
    ok = np.isfinite(ratio)
    np.testing.assert_allclose((cap - deficit)[ok], np.minimum(cap, 0.66 * soc)[ok], rtol=1e-5, atol=1e-4)
    assert np.nanmin(deficit) >= 0
    np.testing.assert_allclose(ratio[ok], 100 * 0.66 * soc[ok] / cap[ok], rtol=1e-5)


def test_demo_land_use_and_climate(demo_run):
    out = demo_run.out_dir
    with rasterio.open(out / "land_use.tif") as ds:
        lu = ds.read(1)
        cmap = ds.colormap(1)
    classes = set(np.unique(lu)) - {255}
    assert classes <= set(range(14))
    assert {2, 3, 4} <= classes  # cropland, grassland and forest all exist in MKD
    assert cmap[2][:3] == (255, 255, 100)
    mat = read_band(out / "mat.tif")
    precip = read_band(out / "map.tif")
    # MKD: mean annual air temperature about 0-16 degC; precipitation from under 500 mm (Vardar valley)
    # to about 1300 mm on the western mountains; CHELSA national mean 662 mm (SOURCE.txt)
    assert -3 < np.nanmin(mat) and np.nanmax(mat) < 17
    assert 350 < np.nanmin(precip) < 500 and 1000 < np.nanmax(precip) < 1500
    assert 550 < np.nanmean(precip) < 800


def test_demo_summary_and_alignment_report(demo_run):
    s = demo_run.summary
    # the Natural Earth polygon of MKD is ~25,400 km2; valid area is at most the region area
    assert 2.45e6 < s["region_area_ha"] < 2.62e6
    assert 0.9 * s["region_area_ha"] < s["valid_area_ha"] <= s["region_area_ha"]
    assert s["soc_stock_total_Mt"] == pytest.approx(s["soc_stock_mean_t_ha"] * s["valid_area_ha"] / 1e6)
    assert s["target_4p1000_mean_t_ha_yr"] == pytest.approx(0.004 * s["soc_stock_mean_t_ha"], rel=1e-6)
    rep = json.loads((demo_run.out_dir / "alignment_report.json").read_text())
    layers = rep["layers"]
    assert layers["clay"]["crs"].startswith("EPSG:4326 (assigned")
    assert layers["land_cover"]["resampling"] == "nearest"
    assert layers["lst_day"]["units_declared"] == "K" and layers["lst_day"]["unit"] == "degC"
    for name, entry in layers.items():
        assert entry["valid_pixels_grid"] > 0, name
        assert entry["valid_pixels_source"] > 0, name


def test_valid_source_pixels_are_counted_over_the_region_not_the_whole_file(tmp_path, demo_raw, write_config):
    """A region inside a larger file: its valid source pixels are those over the region's bounding box (2 pixels
    around it included, which the warp may read), counted by hand from the file; the file is not read beyond."""
    import math

    bbox = (21.0, 41.5, 21.3, 41.8)
    demo_raw["region"] = {"name": "a corner of the demo", "iso3": "MKD", "bbox": list(bbox)}
    demo_raw["outputs"] = {**demo_raw.get("outputs", {}), "products": ["target_4p1000"]}
    run(load_config(write_config(demo_raw)), out_dir=tmp_path / "out")
    counted = json.loads((tmp_path / "out" / "alignment_report.json").read_text())["layers"]["soc_stock"]
    with rasterio.open(Path(demo_raw["data_dir"]) / demo_raw["inputs"]["soc_stock"]["path"]) as src:
        soc, t = src.read(1), src.transform
    valid = np.isfinite(soc) & (soc > -3e38)  # the config's nodata is -3.4e38
    c0, c1 = math.floor((bbox[0] - t.c) / t.a) - 2, math.ceil((bbox[2] - t.c) / t.a) + 2
    r0, r1 = math.floor((bbox[3] - t.f) / t.e) - 2, math.ceil((bbox[1] - t.f) / t.e) + 2
    assert 0 < r0 < r1 < soc.shape[0] and 0 < c0 < c1 < soc.shape[1]  # the region lies inside the file
    assert counted["valid_pixels_source"] == int(valid[r0:r1, c0:c1].sum()) < int(valid.sum())


def test_a_region_inside_large_files_reads_its_own_chunks_and_makes_the_same_maps(
    tmp_path, demo_raw, write_config, monkeypatch
):
    """The part of each file over the region has chunks of its own (read alone, not whole chunks reaching far
    beyond it), so the warps read windows that start elsewhere in the file: the maps are those made with the
    file's regular chunks, pixel for pixel (small chunks, a grid finer than the files: bilinear warps)."""
    import scsmap.io.read as read
    from scsmap.config import load_config as load
    from scsmap.inputs.align import assemble_inputs

    bbox = (21.0, 41.5, 21.3, 41.8)
    demo_raw["region"] = {"name": "a corner of the demo", "iso3": "MKD", "bbox": list(bbox)}
    demo_raw["grid"] = {"resolution": 0.0025, "chunk_size": 64}
    products = ["target_4p1000", "saturation_ratio", "mat", "aridity_index", "ipcc_climate_zone", "rate_best"]
    demo_raw["outputs"] = {**demo_raw.get("outputs", {}), "products": products}
    config = write_config(demo_raw)
    own = assemble_inputs(load(config)).native["soc_stock"]
    with rasterio.open(Path(demo_raw["data_dir"]) / demo_raw["inputs"]["soc_stock"]["path"]) as src:
        rows = rasterio.windows.from_bounds(*bbox, transform=src.transform).round_offsets().row_off
    assert rows - 2 in np.cumsum(own.chunks[1]) and rows - 2 > 64 // 8  # a chunk starts 2 pixels above the region
    mine = run(load(config), out_dir=tmp_path / "own")
    regular = read.chunks_around
    monkeypatch.setattr(read, "chunks_around", lambda start, stop, n, size: regular(0, n, n, size))
    assert all(c == 64 for c in assemble_inputs(load(config)).native["soc_stock"].chunks[1][:-1])
    before = run(load(config), out_dir=tmp_path / "regular")
    _assert_same_maps(mine, before, products, min_valid=1000)


def test_staging_uncompressed_or_compressed_gives_the_same_files(tmp_path, demo_raw, write_config, monkeypatch):
    """A small run stages its products uncompressed, a large one compressed (io/write.compress_staging): the
    products are the same files, byte for byte, a class map and the first overview levels (made in the pass,
    the further levels from them in the staging's compression or none) included."""
    import scsmap.io.write as W

    products = ["target_4p1000", "land_use", "mat"]
    demo_raw["region"] = {"name": "a part of the demo", "iso3": "MKD", "bbox": [21.0, 41.4, 21.6, 41.8]}
    demo_raw["grid"] = {"resolution": 0.0025, "chunk_size": 64}  # 240 x 160 pixels in even chunks: the pass
    demo_raw["outputs"] = {**demo_raw.get("outputs", {}), "products": products, "tile_size": 128}  # makes level 1
    config = write_config(demo_raw)
    seen: list[bool] = []
    tiled = W.open_tiled
    monkeypatch.setattr(W, "open_tiled", lambda *a, **k: seen.append(k["compress"]) or tiled(*a, **k))
    monkeypatch.setattr("scsmap.pipeline.compute.open_tiled", W.open_tiled)
    raw = run(load_config(config), out_dir=tmp_path / "raw")
    monkeypatch.setattr(W, "STAGING_RAW_MAX_BYTES", 0)
    packed = run(load_config(config), out_dir=tmp_path / "packed")
    assert len(seen) == 2 * 2 * len(products)  # two runs: each product and its first overview level
    assert not any(seen[: len(seen) // 2]) and all(seen[len(seen) // 2 :])
    assert [e["sha256"] for e in raw.manifest["products"]] == [e["sha256"] for e in packed.manifest["products"]]


def _arrays(out: Path, manifest: dict) -> dict[str, np.ndarray]:
    return {e["id"]: read_band(out / e["path"]) for e in manifest["products"]}


def _assert_same_maps(a_run, b_run, products: list[str], min_valid: int) -> None:
    """Both runs wrote exactly ``products``, with the same pixels, each with more than ``min_valid`` valid ones."""
    a, b = _arrays(a_run.out_dir, a_run.manifest), _arrays(b_run.out_dir, b_run.manifest)
    assert sorted(a) == sorted(b) == sorted(products)
    for pid in products:
        assert np.isfinite(a[pid]).sum() > min_valid, pid
        np.testing.assert_array_equal(a[pid], b[pid], err_msg=pid)


def test_chunked_equals_unchunked(tmp_path):
    cfg_small = load_config(CONFIGS / "regions" / "demo.yaml", overrides={"grid.chunk_size": 64})
    cfg_one = load_config(CONFIGS / "regions" / "demo.yaml", overrides={"grid.chunk_size": 4096})
    a = run(cfg_small, out_dir=tmp_path / "small")
    b = run(cfg_one, out_dir=tmp_path / "one")
    xa, xb = _arrays(a.out_dir, a.manifest), _arrays(b.out_dir, b.manifest)
    for pid in xa:
        if PRODUCTS[pid].requires[0].startswith("gsocseq"):
            # RothC runs: equal to float64 round-off. Pixels whose moisture deficit has not settled are
            # stepped in sub-batches whose size depends on the dask block, and numpy's vectorised exp can
            # differ in the last bit between batch sizes; seen: 1.4e-14 t/ha on BAU differences of ~0.
            np.testing.assert_allclose(xa[pid], xb[pid], rtol=1e-12, atol=1e-12, err_msg=pid)
            assert np.array_equal(np.isnan(xa[pid]), np.isnan(xb[pid])), pid
        else:
            assert np.array_equal(xa[pid], xb[pid], equal_nan=True), pid
    for key, value in a.summary.items():
        if isinstance(value, float):
            assert value == pytest.approx(b.summary[key], rel=1e-12), key


def test_rerun_is_byte_identical(tmp_path, demo_run):
    cfg = load_config(CONFIGS / "regions" / "demo.yaml")
    again = run(cfg, out_dir=tmp_path / "again")
    first = {e["path"]: e["sha256"] for e in demo_run.manifest["products"]}
    second = {e["path"]: e["sha256"] for e in again.manifest["products"]}
    assert first == second


def test_gsocseq_naming_preset(tmp_path):
    cfg = load_config(
        CONFIGS / "regions" / "demo.yaml",
        overrides={"outputs.naming": "gsocseq", "outputs.products": ["soc_t0", "target_4p1000"]},
    )
    res = run(cfg, out_dir=tmp_path)
    assert (tmp_path / "MKD_GSOCseq_T0_Map030.tif").exists()
    assert (tmp_path / "MKD_target_4p1000.tif").exists()
    assert [p["id"] for p in res.manifest["products"]] == ["soc_t0", "target_4p1000"]


def test_hassink_option_changes_capacity(tmp_path, demo_run):
    cfg = load_config(
        CONFIGS / "regions" / "demo.yaml",
        overrides={"parameters.saturation.method": "hassink1997", "outputs.products": ["saturation_capacity"]},
    )
    res = run(cfg, out_dir=tmp_path)
    cap_h = read_band(tmp_path / "saturation_capacity.tif")
    cap_g = read_band(demo_run.out_dir / "saturation_capacity.tif")
    # Hassink = (4.09 + 0.37 (clay + 0.5 silt)) BD d 0.1 ; Georgiou = 0.86 (clay + silt) BD d 0.1
    # => from the Georgiou map: clay = cap_g / (0.86*1.52*3) - 24.9
    clay = cap_g / (0.86 * 1.52 * 3) - 24.9
    expect = (4.09 + 0.37 * (clay + 0.5 * 24.9)) * 1.52 * 3
    np.testing.assert_allclose(cap_h, expect, rtol=1e-5, atol=1e-3)
    with rasterio.open(tmp_path / "saturation_capacity.tif") as ds:
        assert ds.tags()["SATURATION_METHOD"] == "hassink1997"
    assert res.manifest["products"][0]["id"] == "saturation_capacity"


def test_equal_area_grid_gives_same_national_totals(tmp_path, demo_run):
    """The same inputs on an equal-area 1 km grid (EPSG:3035) give the same area and SOC total.

    Resampling is fixed to bilinear, as 'auto' picks in the 30" run: 'auto' would average here
    (the 1 km cells are coarser than the source's), which extends the valid area at the coast of
    nodata by partial cells and so changes the total, not the mean.
    """
    cfg = load_config(
        CONFIGS / "regions" / "demo.yaml",
        overrides={
            "grid.crs": "EPSG:3035",
            "grid.resolution": 1000.0,
            "inputs.soc_stock.resampling": "bilinear",
            "outputs.products": ["soc_t0"],
        },
    )
    res = run(cfg, out_dir=tmp_path)
    a, b = res.summary, demo_run.summary
    assert a["region_area_ha"] == pytest.approx(b["region_area_ha"], rel=0.005)
    assert a["soc_stock_mean_t_ha"] == pytest.approx(b["soc_stock_mean_t_ha"], rel=0.005)
    assert a["soc_stock_total_Mt"] == pytest.approx(b["soc_stock_total_Mt"], rel=0.005)
    with rasterio.open(tmp_path / "soc_t0.tif") as ds:
        assert ds.crs.to_epsg() == 3035 and ds.res == (1000.0, 1000.0)


def test_outputs_nodata_is_written(tmp_path):
    cfg = load_config(
        CONFIGS / "regions" / "demo.yaml",
        overrides={"outputs.nodata": -1.0, "outputs.products": ["soc_t0", "land_use"]},
    )
    res = run(cfg, out_dir=tmp_path)
    with rasterio.open(tmp_path / "soc_t0.tif") as ds:
        assert ds.nodata == -1.0
        assert (ds.read(1) == -1.0).sum() > 0  # outside the boundary
    with rasterio.open(tmp_path / "land_use.tif") as ds:
        assert ds.nodata == 255  # class maps keep 255
    assert {e["id"]: e["nodata"] for e in res.manifest["products"]} == {"soc_t0": -1.0, "land_use": 255}


def test_warmup_series_gives_t0_after_warmup(tmp_path):
    """Two warm-up years built from the sample's monthly layers (band lists repeat the 12 months)."""
    two_years = list(range(1, 13)) * 2
    cfg = load_config(
        CONFIGS / "regions" / "demo.yaml",
        overrides={
            "inputs.temperature_warmup": {"path": "modis_lstnight_monthly_1km.tif", "bands": two_years, "units": "K"},
            "inputs.precipitation_warmup": {
                "path": "chelsa12_prec_monthly_1km.tif",
                "bands": two_years,
                "units": "mm month-1",
                "nodata": -99999,
            },
            "outputs.naming": "gsocseq",
            "outputs.products": ["soc_t0", "soc_t0_warmup", "asr_bau"],
        },
    )
    res = run(cfg, out_dir=tmp_path)
    assert (tmp_path / "MKD_GSOCseq_T0_Map030.tif").exists()  # T0 after the warm-up
    assert (tmp_path / "MKD_soc_t0.tif").exists()  # the SOC map keeps its own name
    t0w = read_band(tmp_path / "MKD_GSOCseq_T0_Map030.tif")
    soc = read_band(tmp_path / "MKD_soc_t0.tif")
    ok = np.isfinite(t0w)
    assert ok.sum() > 10_000
    # night LST is colder than the (LST day + night)/2 - 1.2 spin-up climate: less decomposition, SOC rises
    assert np.mean(t0w[ok] > soc[ok]) > 0.99
    assert "2-yr warm-up" in res.manifest["layer_sources"]["gsocseq"]
    assert "Thornthwaite" in res.manifest["layer_sources"]["pet_warmup"]


def test_gsocseq_compat_engine_on_the_demo(tmp_path, demo_run):
    """The FAO scripts' numerics differ from the exact engine within the bound documented in
    scsmap.rothc.compat (|ΔASR| < 0.05 t C/ha/yr in temperate climate); their BAU drifts even with one
    climatology, because the analytic ODE spin-up is not the steady state of the Euler forward run."""
    pids = ["asr_bau", "asr_ssm1", "asr_ssm2", "asr_ssm3"]
    cfg = load_config(
        CONFIGS / "regions" / "demo.yaml", overrides={"rothc.engine": "gsocseq_compat", "outputs.products": pids}
    )
    res = run(cfg, out_dir=tmp_path)
    for pid in pids:
        compat = read_band(tmp_path / f"{pid}.tif")
        exact = read_band(demo_run.out_dir / f"{pid}.tif")
        assert np.array_equal(np.isnan(compat), np.isnan(exact)), pid
        assert np.nanmax(np.abs(compat - exact)) < 0.05, pid
    bau = read_band(tmp_path / "asr_bau.tif")
    assert np.nanmax(np.abs(bau)) > 1e-3  # the compat BAU is not stationary
    assert "Euler" in res.manifest["layer_sources"]["gsocseq"]


def test_demo_practice_maps(demo_run):
    """Practice maps on real MKD sample data: consistent classes, rates and composites, tags and legends."""
    out = demo_run.out_dir
    x = {
        pid: read_band(out / f"{pid}.tif")
        for pid in (
            "soc_t0",
            "land_use",
            "ipcc_climate_zone",
            "ipcc_soil_class",
            "aridity_index",
            "rate_best",
            "best_practice",
            "share_4p1000",
            "potential_total",
            "saturation_deficit",
        )
    }
    zones = x["ipcc_climate_zone"][np.isfinite(x["ipcc_climate_zone"])]
    # North Macedonia: warm (lowlands) and cool (mountains) temperate, mostly dry (AI < 1); a few summit
    # pixels (Korab, 2764 m) have MAT <= 0 degC and are boreal
    assert set(np.unique(zones)) <= {5, 6, 7, 8, 9, 10} and np.isin(zones, [5, 6]).mean() > 0.3
    assert np.isin(zones, [9, 10]).mean() < 0.001
    assert np.nanmedian(x["aridity_index"]) < 1.2
    assert set(np.unique(x["ipcc_soil_class"][np.isfinite(x["ipcc_soil_class"])])) <= {1, 3}
    for p in ("no_till", "cover_crops", "agroforestry", "improved_grazing"):
        cls = read_band(out / f"suitability_{p}.tif")
        rate = read_band(out / f"rate_{p}.tif")
        ok = np.isfinite(rate)
        assert (rate[ok & (cls == 0)] == 0).all(), p
        assert (rate[ok] <= 0.010 * np.maximum(x["soc_t0"][ok], 30) + 1e-6).all(), p  # relative-rate cap
    crop = x["land_use"] == 2
    assert np.nanmean(np.where(crop, read_band(out / "suitability_no_till.tif"), np.nan)) > 1.5
    rb, ok = x["rate_best"], np.isfinite(x["rate_best"])
    assert 0 <= np.nanmin(rb) and np.nanmax(rb) < 1.0
    assert 0.05 < rb[ok & (x["best_practice"] > 0)].mean() < 0.5  # t C/ha/yr where a practice gains
    np.testing.assert_allclose(x["potential_total"][ok], 20 * rb[ok], rtol=1e-6)
    assert (x["potential_total"][ok] <= x["saturation_deficit"][ok] + 1e-4).all()
    share = 100 * rb / (0.004 * x["soc_t0"])
    np.testing.assert_allclose(x["share_4p1000"][ok], share[ok], rtol=1e-5)
    s = demo_run.summary
    assert 20 < s["share_4p1000_national_percent"] < 150
    assert sum(s["best_practice_share_percent"].values()) == pytest.approx(100)
    with rasterio.open(out / "rate_no_till.tif") as src:
        tags = src.tags()
        assert tags["IPCC_EDITION"] == "2019" and tags["SOCREF_EDITION"] == "2006"
        assert tags["TABLE_IPCC_FACTORS"].startswith("ipcc (sha256 ")
        assert '"level":"no_till"' in tags["TIER1_FACTORS"] and "SOURCE_slope" in tags
    with rasterio.open(out / "best_practice.tif") as src:
        assert src.colormap(1)[3] == (0x1F, 0x78, 0xB4, 255)  # no-till colour from practices.csv
    with rasterio.open(out / "ipcc_climate_zone.tif") as src:
        assert src.dtypes[0] == "uint8" and src.nodata == 255


def test_layers_warped_together_make_the_same_maps(tmp_path, demo_raw, write_config, monkeypatch):
    """A grid much finer than the soil and climate files: their layers are warped together, several bands per GDAL
    call (inputs/align._warp_groups), and so are the annual climate summaries (AlignedInputs.to_grid_together), in
    a grid computed in one pass (not window by window); the maps are those of the layers warped one by one, pixel
    for pixel, with the same alignment report."""
    import scsmap.inputs.align as align
    import scsmap.inputs.warp as warp_module
    from scsmap.config import load_config as load

    clay_path = Path(demo_raw["data_dir"]) / demo_raw["inputs"]["clay"]["path"]
    with rasterio.open(clay_path) as src:  # clay, silt and sand on one grid, as SoilGrids gives them
        clay, profile = src.read(1, masked=True).astype("float32"), src.profile
    profile.update(dtype="float32", nodata=-9999.0, crs="EPSG:4326")
    silt = 60 - 0.5 * clay
    layers = {"clay": clay, "silt": silt, "sand": 100 - clay - silt}
    for name, values in {k: v.filled(-9999.0) for k, v in layers.items()}.items():
        with rasterio.open(tmp_path / f"{name}.tif", "w", **profile) as dst:
            dst.write(values, 1)
        demo_raw["inputs"][name] = {"path": str(tmp_path / f"{name}.tif"), "units": "%"}
    # a part with few holes in the clay: some chunks read none (warped together), others do (warped alone)
    demo_raw["region"] = {"name": "a part of the demo", "iso3": "MKD", "bbox": [22.0, 41.8, 22.12, 41.9]}
    demo_raw["grid"] = {"resolution": 0.0004, "chunk_size": 128}  # 300 x 250 pixels, 6 chunks
    products = ["target_4p1000", "saturation_ratio", "saturation_deficit", "ipcc_soil_class", "rate_best"]
    products += ["mat", "map", "pet_annual", "aridity_index", "ipcc_climate_zone"]  # from the annual summaries
    demo_raw["outputs"] = {**demo_raw.get("outputs", {}), "products": products}
    config = write_config(demo_raw)
    groups = align.assemble_inputs(load(config)).warp_groups
    assert [len(g.names) for g in groups] == [3], groups  # clay, silt and sand
    windowed = load(config, overrides={"compute.pass_pixels": 20_000})  # memory bounded: warped one by one
    assert not align.assemble_inputs(windowed).warp_groups
    bands: list[int] = []
    real = warp_module.warp_plane
    count = lambda src: bands.append(src.shape[0] if src.ndim == 3 else 1)  # noqa: E731
    monkeypatch.setattr(warp_module, "warp_plane", lambda src, *a, **k: count(src) or real(src, *a, **k))
    members: list[int] = []  # the members of each warp group made
    group = align.reproject_group
    spy = lambda datas, *a, **k: members.append(len(datas)) or group(datas, *a, **k)  # noqa: E731
    monkeypatch.setattr(align, "reproject_group", spy)
    together = run(load(config), out_dir=tmp_path / "together")
    assert members == [3, 4]  # clay, silt and sand; MAT, MAP, annual PET and the warmest month
    assert 3 in bands and 4 in bands  # soil layers and the 4 summaries (the IPCC zone reads them all), one call
    monkeypatch.setattr(align, "GROUP_MIN_UPSAMPLING", math.inf)
    assert not align.assemble_inputs(load(config)).warp_groups
    members.clear()
    alone = run(load(config), out_dir=tmp_path / "alone")
    assert members == []
    _assert_same_maps(together, alone, products, min_valid=10_000)
    report = "alignment_report.json"
    assert (together.out_dir / report).read_bytes() == (alone.out_dir / report).read_bytes()
