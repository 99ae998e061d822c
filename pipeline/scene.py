"""A scenario's routing world on the grid: the rate a route pays per cell, and its zones.

A scene is read a strip at a time (only the rasters it needs) into a float32 rate and an 8-bit
zone per cell (16-bit beyond 63 countries): the allowed countries' land and water bodies, the
country multipliers, and the zones that let a route change country only at a border gateway
(``cost/gateway_id.tif``) unless the scenario allows more at a cost. A scene's arrays are
written once to files beside the cost rasters and mapped by every process on the machine
(``mapped_scene``), so a cluster's workers share them. A worker process keeps a scene for the
next task of the same scenario (``task_scene``); on large grids the scene also holds its
coarser levels for coarse-to-fine search (``pyramid``).
"""

from __future__ import annotations

import collections
import contextlib
import functools
import hashlib
import json
import logging
import math
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
from rasterio.windows import Window

from . import io, router
from .config import Scenario
from .costbook import OUTSIDE, WATER_LAND, country_id, country_mult_raster
from .grid import Grid
from .surface import STRIP_ROWS, file_stamps, task_surface
from .tasks import Task

log = logging.getLogger(__name__)


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
    store: Path | None = None  # the stem of the scene's mapped files (``mapped_scene``), if any
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
                rate = self._closed_rate() if closed else self.rate
                self._levels[closed] = pyramid(
                    rate,
                    self.inv,
                    self.zone,
                    step_km=self.grid.cell_m / 1000.0,
                    c2f=self.c2f,
                    prefer=self.prefer,
                )
            return self._levels[closed]

    def _closed_rate(self) -> np.ndarray:
        """The rate with the barrier's cells closed: mapped beside the scene's files, if any."""
        if self.store is None:
            return np.where(self.barrier, np.nan, self.rate)
        path = Path(f"{self.store}.closed.npy")

        def fill(out: dict[Path, np.ndarray]) -> None:
            for r0 in range(0, self.rate.shape[0], STRIP_ROWS):
                s = slice(r0, r0 + STRIP_ROWS)
                out[path][s] = np.where(self.barrier[s], np.nan, self.rate[s])

        spec = {path: (self.rate.shape, self.rate.dtype)}
        return io.mapped_arrays(spec, fill, what="a scene's rate with its barriers closed")[path]


