"""Net GHG balance (N2O), costs, abatement curve and baselines (docs/methods/ghg.md §8-§9; issue 7).

Oracles: the worked values of docs/methods/ghg.md §8.4 (kg CO2e per t C sequestered, App. A.8), IPCC factor
values as printed in docs/methods/ghg.md §8.2, and hand calculations written out in each test.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from click.testing import CliRunner
from helpers import CONFIGS, demo_config_dict, run_into
from pyproj import Geod

from scsmap.errors import ConfigError
from scsmap.io.tables import load_emission_factors, load_gwp, load_practice_costs, load_practice_nitrogen
from scsmap.rules.ghg import (
    CO2_PER_C,
    GhgSettings,
    PracticeNitrogen,
    baseline_class,
    cost_per_tco2,
    evaluate_ghg,
    n2o_co2e,
    wet_climate,
)
from scsmap.rules.ipcc_classes import ZONES as _ZONES
from scsmap.rules.practices import UNKNOWN_PRACTICE

ZONES = _ZONES
COSTS = str(CONFIGS / "tables" / "mkd_practice_costs.csv")


def settings(factor_set="2019", gwp="AR6", cn=10.0, **kw) -> GhgSettings:
    wet, dry, _ = load_emission_factors("ipcc", factor_set)
    return GhgSettings(wet=wet, dry=dry, gwp_n2o=load_gwp("ipcc", gwp)[0], cn_gain=cn, cn_loss=10.0, **kw)


def per_t_c(n_type, wet, factor_set="2019", gwp="AR6", cn=10.0) -> float:
    """kg CO2e of N2O per t C gained with f_ext = 1 (docs/methods/ghg.md §8.4 table)."""
    s = settings(factor_set, gwp, cn)
    out = n2o_co2e(np.array([1.0]), np.array([True]), np.array([wet]), PracticeNitrogen(1.0, n_type), s)
    return float(out[0]) * 1000


# --------------------------------------------------------------------------- docs/methods/ghg.md §8.4 worked values


@pytest.mark.parametrize(
    "n_type, wet, factor_set, values",
    [
        # factor set row of the §8.4 table: C:N 10 GWP 273 | C:N 10 GWP 265 | C:N 12 GWP 273 | C:N 12 GWP 265
        ("synthetic", True, "2019_aggregated", (589, 572, 491, 477)),
        ("synthetic", True, "2019", (866, 840, 721, 700)),
        ("organic", True, "2019", (497, 482, 414, 402)),
        ("synthetic", False, "2019", (238, 231, 198, 193)),
        ("organic", False, "2019", (260, 252, 216, 210)),
    ],
)
def test_methods_8_4_worked_values(n_type, wet, factor_set, values):
    got = [per_t_c(n_type, wet, factor_set, gwp, cn) for cn in (10, 12) for gwp in ("AR6", "AR5")]
    assert got == pytest.approx(values, abs=0.6)  # the table rounds to whole kg


def test_methods_8_4_offset_percentages():
    # % of the 3.667 t CO2 removed per t C: 23.6 % (wet synthetic, C:N 10, AR6), 5.3 % (dry synthetic, C:N 12, AR5)
    assert 100 * per_t_c("synthetic", True) / 3666.7 == pytest.approx(23.6, abs=0.05)
    assert 100 * per_t_c("synthetic", False, gwp="AR5", cn=12) / 3666.7 == pytest.approx(5.3, abs=0.05)


def test_emission_factor_table_values():
    wet, dry, _ = load_emission_factors("ipcc", "2019")
    # docs/methods/ghg.md §8.2: EF1 wet synthetic 0.016, wet other 0.006, dry 0.005; EF4 wet 0.014, dry 0.005; EF5 0.011
    assert (wet.ef1["synthetic"], wet.ef1["organic"], dry.ef1["synthetic"], dry.ef1["organic"]) == (
        0.016,
        0.006,
        0.005,
        0.005,
    )
    assert (wet.ef4, dry.ef4, wet.ef5, wet.frac_leach, dry.frac_leach) == (0.014, 0.005, 0.011, 0.24, 0.0)
    assert wet.per_kg_n("synthetic") == pytest.approx(0.02018, abs=1e-12)  # methods A.8
    w6, d6, _ = load_emission_factors("ipcc", "2006")
    assert (w6.ef1["synthetic"], w6.ef5, w6.frac_leach, d6.frac_leach) == (0.010, 0.0075, 0.30, 0.0)
    assert [load_gwp("ipcc", g)[0] for g in ("AR4", "AR5", "AR6")] == [298, 265, 273]


# --------------------------------------------------------------------------- N stoichiometry by hand


def test_nitrogen_stoichiometry_by_hand():
    s = settings()
    # 0.5 t C/ha/yr, C:N 10 -> 50 kg N locked; f_ext 0.5 -> 25 kg synthetic N, wet:
    # 25 x (0.016 + 0.11 x 0.014 + 0.24 x 0.011) = 25 x 0.02018 = 0.5045 kg N2O-N
    # + 40 kg organic residue N x (0.006 + 0.21 x 0.014 + 0.24 x 0.011) = 40 x 0.01158 = 0.4632 kg N2O-N
    # = 0.9677 kg N2O-N x 44/28 x 273 / 1000 = 0.415144... t CO2e
    n = PracticeNitrogen(0.5, "synthetic", 40.0, "organic")
    got = n2o_co2e(np.array([0.5]), np.array([True]), np.array([True]), n, s)
    assert float(got[0]) == pytest.approx(0.9677 * 44 / 28 * 273 / 1000, rel=1e-12)
    # dry: 25 x (0.005 + 0.11 x 0.005) + 40 x (0.005 + 0.21 x 0.005) = 0.13875 + 0.242 = 0.38075 kg N2O-N
    got = n2o_co2e(np.array([0.5]), np.array([True]), np.array([False]), n, s)
    assert float(got[0]) == pytest.approx(0.38075 * 44 / 28 * 273 / 1000, rel=1e-12)


def test_soc_loss_mineralises_nitrogen():
    s = settings()
    # -0.2 t C/ha/yr, R = 10 -> 20 kg N mineralised; wet: EF1 0.006 + leaching 0.24 x 0.011 = 0.00864 per kg
    got = n2o_co2e(np.array([-0.2]), np.array([True]), np.array([True]), PracticeNitrogen(1.0, "synthetic"), s)
    assert float(got[0]) == pytest.approx(20 * 0.00864 * 44 / 28 * 273 / 1000, rel=1e-12)


def test_not_adopted_means_no_n2o_and_nan_propagates():
    s = settings()
    n = PracticeNitrogen(1.0, "synthetic", 45.0, "organic")
    got = n2o_co2e(np.array([0.3, 0.3, np.nan]), np.array([False, True, True]), np.array([True] * 3), n, s)
    assert got[0] == 0 and got[1] > 0 and np.isnan(got[2])


def test_irrigation_leaches_on_dry_pixels():
    s = settings()
    n = PracticeNitrogen(1.0, "synthetic")
    dry = float(n2o_co2e(np.array([1.0]), np.array([True]), np.array([False]), n, s)[0])
    irr = float(n2o_co2e(np.array([1.0]), np.array([True]), np.array([False]), n, s, irrigated=True)[0])
    # + 100 kg N x 0.24 x 0.011 = 0.264 kg N2O-N
    assert irr - dry == pytest.approx(0.264 * 44 / 28 * 273 / 1000, rel=1e-9)


def test_wet_climate_split():
    z = np.array(
        [
            ZONES["warm_temperate_dry"],
            ZONES["warm_temperate_moist"],
            ZONES["tropical_wet"],
            ZONES["tropical_montane"],
            ZONES["tropical_montane"],
            0,
        ],
        dtype="f8",
    )
    p = np.array([500, 500, 3000, 1200, 800, 900], dtype="f8")
    assert wet_climate(z, p).tolist() == [False, True, True, True, False, False]


def test_baseline_class_thresholds():
    # SOC 50 t/ha: +0.25 t/yr = +0.5 %/yr increasing; 0 near constant; -0.1 = -0.2 % near constant; -0.25 declining
    got = baseline_class(np.array([0.25, 0.0, -0.1, -0.25, np.nan, 0.1]), np.array([50, 50, 50, 50, 50, 0.0]))
    assert got.tolist() == [1, 2, 2, 3, 0, 0]
    assert baseline_class(np.array([-0.1]), np.array([50.0]), declining_below=-0.1 + 1e-9).tolist() == [3]


# --------------------------------------------------------------------------- costs, composites


def test_cost_per_tco2_by_hand():
    got = cost_per_tco2(np.array([60.0, -10.0, 60.0, 60.0]), np.array([0.5, 0.25, 0.0, -0.1]))
    assert got[0] == 120 and got[1] == -40 and np.isnan(got[2]) and np.isnan(got[3])


def test_composites_by_hand():
    s = settings(
        price=100.0,
        best_of=2,
        nitrogen={"a": PracticeNitrogen(0.0, "synthetic"), "b": PracticeNitrogen(0.0, "synthetic")},
    )
    # no N2O (f_ext 0, nothing added): net = 44/12 x rate
    rates = {"a": np.array([0.3, 0.3, 0.3]), "b": np.array([0.1, 0.1, 0.0])}
    suit = {"a": np.array([2.0, 2.0, 1.0]), "b": np.array([2.0, 2.0, 2.0])}
    costs = {"a": (np.array([200.0, 50.0, 50.0]), False), "b": (np.array([10.0, 10.0, 10.0]), False)}
    out = evaluate_ghg(rates, suit, {"a": 1, "b": 2}, np.array([True] * 3), costs, s)
    na, nb = 0.3 * CO2_PER_C, 0.1 * CO2_PER_C  # 1.1 and 0.3667 t CO2e
    assert out["net_ghg_a"].tolist() == pytest.approx([na, na, na])
    assert out["cost_per_tco2_a"][:2].tolist() == pytest.approx([200 / na, 50 / na])  # 181.8 and 45.5
    assert out["cost_per_tco2_b"][:2].tolist() == pytest.approx([10 / nb] * 2)  # 27.3
    assert out["best_practice_net"].tolist() == [1, 1, 0]  # pixel 3: a only conditional, b gains 0
    assert out["net_ghg_best"].tolist() == pytest.approx([na, na, 0])
    assert out["cheapest_practice"].tolist() == [2, 2, 0]
    # price 100: pixel 1 a costs 181.8 > 100 -> b (0.367); pixel 2 a costs 45.5 -> a (1.1)
    assert out["abatement_at_price"].tolist() == pytest.approx([nb, na, 0])
    assert np.isnan(out["cost_per_tco2_best"][2]) and out["cost_per_tco2_best"][0] == pytest.approx(200 / na)


def test_unknown_practices_give_the_unknown_code_not_none():
    """Issue 15: "no suitable practice" (0) and "unknown" (254) are two codes of the GHG composites too."""
    s = settings(
        price=100.0,
        best_of=2,
        nitrogen={"a": PracticeNitrogen(0.0, "synthetic"), "b": PracticeNitrogen(0.0, "synthetic")},
    )
    nan = float("nan")
    # pixel 1: a suitable and gaining, b unknown -> a; pixel 2: a unsuitable, b unknown -> unknown;
    # pixel 3: both unknown (an input of every rule missing) -> unknown; pixel 4: both unsuitable, rates
    # unknown (a missing input that does not matter: known land use not eligible) -> none
    rates = {"a": np.array([0.3, 0.0, nan, nan]), "b": np.array([nan, nan, nan, nan])}
    suit = {"a": np.array([2.0, 0.0, 3.0, 0.0]), "b": np.array([3.0, 3.0, 3.0, 0.0])}
    costs = {"a": (np.full(4, 10.0), False), "b": (np.full(4, 10.0), False)}
    out = evaluate_ghg(rates, suit, {"a": 1, "b": 2}, np.array([True] * 4), costs, s)
    assert out["best_practice_net"].tolist() == [1, UNKNOWN_PRACTICE, UNKNOWN_PRACTICE, 0]
    assert out["cheapest_practice"].tolist() == [1, UNKNOWN_PRACTICE, UNKNOWN_PRACTICE, 0]
    assert np.isnan(out["net_ghg_b"]).all() and np.isnan(out["n2o_b"]).all()  # unknown: no number
    assert out["net_ghg_best"][0] == pytest.approx(0.3 * CO2_PER_C) and np.isnan(out["net_ghg_best"][2:]).all()
    # the abatement curve counts practices, never "unknown"
    from scsmap.rules.abatement import block_sums

    code = np.array([[UNKNOWN_PRACTICE, 1.0]])
    sums = block_sums(code, np.array([[3.0, 3.0]]), np.array([[1.0, 1.0]]), np.array([[5.0, 5.0]]), np.ones((1, 2)))
    assert sums[0, 0, 0].sum() == 1.0  # the area of the practice pixel only


def test_cost_per_t_rows_give_constant_cost():
    s = settings(nitrogen={"a": PracticeNitrogen(0.0, "synthetic")})
    out = evaluate_ghg(
        {"a": np.array([0.2, 0.4])},
        {"a": np.array([2.0, 2.0])},
        {"a": 1},
        np.array([True, True]),
        {"a": (np.array([40.0, 40.0]), True)},
        s,
    )
    assert out["cost_per_tco2_a"].tolist() == pytest.approx([40, 40])


def _costs(tmp_path, rows: list[str]) -> str:
    p = tmp_path / "costs.csv"
    p.write_text(
        "practice,land_use,region,cost_per_ha_yr,cost_per_tco2e,currency,year,tag,source\n" + "\n".join(rows) + "\n"
    )
    return str(p)


def test_cost_table_specific_rows_win(tmp_path):
    src = _costs(
        tmp_path,
        [
            "no_till,*,*,10,,USD,2024,D,x",
            "no_till,2,*,20,,USD,2024,D,x",
            "no_till,2,MKD,30,,USD,2024,D,x",
            "no_till,2,ALB,99,,USD,2024,D,x",
        ],
    )
    costs, money, _, _ = load_practice_costs(src, ("MKD", "North Macedonia"))
    lut, per_t = costs["no_till"]
    assert money == "USD 2024" and not per_t
    assert (lut[2], lut[3], lut[12]) == (30, 10, 10)


@pytest.mark.parametrize(
    "rows, needle",
    [
        (["no_till,*,*,10,,USD,2024,D,x", "cover_crops,*,*,10,,EUR,2024,D,x"], "one currency and year"),
        (["no_till,*,*,10,5,USD,2024,D,x"], "exactly one of cost_per_ha_yr and cost_per_tco2e"),
        (["no_til,*,*,10,,USD,2024,D,x"], "unknown practice"),
        (["no_till,*,*,ten,,USD,2024,D,x"], "'ten' is not a number"),
        (["no_till,2;x,*,10,,USD,2024,D,x"], "land_use must be"),
        (
            ["no_till,*,*,10,,USD,2024,D,x", "no_till,2,*,,5,USD,2024,D,x"],
            "must all give cost per ha or all cost per t",
        ),
    ],
)
def test_cost_table_errors(tmp_path, rows, needle):
    with pytest.raises(ConfigError, match=needle):
        load_practice_costs(_costs(tmp_path, rows), ("MKD", "x"))


def test_nitrogen_table_errors_and_manure_override(tmp_path):
    n, _, _ = load_practice_nitrogen("scsmap", manure_n_kg_ha=80.0)
    assert n["organic_amendments"].added_n == 80.0 and n["cover_crops"].f_ext == 0.5
    p = tmp_path / "n.csv"
    p.write_text(
        "practice,f_ext,n_ext_type,added_n_kg_ha_yr,added_n_type,delta_n2o_kg_ha_yr\n"
        "no_till,1.5,synthetic,0,organic,0\ncover_crops,0.5,urea,0,organic,0\n"
    )
    with pytest.raises(ConfigError) as exc:
        load_practice_nitrogen(str(p))
    assert "f_ext 1.5" in str(exc.value) and "'urea'" in str(exc.value)


# --------------------------------------------------------------------------- end to end on the demo


GHG_PRODUCTS = [
    "soc_t0",
    "rate_best",
    "rate_no_till",
    "n2o_no_till",
    "net_ghg_no_till",
    "best_practice_net",
    "net_ghg_best",
    "cost_per_tco2_best",
    "cheapest_practice",
    "abatement_at_price",
]


@pytest.fixture(scope="module")
def demo_ghg(tmp_path_factory):
    raw = demo_config_dict()
    raw["outputs"] = {"products": GHG_PRODUCTS}
    raw["tables"] = {"practice_costs": COSTS}
    return run_into(raw, tmp_path_factory.mktemp("ghg"), "demo")[1]


def _read(path):
    with rasterio.open(path) as ds:
        a = ds.read(1).astype("f8")
        a[a == ds.nodata] = np.nan
        return a, ds.transform, ds.tags()


def _cell_area_ha(transform, shape) -> np.ndarray:
    """Ellipsoidal area of each cell of a lon/lat grid (pyproj.Geod), ha: an oracle independent of scsmap."""
    g = Geod(ellps="WGS84")
    rows = []
    for r in range(shape[0]):
        x0, y0 = transform @ (0, r)
        x1, y1 = transform @ (1, r + 1)
        area, _ = g.polygon_area_perimeter([x0, x1, x1, x0], [y0, y0, y1, y1])
        rows.append(abs(area) / 1e4)
    return np.repeat(np.array(rows)[:, None], shape[1], axis=1)


def _coverage(transform, shape, boundary: Path) -> np.ndarray:
    """Share of each cell inside the region boundary (planar in lon/lat, shapely intersections): an oracle
    independent of exactextract."""
    import shapely

    geom = shapely.union_all(
        [shapely.geometry.shape(f["geometry"]) for f in json.loads(boundary.read_text())["features"]]
    )
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]]
    x0, y0 = transform @ (cols, rows)
    x1, y1 = transform @ (cols + 1, rows + 1)
    boxes = shapely.box(x0, y1, x1, y0)
    return shapely.area(shapely.intersection(boxes, geom)) / shapely.area(boxes)


def test_demo_net_balance_maps(demo_ghg):
    rate, _, _ = _read(demo_ghg / "rate_no_till.tif")
    n2o, _, tags = _read(demo_ghg / "n2o_no_till.tif")
    net, _, _ = _read(demo_ghg / "net_ghg_no_till.tif")
    ok = np.isfinite(net)
    assert np.allclose(net[ok], CO2_PER_C * rate[ok] - n2o[ok], atol=2e-6)
    gain = ok & (rate > 0)
    share = n2o[gain] / (CO2_PER_C * rate[gain])
    assert share.max() < 0.25 and share.min() > 0  # docs/methods/ghg.md §8.4: never above 25 % of the gain
    assert tags["GWP_SET"] == "AR6 GWP100 N2O = 273" and tags["CO2_PER_C"].startswith("3.666667")
    assert "practice_nitrogen" not in tags["TABLE_PRACTICE_NITROGEN"] and "scsmap" in tags["TABLE_PRACTICE_NITROGEN"]
    assert tags["CURRENCY"] == "USD 2024"


def test_demo_abatement_curve_total_equals_mapped_potential(demo_ghg):
    curve = pd.read_csv(demo_ghg / "abatement_curve.csv")
    assert len(curve) > 3
    assert (np.diff(curve["cost_per_tco2e"]) >= 0).all()  # a supply curve: cost rises
    assert (np.diff(curve["cumulative_Mt_CO2e_yr"]) > 0).all()
    net, transform, _ = _read(demo_ghg / "net_ghg_best.tif")
    cost, _, _ = _read(demo_ghg / "cost_per_tco2_best.tif")
    # every area-weighted number is coverage x geodesic cell area (the cells on the border count in part)
    area = _cell_area_ha(transform, net.shape) * _coverage(
        transform, net.shape, CONFIGS.parent / "data" / "sample" / "ne10m_admin0_MKD.geojson"
    )
    ok = np.isfinite(net) & (net > 0) & np.isfinite(cost)
    mapped = float((net[ok] * area[ok]).sum()) / 1e6
    assert curve["cumulative_Mt_CO2e_yr"].iloc[-1] == pytest.approx(mapped, rel=1e-5)
    # a step's cost is its total cost over its total abatement
    code, _, _ = _read(demo_ghg / "best_practice_net.tif")
    m = json.loads((demo_ghg / "manifest.json").read_text())["summary"]
    assert m["abatement_curve_total_Mt_CO2e_yr"] == pytest.approx(mapped, rel=1e-5)
    at_price, _, _ = _read(demo_ghg / "abatement_at_price.tif")
    assert (at_price[ok] <= net[ok] + 1e-6).all()
    assert m["abatement_at_price_total_Mt_CO2e_yr"] <= mapped + 1e-9
    assert m["abatement_curve_at_price_Mt_CO2e_yr"] <= m["abatement_at_price_total_Mt_CO2e_yr"] + 1e-9
    assert np.isin(np.unique(code[np.isfinite(code)]), [*range(13), UNKNOWN_PRACTICE]).all()  # 254: unknown


def test_rate_units_in_co2(tmp_path, demo_ghg):
    raw = demo_config_dict()
    raw["outputs"] = {"products": ["rate_best"]}
    raw["ghg"] = {"rate_units": "t CO2"}
    _, out = run_into(raw, tmp_path, "co2")
    c, _, _ = _read(demo_ghg / "rate_best.tif")
    co2, _, tags = _read(out / "rate_best.tif")
    ok = np.isfinite(c)
    assert np.allclose(co2[ok], c[ok] * 44 / 12, rtol=1e-6)
    assert tags["UNITS"] == "t CO2 ha-1 yr-1"
    s = json.loads((out / "manifest.json").read_text())["summary"]
    assert s["rate_best_total_Mt_CO2_yr"] == pytest.approx(s["rate_best_total_Mt_yr"] * 44 / 12, rel=1e-12)


def test_cli_price_option(tmp_path):
    from scsmap.cli import main

    raw = demo_config_dict()
    raw["outputs"] = {"products": ["abatement_at_price"], "dir": str(tmp_path / "out")}
    raw["tables"] = {"practice_costs": COSTS}
    import yaml

    cfg = tmp_path / "demo.yaml"
    cfg.write_text(yaml.safe_dump(raw))
    totals = []
    for price in ("0", "1000"):
        res = CliRunner().invoke(main, ["run", str(cfg), "--price", price, "--overwrite"])
        assert res.exit_code == 0, res.output
        assert f"at {price} USD 2024 t-1 CO2e, practice chosen per pixel" in res.output
        totals.append(json.loads((tmp_path / "out" / "manifest.json").read_text())["summary"])
    assert totals[0]["abatement_at_price_total_Mt_CO2e_yr"] < totals[1]["abatement_at_price_total_Mt_CO2e_yr"]
    assert totals[1]["abatement_at_price_total_Mt_CO2e_yr"] == pytest.approx(
        totals[1]["abatement_curve_total_Mt_CO2e_yr"], rel=1e-9
    )  # an unlimited price reaches the whole curve
    res = CliRunner().invoke(main, ["run", str(cfg), "--price", "cheap"])
    assert res.exit_code == 2 and "cheap" in res.output


def test_cost_products_need_a_cost_table(tmp_path):
    from helpers import dump_config

    from scsmap.config import load_config
    from scsmap.inputs.align import assemble_inputs
    from scsmap.inputs.derive import Derived
    from scsmap.layers.model import Model
    from scsmap.pipeline import select_products

    raw = demo_config_dict()
    raw.pop("tables", None)  # the demo ships the illustrative MKD cost table
    raw["outputs"] = {"products": ["net_ghg_best", "cost_per_tco2_no_till"]}
    cfg = load_config(dump_config(raw, tmp_path / "c.yaml"))
    with pytest.raises(
        ConfigError, match="cost_per_tco2_no_till cannot be made: no cost table: set tables.practice_costs"
    ):
        select_products(cfg, Model(cfg, Derived(cfg, assemble_inputs(cfg))))
    raw["outputs"] = {}
    cfg = load_config(dump_config(raw, tmp_path / "d.yaml"))
    products, skipped = select_products(cfg, Model(cfg, Derived(cfg, assemble_inputs(cfg))))
    assert "net_ghg_best" in [p.id for p in products]
    assert "tables.practice_costs" in skipped["abatement_at_price"]


def test_rice_ch4_worked_example_ipcc_2019():
    """IPCC 2019 Vol 4 Ch 5.5 eqs 5.1-5.3 by hand: 5 t dry straw incorporated > 30 d before the season."""
    from scsmap.io.tables import load_rice_methane
    from scsmap.rules.ghg import RiceMethane, rice_ch4_co2e

    # EF_c 1.19 (Table 5.11), SF_w 1 (continuously flooded), SF_p 1 (< 180 d), CFOA straw > 30 d 0.19 (Table 5.14)
    # SF_o = (1 + 5 x 0.19)^0.59 = 1.95^0.59 = 1.48293 (eq 5.3); 120 d: 1.19 x 120 x 0.48293 = 68.96 kg CH4/ha
    # x 27.9 (AR6 GWP100) / 1000 = 1.9241 t CO2e/ha/yr
    m = RiceMethane(1.19, 1.0, 1.0, 120.0, 1.0, 27.9, {"paddy_management": (5.0, 0.19)})
    sf_o = 1.95**0.59
    assert sf_o == pytest.approx(1.48293, abs=1e-5)
    assert rice_ch4_co2e(m, "paddy_management") == pytest.approx(1.19 * 120 * (sf_o - 1) * 27.9 / 1000, rel=1e-12)
    assert rice_ch4_co2e(m, "paddy_management") == pytest.approx(1.9241, abs=1e-4)
    assert rice_ch4_co2e(m, "no_till") == 0.0
    # packaged tables: multiple drainage (AWD, Table 5.12) 0.55 and non-flooded pre-season > 180 d 0.89 (Table 5.13)
    pk, _ = load_rice_methane("ipcc", "scsmap", "multiple_drainage", "non_flooded_gt180", 100.0, 2.0, 27.9)
    assert (pk.ef_c, pk.sf_w, pk.sf_p) == (1.19, 0.55, 0.89)
    fym = (1 + 10 * 0.21) ** 0.59 - 1  # 10 t fresh farmyard manure, CFOA 0.21
    expect = 1.19 * 0.55 * 0.89 * 100 * 2 * fym * 27.9 / 1000
    assert rice_ch4_co2e(pk, "organic_amendments") == pytest.approx(expect, rel=1e-12)


def test_net_ghg_subtracts_rice_ch4_only_on_rice():
    from scsmap.io.tables import load_practice_nitrogen
    from scsmap.rules.ghg import RiceMethane, evaluate_ghg, rice_ch4_co2e

    m = RiceMethane(1.19, 1.0, 1.0, 120.0, 1.0, 27.9, {"paddy_management": (5.0, 0.19)})
    s = settings(nitrogen=load_practice_nitrogen("scsmap")[0], rice=m)
    rates = {"paddy_management": np.array([0.5, 0.5, 0.5])}
    suit = {"paddy_management": np.array([2.0, 2.0, 0.0])}
    wet = np.array([True, True, True])
    out = evaluate_ghg(rates, suit, {"paddy_management": 12}, wet, None, s, rice=np.array([1.0, 0.0, 1.0]))
    no_rice = evaluate_ghg(rates, suit, {"paddy_management": 12}, wet, None, s)
    ch4 = rice_ch4_co2e(m, "paddy_management")
    np.testing.assert_allclose(out["ch4_paddy_management"], [ch4, 0.0, 0.0])
    np.testing.assert_allclose(out["net_ghg_paddy_management"], no_rice["net_ghg_paddy_management"] - [ch4, 0, 0])
