"""Route stage: diverse least-cost routes per scenario, origin and landing station, on Dask.

Two kinds of Dask task, both handed file paths and small values, never big arrays:

1. one per (scenario, origin): read the cost rasters, apply the scenario (allowed countries, the
   water bodies a submarine leg may cross, land borders crossed only at the border gateways of
   ``cost/gateway_id.tif`` unless the scenario allows more at a cost), snap the endpoints, and
   run one Dijkstra per leg
   (origin → waypoints → every landing station) — the first, cheapest route of every pair;
2. one per (scenario, origin, station) routed, depending on the first: alternatives 2..k, each
   kept ``separation_km`` away from the earlier ones outside the endpoint areas by forbidding
   their corridors (corridor exclusion). When that leaves no way through (one pass, one border
   crossing, a strait) the corridors are only penalised, the route may share ground, and the
   score stage reports where.

Pairs are independent, so they run in parallel; the alternatives of one pair depend on each other
and run in order. Landing stations no land route can reach (islands, offshore platforms) are
skipped with the reason recorded, never a failed build.
"""

from __future__ import annotations

import difflib
import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import dask
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import ndimage

from . import config, io, parallel, router
from .catalogue import StageFiles
from .config import Config, CostConfig, RouteConfig, Scenario
from .cost import OUTSIDE, WATER_LAND, country_id, country_mult_raster, read_surface
from .errors import EndpointError, NoRouteError
from .grid import Grid, template

log = logging.getLogger(__name__)

CELLS_LAYER = "route_cells"


@dataclass(frozen=True)
class Endpoint:
    """A named point in analysis-CRS metres."""

    name: str
    x: float
    y: float
    slug: str = ""


@dataclass(frozen=True)
class Task:
    """One (scenario, origin) routing task: small values and the folder of the cost rasters."""

    scenario_key: str
    scenario: Scenario
    origin: Endpoint
    via: tuple[Endpoint, ...]
    destinations: tuple[Endpoint, ...]
    cost_files: tuple[tuple[str, str], ...]  # catalogue key -> path of each cost raster
    grid: Grid
    cost: CostConfig
    route: RouteConfig


@dataclass
class Scene:
    """A scenario's routing world on the grid."""

    rate: np.ndarray  # steering rate, USD per ground km; NaN where the scenario forbids
    inv: np.ndarray  # ground km per grid km
    zone: np.ndarray  # country id on land, WATER zone on water, 0 elsewhere
    penalty: np.ndarray  # zone transition costs, USD
    labels: np.ndarray  # 8-connected components of the passable cells
    grid: Grid
    connectivity: int = 8  # moves per cell: 8, or 16 with knight's moves


# --- pure functions --------------------------------------------------------------------------


def passable_mask(
    water: np.ndarray,
    bodies: np.ndarray,
    country: np.ndarray,
    codes: list[str],
    body_ids: list[int],
    steer: np.ndarray,
    scenario: Scenario,
) -> np.ndarray:
    """Cells a scenario may use: allowed countries' land, and the allowed water bodies."""
    allowed_ids = [country_id(codes, c) for c in scenario.allowed_countries if c in codes]
    land_ok = (water == WATER_LAND) & np.isin(country, allowed_ids)
    water_ok = (water != WATER_LAND) & (water != OUTSIDE) & np.isin(bodies, body_ids)
    return (land_ok | water_ok) & np.isfinite(steer)


def steering_rate(
    steer: np.ndarray,
    passable: np.ndarray,
    country: np.ndarray,
    codes: list[str],
    scenario: Scenario,
) -> np.ndarray:
    """The rate the router minimises: steer cost × country multipliers, NaN where forbidden."""
    rate = np.where(passable, steer, np.nan)
    return rate * country_mult_raster(country, codes, scenario.country_cost_mult)


