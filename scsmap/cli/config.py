"""``scsmap validate``, ``schema``, ``products``, ``inputs``: configs, what can be written, what a run reads."""

from __future__ import annotations

import json

import click

from ..errors import ScsmapError
from .common import config_argument, fail, guarded, setup_logging


@click.command()
@config_argument
@click.option(
    "--inputs/--no-inputs",
    default=False,
    help="Also open every input and check CRS, overlap, nodata, units and physical ranges over the region "
    "(all layers at once), and the land-cover codes against the legend.",
)
def validate(config: str, inputs: bool) -> None:
    """Check CONFIG, report every problem with its YAML path and a hint, and predict the run.

    \b
    Prints what a run will make: "will make N products; will skip M", the reasons with how many
    products each skips, and warnings for headline products (SOC stock, practices, RothC
    scenarios) that will be skipped and for inputs no product uses. Without --inputs the files
    are not opened and the prediction comes from the config alone.

    Exit status 0 when valid (warnings included), 2 otherwise.
    """
    from ..config import load_config
    from ..pipeline.plan import predict

    setup_logging(0, True)
    try:
        cfg = load_config(config)
        pred = predict(cfg, read_inputs=inputs)
    except ScsmapError as exc:
        fail(exc, 0)
    click.echo(f"{config}: valid ({len(cfg.inputs)} input layer(s): {', '.join(cfg.inputs)})")
    if not pred.inputs_read:
        click.echo("  (files not opened: scsmap validate --inputs checks them over the region)")
    click.echo(
        f"will make {len(pred.products)} product(s); will skip {len(pred.skipped)}" + (":" if pred.skipped else "")
    )
    for why, count in pred.skipped_by_reason():
        click.echo(f"  {count:>3} x {why}")
    for w in pred.warnings:
        click.secho(f"warning: {w}", fg="yellow", err=True)


@click.command()
def schema() -> None:
    """Print the JSON schema of region configs."""
    from ..config import json_schema

    click.echo(json.dumps(json_schema(), indent=2))


@click.command()
def products() -> None:
    """List the product ids scsmap can write, with units and what they need."""
    from ..products import PRODUCTS

    for p in PRODUCTS.values():
        click.echo(f"{p.id:<20} [{p.units}] {p.long_name}\n{'':<20} needs: {', '.join(p.requires)}")


@click.command()
@config_argument
@click.option(
    "--make",
    "target",
    default=None,
    metavar="TARGET",
    help="Print a Makefile rule 'TARGET: files...' instead of one file per line.",
)
def inputs(config: str, target: str | None) -> None:
    """List every local file a run of CONFIG reads (config chain, inputs, boundary, admin units, tables)."""
    from ..config import load_config
    from ..outputs.deps import dependency_files, make_rule

    files = dependency_files(guarded(0, load_config, config))
    click.echo(make_rule(target, files) if target else "\n".join(map(str, files)))
