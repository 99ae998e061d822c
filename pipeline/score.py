"""Score stage: what each route costs, how long and fast it is, and what it crosses.

Lengths are geodesic (pyproj.Geod on WGS84) lengths of the route's own geometry. The cost is a
bill of quantities: cable km priced at the unit-cost raster's rate (not the steering rate), plus
each border and river crossing priced once. Border crossings are read off the route's cells,
where the country changes, exactly as the router charged them; river crossings are where the
route line meets a Natural Earth river.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
import shapely.ops
from pyproj import Geod

from . import io, router
from .config import Config, CostConfig
from .cost import crossable_rivers, output_path
from .grid import Grid, template
from .ingest import DEM_TIF, INGEST_GPKG
from .route import ROUTES_GPKG

log = logging.getLogger(__name__)

SCORES_GPKG = "scores.gpkg"
C_KM_PER_MS = 299_792.458 / 1000.0
"""Speed of light in vacuum, km per millisecond (SI definition of the metre)."""
GEOD = Geod(ellps="WGS84")


def latency_ms(length_km: float, group_index: float) -> float:
    """One-way propagation delay through fiber, ms."""
    return length_km * group_index / C_KM_PER_MS


def geodesic_km(line_lonlat: shapely.Geometry) -> float:
    """Geodesic length on the WGS84 ellipsoid, km."""
    return GEOD.geometry_length(line_lonlat) / 1000.0


def route_cells(line: shapely.LineString, grid: Grid) -> np.ndarray:
    """The route's cells: its interior vertices are the cell centres the router chose."""
    xy = np.asarray(line.coords)[1:-1]
    rows, cols = grid.rowcol(xy[:, 0], xy[:, 1])
    return np.column_stack([rows, cols])


def border_crossings(
    cells: np.ndarray, country: np.ndarray, codes: list[str], grid: Grid
) -> list[dict]:
    """Where the route's country changes between two consecutive cells (both in a country)."""
    ids = country[cells[:, 0], cells[:, 1]]
    change = np.nonzero((ids[:-1] != ids[1:]) & (ids[:-1] > 0) & (ids[1:] > 0))[0]
    out = []
    for i in change:
        x, y = grid.xy(cells[i : i + 2, 0], cells[i : i + 2, 1])
        a, b = codes[ids[i] - 1], codes[ids[i + 1] - 1]
        out.append(
            {"kind": "border", "name": f"{a}→{b}", "geometry": shapely.Point(x.mean(), y.mean())}
        )
    return out


def river_crossings(
    line: shapely.LineString, rivers: gpd.GeoDataFrame, merge_m: float
) -> list[dict]:
    """Points where the route meets a river; hits closer than ``merge_m`` along it are one."""
    hits = []
    for geom, name in zip(rivers.geometry, rivers["name"], strict=True):
        inter = line.intersection(geom)
        for p in getattr(inter, "geoms", [inter]):
            if not p.is_empty:
                q = p if p.geom_type == "Point" else p.centroid
                hits.append((line.project(q), name or "unnamed river", q))
    hits.sort(key=lambda h: h[0])
    out, last = [], -np.inf
    for along, name, q in hits:
        if along - last > merge_m:
            out.append({"kind": "river", "name": name, "geometry": q})
        last = along
    return out


def km_by_country(
    line_lonlat: shapely.LineString, countries_lonlat: gpd.GeoDataFrame
) -> list[tuple[str, float]]:
    """(ISO code, km) for each country the route crosses, in the order it enters them."""
    out = []
    for geom, code in zip(countries_lonlat.geometry, countries_lonlat["iso_a2"], strict=True):
        part = line_lonlat.intersection(geom)
        if part.is_empty or part.length == 0:
            continue
        first = min(
            line_lonlat.project(shapely.Point(g.coords[0]))
            for g in getattr(part, "geoms", [part])
            if g.geom_type == "LineString"
        )
        out.append((first, code, geodesic_km(part)))
    return [(code, km) for _, code, km in sorted(out)]


def elevation_stats(cells: np.ndarray, dem: np.ndarray) -> tuple[float, float]:
    """(max elevation m, total climb m) along the route's cells (cells without data skipped)."""
    z = dem[cells[:, 0], cells[:, 1]].astype(np.float64)
    z = z[np.isfinite(z)]
    if z.size == 0:
        return float("nan"), 0.0
    return float(z.max()), float(np.clip(np.diff(z), 0, None).sum())


def build_cost(
    cells: np.ndarray, line: shapely.LineString, unit: np.ndarray, inv: np.ndarray, grid: Grid
) -> tuple[float, float]:
    """(USD, ground km) of cable along the cells and the two endpoint stubs."""
    cost, km = router.path_sums(cells, unit, inv, grid.cell_m / 1000.0)
    coords = np.asarray(line.coords)
    for end, cell in ((coords[0], cells[0]), (coords[-1], cells[-1])):
        cx, cy = grid.xy(cell[0], cell[1])
        stub_km = float(np.hypot(end[0] - cx, end[1] - cy)) * inv[cell[0], cell[1]] / 1000.0
        cost += stub_km * unit[cell[0], cell[1]]
        km += stub_km
    return cost, km


