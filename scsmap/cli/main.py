"""Command-line interface (click). Thin: every command calls library functions."""

from __future__ import annotations

import json
import logging
import sys
import time

import click

from .. import __version__
from ..errors import ScsmapError


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
@click.option("-q", "--quiet", is_flag=True, help="Only errors; no progress bar, no summary.")
def run(config, out_dir, overwrite, overrides, scheduler, resume, price, verbose, quiet):
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
    from ..run import run as run_region

    _setup_logging(verbose, quiet)
    t0 = time.perf_counter()
    settings = _parse_set(overrides)  # a malformed --set is a usage error (exit 2), raised by click
    note = "existing outputs were left as they were"
    if scheduler is not None:  # validated with the config, before any input is read
        settings["compute.scheduler"] = scheduler
    if price is not None:
        settings["ghg.price"] = price
    cfg = _guarded(verbose, load_config, config, overrides=settings, note=note)
    result = _guarded(
        verbose, run_region, cfg, out_dir=out_dir, overwrite=overwrite, progress=not quiet, resume=resume, note=note
    )
    if not quiet:
        _print_summary(result, time.perf_counter() - t0)


def _print_summary(result, seconds: float | None) -> None:
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
    click.echo(
        f"  4p1000 target mean : {fmt('target_4p1000_mean_t_ha_yr', 't C ha-1 yr-1', '.3f')}"
        f"  (total {fmt('target_4p1000_total_Mt_yr', 'Mt C yr-1', '.3f')})"
    )
    if s.get("saturation_ratio_mean_percent") is not None:
        click.echo(f"  saturation ratio   : {fmt('saturation_ratio_mean_percent', '%', '.1f')} (area-weighted mean)")
    if s.get("rate_best_total_Mt_yr") is not None:
        click.echo(
            f"  best practice rate : {fmt('rate_best_mean_t_ha_yr', 't C ha-1 yr-1', '.3f')} (mean over valid "
            f"area; total {fmt('rate_best_total_Mt_yr', 'Mt C yr-1', '.3f')})"
        )
        if s.get("share_4p1000_national_percent") is not None:
            click.echo(
                f"  share of 4p1000    : {fmt('share_4p1000_national_percent', '%', '.1f')} (national, area-weighted)"
            )
        shares = sorted(s.get("best_practice_share_percent", {}).items(), key=lambda kv: -kv[1])[:4]
        if shares:
            click.echo("  best practice      : " + ", ".join(f"{k} {v:.1f} %" for k, v in shares))
        if s.get("rate_best_total_Mt_CO2_yr") is not None:
            click.echo(f"  in CO2             : {fmt('rate_best_total_Mt_CO2_yr', 'Mt CO2 yr-1', '.3f')} (x 44/12)")
    if s.get("net_ghg_best_total_Mt_CO2e_yr") is not None:
        click.echo(
            f"  net GHG, best      : {fmt('net_ghg_best_total_Mt_CO2e_yr', 'Mt CO2e yr-1', '.3f')} "
            "(sequestration - N2O, practice with the largest net balance)"
        )
    if s.get("abatement_curve_total_Mt_CO2e_yr") is not None:
        price = f"{s['carbon_price']:g} {s.get('currency', '')} t-1 CO2e"
        click.echo(
            f"  at carbon price    : {fmt('abatement_at_price_total_Mt_CO2e_yr', 'Mt CO2e yr-1', '.3f')} "
            f"reachable at {price} ({s['abatement_curve']})"
        )
    if seconds is not None:
        click.echo(f"  wall time          : {seconds:.1f} s")


@main.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.option(
    "--inputs/--no-inputs",
    default=False,
    help="Also open every input and check CRS, overlap, nodata and physical ranges.",
)
def validate(config, inputs):
    """Check CONFIG and report every problem with its YAML path and a hint.

    Exit status 0 when valid, 2 otherwise.
    """
    from ..config import load_config

    _setup_logging(0, True)
    try:
        cfg = load_config(config)
        if inputs:
            from ..inputs.align import assemble_inputs

            assemble_inputs(cfg)
    except ScsmapError as exc:
        _fail(exc, 0)
        return
    click.echo(f"{config}: valid ({len(cfg.inputs)} input layer(s): {', '.join(cfg.inputs)})")


@main.command()
def schema():
    """Print the JSON schema of region configs."""
    from ..config import json_schema

    click.echo(json.dumps(json_schema(), indent=2))


@main.command()
def products():
    """List the product ids scsmap can write, with units and what they need."""
    from ..products import PRODUCTS

    for p in PRODUCTS.values():
        click.echo(f"{p.id:<20} [{p.units}] {p.long_name}\n{'':<20} needs: {', '.join(p.requires)}")


def _guarded(verbose: int, fn, *args, note: str = "", **kwargs):
    """Call ``fn``; scsmap errors are printed without a traceback (exit 2), others as unexpected (exit 1),
    Ctrl-C exits 130; ``note`` is appended to the last two messages."""
    try:
        return fn(*args, **kwargs)
    except ScsmapError as exc:
        _fail(exc, verbose)
    except KeyboardInterrupt:
        click.secho("interrupted" + (f": {note}" if note else ""), fg="red", err=True)
        sys.exit(130)
    except Exception as exc:  # an scsmap bug or an unforeseen library error
        if verbose > 1:
            raise
        click.secho(
            f"error: unexpected {type(exc).__name__}: {exc}\n  hint: rerun with -vv for the traceback "
            "and report it" + (f"; {note}" if note else ""),
            fg="red",
            err=True,
        )
        sys.exit(1)


