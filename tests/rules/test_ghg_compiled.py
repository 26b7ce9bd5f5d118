"""The compiled GHG kernel against its numpy oracle, :func:`scsmap.rules.ghg.evaluate_ghg`.

Random practice blocks (unknown, unsuitable, conditional and suitable classes; NaN, negative and
infinite rates), wet and dry pixels, every land-use class of the cost table and a rice layer with
nodata, with the demo's tables (costs, rice CH4) and without costs or rice: every output equal to the
numpy path's cast to float32 (docs/methods/ghg.md §8-§9).
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import CONFIGS

from scsmap.config import load_config
from scsmap.layers.ghg import GhgTables
from scsmap.layers.practices import PracticeTables
from scsmap.rules.ghg import evaluate_ghg
from scsmap.rules.ghg_compiled import compile_ghg, evaluate_ghg_stack


@pytest.fixture(scope="module")
def tables() -> GhgTables:
    cfg = load_config(CONFIGS / "regions" / "demo.yaml")
    return GhgTables(cfg, PracticeTables(cfg))


def _block(names: list[str], n: int, seed: int) -> tuple[np.ndarray, list[int], list[int]]:
    rng = np.random.default_rng(seed)
    rows = []
    for _ in names:
        rate = rng.normal(0.2, 0.4, n)
        rate[rng.random(n) < 0.1] = np.nan
        rate[rng.random(n) < 0.005] = np.inf
        rate[rng.random(n) < 0.05] = 0.0
        cls = rng.choice([0.0, 1.0, 2.0, 3.0, np.nan], n, p=[0.3, 0.2, 0.35, 0.1, 0.05])
        rows += [rate, cls]
    rate_i, class_i = list(range(0, 2 * len(names), 2)), list(range(1, 2 * len(names), 2))
    block = np.asarray(rows, dtype="f4")
    # a column of pixels where every rate is unknown, one where they are unknown and some class is 3
    block[rate_i, :50] = np.nan
    block[class_i, :25] = 0.0
    block[class_i[0], 25:50] = 3.0
    return block, rate_i, class_i


@pytest.mark.parametrize("with_costs,with_rice", [(True, True), (True, False), (False, True), (False, False)])
def test_compiled_equals_numpy(tables, with_costs, with_rice):
    names = [r.practice for r in tables.practices.rules]
    codes = {r.practice: r.code for r in tables.practices.rules}
    n = 20_000
    rng = np.random.default_rng(7)
    block, rate_i, class_i = _block(names, n, seed=11)
    wet = rng.random(n) < 0.5
    lu = rng.integers(-3, 300, n).astype("f8")
    lu[rng.random(n) < 0.05] = np.nan
    rice = rng.choice([0.0, 1.0, np.nan], n) if with_rice else None
    costs = tables.costs if with_costs else None
    outputs = [
        o
        for o in tables.outputs
        if with_costs or "cost" not in o and o not in ("cheapest_practice", "abatement_at_price")
    ]
    lu_i = np.nan_to_num(lu, nan=0).astype("int64").clip(0, 255)
    cost = (
        None
        if costs is None
        else {
            p: (costs[p][0][lu_i] if p in costs else np.full(n, np.nan), costs[p][1] if p in costs else False)
            for p in names
        }
    )
    oracle = evaluate_ghg(
        {p: block[i].astype("f8") for p, i in zip(names, rate_i)},
        {p: block[i] for p, i in zip(names, class_i)},
        codes,
        wet,
        cost,
        tables.settings,
        rice,
    )
    got = evaluate_ghg_stack(
        compile_ghg(names, codes, tables.settings, costs, outputs), block, rate_i, class_i, wet, lu, rice
    )
    assert got.shape == (len(outputs), n) and got.dtype == np.float32
    assert set(outputs) <= set(oracle)
    for i, name in enumerate(outputs):
        np.testing.assert_array_equal(got[i], oracle[name].astype("f4"), err_msg=name)
    # the test is not vacuous: practices picked, costed, unknown
    best = got[outputs.index("best_practice_net")]
    assert (best > 0).sum() > 1000 and (best == 254).sum() > 10 and (best == 0).sum() > 100
