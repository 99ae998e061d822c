"""The real pipeline on the real data mirror (../shared/data or $PIPELINE_MIRROR)."""

import json

import dask
import numpy as np
import pyogrio
import pytest
import shapely
import shapely.geometry
from conftest import VALIDATORS, validate_gpkg

from pipeline import (
    catalogue,
    cli,
    config,
    draws,
    economics,
    geometry,
    io,
    router,
    uncertainty,
)
from pipeline.config import CostConfig
from pipeline.grid import template

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def built(tmp_path_factory, mirror):
    if mirror is None:
        pytest.skip(
            "real-data mirror not found: set PIPELINE_MIRROR or place the mirror at "
            "../shared/data (the end-to-end test needs it; nothing is downloaded)"
        )
    root = tmp_path_factory.mktemp("e2e")
    cfg_path = root / "config.yaml"
    cfg_path.write_text(
        f"paths:\n  raw_dir: {root / 'raw'}\n  processed_dir: {root / 'out'}\n"
        f"fetch:\n  mirror_dir: {mirror}\n"
    )
    assert cli.main(["--config", str(cfg_path), "all"]) == 0
    return config.load(cfg_path), root / "out"


def test_every_layer_opens_with_its_crs(built):
    _, out = built
    layers = dict(pyogrio.list_layers(out / "corridor.gpkg"))
    assert set(layers) == {
        "routes",
        "crossings",
        "fault_crossings",
        "endpoints",
        "landing_points",
        "shared_risk_segments",
        "shared_risk_points",
        "route_segments",
        "sites",
        "ranking_sensitivity",
        "validation",
        "route_book",
        "layer_styles",
        "onward_paths",
        "competitor_paths",
        "hubs",
        "gateways",
        "latency_validation",
        "competitors",
        "competitor_overlap",
        "network_nodes",
        "network_links",
        "network_paths",
        "network_cuts",
        "network_latency",
        "network_summary",
    }
    tables = ("ranking_sensitivity", "validation", "latency_validation", "competitors")
    network = ("network_cuts", "network_latency", "network_summary")
    assert all(layers[t] is None for t in (*tables, *network, "competitor_overlap", "route_book"))
    assert layers["layer_styles"] is None
    for name in (k for k, geom in layers.items() if geom):
        info = pyogrio.read_info(out / "corridor.gpkg", layer=name)
        assert info["crs"] == "EPSG:4326", name
        assert info["features"] > 0 or name == "shared_risk_points", name


@pytest.mark.parametrize("validator", VALIDATORS)
def test_every_geopackage_of_the_real_build_passes_gdals_validator(built, validator):
    """The real sources mix 2D and 3D geometries (OSM railways): a layer declaring Z and
    holding 2D geometries breaks requirement 19 of the standard, which only the current
    validator checks."""
    _, out = built
    for gpkg in sorted(out.rglob("*.gpkg")):
        findings = validate_gpkg(validator, gpkg)
        assert not findings, f"{gpkg.name}: {findings[:2000]}"


def test_default_scenario_runs_russia_kazakhstan_turkmenistan_iran(built):
    _, out = built
    routes = pyogrio.read_dataframe(out / "corridor.gpkg", layer="routes")
    tm = routes.loc[(routes["scenario"] == "land_tm") & (routes["alternative"] == 1)]
    assert set(tm["destination"]) == {
        "Bandar Abbas, Iran",
        "Bushehr, Iran",
        "Chabahar, Iran",
        "Ganaveh, Iran",
        "Jask, Iran",
    }
    # from Moscow through Kazakhstan; from Astana and Almaty, Kazakhstan's own routes
    mow = tm["origin"] == "Moscow"
    assert set(tm["origin"]) == {"Moscow", "Astana", "Almaty"}
    assert (tm.loc[mow, "countries"] == "RU > KZ > TM > IR").all()
    assert (tm.loc[~mow, "countries"] == "KZ > TM > IR").all()
    assert (tm["n_border_crossings"] == np.where(mow, 3, 2)).all()
    # the right range: 3,000–5,500 km, 10–40k USD/km, 15–27 ms one way
    assert tm["length_km"].between(3000, 5500).all()
    assert tm["cost_usd_per_km"].between(10_000, 40_000).all()
    assert tm["latency_ms"].between(15, 27).all()
    assert (tm["row_share"] > 0.5).all()