def zones(
    passable: np.ndarray,
    water: np.ndarray,
    country: np.ndarray,
    gate: np.ndarray,
    n_codes: int,
    costs: tuple[float, float, float],
) -> tuple[np.ndarray, np.ndarray]:
    """Zone raster and its transition-cost table: borders crossed only at gateways.

    Zones: countries 1..n on land away from a gateway, n + 1..2n the same countries within a
    gateway (``gate`` > 0), 2n + 1 water. ``costs`` are (border crossing at a gateway, border
    crossing elsewhere — ``inf`` for a barrier — and landfall), USD.
    """
    border_usd, off_gateway_usd, landfall_usd = costs
    water_zone = 2 * n_codes + 1
    land = np.where(gate > 0, country + n_codes, country)
    zone = np.where(water == WATER_LAND, land, water_zone).astype(np.int16)
    zone[~passable] = 0
    table = np.zeros((water_zone + 1, water_zone + 1))
    ids = np.arange(1, n_codes + 1)
    for off_a, off_b in ((0, 0), (0, n_codes), (n_codes, 0), (n_codes, n_codes)):
        block = np.full((n_codes, n_codes), border_usd if off_a or off_b else off_gateway_usd)
        np.fill_diagonal(block, 0.0)  # a country's own cells, at a gateway or not
        table[np.ix_(ids + off_a, ids + off_b)] = block
    table[1:water_zone, water_zone] = table[water_zone, 1:water_zone] = landfall_usd
    table[0, :] = table[:, 0] = 0.0
    return zone, table


def snap(
    passable: np.ndarray, inv_scale: np.ndarray, grid: Grid, x: float, y: float, max_km: float
) -> tuple[int, int, float] | None:
    """Nearest passable cell to (x, y) within ``max_km`` of ground: (row, col, km), or None."""
    row, col = (int(v) for v in grid.rowcol(x, y))
    radius = math.ceil(max_km * 1000.0 / (grid.cell_m * float(inv_scale.min()))) + 1
    r0, r1 = max(row - radius, 0), min(row + radius + 1, grid.height)
    c0, c1 = max(col - radius, 0), min(col + radius + 1, grid.width)
    if r0 >= r1 or c0 >= c1:
        return None
    rr, cc = np.nonzero(passable[r0:r1, c0:c1])
    if rr.size == 0:
        return None
    rr, cc = rr + r0, cc + c0
    cx, cy = grid.xy(rr, cc)
    km = np.hypot(cx - x, cy - y) * inv_scale[rr, cc] / 1000.0
    best = int(np.lexsort((rr * grid.width + cc, km))[0])  # nearest, then lowest cell index
    if km[best] > max_km:
        return None
    return int(rr[best]), int(cc[best]), float(km[best])


def inside_grid(grid: Grid, x: float, y: float) -> bool:
    """Whether (x, y) lies on the grid."""
    row, col = grid.rowcol(x, y)
    return 0 <= row < grid.height and 0 <= col < grid.width


def near_paths(
    paths: list[np.ndarray], inv: np.ndarray, cell_km: float, within_km: float
) -> np.ndarray:
    """Cells within ``within_km`` of ground of any cell of the paths (boolean, grid-shaped).

    The distance transform runs only on the paths' bounding box widened by the distance.
    """
    near = np.zeros(inv.shape, dtype=bool)
    if not paths:
        return near
    cells = np.concatenate(paths)
    pad = math.ceil(within_km / (cell_km * float(inv.min()))) + 1
    r0, c0 = np.maximum(cells.min(axis=0) - pad, 0)
    r1, c1 = np.minimum(cells.max(axis=0) + pad + 1, inv.shape)
    on_path = np.zeros((r1 - r0, c1 - c0), dtype=bool)
    on_path[cells[:, 0] - r0, cells[:, 1] - c0] = True
    dist_km = ndimage.distance_transform_edt(~on_path) * cell_km * inv[r0:r1, c0:c1]
    near[r0:r1, c0:c1] = dist_km < within_km
    return near


def endpoint_areas(
    points: list[tuple[int, int]], inv: np.ndarray, cell_km: float, radius_km: float
) -> np.ndarray:
    """Cells within ``radius_km`` of ground of any of the points (origin, waypoints, end)."""
    rows, cols = np.indices(inv.shape, sparse=True)
    out = np.zeros(inv.shape, dtype=bool)
    for r, c in points:
        out |= np.hypot(rows - r, cols - c) * cell_km * inv[r, c] <= radius_km
    return out


