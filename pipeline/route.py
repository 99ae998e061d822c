"""Route stage: least-cost routes per scenario, origin and landing station, through Dask.

One Dask task per (scenario, origin): it reads the cost rasters from their files, applies the
scenario's rules (allowed countries, water, steering multipliers), snaps the endpoints to the
nearest passable cell, runs one Dijkstra from the origin until every reachable landing station
is settled, and returns the cell paths. Landing stations no land route can reach (islands,
offshore platforms) are skipped with the reason recorded, never a failed build.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import dask
import geopandas as gpd
import numpy as np
import shapely
from scipy import ndimage

from . import io, router
from .config import Config, Origin, Scenario
from .cost import OUTSIDE, WATER_LAND, output_path
from .errors import EndpointError, NoRouteError
from .grid import Grid, template
from .ingest import INGEST_GPKG

log = logging.getLogger(__name__)

ROUTES_GPKG = "routes.gpkg"


@dataclass(frozen=True)
class Endpoint:
    """A named point in analysis-CRS metres."""

    name: str
    x: float
    y: float
    slug: str = ""


@dataclass(frozen=True)
class Task:
    """One routing task: everything it needs, as small values and file paths."""

    scenario_key: str
    scenario: Scenario
    origin: Endpoint
    destinations: tuple[Endpoint, ...]
    cost_dir: str
    grid: Grid
    border_crossing_usd: float
    snap_km: float


# --- pure functions --------------------------------------------------------------------------


def passable_mask(
    steer: np.ndarray, water: np.ndarray, country: np.ndarray, codes: list[str], scenario: Scenario
) -> np.ndarray:
    """Cells a scenario's route may use: allowed countries' land, and water if allowed."""
    allowed_ids = [codes.index(c) + 1 for c in scenario.allowed_countries if c in codes]
    land_ok = (water == WATER_LAND) & np.isin(country, allowed_ids)
    water_ok = (water != WATER_LAND) & (water != OUTSIDE) if scenario.allow_water else False
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
    for code, mult in scenario.country_cost_mult.items():
        if code in codes:
            rate = np.where(country == codes.index(code) + 1, rate * mult, rate)
    return rate


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


def path_line(cells: np.ndarray, grid: Grid, start: Endpoint, end: Endpoint) -> shapely.LineString:
    """The route geometry: the origin, the cell centres, the destination (CRS metres)."""
    x, y = grid.xy(cells[:, 0], cells[:, 1])
    coords = [(start.x, start.y), *zip(x, y, strict=True), (end.x, end.y)]
    return shapely.LineString(coords)


# --- the task (runs on a Dask worker; reads its inputs from files) ------------------------------


def run_task(task: Task) -> dict:
    """Route one scenario from one origin to every landing station it can reach."""
    grid = task.grid
    cost_dir = Path(task.cost_dir)

    def raster(name):
        return io.read_raster(output_path(cost_dir.parent, name), grid)

    steer, _ = raster("steer_cost_usd_per_km")
    water, _ = raster("water_class")
    country, tags = raster("country_id")
    inv, _ = raster("inv_scale")
    inv = inv.astype(np.float64)
    codes = tags["country_codes"].split(",")
    sc, key = task.scenario, task.scenario_key
    passable = passable_mask(steer, water, country, codes, sc)
    rate = steering_rate(steer, passable, country, codes, sc)

    o = task.origin
    if not inside_grid(grid, o.x, o.y):
        raise EndpointError(
            f"route.origins: {o.name!r} lies outside the area of interest. "
            "Fix: move it inside, or widen grid.lon_*/lat_* bounds."
        )
    start = snap(passable, inv, grid, o.x, o.y, task.snap_km)
    if start is None:
        raise EndpointError(
            f"route.origins: {o.name!r} has no passable land within {task.snap_km} km in "
            f"scenario {key!r} (it is in the sea, or in a country outside {sc.allowed_countries})."
            " Fix: move the origin onto land in an allowed country."
        )
    labels, _ = ndimage.label(passable, structure=np.ones((3, 3)))
    origin_label = labels[start[0], start[1]]

    results, reachable = [], []
    for d in task.destinations:
        snapped = (
            snap(passable, inv, grid, d.x, d.y, task.snap_km)
            if inside_grid(grid, d.x, d.y)
            else None
        )
        rec = {
            "scenario": key,
            "origin": o.name,
            "destination": d.name,
            "slug": d.slug,
            "origin_ep": o,
            "dest_ep": d,
        }
        if snapped is None:
            rec.update(
                status="skipped",
                reason=f"no passable land within {task.snap_km} km "
                "(offshore platform, or in a country outside the scenario)",
            )
        elif labels[snapped[0], snapped[1]] != origin_label:
            rec.update(
                status="skipped",
                reason=f"not connected by land to {o.name} within "
                f"{', '.join(sc.allowed_countries)} (an island)",
            )
        else:
            rec.update(status="routed", reason="", cell=snapped[:2], snap_km=snapped[2])
            reachable.append(rec)
        results.append(rec)
    if not reachable:
        raise NoRouteError(
            f"route.scenarios.{key}: no landing station can be reached from {o.name} over land "
            f"in {sc.allowed_countries}{' or water' if sc.allow_water else ''}. The allowed "
            "countries may not connect (a country missing between them). Fix: add the transit "
            "countries to allowed_countries, or allow_water for a submarine leg."
        )
    dist, pred = router.accumulate(
        rate,
        start[:2],
        [r["cell"] for r in reachable],
        inv_scale=inv,
        zone=np.where(passable & (water == WATER_LAND), country, 0),
        zone_penalty=task.border_crossing_usd,
        step_km=grid.cell_m / 1000.0,
    )
    for rec in reachable:
        cells = router.backtrack(pred, rec["cell"])
        rec["steer_cost_usd"] = float(dist[rec["cell"]])
        rec["cells"] = cells
    return {"scenario": key, "origin": o.name, "origin_snap_km": start[2], "records": results}


# --- the stage --------------------------------------------------------------------------------


def resolve_origin(o: Origin, places: gpd.GeoDataFrame, grid: Grid) -> Endpoint:
    """An origin in CRS metres: its coordinates, or the most populous place of that name."""
    if o.lon_deg is not None:
        x, y = grid.from_lonlat().transform(o.lon_deg, o.lat_deg)
        return Endpoint(o.name, float(x), float(y))
    name = o.name.casefold()
    hits = places.loc[
        (places["name"].str.casefold() == name)
        | (places["name_ascii"].fillna("").str.casefold() == name)
    ]
    if hits.empty:
        raise EndpointError(
            f"route.origins: {o.name!r} is unknown: no populated place of that name inside the "
            "area of interest (Natural Earth populated places). Fix: check the spelling, or give "
            "lon_deg and lat_deg."
        )
    best = hits.sort_values("population", ascending=False).iloc[0]
    return Endpoint(o.name, float(best.geometry.x), float(best.geometry.y))


def destinations(landing: gpd.GeoDataFrame, countries: list[str]) -> tuple[Endpoint, ...]:
    """Landing stations of the configured countries, ordered by name."""
    sel = landing.loc[landing["iso_a2"].isin(countries)].sort_values(["name", "slug"])
    return tuple(
        Endpoint(r["name"], float(r.geometry.x), float(r.geometry.y), r["slug"])
        for _, r in sel.iterrows()
    )


def compute(tasks: list[Task], scheduler_address: str | None, n_workers: int) -> list[dict]:
    """Run the tasks through Dask: a cluster at ``scheduler_address``, else local threads."""
    delayed = [
        dask.delayed(run_task, pure=True)(
            t, dask_key_name=f"route-{i}-{t.scenario_key}-{t.origin.name}"
        )
        for i, t in enumerate(tasks)
    ]
    if scheduler_address:
        from distributed import Client, progress

        with Client(scheduler_address) as client:
            futures = client.compute(delayed)
            progress(futures)
            return client.gather(futures)
    from dask.diagnostics import ProgressBar

    with ProgressBar(minimum=1.0):
        return list(dask.compute(*delayed, scheduler="threads", num_workers=n_workers))


def to_layers(results: list[dict], grid: Grid) -> dict[str, gpd.GeoDataFrame]:
    """Routes, and endpoints with their status, as GeoDataFrames in the analysis CRS."""
    crs = grid.crs.to_wkt()
    routes, endpoints = [], []
    for res in results:
        o = res["records"][0]["origin_ep"]
        endpoints.append(
            {
                "role": "origin",
                "scenario": res["scenario"],
                "name": o.name,
                "slug": "",
                "status": "routed",
                "reason": "",
                "snap_km": res["origin_snap_km"],
                "geometry": shapely.Point(o.x, o.y),
            }
        )
        for rec in res["records"]:
            d = rec["dest_ep"]
            endpoints.append(
                {
                    "role": "destination",
                    "scenario": rec["scenario"],
                    "name": d.name,
                    "slug": d.slug,
                    "status": rec["status"],
                    "reason": rec["reason"],
                    "snap_km": rec.get("snap_km"),
                    "geometry": shapely.Point(d.x, d.y),
                }
            )
            if rec["status"] == "routed":
                routes.append(
                    {
                        **{
                            k: rec[k]
                            for k in ("scenario", "origin", "destination", "slug", "steer_cost_usd")
                        },
                        "n_cells": len(rec["cells"]),
                        "geometry": path_line(rec["cells"], grid, rec["origin_ep"], rec["dest_ep"]),
                    }
                )
    return {
        "routes": gpd.GeoDataFrame(routes, geometry="geometry", crs=crs),
        "endpoints": gpd.GeoDataFrame(endpoints, geometry="geometry", crs=crs),
    }


def run(cfg: Config, scheduler_address: str | None = None) -> Path:
    """Route every scenario × origin × landing station; write ``routes.gpkg``."""
    out_dir = cfg.paths.processed_dir
    grid = template(cfg.grid)
    places = io.read_layer(out_dir / INGEST_GPKG, "places")
    landing = io.read_layer(out_dir / INGEST_GPKG, "landing_points")
    origins = [resolve_origin(o, places, grid) for o in cfg.route.origins]
    dests = destinations(landing, cfg.route.landing_countries)
    if not dests:
        raise EndpointError(
            f"route.landing_countries: no landing station of "
            f"{cfg.route.landing_countries} in the cable data inside the area. "
            "Fix: check the ISO codes, or widen the area of interest."
        )
    tasks = [
        Task(
            key,
            sc,
            o,
            dests,
            str(out_dir / "cost"),
            grid,
            cfg.cost.border_crossing_usd,
            cfg.route.endpoint_snap_km,
        )
        for key, sc in cfg.route.scenarios.items()
        for o in origins
    ]
    results = compute(tasks, scheduler_address or cfg.scheduler_address(), cfg.dask.n_workers)
    for res in results:
        for rec in res["records"]:
            if rec["status"] == "skipped":
                log.warning(
                    "route %s: %s → %s skipped: %s",
                    rec["scenario"],
                    rec["origin"],
                    rec["destination"],
                    rec["reason"],
                )
    layers = to_layers(results, grid)
    io.write_gpkg(out_dir / ROUTES_GPKG, layers)
    log.info(
        "route: %d routes, %d skipped",
        len(layers["routes"]),
        int((layers["endpoints"]["status"] == "skipped").sum()),
    )
    return out_dir / ROUTES_GPKG
