"""Whether scsmap's compiled (numba) kernels still have to be compiled: the first run after an install does it
once (about 10 s, longer on a slow machine) and caches the machine code beside the package (or in
``NUMBA_CACHE_DIR``); the progress display says so instead of sitting still (docs/scaling.md)."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

#: the modules that define scsmap's cached numba kernels (``@njit(cache=True)``)
KERNEL_MODULES = (
    "scsmap.rules.practices_compiled",
    "scsmap.rules.ghg_compiled",
    "scsmap.rules.trajectory",
    "scsmap.rothc.compiled",
    "scsmap.outputs.zonal",
)


def _index_paths(module: ModuleType) -> dict[str, str]:
    """Kernel name → path of its numba cache index, for the cached numba dispatchers of ``module``."""
    from numba.core.dispatcher import Dispatcher

    paths = {}
    for name, obj in vars(module).items():
        if isinstance(obj, Dispatcher):
            index = getattr(getattr(getattr(obj, "_cache", None), "_cache_file", None), "_index_path", None)
            if isinstance(index, str):
                paths[f"{module.__name__}.{name}"] = index
    return paths


def uncached_kernels() -> list[str]:
    """The kernels of :data:`KERNEL_MODULES` that numba has not cached yet (they compile at first use).

    Returns
    -------
    list of str
        Dotted names (module.function), sorted; empty when every kernel is cached, or when this numba
        keeps its cache elsewhere than where this function looks (then nothing is announced, nothing breaks).
    """
    missing = []
    for name in KERNEL_MODULES:
        for kernel, index in _index_paths(importlib.import_module(name)).items():
            if not os.path.exists(index):
                missing.append(kernel)
    return sorted(missing)


def compile_note() -> str:
    """A note for the compute stage's progress line when kernels will compile in this run, else ``""``."""
    n = len(uncached_kernels())
    if not n:
        return ""
    return f"first run: compiling {n} kernel{'s' if n != 1 else ''}, once (about 10 s)"
