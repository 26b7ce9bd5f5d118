"""A product's blocks on their way into its file, each in one compiled (numba) pass.

:func:`masked_block` sets the pixels outside the region's mask to NaN (what ``xarray.DataArray.where(mask)``
gives), :func:`written_block` replaces every value that is not finite (NaN, ±inf) by the file's nodata and casts
to the file's dtype (what ``numpy.where(numpy.isfinite(b), b, nodata).astype(dtype)`` gives). Both are those
numpy expressions bit for bit, which stay their test oracles (``tests/io/test_written.py``), and neither copies a
block that is its result already. numpy took 3-4 ms for the second on a 1024 x 1024 float32 block with
scattered NaN (a finiteness mask, a ``where`` with a branch per pixel, a copy for the cast), the loop about
0.4 ms. Blocks of a dtype the loops do not take (integers, complex) go through numpy.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["masked_block", "masked_dtype", "written_block"]

#: dtypes the compiled loops take, for the values and for the written block
FLOATS = (np.dtype("float32"), np.dtype("float64"))


def masked_block(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``values`` where ``mask`` is True, NaN elsewhere.

    Parameters
    ----------
    values : numpy.ndarray
        A block of a product, any shape.
    mask : numpy.ndarray
        bool, the shape of ``values``: the region's mask (:attr:`scsmap.inputs.align.AlignedInputs.mask`).

    Returns
    -------
    numpy.ndarray
        What ``numpy.where(mask, values, numpy.nan)`` gives, bit for bit: the dtype of ``values`` when it is
        float32 or float64 (else numpy's promotion, float64 for integers). A float block that is that already
        (every pixel outside the mask is NaN with ``numpy.nan``'s bits, as the warped inputs are and what is
        computed from them mostly is) is returned itself, not copied: the caller only reads it. Blocks inside the
        region, and products that keep the inputs' NaN, then cost one read of the mask and no new 4 MiB plane
        per 1024 x 1024 block (North Macedonia's run: 258 of its 312 masked blocks).

    Raises
    ------
    ValueError
        ``mask`` of another shape than ``values``.
    """
    if mask.shape != values.shape:
        raise ValueError(f"a mask of shape {mask.shape} for a block of shape {values.shape}")
    if values.dtype not in FLOATS or mask.dtype != np.bool_:
        return np.where(mask, values, np.nan)
    flat, inside = np.ascontiguousarray(values).reshape(-1), np.ascontiguousarray(mask).reshape(-1)
    bits = flat.view(f"u{flat.itemsize}")
    out = np.empty(values.shape, dtype=values.dtype)  # not touched (no page written) when it is not needed
    nan_bits = np.array(np.nan, values.dtype).view(bits.dtype)[()]
    return out if _masked(flat, bits, inside, nan_bits, out.reshape(-1)) else values


def masked_dtype(dtype: str | np.dtype) -> np.dtype:
    """The dtype :func:`masked_block` gives a block of ``dtype``: numpy's for ``where(mask, values, nan)``."""
    return np.where(np.ones(1, bool), np.zeros(1, dtype), np.nan).dtype


def written_block(values: np.ndarray, nodata: float, dtype: str | np.dtype) -> np.ndarray:
    """A continuous product's block as its file holds it: every value that is not finite → ``nodata``, in ``dtype``.

    Parameters
    ----------
    values : numpy.ndarray
        A block of the product (NaN = nodata), any shape.
    nodata : float
        The file's nodata value.
    dtype : str or numpy.dtype
        The file's dtype (float32 for every continuous product of the registry).

    Returns
    -------
    numpy.ndarray
        What ``numpy.where(numpy.isfinite(values), values, numpy.float32(nodata)).astype(dtype)`` gives:
        finiteness is that of ``values`` before the cast (a float64 value beyond float32's range is written as
        ±inf, as numpy casts it). A block of ``dtype`` whose values are all finite is that already and is
        returned itself, not copied (the caller only reads it): the synthetic benchmark's 128 blocks of 8
        products, where a copy was a new 4 MiB plane per 1024 x 1024 block.
    """
    out_dtype = np.dtype(dtype)
    if values.dtype not in FLOATS or out_dtype not in FLOATS:
        return np.where(np.isfinite(values), values, np.float32(nodata)).astype(out_dtype)
    flat = np.ascontiguousarray(values).reshape(-1)
    out = np.empty(values.shape, dtype=out_dtype)  # not touched (no page written) when it is not needed
    fill = out_dtype.type(np.float32(nodata))
    return out if _written(flat, fill, out.reshape(-1), values.dtype != out_dtype) else values


@njit(nogil=True, cache=True)
def _masked(values: np.ndarray, bits: np.ndarray, mask: np.ndarray, nan_bits: int, out: np.ndarray) -> bool:
    """``out[i]``: ``values[i]`` where ``mask[i]``, else NaN (flat arrays of one length), unless every value outside
    ``mask`` has the bits ``nan_bits`` already (``bits``: the values viewed as unsigned integers of their size):
    then ``out`` is not written. Returns whether it was.

    One kernel for both steps, so that a run that masks compiles it whether or not a block needs the copy (the
    compile note counts the kernels a run uses: :mod:`scsmap.pipeline.kernels`)."""
    for i in range(bits.shape[0]):
        if not mask[i] and bits[i] != nan_bits:
            break
    else:
        return False
    for i in range(values.shape[0]):
        out[i] = values[i] if mask[i] else np.nan
    return True


@njit(nogil=True, cache=True)
def _written(values: np.ndarray, nodata: float, out: np.ndarray, cast: bool) -> bool:
    """``out[i]``: ``values[i]`` cast to ``out``'s dtype where it is finite, else ``nodata`` (flat arrays), unless
    nothing is to be cast (``cast`` False) and every value is finite: then ``out`` is not written. Returns whether
    it was (one kernel for both steps, as :func:`_masked`)."""
    if not cast:
        for i in range(values.shape[0]):
            if not np.isfinite(values[i]):
                break
        else:
            return False
    for i in range(values.shape[0]):
        v = values[i]
        out[i] = v if np.isfinite(v) else nodata
    return True