def corridor(
    paths: list[np.ndarray],
    keep_clear: list[tuple[int, int]],
    scene: Scene,
    separation_km: float,
    endpoint_radius_km: float,
) -> np.ndarray:
    """Cells within ``separation_km`` of any earlier path, outside the endpoint areas."""
    cell_km = scene.grid.cell_m / 1000.0
    return near_paths(paths, scene.inv, cell_km, separation_km) & ~endpoint_areas(
        keep_clear, scene.inv, cell_km, endpoint_radius_km
    )


def path_line(cells: np.ndarray, grid: Grid, start: Endpoint, end: Endpoint) -> shapely.LineString:
    """The route geometry: the origin, the cell centres, the destination (CRS metres)."""
    x, y = grid.xy(cells[:, 0], cells[:, 1])
    coords = [(start.x, start.y), *zip(x, y, strict=True), (end.x, end.y)]
    return shapely.LineString(coords)


def route_chain(
    rate: np.ndarray, scene: Scene, chain: list[tuple[int, int]], targets: list[tuple[int, int]]
) -> list[tuple[np.ndarray, float] | None]:
    """Least-cost paths through the chain of waypoints to each target: (cells, cost) or None."""
    step_km = scene.grid.cell_m / 1000.0
    cost_so_far = 0.0
    prefix = np.array(chain[:1], dtype=np.int64)
    for a, b in zip(chain[:-1], chain[1:], strict=True):
        dist, pred = router.accumulate(
            rate,
            a,
            [b],
            inv_scale=scene.inv,
            zone=scene.zone,
            zone_penalty=scene.penalty,
            step_km=step_km,
            connectivity=scene.connectivity,
        )
        if not np.isfinite(dist[b]):
            return [None] * len(targets)
        prefix = np.concatenate([prefix, router.backtrack(pred, b)[1:]])
        cost_so_far += float(dist[b])
    dist, pred = router.accumulate(
        rate,
        chain[-1],
        targets,
        inv_scale=scene.inv,
        zone=scene.zone,
        zone_penalty=scene.penalty,
        step_km=step_km,
        connectivity=scene.connectivity,
    )
    out = []
    for t in targets:
        if np.isfinite(dist[t]):
            out.append(
                (
                    np.concatenate([prefix, router.backtrack(pred, t)[1:]]),
                    cost_so_far + float(dist[t]),
                )
            )
        else:
            out.append(None)
    return out


# --- tasks (run on Dask workers; read their inputs from files) ---------------------------------


def load_scene(task: Task, steer: np.ndarray | None = None) -> Scene:
    """Read the cost rasters and apply the task's scenario (to ``steer`` when given)."""
    grid = task.grid
    sf = read_surface(dict(task.cost_files), grid)
    steer = sf.steer if steer is None else steer
    water, country, bodies, codes = (
        sf.water_class,
        sf.country_id,
        sf.water_body,
        list(sf.country_codes),
    )
    names = sf.water_bodies
    sc = task.scenario
    passable = passable_mask(
        water, bodies, country, codes, [names[b] for b in sc.water_bodies], steer, sc
    )
    off = sc.off_gateway_crossing_usd
    costs = (
        task.cost.border_crossing_usd,
        np.inf if off is None else task.cost.border_crossing_usd + off,
        task.cost.landfall_usd,
    )
    zone, penalty = zones(passable, water, country, sf.gateway_id, len(codes), costs)
    labels, _ = ndimage.label(passable, structure=np.ones((3, 3)))
    return Scene(
        steering_rate(steer, passable, country, codes, sc),
        sf.inv_scale,
        zone,
        penalty,
        labels,
        grid,
        task.route.connectivity,
    )


