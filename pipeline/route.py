"""Route stage: diverse least-cost routes per scenario, origin and landing station, on Dask.

Two kinds of Dask task, both handed file paths and small values, never big arrays:

1. one per (scenario, origin): build the scenario's scene from the cost rasters (allowed
   countries, the water bodies a submarine leg may cross, land borders crossed only at the border
   gateways of ``cost/gateway_id.tif`` unless the scenario allows more at a cost), snap the
   endpoints, and run one Dijkstra per leg (origin → waypoints → every landing station) — the
   first, cheapest route of every pair;
2. one per (scenario, origin, station) routed, depending on the first: the k alternatives,
   kept ``separation_km`` apart outside the endpoint areas by forbidding each other's corridors
   (corridor exclusion), found greedily and then jointly (``route.alternatives_method``: the
   ground a later route needed is taken from the earlier ones, and each route is re-routed
   against the others until none gets cheaper). When no set keeps apart (one pass, one border
   crossing, a strait) the corridors are only penalised, the route may share ground, and the
   score stage reports where.

A scenario may make protected areas a barrier: a station they cut off is routed through them at
the penalty price, and the route says so (``protected_relaxed``).

A scene is read a strip at a time (only the rasters it needs) into a float32 rate and an 8-bit
zone per cell (16-bit beyond 63 countries), and a worker process keeps it for the next task of
the same scenario (``task_scene``). An alternative's exclusions are an overlay of the cells they
change, never a changed copy of the grid; on large grids the coarse levels are built once per
scene and an overlay changes only the coarse cells it touches (``route.method``), and the fine
search inside a corridor touches only the corridor's memory (``router.Corridor``).

Pairs are independent, so they run in parallel; the alternatives of one pair depend on each other
and run in order. Landing stations no land route can reach (islands, offshore platforms) are
skipped with the reason recorded, never a failed build.
"""

from __future__ import annotations

import collections
import contextlib
import difflib
import functools
import json
import logging
import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import dask
import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from rasterio.windows import Window
from scipy import ndimage

from . import config, io, parallel, router
from .catalogue import StageFiles
from .config import Config, CostConfig, RouteConfig, Scenario
from .cost import (
    OUTSIDE,
    STRIP_ROWS,
    WATER_LAND,
    country_id,
    country_mult_raster,
    file_stamps,
    task_surface,
)
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
class Level:
    """One level of the routing grid: the fine grid, or a coarser one for coarse to fine."""

    rate: np.ndarray  # per ground km on the fine grid (with ``inv``), per grid km on a coarse one
    inv: np.ndarray | None  # ground km per grid km; None on a coarse level (folded into rate)
    zone: np.ndarray
    step_km: float
    factor: int = 0  # cells of this level per cell of ``coarse``, each way
    coarse: Level | None = None


@dataclass
class Scene:
    """A scenario's routing world on the grid."""

    rate: np.ndarray  # steering rate, USD per ground km (float32); NaN where forbidden
    inv: np.ndarray  # ground km per grid km
    zone: np.ndarray  # country id on land, WATER zone on water, 0 elsewhere
    penalty: np.ndarray  # zone transition costs, USD
    grid: Grid
    connectivity: int = 8  # moves per cell: 8, or 16 with knight's moves
    barrier: np.ndarray | None = None  # protected areas, where the scenario makes them a barrier
    c2f: tuple[int, int, int, int] | None = None  # factor, corridor cells, widenings, coarsest
    prefer: tuple[int, int] = (1, 0)  # the gateway zones, kept on a coarse grid
    _levels: dict = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @functools.cached_property
    def inv_min(self) -> float:
        """The smallest ground scale: how far a ground distance may reach in cells."""
        return float(self.inv.min())

    def level(self, strict: bool = True) -> Level:
        """The grid to route on, with its coarser levels: barriers closed (``strict``) or not.

        Built once per scene (the coarse grids are the block minima of the whole grid), and
        shared by every route the scene's tasks find.
        """
        closed = strict and self.barrier is not None
        with self._lock:
            if closed not in self._levels:
                rate = np.where(self.barrier, np.nan, self.rate) if closed else self.rate
                self._levels[closed] = pyramid(
                    rate, self.inv, self.zone, self.grid.cell_m / 1000.0, self.c2f, self.prefer
                )
            return self._levels[closed]