def row_share(
    cells: np.ndarray, row_km: np.ndarray, inv: np.ndarray, c: CostConfig, step_km: float
) -> float:
    """Share of the route's ground length on cells within the co-location distance of a ROW."""
    on_row = row_km[cells[:, 0], cells[:, 1]] <= c.colocation_distance_km
    edge_km = router.edge_km(cells, inv, step_km)
    total = edge_km.sum()
    return float((edge_km * (on_row[:-1] & on_row[1:])).sum() / total) if total > 0 else 0.0


def score_routes(
    routes: gpd.GeoDataFrame,
    rasters: dict[str, np.ndarray],
    codes: list[str],
    countries: gpd.GeoDataFrame,
    rivers: gpd.GeoDataFrame,
    grid: Grid,
    cost_cfg: CostConfig,
    group_index: float,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Scores per route, and the crossing points, both in the routes' CRS."""
    to_ll = grid.to_lonlat()
    countries_ll = countries.to_crs("EPSG:4326")
    rows, crossings = [], []
    for _, r in routes.iterrows():
        line = r.geometry
        cells = route_cells(line, grid)
        line_ll = shapely.transform(line, lambda xy: np.column_stack(to_ll.transform(*xy.T)))
        length_km = geodesic_km(line_ll)
        cable_usd, _ = build_cost(cells, line, rasters["unit"], rasters["inv"], grid)
        borders = border_crossings(cells, rasters["country"], codes, grid)
        rivs = river_crossings(line, rivers, merge_m=2 * grid.cell_m)
        per_country = km_by_country(line_ll, countries_ll)
        max_z, climb = elevation_stats(cells, rasters["dem"])
        route_id = f"{r['scenario']}:{r['origin']}>{r['slug']}"
        for cr in borders + rivs:
            crossings.append(
                {
                    "route_id": route_id,
                    "scenario": r["scenario"],
                    **cr,
                    "km_from_origin": geodesic_km(
                        shapely.transform(
                            shapely.ops.substring(line, 0, line.project(cr["geometry"])),
                            lambda xy: np.column_stack(to_ll.transform(*xy.T)),
                        )
                    ),
                }
            )
        border_usd = len(borders) * cost_cfg.border_crossing_usd
        river_usd = len(rivs) * cost_cfg.river_crossing_usd
        rows.append(
            {
                "route_id": route_id,
                "scenario": r["scenario"],
                "origin": r["origin"],
                "destination": r["destination"],
                "destination_slug": r["slug"],
                "length_km": length_km,
                "cost_usd": cable_usd + border_usd + river_usd,
                "cable_cost_usd": cable_usd,
                "border_cost_usd": border_usd,
                "river_cost_usd": river_usd,
                "cost_usd_per_km": (cable_usd + border_usd + river_usd) / length_km,
                "latency_ms": latency_ms(length_km, group_index),
                "countries": " > ".join(code for code, _ in per_country),
                "km_by_country": "; ".join(f"{code} {km:.1f}" for code, km in per_country),
                "n_border_crossings": len(borders),
                "border_crossings": "; ".join(b["name"] for b in borders),
                "n_river_crossings": len(rivs),
                "rivers_crossed": "; ".join(sorted({c["name"] for c in rivs})),
                "row_share": row_share(
                    cells, rasters["row_km"], rasters["inv"], cost_cfg, grid.cell_m / 1000.0
                ),
                "max_elevation_m": max_z,
                "total_climb_m": climb,
                "geometry": line,
            }
        )
    crs = routes.crs
    scored = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)
    cross = (
        gpd.GeoDataFrame(crossings, geometry="geometry", crs=crs)
        if crossings
        else gpd.GeoDataFrame(
            {"route_id": [], "scenario": [], "kind": [], "name": [], "km_from_origin": []},
            geometry=[],
            crs=crs,
        )
    )
    return scored, cross


def run(cfg: Config) -> Path:
    """Score every route of ``routes.gpkg``; write ``scores.gpkg`` (routes, crossings)."""
    out_dir = cfg.paths.processed_dir
    grid = template(cfg.grid)
    routes = io.read_layer(out_dir / ROUTES_GPKG, "routes")
    country, tags = io.read_raster(output_path(out_dir, "country_id"), grid)
    rasters = {
        "unit": io.read_raster(output_path(out_dir, "unit_cost_usd_per_km"), grid)[0],
        "inv": io.read_raster(output_path(out_dir, "inv_scale"), grid)[0].astype(np.float64),
        "row_km": io.read_raster(output_path(out_dir, "row_distance_km"), grid)[0],
        "dem": io.read_raster(out_dir / DEM_TIF, grid)[0],
        "country": country,
    }
    rivers = crossable_rivers(io.read_layer(out_dir / INGEST_GPKG, "rivers"))
    countries = io.read_layer(out_dir / INGEST_GPKG, "countries")
    scored, crossings = score_routes(
        routes,
        rasters,
        tags["country_codes"].split(","),
        countries,
        rivers,
        grid,
        cfg.cost,
        cfg.score.fiber_group_index,
    )
    endpoints = io.read_layer(out_dir / ROUTES_GPKG, "endpoints")
    io.write_gpkg(
        out_dir / SCORES_GPKG, {"routes": scored, "crossings": crossings, "endpoints": endpoints}
    )
    for _, r in scored.iterrows():
        log.info(
            "score %s: %.0f km, %.1f M USD, %.1f ms, %s, ROW %.0f %%",
            r["route_id"],
            r["length_km"],
            r["cost_usd"] / 1e6,
            r["latency_ms"],
            r["countries"],
            100 * r["row_share"],
        )
    return out_dir / SCORES_GPKG
