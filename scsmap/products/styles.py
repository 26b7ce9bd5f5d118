"""Legends per product family and the QGIS styles (``.qml`` sidecars) made from them.

Every product gets one :class:`Legend`, chosen from its registry metadata (and, with
``outputs.legend: data``, from the run's statistics): class maps (``uint8``) get their class
labels and colours (``Product.class_labels``, or numbered classes), continuous maps the colours
of their ``family`` in ``scsmap/data/styles.yaml`` (or of their units, or a ramp over their
valid range) over the family's default range from the literature (``fixed``, the default) or
over the run's 2nd-98th percentiles rounded to nice numbers (``data``, :func:`data_range`).
Diverging families (gains and losses, savings and costs) keep their neutral colour at 0
whatever the range. The same legend styles the ``.qml`` written next to each GeoTIFF, the
QGIS project, the colour table and category names of class maps and the report's maps, so a
map looks the same in QGIS, in the report and in any GIS.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from ..io.tables import style_table
from ..io.write import hex_to_rgba, write_text
from .units import display_units


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
#: the legend modes of ``outputs.legend``
LEGEND_MODES = ("fixed", "data")
#: ``outputs.legend: data`` keeps a family's default range when the map's 2nd-98th percentiles are closer than
#: this share of that range (the data do not resolve a narrower one)
DATA_RESOLUTION = 1e-3
#: label of the class "unknown" (suitability 3, best_practice 254)
UNKNOWN_LABEL = "unknown (an input is missing)"


@dataclass(frozen=True)
class Legend:
    """A legend: a colour ramp over values, or a list of classes.

    Attributes
    ----------
    kind : {"ramp", "classes"}
    title : str
        Product long name.
    units : str
        As shown to people (:func:`scsmap.products.units.display_units`: ``t C ha-1`` ...).
    stops : tuple of (float, str)
        Ramp: ascending values and ``#rrggbb`` colours, interpolated linearly;
        values beyond the ends take the end colours.
    classes : tuple of (int, str, str)
        Class maps: code, label, ``#rrggbb`` colour.
    range_note : str
        Where a ramp's range comes from (the family's default range from the literature, whose source is in
        ``styles.yaml`` and docs/products.md, or the run's percentiles).
    bits : tuple of str
        Bit-flag maps (reasons, QA flags): the name of each bit, for CF ``flag_masks``; empty otherwise.
    """

    kind: str
    title: str
    units: str
    stops: tuple[tuple[float, str], ...] = ()
    classes: tuple[tuple[int, str, str], ...] = ()
    range_note: str = ""
    bits: tuple[str, ...] = ()

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

    def only(self, codes: Collection[int]) -> Legend:
        """The legend with the classes whose code is in ``codes`` only (ramps unchanged)."""
        if self.kind != "classes":
            return self
        kept = tuple(c for c in self.classes if c[0] in codes)
        return replace(self, classes=kept) if kept else self

    def grouped(self) -> list[tuple[str, str, list[int]]]:
        """Classes with the same colour and the same label before ":" as one entry: (label, colour, codes).

        A bit-flag map lists each reason once and every code with several reasons as "several".
        """
        out: dict[tuple[str, str], list[int]] = {}
        for code, label, colour in self.classes:
            out.setdefault((label.split(":")[0], colour), []).append(code)
        return [(label, colour, codes) for (label, colour), codes in out.items()]

    def cf_flags(self) -> dict[str, str]:
        """CF ``flag_values`` / ``flag_masks`` and ``flag_meanings`` of a class map (CF 1.11 §3.5).

        Bit-flag maps give ``flag_masks`` (one per bit) and the meanings of the bits; other class maps
        ``flag_values`` and one meaning per class. Meanings are words joined by underscores.
        """
        if self.kind != "classes":
            return {}

        def word(text: str) -> str:
            return "_".join("".join(ch if ch.isalnum() else " " for ch in text).split()) or "_"

        if self.bits:
            return {
                "flag_masks": " ".join(str(1 << i) for i in range(len(self.bits))),
                "flag_meanings": " ".join(word(b) for b in self.bits),
            }
        return {
            "flag_values": " ".join(str(c) for c, _, _ in self.classes),
            "flag_meanings": " ".join(word(label) for _, label, _ in self.classes),
        }


def bit_flag_classes(
    bits: Sequence[str], ok_label: str = "passes", colours: Sequence[str] | None = None
) -> list[tuple[int, str, str]]:
    """Classes of a bit-flag map: 0 = ``ok_label``, one colour per bit, one colour for several bits.

    Parameters
    ----------
    bits : sequence of str
        Name of bit 0, bit 1, ... (at most 8).
    ok_label : str
        Label of code 0 (no bit set).
    colours : sequence of str, optional
        One ``#rrggbb`` per bit (default: the packaged reason colours of ``styles.yaml``).

    Returns
    -------
    list of (code, label, colour)
        ``2**len(bits)`` classes: a code with one bit set is labelled by that bit's name in its colour;
        a code with several is labelled ``several: <names>`` in the "several" colour.
    """
    table = style_table()["reasons"]
    colours = list(colours or table["colours"])
    out = [(0, ok_label, str(table["none"]))]
    for code in range(1, 2 ** len(bits)):
        set_bits = [i for i in range(len(bits)) if code & (1 << i)]
        if len(set_bits) == 1:
            out.append((code, bits[set_bits[0]], colours[set_bits[0] % len(colours)]))
        else:
            out.append((code, "several: " + ", ".join(bits[i] for i in set_bits), str(table["several"])))
    return out


@dataclass(frozen=True)
class BitFlags:
    """The class labels of a bit-flag map, as ``Product.class_labels``: ``BitFlags(bits)()`` lists the classes.

    Attributes
    ----------
    bits : tuple of str
        Name of bit 0, bit 1, ...
    ok_label : str
        Label of code 0.
    nodata : int
        The file's nodata code, left out of the classes (255 for 8 bits).
    """

    bits: tuple[str, ...]
    ok_label: str = "passes"
    nodata: int = 255

    def __call__(self) -> list[tuple[int, str, str]]:
        return [c for c in bit_flag_classes(self.bits, self.ok_label) if c[0] != self.nodata]


def unknown_colour() -> str:
    """The neutral grey of the class "unknown (an input is missing)" (``styles.yaml``)."""
    return str(style_table()["unknown"])


def numbered_classes(lo: int, hi: int) -> list[tuple[int, str, str]]:
    """Classes ``lo..hi`` labelled by their code, in the packaged qualitative colours."""
    q = style_table()["qualitative"]
    return [(c, str(c), q[i % len(q)]) for i, c in enumerate(range(int(lo), int(hi) + 1))]


# --------------------------------------------------------------------------- ranges


def nice_step(span: float, steps: int = 5) -> float:
    """The round step (1, 2, 2.5 or 5 × 10^k) closest to ``span / steps`` (by ratio); 1 for a zero or
    non-finite span."""
    raw = abs(span) / steps
    if not math.isfinite(raw) or raw <= 0:
        return 1.0
    k = math.floor(math.log10(raw))
    candidates = [m * 10.0**e for e in (k, k + 1) for m in (1.0, 2.0, 2.5, 5.0)]
    return min(candidates, key=lambda c: abs(math.log(c / raw)))


def _round(v: float, step: float) -> float:
    """``v`` without float noise at the precision of ``step`` (0.1 + 0.2 → 0.3)."""
    digits = max(0, -math.floor(math.log10(step)) + 2)
    return round(v, digits) + 0.0  # + 0.0: no -0.0


def data_range(p2: float, p98: float, steps: int = 5) -> tuple[float, float] | None:
    """The ``outputs.legend: data`` range: the run's 2nd and 98th percentiles widened to round numbers.

    The step is :func:`nice_step` of the spread (about ``steps`` steps); the low end is rounded down
    and the high end up to a multiple of it, so that the range holds the 2nd-98th percentiles and
    starts at 0 when the low percentile is within one step of 0 and the data are not negative.

    Parameters
    ----------
    p2, p98 : float
        2nd and 98th percentiles of the product's valid pixels.

    Returns
    -------
    (float, float) or None
        ``(lo, hi)``, ``lo < hi``; None when the percentiles are not finite.

    Examples
    --------
    SOC stock p2-p98 42-83 t C ha-1 → (40, 90); a rate 0-0.32 → (0, 0.35); -0.13 to 0.41 → (-0.2, 0.5).
    """
    if not (math.isfinite(p2) and math.isfinite(p98)):
        return None
    lo, hi = min(p2, p98), max(p2, p98)
    if hi == lo:  # a constant map: one step on each side (around 0: ±1)
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
        if p2 >= 0 > lo:
            lo = 0.0
    step = nice_step(hi - lo, steps)
    lo_n = _round(math.floor(lo / step + 1e-9) * step, step)
    hi_n = _round(math.ceil(hi / step - 1e-9) * step, step)
    if hi_n <= lo_n:
        hi_n = _round(lo_n + step, step)
    return lo_n, hi_n


def ramp_stops(spec: Mapping[str, Any], lo: float, hi: float) -> tuple[tuple[float, str], ...]:
    """Stops of a family's colours over ``[lo, hi]``.

    Sequential families (``colours``) spread their colours evenly. Diverging families (``zero``,
    ``negative``, ``positive``) put ``zero`` at 0 and stretch each side over its own part of the
    range; a range on one side of 0 uses that side's colours only (from 0, in the neutral colour,
    when the range starts or ends at 0).

    Parameters
    ----------
    spec : mapping
        A family of ``styles.yaml``.
    lo, hi : float
        The range, ``lo < hi``.

    Returns
    -------
    tuple of (float, str)
        Ascending values and colours.
    """

    def spread(colours: Sequence[str], a: float, b: float) -> list[tuple[float, str]]:
        n = len(colours)
        if n == 1:
            return [(a, colours[0]), (b, colours[0])]
        return [(a + (b - a) * i / (n - 1), str(c)) for i, c in enumerate(colours)]

    if "zero" not in spec:
        stops = spread(spec["colours"], lo, hi)
    else:
        zero, neg, pos = str(spec["zero"]), list(spec["negative"]), list(spec["positive"])
        if lo < 0 < hi:
            stops = spread(neg + [zero], lo, 0.0) + spread([zero] + pos, 0.0, hi)[1:]
        elif lo >= 0:
            stops = spread(([zero] if lo == 0 else []) + pos, lo, hi)
        else:
            stops = spread(neg + ([zero] if hi == 0 else []), lo, hi)
    return tuple((_round(v, (hi - lo) / 1000), c) for v, c in stops)


def family_spec(product: Styled) -> tuple[str, Mapping[str, Any]] | None:
    """The family (name, ``styles.yaml`` entry) of a continuous product: its ``family``, else its units'."""
    table = style_table()
    name = product.family if product.family in table["families"] else table["units"].get(product.units)
    return (name, table["families"][name]) if name is not None else None