def test_every_border_is_crossed_at_a_named_gateway(built):
    _, out = built
    crossings = pyogrio.read_dataframe(out / "corridor.gpkg", layer="crossings")
    borders = crossings.loc[crossings["kind"] == "border"]
    assert len(borders) > 50
    assert (borders["gateway"] != "").all() and not borders["off_gateway"].any()
    gw = pyogrio.read_dataframe(out / "gateways.gpkg", layer="gateways")
    assert {"rail", "road", "checkpoint", "fiber_link"} <= set(gw["kind"])
    # KZ–TM has two gateways, the KTI railway's at Bolashak and the road over the Garabogaz
    # strait (its bridge kept as land), where the planned Bekdash–Temirbaba fibre link will
    # cross: the first two alternatives take one each, and say the status they rely on
    routes = pyogrio.read_dataframe(out / "corridor.gpkg", layer="routes")
    land = routes.loc[routes["route_id"].str.startswith("land_tm:Moscow>bandar-abbas-iran#")]
    land = land.set_index("alternative")
    planned = "(planned; the railway or road crossing in service)"
    in_service = "KZ→TM at Bolashak–Serhetyaka (KTI railway) (KZ–TM) (in service)"
    first_two = [land.loc[a, "border_crossings"] for a in (1, 2)]
    assert any(f"KZ→TM at Bekdash–Temirbaba fibre link (KZ–TM) {planned}" in b for b in first_two)
    kti = land.loc[1 if in_service in first_two[0] else 2]  # beside the KTI railway
    assert in_service in kti["border_crossings"]
    second = land.loc[2]
    assert land.loc[1, "diverse"] and (second["diverse"] or " near " in second["diversity_note"])
    tm_km = dict(p.rsplit(" ", 1) for p in kti["km_by_country"].split("; "))
    assert 650 <= float(tm_km["TM"]) <= 760  # the KTI railway has about 700 km in Turkmenistan
    kinds = kti[["row_share_railway", "row_share_road", "row_share_pipeline"]]
    assert kinds.max() <= kti["row_share"] + 1e-9 <= kinds.sum() + 1e-9
    near = dict(p.rsplit(" ", 1) for p in kti["near_major_row_by_country"].split("; "))
    assert float(near["TM"]) > 0.85
    assert kti["transit_km"].startswith("KZ ") and "; TM " in kti["transit_km"]
    # every route is checked against the railway: measured where it runs between its ends,
    # else how far it passes from them
    checks = pyogrio.read_dataframe(out / "corridor.gpkg", layer="validation")
    assert set(checks["route_id"]) == set(routes["route_id"])
    for rid, mine in checks.groupby("route_id"):
        measured = mine.loc[mine["note"] == ""]
        if len(measured):
            assert list(measured["country"]) == ["KZ", "TM", "IR", "total"], rid
            assert (measured["deviation_km"] >= 0).all()
        else:
            assert len(mine) == 1 and mine["note"].iloc[0].startswith("not beside it"), rid


def test_faults_protected_areas_and_joint_alternatives_on_the_real_data(built):
    _, out = built
    routes = pyogrio.read_dataframe(out / "corridor.gpkg", layer="routes")
    faults = pyogrio.read_dataframe(out / "corridor.gpkg", layer="fault_crossings")
    # Iran and the Kopet Dag are crossed by active faults: every route meets some
    assert (routes["n_fault_crossings"] > 0).all()
    per_route = faults.groupby("route_id").size()
    assert (per_route.reindex(routes["route_id"]).to_numpy() == routes["n_fault_crossings"]).all()
    assert faults["slip_type"].notna().all() and not faults["slip_type"].isin(["Anticline"]).any()
    each = CostConfig().fault_crossing_usd
    assert routes["fault_cost_usd"].to_numpy() == pytest.approx(routes["n_fault_crossings"] * each)
    assert (routes["protected_km"] >= 0).all() and (routes["protected_cost_usd"] >= 0).all()
    # the joint method keeps at least as many alternatives apart as greedy exclusion
    assert routes["diverse"].sum() >= routes["diverse_greedy"].sum()
    pairs = routes.groupby(["scenario", "origin", "destination"])
    assert pairs["diverse"].all().sum() >= pairs["diverse_greedy"].all().sum()