def _snap_chain(task: Task, scene: Scene) -> list[tuple[int, int, float]]:
    passable = np.isfinite(scene.rate)
    key, sc, snap_km = task.scenario_key, task.scenario, task.route.endpoint_snap_km
    chain = []
    for role, p in [("route.origins", task.origin)] + [
        (f"route.scenarios.{key}.via", v) for v in task.via
    ]:
        if not inside_grid(scene.grid, p.x, p.y):
            raise EndpointError(
                f"{role}: {p.name!r} lies outside the area of interest. Fix: "
                "move it inside, or widen the grid.lon_*/lat_* bounds."
            )
        s = snap(passable, scene.inv, scene.grid, p.x, p.y, snap_km)
        if s is None:
            raise EndpointError(
                f"{role}: {p.name!r} has no passable land within {snap_km} km in scenario "
                f"{key!r} (it is in the sea, or in a country outside {sc.allowed_countries}). "
                "Fix: move it onto land in an allowed country."
            )
        if chain and scene.labels[s[:2]] != scene.labels[chain[0][:2]]:
            raise NoRouteError(
                f"route.scenarios.{key}: waypoint {p.name!r} cannot be reached from "
                f"{task.origin.name} within {sc.allowed_countries}. Fix: add the transit "
                "countries to allowed_countries, or the sea between to water_bodies."
            )
        chain.append(s)
    return chain


def first_routes(task: Task, steer: np.ndarray | None = None) -> dict:
    """The cheapest route from the task's origin, through its waypoints, to every station."""
    scene = load_scene(task, steer)
    snapped = _snap_chain(task, scene)
    chain = [s[:2] for s in snapped]
    key, sc, snap_km = task.scenario_key, task.scenario, task.route.endpoint_snap_km
    passable = np.isfinite(scene.rate)
    records, reachable = [], []
    for d in task.destinations:
        s = (
            snap(passable, scene.inv, scene.grid, d.x, d.y, snap_km)
            if inside_grid(scene.grid, d.x, d.y)
            else None
        )
        rec = {"slug": d.slug, "dest": d}
        if s is None:
            rec.update(
                status="skipped",
                reason=f"no passable land within {snap_km} km "
                "(offshore platform, or in a country outside the scenario)",
            )
        elif scene.labels[s[:2]] != scene.labels[chain[-1]]:
            rec.update(
                status="skipped",
                reason=f"not connected to {task.origin.name} within "
                f"{', '.join(sc.allowed_countries)}"
                f"{' and ' + ', '.join(sc.water_bodies) if sc.water_bodies else ''}"
                " (an island)",
            )
        else:
            rec.update(status="routed", reason="", cell=s[:2], snap_km=s[2])
            reachable.append(rec)
        records.append(rec)
    if not reachable:
        raise NoRouteError(
            f"route.scenarios.{key}: no landing station can be reached from {task.origin.name} "
            f"within {sc.allowed_countries}. The allowed countries may not connect (a transit "
            "country missing between them). Fix: add the transit countries to "
            "allowed_countries, or a sea to water_bodies for a submarine leg."
        )
    paths = route_chain(scene.rate, scene, chain, [r["cell"] for r in reachable])
    if all(p is None for p in paths):
        raise _no_gateway_error(task)
    for rec, path in zip(reachable, paths, strict=True):
        if path is None:
            rec.update(status="skipped", reason="reachable only across a border without a gateway")
            continue
        rec["alternatives"] = [
            {"alternative": 1, "cells": path[0], "steer_cost_usd": path[1], "diverse": True}
        ]
    return {
        "scenario": key,
        "origin": task.origin,
        "via": task.via,
        "chain": chain,
        "chain_snap_km": [s[2] for s in snapped],
        "records": records,
    }


def more_alternatives(task: Task, first: dict, slug: str) -> list[dict]:
    """Alternatives 2..k of one pair, each kept clear of the earlier ones' corridors."""
    rec = next(r for r in first["records"] if r["slug"] == slug)
    alts = list(rec["alternatives"])
    if task.route.alternatives < 2:
        return alts
    scene = load_scene(task)
    chain, target = first["chain"], rec["cell"]
    rc = task.route
    for n in range(2, rc.alternatives + 1):
        near = corridor(
            [a["cells"] for a in alts],
            chain + [target],
            scene,
            rc.separation_km,
            rc.endpoint_radius_km,
        )
        (found,) = route_chain(np.where(near, np.nan, scene.rate), scene, chain, [target])
        diverse = found is not None
        if not diverse:
            (found,) = route_chain(
                np.where(near, scene.rate * rc.fallback_penalty_mult, scene.rate),
                scene,
                chain,
                [target],
            )
        cells, cost = found
        alts.append({"alternative": n, "cells": cells, "steer_cost_usd": cost, "diverse": diverse})
    return alts


