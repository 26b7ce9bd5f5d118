"""The region report, the STAC catalogue and the incremental Make pipeline, on the demo run.

The report is checked as HTML (every section, every product, every image file present) and,
where Debian's chromium is installed (CI installs it), rendered in headless Chromium: the
screenshot must not be blank and every image must have loaded.
"""

from __future__ import annotations

import hashlib
import html
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


SECTIONS = ("brief", "summary", "practices", "units", "maps", "statistics", "qa", "alignment", "config", "checksums")


def _html(out: Path) -> str:
    return (out / "report.html").read_text(encoding="utf-8")


def _cards(html: str) -> dict[str, str]:
    """The HTML of each map card of the annex, by product id."""
    parts = re.split(r'<div class="map" id="map-', html)[1:]
    return {p.split('"', 1)[0]: p for p in parts}


def _decode(uri: str):
    import base64
    import io

    import numpy as np
    from PIL import Image

    assert uri.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("RGBA"))


def test_report_has_every_section_and_product(demo_outputs):
    html = _html(demo_outputs)
    for section in (*SECTIONS, "versions", "methods"):
        assert f'id="{section}"' in html, section
    m = _manifest(demo_outputs)
    cards = _cards(html)
    assert set(cards) == {e["id"] for e in m["products"]}
    for e in m["products"]:
        assert e["sha256"] in html
    assert "Σ(rate × area) / Σ(0.004 × T0 × area)" in html
    assert "esa_cci_to_fao" in html  # config echo
    assert "exactextract" in html  # versions
    assert 'href="#brief"' in html and 'href="#methods"' in html  # navigation
    assert "@media print" in html and "break-before: page" in html  # print style sheet


def test_report_is_one_self_contained_file(demo_outputs):
    """Every image is a data: URI: the report e-mailed alone shows every map (issue 15: 131 PNG files)."""
    html = _html(demo_outputs)
    srcs = re.findall(r'<img src="([^"]+)"', html)
    m = _manifest(demo_outputs)
    keys = re.findall(r'<div class="keymap" id="key-([^"]+)"', html)
    assert keys == ["soc_t0", "rate_best", "best_practice", keys[3]] and keys[3].startswith("suitability_")
    assert len(srcs) == len(m["products"]) + len(keys) + bool(m["summary"].get("abatement_curve"))
    assert all(s.startswith("data:image/png;base64,") for s in srcs)
    assert not re.search(r'(src|href)="(?!data:|#|https?:)[^"]+"', html)  # no link to a file beside it
    assert not (demo_outputs / "quicklooks").exists()


def test_report_images_use_the_legend_colours(demo_outputs):
    import numpy as np

    from scsmap.products import PRODUCTS
    from scsmap.products.styles import legend_for

    card = _cards(_html(demo_outputs))["land_use"]
    img = _decode(re.search(r'<img src="([^"]+)"', card).group(1))
    colours = {tuple(int(v) for v in px[:3]) for px in img.reshape(-1, 4) if px[3] > 0}
    legend = {tuple(int(h[i : i + 2], 16) for i in (1, 3, 5)) for _, _, h in legend_for(PRODUCTS["land_use"]).classes}
    assert colours and colours <= legend
    assert np.any(img[..., 3] == 0)  # nodata transparent


def test_every_class_card_shows_its_classes(demo_outputs):
    """Issue 15: class legends vanished from 31 of 32 class cards (loop.index of the outer loop in a filter).
    Every class card lists the classes that occur in its map, with their colours; a bit-flag map each reason
    once and "several" for the combinations; every ramp card its ramp and ticks."""
    from scsmap.products.registry import entry_legend

    m = _manifest(demo_outputs)
    cards = _cards(_html(demo_outputs))
    n_class = 0
    for e in m["products"]:
        card = cards[e["id"]]
        legend = entry_legend(e, m)
        if legend.kind == "classes":
            n_class += 1
            shown = legend.only({int(k) for k in e["class_pixels"]})
            entries = re.findall(r'<span class="swatch" style="background: (#[0-9a-f]{6})"></span>([^<]+)</div>', card)
            expected = (
                [(col, label) for label, col, _ in shown.grouped()]
                if legend.bits
                else [(col, f"{code} {label}") for code, label, col in shown.classes]
            )
            assert [(c, html.unescape(t)) for c, t in entries] == expected, e["id"]
            assert entries, e["id"]
        else:
            assert 'class="ramp"' in card and 'class="ticks"' in card, e["id"]
    assert n_class >= 28


