"""scsmap — soil carbon sequestration (SCS) potential maps.

The package turns soil, climate and land-use rasters into maps of SOC stock, the 4 per 1000
target, mineral-associated OC saturation, practice potentials and the RothC/GSOCseq
scenarios, on one region grid, chunk by chunk with dask.

Public API (imported on first use, so that ``import scsmap`` stays light; docs/python.md shows a
notebook session):

``load_config(path, overrides=None) -> Config``
    A validated region config (:func:`scsmap.config.load_config`); ``overrides`` maps dotted keys to
    values, e.g. ``{"grid.resolution": 0.01}``.
``run(config, out=None, ...) -> Run``
    Make a region's maps from a config path or a loaded :class:`~scsmap.config.Config`
    (:func:`scsmap.pipeline.run`); the :class:`scsmap.pipeline.Run` names the folder, the manifest,
    the skipped products and the summary, and ``Run.open()`` gives the maps back.
``open_run(out_dir) -> xarray.Dataset``
    A finished run as a lazy ``xarray.Dataset``: one variable per product, units and long names as
    attributes, class maps with CF ``flag_values`` / ``flag_meanings``
    (:func:`scsmap.outputs.dataset.open_run`).
``build(config, out=None) -> Build``
    ``scsmap build``: run, statistics and report, each only when out of date
    (:func:`scsmap.pipeline.build.build`).
``PRODUCTS``
    The product registry: id → :class:`scsmap.products.Product`.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from .kernel_cache import use_kernel_cache

# before numba is imported: the compiled kernels are cached per version of the sources (scsmap.kernel_cache)
use_kernel_cache()

try:  # pragma: no cover - trivial
    __version__ = version("scsmap")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["PRODUCTS", "Run", "__version__", "build", "load_config", "open_run", "run"]

_LAZY = {
    "load_config": ("scsmap.config", "load_config"),
    "run": ("scsmap.pipeline", "run"),
    "Run": ("scsmap.pipeline", "Run"),
    "build": ("scsmap.pipeline.build", "build"),
    "open_run": ("scsmap.outputs.dataset", "open_run"),
    "PRODUCTS": ("scsmap.products", "PRODUCTS"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'scsmap' has no attribute {name!r}")
