"""Array types of the per-pixel rules (annotations only; nothing here runs at pixel level).

Rules that work on numpy arrays take anything :func:`numpy.asarray` accepts
(:data:`numpy.typing.ArrayLike`) and return numpy arrays (:data:`FloatArray`, :data:`BoolArray`,
...). The elementwise rules of :mod:`.soil`, :mod:`.saturation` and :mod:`.fourp1000` are also
applied to the lazy layers as they are: they take and return any :class:`Elementwise` type — numpy
arrays and scalars, ``float``, ``xarray.DataArray``, ``dask.array.Array`` — and give back the type of
their first argument (:data:`E`).
"""

from __future__ import annotations

from typing import Any, Protocol, Self, TypeAlias, TypeVar

import numpy as np
from numpy.typing import NDArray

FloatArray: TypeAlias = NDArray[np.float64]
#: float32 or float64 (the lazy layers are float32, the kernels compute in float64)
FloatingArray: TypeAlias = NDArray[np.floating[Any]]
Float32Array: TypeAlias = NDArray[np.float32]
BoolArray: TypeAlias = NDArray[np.bool_]
IntArray: TypeAlias = NDArray[np.int64]
UInt8Array: TypeAlias = NDArray[np.uint8]


class Elementwise(Protocol):
    """An array type with numpy's elementwise arithmetic against itself and Python floats."""

    def __add__(self, other: Self | float, /) -> Self: ...
    def __radd__(self, other: float, /) -> Self: ...
    def __sub__(self, other: Self | float, /) -> Self: ...
    def __rsub__(self, other: float, /) -> Self: ...
    def __mul__(self, other: Self | float, /) -> Self: ...
    def __rmul__(self, other: float, /) -> Self: ...
    def __truediv__(self, other: Self | float, /) -> Self: ...
    def __gt__(self, other: float, /) -> object: ...  # a boolean array (or bool) of the same kind


#: the array type an elementwise rule is given, and returns
E = TypeVar("E", bound=Elementwise)
