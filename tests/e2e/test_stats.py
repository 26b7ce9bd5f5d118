"""Area-correct statistics: oracles from geodesy (pyproj.Geod) and hand calculation, and MKD end to end.

The synthetic grid is 0.01 degree over lon 10-11, lat 45-46: the west half (lon < 10.5) has
SOC 100 t ha-1, a rate of 0.4 t ha-1 yr-1 and land use 2; the east half SOC 10, rate 0 and land
use 4. Polygon areas come from pyproj.Geod on edges densified along parallels and meridians
(so that they follow the cells' edges, not great circles).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import rasterio
from conftest import CONFIGS, SHARED, needs_shared
from rasterio.transform import from_origin
from shapely.geometry import Polygon, box

from scsmap.io.stats_files import stats_frame
from scsmap.outputs import stats
from scsmap.outputs.stats import COLUMNS, Zones, total_units, window_shape, zonal_statistics

GEOD = pyproj.Geod(ellps="WGS84")
RES = 0.01


def densify(poly: Polygon, n: int = 200) -> Polygon:
    xy = np.asarray(poly.exterior.coords)
    pts = [a + (b - a) * t for a, b in zip(xy[:-1], xy[1:]) for t in np.linspace(0, 1, n, endpoint=False)]
    return Polygon(pts)


def geod_ha(poly: Polygon) -> float:
    return abs(GEOD.geometry_area_perimeter(densify(poly))[0]) / 1e4


def _write(path, arr, dtype="float32", nodata=-9999.0):
    a = np.where(np.isfinite(arr), arr, nodata).astype(dtype)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=a.shape[1],
        height=a.shape[0],
        count=1,
        dtype=dtype,
        nodata=nodata,
        crs="EPSG:4326",
        transform=from_origin(10, 46, RES, RES),
    ) as ds:
        ds.write(a, 1)


@pytest.fixture(scope="module")
def synthetic_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("synthetic")
    west = np.zeros((100, 100), bool)
    west[:, :50] = True
    soc = np.where(west, 100.0, 10.0)
    rate = np.where(west, 0.4, 0.0)
    holes = soc.copy()
    holes[:, 70:] = np.nan  # lon 10.7-11 missing
    _write(d / "soc_t0.tif", soc)
    _write(d / "target_4p1000.tif", 0.004 * soc)
    _write(d / "asr_ssm1.tif", rate)
    _write(d / "saturation_ratio.tif", np.where(west, 20.0, 60.0))
    _write(d / "soc_final_bau.tif", holes)
    _write(d / "land_use.tif", np.where(west, 2, 4), dtype="uint8", nodata=255)
    entries = [
        {"id": i, "path": f"{i}.tif", "units": u, "dtype": t}
        for i, u, t in (
            ("soc_t0", "t ha-1", "float32"),
            ("target_4p1000", "t ha-1 yr-1", "float32"),
            ("asr_ssm1", "t ha-1 yr-1", "float32"),
            ("saturation_ratio", "%", "float32"),
            ("soc_final_bau", "t ha-1", "float32"),
            ("land_use", "class", "uint8"),
        )
    ]
    rect = box(10.2, 45.2, 10.8, 45.8)  # on cell edges, both halves
    tri = Polygon([(10.123, 45.111), (10.377, 45.163), (10.251, 45.407)])  # cuts cells, west half only
    zones = gpd.GeoDataFrame(
        {"zone_set": ["t", "t"], "zone_id": ["rect", "tri"], "zone_name": ["rect", "tri"]},
        geometry=[densify(rect), densify(tri)],
        crs="EPSG:4326",
    )
    return d, entries, _zones(zones), rect, tri


@pytest.fixture(scope="module")
def synthetic(synthetic_dir):
    d, entries, zones, rect, tri = synthetic_dir
    table = _frame(zonal_statistics(d, entries, zones))
    return table, rect, tri


def _zones(gdf: gpd.GeoDataFrame) -> Zones:
    """The units of a GeoDataFrame (zone_set, zone_id, zone_name, geometry) as stats' Zones."""
    return Zones(
        list(gdf.zone_set), list(gdf.zone_id), list(gdf.zone_name), list(gdf.geometry.values), gdf.crs.to_wkt()
    )


def _frame(rows: list[dict]) -> pd.DataFrame:
    return stats_frame(rows, COLUMNS)


