"""A project moved to another folder gives the same products: SOURCE_* tags hold paths relative to the config's
folder or data_dir, and CONFIG_SHA256 does not depend on where the project sits."""

from __future__ import annotations

import hashlib
import shutil

import rasterio
import yaml
from conftest import CONFIGS, SAMPLE

from scsmap.config import load_config
from scsmap.pipeline import run


def _project(root):
    """A task force's folder: region.yaml beside data/ and tables/ (relative paths, no extends)."""
    shutil.copytree(SAMPLE, root / "data")
    (root / "tables").mkdir()
    shutil.copy(CONFIGS / "tables" / "mkd_practice_costs.csv", root / "tables" / "costs.csv")
    raw = {
        "data_dir": "data",
        "region": {"name": "MKD", "iso3": "MKD", "boundary": {"path": "ne10m_admin0_MKD.geojson"}},
        "inputs": {
            "soc_stock": {"path": "MKD_OCS_RF_1km.tif", "units": "t ha-1", "nodata": -3.4e38},
            "clay": {"path": "clay_0_30_QRF_1km.tif", "units": "%", "crs": "EPSG:4326"},
            "land_cover": {"path": "esacci_lc2010_1km.tif", "units": "class", "nodata": 0},
            "precipitation": {"path": "chelsa12_prec_monthly_1km.tif", "units": "mm month-1", "nodata": -99999},
            "lst_day": {"path": "modis_lstday_monthly_1km.tif", "units": "K"},
            "lst_night": {"path": "modis_lstnight_monthly_1km.tif", "units": "K"},
        },
        "fill": {"silt": {"constant": 24.9}, "bulk_density": {"constant": 1.52}},
        "tables": {"practice_costs": "tables/costs.csv"},  # named in the GHG stack's SOURCE tag
        "outputs": {"products": ["soc_t0", "saturation_deficit", "land_use", "cost_per_tco2_no_till"]},
    }
    (root / "region.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    return root / "region.yaml"


def test_moved_project_makes_the_same_bytes(tmp_path):
    a = _project(tmp_path / "ana" / "work")
    b = _project(tmp_path / "elsewhere" / "deeper" / "copy")
    ca, cb = load_config(a), load_config(b)
    assert ca.digest() == cb.digest()
    ra, rb = run(ca, out_dir=tmp_path / "out_a"), run(cb, out_dir=tmp_path / "out_b")
    seen: set[str] = set()
    for e in ra.manifest["products"]:
        fa, fb = ra.out_dir / e["path"], rb.out_dir / e["path"]
        with rasterio.open(fa) as src:
            tags = src.tags()
        sources = {k: v for k, v in tags.items() if k.startswith("SOURCE_")}
        assert sources, e["id"]
        for k, v in sources.items():
            assert str(tmp_path) not in v, (k, v)
        assert tags["CONFIG_SHA256"] == ca.digest()
        seen |= set(sources)
        if "SOURCE_soc_stock" in tags:
            assert "input layer MKD_OCS_RF_1km.tif" in tags["SOURCE_soc_stock"]
        if "SOURCE_ghg" in tags:
            assert "costs tables/costs.csv" in tags["SOURCE_ghg"], tags["SOURCE_ghg"]
        assert hashlib.sha256(fa.read_bytes()).digest() == hashlib.sha256(fb.read_bytes()).digest(), e["id"]
    assert "SOURCE_ghg" in seen


def test_relative_path_of_files_outside_data_dir(tmp_path):
    cfg = load_config(_project(tmp_path / "p"))
    assert cfg.relative_path(tmp_path / "p" / "data" / "x.tif") == "x.tif"
    assert cfg.relative_path(tmp_path / "p" / "tables" / "t.csv") == "tables/t.csv"
    assert cfg.relative_path(tmp_path / "other" / "b.shp") == "../other/b.shp"
    assert cfg.relative_path(f"zip://{tmp_path}/p/data/a.zip!b.shp") == "zip://a.zip!b.shp"
    assert cfg.relative_path("/vsicurl/https://example.org/a.tif") == "/vsicurl/https://example.org/a.tif"
    assert cfg.relative_path("ipcc") == "ipcc"  # a packaged table's name
