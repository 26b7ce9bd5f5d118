"""Constant fills (``fill.<name>.constant``) on the region grid: masked to a boundary, else a view of one value."""

from __future__ import annotations

import numpy as np

from scsmap.config import load_config
from scsmap.inputs.align import assemble_inputs
from scsmap.inputs.derive import Derived


def test_a_fill_is_masked_to_the_boundary_and_a_view_of_its_value_without_one(demo_raw, write_config):
    """With a boundary the fill is NaN outside it; a region given by a bounding box has a mask True everywhere, so its
    fill is the constant on every cell, and each block a view of the one value (every stride 0), not a block of its
    own that a rule then reads pixel by pixel."""
    demo_raw["fill"] = {**demo_raw.get("fill", {}), "coarse_fragments": {"constant": 7.5, "source": "test"}}
    cfg = load_config(write_config(demo_raw))
    with_boundary = Derived(cfg, assemble_inputs(cfg))
    cf = with_boundary.get("coarse_fragments").values
    mask = with_boundary.inputs.mask.values
    assert not mask.all() and mask.any()
    assert np.array_equal(np.isnan(cf), ~mask) and (cf[mask] == np.float32(7.5)).all()

    box = {**demo_raw, "region": {"name": "a box", "iso3": "MKD", "bbox": [21.0, 41.5, 21.5, 42.0]}}
    cfg = load_config(write_config(box, "box"))
    no_boundary = Derived(cfg, assemble_inputs(cfg))
    layer = no_boundary.get("coarse_fragments")
    assert layer.dtype == np.float32
    assert (layer.values == np.float32(7.5)).all()
    ny, nx = layer.data.numblocks
    views = layer.data.map_blocks(  # each block as a task reading it gets it (computing a block itself copies it)
        lambda b: np.full((1, 1), b.size > 1 and not any(b.strides)), chunks=((1,) * ny, (1,) * nx), dtype=bool
    )
    assert views.compute().all()
