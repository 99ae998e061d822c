"""Score-stage rules on tiny synthetic routes: crossings, km by country, shared risk, water."""

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine

from pipeline import io, report, score
from pipeline.config import CostConfig
from pipeline.cost import water_bodies
from pipeline.errors import GridMismatchError

C = CostConfig()


def _row(n: int, row: int = 5, col0: int = 0) -> np.ndarray:
    return np.column_stack([np.full(n, row), np.arange(col0, col0 + n)])


def test_river_crossings_closer_than_the_merge_distance_are_one():
    line = shapely.LineString([(0, 0), (10_000, 0)])
    rivers = gpd.GeoDataFrame(
        {"name": ["Ural", "Ural", None]},
        geometry=[
            shapely.LineString([(2000, -500), (2000, 500)]),
            shapely.LineString([(2600, -500), (2600, 500)]),  # a meander 600 m on: same bore
            shapely.LineString([(8000, -500), (8000, 500)]),
        ],
    )
    hits = score.river_crossings(line, rivers, merge_m=1000)
    assert [h["name"] for h in hits] == ["Ural", "unnamed river"]
    assert [h["geometry"].x for h in hits] == [2000, 8000]


def test_km_by_country_splits_each_step_between_its_cells_in_entry_order():
    cells = _row(5)
    labels = np.array(["KZ", "KZ", "TM", "TM", "TM"])
    inv = np.ones((10, 10))
    assert score.km_by_country(cells, labels, inv, 2.5) == [
        ("KZ", pytest.approx(3.75)),
        ("TM", pytest.approx(6.25)),
    ]


def test_row_share_counts_steps_with_both_cells_on_a_right_of_way():
    cells = _row(5)
    row_km = np.full((10, 10), 50.0)
    row_km[5, 1:3] = 1.0  # one step of four on the ROW: cells 1 and 2
    assert score.row_share(cells, row_km, np.ones((10, 10)), C, 2.5) == pytest.approx(0.25)


def test_shared_risk_measures_the_later_route_near_the_earlier(small_grid):
    a, b = _row(30, row=10, col0=5), _row(30, row=12, col0=5)  # 5 km apart
    b[20:, 0] = 30  # b leaves a after 15 cells
    group = gpd.GeoDataFrame(
        {"route_id": ["s:o>d#1", "s:o>d#2"], "alternative": [1, 2], "scenario": "s"},
        geometry=[shapely.LineString([(0, 0), (1, 1)])] * 2,
    )
    crossings = gpd.GeoDataFrame(
        {"route_id": [], "kind": [], "name": [], "scenario": []}, geometry=[]
    )
    segs, points, shared = score.shared_risk(
        group,
        {"s:o>d#1": a, "s:o>d#2": b},
        crossings,
        [(10, 5), (10, 34)],
        np.ones(small_grid.shape),
        small_grid,
        separation_km=10.0,
        endpoint_radius_km=0.1,
    )
    assert shared["s:o>d#1"]["s:o>d#2"] == pytest.approx(19 * 2.5)  # cells 0..19 of b
    assert len(segs) == 1 and segs[0]["route_a"] == "s:o>d#2" and not points


def test_the_caspian_and_the_gulf_are_told_apart(small_grid):
    water = np.zeros(small_grid.shape, np.uint8)
    water[:, :10] = 2  # a sea in the west
    water[:, 30:] = 2  # another in the east, not connected
    x0, y0 = small_grid.xy(0, 0)
    x1, y1 = small_grid.xy(49, 5)
    x2, _ = small_grid.xy(0, 35)
    named = gpd.GeoDataFrame(
        {"name": ["Caspian Sea", "Persian Gulf"]},
        geometry=[shapely.box(x0, y1, x1, y0), shapely.box(x2, y1, x2 + 5000, y0)],
        crs=small_grid.crs,
    )
    labels, names = water_bodies(water, named, small_grid)
    assert names["Caspian Sea"] != names["Persian Gulf"]
    assert (labels[:, :10] == names["Caspian Sea"]).all()
    assert (labels[:, 30:] == names["Persian Gulf"]).all()


def test_check_on_grid_refuses_another_transform_or_shape(small_grid, tmp_path):
    io.check_on_grid("ok.tif", small_grid.crs, small_grid.transform, small_grid.shape, small_grid)
    moved = small_grid.transform * Affine.translation(1, 0)
    with pytest.raises(GridMismatchError, match="x.tif: transform"):
        io.check_on_grid("x.tif", small_grid.crs, moved, small_grid.shape, small_grid)
    with pytest.raises(GridMismatchError, match="shape"):
        io.check_on_grid("x.tif", small_grid.crs, small_grid.transform, (1, 1), small_grid)


def test_the_change_report_measures_a_moved_route_in_km():
    old = shapely.LineString([(60.0, 40.0), (61.0, 40.0)])
    new = shapely.LineString([(60.0, 40.1), (61.0, 40.1)])  # 0.1° of latitude north
    assert report.moved_km(old.wkt, new) == pytest.approx(11.06, abs=0.05)


def test_transit_countries_leave_out_the_origins_and_the_destinations():
    per_country = [("RU", 1000.0), ("KZ", 1200.0), ("sea", 300.0), ("TM", 700.0), ("IR", 1300.0)]
    assert score.transit_countries(per_country) == [("KZ", 1200.0), ("TM", 700.0)]
    assert score.transit_countries([("RU", 10.0), ("KZ", 5.0)]) == []


def test_row_share_by_kind_and_by_country():
    from pipeline.cost import ROW_CLASSES

    cells = _row(5)
    kinds = np.zeros((10, 10), np.uint8)
    kinds[5, 0:3] = ROW_CLASSES["railway"]  # cells 0-2: two steps along the railway
    kinds[5, 2:5] |= ROW_CLASSES["road"]  # cells 2-4: two steps along a road
    inv = np.ones((10, 10))
    rail = score.row_share_of(cells, kinds[5, :5] & 1 > 0, inv, 2.5)
    road = score.row_share_of(cells, kinds[5, :5] & 2 > 0, inv, 2.5)
    assert (rail, road) == (pytest.approx(0.5), pytest.approx(0.5))
    labels = np.array(["KZ", "KZ", "KZ", "TM", "TM"])
    off = np.array([True, True, False, False, False])
    by = score._share_by_label(cells, labels, inv, off, 2.5)
    assert by == {"KZ": pytest.approx(2.5 / 6.25), "TM": pytest.approx(0.0)}
