"""Export stage: the planners' deliverables.

``corridor.gpkg`` (EPSG:4326) with the layers ``routes`` (one feature per route and alternative,
every score), ``crossings`` (border, river, fault and landfall points), ``fault_crossings``
(active faults crossed, with their slip type), ``endpoints`` (origins,
waypoints and destinations per scenario, with the status and the reason of any skip),
``landing_points`` (every cable landing station in the area, with its cables and whether it was
routed), ``shared_risk_segments`` and ``shared_risk_points`` (where alternatives of one pair come
closer than the separation distance, or share a crossing), ``route_segments`` (by construction
method and country), ``sites`` (amplifier and regeneration huts) and the attribute table
``ranking_sensitivity``, ``onward_paths`` and ``competitor_paths`` (end to end over the
cables, the corridor's and the competitors'), the tables ``latency_validation``, ``competitors``
and ``competitor_overlap``; the planned networks (the network stage's ``network_nodes``,
``network_links``, ``network_paths`` and the tables ``network_cuts``, ``network_latency``,
``network_summary``); one RFC 7946 GeoJSON file per spatial layer in ``geojson/``, each
carrying the data sources' attributions as a foreign member; ``routes.csv`` and
``ranking_sensitivity.csv``, ``latency_validation.csv``, ``competitors.csv`` and
``competitor_overlap.csv`` for spreadsheets; and the built networks as Open Fibre Data Standard
0.4 files in ``ofds/`` (``pipeline.ofds``).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import io, ofds, sources, styles
from .catalogue import StageFiles
from .config import Config
from .grid import WGS84

log = logging.getLogger(__name__)

LAYER_DOCS = {
    "routes": "One least-cost fiber route per scenario, origin, landing station and "
    "alternative, with every score",
    "route_segments": "Each route split into stretches of one construction method in one country",
    "sites": "In-line amplifier (ILA) and regeneration huts along each route",
    "crossings": "Border, river, active-fault and landfall crossings of each route",
    "fault_crossings": "Where each route crosses an active fault (GEM), with its name and slip "
    "type; each priced once at cost.fault_crossing_usd",
    "endpoints": "Origins, waypoints and landing stations per scenario, routed or skipped",
    "landing_points": "Submarine cable landing stations in the area (TeleGeography), with "
    "their cables",
    "shared_risk_segments": "Stretches where an alternative runs within the separation "
    "distance of an earlier one",
    "shared_risk_points": "Crossings two alternatives of one pair share",
    "ranking_sensitivity": "Top route per scenario as each ranking weight moves from 0 to 1",
    "route_book": "Each route told as consecutive stretches along named rights-of-way: km, "
    "what it follows, the places at its ends, country, method, cost, crossings and sites "
    "(geojson/route_book.geojson holds its lines)",
    "validation": "Routes against known corridors (the KTI railway): km per country between "
    "its ends against the published figures, and the mean distance from the railway",
    "onward_paths": "End-to-end path per scenario, origin, Iranian landing station and hub: the "
    "cheapest land route plus the least-latency submarine path, against today's path",
    "competitor_paths": "End-to-end path of each competitor scenario (an existing system such "
    "as EPEG, modelled on the same surface), origin, station and hub, as onward_paths",
    "latency_validation": "Modelled round trips against measured ones: each reference (today's "
    "path modelled), the fitted overhead (onward.overhead_form), and per origin and hub the "
    "corridor's modelled and expected measured round trip beside today's",
    "competitors": "Per origin and hub: the corridor's best path, each competitor's and today's "
    "(Suez) — round trips modelled and expected, chokepoints, transit countries, ground shared "
    "with each competitor",
    "competitor_overlap": "Ground km each corridor route, scenario and the network (each trench "
    "once) share with each competitor's routes within route.separation_km, outside "
    "route.endpoint_radius_km of the origin",
    "hubs": "Interconnection hubs the onward paths reach, and the incumbent gateway",
    "gateways": "Border gateways: railways and roads over a land border, border posts and "
    "published cross-border fiber links; routes cross borders only here",
    "network_nodes": "Nodes of each planned network: the origins, landing stations and "
    "junctions its links join (node_id), and the border gateways, amplifier (ILA) and "
    "regeneration sites along its links (no node_id)",
    "network_links": "Links of each planned network, node to node: working (the tree joining "
    "every origin to the landing stations), protection (a path kept apart from an origin's "
    "working path) or shared (both); each priced once by the score stage's rule",
    "network_paths": "Per network and origin, its working and its protection path to a landing "
    "station: km by country, transit countries, whether the two keep apart and where not",
    "network_latency": "Round trip from each origin to each hub on its working and on its "
    "protection path: the land path, then the least-km path over the submarine cables",
    "network_cuts": "What one cut does to each network: every link, border gateway, landing "
    "station, stretch where an origin's two paths could not keep apart, and submarine cable, "
    "removed one at a time; the origins cut off, round trips' growth, single points of failure",
    "network_summary": "One row per planned network: its scenarios, status, origins and "
    "stations, km, cost (with Monte Carlo P10/P50/P90), saving against separate routes, single "
    "points of failure and method",
}
FIELD_DOCS = {
    "routes": {
        "route_id": "scenario:origin>station#alternative",
        "alternative": "1 = the cheapest; numbered by cost, each kept apart from the others' "
        "corridors (route.alternatives_method)",
        "diverse_greedy": "What 'diverse' would be under the greedy method, for comparison",
        "rank": "Rank by cost_usd within the scenario, origin and station",
        "length_km": "Geodesic length of the route on the WGS84 ellipsoid, km",
        "cost_usd": "Total: cable + HDD + border + landfall + sites, USD",
        "cost_usd_per_km": "cost_usd / length_km",
        "cost_p10_usd": "Monte Carlo 10th percentile of cost_usd",
        "cost_p50_usd": "Monte Carlo median of cost_usd",
        "cost_p90_usd": "Monte Carlo 90th percentile of cost_usd",
        "p_cheapest": "Share of Monte Carlo draws in which this is its scenario's cheapest",
        "latency_ms": "One-way propagation delay in fiber (group index 1.4682), ms",
        "latency_rt_ms": "Round-trip propagation delay, ms",
        "great_circle_latency_ms": "One-way delay along the great circle between the ends, ms",
        "detour_ratio": "length_km / great_circle_km",
        "row_share": "Share of the length within the co-location distance of a railway, road "
        "or pipeline (0–1)",
        "submarine_km": "Length of submarine legs, km",
        "shared_km_max": "Most km within the separation distance of another alternative",
        "diverse": "Kept the separation distance from the earlier (cheaper) alternatives",
        "border_crossings": "Each border crossed, in order, the gateway it is crossed at and "
        "that gateway's status (in service, under construction, planned)",
        "transit_km": "Transit countries (neither the origin's nor the destination's) and the "
        "ground km in each",
        "row_share_railway": "Share of the length (0–1) along a railway (within the co-location "
        "distance); likewise row_share_road and row_share_pipeline (they may overlap)",
        "row_share_by_country": "row_share in each country",
        "near_major_row_share": "Share of the length (0–1) on steps within "
        "score.near_major_row_km of a railway or primary-or-better road",
        "near_major_row_by_country": "The same share in each country",
        "n_off_gateway_crossings": "Border crossings away from any gateway (only where the "
        "scenario allows them at a cost)",
        "relaxed": "What the route could only be found by relaxing (separation, an off-gateway "
        "crossing, a protected area where the scenario makes them a barrier), where and at "
        "what cost; empty when nothing was relaxed",
        "n_fault_crossings": "Active faults (GEM) crossed, each priced once",
        "faults_crossed": "The faults crossed in order: name (slip type)",
        "fault_cost_usd": "n_fault_crossings × cost.fault_crossing_usd",
        "protected_km": "Ground km inside protected areas (beside a railway or major road "
        "included: permits are needed there too, but no penalty is charged)",
        "protected_areas_crossed": "The protected areas crossed in order: name (kind)",
        "protected_cost_usd": "What the km in protected areas cost over the same ground "
        "outside them (cost.protected_area_mult)",
        "mcda_rank": "Rank by the weighted criteria within the scenario and origin",
    },
    "route_segments": {
        "method": "buried_row, buried_flat, buried_hilly, buried_mountain, hdd or submarine",
        "length_km": "Ground length, km",
        "cost_usd": "Build cost of the stretch, USD",
    },
    "sites": {
        "site_type": "ILA (amplifier) or regen (regeneration)",
        "km_from_origin": "Ground km from the route's origin",
        "settlement_km": "Distance to the nearest populated place, km",
        "right_of_way_km": "Distance to the nearest railway, road or pipeline, km",
        "cost_usd": "Site cost, USD",
    },
    "route_book": {
        "seq": "Order of the stretch along its route, from 1 at the origin",
        "km_start": "Geodesic km from the origin where the stretch starts",
        "km_end": "Geodesic km from the origin where it ends",
        "length_km": "Geodesic length; a route's stretches add up to its length_km",
        "follows": "railway, motorway/trunk/primary road, secondary road, pipeline, "
        "cross-country, submarine or drilled crossing (within the co-location distance); "
        "interruptions shorter than score.route_book_gap_km do not split a stretch",
        "from_place": "Where it starts: the origin, a border gateway, or the nearest OSM "
        "railway station (along a railway), border post or Natural Earth place within "
        "score.route_book_place_km, else the town within score.route_book_town_km ('' when "
        "none)",
        "from_place_km": "Distance of that place from the route line, km",
        "to_place": "Where it ends (as from_place; the landing station at the route's end)",
        "to_place_km": "Distance of that place from the route line, km",
        "country": "ISO 3166-1 alpha-2, or sea",
        "method": "The construction method of most of its km",
        "methods": "Km by construction method",
        "cost_usd": "Cable and drilling cost of the stretch, USD (crossings, landfalls and "
        "sites are priced per item in the routes layer)",
        "usd_per_km": "cost_usd per km",
        "crossings": "Borders (with gateway and status), rivers, faults and landfalls in the "
        "stretch, with their km",
        "sites": "Amplifier (ILA) and regeneration sites in the stretch, with their km",
    },
    "gateways": {
        "a": "One country of the border (ISO 3166-1 alpha-2)",
        "b": "The other country",
        "kind": "fiber_link (published link), rail, road or checkpoint (OSM border post)",
        "kinds": "Every kind of candidate merged into this gateway",
        "status": "in_service, under_construction or planned: the listed entry's it is named "
        "after (a published fiber link's), else in_service (a crossing in the data)",
        "statuses": "Every status merged into this gateway",
        "name_km": "Distance from the gateway to the station, border post or place it is "
        "named after, km (0: named by its list entry or its own border post)",
        "source": "Where the gateway comes from; for a Natural Earth candidate, the detailed "
        "crossing or border post that confirmed it and how far it was moved",
    },
    "fault_crossings": {
        "name": "The fault's name in GEM's database ('unnamed fault' where it has none)",
        "slip_type": "GEM slip type (Reverse, Dextral, Sinistral-Normal, ...)",
        "km_from_origin": "Ground km from the route's origin",
    },
    "latency_validation": {
        "kind": "reference (a measured pair), fit (the overhead) or expected (origin × hub)",
        "origin": "reference: the configured origin its start stands for (within "
        "onward.reference_match_km), empty if none; expected: the origin",
        "hub": "reference: the hub its end stands for; expected: the hub",
        "floor_rt_ms": "2 × great_circle_km × 4.9 µs/km: no round trip can be faster",
        "modelled_rt_ms": "reference: today's path modelled (propagation only); expected: the "
        "corridor's best path, modelled",
        "measured_rt_ms": "reference: the measured round trip; expected: today's measured round "
        "trip of the reference matched to the origin and hub, if any",
        "ratio": "measured_rt_ms / modelled_rt_ms",
        "difference_ms": "measured_rt_ms − modelled_rt_ms",
        "expected_rt_ms": "modelled_rt_ms under the fitted overhead: what users can expect",
        "expected_low_rt_ms": "The same under the least overhead of the references",
        "expected_high_rt_ms": "The same under the greatest overhead of the references",
        "today_modelled_rt_ms": "Today's path (overland to the incumbent gateway, by sea), "
        "modelled",
        "today_expected_rt_ms": "today_modelled_rt_ms under the fitted overhead",
        "overhead": "fit: k (ratio: measured = k × modelled, the geometric mean of the ratios) "
        "or d (additive: measured = modelled + d, ms)",
        "overhead_spread": "fit: geometric standard deviation of the ratios (a factor), or the "
        "standard deviation of the differences (ms)",
    },
    "competitors": {
        "system": "corridor (its best path over the corridor's scenarios), a competitor "
        "scenario's key (e.g. epeg), or today (the incumbent path by Suez)",
        "floor_rt_ms": "2 × great_circle_km × 4.9 µs/km",
        "modelled_rt_ms": "Round-trip propagation delay, ms",
        "expected_rt_ms": "modelled_rt_ms under the fitted overhead (latency_validation)",
        "measured_today_rt_ms": "today: the measured round trip of the matched reference",
        "fastest": "Least modelled round trip of the origin and hub",
        "transit_countries": "Land transit countries (score's transit_km) and the countries "
        "where the cables land on the way",
        "shared_with_competitors": "corridor: ground its route shares with each competitor's "
        "routes (km within route.separation_km, of its own km)",
        "network_shared_with_competitors": "corridor: the same for every corridor route from "
        "the origin together, each km of trench once",
    },
    "crossings": {
        "kind": "border, river, fault or landfall",
        "gateway": "For a border: the gateway (railway, road, border post or published fiber "
        "link) the route crosses at; see gateways.gpkg",
        "gateway_kind": "fiber_link, rail, road or checkpoint",
        "gateway_status": "The gateway's status: in_service, under_construction or planned",
        "crossing_in_service": "The gateway's status is not in service but a railway or road "
        "crossing merged into it is (a planned fiber link at an existing crossing)",
        "off_gateway": "A border crossed away from any gateway (relaxed, at a cost)",
        "km_from_origin": "Ground km from the route's origin",
    },
    "onward_paths": {
        "route_id": "The land route (the cheapest of its scenario, origin and station)",
        "land_km": "Length of the land route, km",
        "submarine_km": "Length along the cables (and metro hops) from the station to the hub, km",
        "length_km": "land_km + submarine_km",
        "latency_ms": "One-way propagation delay in fiber end to end, ms",
        "latency_rt_ms": "Round-trip propagation delay end to end, ms",
        "great_circle_latency_ms": "One-way delay in fiber along the great circle origin–hub, ms",
        "cables": "Cables used from the station to the hub, in order (comma-separated)",
        "cable_rfs_years": "Ready-for-service year of each cable in `cables` (- for a hop)",
        "incumbent_latency_ms": "One-way delay today: overland to the incumbent gateway "
        "(great circle × detour factor), then the least-latency submarine path, ms",
        "saved_ms": "incumbent_latency_ms − latency_ms (negative: slower than today)",
        "chokepoints": "Maritime chokepoints the submarine part passes",
        "incumbent_chokepoints": "Maritime chokepoints today's path passes",
        "avoids": "Chokepoints today's path passes and this one does not",
        "alternatives_latency_ms": "One-way delay with each other alternative land route",
        "floor_rt_ms": "2 × great-circle km (origin–hub) × 4.9 µs/km: no round trip can be faster",
        "via_stations": "Landing stations the cables pass on the way (TeleGeography ids)",
        "incumbent_via_stations": "The same for today's path, its gateway first",
        "expected_rt_ms": "latency_rt_ms under the fitted overhead (latency_validation): what "
        "users can expect to measure",
        "incumbent_expected_rt_ms": "incumbent_latency_rt_ms under the fitted overhead",
    },
}


FIELD_DOCS["competitor_paths"] = FIELD_DOCS["onward_paths"]
_NETWORK = (
    "The network's key (network.networks; by default a scenario's, and <land>+<sea>: the "
    "working tree in one scenario, the protection in the other)"
)
FIELD_DOCS |= {
    "network_nodes": {
        "network": _NETWORK,
        "node_id": "n1, n2, ... unique within the network (from_node and to_node of the links); "
        "empty for the gateways and sites along links",
        "name": "The origin, landing station or waypoint; 'junction N km from' the nearest "
        "place; the gateway; or 'ILA/regen near' the nearest settlement",
        "kind": "origin, landing_station, junction (where links meet, or a waypoint), gateway "
        "(a border crossing on a link), ILA (in-line amplifier) or regen (regeneration site)",
        "country": "ISO 3166-1 alpha-2 code where a node links join lies ('' at sea); empty "
        "along links",
        "station_id": "A landing station's TeleGeography id",
        "origins": "Gateways and sites: the origins whose working or protection path uses the "
        "link it is on",
    },
    "network_links": {
        "network": _NETWORK,
        "link_id": "l1, l2, ... unique within the network",
        "from_node": "node_id of the node it starts at (network_nodes)",
        "to_node": "node_id of the node it ends at",
        "from_name": "Name of the node it starts at",
        "to_name": "Name of the node it ends at",
        "role": "working (on the tree joining every origin to the landing stations), protection "
        "(on protection paths only) or shared (on a working and a protection path)",
        "scenario": "The scenario it was routed in: the network's working scenario, or its "
        "protection scenario for a protection link",
        "length_km": "Ground length, km",
        "cost_usd": "Build cost, USD: cable, drilling, border and landfall crossings and sites, "
        "priced as the score stage prices a route",
        "buried_row_km": "Km trenched along a railway or road right-of-way",
        "buried_flat_km": "Km trenched in flat terrain",
        "buried_hilly_km": "Km trenched in hilly terrain",
        "buried_mountain_km": "Km trenched in mountains",
        "hdd_km": "Km of horizontal directional drilling",
        "submarine_km": "Km of submarine cable",
        "methods": "Km by construction method, as text",
        "countries": "Ground km in each country in order (ISO 3166-1 alpha-2; sea for the water)",
        "gateways": "Border gateways it crosses, in order (see network_nodes and gateways)",
        "origins": "Origins whose working or protection path uses it",
        "working_origins": "Origins whose working path uses it",
        "protection_origins": "Origins whose protection path uses it",
    },
    "network_paths": {
        "network": _NETWORK,
        "origin": "The origin",
        "role": "working (along the network's tree) or protection",
        "station": "The landing station it reaches",
        "station_id": "That station's TeleGeography id",
        "length_km": "Ground length, km",
        "apart": "protection: kept route.separation_km from the working path outside the "
        "endpoint areas (route.endpoint_radius_km); always true on the working row",
        "countries": "Ground km in each country in order (sea for the water)",
        "transit_countries": "Countries neither the origin's nor the station's, with their km",
        "note": "Where the protection path could not keep apart: km and place",
        "transit_shared": "Transit countries the origin's working and protection paths share "
        "(empty: politically diverse)",
    },
    "network_latency": {
        "network": _NETWORK,
        "role": "working or protection: the origin's path the round trip takes",
        "station": "The landing station of that path",
        "land_km": "Length of the land path (network_paths), km",
        "submarine_km": "Length along the cables (and metro hops) from the station to the hub, km",
        "rt_ms": "Round-trip propagation delay end to end, ms",
        "expected_rt_ms": "rt_ms under the overhead fitted to measured round trips "
        "(latency_validation): what users can expect; empty when none was fitted",
        "cables": "Cables from the station to the hub, in order",
    },
    "network_cuts": {
        "network": _NETWORK,
        "element_kind": "link, gateway, landing_station, shared_stretch (where an origin's two "
        "paths could not keep apart) or cable (a submarine cable of the paths to the hubs)",
        "element": "What is cut: the link (its ends), gateway, station, stretch or cable",
        "origins_cut_off": "Origins left without any landing station once it is cut",
        "n_origins_cut_off": "How many",
        "worst_rt_increase_ms": "The largest growth of a round trip of an origin still "
        "connected, ms (empty when none is)",
        "detail": "The largest growths: origin → hub, +ms or no longer reached",
        "hubs_unreached": "Origin → hub pairs no longer reached by an origin that still reaches "
        "a landing station (a cable cut, say)",
        "single_point_of_failure": "The cut leaves an origin without any landing station",
        "why": "For a single point of failure: what in the data makes it one",
    },
    "network_summary": {
        "network": _NETWORK,
        "description": "What the network is",
        "working_scenario": "The scenario its working tree is routed in",
        "protection_scenario": "The scenario its protection paths are routed in",
        "status": "built, or not built (see reason)",
        "reason": "Why it was not built",
        "origins": "The origins it joins",
        "stations": "The landing stations its working tree joins, separated by '; '",
        "protection_stations": "The landing stations its protection paths end at, separated "
        "by '; '",
        "total_km": "Km of every link: working, shared and protection",
        "working_km": "Km of working and shared links",
        "protection_km": "Km of protection links",
        "capex_usd": "Build cost of every link, USD",
        "capex_p10_usd": "Monte Carlo 10th percentile of capex_usd (the uncertainty stage's "
        "draws over its links)",
        "capex_p50_usd": "Monte Carlo median of capex_usd",
        "capex_p90_usd": "Monte Carlo 90th percentile of capex_usd",
        "working_capex_usd": "Build cost of the working and shared links, USD",
        "separate_routes_usd": "The cheapest separate routes (alternative 1 of the working "
        "scenario) from every origin to every station of the tree, summed, USD",
        "separate_routes_missing": "Origin → station pairs without such a route (left out of "
        "the sum)",
        "saving_usd": "separate_routes_usd − working_capex_usd",
        "politically_diverse_origins": "Origins whose working and protection paths cross no "
        "transit country in common",
        "note": "How the stations were chosen when protection could not keep apart, or named "
        "stations it could not reach",
        "n_single_points_of_failure": "Cuts that leave an origin without any landing station",
        "single_points_of_failure": "Each of them: what, whom it cuts off, why",
        "method": "How the network was planned",
    },
}


def attributions() -> list[dict]:
    """Each dataset's title, licence and attribution, from the source manifest."""
    return [
        {"dataset": d.title, "licence": d.licence, "attribution": d.attribution}
        for d in sources.manifest().values()
    ]


