"""The ``scsmap`` command group: one thin command per library call (:mod:`.run`, :mod:`.config`,
:mod:`.outputs`, :mod:`.rothc`)."""

from __future__ import annotations

import click

from .. import __version__
from ..pipeline.heap import batch_malloc
from .build import build
from .config import inputs, products, schema, validate
from .init import init
from .outputs import mosaic, report, stats, summary
from .rothc import rothc
from .run import run


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
      scsmap init my_data/ --out my_region.yaml # a config guessed from a folder of rasters
      scsmap run configs/regions/demo.yaml      # embedded North Macedonia sample
      scsmap build my_region.yaml               # maps, stats, report: only what is out of date
      scsmap validate configs/regions/mkd.yaml  # check a config, list every error
      scsmap products                           # what can be written, with units
    """
    batch_malloc()  # this process is scsmap's: glibc's malloc keeps what a run frees (scsmap.pipeline.heap)


for _command in (init, run, build, validate, schema, products, stats, report, mosaic, inputs, summary, rothc):
    main.add_command(_command)

if __name__ == "__main__":  # pragma: no cover
    main()
