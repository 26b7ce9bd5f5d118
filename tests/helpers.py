"""Helpers shared by test_bad_input.py and test_cli.py: demo config, small rasters, output snapshots."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import rasterio
import yaml
from rasterio.transform import from_origin

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
CONFIGS = ROOT / "configs"

# a 30 x 20 pixel window (30 arc-seconds) inside North Macedonia, around Tetovo / Gostivar
SMALL_WEST, SMALL_NORTH, SMALL_RES = 21.0, 41.9, 1 / 120
SMALL_SHAPE = (20, 30)  # (rows, cols)
SMALL_BBOX = [
    SMALL_WEST,
    SMALL_NORTH - SMALL_SHAPE[0] * SMALL_RES,
    SMALL_WEST + SMALL_SHAPE[1] * SMALL_RES,
    SMALL_NORTH,
]


def demo_config_dict() -> dict:
    """The demo config as a dict with absolute paths (same as the ``demo_raw`` fixture, usable at module scope)."""
    raw = yaml.safe_load((CONFIGS / "regions" / "demo.yaml").read_text())
    raw["extends"] = str(CONFIGS / "defaults.yaml")
    raw["data_dir"] = str(SAMPLE)
    for key, value in raw.get("tables", {}).items():  # table paths are relative to the config's folder
        if str(value).endswith(".csv"):
            raw["tables"][key] = str((CONFIGS / "regions" / value).resolve())
    return raw


def dump_config(raw: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def write_small_raster(
    path: Path, data: np.ndarray, *, crs: str | None = "EPSG:4326", nodata: float | None = None
) -> Path:
    """Write ``data`` (rows, cols) or (bands, rows, cols) as a GeoTIFF on the small window inside MKD."""
    data = np.asarray(data)
    if data.ndim == 2:
        data = data[None]
    profile = dict(
        driver="GTiff",
        width=data.shape[2],
        height=data.shape[1],
        count=data.shape[0],
        dtype=str(data.dtype),
        transform=from_origin(SMALL_WEST, SMALL_NORTH, SMALL_RES, SMALL_RES),
    )
    if crs is not None:
        profile["crs"] = crs
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
    return path


def rewrite_sample(name: str, path: Path, transform_values, dtype: str | None = None) -> Path:
    """Copy a sample raster to ``path`` with its values replaced by ``transform_values(values)``."""
    with rasterio.open(SAMPLE / name) as src:
        profile = src.profile
        values = src.read()
    values = transform_values(values)
    if dtype is not None:
        profile.update(dtype=dtype)
        values = values.astype(dtype)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values)
    return path


def snapshot(directory: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file and directory (hidden ones included) under ``directory``.

    ``stac/`` is left out: its Items carry the time of the run (STAC ``datetime``), so two runs
    differ there by design; everything else must be byte-identical.
    """
    out = {}
    if not directory.exists():
        return out
    for p in sorted(directory.rglob("*")):
        rel = str(p.relative_to(directory))
        if rel == "stac" or rel.startswith("stac/"):
            continue
        out[rel] = "<dir>" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def assert_untouched(directory: Path, before: dict[str, str]) -> None:
    """Outputs byte-identical, no new file, no leftover ``.staging-*`` directory or temporary file."""
    after = snapshot(directory)
    staging = [k for k in after if ".staging-" in k]
    assert not staging, f"staging left behind in {directory}: {staging}"
    new = sorted(set(after) - set(before))
    assert not new, f"new files appeared in {directory}: {new}"
    gone = sorted(set(before) - set(after))
    assert not gone, f"files disappeared from {directory}: {gone}"
    changed = sorted(k for k in before if before[k] != after[k])
    assert not changed, f"files changed in {directory}: {changed}"


def copy_outputs(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def run_into(raw: dict, base: Path, name: str = "region") -> tuple[Path, Path]:
    """Write ``raw`` to ``base/<name>.yaml``, run it into ``base/out``; return (config path, output dir)."""
    from scsmap.config import load_config
    from scsmap.pipeline import run

    cfg_path = dump_config(raw, base / f"{name}.yaml")
    out = base / "out"
    run(load_config(cfg_path), out_dir=out)
    return cfg_path, out


#: a child process running ``scsmap <argv>`` where the function ``name`` of module ``module`` stalls
_STALLED_COMMAND = """
import sys, time, importlib
module = importlib.import_module(sys.argv[1])

def stalled(*args, **kwargs):
    print("stalled", flush=True)
    time.sleep(120)

setattr(module, sys.argv[2], stalled)
from scsmap.cli.main import main
main(sys.argv[3:])
"""


def terminate_when_stalled(module: str, name: str, argv: list[str], while_stalled=None) -> tuple[int, str]:
    """Run ``scsmap argv`` in a child process in which ``module.name`` stalls, send SIGTERM once it does.

    ``while_stalled()`` (optional) runs before the signal is sent (e.g. to check a temporary file exists), so
    the signal arrives at that one point and nowhere else. Returns the exit code and what was printed on stderr.
    """
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-c", _STALLED_COMMAND, module, name, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    try:
        assert proc.stdout.readline() == "stalled\n", proc.stderr.read() if proc.stderr else ""
        if while_stalled is not None:
            while_stalled()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    return proc.returncode, err
