"""Where a run's dask graph is computed: threads, a local process cluster or a remote scheduler.

:func:`open_engine` turns ``compute.scheduler`` (or ``scsmap run --scheduler``) into an
:class:`Engine` that the pipeline uses for its single ``dask.compute`` and for its write
targets:

``threads``
    dask's threaded scheduler in this process (the default, unchanged behaviour).
``processes``
    a dask.distributed ``LocalCluster`` of worker processes, each with a memory limit
    (workers spill to disk, then pause, before reaching it).
an address (``tcp://host:8786``, ``tls://...``)
    an existing dask.distributed scheduler: dask-jobqueue on an HPC system, dask-kubernetes,
    a cloud cluster (docs/scaling.md). Workers must see the input files and the output
    directory under the same paths (a shared file system), as they read the inputs and write
    the blocks of the temporary GeoTIFFs themselves.

With a distributed engine each block is written by the worker that computed it, into the
product's temporary tiled GeoTIFF in the staging directory, under a cluster-wide lock per
file; the COG conversion that follows rewrites every file in a canonical order, so the
outputs are byte-identical whichever engine computed them. GDAL config options
(``compute.gdal_config`` and this process's ``GDAL_*``, ``CPL_*``, ``VSI_*`` environment
variables) are set on every worker before it computes anything.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dask
import rasterio
import rasterio.env
from rasterio.windows import Window

from .config import ComputeConfig
from .errors import ConfigError
from .io.write import BlockTarget

log = logging.getLogger("scsmap")

#: environment variables forwarded to workers (GDAL and its virtual file systems; never credentials)
GDAL_ENV_PREFIXES = ("GDAL_", "CPL_", "VSI_")


#: GDAL block cache [MB] of a run unless ``GDAL_CACHEMAX`` is set (environment or ``compute.gdal_config``).
#: GDAL's own default, 5 % of the machine's memory, grows with the machine (1.2 GB on 24 GB, 13 GB on an
#: HPC node with 256 GB) and fills while large products are written: bounded here, memory stays bounded.
DEFAULT_GDAL_CACHEMAX_MB = 512


def gdal_options(compute: ComputeConfig) -> dict[str, str]:
    """GDAL config options for this run: the default cache, matching environment variables, ``compute.gdal_config``.

    Parameters
    ----------
    compute : ComputeConfig

    Returns
    -------
    dict of str to str
        Option name → value; the config wins over the environment, both over
        ``GDAL_CACHEMAX`` = :data:`DEFAULT_GDAL_CACHEMAX_MB`.
    """
    env = {k: v for k, v in os.environ.items() if k.startswith(GDAL_ENV_PREFIXES)}
    return {"GDAL_CACHEMAX": str(DEFAULT_GDAL_CACHEMAX_MB), **env,
            **{k: str(v) for k, v in compute.gdal_config.items()}}


def apply_gdal_options(options: dict[str, str]) -> dict[str, tuple[str | None, Any]]:
    """Set GDAL config options in this process (environment and ``CPLSetConfigOption``).

    Returns
    -------
    dict
        Option name → (previous environment value or None, previous GDAL value), for
        :func:`restore_gdal_options`.
    """
    previous = {k: (os.environ.get(k), rasterio.env.get_gdal_config(k)) for k in options}
    for k, v in options.items():
        os.environ[k] = v
        _set_config(k, v)
    return previous


def _set_config(key: str, value: str | None) -> None:
    # rasterio hands GDAL_CACHEMAX to GDALSetCacheMax, which takes an integer; other forms ("10%",
    # "512MB") reach GDAL through the environment variable, read when its block cache starts
    from rasterio._env import del_gdal_config

    if value is None:
        del_gdal_config(key)
        return
    try:
        rasterio.env.set_gdal_config(key, int(value) if value.isdigit() else value)
    except TypeError:
        pass


def restore_gdal_options(previous: dict[str, tuple[str | None, Any]]) -> None:
    """Undo :func:`apply_gdal_options` (the block cache size included)."""
    for k, (env, value) in previous.items():
        if env is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = env
        if k == "GDAL_CACHEMAX" and isinstance(value, int):  # a size in bytes: deleting the option keeps the size
            rasterio.env.set_gdal_config(k, value)
        else:
            _set_config(k, env)


@contextlib.contextmanager
def gdal_env(options: dict[str, str]) -> Iterator[None]:
    """Set GDAL config options in this process for the ``with`` block, then restore the previous values.

    Parameters
    ----------
    options : dict of str to str
        From :func:`gdal_options`; ``GDAL_CACHEMAX`` in MB (rasterio hands it to ``GDALSetCacheMax``),
        and its previous size is restored in bytes on exit.
    """
    previous = apply_gdal_options(options)
    try:
        yield
    finally:
        restore_gdal_options(previous)


def _gdal_plugin(options: dict[str, str]):
    from ._worker_plugin import GdalOptionsPlugin  # imports distributed: only when a cluster is used

    return GdalOptionsPlugin(options)


class FileBlockTarget:
    """A ``dask.array.store`` target for distributed workers: reopen the GeoTIFF, write one block.

    The file must have been created (and closed) by the client with ``SPARSE_OK=TRUE``; a
    cluster-wide :class:`distributed.Lock` per file serialises the writers.
    """

    def __init__(self, path: Path, lock):
        self.path = str(path)
        self.lock = lock

    def __setitem__(self, key, value):
        ys, xs = key[-2:]
        win = Window(xs.start, ys.start, xs.stop - xs.start, ys.stop - ys.start)
        with self.lock:
            with rasterio.open(self.path, "r+") as ds:
                ds.write(value, 1, window=win)


@dataclass
class Engine:
    """The scheduler of one run.

    Attributes
    ----------
    kind : {"threads", "processes", "address"}
    client : distributed.Client or None
        None for the threaded scheduler.
    """

    kind: str
    client: Any = None
    options: dict[str, str] = field(default_factory=dict)

    @property
    def distributed(self) -> bool:
        """True when workers (other processes, maybe other machines) compute and write."""
        return self.client is not None

    @property
    def tiled_options(self) -> dict[str, Any]:
        """Extra arguments of :func:`scsmap.io.write.open_tiled` (sparse files for worker writes)."""
        return {"sparse": True} if self.distributed else {}

    def target(self, dataset):
        """The store target of an open temporary GeoTIFF (closed here when workers write it)."""
        if not self.distributed:
            return BlockTarget(dataset, threading.Lock())
        from distributed import Lock

        path = dataset.name
        dataset.close()
        with self.client.as_current():  # the lock talks to this client's scheduler
            lock = Lock(f"scsmap-write:{path}")
        return FileBlockTarget(Path(path), lock)

    def compute(self, *args):
        """``dask.compute(*args)`` on this engine."""
        if self.client is None:
            return dask.compute(*args, scheduler="threads")
        return dask.compute(*args, scheduler=self.client.get)


def _quiet_distributed() -> None:
    # distributed sets INFO on its own loggers; scsmap's verbosity decides (-vv shows them)
    level = logging.DEBUG if log.getEffectiveLevel() <= logging.DEBUG else logging.WARNING
    for name in list(logging.root.manager.loggerDict):
        if name == "distributed" or name.startswith("distributed."):
            logging.getLogger(name).setLevel(level)


@contextlib.contextmanager
def open_engine(compute: ComputeConfig, scheduler: str | None = None) -> Iterator[Engine]:
    """Start (or connect to) the scheduler of a run; shut down what was started on exit.

    Parameters
    ----------
    compute : ComputeConfig
        The config's ``compute`` section.
    scheduler : str, optional
        Overrides ``compute.scheduler`` (``scsmap run --scheduler``).

    Yields
    ------
    Engine

    Raises
    ------
    ConfigError
        An invalid scheduler name, or an address no scheduler answers at.
    """
    spec = scheduler or compute.scheduler
    if scheduler is not None:
        try:  # the same validation as the config field
            spec = ComputeConfig(scheduler=scheduler).scheduler
        except Exception:
            raise ConfigError(f"--scheduler {scheduler!r}: give 'threads', 'processes' or a scheduler address "
                              "such as 'tcp://host:8786'") from None
    options = gdal_options(compute)
    with gdal_env(options):
        if spec == "threads":
            yield Engine("threads", None, options)
            return
        from distributed import Client, LocalCluster

        _quiet_distributed()

        if spec == "processes":
            n = compute.n_workers or os.cpu_count() or 1
            log.info("starting a local dask cluster: %d worker process(es) x %d thread(s), memory limit %s",
                     n, compute.threads_per_worker, compute.memory_limit)
            with LocalCluster(n_workers=n, threads_per_worker=compute.threads_per_worker, processes=True,
                              memory_limit=compute.memory_limit, host="127.0.0.1", dashboard_address=None,
                              silence_logs=logging.DEBUG if log.getEffectiveLevel() <= logging.DEBUG
                              else logging.WARNING) \
                    as cluster, Client(cluster, set_as_default=False) as client:
                client.register_plugin(_gdal_plugin(options))
                yield Engine("processes", client, options)
            return
        try:
            client = Client(spec, timeout=compute.connect_timeout_s, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ConfigError(f"compute.scheduler: no dask scheduler answers at {spec} "
                              f"(waited {compute.connect_timeout_s:g} s: {exc}); start it first "
                              "(`dask scheduler`, dask-jobqueue, ...) or use --scheduler threads|processes") from None
        with client:
            log.info("connected to the dask scheduler at %s (%d worker(s))", spec,
                     len(client.scheduler_info().get("workers", {})))
            client.register_plugin(_gdal_plugin(options))
            yield Engine("address", client, options)


def worker_gdal_option(client, name: str) -> dict[str, str | None]:
    """The value of a GDAL config option on every worker of ``client`` (worker address → value)."""
    return client.run(rasterio.env.get_gdal_config, name)
