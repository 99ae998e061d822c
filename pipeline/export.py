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
and ``competitor_overlap``; one RFC 7946 GeoJSON file per spatial layer in ``geojson/``, each
carrying the data sources' attributions as a foreign member; and ``routes.csv`` and
``ranking_sensitivity.csv``, ``latency_validation.csv``, ``competitors.csv`` and
``competitor_overlap.csv`` for spreadsheets.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import io, sources, styles
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
    }
    return {k: v.to_crs(WGS84) for k, v in layers.items()}


def run(cfg: Config, files: StageFiles) -> Path:
    """Write ``corridor.gpkg``, ``geojson/<layer>.geojson`` and the tables as CSV."""
    layers = _layers(files)
    book = io.read_layer(files["scores"], "route_book").to_crs(WGS84)
    tables = _tables(files, book)
    meta = {
        "generator": "fiber-corridor pipeline",
        "sources": attributions(),
        "coordinate_decimals": cfg.export.geojson_decimals,
    }
    for name, gdf in layers.items():
        io.write_text(
            files[f"geojson/{name}"],
            geojson_text(gdf, cfg.export.geojson_decimals, {**meta, "layer": name}),
        )
    io.write_text(
        files["geojson/route_book"],
        geojson_text(book, cfg.export.geojson_decimals, {**meta, "layer": "route_book"}),
    )
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
