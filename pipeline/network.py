"""Network stage: one survivable network per plan, priced once and cut-tested.

For each network of ``network.networks`` (a working scenario, a protection scenario), one Dask
task plans it on the grid (``netplan``: the least-cost tree joining every origin to at least
``network.min_landings`` landing stations, and each origin's protection path kept apart from
its working path). Here the plan becomes what a planner reads:

- **nodes and links** (``links.decompose``): origins, junctions, landing stations, and the runs
  of cells between them, each priced once by the score stage's rule (``pricing.price_path``)
  with its crossings and sites; the gateways its links cross and its amplifier and regeneration
  sites are nodes too;
- **what it costs**: the links' sum, its Monte Carlo P10/P50/P90 (the uncertainty stage's draws
  over the network's links), and the saving against the separate cheapest routes (the route
  stage's first alternatives, as the score stage priced them) joining the same origins and
  stations;
- **what it achieves**: per origin, its working and protection path (km by country, transit
  countries, whether they are kept apart and where not), and the round trip to each hub on
  each (the land path, then the least-km path over the submarine cables, as the onward stage
  builds them; expected round trips with the overhead the onward stage fitted to measurements);
- **what one cut does** (``network_cuts``): every link, border gateway, landing station,
  stretch where an origin's two paths could not keep apart, and submarine cable of the onward
  paths, removed one at a time: which origins lose every station, how much each round trip
  grows. A cut that isolates an origin is a single point of failure, reported with why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import dask
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import cables, config, corridors, draws, economics, io, links, parallel, pricing
from .catalogue import StageFiles
from .config import Config, network_specs
from .costbook import crossable_rivers, is_wet, priced_faults
from .geometry import latency_ms
from .grid import Grid
from .measured import Overhead
from .netplan import Job, plan
from .surface import read_surface
from .tasks import Endpoint, read_tasks

log = logging.getLogger(__name__)

WGS84 = "EPSG:4326"


def jobs(cfg: Config, tasks: list) -> list[Job]:
    """One job per network: the tasks (one per origin) of its working and protection scenario."""
    out = []
    for key, spec in network_specs(cfg.route, cfg.network).items():
        w = tuple(t for t in tasks if t.scenario_key == spec.working)
        p = tuple(t for t in tasks if t.scenario_key == (spec.protection or spec.working))
        out.append(Job(key, spec, w, p, cfg.network))
    return out


def compute(todo: list[Job], scheduler: str | None, n_workers: int) -> list[dict]:
    """Plan every network on Dask: a cluster at ``scheduler``, else local threads."""
    run = parallel.run_token()
    graph = [dask.delayed(plan, pure=True)(j, dask_key_name=f"network-{run}-{j.key}") for j in todo]
    return parallel.compute(graph, scheduler, n_workers, label="network")


@dataclass(frozen=True)
class World:
    """What assembling a plan reads besides the plan: grid, pricing, places, cables, hubs."""

    grid: Grid
    prices: pricing.PathInputs
    endpoints: dict[str, Endpoint]  # origins, waypoints and stations (by slug) by name
    cables: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame  # the world's landing points (TeleGeography)
    cfg: Config
    overhead: Overhead | None
    separate: pd.DataFrame  # the route stage's routes, as scored

    @property
    def cell_km(self) -> float:
        """The grid's cell size, km."""
        return self.grid.cell_m / 1000.0


# --- nodes and links ---------------------------------------------------------------------------


def _rc(flat: list[int] | np.ndarray, width: int) -> np.ndarray:
    return np.column_stack(np.divmod(np.asarray(flat, dtype=np.int64), width))


def _place_name(world: World, x: float, y: float) -> str:
    """The nearest populated place, with its distance: '12 km from Beyneu'."""
    places = world.prices.places
    d = places.distance(shapely.Point(x, y))
    j = d.idxmin()
    return f"{d[j] / 1000.0:,.0f} km from {places.at[j, 'name']}"


