"""The QGIS project of a run (``<region>.qgz``), loaded by real headless QGIS (Debian python3-qgis).

Oracles: QGIS's own reading of the project (``QgsProject.read``), the products' legends (the .qml's) and
the groups of the registry; the folder is moved first, so that only relative paths can work.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile

import pytest
from conftest import ROOT, needs_qgis

from scsmap.outputs.qgis_project import key_maps
from scsmap.products import PRODUCTS
from scsmap.products.registry import GROUPS, entry_legend


def test_the_run_writes_and_owns_its_qgis_project(demo_outputs):
    manifest = json.loads((demo_outputs / "manifest.json").read_text())
    assert "MKD.qgz" in manifest["files"]
    with zipfile.ZipFile(demo_outputs / "MKD.qgz") as z:
        assert z.namelist() == ["MKD.qgs"]
        qgs = z.read("MKD.qgs").decode("utf-8")
    assert qgs.startswith("<!DOCTYPE qgis")
    for e in manifest["products"]:
        assert f"<datasource>./{e['path']}</datasource>" in qgs  # relative: the folder can move
    assert str(demo_outputs) not in qgs


@pytest.mark.qgis
@needs_qgis
def test_qgis_loads_the_project_with_every_layer_styled_and_grouped(demo_outputs, tmp_path):
    moved = shutil.copytree(demo_outputs, tmp_path / "moved")
    manifest = json.loads((moved / "manifest.json").read_text())
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp_path)}
    png = tmp_path / "best_practice.png"
    proc = subprocess.run(
        [
            "/usr/bin/python3",
            str(ROOT / "scripts" / "qgis_check.py"),
            "--project",
            str(moved / "MKD.qgz"),
            "--render-project",
            str(png),
            "suitable practice with the highest",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    project = json.loads(proc.stdout.strip().splitlines()[-1])["project"]
    assert project["read"] and project["crs_valid"] and project["crs"] == "EPSG:4326"
    groups = project["groups"]
    assert [g["name"] for g in groups] == [
        g for g in GROUPS if any(PRODUCTS[e["id"]].group == g for e in manifest["products"])
    ]
    by_path = {e["path"]: e for e in manifest["products"]}
    layers = [lyr for g in groups for lyr in g["layers"]]
    assert len(layers) == len(manifest["products"])
    keys = key_maps(manifest)
    assert keys[:3] == ["soc_t0", "rate_best", "best_practice"] and keys[3].startswith("suitability_")
    for g in groups:
        for lyr in g["layers"]:
            assert lyr["valid"], lyr["path"]
            assert lyr["path"].startswith(str(moved)), lyr["path"]  # resolved from the project's folder
            e = by_path[os.path.basename(lyr["path"])]
            assert PRODUCTS[e["id"]].group == g["name"]
            assert lyr["visible"] == (e["id"] in keys), e["id"]
            leg = entry_legend(e, manifest)
            if leg.kind == "classes":
                assert lyr["renderer"] == "paletted", e["id"]
                assert {int(float(k)): v for k, v in lyr["classes"].items()} == leg.labels(), e["id"]
            else:
                assert lyr["renderer"] == "singlebandpseudocolor", e["id"]
                assert (lyr["min"], lyr["max"]) == pytest.approx((leg.min, leg.max)), e["id"]
            assert leg.units in lyr["name"] or leg.units == "class", lyr["name"]
        assert g["expanded"] == any(lyr["visible"] for lyr in g["layers"]), g["name"]
    assert project["renders"][0]["saved"] and png.stat().st_size > 10_000
