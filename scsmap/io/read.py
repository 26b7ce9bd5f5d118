"""Reading rasters: lazy input layers (bands, nodata, CRS, units, physical-range checks) and finished products.

:func:`open_layer` returns a dask-backed ``DataArray`` (band, y, x) in float32 with
NaN for nodata and values in the layer's canonical unit, on the file's own grid.
:func:`preflight` reads a decimated window over the region first, so that a wrong
unit, an all-nodata layer or a file outside the region is refused before any
output is written.

The outputs stage (``scsmap stats``, ``report``, ``mosaic``) reads finished products only
through :func:`read_window` (a block of rows), :func:`read_decimated` (a quick-look from the
overviews), :func:`warp_window` (a window of another grid, nearest-neighbour) and
:func:`read_band`, with nodata as NaN, so that its memory is bounded by what it asks for.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.windows
import rioxarray
import xarray as xr
from odc.geo.geobox import GeoBox
from odc.geo.geom import Geometry
from rasterio.crs import CRS as RioCRS
from rasterio.enums import Resampling

from ..config import LAYERS, InputConfig, input_paths
from ..config.load import local_path
from ..config.units import conversion, hint
from ..errors import InputError

CORRUPT_HINT = "the file is corrupt, truncated or not a raster GDAL can read (check it with gdalinfo -checksum)"


@dataclass
class SourceInfo:
    """What was read for one layer (goes into the alignment report)."""

    layer: str
    paths: list[str]
    bands: list[int]
    crs: str
    resolution: tuple[float, float]
    shape: tuple[int, int]
    dtype: str
    nodata: float | None
    units_declared: str
    unit: str
    conversion: str
    geobox: GeoBox = field(repr=False)
    preflight: dict[str, Any] = field(default_factory=dict)
    #: the file's own GDAL scale and offset, applied first
    file_scale: tuple[float, float] = (1.0, 0.0)
    #: (row_start, row_stop, col_start, col_stop): the part of the file the run uses (:func:`region_window`);
    #: None: the whole file
    window: tuple[int, int, int, int] | None = field(default=None, repr=False)

    def report(self) -> dict[str, Any]:
        d = {k: v for k, v in self.__dict__.items() if k not in ("geobox", "window")}
        d["nodata"] = (
            None if self.nodata is None or (isinstance(self.nodata, float) and math.isnan(self.nodata)) else self.nodata
        )
        return d


def _crs_name(crs: RioCRS) -> str:
    epsg = crs.to_epsg()
    if epsg:
        return f"EPSG:{epsg}"
    return f"{crs.to_string()[:80]} (no EPSG code)"


def _open(path: Path | str, layer: str):
    local = local_path(path)
    if local is not None and local.exists() and not local.is_file():
        raise InputError(
            f"layer {layer!r}: {path} is not a regular file (a folder, a FIFO or a device)",
            f"point inputs.{layer}.path at a raster file",
        )
    try:
        return rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        if not Path(path).exists():
            raise InputError(
                f"layer {layer!r}: file not found: {path}",
                f"fix inputs.{layer}.path (relative paths are resolved against data_dir or the config file's folder)",
            ) from None
        raise InputError(f"layer {layer!r}: cannot read {path}: {exc}", CORRUPT_HINT) from None


def _config_crs(layer: str, text: str) -> RioCRS:
    try:
        return RioCRS.from_user_input(text)
    except rasterio.errors.CRSError as exc:
        raise InputError(
            f"layer {layer!r}: inputs.{layer}.crs = {text!r} is not a CRS PROJ knows ({exc})",
            "give an EPSG code such as 'EPSG:4326' or the WKT of the file's CRS",
        ) from None


def _bands(layer: str, spec: InputConfig, paths: list[Path]) -> list[tuple[Path, int]]:
    months = LAYERS[layer].months
    if LAYERS[layer].yearly:
        if len(paths) > 1:
            band = (spec.bands or [1])[0]
            return [(p, band) for p in paths]
        if spec.bands is None:
            with _open(paths[0], layer) as src:
                return [(paths[0], b) for b in range(1, src.count + 1)]
        return [(paths[0], b) for b in spec.bands]
    if LAYERS[layer].series:
        if len(paths) > 1:
            band = (spec.bands or [1])[0]
            pairs = [(p, band) for p in paths]
        else:
            if spec.bands is None:
                with _open(paths[0], layer) as src:
                    count = src.count
            pairs = [(paths[0], b) for b in (spec.bands or range(1, count + 1))]
        if len(pairs) < 12 or len(pairs) % 12:
            raise InputError(
                f"layer {layer!r}: {len(pairs)} monthly values given; a series needs whole years "
                "(12, 24, ... bands or files, January of the first year first)",
                f"set inputs.{layer}.bands or give 12 x years files",
            )
        return pairs
    want = 12 if months else 1
    if len(paths) > 1:
        if len(paths) != want:
            raise InputError(
                f"layer {layer!r}: {len(paths)} files given, {want} expected",
                "monthly layers need 12 files (January..December) or one 12-band file",
            )
        band = (spec.bands or [1])[0]
        return [(p, band) for p in paths]
    if months and spec.bands is None:
        with _open(paths[0], layer) as src:
            count = src.count
        if count != 12:
            raise InputError(
                f"layer {layer!r}: {paths[0]} has {count} band(s); a monthly layer needs 12 (January..December)",
                f"give a 12-band file, 12 files or a {{month:02d}} pattern, or say which bands are the months "
                f"with inputs.{layer}.bands"
                + (" (an annual file cannot stand for monthly values)" if count == 1 else ""),
            )
    bands = spec.bands or (list(range(1, 13)) if months else [1])
    if len(bands) != want:
        raise InputError(
            f"layer {layer!r}: {len(bands)} band(s) selected, {want} expected",
            f"set inputs.{layer}.bands to {want} band number(s)",
        )
    return [(paths[0], b) for b in bands]


def _resolve_nodata(spec: InputConfig, file_nodata: float | None) -> float | None:
    if spec.nodata == "none":
        return None
    if spec.nodata is not None:
        return float(spec.nodata)
    return file_nodata


def _infinite_error(layer: str, source: str) -> InputError:
    return InputError(
        f"layer {layer!r}: {source} holds infinite values (inf or -inf after scale, offset and unit conversion)",
        f"mask them in the file, set inputs.{layer}.nodata if they are its nodata value, or check "
        f"inputs.{layer}.scale (a float32 overflow); NaN is read as nodata",
    )


def _file_scale(
    layer: str, spec: InputConfig, found: list[tuple[float, float]], path: Path | str
) -> tuple[float, float]:
    """The GDAL scale/offset of a layer's bands, honoured unless the config sets its own.

    Raises
    ------
    InputError
        Bands with different scale/offset, or a file that declares one while ``inputs.<layer>.scale`` or
        ``offset`` is set too (the values would be scaled twice).
    """
    uniq = {(float(a), float(b)) for a, b in found}
    if len(uniq) > 1:
        raise InputError(
            f"layer {layer!r}: the bands of {path} have different GDAL scale/offset {sorted(uniq)}",
            "rescale the file (gdal_translate -unscale) or give one file per layer",
        )
    fs, fo = uniq.pop()
    if (fs, fo) == (1.0, 0.0):
        return fs, fo
    if spec.scale != 1.0 or spec.offset != 0.0:
        raise InputError(
            f"layer {layer!r}: {path} declares scale {fs:g} and offset {fo:g} (GDAL metadata) and inputs.{layer}.scale"
            f" / offset ({spec.scale:g}, {spec.offset:g}) are set too: the values would be scaled twice",
            f"drop inputs.{layer}.scale and offset (scsmap applies the file's own), or unscale the file first",
        )
    return fs, fo


def _location(transform: Any, crs_wkt: str, row: int, col: int) -> str:
    """Where a pixel is, for messages: its longitude and latitude (or its CRS coordinates)."""
    x, y = transform @ (col + 0.5, row + 0.5)
    try:
        lon, lat = Geometry({"type": "Point", "coordinates": (x, y)}, crs=crs_wkt).to_crs("EPSG:4326").coords[0]
        return f"lon {lon:.4f}, lat {lat:.4f}"
    except Exception:  # pragma: no cover - a CRS without a path to lon/lat
        return f"x {x:.6g}, y {y:.6g}"


def _check_block(
    x: np.ndarray,
    layer: str,
    source: str,
    valid: tuple[float, float] | None,
    unit: str,
    transform: Any,
    crs_wkt: str,
    window: tuple[int, int, int, int],
    block_info: dict | None = None,
) -> np.ndarray:
    """Refuse infinite values and values outside the physical range in the part of one block of an input that
    lies in ``window`` (row0, row1, col0, col1 of the file: the region and a margin), naming where."""
    if block_info:
        (b0, _), (r0, r1), (c0, c1) = block_info[0]["array-location"]
    else:
        b0, r0, r1, c0, c1 = 0, 0, x.shape[1], 0, x.shape[2]
    wr0, wr1, wc0, wc1 = window
    sub = x[:, max(wr0 - r0, 0) : max(min(wr1, r1) - r0, 0), max(wc0 - c0, 0) : max(min(wc1, c1) - c0, 0)]
    if sub.size == 0:
        return x
    if np.isinf(sub).any():
        raise _infinite_error(layer, source)
    if valid is not None:
        with np.errstate(invalid="ignore"):
            bad = (sub < valid[0]) | (sub > valid[1])
        if bad.any():
            b, r, c = (int(i[0]) for i in np.nonzero(bad))
            row, col = max(wr0, r0) + r, max(wc0, c0) + c
            raise InputError(
                f"layer {layer!r}: value {sub[b, r, c]:g} {unit} at row {row}, column {col} "
                f"({_location(transform, crs_wkt, row, col)}) of {source}, band {b0 + b + 1} of the layer, is outside "
                f"the physical range {valid[0]:g}..{valid[1]:g} {unit} ({int(bad.sum())} such value(s) in that block)",
                f"mask it in the file or as inputs.{layer}.nodata, or declare the units the file really stores "
                f"(inputs.{layer}.units, scale)",
            )
    return x


def region_window(gbox: GeoBox, footprint: Geometry | None) -> tuple[int, int, int, int]:
    """The pixels of a file a run uses: those within the region's bounding box, and 2 pixels around it (which the
    warp may read).

    Parameters
    ----------
    gbox : GeoBox
        The file's grid.
    footprint : odc.geo.geom.Geometry or None
        The region; None: the whole file.

    Returns
    -------
    (row_start, row_stop, col_start, col_stop) : tuple of int
        Rows and columns of the file, clipped to it; the whole file when ``footprint`` is None, does not
        overlap the file or cannot be transformed to its CRS (:func:`preflight` reports those).
    """
    ny, nx = gbox.shape.yx
    if footprint is None:
        return (0, ny, 0, nx)
    try:
        bounds = (footprint.to_crs(gbox.crs) & gbox.extent).boundingbox
        win = covering_window(bounds, gbox.affine, ny, nx, margin=2)
    except Exception:  # no overlap or no CRS path: preflight says so
        return (0, ny, 0, nx)
    return (win.row_off, win.row_off + win.height, win.col_off, win.col_off + win.width)


def check_pixels(data: xr.DataArray, info: SourceInfo) -> xr.DataArray:
    """``data`` (band, y, x) with every pixel over the region checked when its block is computed.

    Every pixel of ``info.window`` (the region's bounding box and 2 pixels around it, which the warp
    may use: :func:`region_window`) must be finite and inside the layer's physical range; pixels
    farther away are never used and never checked (``info.window`` None: the whole file). The check runs in
    the same pass as the maps, on all pixels (:func:`preflight` only samples a decimated window before
    anything is computed).

    Raises
    ------
    InputError
        When the block is computed, naming the layer, the file, the value and where it is.
    """
    gbox = info.geobox
    window = info.window or (0, gbox.shape.y, 0, gbox.shape.x)
    lspec = LAYERS[info.layer]
    source = " / ".join(info.paths)
    crs_wkt = gbox.crs.to_wkt()  # a string: dask names the task from its arguments, and hashes a str fastest
    checked = data.data.map_blocks(
        _check_block, info.layer, source, lspec.valid_range, lspec.unit, gbox.affine, crs_wkt, window, dtype=data.dtype
    )
    return data.copy(data=checked)


def _finite_block(x: np.ndarray, layer: str, source: str) -> np.ndarray:
    """NaN where ``x`` is NaN; :class:`InputError` on any infinite value (never a silent overflow)."""
    if np.isinf(x).any():
        raise _infinite_error(layer, source)
    return x


def _to_canonical(
    raw: Any,
    dtype: np.dtype,
    nodata: float | None,
    spec: InputConfig,
    layer: str,
    source: str = "the file",
    file_scale: tuple[float, float] = (1.0, 0.0),
):
    """Mask nodata, apply the file's and the config's scale/offset and the unit conversion; float32 out.

    ``canonical = ((raw * file_scale + file_offset) * scale + offset) * factor + shift`` where
    ``file_scale`` = (GDAL scale, GDAL offset) of the file's band and ``scale``/``offset`` those of the
    config (at most one of the two is not (1, 0): :func:`_file_scale`).

    Returns
    -------
    numpy.ndarray or xarray.DataArray
        float32, NaN where nodata. A numpy input is checked at once; a dask-backed DataArray is not
        (see :func:`check_pixels`).

    Raises
    ------
    InputError
        (numpy input) where a value is infinite after the conversion: an inf in the file or a float32
        overflow of scale/offset.
    """
    conv = conversion(layer, spec.units)
    fs, fo = file_scale
    a = np.float32(fs * spec.scale * conv.factor)
    b = np.float32((fo * spec.scale + spec.offset) * conv.factor + conv.shift)
    args = (dtype, nodata, a, b, conv.transform)
    if isinstance(raw, xr.DataArray):  # one task per block, not a lazy xarray operation per step
        meta = np.empty((0,) * raw.ndim, np.float32)
        data = raw.data.map_blocks(_canonical_block, *args, dtype=np.float32, meta=meta)
        return xr.DataArray(data, coords=raw.coords, dims=raw.dims, name=raw.name)
    return _finite_block(_canonical_block(np.asarray(raw), *args), layer, source)


def _canonical_block(
    raw: np.ndarray, dtype: np.dtype, nodata: float | None, a: np.float32, b: np.float32, transform: str | None
) -> np.ndarray:
    """:func:`_to_canonical` of a block of the file's values: nodata masked (a float nodata also within 1e-6 of
    it, relative), float32, ``x * a + b`` (the scales and the unit conversion), then the unit's transform."""
    if nodata is not None and not (isinstance(nodata, float) and math.isnan(nodata)):
        if np.issubdtype(dtype, np.floating):
            nod = np.asarray(nodata).astype(dtype)
            invalid = (raw == nod) if not np.isfinite(nod) else (raw == nod) | (abs(raw - nod) <= abs(nod) * 1e-6)
        else:
            invalid = raw == nodata
    else:
        invalid = None
    x = raw.astype("float32")
    if invalid is not None:
        x = np.where(invalid, np.float32(np.nan), x)
    if a != 1 or b != 0:
        with np.errstate(over="ignore"):  # an overflow becomes inf, refused by the checks
            x = x * a + b
    if transform is not None:  # angles -> percent slope: 100 tan(angle)
        x = np.tan(np.radians(x) if transform == "tan_degree" else x) * np.float32(100.0)
    return x


