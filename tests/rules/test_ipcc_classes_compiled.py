"""The compiled IPCC climate zones and soil classes equal the numpy rules (their oracle), 0 as NaN."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from scsmap.rules.ipcc_classes import SOILS, ZONES, ipcc_climate_zone, ipcc_soil_class
from scsmap.rules.ipcc_classes_compiled import climate_zone_codes, soil_class_codes


def _as_float(codes: np.ndarray) -> np.ndarray:
    return np.where(codes > 0, codes, np.nan).astype("float32")


def _climate(n: int, dtype: str) -> dict[str, np.ndarray]:
    """Random climates over every branch of the tree, with the thresholds themselves, NaN, zero and negative PET."""
    rng = np.random.default_rng(11)

    def pick(values, lo, hi):
        v = rng.uniform(lo, hi, n)
        on = rng.random(n) < 0.15  # exactly on a threshold
        v[on] = rng.choice(values, int(on.sum()))
        v[rng.random(n) < 0.03] = np.nan
        return v.astype(dtype)

    pet = pick([0.0, -5.0, 800.0], -50, 2500)
    map_ = pick([2000.0, 1000.0, 800.0], 0, 4000)
    same = rng.random(n) < 0.05
    map_[same] = pet[same]  # MAP = PET: not moist
    return {
        "mat": pick([18.0, 10.0, 0.0], -15, 30),
        "map_": map_,
        "pet": pet,
        "elevation": pick([1000.0], -50, 3000),
        "max_month_temperature": pick([10.0], -20, 35),
        "frost_days": pick([7.0], 0, 200),
    }


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("optional", list(itertools.product([False, True], repeat=3)))
def test_climate_zone_codes_equal_the_numpy_tree(dtype, optional):
    c = _climate(20_000, dtype)
    given = dict(zip(("elevation", "max_month_temperature", "frost_days"), optional, strict=True))
    kwargs = {k: (c[k] if on else None) for k, on in given.items()}
    oracle = _as_float(ipcc_climate_zone(c["mat"], c["map_"], c["pet"], **kwargs))
    got = climate_zone_codes(c["mat"], c["map_"], c["pet"], **kwargs)
    assert got.dtype == np.float32 and got.shape == oracle.shape
    np.testing.assert_array_equal(got, oracle)
    assert set(np.unique(oracle[np.isfinite(oracle)])) <= set(ZONES.values())


def test_climate_zone_codes_by_hand_and_shape():
    """A 2-D block keeps its shape; the branches on their thresholds (IPCC 2019 Fig. 3A.5.2)."""
    mat = np.array([[18.5, 18.5, 18.5, 18.5], [18.0, 10.0, 0.0, -1.0]], dtype="float32")
    map_ = np.array([[500.0, 2000.5, 1500.0, 500.0], [900.0, 900.0, 900.0, 900.0]], dtype="float32")
    pet = np.array([[1000.0, 1000.0, 1000.0, 1000.0], [900.0, 800.0, 1000.0, 1000.0]], dtype="float32")
    elev = np.array([[1500.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]], dtype="float32")
    tmax = np.array([[20.0] * 4, [20.0, 20.0, 20.0, 9.0]], dtype="float32")
    z = climate_zone_codes(mat, map_, pet, elev, tmax)
    expected = [
        [ZONES["tropical_montane"], ZONES["tropical_wet"], ZONES["tropical_moist"], ZONES["tropical_dry"]],
        # MAT 18 is not tropical; MAP = PET is not moist; MAT 0 is not cool temperate; warmest month 9 °C: polar
        [ZONES["warm_temperate_dry"], ZONES["cool_temperate_moist"], ZONES["boreal_dry"], ZONES["polar_dry"]],
    ]
    np.testing.assert_array_equal(z, np.array(expected, dtype="float32"))


@pytest.mark.parametrize("default", ["hac", "lac"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_soil_class_codes_equal_the_numpy_rule(default, dtype):
    rng = np.random.default_rng(5)
    n = 20_000
    sand = rng.uniform(0, 100, n).astype(dtype)
    clay = rng.uniform(0, 40, n).astype(dtype)
    sand[rng.random(n) < 0.1] = 70.0
    clay[rng.random(n) < 0.1] = 8.0
    sand[rng.random(n) < 0.05] = np.nan
    clay[rng.random(n) < 0.05] = np.nan
    oracle = _as_float(ipcc_soil_class(sand, clay, None, default))
    got = soil_class_codes(sand.reshape(100, 200), clay.reshape(100, 200), default)
    assert got.shape == (100, 200) and got.dtype == np.float32
    np.testing.assert_array_equal(got.ravel(), oracle)
    assert SOILS["sandy"] in oracle


def test_soil_class_codes_refuse_an_unknown_default_and_mismatched_shapes():
    with pytest.raises(KeyError):
        soil_class_codes(np.zeros(3), np.zeros(3), "chernozem")
    with pytest.raises(ValueError):
        soil_class_codes(np.zeros(3), np.zeros(4))
