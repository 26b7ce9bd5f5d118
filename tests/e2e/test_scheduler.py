"""Schedulers: threads, a local process cluster and a scheduler address write byte-identical outputs.

Every cluster here listens on loopback only, has a bounded lifetime (SIGALRM) and is shut down
by its context manager; the tests check that it is.
"""

from __future__ import annotations

import json
import signal

import numpy as np
import pytest
from helpers import SMALL_BBOX, demo_config_dict, dump_config, run_into, snapshot

from scsmap.config import ComputeConfig, load_config
from scsmap.errors import ConfigError
from scsmap.io.gdal_env import worker_gdal_option
from scsmap.pipeline import run

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

CLUSTER = dict(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None)


@pytest.fixture
def time_limit():
    """Fail (instead of hanging) when a cluster test runs for more than two minutes."""

    def on_alarm(signum, frame):
        raise TimeoutError("cluster test exceeded its 120 s limit")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(120)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


@pytest.fixture(scope="module")
def threads_run(tmp_path_factory):
    return run_into(demo_config_dict(), tmp_path_factory.mktemp("threads"), "demo")


def _tifs_and_manifest(out):
    snap = snapshot(out)
    return {k: v for k, v in snap.items() if k.endswith((".tif", ".json"))}


def test_address_scheduler_outputs_identical_to_threads(threads_run, tmp_path, time_limit):
    """The whole demo (every product, RothC included) on a 2-worker LocalCluster reached by its address."""
    from distributed import Client, LocalCluster

    cfg_path, ref = threads_run
    with LocalCluster(**CLUSTER) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        out = tmp_path / "out"
        run(load_config(cfg_path), out_dir=out, scheduler=cluster.scheduler_address)
        with Client(cluster) as client:  # the run's client left, the cluster kept its two workers
            assert len(client.scheduler_info()["workers"]) == 2
    assert cluster.status.name == "closed"
    got, want = _tifs_and_manifest(out), _tifs_and_manifest(ref)
    assert sorted(got) == sorted(want)
    different = [k for k in want if got[k] != want[k]]
    assert not different, f"threads and a 2-worker cluster wrote different files: {different}"
    assert not [p for p in out.iterdir() if p.name.startswith(".staging-")]


def test_processes_scheduler_starts_and_stops_a_local_cluster(tmp_path, time_limit, monkeypatch):
    """`processes` starts its own loopback cluster with memory limits, writes the same map, shuts it down."""
    import scsmap.pipeline.scheduler as sched

    raw = demo_config_dict()
    raw["inputs"] = {k: v for k, v in raw["inputs"].items() if k in ("soc_stock", "clay")}
    raw["region"]["bbox"] = SMALL_BBOX
    raw["compute"] = {
        "scheduler": "processes",
        "n_workers": 2,
        "memory_limit": "1GB",
        "gdal_config": {"GDAL_CACHEMAX": "64"},
    }
    cfg = load_config(dump_config(raw, tmp_path / "small.yaml"))
    seen = {}
    real = sched.open_engine

    def spy(*a, **kw):
        cm = real(*a, **kw)

        class Wrapped:
            def __enter__(self):
                engine = cm.__enter__()
                seen["engine"] = engine
                info = engine.client.scheduler_info()
                seen["limits"] = sorted(w["memory_limit"] for w in info["workers"].values())
                seen["gdal"] = worker_gdal_option(engine.client, "GDAL_CACHEMAX")
                seen["address"] = info["address"]
                return engine

            def __exit__(self, *exc):
                return cm.__exit__(*exc)

        return Wrapped()

    import scsmap.pipeline as pipeline

    monkeypatch.setattr(pipeline, "open_engine", spy)
    run(cfg, out_dir=tmp_path / "proc")
    monkeypatch.undo()
    assert seen["engine"].kind == "processes"
    assert seen["address"].startswith("tcp://127.0.0.1:")
    assert seen["limits"] == [10**9, 10**9]
    assert [str(v) for v in seen["gdal"].values()] == ["64", "64"], "GDAL options did not reach every worker"
    assert seen["engine"].client.status == "closed"
    # the same config on threads: identical maps (compute does not enter the config digest)
    raw["compute"] = {"scheduler": "threads"}
    run(load_config(dump_config(raw, tmp_path / "small.yaml")), out_dir=tmp_path / "thr")
    assert _tifs_and_manifest(tmp_path / "proc") == _tifs_and_manifest(tmp_path / "thr")