def chunks_around(start: int, stop: int, n: int, size: int) -> tuple[int, ...]:
    """Chunks along an axis of ``n`` pixels in which the pixels ``start:stop`` have chunks of their own.

    Parameters
    ----------
    start, stop : int
        The part of the axis a run uses (:func:`region_window`), 0 <= start < stop <= n.
    n : int
        Pixels along the axis.
    size : int
        Largest chunk, pixels.

    Returns
    -------
    tuple of int
        Chunk lengths (sum ``n``), each at most ``size``: boundaries at ``start`` and ``stop`` unless the part
        left outside is under ``size // 8`` pixels (then it joins the chunks of ``start:stop``, whose chunks
        start at 0 as without a region: a file cut close around the region keeps its regular chunks).
    """
    if start < size // 8:
        start = 0
    if n - stop < size // 8:
        stop = n
    out: list[int] = []
    for a, b in ((0, start), (start, stop), (stop, n)):
        while a < b:
            out.append(min(size, b - a))
            a += out[-1]
    return tuple(out)


def _runs(pairs: list[tuple[Path, int]]) -> list[tuple[Path, list[int]]]:
    """Consecutive (file, band) pairs of one file as (file, bands), in order: what one opening of the file reads."""
    runs: list[tuple[Path, list[int]]] = []
    for path, band in pairs:
        if runs and runs[-1][0] == path:
            runs[-1][1].append(band)
        else:
            runs.append((path, [band]))
    return runs


