"""The output folder's guard rails: ownership, the lock, the journaled all-or-nothing commit, SIGTERM.

The commit is tested on synthetic folders (fast, every step), the rules on real runs of a small
window of the demo.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from filelock import FileLock
from helpers import SMALL_BBOX, copy_outputs, demo_config_dict, dump_config, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scsmap.config import load_config
from scsmap.errors import OutputError, Terminated
from scsmap.io.folder import (
    JOURNAL,
    LOCK,
    commit_files,
    commit_steps,
    is_internal,
    locked,
    new_staging,
    recover,
    terminated_as_interrupt,
)
from scsmap.pipeline import run

# --------------------------------------------------------------------------- synthetic runs


def _manifest(tag: str, files: list[str]) -> str:
    return json.dumps({"scsmap_version": "test", "run": tag, "products": [], "files": files})


PREVIOUS = {
    "a.tif": "old a",
    "a.qml": "old style",
    "gone.tif": "old only",
    "stac/item.json": "old item",
    "manifest.json": None,
}
NEW = {"a.tif": "new a", "a.qml": "new style", "b.tif": "new b", "stac/item.json": "new item", "manifest.json": None}
FOREIGN = {"notes.txt": "the user's own file"}


def _names(files: dict[str, str | None]) -> list[str]:
    return list(dict.fromkeys(f.split("/")[0] for f in files if f != "manifest.json")) + ["manifest.json"]


def _write(base: Path, files: dict[str, str | None], tag: str) -> None:
    for name, text in files.items():
        p = base / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(_manifest(tag, _names(files)) if text is None else text)


def _state(out: Path) -> dict[str, str]:
    """Every file under ``out`` but scsmap's bookkeeping, with its text."""
    return {
        str(p.relative_to(out)): p.read_text()
        for p in sorted(out.rglob("*"))
        if p.is_file() and not is_internal(p.relative_to(out).parts[0])
    }


def _expected(files: dict[str, str | None], tag: str) -> dict[str, str]:
    return {**{k: (_manifest(tag, _names(files)) if v is None else v) for k, v in files.items()}, **FOREIGN}


def _setup(tmp_path: Path) -> tuple[Path, Path]:
    out = tmp_path / "out"
    _write(out, PREVIOUS, "previous")
    _write(out, FOREIGN, "-")
    staging = new_staging(out)
    _write(staging, NEW, "new")
    return out, staging


def _commit(out: Path, staging: Path):
    return commit_steps(out, staging, _names(NEW), remove=set(_names(PREVIOUS)) - set(_names(NEW)))


def test_commit_replaces_the_previous_run_and_nothing_else(tmp_path):
    out, staging = _setup(tmp_path)
    commit_files(out, staging, _names(NEW), remove=set(_names(PREVIOUS)) - set(_names(NEW)))
    assert _state(out) == _expected(NEW, "new")  # gone.tif (owned) removed, notes.txt (foreign) kept
    assert not [p for p in os.listdir(out) if is_internal(p)]


def test_commit_interrupted_at_every_step_is_rolled_back_or_completed(tmp_path):
    """Kill the commit after each of its steps; the next command leaves the whole previous or the whole new run."""
    out, staging = _setup(tmp_path / "probe")
    steps = list(_commit(out, staging))
    assert len(steps) >= 10
    for k in range(len(steps)):
        out, staging = _setup(tmp_path / f"k{k}")
        it = _commit(out, staging)
        for _ in range(k + 1):  # step k done, then the process dies: no cleanup runs
            next(it)
        message = recover(out)  # what the next scsmap command in the folder does first
        state = _state(out)
        committed = k >= steps.index("journal: committed")
        assert state == (_expected(NEW, "new") if committed else _expected(PREVIOUS, "previous")), steps[k]
        assert not (out / JOURNAL).exists() and not [p for p in os.listdir(out) if is_internal(p)], steps[k]
        if k < len(steps) - 1:
            assert message and ("rolled back" in message or "completed" in message), steps[k]


