"""The route book on synthetic stretches: what a stretch follows, gaps absorbed, ends named."""

import geopandas as gpd
import numpy as np
import pytest
import shapely

from pipeline import routebook
from pipeline.costbook import ROW_KINDS

RAIL, ROAD = ROW_KINDS["railway"], ROW_KINDS["major_road"]


def _ivs(*parts):
    """Intervals (km_start, km_end, method, country, usd_per_km, row bits) from (km, ...)."""
    out, at = [], 0.0
    for km, method, country, bits in parts:
        out.append((at, at + km, method, country, 1000.0, bits))
        at += km
    return out


def _gap(km, bits=0):
    return (km, "buried_flat", "KZ", bits)


RAILWAY = (50.0, "buried_row", "KZ", RAIL)
MORE_RAILWAY = (40.0, "buried_row", "KZ", RAIL)


def test_a_short_gap_does_not_split_a_stretch_and_a_long_one_does():
    ivs = _ivs(RAILWAY, _gap(2.0), MORE_RAILWAY)
    (one,) = routebook.stretches(ivs, gap_km=5.0)
    assert one["follows"] == "railway" and (one["km_start"], one["km_end"]) == (0.0, 92.0)
    assert one["method_km"] == pytest.approx({"buried_row": 90.0, "buried_flat": 2.0})
    assert one["cost_usd"] == pytest.approx(92_000.0)
    split = routebook.stretches(ivs, gap_km=1.0)
    assert [s["follows"] for s in split] == ["railway", "cross-country", "railway"]
    assert [(s["km_start"], s["km_end"]) for s in split] == [(0, 50), (50, 52), (52, 92)]


def test_a_border_or_a_shore_always_splits_and_short_stubs_join_their_neighbour():
    ivs = _ivs(
        (0.8, "buried_flat", "KZ", 0),  # a stub at the origin: joins the railway
        RAILWAY,
        (1.0, "buried_row", "TM", RAIL),  # short, but another country: its own stretch
        (30.0, "buried_row", "TM", ROAD),
        (3.0, "submarine", "sea", 0),
        (20.0, "buried_flat", "IR", 0),
    )
    st = routebook.stretches(ivs, gap_km=5.0)
    assert [(s["country"], s["follows"]) for s in st] == [
        ("KZ", "railway"),
        ("TM", "motorway/trunk/primary road"),
        ("sea", "submarine"),
        ("IR", "cross-country"),
    ]
    assert st[0]["km_start"] == 0.0 and st[-1]["km_end"] == pytest.approx(104.8)
    assert sum(s["km_end"] - s["km_start"] for s in st) == pytest.approx(104.8)


def test_what_a_stretch_follows():
    assert routebook.follows("buried_row", RAIL | ROAD) == "railway"
    assert routebook.follows("buried_row", ROW_KINDS["road"]) == "secondary road"
    assert routebook.follows("buried_hilly", ROW_KINDS["pipeline"]) == "pipeline"
    assert routebook.follows("buried_mountain", 0) == "cross-country"
    assert routebook.follows("hdd", RAIL) == "drilled crossing"
    assert routebook.follows("submarine", 0) == "submarine"


def _gdf(rows):
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:3857")