def _row(table, zone, product, group="", code=None):
    t = table[(table.zone_id == zone) & (table["product"] == product) & (table.group_by == group)]
    if code is not None:
        t = t[t.class_code == code]
    assert len(t) == 1
    return t.iloc[0]


def test_unit_area_is_the_geodesic_polygon_area(synthetic):
    table, rect, tri = synthetic
    assert _row(table, "rect", "soc_t0").area_ha == pytest.approx(geod_ha(rect), rel=1e-5)
    # a polygon cutting cells: exact coverage fractions, not pixel counts
    assert _row(table, "tri", "soc_t0").area_ha == pytest.approx(geod_ha(tri), rel=1e-4)


def test_totals_means_and_share_of_the_4p1000_target_by_hand(synthetic):
    table, rect, _ = synthetic
    a_w, a_e = geod_ha(box(10.2, 45.2, 10.5, 45.8)), geod_ha(box(10.5, 45.2, 10.8, 45.8))
    soc = _row(table, "rect", "soc_t0")
    assert soc.total == pytest.approx((100 * a_w + 10 * a_e) / 1e6, rel=1e-5)
    assert soc.total_units == "Mt C"
    assert soc["mean"] == pytest.approx((100 * a_w + 10 * a_e) / (a_w + a_e), rel=1e-5)
    rate = _row(table, "rect", "asr_ssm1")
    assert rate.total == pytest.approx(0.4 * a_w / 1e6, rel=1e-5)
    assert rate.total_units == "Mt C yr-1"
    # docs/methods/fourp1000.md §5: Σ(rate·area) / Σ(0.004·T0·area) ≈ 90.9 %, not the mean of per-pixel ratios (50 %)
    expect = 100 * 0.4 * a_w / (0.004 * (100 * a_w + 10 * a_e))
    assert rate.share_4p1000_percent == pytest.approx(expect, rel=1e-5)
    assert expect > 85
    ratio = _row(table, "rect", "saturation_ratio")
    assert ratio["mean"] == pytest.approx((20 * a_w + 60 * a_e) / (a_w + a_e), rel=1e-5)
    assert np.isnan(ratio.total) and ratio.total_units == ""


def test_missing_data_shrinks_the_valid_area_only(synthetic):
    table, rect, _ = synthetic
    row = _row(table, "rect", "soc_final_bau")
    assert row.area_ha == pytest.approx(geod_ha(rect), rel=1e-5)
    assert row.valid_area_ha == pytest.approx(geod_ha(box(10.2, 45.2, 10.7, 45.8)), rel=1e-5)
    # the triangle lies west of the holes: the same valid area for every product
    same = table[(table.zone_id == "tri") & (table.group_by == "")]
    assert same.valid_area_ha.nunique() == 1


def test_breakdown_by_land_use_class(synthetic):
    table, _, _ = synthetic
    a_w, a_e = geod_ha(box(10.2, 45.2, 10.5, 45.8)), geod_ha(box(10.5, 45.2, 10.8, 45.8))
    crop = _row(table, "rect", "soc_t0", "land_use", 2)
    tree = _row(table, "rect", "soc_t0", "land_use", 4)
    assert (crop.class_name, tree.class_name) == ("cropland", "tree covered")
    assert crop.area_ha == pytest.approx(a_w, rel=1e-5) and tree.area_ha == pytest.approx(a_e, rel=1e-5)
    assert crop.total == pytest.approx(100 * a_w / 1e6, rel=1e-5)
    assert crop.total + tree.total == pytest.approx(_row(table, "rect", "soc_t0").total, rel=1e-9)
    assert _row(table, "rect", "asr_ssm1", "land_use", 2).share_4p1000_percent == pytest.approx(100, rel=1e-6)


def test_totals_of_every_area_density_in_tonnes():
    assert total_units("t ha-1") == "Mt C"
    assert total_units("t ha-1 yr-1") == "Mt C yr-1"
    assert total_units("t CO2 ha-1 yr-1") == "Mt CO2 yr-1"
    assert total_units("t CO2e ha-1 yr-1") == "Mt CO2e yr-1"
    for units in ("%", "class", "degC", "mm yr-1", "currency t-1 CO2e", "yr", "1"):
        assert total_units(units) is None, units


