"""The wheel carries everything a run needs: built from the checkout, installed into a fresh virtual environment,
it runs `scsmap init`, `validate` and `build` from an empty folder elsewhere (no checkout on the path).

The fresh environment takes scsmap from the wheel only; its dependencies (numpy, rasterio, ...) are those of
the test's own environment, seen through a .pth file, so the test needs no download but the build backend
the project declares (setuptools, from PyPI, as any `pip wheel .`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE


def _sh(*args, cwd=None, env=None):
    res = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, f"{args}\n{res.stdout}\n{res.stderr}"
    return res


@pytest.mark.slow
def test_wheel_installed_elsewhere_runs_a_config_from_an_empty_folder(tmp_path):
    wheels = tmp_path / "wheels"
    _sh(sys.executable, "-m", "pip", "wheel", ROOT, "--no-deps", "-q", "-w", wheels)
    (wheel,) = wheels.glob("scsmap-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "scsmap/data/defaults.yaml",
        "scsmap/data/styles.yaml",
        "scsmap/data/esa_cci_to_fao.csv",
        "scsmap/data/worldcover_to_fao.csv",
        "scsmap/data/land_use_classes.csv",
        "scsmap/templates/report.html.j2",
        "scsmap/py.typed",
    ):
        assert needed in names, needed

    env_dir = tmp_path / "fresh"
    _sh(sys.executable, "-m", "venv", env_dir)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    py = bindir / "python"
    _sh(py, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel)
    site = Path(_sh(py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    (site / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    project = tmp_path / "elsewhere" / "my project"
    project.mkdir(parents=True)
    (project / "data").mkdir()
    for f in SAMPLE.iterdir():
        (project / "data" / f.name).write_bytes(f.read_bytes())
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"

    where = _sh(
        py,
        "-c",
        "import scsmap, scsmap.config.load as l; print(scsmap.__file__); print(l.packaged_defaults_path())",
        cwd=project,
        env=env,
    )
    module, defaults = where.stdout.split()
    assert module.startswith(str(site)) and defaults.startswith(str(site)), where.stdout
    assert str(ROOT) not in where.stdout

    scsmap = bindir / "scsmap"
    init = _sh(scsmap, "init", "data", "--out", "my_region.yaml", "-q", cwd=project, env=env)
    assert "CHECK" in init.stderr and (project / "my_region.yaml").is_file()
    check = _sh(scsmap, "validate", "my_region.yaml", "--inputs", cwd=project, env=env)
    assert "valid" in check.stdout and "will make" in check.stdout
    build = _sh(scsmap, "build", "my_region.yaml", "-q", cwd=project, env=env)
    out = project / "out" / "my_region"
    manifest = json.loads((out / "manifest.json").read_text())
    assert "soc_t0" in manifest["summary"]["products_written"] and len(manifest["products"]) > 50
    assert (out / "stats.csv").is_file() and (out / "report.html").is_file()
    assert (out / "stac" / "collection.json").is_file() and (out / "land_use.qml").is_file()
    again = _sh(scsmap, "build", "my_region.yaml", cwd=project, env=env)
    assert again.stdout.count("up to date") == 3, again.stdout + build.stdout
