"""Whether the compiled (numba) kernels a run uses still have to be compiled: the first run that uses one after
an install, or after a change of scsmap's sources, compiles it once (about 1.4 s a kernel, 10 s for all of them on a
2-core laptop) and caches the machine code in the folder of :mod:`scsmap.kernel_cache`; the progress display says so
instead of sitting still (docs/scaling.md)."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable
from types import ModuleType

#: the cached numba kernels (``@njit(cache=True)``, module.function) each use needs: the model's stack layers
#: (:class:`scsmap.layers.keys.Stack` values) and the GSOCseq warm-up, the MAOC capacity, the national trajectory,
#: the region's area and zonal sums, the first overview levels of continuous products, the IPCC climate zones and soil
#: classes, the products' pixel statistics, the continuous products' blocks as written (nodata) and the masked
#: blocks, the land-use classes of a land-cover layer and the slope of an elevation layer. Named kernel by kernel,
#: not module by module: a module may hold kernels that only some runs call (a GSOCseq run without a warm-up never
#: runs ``scsmap.rothc.compiled._loop``), and a kernel no run of a use calls would be announced as compiling on
#: every run
KERNEL_USES: dict[str, tuple[str, ...]] = {
    "practices": ("scsmap.rules.practices_compiled._loop",),
    "ghg": ("scsmap.rules.ghg_compiled._loop",),
    "gsocseq": (
        "scsmap.rothc.compiled._annual_map_loop",
        "scsmap.rothc.compiled._advance_loop",
        "scsmap.rothc.compiled_moisture._cycle_loop",
        "scsmap.rothc.compiled_moisture._settle_loop",
    ),
    "gsocseq warm-up": ("scsmap.rothc.compiled._loop",),
    "saturation capacity": ("scsmap.rules.saturation_compiled._capacity_loop",),
    "trajectory": ("scsmap.rules.trajectory._bins_loop",),
    "region area": ("scsmap.outputs.zonal._sum_in_order",),
    "zonal sums": ("scsmap.outputs.zonal._moments_loop",),
    "overviews": ("scsmap.io.overviews._average_2x2",),
    "ipcc climate zones": ("scsmap.rules.ipcc_classes_compiled._zone_loop",),
    "ipcc soil classes": ("scsmap.rules.ipcc_classes_compiled._soil_loop",),
    "pixel statistics": ("scsmap.outputs.pixel_sums._pairwise", "scsmap.outputs.pixel_sums._count"),
    "written blocks": ("scsmap.io.written._written",),
    "masked blocks": ("scsmap.io.written._masked",),
    "land-use classes": ("scsmap.rules.land_use_compiled._reclass_loop",),
    "slope": ("scsmap.rules.terrain_compiled._slope_loop",),
}

#: compile time of one kernel, about (the demo run: 16.2 s with an empty cache, 6.7 s after, for 7 kernels)
SECONDS_PER_KERNEL = 1.4

#: the modules that define scsmap's cached numba kernels
KERNEL_MODULES = tuple(dict.fromkeys(k.rsplit(".", 1)[0] for kernels in KERNEL_USES.values() for k in kernels))


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


def uncached_kernels(uses: Iterable[str] | None = None) -> list[str]:
    """The kernels numba has not cached yet (they compile at their first use).

    Parameters
    ----------
    uses : iterable of str, optional
        What the run computes with compiled kernels (keys of :data:`KERNEL_USES`); default: everything.

    Returns
    -------
    list of str
        Dotted names (module.function), sorted; empty when every kernel is cached, or when this numba
        keeps its cache elsewhere than where this function looks (then nothing is announced, nothing breaks).

    Raises
    ------
    KeyError
        For a use that is not in :data:`KERNEL_USES`.
    """
    kernels = sorted({k for u in (KERNEL_USES if uses is None else uses) for k in KERNEL_USES[u]})
    missing = []
    for kernel in kernels:
        index = _index_paths(importlib.import_module(kernel.rsplit(".", 1)[0])).get(kernel)
        if index is not None and not os.path.exists(index):
            missing.append(kernel)
    return sorted(missing)


def compile_note(uses: Iterable[str]) -> str:
    """A note for the compute stage's progress line when kernels ``uses`` needs will compile in this run, else ``""``.

    Parameters
    ----------
    uses : iterable of str
        What the run computes with compiled kernels (keys of :data:`KERNEL_USES`).

    Returns
    -------
    str
        ``first run: compiling N kernels, once (about S s)``, N counting the uncached kernels of ``uses`` only
        and S = 1.4 s a kernel (at least 2 s): the demo run took 16.2 s with an empty cache, 6.7 s after, for 7
        kernels (docs/scaling.md).

    Raises
    ------
    KeyError
        For a use that is not in :data:`KERNEL_USES`.
    """
    n = len(uncached_kernels(uses))
    if not n:
        return ""
    seconds = max(2, round(SECONDS_PER_KERNEL * n))
    return f"first run: compiling {n} kernel{'s' if n != 1 else ''}, once (about {seconds} s)"