_out_option = click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="The run's output folder (default: outputs.dir, else out/<config name>).",
)
_verbose_option = click.option("-v", "--verbose", count=True, help="-v: report each step; -vv: with tracebacks.")


@main.command()
@click.argument("config", type=click.Path(dir_okay=False))
@_out_option
@_verbose_option
def stats(config, out_dir, verbose):
    """Recompute the area-weighted statistics of a finished run: stats.csv and stats.gpkg.

    One row per unit (the region, every unit of statistics.admin; each also by land-use
    class and IPCC climate zone when mapped) and product: area and valid area [ha],
    area-weighted mean, total [Mt C or Mt C yr-1] and share of the 4 per 1000 target [%].
    Cell areas are geodesic, weighted by the exact share of each cell inside the unit.
    """
    from ..config import load_config
    from ..outputs.stats import write_stats

    _setup_logging(verbose, False)
    cfg = _guarded(verbose, load_config, config)
    res = _guarded(verbose, write_stats, cfg, out_dir)
    region = res.table[(res.table.zone_set == "region") & (res.table.group_by == "")]
    click.echo(f"{res.csv} ({len(res.table)} rows), {res.gpkg}")
    if len(region):
        click.echo(f"  region area: {region.area_ha.iloc[0]:,.0f} ha")
    for r in region.itertuples():
        if r.total_units:
            share = (
                ""
                if r.share_4p1000_percent != r.share_4p1000_percent
                else f", {r.share_4p1000_percent:.1f} % of the 4p1000 target"
            )
            click.echo(f"  {r.product:<24} total {r.total:,.3f} {r.total_units}{share}")


@main.command()
@click.argument("config", type=click.Path(dir_okay=False))
@_out_option
@_verbose_option
def report(config, out_dir, verbose):
    """Write report.html for a finished run: quick-look maps in the QGIS legends, statistics
    (computed first when stats.csv is missing), QA, alignment report, config, versions,
    checksums and methods."""
    from ..config import load_config
    from ..outputs.report import write_report

    _setup_logging(verbose, False)
    cfg = _guarded(verbose, load_config, config)
    click.echo(_guarded(verbose, write_report, cfg, out_dir))


@main.command()
@click.argument("out_dirs", nargs=-1, required=True, type=click.Path(file_okay=False, exists=True))
@click.option("--out", "dest", type=click.Path(file_okay=False), required=True, help="Folder of the mosaic.")
@click.option("--overwrite", is_flag=True, help="Replace a mosaic that exists in --out.")
@click.option(
    "--resolution",
    type=float,
    default=None,
    help="Pixel size in the first region's CRS units (default: the first region's).",
)
@_verbose_option
def mosaic(out_dirs, dest, overwrite, resolution, verbose):
    """Merge several regions' run folders OUT_DIRS into one map per product.

    Overlaps: each pixel comes from the first folder, in the order given, that has data
    there, and all its products from that region. provenance.tif records which region
    (1 = first folder) each pixel came from; manifest.json lists them.
    """
    from ..outputs.mosaic import mosaic as make_mosaic

    _setup_logging(verbose, False)
    res = _guarded(verbose, make_mosaic, list(out_dirs), dest, overwrite=overwrite, resolution=resolution)
    m = res.manifest
    click.echo(
        f"{res.out_dir}: {len(m['products']) - 1} product(s) + provenance.tif, grid "
        f"{m['grid']['shape'][0]} x {m['grid']['shape'][1]} ({m['grid']['crs']})"
    )
    for s in m["sources"]:
        click.echo(f"  {s['provenance_code']}: {s['region']['name']:<30} {s['pixels']:>10,} px  <- {s['out_dir']}")


@main.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.option(
    "--make",
    "target",
    default=None,
    metavar="TARGET",
    help="Print a Makefile rule 'TARGET: files...' instead of one file per line.",
)
def inputs(config, target):
    """List every local file a run of CONFIG reads (config chain, inputs, boundary, admin units, tables)."""
    from ..config import load_config
    from ..outputs.deps import dependency_files, make_rule

    files = dependency_files(_guarded(0, load_config, config))
    click.echo(make_rule(target, files) if target else "\n".join(map(str, files)))


@main.command()
@click.argument("out_dir", type=click.Path(file_okay=False))
def summary(out_dir):
    """Print the summary of the run in OUT_DIR (from its manifest.json)."""
    from ..io.manifest import load_manifest
    from ..run import RunResult

    m = _guarded(0, load_manifest, out_dir)
    _print_summary(RunResult(out_dir=out_dir, manifest=m, skipped=m.get("skipped_products", {})), None)


from .rothc import rothc  # noqa: E402  (the `scsmap rothc ...` command group)

main.add_command(rothc)

if __name__ == "__main__":  # pragma: no cover
    main()
