"""Onward stage: from the Iranian landing stations to the world's interconnection hubs.

The submarine network is ``cables``'s: landing stations joined by the cables that serve them
(TeleGeography's global data), and stations of one metro area by short terrestrial hops.
For each scenario, origin, routed landing station and hub, the end-to-end path is the cheapest
land route to the station plus the least-latency submarine path onward; it is compared with the
incumbent path (overland to a European gateway, then by sea), and the chokepoints each passes
are listed.
"""

from __future__ import annotations

import difflib
import logging
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import io
from .cables import (
    Edge,
    Network,
    best_per_origin_hub,
    best_to_hub,
    build_network,
    chokepoints_on,
    geod_km,
    hub_stations,
)
from .catalogue import StageFiles
from .config import Config, Hub, OnwardConfig
from .errors import ConfigError
from .geometry import latency_ms
from .grid import WGS84

log = logging.getLogger(__name__)


# --- the network ---------------------------------------------------------------------------------


# --- paths -------------------------------------------------------------------------------------


def _cables_text(edges: list[Edge]) -> tuple[str, str]:
    names, years = [], []
    for e in edges:
        if not names or names[-1] != e.cable:
            names.append(e.cable)
            years.append("-" if e.rfs_year is None else str(int(e.rfs_year)))
    return ", ".join(names), ", ".join(years)


def _hub_point(hub: Hub, stations: gpd.GeoDataFrame, where: str) -> shapely.Point:
    """The centre of a hub's stations; a ConfigError naming near matches if none is known."""
    known = set(stations["station_id"])
    unknown = [s for s in hub.stations if s not in known]
    if unknown:
        near = sorted({m for s in unknown for m in difflib.get_close_matches(s, known, n=3)})
        raise ConfigError(
            f"{where} {hub.name!r}: {unknown} are not TeleGeography landing-point ids"
            f"{f' (close: {near})' if near else ''}. Fix: use ids as in the layer "
            "world_landing_points of ingest.gpkg, e.g. 'mumbai-india'."
        )
    pts = stations.loc[stations["station_id"].isin(hub.stations)].geometry
    return shapely.MultiPoint(list(pts)).centroid


@dataclass(frozen=True)
class _Setting:
    """What every path needs: the network, the settings, the hubs' and gateway's positions."""

    network: Network
    c: OnwardConfig
    group_index: float
    hub_pts: dict[str, shapely.Point]
    gateway_pt: shapely.Point


def incumbent(s: _Setting, origin: shapely.Point, hub: Hub) -> dict:
    """Today's path: overland to the gateway (great circle × detour factor), then by sea.

    NaN figures when the gateway does not reach the hub by sea.
    """
    gw = next(iter(hub_stations(s.c.incumbent_gateway, s.network)), None)
    sea = None if gw is None else best_to_hub(s.network, s.network.paths_from(gw), gw, hub=hub)
    if sea is None:
        return {"km": np.nan, "latency_ms": np.nan, "cables": "", "chokepoints": []}
    gw_pt = s.gateway_pt
    km = float(geod_km((origin.x, origin.y), (gw_pt.x, gw_pt.y))) * s.c.terrestrial_detour_factor
    km += sea[0]
    return {
        "km": km,
        "latency_ms": latency_ms(km, s.group_index),
        "cables": _cables_text(sea[1])[0],
        "chokepoints": chokepoints_on(sea[1], s.c),
    }


def onward_paths(
    routes: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame,
    network: Network,
    *,
    c: OnwardConfig,
    group_index: float,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, list[str]]:
    """One feature per scenario × origin × station × hub, the hubs, and what was not connected.

    ``routes`` are the scored routes in EPSG:4326; the cheapest of each scenario, origin and
    station carries the path; the others' end-to-end latencies are listed beside it.
    """
    s = _Setting(
        network,
        c,
        group_index,
        {h.name: _hub_point(h, stations, "onward.hubs:") for h in c.hubs},
        _hub_point(c.incumbent_gateway, stations, "onward.incumbent_gateway:"),
    )
    rows, missing = [], []
    from_station: dict[str, tuple] = {}
    today: dict[tuple[str, str], dict] = {}
    for (_, _, station), pair in routes.groupby(
        ["scenario", "origin", "destination_slug"], sort=True
    ):
        if station not in network.index:
            missing.append(f"{station}: not in the cable data")
            continue
        if station not in from_station:
            from_station[station] = network.paths_from(station)
        pair = pair.sort_values("rank")
        start = shapely.Point(pair.iloc[0].geometry.coords[0])
        for hub in c.hubs:
            sea = best_to_hub(network, from_station[station], station, hub=hub)
            if sea is None:
                missing.append(f"{station} → {hub.name}: no submarine path")
                continue
            key = (pair.iloc[0]["origin"], hub.name)
            if key not in today:
                today[key] = incumbent(s, start, hub)
            rows.append(_path_row(s, pair, sea, hub=hub, start=start, inc=today[key]))
    hubs = gpd.GeoDataFrame(
        {
            "name": [h.name for h in c.hubs] + [c.incumbent_gateway.name],
            "role": ["hub"] * len(c.hubs) + ["incumbent gateway"],
            "stations": [", ".join(h.stations) for h in (*c.hubs, c.incumbent_gateway)],
            "source": [h.source for h in (*c.hubs, c.incumbent_gateway)],
        },
        geometry=[*s.hub_pts.values(), s.gateway_pt],
        crs=WGS84,
    )
    paths = gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84) if rows else None
    return paths, hubs, missing


