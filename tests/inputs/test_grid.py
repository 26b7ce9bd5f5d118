"""Grid construction and geodesic cell areas against closed-form oracles."""

from __future__ import annotations

import math

import numpy as np
import pytest
from odc.geo.geom import box
from pyproj import Geod

from scsmap.config import GridConfig
from scsmap.grid import boundary_mask, cell_area_ha, region_geobox


def test_global_snapping_and_resolution():
    gb = region_geobox(GridConfig(), box(20.45, 40.85, 23.04, 42.38, crs="EPSG:4326"))
    assert gb.resolution.x == pytest.approx(1 / 120, abs=1e-15)
    # pixel edges lie on multiples of 1/120 degree from the origin
    for edge in (gb.affine.c, gb.affine.f):
        assert abs(edge * 120 - round(edge * 120)) < 1e-6
    x0, y0, x1, y1 = gb.boundingbox
    assert x0 <= 20.45 and x1 >= 23.04 and y0 <= 40.85 and y1 >= 42.38


def test_cell_area_sums_to_wgs84_surface_area():
    # a global 1-degree grid covers the whole ellipsoid: 510,065,621.724 km2 (WGS84 surface area,
    # NIMA TR8350.2 table 3.5 lists the equal-area sphere radius 6371007.181 m -> 4*pi*R^2 = 5.10065622e14 m2)
    gb = region_geobox(GridConfig(resolution=1.0), box(-180, -90, 180, 90, crs="EPSG:4326"))
    assert gb.shape.yx == (180, 360)
    total_km2 = cell_area_ha(gb, (60, 90)).values.sum() / 100
    assert total_km2 == pytest.approx(4 * math.pi * 6371007.181**2 / 1e6, rel=1e-9)


@pytest.mark.parametrize("lat", [0.0, 41.5, 70.0])
def test_cell_area_geographic_matches_geodesic_polygon(lat):
    res = 1 / 120
    gb = region_geobox(GridConfig(resolution=res), box(10, lat, 10 + 3 * res, lat + 2 * res, crs="EPSG:4326"))
    area = cell_area_ha(gb, (64, 64)).values
    geod = Geod(ellps="WGS84")
    for row in range(area.shape[0]):
        t = gb.affine.f - row * res
        ref, _ = geod.polygon_area_perimeter([0, res, res, 0], [t - res, t - res, t, t])
        # geodesic edges bow away from the parallels by O(1e-9) of the area for 30" cells
        np.testing.assert_allclose(area[row], abs(ref) / 1e4, rtol=1e-8)
    if lat == 0.0:  # a 30" cell at the equator is about 85.5 ha
        assert area[0, 0] == pytest.approx(85.48, abs=0.01)


def test_cell_area_equal_area_projection_is_pixel_area():
    gb = region_geobox(GridConfig(crs="EPSG:6933", resolution=1000.0), box(20.5, 41.0, 21.0, 41.5, crs="EPSG:4326"))
    area = cell_area_ha(gb, (16, 16)).values
    # EASE-Grid 2.0 is equal-area: every 1 km x 1 km cell is 100 ha
    np.testing.assert_allclose(area, 100.0, rtol=1e-6)


def test_boundary_mask_area_matches_polygon():
    poly = box(20.0, 40.0, 21.0, 41.0, crs="EPSG:4326")
    gb = region_geobox(GridConfig(), box(19.9, 39.9, 21.1, 41.1, crs="EPSG:4326"))
    mask = boundary_mask(gb, poly, (37, 41)).values
    area = cell_area_ha(gb, (37, 41)).values
    # the box is bounded by parallels: densify its edges so that geodesic segments follow them
    t = np.linspace(0, 1, 2001)
    lons = np.concatenate([20 + t, np.full_like(t, 21), 21 - t, np.full_like(t, 20)])
    lats = np.concatenate([np.full_like(t, 40), 40 + t, np.full_like(t, 41), 41 - t])
    geod_area, _ = Geod(ellps="WGS84").polygon_area_perimeter(lons, lats)
    assert (area * mask).sum() == pytest.approx(abs(geod_area) / 1e4, rel=1e-6)


def test_boundary_all_touched_counts_by_hand():
    # a box from 0.6 to 9.3 cells past the corner of cell (10, 5) on the global 1/120-degree grid
    r = 1 / 120
    x0, y0 = 20.0 + 10 * r, 40.0 + 5 * r
    poly = box(x0 + 0.6 * r, y0 + 0.6 * r, x0 + 9.3 * r, y0 + 9.3 * r, crs="EPSG:4326")
    gb = region_geobox(GridConfig(), box(20.0, 40.0, 20.0 + 30 * r, 40.0 + 20 * r, crs="EPSG:4326"))
    centre = boundary_mask(gb, poly, (8, 8)).values
    touched = boundary_mask(gb, poly, (8, 8), all_touched=True).values
    # centres inside: cells 11..18 whose centre (k + 0.5) lies in (0.6, 9.3) -> k = 1..8: 8 per axis
    assert centre.sum() == 8 * 8
    # touched: cells 10..19 (k = 0..9, 10 per axis)
    assert touched.sum() == 10 * 10
    assert (touched | centre).sum() == touched.sum()  # all touched keeps every centre-inside cell
