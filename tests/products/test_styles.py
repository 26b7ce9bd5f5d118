"""QGIS styles: one fixed legend per family, a .qml next to every product, colour tables in class maps.

The oracles are the issue's fixed legends (rates -1..3 t C ha-1 yr-1, stocks 0..200 t C ha-1,
ratios 0..100 %) and the packaged land-use table; the QGIS test opens every demo product in
real headless QGIS (Debian python3-qgis, run with /usr/bin/python3) and reads back what QGIS applied.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import xml.etree.ElementTree as ET

import pandas as pd
import pytest
import rasterio
from conftest import ROOT, needs_qgis

from scsmap.products import PRODUCTS
from scsmap.products.styles import legend_for, qml

FIXED = {"rate": (-1, 3), "stock": (0, 200), "ratio": (0, 100)}


def _land_use_csv() -> dict[int, tuple[str, str]]:
    df = pd.read_csv(ROOT / "scsmap" / "data" / "land_use_classes.csv")
    return {int(r.code): (r.name, r.color) for r in df.itertuples()}


@pytest.mark.parametrize("pid", list(PRODUCTS))
def test_every_product_has_a_valid_qml(pid):
    p = PRODUCTS[pid]
    root = ET.fromstring(qml(legend_for(p)).split("\n", 1)[1])
    r = root.find("pipe/rasterrenderer")
    if p.is_class_map:
        assert r.get("type") == "paletted"
        assert len(r.findall("colorPalette/paletteEntry")) >= 2
    else:
        assert r.get("type") == "singlebandpseudocolor"
        shader = r.find("rastershader/colorrampshader")
        lo, hi = float(shader.get("minimumValue")), float(shader.get("maximumValue"))
        assert lo < hi
        if p.family in FIXED:
            assert (lo, hi) == FIXED[p.family], pid


def test_rates_share_one_diverging_ramp_white_at_zero():
    rates = [p for p in PRODUCTS.values() if p.units == "t ha-1 yr-1"]
    assert len(rates) > 10
    stops = {legend_for(p).stops for p in rates}
    assert len(stops) == 1
    assert dict(stops.pop())[0.0] == "#f7f7f7"


def test_land_use_legend_is_the_packaged_table():
    leg = legend_for(PRODUCTS["land_use"])
    assert {c: (label, colour) for c, label, colour in leg.classes} == _land_use_csv()


def test_generic_products_get_a_legend_from_units_or_valid_range():
    """Products added later (other issues) are styled from their metadata alone."""
    base = PRODUCTS["soc_t0"]
    years = dataclasses.replace(base, id="years_to_x", family="duration", units="yr", valid_range=(0, 500))
    assert (legend_for(years).min, legend_for(years).max) == (0, 200)
    odd = dataclasses.replace(base, id="odd", family="index", units="1", valid_range=(0.0, 5.0))
    assert (legend_for(odd).min, legend_for(odd).max) == (0.0, 5.0)
    cls = dataclasses.replace(
        base,
        id="suitability_x",
        family="suitability",
        units="class",
        dtype="uint8",
        valid_range=(0, 2),
        class_labels=None,
    )
    leg = legend_for(cls)
    assert [c for c, _, _ in leg.classes] == [0, 1, 2]
    labelled = dataclasses.replace(cls, class_labels=lambda: [(0, "unsuitable", "#ff0000"), (1, "suitable", "#00ff00")])
    assert legend_for(labelled).labels() == {0: "unsuitable", 1: "suitable"}


def test_every_demo_product_has_its_qml_and_class_maps_their_colour_table(demo_outputs):
    manifest = json.loads((demo_outputs / "manifest.json").read_text())
    for e in manifest["products"]:
        tif = demo_outputs / e["path"]
        side = tif.with_suffix(".qml")
        assert side.is_file(), e["id"]
        assert side.read_text(encoding="utf-8") == qml(legend_for(PRODUCTS[e["id"]]))
        if e["dtype"] == "uint8":
            with rasterio.open(tif) as ds:
                cmap = ds.colormap(1)
            for code, _, colour in legend_for(PRODUCTS[e["id"]]).classes:
                assert "#{:02x}{:02x}{:02x}".format(*cmap[code][:3]) == colour.lower(), (e["id"], code)


@pytest.mark.qgis
@needs_qgis
def test_qgis_applies_the_styles(demo_outputs, tmp_path):
    """Real headless QGIS opens every product and applies its .qml: renderer, min/max, class labels."""
    manifest = json.loads((demo_outputs / "manifest.json").read_text())
    tifs = [str(demo_outputs / e["path"]) for e in manifest["products"]]
    png = tmp_path / "qgis.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp_path)}
    proc = subprocess.run(
        [
            "/usr/bin/python3",
            str(ROOT / "scripts" / "qgis_check.py"),
            *tifs,
            "--render",
            str(png),
            str(demo_outputs / "soc_t0.tif"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(res["layers"]) == len(manifest["products"])
    for e, layer in zip(manifest["products"], res["layers"]):
        p = PRODUCTS[e["id"]]
        leg = legend_for(p)
        assert layer["valid"], e["id"]
        if p.is_class_map:
            assert layer["renderer"] == "paletted", e["id"]
            assert {int(float(k)): v for k, v in layer["classes"].items()} == leg.labels(), e["id"]
        else:
            assert layer["renderer"] == "singlebandpseudocolor", e["id"]
            assert (layer["min"], layer["max"]) == (leg.min, leg.max), e["id"]
            assert [tuple(x) for x in layer["ramp"]] == [(v, c) for v, c in leg.stops], e["id"]
    assert res["saved"] and png.stat().st_size > 10_000


@pytest.mark.qgis
@needs_qgis
def test_qgis_applies_the_style_of_every_registry_product(tmp_path):
    """Every product of the registry (also those no demo run writes), as a small file with its .qml."""
    import numpy as np
    from rasterio.transform import from_origin

    from scsmap.products.styles import write_qml

    tifs = []
    for pid, p in PRODUCTS.items():
        path = tmp_path / f"{pid}.tif"
        with rasterio.open(
            path,
            "w",
            driver="GTiff",
            width=4,
            height=4,
            count=1,
            dtype=p.dtype,
            nodata=p.nodata,
            crs="EPSG:4326",
            transform=from_origin(20, 42, 0.01, 0.01),
        ) as ds:
            ds.write(np.ones((1, 4, 4), dtype=p.dtype))
        write_qml(legend_for(p), path)
        tifs.append(str(path))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp_path)}
    proc = subprocess.run(
        ["/usr/bin/python3", str(ROOT / "scripts" / "qgis_check.py"), *tifs],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    layers = json.loads(proc.stdout.strip().splitlines()[-1])["layers"]
    for p, layer in zip(PRODUCTS.values(), layers):
        leg = legend_for(p)
        if p.is_class_map:
            assert layer["renderer"] == "paletted" and len(layer["classes"]) == len(leg.classes), p.id
        else:
            assert layer["renderer"] == "singlebandpseudocolor", p.id
            assert (layer["min"], layer["max"]) == (leg.min, leg.max), p.id
