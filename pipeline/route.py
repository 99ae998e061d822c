"""Route stage: diverse least-cost routes per scenario, origin and landing station, on Dask.

The stage is thin: the routing engine lives in library modules (``tasks``, ``scene``,
``search``, ``alternatives``), which the uncertainty stage's re-routing draws use too. Two kinds
of Dask task, both handed file paths and small values, never big arrays:

1. one per (scenario, origin): the scenario's scene from the cost rasters, the endpoints
   snapped, and the first, cheapest route to every landing station (``first_routes``);
2. one per (scenario, origin, station) routed, depending on the first: its k alternatives, kept
   ``route.separation_km`` apart (``more_alternatives``).

Pairs are independent, so they run in parallel; the alternatives of one pair depend on each other
and run in order. Landing stations no land route can reach (islands, offshore platforms) are
skipped with the reason recorded, never a failed build.
"""

from __future__ import annotations

import logging
from pathlib import Path

import dask
import geopandas as gpd
import numpy as np
import shapely

from . import io, parallel
from .alternatives import first_routes, more_alternatives
from .catalogue import StageFiles
from .config import Config
from .grid import Grid
from .io import CELLS_LAYER, cells_table
from .tasks import Endpoint, Task, read_tasks

log = logging.getLogger(__name__)


# --- pure functions --------------------------------------------------------------------------


def path_line(
    cells: np.ndarray, grid: Grid, start: Endpoint, *, end: Endpoint
) -> shapely.LineString:
    """The route geometry: the origin, the cell centres, the destination (CRS metres)."""
    x, y = grid.xy(cells[:, 0], cells[:, 1])
    coords = [(start.x, start.y), *zip(x, y, strict=True), (end.x, end.y)]
    return shapely.LineString(coords)


# --- tasks (run on Dask workers; read their inputs from files) ---------------------------------


# --- the stage --------------------------------------------------------------------------------


def build_graph(tasks: list[Task]) -> list:
    """Dask delayed objects: per task, its first routes and each routed pair's alternatives."""
    out, run = [], parallel.run_token()
    for i, t in enumerate(tasks):
        name = f"{run}-{i}-{t.scenario_key}-{t.origin.name}"
        first = dask.delayed(first_routes, pure=True)(t, dask_key_name=f"first-{name}")
        slugs = [d.slug for d in t.destinations]
        alts = {
            s: dask.delayed(_alts_or_none, pure=True)(t, first, s, dask_key_name=f"alts-{name}-{s}")
            for s in slugs
        }
        out.append(dask.delayed(_join, pure=True)(first, alts, dask_key_name=f"join-{name}"))
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
    return parallel.compute(build_graph(tasks), scheduler_address, n_workers, label="route")


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
                rid = route_id(res["scenario"], o.name, d.slug, alternative=alt["alternative"])
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
                        "geometry": path_line(alt["cells"], grid, o, end=d),
                    }
                )
    return {
        "routes": gpd.GeoDataFrame(routes, geometry="geometry", crs=crs),
        "endpoints": gpd.GeoDataFrame(endpoints, geometry="geometry", crs=crs),
        CELLS_LAYER: cells_table([r["route_id"] for r in routes], cells),
    }


def route_id(scenario: str, origin: str, slug: str, *, alternative: int) -> str:
    """A route's id: ``scenario:origin>station#alternative``."""
    return f"{scenario}:{origin}>{slug}#{alternative}"


def run(cfg: Config, files: StageFiles, *, scheduler: str | None = None) -> Path:
    """Route every scenario × origin × landing station × alternative; write ``routes.gpkg``."""
    grid, tasks = read_tasks(cfg, files)
    results = compute(tasks, scheduler, cfg.dask.n_workers)
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