def pyramid(
    rate: np.ndarray,
    inv: np.ndarray,
    zone: np.ndarray,
    *,
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
        crate = router.block_min(lvl.rate, factor, lvl.inv, zones=(lvl.zone, czone))
        lvl.factor, lvl.coarse = factor, Level(crate, None, czone, lvl.step_km * factor)
        lvl = lvl.coarse
        if lvl.rate.size <= coarsest:
            return top


def passable_mask(
    water: np.ndarray,
    bodies: np.ndarray,
    country: np.ndarray,
    *,
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
    *,
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
    *,
    gate: np.ndarray,
    n_codes: int,
) -> np.ndarray:
    """Zone raster: each cell's country, gateway or water zone; 0 where impassable.

    Countries 1..n on land away from a gateway, n + 1..2n the same countries within a gateway
    (``gate`` > 0), 2n + 1 water. Their transition costs: ``zone_costs``.
    """
    water_zone = 2 * n_codes + 1
    land = np.where(gate > 0, country + n_codes, country)
    zone = np.where(water == WATER_LAND, land, water_zone).astype(zone_dtype(n_codes))
    zone[~passable] = 0
    return zone


def zone_costs(n_codes: int, costs: tuple[float, float, float]) -> np.ndarray:
    """The zones' transition-cost table (``zones``): borders crossed only at gateways.

    ``costs`` are (border crossing at a gateway, border crossing elsewhere — ``inf`` for a
    barrier — and landfall), USD.
    """
    border_usd, off_gateway_usd, landfall_usd = costs
    water_zone = 2 * n_codes + 1
    table = np.zeros((water_zone + 1, water_zone + 1))
    ids = np.arange(1, n_codes + 1)
    for off_a, off_b in ((0, 0), (0, n_codes), (n_codes, 0), (n_codes, n_codes)):
        block = np.full((n_codes, n_codes), border_usd if off_a or off_b else off_gateway_usd)
        np.fill_diagonal(block, 0.0)  # a country's own cells, at a gateway or not
        table[np.ix_(ids + off_a, ids + off_b)] = block
    table[1:water_zone, water_zone] = table[water_zone, 1:water_zone] = landfall_usd
    table[0, :] = table[:, 0] = 0.0
    return table


def snap(
    rate: np.ndarray,
    inv_scale: np.ndarray,
    grid: Grid,
    *,
    x: float,
    y: float,
    max_km: float,
    inv_min: float | None = None,
    component: tuple[np.ndarray, int] | None = None,
) -> tuple[int, int, float] | None:
    """Nearest passable cell to (x, y) within ``max_km`` of ground: (row, col, km), or None.

    Passable: a finite ``rate``. ``inv_min``: the grid's smallest ground scale, if known.
    ``component``: (labels, label): only cells of that connected component count, so an
    endpoint on a coast the grid breaks into pixels is joined to the land a route can reach.
    """
    row, col = (int(v) for v in grid.rowcol(x, y))
    inv_min = float(inv_scale.min()) if inv_min is None else inv_min
    radius = math.ceil(max_km * 1000.0 / (grid.cell_m * inv_min)) + 1
    r0, r1 = max(row - radius, 0), min(row + radius + 1, grid.height)
    c0, c1 = max(col - radius, 0), min(col + radius + 1, grid.width)
    if r0 >= r1 or c0 >= c1:
        return None
    ok = np.isfinite(rate[r0:r1, c0:c1])
    if component is not None:
        ok &= component[0][r0:r1, c0:c1] == component[1]
    rr, cc = np.nonzero(ok)
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


def _strips(task: Task, drawn: bool):
    """(row slice, {name: array}) of the scene's rasters, ``STRIP_ROWS`` rows at a time.

    Read from the files, a window at a time, so a scene never holds the raw rasters whole
    (at 250 m each is 311 M cells); ``drawn`` (a Monte Carlo draw's scene): from the worker's
    mapped surface, each strip's rate rebuilt under the task's (drawn) cost book.
    """
    grid = task.grid
    if drawn:
        sf = task_surface(task.cost_files, grid)
        for r0 in range(0, grid.height, STRIP_ROWS):
            s = slice(r0, r0 + STRIP_ROWS)
            arrays = {n: getattr(sf, n)[s] for n in SCENE_RASTERS if n != "steer_cost_usd_per_km"}
            arrays["steer_cost_usd_per_km"] = sf.steer_strip(task.cost, grid.cell_m, s)
            yield s, arrays
            io.release_pages(*sf.grids())  # the strip is built: its pages are not the draw's
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


def load_scene(task: Task, drawn: bool = False) -> Scene:
    """Read the cost rasters and apply the task's scenario.

    ``drawn``: to the rate rebuilt under the task's cost book (a Monte Carlo draw's), not the
    cost stage's; else the scene's arrays are mapped from files that every process on the
    machine shares (``mapped_scene``).
    """
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
    specs = {"rate": np.float32, "zone": zone_dtype(len(codes))}
    if sc.protected_areas == "barrier":
        specs["barrier"] = np.dtype(bool)
    fill = functools.partial(_fill_scene, task, drawn=drawn, codes=codes, body_ids=body_ids)
    if drawn:
        arrays = {k: np.empty(grid.shape, dtype=dt) for k, dt in specs.items()}
        fill(arrays)
        store, inv = None, task_surface(task.cost_files, grid).inv_scale
    else:
        store = scene_store(task)
        arrays = mapped_scene(store, specs, fill, grid=grid)
        inv = _inv_scale(files["cost/inv_scale"], grid)
    rc = task.route
    n = len(codes)
    return Scene(
        arrays["rate"],
        inv,
        arrays["zone"],
        zone_costs(n, costs),
        grid,
        rc.connectivity,
        arrays.get("barrier"),
        rc.coarse_to_fine(grid.height * grid.width),
        (n + 1, 2 * n),
        store,
    )


def _fill_scene(
    task: Task, out: dict[str, np.ndarray], *, drawn: bool, codes: list[str], body_ids: list[int]
) -> None:
    """Write the scene's arrays (``out``: rate, zone and maybe barrier) a strip at a time."""
    sc = task.scenario
    for s, a in _strips(task, drawn):
        country, water, st = a["country_id"], a["water_class"], a["steer_cost_usd_per_km"]
        passable = passable_mask(
            water, a["water_body"], country, codes=codes, body_ids=body_ids, steer=st, scenario=sc
        )
        out["zone"][s] = zones(passable, water, country, gate=a["gateway_id"], n_codes=len(codes))
        out["rate"][s] = steering_rate(st, passable, country, codes=codes, scenario=sc)
        if "barrier" in out:
            out["barrier"][s] = a["protected_area"] > 0


SCENE_CODE = ("scene.py", "costbook.py")
"""The modules that say how a scene is built from the cost rasters: a scene's files name them."""


@functools.cache
def _code_digest() -> str:
    here = Path(__file__).parent
    return hashlib.sha256(b"".join((here / f).read_bytes() for f in SCENE_CODE)).hexdigest()


def scene_store(task: Task) -> Path:
    """The stem of the task's scene files: ``.mapped/scene.<scenario>.<digest>`` by the rasters.

    The digest covers what the arrays are built from: the cost rasters (their paths and
    modification times), the scenario and the code that builds them.
    """
    key = json.dumps(
        [
            task.cost_files,
            file_stamps(task.cost_files),
            task.scenario.model_dump_json(),
            _code_digest(),
        ]
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    name = re.sub(r"[^A-Za-z0-9_-]", "_", task.scenario_key)
    folder = Path(dict(task.cost_files)["cost/inv_scale"]).parent / io.MAPPED_FOLDER
    return folder / f"scene.{name}.{digest}"


SCENE_PARTS = ("rate", "zone", "barrier", "closed")
"""The arrays a scene maps: the rate, the zones, the barrier and the rate with it closed."""


def mapped_scene(store: Path, specs: dict, fill, *, grid: Grid) -> dict[str, np.ndarray]:
    """The scene's arrays (``specs``: name → dtype), mapped from ``<store>.<name>.npy``.

    The first process to need a scene writes its files (``fill``, a strip at a time); the others
    on the machine, a cluster's workers among them, wait for it and map the same files, so they
    share one copy in the page cache instead of each holding its own (at 250 m a scene is
    1.6-3.1 GB). A scenario's files of an earlier digest (rasters rebuilt, scenario or code
    changed) are removed; ``make clean`` removes them all.
    """
    paths = {k: Path(f"{store}.{k}.npy") for k in specs}

    def fill_paths(out: dict[Path, np.ndarray]) -> None:
        fill({k: out[p] for k, p in paths.items()})

    spec = {p: (grid.shape, np.dtype(specs[k])) for k, p in paths.items()}
    maps = io.mapped_arrays(spec, fill_paths, what=f"the scene {store.name}")
    scenario = store.name.rsplit(".", 1)[0]
    io.drop_copies(
        store.parent,
        f"{scenario}.*.npy",
        keep={Path(f"{store}.{k}.npy").name for k in SCENE_PARTS},
    )
    return {k: maps[p] for k, p in paths.items()}


def _inv_scale(path: str, grid: Grid) -> np.ndarray:
    stamp = Path(path).stat().st_mtime_ns
    return _inv_once(path, stamp, grid)


@functools.lru_cache(maxsize=1)
def _inv_once(path: str, stamp: int, grid: Grid) -> np.ndarray:
    """The ground scale, mapped once per worker process and shared by its scenes (read-only)."""
    return io.mapped_raster(path, grid)


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
