"""Writing products: dask → tiled GeoTIFF (per-file lock) → Cloud Optimized GeoTIFF.

The GDAL COG driver cannot be a chunked write target, so each product is first
stored block by block into a tiled GeoTIFF in the run's staging directory, with its
band description, unit, nodata, provenance tags, exact statistics and (class maps)
colour table; GDAL then copies it into a COG (512 px tiles, DEFLATE with
predictor, overviews; the first overview level made in the same pass when the
chunks allow it, :mod:`scsmap.io.overviews`). The staging directory is on the
same file system as the outputs, so the final ``os.replace`` is atomic.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import math
import shutil
import threading
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.shutil
from odc.geo.geobox import GeoBox
from rasterio.windows import Window

from ..errors import OutputError
from .overviews import first_level_path, first_overview, overview_path


@dataclass
class RasterSpec:
    """What the writer needs to know about one output file."""

    path: Path
    dtype: str
    nodata: float
    description: str
    units: str
    tags: dict[str, str]
    colormap: dict[int, tuple[int, int, int, int]] | None = None
    resampling: str = "average"
    band_tags: dict[str, str] | None = None


def write_band1(dataset, value: np.ndarray, window: Window) -> None:
    """Write a block into band 1 of an open dataset.

    A 2-D block is written as a (1, y, x) view with the band list ``[1]``: given a band number, rasterio stacks
    the block into a new 3-D array first (a copy of each block, 0.4 ms of 1.8 for a 1024 x 1024 float32 block).

    Parameters
    ----------
    dataset : rasterio.io.DatasetWriter
        Open for writing, its dtype the block's.
    value : numpy.ndarray
        (y, x), or (1, y, x), the window's shape.
    window : rasterio.windows.Window
        Where the block goes, in the dataset's pixels.

    Raises
    ------
    ValueError
        A closed dataset (rasterio's ``write``).
    AttributeError
        A dataset opened read-only (it has no ``write``).
    rasterio.errors.RasterioIOError
        GDAL failing to write the block.
    """
    if value.ndim == 2:
        dataset.write(value[np.newaxis], [1], window=window)
    else:
        dataset.write(value, 1, window=window)


class BlockTarget:
    """A ``dask.array.store`` target writing blocks into band 1 of an open dataset."""

    def __init__(self, dataset, lock: threading.Lock):
        self.dataset = dataset
        self.lock = lock

    def __setitem__(self, key, value):
        ys, xs = key[-2:]
        win = Window(xs.start, ys.start, xs.stop - xs.start, ys.stop - ys.start)
        with self.lock:
            if self.dataset.closed:  # a failed run closed it while this block was being computed
                raise RuntimeError(f"{self.dataset.name} was closed: the run was aborted")
            write_band1(self.dataset, value, win)

    def close(self) -> None:
        """Close the dataset once no block is being written (safe while other threads still write)."""
        with self.lock:
            self.dataset.close()


class FileBlockTarget:
    """A ``dask.array.store`` target for distributed workers: reopen the GeoTIFF, write one block.

    The file must have been created (and closed) by the client with ``SPARSE_OK=TRUE``; a
    cluster-wide :class:`distributed.Lock` per file serialises the writers.
    """

    def __init__(self, path: Path, lock):
        self.path = str(path)
        self.lock = lock

    def __setitem__(self, key, value):
        ys, xs = key[-2:]
        win = Window(xs.start, ys.start, xs.stop - xs.start, ys.stop - ys.start)
        with self.lock, rasterio.open(self.path, "r+") as ds:
            write_band1(ds, value, win)


class OverviewBlockTarget:
    """A ``dask.array.store`` target writing a block and the first overview level it gives (two files).

    Each block goes to ``main`` as it is and, halved (:func:`scsmap.io.overviews.first_overview`), to ``level1``
    at half its grid position: one task per block stores both, where a separate task made and stored the
    level from the written block (a task and a hand-over to the scheduler fewer per product and chunk: the
    1e7-pixel benchmark's graph has 256 tasks fewer of about 2,000, docs/scaling.md).

    Parameters
    ----------
    main, level1 : BlockTarget or FileBlockTarget
        The staging file's target and its first level's (:func:`scsmap.io.overviews.first_level_path`).
    nodata : float
        The product's nodata value, as written.
    resampling : {"average", "nearest"}
        The product's overview resampling.

    Notes
    -----
    Every block must start on an even row and column and have an even height and width
    (:func:`scsmap.io.overviews.has_first_overview` of the grid's chunks); else ``__setitem__`` raises
    ``ValueError`` before writing anything (an odd height or width: :func:`scsmap.io.overviews.first_overview`,
    after the block itself is written).
    """

    def __init__(self, main, level1, nodata: float, resampling: str):
        self.main, self.level1 = main, level1
        self.nodata, self.resampling = nodata, resampling

    def __setitem__(self, key, value):
        ys, xs = key[-2:]
        if ys.start % 2 or xs.start % 2:
            raise ValueError(f"a block at row {ys.start}, column {xs.start} does not start a 2 x 2 cell")
        self.main[key] = value
        half = (slice(ys.start // 2, ys.stop // 2), slice(xs.start // 2, xs.stop // 2))
        self.level1[half] = first_overview(value, self.nodata, self.resampling)

    def close(self) -> None:
        """Close both files under their writers' locks (:meth:`BlockTarget.close`; a :class:`FileBlockTarget`
        has no file open to close)."""
        for target in (self.main, self.level1):
            if hasattr(target, "close"):
                target.close()


@functools.cache
def staging_compression() -> dict[str, str]:
    """Compression of the staging GeoTIFFs: ZSTD level 1 where GDAL has it (written and read back 2-3x faster
    than DEFLATE, the COG's own compression), else DEFLATE; :func:`open_tiled` adds predictor 2. The COG made
    from it is the same byte for byte whatever the staging compression."""
    from rasterio.io import MemoryFile

    try:
        with (
            MemoryFile() as mem,
            mem.open(
                driver="GTiff",
                width=1,
                height=1,
                count=1,
                dtype="uint8",
                crs="EPSG:4326",
                transform=rasterio.transform.from_origin(0.0, 1.0, 1.0, 1.0),
                compress="ZSTD",
                ZSTD_LEVEL=1,
            ) as ds,
        ):
            ds.write(np.zeros((1, 1, 1), "uint8"))
        return {"compress": "ZSTD", "ZSTD_LEVEL": "1"}
    except rasterio.errors.RasterioError:  # pragma: no cover - a GDAL built without zstd
        return {"compress": "DEFLATE"}


#: staging files of a run that hold at most this many bytes in all (pixels x bytes per pixel, first overview
#: levels included) are written uncompressed: they then stay in the page cache, and a run of a small grid
#: neither compresses them nor decompresses them for the COG copy (the 8 synthetic 1e7-pixel products: 0.6
#: thread-seconds less to write, the COG conversion 0.2-0.3 s faster; docs/scaling.md). Larger runs compress
#: them (:func:`staging_compression`): at 40000 x 40000 pixels 8 products would take 64 GB.
STAGING_RAW_MAX_BYTES = 1 << 30


def compress_staging(nbytes: int) -> bool:
    """Whether staging files holding ``nbytes`` bytes in all (uncompressed) are to be compressed.

    Parameters
    ----------
    nbytes : int
        The run's staging pixels times their bytes per pixel, summed over its staging files.

    Returns
    -------
    bool
        True above :data:`STAGING_RAW_MAX_BYTES`.
    """
    return nbytes > STAGING_RAW_MAX_BYTES


def open_tiled(spec: RasterSpec, geobox: GeoBox, tile: int = 512, sparse: bool = False, compress: bool = True):
    """Create the temporary tiled GeoTIFF of a product (band 1), metadata set.

    ``sparse=True`` (``SPARSE_OK``) leaves unwritten blocks empty, so that the file can be
    closed at once and filled later block by block by other processes. ``compress=False`` writes the
    tiles uncompressed (:func:`compress_staging`); the COG made from the file is the same byte for byte.
    """
    ny, nx = geobox.shape.yx
    tile = min(tile, 512)
    profile = dict(
        driver="GTiff",
        width=nx,
        height=ny,
        count=1,
        dtype=spec.dtype,
        nodata=spec.nodata,
        crs=geobox.crs.to_wkt(),
        transform=geobox.affine,
        tiled=True,
        blockxsize=tile,
        blockysize=tile,
        BIGTIFF="IF_SAFER",
        # horizontal differencing for every dtype: on float32 products written and read back ~15 % faster than
        # the floating-point predictor (3), and smaller (MKD's 156 products 3 % smaller, the synthetic 13 %)
        **({"predictor": 2, **staging_compression()} if compress else {"compress": "NONE"}),
        **({"SPARSE_OK": "TRUE"} if sparse else {}),
    )
    ds = rasterio.open(spec.path, "w", **profile)
    ds.set_band_description(1, spec.description)
    ds.set_band_unit(1, spec.units)
    ds.update_tags(**spec.tags)
    if spec.band_tags:
        ds.update_tags(1, **spec.band_tags)
    if spec.colormap:
        ds.write_colormap(1, spec.colormap)
    return ds


def write_window(dataset, array: np.ndarray, row: int, col: int = 0) -> None:
    """Write a 2-D array into band 1 of an open dataset (:func:`open_tiled`) with its top-left pixel at (row, col)."""
    height, width = array.shape
    dataset.write(array, 1, window=Window(col, row, width, height))


#: the band statistics GDAL reads from ``STATISTICS_*`` tags
GDAL_STATISTICS = ("minimum", "maximum", "mean", "stddev", "valid_percent")


def set_statistics(path: Path, stats: dict[str, float]) -> None:
    """Write exact band statistics as GDAL's ``STATISTICS_*`` band tags (:data:`GDAL_STATISTICS`)."""
    with rasterio.open(path, "r+") as ds:
        ds.update_tags(
            1, **{f"STATISTICS_{k.upper()}": repr(float(v)) for k, v in stats.items() if k in GDAL_STATISTICS}
        )


def categories_path(path: str | Path) -> Path:
    """The GDAL PAM sidecar of a raster (``<file>.aux.xml``) that holds its category names and attribute table."""
    p = Path(path)
    return p.with_name(p.name + ".aux.xml")


def write_categories(
    path: str | Path, classes: Sequence[tuple[int, str, str]], counts: Mapping[int, int] | None = None
) -> Path:
    """Write the category names and the raster attribute table (RAT) of a class map for GDAL.

    A GeoTIFF cannot hold category names or a RAT itself: GDAL keeps them in the PAM sidecar
    ``<file>.aux.xml`` (the GTiff driver does the same), which GDAL tools (``gdalinfo -json``:
    ``categories`` and ``rat``), R/terra (``cats()``), ArcGIS and QGIS read with the file.

    Parameters
    ----------
    path : path-like
        The GeoTIFF.
    classes : sequence of (int, str, str)
        Code, label, ``#rrggbb`` of each class (codes 0..254).
    counts : mapping of int to int, optional
        Pixels per code: the RAT then lists the codes that occur, with a ``Count`` column (the ArcGIS
        convention); otherwise every class.

    Returns
    -------
    Path
        The ``.aux.xml`` file.

    Raises
    ------
    OSError
        As the file system reports it.
    """
    names = {int(c): str(label) for c, label, _ in classes}
    root = ET.Element("PAMDataset")
    band = ET.SubElement(root, "PAMRasterBand", band="1")
    cats = ET.SubElement(band, "CategoryNames")
    for code in range(max(names) + 1 if names else 0):
        ET.SubElement(cats, "Category").text = names.get(code, "")
    rat = ET.SubElement(band, "GDALRasterAttributeTable", tableType="thematic")
    # GDAL field types: 0 integer, 2 string; usages: 5 min-max (the value), 1 pixel count, 2 name, 6-9 RGBA
    fields = [("Value", 0, 5)] + ([("Count", 0, 1)] if counts is not None else []) + [("Class", 2, 2)]
    fields += [("Red", 0, 6), ("Green", 0, 7), ("Blue", 0, 8), ("Alpha", 0, 9)]
    for i, (name, ftype, usage) in enumerate(fields):
        fd = ET.SubElement(rat, "FieldDefn", index=str(i))
        ET.SubElement(fd, "Name").text = name
        ET.SubElement(fd, "Type").text = str(ftype)
        ET.SubElement(fd, "Usage").text = str(usage)
    rows = [(int(c), label, colour) for c, label, colour in classes if counts is None or counts.get(int(c), 0) > 0]
    for i, (code, label, colour) in enumerate(rows):
        row = ET.SubElement(rat, "Row", index=str(i))
        values = [str(code)] + ([str(int(counts.get(code, 0)))] if counts is not None else []) + [label]
        values += [str(v) for v in hex_to_rgba(colour)]
        for v in values:
            ET.SubElement(row, "F").text = v
    ET.indent(root)
    out = categories_path(path)
    write_text(out, ET.tostring(root, encoding="unicode") + "\n")
    return out


#: GDAL COG creation options of every product besides its tile size (DEFLATE with predictor, overviews).
#: DEFLATE level 3, not GDAL's default 6: on the MKD products 31 % faster to write for files 2.5 % larger
#: (docs/scaling.md, "Speed: where the time goes"); any GeoTIFF reader decodes it the same way. Predictor 2
#: (horizontal differencing, TIFF 6.0 §14) for every dtype, float32 too, where ``YES`` took the floating-point
#: predictor 3 for float32: the MKD products 5 % smaller and read back 30 % faster, the synthetic ones 10 %
#: smaller, both written a little faster (docs/scaling.md); the same pixels, losslessly.
COG_OPTIONS: dict[str, str] = {
    "COMPRESS": "DEFLATE",
    "LEVEL": "3",
    "PREDICTOR": "2",
    "OVERVIEWS": "IGNORE_EXISTING",
    "BIGTIFF": "IF_SAFER",
    "NUM_THREADS": "1",
}


def to_cog(src: Path, dst: Path, resampling: str, tile: int = 512) -> None:
    """Copy a tiled GeoTIFF into a Cloud Optimized GeoTIFF with overviews (:data:`COG_OPTIONS`).

    When the compute pass made the first overview level (:func:`scsmap.io.overviews.first_level_path`),
    GDAL's COG driver makes the further levels from it, as it makes them from the first level it
    computes itself, into the file's external overview (:func:`scsmap.io.overviews.overview_path`,
    compressed as ``src`` is, or not), and the final copy takes them from there (``OVERVIEWS=AUTO``); else the
    driver makes every level from ``src``. The COG holds the same pixels either way.
    """
    options = dict(COG_OPTIONS)
    level1 = first_level_path(src)
    if level1.exists():
        with rasterio.open(src) as ds:  # the further levels take the staging's compression, or none (compress_staging)
            raw = ds.compression is None
        staging = (
            {"COMPRESS": "NONE"}
            if raw
            else {k.upper().replace("ZSTD_", ""): v for k, v in staging_compression().items()}
        )
        rasterio.shutil.copy(
            level1,
            overview_path(src),
            driver="COG",
            BLOCKSIZE=str(tile),
            OVERVIEW_RESAMPLING=resampling.upper(),
            RESAMPLING=resampling.upper(),
            **{**COG_OPTIONS, **staging, "PREDICTOR": "NO"},
        )
        level1.unlink()
        options["OVERVIEWS"] = "AUTO"
    rasterio.shutil.copy(
        src,
        dst,
        driver="COG",
        BLOCKSIZE=str(tile),
        OVERVIEW_RESAMPLING=resampling.upper(),
        RESAMPLING=resampling.upper(),
        **options,
    )


def sha256(path: Path, bufsize: int = 1 << 20) -> str:
    """sha256 hex digest of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(bufsize):
            h.update(chunk)
    return h.hexdigest()


def finish_stats(parts: dict[str, Any]) -> dict[str, float]:
    """Exact statistics from computed partial sums (count, sum, sumsq, min, max).

    With a ``sample`` of the pixels (every k-th row and column of the grid) also the 2nd and 98th
    percentiles ``p2`` and ``p98`` of the sample (linear interpolation), the range of
    ``outputs.legend: data``.
    """
    n = int(parts["count"])
    total = int(parts["total"])
    if n == 0:
        return {"valid_percent": 0.0}
    mean = float(parts["sum"]) / n
    var = max(float(parts["sumsq"]) / n - mean * mean, 0.0)
    out = {
        "minimum": float(parts["min"]),
        "maximum": float(parts["max"]),
        "mean": mean,
        "stddev": math.sqrt(var),
        "valid_percent": 100.0 * n / total,
    }
    sample = np.asarray(parts.get("sample", ()), dtype="f8").ravel()
    sample = sample[np.isfinite(sample)]
    if sample.size:
        out["p2"], out["p98"] = (float(v) for v in np.percentile(sample, [2, 98]))
    return out


def class_pixels(parts: dict[str, Any]) -> dict[int, int]:
    """Pixels per class code of a class map from its computed statistics (nodata 255 left out)."""
    counts = np.asarray(parts.get("classes", ()), dtype="f8")
    return {int(c): int(round(counts[c])) for c in np.flatnonzero(counts[:255] > 0)}


def hex_to_rgba(color: str) -> tuple[int, int, int, int]:
    """'#rrggbb' → (r, g, b, 255)."""
    c = color.lstrip("#")
    return (int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16), 255)


def class_codes(values: np.ndarray, nodata: int, dtype: str, product: str) -> np.ndarray:
    """Cast a float class map block to its integer dtype, NaN → ``nodata``, never wrapping around.

    Raises
    ------
    OutputError
        When a finite value is not a whole number in ``0 .. nodata - 1`` (it would wrap or
        collide with nodata in ``dtype``).
    """
    ok = np.isfinite(values)
    v = values[ok]
    if v.size and (v.min() < 0 or v.max() >= nodata or not np.array_equal(v, np.round(v))):
        bad = np.unique(v[(v < 0) | (v >= nodata) | (v != np.round(v))])[:10]
        raise OutputError(
            f"product {product!r}: class values {bad.tolist()} do not fit {dtype} (0..{nodata - 1}, {nodata} = nodata)",
            "check the class codes of the land-use inputs and tables",
        )
    return np.where(ok, values, nodata).astype(dtype)


def disk_full(exc: BaseException, folder: Path | None = None) -> bool:
    """True when ``exc`` (or an exception it was raised from) says the file system is full.

    GDAL's write errors often say only "Write failed"; with ``folder`` (where the run writes) a write
    error while that file system has less than 1 MB free counts as a full disk too.
    """
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if (isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT)) or any(
            t in str(e) for t in ("No space left on device", "Disk quota exceeded")
        ):
            return True
        e = e.__cause__ or e.__context__
    if folder is not None and ("Write failed" in str(exc) or isinstance(exc, OSError)):
        try:
            return shutil.disk_usage(folder).free < 2**20
        except OSError:
            return False
    return False


def write_text(path: Path, text: str) -> None:
    """Write a UTF-8 text file (a style sidecar, a report, a table) in one call.

    Raises
    ------
    OSError
        As the file system reports it (the callers turn it into an ``OutputError``).
    """
    Path(path).write_text(text, encoding="utf-8")


def write_new_text(path: Path, text: str, overwrite: bool = False) -> None:
    """Write a UTF-8 text file a user asked for (``scsmap init``'s config), never replacing one by surprise.

    Parameters
    ----------
    path : Path
    text : str
    overwrite : bool
        Replace an existing file; else the file is created only if it does not exist (atomically).

    Raises
    ------
    FileExistsError
        ``path`` exists and ``overwrite`` is False.
    OSError
        As the file system reports it.
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w" if overwrite else "x", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def write_bytes(path: Path, data: bytes) -> None:
    """Write a binary file (an image) in one call.

    Raises
    ------
    OSError
        As the file system reports it.
    """
    Path(path).write_bytes(data)


def write_columns_csv(path: Path, columns: dict[str, Any], order: Sequence[str], float_format: str = "%.10g") -> None:
    """Write parallel columns (name → 1-D array or list) as a CSV table with a header row.

    Parameters
    ----------
    path : Path
    columns : dict
        Column name → values, all of one length.
    order : sequence of str
        The columns to write, in order.
    float_format : str
        printf format of floating-point cells.
    """
    import pandas as pd

    pd.DataFrame({k: columns[k] for k in order}).to_csv(path, index=False, float_format=float_format)
