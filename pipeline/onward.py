"""Onward stage: from the Iranian landing stations to the world's interconnection hubs.

The submarine network is ``cables``'s: landing stations joined by the cables that serve them
(TeleGeography's global data), and stations of one metro area by short terrestrial hops.
For each scenario, origin, routed landing station and hub, the end-to-end path is the cheapest
land route to the station plus the least-latency submarine path onward; it is compared with the
incumbent path (overland to a European gateway, then by sea), and the chokepoints each passes
are listed.

Then the comparisons: each measured reference (``onward.latency_references``) is modelled as
today's path is and the overhead fitted over them (``latency_validation``, with every origin
and hub's expected round trip); the competitor scenarios' routes (EPEG) give
``competitor_paths`` (on their own cable first), and ``competitors`` sets the corridor, each
competitor and today's path side by side with the ground the corridor shares with each
competitor (the score stage's ``competitor_overlap``).
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

from . import io, measured
from .cables import (
    Edge,
    Network,
    best_per_origin_hub,
    best_to_hub,
    build_network,
    cable_edges,
    chokepoints_on,
    geod_km,
    hub_stations,
)
from .catalogue import StageFiles
from .config import Config, Hub, OnwardConfig, check_names
from .errors import ConfigError
from .geometry import floor_rt_ms, latency_ms
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


def setting(
    network: Network, stations: gpd.GeoDataFrame, *, c: OnwardConfig, group_index: float
) -> _Setting:
    """The network, the settings and the hubs' and gateway's positions (hub ids checked)."""
    return _Setting(
        network,
        c,
        group_index,
        {h.name: _hub_point(h, stations, "onward.hubs:") for h in c.hubs},
        _hub_point(c.incumbent_gateway, stations, "onward.incumbent_gateway:"),
    )


def hubs_layer(s: _Setting) -> gpd.GeoDataFrame:
    """The hubs and the incumbent gateway, at their stations' centres."""
    c = s.c
    return gpd.GeoDataFrame(
        {
            "name": [h.name for h in c.hubs] + [c.incumbent_gateway.name],
            "role": ["hub"] * len(c.hubs) + ["incumbent gateway"],
            "stations": [", ".join(h.stations) for h in (*c.hubs, c.incumbent_gateway)],
            "source": [h.source for h in (*c.hubs, c.incumbent_gateway)],
        },
        geometry=[*s.hub_pts.values(), s.gateway_pt],
        crs=WGS84,
    )


def incumbent(s: _Setting, origin: shapely.Point, hub: Hub) -> dict:
    """Today's path: overland to the gateway (great circle × detour factor), then by sea.

    NaN figures when the gateway does not reach the hub by sea.
    """
    gw = next(iter(hub_stations(s.c.incumbent_gateway, s.network)), None)
    sea = None if gw is None else best_to_hub(s.network, s.network.paths_from(gw), gw, hub=hub)
    if sea is None:
        return {"km": np.nan, "latency_ms": np.nan, "cables": "", "chokepoints": [], "via": ""}
    gw_pt = s.gateway_pt
    km = float(geod_km((origin.x, origin.y), (gw_pt.x, gw_pt.y))) * s.c.terrestrial_detour_factor
    km += sea[0]
    return {
        "km": km,
        "latency_ms": latency_ms(km, s.group_index),
        "cables": _cables_text(sea[1])[0],
        "chokepoints": chokepoints_on(sea[1], s.c),
        "via": ",".join([gw, *(e.b for e in sea[1][:-1])]),
    }