def pyramid(
    rate: np.ndarray,
    inv: np.ndarray,
    zone: np.ndarray,
    step_km: float,
    c2f: tuple[int, int, int, int] | None,
    prefer: tuple[int, int],
) -> Level:
    """The fine level, and for coarse to fine its coarser levels down to ``c2f[3]`` cells.

    A coarse block holds the block's zone (a gateway zone if it has one, else the zone of most
    of its cells) and the cheapest rate × ground scale among its cells of that zone.
    """
    top = lvl = Level(rate, inv, zone, step_km)
    if c2f is None:
        return top
    factor, coarsest = c2f[0], c2f[3]
    while True:
        czone = router.block_zone(lvl.zone, factor, prefer)
        crate = router.block_min(lvl.rate, factor, lvl.inv, (lvl.zone, czone))
        lvl.factor, lvl.coarse = factor, Level(crate, None, czone, lvl.step_km * factor)
        lvl = lvl.coarse
        if lvl.rate.size <= coarsest:
            return top


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


def zone_dtype(n_codes: int) -> type:
    """The smallest integer type for the zones of ``n_codes`` countries (``zones``)."""
    return np.int8 if 2 * n_codes + 1 <= np.iinfo(np.int8).max else np.int16


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
    zone = np.where(water == WATER_LAND, land, water_zone).astype(zone_dtype(n_codes))
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
    rate: np.ndarray,
    inv_scale: np.ndarray,
    grid: Grid,
    x: float,
    y: float,
    max_km: float,
    inv_min: float | None = None,
) -> tuple[int, int, float] | None:
    """Nearest passable cell to (x, y) within ``max_km`` of ground: (row, col, km), or None.

    Passable: a finite ``rate``. ``inv_min``: the grid's smallest ground scale, if known.
    """
    row, col = (int(v) for v in grid.rowcol(x, y))
    inv_min = float(inv_scale.min()) if inv_min is None else inv_min
    radius = math.ceil(max_km * 1000.0 / (grid.cell_m * inv_min)) + 1
    r0, r1 = max(row - radius, 0), min(row + radius + 1, grid.height)
    c0, c1 = max(col - radius, 0), min(col + radius + 1, grid.width)
    if r0 >= r1 or c0 >= c1:
        return None
    rr, cc = np.nonzero(np.isfinite(rate[r0:r1, c0:c1]))
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


NEAR_STRETCH = 256
"""Path cells stamped on one window: a window round a whole path would be the path's bounding
box (at 250 m, tens of millions of cells for a diagonal route)."""


def near_index(
    paths: list[np.ndarray],
    inv: np.ndarray,
    cell_km: float,
    within_km: float,
    inv_min: float | None = None,
) -> np.ndarray:
    """Flat indices (sorted) of the cells within ``within_km`` of ground of any path cell.

    A cell is near when its straight grid distance to the nearest path cell, in km at the
    cell's own ground scale, is below ``within_km`` (what a Euclidean distance transform of the
    paths gives, found by stamping a disk round each path cell on a window round each stretch of
    ``NEAR_STRETCH`` cells: a band round a path costs its length × the disk, not the grid or
    the path's bounding box). ``inv_min``: the grid's smallest ground scale, if known.
    """
    if not paths:
        return np.zeros(0, dtype=np.int64)
    inv_min = float(inv.min()) if inv_min is None else inv_min
    reach = math.ceil(within_km / (cell_km * inv_min)) + 1
    out = []
    for path in paths:
        for s0 in range(0, len(path), NEAR_STRETCH):
            cells = path[s0 : s0 + NEAR_STRETCH]
            lo = np.maximum(cells.min(axis=0) - reach, 0)
            hi = np.minimum(cells.max(axis=0) + reach + 1, inv.shape)
            near = np.zeros(hi - lo, dtype=bool)
            window = inv[lo[0] : hi[0], lo[1] : hi[1]]
            router.near_cells(cells - lo, window, cell_km, within_km, reach, near)
            rr, cc = np.nonzero(near)
            out.append((rr + lo[0]) * inv.shape[1] + (cc + lo[1]))
    return _sorted_unique(np.concatenate(out))