def open_layer(
    layer: str, spec: InputConfig, chunk_size: int, footprint: Geometry | None = None
) -> tuple[xr.DataArray, SourceInfo]:
    """Open one input layer lazily in canonical units.

    Parameters
    ----------
    layer : str
        Canonical layer name (see :mod:`scsmap.config.catalogue`).
    spec : InputConfig
        The layer's entry in the config.
    chunk_size : int
        dask chunk size in y and x, pixels (``grid.chunk_size``, whose default is the config schema's).
    footprint : odc.geo.geom.Geometry, optional
        The region: only pixels over it are checked when computed (:func:`check_pixels`); None: all. The
        part of the file over it (:func:`region_window`) has chunks of its own (:func:`chunks_around`), so a
        region inside a large file reads that part, not whole chunks reaching far beyond it.

    Returns
    -------
    data : xarray.DataArray
        float32, dims (band, y, x), NaN where nodata; 12 bands for monthly layers.
    info : SourceInfo
        CRS, resolution, nodata and conversion, for the alignment report.

    Raises
    ------
    InputError
        Missing or unreadable file, no CRS, bands out of range, grids of monthly
        files that differ.
    """
    paths = input_paths(spec)
    pairs = _bands(layer, spec, paths)
    arrays = []
    scales: list[tuple[float, float]] = []
    first = None
    chunks: dict[str, Any] | None = None
    window = None  # the part of the file the run uses (region_window), set with the chunks
    for path, bands in _runs(pairs):  # each file opened once for all its bands
        with _open(path, layer) as src:
            for band in bands:
                if band < 1 or band > src.count:
                    if LAYERS[layer].months and src.count < 12 and len(pairs) >= 12 and len({p for p, _ in pairs}) == 1:
                        raise InputError(
                            f"layer {layer!r}: {path} has {src.count} band(s); a monthly layer needs 12 values "
                            f"(January..December), and inputs.{layer}.bands asks for band {band}"
                            + (
                                ": this is an annual file, which cannot stand for monthly values"
                                if src.count == 1
                                else ""
                            ),
                            "give a 12-band file, 12 files (a list or a {month:02d} pattern) of monthly values",
                        )
                    raise InputError(
                        f"layer {layer!r}: band {band} requested but {path} has {src.count} band(s)",
                        f"fix inputs.{layer}.bands",
                    )
            crs = _config_crs(layer, spec.crs) if spec.crs else src.crs
            if crs is None:
                raise InputError(
                    f"layer {layer!r}: {path} has no CRS",
                    f"set inputs.{layer}.crs (e.g. 'EPSG:4326') if you know the file's CRS",
                )
            if src.transform.is_identity:
                raise InputError(
                    f"layer {layer!r}: {path} has no georeferencing (identity transform)",
                    "georeference the file (e.g. gdal_translate -a_ullr) before using it",
                )
            if src.transform.b != 0 or src.transform.d != 0:
                raise InputError(
                    f"layer {layer!r}: {path} has a rotated or sheared geotransform ({tuple(src.transform)[:6]})",
                    "rotated geotransform: warp it first (gdalwarp -t_srs <its CRS> in.tif out.tif)",
                )
            scales.extend((src.scales[band - 1], src.offsets[band - 1]) for band in bands)
            sig = (src.shape, tuple(round(v, 9) for v in src.transform[:6]))
            if first is None:
                first = dict(
                    sig=sig,
                    crs=crs,
                    res=src.res,
                    shape=src.shape,
                    dtype=src.dtypes[bands[0] - 1],
                    nodata=_resolve_nodata(spec, src.nodata),
                    transform=src.transform,
                )
            elif sig != first["sig"]:
                raise InputError(
                    f"layer {layer!r}: {path} is not on the same grid as {pairs[0][0]}",
                    "monthly files of one layer must share one grid",
                )
        if chunks is None:  # the files of a layer share one grid (checked above)
            window = region_window(GeoBox(first["shape"], first["transform"], first["crs"].to_wkt()), footprint)
            r0, r1, c0, c1 = window
            ny, nx = first["shape"]
            chunks = {"band": 1, "y": chunks_around(r0, r1, ny, chunk_size), "x": chunks_around(c0, c1, nx, chunk_size)}
        da = rioxarray.open_rasterio(path, chunks=chunks, masked=False, lock=False, cache=False)
        arrays.append(da.sel(band=list(bands)))
    assert first is not None
    raw = xr.concat(arrays, dim="band") if len(arrays) > 1 else arrays[0]
    raw = raw.assign_coords(band=np.arange(1, len(pairs) + 1))
    dtype = np.dtype(first["dtype"])
    file_scale = _file_scale(layer, spec, scales, pairs[0][0])
    source = " / ".join(str(p) for p in dict.fromkeys(p for p, _ in pairs))
    data = _to_canonical(raw, dtype, first["nodata"], spec, layer, source=source, file_scale=file_scale)
    data = data.rio.write_crs(first["crs"]).rio.write_nodata(np.nan, encoded=False)
    data.attrs = {"units": LAYERS[layer].unit, "long_name": LAYERS[layer].description}
    data.name = layer
    geobox = GeoBox(first["shape"], first["transform"], first["crs"].to_wkt())
    conv = conversion(layer, spec.units)
    info = SourceInfo(
        layer=layer,
        paths=[str(p) for p in dict.fromkeys(p for p, _ in pairs)],
        bands=[b for _, b in pairs],
        crs=_crs_name(first["crs"]) + (" (assigned in config)" if spec.crs else ""),
        resolution=(abs(first["res"][0]), abs(first["res"][1])),
        shape=tuple(first["shape"]),
        dtype=str(dtype),
        nodata=first["nodata"],
        units_declared=spec.units,
        unit=LAYERS[layer].unit,
        conversion=(
            f"raw * {file_scale[0]:g} + {file_scale[1]:g} (the file's GDAL scale/offset), then "
            if file_scale != (1.0, 0.0)
            else ""
        )
        + f"(raw * {spec.scale} + {spec.offset}) * {conv.factor} + {conv.shift}"
        + (f", then 100 tan(x {spec.units})" if conv.transform else "")
        + (f" ({conv.note})" if conv.note else ""),
        geobox=geobox,
        file_scale=file_scale,
        window=window,
    )
    return check_pixels(data, info), info