def onward_paths(
    routes: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame,
    network: Network,
    *,
    c: OnwardConfig,
    group_index: float,
    own_cable: dict[str, list[Edge]] | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, list[str]]:
    """One feature per scenario × origin × station × hub, the hubs, and what was not connected.

    ``routes`` are the scored routes in EPSG:4326; the cheapest of each scenario, origin and
    station carries the path; the others' end-to-end latencies are listed beside it.
    ``own_cable``: per scenario, the edges of a cable its paths onward take first (a
    competitor's own cable, such as EPEG's).
    """
    s = setting(network, stations, c=c, group_index=group_index)
    rows, missing = [], []
    cache: dict[str, tuple] = {}

    def paths_from(station: str) -> tuple:
        if station not in cache:
            cache[station] = network.paths_from(station)
        return cache[station]

    today: dict[tuple[str, str], dict] = {}
    for (scenario, _, station), pair in routes.groupby(
        ["scenario", "origin", "destination_slug"], sort=True
    ):
        if station not in network.index:
            missing.append(f"{station}: not in the cable data")
            continue
        pair = pair.sort_values("rank")
        start = shapely.Point(pair.iloc[0].geometry.coords[0])
        own = (own_cable or {}).get(scenario)
        for hub in c.hubs:
            sea = sea_path(network, station, hub=hub, paths_from=paths_from, own=own)
            if sea is None:
                missing.append(f"{station} → {hub.name}: no submarine path")
                continue
            key = (pair.iloc[0]["origin"], hub.name)
            if key not in today:
                today[key] = incumbent(s, start, hub)
            rows.append(_path_row(s, pair, sea, hub=hub, start=start, inc=today[key]))
    hubs = hubs_layer(s)
    paths = gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84) if rows else None
    return paths, hubs, missing


def sea_path(
    network: Network, station: str, *, hub: Hub, paths_from, own: list[Edge] | None = None
) -> tuple[float, list[Edge]] | None:
    """The least-km path from ``station`` to ``hub`` over the cables; None if there is none.

    With ``own`` (the edges of one cable), the path first takes that cable from the station to
    another of its stations, then the least-km path on.
    """
    if own is None:
        return best_to_hub(network, paths_from(station), station, hub=hub)
    best = None
    for e in own:
        if station not in (e.a, e.b):
            continue
        if e.a != station:
            e = Edge(e.b, e.a, e.km, e.cable, e.rfs_year, e.coords[::-1])
        if e.b not in network.index:
            continue
        rest = best_to_hub(network, paths_from(e.b), e.b, hub=hub)
        if rest is not None and (best is None or e.km + rest[0] < best[0]):
            best = (e.km + rest[0], [e, *rest[1]])
    return best


def own_cables(
    cables: gpd.GeoDataFrame, stations: gpd.GeoDataFrame, *, cfg: Config
) -> dict[str, list[Edge]]:
    """Per competitor scenario with a ``cable``: that cable's edges between its stations."""
    xy = {k: (g.x, g.y) for k, g in zip(stations["station_id"], stations.geometry, strict=True)}
    out = {}
    for key, sc in cfg.route.scenarios.items():
        if sc.cable is None:
            continue
        check_names(
            f"route.scenarios.{key}.cable",
            [sc.cable],
            cables["name"],
            where="the cable names of the TeleGeography data (world_cables of ingest.gpkg)",
        )
        rec = cables.loc[cables["name"] == sc.cable].iloc[0].to_dict()
        out[key] = cable_edges(rec, xy, cfg.onward.snap_tolerance_km)[0]
    return out


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
        "floor_rt_ms": floor_rt_ms(gc_km),
        "cables": cables,
        "via_stations": ",".join(e.b for e in edges[:-1]),
        "cable_rfs_years": years,
        "oldest_rfs_year": min((int(y) for y in years.split(", ") if y.isdigit()), default=None),
        "incumbent_km": inc["km"],
        "incumbent_latency_ms": inc["latency_ms"],
        "incumbent_latency_rt_ms": 2 * inc["latency_ms"],
        "incumbent_cables": inc["cables"],
        "incumbent_via_stations": inc["via"],
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


# --- against measurements and the routes that exist ------------------------------------------


