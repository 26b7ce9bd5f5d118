"""Open rasters in headless QGIS and report the style QGIS applied to each (JSON on stdout).

Runs under the Python that has QGIS's bindings (Debian: ``/usr/bin/python3`` with
``python3-qgis``), not in scsmap's virtual environment; it imports nothing from scsmap.

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 scripts/qgis_check.py OUT/*.tif [--render PNG LAYER.tif]
    ... scripts/qgis_check.py --render-dir DIR OUT/*.tif
    ... scripts/qgis_check.py --project OUT/<region>.qgz [--render-project PNG LAYER_NAME_START ...]

For each raster: whether QGIS loaded it, the renderer type, the colour ramp shader's
min/max (pseudocolour) or the class labels (paletted). QGIS loads the ``.qml`` with the
raster's base name by itself, as when a user drags the file into QGIS. ``--render``
also draws LAYER.tif (with its style) into a PNG, as QGIS's map canvas would;
``--render-dir`` draws every raster into DIR/<name>.png on a magenta background (#ff00ff,
a colour no legend uses) so that the valid area can be told from nodata.

``--project`` reads a QGIS project as QGIS does (relative paths resolved from the project's
folder) and reports its CRS, its groups (expanded or not) and each layer's name, source,
visibility, validity and style; ``--render-project PNG NAME`` draws the project's layer whose
name starts with NAME, in the project's style.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import QgsApplication, QgsMapRendererParallelJob, QgsMapSettings, QgsRasterLayer  # noqa: E402
from qgis.PyQt.QtCore import QSize  # noqa: E402
from qgis.PyQt.QtGui import QColor  # noqa: E402


def describe(path: str) -> dict:
    layer = QgsRasterLayer(path, os.path.basename(path))
    out = {"path": path, "valid": layer.isValid()}
    if not layer.isValid():
        return out
    r = layer.renderer()
    out["renderer"] = r.type()
    if r.type() == "singlebandpseudocolor":
        fn = r.shader().rasterShaderFunction()
        out["min"] = fn.minimumValue()
        out["max"] = fn.maximumValue()
        out["ramp"] = [[i.value, i.color.name()] for i in fn.colorRampItemList()]
    elif r.type() == "paletted":
        out["classes"] = {str(c.value): c.label for c in r.classes()}
        out["colors"] = {str(c.value): c.color.name() for c in r.classes()}
    return out


def describe_layer(layer) -> dict:
    out = {"path": layer.source(), "name": layer.name(), "valid": layer.isValid()}
    if not layer.isValid():
        return out
    r = layer.renderer()
    out["renderer"] = r.type()
    if r.type() == "singlebandpseudocolor":
        fn = r.shader().rasterShaderFunction()
        out["min"] = fn.minimumValue()
        out["max"] = fn.maximumValue()
        out["ramp"] = [[i.value, i.color.name()] for i in fn.colorRampItemList()]
    elif r.type() == "paletted":
        out["classes"] = {str(c.value): c.label for c in r.classes()}
        out["colors"] = {str(c.value): c.color.name() for c in r.classes()}
    return out


def project(path: str, renders: list[tuple[str, str]]) -> dict:
    from qgis.core import QgsProject

    proj = QgsProject.instance()
    ok = proj.read(path)
    out = {"read": bool(ok), "crs": proj.crs().authid(), "crs_valid": proj.crs().isValid(), "groups": []}
    for group in proj.layerTreeRoot().children():
        layers = []
        for node in group.findLayers():
            d = describe_layer(node.layer())
            d["visible"] = bool(node.isVisible())
            layers.append(d)
        out["groups"].append({"name": group.name(), "expanded": bool(group.isExpanded()), "layers": layers})
    out["renders"] = []
    for png, name in renders:
        layer = next(lyr for lyr in proj.mapLayers().values() if lyr.name().startswith(name))
        out["renders"].append(draw(layer, png))
    return out


def draw(layer, png: str, size: int = 900, background=(255, 255, 255)) -> dict:
    ext = layer.extent()
    ratio = ext.height() / ext.width() if ext.width() else 1.0
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(layer.crs())
    settings.setExtent(ext)
    settings.setBackgroundColor(QColor(*background))
    settings.setOutputSize(QSize(size, max(1, int(size * ratio))))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    img = job.renderedImage()
    ok = img.save(png, "png")
    return {"render": png, "saved": bool(ok), "width": img.width(), "height": img.height()}


def render(path: str, png: str, size: int = 900) -> dict:
    layer = QgsRasterLayer(path, os.path.basename(path))
    ext = layer.extent()
    ratio = ext.height() / ext.width() if ext.width() else 1.0
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(layer.crs())
    settings.setExtent(ext)
    settings.setBackgroundColor(QColor(255, 255, 255))
    settings.setOutputSize(QSize(size, max(1, int(size * ratio))))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    img = job.renderedImage()
    ok = img.save(png, "png")
    return {"render": png, "saved": bool(ok), "width": img.width(), "height": img.height()}


def main(argv: list[str]) -> int:
    render_args = None
    if "--render" in argv:
        i = argv.index("--render")
        render_args = argv[i + 1 : i + 3]
        argv = argv[:i] + argv[i + 3 :]
    render_dir = None
    if "--render-dir" in argv:
        i = argv.index("--render-dir")
        render_dir = argv[i + 1]
        argv = argv[:i] + argv[i + 2 :]
    project_path, project_renders = None, []
    while "--render-project" in argv:
        i = argv.index("--render-project")
        project_renders.append((argv[i + 1], argv[i + 2]))
        argv = argv[:i] + argv[i + 3 :]
    if "--project" in argv:
        i = argv.index("--project")
        project_path = argv[i + 1]
        argv = argv[:i] + argv[i + 2 :]
    app = QgsApplication([], False)
    app.initQgis()
    try:
        result = {
            "qgis_version": __import__("qgis.core", fromlist=["Qgis"]).Qgis.QGIS_VERSION,
            "layers": [describe(p) for p in argv],
        }
        if render_args:
            result.update(render(render_args[1], render_args[0]))
        if render_dir:
            result["rendered"] = [
                draw(
                    QgsRasterLayer(p, os.path.basename(p)),
                    os.path.join(render_dir, os.path.splitext(os.path.basename(p))[0] + ".png"),
                    400,
                    (255, 0, 255),
                )
                for p in argv
            ]
        if project_path:
            result["project"] = project(project_path, project_renders)
        print(json.dumps(result))
    finally:
        app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
