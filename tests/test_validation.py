"""Routes against a known corridor: km per country between its ends, and the deviation."""

import numpy as np
import pytest
import shapely
from test_economics import COUNTS, C, _surface

from pipeline import validation
from pipeline.config import ReferenceCorridor


def _straight(n=81):
    from pipeline import economics

    cells = np.column_stack([np.full(n, 5), np.arange(2, 2 + n)])
    xy = np.column_stack([cells[:, 1] * 2500.0 + 1250.0, -(cells[:, 0] * 2500.0 + 1250.0)])
    line = shapely.LineString([xy[0], *xy, xy[-1]])
    country = np.ones((10, 90), np.int16)
    country[:, 40:] = 2
    surface = _surface((10, 90), codes=("KZ", "TM"), country_id=country)
    parts = economics.route_parts(
        line, cells, surface, c=C, river_km=[], counts=COUNTS, cell_km=2.5
    )
    vkm = economics.vertex_km(line, cells, surface.inv_scale, cell_km=2.5)
    return line, parts, vkm


def _ref(start: str, end: str, km: dict) -> ReferenceCorridor:
    """A reference corridor (the ends are given in CRS metres to ``check`` directly)."""
    return ReferenceCorridor(
        name="Test railway",
        start_name=start,
        start_lon_deg=0,
        start_lat_deg=0,
        end_name=end,
        end_lon_deg=0,
        end_lat_deg=0,
        km_by_country=km,
        total_km=(140, 160),
        source="test",
    )


def test_a_route_along_a_railway_is_measured_between_the_corridors_ends():
    line, parts, vkm = _straight()
    coords = np.asarray(line.coords)
    ref = _ref("A", "B", {"KZ": (90, 100), "TM": (60, 70)})
    ends = [tuple(coords[5]), tuple(coords[65])]  # 10 km and 160 km from the origin
    rail = shapely.LineString([(0, coords[0, 1] - 500), (300_000, coords[0, 1] - 500)])
    rows = validation.check(
        "r#1",
        line,
        vkm,
        parts=parts,
        ref=ref,
        ends_xy=ends,
        railways=(shapely.STRtree([rail]), np.array([rail])),
        max_offset_km=5.0,
    )
    by = {r["country"]: r for r in rows}
    # the border falls mid-step between cells 37 and 38: km 93.75
    assert by["KZ"]["route_km"] == pytest.approx(93.75 - 10)
    assert by["TM"]["route_km"] == pytest.approx(160 - 93.75)
    assert by["total"]["route_km"] == pytest.approx(150) and by["total"]["agrees"]
    assert not by["KZ"]["agrees"] and by["TM"]["agrees"]
    assert by["KZ"]["deviation_km"] == pytest.approx(0.5)  # the railway runs 500 m beside it


def test_a_route_that_misses_an_end_is_not_measured_but_says_how_far_it_passes():
    line, parts, vkm = _straight()
    coords = np.asarray(line.coords)
    far = (coords[5, 0], coords[5, 1] + 50_000)
    gaps = validation.stretch(coords, vkm, [far, tuple(coords[65])], max_offset_m=30_000)
    assert gaps == [pytest.approx(50_000), 0.0]
    ref = _ref("Uzen", "Gorgan", {"KZ": (90, 100)})
    rail = shapely.LineString([(0, 0), (1, 1)])
    (row,) = validation.check(
        "r#1",
        line,
        vkm,
        parts=parts,
        ref=ref,
        ends_xy=[far, tuple(coords[65])],
        railways=(shapely.STRtree([rail]), np.array([rail])),
        max_offset_km=30.0,
    )
    assert (
        row["note"]
        == "not beside it: passes 50 km from Uzen, 0 km from Gorgan (checked within 30 km)"
    )
    assert not row["agrees"]
