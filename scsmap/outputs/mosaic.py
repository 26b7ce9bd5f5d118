"""Mosaics: several regions' outputs merged into one map per product, with a provenance layer.

As GSOCseq merged national submissions into one global map, :func:`mosaic` puts the
outputs of several runs (``scsmap run`` folders) onto one grid:

* **grid**: the CRS and pixel size of the first folder (or ``resolution``), pixel edges
  on that folder's grid, extent the union of all folders;
* **overlap rule**: every pixel comes from exactly one region — the first folder in the
  order given whose data cover it (any of its products valid there); all products of
  that pixel are taken from that region, so a pixel never mixes regions;
* **provenance**: ``provenance.tif`` (uint8, colour table, QGIS style) holds the 1-based
  number of the region each pixel came from, 255 where no region has data; the numbers,
  regions and folders are listed in the mosaic's ``manifest.json``.

Each region's products are read once per pass and warped onto the mosaic grid with
nearest-neighbour resampling (exact when the grids line up, as they do on the global
30-arc-second grid). The mosaic is held in memory: at most :data:`MAX_PIXELS` pixels.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.warp import Resampling, reproject, transform_bounds

from .. import __version__
from ..errors import OutputError
from ..io.manifest import load_manifest
from ..io.write import finish_stats, sha256, to_cog
from ..products import PRODUCTS
from ..products.styles import Legend, legend_for, numbered_classes, write_qml
from .stac import write_stac

PROVENANCE = "provenance"
MAX_PIXELS = 200_000_000
OVERLAP_RULE = (
    "each pixel comes from the first region, in the order given, with data there (any product valid); "
    "all products of a pixel come from that region"
)


@dataclass
class MosaicResult:
    """What :func:`mosaic` wrote."""

    out_dir: Path
    manifest: dict[str, Any]


def _grid(sources: list[dict[str, Any]], resolution: float | None):
    first = sources[0]
    with rasterio.open(first["dir"] / first["manifest"]["products"][0]["path"]) as ds:
        crs, t = ds.crs, ds.transform
    res = resolution or abs(t.a)
    x0, y0 = t.c, t.f
    left = bottom = math.inf
    right = top = -math.inf
    for s in sources:
        with rasterio.open(s["dir"] / s["manifest"]["products"][0]["path"]) as ds:
            b = transform_bounds(ds.crs, crs, *ds.bounds, densify_pts=21) if ds.crs != crs else tuple(ds.bounds)
        left, bottom, right, top = min(left, b[0]), min(bottom, b[1]), max(right, b[2]), max(top, b[3])
    # snap to the first region's pixel edges
    left = x0 + math.floor(round((left - x0) / res, 6)) * res
    top = y0 - math.floor(round((y0 - top) / res, 6)) * res
    width = int(math.ceil(round((right - left) / res, 6)))
    height = int(math.ceil(round((top - bottom) / res, 6)))
    return crs, Affine(res, 0, left, 0, -res, top), (height, width)


def _warp(path: Path, crs: CRS, transform: Affine, shape: tuple[int, int]) -> np.ndarray:
    out = np.full(shape, np.nan, dtype="float64")
    with rasterio.open(path) as ds:
        src = ds.read(1).astype("float64")
        if ds.nodata is not None:
            src[src == ds.nodata] = np.nan
        reproject(
            src,
            out,
            src_transform=ds.transform,
            src_crs=ds.crs,
            src_nodata=np.nan,
            dst_transform=transform,
            dst_crs=crs,
            dst_nodata=np.nan,
            resampling=Resampling.nearest,
        )
    return out


def _write(
    arr: np.ndarray,
    path: Path,
    crs: CRS,
    transform: Affine,
    dtype: str,
    nodata: float,
    units: str,
    description: str,
    tags: dict[str, str],
    legend: Legend,
) -> dict[str, float]:
    ok = np.isfinite(arr)
    data = np.where(ok, arr, nodata).astype(dtype)
    tmp = path.with_suffix(".tmp.tif")
    with rasterio.open(
        tmp,
        "w",
        driver="GTiff",
        width=arr.shape[1],
        height=arr.shape[0],
        count=1,
        dtype=dtype,
        nodata=nodata,
        crs=crs,
        transform=transform,
        tiled=True,
        blockxsize=512,
        blockysize=512,
        compress="DEFLATE",
    ) as ds:
        ds.write(data, 1)
        ds.set_band_description(1, description)
        ds.set_band_unit(1, units)
        ds.update_tags(**tags)
        if legend.kind == "classes":
            ds.write_colormap(1, legend.colormap())
    n = int(ok.sum())
    v = arr[ok]
    stats = finish_stats(
        {
            "count": n,
            "total": arr.size,
            "sum": v.sum(),
            "sumsq": (v * v).sum(),
            "min": v.min() if n else np.nan,
            "max": v.max() if n else np.nan,
        }
    )
    to_cog(tmp, path, "nearest" if legend.kind == "classes" else "average")
    tmp.unlink()
    write_qml(legend, path)
    return stats


def mosaic(
    out_dirs: Sequence[str | os.PathLike],
    dest: str | os.PathLike,
    overwrite: bool = False,
    resolution: float | None = None,
) -> MosaicResult:
    """Merge the outputs of several runs into one map per product plus a provenance layer.

    Parameters
    ----------
    out_dirs : sequence of path-like
        Run folders (each with ``manifest.json``), in priority order: where regions
        overlap, the first listed wins (:data:`OVERLAP_RULE`).
    dest : path-like
        Output folder: one COG (+ ``.qml``) per product found in any region,
        ``provenance.tif``, ``manifest.json`` and ``stac/``.
    overwrite : bool
        Replace an existing mosaic in ``dest``.
    resolution : float, optional
        Pixel size in the first region's CRS units (default: the first region's).

    Returns
    -------
    MosaicResult

    Raises
    ------
    OutputError
        Fewer than two folders, a folder without manifest, a product whose units differ
        between regions, a mosaic over :data:`MAX_PIXELS` pixels, or ``dest`` not
        writable or holding a mosaic already (without ``overwrite``).
    """
    if len(out_dirs) < 2:
        raise OutputError("a mosaic needs at least two run folders", "scsmap mosaic OUT_DIR1 OUT_DIR2 ... --out DIR")
    sources = [{"dir": Path(d), "manifest": load_manifest(Path(d))} for d in out_dirs]
    dest = Path(dest)
    products: dict[str, dict[str, Any]] = {}
    for s in sources:
        for e in s["manifest"]["products"]:
            first = products.setdefault(e["id"], e)
            if (first["units"], first["dtype"]) != (e["units"], e["dtype"]):
                raise OutputError(
                    f"product {e['id']} is {e['units']} ({e['dtype']}) in {sources[0]['dir']} but "
                    f"{first['units']} ({first['dtype']}) in {s['dir']}",
                    "mosaic runs made with the same scsmap version",
                )
    crs, transform, shape = _grid(sources, resolution)
    if shape[0] * shape[1] > MAX_PIXELS:
        raise OutputError(
            f"the mosaic grid would be {shape[0]} x {shape[1]} pixels (over {MAX_PIXELS:,})",
            "pass a coarser --resolution (in the first region's CRS units)",
        )
    names = [f"{pid}.tif" for pid in products] + [f"{PROVENANCE}.tif", "manifest.json"]
    dest.mkdir(parents=True, exist_ok=True)
    existing = [n for n in names if (dest / n).exists()]
    if existing and not overwrite:
        raise OutputError(
            f"a mosaic exists already in {dest} ({', '.join(existing[:3])} ...)",
            "pass --overwrite to replace it, or choose another --out",
        )

    # pass 1: footprints -> provenance (first listed region with any valid product wins)
    prov = np.zeros(shape, dtype="uint8")
    for i, s in enumerate(sources, start=1):
        covered = np.zeros(shape, dtype=bool)
        for e in s["manifest"]["products"]:
            covered |= np.isfinite(_warp(s["dir"] / e["path"], crs, transform, shape))
        prov[(prov == 0) & covered] = i

    staging = dest / f".staging-{uuid.uuid4().hex[:12]}"
    staging.mkdir()
    try:
        entries = []
        region_names = [f"{s['manifest']['region']['name']} [{s['dir'].resolve().name}]" for s in sources]
        tags = {"SCSMAP_VERSION": __version__, "MOSAIC_OF": "; ".join(region_names), "OVERLAP_RULE": OVERLAP_RULE}
        # pass 2: each product from the provenance region of each pixel
        for pid, e in products.items():
            out = np.full(shape, np.nan)
            for i, s in enumerate(sources, start=1):
                own = next((x for x in s["manifest"]["products"] if x["id"] == pid), None)
                if own is None:
                    continue
                v = _warp(s["dir"] / own["path"], crs, transform, shape)
                take = prov == i
                out[take] = v[take]
            p = PRODUCTS.get(pid)
            legend = (
                legend_for(p)
                if p is not None
                else Legend("ramp", e["long_name"], e["units"], stops=((0.0, "#f7fbff"), (1.0, "#08306b")))
            )
            path = staging / f"{pid}.tif"
            stats = _write(
                out,
                path,
                crs,
                transform,
                e["dtype"],
                e["nodata"],
                e["units"],
                e["long_name"],
                {**tags, "PRODUCT_ID": pid, "UNITS": e["units"]},
                legend,
            )
            entries.append(
                {
                    **{k: e[k] for k in ("id", "long_name", "units", "dtype", "nodata")},
                    "path": path.name,
                    "sha256": sha256(path),
                    "statistics": stats,
                    "valid_range": e.get("valid_range"),
                }
            )
        legend = Legend(
            "classes",
            "region each pixel comes from",
            "class",
            classes=tuple(
                (i, name, colour) for (i, _, colour), name in zip(numbered_classes(1, len(sources)), region_names)
            ),
        )
        path = staging / f"{PROVENANCE}.tif"
        stats = _write(
            np.where(prov > 0, prov, np.nan),
            path,
            crs,
            transform,
            "uint8",
            255,
            "class",
            legend.title,
            {**tags, "PRODUCT_ID": PROVENANCE},
            legend,
        )
        entries.append(
            {
                "id": PROVENANCE,
                "long_name": legend.title,
                "units": "class",
                "dtype": "uint8",
                "nodata": 255,
                "path": path.name,
                "sha256": sha256(path),
                "statistics": stats,
                "valid_range": [1, len(sources)],
            }
        )
        first_region = sources[0]["manifest"]["region"]
        manifest = {
            "scsmap_version": __version__,
            "region": {
                "name": "mosaic of " + ", ".join(region_names),
                "iso3": first_region.get("iso3"),
                "id": "mosaic-" + "-".join(str(s["manifest"]["region"].get("id")) for s in sources),
            },
            "grid": {
                "crs": crs.to_string(),
                "shape": list(shape),
                "resolution": [transform.a, transform.e],
                "transform": list(transform)[:6],
            },
            "overlap_rule": OVERLAP_RULE,
            "sources": [
                {
                    "provenance_code": i,
                    "region": s["manifest"]["region"],
                    "out_dir": str(s["dir"].resolve()),
                    "config_sha256": s["manifest"].get("config_sha256"),
                    "pixels": int((prov == i).sum()),
                }
                for i, s in enumerate(sources, start=1)
            ],
            "products": entries,
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        for e in entries:
            for name in (e["path"], Path(e["path"]).with_suffix(".qml").name):
                os.replace(staging / name, dest / name)
        os.replace(staging / "manifest.json", dest / "manifest.json")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    write_stac(dest, manifest)
    return MosaicResult(out_dir=dest, manifest=manifest)
