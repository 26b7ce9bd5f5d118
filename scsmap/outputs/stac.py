"""A STAC catalogue of a run: one Collection, one Item per product (pystac).

Written by :func:`scsmap.pipeline.run` into ``stac/`` beside the products, from the
manifest: each Item carries its GeoTIFF as the ``data`` asset with the projection
(CRS, shape, transform), raster (nodata, data type, unit, statistics) and file
(size, sha256 multihash) extensions, class maps the classification extension (the codes,
labels and colours of their QGIS legend), and its ``.qml`` style as a ``style`` asset. All
links and asset hrefs are relative, so the folder can be moved or published as it is.

Time is the data's time, not the processing time: ``datetime`` and ``start_datetime`` are
T0 (``parameters.t0_year``, 1 January) and ``end_datetime`` is the end of the horizon
(T0 + ``parameters.horizon_years``); the processing time is ``created``. The collection's
``license`` is ``outputs.license`` with a ``license`` link (the SPDX page of the identifier,
or ``outputs.license_url``).
"""

from __future__ import annotations

import datetime as _dt
import re
import shutil
from pathlib import Path
from typing import Any

import pystac
from pystac.extensions.classification import Classification, ClassificationExtension
from pystac.extensions.file import FileExtension
from pystac.extensions.projection import ProjectionExtension
from pystac.extensions.raster import DataType, RasterBand, RasterExtension, Statistics
from shapely.geometry import box, mapping

from .. import __version__
from ..io.raster_info import raster_info
from ..products import PRODUCTS
from ..products.styles import legend_for, qml_path

STAC_DIR = "stac"


def multihash_sha256(hexdigest: str) -> str:
    """sha256 hex digest → multihash hex string (``1220`` + digest), as the STAC file extension expects."""
    return "1220" + hexdigest


#: licence values of STAC that are not SPDX identifiers (no SPDX page to link)
NOT_SPDX = ("other", "proprietary", "various")


def period(manifest: dict[str, Any]) -> tuple[_dt.datetime, _dt.datetime] | None:
    """The data's time of a run: T0 (1 January of ``parameters.t0_year``) and the end of the horizon.

    Parameters
    ----------
    manifest : dict
        A run's manifest (``period``: ``t0_year``, ``horizon_years``); a mosaic's has none.

    Returns
    -------
    (datetime, datetime) or None
        UTC; None when the manifest records no period.
    """
    p = manifest.get("period")
    if not p:
        return None
    t0 = int(p["t0_year"])
    return _dt.datetime(t0, 1, 1, tzinfo=_dt.UTC), _dt.datetime(t0 + int(p["horizon_years"]), 1, 1, tzinfo=_dt.UTC)


def license_link(manifest: dict[str, Any]) -> tuple[str, pystac.Link | None]:
    """The collection's ``license`` value and its ``license`` link.

    Returns
    -------
    (str, pystac.Link or None)
        The SPDX identifier or ``other``; the link to ``license.url``, else to the SPDX page of an SPDX
        identifier, else None.
    """
    lic = manifest.get("license") or {}
    ident = str(lic.get("id") or "other")
    url = lic.get("url") or (None if ident.lower() in NOT_SPDX else f"https://spdx.org/licenses/{ident}.html")
    link = pystac.Link("license", url, media_type="text/html", title=f"licence: {ident}") if url else None
    return ident, link


def _classes(product_id: str) -> list[Classification] | None:
    """The classification-extension classes of a class map (its QGIS legend), None for other products."""
    p = PRODUCTS.get(product_id)
    if p is None or not p.is_class_map:
        return None
    out = []
    for code, label, colour in legend_for(p).classes:
        name = re.sub(r"[^0-9A-Za-z_-]+", "_", label).strip("_") or f"class_{code}"
        out.append(Classification.create(value=int(code), description=label, name=name, color_hint=colour[1:7].upper()))
    return out


