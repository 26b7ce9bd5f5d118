"""The QGIS project of a run: ``<region>.qgz``, every product as a styled layer in groups.

No Python library on PyPI writes QGIS project files without QGIS itself (``qgis-project`` and
``toppingmaker`` drive a QGIS installation), so the project is generated from the jinja2 template
``scsmap/templates/project.qgs.j2``: a ``.qgs`` XML document (the format of QGIS >= 3.16) zipped into a
``.qgz``. Each layer points at its GeoTIFF by a path relative to the project (the folder can move),
carries the renderer of its ``.qml`` (:func:`scsmap.products.styles.pipe_element`, the same legend) and
a human name with its units. Layers are grouped as :data:`scsmap.products.registry.GROUPS`; the key
maps (SOC stock, best-practice rate, best practice, suitability of the leading practice) are visible
and their groups expanded, every other layer hidden and its group collapsed. The project is one of the
files the run owns (``manifest.json`` ``files``), written beside the products in the staging folder.
"""

from __future__ import annotations

import io
import re
import warnings
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..config import Config
from ..io.raster_info import raster_info
from ..io.write import write_bytes
from ..products.registry import GROUPS, entry_legend, written_product
from ..products.styles import QGIS_STYLE_VERSION, pipe_element
from ..products.summary import leading_practice

#: fixed time stamp of the zip entry, so that two runs write the same bytes
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


def project_name(cfg: Config) -> str:
    """The file name of a run's QGIS project: ``<ISO3>.qgz`` (``MKD.qgz``), the same for every run of the region."""
    return f"{cfg.region.iso3}.qgz"


def key_maps(manifest: dict[str, Any]) -> list[str]:
    """The products shown first (visible in the project, large in the report's brief), in that order.

    SOC stock at T0, the best-practice rate, the best practice and the suitability of the leading
    practice (the practice that is best on the largest area), those the run wrote.
    """
    written = {e["id"] for e in manifest["products"]}
    keys = ["soc_t0", "rate_best", "best_practice"]
    lead = leading_practice(manifest.get("summary", {}))
    if lead is not None:
        keys.append(f"suitability_{lead}")
    return [k for k in keys if k in written]


def layer_name(entry: dict[str, Any], units: str) -> str:
    """A layer's name: the product's long name without its units in parentheses nor what follows a colon,
    and its units in brackets (``absolute sequestration rate (final - T0)/horizon, SSM1 [t C ha-1 yr-1]``)."""
    name = re.sub(r"\s*\((t C|t CO2|currency|bits?[: ]|0 = )[^)]*\)", "", entry["long_name"]).split(": ")[0].strip()
    return f"{name} [{units}]" if units and units != "class" else name


def unique_names(names: dict[str, str]) -> dict[str, str]:
    """Product id → name, the id appended to every name that two products share."""
    seen: dict[str, int] = {}
    for n in names.values():
        seen[n] = seen.get(n, 0) + 1
    return {pid: f"{n} ({pid})" if seen[n] > 1 else n for pid, n in names.items()}


def _crs(wkt: str) -> dict[str, Any]:
    from pyproj import CRS

    c = CRS.from_wkt(wkt)
    epsg = c.to_epsg()
    with warnings.catch_warnings():  # the PROJ string is informative only: QGIS reads the WKT
        warnings.simplefilter("ignore", UserWarning)
        proj4 = c.to_proj4() or ""
    acronym = next((w.split("=")[1] for w in proj4.split() if w.startswith("+proj=")), "")
    return {
        "wkt": c.to_wkt(),
        "proj4": proj4,
        "srsid": 0,  # not a QGIS internal id: QGIS reads the WKT (lossless)
        "srid": epsg or 0,
        "authid": f"EPSG:{epsg}" if epsg else "",
        "description": c.name,
        "acronym": acronym,
        "ellipsoid": "",
        "geographic": c.is_geographic,
    }


def render_project(out_dir: Path, manifest: dict[str, Any], title: str) -> str:
    """The ``.qgs`` XML of a run's products (files in ``out_dir``, listed by ``manifest``)."""
    import jinja2

    entries = [e for e in manifest["products"] if written_product(e) is not None]
    info = raster_info(out_dir / entries[0]["path"])
    keys = key_maps(manifest)
    layers, by_group = [], {g: [] for g in GROUPS}
    legends = {e["id"]: entry_legend(e, manifest) for e in entries}
    names = unique_names({e["id"]: layer_name(e, legends[e["id"]].units) for e in entries})  # type: ignore[union-attr]
    for i, e in enumerate(entries):
        p = written_product(e)
        legend = legends[e["id"]]
        assert p is not None and legend is not None
        pipe = ET.tostring(pipe_element(legend), encoding="unicode")
        layer = {
            "id": f"scsmap_{e['id']}_{i:03d}",  # QGIS keeps ids longer than 10 characters
            "product": e["id"],
            "name": names[e["id"]],
            "source": f"./{e['path']}",
            "abstract": f"{e['id']}: {e['long_name']} [{legend.units}]"
            + (f". Legend: {legend.range_note}" if legend.range_note else ""),
            "pipe": Markup(pipe),
            "visible": e["id"] in keys,
        }
        layers.append(layer)
        by_group.setdefault(p.group, []).append(layer)
    # the key maps first in their group (drawn on top), then the registry's order
    groups = [
        {
            "name": g,
            "layers": sorted(
                ls, key=lambda lyr: (not lyr["visible"], keys.index(lyr["product"]) if lyr["visible"] else 0)
            ),
            "expanded": any(lyr["visible"] for lyr in ls),
        }
        for g, ls in by_group.items()
        if ls
    ]
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("scsmap", "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env.get_template("project.qgs.j2").render(
        version=QGIS_STYLE_VERSION,
        title=title,
        crs=_crs(info.crs_wkt),
        bounds=info.bounds,
        groups=groups,
        layers=[lyr for g in groups for lyr in g["layers"]],
    )


def write_project(out_dir: Path, manifest: dict[str, Any], name: str) -> Path:
    """Write the QGIS project ``name`` (a ``.qgz``: the ``.qgs`` zipped) of the products in ``out_dir``.

    Parameters
    ----------
    out_dir : Path
        Where the products are and the project goes (the run's staging folder).
    manifest : dict
        The run's manifest (products, summary, legend mode, currency).
    name : str
        File name, ``<region>.qgz`` (:func:`project_name`).

    Returns
    -------
    Path

    Raises
    ------
    OSError
        As the file system reports it.
    """
    region = manifest["region"]
    qgs = render_project(out_dir, manifest, f"{region['name']} ({region['iso3']}): soil carbon sequestration maps")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo(Path(name).with_suffix(".qgs").name, date_time=_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, qgs.encode("utf-8"))
    path = out_dir / name
    write_bytes(path, buf.getvalue())
    return path
