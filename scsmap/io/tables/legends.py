"""Class legends (code, name, colour) and the packaged family styles, read once and cached.

The legends of the class maps: FAO land-use classes (``land_use_classes.csv``), IPCC
climate zones (``ipcc_climate_zones.csv``) and soil classes (``ipcc_soil_classes.csv``);
the colour ramps of the continuous product families (``styles.yaml``).
"""

from __future__ import annotations

import functools
from importlib import resources

import yaml

from .base import packaged_csv

#: a class legend: (code, name, '#rrggbb') per class, ascending codes
ClassLegend = tuple[tuple[int, str, str], ...]


def _legend(file: str, name_column: str = "name") -> ClassLegend:
    df = packaged_csv(file)
    return tuple((int(c), str(n), str(col)) for c, n, col in zip(df["code"], df[name_column], df["color"]))


@functools.cache
def land_use_classes() -> ClassLegend:
    """The FAO GSOCseq land-use classes (``scsmap/data/land_use_classes.csv``)."""
    return _legend("land_use_classes.csv")


@functools.cache
def climate_zone_classes() -> ClassLegend:
    """The 12 IPCC climate zones (``scsmap/data/ipcc_climate_zones.csv``), display names."""
    return _legend("ipcc_climate_zones.csv")


@functools.cache
def climate_zone_ids() -> dict[int, str]:
    """Climate zone code → zone id (``tropical_montane`` ...), from ``ipcc_climate_zones.csv``."""
    df = packaged_csv("ipcc_climate_zones.csv")
    return {int(c): str(z) for c, z in zip(df["code"], df["zone"])}


@functools.cache
def soil_class_classes() -> ClassLegend:
    """The IPCC soil classes (``scsmap/data/ipcc_soil_classes.csv``), display names."""
    return _legend("ipcc_soil_classes.csv")


@functools.cache
def soil_class_ids() -> dict[int, str]:
    """Soil class code → class id (``hac`` ...), from ``ipcc_soil_classes.csv``."""
    df = packaged_csv("ipcc_soil_classes.csv")
    return {int(c): str(z) for c, z in zip(df["code"], df["soil_class"])}


@functools.cache
def style_table() -> dict:
    """The packaged family legends (``scsmap/data/styles.yaml``): ramps per family and per unit."""
    with resources.files("scsmap.data").joinpath("styles.yaml").open("r", encoding="utf-8") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml's: 1 ms, not 10
