"""`scsmap build` = run → stats → report, each step only when out of date (make without make)."""

from __future__ import annotations

import os
import shutil
import time

from click.testing import CliRunner
from conftest import SAMPLE
from helpers import demo_config_dict, dump_config

import scsmap
from scsmap.cli import main


def _config(tmp_path, depth=30):
    raw = demo_config_dict()
    soc = tmp_path / "soc.tif"  # a copy: the test touches it
    if not soc.exists():
        shutil.copy(SAMPLE / raw["inputs"]["soc_stock"]["path"], soc)
    raw["inputs"]["soc_stock"]["path"] = str(soc)
    raw["outputs"] = {"products": ["soc_t0", "target_4p1000", "land_use", "saturation_deficit"]}
    raw["parameters"] = {**raw.get("parameters", {}), "depth_cm": depth}
    return dump_config(raw, tmp_path / "region.yaml")


def _mtimes(out):
    return {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.is_file()}


def test_build_makes_each_step_once_and_only_what_is_out_of_date(tmp_path):
    cfg, out = _config(tmp_path), tmp_path / "out"
    first = scsmap.build(cfg, out)
    assert [(s.name, s.made) for s in first.steps] == [("maps", True), ("statistics", True), ("report", True)]
    assert {"manifest.json", "stats.csv", "report.html", "soc_t0.tif"} <= set(_mtimes(out))
    before = _mtimes(out)

    again = scsmap.build(cfg, out)
    assert not any(s.made for s in again.steps), again.steps
    assert _mtimes(out) == before, "an up-to-date build rewrote files"

    # an input touched but not changed: the maps are checked (checksums), nothing is computed again; then the
    # steps after it follow once and the build converges
    time.sleep(0.01)
    for path in scsmap.load_config(cfg).inputs["soc_stock"].path, cfg:
        os.utime(path, None)
    touched = scsmap.build(cfg, out)
    assert touched.steps[0].made and "up to date (checksums)" in touched.steps[0].why
    assert touched.run is not None and set(touched.run.products) >= {"soc_t0"}
    tif_after = _mtimes(out)["target_4p1000.tif"]
    assert tif_after == before["target_4p1000.tif"], "an unchanged product was computed again"
    assert not any(s.made for s in scsmap.build(cfg, out).steps)

    # the report alone
    (out / "report.html").unlink()
    only = scsmap.build(cfg, out)
    assert [s.made for s in only.steps] == [False, False, True]

    # a config change: the maps again (the products that depend on it), then statistics and report
    changed = scsmap.build(_config(tmp_path, depth=20), out)
    assert all(s.made for s in changed.steps) and "config changed" in changed.steps[0].why
    assert _mtimes(out)["soc_t0.tif"] != before["soc_t0.tif"]


def test_build_command_prints_each_step(tmp_path):
    cfg, out = _config(tmp_path), tmp_path / "out"
    runner = CliRunner()
    first = runner.invoke(main, ["build", str(cfg), "--out", str(out), "-q"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(main, ["build", str(cfg), "--out", str(out)])
    assert second.exit_code == 0, second.output
    for step in ("maps", "statistics", "report"):
        assert step in second.output and "up to date" in second.output
    bad = runner.invoke(main, ["build", str(tmp_path / "missing.yaml"), "--out", str(out)])
    assert bad.exit_code == 2 and "not found" in bad.output


def test_build_shows_the_progress_of_every_step(tmp_path):
    """`scsmap build` / `make <region>` shows the statistics' windows and the report's maps as they go, not only the
    run's stages (on a continent the statistics alone take minutes)."""
    import io

    from scsmap.progress import Progress

    buf = io.StringIO()
    scsmap.build(_config(tmp_path), tmp_path / "out", progress=Progress(live=False, stream=buf))
    lines = buf.getvalue().splitlines()
    for stage in ("inputs", "compute", "COG", "commit", "statistics", "report maps"):
        assert any(f"] {stage}: " in line and " done" in line for line in lines), (stage, lines)