def test_gdal_options_apply_in_process_and_are_restored():
    import rasterio.env

    from scsmap.pipeline.scheduler import open_engine

    assert rasterio.env.get_gdal_config("CPL_SCSMAP_TEST") is None
    with open_engine(ComputeConfig(gdal_config={"CPL_SCSMAP_TEST": "yes"})) as engine:
        assert engine.kind == "threads" and not engine.distributed
        assert rasterio.env.get_gdal_config("CPL_SCSMAP_TEST") in ("yes", True)
    assert rasterio.env.get_gdal_config("CPL_SCSMAP_TEST") is None


def test_unreachable_scheduler_address_is_a_config_error(tmp_path, time_limit):
    from scsmap.pipeline.scheduler import open_engine

    with pytest.raises(ConfigError) as info:
        with open_engine(ComputeConfig(scheduler="tcp://127.0.0.1:9", connect_timeout_s=2)):
            pass
    msg = str(info.value)
    assert "compute.scheduler" in msg and "tcp://127.0.0.1:9" in msg and "--scheduler" in msg


@pytest.mark.parametrize("bad", ["thread", "cluster", "127.0.0.1:8786"])
def test_invalid_scheduler_names(demo_raw, write_config, bad):
    demo_raw["compute"] = {"scheduler": bad}
    with pytest.raises(ConfigError) as info:
        load_config(write_config(demo_raw))
    assert "compute.scheduler" in str(info.value) and "tcp://host:8786" in str(info.value)


def test_invalid_scheduler_option_is_a_config_error():
    from scsmap.pipeline.scheduler import open_engine

    with pytest.raises(ConfigError) as info:
        with open_engine(ComputeConfig(), scheduler="proceses"):
            pass
    assert "--scheduler 'proceses'" in str(info.value)


def test_compute_section_does_not_change_the_config_digest(demo_raw, write_config):
    a = load_config(write_config(demo_raw, "a"))
    demo_raw["compute"] = {"scheduler": "processes", "n_workers": 3, "gdal_config": {"GDAL_CACHEMAX": "512"}}
    b = load_config(write_config(demo_raw, "b"))
    assert a.digest() == b.digest()
    demo_raw["parameters"] = {"rate_4p1000": 0.005}
    c = load_config(write_config(demo_raw, "c"))
    assert c.digest() != a.digest()


