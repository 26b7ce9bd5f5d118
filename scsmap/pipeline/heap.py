"""The Python heap alive before a run's heavy stages, left out of the garbage collector's full collections.

A run imports about a million objects (numpy, dask, xarray, GDAL bindings, numba) and builds a graph of
thousands of tasks; each of the garbage collector's full collections during the graph's construction and
computation walks all of them, with the GIL held (five collections of about 50 ms each in the 8-product
1e7-pixel benchmark, docs/scaling.md). ``gc.freeze`` moves the objects alive at that point to the collector's
permanent generation, so that collections only walk the objects made since; ``gc.unfreeze`` puts them back
(https://docs.python.org/3/library/gc.html#gc.freeze). A frozen object that becomes garbage during the block
(a reference cycle) is collected after it.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


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
