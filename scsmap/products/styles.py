"""Fixed legends per product family and the QGIS styles (``.qml`` sidecars) made from them.

Every product gets one :class:`Legend`, chosen from its registry metadata only: class
maps (``uint8``) get their class labels and colours (``Product.class_labels``, or
numbered classes), continuous maps the ramp of their ``family`` in
``scsmap/data/styles.yaml`` (or of their units, or a ramp over their valid range).
The same legend styles the ``.qml`` written next to each GeoTIFF, the colour table
embedded in class maps and the report's quick-looks, so a map looks the same in
QGIS, in the report and in every region.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..io.tables import style_table
from ..io.write import hex_to_rgba, write_text


class Styled(Protocol):
    """What a legend is made from: a product's registry metadata (:class:`scsmap.products.Product`)."""

    long_name: str
    units: str
    family: str
    valid_range: tuple[float, float] | None

    @property
    def is_class_map(self) -> bool: ...

    @property
    def class_labels(self) -> Callable[[], list[tuple[int, str, str]]] | None: ...


#: QGIS version written into the .qml files (styles load in QGIS >= 3.16)
QGIS_STYLE_VERSION = "3.22.16-Białowieża"


@dataclass(frozen=True)
class Legend:
    """A fixed legend: a colour ramp over values, or a list of classes.

    Attributes
    ----------
    kind : {"ramp", "classes"}
    title : str
        Product long name.
    units : str
    stops : tuple of (float, str)
        Ramp: ascending values and ``#rrggbb`` colours, interpolated linearly;
        values beyond the ends take the end colours.
    classes : tuple of (int, str, str)
        Class maps: code, label, ``#rrggbb`` colour.
    """

    kind: str
    title: str
    units: str
    stops: tuple[tuple[float, str], ...] = ()
    classes: tuple[tuple[int, str, str], ...] = ()

    @property
    def min(self) -> float:
        return self.stops[0][0] if self.kind == "ramp" else min(c[0] for c in self.classes)

    @property
    def max(self) -> float:
        return self.stops[-1][0] if self.kind == "ramp" else max(c[0] for c in self.classes)

    def labels(self) -> dict[int, str]:
        """Class code → label (empty for ramps)."""
        return {c: label for c, label, _ in self.classes}

    def colormap(self) -> dict[int, tuple[int, int, int, int]]:
        """GDAL colour table of a class map: code → (r, g, b, 255)."""
        return {c: hex_to_rgba(colour) for c, _, colour in self.classes}


def bit_flag_classes(bits: Sequence[str], ok_label: str = "passes") -> list[tuple[int, str, str]]:
    """Classes of a bit-flag map: 0 = ``ok_label`` (green), every other code lists its set bits.

    Parameters
    ----------
    bits : sequence of str
        Name of bit 0, bit 1, ... (at most 8).

    Returns
    -------
    list of (code, label, colour)
        ``2**len(bits)`` classes; the more bits set, the darker the red.
    """
    reds = ["#fee0d2", "#fcbba1", "#fc9272", "#fb6a4a", "#ef3b2c", "#cb181d", "#a50f15", "#67000d"]
    out = [(0, ok_label, "#1a9850")]
    for code in range(1, 2 ** len(bits)):
        names = [b for i, b in enumerate(bits) if code & (1 << i)]
        out.append((code, "fails: " + ", ".join(names), reds[min(len(names), len(reds)) - 1]))
    return out


def numbered_classes(lo: int, hi: int) -> list[tuple[int, str, str]]:
    """Classes ``lo..hi`` labelled by their code, in the packaged qualitative colours."""
    q = style_table()["qualitative"]
    return [(c, str(c), q[i % len(q)]) for i, c in enumerate(range(int(lo), int(hi) + 1))]


def legend_for(product: Styled) -> Legend:
    """The fixed legend of a product, from its registry metadata only.

    Class maps (``dtype uint8``) use ``product.class_labels()`` when the product has one,
    else classes numbered over its valid range. Continuous maps use the ramp of their
    ``family`` in ``styles.yaml``, else the ramp of the family of their ``units``, else the
    default ramp stretched over their ``valid_range``.
    """
    if product.is_class_map:
        hook = getattr(product, "class_labels", None)
        if hook is not None:
            classes = [(int(c), str(label), str(colour)) for c, label, colour in hook()]
        else:
            lo, hi = product.valid_range or (0, 254)
            classes = numbered_classes(lo, hi)
        return Legend("classes", product.long_name, product.units, classes=tuple(classes))
    table = style_table()
    family = product.family if product.family in table["families"] else table["units"].get(product.units)
    if family is not None:
        stops = table["families"][family]["stops"]
    else:
        lo, hi = product.valid_range or (0.0, 1.0)
        stops = [[lo + f * (hi - lo), c] for f, c in table["default"]["stops"]]
    return Legend("ramp", product.long_name, product.units, stops=tuple((float(v), str(c)) for v, c in stops))


