"""Class names inside and beside the class GeoTIFFs: GDAL category names and attribute table, CF flags.

Oracles: GDAL itself (``gdalinfo -json`` of Debian's gdal-bin, a GDAL other than the one rasterio bundles)
reads the names back; the labels are those of the products' legends, the same as in the .qml and the report.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from scsmap.io.write import categories_path, write_categories
from scsmap.products import PRODUCTS
from scsmap.products.styles import legend_for

GDALINFO = shutil.which("gdalinfo")
needs_gdalinfo = pytest.mark.skipif(GDALINFO is None, reason="gdalinfo not found (Debian: apt-get install gdal-bin)")


def _gdalinfo(path) -> dict:
    return json.loads(subprocess.run([GDALINFO, "-json", str(path)], capture_output=True, text=True, check=True).stdout)


def _class_tif(path, values):
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=values.shape[1],
        height=values.shape[0],
        count=1,
        dtype="uint8",
        nodata=255,
        crs="EPSG:4326",
        transform=from_origin(20, 42, 0.01, 0.01),
    ) as ds:
        ds.write(values, 1)
    return path


@needs_gdalinfo
def test_gdal_reads_the_category_names_and_the_attribute_table(tmp_path):
    tif = _class_tif(tmp_path / "suit.tif", np.array([[0, 2], [3, 3]], dtype="uint8"))
    classes = legend_for(PRODUCTS["suitability_no_till"]).classes
    side = write_categories(tif, classes, {0: 1, 2: 1, 3: 2})
    assert side == categories_path(tif) == tmp_path / "suit.tif.aux.xml"
    info = _gdalinfo(tif)
    assert info["bands"][0]["categories"] == ["unsuitable", "conditional", "suitable", "unknown (an input is missing)"]
    rat = info["rat"]
    names = [f["name"] for f in rat["fieldDefn"]]
    assert names[:3] == ["Value", "Count", "Class"]
    rows = [r["f"][:3] for r in rat["row"]]
    assert rows == [[0, 1, "unsuitable"], [2, 1, "suitable"], [3, 2, "unknown (an input is missing)"]]  # as counted


@needs_gdalinfo
def test_every_demo_class_map_names_its_classes(demo_outputs):
    """gdalinfo -json of each class GeoTIFF: category names = the legend's labels (the .qml's, the report's),
    a RAT of the classes present with their pixel counts, and the CF flags as band metadata."""
    manifest = json.loads((demo_outputs / "manifest.json").read_text())
    class_maps = [e for e in manifest["products"] if e["dtype"] == "uint8"]
    assert len(class_maps) >= 28
    for e in class_maps:
        legend = legend_for(PRODUCTS[e["id"]])
        info = _gdalinfo(demo_outputs / e["path"])
        cats = info["bands"][0]["categories"]
        for code, label, _ in legend.classes:
            assert cats[code] == label, (e["id"], code)
        counts = {int(k): v for k, v in e["class_pixels"].items()}
        rat = {r["f"][0]: (r["f"][1], r["f"][2]) for r in info["rat"]["row"]}
        assert rat == {c: (counts[c], legend.labels()[c]) for c in counts}, e["id"]
        meta = info["bands"][0]["metadata"][""]
        flags = legend.cf_flags()
        assert meta["flag_meanings"] == flags["flag_meanings"], e["id"]
        assert meta.get("flag_values", meta.get("flag_masks")) == flags.get("flag_values", flags.get("flag_masks"))
    assert all(categories_path(e["path"]).name in manifest["files"] for e in class_maps)
