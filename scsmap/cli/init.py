"""``scsmap init``: a commented region config guessed from a folder of rasters."""

from __future__ import annotations

import click

from .common import guarded, setup_logging


@click.command()
@click.argument("folder", type=click.Path(file_okay=False))
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False),
    default="region.yaml",
    show_default=True,
    help="The config to write (relative paths in it are relative to its folder).",
)
@click.option("--overwrite", is_flag=True, help="Replace --out when it exists.")
@click.option("-q", "--quiet", is_flag=True, help="Do not print the config.")
def init(folder, out, overwrite, quiet):
    """Write a region config guessed from the rasters in FOLDER (searched recursively).

    \b
    Every raster is inspected (CRS, bands, data type, nodata, scale tags, values) and its name
    matched against the data sets task forces hold (GSNmap, SoilGrids, GSOCmap, CHELSA,
    TerraClimate, WorldClim, MODIS LST, ESA CCI, WorldCover, CGLS-LC100, GlobCover, MODIS
    IGBP, CORINE) and generic names (clay, soc, bd, prec_01 ...). 12 monthly files become a
    {month:02d} pattern; units come from the data set or the values; the land-cover legend
    from the codes. Each guess scsmap is unsure of is marked CHECK in the config.
    Then: scsmap validate OUT --inputs.
    """
    from ..inputs.discover import init_config

    setup_logging(0, True)
    res = guarded(0, init_config, folder, out, overwrite=overwrite)
    if not quiet:
        click.echo(res.text)
    click.echo(
        f"wrote {res.path}: {len(res.layers)} layer(s) ({', '.join(res.layers)}), {res.unsure} guess(es) marked "
        f"CHECK, {len(res.unused)} file(s) not used\nnext: scsmap validate {res.path} --inputs",
        err=True,
    )
