"""docs/python.md is a real notebook session: its region.yaml and its cells run, in order, from an empty folder
holding a copy of the sample; the results the page shows are checked against the run."""

from __future__ import annotations

import os
import re
import shutil

import pytest
from conftest import ROOT, SAMPLE

PAGE = ROOT / "docs" / "python.md"


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)


@pytest.mark.slow
def test_notebook_page_runs(tmp_path, monkeypatch):
    (config,) = _blocks("yaml")
    shutil.copytree(SAMPLE, tmp_path / "data")
    (tmp_path / "region.yaml").write_text(config)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict = {}
    cells = _blocks("python")
    assert len(cells) >= 8
    for i, cell in enumerate(cells, 1):
        exec(compile(cell, f"docs/python.md cell {i}", "exec"), namespace)  # noqa: S102
    run, ds = namespace["run"], namespace["ds"]
    # what the page shows
    text = PAGE.read_text(encoding="utf-8")
    assert f"{len(run.products)} products, {len(run.skipped)} skipped" in text
    assert f"{run.summary['soc_stock_mean_t_ha']:.6f}" in text
    assert f"{float(ds['soc_t0'].where(ds['land_use'] == 2).mean()):.1f}" in text
    assert [(s.name, s.made) for s in namespace["build"].steps] == [
        ("maps", False),
        ("statistics", True),
        ("report", True),
    ]
    assert os.path.isfile(tmp_path / "out" / "mkd" / "report.html")