def test_a_failed_move_rolls_the_commit_back_at_once(tmp_path, monkeypatch):
    import scsmap.io.folder as folder

    out, staging = _setup(tmp_path)
    real, calls = folder._move, []

    def failing(src, dst):
        calls.append(src)
        if len(calls) == 5:
            raise OSError(28, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(folder, "_move", failing)
    with pytest.raises(OSError):
        commit_files(out, staging, _names(NEW), remove={"gone.tif"})
    assert _state(out) == _expected(PREVIOUS, "previous")


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(schedule=st.lists(st.booleans(), min_size=1, max_size=60), crash=st.integers(-1, 40))
def test_interleaved_runs_never_leave_an_inconsistent_folder(tmp_path_factory, schedule, crash):
    """Two runs A and B take steps in a random order (lock, stage, each commit step, unlock); one may die.

    Whatever the order, the folder ends as the previous run, A's or B's, every file of one run.
    """
    base = tmp_path_factory.mktemp("interleave")
    out = base / "out"
    _write(out, PREVIOUS, "previous")
    _write(out, FOREIGN, "-")
    runs = {}
    for name in ("A", "B"):
        files = {**NEW, "a.tif": f"{name} a"}

        def steps(name=name, files=files):
            lock = FileLock(str(out / LOCK), timeout=0)
            try:
                lock.acquire()
            except Exception:
                yield "refused"
                return
            try:
                recover(out)
                staging = new_staging(out)
                _write(staging, files, name)
                yield "staged"
                yield from commit_steps(out, staging, _names(files), remove={"gone.tif"})
            finally:
                lock.release()

        runs[name] = (steps(), files)
    done: dict[str, bool] = {}
    n = 0
    for pick in schedule * 5:
        name = "A" if pick else "B"
        if name in done:
            name = "B" if name == "A" else "A"
            if name in done:
                break
        gen = runs[name][0]
        if n == crash:  # this run's process dies here: its generator is dropped without cleanup
            done[name] = False
            gen.gi_frame.f_locals.get("lock") and gen.gi_frame.f_locals["lock"].release()
            continue
        n += 1
        try:
            next(gen)
        except StopIteration:
            done[name] = True
    for name, (gen, _) in runs.items():  # let the survivors finish
        if name not in done:
            for _ in gen:
                pass
    recover(out)  # the next command
    state = _state(out)
    candidates = [_expected(PREVIOUS, "previous")] + [_expected(f, name) for name, (_, f) in runs.items()]
    assert state in candidates


# --------------------------------------------------------------------------- rules on real runs


@pytest.fixture(scope="module")
def small_cfg(tmp_path_factory) -> Path:
    raw = demo_config_dict()
    raw["region"]["bbox"] = SMALL_BBOX
    raw["outputs"] = {"products": ["soc_t0", "target_4p1000", "land_use"]}
    return dump_config(raw, tmp_path_factory.mktemp("cfg") / "small.yaml")


@pytest.fixture(scope="module")
def small_run(small_cfg, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("small") / "out"
    run(load_config(small_cfg), out_dir=out)
    return out


def test_refuses_root_home_and_folders_holding_inputs(small_cfg, tmp_path):
    cfg = load_config(small_cfg)
    for bad in (Path("/"), Path.home()):
        with pytest.raises(OutputError, match="refusing to write into"):
            run(cfg, out_dir=bad)
    sample = Path(cfg.inputs["soc_stock"].path).parent
    with pytest.raises(OutputError, match="holds .* an input of this run"):
        run(cfg, out_dir=sample, overwrite=True)


def test_nonempty_folder_without_a_run_is_refused_unless_allowed(small_cfg, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("years of work")
    with pytest.raises(OutputError, match="not empty and holds no scsmap run"):
        run(load_config(small_cfg), out_dir=out)
    assert os.listdir(out) == ["thesis.docx"]
    run(load_config(small_cfg), out_dir=out, allow_nonempty=True)
    assert (out / "thesis.docx").read_text() == "years of work" and (out / "soc_t0.tif").exists()
    # the next run replaces its own files only
    run(load_config(small_cfg), out_dir=out, overwrite=True)
    assert (out / "thesis.docx").read_text() == "years of work"


def test_foreign_files_are_never_replaced(small_cfg, small_run, tmp_path):
    out = copy_outputs(small_run, tmp_path / "out")
    m = json.loads((out / "manifest.json").read_text())
    m["files"].remove("land_use.qml")  # a land_use.qml that no manifest lists is the user's
    (out / "manifest.json").write_text(json.dumps(m))
    (out / "land_use.qml").write_text("my own style")
    with pytest.raises(OutputError, match="no scsmap manifest lists: land_use.qml"):
        run(load_config(small_cfg), out_dir=out, overwrite=True)
    assert (out / "land_use.qml").read_text() == "my own style"


def test_a_manifest_scsmap_did_not_write_is_never_replaced(small_cfg, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text('{"name": "my web app"}')
    for kw in ({}, {"overwrite": True}, {"resume": True}, {"allow_nonempty": True}):
        with pytest.raises(OutputError, match="was not written by scsmap"):
            run(load_config(small_cfg), out_dir=out, **kw)
    assert (out / "manifest.json").read_text() == '{"name": "my web app"}'


def test_a_planted_symlink_is_not_followed(small_cfg, small_run, tmp_path):
    out = copy_outputs(small_run, tmp_path / "out")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious.txt").write_text("keep")
    import shutil

    shutil.rmtree(out / "stac")
    (out / "stac").symlink_to(elsewhere, target_is_directory=True)
    run(load_config(small_cfg), out_dir=out, overwrite=True)
    assert os.listdir(elsewhere) == ["precious.txt"] and (elsewhere / "precious.txt").read_text() == "keep"
    assert (out / "stac").is_dir() and not (out / "stac").is_symlink()


def test_a_second_command_on_a_locked_folder_exits_2_naming_the_holder(small_cfg, small_run, tmp_path):
    out = copy_outputs(small_run, tmp_path / "out")
    before = snapshot(out)
    with locked(out, "run"):  # another run is working in the folder
        proc = subprocess.run(
            [sys.executable, "-m", "scsmap", "run", str(small_cfg), "--out", str(out), "--overwrite", "-q"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 2, proc.stderr
    assert "in use by another scsmap command" in proc.stderr and f"process {os.getpid()}" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert {k: v for k, v in snapshot(out).items() if not is_internal(k.split("/")[0])} == before


@pytest.mark.parametrize("signum, raised", [(signal.SIGTERM, Terminated), (signal.SIGINT, KeyboardInterrupt)])
def test_a_signal_inside_a_library_callback_keeps_its_meaning(signum, raised):
    """A library that wraps what its callback raises (pydantic: PydanticSerializationError around a field
    serializer's exception) does not turn SIGTERM or Ctrl-C into an "unexpected error"."""
    import pydantic

    class Model(pydantic.BaseModel):
        path: str

        @pydantic.field_serializer("path")
        def ser_path(self, value: str) -> str:
            os.kill(os.getpid(), signum)
            time.sleep(5)  # the handler raises in here
            return value

    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    with pytest.raises(raised), terminated_as_interrupt():
        Model(path="x").model_dump()
    assert {s: signal.getsignal(s) for s in handlers} == handlers  # restored


def test_sigterm_removes_the_staging_and_keeps_the_previous_run(tmp_path, small_run):
    raw = demo_config_dict()  # the whole demo: seconds of computing, time to terminate it
    cfg = dump_config(raw, tmp_path / "demo.yaml")
    out = copy_outputs(small_run, tmp_path / "out")
    before = snapshot(out)
    proc = subprocess.Popen(
        [sys.executable, "-m", "scsmap", "run", str(cfg), "--out", str(out), "--overwrite", "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not list(out.glob(".staging-*/*.tmp.tif")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert "terminated" in err and "Traceback" not in err
    assert snapshot(out) == before  # no staging, no lock, previous run whole