VALIDATION_COLUMNS = (
    "kind",
    "name",
    "origin",
    "hub",
    "great_circle_km",
    "floor_rt_ms",
    "modelled_rt_ms",
    "measured_rt_ms",
    "ratio",
    "difference_ms",
    "expected_rt_ms",
    "expected_low_rt_ms",
    "expected_high_rt_ms",
    "today_modelled_rt_ms",
    "today_expected_rt_ms",
    "overhead_form",
    "overhead",
    "overhead_low",
    "overhead_high",
    "overhead_spread",
    "n_references",
    "statistic",
    "date",
    "path",
    "source",
)


def origin_points(routes: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Each origin's position (lon, lat): where its routes start."""
    return {
        o: tuple(g.geometry.iloc[0].coords[0][:2]) for o, g in routes.groupby("origin", sort=True)
    }


def reference_rows(
    s: _Setting, stations: gpd.GeoDataFrame, *, origins: dict[str, tuple[float, float]]
) -> list[dict]:
    """Each measured reference against today's modelled path, matched to an origin and hub."""
    xy = {k: (g.x, g.y) for k, g in zip(stations["station_id"], stations.geometry, strict=True)}
    hubs = {h: (p.x, p.y) for h, p in s.hub_pts.items()}
    within = s.c.reference_match_km
    rows = []
    for i, ref in enumerate(s.c.latency_references):
        for side in ("sea_from", "sea_to"):
            ids = getattr(ref, side)
            if ids:
                _hub_point(
                    Hub(name=ref.name, stations=ids),
                    stations,
                    f"onward.latency_references.{i}.{side}:",
                )
        path = measured.today_path(
            ref,
            s.network,
            xy,
            gateway=s.c.incumbent_gateway.stations,
            detour=s.c.terrestrial_detour_factor,
        )
        start, end = (ref.from_lon_deg, ref.from_lat_deg), (ref.to_lon_deg, ref.to_lat_deg)
        gc = float(geod_km(start, end))
        rt = np.nan if path is None else 2 * latency_ms(path.km, s.group_index)
        rows.append(
            {
                "kind": "reference",
                "name": ref.name,
                "origin": measured.nearest_within(start, origins, km=within) or "",
                "hub": measured.nearest_within(end, hubs, km=within) or "",
                "great_circle_km": gc,
                "floor_rt_ms": floor_rt_ms(gc),
                "modelled_rt_ms": rt,
                "measured_rt_ms": ref.rtt_ms,
                "ratio": ref.rtt_ms / rt,
                "difference_ms": ref.rtt_ms - rt,
                "statistic": ref.statistic,
                "date": ref.date,
                "path": "no cable path" if path is None else _path_text(path, s),
                "source": ref.source,
            }
        )
    return rows


def _path_text(path: measured.TodayPath, s: _Setting) -> str:
    return (
        f"{path.land_km:,.0f} km overland (great circle × {s.c.terrestrial_detour_factor:g}), "
        f"{path.sea_km:,.0f} km by sea: {_cables_text(path.edges)[0] or 'no cable'}"
    )


def _expected(overhead: measured.Overhead | None, rt: float) -> dict:
    if overhead is None:
        return {
            "expected_rt_ms": np.nan,
            "expected_low_rt_ms": np.nan,
            "expected_high_rt_ms": np.nan,
        }
    return {
        "expected_rt_ms": overhead.expected(rt),
        "expected_low_rt_ms": overhead.expected(rt, "low"),
        "expected_high_rt_ms": overhead.expected(rt, "high"),
    }


def _fit_row(overhead: measured.Overhead | None, form: str) -> dict:
    if overhead is None:
        return {"kind": "fit", "name": f"overhead ({form}): no reference to fit", "n_references": 0}
    unit = "×" if form == "ratio" else "ms"
    return {
        "kind": "fit",
        "name": f"overhead ({form}): measured = "
        + ("k × modelled" if form == "ratio" else "modelled + d")
        + f", {overhead.value:.3g} {unit}",
        "overhead_form": form,
        "overhead": overhead.value,
        "overhead_low": overhead.low,
        "overhead_high": overhead.high,
        "overhead_spread": overhead.spread,
        "n_references": overhead.n,
    }


def latency_validation(
    refs: list[dict], paths: pd.DataFrame, *, form: str
) -> tuple[pd.DataFrame, measured.Overhead | None]:
    """The table: references, the fitted overhead, and each origin and hub's expected round trip.

    ``paths`` are the corridor's onward paths; the best of each origin and hub is taken.
    """
    overhead = measured.fit_overhead(
        [r["modelled_rt_ms"] for r in refs], [r["measured_rt_ms"] for r in refs], form=form
    )
    rows = [{**r, **_expected(overhead, r["modelled_rt_ms"])} for r in refs]
    rows.append(_fit_row(overhead, form))
    best = best_per_origin_hub(paths) if not paths.empty else paths
    for _, p in best.sort_values(["origin", "hub"]).iterrows() if not best.empty else []:
        ref = next((r for r in refs if (r["origin"], r["hub"]) == (p["origin"], p["hub"])), None)
        rows.append(
            {
                "kind": "expected",
                "name": f"{p['scenario']}: {p['station']}",
                "origin": p["origin"],
                "hub": p["hub"],
                "great_circle_km": p["great_circle_km"],
                "floor_rt_ms": p["floor_rt_ms"],
                "modelled_rt_ms": p["latency_rt_ms"],
                "measured_rt_ms": np.nan if ref is None else ref["measured_rt_ms"],
                "today_modelled_rt_ms": p["incumbent_latency_rt_ms"],
                "today_expected_rt_ms": _expected(overhead, p["incumbent_latency_rt_ms"])[
                    "expected_rt_ms"
                ],
                **_expected(overhead, p["latency_rt_ms"]),
                **({} if ref is None else {k: ref[k] for k in ("statistic", "date", "source")}),
                "path": "" if ref is None else f"today measured: {ref['name']}",
            }
        )
    return pd.DataFrame(rows, columns=list(VALIDATION_COLUMNS)), overhead


COMPETITOR_COLUMNS = (
    "origin",
    "hub",
    "system",
    "scenario",
    "route_id",
    "station",
    "length_km",
    "great_circle_km",
    "floor_rt_ms",
    "modelled_rt_ms",
    "expected_rt_ms",
    "expected_low_rt_ms",
    "expected_high_rt_ms",
    "measured_today_rt_ms",
    "fastest",
    "chokepoints",
    "transit_countries",
    "cables",
    "shared_with_competitors",
    "network_shared_with_competitors",
)


@dataclass(frozen=True)
class Rivals:
    """What the competitors table compares: the paths, the shared ground, the transit facts."""

    corridor: pd.DataFrame  # the corridor's onward paths
    competitors: pd.DataFrame  # the competitor scenarios' onward paths (same columns)
    overlap: pd.DataFrame  # score's competitor_overlap
    transit: dict[str, str]  # route_id -> its land transit countries (score's transit_km)
    station_country: dict[str, str]  # TeleGeography station id -> country


def _countries(stops: str, rv: Rivals) -> str:
    found = [rv.station_country.get(x, "") for x in stops.split(",") if x]
    return ", ".join(dict.fromkeys(c for c in found if c)) or "none"


def _transit(p: pd.Series, rv: Rivals, *, today: bool) -> str:
    """Countries a path depends on between its ends.

    Its land route's transit countries (score's ``transit_km``), then the countries where its
    cables land on the way (its ends excluded; today's path: its gateway included).
    """
    if today:
        land = "overland to the incumbent gateway (countries not modelled)"
        return f"{land}; sea: {_countries(p['incumbent_via_stations'], rv)}"
    land = rv.transit.get(p["route_id"], "") or "none"
    return f"land: {land}; sea: {_countries(p['via_stations'], rv)}"


def _shared_text(ov: pd.DataFrame, *, kind: str, subject: str) -> str:
    rows = ov.loc[(ov["kind"] == kind) & (ov["subject"] == subject)]
    return "; ".join(
        f"{r.competitor}: {r.shared_km:,.1f} km of {r.subject_km:,.0f} "
        f"({100 * r.shared_share:.1f} %)"
        for r in rows.itertuples()
    )


def _system_row(p: pd.Series, rv: Rivals, *, system: str, overhead) -> dict:
    today = system == "today"
    rt = p["incumbent_latency_rt_ms"] if today else p["latency_rt_ms"]
    ov = rv.overlap.loc[rv.overlap["origin"] == p["origin"]]
    mine = system == "corridor"
    return {
        "origin": p["origin"],
        "hub": p["hub"],
        "system": system,
        "scenario": "" if today else p["scenario"],
        "route_id": "" if today else p["route_id"],
        "station": "" if today else p["station"],
        "length_km": p["incumbent_km"] if today else p["length_km"],
        "great_circle_km": p["great_circle_km"],
        "floor_rt_ms": p["floor_rt_ms"],
        "modelled_rt_ms": rt,
        **_expected(overhead, rt),
        "chokepoints": p["incumbent_chokepoints"] if today else p["chokepoints"],
        "transit_countries": _transit(p, rv, today=today),
        "cables": p["incumbent_cables"] if today else p["cables"],
        "shared_with_competitors": _shared_text(ov, kind="route", subject=p["route_id"])
        if mine
        else "",
        "network_shared_with_competitors": _shared_text(ov, kind="network", subject="network")
        if mine
        else "",
    }


def competitors_table(rv: Rivals, *, overhead, refs: list[dict]) -> pd.DataFrame:
    """Per origin and hub: the corridor's best path, each competitor's, and today's (Suez).

    Round trips modelled and expected (the fitted overhead), chokepoints, transit countries,
    and the ground the corridor's route and network share with each competitor.
    """
    rows = []
    if rv.corridor.empty:
        return pd.DataFrame(rows, columns=list(COMPETITOR_COLUMNS))
    rival_best = {}
    if not rv.competitors.empty:
        for (_, o, h), g in rv.competitors.groupby(["scenario", "origin", "hub"]):
            rival_best.setdefault((o, h), []).append(g.sort_values("latency_ms").iloc[0])
    for _, p in best_per_origin_hub(rv.corridor).sort_values(["origin", "hub"]).iterrows():
        key = (p["origin"], p["hub"])
        group = [_system_row(p, rv, system="corridor", overhead=overhead)]
        group += [
            _system_row(q, rv, system=q["scenario"], overhead=overhead)
            for q in rival_best.get(key, [])
        ]
        group.append(_system_row(p, rv, system="today", overhead=overhead))
        ref = next((r for r in refs if (r["origin"], r["hub"]) == key), None)
        group[-1]["measured_today_rt_ms"] = np.nan if ref is None else ref["measured_rt_ms"]
        fastest = int(np.argmin([g["modelled_rt_ms"] for g in group]))
        for i, g in enumerate(group):
            g["fastest"] = i == fastest
        rows += group
    return pd.DataFrame(rows, columns=list(COMPETITOR_COLUMNS))


def with_expected(paths: gpd.GeoDataFrame, overhead) -> gpd.GeoDataFrame:
    """``paths`` with the round trips users can expect, the corridor's and today's."""
    paths = paths.copy()
    for col, rt in (("expected_rt_ms", "latency_rt_ms"), ("incumbent_expected_rt_ms", None)):
        rt = rt or "incumbent_latency_rt_ms"
        paths[col] = [_expected(overhead, v)["expected_rt_ms"] for v in paths[rt]]
    return paths


def _paths_of(routes: gpd.GeoDataFrame, stations, network: Network, *, cfg: Config, own_cable=None):
    """The onward paths of ``routes`` (an empty layer when none), and what was not connected."""
    if routes.empty:
        return gpd.GeoDataFrame({"hub": []}, geometry=[], crs=WGS84), []
    paths, _, missing = onward_paths(
        routes,
        stations,
        network,
        c=cfg.onward,
        group_index=cfg.score.fiber_group_index,
        own_cable=own_cable,
    )
    if paths is None:
        paths = gpd.GeoDataFrame({"hub": []}, geometry=[], crs=WGS84)
    return paths, missing


def compare(
    routes: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame,
    network: Network,
    *,
    cfg: Config,
    overlap: pd.DataFrame,
    own_cable: dict[str, list[Edge]],
) -> dict[str, pd.DataFrame]:
    """The corridor's onward paths, the hubs, latency_validation and competitors, by layer.

    Routes of the competitor scenarios (``route.scenarios.<key>.competitor``) give the
    competitors' paths (on their ``own_cable`` first), never the corridor's.
    """
    rival = routes["scenario"].isin(cfg.route.competitors())
    paths, missing = _paths_of(routes.loc[~rival], stations, network, cfg=cfg)
    theirs, missing_r = _paths_of(
        routes.loc[rival], stations, network, cfg=cfg, own_cable=own_cable
    )
    for text in missing + missing_r:
        log.warning("onward: %s", text)
    s = setting(network, stations, c=cfg.onward, group_index=cfg.score.fiber_group_index)
    refs = reference_rows(s, stations, origins=origin_points(routes))
    table, overhead = latency_validation(refs, paths, form=cfg.onward.overhead_form)
    rv = Rivals(
        corridor=paths,
        competitors=theirs,
        overlap=overlap,
        transit=dict(zip(routes["route_id"], routes["transit_km"], strict=True)),
        station_country=dict(zip(stations["station_id"], stations["country"], strict=True)),
    )
    return {
        "onward_paths": with_expected(paths, overhead) if not paths.empty else paths,
        "competitor_paths": with_expected(theirs, overhead) if not theirs.empty else theirs,
        "hubs": hubs_layer(s),
        "latency_validation": table,
        "competitors": competitors_table(rv, overhead=overhead, refs=refs),
        "missing": missing + missing_r,
    }


def run(cfg: Config, files: StageFiles) -> Path:
    """Build the network, find every onward path, compare; write ``onward.gpkg``."""
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
    out = compare(
        routes,
        stations,
        network,
        cfg=cfg,
        overlap=io.read_table(files["scores"], "competitor_overlap"),
        own_cable=own_cables(cables, stations, cfg=cfg),
    )
    missing = out.pop("missing")
    summary = pd.DataFrame(
        [
            {"item": "cables_in_network", "value": stats["cables"]},
            {"item": "planned_cables_left_out", "value": stats["planned_excluded"]},
            {"item": "metro_hops", "value": stats["hops"]},
            {"item": "station_listings_not_snapped", "value": len(stats["unsnapped"])},
            {"item": "not_connected", "value": len(missing)},
        ]
    )
    io.write_gpkg(files["onward"], {**out, "onward_summary": summary})
    _log_results(out)
    return files["onward"]


def _log_results(out: dict[str, pd.DataFrame]) -> None:
    paths = out["onward_paths"]
    for _, p in (best_per_origin_hub(paths) if not paths.empty else paths).iterrows():
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
    for _, r in out["latency_validation"].iterrows():
        if r["kind"] == "fit":
            log.info(
                "latency %s (range %.3g–%.3g over %s references, spread %.3g)",
                r["name"],
                r["overhead_low"],
                r["overhead_high"],
                r["n_references"],
                r["overhead_spread"],
            )
            continue
        log.info(
            "latency %s %s: modelled %.1f ms, measured %.1f, expected %.1f",
            r["kind"],
            r["name"],
            r["modelled_rt_ms"],
            r["measured_rt_ms"],
            r["expected_rt_ms"],
        )