def landing_status(landing: gpd.GeoDataFrame, endpoints: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Landing points with ``destination`` (yes/no), ``status`` and ``skip_reason``."""
    dest = endpoints.loc[endpoints["role"] == "destination"]
    routed = set(dest.loc[dest["status"] == "routed", "slug"])
    reasons = (
        dest.loc[dest["status"] == "skipped"]
        .assign(text=lambda d: d["scenario"] + ": " + d["reason"])
        .groupby("slug")["text"]
        .agg(lambda s: "; ".join(sorted(s)))
    )
    out = landing.copy()
    out["destination"] = out["slug"].isin(set(dest["slug"]))
    out["status"] = [
        ("routed" if s in routed else "skipped") if d else "not a destination"
        for s, d in zip(out["slug"], out["destination"], strict=True)
    ]
    out["skip_reason"] = out["slug"].map(reasons).fillna("")
    return out


def geojson_text(gdf: gpd.GeoDataFrame, decimals: int, meta: dict) -> str:
    """RFC 7946 text: lon/lat WGS84, no ``crs`` member, rounded coordinates, and ``metadata``."""
    doc = json.loads(gdf.to_crs(WGS84).to_json(drop_id=True, to_wgs84=True))
    doc.pop("crs", None)

    def rnd(c):
        return [rnd(x) for x in c] if isinstance(c, list) else round(c, decimals)

    for f in doc["features"]:
        if f["geometry"] is not None:
            f["geometry"]["coordinates"] = rnd(f["geometry"]["coordinates"])
    doc["metadata"] = meta
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


CSV_TABLES = {
    "ranking_csv": "ranking_sensitivity",
    "latency_csv": "latency_validation",
    "competitors_csv": "competitors",
    "overlap_csv": "competitor_overlap",
    "route_book_csv": "route_book",
}
"""The attribute tables also written as CSV, by file key."""


NETWORK_LAYERS = ("network_nodes", "network_links", "network_paths")
"""The network stage's spatial layers, delivered in EPSG:4326 like every layer."""
NETWORK_TABLES = ("network_cuts", "network_latency", "network_summary")
"""The network stage's attribute tables, delivered as they are."""


def _tables(files: StageFiles, book: gpd.GeoDataFrame) -> dict:
    """The attribute tables of ``corridor.gpkg``, read from the stages that made them."""
    scores, onward = files["scores"], files["onward"]
    return {
        "ranking_sensitivity": io.read_layer(files["uncertainty"], "ranking_sensitivity"),
        "validation": io.read_layer(scores, "validation"),
        "route_book": pd.DataFrame(book.drop(columns="geometry")),
        "latency_validation": io.read_table(onward, "latency_validation"),
        "competitors": io.read_table(onward, "competitors"),
        "competitor_overlap": io.read_table(scores, "competitor_overlap"),
        **{name: io.read_table(files["network"], name) for name in NETWORK_TABLES},
    }


def _layers(files: StageFiles) -> dict[str, gpd.GeoDataFrame]:
    """The deliverable layers, from the score, uncertainty, onward and cost stages' files."""
    scores, unc = files["scores"], files["uncertainty"]
    endpoints = io.read_layer(scores, "endpoints")
    extra = io.read_layer(unc, "route_uncertainty").drop(columns=["scenario", "origin"])
    routes = io.read_layer(scores, "routes").merge(extra, on="route_id", how="left")
    layers = {
        "routes": routes,
        "route_segments": io.read_layer(scores, "route_segments"),
        "sites": io.read_layer(scores, "sites"),
        "crossings": io.read_layer(scores, "crossings"),
        "fault_crossings": io.read_layer(scores, "fault_crossings"),
        "endpoints": endpoints,
        "landing_points": landing_status(
            io.read_layer(files["ingest"], "landing_points"), endpoints
        ),
        "shared_risk_segments": io.read_layer(scores, "shared_risk_segments"),
        "shared_risk_points": io.read_layer(scores, "shared_risk_points"),
        "onward_paths": io.read_layer(files["onward"], "onward_paths"),
        "competitor_paths": io.read_layer(files["onward"], "competitor_paths"),
        "hubs": io.read_layer(files["onward"], "hubs"),
        "gateways": io.read_layer(files["gateways"], "gateways"),
        **{n: io.read_layer(files["network"], n) for n in NETWORK_LAYERS},
    }
    return {k: v.to_crs(WGS84) for k, v in layers.items()}


OFDS_PUBLISHER = "fiber-corridor pipeline"


def ofds_package(
    layers: dict[str, gpd.GeoDataFrame], summary: pd.DataFrame, *, build_date: str
) -> dict:
    """The OFDS 0.4 package of the built networks (``pipeline.ofds``).

    ``layers`` holds ``network_nodes`` and ``network_links``; ``summary`` is
    ``network_summary``. A network whose status is ``not built`` is left out. Its nodes are
    those its links join (a ``node_id``); each network is named by its description. The
    ``collectionDate`` is ``build_date``: the day network.gpkg was written, when the locations
    were made, so the files change only when the network does; ``publicationDate`` is left
    out, as publishing is what someone does with the files later.
    """
    built = summary.loc[summary["status"] != "not built"]
    names = built["description"].fillna("").str.strip()
    names = names.where(names != "", built["network"])
    summaries = [
        {"network": k, "name": n, "publisher": OFDS_PUBLISHER, "build_date": build_date}
        for k, n in zip(built["network"], names, strict=True)
    ]
    nodes, links = layers["network_nodes"], layers["network_links"]
    nodes = nodes.loc[nodes["network"].isin(built["network"]) & nodes["node_id"].notna()]
    links = links.loc[links["network"].isin(built["network"])]
    return ofds.network_package(nodes, links, summaries=summaries, published=None)


def _write_geojson(files: StageFiles, layers: dict[str, gpd.GeoDataFrame], decimals: int) -> None:
    """Each spatial layer as ``geojson/<layer>.geojson``, the sources' attributions with it."""
    meta = {
        "generator": "fiber-corridor pipeline",
        "sources": attributions(),
        "coordinate_decimals": decimals,
    }
    for name, gdf in layers.items():
        io.write_text(
            files[f"geojson/{name}"], geojson_text(gdf, decimals, {**meta, "layer": name})
        )


def _write_ofds(files: StageFiles, layers: dict, summary: pd.DataFrame) -> None:
    """The OFDS files, in the folder the catalogue declares them in."""
    package = ofds_package(layers, summary, build_date=io.modified_date(files["network"]))
    ofds.write(files["ofds/network"].parent, package)


def run(cfg: Config, files: StageFiles) -> Path:
    """Write ``corridor.gpkg``, the GeoJSON and OFDS files and the tables as CSV."""
    layers = _layers(files)
    book = io.read_layer(files["scores"], "route_book").to_crs(WGS84)
    tables = _tables(files, book)
    _write_geojson(files, {**layers, "route_book": book}, cfg.export.geojson_decimals)
    _write_ofds(files, layers, tables["network_summary"])
    for key, table in CSV_TABLES.items():
        io.write_csv(files[key], tables[table])
    io.write_csv(files["routes_csv"], layers["routes"].drop(columns="geometry"))
    scenarios = [(k, sc.description or k) for k, sc in cfg.route.scenarios.items()]
    hubs = [(h.name, h.name) for h in cfg.onward.hubs]
    extras = styles.gpkg_extras(
        {"routes": scenarios, "onward_paths": hubs, "competitor_paths": hubs},
        "Eurasian fiber corridor plan",
        LAYER_DOCS,
        field_docs=FIELD_DOCS,
    )
    for template, key in styles.RASTER_STYLES.items():
        io.write_text(files[key], styles.template(template))
    io.write_gpkg(files["corridor"], {**layers, **tables}, extras)
    log.info(
        "export: %s (%s) and %d GeoJSON files",
        files["corridor"],
        ", ".join(f"{k} {len(v)}" for k, v in {**layers, **tables}.items()),
        len(layers),
    )
    return files["corridor"]
