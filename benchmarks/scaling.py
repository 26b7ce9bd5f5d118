"""Scaling of a whole scsmap run: wall time, throughput per stage and peak RSS against grid size.

Synthetic coarse inputs (0.01 degree, a few MB: SOC stock, clay, silt, sand, monthly
temperature and precipitation, elevation, ESA CCI land cover) cover an 11 x 11 degree box;
the region grid is much finer (default 0.00025 degree), so the pipeline's own warp makes
the fine grid and no large input file is ever written. Each size runs in its own process
(peak RSS from ``wait4``) and writes into a temporary directory that is deleted afterwards.

Products: every product that does not need the RothC/GSOCseq chains (their ``requires``
name no ``gsocseq*`` layer) and that the synthetic inputs allow, so that rule products
added later (e.g. IPCC Tier 1 practice rates) join automatically.

References measured in the same run:

* the **I/O floor** of each size: the time to write the same number of COGs of the same size,
  dtype and creation options (``scsmap.io.write.to_cog``: 512 px tiles, DEFLATE with predictor,
  overviews) from arrays already in memory, as many files at a time as the run converts — what any
  pipeline pays for its output. It runs in its own process after the run; grids over
  ``SCSMAP_FLOOR_MAX_PIXELS`` (default 2.5e7) are timed on a window of that many pixels and scaled
  linearly. The last line of the output is ``ratio_to_io_floor: <float>`` (run wall / floor, largest size;
  with ``--repeat N``, each size runs N times, each run followed by its floor, and the ratio is the median of
  the N pairs' ratios, the lower middle one for an even N: one run and one floor vary by about 10 % from one
  to the next on the benchmark machine);
* the smallest size, extrapolated linearly in pixels (time) and flat (memory).

Both children set glibc's malloc as the ``scsmap`` command sets it for its process
(``scsmap.pipeline.heap.batch_malloc``).

Stage times are wall seconds during which the stage ran (the COG conversion runs on several
threads at once: its calls overlap and count once).

Usage::

    python benchmarks/scaling.py                               # 1e6, 1e7, 1e8 pixels
    python benchmarks/scaling.py --pixels 1e6 1.6e9 --exclude soc_t0,land_use,mat,map
    python benchmarks/scaling.py --pixels 1e6 1.6e9 --products target_4p1000,saturation_ratio,rate_no_till,rate_best
    python benchmarks/scaling.py --scheduler processes
    python benchmarks/scaling.py --pixels 1e6 1e7 --repeat 5  # the median of 5 run / floor pairs
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import rasterio
import rasterio.shutil
import yaml
from rasterio.transform import from_origin

ROOT = Path(__file__).resolve().parents[1]
WEST, NORTH, SPAN, COARSE = 10.0, 51.0, 11.0, 0.01  # synthetic inputs: lon 10..21, lat 40..51
ORIGIN = (10.5, 40.5)  # south-west corner of every region


def make_inputs(d: Path) -> dict:
    """Write the synthetic coarse inputs into ``d``; return the ``inputs`` config section."""
    n = int(round(SPAN / COARSE))
    y, x = np.mgrid[0:n, 0:n].astype("float64") / n
    wave = np.sin(6 * np.pi * x) * np.cos(4 * np.pi * y)
    clay = 10 + 30 * (0.5 + 0.5 * wave)
    silt = 15 + 25 * (0.5 + 0.5 * np.cos(5 * np.pi * x))
    layers = {
        "soc_stock": ("t ha-1", 30 + 100 * (0.5 + 0.5 * wave) * (0.6 + 0.4 * y)),
        "clay": ("%", clay),
        "silt": ("%", silt),
        "sand": ("%", 100 - clay - silt),
        "elevation": ("m", 100 + 1500 * x * y),
        "temperature": ("degC", np.stack([-5 + 20 * y + 10 * np.sin(np.pi * (m - 3) / 6) for m in range(12)])),
        "precipitation": ("mm month-1", np.stack([40 + 80 * x + 30 * np.cos(np.pi * m / 6) for m in range(12)])),
    }
    codes = np.array([10, 30, 50, 70, 130, 190, 210], dtype="uint8")  # ESA CCI classes of the packaged table
    land_cover = codes[(np.floor(x * 13) + np.floor(y * 11)).astype(int) % len(codes)]
    tr = from_origin(WEST, NORTH, COARSE, COARSE)
    inputs = {}

    def write(name, data, dtype, units, nodata):
        data = data if data.ndim == 3 else data[None]
        path = d / f"{name}.tif"
        with rasterio.open(
            path,
            "w",
            driver="GTiff",
            width=n,
            height=n,
            count=data.shape[0],
            dtype=dtype,
            crs="EPSG:4326",
            transform=tr,
            nodata=nodata,
            tiled=True,
            compress="DEFLATE",
        ) as ds:
            ds.write(data.astype(dtype))
        inputs[name] = {"path": str(path), "units": units}

    for name, (units, data) in layers.items():
        write(name, data, "float32", units, -9999.0)
    write("land_cover", land_cover, "uint8", "class", 0)
    return inputs


def make_config(
    d: Path,
    inputs: dict,
    pixels: float,
    resolution: float,
    chunk: int,
    products: list[str] | None,
    pass_pixels: float | None = None,
) -> Path:
    side = int(round(math.sqrt(pixels)))
    x0, y0 = ORIGIN
    raw = {
        "extends": str(ROOT / "configs" / "defaults.yaml"),
        "region": {
            "name": f"synthetic {side} x {side}",
            "iso3": "SYN",
            "bbox": [x0, y0, x0 + side * resolution, y0 + side * resolution],
        },
        "grid": {"resolution": resolution, "chunk_size": chunk, "snap": "none"},
        "inputs": inputs,
        "fill": {"bulk_density": {"constant": 1.3, "source": "synthetic"}},
        "outputs": {"products": products},
    }
    if pass_pixels:
        raw["compute"] = {"pass_pixels": int(pass_pixels)}
    path = d / f"syn_{side}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def rule_products(config: Path, exclude: set[str]) -> list[str]:
    """Products that need no gsocseq* layer and that the inputs allow (checked on a small config)."""
    from scsmap.config import load_config
    from scsmap.inputs.align import assemble_inputs
    from scsmap.inputs.derive import Derived
    from scsmap.layers.model import Model
    from scsmap.products import PRODUCTS

    cfg = load_config(config)
    model = Model(cfg, Derived(cfg, assemble_inputs(cfg)))
    return [
        pid
        for pid, p in PRODUCTS.items()
        if pid not in exclude
        and not any(r.startswith("gsocseq") for r in p.requires)
        and model.missing_source(p.source) is None
    ]


# --------------------------------------------------------------------------- child: one timed run


def child(config: str, out: str, scheduler: str | None) -> None:
    """Run one config with per-stage timers; print a JSON line."""
    import scsmap.pipeline as pipeline
    import scsmap.pipeline.commit as commit
    import scsmap.pipeline.plan as plan
    import scsmap.pipeline.scheduler as sched
    from scsmap.config import load_config

    spans: dict[str, list[tuple[float, float]]] = {}  # the calls of each stage, (start, end)
    rss: dict[str, float] = {}  # peak RSS of this process at the end of each stage, MB
    lock = threading.Lock()

    def timed(stage, fn):
        def wrapper(*a, **kw):
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                with lock:
                    spans.setdefault(stage, []).append((t0, time.perf_counter()))
                    rss[stage] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        return wrapper

    def wall_of(calls: list[tuple[float, float]]) -> float:
        """Seconds during which at least one call ran (calls on several threads at once count once)."""
        total, end = 0.0, -math.inf
        for a, b in sorted(calls):
            total += max(0.0, b - max(a, end))
            end = max(end, b)
        return total

    plan.assemble_inputs = timed("open+preflight", plan.assemble_inputs)
    plan.input_checksums = timed("input checksums", plan.input_checksums)
    sched.Engine.compute = timed("read+warp+compute+tiled write", sched.Engine.compute)
    commit.to_cog = timed("COG conversion", commit.to_cog)
    commit.sha256 = timed("output sha256", commit.sha256)
    cfg = load_config(config)
    t0 = time.perf_counter()
    res = pipeline.run(cfg, out_dir=out, scheduler=scheduler)
    wall = time.perf_counter() - t0
    ny, nx = res.manifest["grid"]["shape"]
    size = sum((Path(out) / e["path"]).stat().st_size for e in res.manifest["products"])
    print(
        json.dumps(
            {
                "pixels": ny * nx,
                "shape": [ny, nx],
                "wall": wall,
                "stages": {k: wall_of(v) for k, v in spans.items()},
                "rss_after": rss,
                "products": len(res.manifest["products"]),
                "bytes": size,
            }
        )
    )


#: largest window the I/O floor writes whole (bigger grids: timed on a window of this size, scaled linearly)
FLOOR_MAX_PIXELS = int(os.environ.get("SCSMAP_FLOOR_MAX_PIXELS", 25_000_000))


def io_floor(out: Path, max_pixels: int, workers: int) -> float:
    """Seconds to write COGs like the run's products from arrays already in memory (the I/O floor).

    Every product of ``out/manifest.json`` is read first (not timed); then the same COGs are written with
    GDAL's COG driver from in-memory datasets with the creation options of :func:`scsmap.io.write.to_cog`
    (:data:`scsmap.io.write.COG_OPTIONS`, the run's tile size and resampling), ``workers`` files at a time
    as the run writes them. Grids over ``max_pixels`` are timed on a top window of that many pixels and
    the time is scaled linearly.
    """
    from concurrent.futures import ThreadPoolExecutor

    from rasterio.io import MemoryFile
    from rasterio.windows import Window

    from scsmap.io.write import COG_OPTIONS

    entries = json.loads((out / "manifest.json").read_text())["products"]
    items, scale = [], 1.0
    for e in entries:
        with rasterio.open(out / e["path"]) as ds:
            rows = min(ds.height, max(1, max_pixels // ds.width))
            profile = dict(
                driver="GTiff", width=ds.width, height=rows, count=1, dtype=ds.dtypes[0], crs=ds.crs,
                transform=ds.transform, nodata=ds.nodata,
            )  # fmt: skip
            resampling = "NEAREST" if ds.dtypes[0] == "uint8" else "AVERAGE"
            items.append((e["id"], ds.read(1, window=Window(0, 0, ds.width, rows)), profile, resampling,
                          ds.block_shapes[0][0]))  # fmt: skip
            scale = ds.height / rows

    def write(item) -> None:
        pid, data, profile, resampling, tile = item
        with MemoryFile() as mem, mem.open(**profile) as m:
            m.write(data, 1)
            rasterio.shutil.copy(m, out / f".floor_{pid}.tif", driver="COG", BLOCKSIZE=str(tile),
                                 OVERVIEW_RESAMPLING=resampling, RESAMPLING=resampling, **COG_OPTIONS)  # fmt: skip

    t0 = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(write, items))
    wall = time.perf_counter() - t0
    for pid, *_ in items:
        (out / f".floor_{pid}.tif").unlink()
    return wall * scale


def floor_child(out: str, workers: int) -> None:
    print(json.dumps({"io_floor": io_floor(Path(out), FLOOR_MAX_PIXELS, workers)}))


def _child_json(cmd: list[str], what: str) -> tuple[dict, float]:
    """Run a child; its last stdout line (JSON) and its peak RSS [MB]."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    stdout = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{what} failed (exit {os.waitstatus_to_exitcode(status)})")
    return json.loads(stdout.strip().splitlines()[-1]), usage.ru_maxrss / 1024