def test_the_brief_prints_the_consoles_numbers(demo_outputs):
    """One number for one quantity: the brief shows the figures of products.summary.brief, which the console
    prints, with the same digits and units; the region row of stats.csv gives the same totals."""
    import pandas as pd

    from scsmap.products.summary import brief

    m = _manifest(demo_outputs)
    html = _html(demo_outputs)
    figures = brief(m["summary"])
    assert {f.key for f in figures} >= {"soc_stock_total", "target_4p1000", "rate_best", "net_ghg_best"}
    for f in figures:
        assert html.count(html_escape(f.text)) >= 1, f.text
    stats = pd.read_csv(demo_outputs / "stats.csv")
    region = stats[(stats.zone_set == "region") & stats.group_by.isna()].set_index("product")
    assert f"{region.loc['soc_t0', 'total']:,.2f} Mt C" == next(f.text for f in figures if f.key == "soc_stock_total")
    assert region.loc["rate_best", "units"] == "t C ha-1 yr-1"  # units as people read them, as in the report
    assert "1.46e-15" not in html and not re.search(r">-?\d\.\d+e-\d+<", html)  # no float noise in tables


def html_escape(text: str) -> str:
    import html as _html

    return _html.escape(text, quote=False)


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
        [CHROMIUM, *flags, "--window-size=1280,900", f"--screenshot={shot}", url],
        capture_output=True,
        timeout=120,
        check=True,
    )
    import matplotlib.pyplot as plt

    img = plt.imread(shot)[..., :3]
    assert img.shape[0] >= 800 and img.std() > 0.05  # not blank
    assert (img.min(axis=2) < 0.9).mean() > 0.05  # a real share of non-white pixels (maps, text)
    # the first screen holds the key maps: their colours, not only text (soc_t0's orange-brown ramp)
    lower = img[450:, :, :]
    assert ((lower[..., 0] > 0.8) & (lower[..., 2] < 0.4)).mean() > 0.02
    dom = subprocess.run(
        [CHROMIUM, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    n = int(re.search(r'data-images="(\d+)"', dom).group(1))
    loaded = int(re.search(r'data-images-loaded="(\d+)"', dom).group(1))
    m = _manifest(demo_outputs)
    assert n >= len(m["products"]) + 4 and loaded == n


@pytest.mark.browser
@needs_chromium
def test_report_pdf(tmp_path, demo_outputs):
    """``scsmap report --pdf`` prints the report to report.pdf (headless Chromium, print style sheet)."""
    from click.testing import CliRunner

    from scsmap.cli import main

    out = shutil.copytree(demo_outputs, tmp_path / "out")
    result = CliRunner().invoke(
        main, ["report", str(CONFIGS / "regions" / "demo.yaml"), "--out", str(out), "--pdf", "-q"]
    )
    assert result.exit_code == 0, result.output
    pdf = (out / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 200_000
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") >= 5  # the brief, then the annex's sections


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
    # one process brings maps, statistics and report up to date (scsmap build), then the deps, then the summary
    commands = [line.split()[1] for line in dry.splitlines() if "/scsmap " in line]
    assert commands == ["build", "inputs", "summary"], dry


def test_report_of_a_run_without_stocks_or_rates(tmp_path):
    """A region that writes no SOC stock (so no summary figures, no 4 per 1000 share) still gets a report."""
    from scsmap.config import load_config
    from scsmap.outputs.report import write_report
    from scsmap.pipeline import run

    cfg = load_config(CONFIGS / "regions" / "demo.yaml", overrides={"outputs.products": ["land_use", "mat"]})
    run(cfg, out_dir=tmp_path)
    html = write_report(cfg, tmp_path).read_text(encoding="utf-8")
    assert set(_cards(html)) == {"mat", "land_use"}
    assert (tmp_path / "stats.csv").is_file()  # computed on the way
