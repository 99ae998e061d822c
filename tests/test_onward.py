"""The onward stage on tiny synthetic cable networks."""

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from pipeline import cables, geometry, measured, onward
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


def test_the_overhead_fit_states_its_form_value_and_spread():
    exact = measured.fit_overhead([100.0, 50.0], [150.0, 75.0], form="ratio")
    assert (exact.value, exact.low, exact.high, exact.n) == pytest.approx((1.5, 1.5, 1.5, 2))
    assert exact.spread == pytest.approx(1.0)
    assert exact.expected(80.0) == pytest.approx(120.0)
    mixed = measured.fit_overhead([100.0, 100.0, 40.0], [120.0, 180.0, np.nan], form="ratio")
    assert mixed.n == 2  # a pair without a figure is left out
    assert mixed.value == pytest.approx(np.sqrt(1.2 * 1.8))  # geometric mean of the ratios
    assert (mixed.low, mixed.high) == pytest.approx((1.2, 1.8))
    assert mixed.spread == pytest.approx(np.exp(np.std(np.log([1.2, 1.8]), ddof=1)))
    assert mixed.expected(50.0, "high") == pytest.approx(90.0)
    add = measured.fit_overhead([100.0, 40.0], [130.0, 50.0], form="additive")
    assert (add.value, add.low, add.high) == pytest.approx((20.0, 10.0, 30.0))
    assert add.spread == pytest.approx(np.std([30.0, 10.0], ddof=1))
    assert add.expected(60.0) == pytest.approx(80.0)
    one = measured.fit_overhead([100.0], [140.0], form="ratio")
    assert one.value == pytest.approx(1.4) and np.isnan(one.spread)
    assert measured.fit_overhead([], [], form="ratio") is None


def test_a_reference_stands_for_the_nearest_origin_within_the_match_distance():
    origins = {"Moscow": (37.6136, 55.7541), "Astana": (71.4278, 51.1811)}
    karaganda = (73.115, 49.885)  # 187 km from Astana
    assert measured.nearest_within(karaganda, origins, km=250) == "Astana"
    assert measured.nearest_within(karaganda, origins, km=150) is None
    assert measured.nearest_within(karaganda, {"Moscow": origins["Moscow"]}, km=250) is None


# The synthetic world with a second origin (an "Astana" at given coordinates), a competitor
# scenario to the coast station and three measured references: one from near the second origin
# (a "Karaganda", 152 km from it and 200 km from the first), one from the first origin, one
# from nowhere near either.
COMPETITOR_WORLD = {
    "  origins: [{{name: Origin City}}]\n": "  origins: [{{name: Origin City}}, "
    "{{name: Astana, lon_deg: 55.6, lat_deg: 41.2}}]\n",
    "    land: {{allowed_countries: [KZ, TM, IR]}}\n": "    land: {{allowed_countries: [KZ, TM, "
    "IR]}}\n    rival: {{allowed_countries: [KZ, TM, IR], stations: ['Coast, Iran'], "
    "alternatives: 1, cable: Test Cable, competitor: true}}\n",
}
REFERENCES = """\
  latency_references:
    - {{name: Karaganda to Oman, from_name: Karaganda, from_lon_deg: 56.5, from_lat_deg: 42.4,
        to_name: Oman, to_lon_deg: 58.6, to_lat_deg: 23.5, sea_to: [hub-oman], rtt_ms: 90,
        statistic: min, date: 2020-07-19, source: test}}
    - {{name: City to Oman, from_name: Origin City, from_lon_deg: 54.2, from_lat_deg: 41.8,
        to_name: Oman, to_lon_deg: 58.5, to_lat_deg: 23.6, sea_to: [hub-oman], rtt_ms: 70,
        statistic: min, date: 2020-07-19, source: test}}
    - {{name: Far to Oman, from_name: Far, from_lon_deg: 30.0, from_lat_deg: 50.0,
        to_name: Oman, to_lon_deg: 58.5, to_lat_deg: 23.6, sea_from: [coast-iran],
        sea_to: [hub-oman], rtt_ms: 120, statistic: p95, date: 2026-07, source: test}}
"""


def _competitor_world(tmp_path):
    import world

    world.build(tmp_path)
    text = world.CONFIG
    for old, new in COMPETITOR_WORLD.items():
        assert old in text
        text = text.replace(old, new)
    old = "  latency_references: []  # the defaults name stations of the real cable data\n"
    assert old in text
    text = text.replace(old, REFERENCES)
    cfg = tmp_path / "config.yaml"
    cfg.write_text(text.format(raw=tmp_path / "raw", out=tmp_path / "out"))
    return cfg


