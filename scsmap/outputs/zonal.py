"""The one area-weighting engine: every area, mean, total and share scsmap prints comes from here.

Each grid cell is weighted by the share of it inside a zone (exact coverage fraction,
exactextract) times its geodesic area (:func:`scsmap.grid.cell_area_ha`): ``w = coverage x
cell area [ha]``. Pixel counts in degrees are never used. For a zone (optionally restricted
to class *k* of a class map) and a product *v* valid on cells *V*:

* area = Σ w (the zone's area on the grid, whatever the data);
* valid area = Σ_V w;  mean = Σ_V w v / valid area;  total = Σ_V w v;
* share of the 4 per 1000 target = 100 Σ w v / Σ w target over the cells where both are valid
  (never a mean of per-pixel ratios, docs/methods/fourp1000.md);
* class areas = Σ w per class code of a class map.

The same primitives (:func:`zone_moments`, a compiled one-pass loop, :func:`zone_class_areas`, :func:`zone_area`)
run on the blocks of a run's dask graph (:func:`lazy_sums`, the run summary, one zone: the
region) and on the windows of finished products (``scsmap stats``: the region, admin units
and classes), so that one quantity has one number in the console, the manifest,
``stats.csv`` and the report. Sums are combined window by window; memory is bounded by the
window, not the grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dask.array as da
import numpy as np
import shapely
import xarray as xr
from exactextract import exact_extract
from exactextract.raster import NumPyRasterSource
from numba import njit
from odc.geo.geobox import GeoBox

from ..grid import cell_area_block, yx_coords
from ..layers.block_sums import BlockSum, add_up

#: class codes counted in class areas (uint8 class maps: 0..254, 255 is nodata)
N_CLASSES = 256
#: columns of :func:`zone_moments`: valid area [ha], Σ w v, Σ w v and Σ w target where both are valid
MOMENTS = ("valid_area", "sum", "share_num", "share_den")


@dataclass(frozen=True)
class Weights:
    """Cells of each zone in one window and their weights (parallel 1-D arrays).

    Attributes
    ----------
    zone : numpy.ndarray
        int64, the zone's position in the list of geometries.
    cell : numpy.ndarray
        int64, flat (row-major) index of the cell in the window.
    weight : numpy.ndarray
        float64, coverage fraction × geodesic cell area [ha].
    """

    zone: np.ndarray
    cell: np.ndarray
    weight: np.ndarray


def _cell_area(geobox: GeoBox) -> np.ndarray:
    """Geodesic cell areas [ha] of a (window) grid, float64 (y, x)."""
    ny, nx = geobox.shape.yx
    return cell_area_block(geobox, (0, ny), (0, nx))


def cell_weights(geobox: GeoBox, geometries: Sequence[Any]) -> Weights:
    """Coverage × geodesic area of every cell of ``geobox`` touched by each geometry.

    Parameters
    ----------
    geobox : odc.geo.geobox.GeoBox
        A north-up grid or a window of one (a product's grid, a dask block, a stats window).
    geometries : sequence of shapely geometries
        Zones, in the CRS of ``geobox``.

    Returns
    -------
    Weights
        One entry per (zone, cell) with a coverage > 0.

    References
    ----------
    exactextract (Baston 2022, https://github.com/isciences/exactextract): exact fraction of each
    cell inside a polygon; cell areas :func:`scsmap.grid.cell_area_block`.
    """
    ny, nx = geobox.shape.yx
    b = geobox.extent.boundingbox
    ones = NumPyRasterSource(
        np.ones((ny, nx), dtype="uint8"), b.left, b.bottom, b.right, b.top, srs_wkt=geobox.crs.to_wkt()
    )
    feats = [
        {"type": "Feature", "properties": {"zone": i}, "geometry": shapely.geometry.mapping(g)}
        for i, g in enumerate(geometries)
    ]
    res = exact_extract(ones, feats, ["cell_id", "coverage"], include_cols=["zone"], output="geojson")
    area = _cell_area(geobox).ravel()
    zone, cell, weight = [], [], []
    for r in res:
        p = r["properties"]
        c = np.asarray(p["cell_id"], dtype="int64")
        zone.append(np.full(len(c), p["zone"], dtype="int64"))
        cell.append(c)
        weight.append(np.asarray(p["coverage"], dtype="float64") * area[c])
    if not cell:
        return Weights(np.zeros(0, "int64"), np.zeros(0, "int64"), np.zeros(0))
    return Weights(np.concatenate(zone), np.concatenate(cell), np.concatenate(weight))


def weight_grid(geobox: GeoBox, chunks: tuple[int, int], geometry: Any | None) -> xr.DataArray:
    """Lazy weights of one zone on a grid: coverage × geodesic cell area [ha], float64 (y, x).

    Cells wholly inside the zone weigh their area and cells outside weigh 0 without calling
    exactextract; only blocks that the boundary crosses compute coverage fractions.

    Parameters
    ----------
    geobox : GeoBox
        The run's grid.
    chunks : (int, int)
        dask chunk shape (y, x).
    geometry : shapely geometry or None
        The zone in the grid's CRS; None: every cell counts whole (a region given by a bbox only).
    """
    if geometry is not None:
        shapely.prepare(geometry)

    def block(x: np.ndarray, block_info: dict | None = None) -> np.ndarray:
        assert block_info is not None
        (y0, y1), (x0, x1) = block_info[None]["array-location"][-2:]
        gb = geobox[y0:y1, x0:x1]
        if geometry is None:
            return _cell_area(gb)
        box = shapely.box(*gb.extent.boundingbox)
        if geometry.contains(box):
            return _cell_area(gb)
        out = np.zeros(gb.shape.yx)
        if geometry.intersects(box):
            w = cell_weights(gb, [geometry])
            out.ravel()[w.cell] = w.weight
        return out

    template = da.empty(geobox.shape.yx, chunks=chunks, dtype="f8")
    data = da.map_blocks(block, template, dtype="f8")
    return xr.DataArray(data, coords=yx_coords(geobox), dims=("y", "x"), name="zone_weight", attrs={"units": "ha"})


# --------------------------------------------------------------------------- numpy primitives


def zone_area(weight: np.ndarray, key: np.ndarray | None, nkeys: int) -> np.ndarray:
    """Σ w per key [ha], shape (nkeys,); ``key`` None: every cell in key 0 (summed in one compiled pass, cell by
    cell in their order, as ``numpy.bincount`` sums: the same float)."""
    if key is None:
        out = np.zeros(max(nkeys, 1))
        out[0] = _sum_in_order(np.ravel(weight))
        return out[:nkeys]
    w = np.ravel(weight).astype("f8")
    return np.bincount(np.ravel(key), w, minlength=nkeys)[:nkeys]


@njit(nogil=True, cache=True)
def _sum_in_order(w):  # noqa: ANN001, ANN202 - numba compiles the signature
    """Σ w[i] in float64, left to right (``numpy.bincount``'s order for one key)."""
    total = 0.0
    for i in range(w.size):
        total += np.float64(w[i])
    return total


def zone_moments(
    weight: np.ndarray, key: np.ndarray | None, nkeys: int, value: np.ndarray, target: np.ndarray | None = None
) -> np.ndarray:
    """Area-weighted sums of a product per key: valid area, Σ w v and the 4 per 1000 share terms.

    Parameters
    ----------
    weight : numpy.ndarray
        Cell weights [ha] (coverage × cell area).
    key : numpy.ndarray or None
        Key of each cell (zone, or zone × class), same shape; None: all in key 0. Keys outside
        ``0 .. nkeys - 1`` are left out.
    nkeys : int
    value : numpy.ndarray
        The product's values (NaN = nodata), same shape.
    target : numpy.ndarray, optional
        The 4 per 1000 target [t ha-1 yr-1] of each cell, for the share terms of a rate.

    Returns
    -------
    numpy.ndarray
        float64 (nkeys, 4), columns :data:`MOMENTS`: valid area [ha], Σ w v [value units × ha],
        Σ w v and Σ w target over the cells where both are valid (0 without a target). Each sum adds
        the cells in their order (as ``numpy.bincount`` does), in float64.
    """
    out = np.zeros((nkeys, len(MOMENTS)))
    if key is None:
        if nkeys:
            out[0] = zone_moments_many(weight, [value], [target])[0]
        return out
    w = np.ravel(np.asarray(weight, dtype="f8"))
    _moments_loop(w, np.ravel(np.asarray(key, dtype="int64")), True, *_lanes(w, [value], [target]), out)
    return out


def zone_moments_many(
    weight: np.ndarray, values: Sequence[np.ndarray], targets: Sequence[np.ndarray | None]
) -> np.ndarray:
    """:func:`zone_moments` of one zone (``key`` None) for several products of one block, in fewer passes.

    The products are summed :data:`LANES` at a time in one pass over the cells: each product's sums wait on
    their own additions only, so that a pass of several products takes about the time of one (the sums of a
    product alone are bound by each addition's latency). Each product's sums are its :func:`zone_moments`,
    bit for bit: the same additions in the same order.

    Parameters
    ----------
    weight : numpy.ndarray
        Cell weights [ha] of the block.
    values : sequence of numpy.ndarray
        The products' values (NaN = nodata), each of ``weight``'s size.
    targets : sequence of numpy.ndarray or None
        For each product, its 4 per 1000 target layer or None.

    Returns
    -------
    numpy.ndarray
        float64 (len(values), 4), a row of :data:`MOMENTS` per product.

    Raises
    ------
    ValueError
        ``values`` and ``targets`` of different lengths, or a layer not of ``weight``'s size.
    """
    if len(values) != len(targets):
        raise ValueError(f"zone_moments_many: {len(values)} value layers and {len(targets)} targets")
    w = np.ravel(np.asarray(weight, dtype="f8"))
    out = np.zeros((len(values) + LANES, len(MOMENTS)))
    for i in range(0, len(values), LANES):
        _moments_loop(
            w, np.zeros(1, "int64"), False, *_lanes(w, values[i : i + LANES], targets[i : i + LANES]), out[i:]
        )
    return out[: len(values)]


#: products summed together in one pass of :func:`_moments_loop` (a one-zone pass)
LANES = 4


def _lanes(w: np.ndarray, values: Sequence[np.ndarray], targets: Sequence[np.ndarray | None]) -> tuple[Any, ...]:
    """The value and target arguments of :func:`_moments_loop` for up to :data:`LANES` products: flat arrays of one
    dtype (the layers' own when they share one, float64 copies otherwise: exact for float32 values), the free lanes
    given the first product again (their sums are dropped), a lane without a target its own values and ``False``.

    Raises
    ------
    ValueError
        A layer not of ``w``'s size.
    """
    flat = [np.ravel(np.asarray(v)) for v in values]
    tflat = [None if t is None else np.ravel(np.asarray(t)) for t in targets]
    if any(a.size != w.size for a in flat) or any(t is not None and t.size != w.size for t in tflat):
        raise ValueError(f"zone moments: every layer must have the weights' {w.size} cells")
    if len({a.dtype for a in flat} | {t.dtype for t in tflat if t is not None}) > 1:
        flat = [a.astype("f8") for a in flat]
        tflat = [None if t is None else t.astype("f8") for t in tflat]
    has = np.array([t is not None for t in tflat] + [False] * (LANES - len(flat)))
    vs = tuple(flat + [flat[0]] * (LANES - len(flat)))
    ts = tuple(t if t is not None else flat[i] for i, t in enumerate(tflat)) + (flat[0],) * (LANES - len(flat))
    return vs, ts, has


@njit(inline="always")
def _lane(a, b, c, d, w, pos, value, target, has_target):  # noqa: ANN001, ANN202, PLR0913 - numba compiles it
    """One cell added to one lane's four sums of :func:`_moments_loop` (valid area, Σ w v, and the share's Σ w v and
    Σ w target where the target is finite too); a cell that does not count adds +0.0 (see there)."""
    x = np.float64(value)
    ok = pos & np.isfinite(x)
    wv = w * x
    a += w if ok else 0.0
    b += wv if ok else 0.0
    if has_target:
        z = np.float64(target)
        both = ok & np.isfinite(z)
        c += wv if both else 0.0
        d += w * z if both else 0.0
    return a, b, c, d


@njit(nogil=True, cache=True)
def _moments_loop(w, k, keyed, vs, ts, has_target, out):  # noqa: ANN001, ANN202, PLR0915 - numba compiles the signature
    """One pass over the cells of :func:`zone_moments`: a cell counts where its value is finite and its weight > 0.

    With keys, the first lane (``vs[0]``, ``ts[0]``) is summed into ``out[key]``. Without keys the four lanes
    (:data:`LANES` products, :func:`zone_moments_many`) are summed into ``out[0:4]``, each lane's four sums kept
    in registers, and a cell that does not count adds +0.0 instead of being skipped: the sums start at +0.0 and
    a sum of floats is -0.0 only when both terms are, so they never hold -0.0 and adding +0.0 leaves them as they
    are (the same floats, in the same order). A branch per cell mispredicted wherever valid and missing cells
    alternate, as along a boundary (4.3 against 1.6 ms for a 1024 x 1024 block with a third of its cells missing
    at random); the lanes' additions do not wait on one another (8 products of a 1024 x 1024 block: 10.7 against
    22.9 ms one by one)."""
    nkeys = out.shape[0]
    if not keyed:
        v0, v1, v2, v3 = vs
        t0, t1, t2, t3 = ts
        h0, h1, h2, h3 = has_target[0], has_target[1], has_target[2], has_target[3]
        a0 = a1 = a2 = a3 = 0.0  # valid area
        b0 = b1 = b2 = b3 = 0.0  # sum
        c0 = c1 = c2 = c3 = 0.0  # share numerator
        d0 = d1 = d2 = d3 = 0.0  # share denominator
        for i in range(w.shape[0]):
            wi = w[i]
            pos = wi > 0.0
            a0, b0, c0, d0 = _lane(a0, b0, c0, d0, wi, pos, v0[i], t0[i], h0)
            a1, b1, c1, d1 = _lane(a1, b1, c1, d1, wi, pos, v1[i], t1[i], h1)
            a2, b2, c2, d2 = _lane(a2, b2, c2, d2, wi, pos, v2[i], t2[i], h2)
            a3, b3, c3, d3 = _lane(a3, b3, c3, d3, wi, pos, v3[i], t3[i], h3)
        for lane, (a, b, c, d) in enumerate(((a0, b0, c0, d0), (a1, b1, c1, d1), (a2, b2, c2, d2), (a3, b3, c3, d3))):
            out[lane, 0] += a
            out[lane, 1] += b
            out[lane, 2] += c
            out[lane, 3] += d
        return
    v = vs[0]
    t = ts[0]
    has = has_target[0]
    for i in range(w.shape[0]):
        wi = w[i]
        vi = np.float64(v[i])
        if not (wi > 0.0) or not np.isfinite(vi):
            continue
        key = k[i]
        if key < 0 or key >= nkeys:
            continue
        wv = wi * vi
        out[key, 0] += wi
        out[key, 1] += wv
        if has:
            ti = np.float64(t[i])
            if np.isfinite(ti):
                out[key, 2] += wv
                out[key, 3] += wi * ti


def zone_class_areas(weight: np.ndarray, key: np.ndarray | None, nkeys: int, codes: np.ndarray) -> np.ndarray:
    """Σ w per key and class code of a class map [ha], shape (nkeys, N_CLASSES); NaN codes are left out."""
    w = np.ravel(weight).astype("f8")
    c = np.ravel(codes).astype("f8")
    k = np.zeros(w.shape, "int64") if key is None else np.ravel(key)
    ok = np.isfinite(c) & (c >= 0) & (c < N_CLASSES) & (w > 0)
    flat = k[ok] * N_CLASSES + c[ok].astype("int64")
    return np.bincount(flat, w[ok], minlength=nkeys * N_CLASSES)[: nkeys * N_CLASSES].reshape(nkeys, N_CLASSES)


# --------------------------------------------------------------------------- the same on a dask graph


def lazy_sums(
    weight: da.Array, values: dict[str, da.Array], targets: dict[str, da.Array], classes: dict[str, da.Array]
) -> dict[str, Any]:
    """The area-weighted sums of one zone over lazy layers, taken in the same pass as the maps.

    Parameters
    ----------
    weight : dask.array.Array
        (y, x) zone weights [ha] (:func:`weight_grid`).
    values : dict of str to dask.array.Array
        Continuous layers to sum (NaN = nodata), same grid and chunks.
    targets : dict of str to dask.array.Array
        For some of ``values``: the 4 per 1000 target layer their share is computed against.
    classes : dict of str to dask.array.Array
        Class maps whose class areas are summed.

    Returns
    -------
    dict
        ``area``: (1,) Σ w, a :class:`~scsmap.layers.block_sums.BlockSum` of group ``"grid"``; ``moments``:
        ``lanes-<i>`` → a BlockSum of group ``moments-<i>`` whose result is name → (1, 4) (:func:`zone_moments` of
        each of :data:`LANES` layers, taken together in one task per block, :func:`zone_moments_many`; finished,
        :func:`flat_moments` makes them one dict); ``classes``: name → (1, N_CLASSES) (:func:`zone_class_areas`),
        each a BlockSum whose group is the layer's name.
    """
    out: dict[str, Any] = {"area": BlockSum(lambda w: zone_area(w, None, 1), (weight,), "grid")}
    names = list(values)
    out["moments"] = {  # LANES products a task: the task keeps their blocks until it runs, not every product's
        f"lanes-{i}": _moments_of(weight, {k: values[k] for k in names[i : i + LANES]}, targets, f"moments-{i}")
        for i in range(0, len(names), LANES)
    }
    out["classes"] = {
        k: BlockSum(lambda w, c: zone_class_areas(w, None, 1, c), (weight, c), k) for k, c in classes.items()
    }
    return out


def _moments_of(weight: da.Array, values: dict[str, da.Array], targets: dict[str, da.Array], group: str) -> BlockSum:
    """The zonal moments of the layers of ``values`` (at most :data:`LANES`) in one task per block; its result is
    name → (1, 4), each layer's blocks added up as :func:`~scsmap.layers.block_sums.add_up` adds them."""
    names = list(values)
    with_target = [k in targets for k in names]
    arrays = (weight, *values.values(), *(targets[k] for k in names if k in targets))

    def block(w: np.ndarray, *blocks: np.ndarray) -> np.ndarray:
        vals, rest = blocks[: len(names)], iter(blocks[len(names) :])
        return zone_moments_many(w, vals, [next(rest) if has else None for has in with_target])

    def combine(results: list[np.ndarray]) -> dict[str, np.ndarray]:
        return {k: add_up([r[i : i + 1] for r in results]) for i, k in enumerate(names)}

    return BlockSum(block, arrays, group, combine=combine)


def flat_moments(region: dict[str, Any]) -> dict[str, Any]:
    """The finished sums of :func:`lazy_sums` with ``moments`` as one dict, in the layers' order.

    Parameters
    ----------
    region : dict
        :func:`lazy_sums`' tree after :func:`scsmap.layers.block_sums.finish_tree` (and, window by window,
        combined): ``moments`` is ``lanes-<i>`` → name → float64 (1, 4) array of :data:`MOMENTS`.

    Returns
    -------
    dict
        ``region`` with ``moments`` as name → float64 (1, 4) [valid area ha, Σ w v and the share terms in the
        layer's units × ha] (the other keys as they are).

    Raises
    ------
    KeyError
        ``region`` without ``moments``.
    """
    moments = {k: v for lanes in region["moments"].values() for k, v in lanes.items()}
    return {**region, "moments": moments}


# --------------------------------------------------------------------------- finishing


@dataclass(frozen=True)
class ZoneFigures:
    """Finished figures of one product per key.

    Attributes
    ----------
    valid_area : numpy.ndarray
        [ha].
    mean : numpy.ndarray
        Area-weighted mean in the product's units (NaN where nothing is valid).
    total : numpy.ndarray
        Σ w v [product units × ha], e.g. t C for a stock in t ha-1 (divide by 1e6 for Mt).
    share_percent : numpy.ndarray
        100 Σ w v / Σ w target [%] (NaN without a target or where Σ w target is 0).
    """

    valid_area: np.ndarray
    mean: np.ndarray
    total: np.ndarray
    share_percent: np.ndarray


def finish(moments: np.ndarray) -> ZoneFigures:
    """Means, totals and shares from :func:`zone_moments` sums (combined over windows), per key."""
    m = np.asarray(moments, dtype="f8")
    valid, total = m[:, 0], m[:, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(valid > 0, total / valid, np.nan)
        share = np.where(m[:, 3] > 0, 100.0 * m[:, 2] / m[:, 3], np.nan)
    return ZoneFigures(valid_area=valid, mean=mean, total=total, share_percent=share)