def run_size(config: Path, out: Path, scheduler: str | None) -> dict:
    """One timed run in a child process, then the I/O floor of its products in another (so that the floor's
    arrays do not count in the run's peak RSS)."""
    cmd = [sys.executable, __file__, "--child", str(config), str(out)] + (
        ["--scheduler", scheduler] if scheduler else []
    )
    result, peak_rss = _child_json(cmd, f"run of {config}")
    result["peak_rss_mb"] = peak_rss
    from scsmap.pipeline.commit import cog_workers  # as many files at a time as the run converts

    floor, _ = _child_json([sys.executable, __file__, "--floor", str(out), str(cog_workers())], "I/O floor")
    return result | floor


def median_repeat(repeats: list[dict]) -> dict:
    """The repeat whose ratio (run / its floor) is the median (the lower of the two middle ones for an even count),
    with that ratio as ``ratio_median`` (the figure every line prints) and the largest peak RSS of all."""
    for x in repeats:
        x["ratio"] = x["wall"] / x["io_floor"]
    row = dict(sorted(repeats, key=lambda x: x["ratio"])[(len(repeats) - 1) // 2])
    row["ratio_median"] = row["ratio"]
    row["peak_rss_mb"] = max(x["peak_rss_mb"] for x in repeats)
    return row


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in ("--floor", "--child"):
        from scsmap.pipeline.heap import batch_malloc

        batch_malloc()  # the run's and the floor's processes set glibc's malloc as the scsmap command does
    if len(sys.argv) > 1 and sys.argv[1] == "--floor":
        floor_child(sys.argv[2], int(sys.argv[3]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        sched = sys.argv[sys.argv.index("--scheduler") + 1] if "--scheduler" in sys.argv else None
        child(sys.argv[2], sys.argv[3], sched)
        return
    from scsmap.config.schema import GridConfig

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pixels", type=float, nargs="+", default=[1e6, 1e7, 1e8], help="grid sizes (pixels)")
    ap.add_argument("--resolution", type=float, default=0.00025, help="grid resolution, degrees (inputs: 0.01)")
    ap.add_argument(
        "--chunk",
        type=int,
        default=GridConfig().chunk_size,
        help="grid.chunk_size (default: the config default, %(default)s)",
    )
    ap.add_argument("--scheduler", default=None, help="threads (default), processes or an address")
    ap.add_argument("--exclude", default="", help="comma-separated product ids to leave out")
    ap.add_argument("--pass-pixels", type=float, default=None, help="compute.pass_pixels (default: the config's)")
    ap.add_argument("--products", default="", help="comma-separated product ids to run (default: every rule product)")
    ap.add_argument("--tmp", default=None, help="parent of the temporary directory (default: system temp)")
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs of each size, each followed by its floor; the ratio is the median pair's (the lower middle one "
        "for an even count; default 1)",
    )
    a = ap.parse_args()
    if a.repeat < 1:
        raise SystemExit("--repeat: at least 1")
    if max(a.pixels) ** 0.5 * a.resolution > SPAN - 0.6:
        raise SystemExit("the largest grid does not fit in the synthetic inputs: use a finer --resolution")
    with tempfile.TemporaryDirectory(prefix="scsmap-scaling-", dir=a.tmp) as tmp:
        tmp = Path(tmp)
        inputs = make_inputs(tmp)
        products = rule_products(
            make_config(tmp, inputs, 1e4, a.resolution, a.chunk, None), set(filter(None, a.exclude.split(",")))
        )
        if a.products:
            chosen = a.products.split(",")
            if set(chosen) - set(products):
                raise SystemExit(
                    f"not a rule product the synthetic inputs allow: {sorted(set(chosen) - set(products))}"
                )
            products = chosen
        print(f"products ({len(products)}): {', '.join(products)}")
        print(
            f"grid resolution {a.resolution} deg from 0.01 deg inputs, chunk {a.chunk}, "
            f"scheduler {a.scheduler or 'threads'}",
            flush=True,
        )
        rows = []
        for px in sorted(a.pixels):
            cfg = make_config(tmp, inputs, px, a.resolution, a.chunk, products, a.pass_pixels)
            out = tmp / f"out_{int(px)}"
            repeats = []
            for _ in range(a.repeat):  # each run followed by its floor: the pair sees one state of the machine
                repeats.append(run_size(cfg, out, a.scheduler))
                shutil.rmtree(out, ignore_errors=True)
            r = median_repeat(repeats)
            rows.append(r)
            base = rows[0]
            lin = base["wall"] * r["pixels"] / base["pixels"]
            stages = "  ".join(
                f"{k} {v:.1f} s ({r['pixels'] / v / 1e6:,.2f} Mpx/s)" for k, v in r["stages"].items() if v > 0
            )
            print(
                f"{r['shape'][0]:>6} x {r['shape'][1]:<6} {r['pixels']:>14,} px  wall {r['wall']:9.1f} s  "
                f"{r['pixels'] / r['wall'] / 1e6:7.2f} Mpx/s  peak RSS {r['peak_rss_mb']:7,.0f} MB  "
                f"outputs {r['bytes'] / 1e9:6.2f} GB | ref (smallest, linear): time x{r['wall'] / lin:.2f}, "
                f"RSS x{r['peak_rss_mb'] / base['peak_rss_mb']:.2f}",
                flush=True,
            )
            print(f"    stages: {stages}", flush=True)
            print(
                f"    I/O floor (the same COGs from arrays in memory): {r['io_floor']:.1f} s -> run / floor "
                f"x{r['wall'] / r['io_floor']:.2f}",
                flush=True,
            )
            print("    peak RSS after: " + ", ".join(f"{k} {v:,.0f} MB" for k, v in r["rss_after"].items()), flush=True)
            if len(repeats) > 1:
                print(
                    "    repeats (run / floor): "
                    + ", ".join(f"{x['wall']:.2f} / {x['io_floor']:.2f} s = {x['ratio']:.3f}" for x in repeats)
                    + f"; the row above is the median ratio's (x{r['ratio_median']:.3f}), peak RSS the largest",
                    flush=True,
                )
        print(f"ratio_to_io_floor: {rows[-1]['ratio_median']:.3f}")


if __name__ == "__main__":
    main()
