"""Compiled (numba) MAOC capacity: Georgiou et al. (2022) or Hassink (1997) in one pass per pixel.

:func:`capacity_block` returns what :func:`scsmap.rules.saturation.capacity_georgiou` and
:func:`scsmap.rules.saturation.capacity_hassink` return for layers of one float dtype, bit for bit: the same
operations in the same order, each rounded to that dtype, the coefficients taken in it as NumPy takes a Python
number against an array (NEP 50, NumPy 2), without the numpy expression's dozen passes and temporaries over a block
(a 1024 x 1024 float32 chunk: 7.1 against 0.6 ms, docs/scaling.md). The numpy functions stay the test oracles
(tests/rules/test_saturation_compiled.py) and compute layers of mixed dtypes, whose operations NumPy widens one by
one (:func:`compiled_dtype` tells which). The loop releases the GIL and is compiled once per machine and version of
the sources (:mod:`scsmap.kernel_cache`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, cast

import numpy as np
from numba import njit
from numpy.typing import ArrayLike, NDArray

__all__ = ["capacity_block", "compiled_dtype"]


def compiled_dtype(*dtypes: np.dtype | str | None) -> np.dtype | None:
    """The dtype the compiled capacity computes in: the layers' one float dtype, or None (mixed, not float).

    Parameters
    ----------
    *dtypes : numpy.dtype, str or None
        The dtypes of clay, silt, bulk density, coarse fragments and (Georgiou) the HAC share; None for an
        absent layer (Hassink's HAC share), which is left out.

    Returns
    -------
    numpy.dtype or None
        float32 or float64 when every given dtype is that one; None otherwise (then the numpy functions of
        :mod:`scsmap.rules.saturation` compute the capacity).
    """
    given = {np.dtype(d) for d in dtypes if d is not None}
    if len(given) != 1:
        return None
    (dtype,) = given
    return dtype if dtype in (np.dtype("float32"), np.dtype("float64")) else None


def capacity_block(  # noqa: PLR0913 - the layers and coefficients of both methods
    clay: ArrayLike,
    silt: ArrayLike,
    bulk_density: ArrayLike,
    coarse_fragments: ArrayLike,
    hac_share: ArrayLike | None,
    *,
    method: Literal["georgiou2022", "hassink1997"],
    depth_cm: float,
    slope_hac: float = 0.86,
    slope_lac: float = 0.48,
    silt_share: float = 0.5,
    intercept: float = 4.09,
    slope: float = 0.37,
) -> NDArray[np.floating]:
    """MAOC capacity of a block [t ha-1], compiled: :func:`~scsmap.rules.saturation.capacity_georgiou` or
    :func:`~scsmap.rules.saturation.capacity_hassink`, bit for bit.

    Parameters
    ----------
    clay, silt : array_like
        [%] of the fine earth, shape ``S``.
    bulk_density : array_like
        [g cm-3], shape ``S``.
    coarse_fragments : array_like
        [% volume], shape ``S``.
    hac_share : array_like or None
        Georgiou: 1 where 2:1 clays dominate, 0 for 1:1 clays, shape ``S``; not read by Hassink (None).
    method : {"georgiou2022", "hassink1997"}
    depth_cm : float
        Depth of the stock [cm].
    slope_hac, slope_lac : float
        Georgiou's slopes [g C kg-1 per %].
    silt_share, intercept, slope : float
        Hassink's share of the silt below 20 µm [1], intercept [g C kg-1] and slope [g C kg-1 per %].

    Returns
    -------
    numpy.ndarray
        Shape ``S``, the layers' dtype: the numpy function's result, the same floats (NaN where it gives NaN).

    Raises
    ------
    ValueError
        Layers of different shapes or of more than one dtype (or not float), no HAC share for Georgiou, or an
        unknown method.

    References
    ----------
    Georgiou, K. et al. (2022) Nat. Commun. 13:3797; Hassink, J. (1997) Plant Soil 191:77-87;
    docs/methods/saturation.md §4.1-4.2.
    """
    if method not in ("georgiou2022", "hassink1997"):
        raise ValueError(f"capacity method {method!r}: expected georgiou2022 or hassink1997")
    hassink = method == "hassink1997"
    layers = [np.asarray(a) for a in (clay, silt, bulk_density, coarse_fragments)]
    if not hassink:
        if hac_share is None:
            raise ValueError("the Georgiou capacity needs the HAC share (hac_share)")
        layers.append(np.asarray(hac_share))
    shape = layers[0].shape
    if any(a.shape != shape for a in layers):
        raise ValueError(f"capacity layers of shapes {[a.shape for a in layers]}: expected one shape")
    dtype = compiled_dtype(*(a.dtype for a in layers))
    if dtype is None:
        raise ValueError(
            f"capacity layers of dtypes {[str(a.dtype) for a in layers]}: expected one float dtype (for mixed dtypes, "
            "scsmap.rules.saturation's functions widen operation by operation as NumPy does)"
        )
    a, b = (intercept, slope) if hassink else (slope_hac, slope_lac)
    # the coefficients in the layers' dtype, as NumPy 2 takes a Python number against an array (NEP 50)
    k = np.array([a, b, depth_cm, 0.1, 1.0, 100.0, silt_share], dtype=dtype)
    flat = [_pixels(x) for x in layers]
    if len(flat) == 4:  # Hassink reads no HAC share
        flat.append(flat[0])
    steps = np.array([step for _, step in flat], dtype=np.int64)
    out = np.empty(shape, dtype=dtype)
    loop = cast(Callable[..., None], _capacity_loop)  # a numba dispatcher: its call is not typed
    loop(*(values for values, _ in flat), steps, k, hassink, out.reshape(-1))
    return out


def _pixels(a: np.ndarray) -> tuple[np.ndarray, int]:
    """A layer's values, flat and contiguous, and the step from one pixel to the next: a constant layer (every
    stride 0, as :func:`numpy.broadcast_to` and dask's ``full`` give it) as its one value and step 0, not copied out."""
    if a.size and not any(a.strides):
        return np.full(1, a[(0,) * a.ndim], dtype=a.dtype), 0
    return np.ascontiguousarray(a).reshape(-1), 1


@njit(nogil=True, cache=True)
def _capacity_loop(  # noqa: PLR0913 - the layers, their steps, the coefficients and the output
    clay: np.ndarray,
    silt: np.ndarray,
    bd: np.ndarray,
    cf: np.ndarray,
    hac: np.ndarray,
    steps: np.ndarray,
    k: np.ndarray,
    hassink: bool,
    out: np.ndarray,
) -> None:
    """``out[i]``: the capacity of pixel ``i``, each operation of the numpy expression in its order, in ``k``'s dtype.

    Pixel ``i`` of a layer is at ``i · step`` (``steps`` in the layers' order: 0 for a constant layer given as its
    one value). ``k`` holds ``a, b, depth_cm, 0.1, 1.0, 100.0, silt_share``: Georgiou's ``slope_hac, slope_lac`` or
    Hassink's ``intercept, slope`` as ``a, b``. No literal enters the arithmetic (a float literal is float64 in numba).
    """
    a, b, depth, tenth, one, hundred, share = k[0], k[1], k[2], k[3], k[4], k[5], k[6]
    s_clay, s_silt, s_bd, s_cf, s_hac = steps[0], steps[1], steps[2], steps[3], steps[4]
    for i in range(out.size):
        c, si = clay[i * s_clay], silt[i * s_silt]
        if hassink:  # intercept + slope · (clay + share · silt)
            g = a + b * (c + share * si)
        else:  # (hac · slope_hac + (1 − hac) · slope_lac) · (clay + silt)
            h = hac[i * s_hac]
            g = (h * a + (one - h) * b) * (c + si)
        # g C kg-1 → t C ha-1: × BD · depth · 0.1 · (1 − CF/100)
        out[i] = g * bd[i * s_bd] * depth * tenth * (one - cf[i * s_cf] / hundred)
