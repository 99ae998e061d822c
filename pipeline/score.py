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
from .route import ROUTES_GPKG, endpoint_areas, near_paths

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
                label = name if isinstance(name, str) and name else "unnamed river"
                hits.append((line.project(q), label, q))
    hits.sort(key=lambda h: h[0])
    out, last = [], -np.inf
    for along, name, q in hits:
        if along - last > merge_m:
            out.append({"kind": "river", "name": name, "geometry": q})
        last = along
    return out


SEA = "sea"
"""The label of submarine km in ``km_by_country``."""


def km_by_country(
    cells: np.ndarray,
    country: np.ndarray,
    water: np.ndarray,
    codes: list[str],
    inv: np.ndarray,
    step_km: float,
) -> list[tuple[str, float]]:
    """(ISO code or "sea", ground km) along the route's cells, in the order it enters them.

    Each step's length is split half to each of its two cells, so the split follows the same
    cells the router priced (no slivers where vector borders and the grid disagree).
    """
    ids = country[cells[:, 0], cells[:, 1]]
    labels = np.array(
        [
            SEA if w else (codes[i - 1] if i > 0 else "none")
            for i, w in zip(ids, water[cells[:, 0], cells[:, 1]] != 0, strict=True)
        ]
    )
    half = 0.5 * router.edge_km(cells, inv, step_km)
    km: dict[str, float] = {}
    for label, h in [*zip(labels[:-1], half, strict=True), *zip(labels[1:], half, strict=True)]:
        km[label] = km.get(label, 0.0) + h
    first = {label: i for i, label in reversed(list(enumerate(labels)))}
    return sorted(km.items(), key=lambda kv: first[kv[0]])


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


def landfalls(cells: np.ndarray, water: np.ndarray, grid: Grid) -> list[dict]:
    """Where the route passes between land and water (a submarine leg's shore ends)."""
    wet = water[cells[:, 0], cells[:, 1]] != 0
    out = []
    for i in np.nonzero(wet[:-1] != wet[1:])[0]:
        x, y = grid.xy(cells[i : i + 2, 0], cells[i : i + 2, 1])
        out.append(
            {"kind": "landfall", "name": "shore end", "geometry": shapely.Point(x.mean(), y.mean())}
        )
    return out


def submarine_km(cells: np.ndarray, water: np.ndarray, inv: np.ndarray, step_km: float) -> float:
    """Ground km of the route's steps between two water cells."""
    wet = water[cells[:, 0], cells[:, 1]] != 0
    return float((router.edge_km(cells, inv, step_km) * (wet[:-1] & wet[1:])).sum())


def to_lonlat(geom: shapely.Geometry, grid: Grid) -> shapely.Geometry:
    """A geometry from the analysis CRS to lon/lat."""
    t = grid.to_lonlat()
    return shapely.transform(geom, lambda xy: np.column_stack(t.transform(*xy.T)))


def score_route(r, ctx: dict) -> tuple[dict, list[dict]]:
    """One route's scores and its crossing points."""
    grid, rasters, cost_cfg = ctx["grid"], ctx["rasters"], ctx["cost"]
    line = r.geometry
    cells = route_cells(line, grid)
    line_ll = to_lonlat(line, grid)
    length_km = geodesic_km(line_ll)
    step_km = grid.cell_m / 1000.0
    cable_usd, _ = build_cost(cells, line, rasters["unit"], rasters["inv"], grid)
    borders = border_crossings(cells, rasters["country"], ctx["codes"], grid)
    shores = landfalls(cells, rasters["water"], grid)
    rivs = river_crossings(line, ctx["rivers"], merge_m=2 * grid.cell_m)
    per_country = km_by_country(
        cells, rasters["country"], rasters["water"], ctx["codes"], rasters["inv"], step_km
    )
    max_z, climb = elevation_stats(cells, rasters["dem"])
    route_id = f"{r['scenario']}:{r['origin']}>{r['slug']}#{r['alternative']}"
    crossings = [
        {
            "route_id": route_id,
            "scenario": r["scenario"],
            **cr,
            "km_from_origin": geodesic_km(
                to_lonlat(shapely.ops.substring(line, 0, line.project(cr["geometry"])), grid)
            ),
        }
        for cr in borders + shores + rivs
    ]
    border_usd = len(borders) * cost_cfg.border_crossing_usd
    landfall_usd = len(shores) * cost_cfg.landfall_usd
    river_usd = len(rivs) * cost_cfg.river_crossing_usd
    total = cable_usd + border_usd + landfall_usd + river_usd
    row = {
        "route_id": route_id,
        "scenario": r["scenario"],
        "origin": r["origin"],
        "destination": r["destination"],
        "destination_slug": r["slug"],
        "alternative": int(r["alternative"]),
        "diverse": bool(r["diverse"]),
        "length_km": length_km,
        "cost_usd": total,
        "cable_cost_usd": cable_usd,
        "border_cost_usd": border_usd,
        "landfall_cost_usd": landfall_usd,
        "river_cost_usd": river_usd,
        "cost_usd_per_km": total / length_km,
        "latency_ms": latency_ms(length_km, ctx["group_index"]),
        "countries": " > ".join(code for code, _ in per_country if code != SEA),
        "km_by_country": "; ".join(f"{code} {km:.1f}" for code, km in per_country),
        "n_border_crossings": len(borders),
        "border_crossings": "; ".join(b["name"] for b in borders),
        "submarine_km": submarine_km(cells, rasters["water"], rasters["inv"], step_km),
        "n_landfalls": len(shores),
        "n_river_crossings": len(rivs),
        "rivers_crossed": "; ".join(sorted({c["name"] for c in rivs})),
        "row_share": row_share(cells, rasters["row_km"], rasters["inv"], cost_cfg, step_km),
        "max_elevation_m": max_z,
        "total_climb_m": climb,
        "geometry": line,
    }
    return row, crossings


