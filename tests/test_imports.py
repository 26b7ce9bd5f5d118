"""The package's import graph has no cycle, between any two of its modules.

The ``acyclic_siblings`` contract of ``lint-imports`` (pyproject.toml) checks the sibling packages
and modules of every package; this test also catches a cycle through a package and one of its own
modules (``scsmap.x`` → ``scsmap.x.y`` → ``scsmap.x``). Imports under ``TYPE_CHECKING`` count.
"""

from __future__ import annotations

import grimp


def test_no_import_cycle():
    graph = grimp.build_graph("scsmap", exclude_type_checking_imports=False, cache_dir=None)
    modules = sorted(m for m in graph.modules if m == "scsmap" or m.startswith("scsmap."))
    cycles = []
    for importer in modules:
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if imported == importer or not imported.startswith("scsmap"):
                continue
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is not None:
                cycles.append(" -> ".join((importer, *back)))
    assert not cycles, "import cycles:\n" + "\n".join(cycles)
