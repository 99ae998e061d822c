"""The onward stage on tiny synthetic cable networks."""

import geopandas as gpd
import pyogrio
import pytest
import shapely

from pipeline import cables, geometry, onward
from pipeline.config import Chokepoint, Hub, OnwardConfig
from pipeline.errors import ConfigError

GI = 1.4682


def stations(**pts):
    """Stations by id: (lon, lat, country)."""
    return gpd.GeoDataFrame(
        {
            "station_id": list(pts),
            "name": list(pts),
            "country": [c for _, _, c in pts.values()],
        },
        geometry=[shapely.Point(x, y) for x, y, _ in pts.values()],
        crs=4326,
    )


def cable_frame(*recs):
    rows = [
        {
            "cable_id": r["id"],
            "name": r["id"].upper(),
            "rfs_year": r.get("rfs", 2010),
            "is_planned": r.get("planned", False),
            "owners": "o",
            "length_km": None,
            "landing_ids": ",".join(r["serves"]),
            "geometry": shapely.MultiLineString(r["lines"]),
        }
        for r in recs
    ]
    if not rows:
        cols = ["cable_id", "name", "rfs_year", "is_planned", "owners", "landing_ids"]
        return gpd.GeoDataFrame({k: [] for k in cols}, geometry=[], crs=4326)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)


def km(a, b):
    return float(cables.geod_km(a, b))


def test_a_cable_passing_a_station_it_does_not_serve_connects_nothing_there():
    st = stations(a=(50, 20, "X"), b=(52, 20, "Y"), c=(54, 20, "Z"))
    net, stats = cables.build_network(
        cable_frame({"id": "ab", "serves": ["a", "c"], "lines": [[(50, 20), (52, 20), (54, 20)]]}),
        st,
        OnwardConfig(metro_hop_km=0),
    )
    dist, _ = net.paths_from("a")
    along = km((50, 20), (52, 20)) + km((52, 20), (54, 20))
    assert dist[net.index["c"]] == pytest.approx(along, rel=1e-9)
    assert dist[net.index["b"]] == float("inf")  # the line passes b, the cable does not serve it
    assert stats["unsnapped"] == []


def test_branches_drawn_as_separate_lines_are_joined_and_lengths_follow_the_line():
    st = stations(a=(50, 20, "X"), b=(53, 23, "Y"), c=(56, 20, "Z"))
    trunk = [(50, 20), (53, 20), (56, 20)]
    branch = [(53.05, 20.0), (53, 23)]  # stops 5 km short of the trunk's vertex
    net, _ = cables.build_network(
        cable_frame({"id": "t", "serves": ["a", "b", "c"], "lines": [trunk, branch]}),
        st,
        OnwardConfig(metro_hop_km=0),
    )
    dist, pred = net.paths_from("a")
    along = km((50, 20), (53, 20)) + km((53, 20), (53.05, 20)) + km((53.05, 20), (53, 23))
    assert dist[net.index["b"]] == pytest.approx(along, rel=1e-9)
    (edge,) = net.edges_on(pred, "a", "b")
    assert edge.cable == "T" and geometry.GEOD.line_length(*edge.coords.T) / 1000 == pytest.approx(
        along, rel=1e-6
    )


def test_stations_of_one_metro_are_joined_by_a_hop_and_planned_cables_are_left_out():
    st = stations(
        a=(50, 20, "X"), k=(60, 20, "Y"), f=(60.3, 20, "Y"), m=(70, 20, "Z"), z=(80, 20, "Q")
    )
    net_cables = cable_frame(
        {"id": "ak", "serves": ["a", "k"], "lines": [[(50, 20), (60, 20)]]},
        {"id": "fm", "serves": ["f", "m"], "lines": [[(60.3, 20), (70, 20)]], "rfs": 2001},
        {"id": "mz", "serves": ["m", "z"], "lines": [[(70, 20), (80, 20)]], "planned": True},
    )
    c = OnwardConfig(metro_hop_km=50)
    net, stats = cables.build_network(net_cables, st, c)
    assert stats["planned_excluded"] == 1 and stats["hops"] == 1
    dist, pred = net.paths_from("a")
    hop = km((60, 20), (60.3, 20)) * c.terrestrial_detour_factor
    expected = km((50, 20), (60, 20)) + hop + km((60.3, 20), (70, 20))
    assert dist[net.index["m"]] == pytest.approx(expected, rel=1e-9)
    assert [e.cable for e in net.edges_on(pred, "a", "m")] == ["AK", cables.HOP, "FM"]
    assert dist[net.index["z"]] == float("inf")
    net2, _ = cables.build_network(
        net_cables, st, OnwardConfig(metro_hop_km=50, include_planned=True)
    )
    assert net2.paths_from("a")[0][net2.index["z"]] < float("inf")
    # nothing hops across a border, however close
    st.loc[st["station_id"] == "f", "country"] = "W"
    assert cables.build_network(net_cables, st, c)[1]["hops"] == 0