def _terminal_nodes(p: dict, world: World) -> dict[int, dict]:
    """The plan's origins, waypoints and landing stations, by cell."""
    out = {}
    for name, cell in p["origins"].items():
        out[cell] = {"name": name, "kind": "origin", "station_id": "", "at": world.endpoints[name]}
    stations = dict(p["chosen"])
    for pp in p["protection"].values():
        if pp.get("cells"):
            stations[pp["station"]] = pp["cells"][-1]
    for slug, cell in stations.items():
        end = world.endpoints[slug]
        out[cell] = {"name": end.name, "kind": "landing_station", "station_id": slug, "at": end}
    for name, cell in p["via"].items():
        out.setdefault(cell, {"name": name, "kind": "junction", "at": world.endpoints[name]})
    return out


def _line(cells: list[int], terms: dict[int, dict], world: World) -> shapely.LineString:
    """A link's line: its end's own point where the end is a place, cell centres between."""
    rc = _rc(cells, world.grid.width)
    x, y = world.grid.xy(rc[:, 0], rc[:, 1])
    xy = list(zip(x, y, strict=True))
    ends = []
    for cell, at in ((cells[0], xy[0]), (cells[-1], xy[-1])):
        e = terms.get(cell, {}).get("at")
        ends.append((e.x, e.y) if e is not None else at)
    return shapely.LineString([ends[0], *xy, ends[1]])


def _priced_link(link: links.Link, p: dict, *, terms: dict, world: World) -> dict:
    """One link's record: what it is, costs, crosses and serves; and its pricing."""
    spec = network_specs(world.cfg.route, world.cfg.network)[p["key"]]
    scenario = spec.working if link.usage.tree else (spec.protection or spec.working)
    line = _line(link.cells, terms, world)
    rc = _rc(link.cells, world.grid.width)
    off = world.cfg.route.off_gateway_usd()[scenario]
    priced = pricing.price_path(line, rc, world.prices, off_gateway_each_usd=off)
    parts = priced.priced.parts
    method_km = {
        m: float(parts.km_outside_bores[parts.method == m].sum()) for m in sorted(set(parts.method))
    }
    method_km["hdd"] = float((parts.bores[:, 1] - parts.bores[:, 0]).sum())
    per_country = _km_by_country(rc, world)
    gws = [b["gateway"] for b in priced.crossed.borders if b["gateway"]]
    return {
        "record": {
            "role": link.usage.role,
            "scenario": scenario,
            "length_km": float(priced.vkm[-1]),
            "cost_usd": priced.priced.bill.total_usd,
            **{f"{m}_km": method_km.get(m, 0.0) for m in _METHODS},
            "methods": ", ".join(f"{m} {v:,.0f} km" for m, v in method_km.items() if v > 0),
            "countries": ", ".join(f"{c} {v:,.0f} km" for c, v in per_country),
            "gateways": "; ".join(dict.fromkeys(gws)),
            "origins": ", ".join(sorted(link.usage.working | link.usage.protection)),
            "working_origins": ", ".join(sorted(link.usage.working)),
            "protection_origins": ", ".join(sorted(link.usage.protection)),
            "geometry": shapely.remove_repeated_points(line),
        },
        "priced": priced,
    }


_METHODS = ("buried_row", "buried_flat", "buried_hilly", "buried_mountain", "hdd", "submarine")


def _km_by_country(rc: np.ndarray, world: World) -> list[tuple[str, float]]:
    ras = world.prices.surface
    labels = economics.cell_labels(
        rc, ras.country_id, is_wet(ras.water_class), codes=ras.country_codes
    )
    return pricing.km_by_country(rc, labels, ras.inv_scale, step_km=world.cell_km)


def _node_ids(terms: dict[int, dict], cells: set[int]) -> dict[int, str]:
    """Node ids: origins, landing stations, gateways, waypoints, junctions; each in cell order."""
    rank = {"origin": 0, "landing_station": 1, "gateway": 2, "junction": 3}
    order = sorted(terms, key=lambda c: (rank[terms[c]["kind"]], c))
    order += sorted(c for c in cells if c not in terms)
    return {c: f"n{i}" for i, c in enumerate(order, 1)}


