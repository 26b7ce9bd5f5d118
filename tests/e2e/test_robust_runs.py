"""Robust runs: --resume, SIGKILL in the middle of writing, disk full, reruns byte-identical."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import (
    SMALL_BBOX,
    assert_untouched,
    copy_outputs,
    demo_config_dict,
    dump_config,
    run_into,
    snapshot,
)

from scsmap.config import load_config
from scsmap.errors import OutputError
from scsmap.pipeline import run

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

RULE_LAYERS = ("soc_stock", "clay", "land_cover")


def small_raw() -> dict:
    """Demo config cut to a few layers over the small window: soc_t0, 4p1000, saturation x3, land_use."""
    raw = demo_config_dict()
    raw["inputs"] = {k: v for k, v in raw["inputs"].items() if k in RULE_LAYERS}
    raw["region"]["bbox"] = SMALL_BBOX
    return raw


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return run_into(small_raw(), tmp_path_factory.mktemp("ref"), "small")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_manifest_records_the_resume_key(reference):
    cfg_path, out = reference
    m = json.loads((out / "manifest.json").read_text())
    raw = small_raw()
    files = [raw["inputs"][k]["path"] for k in RULE_LAYERS] + [raw["region"]["boundary"]["path"]]
    want = {str((Path(raw["data_dir"]) / f).resolve()): _sha(Path(raw["data_dir"]) / f) for f in files}
    want.update(
        {str(Path(t).resolve()): _sha(Path(t)) for t in raw.get("tables", {}).values() if str(t).endswith(".csv")}
    )  # table files are inputs too (the demo's cost table)
    assert m["inputs_sha256"] == dict(sorted(want.items())), "input checksums differ from hashlib's"
    keys = [e["resume_key"] for e in m["products"]]
    assert len(set(keys)) == len(keys) == len(m["products"]) >= 5
    assert all(len(k) == 64 for k in keys)


def test_rerun_is_byte_identical(reference, tmp_path):
    cfg_path, out = reference
    run(load_config(cfg_path), out_dir=tmp_path / "again")
    assert snapshot(tmp_path / "again") == snapshot(out)


def test_resume_keeps_finished_products_and_redoes_the_rest(reference, tmp_path):
    cfg_path, ref = reference
    out = copy_outputs(ref, tmp_path / "out")
    before = snapshot(out)
    # nothing to do: nothing is touched
    mtimes = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    result = run(load_config(cfg_path), out_dir=out, resume=True)
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == mtimes
    assert result.manifest["products"] == json.loads((out / "manifest.json").read_text())["products"]
    # one product deleted, one damaged: only those two are written again
    (out / "saturation_ratio.tif").unlink()
    (out / "target_4p1000.tif").write_bytes(b"half a file")
    kept_inode = (out / "soc_t0.tif").stat().st_ino
    kept_mtime = (out / "soc_t0.tif").stat().st_mtime_ns
    run(load_config(cfg_path), out_dir=out, resume=True)
    assert (out / "soc_t0.tif").stat().st_ino == kept_inode
    assert (out / "soc_t0.tif").stat().st_mtime_ns == kept_mtime
    assert snapshot(out) == before, "a resumed run must end byte-identical to a full run"


def test_resume_recomputes_when_the_config_changes(reference, tmp_path):
    cfg_path, ref = reference
    out = copy_outputs(ref, tmp_path / "out")
    before = snapshot(out)
    raw = small_raw()
    raw["parameters"] = {"rate_4p1000": 0.005}
    cfg = load_config(dump_config(raw, tmp_path / "changed.yaml"))
    with pytest.raises(OutputError) as info:  # stale products are replaced only with --overwrite
        run(cfg, out_dir=out, resume=True)
    assert "--overwrite" in str(info.value)
    assert_untouched(out, before)
    run(cfg, out_dir=out, resume=True, overwrite=True)
    after = snapshot(out)
    assert all(after[k] != before[k] for k in before if k.endswith(".tif")), "every product depends on the config"


def test_resume_recomputes_when_an_input_changes(reference, tmp_path):
    cfg_path, ref = reference
    out = copy_outputs(ref, tmp_path / "out")
    raw = small_raw()
    clay = Path(raw["data_dir"]) / raw["inputs"]["clay"]["path"]
    copy = tmp_path / "clay_copy.tif"
    blob = bytearray(clay.read_bytes())
    copy.write_bytes(bytes(blob))
    raw["inputs"]["clay"]["path"] = str(copy)  # same values, other path: the config digest changes
    cfg = load_config(dump_config(raw, tmp_path / "copy.yaml"))
    run(cfg, out_dir=out, overwrite=True)
    m1 = json.loads((out / "manifest.json").read_text())
    # same config, same path, the file's bytes changed (a tag appended): every key changes
    import rasterio

    with rasterio.open(copy, "r+") as ds:
        ds.update_tags(NOTE="edited")
    run(cfg, out_dir=out, resume=True, overwrite=True)
    m2 = json.loads((out / "manifest.json").read_text())
    assert m2["inputs_sha256"][str(copy)] != m1["inputs_sha256"][str(copy)]
    assert not {e["resume_key"] for e in m1["products"]} & {e["resume_key"] for e in m2["products"]}


# --------------------------------------------------------------------------- SIGKILL


def _scsmap(*args: str) -> list[str]:
    return [sys.executable, "-c", "from scsmap.cli import main; main()", *args]


def test_sigkill_while_writing_leaves_no_partial_file_and_the_rerun_completes(tmp_path, reference):
    """Kill -9 a run once its temporary GeoTIFFs are being written; outputs stay whole; rerun completes."""
    raw = demo_config_dict()  # the whole demo: several seconds of computing, time to kill it mid-write
    cfg_path = dump_config(raw, tmp_path / "demo.yaml")
    out = copy_outputs(reference[1], tmp_path / "out")  # outputs of another (smaller) run: must survive
    before = snapshot(out)
    proc = subprocess.Popen(
        _scsmap("run", str(cfg_path), "--out", str(out), "--overwrite", "-q"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    try:
        while not list(out.glob(".staging-*/*.tmp.tif")):
            assert proc.poll() is None, f"the run ended before it was killed: {proc.communicate()}"
            assert time.monotonic() < deadline, "no temporary file appeared within 120 s"
            time.sleep(0.01)
        time.sleep(0.3)  # inside dask.compute: blocks are being written
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    after = snapshot(out)
    staging = [k for k in after if k.startswith(".staging-")]
    assert staging, "the killed run's staging directory is expected to be left behind"
    from scsmap.io.folder import is_internal  # lock, journal, staging: scsmap's bookkeeping

    final = {k: v for k, v in after.items() if not is_internal(k.split("/")[0])}
    assert final == before, "a file under a final name changed although the run was killed before finishing"
    # the rerun removes the dead run's staging directory and completes
    done = subprocess.run(
        _scsmap("run", str(cfg_path), "--out", str(out), "--overwrite", "-q"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    left = [p.name for p in out.iterdir() if p.name.startswith(".staging-")]
    assert not left, f"stale staging not removed: {left}"
    clean = tmp_path / "clean"
    run(load_config(cfg_path), out_dir=clean)
    assert snapshot(out) == snapshot(clean), "the rerun after a kill differs from a clean run"


def test_leftover_staging_is_removed_only_under_the_lock(tmp_path):
    """A live command's staging is never removed: leftovers go only when the folder's lock is free."""
    from filelock import FileLock

    from scsmap.errors import OutputError
    from scsmap.io.folder import LOCK, locked, new_staging

    tmp_path.mkdir(exist_ok=True)
    live = new_staging(tmp_path)
    holder = FileLock(str(tmp_path / LOCK), timeout=0)
    holder.acquire()  # a live run (on any host or PID namespace) holds the lock
    try:
        with pytest.raises(OutputError, match="in use by another scsmap command"), locked(tmp_path, "test"):
            pass
        assert live.is_dir()
    finally:
        holder.release()
    with locked(tmp_path, "test"):  # the run is gone: its staging is a leftover
        assert not live.exists()


# --------------------------------------------------------------------------- disk full


@pytest.mark.parametrize("where", ["cog", "block"])
def test_disk_full_during_a_write(reference, tmp_path, monkeypatch, where):
    """ENOSPC while writing a block (inside dask) or the COG: OutputError, previous outputs untouched."""
    import scsmap.pipeline.commit as pipeline
    from scsmap.io.write import BlockTarget

    def full(*a, **kw):
        raise OSError(errno.ENOSPC, "No space left on device")

    if where == "cog":
        monkeypatch.setattr(pipeline, "to_cog", full)
    else:
        monkeypatch.setattr(BlockTarget, "__setitem__", full)
    cfg_path, ref = reference
    out = copy_outputs(ref, tmp_path / "out")
    before = snapshot(out)
    raw = small_raw()
    raw["parameters"] = {"rate_4p1000": 0.005}  # a different run, so that every file would change
    cfg = load_config(dump_config(raw, tmp_path / "other.yaml"))
    with pytest.raises(OutputError) as info:
        run(cfg, out_dir=out, overwrite=True)
    msg = str(info.value)
    assert "no space left" in msg and str(out) in msg and "--out" in msg
    assert_untouched(out, before)


def test_cli_resume_and_scheduler_options(reference, tmp_path):
    from click.testing import CliRunner

    from scsmap.cli import main

    cfg_path, ref = reference
    out = copy_outputs(ref, tmp_path / "out")
    mtimes = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    result = CliRunner().invoke(main, ["run", str(cfg_path), "--out", str(out), "--resume", "-q"])
    assert result.exit_code == 0, result.output
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == mtimes
    bad = CliRunner().invoke(main, ["run", str(cfg_path), "--out", str(tmp_path / "new"), "--scheduler", "bogus"])
    assert bad.exit_code == 2 and "compute.scheduler" in bad.output and "Traceback" not in bad.output
    assert not (tmp_path / "new").exists()
