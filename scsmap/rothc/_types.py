"""Array types of the RothC engine (numpy.typing aliases; annotations only).

Functions take anything :func:`numpy.asarray` accepts (:data:`numpy.typing.ArrayLike`) and
compute in float64: pools, inputs, climate and modifiers are :data:`FloatArray`.
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

FloatArray: TypeAlias = NDArray[np.float64]
#: a float64 array or a Python float (operands of numpy arithmetic, not converted first)
FloatLike: TypeAlias = FloatArray | float
BoolArray: TypeAlias = NDArray[np.bool_]
IntArray: TypeAlias = NDArray[np.int64]
#: an affine map of the active pools: ``(M, v)`` with ``M`` ``(4, 4, *S)`` and ``v`` ``(4, *S)``
AffineMap: TypeAlias = tuple[FloatArray, FloatArray]
