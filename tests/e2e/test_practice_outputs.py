"""A run that writes a few practice products computes only the practice outputs it reads (their planes and the
rates its national trajectory sums), and writes the same maps and trajectory as the run of every product.
A reader missed when those outputs are drawn up fails loudly instead of reading an unfilled plane."""

from __future__ import annotations

import collections

import numpy as np
import pandas as pd
import pytest
import rasterio

import scsmap.layers.practices as layers_practices
from scsmap.config import load_config
from scsmap.errors import Unavailable
from scsmap.inputs.align import assemble_inputs
from scsmap.inputs.derive import Derived
from scsmap.layers.keys import Select, Stack
from scsmap.layers.model import Model
from scsmap.pipeline import run
from tests.helpers import demo_config_dict, dump_config

PRODUCTS = ["rate_cover_crops", "best_practice", "suitability_no_till"]


def test_a_few_practice_products_compute_only_what_they_read(tmp_path, monkeypatch, demo_outputs):
    planes = collections.Counter()
    real = layers_practices.evaluate_stack

    def spy(*args, **kw):
        out = real(*args, **kw)
        planes[out.shape[0]] += 1
        return out

    monkeypatch.setattr(layers_practices, "evaluate_stack", spy)
    raw = demo_config_dict()
    raw["outputs"] = {"products": PRODUCTS}
    cfg = load_config(dump_config(raw, tmp_path / "c.yaml"))
    run(cfg, out_dir=tmp_path / "out")
    n_rules = len(Model(cfg, Derived(cfg, assemble_inputs(cfg))).practice_tables.rules)
    # the three products' planes, each practice's rate and the best rate with its range (the trajectory)
    assert set(planes) == {n_rules + 3 + 2}, planes
    for pid in PRODUCTS:
        with rasterio.open(tmp_path / "out" / f"{pid}.tif") as a, rasterio.open(demo_outputs / f"{pid}.tif") as b:
            np.testing.assert_array_equal(a.read(1), b.read(1), err_msg=pid)
    # the practice pathways of the trajectory (the full run adds the RothC scenarios')
    mine, full = pd.read_csv(tmp_path / "out" / "trajectory.csv"), pd.read_csv(demo_outputs / "trajectory.csv")
    assert mine.pathway.nunique() == n_rules + 3
    full = full[full.pathway.isin(set(mine.pathway))].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, full)


def test_an_output_left_out_of_the_practice_stack_cannot_be_read(tmp_path):
    raw = demo_config_dict()
    cfg = load_config(dump_config(raw, tmp_path / "c.yaml"))
    model = Model(cfg, Derived(cfg, assemble_inputs(cfg)))
    full = model.layer(Select(Stack.PRACTICES, "rate_no_till"))
    model.keep_practice_outputs({"rate_cover_crops", "not_an_output"})
    assert list(model.get(Stack.PRACTICES.value).practice_output.values) == ["rate_cover_crops"]
    with pytest.raises(RuntimeError, match="rate_no_till is not computed in this run"):
        model.layer(Select(Stack.PRACTICES, "rate_no_till"))
    with pytest.raises(RuntimeError, match="GHG stack reads every practice output"):
        model.get(Stack.GHG.value)
    with pytest.raises(Unavailable, match="practice not in practices.enabled"):  # unknown stays unavailable
        model.layer(Select(Stack.PRACTICES, "rate_unknown_practice"))
    assert full.shape == model.layer(Select(Stack.PRACTICES, "rate_cover_crops")).shape