def _node_rows(p: dict, terms: dict, ids: dict[int, str], *, world: World) -> list[dict]:
    """The nodes that links join: origins, landing stations, waypoints and junctions."""
    rows = []
    for cell, nid in ids.items():
        r, c = divmod(cell, world.grid.width)
        t = terms.get(cell)
        at = t["at"] if t and t["at"] is not None else None
        x, y = (at.x, at.y) if at is not None else tuple(v[0] for v in world.grid.xy([r], [c]))
        name = t["name"] if t else f"junction {_place_name(world, x, y)}"
        rows.append(
            {
                "network": p["key"],
                "node_id": nid,
                "name": name,
                "kind": t["kind"] if t else "junction",
                "country": _country_at(world, r, c),
                "station_id": t.get("station_id", "") if t else "",
                "geometry": shapely.Point(x, y),
            }
        )
    return rows


def _country_at(world: World, r: int, c: int) -> str:
    ras = world.prices.surface
    v = int(ras.country_id[r, c])
    return ras.country_codes[v - 1] if v > 0 else ""


def _along_rows(key: str, priced_links: list[dict]) -> list[dict]:
    """Nodes along the links: the amplifier and regeneration sites."""
    rows = []
    for lk in priced_links:
        for s in lk["priced"].sites:
            rows.append(
                _along(
                    key,
                    f"{s['site_type']} near {s['nearest_settlement']}",
                    s["site_type"],
                    point=s["geometry"],
                    origins=lk["record"]["origins"],
                )
            )
    return rows


def _along(key: str, name: str, kind: str, *, point, origins: str) -> dict:
    return {
        "network": key,
        "name": name,
        "kind": kind,
        "station_id": "",
        "origins": origins,
        "geometry": point,
    }


# --- what it achieves ------------------------------------------------------------------------


def sea_paths(net: cables.Network, slugs: set[str], *, hubs: list) -> dict:
    """Per station: per hub, (km, cable edges) of the least-km path over the cables."""
    out = {}
    for slug in sorted(slugs):
        if slug not in net.index:
            out[slug] = {}
            continue
        dist_pred = net.paths_from(slug)
        found = {h.name: cables.best_to_hub(net, dist_pred, slug, hub=h) for h in hubs}
        out[slug] = {h: v for h, v in found.items() if v is not None}
    return out


def _rt_ms(km: float, world: World) -> float:
    return 2.0 * latency_ms(km, world.cfg.score.fiber_group_index)


def _path_row(key: str, origin: str, role: str, *, path: dict, terms, world) -> dict:
    """One origin's working or protection path: where it goes, its km by country."""
    line = _line(path["cells"], terms, world)
    rc = _rc(path["cells"], world.grid.width)
    per_country = _km_by_country(rc, world)
    vkm = economics.vertex_km(line, rc, world.prices.surface.inv_scale, cell_km=world.cell_km)
    return {
        "network": key,
        "origin": origin,
        "role": role,
        "station": world.endpoints[path["station"]].name,
        "station_id": path["station"],
        "length_km": float(vkm[-1]),
        "apart": bool(path["apart"]),
        "countries": ", ".join(f"{c} {v:,.0f} km" for c, v in per_country),
        "transit_countries": ", ".join(
            f"{c} {v:,.0f} km" for c, v in pricing.transit_countries(per_country)
        ),
        "note": path.get("note", ""),
        "geometry": shapely.remove_repeated_points(line),
    }


def _shared_transit(paths: list[dict]) -> None:
    """Each path's ``transit_shared``: the transit countries its origin's two paths share.

    Political diversity per node: an origin whose working and protection paths cross no third
    country in common is not cut off by one transit country's decision.
    """
    transit: dict[str, list[set[str]]] = {}
    for p in paths:
        codes = {c.split(" ")[0] for c in p["transit_countries"].split(", ") if c}
        transit.setdefault(p["origin"], []).append(codes)
    for p in paths:
        sets = transit[p["origin"]]
        p["transit_shared"] = ", ".join(sorted(set.intersection(*sets))) if len(sets) > 1 else ""


