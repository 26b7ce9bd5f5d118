"""Region configuration: the schema (:mod:`.schema`), the layer catalogue (:mod:`.catalogue`)
and the loader (:mod:`.load`)."""

from .catalogue import LAYERS, LayerSpec
from .load import GSOCSEQ_STACK_BANDS, input_paths, json_schema, load_config, load_raw
from .schema import (
    AdminUnitsConfig,
    BoundaryConfig,
    ComputeConfig,
    Config,
    FillConfig,
    GridConfig,
    InputConfig,
    RegionConfig,
)

__all__ = [
    "GSOCSEQ_STACK_BANDS",
    "LAYERS",
    "AdminUnitsConfig",
    "BoundaryConfig",
    "ComputeConfig",
    "Config",
    "FillConfig",
    "GridConfig",
    "InputConfig",
    "LayerSpec",
    "RegionConfig",
    "input_paths",
    "json_schema",
    "load_config",
    "load_raw",
]