# --- the stage --------------------------------------------------------------------------------


def resolve_place(
    name: str,
    lon: float | None,
    lat: float | None,
    places: gpd.GeoDataFrame,
    landing: gpd.GeoDataFrame,
    grid: Grid,
    role: str,
) -> Endpoint:
    """A point in CRS metres: its coordinates, a landing station, or a populated place.

    A name is looked up among the cable landing stations first, then the populated places
    (the most populous of that name).
    """
    if lon is not None:
        x, y = grid.from_lonlat().transform(lon, lat)
        return Endpoint(name, float(x), float(y))
    hit = landing.loc[landing["name"] == name]
    if not hit.empty:
        g = hit.iloc[0]
        return Endpoint(name, float(g.geometry.x), float(g.geometry.y), g["slug"])
    key = name.casefold()
    hits = places.loc[
        (places["name"].str.casefold() == key)
        | (places["name_ascii"].fillna("").str.casefold() == key)
    ]
    if hits.empty:
        known = [*landing["name"], *places["name"].dropna()]
        near = difflib.get_close_matches(name, known, n=4, cutoff=0.7)
        raise EndpointError(
            f"{role}: {name!r} is unknown: no cable landing station or populated place of that "
            f"name inside the area of interest{f' (closest: {near})' if near else ''}. Fix: check "
            "the spelling, or give lon_deg and lat_deg."
        )
    best = hits.sort_values("population", ascending=False).iloc[0]
    return Endpoint(name, float(best.geometry.x), float(best.geometry.y))


def destinations(landing: gpd.GeoDataFrame, countries: list[str]) -> tuple[Endpoint, ...]:
    """Landing stations of the configured countries, ordered by name."""
    sel = landing.loc[landing["iso_a2"].isin(countries)].sort_values(["name", "slug"])
    return tuple(
        Endpoint(r["name"], float(r.geometry.x), float(r.geometry.y), r["slug"])
        for _, r in sel.iterrows()
    )


def build_graph(tasks: list[Task]) -> list:
    """Dask delayed objects: per task, its first routes and each routed pair's alternatives."""
    out = []
    for i, t in enumerate(tasks):
        first = dask.delayed(first_routes, pure=True)(
            t, dask_key_name=f"first-{i}-{t.scenario_key}-{t.origin.name}"
        )
        slugs = [d.slug for d in t.destinations]
        alts = {
            s: dask.delayed(_alts_or_none, pure=True)(
                t, first, s, dask_key_name=f"alts-{i}-{t.scenario_key}-{t.origin.name}-{s}"
            )
            for s in slugs
        }
        out.append(dask.delayed(_join, pure=True)(first, alts, dask_key_name=f"join-{i}"))
    return out


def _join(first: dict, alts: dict[str, list[dict] | None]) -> dict:
    for rec in first["records"]:
        if rec["status"] == "routed":
            rec["alternatives"] = alts[rec["slug"]]
    return first


def _alts_or_none(task: Task, first: dict, slug: str) -> list[dict] | None:
    rec = next(r for r in first["records"] if r["slug"] == slug)
    return more_alternatives(task, first, slug) if rec["status"] == "routed" else None


def compute(tasks: list[Task], scheduler_address: str | None, n_workers: int) -> list[dict]:
    """Run the routing graph on Dask: a cluster at ``scheduler_address``, else local threads."""
    return parallel.compute(build_graph(tasks), scheduler_address, n_workers, "route")