def test_windows_of_a_few_rows_give_the_one_window_table(synthetic_dir):
    """Sums combined window by window: 7-row windows (not a divisor of 100, cutting the triangle) = one window."""
    d, entries, zones, _, _ = synthetic_dir
    one = zonal_statistics(d, entries, zones, rows_per_window=100)
    for rows in (7, 1):
        many = zonal_statistics(d, entries, zones, rows_per_window=rows)
        assert len(many) == len(one)
        for a, b in zip(one, many):
            for c in COLUMNS:
                if isinstance(a[c], float):
                    assert b[c] == pytest.approx(a[c], rel=1e-12, abs=0, nan_ok=True), (rows, c, a)
                else:
                    assert b[c] == a[c], (rows, c)


def test_window_shapes_decode_every_tile_once():
    """Whole rows of tiles when a row of tiles fits; else one row of tiles in pieces of whole tiles (by hand)."""
    assert window_shape((40000, 40000), (512, 512), 2**20) == (512, 2048)  # 26 whole rows decoded each tile 20x
    assert window_shape((3000, 1000), (512, 512), 2**20) == (1024, 1000)  # two rows of tiles, whole rows
    assert window_shape((100, 40000), (1, 40000), 2**20) == (26, 40000)  # strips: whole rows
    assert window_shape((40000, 40000), (512, 512), 1000) == (512, 512)  # at least one tile
    assert window_shape((300, 900), (512, 512), 2**18) == (300, 512)  # the grid's edge


def test_windows_of_whole_tiles_give_the_one_window_table(synthetic_dir, tmp_path, monkeypatch):
    """A grid too wide for a row of tiles per window is read in pieces of whole tiles: the same table as one window."""
    d, entries, zones, _, _ = synthetic_dir
    tiled = tmp_path / "tiled"
    tiled.mkdir()
    for e in entries:
        with rasterio.open(d / e["path"]) as src:
            with rasterio.open(
                tiled / e["path"], "w", **(src.profile | {"tiled": True, "blockxsize": 16, "blockysize": 16})
            ) as dst:
                dst.write(src.read())
            shape = src.shape
    one = zonal_statistics(tiled, entries, zones, rows_per_window=shape[0])
    monkeypatch.setattr(stats, "WINDOW_PIXELS", 16 * 48)
    assert window_shape(shape, (16, 16), stats.WINDOW_PIXELS) == (16, 48) and shape[1] > 48  # pieces of 3 tiles
    many = zonal_statistics(tiled, entries, zones)
    assert len(many) == len(one)
    for a, b in zip(one, many):
        for c in COLUMNS:
            if isinstance(a[c], float):
                assert b[c] == pytest.approx(a[c], rel=1e-12, abs=0, nan_ok=True), (c, a)
            else:
                assert b[c] == a[c], c


def test_the_target_falls_back_to_the_configured_rate(synthetic_dir):
    """Without a target_4p1000 product the target is parameters.rate_4p1000 x soc_t0 (not a fixed 0.004)."""
    d, entries, zones, _, _ = synthetic_dir
    no_target = [e for e in entries if e["id"] != "target_4p1000"]
    with_product = _frame(zonal_statistics(d, entries, zones))
    at_4 = _frame(zonal_statistics(d, no_target, zones, rate_4p1000=0.004))
    at_8 = _frame(zonal_statistics(d, no_target, zones, rate_4p1000=0.008))
    share = _row(with_product, "rect", "asr_ssm1").share_4p1000_percent
    assert _row(at_4, "rect", "asr_ssm1").share_4p1000_percent == pytest.approx(share, rel=1e-6)
    assert _row(at_8, "rect", "asr_ssm1").share_4p1000_percent == pytest.approx(share / 2, rel=1e-6)
    assert np.isnan(_row(_frame(zonal_statistics(d, no_target, zones)), "rect", "asr_ssm1").share_4p1000_percent)


# --------------------------------------------------------------------------- the run summary


def test_the_region_row_equals_the_run_summary(demo_outputs):
    """stats.csv and the manifest summary come from one zonal engine: the same numbers to 1e-9."""
    import json

    summary = json.loads((demo_outputs / "manifest.json").read_text())["summary"]
    stats = pd.read_csv(demo_outputs / "stats.csv")
    region = stats[(stats.zone_set == "region") & stats.group_by.isna()].set_index("product")
    assert region.area_ha.nunique() == 1
    assert region.area_ha.iloc[0] == pytest.approx(summary["region_area_ha"], rel=1e-9)
    assert region.loc["soc_t0", "valid_area_ha"] == pytest.approx(summary["valid_area_ha"], rel=1e-9)
    assert region.loc["soc_t0", "total"] == pytest.approx(summary["soc_stock_total_Mt"], rel=1e-9)
    assert region.loc["soc_t0", "mean"] == pytest.approx(summary["soc_stock_mean_t_ha"], rel=1e-9)
    assert region.loc["rate_best", "total"] == pytest.approx(summary["rate_best_total_Mt_yr"], rel=1e-9)
    assert region.loc["rate_best", "share_4p1000_percent"] == pytest.approx(
        summary["share_4p1000_national_percent"], rel=1e-9
    )
    assert region.loc["net_ghg_best", "total_units"] == "Mt CO2e yr-1"
    assert region.loc["net_ghg_best", "total"] == pytest.approx(summary["net_ghg_best_total_Mt_CO2e_yr"], rel=1e-9)