def _routes(station_slug, end):
    return gpd.GeoDataFrame(
        {
            "scenario": ["s", "s"],
            "origin": ["O", "O"],
            "destination": ["Station A", "Station A"],
            "destination_slug": [station_slug] * 2,
            "route_id": ["s:O>a#1", "s:O>a#2"],
            "alternative": [1, 2],
            "rank": [1, 2],
            "length_km": [km((50, 40), end), 1.2 * km((50, 40), end)],
        },
        geometry=[shapely.LineString([(50, 40), end])] * 2,
        crs=4326,
    )


def test_end_to_end_latency_incumbent_chokepoints_and_determinism():
    st = stations(a=(50, 20, "X"), h=(60, 10, "Y"), g=(40, 30, "Z"))
    net_cables = cable_frame(
        {"id": "ah", "serves": ["a", "h"], "lines": [[(50, 20), (60, 10)]], "rfs": 2006},
        {"id": "gh", "serves": ["g", "h"], "lines": [[(40, 30), (45, 15), (60, 10)]]},
    )
    c = OnwardConfig(
        hubs=[Hub(name="H", stations=["h"])],
        incumbent_gateway=Hub(name="G", stations=["g"]),
        metro_hop_km=0,
        chokepoints=[
            Chokepoint(name="Strait", polygon_lonlat=[(44, 14), (46, 14), (46, 16), (44, 16)])
        ],
    )
    net, _ = cables.build_network(net_cables, st, c)
    paths, hubs, missing = onward.onward_paths(_routes("a", (50, 20)), st, net, c=c, group_index=GI)
    assert missing == [] and list(hubs["role"]) == ["hub", "incumbent gateway"]
    (p,) = paths.itertuples()
    sea = km((50, 20), (60, 10))
    assert p.length_km == pytest.approx(km((50, 40), (50, 20)) + sea, rel=1e-9)
    assert p.latency_ms == pytest.approx(p.length_km * GI / 299_792.458 * 1000, rel=1e-12)
    assert p.latency_ms >= p.great_circle_latency_ms
    assert p.cables == "AH" and p.cable_rfs_years == "2006"
    today = (
        km((50, 40), (40, 30)) * c.terrestrial_detour_factor
        + km((40, 30), (45, 15))
        + km((45, 15), (60, 10))
    )
    assert p.incumbent_km == pytest.approx(today, rel=1e-9)
    assert p.incumbent_chokepoints == "Strait" and p.chokepoints == "" and p.avoids == "Strait"
    assert p.alternatives_latency_ms.startswith("2: ")
    again, _, _ = onward.onward_paths(_routes("a", (50, 20)), st, net, c=c, group_index=GI)
    assert again.drop(columns="geometry").equals(paths.drop(columns="geometry"))


def test_a_hub_naming_an_unknown_station_fails_with_close_names():
    st = stations(a=(50, 20, "X"), h=(60, 10, "Y"))
    c = OnwardConfig(hubs=[Hub(name="Mumbai", stations=["mumbay-india"])], metro_hop_km=0)
    st.loc[1, "station_id"] = "mumbai-india"
    net, _ = cables.build_network(cable_frame(), st, c)
    with pytest.raises(ConfigError, match="mumbay-india.*close: \\['mumbai-india'\\]"):
        onward.onward_paths(_routes("a", (50, 20)), st, net, c=c, group_index=GI)


def test_the_synthetic_world_reaches_its_hub_through_the_gulf_cable(tmp_path):
    import world

    from pipeline import cli

    cfg = world.build(tmp_path)
    assert cli.main(["--config", str(cfg), "all"]) == 0
    paths = pyogrio.read_dataframe(tmp_path / "out" / "corridor.gpkg", layer="onward_paths")
    assert set(paths["hub"]) == {"Oman Hub"}
    best = paths.sort_values("latency_ms").iloc[0]
    assert best["station"] == "South, Iran" and best["cables"] == "Gulf Cable"
    assert best["incumbent_cables"].split(", ") == ["Test Cable", "Gulf Cable"]