def test_measured_references_competitors_and_the_floor_on_the_synthetic_world(tmp_path):
    from pipeline import cli

    cfg = _competitor_world(tmp_path)
    assert cli.main(["--config", str(cfg), "all"]) == 0
    gpkg = tmp_path / "out" / "corridor.gpkg"

    def read(layer):
        return pyogrio.read_dataframe(gpkg, layer=layer, read_geometry=False)

    paths, rivals, lat, comp = (
        read(x) for x in ("onward_paths", "competitor_paths", "latency_validation", "competitors")
    )
    assert "rival" not in set(paths["scenario"]) and set(rivals["scenario"]) == {"rival"}
    refs = lat.loc[lat["kind"] == "reference"].set_index("name")
    # matched by the nearest origin within onward.reference_match_km; the far one stands alone
    assert refs.loc["Karaganda to Oman", "origin"] == "Astana"
    assert refs.loc["City to Oman", "origin"] == "Origin City"
    assert refs.loc["Far to Oman", "origin"] == ""  # validates the model alone
    assert set(refs["hub"]) == {"Oman Hub"}
    (fit,) = lat.loc[lat["kind"] == "fit"].itertuples()
    k = np.exp(np.log(refs["measured_rt_ms"] / refs["modelled_rt_ms"]).mean())
    assert fit.overhead_form == "ratio" and fit.overhead == pytest.approx(k, rel=1e-9)
    assert fit.n_references == 3
    assert (fit.overhead_low, fit.overhead_high) == pytest.approx(
        ((refs["ratio"]).min(), refs["ratio"].max())
    )
    exp = lat.loc[lat["kind"] == "expected"].set_index("origin")
    assert set(exp.index) == {"Origin City", "Astana"}
    assert exp.loc["Astana", "expected_rt_ms"] == pytest.approx(
        k * exp.loc["Astana", "modelled_rt_ms"], rel=1e-9
    )
    assert (
        exp.loc["Astana", "measured_rt_ms"] == 90 and exp.loc["Origin City", "measured_rt_ms"] == 70
    )
    # per origin and hub: the corridor, the competitor and today, one of them the fastest
    for _, g in comp.groupby(["origin", "hub"]):
        assert list(g["system"]) == ["corridor", "rival", "today"]
        assert g["fastest"].sum() == 1
        corridor = g.iloc[0]
        assert corridor["network_shared_with_competitors"].startswith("rival: ")
        assert (
            g.iloc[2]["chokepoints"]
            == g.iloc[0:1].merge(paths, on="route_id")["incumbent_chokepoints"].iloc[0]
        )
    # every modelled round trip is at or above its physical floor
    for table, cols in (
        (paths, ["latency_rt_ms", "incumbent_latency_rt_ms", "expected_rt_ms"]),
        (rivals, ["latency_rt_ms", "incumbent_latency_rt_ms"]),
        (comp, ["modelled_rt_ms", "expected_rt_ms"]),
        (lat.loc[lat["kind"] != "fit"], ["modelled_rt_ms", "today_modelled_rt_ms"]),
    ):
        for col in cols:
            vals = table[col].to_numpy(dtype=float)
            ok = np.isnan(vals) | (vals >= table["floor_rt_ms"].to_numpy(dtype=float))
            assert ok.all(), (col, table.loc[~ok])
    assert (comp["floor_rt_ms"] > 0).all()
    # the report quotes today's measured figure next to the corridor's expected one, per origin
    page = (tmp_path / "out" / "report" / "index.html").read_text()
    astana = exp.loc["Astana"]
    assert (
        f"Astana → Oman Hub: today, measured 90.0 ms (min, Karaganda to Oman, 2020-07-19); "
        f"through the corridor, expected {astana['expected_rt_ms']:.1f} ms" in page
    )
    assert "Origin City → Oman Hub: today, measured 70.0 ms" in page
    assert "From Astana, fastest by expected round trip — Oman Hub: corridor" in page
    assert (tmp_path / "out" / "report" / "latency.png").stat().st_size > 10_000
    assert (tmp_path / "out" / "competitors.csv").read_text().count("\n") == len(comp) + 1