def legend_for(
    product: Styled,
    mode: str = "fixed",
    statistics: Mapping[str, Any] | None = None,
    present: Collection[int] | None = None,
    currency: str | None = None,
) -> Legend:
    """The legend of a product.

    Parameters
    ----------
    product : Product
        Registry metadata (``family``, ``units``, ``valid_range``, ``class_labels``).
    mode : {"fixed", "data"}
        ``outputs.legend``: ramps over the family's default range (literature, ``styles.yaml``), or over
        :func:`data_range` of ``statistics["p2"]`` and ``statistics["p98"]`` (the fixed range when the
        statistics have no percentiles, or when they are closer than :data:`DATA_RESOLUTION` of it).
    statistics : mapping, optional
        The product's statistics in the manifest (``p2``, ``p98`` ...).
    present : collection of int, optional
        Class codes that occur in the map: a bit-flag legend (reasons, QA flags) lists only those.
    currency : str, optional
        Currency of the cost table, shown in the units of cost maps.

    Returns
    -------
    Legend
        Class maps (``dtype uint8``): ``product.class_labels()``, else classes numbered over the valid
        range. Continuous maps: the colours of their family (else of the family of their units, else a
        grey-to-blue ramp over their valid range).
    """
    units = display_units(product.units, currency)
    if product.is_class_map:
        hook = getattr(product, "class_labels", None)
        if hook is not None:
            classes = [(int(c), str(label), str(colour)) for c, label, colour in hook()]
        else:
            lo, hi = product.valid_range or (0, 254)
            classes = numbered_classes(int(lo), int(hi))
        bits = hook.bits if isinstance(hook, BitFlags) else ()
        legend = Legend("classes", product.long_name, units, classes=tuple(classes), bits=bits)
        return legend.only(present) if bits and present is not None else legend
    found = family_spec(product)
    if found is None:
        lo, hi = product.valid_range or (0.0, 1.0)
        spec: Mapping[str, Any] = style_table()["default"]
        note = "the product's valid range"
    else:
        name, spec = found
        lo, hi = (float(v) for v in spec["range"])
        note = f"fixed range of the {name} family (literature)"
    if mode == "data" and statistics is not None:
        p2, p98 = float(statistics.get("p2", math.nan)), float(statistics.get("p98", math.nan))
        rng = data_range(p2, p98)
        # a spread below the data's resolution (0.1 % of the default range: float noise around a constant,
        # e.g. a stationary BAU's asr_bau) keeps the default range rather than colouring the noise
        if rng is not None and (found is None or abs(p98 - p2) >= DATA_RESOLUTION * (hi - lo)):
            lo, hi = rng
            note = "2nd-98th percentile of this run, rounded"
    return Legend("ramp", product.long_name, units, stops=ramp_stops(spec, lo, hi), range_note=note)


