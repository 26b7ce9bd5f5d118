"""Every table scsmap reads, parsed into typed objects: IPCC Tier 1, practices, GHG and costs,
land use, class legends and styles. Read once per run (or cached) and passed to the kernels."""

from .base import TableInfo, number, packaged_csv, read_table, records
from .ghg import load_emission_factors, load_gwp, load_practice_costs, load_practice_nitrogen, load_rice_methane
from .ipcc import by_zone, climate_groups, land_use_ipcc, load_tier1, load_wrb_mapping, zone_codes_of
from .land_use import legend_codes, load_land_use_params, load_reclass_table
from .legends import (
    ClassLegend,
    climate_zone_classes,
    climate_zone_ids,
    land_use_classes,
    soil_class_classes,
    soil_class_ids,
    style_table,
)
from .practices import load_practice_rates, load_practice_rules

__all__ = [
    "ClassLegend",
    "TableInfo",
    "by_zone",
    "climate_groups",
    "climate_zone_classes",
    "climate_zone_ids",
    "land_use_classes",
    "land_use_ipcc",
    "legend_codes",
    "load_emission_factors",
    "load_gwp",
    "load_rice_methane",
    "load_land_use_params",
    "load_practice_costs",
    "load_practice_nitrogen",
    "load_practice_rates",
    "load_practice_rules",
    "load_reclass_table",
    "load_tier1",
    "load_wrb_mapping",
    "number",
    "packaged_csv",
    "read_table",
    "records",
    "soil_class_classes",
    "soil_class_ids",
    "style_table",
    "zone_codes_of",
]
