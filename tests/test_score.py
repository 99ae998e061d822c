"""Score-stage rules on tiny synthetic routes: crossings, km by country, shared risk, water."""

import dataclasses

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine

from pipeline import io, pricing, report, score
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
    hits = pricing.line_crossings(line, rivers, "river", merge_m=1000)
    assert [h["name"] for h in hits] == ["Ural", "unnamed river"]
    assert [h["geometry"].x for h in hits] == [2000, 8000]


def test_km_by_country_splits_each_step_between_its_cells_in_entry_order():
    cells = _row(5)
    labels = np.array(["KZ", "KZ", "TM", "TM", "TM"])
    inv = np.ones((10, 10))
    assert pricing.km_by_country(cells, labels, inv, step_km=2.5) == [
        ("KZ", pytest.approx(3.75)),
        ("TM", pytest.approx(6.25)),
    ]


def test_row_share_counts_steps_with_both_cells_on_a_right_of_way():
    cells = _row(5)
    row_km = np.full((10, 10), 50.0)
    row_km[5, 1:3] = 1.0  # one step of four on the ROW: cells 1 and 2
    assert score.row_share(cells, row_km, np.ones((10, 10)), c=C, step_km=2.5) == pytest.approx(
        0.25
    )


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
        keep_clear=[(10, 5), (10, 34)],
        inv=np.ones(small_grid.shape),
        grid=small_grid,
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
    io.check_on_grid(
        "ok.tif", small_grid.crs, small_grid.transform, shape=small_grid.shape, grid=small_grid
    )
    moved = small_grid.transform * Affine.translation(1, 0)
    with pytest.raises(GridMismatchError, match="x.tif: transform"):
        io.check_on_grid("x.tif", small_grid.crs, moved, shape=small_grid.shape, grid=small_grid)
    with pytest.raises(GridMismatchError, match="shape"):
        io.check_on_grid(
            "x.tif", small_grid.crs, small_grid.transform, shape=(1, 1), grid=small_grid
        )


def test_the_change_report_measures_a_moved_route_in_km():
    old = shapely.LineString([(60.0, 40.0), (61.0, 40.0)])
    new = shapely.LineString([(60.0, 40.1), (61.0, 40.1)])  # 0.1° of latitude north
    assert report.moved_km(old.wkt, new) == pytest.approx(11.06, abs=0.05)


def test_transit_countries_leave_out_the_origins_and_the_destinations():
    per_country = [("RU", 1000.0), ("KZ", 1200.0), ("sea", 300.0), ("TM", 700.0), ("IR", 1300.0)]
    assert pricing.transit_countries(per_country) == [("KZ", 1200.0), ("TM", 700.0)]
    assert pricing.transit_countries([("RU", 10.0), ("KZ", 5.0)]) == []


def test_row_share_by_kind_and_by_country():
    from test_economics import _surface

    from pipeline.costbook import ROW_KINDS

    cells = _row(5)
    kinds = np.zeros((10, 10), np.uint8)
    kinds[5, 0:3] = ROW_KINDS["railway"]  # cells 0-2: two steps along the railway
    kinds[5, 2:4] |= ROW_KINDS["major_road"]  # cells 2-4: two steps along roads of two classes
    kinds[5, 4] = ROW_KINDS["road"]
    labels = np.array(["KZ", "KZ", "KZ", "TM", "TM"])
    ras = _surface((10, 10), row_classes=kinds)
    shares = score._row_by_kind(cells, labels, ras, step_km=2.5)
    assert shares["row_share_railway"] == pytest.approx(0.5)
    assert shares["row_share_road"] == pytest.approx(0.5)
    assert shares["row_share_pipeline"] == 0.0
    assert shares["row_share_by_country"] == "KZ 1.00; TM 1.00"
    inv = np.ones((10, 10))
    labels = np.array(["KZ", "KZ", "KZ", "TM", "TM"])
    off = np.array([True, True, False, False, False])
    by = score._share_by_label(cells, labels, inv, on=off, step_km=2.5)
    assert by == {"KZ": pytest.approx(2.5 / 6.25), "TM": pytest.approx(0.0)}


