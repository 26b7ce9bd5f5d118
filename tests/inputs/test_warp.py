"""The chunked warp of the inputs (scsmap.inputs.warp) against odc-geo's own chunked warp.

Oracle: ``DataArray.odc.reproject`` (odc-geo over GDAL), which scsmap used before; the warp must give
the same pixels, bit for bit, whichever GDAL kernel (masked or unmasked) each chunk takes.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from odc.geo.geobox import GeoBox
from odc.geo.xr import wrap_xr

import scsmap.inputs.warp as warp_module
from scsmap.inputs.warp import reproject
from scsmap.io.gdal_warp import upsampled_alike

SRC = GeoBox.from_bbox((10.0, 40.0, 10.6, 40.45), "EPSG:4326", resolution=0.01)  # 60 x 45 px


def _source(holes: bool, bands: int = 2, chunk: int = 7):
    y, x = np.mgrid[0 : SRC.shape.y, 0 : SRC.shape.x]
    data = np.stack([(b + 1) * np.sin(x / 5.0) * np.cos(y / 4.0) + 0.01 * x * y for b in range(bands)]).astype(
        "float32"
    )
    if holes:
        data[:, 10:13, 20:24] = np.nan  # a hole inside
        data[1, 30, 5] = np.nan  # one band only
    arr = wrap_xr(data, SRC, always_yx=True, nodata=np.nan, axis=1)
    return arr.chunk({arr.dims[0]: 1, "y": chunk, "x": chunk})


GRIDS = {
    "refine inside": GeoBox.from_bbox((10.07, 40.06, 10.43, 40.38), "EPSG:4326", resolution=0.0025),
    "refine past the edge": GeoBox.from_bbox((9.98, 39.99, 10.2, 40.2), "EPSG:4326", resolution=0.003),
    "coarsen": GeoBox.from_bbox((10.05, 40.05, 10.55, 40.4), "EPSG:4326", resolution=0.035),
    "other CRS": GeoBox.from_bbox((1118000, 4876000, 1170000, 4918000), "EPSG:3857", resolution=500),
}


@pytest.mark.parametrize("grid", sorted(GRIDS))
@pytest.mark.parametrize("resampling", ["bilinear", "nearest", "cubic", "average", "mode", "min", "max", "med"])
@pytest.mark.parametrize("holes", [False, True], ids=["no holes", "holes"])
def test_same_pixels_as_odc_geo(grid, resampling, holes):
    src = _source(holes)
    dst = GRIDS[grid]
    expected = src.odc.reproject(dst, resampling=resampling, dst_nodata=np.nan, chunks=(32, 32), always_yx=True)
    got = reproject(src, dst, resampling, (32, 32))
    assert got.dims == expected.dims and got.shape == expected.shape and got.dtype == expected.dtype
    assert got.data.chunks == expected.data.chunks
    for c in ("y", "x"):
        np.testing.assert_array_equal(got[c].values, expected[c].values)
    assert got.odc.geobox == expected.odc.geobox
    assert got.attrs == expected.attrs and got.encoding == expected.encoding
    assert set(got.coords) == set(expected.coords)
    e, g = expected.values, got.values
    assert np.isfinite(e).any()
    if resampling == "bilinear" and upsampled_alike(SRC, dst):
        # the chunks without NaN in their reach are GDAL's resampled read (scsmap.io.gdal_warp): the warper's
        # values but for a float32 last bit now and then (against the warper: tests/io/test_gdal_warp.py)
        np.testing.assert_array_equal(np.isnan(g), np.isnan(e))
        ok = np.isfinite(e)
        assert np.all(np.abs(g[ok] - e[ok]) <= np.spacing(np.abs(e[ok])))
        assert (g[ok] != e[ok]).mean() < 0.01
    else:
        np.testing.assert_array_equal(g, e)  # NaN where NaN, the same bits elsewhere


def _masked_calls(monkeypatch, src, dst):
    """(destination chunk, the source window's plane, masked) of every GDAL call of a warp."""
    calls = []
    real = warp_module.warp_plane

    def spy(src_plane, dst_plane, src_box, dst_box, resampling, masked):
        calls.append((dst_box, src_plane.copy(), masked))
        real(src_plane, dst_plane, src_box, dst_box, resampling, masked=masked)

    monkeypatch.setattr(warp_module, "warp_plane", spy)
    reproject(src, dst, "bilinear", (16, 16)).compute(scheduler="sync")
    return calls


def _reach_by_hand(box, radius=1):
    """Rows and columns of SRC (0.01 degree from 10.0 E, 40.45 N) within ``radius`` pixels of ``box``, or None."""
    left, bottom, right, top = box.extent.boundingbox
    r0, r1 = math.floor((40.45 - top) / 0.01 - radius + 1e-9), math.ceil((40.45 - bottom) / 0.01 + radius - 1e-9)
    c0, c1 = math.floor((left - 10.0) / 0.01 - radius + 1e-9), math.ceil((right - 10.0) / 0.01 + radius - 1e-9)
    if r0 < 0 or c0 < 0 or r1 > SRC.shape.y or c1 > SRC.shape.x:
        return None
    return slice(r0, r1), slice(c0, c1)


def test_unmasked_kernels_only_where_the_kernels_read_no_nodata_inside_the_window(monkeypatch):
    """A chunk takes GDAL's unmasked kernels when the source pixels within 1 pixel of it (bilinear) lie
    inside its source window and hold no NaN; NaN elsewhere in the window does not matter. The source is
    one dask block here, so every chunk's source window is the whole source."""
    src = _source(holes=False, chunk=64)
    assert src.data.numblocks[1:] == (1, 1)
    calls = _masked_calls(monkeypatch, src, GRIDS["refine past the edge"])
    inside = [masked for box, _, masked in calls if _reach_by_hand(box) is not None]
    edge = [masked for box, _, masked in calls if _reach_by_hand(box) is None]
    assert inside and not any(inside)
    assert edge and all(edge)

    calls = _masked_calls(monkeypatch, _source(holes=True, chunk=64), GRIDS["refine past the edge"])
    reaches = [_reach_by_hand(box) for box, _, _ in calls]
    reads_nan = [
        r is not None and bool(np.isnan(plane[r]).any()) for r, (_, plane, _) in zip(reaches, calls, strict=True)
    ]
    assert [masked for _, _, masked in calls] == [r is None or n for r, n in zip(reaches, reads_nan, strict=True)]
    assert all(np.isnan(plane).any() for _, plane, _ in calls)  # every window holds a NaN,
    assert any(reads_nan) and not all(reads_nan)  # some chunks read one, others do not


def test_kernel_reach_counts_source_pixels():
    box = GeoBox.from_bbox((10.021, 40.021, 10.3, 40.3), "EPSG:4326", resolution=0.001)  # 2.1 source px from the corner
    assert warp_module.kernel_reach(box, SRC, 2) == (slice(13, 45), slice(0, 32))
    assert warp_module.kernel_reach(box, SRC, 1) == (slice(14, 44), slice(1, 31))
    box = GeoBox.from_bbox((10.015, 40.021, 10.3, 40.3), "EPSG:4326", resolution=0.001)  # 1.5 px from the west edge
    assert warp_module.kernel_reach(box, SRC, 2) is None
    assert warp_module.kernel_reach(box, SRC, 1) == (slice(14, 44), slice(0, 31))
    box = GeoBox.from_bbox((10.021, 40.021, 10.3, 40.445), "EPSG:4326", resolution=0.001)  # 0.5 px from the north edge
    assert warp_module.kernel_reach(box, SRC, 1) is None


@pytest.mark.parametrize("grid", sorted(GRIDS))
@pytest.mark.parametrize("resampling", ["bilinear", "nearest", "cubic", "average", "mode", "max", "sum"])
@pytest.mark.parametrize("holes", [False, True], ids=["no holes", "holes"])
def test_valid_on_grid_is_where_the_warp_is_finite(grid, resampling, holes):
    """Oracle: isfinite of the warp itself (bit for bit equal to odc-geo's, above), chunk by chunk."""
    src = _source(holes)
    src = src.isel({src.dims[0]: 1})
    src = src.where(~((src.x == src.x[30]) & (src.y == src.y[22])), np.inf).chunk({"y": 7, "x": 7})  # an infinity
    dst = GRIDS[grid]
    expected = np.isfinite(reproject(src, dst, resampling, (32, 32)).values)
    got = warp_module.valid_on_grid(src, dst, resampling, (32, 32), reproject(src, dst, resampling, (32, 32)).data)
    assert got.dtype == bool and got.chunks == reproject(src, dst, resampling, (32, 32)).data.chunks
    np.testing.assert_array_equal(got.compute(), expected)


def test_valid_on_grid_warps_only_chunks_that_may_hold_no_data(monkeypatch):
    """Chunks whose kernels read finite source pixels inside their window are valid without a warp."""
    calls = []
    real = warp_module.warp_plane

    def spy(src_plane, dst_plane, src_box, dst_box, resampling, masked):
        calls.append(dst_box)
        real(src_plane, dst_plane, src_box, dst_box, resampling, masked=masked)

    monkeypatch.setattr(warp_module, "warp_plane", spy)
    src = _source(holes=True, chunk=64)
    src = src.isel({src.dims[0]: 0})
    dst = GRIDS["refine past the edge"]
    warped = reproject(src, dst, "bilinear", (16, 16)).data  # the edge chunks take its blocks
    warp_module.valid_on_grid(src, dst, "bilinear", (16, 16), warped).compute(scheduler="sync")
    reaches = [_reach_by_hand(box) for box in calls]
    n_chunks = math.prod(math.ceil(n / 16) for n in dst.shape.yx)
    assert 0 < len(calls) < n_chunks  # the chunks at the source's edge and around the hole only
    plane = src.values
    for box, reach in zip(calls, reaches, strict=True):
        assert reach is None or np.isnan(plane[reach]).any(), box
    calls.clear()
    warped = reproject(src, dst, "cubic", (16, 16)).data
    warp_module.valid_on_grid(src, dst, "cubic", (16, 16), warped).compute(scheduler="sync")
    assert len(calls) == n_chunks  # cubic can overshoot: every chunk warped


def test_a_mask_gives_what_where_gives():
    """``mask=``: the warp's pixels, NaN where the mask is False, as ``.where(mask)`` (the oracle) gives them."""
    src = _source(holes=True)
    dst = GRIDS["refine inside"]
    yy, xx = np.mgrid[0 : dst.shape.y, 0 : dst.shape.x]
    mask = wrap_xr((xx + 2 * yy) % 7 > 1, dst, always_yx=True).chunk({"y": 32, "x": 32})
    mask[:32, :32] = True  # a chunk all inside keeps its pixels as they are
    expected = reproject(src, dst, "bilinear", (32, 32)).where(mask)
    got = reproject(src, dst, "bilinear", (32, 32), mask=mask)
    assert got.dims == expected.dims and got.attrs == expected.attrs and got.dtype == expected.dtype
    np.testing.assert_array_equal(got.values, expected.values)
    with pytest.raises(ValueError, match="chunks"):
        reproject(src, dst, "bilinear", (32, 32), mask=mask.chunk({"y": 16, "x": 16}))


@pytest.mark.parametrize("grid", ["refine inside", "refine past the edge"])
@pytest.mark.parametrize("resampling", ["bilinear", "nearest", "cubic"])
def test_valid_on_grid_with_a_mask_is_false_outside_it(grid, resampling):
    """``mask=``: isfinite of the masked warp (the oracle: isfinite of the warp, and the mask, by numpy), also for
    the chunks known valid without a warp, which are the mask's blocks."""
    src = _source(holes=True)
    src = src.isel({src.dims[0]: 1}).chunk({"y": 64, "x": 64})
    dst = GRIDS[grid]
    yy, xx = np.mgrid[0 : dst.shape.y, 0 : dst.shape.x]
    mask = wrap_xr((xx + 2 * yy) % 7 > 1, dst, always_yx=True).chunk({"y": 32, "x": 32})
    expected = np.isfinite(reproject(src, dst, resampling, (32, 32)).values) & mask.values
    warped = reproject(src, dst, resampling, (32, 32), mask=mask).data
    got = warp_module.valid_on_grid(src, dst, resampling, (32, 32), warped, mask=mask)
    assert got.dtype == bool and got.chunks == warped.chunks
    np.testing.assert_array_equal(got.compute(), expected)
    assert not expected.all() and expected.any()


def _members(holes: bool, n: int = 3, chunk: int = 7):
    """``n`` one-band layers on SRC with different values (NaN where ``holes``, in some members only)."""
    src = _source(holes, bands=n, chunk=chunk)
    out = []
    for i in range(n):
        m = src.isel({src.dims[0]: slice(i, i + 1)}) * (i + 1) - i
        if holes and i == 1:
            m = m.where(~((m.x == m.x[40]) & (m.y == m.y[33])))  # a hole of this member alone
        out.append(m.chunk({src.dims[0]: 1, "y": chunk, "x": chunk}))
    return out


def _region_mask(dst: GeoBox, chunks=(32, 32)):
    yy, xx = np.mgrid[0 : dst.shape.y, 0 : dst.shape.x]
    return wrap_xr((xx + 2 * yy) % 9 > 0, dst, always_yx=True).chunk(dict(zip(("y", "x"), chunks, strict=True)))


@pytest.mark.parametrize("grid", sorted(GRIDS))
@pytest.mark.parametrize("resampling", ["bilinear", "nearest", "cubic", "average"])
@pytest.mark.parametrize("holes", [False, True], ids=["no holes", "holes"])
def test_a_group_gives_each_member_what_reproject_gives_it(grid, resampling, holes):
    """Oracle: each member warped alone (reproject, itself odc-geo's bit for bit above), with the same mask."""
    members = _members(holes)
    dst = GRIDS[grid]
    mask = _region_mask(dst)
    got, group = warp_module.reproject_group(members, dst, resampling, (32, 32), mask)
    assert group.needed is None
    for m, g in zip(members, got, strict=True):
        expected = reproject(m, dst, resampling, (32, 32), mask=mask)
        assert g.dims == expected.dims and g.dtype == expected.dtype and g.data.chunks == expected.data.chunks
        assert g.attrs == expected.attrs and g.encoding == expected.encoding and set(g.coords) == set(expected.coords)
        np.testing.assert_array_equal(g.values, expected.values)  # NaN where NaN, the same bits elsewhere
        assert np.isfinite(expected.values).any()


def test_a_group_warps_its_unmasked_members_in_one_call(monkeypatch):
    """Chunks whose kernels read no NaN warp the members together (one call of 3 bands); a member with a NaN in its
    reach is warped alone, masked; the others of that chunk still go together."""
    calls = []
    real = warp_module.warp_plane

    def spy(src, dst, src_box, dst_box, resampling, masked):
        calls.append((src.shape[0] if src.ndim == 3 else 1, masked))
        real(src, dst, src_box, dst_box, resampling, masked=masked)

    monkeypatch.setattr(warp_module, "warp_plane", spy)
    dst = GRIDS["refine inside"]
    members = _members(holes=True, chunk=64)
    got, _ = warp_module.reproject_group(members, dst, "bilinear", (16, 16), _region_mask(dst, (16, 16)))
    for g in got:
        g.values  # noqa: B018 - computed for the calls
    assert (3, False) in calls  # chunks far from every hole: one call
    assert (2, False) in calls and (1, True) in calls  # a chunk by member 1's own hole: it alone is masked
    assert all(n == 1 for n, masked in calls if masked)


def test_a_group_warps_only_the_members_kept(monkeypatch):
    """WarpGroup.keep: a computation that reads one member warps that one only, and gives the same pixels."""
    bands = []
    real = warp_module.warp_plane

    def spy(src, dst, src_box, dst_box, resampling, masked):
        bands.append(src.shape[0] if src.ndim == 3 else 1)
        real(src, dst, src_box, dst_box, resampling, masked=masked)

    dst = GRIDS["refine inside"]
    members = _members(holes=False, chunk=64)
    mask = _region_mask(dst)
    got, group = warp_module.reproject_group(members, dst, "bilinear", (32, 32), mask)
    expected = reproject(members[2], dst, "bilinear", (32, 32), mask=mask).values
    group.keep(set(got[2].data.__dask_graph__().layers))
    assert group.needed == frozenset({2})
    monkeypatch.setattr(warp_module, "warp_plane", spy)
    np.testing.assert_array_equal(got[2].values, expected)
    assert bands and set(bands) == {1}  # one plane per call: the others were not warped
    group.keep(set())  # a graph without the group: every member again
    assert group.needed is None


def test_a_group_refuses_members_of_different_grids():
    members = _members(holes=False)
    dst = GRIDS["refine inside"]
    with pytest.raises(ValueError, match="one source grid"):
        warp_module.reproject_group(
            [members[0], members[1].chunk({"y": 5})], dst, "bilinear", (32, 32), _region_mask(dst)
        )
    with pytest.raises(ValueError, match="one band"):
        warp_module.reproject_group([_source(False)], dst, "bilinear", (32, 32), _region_mask(dst))


def test_a_source_grid_of_another_shape_is_refused():
    """The exact source grid a caller gives (AlignedInputs.native_grid) must be the data's own shape."""
    dst = GRIDS["refine inside"]
    wrong = SRC[1:, :]
    with pytest.raises(ValueError, match="source grid of shape"):
        reproject(_source(False), dst, "bilinear", (32, 32), source=wrong)
    with pytest.raises(ValueError, match="source grid of shape"):
        warp_module.reproject_group(_members(holes=False), dst, "bilinear", (32, 32), _region_mask(dst), source=wrong)


@pytest.mark.parametrize("resampling", ["bilinear", "cubic"])
def test_a_call_of_several_bands_is_cut_where_a_call_of_one_is(resampling):
    """A destination larger than GDAL's 64 MB warp memory: the call of 3 bands (3 x 64 MB allowed) gives each band
    the pixels of its own call, bit for bit (with 64 MB for the 3 bands, 2 of these pixels differ)."""
    from scsmap.io.gdal_warp import warp_plane

    src_box = GeoBox.from_bbox((10.0, 40.0, 10.7, 40.7), "EPSG:4326", resolution=0.01)
    dst_box = GeoBox.from_bbox((10.1, 40.1, 10.6, 40.62), "EPSG:4326", resolution=0.00013)  # 3847 x 4001
    rng = np.random.default_rng(3)
    src = rng.random((3, *src_box.shape.yx)).astype("float32")
    together = np.full((3, *dst_box.shape.yx), np.nan, "float32")
    warp_plane(src, together, src_box, dst_box, resampling, masked=False)
    alone = np.full(dst_box.shape.yx, np.nan, "float32")
    warp_plane(src[0], alone, src_box, dst_box, resampling, masked=False)
    np.testing.assert_array_equal(together[0].view("u4"), alone.view("u4"))
