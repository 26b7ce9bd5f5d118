"""Memory settings of a run's heavy stages: the Python heap alive before them left out of the garbage collector's
full collections (:func:`frozen_heap`), NumPy's arrays on base pages (:func:`base_pages`), and, for the ``scsmap``
command's process, glibc's malloc keeping the memory a run frees for its next blocks (:func:`batch_malloc`).

A run imports about a million objects (numpy, dask, xarray, GDAL bindings, numba) and builds a graph of
thousands of tasks; each of the garbage collector's full collections during the graph's construction and
computation walks all of them, with the GIL held (five collections of about 50 ms each in the 8-product
1e7-pixel benchmark, docs/scaling.md). ``gc.freeze`` moves the objects alive at that point to the collector's
permanent generation, so that collections only walk the objects made since; ``gc.unfreeze`` puts them back
(https://docs.python.org/3/library/gc.html#gc.freeze). A frozen object that becomes garbage during the block
(a reference cycle) is collected after it.

NumPy asks Linux to back each array of 4 MiB or more with transparent huge pages
(``madvise(MADV_HUGEPAGE)``, https://numpy.org/doc/stable/reference/global_state.html). A run allocates and frees
such arrays for every chunk (a 1024 x 1024 float32 plane is 4 MiB, the practice stack's block 64 MiB), and the
kernel zeroes each fresh 2 MiB page on its first write. On the 2-core benchmark machine the first write to a
fresh 64 MiB practice block took 190-200 ms with huge pages and 49-53 ms without; in the 8-product 1e7-pixel run
the system CPU time went from 1.50-1.82 s to 1.32-1.43 s and the tasks' thread-seconds from 5.13-5.42 to
4.91-5.11 (alternated runs, docs/scaling.md). A chunk's arrays are written and read a few times each, so the
fewer TLB misses of huge pages do not make up for it.

glibc's malloc gives each thread that allocates an arena of its own, whose heaps hold at most 64 MiB, and serves
blocks above its (adaptive) mmap threshold, at most 32 MiB, from fresh ``mmap`` calls: a run's worker threads
got every practice block (64 MiB) and many planes as fresh pages, faulted in and zeroed by the kernel each time,
and freed them back to the kernel (mallopt(3), https://man7.org/linux/man-pages/man3/mallopt.3.html). One arena,
an mmap threshold of 1 GiB and a trim threshold of 2 GiB keep the memory a chunk frees for the next: in the
8-product 1e7-pixel run the minor page faults went from 0.39-0.42 to 0.23 million, the system CPU time from
1.6-2.1 to 1.1-1.5 s and the run from 5.09 to 4.91 s (means of 5 alternated runs, docs/scaling.md). These
settings are process-wide and cannot all be undone (glibc fixes its arena limit at its first use), so only a
process that scsmap owns sets them: the ``scsmap`` command at its start (and the benchmarks' children, as it
does).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import importlib
import os
import platform
import threading
from collections.abc import Callable, Iterator

#: NumPy's own switch for its huge-page advice, read when NumPy is imported; a run leaves it to the user when set
HUGEPAGE_ENV = "NUMPY_MADVISE_HUGEPAGE"

_lock = threading.Lock()
_holders = 0  # blocks of base_pages running now (runs in several threads share the setting)
_previous = True  # NumPy's setting before the first of them

#: mallopt(3) parameters: (name, glibc's number for it, the value :func:`batch_malloc` gives it)
BATCH_MALLOC = (("M_ARENA_MAX", -8, 1), ("M_MMAP_THRESHOLD", -3, 1 << 30), ("M_TRIM_THRESHOLD", -1, (1 << 31) - 1))
#: environment variables by which a user sets glibc's malloc: :func:`batch_malloc` then leaves it to them
MALLOC_ENV = (
    "MALLOC_ARENA_MAX",
    "MALLOC_MMAP_THRESHOLD_",
    "MALLOC_TRIM_THRESHOLD_",
    "MALLOC_TOP_PAD_",
    "GLIBC_TUNABLES",
)


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """Freeze the objects alive now for the block (:func:`gc.freeze`), unfreeze them after it.

    Does nothing when objects are frozen already (by the caller's process or an enclosing block): their owner
    unfreezes them.

    Yields
    ------
    None
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _hugepage_setter() -> Callable[[bool], bool] | None:
    """NumPy's ``_set_madvise_hugepage(enabled) -> previous`` (``numpy._core`` in NumPy 2, ``numpy.core`` in 1.26),
    or None when this NumPy has none."""
    for module in ("numpy._core.multiarray", "numpy.core.multiarray"):
        try:
            setter: Callable[[bool], bool] = importlib.import_module(module)._set_madvise_hugepage
        except (ImportError, AttributeError):
            continue
        return setter
    return None


@contextlib.contextmanager
def base_pages() -> Iterator[None]:
    """NumPy's new arrays without the huge-page advice for the block; its setting before the block after it.

    Blocks running at the same time (runs in several threads) share the setting: the last one to end restores
    it. Does nothing when the environment sets :data:`HUGEPAGE_ENV` (the user's choice) or NumPy has no such
    setting. Only the arrays of this process: the workers of a ``processes`` or remote dask scheduler keep theirs.

    Yields
    ------
    None
    """
    global _holders, _previous
    setter = _hugepage_setter()
    if setter is None or HUGEPAGE_ENV in os.environ:
        yield
        return
    with _lock:
        if _holders == 0:
            _previous = bool(setter(False))
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0:
                setter(_previous)


def batch_malloc() -> bool:
    """Set glibc's malloc for a batch process: one arena, blocks up to 1 GiB from its heap, freed memory kept.

    For a process that scsmap owns (the ``scsmap`` command calls it at its start, before its threads
    allocate): the settings are the process's for good (module docstring). Does nothing on another C library
    than glibc, or when the environment sets one of :data:`MALLOC_ENV` (the user's choice). The workers of a
    ``processes`` or remote dask scheduler keep glibc's defaults.

    Returns
    -------
    bool
        True when glibc took every setting.
    """
    if platform.libc_ver()[0] != "glibc" or any(k in os.environ for k in MALLOC_ENV):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # pragma: no cover - a glibc without the usual soname
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    taken = [mallopt(number, value) for _, number, value in BATCH_MALLOC]  # every one, even after a refusal
    return all(t == 1 for t in taken)
