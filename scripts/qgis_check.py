"""Open rasters in headless QGIS and report the style QGIS applied to each (JSON on stdout).

Runs under the Python that has QGIS's bindings (Debian: ``/usr/bin/python3`` with
``python3-qgis``), not in scsmap's virtual environment; it imports nothing from scsmap.

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 scripts/qgis_check.py OUT/*.tif [--render PNG LAYER.tif]

For each raster: whether QGIS loaded it, the renderer type, the colour ramp shader's
min/max (pseudocolour) or the class labels (paletted). QGIS loads the ``.qml`` with the
raster's base name by itself, as when a user drags the file into QGIS. ``--render``
also draws LAYER.tif (with its style) into a PNG, as QGIS's map canvas would.
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
    app = QgsApplication([], False)
    app.initQgis()
    try:
        result = {
            "qgis_version": __import__("qgis.core", fromlist=["Qgis"]).Qgis.QGIS_VERSION,
            "layers": [describe(p) for p in argv],
        }
        if render_args:
            result.update(render(render_args[1], render_args[0]))
        print(json.dumps(result))
    finally:
        app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