def test_caspian_crossing_lands_at_aktau_and_on_irans_caspian_coast(built):
    _, out = built
    routes = pyogrio.read_dataframe(out / "corridor.gpkg", layer="routes")
    cas = routes.loc[(routes["scenario"] == "caspian") & (routes["alternative"] == 1)]
    assert len(cas) == 15  # three origins, five stations
    mow = cas["origin"] == "Moscow"
    assert (cas.loc[mow, "countries"] == "RU > KZ > IR").all()
    assert (cas.loc[~mow, "countries"] == "KZ > IR").all()
    assert (cas["n_landfalls"] == 2).all()
    assert cas["submarine_km"].between(250, 700).all()
    assert (cas["cost_usd"] > routes.loc[routes["scenario"] == "land_tm", "cost_usd"].min()).all()
    ends = pyogrio.read_dataframe(out / "corridor.gpkg", layer="endpoints")
    aktau = ends.loc[(ends["role"] == "waypoint") & (ends["scenario"] == "caspian")]
    assert list(aktau["name"]) == ["Aktau, Kazakhstan"] * 3  # one per origin
    assert (aktau["snap_km"] < 10).all()


def test_alternatives_are_ranked_and_their_diversity_reported(built):
    cfg, out = built
    routes = pyogrio.read_dataframe(out / "corridor.gpkg", layer="routes")
    for (sc, _, _), pair in routes.groupby(["scenario", "origin", "destination_slug"]):
        k = cfg.route.scenarios[sc].alternatives or cfg.route.alternatives  # EPEG: one
        assert sorted(pair["alternative"]) == sorted(pair["rank"]) == list(range(1, k + 1))
        # a route the router kept apart shares nothing with the ones before it
        for _, r in pair.loc[pair["diverse"]].iterrows():
            earlier = pair.loc[pair["alternative"] < r["alternative"], "route_id"]
            for rid in earlier:
                tag = rid.rsplit("#", 1)[-1]
                assert f"{tag}: 0.0 km" in r["shared_with"]
        assert (pair["diversity_note"] != "").all()
    segs = pyogrio.read_dataframe(out / "corridor.gpkg", layer="shared_risk_segments")
    assert (segs["shared_km"] > 0).all()
    assert set(segs["route_a"]) <= set(routes.loc[~routes["diverse"], "route_id"])


