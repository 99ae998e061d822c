"""Route stage: diverse least-cost routes per scenario, origin and landing station, on Dask.

Two kinds of Dask task, both handed file paths and small values, never big arrays:

1. one per (scenario, origin): read the cost rasters, apply the scenario (allowed countries, the
   water bodies a submarine leg may cross, land borders crossed only at the border gateways of
   ``cost/gateway_id.tif`` unless the scenario allows more at a cost), snap the endpoints, and
   run one Dijkstra per leg
   (origin → waypoints → every landing station) — the first, cheapest route of every pair;
2. one per (scenario, origin, station) routed, depending on the first: the k alternatives,
   kept ``separation_km`` apart outside the endpoint areas by forbidding each other's corridors
   (corridor exclusion), found greedily and then jointly (``route.alternatives_method``: the
   ground a later route needed is taken from the earlier ones, and each route is re-routed
   against the others until none gets cheaper). When no set keeps apart (one pass, one border
   crossing, a strait) the corridors are only penalised, the route may share ground, and the
   score stage reports where.

A scenario may make protected areas a barrier: a station they cut off is routed through them at
the penalty price, and the route says so (``protected_relaxed``).

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
from .cost import OUTSIDE, WATER_LAND, country_id, country_mult_raster, task_surface
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
    barrier: np.ndarray | None = None  # protected areas, where the scenario makes them a barrier
    c2f: tuple[int, int, int] | None = None  # coarse to fine: factor, corridor cells, widenings
    coarse_zone: np.ndarray | None = None  # the zones on the coarse grid

    def strict_rate(self) -> np.ndarray:
        """The rate with the scenario's barriers (protected areas) closed."""
        return self.rate if self.barrier is None else np.where(self.barrier, np.nan, self.rate)


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
    rate = country_mult_raster(country, codes, scenario.country_cost_mult)
    rate *= steer  # in place: one grid-sized array, not three
    rate[~passable] = np.nan
    return rate


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

    A cell is near when its straight grid distance to the nearest path cell, in km at the
    cell's own ground scale, is below ``within_km`` (what a Euclidean distance transform of the
    paths gives, found by stamping a disk round each path cell instead: a band round a path
    costs its length × the disk, not the whole grid).
    """
    near = np.zeros(inv.shape, dtype=bool)
    if paths:
        reach = math.ceil(within_km / (cell_km * float(inv.min()))) + 1
        router.near_cells(np.concatenate(paths), inv, cell_km, within_km, reach, near)
    return near


def endpoint_areas(
    points: list[tuple[int, int]], inv: np.ndarray, cell_km: float, radius_km: float
) -> np.ndarray:
    """Cells within ``radius_km`` of ground of any of the points (origin, waypoints, end)."""
    out = np.zeros(inv.shape, dtype=bool)
    for r, c in points:
        reach = math.floor(radius_km / (cell_km * inv[r, c])) + 1
        r0, c0 = max(r - reach, 0), max(c - reach, 0)
        rows, cols = np.ogrid[
            r0 : min(r + reach + 1, inv.shape[0]), c0 : min(c + reach + 1, inv.shape[1])
        ]
        out[rows, cols] |= np.hypot(rows - r, cols - c) * cell_km * inv[r, c] <= radius_km
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


Found = tuple[np.ndarray, float]  # a path: (cells, cost)


def _legs(
    rate: np.ndarray,
    inv: np.ndarray | None,
    zone: np.ndarray,
    penalty: np.ndarray,
    step_km: float,
    connectivity: int,
    chain: list[tuple[int, int]],
    targets: list[tuple[int, int]],
) -> list[Found | None]:
    """One Dijkstra per leg of the chain, the last to every target at once."""

    def run(a, goals):
        return router.accumulate(
            rate,
            a,
            goals,
            inv_scale=inv,
            zone=zone,
            zone_penalty=penalty,
            step_km=step_km,
            connectivity=connectivity,
        )

    cost_so_far = 0.0
    prefix = np.array(chain[:1], dtype=np.int64)
    for a, b in zip(chain[:-1], chain[1:], strict=True):
        dist, pred = run(a, [b])
        if not np.isfinite(dist[b]):
            return [None] * len(targets)
        prefix = np.concatenate([prefix, router.backtrack(pred, b)[1:]])
        cost_so_far += float(dist[b])
    dist, pred = run(chain[-1], targets)
    return [
        (np.concatenate([prefix, router.backtrack(pred, t)[1:]]), cost_so_far + float(dist[t]))
        if np.isfinite(dist[t])
        else None
        for t in targets
    ]


def route_chain(
    rate: np.ndarray, scene: Scene, chain: list[tuple[int, int]], targets: list[tuple[int, int]]
) -> list[Found | None]:
    """Least-cost paths through the chain of waypoints to each target: (cells, cost) or None.

    On the whole grid, or coarse to fine when the scene says so (``route.method``).
    """
    if scene.c2f is not None:
        return _coarse_to_fine(rate, scene, chain, targets)
    return _whole_grid(rate, scene, chain, targets)


def _whole_grid(
    rate: np.ndarray, scene: Scene, chain: list[tuple[int, int]], targets: list[tuple[int, int]]
) -> list[Found | None]:
    step_km = scene.grid.cell_m / 1000.0
    return _legs(
        rate, scene.inv, scene.zone, scene.penalty, step_km, scene.connectivity, chain, targets
    )


def _corridor_box(
    cells: np.ndarray, width: int, factor: int, shape: tuple[int, int]
) -> tuple[int, int, np.ndarray]:
    """Fine cells within ``width`` coarse cells of the coarse ``cells``: (row0, col0, mask)."""
    lo = np.maximum(cells.min(axis=0) - width, 0)
    hi = cells.max(axis=0) + width + 1
    on = np.zeros(hi - lo, dtype=bool)
    on[cells[:, 0] - lo[0], cells[:, 1] - lo[1]] = True
    near = ndimage.distance_transform_cdt(~on, metric="chessboard") <= width
    r0, c0 = (int(v) for v in lo * factor)
    fine = np.repeat(np.repeat(near, factor, axis=0), factor, axis=1)
    return r0, c0, fine[: shape[0] - r0, : shape[1] - c0]


def _touches_edge(path: np.ndarray, r0: int, c0: int, mask: np.ndarray, rate: np.ndarray) -> bool:
    """Whether a path runs along the corridor's edge with passable ground beyond it."""
    rr = (path[:, None, 0] + router.DR[None, :8]).ravel()
    cc = (path[:, None, 1] + router.DC[None, :8]).ravel()
    on_grid = (rr >= 0) & (rr < rate.shape[0]) & (cc >= 0) & (cc < rate.shape[1])
    rr, cc = rr[on_grid], cc[on_grid]
    lr, lc = rr - r0, cc - c0
    inside = (lr >= 0) & (lr < mask.shape[0]) & (lc >= 0) & (lc < mask.shape[1])
    inside[inside] = mask[lr[inside], lc[inside]]
    beyond = rate[rr[~inside], cc[~inside]]
    return bool(np.any((beyond >= 0) & np.isfinite(beyond)))


