"""``python -m scsmap.cli``: the ``scsmap`` command."""

from .main import main

main()
