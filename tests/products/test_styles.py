"""QGIS styles: legends per family, a .qml next to every product, colour tables and categories in class maps.

The oracles are the literature ranges of the families (issue 15; scsmap/data/styles.yaml): SOC stocks
0..150 t C ha-1 (IPCC 2006 Table 2.3 SOC_REF up to 146 t C ha-1), rates -0.4..0.8 t C ha-1 yr-1 (GSOCseq
Technical Manual: typical management rates 0.2-0.8, ASR SSM1 from -0.4), saturation and uncertainty
0..100 %; the legend range rule's hand examples (2nd-98th percentiles widened to round steps); the
packaged land-use table; the QGIS tests open every demo product in real headless QGIS (Debian
python3-qgis, run with /usr/bin/python3) and read back what QGIS applied and drew.
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
from scsmap.products.registry import entry_legend
from scsmap.products.styles import (
    DATA_RESOLUTION,
    UNKNOWN_LABEL,
    bit_flag_classes,
    data_range,
    legend_for,
    nice_step,
    qml,
    ramp_stops,
    style_table,
)

FIXED = {"rate": (-0.4, 0.8), "stock": (0, 150), "saturation": (0, 100), "uncertainty": (0, 100)}


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


def test_rates_share_one_diverging_ramp_neutral_at_zero():
    rates = [p for p in PRODUCTS.values() if p.family == "rate"]
    assert len(rates) > 10 and {p.units for p in rates} == {"t ha-1 yr-1"}
    stops = {legend_for(p).stops for p in rates}
    assert len(stops) == 1
    zero = style_table()["families"]["rate"]["zero"]
    assert dict(stops.pop())[0.0] == zero


# --------------------------------------------------------------------------- the legend range rule (issue 15)


@pytest.mark.parametrize(
    "p2,p98,expected",
    [
        (42, 83, (40, 90)),  # MKD soc_t0: step 10 (spread 41 / 5 = 8.2 -> 10)
        (0, 0.32, (0, 0.35)),  # MKD rate_best: step 0.05
        (0, 0.05, (0, 0.05)),  # MKD asr_ssm1: step 0.01
        (-0.13, 0.41, (-0.2, 0.5)),  # both signs: step 0.1, 0 inside
        (0.17, 0.33, (0.15, 0.35)),  # all positive, away from 0: step 0.05
        (-3, -1, (-3, -1)),
        (1.46e-15, 0.3, (0, 0.3)),  # float noise at the low end: 0
        (0, 0, (0, 1)),  # a constant 0: one unit above
    ],
)
def test_data_range_by_hand(p2, p98, expected):
    lo, hi = data_range(p2, p98)
    assert (lo, hi) == pytest.approx(expected, abs=1e-12)
    assert lo <= min(p2, p98) and hi >= max(p2, p98)


def test_data_range_of_missing_percentiles_is_none():
    assert data_range(float("nan"), 1.0) is None


@pytest.mark.parametrize("span,steps,expected", [(41, 5, 10), (0.32, 5, 0.05), (1.2, 4, 0.25), (7, 5, 1), (0, 5, 1)])
def test_nice_step_by_hand(span, steps, expected):
    assert nice_step(span, steps) == pytest.approx(expected)


def test_diverging_ramps_keep_the_neutral_colour_at_zero():
    spec = style_table()["families"]["rate"]
    both = dict(ramp_stops(spec, -0.2, 0.5))
    assert both[0.0] == spec["zero"] and min(both) == -0.2 and max(both) == 0.5
    assert both[-0.2] == spec["negative"][0] and both[0.5] == spec["positive"][-1]
    gains = ramp_stops(spec, 0.0, 0.35)  # gains only: neutral at 0, then the gain colours
    assert gains[0] == (0.0, spec["zero"]) and {c for _, c in gains} <= {spec["zero"], *spec["positive"]}
    away = ramp_stops(spec, 0.15, 0.35)  # all above 0: no neutral colour (it would say "no change")
    assert {c for _, c in away} == set(spec["positive"])
    seq = style_table()["families"]["stock"]
    assert [c for _, c in ramp_stops(seq, 40, 90)] == seq["colours"]


def test_data_legend_follows_the_percentiles_and_keeps_the_fixed_range_without_them():
    rate = PRODUCTS["rate_best"]
    assert (
        legend_for(rate, "data", {"p2": 0.0, "p98": 0.32}).min,
        legend_for(rate, "data", {"p2": 0.0, "p98": 0.32}).max,
    ) == (
        0.0,
        0.35,
    )
    assert (legend_for(rate, "data", {}).min, legend_for(rate, "data", {}).max) == FIXED["rate"]
    assert (legend_for(rate, "fixed", {"p2": 0.0, "p98": 0.32}).min, legend_for(rate).max) == (-0.4, 0.8)
    # float noise around a constant (a stationary BAU's asr_bau, ±3e-15) keeps the fixed range
    noise = {"p2": -3e-15, "p98": 3e-15}
    assert 6e-15 < DATA_RESOLUTION * 1.2
    leg = legend_for(PRODUCTS["asr_bau"], "data", noise)
    assert (leg.min, leg.max) == FIXED["rate"]


def test_every_family_documents_its_default_range():
    for name, spec in style_table()["families"].items():
        lo, hi = spec["range"]
        assert lo < hi and spec.get("source"), name
        assert ("colours" in spec) != ("zero" in spec), name  # sequential or diverging


# --------------------------------------------------------------------------- classes


def test_unknown_is_a_neutral_grey_class_of_suitability_and_best_practice():
    grey = style_table()["unknown"]
    r, g, b = (int(grey[i : i + 2], 16) for i in (1, 3, 5))
    assert r == g == b  # neutral
    suit = legend_for(PRODUCTS["suitability_no_till"])
    assert suit.labels() == {0: "unsuitable", 1: "conditional", 2: "suitable", 3: UNKNOWN_LABEL}
    assert dict((c, col) for c, _, col in suit.classes)[3] == grey
    best = legend_for(PRODUCTS["best_practice"]).labels()
    assert best[0] == "no suitable practice" and best[254] == UNKNOWN_LABEL
    for pid in ("best_practice_net", "cheapest_practice"):
        assert legend_for(PRODUCTS[pid]).labels() == best


def test_reason_maps_have_one_colour_per_reason_and_list_the_reasons_that_occur():
    leg = legend_for(PRODUCTS["suitability_reason_no_till"])
    assert len(leg.classes) == 255  # every code 0..254 named (255 is nodata)
    single = {c: col for c, _, col in leg.classes if c and c & (c - 1) == 0}
    assert len(single) == 8 and len(set(single.values())) == 8  # one colour per reason
    several = {col for c, _, col in leg.classes if c & (c - 1)}
    assert len(several) == 1 and not several & set(single.values())
    assert leg.labels()[1] == "land use not eligible" and leg.labels()[65].startswith("several: ")
    shown = legend_for(PRODUCTS["suitability_reason_no_till"], present={0, 1, 64, 65, 97})
    assert [c for c, _, _ in shown.classes] == [0, 1, 64, 65, 97]
    assert [label for label, _, _ in shown.grouped()] == [
        "no restriction",
        "land use not eligible",
        "input missing or no table value",
        "several",
    ]
    qa = legend_for(PRODUCTS["gsocseq_qa"])
    assert len(qa.classes) == 64 and qa.cf_flags()["flag_masks"] == "1 2 4 8 16 32"


def test_bit_flag_classes_by_hand():
    classes = dict((c, (label, col)) for c, label, col in bit_flag_classes(["a", "b"], "ok", ["#111111", "#222222"]))
    assert classes[0][0] == "ok" and classes[1] == ("a", "#111111") and classes[2] == ("b", "#222222")
    assert classes[3][0] == "several: a, b"


def test_cf_flags_of_class_maps():
    flags = legend_for(PRODUCTS["suitability_no_till"]).cf_flags()
    assert flags == {
        "flag_values": "0 1 2 3",
        "flag_meanings": "unsuitable conditional suitable unknown_an_input_is_missing",
    }
    reasons = legend_for(PRODUCTS["suitability_reason_no_till"]).cf_flags()
    assert reasons["flag_masks"] == "1 2 4 8 16 32 64 128" and len(reasons["flag_meanings"].split()) == 8


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
        assert side.read_text(encoding="utf-8") == qml(entry_legend(e, manifest))
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
        leg = entry_legend(e, manifest)
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


@pytest.mark.qgis
@needs_qgis
def test_qgis_draws_every_continuous_product_with_a_spread_of_colours(demo_outputs, tmp_path):
    """Issue 15: headless QGIS draws each continuous demo product with its .qml; where the data spread
    (no value on half the pixels, an interquartile range of at least a fifth of the 2nd-98th percentile
    range), the drawn valid area spreads over the colours: no colour bin holds more than 60 % of it and
    at least 5 bins hold 1 % each. The fixed -1..3 rate ramp drew asr_ssm1 (0.015-0.064) in one colour."""
    import numpy as np
    from PIL import Image

    manifest = json.loads((demo_outputs / "manifest.json").read_text())
    spread = []
    for e in manifest["products"]:
        if e["dtype"] == "uint8" or "percentile" not in entry_legend(e, manifest).range_note:
            continue  # class maps; maps the data do not resolve (a stationary BAU's asr_bau: 0 ± 3e-15)
        with rasterio.open(demo_outputs / e["path"]) as ds:
            v = ds.read(1, masked=True).compressed().astype("f8")
        _, counts = np.unique(v, return_counts=True)
        p2, q25, q75, p98 = np.percentile(v, [2, 25, 75, 98])
        if counts.max() < 0.5 * v.size and q75 - q25 >= 0.2 * (p98 - p2) > 0:
            spread.append(e)
    ids = {e["id"] for e in spread}
    assert len(spread) >= 30 and {"soc_t0", "asr_ssm1", "rsr_ssm1", "rate_best", "saturation_ratio"} <= ids
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp_path)}
    proc = subprocess.run(
        [
            "/usr/bin/python3",
            str(ROOT / "scripts" / "qgis_check.py"),
            "--render-dir",
            str(tmp_path),
            *[str(demo_outputs / e["path"]) for e in spread],
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    for e in spread:
        img = np.asarray(Image.open(tmp_path / f"{e['id']}.png").convert("RGB")).reshape(-1, 3)
        valid = img[~((img[:, 0] == 255) & (img[:, 1] == 0) & (img[:, 2] == 255))] // 32  # magenta = nodata
        _, bins = np.unique(valid, axis=0, return_counts=True)
        share, used = bins.max() / bins.sum(), int((bins >= 0.01 * bins.sum()).sum())
        assert share <= 0.6 and used >= 5, (e["id"], round(float(share), 2), used)