def to_layers(results: list[dict], grid: Grid) -> dict[str, gpd.GeoDataFrame]:
    """Routes, and endpoints with their status, as GeoDataFrames in the analysis CRS."""
    crs = grid.crs.to_wkt()
    routes, endpoints, cells = [], [], []
    for res in results:
        o = res["origin"]
        roles = [("origin", o)] + [("waypoint", v) for v in res["via"]]
        for (role, p), km in zip(roles, res["chain_snap_km"], strict=True):
            endpoints.append(
                {
                    "role": role,
                    "scenario": res["scenario"],
                    "name": p.name,
                    "slug": p.slug,
                    "status": "routed",
                    "reason": "",
                    "snap_km": km,
                    "geometry": shapely.Point(p.x, p.y),
                }
            )
        for rec in res["records"]:
            d = rec["dest"]
            endpoints.append(
                {
                    "role": "destination",
                    "scenario": res["scenario"],
                    "name": d.name,
                    "slug": d.slug,
                    "status": rec["status"],
                    "reason": rec["reason"],
                    "snap_km": rec.get("snap_km"),
                    "geometry": shapely.Point(d.x, d.y),
                }
            )
            for alt in rec.get("alternatives") or []:
                rid = route_id(res["scenario"], o.name, d.slug, alt["alternative"])
                cells.append(alt["cells"])
                routes.append(
                    {
                        "route_id": rid,
                        "scenario": res["scenario"],
                        "origin": o.name,
                        "destination": d.name,
                        "slug": d.slug,
                        "alternative": alt["alternative"],
                        "diverse": alt["diverse"],
                        "steer_cost_usd": alt["steer_cost_usd"],
                        "geometry": path_line(alt["cells"], grid, o, d),
                    }
                )
    return {
        "routes": gpd.GeoDataFrame(routes, geometry="geometry", crs=crs),
        "endpoints": gpd.GeoDataFrame(endpoints, geometry="geometry", crs=crs),
        CELLS_LAYER: cells_table([r["route_id"] for r in routes], cells),
    }


def route_id(scenario: str, origin: str, slug: str, alternative: int) -> str:
    """A route's id: ``scenario:origin>station#alternative``."""
    return f"{scenario}:{origin}>{slug}#{alternative}"


def cells_table(route_ids: list[str], cells: list[np.ndarray]) -> pd.DataFrame:
    """The grid cells of each route in order, one row each: the route stage's contract.

    The route geometry is for display; every later stage reads a route's cells from this
    table (``read_cells``), so simplifying or densifying a line can never change a score.
    """
    n = [len(c) for c in cells]
    stacked = np.vstack(cells) if cells else np.zeros((0, 2), dtype=np.int64)
    return pd.DataFrame(
        {
            "route_id": np.repeat(route_ids, n) if cells else [],
            "seq": np.concatenate([np.arange(k) for k in n]) if cells else [],
            "row": stacked[:, 0].astype(np.int32),
            "col": stacked[:, 1].astype(np.int32),
        }
    )


def read_cells(path: Path) -> dict[str, np.ndarray]:
    """Each route's cells, (N, 2) row/col in order, from the table ``cells_table`` wrote."""
    table = io.read_table(path, CELLS_LAYER).sort_values(["route_id", "seq"], kind="stable")
    return {
        rid: g[["row", "col"]].to_numpy(np.int64)
        for rid, g in table.groupby("route_id", sort=False)
    }


def check_names(rc: RouteConfig, files: StageFiles) -> None:
    """Every country code and water body the route settings name exists in the data."""
    codes = io.read_tags(files["cost/country_id"])["country_codes"].split(",")
    bodies = json.loads(io.read_tags(files["cost/water_body"])["water_bodies"])
    where = "the countries inside the area of interest (cost/country_id.tif)"
    config.check_names("route.landing_countries", rc.landing_countries, codes, where)
    for key, sc in rc.scenarios.items():
        at = f"route.scenarios.{key}"
        config.check_names(f"{at}.allowed_countries", sc.allowed_countries, codes, where)
        config.check_names(f"{at}.country_cost_mult", sc.country_cost_mult, codes, where)
        config.check_names(
            f"{at}.water_bodies", sc.water_bodies, bodies, "the named seas and lakes of the area"
        )