def test_every_route_has_its_economics_in_published_ranges(built):
    _, out = built
    routes = pyogrio.read_dataframe(out / "corridor.gpkg", layer="routes")
    assert (routes["cost_p10_usd"] < routes["cost_p50_usd"]).all()
    assert (routes["cost_p50_usd"] < routes["cost_p90_usd"]).all()
    # US buried fiber medians USD 21–53k/km (FBA 2023); rural Central Asia at or below them,
    # a submarine leg above
    assert routes["cost_usd_per_km"].between(20_000, 70_000).all()
    # Moscow's cheapest routes detour little; a third alternative, sent through a far gateway
    # to stay apart from the first two (via Tashkent for land_uz_tm), up to about 1.9. From
    # Almaty (76.9°E) every way to the Gulf goes round the Karakum or by Aktau: up to 2.1 for
    # the cheapest routes, 2.4 for a third alternative
    first = routes["alternative"] == 1
    mow = routes["origin"] == "Moscow"
    assert routes.loc[first & mow, "detour_ratio"].between(1.0, 1.5).all()
    assert routes.loc[mow, "detour_ratio"].between(1.0, 2.0).all()
    assert routes.loc[first & ~mow, "detour_ratio"].between(1.0, 2.2).all()
    assert routes["detour_ratio"].between(1.0, 2.5).all()
    assert (routes["latency_rt_ms"] == 2 * routes["latency_ms"]).all()
    # one hut per 80 km of land, less those a shore within reach spares (one per landfall); a
    # regeneration site takes the place of an amplifier hut
    on_land = routes["length_km"] - routes["submarine_km"]
    huts = routes["n_ila_sites"] + routes["n_regen_sites"]
    assert (huts >= on_land // 80 - routes["n_landfalls"] - 1).all()
    assert (routes["n_regen_sites"] >= routes["length_km"] // 1500).all()
    segs = pyogrio.read_dataframe(out / "corridor.gpkg", layer="route_segments")
    per_route = segs.groupby("route_id")[["length_km", "cost_usd"]].sum()
    r = routes.set_index("route_id")
    np.testing.assert_allclose(per_route.loc[r.index, "length_km"], r["length_km"], rtol=5e-3)
    np.testing.assert_allclose(
        per_route.loc[r.index, "cost_usd"], r["cable_cost_usd"] + r["hdd_cost_usd"], rtol=1e-9
    )
    sites = pyogrio.read_dataframe(out / "corridor.gpkg", layer="sites")
    assert set(sites["site_type"]) == {"ILA", "regen"}
    assert sites["nearest_settlement"].notna().all()
    import rasterio

    with rasterio.open(out / "route_frequency.tif") as src:
        bands = {
            f"{s}:{o}"
            for s in ("land_tm", "land_uz_tm", "caspian")
            for o in ("Moscow", "Astana", "Almaty")
        } | {"epeg:Moscow"}  # the competitor is re-routed in the draws too, from Moscow alone
        assert src.count == 10 and set(src.descriptions) == bands
        freq = src.read()
    assert freq.max() <= 1.0 + 1e-6 and (freq.reshape(10, -1).max(axis=1) == 1.0).all()


def test_the_monte_carlo_prices_each_route_as_the_score_stage_does(built):
    """One pricing function: with the configured cost book a draw's price is ``cost_usd``."""
    cfg, out = built
    routes = pyogrio.read_dataframe(out / "scores.gpkg", layer="routes")
    files = catalogue.stage_files("uncertainty", cfg.paths.raw_dir, out)
    off = cfg.route.off_gateway_usd()
    parts = uncertainty.scored_route_parts(
        files, template(cfg.grid), routes, c=cfg.cost, off_gateway=off
    )
    priced = [economics.price_route(p, cfg.cost, cfg.sites).total_usd for p in parts]
    np.testing.assert_allclose(priced, routes["cost_usd"], rtol=1e-9)


def test_the_repricing_by_groups_of_routes_is_the_repricing_of_them_all(built, monkeypatch):
    """Tasks of a few routes each (the last one short), stacked: every route in its row."""
    cfg, out = built
    files = catalogue.stage_files("uncertainty", cfg.paths.raw_dir, out)
    grid, u = template(cfg.grid), cfg.uncertainty.model_copy(update={"draws": 20})
    routes = pyogrio.read_dataframe(out / "scores.gpkg", layer="routes")
    off = cfg.route.off_gateway_usd()
    whole = draws.reprice_draws(
        uncertainty.scored_route_parts(files, grid, routes, c=cfg.cost, off_gateway=off),
        cfg.cost,
        cfg.sites,
        u=u,
        first=0,
        count=u.draws,
    )
    size = next(k for k in (3, 4, 5) if len(routes) % k)
    monkeypatch.setattr(uncertainty, "ROUTES_PER_TASK", size)
    jobs = uncertainty._reprice_jobs(
        files, grid, cfg.model_copy(update={"uncertainty": u}), n_routes=len(routes)
    )
    assert len(jobs) == len(routes) // size + 1
    np.testing.assert_array_equal(np.vstack(dask.compute(*jobs, scheduler="sync")), whole)


def test_islands_and_platforms_are_skipped_with_a_reason(built):
    _, out = built
    lp = pyogrio.read_dataframe(out / "corridor.gpkg", layer="landing_points")
    skipped = lp.loc[lp["status"] == "skipped"].set_index("name")["skip_reason"]
    assert "island" in skipped["Khark Island, Iran"]
    assert "no passable land" in skipped["Soroosh Platform, Iran"]


def test_reported_length_agrees_with_the_router_within_one_percent(built):
    cfg, out = built
    grid = template(cfg.grid)
    import rasterio

    with rasterio.open(out / "cost" / "inv_scale.tif") as src:
        inv = src.read(1).astype(np.float64)
    routes = pyogrio.read_dataframe(out / "scores.gpkg", layer="routes")
    cells_of = io.read_cells(out / "routes.gpkg")
    for _, r in routes.iterrows():
        cells = cells_of[r["route_id"]]
        _, km = router.path_sums(cells, np.ones(grid.shape), inv, step_km=grid.cell_m / 1000)
        assert km == pytest.approx(r["length_km"], rel=0.01)


def test_geojson_is_rfc7946(built):
    _, out = built
    for path in (out / "geojson").glob("*.geojson"):
        doc = json.loads(path.read_text())
        assert "crs" not in doc and doc["type"] == "FeatureCollection"
        assert any("TeleGeography" in s["attribution"] for s in doc["metadata"]["sources"])
        for f in doc["features"]:
            coords = shapely.get_coordinates(shapely.geometry.shape(f["geometry"]))
            assert np.all(np.abs(coords[:, 0]) <= 180) and np.all(np.abs(coords[:, 1]) <= 90)
            assert np.allclose(coords, np.round(coords, 6))


def test_a_second_run_is_identical(built, tmp_path):
    cfg, out = built
    before = pyogrio.read_dataframe(out / "corridor.gpkg", layer="routes")
    assert cli.main(["--config", str(out.parent / "config.yaml"), "route"]) == 0
    for stage in ("score", "uncertainty", "export"):
        assert cli.main(["--config", str(out.parent / "config.yaml"), stage]) == 0
    after = pyogrio.read_dataframe(out / "corridor.gpkg", layer="routes")
    assert before.drop(columns="geometry").equals(after.drop(columns="geometry"))
    assert all(a.equals_exact(b, 0) for a, b in zip(before.geometry, after.geometry, strict=True))


def test_moscow_to_mumbai_through_each_station_and_the_incumbent_for_every_hub(built):
    cfg, out = built
    paths = pyogrio.read_dataframe(out / "corridor.gpkg", layer="onward_paths")
    cables = pyogrio.read_dataframe(out / "ingest.gpkg", layer="world_cables")
    mumbai = paths.loc[(paths["hub"] == "Mumbai") & (paths["origin"] == "Moscow")]
    routed = {
        "Bandar Abbas, Iran",
        "Bushehr, Iran",
        "Chabahar, Iran",
        "Ganaveh, Iran",
        "Jask, Iran",
    }
    assert set(mumbai["station"]) == routed
    assert (mumbai["latency_ms"] >= mumbai["great_circle_latency_ms"]).all()
    assert mumbai["latency_ms"].min() <= 1.6 * mumbai["great_circle_latency_ms"].min()
    known = set(cables["name"]) | {"terrestrial hop"}
    for text in paths["cables"]:
        assert set(text.split(", ")) <= known, text
    geo_km = [geometry.GEOD.geometry_length(g) / 1000 for g in paths.geometry]
    np.testing.assert_allclose(geo_km, paths["length_km"], rtol=0.02)
    # every hub has today's path and its chokepoints; Mumbai today goes by Suez and the Red Sea
    assert set(paths["hub"]) == {h.name for h in cfg.onward.hubs}
    assert paths["incumbent_latency_ms"].notna().all()
    assert (mumbai["incumbent_chokepoints"].str.contains("Suez Canal and Red Sea")).all()
    assert (mumbai["avoids"].str.contains("Bab-el-Mandeb")).all()
    assert (mumbai["saved_ms"] > 0).all()


LAND = ("land_tm", "land_uz_tm")


def test_every_route_has_a_route_book_that_covers_it_and_names_its_stretches(built):
    _, out = built
    routes = pyogrio.read_dataframe(out / "corridor.gpkg", layer="routes")
    book = pyogrio.read_dataframe(out / "corridor.gpkg", layer="route_book")
    assert set(book["route_id"]) == set(routes["route_id"])
    for _, r in routes.iterrows():
        mine = book.loc[book["route_id"] == r["route_id"]].sort_values("seq")
        assert list(mine["seq"]) == list(range(1, len(mine) + 1))
        assert mine["km_start"].iloc[0] == 0.0
        assert np.allclose(mine["km_start"].iloc[1:], mine["km_end"].iloc[:-1])
        assert mine["length_km"].sum() == pytest.approx(r["length_km"], rel=1e-3)
        assert mine["from_place"].iloc[0] == r["origin"]
        assert mine["to_place"].iloc[-1] == r["destination"]
        # a stretch's cable and drilling cost: the routes layer's, stretch by stretch
        cable = r["cable_cost_usd"] + r["hdd_cost_usd"]
        assert mine["cost_usd"].sum() == pytest.approx(cable, rel=1e-9)
    cheapest = routes.loc[routes["scenario"].isin(LAND) & (routes["rank"] == 1)]
    assert len(cheapest) >= 5
    mine = book.loc[
        book["route_id"].isin(cheapest["route_id"]) & book["country"].isin(["KZ", "TM", "IR"])
    ]
    named = (mine["from_place"].fillna("") != "") & (mine["to_place"].fillna("") != "")
    share = mine.loc[named, "length_km"].sum() / mine["length_km"].sum()
    # issue 25 asks for 90 %; the data name 81 % (see test_ninety_percent_... below)
    assert share >= 0.8, f"{share:.1%} of the KZ, TM and IR km named at both ends"
    assert set(book["follows"]) >= {"railway", "motorway/trunk/primary road", "cross-country"}
    assert (out / "route_book.csv").exists()
    doc = json.loads((out / "geojson" / "route_book.geojson").read_text())
    assert len(doc["features"]) == len(book)
    assert {f["geometry"]["type"] for f in doc["features"]} == {"LineString"}
    pages = out / "report" / "routes"
    index = (out / "report" / "index.html").read_text()
    for rid in routes.loc[routes["rank"] == 1, "route_id"]:
        name = rid.replace(":", "_").replace(">", "_to_").replace("#", "_")
        page = (pages / f"{name}.html").read_text()
        assert f'href="routes/{name}.html"' in index
        assert "Itinerary" in page and f'src="{name}.png"' in page
        assert (pages / f"{name}.png").stat().st_size > 10_000
        assert f'src="../profiles/{name}.png"' in page


def test_ninety_percent_of_the_cheapest_land_routes_is_named_at_both_ends(built):
    """Issue 25's acceptance, over the default origins' cheapest land routes (91 % on
    2026-12-05). Moscow's own routes alone fall short (86 %): the mirror holds no villages
    (Natural Earth's places are towns, OSM's railway stations the only dense names), and their
    stretches across the Ustyurt have no place within reach of an end; the Kazakh origins'
    routes follow named railways (93–94 %)."""
    _, out = built
    routes = pyogrio.read_dataframe(out / "corridor.gpkg", layer="routes")
    book = pyogrio.read_dataframe(out / "corridor.gpkg", layer="route_book")
    cheapest = routes.loc[routes["scenario"].isin(LAND) & (routes["rank"] == 1)]

    def share(ids) -> float:
        mine = book.loc[book["route_id"].isin(ids) & book["country"].isin(["KZ", "TM", "IR"])]
        named = (mine["from_place"].fillna("") != "") & (mine["to_place"].fillna("") != "")
        return mine.loc[named, "length_km"].sum() / mine["length_km"].sum()

    assert share(cheapest["route_id"]) >= 0.9
    assert share(cheapest.loc[cheapest["origin"] == "Moscow", "route_id"]) >= 0.8


def _detailed_border_points(cfg, out):
    """Every OSM (not generalised) railway or road of the gateway classes where it crosses a
    border, every OSM border post, and every listed gateway: (a, b) -> lon/lat points."""
    from pipeline import gateways

    ingest = out / "ingest.gpkg"
    layers = {n: io.read_layer(ingest, n) for n in ("countries", "railways", "roads")}
    g = cfg.gateways
    rails = layers["railways"].loc[layers["railways"]["fclass"].isin(g.railway_classes)]
    roads = layers["roads"].loc[layers["roads"]["class"].isin(g.road_classes)]
    borders = gateways.shared_borders(layers["countries"])
    to_ll = template(cfg.grid).to_lonlat()
    points: dict[tuple[str, str], list] = {}
    for lines in (rails, roads):
        lines = lines.loc[~lines["source"].isin(g.generalised_sources)]
        for c in gateways.line_crossings(lines, borders, "line", generalised=set()):
            points.setdefault((c["a"], c["b"]), []).append(
                to_ll.transform(c["geometry"].x, c["geometry"].y)
            )
    posts = io.read_layer(ingest, "border_controls")
    anywhere = [to_ll.transform(p.x, p.y) for p in posts.geometry]
    anywhere += [(x.lon_deg, x.lat_deg) for x in g.listed]
    return points, anywhere


def test_every_border_crossing_lies_near_a_detailed_crossing_a_post_or_a_listed_gateway(built):
    cfg, out = built
    points, anywhere = _detailed_border_points(cfg, out)
    crossings = pyogrio.read_dataframe(out / "corridor.gpkg", layer="crossings")
    borders = crossings.loc[crossings["kind"] == "border"]
    assert len(borders) > 50
    far = []
    for _, x in borders.iterrows():
        a, b = sorted(x["name"].split("→"))
        cands = np.array(points.get((a, b), []) + anywhere)
        n = len(cands)
        _, _, m = geometry.GEOD.inv(
            np.full(n, x.geometry.x), np.full(n, x.geometry.y), cands[:, 0], cands[:, 1]
        )
        if m.min() > 5000.0:
            far.append(f"{x['route_id']} {x['name']} at {x['gateway']}: {m.min() / 1000:.1f} km")
    assert not far, far


def test_the_readmes_gateway_counts_are_the_builds(built):
    import re

    _, out = built
    gw = pyogrio.read_dataframe(out / "gateways.gpkg", layer="gateways")
    readme = (catalogue.PACKAGE.parent / "README.md").read_text()
    said = re.search(
        r"On\s+the\s+real\s+data:\s+(\d+)\s+gateways,\s+of\s+which\s+([^(]+)\(", readme
    )
    assert said, "the README's sentence on the gateways of the real data is gone"
    assert int(said.group(1)) == len(gw)
    for a, b, n in re.findall(r"([A-Z]{2})–([A-Z]{2})\s+(\d+)", said.group(2)):
        pair = gw.loc[gw["a"].isin([a, b]) & gw["b"].isin([a, b])]
        assert len(pair) == int(n), f"README: {a}–{b} {n}, the build: {len(pair)}"


def test_measured_references_the_floor_and_epeg_on_the_real_data(built):
    cfg, out = built
    gpkg = out / "corridor.gpkg"

    def read(layer):
        return pyogrio.read_dataframe(gpkg, layer=layer, read_geometry=False)

    lat, comp = read("latency_validation"), read("competitors")
    paths, rivals = read("onward_paths"), read("competitor_paths")
    refs = lat.loc[lat["kind"] == "reference"]
    assert list(refs["name"]) == [r.name for r in cfg.onward.latency_references]
    assert refs["modelled_rt_ms"].notna().all()
    (fit,) = lat.loc[lat["kind"] == "fit"].itertuples()
    assert fit.n_references == len(refs) and 1.0 < fit.overhead < 3.0
    # Moscow → Pune stands for Moscow → Mumbai; Karaganda's figures for Astana (187 km away)
    pune = refs.set_index("name").loc["Moscow → Pune"]
    assert (pune["origin"], pune["hub"]) == ("Moscow", "Mumbai")
    assert set(refs.loc[refs["name"].str.startswith("Karaganda"), "origin"]) == {"Astana"}
    # every modelled round trip is at or above its physical floor (2 × gc km × 4.9 µs/km)
    for table, cols in (
        (paths, ["latency_rt_ms", "incumbent_latency_rt_ms", "expected_rt_ms"]),
        (rivals, ["latency_rt_ms", "incumbent_latency_rt_ms", "expected_rt_ms"]),
        (comp, ["modelled_rt_ms", "expected_rt_ms"]),
        (lat.loc[lat["kind"] != "fit"], ["modelled_rt_ms", "today_modelled_rt_ms"]),
    ):
        for col in cols:
            v, floor = table[col].to_numpy(float), table["floor_rt_ms"].to_numpy(float)
            assert (np.isnan(v) | (v >= floor)).all(), (col, table.loc[v < floor])
    # EPEG from Moscow over RU, AZ and IR to Jask and Chabahar, then its own cable
    routes = pyogrio.read_dataframe(gpkg, layer="routes", read_geometry=False)
    epeg = routes.loc[routes["scenario"] == "epeg"]
    assert set(epeg["destination"]) == {"Jask, Iran", "Chabahar, Iran"}
    assert (epeg["countries"] == "RU > AZ > IR").all()
    assert "epeg" not in set(paths["scenario"])
    for hub in ("Barka/Muscat", "Mumbai"):
        sel = rivals.loc[(rivals["origin"] == "Moscow") & (rivals["hub"] == hub)]
        assert len(sel) == 2 and sel["cables"].str.startswith("OMRAN/EPEG Cable System").all()
        systems = comp.loc[(comp["origin"] == "Moscow") & (comp["hub"] == hub), "system"]
        assert list(systems) == ["corridor", "epeg", "today"]
    net = read("competitor_overlap").query("kind == 'network' and origin == 'Moscow'")
    assert len(net) == 1 and 0 < net["shared_km"].iloc[0] < net["subject_km"].iloc[0]
    page = (out / "report" / "index.html").read_text()
    assert "Moscow → Mumbai: today, measured 166.8 ms" in page
    assert "From Moscow, fastest by expected round trip" in page


def test_the_network_plan_joins_three_origins_to_two_stations_each_protected(built):
    """Every default network joins Moscow, Astana and Almaty to two or more landing stations
    for less than the separate cheapest routes; every origin has a working and a protection
    path; a cut that isolates an origin is named with why, and only where its protection
    could not keep apart."""
    _, out = built
    gpkg = out / "network.gpkg"
    s = io.read_table(gpkg, "network_summary").set_index("network")
    assert list(s.index) == ["land_tm", "land_uz_tm", "caspian", "land_tm+caspian"]
    assert (s["status"] == "built").all()
    assert (s["origins"] == "Moscow, Astana, Almaty").all()
    assert (s["working_capex_usd"] < s["separate_routes_usd"]).all()
    assert (s["capex_p10_usd"] < s["capex_p90_usd"]).all()
    nodes = io.read_layer(gpkg, "network_nodes")
    stations = nodes.loc[nodes["kind"] == "landing_station"].groupby("network").size()
    assert (stations >= 2).all()
    paths = io.read_layer(gpkg, "network_paths")
    roles = paths.groupby(["network", "origin"])["role"].apply(sorted)
    assert len(roles) == 12 and all(r == ["protection", "working"] for r in roles)
    cuts = io.read_table(gpkg, "network_cuts")
    spof = cuts.loc[cuts["single_point_of_failure"].astype(bool)]
    assert (spof["why"].str.len() > 0).all()
    apart = paths.groupby("network")["apart"].all()
    for key in apart.index[apart]:  # all kept apart: no link, gateway or station isolates one
        hit = spof.loc[(spof["network"] == key) & (spof["element_kind"] != "cable")]
        assert hit.empty, hit
    assert s.loc["land_tm+caspian", "n_single_points_of_failure"] == 0
    lat = io.read_table(gpkg, "network_latency")
    assert set(lat["origin"]) == {"Moscow", "Astana", "Almaty"}
    assert (lat["expected_rt_ms"] > lat["rt_ms"]).all()
