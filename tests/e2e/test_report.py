"""The region report, the STAC catalogue and the incremental Make pipeline, on the demo run.

The report is checked as HTML (every section, every product, every image file present) and,
where Debian's chromium is installed (CI installs it), rendered in headless Chromium: the
screenshot must not be blank and every image must have loaded.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pystac
import pytest
import rasterio
from conftest import CHROMIUM, CONFIGS, ROOT, SAMPLE, needs_chromium


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


# --------------------------------------------------------------------------- report


def test_report_has_every_section_and_product(demo_outputs):
    html = (demo_outputs / "report.html").read_text(encoding="utf-8")
    for section in ("summary", "maps", "statistics", "qa", "alignment", "config", "checksums", "versions", "methods"):
        assert f'id="{section}"' in html, section
    m = _manifest(demo_outputs)
    for e in m["products"]:
        assert f"quicklooks/{e['id']}.png" in html
        assert e["sha256"] in html
    assert "Σ(rate × area) / Σ(0.004 × T0 × area)" in html
    assert "esa_cci_to_fao" in html  # config echo
    assert "exactextract" in html  # versions


def test_report_images_exist_and_use_the_legend_colours(demo_outputs):
    html = (demo_outputs / "report.html").read_text(encoding="utf-8")
    srcs = re.findall(r'<img src="([^"]+)"', html)
    assert srcs and all((demo_outputs / s).is_file() for s in srcs)
    import matplotlib.pyplot as plt

    from scsmap.products import PRODUCTS
    from scsmap.products.styles import legend_for

    img = plt.imread(demo_outputs / "quicklooks" / "land_use.png")
    colours = {tuple(int(round(255 * c)) for c in px[:3]) for px in img.reshape(-1, 4) if px[3] > 0}
    legend = {tuple(int(h[i : i + 2], 16) for i in (1, 3, 5)) for _, _, h in legend_for(PRODUCTS["land_use"]).classes}
    assert colours and colours <= legend


@pytest.mark.browser
@needs_chromium
def test_report_renders_in_headless_chromium(demo_outputs, tmp_path):
    url = (demo_outputs / "report.html").resolve().as_uri()
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--virtual-time-budget=10000",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    shot = tmp_path / "report.png"
    subprocess.run(
        [CHROMIUM, *flags, "--window-size=1280,2000", f"--screenshot={shot}", url],
        capture_output=True,
        timeout=120,
        check=True,
    )
    import matplotlib.pyplot as plt

    img = plt.imread(shot)[..., :3]
    assert img.shape[0] >= 1000 and img.std() > 0.05  # not blank
    assert (img.min(axis=2) < 0.9).mean() > 0.05  # a real share of non-white pixels (maps, text)
    dom = subprocess.run(
        [CHROMIUM, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    n = int(re.search(r'data-images="(\d+)"', dom).group(1))
    loaded = int(re.search(r'data-images-loaded="(\d+)"', dom).group(1))
    m = _manifest(demo_outputs)
    assert n == len(m["products"]) + bool(m["summary"].get("abatement_curve")) and loaded == n


# --------------------------------------------------------------------------- STAC


def test_stac_collection_and_items_are_complete(demo_outputs):
    stac = demo_outputs / "stac"
    coll_json = json.loads((stac / "collection.json").read_text())
    assert coll_json["type"] == "Collection" and coll_json["stac_version"].startswith("1.")
    assert {"id", "description", "license", "extent", "links"} <= set(coll_json)
    m = _manifest(demo_outputs)
    coll = pystac.Collection.from_file(str(stac / "collection.json"))
    items = {i.id: i for i in coll.get_items()}
    assert set(items) == {e["id"] for e in m["products"]}
    for e in m["products"]:
        d = items[e["id"]].to_dict()
        exts = " ".join(d["stac_extensions"])
        assert all(x in exts for x in ("/projection/", "/raster/", "/file/"))
        for key in ("type", "stac_version", "id", "geometry", "bbox", "properties", "links", "assets"):
            assert key in d, key
        assert d["properties"]["datetime"]
        asset = d["assets"]["data"]
        assert not asset["href"].startswith("/")  # relative: the folder can move
        tif = (stac / e["id"] / asset["href"]).resolve()
        assert tif == (demo_outputs / e["path"]).resolve()
        assert asset["file:checksum"] == "1220" + hashlib.sha256(tif.read_bytes()).hexdigest()
        assert asset["file:size"] == tif.stat().st_size
        with rasterio.open(tif) as ds:
            assert d["properties"]["proj:shape"] == [ds.height, ds.width]
            assert d["properties"]["proj:code"] == f"EPSG:{ds.crs.to_epsg()}"
            assert np.allclose(d["properties"]["proj:transform"], list(ds.transform)[:6])
        band = asset["raster:bands"][0]
        assert band["nodata"] == e["nodata"] and band["unit"] == e["units"] and band["data_type"] == e["dtype"]
        assert (stac / e["id"] / d["assets"]["style"]["href"]).resolve() == tif.with_suffix(".qml")


# --------------------------------------------------------------------------- make


def _make(out: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "-q", f"OUT={out.parent}", *args, str(out / "report.html")], cwd=ROOT, capture_output=True, text=True
    )


@pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")
def test_make_rebuilds_only_when_config_or_inputs_change(demo_outputs):
    """The manifest is the target: up to date as built; stale when the config or an input is newer."""
    assert _make(demo_outputs).returncode == 0, "nothing to rebuild"
    assert _make(demo_outputs, "-W", str(CONFIGS / "regions" / "demo.yaml")).returncode == 1
    assert _make(demo_outputs, "-W", str(SAMPLE / "MKD_OCS_RF_1km.tif")).returncode == 1
    assert _make(demo_outputs, "-W", str(ROOT / "README.md")).returncode == 0
    dry = subprocess.run(
        ["make", "-n", f"OUT={demo_outputs.parent}", "-W", str(SAMPLE / "MKD_OCS_RF_1km.tif"), "demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout
    assert [w for w in ("scsmap run", "scsmap stats", "scsmap report", "scsmap summary") if w in dry] == [
        "scsmap run",
        "scsmap stats",
        "scsmap report",
        "scsmap summary",
    ]


def test_report_of_a_run_without_stocks_or_rates(tmp_path):
    """A region that writes no SOC stock (so no summary figures, no 4 per 1000 share) still gets a report."""
    from scsmap.config import load_config
    from scsmap.outputs.report import write_report
    from scsmap.pipeline import run

    cfg = load_config(CONFIGS / "regions" / "demo.yaml", overrides={"outputs.products": ["land_use", "mat"]})
    run(cfg, out_dir=tmp_path)
    html = write_report(cfg, tmp_path).read_text(encoding="utf-8")
    assert "quicklooks/mat.png" in html and "quicklooks/land_use.png" in html
    assert (tmp_path / "stats.csv").is_file()  # computed on the way