def cost_files(files: StageFiles) -> tuple[tuple[str, str], ...]:
    """The cost stage's files among a stage's, as a task carries them (small, picklable)."""
    return tuple(
        (k, str(p)) for k, p in files.paths.items() if k.startswith("cost/") or k == "gateways"
    )


def _no_gateway_error(task: Task) -> NoRouteError:
    """Which borders of the scenario's countries have no gateway, and the gateways nearby."""
    key, sc = task.scenario_key, task.scenario
    sf = read_surface(dict(task.cost_files), task.grid)
    codes = list(sf.country_codes)
    ids = {c: country_id(codes, c) for c in sc.allowed_countries if c in codes}
    c = sf.country_id
    pairs = set()
    for a, b in ((c[:, :-1], c[:, 1:]), (c[:-1, :], c[1:, :])):
        touch = (a != b) & (a > 0) & (b > 0)
        pairs |= {tuple(sorted(p)) for p in zip(a[touch].tolist(), b[touch].tolist(), strict=True)}
    names = {v: k for k, v in ids.items()}
    borders = sorted(
        f"{names[p[0]]}–{names[p[1]]}" for p in pairs if p[0] in names and p[1] in names
    )
    gw = io.read_layer(dict(task.cost_files)["gateways"], "gateways")
    mine = gw.loc[gw["a"].isin(ids) & gw["b"].isin(ids)]
    listing = "; ".join(f"{r['name']} ({r['a']}–{r['b']})" for _, r in mine.iterrows())
    return NoRouteError(
        f"route.scenarios.{key}: no landing station can be reached from {task.origin.name}: "
        "the borders "
        f"between {sc.allowed_countries} ({', '.join(borders) or 'none'}) are crossed only at "
        f"gateways, and the gateways there ({listing or 'none'}) do not connect them.\n"
        "Fix: add the transit country to allowed_countries, add a published crossing to "
        "gateways.listed, or allow off-gateway crossings at a cost "
        f"(route.scenarios.{key}.off_gateway_crossing_usd)."
    )


def make_tasks(
    cfg: Config,
    places: gpd.GeoDataFrame,
    landing: gpd.GeoDataFrame,
    grid: Grid,
    files: StageFiles,
) -> list[Task]:
    """One task per scenario and origin."""
    origins = [
        resolve_place(o.name, o.lon_deg, o.lat_deg, places, landing, grid, "route.origins")
        for o in cfg.route.origins
    ]
    dests = destinations(landing, cfg.route.landing_countries)
    if not dests:
        raise EndpointError(
            f"route.landing_countries: no landing station of "
            f"{cfg.route.landing_countries} in the cable data inside the area. "
            "Fix: check the ISO codes, or widen the area of interest."
        )
    tasks = []
    for key, sc in cfg.route.scenarios.items():
        via = tuple(
            resolve_place(v, None, None, places, landing, grid, f"route.scenarios.{key}.via")
            for v in sc.via
        )
        tasks += [
            Task(key, sc, o, via, dests, cost_files(files), grid, cfg.cost, cfg.route)
            for o in origins
        ]
    return tasks


def run(cfg: Config, files: StageFiles) -> Path:
    """Route every scenario × origin × landing station × alternative; write ``routes.gpkg``."""
    grid = template(cfg.grid)
    check_names(cfg.route, files)
    places = io.read_layer(files["ingest"], "places")
    landing = io.read_layer(files["ingest"], "landing_points")
    tasks = make_tasks(cfg, places, landing, grid, files)
    results = compute(tasks, cfg.scheduler_address(), cfg.dask.n_workers)
    for res in results:
        for rec in res["records"]:
            if rec["status"] == "skipped":
                log.warning(
                    "route %s: %s → %s skipped: %s",
                    res["scenario"],
                    res["origin"].name,
                    rec["dest"].name,
                    rec["reason"],
                )
    layers = to_layers(results, grid)
    io.write_gpkg(files["routes"], layers)
    log.info(
        "route: %d routes, %d stations skipped",
        len(layers["routes"]),
        int((layers["endpoints"]["status"] == "skipped").sum()),
    )
    return files["routes"]
