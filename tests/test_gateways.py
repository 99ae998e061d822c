"""Border gateways built from the data and the config's list, on a two-country toy."""

import logging

import geopandas as gpd
import numpy as np
import pytest
import shapely

from pipeline import gateways
from pipeline.config import GatewaysConfig

CRS = "EPSG:3857"
KM = 1000.0


def _gdf(rows):
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)


@pytest.fixture
def layers():
    box = shapely.box
    return {
        "countries": _gdf(
            [
                {"iso_a2": "KZ", "geometry": box(0, 0, 100 * KM, 100 * KM)},
                {"iso_a2": "TM", "geometry": box(100 * KM, 0, 200 * KM, 100 * KM)},
            ]
        ),
        "railways": _gdf(
            [
                {
                    "fclass": "rail",
                    "geometry": shapely.LineString([(50 * KM, 50 * KM), (150 * KM, 50 * KM)]),
                }
            ]
        ),
        "roads": _gdf(
            [
                {
                    "class": "primary",
                    "geometry": shapely.LineString([(90 * KM, 53 * KM), (110 * KM, 53 * KM)]),
                },
                {
                    "class": "trunk",
                    "geometry": shapely.LineString([(90 * KM, 80 * KM), (110 * KM, 80 * KM)]),
                },
                {
                    "class": "secondary",
                    "geometry": shapely.LineString([(90 * KM, 5 * KM), (110 * KM, 5 * KM)]),
                },
            ]
        ),
        "border_controls": _gdf(
            [{"name": "Post 20", "geometry": shapely.Point(100.5 * KM, 20 * KM)}]
        ),
        "railway_stations": _gdf(
            [{"name": "Serhetyaka", "geometry": shapely.Point(103 * KM, 50 * KM)}]
        ),
        "places": _gdf([{"name": "Townsville", "geometry": shapely.Point(95 * KM, 75 * KM)}]),
    }


def test_gateways_come_from_crossings_posts_and_the_list(layers, caplog):
    listed = _gdf(  # the one left out comes first: the others keep their own names
        [
            {
                "name": "Far away",
                "kind": "fiber_link",
                "source": "x",
                "geometry": shapely.Point(150 * KM, 50 * KM),
            },
            {
                "name": "Link 80",
                "kind": "fiber_link",
                "source": "Operator 2018",
                "geometry": shapely.Point(99 * KM, 80 * KM),
            },
        ]
    )
    with caplog.at_level(logging.WARNING):
        gw = gateways.build(layers, listed, GatewaysConfig())
    assert "'Far away'" in caplog.text
    by_y = {round(g.geometry.y / KM): g for _, g in gw.iterrows()}
    assert sorted(by_y) == [20, 50, 80]  # the secondary road at y=5 is no gateway
    rail = by_y[50]
    assert rail["kind"] == "rail" and rail["kinds"] == "rail,road"  # the road 3 km off merged
    assert rail["name"] == "KZ–TM rail near Serhetyaka"
    assert by_y[80]["name"] == "Link 80 (KZ–TM)" and by_y[80]["kind"] == "fiber_link"
    assert "Operator 2018" in by_y[80]["source"]
    assert by_y[20]["kind"] == "checkpoint" and by_y[20]["geometry"].x == pytest.approx(100 * KM)
    assert list(gw["gateway_id"]) == list(range(1, len(gw) + 1))


def test_gate_cells_surround_each_gateway(layers, small_grid):
    x, y = small_grid.xy(20, 20)
    gw = _gdf([{"gateway_id": 7, "geometry": shapely.Point(x, y)}]).set_crs(
        small_grid.crs.to_wkt(), allow_override=True
    )
    gate = gateways.gate_raster(gw, small_grid, np.ones(small_grid.shape), radius_km=6.0)
    assert gate[20, 20] == 7 and gate[20, 22] == 7 and gate[20, 23] == 0  # 6 km = 2.4 cells
    small = gateways.gate_raster(gw, small_grid, np.ones(small_grid.shape), radius_km=0.1)
    assert (small == 7).sum() == 9  # never less than the gateway's cell and its neighbours


def _none():
    return gpd.GeoDataFrame({"name": []}, geometry=[], crs=CRS)


def _line(y_km: float, **attrs):
    return {**attrs, "geometry": shapely.LineString([(90 * KM, y_km * KM), (110 * KM, y_km * KM)])}


def test_a_generalised_crossing_is_confirmed_by_a_detailed_road_or_dropped(layers, caplog):
    layers = {
        **layers,
        "railways": _gdf(
            [_line(50, fclass="rail", source="naturalearth")]  # 4 km from the OSM road
        ),
        "roads": _gdf(
            [
                _line(54, **{"class": "primary", "source": "osm_2021"}),
                _line(80, **{"class": "major", "source": "naturalearth"}),  # nothing near
            ]
        ),
        "border_controls": _none(),
    }
    with caplog.at_level(logging.INFO, logger="pipeline.gateways"):
        gw = gateways.build(layers, _none(), GatewaysConfig())
    assert len(gw) == 1  # the Natural Earth road at y=80 confirmed by nothing: dropped
    (g,) = gw.itertuples()
    assert (g.geometry.x, g.geometry.y) == pytest.approx((100 * KM, 54 * KM))  # moved there
    assert g.kinds == "rail,road" and "confirmed by OpenStreetMap roads 4.0 km away" in g.source
    assert "2 candidates from generalised lines" in caplog.text
    assert "1 confirmed" in caplog.text and "1 dropped" in caplog.text
    # beyond confirm_km the railway is dropped too
    gw = gateways.build(layers, _none(), GatewaysConfig(confirm_km=3.0))
    assert list(gw["kinds"]) == ["road"]


def test_a_gateway_is_never_named_after_a_kilometre_post(layers):
    layers = {
        **layers,
        "border_controls": layers["border_controls"].iloc[:0],
        "railway_stations": _gdf(
            [
                {"name": "1177 км", "geometry": shapely.Point(100.5 * KM, 50 * KM)},
                {"name": "Rzd. No 48", "geometry": shapely.Point(101 * KM, 50 * KM)},
                {"name": "Beineu", "geometry": shapely.Point(104 * KM, 50 * KM)},
                {"name": "Far Halt", "geometry": shapely.Point(100 * KM, 1 * KM)},
            ]
        ),
    }
    gw = gateways.build(layers, _none(), GatewaysConfig())
    by_y = {round(g.geometry.y / KM): g for _, g in gw.iterrows()}
    assert by_y[50]["name"] == "KZ–TM rail near Beineu" and by_y[50]["name_km"] == 4.0
    # nothing of OSM within name_km (15 km): the Natural Earth place, with its distance
    assert by_y[80]["name"] == "KZ–TM road near Townsville"  # 7 km: no OSM name near
    gw = gateways.build(layers, _none(), GatewaysConfig(name_km=5.0))
    by_y = {round(g.geometry.y / KM): g for _, g in gw.iterrows()}
    assert by_y[80]["name"] == "KZ–TM road near Townsville (7 km)"  # beyond name_km: said
    assert gw["status"].eq("in_service").all()
