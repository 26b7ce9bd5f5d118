"""The progress display (scsmap.progress): labelled stages, plain lines a log can read, silence when quiet."""

from __future__ import annotations

import io
import re
import time

import dask.array as da

from scsmap.progress import LOG_EVERY_SECONDS, QUIET_SECONDS, Progress


def test_plain_lines_name_every_stage_and_quick_ones_take_one_line():
    buf = io.StringIO()
    with Progress(live=False, stream=buf) as p:
        with p.stage("statistics", 3) as st:
            for _ in range(3):
                st.advance()
        with p.stage("COG", 2, detail="2 files") as st:
            time.sleep(QUIET_SECONDS + 0.3)  # long enough to be announced
            st.advance(2)
    lines = buf.getvalue().splitlines()
    assert re.fullmatch(r"\[ *\d+\.\d s\] statistics: 3 done in \d+\.\d s", lines[0]), lines
    assert re.fullmatch(r"\[ *\d+\.\d s\] COG: started \(2 files\)", lines[1]), lines
    assert re.fullmatch(r"\[ *\d+\.\d s\] COG: 2 done in \d+\.\d s", lines[2]), lines
    assert len(lines) == 3 and "\r" not in buf.getvalue()


def test_dask_tasks_move_a_stage_and_a_failure_is_said():
    buf = io.StringIO()
    p = Progress(live=False, stream=buf)
    with p.stage("compute") as st, st.dask():
        da.ones((64, 64), chunks=8).sum().compute(scheduler="threads")
    assert st.fraction == 1.0
    try:
        with p.stage("commit"):
            raise RuntimeError("disk")
    except RuntimeError:
        pass
    assert "commit: interrupted" in buf.getvalue()
    assert LOG_EVERY_SECONDS >= 1


def test_live_display_and_quiet():
    buf = io.StringIO()
    with Progress(live=True, stream=buf) as p, p.stage("compute", 4, detail="130 products") as st:
        st.advance(4)
    out = buf.getvalue()
    assert "compute" in out and "130 products" in out and "100 %" in out
    quiet = io.StringIO()
    with Progress(enabled=False, stream=quiet) as p, p.stage("compute", 2) as st:
        st.advance(2)
    assert quiet.getvalue() == ""


def test_cold_numba_cache_is_announced(tmp_path):
    """With an empty numba cache every kernel is listed as uncached and the compute stage says it compiles."""
    import os
    import subprocess
    import sys

    code = (
        "from scsmap.pipeline.kernels import KERNEL_USES, uncached_kernels, compile_note\n"
        "print('\\n'.join(uncached_kernels())); print(compile_note(KERNEL_USES))\n"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba-cache")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    for kernel in (
        "scsmap.rules.practices_compiled._loop",
        "scsmap.rules.ghg_compiled._loop",
        "scsmap.rothc.compiled._loop",
        "scsmap.outputs.zonal._moments_loop",
    ):
        assert kernel in lines
    n = len(lines) - 1
    assert lines[-1] == f"first run: compiling {n} kernels, once (about {max(2, round(1.4 * n))} s)"


def test_every_kernel_module_has_cached_kernels():
    """Every kernel a use names is a cached numba dispatcher of its module (a numba upgrade that hides the index paths,
    or a renamed kernel, shows here), and every cached kernel of those modules is named by a use."""
    import importlib

    from scsmap.pipeline.kernels import KERNEL_MODULES, KERNEL_USES, _index_paths

    named = {k for kernels in KERNEL_USES.values() for k in kernels}
    cached = set()
    for name in KERNEL_MODULES:
        paths = _index_paths(importlib.import_module(name))
        assert paths, name
        cached |= paths.keys()
    assert named == cached


def test_a_kernel_no_run_of_a_use_calls_is_not_announced(tmp_path):
    """With the GSOCseq run's own kernels cached, a GSOCseq run without a warm-up announces nothing: the warm-up's
    month loop (``scsmap.rothc.compiled._loop``, in the same module) is a use of its own (a module-wide count
    announced it as compiling on every North Macedonia run)."""
    import os
    import subprocess
    import sys

    code = (
        "import os\n"
        "from scsmap.pipeline.kernels import KERNEL_USES, _index_paths, uncached_kernels\n"
        "import importlib\n"
        "for k in KERNEL_USES['gsocseq']:\n"
        "    index = _index_paths(importlib.import_module(k.rsplit('.', 1)[0]))[k]\n"
        "    os.makedirs(os.path.dirname(index), exist_ok=True); open(index, 'w').close()\n"
        "print(uncached_kernels(['gsocseq'])); print(uncached_kernels(['gsocseq', 'gsocseq warm-up']))\n"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba-cache")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["[]", "['scsmap.rothc.compiled._loop']"]


def test_the_compile_note_announces_what_the_run_compiles(tmp_path, demo_raw, write_config):
    """A run on an empty numba cache announces N kernels exactly when it compiles N (their cache index files
    appear); a rule-only run announces none of the practice, GHG or RothC kernels; a region without a boundary
    masks no product, so its run neither compiles nor announces the masking kernel, and the first run with a
    boundary announces that one; the next run announces nothing."""
    import os
    import re
    import subprocess
    import sys

    from scsmap.pipeline.kernels import KERNEL_USES

    demo_raw["outputs"] = {**demo_raw.get("outputs", {}), "products": ["target_4p1000", "saturation_ratio"]}
    config = write_config(demo_raw)
    bbox_only = write_config(
        {**demo_raw, "region": {"name": "a box", "iso3": "MKD", "bbox": [21.0, 41.5, 21.5, 42.0]}}, "box"
    )
    cache = tmp_path / "numba-cache"
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}

    def announced(out: str, cfg=config) -> int:
        run = subprocess.run(
            [sys.executable, "-m", "scsmap", "run", str(cfg), "--out", str(tmp_path / out)],
            env=env,
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, run.stderr
        assert "compute: done" in run.stdout + run.stderr
        note = re.search(r"first run: compiling (\d+) kernels?, once \(about \d+ s\)", run.stdout + run.stderr)
        return int(note.group(1)) if note else 0

    def compiled() -> list[str]:
        return sorted(p.name for p in cache.rglob("*.nbi"))

    first = announced("first", bbox_only)
    without_boundary = compiled()
    assert first == len(without_boundary) >= 1, without_boundary
    assert not any(name.startswith("written._masked") for name in without_boundary), without_boundary
    rules_only = {"practices", "ghg", "gsocseq", "gsocseq warm-up"}
    modules = {name.split(".")[0] for name in without_boundary}  # numba names an index <module>.<function>-<line>...
    assert modules.isdisjoint(k.split(".")[-2] for u in rules_only for k in KERNEL_USES[u]), without_boundary
    assert announced("boundary") == len(compiled()) - len(without_boundary) == 1, compiled()
    assert announced("second") == 0
