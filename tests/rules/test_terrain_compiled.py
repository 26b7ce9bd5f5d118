"""The compiled Horn slope equals the numpy one (its oracle) cast to float32, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from scsmap.rules.terrain import horn_slope_percent
from scsmap.rules.terrain_compiled import _percent_of, slope_interior


def _oracle(z, dx, dy) -> np.ndarray:
    return horn_slope_percent(z, dx, dy)[1:-1, 1:-1].astype("float32")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("scale", [1.0, 3000.0, 1e-3, 1e30, 1e-150])
def test_equals_numpy_on_random_blocks(dtype, scale):
    rng = np.random.default_rng(int(scale * 7) % 1000 + len(dtype))
    z = (rng.random((131, 97)) * scale).astype(dtype)
    z[rng.random(z.shape) < 0.02] = np.nan
    z[5, 5], z[9, 40], z[60, 60] = np.inf, -np.inf, np.nan  # inf and NaN side by side: hypot(inf, nan) is inf
    z[61, 61] = np.inf
    per_row = rng.uniform(10, 300, (131, 1))
    for dx in (per_row, per_row[:, 0], 231.5):
        got = slope_interior(z, dx, 231.7)
        assert got.dtype == np.float32 and got.shape == (129, 95)
        column = np.reshape(dx, (-1, 1)) if np.ndim(dx) else dx  # one width per row, as numpy broadcasts it
        with np.errstate(invalid="ignore", over="ignore"):
            np.testing.assert_array_equal(got, _oracle(z, column, 231.7))


def test_a_tilted_plane_by_hand():
    y, x = np.mgrid[0:6, 0:7] * 100.0  # 100 m pixels
    z = 0.12 * x + 0.05 * y  # 12 % east, 5 % south
    np.testing.assert_allclose(slope_interior(z, 100.0, 100.0), 13.0, rtol=1e-6)  # sqrt(12^2 + 5^2)


def test_values_next_to_a_float32_rounding_boundary_take_hypot():
    """Gradients whose slope lies within a few float64 units of the midpoint between two float32 values: there
    ``sqrt(x² + y²)`` and ``hypot`` can round to different float32 values, and the result must be hypot's."""
    rng = np.random.default_rng(3)
    f = rng.uniform(1e-3, 1e4, 200_000).astype("float32")
    mid = (f.astype("f8") + np.nextafter(f, np.float32(np.inf)).astype("f8")) / 2
    theta = rng.uniform(0, np.pi / 2, f.size)
    x, y = mid / 100 * np.cos(theta), mid / 100 * np.sin(theta)
    want = (100.0 * np.hypot(x, y)).astype("float32")
    naive = (100.0 * np.sqrt(x * x + y * y)).astype("float32")
    assert (naive != want).sum() > 1000  # the shortcut alone would be wrong here
    got = np.empty(f.size, dtype="float32")
    _percent_of(x, y, got)
    np.testing.assert_array_equal(got, want)


def test_special_values_equal_hypot():
    v = np.array([0.0, -0.0, 1e-320, 1e-160, 1e-140, 1e150, 1e160, 1e300, np.inf, -np.inf, np.nan, 3.0])
    x, y = (a.ravel() for a in np.meshgrid(v, v))
    got = np.empty(x.size, dtype="float32")
    _percent_of(x, y, got)
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(got, (100.0 * np.hypot(x, y)).astype("float32"))


@pytest.mark.parametrize(
    ("shape", "dx"), [((2, 5), 1.0), ((5, 2), 1.0), ((5,), 1.0), ((5, 5), np.ones(4)), ((5, 5), np.ones((5, 5)))]
)
def test_bad_shapes_are_refused(shape, dx):
    with pytest.raises(ValueError, match="elevation|dx"):
        slope_interior(np.zeros(shape), dx, 1.0)