def _num(v: float) -> str:
    return f"{v:g}"


def qml(legend: Legend) -> str:
    """A QGIS raster layer style (``.qml``) for a legend.

    Ramps become a ``singlebandpseudocolor`` renderer with an interpolated colour ramp
    shader whose min/max are the legend's fixed ends (never the layer's own statistics);
    class maps a ``paletted`` renderer with one labelled entry per class.
    """
    root = ET.Element(
        "qgis",
        version=QGIS_STYLE_VERSION,
        styleCategories="AllStyleCategories",
        hasScaleBasedVisibilityFlag="0",
        minScale="1e+08",
        maxScale="0",
    )
    pipe = ET.SubElement(root, "pipe")
    provider = ET.SubElement(pipe, "provider")
    ET.SubElement(
        provider,
        "resampling",
        enabled="false",
        maxOversampling="2",
        zoomedInResamplingMethod="nearestNeighbour",
        zoomedOutResamplingMethod="nearestNeighbour",
    )
    if legend.kind == "ramp":
        r = ET.SubElement(
            pipe,
            "rasterrenderer",
            type="singlebandpseudocolor",
            band="1",
            opacity="1",
            alphaBand="-1",
            nodataColor="",
            classificationMin=_num(legend.min),
            classificationMax=_num(legend.max),
        )
        ET.SubElement(r, "rasterTransparency")
        mmo = ET.SubElement(r, "minMaxOrigin")
        for tag, text in (
            ("limits", "None"),
            ("extent", "WholeRaster"),
            ("statAccuracy", "Estimated"),
            ("cumulativeCutLower", "0.02"),
            ("cumulativeCutUpper", "0.98"),
            ("stdDevFactor", "2"),
        ):
            ET.SubElement(mmo, tag).text = text
        shader = ET.SubElement(
            ET.SubElement(r, "rastershader"),
            "colorrampshader",
            colorRampType="INTERPOLATED",
            classificationMode="1",
            clip="0",
            minimumValue=_num(legend.min),
            maximumValue=_num(legend.max),
            labelPrecision="2",
        )
        for v, colour in legend.stops:
            ET.SubElement(shader, "item", alpha="255", value=_num(v), color=colour, label=_num(v))
    else:
        r = ET.SubElement(
            pipe, "rasterrenderer", type="paletted", band="1", opacity="1", alphaBand="-1", nodataColor=""
        )
        ET.SubElement(r, "rasterTransparency")
        mmo = ET.SubElement(r, "minMaxOrigin")
        for tag, text in (("limits", "None"), ("extent", "WholeRaster"), ("statAccuracy", "Estimated")):
            ET.SubElement(mmo, tag).text = text
        palette = ET.SubElement(r, "colorPalette")
        for code, label, colour in legend.classes:
            ET.SubElement(palette, "paletteEntry", value=str(code), color=colour, alpha="255", label=label)
    ET.SubElement(pipe, "brightnesscontrast", brightness="0", contrast="0", gamma="1")
    ET.SubElement(
        pipe,
        "huesaturation",
        saturation="0",
        grayscaleMode="0",
        colorizeOn="0",
        colorizeRed="255",
        colorizeGreen="128",
        colorizeBlue="128",
        colorizeStrength="100",
        invertColors="0",
    )
    ET.SubElement(pipe, "rasterresampler", maxOversampling="2")
    ET.SubElement(root, "blendMode").text = "0"
    ET.indent(root)
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode") + "\n"


def qml_path(raster: str | Path) -> Path:
    """The sidecar path QGIS loads by default: same base name, ``.qml``."""
    return Path(raster).with_suffix(".qml")


def write_qml(legend: Legend, raster: str | Path) -> Path:
    """Write the ``.qml`` sidecar of ``raster`` and return its path."""
    path = qml_path(raster)
    write_text(path, qml(legend))
    return path