def _item(
    out_dir: Path, e: dict[str, Any], when: _dt.datetime, region: dict[str, Any], span: tuple | None
) -> pystac.Item:
    tif = out_dir / e["path"]
    info = raster_info(tif)
    bounds = info.bounds_in("EPSG:4326")
    epsg, wkt = info.epsg, info.crs_wkt
    shape = list(info.shape)
    transform = list(info.transform)[:6]
    res = info.resolution[0]
    times = {"created": when.isoformat()}
    if span is not None:
        times.update(start_datetime=span[0].isoformat(), end_datetime=span[1].isoformat())
    item = pystac.Item(
        id=e["id"],
        geometry=mapping(box(*bounds)),
        bbox=list(bounds),
        datetime=span[0] if span is not None else when,
        properties={
            "title": e["long_name"],
            "scsmap:units": e["units"],
            "scsmap:region": region.get("name"),
            "scsmap:iso3": region.get("iso3"),
            **times,
        },
    )
    proj = ProjectionExtension.ext(item, add_if_missing=True)
    proj.apply(code=f"EPSG:{epsg}" if epsg else None, wkt2=None if epsg else wkt, shape=shape, transform=transform)
    asset = pystac.Asset(href=str(tif.resolve()), title=e["long_name"], media_type=pystac.MediaType.COG, roles=["data"])
    item.add_asset("data", asset)
    st = e.get("statistics", {})
    stats = Statistics.create(
        minimum=st.get("minimum"),
        maximum=st.get("maximum"),
        mean=st.get("mean"),
        stddev=st.get("stddev"),
        valid_percent=st.get("valid_percent"),
    )
    band = RasterBand.create(
        nodata=e["nodata"], data_type=DataType(e["dtype"]), unit=e["units"], spatial_resolution=res, statistics=stats
    )
    RasterExtension.ext(asset, add_if_missing=True).apply([band])
    classes = _classes(e["id"])
    if classes:
        ClassificationExtension.ext(asset, add_if_missing=True).apply(classes=classes)
    FileExtension.ext(asset, add_if_missing=True).apply(checksum=multihash_sha256(e["sha256"]), size=tif.stat().st_size)
    qml = qml_path(tif)
    if qml.is_file():
        item.add_asset(
            "style",
            pystac.Asset(
                href=str(qml.resolve()), title="QGIS style", media_type="application/xml", roles=["style", "metadata"]
            ),
        )
    return item


def write_stac(out_dir: str | Path, manifest: dict[str, Any]) -> Path:
    """Write ``stac/collection.json`` and one Item per product of ``manifest``.

    Parameters
    ----------
    out_dir : path-like
        The run's folder (products already in place).
    manifest : dict
        The run's manifest (products with path, units, dtype, nodata, sha256, statistics).

    Returns
    -------
    Path
        ``stac/collection.json``.
    """
    out = Path(out_dir)
    stac_dir = out / STAC_DIR
    ident, link = license_link(manifest)
    when = (
        _dt.datetime.fromtimestamp((out / "manifest.json").stat().st_mtime, _dt.UTC)
        if (out / "manifest.json").exists()
        else _dt.datetime.now(_dt.UTC)
    )
    region = manifest.get("region", {})
    span = period(manifest)
    items = [_item(out, e, when, region, span) for e in manifest["products"]]
    bboxes = [i.bbox for i in items]
    bbox = [min(b[0] for b in bboxes), min(b[1] for b in bboxes), max(b[2] for b in bboxes), max(b[3] for b in bboxes)]
    coll = pystac.Collection(
        id=f"scsmap-{region.get('id', 'run')}",
        title=f"{region.get('name', '')} soil carbon sequestration potential maps",
        description=(
            f"scsmap {__version__} products for {region.get('name', '')} ({region.get('iso3', '')}): SOC "
            "stock, 4 per 1000 target, saturation and the GSOCseq scenarios; config sha256 "
            f"{manifest.get('config_sha256', '')}."
        ),
        extent=pystac.Extent(pystac.SpatialExtent([bbox]), pystac.TemporalExtent([list(span or (when, when))])),
        license=ident,
        keywords=["soil organic carbon", "carbon sequestration", "GSOCseq", "4 per 1000"],
        extra_fields={"scsmap:config_sha256": manifest.get("config_sha256"), "scsmap:version": __version__},
    )
    if link is not None:
        coll.add_link(link)
    coll.add_items(items)
    shutil.rmtree(stac_dir, ignore_errors=True)  # no Items of products a previous run wrote
    coll.normalize_hrefs(str(stac_dir.resolve()))
    coll.make_all_asset_hrefs_relative()
    coll.save(catalog_type=pystac.CatalogType.SELF_CONTAINED)
    return stac_dir / "collection.json"
