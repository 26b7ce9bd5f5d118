"""scsmap — soil carbon sequestration (SCS) potential maps.

The package turns soil, climate and land-use rasters into maps of SOC stock, the 4 per 1000
target, mineral-associated OC saturation, practice potentials and the RothC/GSOCseq
scenarios, on one region grid, chunk by chunk with dask.

Public API (imported on first use, so that ``import scsmap`` stays light):

``load_config(path, overrides=None)``
    A validated region config (:func:`scsmap.config.load_config`).
``run(config, out_dir=None, ...)``
    Make a region's maps; returns a :class:`scsmap.pipeline.RunResult` (:func:`scsmap.pipeline.run`).
``open_run(out_dir)``
    A finished run as a lazy ``xarray.Dataset`` (:func:`scsmap.outputs.dataset.open_run`).
``PRODUCTS``
    The product registry: id → :class:`scsmap.products.Product`.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:  # pragma: no cover - trivial
    __version__ = version("scsmap")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["PRODUCTS", "__version__", "load_config", "open_run", "run"]

_LAZY = {
    "load_config": ("scsmap.config", "load_config"),
    "run": ("scsmap.pipeline", "run"),
    "open_run": ("scsmap.outputs.dataset", "open_run"),
    "PRODUCTS": ("scsmap.products", "PRODUCTS"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'scsmap' has no attribute {name!r}")