def _latency_rows(paths: list[dict], sea: dict, world: World) -> list[dict]:
    """Round trip from each origin to each hub, on its working and on its protection path."""
    rows = []
    for p in paths:
        for hub, (sea_km, edges) in sorted(sea.get(p["station_id"], {}).items()):
            rt = _rt_ms(p["length_km"] + sea_km, world)
            ov = world.overhead
            rows.append(
                {
                    "network": p["network"],
                    "origin": p["origin"],
                    "hub": hub,
                    "role": p["role"],
                    "station": p["station"],
                    "land_km": p["length_km"],
                    "submarine_km": sea_km,
                    "rt_ms": rt,
                    "expected_rt_ms": np.nan if ov is None else ov.expected(rt),
                    "cables": ", ".join(dict.fromkeys(e.cable for e in edges)),
                }
            )
    return rows


# --- what one cut does -----------------------------------------------------------------------


def _cut_list(p: dict, lk: list[dict], *, nodes: dict[int, dict], world: World, slugs) -> list:
    """Every element to cut: links, gateways, landing stations, shared stretches, cables.

    ``nodes``: each node cell's name and kind. A stretch that several origins' paths share is
    one cut.
    """
    out = [
        links.Cut("link", f"{r['link_id']} ({r['from_name']} – {r['to_name']})", links={j})
        for j, r in enumerate(lk)
    ]
    gates: dict[str, set[int]] = {}
    for c, n in nodes.items():
        if n["kind"] == "gateway":
            gates.setdefault(n["name"], set()).add(c)
    out += [links.Cut("gateway", g, nodes=cells) for g, cells in sorted(gates.items())]
    stations = {world.endpoints[s].name for s in slugs}
    out += [
        links.Cut("landing_station", n["name"], nodes={c})
        for c, n in sorted(nodes.items())
        if n["kind"] == "landing_station" and n["name"] in stations
    ]
    stretches: dict[frozenset, list[str]] = {}
    for o, pp in sorted(p["protection"].items()):
        if pp.get("shared"):
            hit = set(pp["shared"]) | set(p["working"][o]["cells"]) & pp["near"]
            on = frozenset(j for j, r in enumerate(lk) if hit & set(r["cells"]))
            stretches.setdefault(on, []).append(o)
    for on, os in stretches.items():
        note = p["protection"][os[0]]["note"]
        out.append(links.Cut("shared_stretch", f"{', '.join(os)}: two paths {note}", links=on))
    return out


def _cut_row(key: str, cut: links.Cut, after: dict, *, before: dict, world: World) -> dict:
    """One cut's row: who loses every station, how much each round trip grows."""
    lost = sorted(o for o, (alive, _) in after.items() if not alive)
    growth = []
    for o, (alive, hubs) in after.items():
        for h, km in hubs.items():
            was = before[o][1].get(h, np.inf)
            if alive and np.isfinite(was):
                growth.append((o, h, _rt_ms(km, world) - _rt_ms(was, world)))
    unreached = sorted({f"{o} → {h}" for o, h, d in growth if not np.isfinite(d)})
    growth.sort(key=lambda g: -g[2])
    worst = max((g[2] for g in growth if np.isfinite(g[2])), default=np.nan)
    return {
        "network": key,
        "element_kind": cut.kind,
        "element": cut.name,
        "origins_cut_off": ", ".join(lost),
        "n_origins_cut_off": len(lost),
        "worst_rt_increase_ms": worst,
        "detail": "; ".join(
            f"{o} → {h} {'no longer reached' if not np.isfinite(d) else f'+{d:.1f} ms'}"
            for o, h, d in growth[:4]
            if d > 0.05 or not np.isfinite(d)
        ),
        "hubs_unreached": "; ".join(unreached),
        "single_point_of_failure": bool(lost),
    }


def _why(cut: links.Cut, lost: list[str], *, p: dict, world: World) -> str:
    """What in the data makes a cut isolate its origins (origins with one reason grouped)."""
    sep = world.cfg.route.separation_km
    reasons: dict[str, list[str]] = {}
    for o in lost:
        pp = p["protection"].get(o, {})
        if pp.get("status") != "built":
            text = f"no protection path: {pp.get('reason', 'none found')}"
        elif not pp.get("apart", True):
            text = (
                f"its protection path could not be kept {sep:g} km from its working path (with "
                "the working path's corridor closed, no landing station can be reached in the "
                f"scenario's passable ground); the two run {pp['note']}"
            )
        elif cut.kind == "landing_station":
            text = "working and protection paths both end here: no other station reached apart"
        else:
            text = "both paths take it inside an endpoint area (route.endpoint_radius_km)"
        reasons.setdefault(text, []).append(o)
    return "; ".join(f"{', '.join(os)}: {text}" for text, os in reasons.items())


