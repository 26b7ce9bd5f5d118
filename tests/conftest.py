"""Shared fixtures: paths to the embedded sample and to ../shared, small config builders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
CONFIGS = ROOT / "configs"
SHARED = Path(os.environ.get("SCSMAP_SHARED", ROOT.parent / "shared")).resolve()
HAVE_SHARED = (SHARED / "data" / "mkd").is_dir()

needs_shared = pytest.mark.skipif(not HAVE_SHARED, reason=f"real data not found at {SHARED} (../shared)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("shared") and not HAVE_SHARED:
            item.add_marker(pytest.mark.skip(reason=f"real data not found at {SHARED}"))


@pytest.fixture
def demo_raw() -> dict:
    """The demo config as a dict, with absolute paths (edit it, then write it with ``write_config``)."""
    from helpers import demo_config_dict

    return demo_config_dict()


@pytest.fixture
def write_config(tmp_path):
    """Write a config dict to ``tmp_path/<name>.yaml`` and return its path."""

    def _write(raw: dict, name: str = "region") -> Path:
        p = tmp_path / f"{name}.yaml"
        p.write_text(yaml.safe_dump(raw, sort_keys=False))
        return p

    return _write


# --------------------------------------------------------------------------- deliverables (issue 5)


def _have_qgis() -> bool:
    import subprocess

    py = Path("/usr/bin/python3")
    if not py.exists():
        return False
    return subprocess.run([str(py), "-c", "import qgis.core"], capture_output=True).returncode == 0


def _chromium() -> str | None:
    import shutil

    return next((p for n in ("chromium", "chromium-browser", "google-chrome") if (p := shutil.which(n))), None)


HAVE_QGIS = _have_qgis()
CHROMIUM = _chromium()
needs_qgis = pytest.mark.skipif(
    not HAVE_QGIS, reason="QGIS python bindings not found (Debian: apt-get install python3-qgis; CI installs them)"
)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium not found (Debian: apt-get install chromium; CI installs it)"
)


@pytest.fixture(scope="session")
def demo_outputs(tmp_path_factory) -> Path:
    """The demo run once per session with its statistics, report and .inputs.mk, as `make demo` builds them."""
    from scsmap.config import load_config
    from scsmap.outputs.deps import dependency_files, make_rule
    from scsmap.outputs.report import write_report
    from scsmap.outputs.stats import write_stats
    from scsmap.pipeline import run

    out = tmp_path_factory.mktemp("make") / "demo"
    cfg = load_config(CONFIGS / "regions" / "demo.yaml")
    run(cfg, out_dir=out)
    targets = " ".join(str(out / f) for f in ("manifest.json", "stats.csv", "report.html"))  # as the Makefile
    (out / ".inputs.mk").write_text(make_rule(targets, dependency_files(cfg)))
    write_stats(cfg, out)
    write_report(cfg, out)
    return out