def test_a_fault_is_counted_and_priced_once_where_the_route_zigzags_over_it():
    from test_economics import COUNTS, C, S, _surface

    from pipeline import economics

    # cells along row 5; the line wobbles across a north-south fault at x = 100 km three times
    cells = _row(81, col0=2)
    xy = np.column_stack([cells[:, 1] * 2500.0 + 1250.0, -(cells[:, 0] * 2500.0 + 1250.0)])
    xy[39:42, 0] = [99_000.0, 101_000.0, 99_500.0]
    line = shapely.LineString([xy[0], *xy, xy[-1]])
    faults = gpd.GeoDataFrame(
        {"name": ["Test Fault", "Far Fault"], "slip_type": ["Dextral", "Reverse"]},
        geometry=[
            shapely.LineString([(100_000, -50_000), (100_000, 0)]),
            shapely.LineString([(900_000, -50_000), (900_000, 0)]),  # not crossed
        ],
    )
    hits = pricing.line_crossings(line, faults, "fault", merge_m=5000, extra=("slip_type",))
    assert [(h["name"], h["slip_type"]) for h in hits] == [("Test Fault", "Dextral")]
    parts = economics.route_parts(
        line,
        cells,
        _surface((10, 90)),
        c=C,
        river_km=[],
        counts={**COUNTS, "n_fault": len(hits)},
        cell_km=2.5,
    )
    bill = economics.price_route(parts, C, S)
    assert bill.fault_usd == pytest.approx(C.fault_crossing_usd)
    assert bill.total_usd == pytest.approx(bill.cable_usd + bill.fault_usd + bill.sites_usd)


def test_a_relaxed_protected_area_is_reported_with_where_and_what_it_costs(small_grid):
    from test_economics import _surface

    cells = _row(5)
    protected = np.zeros((10, 10), np.int32)
    protected[5, 1:3] = 4
    ras = _surface((10, 10), protected_area=protected)
    ras = dataclasses.replace(ras, protected_names={4: "Kopet Dag (nature_reserve)"})
    km, names = score.protected_km(cells, ras, 2.5)
    assert km == pytest.approx(5.0) and names == ["Kopet Dag (nature_reserve)"]
    note = score._relaxed(
        {"diverse": True, "protected_relaxed": True},
        [],
        0.0,
        grid=small_grid,
        in_protected_km=km,
        protected_names=names,
    )
    assert "protected areas as a barrier: 5.0 km through Kopet Dag" in note
    kept = {"diverse": True, "protected_relaxed": False}
    assert (
        score._relaxed(kept, [], 0.0, grid=small_grid, in_protected_km=0.0, protected_names=[])
        == ""
    )


def test_a_border_crossing_says_the_status_of_the_gateway_it_relies_on(small_grid):
    import pandas as pd

    country = np.zeros(small_grid.shape, dtype=np.int32)
    country[:, :10] = 1
    country[:, 10:] = 2
    gate = np.zeros(small_grid.shape, dtype=np.int32)
    gate[5, 10] = 7
    gateways = pd.DataFrame(
        {"gateway_id": [7], "name": ["Link (KZ–TM)"], "kind": ["fiber_link"], "status": ["planned"]}
    )
    cells = np.array([[5, 9], [5, 10], [5, 11]])
    crossings = pricing.border_crossings(
        cells, country, ["KZ", "TM"], grid=small_grid, gate=gate, gateways=gateways
    )
    assert [(c["gateway"], c["gateway_status"]) for c in crossings] == [("Link (KZ–TM)", "planned")]
    off = {
        **crossings[0],
        "name": "TM→IR",
        "gateway": "",
        "gateway_status": "",
        "off_gateway": True,
    }
    fields = score._border_fields([*crossings, off], 1)
    assert fields["border_crossings"] == "KZ→TM at Link (KZ–TM) (planned); TM→IR at no gateway"
    # a planned link at a crossing that is in service (a road's, merged into the gateway)
    gateways["statuses"] = ["in_service,planned"]
    (crossing,) = pricing.border_crossings(
        cells, country, ["KZ", "TM"], grid=small_grid, gate=gate, gateways=gateways
    )
    assert score._border_fields([crossing], 0)["border_crossings"] == (
        "KZ→TM at Link (KZ–TM) (planned; the railway or road crossing in service)"
    )