def _path_row(
    s: _Setting, pair: pd.DataFrame, sea: tuple[float, list[Edge]], *, hub: Hub, start, inc: dict
) -> dict:
    """The record of one end-to-end path: the pair's cheapest route, then ``sea`` to ``hub``."""
    best = pair.iloc[0]
    sea_km, edges = sea
    km = float(best["length_km"]) + sea_km
    cables, years = _cables_text(edges)
    hub_pt = s.hub_pts[hub.name]
    gc_km = float(geod_km((start.x, start.y), (hub_pt.x, hub_pt.y)))
    passes = chokepoints_on(edges, s.c)
    lat = latency_ms(km, s.group_index)
    others = "; ".join(
        f"{int(r['alternative'])}: {latency_ms(float(r['length_km']) + sea_km, s.group_index):.1f}"
        " ms"
        for _, r in pair.iloc[1:].sort_values("alternative").iterrows()
    )
    return {
        "scenario": best["scenario"],
        "origin": best["origin"],
        "station": best["destination"],
        "station_id": best["destination_slug"],
        "hub": hub.name,
        "route_id": best["route_id"],
        "land_km": float(best["length_km"]),
        "submarine_km": sea_km,
        "length_km": km,
        "latency_ms": lat,
        "latency_rt_ms": 2 * lat,
        "great_circle_km": gc_km,
        "great_circle_latency_ms": latency_ms(gc_km, s.group_index),
        "cables": cables,
        "cable_rfs_years": years,
        "oldest_rfs_year": min((int(y) for y in years.split(", ") if y.isdigit()), default=None),
        "incumbent_km": inc["km"],
        "incumbent_latency_ms": inc["latency_ms"],
        "incumbent_latency_rt_ms": 2 * inc["latency_ms"],
        "incumbent_cables": inc["cables"],
        "saved_ms": inc["latency_ms"] - lat,
        "saved_rt_ms": 2 * (inc["latency_ms"] - lat),
        "chokepoints": ", ".join(passes),
        "incumbent_chokepoints": ", ".join(inc["chokepoints"]),
        "avoids": ", ".join(p for p in inc["chokepoints"] if p not in passes),
        "alternatives_latency_ms": others,
        "geometry": shapely.MultiLineString(
            [best.geometry, *(shapely.LineString(e.coords) for e in edges)]
        ),
    }


def run(cfg: Config, files: StageFiles) -> Path:
    """Build the network, find every onward path; write ``onward.gpkg``."""
    ingest = files["ingest"]
    cables = io.read_layer(ingest, "world_cables")
    stations = io.read_layer(ingest, "world_landing_points")
    routes = io.read_layer(files["scores"], "routes").to_crs(WGS84)
    network, stats = build_network(cables, stations, cfg.onward)
    log.info(
        "onward: %d cables (%d planned left out), %d metro hops, %d station listings not "
        "snapped within %.0f km%s",
        stats["cables"],
        stats["planned_excluded"],
        stats["hops"],
        len(stats["unsnapped"]),
        cfg.onward.snap_tolerance_km,
        f" ({', '.join(stats['unsnapped'][:8])})" if stats["unsnapped"] else "",
    )
    paths, hubs, missing = onward_paths(
        routes, stations, network, c=cfg.onward, group_index=cfg.score.fiber_group_index
    )
    for text in missing:
        log.warning("onward: %s", text)
    if paths is None:
        paths = gpd.GeoDataFrame({"hub": []}, geometry=[], crs=WGS84)
    summary = pd.DataFrame(
        [
            {"item": "cables_in_network", "value": stats["cables"]},
            {"item": "planned_cables_left_out", "value": stats["planned_excluded"]},
            {"item": "metro_hops", "value": stats["hops"]},
            {"item": "station_listings_not_snapped", "value": len(stats["unsnapped"])},
            {"item": "not_connected", "value": len(missing)},
        ]
    )
    io.write_gpkg(
        files["onward"],
        {"onward_paths": paths, "hubs": hubs, "onward_summary": summary},
    )
    if not paths.empty:
        for _, p in best_per_origin_hub(paths).iterrows():
            log.info(
                "onward %s → %s: best via %s, %.1f ms RTT (today %.1f), saves %.1f ms; avoids %s",
                p["origin"],
                p["hub"],
                p["station"],
                p["latency_rt_ms"],
                p["incumbent_latency_rt_ms"],
                p["saved_rt_ms"],
                p["avoids"] or "nothing",
            )
    return files["onward"]
