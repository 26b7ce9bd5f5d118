"""Stack layers: one kernel call per chunk gives many outputs, stacked on a leading output dimension.

The practice and GHG stacks (:mod:`scsmap.layers.practices`, :mod:`scsmap.layers.ghg`) put their
outputs on the first axis of each block, so that filling the stack and taking one output out of it
(``stack.sel(<dim>=name)``) both read and write contiguous memory.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import dask.array as da
import numpy as np
import xarray as xr

__all__ = ["map_stack"]


def map_stack(
    block: Callable[..., np.ndarray], arrays: Sequence[xr.DataArray], dim: str, names: Sequence[str]
) -> xr.DataArray:
    """Apply ``block`` chunk by chunk to aligned layers; its outputs on a leading ``dim`` (lazy).

    Parameters
    ----------
    block : callable
        ``block(*numpy_blocks) -> numpy.ndarray`` of shape ``(len(names), y, x)``, float32. A 2-D layer
        arrives as its (y, x) block; a stack layer (``(k, y, x)``, one chunk on its first axis) as its
        whole ``(k, y, x)`` block.
    arrays : sequence of xarray.DataArray
        The layers, on the same (y, x) grid; the first is 2-D and gives the result's coordinates and chunks.
    dim : str
        Name of the output dimension.
    names : sequence of str
        The outputs, in the order ``block`` stacks them (the coordinate of ``dim``).

    Returns
    -------
    xarray.DataArray
        float32 (``dim``, y, x), one chunk along ``dim``.

    Raises
    ------
    ValueError
        A layer that is not on the first layer's (y, x) dimensions.
    """
    ref = arrays[0]
    yx = ref.dims
    chunks = ref.chunks or tuple((n,) for n in ref.shape)
    data = []
    for a in arrays:
        if a.dims[-2:] != yx:
            raise ValueError(f"map_stack: layer on {a.dims}, expected (..., {', '.join(map(str, yx))})")
        lead = tuple((n,) for n in a.shape[:-2])
        data.append(
            a.data.rechunk(lead + chunks) if isinstance(a.data, da.Array) else da.from_array(a.data, lead + chunks)
        )
    out = da.map_blocks(
        block,
        *data,
        dtype="float32",
        chunks=((len(names),), *chunks),
        new_axis=0 if all(d.ndim == 2 for d in data) else None,
        meta=np.empty((0, 0, 0), dtype="float32"),
    )
    coords = {k: v for k, v in ref.coords.items() if set(v.dims) <= set(yx)}
    return xr.DataArray(out, dims=(dim, *yx), coords={**coords, dim: list(names)})
