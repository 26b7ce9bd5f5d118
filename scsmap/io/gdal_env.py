"""GDAL configuration options of a run: the block cache bound, forwarded environment, ``compute.gdal_config``.

Set in this process for the run (and restored afterwards) and, by the worker plugin of
:mod:`scsmap.pipeline.scheduler`, on every dask worker before it reads or writes a file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import rasterio
import rasterio.env

from ..config import ComputeConfig

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
    return {
        "GDAL_CACHEMAX": str(DEFAULT_GDAL_CACHEMAX_MB),
        **env,
        **{k: str(v) for k, v in compute.gdal_config.items()},
    }


def apply_gdal_options(options: dict[str, str]) -> dict[str, tuple[str | None, Any]]:
    """Set GDAL config options in this process (environment and ``CPLSetConfigOption``).

    Parameters
    ----------
    options : dict of str to str
        Option name → value (:func:`gdal_options`); ``GDAL_CACHEMAX`` in MB.

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
    with contextlib.suppress(TypeError):
        rasterio.env.set_gdal_config(key, int(value) if value.isdigit() else value)


def restore_gdal_options(previous: dict[str, tuple[str | None, Any]]) -> None:
    """Undo :func:`apply_gdal_options` (the block cache size included).

    Parameters
    ----------
    previous : dict
        What :func:`apply_gdal_options` returned.
    """
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

    Yields
    ------
    None
    """
    previous = apply_gdal_options(options)
    try:
        yield
    finally:
        restore_gdal_options(previous)


def worker_gdal_option(client, name: str) -> dict[str, str | None]:
    """The value of a GDAL config option on every worker of a dask cluster.

    Parameters
    ----------
    client : distributed.Client
    name : str
        GDAL config option, e.g. ``GDAL_CACHEMAX``.

    Returns
    -------
    dict of str to str or None
        Worker address → value (None where unset).
    """
    return client.run(rasterio.env.get_gdal_config, name)
