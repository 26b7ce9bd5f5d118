"""``scsmap stats``, ``report``, ``mosaic``, ``summary``: what is made from a finished run."""

from __future__ import annotations

import click

from .common import config_argument, guarded, native_stderr_captured, out_option, setup_logging, verbose_option
from .run import print_summary


@click.command()
@config_argument
@out_option
@click.option("-q", "--quiet", is_flag=True, help="No progress display.")
@verbose_option
def stats(config, out_dir, quiet, verbose):
    """Recompute the area-weighted statistics of a finished run: stats.csv and stats.gpkg.

    One row per unit (the region, every unit of statistics.admin; each also by land-use
    class and IPCC climate zone when mapped) and product: area and valid area [ha],
    area-weighted mean, total [Mt C, Mt C yr-1, Mt CO2(e) yr-1] and share of the 4 per 1000 target [%].
    Cell areas are geodesic, weighted by the exact share of each cell inside the unit.
    """
    from ..config import load_config
    from ..outputs.stats import write_stats
    from ..products.units import format_value
    from ..progress import Progress

    setup_logging(verbose, False)
    cfg = guarded(verbose, load_config, config)
    with native_stderr_captured(verbose < 2), Progress(enabled=not quiet) as progress:
        res = guarded(verbose, write_stats, cfg, out_dir, progress=progress)
    region = [r for r in res.rows if r["zone_set"] == "region" and not r["group_by"]]
    click.echo(f"{res.csv} ({len(res.rows)} rows), {res.gpkg}")
    if region:
        click.echo(f"  region area: {format_value(region[0]['area_ha'], 'ha')} ha")
    for r in region:
        if r["total_units"]:
            share = r["share_4p1000_percent"]
            note = "" if share is None or share != share else f", {format_value(share, '%')} % of the 4p1000 target"
            total = format_value(r["total"], r["total_units"])
            click.echo(f"  {r['product']:<24} total {total} {r['total_units']}{note}")


@click.command()
@config_argument
@out_option
@click.option("--pdf", is_flag=True, help="Also print the report to report.pdf (headless Chromium).")
@click.option("-q", "--quiet", is_flag=True, help="No progress display.")
@verbose_option
def report(config, out_dir, pdf, quiet, verbose):
    """Write report.html for a finished run: one self-contained file (images embedded) with a brief
    first (headline figures, caveats, key maps), practices and costs, admin units, then the annex:
    every map in its QGIS legend, statistics (computed first when stats.csv is missing), QA,
    alignment report, config, checksums, versions and methods. --pdf prints it to report.pdf."""
    from ..config import load_config
    from ..outputs.report import REPORT_PDF, write_report
    from ..progress import Progress

    setup_logging(verbose, False)
    cfg = guarded(verbose, load_config, config)
    with native_stderr_captured(verbose < 2), Progress(enabled=not quiet) as progress:
        path = guarded(verbose, write_report, cfg, out_dir, pdf=pdf, progress=progress)
    click.echo(f"{path} ({path.stat().st_size / 1e6:.1f} MB, self-contained)")
    if pdf:
        click.echo(path.with_name(REPORT_PDF))


@click.command()
@click.argument("out_dirs", nargs=-1, required=True, type=click.Path(file_okay=False, exists=True))
@click.option("--out", "dest", type=click.Path(file_okay=False), required=True, help="Folder of the mosaic.")
@click.option("--overwrite", is_flag=True, help="Replace a mosaic that exists in --out.")
@click.option(
    "--resolution",
    type=float,
    default=None,
    help="Pixel size in the first region's CRS units (default: the first region's).",
)
@verbose_option
@click.option("-q", "--quiet", is_flag=True, help="No progress display.")
def mosaic(out_dirs, dest, overwrite, resolution, verbose, quiet):
    """Merge several regions' run folders OUT_DIRS into one map per product.

    Overlaps: each pixel comes from the first folder, in the order given, that has data
    there, and all its products from that region. provenance.tif records which region
    (1 = first folder) each pixel came from; manifest.json lists them.
    """
    from ..outputs.mosaic import mosaic as make_mosaic
    from ..progress import Progress

    setup_logging(verbose, False)
    with native_stderr_captured(verbose < 2), Progress(enabled=not quiet) as progress:
        res = guarded(
            verbose, make_mosaic, list(out_dirs), dest, overwrite=overwrite, resolution=resolution, progress=progress
        )
    m = res.manifest
    click.echo(
        f"{res.out_dir}: {len(m['products']) - 1} product(s) + provenance.tif, grid "
        f"{m['grid']['shape'][0]} x {m['grid']['shape'][1]} ({m['grid']['crs']})"
    )
    for s in m["sources"]:
        click.echo(f"  {s['provenance_code']}: {s['region']['name']:<30} {s['pixels']:>10,} px  <- {s['out_dir']}")


@click.command()
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("-v", "--verbose", count=True, help="List the products written and not made one by one.")
def summary(out_dir: str, verbose: int) -> None:
    """Print the summary of the run in OUT_DIR (from its manifest.json)."""
    from ..io.manifest import load_manifest

    print_summary(guarded(0, load_manifest, out_dir), out_dir, None, verbose)
