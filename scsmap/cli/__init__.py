"""The ``scsmap`` command line (click): thin commands, one library call each."""

from .main import main

__all__ = ["main"]
