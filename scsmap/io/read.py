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

import math
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

    def report(self) -> dict[str, Any]:
        d = {k: v for k, v in self.__dict__.items() if k != "geobox"}
        d["nodata"] = (
            None if self.nodata is None or (isinstance(self.nodata, float) and math.isnan(self.nodata)) else self.nodata
        )
        return d


def _crs_name(crs: RioCRS) -> str:
    epsg = crs.to_epsg()
    if epsg:
        return f"EPSG:{epsg}"
    return f"{crs.to_string()[:80]} (no EPSG code)"


def _open(path: Path, layer: str):
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


def _finite_block(x: np.ndarray, layer: str, source: str) -> np.ndarray:
    """NaN where ``x`` is NaN; :class:`InputError` on any infinite value (never a silent overflow)."""
    if np.isinf(x).any():
        raise _infinite_error(layer, source)
    return x


def _to_canonical(
    raw: Any, dtype: np.dtype, nodata: float | None, spec: InputConfig, layer: str, source: str = "the file"
):
    """Mask nodata, apply scale/offset and the unit conversion; float32 out (numpy or dask).

    Raises
    ------
    InputError
        (numpy: at once; dask: at compute time) where a value is infinite after the
        conversion: an inf in the file or a float32 overflow of scale/offset.
    """
    factor, shift = LAYERS[layer].units[spec.units]
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
        x = (
            xr.where(invalid, np.float32(np.nan), x)
            if isinstance(x, xr.DataArray)
            else np.where(invalid, np.float32(np.nan), x)
        )
    a = np.float32(spec.scale * factor)
    b = np.float32(spec.offset * factor + shift)
    if a != 1 or b != 0:
        with np.errstate(over="ignore"):  # an overflow becomes inf, refused below
            x = x * a + b
    transform = LAYERS[layer].transforms.get(spec.units)
    if transform is not None:  # angles -> percent slope: 100 tan(angle)
        x = np.tan(np.radians(x) if transform == "tan_degree" else x) * np.float32(100.0)
    if isinstance(x, np.ndarray):
        return _finite_block(x, layer, source)
    return xr.apply_ufunc(
        _finite_block,
        x,
        kwargs={"layer": layer, "source": source},
        dask="parallelized",
        output_dtypes=[x.dtype],
        keep_attrs=True,
    )