def shared_risk(
    group: gpd.GeoDataFrame,
    crossings: gpd.GeoDataFrame,
    keep_clear: list[tuple[int, int]],
    inv: np.ndarray,
    grid: Grid,
    separation_km: float,
    endpoint_radius_km: float,
) -> tuple[list[dict], list[dict], dict[str, dict[str, float]]]:
    """Where the alternatives of one pair come within the separation distance of each other.

    Distances are those the router kept: ground distance between route cells, outside the
    endpoint areas, of each later alternative from each earlier one (the test the router made).
    Returns the shared segments (the steps of the later route whose both cells lie within
    ``separation_km`` of the earlier), the shared crossings (the same border, river or shore
    crossed by both within the separation) and, per route, the km shared with each other route.
    """
    cell_km = grid.cell_m / 1000.0
    clear = endpoint_areas(keep_clear, inv, cell_km, endpoint_radius_km)
    cells = {r.route_id: route_cells(r.geometry, grid) for r in group.itertuples()}
    near = {rid: near_paths([c], inv, cell_km, separation_km) & ~clear for rid, c in cells.items()}
    segments, points, shared = [], [], {rid: {} for rid in cells}
    sep_m = separation_km * 1000.0
    order = {r.route_id: r.alternative for r in group.itertuples()}
    for a in cells:
        for b in cells:
            if order[a] >= order[b]:
                continue
            # the later route b against the earlier a: the test the router made for b
            cb = cells[b]
            hit = near[a][cb[:, 0], cb[:, 1]]
            step = hit[:-1] & hit[1:]
            shared[a][b] = shared[b][a] = float((router.edge_km(cb, inv, cell_km) * step).sum())
            for run in _runs(step):
                x, y = grid.xy(cb[run[0] : run[1] + 2, 0], cb[run[0] : run[1] + 2, 1])
                seg = shapely.LineString(np.column_stack([x, y]))
                segments.append(
                    {
                        "scenario": group["scenario"].iloc[0],
                        "route_a": b,
                        "route_b": a,
                        "shared_km": geodesic_km(to_lonlat(seg, grid)),
                        "geometry": seg,
                    }
                )
            xa = crossings.loc[crossings["route_id"] == a]
            xb = crossings.loc[crossings["route_id"] == b]
            for _, x in xa.iterrows():
                same = xb.loc[
                    (xb["kind"] == x["kind"])
                    & (xb["name"] == x["name"])
                    & (xb.distance(x.geometry) < sep_m)
                ]
                r, c = grid.rowcol(x.geometry.x, x.geometry.y)
                if not same.empty and not clear[r, c]:
                    points.append(
                        {
                            "scenario": x["scenario"],
                            "route_a": b,
                            "route_b": a,
                            "kind": x["kind"],
                            "name": x["name"],
                            "geometry": x.geometry,
                        }
                    )
    return segments, points, shared


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of each run of True."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0] - 1, strict=True))


def _diversity_note(
    row: dict,
    shared: dict[str, float],
    segments: list[dict],
    points: list[dict],
    places: gpd.GeoDataFrame,
    separation_km: float,
) -> str:
    """A planner's sentence on how physically diverse this route is from its alternatives."""
    rid = row["route_id"]
    total = sum(shared.values())
    if total == 0:
        return (
            f"never within {separation_km:g} km of another alternative outside the endpoint areas"
        )
    mine = [s for s in segments if rid in (s["route_a"], s["route_b"])]
    where = ""
    if mine and not places.empty:
        mid = max(mine, key=lambda s: s["shared_km"])["geometry"].interpolate(0.5, normalized=True)
        where = f" (longest near {places.loc[places.distance(mid).idxmin(), 'name']})"
    what = sorted(
        {f"{p['kind']} {p['name']}" for p in points if rid in (p["route_a"], p["route_b"])}
    )
    parts = [
        f"within {separation_km:g} km of "
        + ", ".join(
            f"#{o.rsplit('#', 1)[-1]} for {km:.1f} km" for o, km in sorted(shared.items()) if km
        )
        + where
    ]
    if what:
        parts.append("same crossing: " + ", ".join(what))
    if not row["diverse"]:
        parts.insert(
            0,
            f"no route could keep {separation_km:g} km from the earlier "
            "alternatives (a single pass, crossing or strait)",
        )
    return "; ".join(parts)


