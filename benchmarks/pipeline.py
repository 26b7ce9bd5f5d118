"""Throughput of a whole scsmap run, next to an I/O floor measured in the same run.

Runs the demo region (embedded sample) at a chosen resolution and prints wall time,
pixels per second and peak RSS, then the time a plain rasterio loop needs just to
write the same number of float32 maps of the same size (compressed GeoTIFF, no
computation): the floor any pipeline pays for its output.

Usage: python benchmarks/pipeline.py [--resolution DEG] [--chunk 1024]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio

from scsmap.config import load_config
from scsmap.pipeline import run

ROOT = Path(__file__).resolve().parents[1]


def io_floor(shape: tuple[int, int], n_files: int, out: Path) -> float:
    rng = np.random.default_rng(0)
    data = (rng.random(shape, dtype="float32") * 100).astype("float32")
    t0 = time.perf_counter()
    for i in range(n_files):
        with rasterio.open(
            out / f"floor{i}.tif",
            "w",
            driver="GTiff",
            width=shape[1],
            height=shape[0],
            count=1,
            dtype="float32",
            tiled=True,
            blockxsize=512,
            blockysize=512,
            compress="DEFLATE",
            predictor=3,
        ) as ds:
            ds.write(data, 1)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resolution", type=float, default=1 / 480, help="grid resolution in degrees (default 1/480)")
    ap.add_argument("--chunk", type=int, default=1024)
    a = ap.parse_args()
    cfg = load_config(
        ROOT / "configs" / "regions" / "demo.yaml",
        overrides={"grid.resolution": a.resolution, "grid.chunk_size": a.chunk},
    )
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        res = run(cfg, out_dir=Path(tmp) / "run")
        wall = time.perf_counter() - t0
        ny, nx = res.manifest["grid"]["shape"]
        n = len(res.manifest["products"])
        floor = io_floor((ny, nx), n, Path(tmp))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    px = ny * nx
    print(f"grid                : {ny} x {nx} = {px:,} pixels, {n} products, chunk {a.chunk}")
    print(f"scsmap run          : {wall:.2f} s  ({px * n / wall:,.0f} product-pixels/s)")
    print(f"reference I/O floor : {floor:.2f} s  (rasterio writing {n} compressed float32 maps, no compute)")
    print(f"ratio run / floor   : {wall / floor:.1f}")
    print(f"peak RSS            : {rss:,.0f} MB")


if __name__ == "__main__":
    main()
