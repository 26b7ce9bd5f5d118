"""What every command shares: logging, the error policy (exit codes), common options."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

from ..errors import ScsmapError, Terminated

T = TypeVar("T")


def setup_logging(verbose: int, quiet: bool) -> None:
    """Log scsmap's steps on stderr: errors only with ``quiet``, else warnings, -v info, -vv debug."""
    level = logging.ERROR if quiet else {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr)
    logging.getLogger("scsmap").setLevel(level)
    for noisy in ("rasterio", "fiona", "pyogrio", "distributed"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def fail(exc: ScsmapError, verbose: int) -> NoReturn:
    """Print a user error without a traceback and exit 2 (``-vv``: raise it with its traceback)."""
    click.secho(f"error: {exc}", fg="red", err=True)
    if verbose > 1:
        raise exc
    sys.exit(2)


def guarded(verbose: int, fn: Callable[..., T], *args: Any, note: str = "", **kwargs: Any) -> T:
    """Call ``fn`` under the exit-code policy.

    scsmap errors (the user's to fix) are printed without a traceback, exit 2; any other
    exception is a bug, printed as "unexpected", exit 1; Ctrl-C exits 130. ``note`` is appended
    to the last two messages (e.g. that existing outputs were left as they were).
    """
    try:
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


out_option = click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="The run's output folder (default: outputs.dir, else out/<config name>).",
)
verbose_option = click.option("-v", "--verbose", count=True, help="-v: report each step; -vv: with tracebacks.")
config_argument = click.argument("config", type=click.Path(dir_okay=False))
