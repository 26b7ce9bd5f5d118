"""Land-use classes: reclassification of land-cover codes through a lookup table. Pure numpy.

The packaged default table maps ESA CCI land cover to the 13 FAO GSOCseq land-use
classes exactly as the GSOCseq v1.2 scripts do (docs/methods/gsocseq.md §1.3); a region
overrides it with ``tables.land_cover_reclass`` (read by :mod:`scsmap.io.tables`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._types import Float32Array, FloatArray, FloatingArray


@dataclass(frozen=True)
class ReclassTable:
    """A land-cover → land-use lookup table.

    Attributes
    ----------
    name : str
        Packaged name or file path.
    codes, classes : numpy.ndarray
        Parallel arrays: land-cover code → land-use class.
    """

    name: str
    codes: FloatArray
    classes: Float32Array

    def sorted(self) -> ReclassTable:
        """The same table with its codes in ascending order (what :func:`reclass_block` expects).

        Returns
        -------
        ReclassTable
        """
        order = np.argsort(self.codes)
        return ReclassTable(self.name, self.codes[order], self.classes[order])


class UnknownCodes(ValueError):
    """Land-cover codes that the reclass table does not list.

    Attributes
    ----------
    codes : list of int
        Up to 20 of the missing codes, ascending.
    """

    def __init__(self, codes: list[int]):
        self.codes = codes
        super().__init__(f"codes {codes} are not in the reclass table")


def reclass_block(x: FloatingArray, codes: FloatArray, classes: Float32Array) -> Float32Array:
    """Map land-cover codes to land-use classes through sorted parallel arrays.

    Parameters
    ----------
    x : numpy.ndarray
        Land-cover codes, float with NaN for nodata, any shape.
    codes, classes : numpy.ndarray
        The table (:meth:`ReclassTable.sorted`): ascending codes and their land-use class.

    Returns
    -------
    numpy.ndarray
        float32 land-use class, shape of ``x``, NaN where ``x`` is NaN.

    Raises
    ------
    UnknownCodes
        A finite code that is not in ``codes``.
    """
    out = np.full(x.shape, np.nan, dtype="float32")
    valid = np.isfinite(x)
    if not valid.any():
        return out
    idx = np.searchsorted(codes, x[valid])
    idx = np.clip(idx, 0, len(codes) - 1)
    hit = codes[idx] == x[valid]
    if not hit.all():
        raise UnknownCodes(np.unique(x[valid][~hit])[:20].astype(int).tolist())
    out[valid] = classes[idx]
    return out
