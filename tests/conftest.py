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
    raw = yaml.safe_load((CONFIGS / "regions" / "demo.yaml").read_text())
    raw["extends"] = str(CONFIGS / "defaults.yaml")
    raw["data_dir"] = str(SAMPLE)
    return raw


@pytest.fixture
def write_config(tmp_path):
    """Write a config dict to ``tmp_path/<name>.yaml`` and return its path."""

    def _write(raw: dict, name: str = "region") -> Path:
        p = tmp_path / f"{name}.yaml"
        p.write_text(yaml.safe_dump(raw, sort_keys=False))
        return p

    return _write