# --------------------------------------------------------------------------- MKD end to end


@pytest.fixture(scope="module")
def mkd_stats(tmp_path_factory):
    from scsmap.config import load_config
    from scsmap.outputs.stats import write_stats
    from scsmap.pipeline import run

    out = tmp_path_factory.mktemp("mkd")
    cfg = load_config(CONFIGS / "regions" / "mkd.yaml")
    run(cfg, out_dir=out)
    res = write_stats(cfg, out)
    return out, res


@pytest.mark.shared
@pytest.mark.slow
@needs_shared
def test_mkd_national_area_within_1_percent_of_the_boundary(mkd_stats):
    out, res = mkd_stats
    stats = pd.read_csv(out / "stats.csv")
    region = stats[(stats.zone_set == "region") & stats.group_by.isna()]
    boundary = gpd.read_file(SHARED / "data" / "mkd" / "boundary" / "MKD_un_bnda.shp").to_crs("EPSG:4326")
    geod = sum(abs(GEOD.geometry_area_perimeter(g)[0]) for g in boundary.geometry) / 1e4
    assert region.area_ha.iloc[0] == pytest.approx(geod, rel=0.01)
    # the Natural Earth country of the admin file: one unit (neighbours touching the edge are left out)
    units = stats[(stats.zone_set != "region") & stats.group_by.isna()]
    assert set(units.zone_name) == {"North Macedonia"}


@pytest.mark.shared
@pytest.mark.slow
@needs_shared
def test_mkd_totals_are_consistent_across_products(mkd_stats):
    _, res = mkd_stats
    t = pd.DataFrame(res.rows)
    r = t[(t.zone_set == "region") & (t.group_by == "")].set_index("product")
    assert r.loc["soc_t0", "valid_area_ha"] == pytest.approx(r.loc["target_4p1000", "valid_area_ha"], rel=1e-12)
    assert r.loc["target_4p1000", "total"] == pytest.approx(0.004 * r.loc["soc_t0", "total"], rel=1e-5)
    for s in ("bau", "ssm1", "ssm2", "ssm3"):
        assert r.loc[f"asr_{s}", "valid_area_ha"] == pytest.approx(r.loc[f"absdiff_{s}", "valid_area_ha"])
        assert 20 * r.loc[f"asr_{s}", "total"] == pytest.approx(r.loc[f"absdiff_{s}", "total"], rel=1e-4, abs=1e-6)
    # class breakdown adds up to the region where the class map is defined
    lu = t[(t.zone_set == "region") & (t.group_by == "land_use") & (t["product"] == "soc_t0")]
    assert lu.total.sum() == pytest.approx(r.loc["soc_t0", "total"], rel=1e-3)


def test_sigterm_stops_stats_and_keeps_the_previous_tables(demo_outputs, tmp_path):
    """SIGTERM (SLURM, Kubernetes, ``timeout``) while ``scsmap stats`` writes its tables: exit 143 with a message,
    no traceback, the temporary ``stats.csv`` removed, the previous tables as they were (as ``scsmap run`` does)."""
    from helpers import copy_outputs, snapshot, terminate_when_stalled

    out = copy_outputs(demo_outputs, tmp_path / "out")
    before = snapshot(out)

    def csv_written() -> None:  # stats.csv written to its temporary name, the GeoPackage not yet
        assert (out / ".stats.csv.tmp").is_file()

    argv = ["stats", str(CONFIGS / "regions" / "demo.yaml"), "--out", str(out)]
    code, err = terminate_when_stalled("scsmap.outputs.stats", "write_stats_gpkg", argv, csv_written)
    assert code == 143, err
    assert "terminated (SIGTERM)" in err and "Traceback" not in err
    assert snapshot(out) == before
