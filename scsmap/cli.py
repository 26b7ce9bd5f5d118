"""Command-line interface (click). Thin: every command calls library functions."""

from __future__ import annotations

import json
import logging
import sys
import time

import click

from . import __version__
from .errors import ScsmapError


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.ERROR if quiet else {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr)
    logging.getLogger("scsmap").setLevel(level)
    for noisy in ("rasterio", "fiona", "pyogrio", "distributed"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _fail(exc: ScsmapError, verbose: int) -> None:
    click.secho(f"error: {exc}", fg="red", err=True)
    if verbose > 1:
        raise exc
    sys.exit(2)


def _parse_set(values: tuple[str, ...]) -> dict:
    import yaml
    out = {}
    for item in values:
        if "=" not in item:
            raise click.BadParameter(f"{item!r}: expected KEY=VALUE, e.g. grid.resolution=0.01", param_hint="--set")
        k, v = item.split("=", 1)
        out[k.strip()] = yaml.safe_load(v)
    return out


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="scsmap")
def main() -> None:
    """scsmap — soil carbon sequestration (SCS) potential maps.

    A run reads a region config (YAML), aligns the region's soil, climate and
    land-cover rasters onto one grid and writes Cloud Optimized GeoTIFFs: SOC
    stock (t C ha-1, 0-30 cm), the 4 per 1000 target (t C ha-1 yr-1), MAOC
    saturation capacity, ratio (%) and deficit, land-use class, the GSOCseq
    RothC scenarios (BAU, SSM1-3), plus a manifest.json and an alignment report.

    \b
    Quick start:
      scsmap run configs/regions/demo.yaml      # embedded North Macedonia sample
      scsmap validate configs/regions/mkd.yaml  # check a config, list every error
      scsmap products                           # what can be written, with units
    """


@main.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Output directory (default: outputs.dir, else out/<config name>).")
@click.option("--overwrite", is_flag=True, default=None,
              help="Replace existing outputs (they are only replaced once the whole run has succeeded).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a config value, e.g. --set grid.resolution=0.01 --set grid.chunk_size=512 "
                   "(repeatable; VALUE is parsed as YAML).")
@click.option("--scheduler", default=None, metavar="threads|processes|ADDRESS",
              help="Where to compute: threads (default), processes (a local dask cluster with memory limits) "
                   "or the address of a running dask scheduler, e.g. tcp://10.0.0.5:8786 (overrides "
                   "compute.scheduler; outputs are identical either way).")
@click.option("--resume", is_flag=True, default=False,
              help="Keep products whose file and manifest entry match this config and these inputs "
                   "(sha256); compute only the others.")
@click.option("-v", "--verbose", count=True, help="-v: report each step (grid, layers, skipped products); "
              "-vv: debug, with tracebacks.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors; no progress bar, no summary.")
def run(config, out_dir, overwrite, overrides, scheduler, resume, verbose, quiet):
    """Run the region described by CONFIG and write its maps.

    Products (each a COG GeoTIFF, float32 with nodata -9999 unless stated):
    soc_t0 [t ha-1], target_4p1000 [t ha-1 yr-1], saturation_capacity [t ha-1],
    saturation_ratio [%], saturation_deficit [t ha-1], land_use [class, uint8,
    nodata 255], mat [degC], map [mm yr-1], and the RothC/GSOCseq scenarios
    (soc_final_*, absdiff_*, asr_* and rsr_* [t ha-1 yr-1], uncertainty_* [%],
    cinput_needed_4p1000 ...) — each written when the region's inputs allow it;
    `scsmap products` lists them all. Existing outputs are never touched unless --overwrite is given, and
    a failed run leaves them as they were.
    """
    from .config import load_config
    from .pipeline import run as run_region

    _setup_logging(verbose, quiet)
    t0 = time.perf_counter()
    settings = _parse_set(overrides)  # a malformed --set is a usage error (exit 2), raised by click
    if scheduler is not None:  # validated with the config, before any input is read
        settings["compute.scheduler"] = scheduler
    try:
        cfg = load_config(config, overrides=settings)
        result = run_region(cfg, out_dir=out_dir, overwrite=overwrite, progress=not quiet, resume=resume)
    except ScsmapError as exc:
        _fail(exc, verbose)
        return
    except KeyboardInterrupt:
        click.secho("interrupted: existing outputs were left as they were", fg="red", err=True)
        sys.exit(130)
    except Exception as exc:  # an scsmap bug or an unforeseen library error
        if verbose > 1:
            raise
        click.secho(f"error: unexpected {type(exc).__name__}: {exc}\n  hint: rerun with -vv for the traceback "
                    "and report it; existing outputs were left as they were", fg="red", err=True)
        sys.exit(1)
    if not quiet:
        _print_summary(result, time.perf_counter() - t0)


def _print_summary(result, seconds: float) -> None:
    s = result.summary
    m = result.manifest
    click.echo(f"\n{m['region']['name']} ({m['region']['iso3']}) -> {result.out_dir}")
    click.echo(f"  products written   : {', '.join(s['products_written'])}")
    for pid, why in result.skipped.items():
        click.echo(f"  skipped {pid:<11}: {why}")

    def fmt(key, unit, spec=",.0f"):
        v = s.get(key)
        return "n/a" if v is None else f"{format(v, spec)} {unit}"
    click.echo(f"  region area        : {fmt('region_area_ha', 'ha')}")
    click.echo(f"  valid area         : {fmt('valid_area_ha', 'ha')}")
    click.echo(f"  SOC stock mean     : {fmt('soc_stock_mean_t_ha', 't C ha-1', '.2f')}")
    click.echo(f"  SOC stock total    : {fmt('soc_stock_total_Mt', 'Mt C', ',.2f')}")
    click.echo(f"  4p1000 target mean : {fmt('target_4p1000_mean_t_ha_yr', 't C ha-1 yr-1', '.3f')}"
               f"  (total {fmt('target_4p1000_total_Mt_yr', 'Mt C yr-1', '.3f')})")
    if s.get("saturation_ratio_mean_percent") is not None:
        click.echo(f"  saturation ratio   : {fmt('saturation_ratio_mean_percent', '%', '.1f')} (area-weighted mean)")
    click.echo(f"  wall time          : {seconds:.1f} s")


@main.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--inputs/--no-inputs", default=False,
              help="Also open every input and check CRS, overlap, nodata and physical ranges.")
def validate(config, inputs):
    """Check CONFIG and report every problem with its YAML path and a hint.

    Exit status 0 when valid, 2 otherwise.
    """
    from .config import load_config
    _setup_logging(0, True)
    try:
        cfg = load_config(config)
        if inputs:
            from .inputs import assemble_inputs
            assemble_inputs(cfg)
    except ScsmapError as exc:
        _fail(exc, 0)
        return
    click.echo(f"{config}: valid ({len(cfg.inputs)} input layer(s): {', '.join(cfg.inputs)})")


@main.command()
def schema():
    """Print the JSON schema of region configs."""
    from .config import json_schema
    click.echo(json.dumps(json_schema(), indent=2))


@main.command()
def products():
    """List the product ids scsmap can write, with units and what they need."""
    from .products import PRODUCTS
    for p in PRODUCTS.values():
        click.echo(f"{p.id:<20} [{p.units}] {p.long_name}\n{'':<20} needs: {', '.join(p.requires)}")


from .rothc.cli import rothc  # noqa: E402  (the `scsmap rothc ...` command group)

main.add_command(rothc)

if __name__ == "__main__":  # pragma: no cover
    main()
