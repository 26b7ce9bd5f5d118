"""``python -m scsmap``: the ``scsmap`` command."""

from .cli.main import main

main()
