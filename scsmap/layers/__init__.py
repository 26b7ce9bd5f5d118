"""Model layers: the only place where the science (:mod:`scsmap.rules`, :mod:`scsmap.rothc`) meets
xarray and dask. Adapters take lazy arrays and settings and return lazy arrays and their
provenance; :class:`scsmap.layers.model.Model` wires them to the input-derived layers."""