def test_scaling_doc_compute_example_is_valid(tmp_path):
    """The `compute:` block in docs/scaling.md validates, and its relative links resolve."""
    import re

    import yaml
    from helpers import ROOT

    text = (ROOT / "docs" / "scaling.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if b.startswith("compute:"))
    ComputeConfig.model_validate(yaml.safe_load(block)["compute"])
    for link in re.findall(r"\]\(([^)#]+\.md)", text):
        assert (ROOT / "docs" / link).is_file(), link


def test_windows_give_the_same_maps_as_one_pass(tmp_path, time_limit):
    """compute.pass_pixels: window-by-window computing writes the same pixels as one pass (several chunks),
    statistics equal to 1e-12 relative (exactly rounded sums); threads and processes agree to the byte."""
    import rasterio

    raw = demo_config_dict()
    raw["grid"] = {"chunk_size": 64}
    raw["outputs"] = {
        "products": [
            "soc_t0",
            "target_4p1000",
            "saturation_ratio",
            "land_use",
            "mat",
            "map",
            "suitability_cover_crops",
            "rate_cover_crops",
            "best_practice",
            "rate_best",
        ]
    }
    _, one = run_into(raw, tmp_path / "one", "demo")
    raw["compute"] = {"pass_pixels": 20_000}  # 3 windows of one row of 64 x 64 chunks (5 chunks each)
    _, windows = run_into(raw, tmp_path / "windows", "demo")
    raw["compute"] = {"pass_pixels": 20_000, "scheduler": "processes", "n_workers": 2}
    _, proc = run_into(raw, tmp_path / "proc", "demo")
    a, b = snapshot(windows), snapshot(proc)
    assert a.pop("manifest.json") and b.pop("manifest.json") and a == b
    assert (tmp_path / "one" / "out" / "alignment_report.json").read_bytes() == (
        windows / "alignment_report.json"
    ).read_bytes()
    m1, mw = (json.loads((d / "manifest.json").read_text()) for d in (one, windows))
    assert [e["id"] for e in m1["products"]] == [e["id"] for e in mw["products"]]
    for e1, ew in zip(m1["products"], mw["products"]):
        with rasterio.open(one / e1["path"]) as x, rasterio.open(windows / ew["path"]) as y:
            assert np.array_equal(x.read(), y.read()), e1["id"]
        assert e1["statistics"].keys() == ew["statistics"].keys()
        for k, v in e1["statistics"].items():
            assert ew["statistics"][k] == pytest.approx(v, rel=1e-12, abs=1e-300), (e1["id"], k)
    for k, v in m1["summary"].items():
        assert mw["summary"][k] == (pytest.approx(v, rel=1e-12) if isinstance(v, (float, dict)) else v), k
    assert "cover_crops_suitable_ha" in mw["summary"] and "best_practice_share_percent" in mw["summary"]


def test_plan_windows_cover_the_grid_once():
    from scsmap.pipeline.windows import plan_windows

    chunks = ((64, 64, 64, 10), (64, 64, 30))
    assert plan_windows(chunks, 10**9) is None
    for budget in (1, 5000, 64 * 158, 64 * 158 * 2, 202 * 158 - 1):
        wins = plan_windows(chunks, budget)
        cover = np.zeros((202, 158), dtype=int)
        for ys, xs in wins:
            cover[ys, xs] += 1
            assert (ys.stop - ys.start) * (xs.stop - xs.start) <= max(budget, 64 * 64)
        assert (cover == 1).all(), budget


def test_plan_windows_share_rows_and_columns_evenly_in_compact_windows():
    """Windows of whole chunks, shared evenly (no small remainder), in the shape that computes the fewest chunks
    with the ring of chunks around each window (a halo layer computes that ring again). Hand-counted:

    - 2 x 10 chunks of 1024 px, room for 7 (8e6 // 1024**2): rows of 1 and columns in runs of 5 and 5 ring
      (2 + 2) x (6 + 6) = 48 chunks; both rows and columns in runs of 2, 3, 2, 3 ring 2 x (3 + 5 + 4 + 4) = 32;
    - 4 x 10 chunks of 512 x 1024 px, room for 29: 2 rows of whole width ring (3 + 3) x 10 = 60, all 4 rows by
      columns in runs of 5 and 5 ring 4 x (6 + 6) = 48;
    - 40 x 40 chunks, room for 15: runs of 13-14 chunks in a row ring (2 + 38 x 3 + 2) x (14 + 15 + 15) = 5,192,
      windows of 2-3 x 5 chunks (14 runs of rows, 8 of columns) (40 + 2 x 14 - 2) x (40 + 2 x 8 - 2) = 3,564.
    """
    from scsmap.pipeline.windows import _ringed, plan_windows

    def edges(wins):
        return [(w[0].start, w[0].stop, w[1].start, w[1].stop) for w in wins]

    cols = (1024,) * 9 + (784,)  # 10,000 px
    assert edges(plan_windows(((1024, 1024), cols), 8_000_000)) == [
        (0, 2048, 0, 2048),
        (0, 2048, 2048, 5120),
        (0, 2048, 5120, 7168),
        (0, 2048, 7168, 10000),
    ]
    assert edges(plan_windows(((512,) * 4, cols), 3 * 512 * 10_000)) == [(0, 2048, 0, 5120), (0, 2048, 5120, 10000)]
    big = ((1024,) * 39 + (64,),) * 2  # 40,000 x 40,000 px
    wins = plan_windows(big, 16_000_000)
    assert len(wins) == 14 * 8
    assert {w[1].stop - w[1].start for w in wins} == {5 * 1024, 4 * 1024 + 64}
    assert {w[0].stop - w[0].start for w in wins} == {2 * 1024, 3 * 1024, 2 * 1024 + 64}
    runs_y = sorted({(w[0].start // 1024, -(-w[0].stop // 1024)) for w in wins})
    runs_x = sorted({(w[1].start // 1024, -(-w[1].stop // 1024)) for w in wins})
    assert _ringed(runs_y, 40) * _ringed(runs_x, 40) == 3_564
    assert _ringed([(i, i + 1) for i in range(40)], 40) * _ringed([(0, 13), (13, 26), (26, 40)], 40) == 5_192


def test_input_error_raised_on_a_worker_keeps_its_message(tmp_path, time_limit):
    """A land-cover code missing from the table is found on a worker: the user sees the same InputError."""
    import rasterio
    from helpers import SAMPLE

    from scsmap.errors import InputError

    with rasterio.open(SAMPLE / "esacci_lc2010_1km.tif") as src:
        profile, values = src.profile, src.read().astype("uint16")
    values[0, 90:100, 150:160] = 999
    profile.update(dtype="uint16")
    bad = tmp_path / "lc999.tif"
    with rasterio.open(bad, "w", **profile) as dst:
        dst.write(values)
    raw = demo_config_dict()
    raw["inputs"] = {"land_cover": {**raw["inputs"]["land_cover"], "path": str(bad)}}
    raw["compute"] = {"scheduler": "processes", "n_workers": 2}
    cfg = load_config(dump_config(raw, tmp_path / "lc.yaml"))
    with pytest.raises(InputError) as info:
        run(cfg, out_dir=tmp_path / "out")
    assert "999" in str(info.value) and "tables.land_cover_reclass" in str(info.value)
    assert not [p for p in (tmp_path / "out").iterdir()]


def test_gdal_block_cache_is_bounded_by_default_and_restored(monkeypatch):
    """docs/scaling.md: a run's GDAL block cache is 512 MB unless GDAL_CACHEMAX is set; the config wins."""
    import rasterio.env

    from scsmap.pipeline.scheduler import open_engine

    monkeypatch.delenv("GDAL_CACHEMAX", raising=False)
    before = rasterio.env.get_gdal_config("GDAL_CACHEMAX")
    with open_engine(ComputeConfig()):
        assert rasterio.env.get_gdal_config("GDAL_CACHEMAX") == 512
    assert rasterio.env.get_gdal_config("GDAL_CACHEMAX") == before
    monkeypatch.setenv("GDAL_CACHEMAX", "96")
    with open_engine(ComputeConfig()):
        assert rasterio.env.get_gdal_config("GDAL_CACHEMAX") == 96
    with open_engine(ComputeConfig(gdal_config={"GDAL_CACHEMAX": "128"})):
        assert rasterio.env.get_gdal_config("GDAL_CACHEMAX") == 128


def test_threaded_engine_does_not_import_distributed():
    """The threaded engine and scsmap's rechunks never make dask import dask.distributed (~0.3 s per process)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import dask.array as da\n"
        "from scsmap.pipeline.scheduler import Engine, graph_settings\n"
        "with graph_settings():\n"
        "    x = da.ones((4, 6), chunks=2).rechunk((4, 3))\n"
        "    assert Engine('threads').compute(x.sum())[0] == 24\n"
        "print('distributed' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr


def test_first_overview_levels_from_the_compute_pass_give_gdals_files(tmp_path, monkeypatch, time_limit):
    """The first overview level made block by block (windows, threads and processes) gives the COGs GDAL makes
    alone, to the byte: continuous maps (average) and class maps (nearest), levels after an odd-sized one too."""
    import scsmap.pipeline.compute as compute

    raw = demo_config_dict()
    raw["region"]["bbox"] = [20.45, 40.85, 23.0, 42.35]  # 306 x 180 cells of 30 arc-seconds: even sides
    raw["grid"] = {"chunk_size": 64}
    raw["outputs"] = {
        "tile_size": 128,  # the demo grid then has overviews
        "products": ["soc_t0", "target_4p1000", "land_use", "rate_cover_crops", "best_practice"],
    }
    made = []

    def spy(main, level1, nodata, resampling):  # the store target of a product and its first level
        made.append(resampling)
        return block_target(main, level1, nodata, resampling)

    block_target = compute.OverviewBlockTarget
    monkeypatch.setattr(compute, "OverviewBlockTarget", spy)
    raw["compute"] = {"pass_pixels": 20_000}
    _, fast = run_into(raw, tmp_path / "fast", "demo")
    assert sorted(set(made)) == ["average", "nearest"] and len(made) == 5
    raw["compute"] = {"pass_pixels": 20_000, "scheduler": "processes", "n_workers": 2}
    _, proc = run_into(raw, tmp_path / "proc", "demo")
    assert len(made) == 10
    monkeypatch.setattr(compute, "has_first_overview", lambda chunks, tile: False)
    raw["compute"] = {"pass_pixels": 20_000}
    _, gdal = run_into(raw, tmp_path / "gdal", "demo")
    assert len(made) == 10
    tifs = {k: v for k, v in snapshot(gdal).items() if k.endswith(".tif")}
    assert len(tifs) == 5
    assert {k: v for k, v in snapshot(fast).items() if k.endswith(".tif")} == tifs
    assert {k: v for k, v in snapshot(proc).items() if k.endswith(".tif")} == tifs
    import rasterio

    with rasterio.open(fast / "land_use.tif") as ds:
        assert ds.overviews(1) == [2, 4] and ds.shape == (180, 306)  # the first level 153 columns wide
    assert not list(fast.rglob("*.ovr")) and not list(fast.rglob("*.level1.tif"))


def test_threaded_engine_runs_the_graph_with_alias_chains_collapsed():
    """dask's fusion leaves tasks that only hand on another's result (``Alias``); the threaded engine runs the graph
    with dask's resolve_aliases applied: fewer tasks, the same results, requested keys kept (numpy as the oracle)."""
    import dask
    import dask.array as da
    from dask.callbacks import Callback

    from scsmap.pipeline.scheduler import Engine

    x = np.arange(16.0).reshape(4, 4)
    y = da.apply_gufunc(np.negative, "()->()", da.from_array(x, chunks=2))
    a, b = y + 1, y * 2

    def run(compute):
        ran = []
        with Callback(pretask=lambda key, dsk, state: ran.append(key)):
            out = compute()
        return out, ran

    (got_a, got_b), ran = run(lambda: Engine("threads").compute(a, b))
    _, ran_plain = run(lambda: dask.compute(a, b, scheduler=dask.threaded.get))
    np.testing.assert_array_equal(got_a, 1 - x)
    np.testing.assert_array_equal(got_b, -2 * x)
    assert len(ran) == len(ran_plain) - 4  # the 4 blocks' aliases of y
    got_y, got_a, _ = Engine("threads").compute(y, a, b)  # y's own keys asked for: kept
    np.testing.assert_array_equal(got_y, -x)
    np.testing.assert_array_equal(got_a, 1 - x)


def test_threaded_engine_gives_an_aliases_readers_its_target_when_the_target_has_other_readers():
    """An alias whose target has a reader of its own stays after dask's resolve_aliases; its readers then read the
    target and the alias is not run, unless it is asked for (hand-computed values)."""
    from dask._task_spec import Alias, Task, TaskRef
    from dask.callbacks import Callback

    from scsmap.pipeline.scheduler import threaded_get

    def graph():
        return {
            "x": Task("x", np.add, 1, 2),
            "y": Alias("y", "x"),
            "z": Task("z", np.multiply, TaskRef("y"), 10),
            "w": Task("w", np.add, TaskRef("x"), TaskRef("y")),
        }

    ran = []
    with Callback(pretask=lambda key, dsk, state: ran.append(key)):
        assert threaded_get(graph(), ["z", "w"]) == (30, 6)
    assert sorted(ran) == ["w", "x", "z"]
    assert threaded_get(graph(), ["y", "z"]) == (3, 30)


def test_threaded_engine_fuses_a_selection_into_its_only_reader():
    """A selection (getitem) with one reader runs inside that reader, chains of selections too; a selection with two
    readers, or asked for, stays a task of its own. Values computed by hand."""
    import operator

    from dask._task_spec import Task, TaskRef
    from dask.array.chunk import getitem
    from dask.callbacks import Callback

    from scsmap.pipeline.scheduler import fuse_getitems, threaded_get

    stack = np.arange(24.0).reshape(2, 3, 4)  # two planes of 3 x 4

    def graph():
        return {
            "stack": Task("stack", np.copy, stack),
            "p0": Task("p0", getitem, TaskRef("stack"), (0,)),  # one reader (s): fused into it
            "p1": Task("p1", getitem, TaskRef("stack"), (1,)),  # two readers (s, t): kept
            "q": Task("q", getitem, TaskRef("stack"), (0,)),  # a chain of selections: fused whole into t
            "row": Task("row", operator.getitem, TaskRef("q"), 2),
            "cell": Task("cell", getitem, TaskRef("row"), 3),
            "s": Task("s", np.add, TaskRef("p0"), TaskRef("p1")),
            "t": Task("t", np.add, TaskRef("cell"), TaskRef("p1")),
        }

    fused = fuse_getitems(graph(), {"s", "t"})
    assert sorted(fused) == ["p1", "s", "stack", "t"]
    assert fused["s"].dependencies == {"stack", "p1"} and fused["t"].dependencies == {"stack", "p1"}
    ran = []
    with Callback(pretask=lambda key, dsk, state: ran.append(key)):
        s, t = threaded_get(graph(), ["s", "t"])
    assert sorted(ran) == ["p1", "s", "stack", "t"]
    np.testing.assert_array_equal(s, stack[0] + stack[1])
    np.testing.assert_array_equal(t, 11.0 + stack[1])  # stack[0, 2, 3] = 2 * 4 + 3
    assert sorted(fuse_getitems(graph(), {"s", "t", "p0"})) == ["p0", "p1", "s", "stack", "t"]  # asked for: kept
    p0, s = threaded_get(graph(), ["p0", "s"])
    np.testing.assert_array_equal(p0, stack[0])
