"""The compiled MAOC capacity equals the numpy expressions of scsmap.rules.saturation (its oracles) bit for bit."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
import xarray as xr

from scsmap.config.schema import SaturationConfig
from scsmap.layers import saturation as layers
from scsmap.rules.saturation import capacity_georgiou, capacity_hassink
from scsmap.rules.saturation_compiled import capacity_block, compiled_dtype

# the layers hold infinities on purpose (inf - inf in the numpy oracles is NaN, as in the kernel)
pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")


def _layers(dtype: str, shape=(37, 53), seed=3) -> dict[str, np.ndarray]:
    """Clay, silt, bulk density, coarse fragments and HAC share with NaN, infinities, zeros and odd values."""
    rng = np.random.default_rng(seed)
    out = {
        "clay": rng.uniform(0, 70, shape),
        "silt": rng.uniform(0, 50, shape),
        "bulk_density": rng.uniform(0.8, 1.8, shape),
        "coarse_fragments": rng.uniform(0, 60, shape),
        "hac_share": rng.uniform(0, 1, shape),
    }
    for i, a in enumerate(out.values()):
        a[rng.random(shape) < 0.05] = np.nan
        a[i, :4] = [np.inf, -np.inf, 0.0, -0.0]
    out["hac_share"][5] = 1.0  # the default fill
    out["coarse_fragments"][6] = 0.0
    return {k: v.astype(dtype) for k, v in out.items()}


def _bits_equal(got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == want.dtype and got.shape == want.shape
    # the same floats: NaN where NaN, and the same bits elsewhere (-0.0 and 0.0 told apart)
    same = (got.view(f"u{got.itemsize}") == want.view(f"u{want.itemsize}")) | (np.isnan(got) & np.isnan(want))
    assert same.all(), (got[~same][:5], want[~same][:5])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("depth_cm", [30, 17.5])
@pytest.mark.parametrize(("slope_hac", "slope_lac"), [(0.86, 0.48), (0.91, 0.3)])
def test_georgiou_equals_numpy(dtype, depth_cm, slope_hac, slope_lac):
    x = _layers(dtype)
    want = capacity_georgiou(
        x["clay"], x["silt"], x["bulk_density"], depth_cm, x["coarse_fragments"], x["hac_share"], slope_hac, slope_lac
    )
    got = capacity_block(
        x["clay"], x["silt"], x["bulk_density"], x["coarse_fragments"], x["hac_share"],
        method="georgiou2022", depth_cm=depth_cm, slope_hac=slope_hac, slope_lac=slope_lac,
    )  # fmt: skip
    _bits_equal(got, np.asarray(want))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("depth_cm", [30, 17.5])
@pytest.mark.parametrize(("silt_share", "intercept", "slope"), [(0.5, 4.09, 0.37), (1.0, 3.3, 0.41)])
def test_hassink_equals_numpy(dtype, depth_cm, silt_share, intercept, slope):
    x = _layers(dtype)
    want = capacity_hassink(
        x["clay"], x["silt"], x["bulk_density"], depth_cm, x["coarse_fragments"], silt_share, intercept, slope
    )
    got = capacity_block(
        x["clay"], x["silt"], x["bulk_density"], x["coarse_fragments"], None,
        method="hassink1997", depth_cm=depth_cm, silt_share=silt_share, intercept=intercept, slope=slope,
    )  # fmt: skip
    _bits_equal(got, np.asarray(want))


def test_the_worked_values_of_the_methods_page():
    """docs/methods/saturation.md §4.1-4.2 by hand: Georgiou, clay + silt 50 %, HAC, BD 1.3, 30 cm: 0.86 · 50 = 43 g
    kg-1, × 1.3 · 30 · 0.1 = 167.7 t ha-1; Hassink, clay 40 % and no silt: 4.09 + 0.37 · 40 = 18.89 g kg-1, 73.671."""
    one = np.ones((1, 1))
    g = capacity_block(30 * one, 20 * one, 1.3 * one, 0 * one, one, method="georgiou2022", depth_cm=30)
    h = capacity_block(40 * one, 0 * one, 1.3 * one, 0 * one, None, method="hassink1997", depth_cm=30)
    assert g[0, 0] == pytest.approx(167.7, rel=1e-12)
    assert h[0, 0] == pytest.approx(73.671, rel=1e-12)
    half = capacity_block(30 * one, 20 * one, 1.3 * one, 50 * one, one, method="georgiou2022", depth_cm=30)
    assert half[0, 0] == pytest.approx(167.7 / 2, rel=1e-12)  # half the volume coarse fragments


def test_bad_inputs_are_refused():
    a = np.ones((2, 3), "f4")
    with pytest.raises(ValueError, match="one float dtype"):
        capacity_block(a, a.astype("f8"), a, a, a, method="georgiou2022", depth_cm=30)
    with pytest.raises(ValueError, match="one float dtype"):
        capacity_block(*(a.astype("i4"),) * 5, method="georgiou2022", depth_cm=30)
    with pytest.raises(ValueError, match="one shape"):
        capacity_block(a, a, a, np.ones((3, 2), "f4"), a, method="georgiou2022", depth_cm=30)
    with pytest.raises(ValueError, match="HAC share"):
        capacity_block(a, a, a, a, None, method="georgiou2022", depth_cm=30)
    with pytest.raises(ValueError, match="capacity method"):
        capacity_block(a, a, a, a, a, method="hassink", depth_cm=30)  # type: ignore[arg-type]
    assert compiled_dtype("float32", None, "float32") == np.float32
    assert compiled_dtype("float32", "float64") is None
    assert compiled_dtype("int16") is None


@pytest.mark.parametrize("method", ["georgiou2022", "hassink1997"])
def test_the_lazy_layer_equals_the_numpy_expression_chunked_or_not(method):
    """The capacity layer is computed by the kernel block by block for float32 layers (the same floats as the numpy
    expression on the whole grid, whatever the chunks); layers of mixed dtypes take the numpy expression."""
    s = SaturationConfig(method=method)
    x = _layers("float32", shape=(64, 48))
    hac = x["hac_share"] if method == "georgiou2022" else None
    want = (
        capacity_georgiou(x["clay"], x["silt"], x["bulk_density"], 30, x["coarse_fragments"], x["hac_share"])
        if hac is not None
        else capacity_hassink(x["clay"], x["silt"], x["bulk_density"], 30, x["coarse_fragments"])
    )
    for chunks in ((64, 48), (16, 32)):

        def lazy(a: np.ndarray, chunks=chunks) -> xr.DataArray:
            return xr.DataArray(da.from_array(a, chunks=chunks), dims=("y", "x"))

        args = [lazy(x[k]) for k in ("clay", "silt", "bulk_density", "coarse_fragments")]
        h = lazy(hac) if hac is not None else None
        assert layers.capacity_dtype(*args, h, s) == np.float32
        out = layers.capacity(*args, h, 30, s)
        assert out.dtype == np.float32 and out.data.chunks == args[0].data.chunks
        _bits_equal(out.values, want)
    mixed = [lazy(x["clay"].astype("f8")), *args[1:]]  # float64 clay: NumPy widens operation by operation
    assert layers.capacity_dtype(*mixed, h, s) is None
    clay64 = x["clay"].astype("f8")
    want64 = (
        capacity_georgiou(clay64, x["silt"], x["bulk_density"], 30, x["coarse_fragments"], hac)
        if hac is not None
        else capacity_hassink(clay64, x["silt"], x["bulk_density"], 30, x["coarse_fragments"])
    )
    got64 = layers.capacity(*mixed, h, 30, s).values
    assert got64.dtype == np.float64
    _bits_equal(got64, want64)


@pytest.mark.parametrize("method", ["georgiou2022", "hassink1997"])
def test_constant_layers_are_read_as_their_one_value(method):
    """A constant layer (every stride 0: a fill of a region without a boundary, numpy.broadcast_to) gives the numpy
    result of the same values copied out, and is not copied (it may be read-only)."""
    x = _layers("float32")
    shape = x["clay"].shape
    bd, cf, hac = (np.broadcast_to(np.float32(v), shape) for v in (1.3, 0.0, 1.0))
    assert not bd.flags.writeable
    want = (
        capacity_georgiou(x["clay"], x["silt"], bd.copy(), 30, cf.copy(), hac.copy())
        if method == "georgiou2022"
        else capacity_hassink(x["clay"], x["silt"], bd.copy(), 30, cf.copy())
    )
    share = hac if method == "georgiou2022" else None
    got = capacity_block(x["clay"], x["silt"], bd, cf, share, method=method, depth_cm=30)
    _bits_equal(got, np.asarray(want))
    clay = np.broadcast_to(np.float32(33.0), shape)  # a constant clay too, and a strided (not constant) silt
    silt = np.asfortranarray(x["silt"])
    want = capacity_georgiou(clay.copy(), silt.copy(), bd.copy(), 30, cf.copy(), hac.copy())
    _bits_equal(capacity_block(clay, silt, bd, cf, hac, method="georgiou2022", depth_cm=30), np.asarray(want))
