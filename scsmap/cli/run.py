"""``scsmap run``: a region's maps, then its headline numbers."""

from __future__ import annotations

import textwrap
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
@click.option(
    "--summary/--no-summary",
    "show_summary",
    default=True,
    help="Print the headline numbers at the end (default) or not (make prints them with `scsmap summary`).",
)
@click.option("-q", "--quiet", is_flag=True, help="Only errors; no progress display, no summary.")
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
    show_summary: bool,
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
    from ..progress import Progress

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
    with native_stderr_captured(verbose < 2), Progress(enabled=not quiet) as progress:
        result = guarded(
            verbose,
            run_region,
            cfg,
            out_dir=out_dir,
            overwrite=overwrite,
            progress=progress,
            resume=resume,
            note=NOTE,
            allow_nonempty=allow_nonempty,
        )
    if not quiet and show_summary:
        print_summary(result.manifest, result.out_dir, time.perf_counter() - t0, verbose)
    elif not quiet:
        warn_headline_skipped(result.manifest)


#: the products of the headline figures: a run without them gets a warning
HEADLINE_PRODUCTS = ("soc_t0", "target_4p1000", "rate_best", "best_practice", "net_ghg_best", "abatement_at_price")


def _wrapped(ids: list[str], indent: int = 23, width: int = 110) -> list[str]:
    lines, line = [], ""
    for pid in ids:
        if line and len(line) + len(pid) + 2 > width - indent:
            lines.append(line + ",")
            line = ""
        line = f"{line}, {pid}" if line else pid
    return [*lines, line] if line else lines


def print_summary(manifest: dict[str, Any], out_dir: str | Path, seconds: float | None, verbose: int = 0) -> None:
    """Print what a run wrote and its headline numbers (:func:`scsmap.products.summary.headline`).

    Products written are counted by group and products not made grouped by reason (``verbose``: listed
    one by one); a warning on stderr closes the summary when a headline product was not made.
    """
    from ..products.registry import GROUPS, PRODUCTS
    from ..products.summary import PRICE_READINGS, headline

    s = manifest["summary"]
    pad = " " * 23
    click.echo(f"\n{manifest['region']['name']} ({manifest['region']['iso3']}) -> {out_dir}")
    written = list(s.get("products_written", []))
    by_group: dict[str, list[str]] = {g: [] for g in GROUPS}
    for pid in written:
        by_group.setdefault(PRODUCTS[pid].group if pid in PRODUCTS else "other", []).append(pid)
    counts = ", ".join(f"{g} {len(ids)}" for g, ids in by_group.items() if ids)
    click.echo(f"  {'products written':<19}: {len(written)} maps ({counts})")
    if verbose:
        for g, ids in by_group.items():
            if ids:
                click.echo(f"{pad}{g}:")
                for line in _wrapped(ids, 25):
                    click.echo(f"{pad}  {line}")
    extra = [f for f in manifest.get("files", []) if f.endswith(".qgz")]
    if extra:
        click.echo(f"  {'QGIS project':<19}: {Path(out_dir) / extra[0]} (layers grouped, key maps shown)")
    reasons: dict[str, list[str]] = {}
    for pid, why in manifest.get("skipped_products", {}).items():
        reasons.setdefault(why, []).append(pid)
    for why, ids in reasons.items():
        label = f"not made ({len(ids)})"
        click.echo(f"  {label:<19}: {why}" + ("" if verbose or len(ids) == 1 else f" ({ids[0]} ...; -v lists them)"))
        if verbose or len(ids) == 1:
            for line in _wrapped(ids, 25):
                click.echo(f"{pad}  {line}")
    for label, text in headline(s):
        click.echo(f"  {label:<19}: {text}")
        if label == "curve at the price":
            for line in textwrap.wrap(PRICE_READINGS, 110 - len(pad)):
                click.echo(f"{pad}{line}")
    if seconds is not None:
        click.echo(f"  {'wall time':<19}: {seconds:.1f} s")
    warn_headline_skipped(manifest)


def warn_headline_skipped(manifest: dict[str, Any]) -> None:
    """A warning on stderr naming the headline products the run could not make, and why."""
    skipped = manifest.get("skipped_products", {})
    missing = [f"{pid} ({skipped[pid]})" for pid in HEADLINE_PRODUCTS if pid in skipped]
    if missing:
        click.secho(
            "warning: headline product(s) not made, their figures are missing above: " + "; ".join(missing),
            fg="yellow",
            err=True,
        )


__all__ = ["HEADLINE_PRODUCTS", "fail", "print_summary", "run", "warn_headline_skipped"]
