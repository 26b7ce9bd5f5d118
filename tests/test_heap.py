"""A run's heavy stages leave the objects alive before them out of the garbage collector's full collections, and
put them back after; NumPy gives their arrays no huge-page advice, and gets its setting back after them
(scsmap/pipeline/heap.py)."""

from __future__ import annotations

import gc
import threading

import pytest

from scsmap.pipeline.heap import HUGEPAGE_ENV, _hugepage_setter, base_pages, frozen_heap


@pytest.fixture(autouse=True)
def _unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_frozen_inside_the_block_and_not_after_it_even_on_error():
    assert gc.get_freeze_count() == 0
    with frozen_heap():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
    with pytest.raises(RuntimeError), frozen_heap():
        raise RuntimeError("boom")
    assert gc.get_freeze_count() == 0


def test_a_heap_frozen_by_someone_else_stays_frozen():
    gc.freeze()
    before = gc.get_freeze_count()
    with frozen_heap():
        pass
    assert gc.get_freeze_count() == before > 0


def test_a_run_computes_with_the_heap_frozen_and_unfreezes_it(tmp_path, demo_raw, write_config, monkeypatch):
    import scsmap.pipeline as pipeline
    from scsmap.config import load_config

    seen: list[int] = []
    compute = pipeline.compute_run
    monkeypatch.setattr(pipeline, "compute_run", lambda *a, **k: seen.append(gc.get_freeze_count()) or compute(*a, **k))
    demo_raw["outputs"] = {**demo_raw.get("outputs", {}), "products": ["target_4p1000"]}
    pipeline.run(load_config(write_config(demo_raw)), out_dir=tmp_path / "out")
    assert len(seen) == 1 and seen[0] > 100_000  # the imported modules' objects, at least
    assert gc.get_freeze_count() == 0


def _advised() -> bool:
    """NumPy's huge-page advice now (set and put back: NumPy has no getter)."""
    setter = _hugepage_setter()
    assert setter is not None  # NumPy 1.26 and 2.x have it
    now = setter(True)
    setter(now)
    return bool(now)


@pytest.fixture
def advised(monkeypatch):
    """NumPy's advice on, as NumPy sets it on Linux without the variable; the test's setting back after it."""
    monkeypatch.delenv(HUGEPAGE_ENV, raising=False)
    setter = _hugepage_setter()
    before = setter(True)
    yield
    setter(before)


def test_no_huge_page_advice_inside_the_block_and_the_setting_back_after_it_even_on_error(advised):
    with base_pages():
        assert not _advised()
        with base_pages():  # nested: the inner block's end keeps it off
            pass
        assert not _advised()
    assert _advised()
    with pytest.raises(RuntimeError), base_pages():
        raise RuntimeError("boom")
    assert _advised()


def test_blocks_in_two_threads_share_the_setting_and_the_last_one_puts_it_back(advised):
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with base_pages():
            first_in.set()
            second_in.wait(10)
        first_out.set()

    t = threading.Thread(target=first)
    t.start()
    first_in.wait(10)
    with base_pages():
        second_in.set()
        first_out.wait(10)
        assert not _advised()  # the first block, begun before this one, has ended: still off in this one
    t.join(10)
    assert _advised()


def test_the_users_variable_is_left_to_numpy(advised, monkeypatch):
    monkeypatch.setenv(HUGEPAGE_ENV, "1")
    with base_pages():
        assert _advised()


def test_a_run_computes_without_huge_page_advice_and_puts_it_back(
    tmp_path, demo_raw, write_config, monkeypatch, advised
):
    import scsmap.pipeline as pipeline
    from scsmap.config import load_config

    seen: list[bool] = []
    for stage in ("make_plan", "compute_run"):
        real = getattr(pipeline, stage)
        monkeypatch.setattr(pipeline, stage, lambda *a, _real=real, **k: seen.append(_advised()) or _real(*a, **k))
    demo_raw["outputs"] = {**demo_raw.get("outputs", {}), "products": ["target_4p1000"]}
    pipeline.run(load_config(write_config(demo_raw)), out_dir=tmp_path / "out")
    assert seen == [False, False]
    assert _advised()


# --------------------------------------------------------------------------- glibc's malloc for a batch process

#: a worker thread allocates, touches and frees a 64 MiB block (a practice block's size) three times; it prints
#: the minor page faults of each time (base pages: NumPy's huge-page advice off in the child's environment)
_REUSE = """
import resource, sys, threading
import numpy as np
from scsmap.pipeline.heap import batch_malloc
taken = batch_malloc() if sys.argv[1] == "set" else None
faults = []
def work():
    for _ in range(3):
        before = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
        block = np.empty(64 << 20, np.uint8)
        block[::4096] = 1
        del block
        faults.append(resource.getrusage(resource.RUSAGE_THREAD).ru_minflt - before)
thread = threading.Thread(target=work)
thread.start()
thread.join()
print(taken, *faults)
"""


def _faults(how: str, **env: str) -> tuple[str, list[int]]:
    import os
    import subprocess
    import sys

    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "GLIBC_TUNABLES"))}
    out = subprocess.run(
        [sys.executable, "-c", _REUSE, how], env={**clean, "NUMPY_MADVISE_HUGEPAGE": "0", **env},
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    return out[0], [int(f) for f in out[1:]]


glibc = pytest.mark.skipif(__import__("platform").libc_ver()[0] != "glibc", reason="glibc's malloc only")


@glibc
def test_batch_malloc_keeps_a_freed_block_for_the_threads_next_one():
    """Oracle: the kernel's page-fault count. 64 MiB of base pages are 16,384 pages: glibc's default maps a
    fresh block each time (each page faulted in again); after batch_malloc the second and third blocks reuse
    the first one's memory."""
    pages = (64 << 20) // 4096 * 9 // 10  # a few of its pages may be in memory already
    taken, faults = _faults("default")
    assert taken == "None" and all(f >= pages for f in faults), faults
    taken, faults = _faults("set")
    assert taken == "True" and faults[0] >= pages and max(faults[1:]) < pages // 100, faults


@glibc
def test_batch_malloc_leaves_a_users_malloc_settings_alone():
    taken, faults = _faults("set", MALLOC_ARENA_MAX="4")
    assert taken == "False" and all(f >= (64 << 20) // 4096 * 9 // 10 for f in faults), faults


def test_the_command_sets_it_for_its_process(monkeypatch):
    import importlib

    from click.testing import CliRunner

    cli = importlib.import_module("scsmap.cli.main")  # the module (the package's ``main`` is the command group)

    calls = []
    monkeypatch.setattr(cli, "batch_malloc", lambda: calls.append(1) or True)
    result = CliRunner().invoke(cli.main, ["products"])
    assert result.exit_code == 0, result.output
    assert calls == [1]