def open_layer(layer: str, spec: InputConfig, chunk_size: int = 1024) -> tuple[xr.DataArray, SourceInfo]:
    """Open one input layer lazily in canonical units.

    Parameters
    ----------
    layer : str
        Canonical layer name (see :mod:`scsmap.config.catalogue`).
    spec : InputConfig
        The layer's entry in the config.
    chunk_size : int
        dask chunk size in y and x.

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
    first = None
    for path, band in pairs:
        with _open(path, layer) as src:
            if band < 1 or band > src.count:
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
            sig = (src.shape, tuple(round(v, 9) for v in src.transform[:6]))
            if first is None:
                first = dict(
                    sig=sig,
                    crs=crs,
                    res=src.res,
                    shape=src.shape,
                    dtype=src.dtypes[band - 1],
                    nodata=_resolve_nodata(spec, src.nodata),
                    transform=src.transform,
                )
            elif sig != first["sig"]:
                raise InputError(
                    f"layer {layer!r}: {path} is not on the same grid as {pairs[0][0]}",
                    "monthly files of one layer must share one grid",
                )
        da = rioxarray.open_rasterio(
            path, chunks={"band": 1, "y": chunk_size, "x": chunk_size}, masked=False, lock=False, cache=False
        )
        arrays.append(da.sel(band=[band]))
    assert first is not None
    raw = xr.concat(arrays, dim="band") if len(arrays) > 1 else arrays[0]
    raw = raw.assign_coords(band=np.arange(1, len(pairs) + 1))
    dtype = np.dtype(first["dtype"])
    data = _to_canonical(
        raw, dtype, first["nodata"], spec, layer, source=" / ".join(str(p) for p in dict.fromkeys(p for p, _ in pairs))
    )
    data = data.rio.write_crs(first["crs"]).rio.write_nodata(np.nan, encoded=False)
    data.attrs = {"units": LAYERS[layer].unit, "long_name": LAYERS[layer].description}
    data.name = layer
    geobox = GeoBox(first["shape"], first["transform"], first["crs"].to_wkt())
    factor, shift = LAYERS[layer].units[spec.units]
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
        conversion=f"(raw * {spec.scale} + {spec.offset}) * {factor} + {shift}"
        + (f", then 100 tan(x {spec.units})" if spec.units in LAYERS[layer].transforms else ""),
        geobox=geobox,
    )
    return data, info


def preflight(info: SourceInfo, spec: InputConfig, footprint: Geometry, max_pixels: int = 2048) -> dict[str, Any]:
    """Check a layer over the region before anything is computed.

    Reads the window of each file that covers the region (decimated to at most
    ``max_pixels`` per side), converts to canonical units and checks overlap,
    valid pixels and the physical range.

    Returns
    -------
    dict
        ``min``, ``max``, ``valid_fraction`` of the decimated window.

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
                win = rasterio.windows.from_bounds(*bb, transform=src.transform).round_offsets().round_lengths()
                win = win.intersection(rasterio.windows.Window(0, 0, src.width, src.height))
                step = max(1, math.ceil(max(win.width, win.height) / max_pixels))
                out_shape = (len(bands), max(1, int(win.height // step)), max(1, int(win.width // step)))
                raw = src.read(bands, window=win, out_shape=out_shape, resampling=Resampling.nearest)
        except rasterio.errors.RasterioError as exc:
            raise InputError(f"layer {layer!r}: cannot read {path}: {exc}", CORRUPT_HINT) from None
        vals = _to_canonical(raw, raw.dtype, info.nodata, spec, layer, source=str(path))
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
                f"(accepted: {', '.join(lspec.units)}), or set inputs.{layer}.scale / nodata",
            )
    if lspec.implausible_below is not None and n_valid:
        sampled = np.concatenate(samples)
        med, p99 = (float(v) for v in np.percentile(sampled, [50, 99]))
        lim_med, lim_p99 = lspec.implausible_below
        if med < lim_med and p99 < lim_p99:
            raise InputError(
                f"layer {layer!r}: median {med:.3g}, 99th percentile {p99:.3g} {lspec.unit} over the region in "
                f"{info.paths[0]} (declared {spec.units!r}): too low for {lspec.description}; the values look "
                f"like kg m-2 (1 kg m-2 = 10 t ha-1) or like an SOC content in g kg-1, not a stock in {lspec.unit}",
                f"declare the units the file really stores in inputs.{layer}.units (accepted: "
                f"{', '.join(lspec.units)}); an SOC content (g kg-1) goes under inputs.organic_carbon instead",
            )
    if lspec.kind == "categorical" and spec.kind != "continuous":
        finite = vals[np.isfinite(vals)]
        if finite.size and not np.all(finite == np.round(finite)):
            raise InputError(
                f"layer {layer!r}: class codes in {info.paths[0]} are not whole numbers",
                "a class map must hold integer codes; check the band and the scale",
            )
    info.preflight = {"min": lo, "max": hi, "valid_fraction_sampled": n_valid / max(n_total, 1)}
    return info.preflight


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
    from rasterio.warp import reproject

    out = np.full(shape, np.nan, dtype="float64")
    with rasterio.open(path) as ds:
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


def read_columns_csv(path: str | Path) -> dict[str, np.ndarray]:
    """A CSV table with a header row as columns (name → 1-D array; numbers typed as pandas infers them)."""
    import pandas as pd

    df = pd.read_csv(path)
    return {str(c): df[c].to_numpy() for c in df.columns}
