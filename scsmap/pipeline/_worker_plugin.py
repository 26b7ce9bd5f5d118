"""The dask.distributed worker plugin of :mod:`scsmap.pipeline.scheduler` (kept apart: it imports distributed)."""

from __future__ import annotations

from distributed.diagnostics.plugin import WorkerPlugin

from ..io.gdal_env import apply_gdal_options


class GdalOptionsPlugin(WorkerPlugin):
    """Set GDAL config options (environment and ``CPLSetConfigOption``) on each worker at start-up.

    Parameters
    ----------
    options : dict of str to str
        GDAL config option → value (see :func:`scsmap.io.gdal_env.gdal_options`).
    """

    name = "scsmap-gdal-options"

    def __init__(self, options: dict[str, str]):
        self.options = dict(options)

    def setup(self, worker) -> None:
        apply_gdal_options(self.options)