def endpoint_index(
    points: list[tuple[int, int]], inv: np.ndarray, cell_km: float, radius_km: float
) -> np.ndarray:
    """Flat indices (sorted) of the cells within ``radius_km`` of ground of any of the points."""
    out = []
    for r, c in points:
        reach = math.floor(radius_km / (cell_km * inv[r, c])) + 1
        r0, c0 = max(r - reach, 0), max(c - reach, 0)
        rows, cols = np.ogrid[
            r0 : min(r + reach + 1, inv.shape[0]), c0 : min(c + reach + 1, inv.shape[1])
        ]
        rr, cc = np.nonzero(np.hypot(rows - r, cols - c) * cell_km * inv[r, c] <= radius_km)
        out.append((rr + r0) * inv.shape[1] + (cc + c0))
    return _sorted_unique(np.concatenate(out)) if out else np.zeros(0, dtype=np.int64)


def _sorted_unique(flat: np.ndarray) -> np.ndarray:
    """``np.unique`` of cell indices, by a sort (numpy 2.4's ``unique`` takes 20× as long)."""
    flat = np.sort(flat)
    keep = np.ones(flat.size, dtype=bool)
    keep[1:] = flat[1:] != flat[:-1]
    return flat[keep]


def _mask(index: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    out = np.zeros(shape, dtype=bool)
    out.ravel()[index] = True
    return out


def near_paths(
    paths: list[np.ndarray], inv: np.ndarray, cell_km: float, within_km: float
) -> np.ndarray:
    """``near_index`` as a grid-shaped boolean."""
    return _mask(near_index(paths, inv, cell_km, within_km), inv.shape)


def endpoint_areas(
    points: list[tuple[int, int]], inv: np.ndarray, cell_km: float, radius_km: float
) -> np.ndarray:
    """``endpoint_index`` as a grid-shaped boolean."""
    return _mask(endpoint_index(points, inv, cell_km, radius_km), inv.shape)


def corridor(
    paths: list[np.ndarray],
    keep_clear: list[tuple[int, int]],
    scene: Scene,
    separation_km: float,
    endpoint_radius_km: float,
) -> np.ndarray:
    """Cells within ``separation_km`` of any earlier path, outside the endpoint areas.

    Sorted flat indices.
    """
    cell_km = scene.grid.cell_m / 1000.0
    near = near_index(paths, scene.inv, cell_km, separation_km, scene.inv_min)
    clear = endpoint_index(keep_clear, scene.inv, cell_km, endpoint_radius_km)
    return near[~_member(near, clear)]


def _member(flat: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Whether each of ``flat`` is among the sorted ``index``."""
    if index.size == 0:
        return np.zeros(flat.shape, dtype=bool)
    pos = np.minimum(np.searchsorted(index, flat), index.size - 1)
    return index[pos] == flat


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
    """One Dijkstra per leg of the chain on the grid, the last to every target at once."""

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

    return _chain_paths(run, chain, targets)


def _chain_paths(run, chain: list[tuple[int, int]], targets: list[tuple[int, int]]):
    """The legs' paths joined, from ``run(start, goals) -> (dist, pred)``: (cells, cost)."""
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


Overlay = tuple[np.ndarray, np.ndarray]
"""Cells whose rate an alternative changes: sorted flat indices, and their rates (NaN: closed)."""


def overlay(rate: np.ndarray, parts: list[tuple[np.ndarray, float]]) -> Overlay | None:
    """The cells of each part (flat indices) at ``rate`` × the part's factor.

    A factor of NaN closes the cells, and a closed cell stays closed whatever else it is in;
    elsewhere the first part holding a cell sets it.
    """
    parts = [(i, f) for i, f in parts if i.size]
    if not parts:
        return None
    order = sorted(range(len(parts)), key=lambda j: not np.isnan(parts[j][1]))  # closing first
    n = len(parts)
    key = np.sort(np.concatenate([parts[j][0] * n + rank for rank, j in enumerate(order)]))
    idx, rank = np.divmod(key, n)
    first = np.ones(idx.size, dtype=bool)
    first[1:] = idx[1:] != idx[:-1]
    idx, rank = idx[first], rank[first]
    factors = np.array([parts[j][1] for j in order], dtype=rate.dtype)
    return idx, rate.ravel()[idx] * factors[rank]


def _rates_at(rate: np.ndarray, ov: Overlay | None, rr: np.ndarray, cc: np.ndarray) -> np.ndarray:
    """The rate of cells (rr, cc) with the overlay applied."""
    out = rate[rr, cc]
    if ov is not None and rr.size:
        flat = rr * rate.shape[1] + cc
        hit = _member(flat, ov[0])
        out[hit] = ov[1][np.searchsorted(ov[0], flat[hit])]
    return out


def route_chain(
    level: Level,
    scene: Scene,
    chain: list[tuple[int, int]],
    targets: list[tuple[int, int]],
    ov: Overlay | None = None,
) -> list[Found | None]:
    """Least-cost paths through the chain of waypoints to each target: (cells, cost) or None.

    On ``level``'s rate with the overlay ``ov``: on the whole grid, or coarse to fine when the
    level has a coarser one (``route.method``).
    """
    if level.coarse is None:
        return _whole_grid(level, scene, chain, targets, ov)
    return _coarse_to_fine(level, scene, chain, targets, ov)


def _whole_grid(
    level: Level,
    scene: Scene,
    chain: list[tuple[int, int]],
    targets: list[tuple[int, int]],
    ov: Overlay | None,
) -> list[Found | None]:
    rate = level.rate
    if ov is not None:
        rate = rate.copy()
        rate.ravel()[ov[0]] = ov[1]
    return _legs(
        rate,
        level.inv,
        level.zone,
        scene.penalty,
        level.step_km,
        scene.connectivity,
        chain,
        targets,
    )


def _corridor_blocks(cells: np.ndarray, width: int) -> tuple[int, int, np.ndarray]:
    """Coarse cells within ``width`` of the coarse ``cells``: (row0, col0, mask)."""
    lo = np.maximum(cells.min(axis=0) - width, 0)
    hi = cells.max(axis=0) + width + 1
    on = np.zeros(hi - lo, dtype=bool)
    on[cells[:, 0] - lo[0], cells[:, 1] - lo[1]] = True
    near = ndimage.distance_transform_cdt(~on, metric="chessboard") <= width
    return int(lo[0]), int(lo[1]), near


def _fine(near: np.ndarray, factor: int, shape: tuple[int, int], r0: int, c0: int) -> np.ndarray:
    """The coarse ``near`` on the fine cells of its window from (r0, c0), clipped to the grid."""
    fine = np.empty((near.shape[0], factor, near.shape[1], factor), dtype=bool)
    fine[...] = near[:, None, :, None]  # each coarse cell's value over its block, one pass
    fine = fine.reshape(near.shape[0] * factor, near.shape[1] * factor)
    return fine[: shape[0] - r0, : shape[1] - c0]


def _touches_edge(
    path: np.ndarray,
    r0: int,
    c0: int,
    near: np.ndarray,
    factor: int,
    rate: np.ndarray,
    ov: Overlay | None,
) -> bool:
    """Whether a path runs along the corridor's edge with passable ground beyond it.

    The corridor: the coarse cells ``near`` (blocks of ``factor`` cells) from cell (r0, c0).
    """
    rr = (path[:, None, 0] + router.DR[None, :8]).ravel()
    cc = (path[:, None, 1] + router.DC[None, :8]).ravel()
    on_grid = (rr >= 0) & (rr < rate.shape[0]) & (cc >= 0) & (cc < rate.shape[1])
    rr, cc = rr[on_grid], cc[on_grid]
    br, bc = (rr - r0) // factor, (cc - c0) // factor
    inside = (br >= 0) & (br < near.shape[0]) & (bc >= 0) & (bc < near.shape[1])
    inside[inside] = near[br[inside], bc[inside]]
    beyond = _rates_at(rate, ov, rr[~inside], cc[~inside])
    return bool(np.any((beyond >= 0) & np.isfinite(beyond)))


def _open_ends(
    level: Level,
    ov: Overlay | None,
    ends: list[tuple[int, int]],
    coarse: Level,
    cov: Overlay | None,
    cends: list[tuple[int, int]],
) -> Overlay | None:
    """The coarse overlay with every endpoint's block passable.

    A block whose own zone's cells are closed (by an alternative's exclusion) can still hold an
    endpoint of another zone; the block then takes the endpoint's own rate.
    """
    rr, cc = np.array(cends).T
    shut = ~(_rates_at(coarse.rate, cov, rr, cc) >= 0) | ~np.isfinite(
        _rates_at(coarse.rate, cov, rr, cc)
    )
    if not shut.any():
        return cov
    fr, fc = np.array(ends)[shut].T
    vals = _rates_at(level.rate, ov, fr, fc) * (1.0 if level.inv is None else level.inv[fr, fc])
    idx = rr[shut] * coarse.rate.shape[1] + cc[shut]
    if cov is not None:  # the endpoints' values first, so they win
        idx, vals = np.concatenate([idx, cov[0]]), np.concatenate([vals, cov[1]])
    idx, first = np.unique(idx, return_index=True)  # a few cells
    return idx, vals[first].astype(coarse.rate.dtype)


def _coarse_to_fine(
    level: Level,
    scene: Scene,
    chain: list[tuple[int, int]],
    targets: list[tuple[int, int]],
    ov: Overlay | None,
) -> list[Found | None]:
    """``route_chain`` searched only in a corridor around the same chain on the coarser level.

    The coarse level (see ``pyramid``) keeps borders, landfalls and gateways, and an
    alternative's exclusions change only the blocks they touch (``router.patch_blocks``), so
    waypoints, several targets, barriers and exclusion masks all carry over; the coarse level
    is itself routed coarse to fine while it is larger than the coarsest size. The fine routing
    is exact inside the corridor; a path along the corridor's edge with open ground beyond it
    widens the corridor (doubling, ``route.max_widenings`` times), then the whole grid is
    searched. Where the coarse level finds no way to a target, a search from both ends without
    costs (``router.linked``) shows whether the fine grid has one: if not, the target is
    unreachable without pricing every cell the origin reaches; if so, the whole grid.
    """
    f, coarse = level.factor, level.coarse
    _, width, widenings, _ = scene.c2f
    cov = None
    if ov is not None:
        cov = router.patch_blocks(level.rate, f, ov, level.inv, (level.zone, coarse.zone))
    cchain = [(r // f, c // f) for r, c in chain]
    ctargets = [(r // f, c // f) for r, c in targets]
    cov = _open_ends(level, ov, chain + targets, coarse, cov, cchain + ctargets)
    cpaths = route_chain(coarse, scene, cchain, ctargets, cov)
    out: list[Found | None] = [None] * len(targets)
    lost = {i for i, p in enumerate(cpaths) if p is None}
    if lost and _cut_off(level, scene, ov, chain, targets, lost) != lost:
        return _fallback(level, scene, chain, targets, ov, "the coarse grid lost a way through")
    kept = [i for i in range(len(targets)) if i not in lost]
    tries = widenings + 1
    while kept and tries:
        ccells = np.concatenate([cpaths[i][0] for i in kept])
        r0, c0, near, found = _in_corridor(
            level, scene, ov, chain, [targets[i] for i in kept], ccells, width
        )
        missing = {i for i, p in zip(kept, found, strict=True) if p is None}
        cut = _cut_off(level, scene, ov, chain, targets, missing) if missing else set()
        if cut:  # unreachable on the fine grid too: settled, the corridor stays as it is
            kept = [i for i in kept if i not in cut]
            continue
        if not missing and not any(
            _touches_edge(p[0], r0, c0, near, level.factor, level.rate, ov) for p in found
        ):
            for i, p in zip(kept, found, strict=True):
                out[i] = p
            return out
        width *= 2
        tries -= 1
    if not kept:
        return out
    return _fallback(level, scene, chain, targets, ov, "the widest corridor held no way")


def _fallback(
    level: Level,
    scene: Scene,
    chain: list[tuple[int, int]],
    targets: list[tuple[int, int]],
    ov: Overlay | None,
    why: str,
) -> list[Found | None]:
    log.info("route: %s; searching the whole %d × %d grid", why, *level.rate.shape)
    return _whole_grid(level, scene, chain, targets, ov)


def _in_corridor(
    level: Level,
    scene: Scene,
    ov: Overlay | None,
    chain: list[tuple[int, int]],
    targets: list[tuple[int, int]],
    ccells: np.ndarray,
    width: int,
) -> tuple[int, int, np.ndarray, list[Found | None]]:
    """The chain's paths on ``level`` within ``width`` coarse cells of ``ccells``.

    Returns the corridor (its first cell, and its coarse cells) and the paths, in the level's
    cells.
    """
    r0, c0, near = _corridor_blocks(ccells, width)
    r0, c0, f = r0 * level.factor, c0 * level.factor, level.factor
    cells = None
    if ov is not None:
        rr, cc = np.divmod(ov[0], level.rate.shape[1])
        rr, cc = rr - r0, cc - c0
        at = (rr >= 0) & (rr < near.shape[0] * f) & (cc >= 0) & (cc < near.shape[1] * f)
        cells = (rr[at], cc[at], ov[1][at])
    search = router.Corridor(
        level.rate,
        level.inv,
        level.zone,
        r0,
        c0,
        near,
        f,
        cells,
        scene.penalty,
        level.step_km,
        scene.connectivity,
    )
    local = ([(r - r0, c - c0) for r, c in chain], [(r - r0, c - c0) for r, c in targets])
    if search.ok:
        found = _chain_paths(search.accumulate, *local)
    else:  # a cost range for the heap: the window with every cell outside the corridor shut
        mask = _fine(near, f, level.rate.shape, r0, c0)
        r1, c1 = r0 + mask.shape[0], c0 + mask.shape[1]
        sub = np.where(mask, level.rate[r0:r1, c0:c1], np.nan)
        if cells is not None:
            inside = mask[cells[0], cells[1]]
            sub[cells[0][inside], cells[1][inside]] = cells[2][inside]
        found = _legs(
            sub,
            None if level.inv is None else level.inv[r0:r1, c0:c1],
            level.zone[r0:r1, c0:c1],
            scene.penalty,
            level.step_km,
            scene.connectivity,
            *local,
        )
    return r0, c0, near, [None if p is None else (p[0] + [r0, c0], p[1]) for p in found]


def _cut_off(
    level: Level,
    scene: Scene,
    ov: Overlay | None,
    chain: list[tuple[int, int]],
    targets: list[tuple[int, int]],
    which: set[int],
) -> set[int]:
    """Those of ``which`` targets no path on ``level`` reaches (all, if a waypoint is cut off)."""
    closed = None if ov is None else ov[0][np.isnan(ov[1])]

    def linked(a, b):
        return router.linked(
            level.rate, a, b, closed, level.zone, scene.penalty, scene.connectivity
        )

    if not all(linked(a, b) for a, b in zip(chain, chain[1:], strict=False)):
        return set(which)
    return {i for i in which if not linked(chain[-1], targets[i])}


# --- tasks (run on Dask workers; read their inputs from files) ---------------------------------


SCENE_RASTERS = (
    "steer_cost_usd_per_km",
    "water_class",
    "water_body",
    "country_id",
    "gateway_id",
    "protected_area",
)
"""The cost rasters a scene is built from (besides ``inv_scale``), read a strip at a time."""
SCENES_KEPT = 2
"""Scenes a worker process keeps between tasks: one per thread (a scene is 5 bytes a cell)."""
_SCENES: collections.OrderedDict = collections.OrderedDict()
_SCENES_LOCK = threading.Lock()
_LABELS_LOCK = threading.Lock()


def _strips(task: Task, steer: np.ndarray | None):
    """(row slice, {name: array}) of the scene's rasters, ``STRIP_ROWS`` rows at a time.

    Read from the files, a window at a time, so a scene never holds the raw rasters whole
    (at 250 m each is 282 M cells); with ``steer`` (a Monte Carlo draw's rate), from the
    worker's cached surface.
    """
    grid = task.grid
    if steer is not None:
        sf = task_surface(task.cost_files, grid)
        arrays = {n: getattr(sf, n) for n in SCENE_RASTERS if n != "steer_cost_usd_per_km"}
        arrays["steer_cost_usd_per_km"] = steer
        for r0 in range(0, grid.height, STRIP_ROWS):
            s = slice(r0, r0 + STRIP_ROWS)
            yield s, {k: v[s] for k, v in arrays.items()}
        return
    files = dict(task.cost_files)
    with contextlib.ExitStack() as stack:
        # each tile is read once: GDAL's block cache (5 % of the memory) would only keep them
        stack.enter_context(rasterio.Env(GDAL_CACHEMAX=STRIP_CACHE_MB))
        srcs = {
            name: stack.enter_context(io.open_on_grid(files[f"cost/{name}"], grid))
            for name in SCENE_RASTERS
        }
        for r0 in range(0, grid.height, STRIP_ROWS):
            rows = min(STRIP_ROWS, grid.height - r0)
            window = Window(0, r0, grid.width, rows)
            yield slice(r0, r0 + rows), {k: src.read(1, window=window) for k, src in srcs.items()}


STRIP_CACHE_MB = 64
"""GDAL's block cache while a scene is read, MB (its default, 5 % of the memory, is 1.2 GB here
and stays resident after the strips are read)."""


def load_scene(task: Task, steer: np.ndarray | None = None) -> Scene:
    """Read the cost rasters and apply the task's scenario (to ``steer`` when given)."""
    grid = task.grid
    files = dict(task.cost_files)
    codes = io.read_tags(files["cost/country_id"])["country_codes"].split(",")
    names = json.loads(io.read_tags(files["cost/water_body"])["water_bodies"])
    sc = task.scenario
    off = sc.off_gateway_crossing_usd
    costs = (
        task.cost.border_crossing_usd,
        np.inf if off is None else task.cost.border_crossing_usd + off,
        task.cost.landfall_usd,
    )
    body_ids = [names[b] for b in sc.water_bodies]
    rate = np.empty(grid.shape, dtype=np.float32)
    zone = np.empty(grid.shape, dtype=zone_dtype(len(codes)))
    barrier = np.empty(grid.shape, dtype=bool) if sc.protected_areas == "barrier" else None
    for s, a in _strips(task, steer):
        country, water, st = a["country_id"], a["water_class"], a["steer_cost_usd_per_km"]
        passable = passable_mask(water, a["water_body"], country, codes, body_ids, st, sc)
        zone[s], penalty = zones(passable, water, country, a["gateway_id"], len(codes), costs)
        rate[s] = steering_rate(st, passable, country, codes, sc)
        if barrier is not None:
            barrier[s] = a["protected_area"] > 0
    inv = (
        task_surface(task.cost_files, grid).inv_scale
        if steer is not None
        else _inv_scale(files["cost/inv_scale"], grid)
    )
    rc = task.route
    n = len(codes)
    return Scene(
        rate,
        inv,
        zone,
        penalty,
        grid,
        rc.connectivity,
        barrier,
        rc.coarse_to_fine(grid.height * grid.width),
        (n + 1, 2 * n),
    )


def _inv_scale(path: str, grid: Grid) -> np.ndarray:
    stamp = Path(path).stat().st_mtime_ns
    return _inv_once(path, stamp, grid)


@functools.lru_cache(maxsize=1)
def _inv_once(path: str, stamp: int, grid: Grid) -> np.ndarray:
    """The ground scale, read once per worker process and shared by its scenes (read-only)."""
    inv = io.read_raster(path, grid)[0]
    inv.setflags(write=False)
    return inv


def task_scene(task: Task) -> Scene:
    """The task's scene, kept by the worker process for the next task of the same scenario.

    The scenario's origins and every routed pair's alternatives share one scene (and its
    coarse levels) instead of each building its own from the files.
    """
    key = (
        task.cost_files,
        file_stamps(task.cost_files),
        task.grid,
        task.scenario_key,
        task.scenario.model_dump_json(),
        task.cost.model_dump_json(),
        task.route.model_dump_json(),  # a scene reads a few of these; the rest never change
    )
    with _SCENES_LOCK:  # one build at a time: two threads never build the same scene twice
        if key in _SCENES:
            _SCENES.move_to_end(key)
            return _SCENES[key]
        while len(_SCENES) >= SCENES_KEPT:
            _SCENES.popitem(last=False)
        t0 = time.perf_counter()
        scene = _SCENES[key] = load_scene(task)
        log.info("route %s: scene read in %.1f s", task.scenario_key, time.perf_counter() - t0)
        return scene


def _snap_chain(task: Task, scene: Scene, labels: np.ndarray) -> list[tuple[int, int, float]]:
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
        s = snap(scene.rate, scene.inv, scene.grid, p.x, p.y, snap_km, scene.inv_min)
        if s is None:
            raise EndpointError(
                f"{role}: {p.name!r} has no passable land within {snap_km} km in scenario "
                f"{key!r} (it is in the sea, or in a country outside {sc.allowed_countries}). "
                "Fix: move it onto land in an allowed country."
            )
        if chain and labels[s[:2]] != labels[chain[0][:2]]:
            raise NoRouteError(
                f"route.scenarios.{key}: waypoint {p.name!r} cannot be reached from "
                f"{task.origin.name} within {sc.allowed_countries}. Fix: add the transit "
                "countries to allowed_countries, or the sea between to water_bodies."
            )
        chain.append(s)
    return chain


def first_routes(task: Task, steer: np.ndarray | None = None) -> dict:
    """The cheapest route from the task's origin, through its waypoints, to every station."""
    scene = task_scene(task) if steer is None else load_scene(task, steer)
    with _LABELS_LOCK:  # 5 bytes a cell while it runs: one task at a time
        labels, _ = ndimage.label(np.isfinite(scene.rate), structure=np.ones((3, 3)))
    snapped = _snap_chain(task, scene, labels)
    chain = [s[:2] for s in snapped]
    key, sc, snap_km = task.scenario_key, task.scenario, task.route.endpoint_snap_km
    records, reachable = [], []
    for d in task.destinations:
        s = (
            snap(scene.rate, scene.inv, scene.grid, d.x, d.y, snap_km, scene.inv_min)
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
        elif labels[s[:2]] != labels[chain[-1]]:
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
    del labels
    if not reachable:
        raise NoRouteError(
            f"route.scenarios.{key}: no landing station can be reached from {task.origin.name} "
            f"within {sc.allowed_countries}. The allowed countries may not connect (a transit "
            "country missing between them). Fix: add the transit countries to "
            "allowed_countries, or a sea to water_bodies for a submarine leg."
        )
    targets = [r["cell"] for r in reachable]
    paths = route_chain(scene.level(strict=True), scene, chain, targets)
    relaxed = [False] * len(paths)
    if scene.barrier is not None and any(p is None for p in paths):
        # a station the protected areas cut off: through them, at the penalty, said so
        loose = route_chain(scene.level(strict=False), scene, chain, targets)
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


BANDS_KEPT = 12
"""Paths whose corridors a pair keeps (at 250 m one is about 2 M cells, 15 MB of indices)."""


@dataclass(frozen=True)
class Pair:
    """One origin–station pair's routing world for its alternatives."""

    scene: Scene
    level: Level  # the grid its first route was found on (barriers closed, or relaxed)
    chain: list[tuple[int, int]]
    target: tuple[int, int]
    rc: RouteConfig
    best_usd: float  # steering cost of the pair's cheapest route
    _bands: dict = field(default_factory=dict, repr=False)  # path bytes -> its corridor

    def near(self, paths: list[np.ndarray]) -> list[np.ndarray]:
        """Each path's corridor outside the endpoint areas (sorted flat indices).

        Each is found once (the joint method asks for the same ones again and again) and kept
        for the last ``BANDS_KEPT`` paths; they are not merged (at 250 m each is millions of
        cells): an overlay takes them as parts, and a test looks in each.
        """
        rc = self.rc
        bands = []
        for p in paths:
            key = p.tobytes()
            if key not in self._bands:
                if len(self._bands) >= BANDS_KEPT:
                    del self._bands[next(iter(self._bands))]
                self._bands[key] = corridor(
                    [p],
                    [*self.chain, self.target],
                    self.scene,
                    rc.separation_km,
                    rc.endpoint_radius_km,
                )
            bands.append(self._bands[key])
        return bands

    def route(self, *parts: tuple[np.ndarray, float]) -> tuple[np.ndarray, float] | None:
        """The cheapest path through the chain to the target: (cells, cost), or None.

        Each part (cells, factor) multiplies the rate of its cells, NaN closing them.
        """
        ov = overlay(self.level.rate, list(parts))
        return route_chain(self.level, self.scene, self.chain, [self.target], ov)[0]

    def apart(self, cells: np.ndarray, others: list[np.ndarray]) -> bool:
        """Whether a path keeps the separation from ``others`` outside the endpoint areas."""
        flat = cells[:, 0] * self.scene.grid.width + cells[:, 1]
        return not any(_member(flat, band).any() for band in self.near(others))

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
            ban = [] if bans[n] is None else [(bans[n], np.nan)]
            near = self.near([p[0] for p in out])
            found = self.route(*ban, *[(b, np.nan) for b in near])
            if found is not None and found[1] > limit:
                found = None  # apart, but at a price no planner would sign
            if found is None and out:
                mult = self.rc.fallback_penalty_mult
                found = self.route(*ban, *[(b, mult) for b in near])
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
            flat = cells[:, 0] * self.scene.grid.width + cells[:, 1]
            inside = np.zeros(len(cells), dtype=bool)
            for band in self.near([q[0] for q in paths[:n]]):
                inside |= _member(flat, band)
            runs = np.split(np.nonzero(inside)[0], np.nonzero(np.diff(inside) != 0)[0] + 1)
            runs = sorted((r for r in runs if r.size and inside[r[0]]), key=len, reverse=True)
            apart_now = self.score(paths)[0]
            best, best_score = None, None
            for run in runs[:JOINT_STRETCHES]:
                (area,) = self.near([cells[run]])
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
                found = self.route(*[(b, np.nan) for b in self.near(others)])
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
    scene = task_scene(task)
    rel = rec["protected_relaxed"]
    one = (alts[0]["cells"], alts[0]["steer_cost_usd"])
    pair = Pair(scene, scene.level(strict=not rel), first["chain"], rec["cell"], rc, one[1])
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
