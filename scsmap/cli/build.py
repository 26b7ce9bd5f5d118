"""``scsmap build``: maps → statistics → report, each only when out of date (``make <region>`` without make)."""

from __future__ import annotations

import click

from .common import config_argument, guarded, native_stderr_captured, out_option, setup_logging, verbose_option
from .run import NOTE, print_summary


@click.command()
@config_argument
@out_option
@click.option("--force", is_flag=True, help="Make every step again, even when up to date.")
@click.option(
    "--scheduler",
    default=None,
    metavar="threads|processes|ADDRESS",
    help="Where to compute the maps (as scsmap run --scheduler).",
)
@click.option(
    "--summary/--no-summary",
    "show_summary",
    default=True,
    help="Print the headline numbers at the end (default) or not (make prints them with `scsmap summary`).",
)
@verbose_option
@click.option("-q", "--quiet", is_flag=True, help="Only errors; no progress bar.")
def build(config, out_dir, force, scheduler, show_summary, verbose, quiet):
    """Maps, statistics and report of CONFIG, each step only when it is out of date.

    \b
    The same as `make <region>` with the Makefile, for machines without make (Windows,
    OSGeo4W / QGIS installs) and for users who never touch a Makefile:
      1. maps (scsmap run --resume): when the config, an input or scsmap changed;
         unchanged products are kept, changed ones computed again;
      2. statistics (scsmap stats): when the maps or the config changed;
      3. report (scsmap report): when the statistics changed.
    Only scsmap's own outputs in the folder are ever replaced.
    """
    from ..pipeline.build import build as build_region

    setup_logging(verbose, quiet)
    with native_stderr_captured(verbose < 2):
        res = guarded(
            verbose, build_region, config, out_dir, progress=not quiet, scheduler=scheduler, force=force, note=NOTE
        )
    if quiet:
        return
    for step in res.steps:
        state = "made" if step.made else "up to date"
        click.echo(f"  {step.name:<11}: {state:<10} {step.path}" + (f"  ({step.why})" if step.made else ""))
    if res.run is not None and show_summary:
        print_summary(res.run.manifest, res.out_dir, None)
