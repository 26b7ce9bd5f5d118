"""Fuzzing (hypothesis): the config loader and the rule functions never crash except with documented errors.

* :func:`scsmap.config.load_config` on random YAML text and on the demo config with random
  values put at random (known and unknown) keys: it returns a Config or raises ConfigError.
* ``scsmap.rules.fourp1000`` and ``scsmap.rules.saturation`` on random arrays (NaN, inf,
  negatives, huge values, float32 and float64): no exception, shape kept, and the results
  agree with a float64 element-by-element oracle written here; dask-chunked inputs give
  exactly the numpy results.
"""

from __future__ import annotations

import math
import warnings

import dask.array as da
import numpy as np
import pytest
import yaml
from helpers import demo_config_dict
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from scsmap.config import load_config
from scsmap.errors import ConfigError
from scsmap.rules.fourp1000 import target_4p1000
from scsmap.rules.saturation import capacity_georgiou, capacity_hassink, saturation_deficit, saturation_ratio

# derandomize: the same examples on every run, so that CI is reproducible (raise max_examples locally to explore)
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --------------------------------------------------------------------------- config loader

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=10,
)
KNOWN_KEYS = [
    "region",
    "region.name",
    "region.iso3",
    "region.bbox",
    "region.boundary",
    "region.boundary.path",
    "region.boundary.where",
    "grid",
    "grid.crs",
    "grid.resolution",
    "grid.like",
    "grid.snap",
    "grid.chunk_size",
    "inputs",
    "inputs.soc_stock",
    "inputs.soc_stock.path",
    "inputs.soc_stock.units",
    "inputs.soc_stock.bands",
    "inputs.soc_stock.scale",
    "inputs.soc_stock.nodata",
    "inputs.soc_stock.crs",
    "inputs.clay.resampling",
    "inputs.precipitation.path",
    "fill",
    "fill.silt",
    "fill.silt.constant",
    "fill.bulk_density.ptf",
    "parameters",
    "parameters.depth_cm",
    "parameters.rate_4p1000",
    "parameters.saturation.method",
    "parameters.saturation.f_maoc",
    "rothc",
    "rothc.engine",
    "rothc.cropland_bare_months",
    "rothc.monte_carlo_draws",
    "tables",
    "tables.land_cover_reclass",
    "outputs",
    "outputs.products",
    "outputs.nodata",
    "outputs.overwrite",
    "compute",
    "compute.scheduler",
    "compute.n_workers",
    "compute.memory_limit",
    "compute.gdal_config",
    "compute.pass_pixels",
    "gsocseq_stacks",
    "data_dir",
    "extends",
]
keys = st.one_of(st.sampled_from(KNOWN_KEYS), st.text(alphabet="abcdefghij_.", min_size=1, max_size=15))


def _set(raw: dict, dotted: str, value) -> None:
    node = raw
    *parents, last = [p for p in dotted.split(".") if p] or ["x"]
    for p in parents:
        if not isinstance(node.get(p), dict):
            node[p] = {}
        node = node[p]
    node[last] = value


def _load(tmp_path, text: str):
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        return load_config(path)
    except ConfigError as exc:
        assert str(exc).startswith("invalid configuration") or "config" in str(exc) or exc.problems
        return None


@FUZZ
@given(edits=st.lists(st.tuples(keys, values), min_size=1, max_size=4))
def test_config_loader_on_mutated_configs(tmp_path, edits):
    raw = demo_config_dict()
    for k, v in edits:
        if k == "extends" and isinstance(v, str):
            continue  # a random file name: covered by the missing-file tests
        _set(raw, k, v)
    _load(tmp_path, yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))


@FUZZ
@given(text=st.text(max_size=200))
def test_config_loader_on_random_text(tmp_path, text):
    _load(tmp_path, text)


@FUZZ
@given(overrides=st.dictionaries(keys.filter(lambda k: k not in ("extends",)), scalars, max_size=3))
def test_config_overrides(tmp_path, overrides):
    """`scsmap run --set KEY=VALUE`: any key, any YAML scalar."""
    from helpers import dump_config

    path = dump_config(demo_config_dict(), tmp_path / "demo.yaml")
    try:
        load_config(path, overrides=overrides)
    except ConfigError:
        pass


# --------------------------------------------------------------------------- rules

floats32 = st.floats(width=32, allow_nan=True, allow_infinity=True)
floats64 = st.floats(allow_nan=True, allow_infinity=True)


def arrays(dtype, shape):
    return hnp.arrays(dtype, shape, elements=floats32 if dtype == np.float32 else floats64)


shapes = hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=12)


def same(a, b) -> bool:
    """Equal, NaN equal to NaN."""
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


def close(got, want, rtol, atol=0.0, overflows=None) -> bool:
    """``got`` equals the float64 oracle ``want`` to ``rtol``/``atol``, with float32's limits.

    ``overflows``: where an intermediate of the float32 computation exceeds the float32 range (e.g. 100 x SOC
    before the division by the capacity); there ``got`` may be inf where ``want`` is finite. Without it, an
    overflow is accepted only where ``want`` itself is huge (> 1e36).
    """
    got, want = np.asarray(got, dtype="float64"), np.asarray(want, dtype="float64")
    both_nan = np.isnan(got) & np.isnan(want)
    inf_ok = np.isinf(want) & (got == want)
    near = np.abs(got - want) <= rtol * np.abs(want) + atol
    huge = np.abs(want) > 1e36 if overflows is None else overflows | (np.abs(want) > 1e36)
    over = np.isinf(got) & np.isfinite(want) & huge
    under = (got == 0) & (np.abs(want) < 1e-37)  # and flush to 0 where it is tiny
    # float32 subnormals (< 1.18e-38) carry few significant bits: compare them absolutely
    under |= (np.abs(want) < 1.18e-38) & (np.abs(got - want) <= 1e-44)
    return bool(np.all(both_nan | inf_ok | near | over | under))