def _shared_note(pp: dict, world: World) -> str:
    """Where a protection path runs in its working path's corridor: km and place."""
    cells = _rc(pp["shared"], world.grid.width)
    km = len(cells) * world.cell_km
    mid = cells[len(cells) // 2]
    x, y = world.grid.xy([mid[0]], [mid[1]])
    lon, lat = world.grid.to_lonlat().transform(x[0], y[0])
    sep = world.cfg.route.separation_km
    return (
        f"within {sep:g} km of each other for {km:,.0f} km at {lon:.2f}°E {lat:.2f}°N "
        f"({_place_name(world, x[0], y[0])})"
    )


def _near_shared(pp: dict, world: World) -> set[int]:
    """Cells within the separation of a protection path's shared cells (flat)."""
    ras = world.prices.surface
    near = corridors.near_index(
        [_rc(pp["shared"], world.grid.width)],
        ras.inv_scale,
        world.cell_km,
        within_km=world.cfg.route.separation_km,
        inv_min=float(ras.inv_scale.min()),
    )
    return set(near.tolist())


# --- one plan, assembled -------------------------------------------------------------------


def _moves(p: dict) -> dict:
    prot = {o: pp["cells"] for o, pp in p["protection"].items() if pp.get("cells")}
    return links.usages(
        list(p["tree_edges"]),
        origins={c: n for n, c in p["origins"].items()},
        stations=set(p["chosen"].values()),
        protection=prot,
    )


def _border_nodes(moves: dict, world: World) -> dict[int, dict]:
    """A node where a move crosses a border: its cell of the gateway (else the second cell)."""
    ras, width = world.prices.surface, world.grid.width
    gw = world.prices.gateways.set_index("gateway_id")["name"]
    out = {}
    for u, v in moves:
        (ru, cu), (rv, cv) = divmod(u, width), divmod(v, width)
        a, b = int(ras.country_id[ru, cu]), int(ras.country_id[rv, cv])
        if a == b or not a or not b:
            continue
        at = [c for c, g in ((u, ras.gateway_id[ru, cu]), (v, ras.gateway_id[rv, cv])) if g > 0]
        cell = min(at) if at else v
        gid = int(ras.gateway_id[divmod(cell, width)])
        codes = ras.country_codes
        name = gw.get(gid, f"{codes[a - 1]}–{codes[b - 1]} away from any gateway")
        out[cell] = {"name": name, "kind": "gateway", "station_id": "", "at": None}
    return out


def _links(p: dict, terms: dict, world: World) -> tuple[set[int], list[dict]]:
    """The plan's node cells, and its links priced (records with their cells and pricing).

    ``terms`` (the places) gains a node at every border crossing, so links end at borders.
    """
    moves = _moves(p)
    for cell, node in _border_nodes(moves, world).items():
        terms.setdefault(cell, node)
    cells, found = links.decompose(moves, set(terms))
    return cells, [
        {**_priced_link(lk, p, terms=terms, world=world), "cells": lk.cells} for lk in found
    ]


def _mark_protection(p: dict, world: World) -> None:
    """Name where each protection path could not keep apart (``note``, ``near``)."""
    for pp in p["protection"].values():
        pp.setdefault("note", "")
        pp["near"] = set()
        if pp.get("shared"):
            pp["note"] = _shared_note(pp, world)
            pp["near"] = _near_shared(pp, world)


def assemble(p: dict, world: World, *, sea: dict, sea_cut: dict) -> dict[str, list[dict]]:
    """One plan's rows of every layer (see the module docstring)."""
    key = p["key"]
    _mark_protection(p, world)
    terms = _terminal_nodes(p, world)
    cells, priced = _links(p, terms, world)
    ids = _node_ids(terms, cells)
    nodes = _node_rows(p, terms, ids, world=world)
    names = {c: n["name"] for c, n in zip(ids, nodes, strict=True)}
    lk = []
    for j, x in enumerate(priced, 1):
        a, b = x["cells"][0], x["cells"][-1]
        lk.append(
            {
                "network": key,
                "link_id": f"l{j}",
                "from_node": ids[a],
                "to_node": ids[b],
                "from_name": names[a],
                "to_name": names[b],
                **x["record"],
                "cells": x["cells"],
            }
        )
    paths = []
    for o, work in p["working"].items():
        prot = p["protection"].get(o, {})
        apart = bool(prot.get("apart", False))
        for role, pp in (("working", {**work, "apart": apart}), ("protection", prot)):
            if pp.get("cells"):
                paths.append(_path_row(key, o, role, path=pp, terms=terms, world=world))
    _shared_transit(paths)
    by_cell = dict(zip(ids, nodes, strict=True))
    cuts = _cuts(p, lk, nodes=by_cell, world=world, sea=(sea, sea_cut))
    return {
        "nodes": nodes + _along_rows(key, priced),
        "links": lk,
        "paths": paths,
        "latency": _latency_rows(paths, sea, world),
        "cuts": cuts,
        "parts": [x["priced"].priced.parts for x in priced],
    }


def _cuts(p: dict, lk: list[dict], *, nodes: dict, world: World, sea: tuple) -> list[dict]:
    """Every cut's row, the single points of failure with why.

    ``nodes``: each node cell's record (name, kind, station_id).
    """
    intact, without = sea
    g = links.Graph(
        nodes=sorted(nodes),
        ends=[(r["cells"][0], r["cells"][-1]) for r in lk],
        km=[r["length_km"] for r in lk],
    )
    slugs = set(p["chosen"]) | {pp["station"] for pp in p["protection"].values() if "station" in pp}
    stations = {n["station_id"]: c for c, n in nodes.items() if n["station_id"] in slugs}
    km = {s: {h: v[0] for h, v in intact.get(s, {}).items()} for s in slugs}
    args = {"origins": p["origins"], "stations": stations, "sea_km": km}
    before = links.reach(g, links.Cut("none", ""), **args)
    todo = _cut_list(p, lk, nodes=nodes, world=world, slugs=slugs)
    used = sorted({e.cable for s in slugs for _, es in intact.get(s, {}).values() for e in es})
    for c in used:
        if c != cables.HOP and c in without:
            cut_km = {s: {h: v[0] for h, v in without[c].get(s, {}).items()} for s in slugs}
            todo.append(links.Cut("cable", c, sea_km=cut_km))
    rows = []
    for cut in todo:
        row = _cut_row(p["key"], cut, links.reach(g, cut, **args), before=before, world=world)
        lost = [o for o in row["origins_cut_off"].split(", ") if o]
        row["why"] = _why(cut, lost, p=p, world=world) if lost else ""
        rows.append(row)
    return rows


# --- what it costs -----------------------------------------------------------------------


METHOD = (
    "shortest-path Steiner heuristic (Takahashi and Matsuyama 1980) from every origin as the "
    "root, improved by key-path exchange; protection: least-cost path with the working path's "
    "corridor closed (see pipeline/steiner.py and pipeline/netplan.py)"
)


def _capex(parts: list, world: World) -> dict[str, float]:
    """The network's cost: deterministic, and P10/P50/P90 over the uncertainty stage's draws.

    Each draw prices the whole network, its links' parts joined (``economics.join_parts``).
    """
    cfg = world.cfg
    u = cfg.uncertainty
    whole = economics.join_parts(parts)
    total = draws.reprice_draws([whole], cfg.cost, cfg.sites, u=u, first=0, count=u.draws)[0]
    det = economics.price_route(whole, cfg.cost, cfg.sites).total_usd
    p10, p50, p90 = np.percentile(total, [10, 50, 90])
    return {"capex_usd": det, "capex_p10_usd": p10, "capex_p50_usd": p50, "capex_p90_usd": p90}


def _separate(p: dict, world: World) -> tuple[float, str]:
    """What the separate cheapest routes joining the same origins and stations cost.

    Also the pairs that have none (the route stage skipped them).
    """
    spec = network_specs(world.cfg.route, world.cfg.network)[p["key"]]
    r = world.separate
    first = r.loc[(r["scenario"] == spec.working) & (r["alternative"] == 1)]
    total, missing = 0.0, []
    for o in p["origins"]:
        for s in p["chosen"]:
            hit = first.loc[(first["origin"] == o) & (first["destination_slug"] == s), "cost_usd"]
            if hit.empty:
                missing.append(f"{o} → {world.endpoints[s].name}")
            else:
                total += float(hit.iloc[0])
    return total, "; ".join(missing)


def summary_row(p: dict, out: dict, world: World) -> dict:
    """One network's totals: km, cost, saving, single points of failure."""
    spec = network_specs(world.cfg.route, world.cfg.network)[p["key"]]
    lk = out["links"]
    cost = _capex(out["parts"], world)
    working = [x for x, r in zip(out["parts"], lk, strict=True) if r["role"] != "protection"]
    working_usd = sum(
        economics.price_route(x, world.cfg.cost, world.cfg.sites).total_usd for x in working
    )
    separate, missing = _separate(p, world)
    spof = [c for c in out["cuts"] if c["single_point_of_failure"]]
    km = {role: sum(x["length_km"] for x in lk if x["role"] == role) for role in _ROLES}
    return {
        "network": p["key"],
        "description": spec.description,
        "working_scenario": spec.working,
        "protection_scenario": spec.protection or spec.working,
        "status": "built",
        "reason": "",
        "origins": ", ".join(p["origins"]),
        "stations": "; ".join(world.endpoints[s].name for s in p["chosen"]),
        "protection_stations": "; ".join(
            dict.fromkeys(
                world.endpoints[pp["station"]].name
                for pp in p["protection"].values()
                if "station" in pp
            )
        ),
        "total_km": sum(km.values()),
        "working_km": km["working"] + km["shared"],
        "protection_km": km["protection"],
        **cost,
        "working_capex_usd": working_usd,
        "separate_routes_usd": separate,
        "separate_routes_missing": missing,
        "saving_usd": separate - working_usd if separate else np.nan,
        "politically_diverse_origins": ", ".join(
            sorted(
                {x["origin"] for x in out["paths"]}
                - {x["origin"] for x in out["paths"] if x["transit_shared"]}
            )
        ),
        "note": p.get("note", ""),
        "n_single_points_of_failure": len(spof),
        "single_points_of_failure": "; ".join(
            f"{c['element_kind']} {c['element']}: cuts off {c['origins_cut_off']} ({c['why']})"
            for c in spof
        )
        or "none",
        "method": METHOD,
    }


_ROLES = ("working", "shared", "protection")


def not_built_row(p: dict, world: World) -> dict:
    """The summary of a network the plan could not build, with why."""
    spec = network_specs(world.cfg.route, world.cfg.network)[p["key"]]
    return {
        "network": p["key"],
        "description": spec.description,
        "working_scenario": spec.working,
        "protection_scenario": spec.protection or spec.working,
        "status": p["status"],
        "reason": p["reason"],
        "method": METHOD,
    }


# --- the stage -----------------------------------------------------------------------------


def _overhead(files: StageFiles) -> Overhead | None:
    """The overhead the onward stage fitted to the measured round trips (None if none)."""
    t = io.read_table(files["onward"], "latency_validation")
    fit = t.loc[(t["kind"] == "fit") & t["overhead"].notna()] if "overhead" in t else t.iloc[:0]
    if fit.empty:
        return None
    f = fit.iloc[0]
    return Overhead(
        form=f["overhead_form"],
        value=float(f["overhead"]),
        low=float(f["overhead_low"]),
        high=float(f["overhead_high"]),
        spread=float(f["overhead_spread"]),
        n=int(f["n_references"]),
    )


def _world(cfg: Config, files: StageFiles, tasks: list, *, grid: Grid) -> World:
    ingest = files["ingest"]
    places = io.read_layer(ingest, "places")
    ends = {}
    for t in tasks:
        ends.update({e.name: e for e in (t.origin, *t.via)})
        ends.update({d.slug: d for d in t.destinations})
    prices = pricing.PathInputs(
        grid=grid,
        surface=read_surface(files, grid),
        rivers=crossable_rivers(io.read_layer(ingest, "rivers")),
        faults=priced_faults(io.read_layer(ingest, "faults"), cfg.cost),
        places=places,
        gateways=io.read_layer(files["gateways"], "gateways"),
        cost=cfg.cost,
        sites=cfg.sites,
    )
    return World(
        grid=grid,
        prices=prices,
        endpoints=ends,
        cables=io.read_layer(ingest, "world_cables"),
        stations=io.read_layer(ingest, "world_landing_points"),
        cfg=cfg,
        overhead=_overhead(files),
        separate=io.read_table(files["scores"], "routes"),
    )


def _frame(rows: list[dict], crs, *, lines: bool) -> gpd.GeoDataFrame | pd.DataFrame:
    """Rows as a layer (``lines``: with their geometry) or a table; an empty one when none."""
    if lines:
        if not rows:
            return gpd.GeoDataFrame({"network": []}, geometry=[], crs=crs)
        return gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=crs)
    return pd.DataFrame(rows) if rows else pd.DataFrame({"network": pd.Series(dtype=str)})


