"""STAC of a run: the data's time (T0, the horizon as start/end), a licence link, the classification extension
for class maps."""

from __future__ import annotations

import json

import pystac
from helpers import demo_config_dict, dump_config

from scsmap.config import load_config
from scsmap.pipeline import run
from scsmap.products import PRODUCTS
from scsmap.products.styles import legend_for


def _run(tmp_path, **extra):
    raw = demo_config_dict()
    raw["outputs"] = {"products": ["soc_t0", "land_use", "target_4p1000"], **extra.pop("outputs", {})}
    raw.update(extra)
    return run(load_config(dump_config(raw, tmp_path / "stac.yaml")), out_dir=tmp_path / "out")


def test_items_carry_the_data_time_licence_and_classes(tmp_path):
    res = _run(
        tmp_path,
        parameters={"t0_year": 2015, "horizon_years": 30},
        outputs={"license": "CC-BY-4.0"},
    )
    stac = res.out_dir / "stac"
    coll = json.loads((stac / "collection.json").read_text())
    assert coll["license"] == "CC-BY-4.0"
    links = [ln for ln in coll["links"] if ln["rel"] == "license"]
    assert links and links[0]["href"] == "https://spdx.org/licenses/CC-BY-4.0.html"
    assert coll["extent"]["temporal"]["interval"][0][0].startswith("2015-01-01")
    assert coll["extent"]["temporal"]["interval"][0][1].startswith("2045-01-01")
    items = {i.id: i.to_dict() for i in pystac.Collection.from_file(str(stac / "collection.json")).get_items()}
    for pid, d in items.items():
        props = d["properties"]
        assert props["datetime"].startswith("2015-01-01"), pid
        assert props["start_datetime"].startswith("2015-01-01") and props["end_datetime"].startswith("2045-01-01")
        assert props["created"] and not props["created"].startswith("2015"), "processing time kept as `created`"
        classes = d["assets"]["data"].get("classification:classes")
        if PRODUCTS[pid].is_class_map:
            legend = legend_for(PRODUCTS[pid]).classes
            assert [c["value"] for c in classes] == [c for c, _, _ in legend]
            assert [c["description"] for c in classes] == [label for _, label, _ in legend]
            assert all(len(c["color_hint"]) == 6 for c in classes)
            assert any("/classification/" in x for x in d["stac_extensions"])
        else:
            assert classes is None, pid
    assert items["land_use"]["assets"]["data"]["classification:classes"][2]["description"] == "cropland"


def test_defaults_t0_2020_and_a_licence_url_for_other_terms(tmp_path):
    res = _run(tmp_path, outputs={"license": "other", "license_url": "https://example.org/terms.html"})
    coll = json.loads((res.out_dir / "stac" / "collection.json").read_text())
    assert coll["license"] == "other"
    assert [ln["href"] for ln in coll["links"] if ln["rel"] == "license"] == ["https://example.org/terms.html"]
    item = json.loads((res.out_dir / "stac" / "soc_t0" / "soc_t0.json").read_text())
    assert item["properties"]["datetime"].startswith("2020-01-01")
    assert item["properties"]["end_datetime"].startswith("2040-01-01")  # default horizon 20 years