@st.composite
def rule_inputs(draw):
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    shape = draw(shapes)
    return dtype, {k: draw(arrays(dtype, shape)) for k in ("soc", "clay", "silt", "bd", "cf", "act", "cap")}


@FUZZ
@given(data=rule_inputs(), rate=st.floats(1e-6, 0.5))
def test_target_4p1000(data, rate):
    dtype, a = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got = target_4p1000(a["soc"], rate)
    assert got.shape == a["soc"].shape and got.dtype == dtype
    want = np.array([float(s) * rate for s in a["soc"].ravel()]).reshape(a["soc"].shape)
    assert close(got, want, 1e-6 if dtype == np.float32 else 1e-12)


@FUZZ
@given(data=rule_inputs(), f=st.floats(0.01, 1.0))
def test_saturation_ratio_and_deficit(data, f):
    dtype, a = data
    soc, cap = a["soc"], a["cap"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ratio = saturation_ratio(soc, cap, f)
        deficit = saturation_deficit(soc, cap, f)
    assert ratio.shape == deficit.shape == soc.shape

    def ratio1(s, c):
        if not c > 0:
            return math.nan
        try:
            return 100.0 * f * s / c
        except OverflowError:
            return math.copysign(math.inf, s)

    def deficit1(s, c):
        d = c - f * s
        return d if math.isnan(d) else max(d, 0.0)

    want_r = np.array([ratio1(float(s), float(c)) for s, c in zip(soc.ravel(), cap.ravel())]).reshape(soc.shape)
    want_d = np.array([deficit1(float(s), float(c)) for s, c in zip(soc.ravel(), cap.ravel())]).reshape(soc.shape)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    assert np.all(np.isnan(ratio[~(cap > 0)])), "ratio must be NaN where the capacity is not > 0"
    with np.errstate(over="ignore", invalid="ignore"):  # the float32 intermediate 100 x f x SOC overflows
        overflows = (dtype == np.float32) & (np.abs(100.0 * f * soc.astype("f8")) > np.finfo(np.float32).max)
    # subnormal intermediates keep an absolute error of half their spacing, which the division by the capacity
    # scales by 1/capacity
    with np.errstate(divide="ignore", invalid="ignore"):
        sub_atol = np.nan_to_num(np.finfo(dtype).smallest_subnormal / np.abs(cap.astype("f8")), posinf=np.inf)
    assert close(ratio, want_r, rtol, atol=sub_atol, overflows=overflows)
    # capacity - f x SOC cancels: the float error bound is eps x (|capacity| + f |SOC|), not relative
    eps = float(np.finfo(dtype).eps)
    with np.errstate(over="ignore", invalid="ignore"):
        atol = 2 * eps * (np.abs(cap.astype("f8")) + f * np.abs(soc.astype("f8")))
    assert close(deficit, want_d, rtol, np.nan_to_num(atol, nan=0.0, posinf=np.inf))
    assert not np.any(deficit < 0)


@FUZZ
@given(data=rule_inputs(), depth=st.floats(1, 100))
def test_capacities(data, depth):
    dtype, a = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        g = capacity_georgiou(a["clay"], a["silt"], a["bd"], depth, a["cf"], a["act"])
        h = capacity_hassink(a["clay"], a["silt"], a["bd"], depth, a["cf"])
    assert g.shape == h.shape == a["clay"].shape
    cl, si, bd, cf, act = (a[k].astype("float64") for k in ("clay", "silt", "bd", "cf", "act"))
    with np.errstate(all="ignore"):
        conv = bd * depth * 0.1 * (1.0 - cf / 100.0)
        want_g = (act * 0.86 + (1 - act) * 0.48) * (cl + si) * conv
        want_h = (4.09 + 0.37 * (cl + 0.5 * si)) * conv
    # values past 1e6 may overflow float32 intermediates (inf * 0 = NaN) where the float64 oracle is finite:
    # the oracle is checked where every input is within +-1e6 (physical values are far below), no-crash elsewhere
    fin = np.all([np.abs(v) < 1e6 for v in (cl, si, bd, cf, act)], axis=0)
    rtol = 1e-4 if dtype == np.float32 else 1e-12
    assert close(g[fin], want_g[fin], rtol) and close(h[fin], want_h[fin], rtol)


@FUZZ
@given(data=rule_inputs(), chunk=st.integers(1, 5))
def test_chunked_equals_unchunked(data, chunk):
    dtype, a = data
    assume(a["soc"].ndim == 2)
    lazy = {k: da.from_array(v, chunks=chunk) for k, v in a.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for fn, args in (
            (saturation_ratio, ("soc", "cap")),
            (saturation_deficit, ("soc", "cap")),
            (capacity_georgiou, ("clay", "silt", "bd")),
            (target_4p1000, ("soc",)),
        ):
            eager = fn(*(a[k] for k in args))
            chunked = fn(*(lazy[k] for k in args))
            chunked = chunked.compute() if hasattr(chunked, "compute") else chunked
            assert same(eager, chunked), fn.__name__


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_rules_keep_the_input_precision(dtype):
    """No silent promotion to float64 (memory) nor demotion to float32 (precision) in the rules."""
    x = np.array([10.0, 50.0], dtype=dtype)
    assert target_4p1000(x).dtype == dtype
    assert saturation_ratio(x, x * 2).dtype == dtype
    assert saturation_deficit(x, x * 2).dtype == dtype