def layers(plans: list[dict], world: World) -> dict[str, pd.DataFrame]:
    """Every layer of ``network.gpkg`` from the plans."""
    built = [p for p in plans if p["status"] == "built"]
    slugs = {s for p in built for s in p["chosen"]}
    slugs |= {pp["station"] for p in built for pp in p["protection"].values() if "station" in pp}
    hubs = world.cfg.onward.hubs
    net, _ = cables.build_network(world.cables, world.stations, world.cfg.onward)
    sea = sea_paths(net, slugs, hubs=hubs)
    used = {e.cable for s in sea.values() for _, es in s.values() for e in es} - {cables.HOP}
    sea_cut = {c: sea_paths(net.without(c), slugs, hubs=hubs) for c in sorted(used)}
    rows: dict[str, list] = {k: [] for k in ("nodes", "links", "paths", "latency", "cuts")}
    summary = []
    for p in plans:
        if p["status"] != "built":
            summary.append(not_built_row(p, world))
            continue
        out = assemble(p, world, sea=sea, sea_cut=sea_cut)
        for k in rows:
            rows[k] += out[k]
        summary.append(summary_row(p, out, world))
    crs = world.grid.crs.to_wkt()
    for r in rows["links"]:
        r.pop("cells")
    return {
        "network_nodes": _frame(rows["nodes"], crs, lines=True),
        "network_links": _frame(rows["links"], crs, lines=True),
        "network_paths": _frame(rows["paths"], crs, lines=True),
        "network_latency": _frame(rows["latency"], crs, lines=False),
        "network_cuts": _frame(rows["cuts"], crs, lines=False),
        "network_summary": _frame(summary, crs, lines=False),
    }


def run(cfg: Config, files: StageFiles, *, scheduler: str | None = None) -> Path:
    """Plan, price and cut-test every network; write ``network.gpkg``."""
    grid, tasks = read_tasks(cfg, files)
    config.check_names(
        "network.stations",
        cfg.network.stations,
        {d.name for t in tasks for d in t.destinations},
        where="the landing stations of route.landing_countries",
    )
    plans = compute(jobs(cfg, tasks), scheduler, cfg.dask.n_workers)
    out = layers(plans, _world(cfg, files, tasks, grid=grid))
    io.write_gpkg(files["network"], out)
    for _, s in out["network_summary"].iterrows():
        log.info(
            "network %s: %s; %.0f km, %.1f M USD (working %.1f M, separate routes %.1f M), "
            "single points of failure: %s",
            s["network"],
            s.get("stations", ""),
            s.get("total_km", np.nan),
            s.get("capex_usd", np.nan) / 1e6,
            s.get("working_capex_usd", np.nan) / 1e6,
            s.get("separate_routes_usd", np.nan) / 1e6,
            s.get("single_points_of_failure", s.get("reason", "")),
        )
    return files["network"]
