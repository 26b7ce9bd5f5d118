"""CLI of the deliverables: scsmap stats, report, inputs, summary (click's CliRunner, and one real subprocess)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import CONFIGS, SAMPLE

from scsmap.cli import main

DEMO = CONFIGS / "regions" / "demo.yaml"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def copied(demo_outputs, tmp_path):
    out = tmp_path / "demo"
    shutil.copytree(demo_outputs, out)
    return out


def test_stats_recomputes_the_tables(copied):
    (copied / "stats.csv").unlink()
    (copied / "stats.gpkg").unlink()
    res = invoke("stats", DEMO, "--out", copied)
    assert res.exit_code == 0, res.output
    assert "region area" in res.output and "soc_t0" in res.output and "Mt C" in res.output
    t = pd.read_csv(copied / "stats.csv")
    assert {"area_ha", "valid_area_ha", "mean", "total", "share_4p1000_percent"} <= set(t.columns)
    import pyogrio

    assert [name for name, _ in pyogrio.list_layers(copied / "stats.gpkg")] == ["units", "stats"]


def test_report_command_writes_the_report(copied):
    (copied / "report.html").unlink()
    res = invoke("report", DEMO, "--out", copied)
    assert res.exit_code == 0, res.output
    assert (copied / "report.html").is_file()


def test_commands_without_a_run_fail_cleanly(tmp_path):
    for cmd in ("stats", "report"):
        res = invoke(cmd, DEMO, "--out", tmp_path / "empty")
        assert res.exit_code == 2, cmd
        assert "no manifest.json" in res.output and "scsmap run" in res.output
        assert "Traceback" not in res.output
    proc = subprocess.run(
        [sys.executable, "-m", "scsmap.cli", "summary", str(tmp_path)], capture_output=True, text=True
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "no manifest.json" in proc.stderr


def test_inputs_lists_every_file_the_config_reads():
    res = invoke("inputs", DEMO)
    assert res.exit_code == 0, res.output
    files = res.output.split()
    assert str(DEMO.resolve()) in files and str((CONFIGS / "defaults.yaml").resolve()) in files
    assert str((SAMPLE / "MKD_OCS_RF_1km.tif").resolve()) in files
    assert str((SAMPLE / "ne10m_admin0_MKD.geojson").resolve()) in files
    rule = invoke("inputs", DEMO, "--make", "out/demo/manifest.json").output
    assert rule.startswith("out/demo/manifest.json: \\")


def test_summary_prints_the_run_summary(demo_outputs):
    res = invoke("summary", demo_outputs)
    assert res.exit_code == 0
    for line in ("products written", "valid area", "SOC stock total", "4p1000 target"):
        assert line in res.output
