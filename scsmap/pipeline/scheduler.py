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
import operator
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dask
import dask.threaded
from dask.array.chunk import getitem
from dask.core import flatten, reverse_dict

try:  # dask's graph nodes and alias resolution (recent dask); without them the graph goes to the scheduler as it is
    from dask._task_spec import Alias, DependenciesMapping, GraphNode, Task, convert_legacy_graph, resolve_aliases
except ImportError:  # pragma: no cover - older dask
    resolve_aliases = None

from ..config import ComputeConfig
from ..errors import ConfigError
from ..io.gdal_env import gdal_env, gdal_options
from ..io.write import BlockTarget, FileBlockTarget

log = logging.getLogger("scsmap")

#: the selection functions :func:`fuse_getitems` fuses into their reader (dask's copying ``getitem`` and Python's)
GETTERS = (getitem, operator.getitem)


#: dask settings while scsmap builds and computes a run's graph: rechunks are split and merged by tasks, which is
#: what dask chooses without a default dask.distributed client (scsmap never sets one), stated so that dask does not
#: import distributed (~0.3 s) to find that out
GRAPH_CONFIG = {"array.rechunk.method": "tasks"}


def graph_settings() -> contextlib.AbstractContextManager:
    """``dask.config.set(GRAPH_CONFIG)``: the context in which a run's graph is built and computed."""
    return dask.config.set(GRAPH_CONFIG)


def _gdal_plugin(options: dict[str, str]):
    from ._worker_plugin import GdalOptionsPlugin  # imports distributed: only when a cluster is used

    return GdalOptionsPlugin(options)


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
        """``dask.compute(*args)`` on this engine.

        On a distributed engine the graph is sent as built, without dask's optimisation: the windows of
        a run are consecutive computations that share tasks (the source blocks), and dask's fusion
        gives a shared key another task from one window to the next; a key sent again with another task
        while the scheduler still holds it fails at random with a ``KeyError`` (dask issue 9888,
        https://github.com/dask/dask/issues/9888; seen once in CI on the 3-window test). Unfused, a
        key is always the same task.
        """
        if self.client is None:  # a function, not "threads": that name makes dask import distributed for a client
            return dask.compute(*args, scheduler=threaded_get)
        return dask.compute(*args, scheduler=self.client.get, optimize_graph=False)


def threaded_get(dsk: Any, keys: Any, **kwargs: Any) -> Any:
    """:func:`dask.threaded.get` on the optimised graph with its alias chains collapsed and its selections fused.

    dask's fusion of a chain of blockwise layers leaves an ``Alias`` task under the chain's original output key
    when a later layer refers to it: a task that only hands on another task's result, yet goes to a worker and
    back like any other. dask's own ``resolve_aliases`` moves a task under its alias's key where that alias is
    the task's only dependent (as dask's tests use it; the local schedulers do not call it); the readers of an
    alias whose target has other readers are then given the target's key (``substitute``), and the alias goes.
    Aliases among ``keys`` stay. The 8-product 1e7-pixel benchmark's graph goes from 1,793 to 1,461 tasks (its
    332 aliases), the compute stage 0.03-0.06 s faster (docs/scaling.md). The results are the same objects: an
    alias's value is its target's. A selection task with one reader is then fused into it (:func:`fuse_getitems`).

    Parameters
    ----------
    dsk : Mapping or dask expression
        What :func:`dask.compute` hands its scheduler: a graph, or an expression whose ``__dask_graph__`` is
        the optimised graph.
    keys : key or nested list of keys
        The keys to compute (kept, never renamed).
    **kwargs
        Passed to :func:`dask.threaded.get`.

    Returns
    -------
    Any
        The results of ``keys``, nested as ``keys``.
    """
    graph = dict(dsk if isinstance(dsk, Mapping) else dsk.__dask_graph__())
    if resolve_aliases is not None:
        graph = convert_legacy_graph(graph)
        wanted = set(flatten(keys)) if isinstance(keys, list) else {keys}
        graph = resolve_aliases(graph, wanted, reverse_dict(DependenciesMapping(graph)))
        # an alias whose target has other readers too: its readers read the target itself
        hops = {k: t.target for k, t in graph.items() if isinstance(t, Alias) and k not in wanted and t.target in graph}
        if hops:
            subs = {k: _last_hop(k, hops) for k in hops}
            graph = {
                k: t.substitute(subs) if t.dependencies & subs.keys() else t for k, t in graph.items() if k not in subs
            }
        graph = fuse_getitems(graph, wanted)
    return dask.threaded.get(graph, keys, **kwargs)