def score_routes(
    routes: gpd.GeoDataFrame, endpoints: gpd.GeoDataFrame, ctx: dict, route_cfg
) -> dict[str, gpd.GeoDataFrame]:
    """Every route's scores, crossings and the shared-risk layers, in the routes' CRS."""
    rows, crossings = [], []
    for _, r in routes.iterrows():
        row, cr = score_route(r, ctx)
        rows.append(row)
        crossings += cr
    crs = routes.crs
    scored = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)
    cross = _frame(crossings, ["route_id", "scenario", "kind", "name", "km_from_origin"], crs)
    segments, points = [], []
    scored["rank"] = 0
    scored["shared_km_max"] = 0.0
    scored["shared_with"] = ""
    scored["diversity_note"] = ""
    grid = ctx["grid"]
    for (sc, _, _), group in scored.groupby(["scenario", "origin", "destination_slug"]):
        way = endpoints.loc[(endpoints["scenario"] == sc) & (endpoints["role"] == "waypoint")]
        first = route_cells(group.geometry.iloc[0], grid)
        ends = [
            tuple(first[0]),
            tuple(first[-1]),
            *[tuple(int(v) for v in grid.rowcol(g.x, g.y)) for g in way.geometry],
        ]
        seg, pts, shared = shared_risk(
            group,
            cross,
            ends,
            ctx["rasters"]["inv"],
            grid,
            route_cfg.separation_km,
            route_cfg.endpoint_radius_km,
        )
        segments += seg
        points += pts
        order = group.sort_values(["cost_usd", "alternative"]).index
        scored.loc[order, "rank"] = np.arange(1, len(order) + 1)
        for idx in group.index:
            rid = scored.at[idx, "route_id"]
            mine = shared[rid]
            scored.at[idx, "shared_km_max"] = max(mine.values(), default=0.0)
            scored.at[idx, "shared_with"] = "; ".join(
                f"{other.rsplit('#', 1)[-1]}: {km:.1f} km" for other, km in sorted(mine.items())
            )
            scored.at[idx, "diversity_note"] = _diversity_note(
                scored.loc[idx].to_dict(), mine, seg, pts, ctx["places"], route_cfg.separation_km
            )
    pair = ["scenario", "route_a", "route_b"]
    return {
        "routes": scored,
        "crossings": cross,
        "shared_risk_segments": _frame(segments, [*pair, "shared_km"], crs),
        "shared_risk_points": _frame(points, [*pair, "kind", "name"], crs),
    }


def _frame(records: list[dict], columns: list[str], crs) -> gpd.GeoDataFrame:
    """Records as a GeoDataFrame; with none, an empty one that still has the columns."""
    if records:
        return gpd.GeoDataFrame(records, geometry="geometry", crs=crs)
    return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=crs)


def run(cfg: Config) -> Path:
    """Score every route of ``routes.gpkg``; write ``scores.gpkg``."""
    out_dir = cfg.paths.processed_dir
    grid = template(cfg.grid)
    routes = io.read_layer(out_dir / ROUTES_GPKG, "routes")
    endpoints = io.read_layer(out_dir / ROUTES_GPKG, "endpoints")
    country, tags = io.read_raster(output_path(out_dir, "country_id"), grid)
    ctx = {
        "grid": grid,
        "cost": cfg.cost,
        "group_index": cfg.score.fiber_group_index,
        "codes": tags["country_codes"].split(","),
        "rasters": {
            "unit": io.read_raster(output_path(out_dir, "unit_cost_usd_per_km"), grid)[0],
            "inv": io.read_raster(output_path(out_dir, "inv_scale"), grid)[0].astype(np.float64),
            "row_km": io.read_raster(output_path(out_dir, "row_distance_km"), grid)[0],
            "water": io.read_raster(output_path(out_dir, "water_body"), grid)[0],
            "dem": io.read_raster(out_dir / DEM_TIF, grid)[0],
            "country": country,
        },
        "rivers": crossable_rivers(io.read_layer(out_dir / INGEST_GPKG, "rivers")),
        "places": io.read_layer(out_dir / INGEST_GPKG, "places"),
    }
    layers = score_routes(routes, endpoints, ctx, cfg.route)
    io.write_gpkg(out_dir / SCORES_GPKG, {**layers, "endpoints": endpoints})
    for _, r in layers["routes"].iterrows():
        log.info(
            "score %s: %.0f km, %.1f M USD, %.1f ms, %s, ROW %.0f %%, shared %.0f km",
            r["route_id"],
            r["length_km"],
            r["cost_usd"] / 1e6,
            r["latency_ms"],
            r["countries"],
            100 * r["row_share"],
            r["shared_km_max"],
        )
    return out_dir / SCORES_GPKG
