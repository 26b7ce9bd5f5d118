"""What a failure of GDAL/rasterio means for the user: a read error of an input, a full disk."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from pathlib import Path

import rasterio.errors

from ..errors import InputError
from .read import CORRUPT_HINT
from .write import disk_full


def quiet_georeference_warnings() -> None:
    """Silence rasterio's warning about numpy blocks without a geotransform (odc-geo warps blocks with
    explicit transforms, which is correct)."""
    warnings.filterwarnings("ignore", category=rasterio.errors.NotGeoreferencedWarning)


def input_read_error(exc: BaseException, paths: Iterable[str], out: Path | None = None) -> InputError | None:
    """The :class:`~scsmap.errors.InputError` a GDAL read failure during the computation stands for.

    Parameters
    ----------
    exc : BaseException
        Raised while the dask graph ran.
    paths : iterable of str
        The run's input files (the message names the ones GDAL's message names).
    out : Path, optional
        The folder the run writes into (a write error there on a full disk is not a read error).

    Returns
    -------
    InputError or None
        None when ``exc`` is not a GDAL read failure, or is a full disk (an output error).
    """
    if not isinstance(exc, rasterio.errors.RasterioIOError) or disk_full(exc, out):
        return None
    files = ", ".join(p for p in paths if Path(p).name in str(exc))
    return InputError(f"reading {files or 'one of the input files'} failed during the computation: {exc}", CORRUPT_HINT)
