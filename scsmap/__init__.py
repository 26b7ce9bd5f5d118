"""scsmap — soil carbon sequestration (SCS) potential maps.

The package turns soil, climate and land-use rasters into maps of SOC stock, the
4 per 1000 target, mineral-associated OC saturation and (in later modules)
practice potentials and RothC/GSOCseq scenarios, on one region grid, chunk by
chunk with dask.
"""

from importlib.metadata import PackageNotFoundError, version

try:  # pragma: no cover - trivial
    __version__ = version("scsmap")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
