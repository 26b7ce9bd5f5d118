"""What every command shares: logging, the error policy (exit codes), common options."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from typing import Any, NoReturn, TypeVar

import click

from ..errors import ScsmapError, Terminated
from ..io.folder import terminated_as_interrupt

T = TypeVar("T")


def setup_logging(verbose: int, quiet: bool) -> None:
    """Log scsmap's steps on stderr: errors only with ``quiet``, else warnings, -v info, -vv debug."""
    level = logging.ERROR if quiet else {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr)
    logging.getLogger("scsmap").setLevel(level)
    # GDAL's own messages reach the user inside scsmap's errors; shown as they come only with -vv (GDAL prints
    # the errors of threads without a rasterio environment itself: CPL_LOG sends those to the null device)
    gdal = logging.DEBUG if verbose > 1 else logging.CRITICAL
    if verbose < 2:
        os.environ.setdefault("CPL_LOG", os.devnull)
    for noisy in ("rasterio", "fiona", "pyogrio"):
        logging.getLogger(noisy).setLevel(gdal)
    logging.getLogger("distributed").setLevel(logging.WARNING)


def fail(exc: ScsmapError, verbose: int) -> NoReturn:
    """Print a user error without a traceback and exit 2 (``-vv``: raise it with its traceback)."""
    click.secho(f"error: {exc}", fg="red", err=True)
    if verbose > 1:
        raise exc
    sys.exit(2)


def guarded(verbose: int, fn: Callable[..., T], *args: Any, note: str = "", **kwargs: Any) -> T:
    """Call ``fn`` under the exit-code policy.

    scsmap errors (the user's to fix) are printed without a traceback, exit 2; any other
    exception is a bug, printed as "unexpected", exit 1; Ctrl-C exits 130, SIGTERM 143, each after the
    command's ``finally`` clauses ran (temporary files and staging removed: SIGTERM is turned into
    :class:`~scsmap.errors.Terminated` while ``fn`` runs, :func:`scsmap.io.folder.terminated_as_interrupt`).
    ``note`` is appended to the last three messages (e.g. that existing outputs were left as they were).
    """
    try:
        with terminated_as_interrupt():
            return fn(*args, **kwargs)
    except ScsmapError as exc:
        fail(exc, verbose)
    except KeyboardInterrupt:
        click.secho("interrupted" + (f": {note}" if note else ""), fg="red", err=True)
        sys.exit(130)
    except Terminated:
        click.secho("terminated (SIGTERM)" + (f": {note}" if note else ""), fg="red", err=True)
        sys.exit(143)
    except Exception as exc:  # an scsmap bug or an unforeseen library error
        if verbose > 1:
            raise
        click.secho(
            f"error: unexpected {type(exc).__name__}: {exc}\n  hint: rerun with -vv for the traceback "
            "and report it" + (f"; {note}" if note else ""),
            fg="red",
            err=True,
        )
        sys.exit(1)


@contextlib.contextmanager
def native_stderr_captured(on: bool = True) -> Iterator[None]:
    """Send what C libraries print on stderr (GDAL, libtiff: hundreds of lines on a full disk) to a scratch
    file while the block runs; Python's own stderr (messages, the progress bar) still reaches the terminal.

    Only the user's error message, built from the exception, is shown; ``-vv`` shows everything.
    """
    if not on:
        yield
        return
    try:
        saved = os.dup(2)
    except OSError:  # pragma: no cover - no stderr at all
        yield
        return
    scratch = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally clause)
    python_stderr = sys.stderr
    python_stderr.flush()
    try:
        on_fd2 = python_stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):  # captured (tests): Python's stderr is not fd 2
        on_fd2 = False
    if on_fd2:
        sys.stderr = os.fdopen(os.dup(saved), "w", buffering=1, encoding=getattr(python_stderr, "encoding", None))
    os.dup2(scratch.fileno(), 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        if on_fd2:
            sys.stderr.close()
            sys.stderr = python_stderr
        scratch.close()


out_option = click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="The run's output folder (default: outputs.dir, else out/<config name>).",
)
verbose_option = click.option("-v", "--verbose", count=True, help="-v: report each step; -vv: with tracebacks.")
config_argument = click.argument("config", type=click.Path(dir_okay=False))