def test_a_book_names_its_ends_and_covers_the_route():
    km = 1000.0
    line = shapely.LineString([(0, 0), (92 * km, 0), (150 * km, 0)])
    vkm = np.array([0.0, 92.0, 150.0])
    ivs = _ivs(RAILWAY, _gap(2.0), MORE_RAILWAY, (58.0, "buried_row", "TM", ROAD))
    border = {
        "kind": "border",
        "name": "KZ→TM",
        "gateway": "Gate (KZ–TM)",
        "gateway_status": "planned",
        "km_from_origin": 92.0,
    }
    route = routebook.Route(
        route_id="r",
        scenario="s",
        line=line,
        vkm=vkm,
        gkm=vkm * 1.001,  # geodesic km a little longer than the router's
        crossings=[border],
        sites=[{"site_type": "ILA", "km_from_origin": 80.0, "nearest_settlement": "Mid"}],
    )
    stations = _gdf(
        [
            {"name": "Far Station", "geometry": shapely.Point(0, 30 * km)},
            {"name": "Km Post", "geometry": shapely.Point(20 * km, 1 * km)},
            {"name": "Late", "geometry": shapely.Point(80 * km, 2 * km)},
            {"name": "Abeam", "geometry": shapely.Point(120 * km, 3 * km)},
            {"name": "Last", "geometry": shapely.Point(140 * km, -1 * km)},
        ]
    )
    places = routebook.Places(stations=stations.iloc[:1], everything=stations, within_m=10 * km)
    ends = routebook.Ends(
        origin="Origin",
        destination="Station",
        borders=[(92.0, "Gate (KZ–TM)", shapely.Point(92 * km, 2 * km))],
        tolerance_km=5.0,
    )
    rows = routebook.book(route, ivs, ends=ends, places=places, gap_km=5.0)
    assert [r["follows"] for r in rows] == ["railway", "motorway/trunk/primary road"]
    assert [(r["from_place"], r["to_place"]) for r in rows] == [
        ("Origin", "Gate (KZ–TM)"),
        ("Gate (KZ–TM)", "Station"),
    ]
    assert rows[0]["to_place_km"] == pytest.approx(2.0)  # the gateway's distance from the line
    assert sum(r["length_km"] for r in rows) == pytest.approx(150.15)  # geodesic km
    assert "border KZ→TM at Gate (KZ–TM) (planned)" in rows[1]["crossings"]
    assert rows[0]["sites"] == "ILA km 80.1 (near Mid)"
    assert rows[0]["geometry"].length == pytest.approx(92 * km)
    # without the route's ends and the border: the first and last place along each stretch
    middle = routebook.Ends(origin="Origin", destination="Station", borders=[], tolerance_km=5.0)
    town = _gdf([{"name": "Town", "geometry": shapely.Point(30 * km, 0.5 * km)}])
    every = gpd.GeoDataFrame(gpd.pd.concat([stations, town], ignore_index=True), crs=stations.crs)
    rows = routebook.book(
        route,
        ivs,
        ends=middle,
        places=routebook.Places(stations=stations, everything=every, within_m=10 * km),
        gap_km=5.0,
    )
    assert rows[0]["to_place"] == "Late"  # along a railway: its last station, not Town
    assert (rows[1]["from_place"], rows[1]["to_place"]) == ("Abeam", "Station")  # its end
    assert rows[1]["from_place_km"] == pytest.approx(3.0)
    assert rows[1]["from_place_at_km"] == pytest.approx(120 * 1.001)
    # no station in reach of the railway: any place; a single one names only its nearer end
    rows = routebook.book(
        route,
        ivs,
        ends=middle,
        places=routebook.Places(
            stations=stations.iloc[:1], everything=every.iloc[[0, 5]], within_m=10 * km
        ),
        gap_km=5.0,
    )
    assert list(every.iloc[[0, 5]]["name"]) == ["Far Station", "Town"]
    assert rows[0]["to_place"] == "" and np.isnan(rows[0]["to_place_km"])  # Town is at km 30


def test_a_single_place_names_both_ends_of_a_short_stretch_and_one_end_of_a_long_one():
    km = 1000.0
    town = _gdf([{"name": "Town", "geometry": shapely.Point(6 * km, 2 * km)}])
    places = routebook.Places(stations=town.iloc[:0], everything=town, within_m=10 * km)
    short = shapely.LineString([(0, 0), (12 * km, 0)])
    start, end = routebook.first_and_last(short, "cross-country", places)
    assert start[1] == end[1] == "Town"
    long = shapely.LineString([(0, 0), (100 * km, 0)])
    start, end = routebook.first_and_last(long, "cross-country", places)
    assert start[1] == "Town" and end is None


def test_an_end_with_nothing_in_reach_takes_a_town_within_the_towns_reach():
    km = 1000.0
    town = _gdf([{"name": "Base", "geometry": shapely.Point(100 * km, 30 * km)}])
    line = shapely.LineString([(0, 0), (100 * km, 0)])
    places = routebook.Places(stations=town.iloc[:0], everything=town, within_m=10 * km)
    assert routebook.first_and_last(line, "cross-country", places) == (None, None)
    places = routebook.Places(
        stations=town.iloc[:0], everything=town, within_m=10 * km, towns=town, town_m=50 * km
    )
    start, end = routebook.first_and_last(line, "cross-country", places)
    assert start is None and end == (1.0, "Base", pytest.approx(30 * km))
