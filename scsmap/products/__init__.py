"""Products: the registry of every map scsmap writes (:mod:`.registry`), their legends and QGIS
styles (:mod:`.styles`) and the run summary (:mod:`.summary`)."""

from .registry import PRODUCTS, Product, Summary, as_written

__all__ = ["PRODUCTS", "Product", "Summary", "as_written"]
