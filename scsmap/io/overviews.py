"""The first overview level of a product, made block by block in the compute pass.

GDAL's COG driver makes a product's overviews by reading the whole staging file once more and
averaging it, level after level, each level from the one before (``GDALRegenerateOverviewsMultiBand``,
GDAL ``gcore/overview.cpp``); on the 8 synthetic rule products of ``benchmarks/scaling.py`` that is
about 45 % of the COG stage. When every chunk of the grid has an even number of rows and columns, each
chunk's 2 x 2 cells are the sources of exactly the pixels of the first overview level (factor 2) that
the chunk covers, so the compute pass takes that level from the block it has just computed
(:func:`first_overview`) and stores it beside the staging file (``<file>.level1.tif``,
:func:`first_level_path`). At the COG stage GDAL's COG driver makes the further levels from it, as it
would itself, into the file's external overview ``<file>.ovr`` (:func:`overview_path`), which GDAL reads
as the file's overviews, and the final copy takes them all (``OVERVIEWS=AUTO``).

The pixels are GDAL's, bit for bit (tests/io/test_overviews.py compares every level with the
overviews GDAL makes itself): ``average`` is the float64 mean of the valid (not nodata) cells of the
2 x 2, rounded to float32, nodata where none is valid (GDAL's average kernel for an integer ratio);
``nearest`` takes the top-left cell. Grids or chunks of an odd size keep GDAL's own overviews (GDAL
then spreads the odd pixel over the level with fractional weights).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numba import njit

__all__ = ["first_level_path", "first_overview", "has_first_overview", "overview_factors", "overview_path"]


def overview_factors(shape: tuple[int, int], tile: int) -> list[int]:
    """The overview factors GDAL's COG driver makes for a grid of ``shape`` with ``tile``-pixel tiles.

    The driver halves the size (rounding down) until neither side exceeds the tile size
    (``GDALCOGCreator::Create``, GDAL ``frmts/gtiff/cogdriver.cpp``); each level is ``ceil(n / factor)``
    pixels on a side.

    Parameters
    ----------
    shape : (int, int)
        Rows and columns of the full-resolution grid.
    tile : int
        The COG's tile size (``BLOCKSIZE``), pixels.

    Returns
    -------
    list of int
        2, 4, 8, ...: empty when the grid fits in one tile.
    """
    ny, nx = shape
    factors: list[int] = []
    while ny > tile or nx > tile:
        ny, nx = ny // 2, nx // 2
        factors.append(2 ** (len(factors) + 1))
    return factors


def has_first_overview(chunks: tuple[tuple[int, ...], tuple[int, ...]], tile: int) -> bool:
    """Whether the compute pass can make the first overview level of a grid with these dask chunks.

    True when the COG has overviews (:func:`overview_factors`) and every chunk has an even number of rows
    and of columns, so that each 2 x 2 cell of the level lies inside one chunk.

    Parameters
    ----------
    chunks : (tuple of int, tuple of int)
        dask chunk sizes along y and x.
    tile : int
        The COG's tile size, pixels.

    Returns
    -------
    bool
    """
    cy, cx = chunks
    even = all(c % 2 == 0 for c in cy + cx)
    return even and bool(overview_factors((sum(cy), sum(cx)), tile))


def first_overview(block: np.ndarray, nodata: float, resampling: str) -> np.ndarray:
    """The first overview level (factor 2) of a block of even height and width, as GDAL makes it.

    Parameters
    ----------
    block : numpy.ndarray
        (y, x), both even; a written product block (float32 with ``nodata``, or a uint8 class map).
    nodata : float
        The nodata value of ``block`` (cells equal to it, and NaN, are not valid).
    resampling : {"average", "nearest"}
        The product's overview resampling (:class:`scsmap.io.write.RasterSpec`).

    Returns
    -------
    numpy.ndarray
        (y / 2, x / 2), the dtype of ``block``: the mean of the valid cells of each 2 x 2 in float64 rounded to
        the dtype (``nodata`` where none is valid), or the top-left cell of each 2 x 2 (``nearest``).

    Raises
    ------
    ValueError
        An odd height or width, or another resampling.

    Notes
    -----
    GDAL's average kernel for an integer ratio (``GDALResampleChunk_AverageOrRMS``, GDAL
    ``gcore/overview.cpp``) sums the valid cells in double precision and divides by their number; its
    nearest kernel takes the source cell at the top left of each destination pixel.
    """
    ny, nx = block.shape
    if ny % 2 or nx % 2:
        raise ValueError(f"a block of {ny} x {nx} pixels has no whole 2 x 2 cells")
    if resampling == "nearest":
        return np.ascontiguousarray(block[0::2, 0::2])
    if resampling != "average":
        raise ValueError(f"no first overview level for resampling {resampling!r}")
    out = np.empty((ny // 2, nx // 2), dtype=block.dtype)
    _average_2x2(np.ascontiguousarray(block), block.dtype.type(nodata), out)
    return out


@njit(nogil=True, cache=True)
def _average_2x2(block: np.ndarray, nodata: float, out: np.ndarray) -> None:
    """``out[i, j]``: the float64 mean of the valid cells of ``block[2i:2i+2, 2j:2j+2]`` (row by row), else nodata."""
    h, w = out.shape
    for i in range(h):
        for j in range(w):
            total = 0.0
            n = 0
            for v in (
                block[2 * i, 2 * j],
                block[2 * i, 2 * j + 1],
                block[2 * i + 1, 2 * j],
                block[2 * i + 1, 2 * j + 1],
            ):
                if v == v and v != nodata:
                    total += v
                    n += 1
            out[i, j] = total / n if n else nodata


def first_level_path(path: str | Path) -> Path:
    """Where the compute pass stores the first overview level of the staging file ``path``: ``<path>.level1.tif``."""
    p = Path(path)
    return p.with_name(p.name + ".level1.tif")


def overview_path(path: str | Path) -> Path:
    """The external overview file GDAL reads as the overviews of ``path``: ``<path>.ovr``."""
    p = Path(path)
    return p.with_name(p.name + ".ovr")