def _num(v: float) -> str:
    return f"{v:.10g}"


def pipe_element(legend: Legend) -> ET.Element:
    """The ``<pipe>`` of a QGIS raster layer drawing ``legend`` (for a ``.qml`` and for a project's layers).

    Ramps become a ``singlebandpseudocolor`` renderer with an interpolated colour ramp shader whose
    min/max are the legend's ends (never the layer's own statistics); class maps a ``paletted``
    renderer with one labelled entry per class.
    """
    pipe = ET.Element("pipe")
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
            labelPrecision="3",
        )
        for v, colour in legend.stops:
            ET.SubElement(shader, "item", alpha="255", value=_num(v), color=colour, label=f"{v:.4g}")
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
    return pipe


def qml(legend: Legend) -> str:
    """A QGIS raster layer style (``.qml``) for a legend (:func:`pipe_element`)."""
    root = ET.Element(
        "qgis",
        version=QGIS_STYLE_VERSION,
        styleCategories="AllStyleCategories",
        hasScaleBasedVisibilityFlag="0",
        minScale="1e+08",
        maxScale="0",
    )
    root.append(pipe_element(legend))
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


def family_ranges() -> list[dict[str, Any]]:
    """The default range of every family and its source (``styles.yaml``), for the report and the docs."""
    return [
        {"family": name, "range": tuple(spec["range"]), "diverging": "zero" in spec, "source": spec.get("source", "")}
        for name, spec in style_table()["families"].items()
    ]
