"""Compiled (numba) land-cover → land-use reclassification: one pass per pixel through a dense lookup table.

:func:`reclass_codes` returns what :func:`scsmap.rules.land_use.reclass_block` returns, and raises what it
raises, without its ~8 passes over a block (a finiteness mask, three boolean gathers, a binary search per
pixel, a scatter): land-cover codes are small integers (ESA CCI 0-220, CORINE 111-523, MODIS IGBP 0-17, ...),
so a table indexed by ``code - lowest code`` finds each class in one read. The numpy function stays the test
oracle (tests/rules/test_land_use_compiled.py) and takes over where the table would be large, and for the
message when a block holds a code the table does not list. The loop releases the GIL and is compiled once per
machine and version of the sources (:mod:`scsmap.kernel_cache`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._types import Float32Array, FloatArray, FloatingArray
from .land_use import reclass_block

__all__ = ["MAX_LOOKUP", "reclass_codes"]

#: the largest code range (highest − lowest code + 1) read through a dense table; wider tables (a task force's
#: own codes in the tens of thousands, say) take the numpy path
MAX_LOOKUP = 1 << 16


@njit(nogil=True, cache=True)
def _reclass_loop(x: np.ndarray, lowest: float, classes: np.ndarray, listed: np.ndarray, out: np.ndarray) -> int:
    """Classes of the codes ``x`` (flat) into ``out`` (flat, float32); the index of the first finite code the
    table does not list, or -1 when there is none (``out`` is then complete)."""
    n = classes.size
    for i in range(x.size):
        v = float(x[i])
        if not math.isfinite(v):  # nodata: reclass_block's ``valid`` is ``isfinite``
            out[i] = np.nan
            continue
        k = v - lowest  # exact for integer codes within 2**53
        if k < 0 or k >= n or k != math.floor(k):
            return i
        j = int(k)
        if not listed[j]:
            return i
        out[i] = classes[j]
    return -1


def reclass_codes(x: FloatingArray, codes: FloatArray, classes: Float32Array) -> Float32Array:
    """Map land-cover codes to land-use classes in one compiled pass.

    :func:`scsmap.rules.land_use.reclass_block` (docs/methods/gsocseq.md §1.3, the GSOCseq v1.2 land-cover
    table) with a dense lookup table: the same classes, bit for bit.

    Parameters
    ----------
    x : numpy.ndarray
        Land-cover codes, float32 or float64 with NaN (or another non-finite value) for nodata, any shape.
    codes, classes : numpy.ndarray
        The table (:meth:`scsmap.rules.land_use.ReclassTable.sorted`): ascending codes (float) and their
        land-use class (float32).

    Returns
    -------
    numpy.ndarray
        float32 land-use class, shape of ``x``, NaN where ``x`` is not finite.

    Raises
    ------
    UnknownCodes
        A finite code that is not in ``codes`` (raised by :func:`scsmap.rules.land_use.reclass_block`, which
        lists up to 20 of them).
    """
    codes = np.asarray(codes, dtype="f8")
    if (
        codes.size == 0
        or not np.isfinite(codes[[0, -1]]).all()
        or codes[-1] - codes[0] >= MAX_LOOKUP
        or (np.diff(codes) == 0).any()  # a code listed twice: the binary search's choice is reclass_block's
    ):
        return reclass_block(x, codes, classes)
    integral = codes == np.floor(codes)
    lowest = float(codes[0])
    size = int(codes[-1] - lowest) + 1
    table = np.full(size, np.nan, dtype="f4")
    listed = np.zeros(size, dtype=np.bool_)
    at = (codes[integral] - lowest).astype(np.int64)
    table[at] = np.asarray(classes, dtype="f4")[integral]
    listed[at] = True
    arr = np.asarray(x)
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype("f8")
    flat = np.ascontiguousarray(arr).reshape(-1)
    out = np.empty(arr.shape, dtype="f4")
    if _reclass_loop(flat, lowest, table, listed, out.reshape(-1)) >= 0:
        return reclass_block(x, codes, classes)  # raises UnknownCodes with the codes listed
    return out
