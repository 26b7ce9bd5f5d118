"""``scsmap rothc`` commands (click). Thin: every command calls library functions."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import ScsmapError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
def rothc() -> None:
    """RothC 26.3 soil carbon model (Rothamsted discrete monthly scheme)."""


@rothc.command()
@click.argument("input_file", metavar="INPUT.dat", type=click.Path(dir_okay=False))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="Directory for year_results.csv and month_results.csv (created if missing; files replaced).",
)
@click.option(
    "--equilibrium",
    type=click.Choice(["rothamsted", "exact"]),
    default="rothamsted",
    show_default=True,
    help="rothamsted: cycle the first 12 months until the annual change of the active pools is "
    "< 1e-6 t C ha-1, as the Rothamsted codes do; exact: solve the fixed point of the annual cycle.",
)
@click.option(
    "--diagnostics",
    is_flag=True,
    help="Also write month_diagnostics.csv: monthly C input, rate modifiers a, b, c, the moisture deficit "
    "TSMD, SOC and accumulated CO2.",
)
def point(input_file, out_dir, equilibrium, diagnostics):
    """Run RothC on a Rothamsted-format INPUT.dat (RothC_Py or RothC v2 layout).

    The first 12 monthly rows drive the equilibrium (from empty pools), the remaining
    rows run forward. Writes year_results.csv (equilibrium as the first row: Year 1,
    Month = months iterated; then every December) and month_results.csv, with pools
    DPM, RPM, BIO, HUM, IOM and SOC in t C ha-1 and deltaC in per mil.
    """
    from ..io.rothc_files import read_input, write_results
    from ..rothc.point import run_point

    try:
        res = run_point(read_input(input_file), equilibrium=equilibrium)
        yp, mp = write_results(res, out_dir, diagnostics=diagnostics)
    except ScsmapError as exc:
        click.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(2)
    inp = res.input
    click.echo(
        f"{Path(input_file).name} ({inp.layout}; clay {inp.clay:g} %, depth {inp.depth:g} cm, "
        f"IOM {inp.iom:g} t C ha-1, {inp.nsteps} months)"
    )
    click.echo(f"  equilibrium SOC  : {res.equilibrium_soc:.6f} t C ha-1 ({equilibrium}, {res.months} months iterated)")
    if len(res.month_rows):
        y, m = int(res.month_rows[-1, 0]), int(res.month_rows[-1, 1])
        click.echo(f"  final SOC        : {res.final_soc:.6f} t C ha-1 ({y}-{m:02d})")
    click.echo(f"  written          : {yp}, {mp}")
