"""A run's heavy stages leave the objects alive before them out of the garbage collector's full collections, and
put them back after (scsmap/pipeline/heap.py)."""

from __future__ import annotations

import gc

import pytest

from scsmap.pipeline.heap import frozen_heap


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
