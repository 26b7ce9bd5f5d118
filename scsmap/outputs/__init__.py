"""Outputs made from a run's maps: the one area-weighting engine (:mod:`.zonal`), statistics,
the report, STAC, mosaics, the abatement curve, make dependencies and :func:`.dataset.open_run`."""
