"""``scsmap run``: a region's maps, then its headline numbers."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from ..errors import ConfigError
from .common import config_argument, fail, guarded, native_stderr_captured, setup_logging

NOTE = "existing outputs were left as they were"


@click.command()
@config_argument
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Output directory (default: outputs.dir, else out/<config name>).",
)
@click.option(
    "--overwrite",
    is_flag=True,
    default=None,
    help="Replace existing outputs (they are only replaced once the whole run has succeeded).",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a config value, e.g. --set grid.resolution=0.01 --set grid.chunk_size=512 "
    "(repeatable; VALUE is parsed as YAML).",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="threads|processes|ADDRESS",
    help="Where to compute: threads (default), processes (a local dask cluster with memory limits) "
    "or the address of a running dask scheduler, e.g. tcp://10.0.0.5:8786 (overrides "
    "compute.scheduler; outputs are identical either way).",
)
@click.option(
    "--resume",
    is_flag=True,
    default=False,
    help="Keep products whose file and manifest entry match this config and these inputs "
    "(sha256); compute only the others.",
)
@click.option(
    "--price",
    type=float,
    default=None,
    metavar="PRICE",
    help="Carbon price (cost-table currency per t CO2e) for abatement_at_price and the abatement curve "
    "reading (overrides ghg.price; default 100).",
)
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="-v: report each step (grid, layers, skipped products); -vv: debug, with tracebacks.",
)
@click.option(
    "--allow-nonempty",
    is_flag=True,
    default=False,
    help="Write into a non-empty folder that holds no scsmap run (its own files are never touched).",
)
@click.option("-q", "--quiet", is_flag=True, help="Only errors; no progress bar, no summary.")
def run(
    config: str,
    out_dir: str | None,
    overwrite: bool | None,
    overrides: tuple[str, ...],
    scheduler: str | None,
    resume: bool,
    price: float | None,
    allow_nonempty: bool,
    verbose: int,
    quiet: bool,
) -> None:
    """Run the region described by CONFIG and write its maps.

    Products (each a COG GeoTIFF, float32 with nodata -9999 unless stated):
    soc_t0 [t ha-1], target_4p1000 [t ha-1 yr-1], saturation_capacity [t ha-1],
    saturation_ratio [%], saturation_deficit [t ha-1], land_use [class, uint8,
    nodata 255], mat [degC], map [mm yr-1], and the RothC/GSOCseq scenarios
    (soc_final_*, absdiff_*, asr_* and rsr_* [t ha-1 yr-1], uncertainty_* [%],
    cinput_needed_4p1000 ...), the IPCC climate zone and soil class, and
    for 12 practices suitability_<practice> [class 0/1/2], suitability_reason_<practice> [bits] and
    rate_<practice> [t ha-1 yr-1] with best_practice, rate_best, share_4p1000 ...; their N2O and net GHG
    balance n2o_<practice>, net_ghg_<practice> [t CO2e ha-1 yr-1], best_practice_net, and with a cost table
    (tables.practice_costs) cost_per_tco2_<practice>, cheapest_practice, abatement_at_price and
    abatement_curve.csv; baseline_class from the RothC BAU run — each written when the region's inputs allow it;
    `scsmap products` lists them all. Existing outputs are never touched unless --overwrite is given, and
    a failed run leaves them as they were.
    """
    from ..config import load_config
    from ..config.load import Override, parse_override
    from ..pipeline import run as run_region

    setup_logging(verbose, quiet)
    t0 = time.perf_counter()
    try:  # a malformed --set is a usage error (exit 2) before anything is read
        settings = [parse_override(item) for item in overrides]
    except ConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="--set") from None
    if scheduler is not None:  # validated with the config, before any input is read
        settings.append(Override(("compute", "scheduler"), scheduler))
    if price is not None:
        settings.append(Override(("ghg", "price"), price))
    cfg = guarded(verbose, load_config, config, overrides=settings, note=NOTE)
    with native_stderr_captured(verbose < 2):
        result = guarded(
            verbose,
            run_region,
            cfg,
            out_dir=out_dir,
            overwrite=overwrite,
            progress=not quiet,
            resume=resume,
            note=NOTE,
            allow_nonempty=allow_nonempty,
        )
    if not quiet:
        print_summary(result.manifest, result.out_dir, time.perf_counter() - t0)


def print_summary(manifest: dict[str, Any], out_dir: str | Path, seconds: float | None) -> None:
    """Print what a run wrote and its headline numbers (:func:`scsmap.products.summary.headline`)."""
    from ..products.summary import headline

    s = manifest["summary"]
    click.echo(f"\n{manifest['region']['name']} ({manifest['region']['iso3']}) -> {out_dir}")
    click.echo(f"  products written   : {', '.join(s['products_written'])}")
    for pid, why in manifest.get("skipped_products", {}).items():
        click.echo(f"  skipped {pid:<11}: {why}")
    for label, text in headline(s):
        click.echo(f"  {label:<19}: {text}")
    if seconds is not None:
        click.echo(f"  wall time          : {seconds:.1f} s")


__all__ = ["fail", "print_summary", "run"]