def preflight(info: SourceInfo, spec: InputConfig, footprint: Geometry, max_pixels: int = 2048) -> dict[str, Any]:
    """Check a layer over the region before anything is computed.

    Reads the window of each file that covers the region (decimated to at most
    ``max_pixels`` per side), converts to canonical units and checks overlap,
    valid pixels and the physical range.

    Returns
    -------
    dict
        ``min``, ``max``, ``valid_fraction`` of the decimated window; for class layers also ``codes``, the
        class codes sampled (at most 300).

    Raises
    ------
    InputError
        If the file does not overlap the region, has no valid pixel over it, or
        holds values outside the layer's physical range (a unit mistake).
    """
    layer = info.layer
    lspec = LAYERS[layer]
    gbox = info.geobox
    try:
        fp = footprint.to_crs(gbox.crs)
        gbox.extent.to_crs("EPSG:4326")
    except Exception as exc:  # pyproj ProjError / CRSError: no transformation between the two CRSs
        where = f"as assigned in inputs.{layer}.crs" if spec.crs else "as written in the file"
        raise InputError(
            f"layer {layer!r}: the CRS of {info.paths[0]} ({info.crs}, {where}) cannot be transformed to the "
            f"region's CRS ({exc})",
            f"set inputs.{layer}.crs to the file's real CRS (an EPSG code or a WKT with a datum PROJ can "
            "transform), or reproject the file first (gdalwarp -t_srs EPSG:4326)",
        ) from None
    if not fp.intersects(gbox.extent):
        b = gbox.extent.to_crs("EPSG:4326").boundingbox
        r = footprint.to_crs("EPSG:4326").boundingbox
        raise InputError(
            f"layer {layer!r}: {info.paths[0]} does not overlap the region "
            f"(file covers lon {b.left:.3f}..{b.right:.3f}, lat {b.bottom:.3f}..{b.top:.3f}; "
            f"region lon {r.left:.3f}..{r.right:.3f}, lat {r.bottom:.3f}..{r.top:.3f})",
            "check that the file is for this region and that its CRS is right",
        )
    bb = (fp & gbox.extent).boundingbox
    lo, hi, n_valid, n_total, samples = math.inf, -math.inf, 0, 0, []
    for path in info.paths:
        bands = info.bands if len(info.paths) == 1 else [info.bands[0]]
        try:
            with rasterio.open(path) as src:
                win = covering_window(bb, src.transform, src.height, src.width)
                step = max(1, math.ceil(max(win.width, win.height) / max_pixels))
                out_shape = (len(bands), max(1, int(win.height // step)), max(1, int(win.width // step)))
                raw = src.read(bands, window=win, out_shape=out_shape, resampling=Resampling.nearest)
        except rasterio.errors.RasterioError as exc:
            raise InputError(f"layer {layer!r}: cannot read {path}: {exc}", CORRUPT_HINT) from None
        vals = _to_canonical(raw, raw.dtype, info.nodata, spec, layer, source=str(path), file_scale=info.file_scale)
        ok = np.isfinite(vals)
        samples.append(vals[ok])
        n_valid += int(ok.sum())
        n_total += vals.size
        if ok.any():
            lo, hi = min(lo, float(np.nanmin(vals))), max(hi, float(np.nanmax(vals)))
    if n_valid == 0:
        raise InputError(
            f"layer {layer!r}: no valid pixel over the region in {info.paths[0]} (nodata = {info.nodata})",
            f"check inputs.{layer}.nodata and that the file covers the region",
        )
    if lspec.valid_range is not None:
        vmin, vmax = lspec.valid_range
        if lo < vmin or hi > vmax:
            raise InputError(
                f"layer {layer!r}: values {lo:g}..{hi:g} {lspec.unit} (after converting from the declared "
                f"{spec.units!r}, scale {spec.scale}, offset {spec.offset}) fall outside the physical range "
                f"{vmin:g}..{vmax:g} {lspec.unit} in {info.paths[0]}",
                f"declare the units the file really stores in inputs.{layer}.units "
                f"(accepted: {hint(lspec)}), or set inputs.{layer}.scale / nodata",
            )
    if n_valid and spec.plausibility:
        _check_plausible(info, spec, np.concatenate(samples))
    if lspec.kind == "categorical" and spec.kind != "continuous":
        finite = vals[np.isfinite(vals)]
        if finite.size and not np.all(finite == np.round(finite)):
            raise InputError(
                f"layer {layer!r}: class codes in {info.paths[0]} are not whole numbers",
                "a class map must hold integer codes; check the band and the scale",
            )
    info.preflight = {"min": lo, "max": hi, "valid_fraction_sampled": n_valid / max(n_total, 1)}
    if lspec.kind == "categorical":  # the class codes seen (legend checks, scsmap init)
        codes = np.unique(np.concatenate(samples))
        info.preflight["codes"] = [int(c) for c in codes[:300] if c == np.round(c)]
    return info.preflight


def covering_window(bounds: Any, transform: Any, height: int, width: int, margin: int = 0) -> rasterio.windows.Window:
    """The window of whole pixels that covers ``bounds`` (any orientation: north-up or south-up), clipped
    to the raster and at least one pixel wide and high (a region smaller than one pixel of the file).

    Parameters
    ----------
    bounds : (left, bottom, right, top)
        In the raster's CRS.
    transform : affine.Affine
        The raster's geotransform (no rotation).
    height, width : int
        The raster's size.
    margin : int
        Pixels added on every side.
    """
    left, bottom, right, top = bounds
    inv = ~transform
    cols, rows = zip(*(inv @ (x, y) for x, y in ((left, bottom), (left, top), (right, bottom), (right, top))))
    c0 = max(0, min(width - 1, math.floor(min(cols)) - margin))
    r0 = max(0, min(height - 1, math.floor(min(rows)) - margin))
    c1 = min(width, max(c0 + 1, math.ceil(max(cols)) + margin))
    r1 = min(height, max(r0 + 1, math.ceil(max(rows)) + margin))
    return rasterio.windows.Window(c0, r0, c1 - c0, r1 - r0)


def _check_plausible(info: SourceInfo, spec: InputConfig, sampled: np.ndarray) -> None:
    """Refuse values that are all inside the physical range but whose distribution betrays a unit mistake.

    Raises
    ------
    InputError
        The median and 99th percentile are both below the layer's ``implausible_below``, or a share in %
        holds only values in 0..1 that are not all whole (a fraction declared as %).
    """
    layer, lspec = info.layer, LAYERS[info.layer]
    fix = (
        f"declare the units the file really stores in inputs.{layer}.units (accepted: {hint(lspec)}), "
        f"or, where the values are right, set inputs.{layer}.plausibility: false"
    )
    if lspec.implausible_below is not None:
        med, p99 = (float(v) for v in np.percentile(sampled, [50, 99]))
        lim_med, lim_p99 = lspec.implausible_below
        if med < lim_med and p99 < lim_p99:
            raise InputError(
                f"layer {layer!r}: median {med:.3g}, 99th percentile {p99:.3g} {lspec.unit} over the region in "
                f"{info.paths[0]} (declared {spec.units!r}): too low for {lspec.description}; {lspec.implausible_why}",
                fix,
            )
    if lspec.fraction_check and sampled.size and float(sampled.max()) <= 1.0 and np.any(sampled != np.round(sampled)):
        raise InputError(
            f"layer {layer!r}: every value over the region in {info.paths[0]} lies between 0 and 1 {lspec.unit} "
            f"(declared {spec.units!r}): the values look like a fraction (0-1), not a share in %",
            f"declare inputs.{layer}.units: fraction, or, where the values are right, set "
            f"inputs.{layer}.plausibility: false",
        )


def read_band(path: Path) -> np.ndarray:
    """Band 1 of a raster as float64 with nodata as NaN.

    Parameters
    ----------
    path : Path

    Returns
    -------
    numpy.ndarray
        float64, shape (height, width).
    """
    with rasterio.open(path) as ds:
        a = ds.read(1).astype("float64")
        if ds.nodata is not None:
            a[a == ds.nodata] = np.nan
    return a


# --------------------------------------------------------------------------- finished products


def _masked(a: np.ndarray, nodata: float | None) -> np.ndarray:
    """``a`` as float (float32 for types float32 holds exactly, else float64) with nodata as NaN.

    The nodata value is compared in the file's own data type, so that a float32 nodata such as
    -3.4e38 is recognised whatever its decimal spelling in the file's header.
    """
    exact32 = a.dtype in (np.dtype("uint8"), np.dtype("int8"), np.dtype("uint16"), np.dtype("int16"))
    out = a.astype("float32" if exact32 or a.dtype == np.dtype("float32") else "float64")
    if nodata is None or math.isnan(nodata):
        return out
    if np.issubdtype(a.dtype, np.integer):
        lim = np.iinfo(a.dtype)
        if nodata == int(nodata) and lim.min <= nodata <= lim.max:
            out[a == int(nodata)] = np.nan
    else:
        with np.errstate(over="ignore"):
            out[a == np.asarray(nodata).astype(a.dtype)] = np.nan
    return out


def read_window(path: str | Path, rows: slice | None = None, cols: slice | None = None) -> np.ndarray:
    """A window of band 1 of a raster, nodata as NaN.

    Parameters
    ----------
    path : path-like
    rows, cols : slice, optional
        Rows and columns of the window (``slice(start, stop)``, within the raster); default: all.

    Returns
    -------
    numpy.ndarray
        (rows, cols); float32 for 8-/16-bit integer and float32 files (exact), float64 otherwise.
    """
    with rasterio.open(path) as ds:
        r0, r1, _ = (rows or slice(None)).indices(ds.height)
        c0, c1, _ = (cols or slice(None)).indices(ds.width)
        a = ds.read(1, window=rasterio.windows.Window(c0, r0, c1 - c0, r1 - r0))
        return _masked(a, ds.nodata)


def read_decimated(path: str | Path, size: int) -> np.ndarray:
    """Band 1 read at most ``size`` pixels on its longer side (nearest, from the overviews), nodata as NaN.

    Returns
    -------
    numpy.ndarray
        float64; the full raster when it is no larger than ``size``.
    """
    with rasterio.open(path) as ds:
        f = max(ds.width, ds.height) / size
        shape = (max(1, round(ds.height / f)), max(1, round(ds.width / f))) if f > 1 else (ds.height, ds.width)
        a = ds.read(1, out_shape=shape, resampling=Resampling.nearest).astype("float64")
        if ds.nodata is not None:
            a[a == ds.nodata] = np.nan
    return a


def warp_window(path: str | Path, crs: str, transform: Any, shape: tuple[int, int]) -> np.ndarray:
    """Band 1 of a raster warped with nearest-neighbour onto a window of another grid.

    Only the part of the file under the window is read.

    Parameters
    ----------
    path : path-like
    crs : str
        The target grid's CRS (WKT or ``EPSG:xxxx``).
    transform : affine.Affine
        The window's transform (the grid's transform shifted to the window's top-left pixel).
    shape : (int, int)
        The window's (height, width).

    Returns
    -------
    numpy.ndarray
        float64, NaN where the file has nodata or does not reach.
    """
    with window_warper(path) as warp:
        return warp(crs, transform, shape)


@contextlib.contextmanager
def window_warper(path: str | Path) -> Iterator[Callable[[str, Any, tuple[int, int]], np.ndarray]]:
    """A raster kept open for many windows: ``warp(crs, transform, shape)`` as :func:`warp_window`.

    Consecutive windows that share the file's tiles (windows thinner than a tile) decode each tile once while GDAL's
    block cache holds it, where :func:`warp_window` opens the file, and decodes its tiles, for every window (a
    40,000-column product in 104-row windows: 1.5x faster).

    Parameters
    ----------
    path : path-like
        The raster (band 1 is warped, nearest-neighbour, its nodata as NaN).

    Yields
    ------
    callable
        ``warp(crs, transform, shape) -> numpy.ndarray`` (float64, NaN where the file has nodata or does not reach).

    Raises
    ------
    rasterio.errors.RasterioIOError
        The file cannot be opened (missing, not a raster GDAL reads).
    """
    from rasterio.warp import reproject

    with rasterio.open(path) as ds:

        def warp(crs: str, transform: Any, shape: tuple[int, int]) -> np.ndarray:
            out = np.full(shape, np.nan, dtype="float64")
            reproject(
                rasterio.band(ds, 1),
                out,
                src_nodata=ds.nodata,
                dst_transform=transform,
                dst_crs=RioCRS.from_user_input(crs),
                dst_nodata=np.nan,
                resampling=Resampling.nearest,
            )
            return out

        yield warp


def read_columns_csv(path: str | Path) -> dict[str, np.ndarray]:
    """A CSV table with a header row as columns (name → 1-D array; numbers typed as pandas infers them)."""
    import pandas as pd

    df = pd.read_csv(path)
    return {str(c): df[c].to_numpy() for c in df.columns}
