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

The mosaic is made window by window (blocks of whole rows of its grid, :data:`WINDOW_PIXELS`
pixels at most, whole 512-row tiles when they fit): each region's product window is warped onto
the mosaic's window with nearest-neighbour resampling (exact when the grids line up, as they do on
the global 30-arc-second grid) and only that part of the file is read. A first pass writes
``provenance.tif`` (the first region with any product valid at each pixel), a second pass each
product from the provenance region of each pixel; each file is written window by window into a
tiled staging GeoTIFF and converted into a COG as a run's products are, with exact statistics
(per-row sums added with ``math.fsum``, so the same whatever the window). Memory is bounded by the
window (and GDAL's block cache), not by the grid: :data:`MAX_PIXELS` only guards against a
``--resolution`` that would fill the disk (4 bytes a pixel and product before compression).
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from affine import Affine
from odc.geo.geobox import GeoBox

from .. import __version__
from ..config import ComputeConfig
from ..errors import OutputError
from ..io.folder import STAC_DIR, check_folder, commit_files, locked, new_staging, owned_files
from ..io.gdal_env import gdal_env, gdal_options
from ..io.manifest import MANIFEST, load_manifest, write_json
from ..io.raster_info import raster_info
from ..io.read import read_window, warp_window, window_warper
from ..io.write import RasterSpec, finish_stats, open_tiled, set_statistics, sha256, to_cog, write_window
from ..products import PRODUCTS
from ..products.styles import Legend, legend_for, numbered_classes, write_qml
from ..progress import QUIET, Progress, Stage
from .stac import write_stac
from .stats import window_rows

PROVENANCE = "provenance"
#: largest mosaic grid [pixels]: 4e9 holds the global 30-arc-second grid (43200 x 21600 = 9.3e8) four
#: times over; memory does not grow with it (windows), disk and time do
MAX_PIXELS = 4_000_000_000
#: pixels of one window of the mosaic grid (whole rows)
WINDOW_PIXELS = 2**22
#: tile size of the staging files and COGs
TILE = 512
OVERLAP_RULE = (
    "each pixel comes from the first region, in the order given, with data there (any product valid); "
    "all products of a pixel come from that region"
)


@dataclass
class MosaicResult:
    """What :func:`mosaic` wrote."""

    out_dir: Path
    manifest: dict[str, Any]


@dataclass(frozen=True)
class _Grid:
    crs: str  # WKT
    name: str  # as GDAL writes it shortly (EPSG:4326)
    transform: Affine
    shape: tuple[int, int]

    @property
    def geobox(self) -> GeoBox:
        return GeoBox(self.shape, self.transform, self.crs)


def _grid(sources: list[dict[str, Any]], resolution: float | None) -> _Grid:
    first = raster_info(sources[0]["dir"] / sources[0]["manifest"]["products"][0]["path"])
    crs, t = first.crs_wkt, first.transform
    res = resolution or abs(t.a)
    x0, y0 = t.c, t.f
    left = bottom = math.inf
    right = top = -math.inf
    for s in sources:
        b = raster_info(s["dir"] / s["manifest"]["products"][0]["path"]).bounds_in(crs)
        left, bottom, right, top = min(left, b[0]), min(bottom, b[1]), max(right, b[2]), max(top, b[3])
    # snap to the first region's pixel edges
    left = x0 + math.floor(round((left - x0) / res, 6)) * res
    top = y0 - math.floor(round((y0 - top) / res, 6)) * res
    width = int(math.ceil(round((right - left) / res, 6)))
    height = int(math.ceil(round((top - bottom) / res, 6)))
    return _Grid(crs, first.crs_string, Affine(res, 0, left, 0, -res, top), (height, width))


def _windows(grid: _Grid, rows: int) -> Iterator[tuple[int, Affine, tuple[int, int]]]:
    """(first row, transform, shape) of each row window of the grid."""
    height, width = grid.shape
    for y0 in range(0, height, rows):
        yield y0, grid.transform @ Affine.translation(0, y0), (min(rows, height - y0), width)


class _PixelStats:
    """Count, sum, sum of squares, min and max of the valid pixels, added window by window.

    The sums are kept per row of the grid and added with ``math.fsum`` at the end: exact for the
    row sums, and the same whatever the windows (a row is never split).
    """

    def __init__(self) -> None:
        self.count = self.total = 0
        self.sums: list[float] = []
        self.sumsq: list[float] = []
        self.min, self.max = math.inf, -math.inf

    def add(self, a: np.ndarray) -> None:
        ok = np.isfinite(a)
        x = np.where(ok, a, 0.0)
        self.count += int(ok.sum())
        self.total += a.size
        self.sums += np.add.reduce(x, axis=1).tolist()
        self.sumsq += np.add.reduce(x * x, axis=1).tolist()
        if ok.any():
            self.min, self.max = min(self.min, float(a[ok].min())), max(self.max, float(a[ok].max()))

    def finish(self) -> dict[str, float]:
        return finish_stats(
            {
                "count": self.count,
                "total": self.total,
                "sum": math.fsum(self.sums),
                "sumsq": math.fsum(self.sumsq),
                "min": self.min,
                "max": self.max,
            }
        )


def _finish(spec: RasterSpec, stats: _PixelStats, final: Path, legend: Legend) -> dict[str, float]:
    """Statistics into the staging file, staging file → COG (as a run's products), the QGIS style beside it."""
    figures = stats.finish()
    set_statistics(spec.path, figures)
    to_cog(spec.path, final, spec.resampling, TILE)
    spec.path.unlink()
    write_qml(legend, final)
    return figures


def _spec(path: Path, entry: dict[str, Any], tags: dict[str, str], legend: Legend) -> RasterSpec:
    classes = legend.kind == "classes"
    return RasterSpec(
        path=path,
        dtype=entry["dtype"],
        nodata=entry["nodata"],
        description=entry["long_name"],
        units=entry["units"],
        tags=tags,
        colormap=legend.colormap() if classes else None,
        resampling="nearest" if classes else "average",
    )


def _provenance(
    sources: list[dict[str, Any]],
    grid: _Grid,
    rows: int,
    spec: RasterSpec,
    legend: Legend,
    final: Path,
    progress: Progress = QUIET,
) -> tuple[dict[str, float], list[int]]:
    """Pass 1: the provenance of each pixel (first region with any product valid) into ``final``.

    Returns the statistics and the pixels taken from each region.
    """
    pixels = [0] * (len(sources) + 1)
    stats = _PixelStats()
    ds = open_tiled(spec, grid.geobox, TILE)
    windows = list(_windows(grid, rows))
    try:
        with progress.stage("provenance", len(windows), detail=f"{len(sources)} regions") as st:
            for y0, transform, shape in windows:
                prov = np.zeros(shape, dtype="uint8")
                for i, s in enumerate(sources, start=1):
                    covered = np.zeros(shape, dtype=bool)
                    for e in s["manifest"]["products"]:
                        covered |= np.isfinite(warp_window(s["dir"] / e["path"], grid.crs, transform, shape))
                    prov[(prov == 0) & covered] = i
                counts = np.bincount(prov.ravel(), minlength=len(sources) + 1)
                pixels = [a + int(b) for a, b in zip(pixels, counts)]
                stats.add(np.where(prov > 0, prov, np.nan))
                write_window(ds, np.where(prov > 0, prov, spec.nodata).astype(spec.dtype), y0)
                st.advance()
    finally:
        ds.close()
    return _finish(spec, stats, final, legend), pixels


def _product(
    owners: list[tuple[int, Path]], provenance: Path, grid: _Grid, rows: int, spec: RasterSpec, stage: Stage
) -> _PixelStats:
    """Pass 2, one product: each pixel from its provenance region, window by window into ``spec.path``.

    Each region's file stays open over the pass (:func:`scsmap.io.read.window_warper`): windows thinner than the
    files' tiles then decode each tile once while GDAL's block cache holds it, not once per window.
    """
    stats = _PixelStats()
    ds = open_tiled(spec, grid.geobox, TILE)
    try:
        with contextlib.ExitStack() as files:
            warps = [(i, files.enter_context(window_warper(path))) for i, path in owners]
            for y0, transform, shape in _windows(grid, rows):
                prov = read_window(provenance, slice(y0, y0 + shape[0]))
                out = np.full(shape, np.nan)
                for i, warp in warps:
                    take = prov == i
                    if take.any():
                        out[take] = warp(grid.crs, transform, shape)[take]
                stats.add(out)
                write_window(ds, np.where(np.isfinite(out), out, spec.nodata).astype(spec.dtype), y0)
                stage.advance()
    finally:
        ds.close()
    return stats


def mosaic(
    out_dirs: Sequence[str | os.PathLike],
    dest: str | os.PathLike,
    overwrite: bool = False,
    resolution: float | None = None,
    rows_per_window: int | None = None,
    progress: Progress = QUIET,
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
    rows_per_window : int, optional
        Rows of the mosaic grid made at a time (default: :data:`WINDOW_PIXELS` pixels, whole tiles).
        The files are the same whatever the window.
    progress : Progress, optional
        Shows the windows made: the provenance pass, then every product's.

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
    sources: list[dict[str, Any]] = [{"dir": Path(d), "manifest": load_manifest(Path(d))} for d in out_dirs]
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
    grid = _grid(sources, resolution)
    shape = grid.shape
    if shape[0] * shape[1] > MAX_PIXELS:
        raise OutputError(
            f"the mosaic grid would be {shape[0]} x {shape[1]} pixels (over {MAX_PIXELS:,})",
            "pass a coarser --resolution (in the first region's CRS units)",
        )
    check_folder(dest, [Path(d) / MANIFEST for d in out_dirs], allow_nonempty=False)
    rows = rows_per_window or window_rows(shape, TILE, WINDOW_PIXELS)
    with locked(dest, "mosaic"):
        owned = owned_files(check_folder(dest, [Path(d) / MANIFEST for d in out_dirs], allow_nonempty=False))
        install = [n for pid in [*products, PROVENANCE] for n in (f"{pid}.tif", f"{pid}.qml")]
        install += [STAC_DIR, MANIFEST]
        existing = [n for n in install if os.path.lexists(dest / n)]
        foreign = [n for n in existing if n not in owned]
        if foreign:
            raise OutputError(
                f"{dest} holds files the mosaic would replace that no scsmap manifest lists: {', '.join(foreign[:5])}",
                "they are never touched: choose another --out",
            )
        if existing and not overwrite:
            raise OutputError(
                f"a mosaic exists already in {dest} ({', '.join(existing[:3])} ...)",
                "pass --overwrite to replace it, or choose another --out",
            )
        staging = new_staging(dest)
        try:
            with gdal_env(gdal_options(ComputeConfig())):  # a run's bounded GDAL block cache
                manifest = _make(sources, products, grid, rows, staging, progress)
            manifest["files"] = install
            write_json(staging / MANIFEST, manifest)
            write_stac(staging, manifest)
            commit_files(dest, staging, install, remove=owned - set(install))
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return MosaicResult(out_dir=dest, manifest=manifest)


def _make(
    sources: list[dict[str, Any]],
    products: dict[str, dict[str, Any]],
    grid: _Grid,
    rows: int,
    staging: Path,
    progress: Progress = QUIET,
) -> dict[str, Any]:
    """Write every file of the mosaic into ``staging``; return its manifest."""
    region_names = [f"{s['manifest']['region']['name']} [{s['dir'].resolve().name}]" for s in sources]
    tags = {"SCSMAP_VERSION": __version__, "MOSAIC_OF": "; ".join(region_names), "OVERLAP_RULE": OVERLAP_RULE}

    # pass 1: footprints -> provenance (first listed region with any valid product wins)
    legend = Legend(
        "classes",
        "region each pixel comes from",
        "class",
        classes=tuple(
            (i, name, colour) for (i, _, colour), name in zip(numbered_classes(1, len(sources)), region_names)
        ),
    )
    prov_entry = {"id": PROVENANCE, "long_name": legend.title, "units": "class", "dtype": "uint8", "nodata": 255}
    prov_path = staging / f"{PROVENANCE}.tif"
    spec = _spec(staging / f"{PROVENANCE}.tmp.tif", prov_entry, {**tags, "PRODUCT_ID": PROVENANCE}, legend)
    prov_stats, pixels = _provenance(sources, grid, rows, spec, legend, prov_path, progress)

    # pass 2: each product from the provenance region of each pixel
    entries = []
    n_windows = sum(1 for _ in _windows(grid, rows))
    with progress.stage("products", len(products) * n_windows, detail=f"{len(products)} products") as stage:
        for pid, e in products.items():
            p = PRODUCTS.get(pid)
            legend_p = (
                legend_for(p)
                if p is not None
                else Legend("ramp", e["long_name"], e["units"], stops=((0.0, "#f7fbff"), (1.0, "#08306b")))
            )
            owners = [
                (i, s["dir"] / own["path"])
                for i, s in enumerate(sources, start=1)
                if (own := next((x for x in s["manifest"]["products"] if x["id"] == pid), None)) is not None
            ]
            path = staging / f"{pid}.tif"
            spec = _spec(staging / f"{pid}.tmp.tif", e, {**tags, "PRODUCT_ID": pid, "UNITS": e["units"]}, legend_p)
            stats = _finish(spec, _product(owners, prov_path, grid, rows, spec, stage), path, legend_p)
            entries.append(
                {
                    **{k: e[k] for k in ("id", "long_name", "units", "dtype", "nodata")},
                    "path": path.name,
                    "sha256": sha256(path),
                    "statistics": stats,
                    "valid_range": e.get("valid_range"),
                }
            )
    entries.append(
        {
            **prov_entry,
            "path": prov_path.name,
            "sha256": sha256(prov_path),
            "statistics": prov_stats,
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
            "crs": grid.name,
            "shape": list(grid.shape),
            "resolution": [grid.transform.a, grid.transform.e],
            "transform": list(grid.transform)[:6],
        },
        "overlap_rule": OVERLAP_RULE,
        "sources": [
            {
                "provenance_code": i,
                "region": s["manifest"]["region"],
                "out_dir": str(s["dir"].resolve()),
                "config_sha256": s["manifest"].get("config_sha256"),
                "pixels": pixels[i],
            }
            for i, s in enumerate(sources, start=1)
        ],
        "products": entries,
    }
    return manifest
