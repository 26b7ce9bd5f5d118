"""The demo's national trajectory (trajectory.csv) against the run's own maps and summary: one quantity, one
number. A practice's stock change is linear over the IPCC transition period D and then stops (IPCC 2006
Vol. 4 Ch. 2 eq. 2.25); the capped rates never exceed the room left over D (docs/methods/saturation.md §4.3),
so year 1 of the best practice is the national best-practice rate and every year from D on is D times it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyproj
import pytest
import rasterio


@pytest.fixture(scope="module")
def trajectory(demo_outputs):
    manifest = json.loads((demo_outputs / "manifest.json").read_text())
    return pd.read_csv(demo_outputs / "trajectory.csv"), manifest


def _pathway(df: pd.DataFrame, name: str) -> pd.Series:
    return df[df.pathway == name].set_index("year").cumulative_Mt_C


def test_best_practice_path_is_the_national_rate_over_the_transition_period(trajectory, demo_outputs):
    df, manifest = trajectory
    s = manifest["summary"]
    best = _pathway(df, "best_practice")
    d = 20  # practices.transition_years of the demo (IPCC D)
    assert best[0] == 0
    assert best[1] == pytest.approx(s["rate_best_total_Mt_yr"], rel=1e-5)  # CSV keeps 6 significant digits
    assert best[d] == pytest.approx(d * s["rate_best_total_Mt_yr"], rel=1e-5)
    assert (best.loc[d:] == best[d]).all() and best.index.max() == s["trajectory_years"] == 50
    assert np.all(np.diff(best.loc[:d].to_numpy()) > 0)
    # the range brackets the path and CO2 is C x 44/12
    assert (_pathway(df, "best_practice_low") <= best + 1e-9).all()
    assert (_pathway(df, "best_practice_high") >= best - 1e-9).all()
    row = df[(df.pathway == "best_practice") & (df.year == d)].iloc[0]
    assert row.cumulative_Mt_CO2 == pytest.approx(row.cumulative_Mt_C * 44 / 12, rel=1e-5)


def test_year_one_of_a_practice_is_its_map_summed_over_cell_areas(trajectory, demo_outputs):
    """Year 1 of a practice is its national total of the summary, and an independent sum of its map:
    rate_cover_crops.tif x the geodesic area of each cell (pyproj), in Mt C."""
    df, manifest = trajectory
    first = _pathway(df, "cover_crops")[1]
    assert first == pytest.approx(manifest["summary"]["rate_cover_crops_total_Mt_yr"], rel=1e-5)
    with rasterio.open(demo_outputs / "rate_cover_crops.tif") as ds:
        rate = ds.read(1, masked=True).astype("f8")
        t = ds.transform
        rows = np.arange(ds.height)
        lat0 = t.f + t.e * rows
        geod = pyproj.Geod(ellps="WGS84")
        area = np.array([abs(geod.polygon_area_perimeter([0, t.a, t.a, 0], [a, a, a + t.e, a + t.e])[0]) for a in lat0])
    total = float((rate * area[:, None] / 1e4).sum()) / 1e6  # t C/ha/yr x ha -> Mt C/yr
    # the run weighs the cells the boundary cuts by the share inside it; here they count whole (0.2 % on the demo)
    assert first == pytest.approx(total, rel=5e-3)