def fuse_getitems(graph: dict[Any, Any], keep: set[Any]) -> dict[Any, Any]:
    """The graph with each selection task that has one reader fused into that reader.

    A selection (dask's ``getitem``: a plane of a stack layer's block, a band of a warp group's) is cheap, but
    as a task of its own it costs a trip through the scheduler's loop, which holds the GIL: dask's linear
    fusion leaves it apart whenever its reader reads other tasks too, as most readers here do (a product's
    block-sums task reads a dozen planes). Fused, the reader runs the selection itself on the same block: the
    same values (dask's ``getitem`` still copies a small selection of a large block, now inside the reader), and
    the block is kept until the reader has run rather than until the selection has. Chains of selections are
    fused whole. The 8-product 1e7-pixel benchmark's graph goes from 1,347 to 1,031 tasks and its compute stage
    from 1.84 to 1.67 s (8 alternated pairs, medians), its peak RSS the same (1.10 GB); North Macedonia's run
    took 2.23 against 2.22 GB, the 40,000 x 40,000 benchmark 1.86 GB against the 1.81 GB of the code before it
    (not alternated; docs/scaling.md).

    Parameters
    ----------
    graph : dict
        Keys to dask task-spec nodes (:func:`dask._task_spec.convert_legacy_graph`).
    keep : set
        Keys that must stay tasks of their own (the computation's outputs).

    Returns
    -------
    dict
        A new graph; ``graph`` is not changed.
    """
    dependents = reverse_dict(DependenciesMapping(graph))
    reader = {}
    for k, t in graph.items():
        if k in keep or not isinstance(t, Task) or t.func not in GETTERS:
            continue
        readers = dependents.get(k, ())
        if len(readers) == 1:
            reader[k] = next(iter(readers))
    fused: dict[Any, list[Any]] = {}
    for k in reader:
        last = k
        while last in reader:  # a selection of a selection: fused into the chain's last reader
            last = reader[last]
        fused.setdefault(last, []).append(k)
    out = {k: t for k, t in graph.items() if k not in reader}
    for r, selections in fused.items():
        out[r] = GraphNode.fuse(*(graph[k] for k in selections), graph[r], key=r)
    return out


def _last_hop(key: Any, hops: dict[Any, Any]) -> Any:
    """The key an alias chain ``key -> hops[key] -> ...`` ends at (the first key that is not an alias)."""
    while key in hops:
        key = hops[key]
    return key


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
            raise ConfigError(
                f"--scheduler {scheduler!r}: give 'threads', 'processes' or a scheduler address "
                "such as 'tcp://host:8786'"
            ) from None
    options = gdal_options(compute)
    with gdal_env(options):
        if spec == "threads":
            yield Engine("threads", None, options)
            return
        from distributed import Client, LocalCluster

        _quiet_distributed()

        if spec == "processes":
            n = compute.n_workers or os.cpu_count() or 1
            log.info(
                "starting a local dask cluster: %d worker process(es) x %d thread(s), memory limit %s",
                n,
                compute.threads_per_worker,
                compute.memory_limit,
            )
            with (
                LocalCluster(
                    n_workers=n,
                    threads_per_worker=compute.threads_per_worker,
                    processes=True,
                    memory_limit=compute.memory_limit,
                    host="127.0.0.1",
                    dashboard_address=None,
                    silence_logs=logging.DEBUG if log.getEffectiveLevel() <= logging.DEBUG else logging.WARNING,
                ) as cluster,
                Client(cluster, set_as_default=False) as client,
            ):
                client.register_plugin(_gdal_plugin(options))
                yield Engine("processes", client, options)
            return
        try:
            client = Client(spec, timeout=compute.connect_timeout_s, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ConfigError(
                f"compute.scheduler: no dask scheduler answers at {spec} "
                f"(waited {compute.connect_timeout_s:g} s: {exc}); start it first "
                "(`dask scheduler`, dask-jobqueue, ...) or use --scheduler threads|processes"
            ) from None
        with client:
            log.info(
                "connected to the dask scheduler at %s (%d worker(s))",
                spec,
                len(client.scheduler_info().get("workers", {})),
            )
            client.register_plugin(_gdal_plugin(options))
            yield Engine("address", client, options)