def _coarse_to_fine(
    rate: np.ndarray, scene: Scene, chain: list[tuple[int, int]], targets: list[tuple[int, int]]
) -> list[Found | None]:
    """``route_chain`` searched only in a corridor around the same chain on a coarse grid.

    The coarse grid holds each block's zone (a block with a gateway cell is a gateway, else
    the zone of most of its cells) and the cheapest rate × ground scale among its cells of that
    zone, so borders, landfalls, waypoints, several targets,
    barriers and exclusion masks all carry over. The fine routing is exact inside the corridor;
    a path along the corridor's edge with open ground beyond it widens the corridor (doubling,
    ``route.max_widenings`` times), then the whole grid is searched.
    """
    factor, width, widenings = scene.c2f
    step_km = scene.grid.cell_m / 1000.0

    coarse = router.block_min(rate, factor, scene.inv, (scene.zone, scene.coarse_zone))
    cpaths = _legs(
        coarse,
        None,
        scene.coarse_zone,
        scene.penalty,
        step_km * factor,
        scene.connectivity,
        [(r // factor, c // factor) for r, c in chain],
        [(r // factor, c // factor) for r, c in targets],
    )
    if any(p is None for p in cpaths):
        return _whole_grid(rate, scene, chain, targets)  # the coarse grid lost a way through
    ccells = np.concatenate([p[0] for p in cpaths])
    for _ in range(widenings + 1):
        r0, c0, mask = _corridor_box(ccells, width, factor, rate.shape)
        r1, c1 = r0 + mask.shape[0], c0 + mask.shape[1]
        sub = np.where(mask, rate[r0:r1, c0:c1], np.nan)
        found = _legs(
            sub,
            scene.inv[r0:r1, c0:c1],
            scene.zone[r0:r1, c0:c1],
            scene.penalty,
            step_km,
            scene.connectivity,
            [(r - r0, c - c0) for r, c in chain],
            [(r - r0, c - c0) for r, c in targets],
        )
        if all(p is not None for p in found):
            found = [(p[0] + [r0, c0], p[1]) for p in found]
            if not any(_touches_edge(p[0], r0, c0, mask, rate) for p in found):
                return found
        width *= 2
    return _whole_grid(rate, scene, chain, targets)


# --- tasks (run on Dask workers; read their inputs from files) ---------------------------------


def load_scene(task: Task, steer: np.ndarray | None = None) -> Scene:
    """Read the cost rasters and apply the task's scenario (to ``steer`` when given)."""
    grid = task.grid
    sf = task_surface(task.cost_files, grid)
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
    rc = task.route
    c2f = rc.coarse_to_fine(grid.height * grid.width)
    n = len(codes)
    return Scene(
        steering_rate(steer, passable, country, codes, sc),
        sf.inv_scale,
        zone,
        penalty,
        labels,
        grid,
        task.route.connectivity,
        (sf.protected_area > 0) if sc.protected_areas == "barrier" else None,
        c2f,
        None if c2f is None else router.block_zone(zone, c2f[0], (n + 1, 2 * n)),
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
    targets = [r["cell"] for r in reachable]
    paths = route_chain(scene.strict_rate(), scene, chain, targets)
    relaxed = [False] * len(paths)
    if scene.barrier is not None and any(p is None for p in paths):
        # a station the protected areas cut off: through them, at the penalty, said so
        loose = route_chain(scene.rate, scene, chain, targets)
        relaxed = [p is None and q is not None for p, q in zip(paths, loose, strict=True)]
        paths = [q if r else p for p, q, r in zip(paths, loose, relaxed, strict=True)]
    if all(p is None for p in paths):
        raise _no_gateway_error(task)
    for rec, path, rel in zip(reachable, paths, relaxed, strict=True):
        if path is None:
            rec.update(status="skipped", reason="reachable only across a border without a gateway")
            continue
        rec["protected_relaxed"] = rel
        rec["alternatives"] = [_alt(1, path, True, True, rel)]
    return {
        "scenario": key,
        "origin": task.origin,
        "via": task.via,
        "chain": chain,
        "chain_snap_km": [s[2] for s in snapped],
        "records": records,
    }


def _alt(n: int, found: tuple[np.ndarray, float], diverse: bool, greedy: bool, rel: bool) -> dict:
    return {
        "alternative": n,
        "cells": found[0],
        "steer_cost_usd": found[1],
        "diverse": diverse,
        "diverse_greedy": greedy,
        "protected_relaxed": rel,
    }


JOINT_STRETCHES = 3
"""Shared stretches the joint method tries to free per repair round, longest first."""


@dataclass(frozen=True)
class Pair:
    """One origin–station pair's routing world for its alternatives."""

    scene: Scene
    rate: np.ndarray  # the rate its first route was found on (barriers closed, or relaxed)
    chain: list[tuple[int, int]]
    target: tuple[int, int]
    rc: RouteConfig
    best_usd: float  # steering cost of the pair's cheapest route

    def near(self, paths: list[np.ndarray]) -> np.ndarray:
        """The corridors of ``paths`` outside the endpoint areas."""
        rc = self.rc
        return corridor(
            paths, [*self.chain, self.target], self.scene, rc.separation_km, rc.endpoint_radius_km
        )

    def route(self, rate: np.ndarray) -> tuple[np.ndarray, float] | None:
        """The cheapest path through the chain to the target on ``rate``: (cells, cost)."""
        return route_chain(rate, self.scene, self.chain, [self.target])[0]

    def apart(self, cells: np.ndarray, others: list[np.ndarray]) -> bool:
        """Whether a path keeps the separation from ``others`` outside the endpoint areas."""
        return not others or not self.near(others)[cells[:, 0], cells[:, 1]].any()

    def greedy(
        self, first: tuple[np.ndarray, float] | None, k: int, bans: list[np.ndarray | None]
    ) -> list[tuple[np.ndarray, float]] | None:
        """Each route in turn, outside the earlier ones' corridors and its own banned ground.

        Where none keeps apart within ``route.max_alternative_cost_ratio`` of the cheapest
        route's cost, the corridors are only penalised. ``first``: route 1 as already found;
        None if a ban closes the way (or makes route 1 dearer than that).
        """
        limit = self.rc.max_alternative_cost_ratio * self.best_usd
        out = [] if first is None else [first]
        for n in range(len(out), k):
            rate = self.rate if bans[n] is None else np.where(bans[n], np.nan, self.rate)
            near = self.near([p[0] for p in out])
            found = self.route(np.where(near, np.nan, rate))
            if found is not None and found[1] > limit:
                found = None  # apart, but at a price no planner would sign
            if found is None and out:
                found = self.route(np.where(near, rate * self.rc.fallback_penalty_mult, rate))
            if found is None:
                return None
            out.append(found)
        return out

    def score(self, paths: list[tuple[np.ndarray, float]]) -> tuple[int, float]:
        """The rank of a set of routes: more of them apart from the earlier ones, then cheaper."""
        apart = sum(self.apart(p[0], [q[0] for q in paths[:i]]) for i, p in enumerate(paths))
        return -apart, sum(p[1] for p in paths)

    def joint(self, paths: list[tuple[np.ndarray, float]]) -> list[tuple[np.ndarray, float]]:
        """The greedy set repaired where it could not keep apart, then improved.

        See ``route.alternatives_method``. A repair takes one stretch the first route that
        could not keep apart shares with the earlier ones (the longest ``JOINT_STRETCHES``
        are tried; one may be a true bottleneck, another a gateway the earlier route could
        leave) away from the earlier routes, and routes the set again.
        """
        k = len(paths)
        for _ in range(self.rc.joint_rounds):
            bad = [
                i for i, p in enumerate(paths) if not self.apart(p[0], [q[0] for q in paths[:i]])
            ]
            if not bad:
                break
            n = bad[0]
            cells = paths[n][0]
            inside = self.near([q[0] for q in paths[:n]])[cells[:, 0], cells[:, 1]]
            runs = np.split(np.nonzero(inside)[0], np.nonzero(np.diff(inside) != 0)[0] + 1)
            runs = sorted((r for r in runs if r.size and inside[r[0]]), key=len, reverse=True)
            apart_now = self.score(paths)[0]
            best, best_score = None, None
            for run in runs[:JOINT_STRETCHES]:
                area = self.near([cells[run]])
                cand = self.greedy(None, k, [area if i < n else None for i in range(k)])
                score = None if cand is None else self.score(cand)
                if score is None or score[0] >= apart_now:
                    continue  # a repair must keep more routes apart; cheaper alone is the
                    # next phase's work, which never moves a route to a dearer path
                if best is None or score < best_score:
                    best, best_score = cand, score
            if best is None:
                break
            paths = best
        for _ in range(self.rc.joint_rounds):
            changed = False
            for i in range(k):
                others = [p[0] for j, p in enumerate(paths) if j != i]
                if not self.apart(paths[i][0], others):
                    continue
                found = self.route(np.where(self.near(others), np.nan, self.rate))
                if found is not None and found[1] < paths[i][1] * (1 - 1e-9):
                    paths = [found if j == i else p for j, p in enumerate(paths)]
                    changed = True
            if not changed:
                break
        return sorted(paths, key=lambda p: p[1])


def more_alternatives(task: Task, first: dict, slug: str) -> list[dict]:
    """All k alternatives of one pair, kept apart by ``route.alternatives_method``.

    ``diverse``: the route keeps ``separation_km`` from every earlier (cheaper) alternative
    outside the endpoint areas; ``diverse_greedy``: the same of the greedy method's route of
    that number, for comparison.
    """
    rec = next(r for r in first["records"] if r["slug"] == slug)
    alts = list(rec["alternatives"])
    rc = task.route
    if rc.alternatives < 2:
        return alts
    scene = load_scene(task)
    rel = rec["protected_relaxed"]
    one = (alts[0]["cells"], alts[0]["steer_cost_usd"])
    rate = scene.rate if rel else scene.strict_rate()
    pair = Pair(scene, rate, first["chain"], rec["cell"], rc, one[1])
    greedy = pair.greedy(one, rc.alternatives, [None] * rc.alternatives)
    paths = pair.joint(greedy) if rc.alternatives_method == "joint" else greedy

    def flags(ps):
        return [pair.apart(p[0], [q[0] for q in ps[:i]]) for i, p in enumerate(ps)]

    return [
        _alt(n, p, d, g, rel)
        for n, (p, d, g) in enumerate(zip(paths, flags(paths), flags(greedy), strict=True), 1)
    ]


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
                        "diverse_greedy": alt["diverse_greedy"],
                        "protected_relaxed": alt["protected_relaxed"],
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
        (k, str(p))
        for k, p in files.paths.items()
        if k.startswith("cost/") or k in ("gateways", "landcover")
    )


def _no_gateway_error(task: Task) -> NoRouteError:
    """Which borders of the scenario's countries have no gateway, and the gateways nearby."""
    key, sc = task.scenario_key, task.scenario
    sf = task_surface(task.cost_files, task.grid)
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