def test_a_corridor_route_on_the_competitor_s_ground_shares_it(tmp_path):
    from pipeline import cli

    cfg = _competitor_world(tmp_path)
    assert cli.main(["--config", str(cfg), "all"]) == 0
    ov = pyogrio.read_dataframe(
        tmp_path / "out" / "corridor.gpkg", layer="competitor_overlap", read_geometry=False
    )
    # the competitor runs to the coast station: the corridor's routes there share its ground
    coast = ov.loc[(ov["kind"] == "route") & ov["subject"].str.contains(">coast-iran#")]
    assert (coast["shared_km"] > 0).all() and len(coast) == 4
    net = ov.loc[ov["kind"] == "network"]
    assert set(net["origin"]) == {"Origin City", "Astana"}
    for _, g in ov.groupby("origin"):
        routes_km = g.loc[g["kind"] == "route", "subject_km"]
        (n,) = g.loc[g["kind"] == "network"].itertuples()
        # the network counts each km of trench once: no more than its routes together
        assert max(routes_km) <= n.subject_km <= routes_km.sum() + 1e-6
        assert n.shared_km <= n.subject_km and (g["shared_share"] <= 1 + 1e-12).all()


def test_a_competitor_s_paths_onward_take_its_own_cable_first():
    st = stations(a=(50, 20, "X"), m=(55, 15, "Y"), h=(60, 20, "Z"))
    net_cables = cable_frame(
        {"id": "direct", "serves": ["a", "h"], "lines": [[(50, 20), (60, 20)]]},
        {"id": "own", "serves": ["a", "m"], "lines": [[(50, 20), (55, 15)]]},
        {"id": "on", "serves": ["m", "h"], "lines": [[(55, 15), (60, 20)]]},
    )
    c = OnwardConfig(metro_hop_km=0)
    net, _ = cables.build_network(net_cables, st, c)
    hub = Hub(name="H", stations=["h"])
    own = cables.cable_edges(net_cables.iloc[1].to_dict(), {"a": (50, 20), "m": (55, 15)}, 25)[0]
    free = onward.sea_path(net, "a", hub=hub, paths_from=net.paths_from)
    forced = onward.sea_path(net, "a", hub=hub, paths_from=net.paths_from, own=own)
    assert [e.cable for e in free[1]] == ["DIRECT"]
    assert [e.cable for e in forced[1]] == ["OWN", "ON"]
    assert forced[0] == pytest.approx(km((50, 20), (55, 15)) + km((55, 15), (60, 20)), rel=1e-9)
    # a station the cable does not serve has no path on it
    assert onward.sea_path(net, "h", hub=hub, paths_from=net.paths_from, own=own) is None


def test_a_competitor_naming_an_unknown_cable_fails_with_close_names():
    from pipeline.config import Config, Scenario

    st = stations(a=(50, 20, "X"), m=(55, 15, "Y"))
    frame = cable_frame({"id": "own", "serves": ["a", "m"], "lines": [[(50, 20), (55, 15)]]})
    cfg = Config(
        route={
            "scenarios": {"rival": Scenario(allowed_countries=["RU"], competitor=True, cable="OWM")}
        }
    )
    with pytest.raises(ConfigError, match="route.scenarios.rival.cable.*closest: \\['OWN'\\]"):
        onward.own_cables(frame, st, cfg=cfg)
    ok = Config(route={"scenarios": {"rival": Scenario(allowed_countries=["RU"], cable="OWN")}})
    assert [e.cable for e in onward.own_cables(frame, st, cfg=ok)["rival"]] == ["OWN"]


def test_a_competitor_routes_only_from_the_origins_inside_its_countries(tmp_path, caplog):
    """EPEG runs over RU, AZ and IR: from a Kazakh origin it is not routed, and nothing fails."""
    from pipeline import cli

    cfg = _competitor_world(tmp_path)
    text = cfg.read_text().replace(
        "rival: {allowed_countries: [KZ, TM, IR]", "rival: {allowed_countries: [TM, IR]"
    )
    cfg.write_text(text)
    with caplog.at_level("INFO"):
        assert cli.main(["--config", str(cfg), "all"]) == 0
    routes = pyogrio.read_dataframe(tmp_path / "out" / "routes.gpkg", layer="routes")
    assert "rival" not in set(routes["scenario"]) and "land" in set(routes["scenario"])
    assert "route rival: not routed from Astana (in KZ)" in caplog.text
    comp = pyogrio.read_dataframe(
        tmp_path / "out" / "onward.gpkg", layer="competitors", read_geometry=False
    )
    assert set(comp["system"]) == {"corridor", "today"}
    page = (tmp_path / "out" / "report" / "index.html").read_text()
    assert "From Astana, fastest by expected round trip — Oman Hub: corridor" in page
    assert "No competitor is routed from this origin" in page
