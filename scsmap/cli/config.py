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
    help="Also open every input and check CRS, overlap, nodata and physical ranges.",
)
def validate(config: str, inputs: bool) -> None:
    """Check CONFIG and report every problem with its YAML path and a hint.

    Exit status 0 when valid, 2 otherwise.
    """
    from ..config import load_config
    from ..inputs.align import assemble_inputs

    setup_logging(0, True)
    try:
        cfg = load_config(config)
        if inputs:
            assemble_inputs(cfg)
    except ScsmapError as exc:
        fail(exc, 0)
    click.echo(f"{config}: valid ({len(cfg.inputs)} input layer(s): {', '.join(cfg.inputs)})")


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
