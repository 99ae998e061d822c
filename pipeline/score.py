"""Score stage: what each route costs, how long and fast it is, and what it crosses.

Lengths are geodesic (pyproj.Geod on WGS84) lengths of the route's own geometry. The cost is a
bill of quantities: cable km priced at the unit-cost raster's rate (not the steering rate), plus
each border, river and active-fault crossing priced once. What a route crosses and what it
costs are ``pricing.price_path``'s (the one rule for any path of cells): border crossings are
read off the route's cells, where the country changes, exactly as the router charged them;
river and fault crossings are where the route line meets a Natural Earth river or a GEM active
fault (hits closer than two cells along the route are one crossing).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import economics, gateways, io, overlap, routebook, router, validation
from .catalogue import StageFiles
from .config import Config, CostConfig, ReferenceCorridor, RouteConfig
from .corridors import endpoint_index, member, near_index
from .costbook import ROW_KINDS, crossable_rivers, is_wet, on_row, priced_faults
from .geometry import GEOD, geodesic_km, geodesic_vertex_km, latency_ms
from .grid import Grid, template
from .io import read_cells
from .pricing import PathInputs, PricedPath, km_by_country, price_path, transit_countries
from .surface import Surface, read_surface

log = logging.getLogger(__name__)


def protected_km(cells: np.ndarray, ras: Surface, step_km: float) -> tuple[float, list[str]]:
    """Ground km of the route inside protected areas (half steps), and their names in order."""
    ids = ras.protected_area[cells[:, 0], cells[:, 1]]
    half = 0.5 * router.edge_km(cells, ras.inv_scale, step_km)
    km = float((half * (ids[:-1] > 0)).sum() + (half * (ids[1:] > 0)).sum())
    seen = list(dict.fromkeys(int(i) for i in ids if i))
    return km, [ras.protected_names.get(i, f"protected area {i}") for i in seen]


def elevation_stats(cells: np.ndarray, dem: np.ndarray) -> tuple[float, float]:
    """(max elevation m, total climb m) along the route's cells (cells without data skipped)."""
    z = dem[cells[:, 0], cells[:, 1]].astype(np.float64)
    z = z[np.isfinite(z)]
    if z.size == 0:
        return float("nan"), 0.0
    return float(z.max()), float(np.clip(np.diff(z), 0, None).sum())


def row_share(
    cells: np.ndarray, row_km: np.ndarray, inv: np.ndarray, *, c: CostConfig, step_km: float
) -> float:
    """Share of the route's ground length on steps whose both cells are on a right-of-way."""
    return row_share_of(cells, on_row(row_km[cells[:, 0], cells[:, 1]], c), inv, step_km=step_km)


def row_share_of(cells: np.ndarray, on: np.ndarray, inv: np.ndarray, *, step_km: float) -> float:
    """Share of the route's ground length on steps whose both cells are ``on`` (per cell)."""
    edge_km = router.edge_km(cells, inv, step_km)
    total = edge_km.sum()
    return float((edge_km * (on[:-1] & on[1:])).sum() / total) if total > 0 else 0.0


def submarine_km(
    cells: np.ndarray, water_class: np.ndarray, inv: np.ndarray, *, step_km: float
) -> float:
    """Ground km of the route's steps between two water cells."""
    wet = is_wet(water_class[cells[:, 0], cells[:, 1]])
    return float((router.edge_km(cells, inv, step_km) * (wet[:-1] & wet[1:])).sum())


def to_lonlat(geom: shapely.Geometry, grid: Grid) -> shapely.Geometry:
    """A geometry from the analysis CRS to lon/lat."""
    t = grid.to_lonlat()
    return shapely.transform(geom, lambda xy: np.column_stack(t.transform(*xy.T)))


@dataclass(frozen=True)
class Inputs:
    """What scoring reads: what pricing a path reads, the DEM, the routes' cells, the settings."""

    path: PathInputs  # the grid, the cost rasters, rivers, faults, places, gateways, cost book
    dem: np.ndarray
    cells: dict[str, np.ndarray]  # route_id -> its cells, from the route stage
    railways: tuple[shapely.STRtree, np.ndarray]  # for the deviation from reference corridors
    references: list[tuple[ReferenceCorridor, list[tuple[float, float]]]]  # with ends (CRS m)
    validation_max_offset_km: float
    near_major_row_km: float
    group_index: float
    off_gateway_usd: dict[str, float]  # per scenario: extra USD of an off-gateway crossing
    book_places: routebook.Places  # what the route book's stretch ends are named after
    book_gap_km: float  # route book: interruptions shorter than this do not split a stretch


def _book(r, path: PricedPath, *, crossings: list[dict], inp: Inputs) -> list[dict]:
    """The route book of one route: its stretches along named rights-of-way."""
    line, grid, gws = r.geometry, inp.path.grid, inp.path.gateways
    borders = []
    for x in crossings:
        if x["kind"] == "border" and x["gateway"]:
            g = gws.loc[gws["name"] == x["gateway"]].geometry
            borders.append((x["km_from_origin"], x["gateway"], g.iloc[0] if len(g) else None))
    route = routebook.Route(
        route_id=r["route_id"],
        scenario=r["scenario"],
        line=line,
        vkm=path.vkm,
        gkm=geodesic_vertex_km(to_lonlat(line, grid)),
        crossings=crossings,
        sites=path.sites,
    )
    ends = routebook.Ends(
        origin=r["origin"],
        destination=r["destination"],
        borders=borders,
        tolerance_km=2 * grid.cell_m / 1000.0,
    )
    return routebook.book(
        route,
        economics.intervals(path.priced.parts, path.priced.bill, inp.path.cost),
        ends=ends,
        places=inp.book_places,
        gap_km=inp.book_gap_km,
    )


def score_route(r, inp: Inputs) -> tuple[dict, list[dict], ...]:
    """One route's scores, crossing points, segments, sites, validation checks and book."""
    rid, line = r["route_id"], r.geometry
    cells = inp.cells[rid]
    path = price_path(
        line, cells, inp.path, off_gateway_each_usd=inp.off_gateway_usd[r["scenario"]]
    )
    priced, sites = path.priced, path.sites
    crossings = [{"route_id": rid, "scenario": r["scenario"], **x} for x in path.crossings]
    row = _route_row(r, cells, path, inp=inp)
    for item in (*priced.segments, *sites):
        item.update(route_id=rid, scenario=r["scenario"])
    checks = [
        check
        for ref, ends in inp.references
        for check in validation.check(
            rid,
            line,
            path.vkm,
            parts=priced.parts,
            ref=ref,
            ends_xy=ends,
            railways=inp.railways,
            max_offset_km=inp.validation_max_offset_km,
        )
    ]
    book = _book(r, path, crossings=crossings, inp=inp)
    return row, crossings, priced.segments, sites, checks, book


def _route_row(r, cells: np.ndarray, path: PricedPath, *, inp: Inputs) -> dict:
    """A route's row of the routes layer: what it is, how long, what it costs and crosses."""
    grid, ras, c = inp.path.grid, inp.path.surface, inp.path.cost
    crossed, priced, counts = path.crossed, path.priced, path.counts
    line = r.geometry
    step_km = grid.cell_m / 1000.0
    labels = economics.cell_labels(
        cells, ras.country_id, is_wet(ras.water_class), codes=ras.country_codes
    )
    per_country = km_by_country(cells, labels, ras.inv_scale, step_km=step_km)
    in_protected_km, protected_names = protected_km(cells, ras, step_km)
    max_z, climb = elevation_stats(cells, inp.dem)
    row = {
        **_identity_fields(r),
        **_length_and_latency(line, grid, inp.group_index),
        **_bill_fields(priced.bill, priced.segments),
        **_country_fields(per_country),
        **_border_fields(crossed.borders, counts["n_off_gateway"]),
        "relaxed": _relaxed(
            r,
            crossed.borders,
            counts["off_gateway_each_usd"],
            grid=grid,
            in_protected_km=in_protected_km,
            protected_names=protected_names,
        ),
        "submarine_km": submarine_km(cells, ras.water_class, ras.inv_scale, step_km=step_km),
        "n_landfalls": len(crossed.shores),
        **_river_and_fault_fields(crossed.rivers, crossed.faults),
        "protected_km": in_protected_km,
        "protected_cost_usd": economics.protected_extra_usd(priced.parts, priced.bill, c),
        "protected_areas_crossed": "; ".join(protected_names),
        "row_share": row_share(cells, ras.row_km, ras.inv_scale, c=c, step_km=step_km),
        **_row_by_kind(cells, labels, ras, step_km=step_km),
        **_near_major_row(cells, labels, ras, within_km=inp.near_major_row_km, step_km=step_km),
        "n_ila_sites": counts["n_ila"],
        "n_regen_sites": counts["n_regen"],
        "max_elevation_m": max_z,
        "total_climb_m": climb,
        "geometry": line,
    }
    row["cost_usd_per_km"] = row["cost_usd"] / row["length_km"]
    return row


def _identity_fields(r) -> dict:
    """Which route this is: its id, scenario, endpoints, alternative number and diversity."""
    return {
        "route_id": r["route_id"],
        "scenario": r["scenario"],
        "origin": r["origin"],
        "destination": r["destination"],
        "destination_slug": r["slug"],
        "alternative": int(r["alternative"]),
        "diverse": bool(r["diverse"]),
        "diverse_greedy": bool(r["diverse_greedy"]),
    }


def _country_fields(per_country: list[tuple[str, float]]) -> dict:
    """The countries a route passes, its km in each, and its km in transit countries."""
    return {
        "countries": " > ".join(code for code, _ in per_country if code != economics.SEA),
        "km_by_country": "; ".join(f"{code} {km:.1f}" for code, km in per_country),
        "transit_km": "; ".join(f"{c} {km:.1f}" for c, km in transit_countries(per_country)),
    }


def _border_fields(borders: list[dict], n_off_gateway: int) -> dict:
    """How many borders a route crosses, at which gateways, and how many away from one."""
    return {
        "n_border_crossings": len(borders),
        "border_crossings": "; ".join(map(_border_text, borders)),
        "n_off_gateway_crossings": n_off_gateway,
    }


def _border_text(b: dict) -> str:
    """A border crossing in words: where, and the status of the gateway it relies on.

    A planned or unfinished link at a crossing that is itself in service (a railway's or a
    road's, merged into the gateway) says so.
    """
    if not b["gateway"]:
        return f"{b['name']} at no gateway"
    status = b["gateway_status"].replace("_", " ")
    also = "; the railway or road crossing in service" if b.get("crossing_in_service") else ""
    return f"{b['name']} at {b['gateway']} ({status}{also})"


def _river_and_fault_fields(rivers: list[dict], faults: list[dict]) -> dict:
    """How many rivers and active faults a route crosses, and which."""
    return {
        "n_river_crossings": len(rivers),
        "rivers_crossed": "; ".join(sorted({x["name"] for x in rivers})),
        "n_fault_crossings": len(faults),
        "faults_crossed": "; ".join(f"{x['name']} ({x['slip_type']})" for x in faults),
    }


def _railways(railways: gpd.GeoDataFrame) -> tuple[shapely.STRtree, np.ndarray]:
    """The railways in service, indexed for nearest-line queries."""
    geoms = railways.geometry[railways["fclass"] == "rail"].to_numpy()
    return shapely.STRtree(geoms), geoms


def _xy(grid: Grid, lonlat: list[tuple[float, float]]) -> list[tuple[float, float]]:
    x, y = grid.from_lonlat().transform(*zip(*lonlat, strict=True))
    return list(zip(x, y, strict=True))


def _share_by_label(
    cells: np.ndarray, labels: np.ndarray, inv: np.ndarray, *, on: np.ndarray, step_km: float
) -> dict[str, float]:
    """Share of each label's ground length (half steps) on steps whose both cells are ``on``."""
    half = 0.5 * router.edge_km(cells, inv, step_km)
    both = on[:-1] & on[1:]
    km, hit = {}, {}
    for lab, h, b in [
        *zip(labels[:-1], half, both, strict=True),
        *zip(labels[1:], half, both, strict=True),
    ]:
        km[lab] = km.get(lab, 0.0) + h
        hit[lab] = hit.get(lab, 0.0) + h * b
    return {lab: hit[lab] / km[lab] for lab in km if km[lab] > 0}


ROW_SHARES = {
    "railway": ROW_KINDS["railway"],
    "road": ROW_KINDS["major_road"] | ROW_KINDS["road"],
    "pipeline": ROW_KINDS["pipeline"],
}
"""The kinds of right-of-way reported as ``row_share_<kind>``, as bits of ``row_classes``."""


def _row_by_kind(cells: np.ndarray, labels: np.ndarray, ras: Surface, *, step_km: float) -> dict:
    """Share of the route along each kind of right-of-way, and its ROW share per country."""
    kinds = ras.row_classes[cells[:, 0], cells[:, 1]]
    inv = ras.inv_scale
    out = {
        f"row_share_{kind}": row_share_of(cells, (kinds & bits) > 0, inv, step_km=step_km)
        for kind, bits in ROW_SHARES.items()
    }
    by = _share_by_label(cells, labels, inv, on=kinds > 0, step_km=step_km)
    out["row_share_by_country"] = "; ".join(
        f"{lab} {v:.2f}" for lab, v in by.items() if lab != economics.SEA
    )
    return out


def _near_major_row(
    cells: np.ndarray, labels: np.ndarray, ras: Surface, *, within_km: float, step_km: float
) -> dict:
    """Share of the route, and of its length in each country, near a railway or major road."""
    near = ras.major_row_km[cells[:, 0], cells[:, 1]] <= within_km
    by = _share_by_label(cells, labels, ras.inv_scale, on=near, step_km=step_km)
    return {
        "near_major_row_share": row_share_of(cells, near, ras.inv_scale, step_km=step_km),
        "near_major_row_by_country": "; ".join(
            f"{lab} {v:.2f}" for lab, v in by.items() if lab != economics.SEA
        ),
    }


def _relaxed(
    r,
    borders: list[dict],
    off_gateway_usd: float,
    *,
    grid: Grid,
    in_protected_km: float,
    protected_names: list[str],
) -> str:
    """Which constraints this route could only be found by relaxing, where, at what cost."""
    out = []
    if not bool(r["diverse"]):
        out.append("separation from the earlier alternatives (see diversity_note)")
    if bool(r["protected_relaxed"]):
        out.append(
            f"protected areas as a barrier: {in_protected_km:.1f} km through "
            f"{'; '.join(protected_names)} at the penalty (see protected_cost_usd)"
        )
    for b in borders:
        if b["off_gateway"]:
            lon, lat = to_lonlat(b["geometry"], grid).coords[0]
            out.append(
                f"border {b['name']} crossed away from any gateway at {lat:.2f}°N {lon:.2f}°E "
                f"(+{off_gateway_usd:,.0f} USD)"
            )
    return "; ".join(out)


def _length_and_latency(line: shapely.LineString, grid: Grid, group_index: float) -> dict:
    """Geodesic length, latency and the great-circle comparison of a route line."""
    line_ll = to_lonlat(line, grid)
    length_km = geodesic_km(line_ll)
    (lon0, lat0), (lon1, lat1) = line_ll.coords[0], line_ll.coords[-1]
    great_circle_km = GEOD.inv(lon0, lat0, lon1, lat1)[2] / 1000.0
    one_way = latency_ms(length_km, group_index)
    return {
        "length_km": length_km,
        "latency_ms": one_way,
        "latency_rt_ms": 2 * one_way,
        "great_circle_km": great_circle_km,
        "great_circle_latency_ms": latency_ms(great_circle_km, group_index),
        "detour_ratio": length_km / great_circle_km,
    }


def _bill_fields(bill: economics.Breakdown, segs: list[dict]) -> dict:
    """The price and km per construction method of a route, as fields."""
    return {
        "cost_usd": bill.total_usd,
        "cable_cost_usd": bill.cable_usd,
        "hdd_cost_usd": bill.hdd_usd,
        "border_cost_usd": bill.border_usd,
        "landfall_cost_usd": bill.landfall_usd,
        "fault_cost_usd": bill.fault_usd,
        "sites_cost_usd": bill.sites_usd,
        **{
            f"{m}_km": sum(s["length_km"] for s in segs if s["method"] == m)
            for m in economics.METHODS
        },
    }


def shared_risk(
    group: gpd.GeoDataFrame,
    cells: dict[str, np.ndarray],
    crossings: gpd.GeoDataFrame,
    *,
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
    clear = endpoint_index(keep_clear, inv, cell_km, radius_km=endpoint_radius_km)
    cells = {rid: cells[rid] for rid in group["route_id"]}
    near = {rid: near_index([c], inv, cell_km, within_km=separation_km) for rid, c in cells.items()}
    segments, points, shared = [], [], {rid: {} for rid in cells}
    sep_m = separation_km * 1000.0
    order = {r.route_id: r.alternative for r in group.itertuples()}
    for a in cells:
        for b in cells:
            if order[a] >= order[b]:
                continue
            # the later route b against the earlier a: the test the router made for b
            cb = cells[b]
            flat = cb[:, 0] * grid.width + cb[:, 1]
            hit = member(flat, near[a]) & ~member(flat, clear)
            step = hit[:-1] & hit[1:]
            shared[a][b] = shared[b][a] = float((router.edge_km(cb, inv, cell_km) * step).sum())
            segments += _shared_segments(
                cb, step, grid, scenario=group["scenario"].iloc[0], later=b, earlier=a
            )
            points += _shared_crossings(crossings, clear, grid, later=b, earlier=a, sep_m=sep_m)
    return segments, points, shared


def _shared_segments(
    cells: np.ndarray, step: np.ndarray, grid: Grid, *, scenario: str, later: str, earlier: str
) -> list[dict]:
    """The runs of the ``later`` route's steps near the ``earlier`` route, as lines (CRS m)."""
    out = []
    for run in _runs(step):
        x, y = grid.xy(cells[run[0] : run[1] + 2, 0], cells[run[0] : run[1] + 2, 1])
        seg = shapely.LineString(np.column_stack([x, y]))
        out.append(
            {
                "scenario": scenario,
                "route_a": later,
                "route_b": earlier,
                "shared_km": geodesic_km(to_lonlat(seg, grid)),
                "geometry": seg,
            }
        )
    return out


def _shared_crossings(
    crossings: gpd.GeoDataFrame,
    clear: np.ndarray,
    grid: Grid,
    *,
    later: str,
    earlier: str,
    sep_m: float,
) -> list[dict]:
    """The crossings of the ``earlier`` route that the ``later`` one also makes within ``sep_m``.

    The same kind and name, nearer than ``sep_m``, outside the ``clear`` endpoint areas (their
    cells' flat indices, sorted).
    """
    out = []
    xa = crossings.loc[crossings["route_id"] == earlier]
    xb = crossings.loc[crossings["route_id"] == later]
    for _, x in xa.iterrows():
        same = xb.loc[
            (xb["kind"] == x["kind"])
            & (xb["name"] == x["name"])
            & (xb.distance(x.geometry) < sep_m)
        ]
        r, c = grid.rowcol(x.geometry.x, x.geometry.y)
        if not same.empty and not member(np.array([r * grid.width + c]), clear)[0]:
            out.append(
                {
                    "scenario": x["scenario"],
                    "route_a": later,
                    "route_b": earlier,
                    "kind": x["kind"],
                    "name": x["name"],
                    "geometry": x.geometry,
                }
            )
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of each run of True."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0] - 1, strict=True))


def _diversity_note(
    row: dict,
    shared: dict[str, float],
    segments: list[dict],
    *,
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


@dataclass(frozen=True)
class Scored:
    """Every route's row, crossing points, segments, sites and validation checks, in order."""

    rows: list[dict]
    crossings: list[dict]
    segments: list[dict]
    sites: list[dict]
    checks: list[dict]
    book: list[dict]


def _score_each(routes: gpd.GeoDataFrame, inp: Inputs) -> Scored:
    """``score_route`` of every route, its records gathered by kind."""
    rows, crossings, segments_all, sites_all, checks, book = [], [], [], [], [], []
    for _, r in routes.iterrows():
        row, cr, sg, st, ck, bk = score_route(r, inp)
        checks += ck
        book += bk
        rows.append(row)
        crossings += cr
        segments_all += sg
        sites_all += st
    return Scored(
        rows=rows,
        crossings=crossings,
        segments=segments_all,
        sites=sites_all,
        checks=checks,
        book=book,
    )


def _crossings_frame(crossings: list[dict], crs) -> gpd.GeoDataFrame:
    """The crossings layer: every crossing point, with a border's gateway fields on all."""
    crossings = [
        {
            "gateway": "",
            "gateway_kind": "",
            "gateway_status": "",
            "crossing_in_service": False,
            "off_gateway": False,
            "slip_type": "",
            **x,
        }
        for x in crossings
    ]
    return _frame(
        crossings,
        ["route_id", "scenario", "kind", "name", "gateway", "off_gateway", "km_from_origin"],
        crs,
    )


def _keep_clear(
    first: np.ndarray, waypoints: gpd.GeoDataFrame, grid: Grid
) -> list[tuple[int, int]]:
    """The cells whose endpoint areas a pair's diversity ignores: its ends and the waypoints."""
    return [
        tuple(first[0]),
        tuple(first[-1]),
        *[tuple(int(v) for v in grid.rowcol(g.x, g.y)) for g in waypoints.geometry],
    ]


def _shared_risk_by_pair(
    scored: gpd.GeoDataFrame,
    cross: gpd.GeoDataFrame,
    endpoints: gpd.GeoDataFrame,
    *,
    inp: Inputs,
    route_cfg: RouteConfig,
) -> tuple[list[dict], list[dict]]:
    """The shared-risk segments and points of every pair; sets each route's rank and shares.

    Adds the columns ``rank``, ``shared_km_max``, ``shared_with`` and ``diversity_note`` to
    ``scored`` in place.
    """
    segments, points = [], []
    scored["rank"] = 0
    scored["shared_km_max"] = 0.0
    scored["shared_with"] = ""
    scored["diversity_note"] = ""
    grid = inp.path.grid
    for (sc, _, _), group in scored.groupby(["scenario", "origin", "destination_slug"]):
        way = endpoints.loc[(endpoints["scenario"] == sc) & (endpoints["role"] == "waypoint")]
        ends = _keep_clear(inp.cells[group["route_id"].iloc[0]], way, grid)
        seg, pts, shared = shared_risk(
            group,
            inp.cells,
            cross,
            keep_clear=ends,
            inv=inp.path.surface.inv_scale,
            grid=grid,
            separation_km=route_cfg.separation_km,
            endpoint_radius_km=route_cfg.endpoint_radius_km,
        )
        segments += seg
        points += pts
        _set_pair_scores(
            scored,
            group,
            shared,
            segments=seg,
            points=pts,
            places=inp.path.places,
            separation_km=route_cfg.separation_km,
        )
    return segments, points


def _set_pair_scores(
    scored: gpd.GeoDataFrame,
    group: gpd.GeoDataFrame,
    shared: dict[str, dict[str, float]],
    *,
    segments: list[dict],
    points: list[dict],
    places: gpd.GeoDataFrame,
    separation_km: float,
) -> None:
    """Write the rank, shared km, partners and diversity note of one pair's routes in ``scored``.

    Routes rank by cost, then alternative number; ``shared``, ``segments`` and ``points`` are
    what ``shared_risk`` found for the pair.
    """
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
            scored.loc[idx].to_dict(),
            mine,
            segments,
            points=points,
            places=places,
            separation_km=separation_km,
        )


OVERLAP_COLUMNS = (
    "origin",
    "competitor",
    "kind",
    "subject",
    "subject_km",
    "shared_km",
    "shared_share",
)


def competitor_overlap(
    scored: pd.DataFrame, inp: Inputs, *, route_cfg: RouteConfig
) -> pd.DataFrame:
    """Ground each corridor route, scenario and network shares with each competitor's routes.

    One row per origin × competitor scenario × subject: each corridor route (``kind`` route),
    each corridor scenario's routes together (scenario) and all of them (network), their ground
    taken once; ``shared_km`` within ``route.separation_km`` of the competitor's routes from the
    same origin, outside ``route.endpoint_radius_km`` of the origin (``overlap.shared_km``).
    """
    rivals = route_cfg.competitors()
    cells = inp.cells
    cell_km = inp.path.grid.cell_m / 1000.0
    inv = inp.path.surface.inv_scale
    rows = []
    for origin, mine in scored.groupby("origin", sort=True):
        ours = mine.loc[~mine["scenario"].isin(rivals)]
        if ours.empty:
            continue
        first = cells[ours["route_id"].iloc[0]][0]
        clear = overlap.origin_area(
            tuple(first), inv, cell_km=cell_km, radius_km=route_cfg.endpoint_radius_km
        )
        subjects = [("route", r, [r]) for r in ours["route_id"]]
        subjects += [("scenario", k, list(g["route_id"])) for k, g in ours.groupby("scenario")]
        subjects.append(("network", "network", list(ours["route_id"])))
        for rival in sorted(rivals & set(mine["scenario"])):
            theirs = [cells[r] for r in mine.loc[mine["scenario"] == rival, "route_id"]]
            for kind, subject, ids in subjects:
                total, shared = overlap.shared_km(
                    [cells[r] for r in ids],
                    theirs,
                    inv,
                    cell_km=cell_km,
                    separation_km=route_cfg.separation_km,
                    clear=clear,
                )
                rows.append(
                    dict(
                        zip(
                            OVERLAP_COLUMNS,
                            (origin, rival, kind, subject, total, shared, shared / total),
                            strict=True,
                        )
                    )
                )
    return pd.DataFrame(rows, columns=list(OVERLAP_COLUMNS))


def score_routes(
    routes: gpd.GeoDataFrame, endpoints: gpd.GeoDataFrame, inp: Inputs, *, route_cfg: RouteConfig
) -> dict[str, gpd.GeoDataFrame]:
    """Every route's scores, crossings and the shared-risk layers, in the routes' CRS."""
    each = _score_each(routes, inp)
    crs = routes.crs
    scored = gpd.GeoDataFrame(each.rows, geometry="geometry", crs=crs)
    cross = _crossings_frame(each.crossings, crs)
    segments, points = _shared_risk_by_pair(scored, cross, endpoints, inp=inp, route_cfg=route_cfg)
    pair = ["scenario", "route_a", "route_b"]
    return {
        "routes": scored,
        "crossings": cross,
        "fault_crossings": cross.loc[cross["kind"] == "fault"].drop(
            columns=[
                "gateway",
                "gateway_kind",
                "gateway_status",
                "crossing_in_service",
                "off_gateway",
            ],
            errors="ignore",
        ),
        "shared_risk_segments": _frame(segments, [*pair, "shared_km"], crs),
        "shared_risk_points": _frame(points, [*pair, "kind", "name"], crs),
        "route_segments": _frame(
            each.segments, ["route_id", "seq", "method", "country", "length_km", "cost_usd"], crs
        ),
        "sites": _frame(each.sites, ["route_id", "site_type", "km_from_origin", "cost_usd"], crs),
        "validation": pd.DataFrame(each.checks, columns=list(validation.COLUMNS)),
        "route_book": _frame(each.book, list(routebook.COLUMNS), crs),
        "competitor_overlap": competitor_overlap(scored, inp, route_cfg=route_cfg),
    }


def _frame(records: list[dict], columns: list[str], crs) -> gpd.GeoDataFrame:
    """Records as a GeoDataFrame; with none, an empty one that still has the columns."""
    if records:
        return gpd.GeoDataFrame(records, geometry="geometry", crs=crs)
    return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=crs)


def _book_places(
    files: StageFiles, places: gpd.GeoDataFrame, *, within_km: float, town_km: float
) -> routebook.Places:
    """What the route book's stretch ends are named after: OSM railway stations first.

    With them, every other named place of the data: OSM border posts, Natural Earth populated
    places, ports and airports, and the cable landing stations.
    """
    read = lambda layer: gateways.named_places(io.read_layer(files["ingest"], layer))  # noqa: E731
    stations = read("railway_stations")[["name", "geometry"]]
    towns = gateways.named_places(places)
    frames = [stations, read("border_controls"), towns, read("ports"), read("airports")]
    frames.append(read("landing_points"))
    every = pd.concat([f[["name", "geometry"]] for f in frames], ignore_index=True)
    return routebook.Places(
        stations=stations,
        everything=gpd.GeoDataFrame(every, geometry="geometry", crs=stations.crs),
        within_m=within_km * 1000.0,
        towns=towns[["name", "geometry"]],
        town_m=town_km * 1000.0,
    )


def run(cfg: Config, files: StageFiles) -> Path:
    """Score every route of ``routes.gpkg``; write ``scores.gpkg``."""
    grid = template(cfg.grid)
    routes = io.read_layer(files["routes"], "routes")
    endpoints = io.read_layer(files["routes"], "endpoints")
    places = io.read_layer(files["ingest"], "places")
    inp = Inputs(
        path=PathInputs(
            grid=grid,
            surface=read_surface(files, grid),
            rivers=crossable_rivers(io.read_layer(files["ingest"], "rivers")),
            faults=priced_faults(io.read_layer(files["ingest"], "faults"), cfg.cost),
            places=places,
            gateways=io.read_layer(files["gateways"], "gateways"),
            cost=cfg.cost,
            sites=cfg.sites,
        ),
        dem=io.mapped_raster(files["dem"], grid),
        cells=read_cells(files["routes"]),
        railways=_railways(io.read_layer(files["ingest"], "railways")),
        references=[
            (
                ref,
                _xy(
                    grid,
                    [(ref.start_lon_deg, ref.start_lat_deg), (ref.end_lon_deg, ref.end_lat_deg)],
                ),
            )
            for ref in cfg.score.reference_corridors
        ],
        validation_max_offset_km=cfg.score.validation_max_offset_km,
        near_major_row_km=cfg.score.near_major_row_km,
        group_index=cfg.score.fiber_group_index,
        off_gateway_usd=cfg.route.off_gateway_usd(),
        book_places=_book_places(
            files,
            places,
            within_km=cfg.score.route_book_place_km,
            town_km=cfg.score.route_book_town_km,
        ),
        book_gap_km=cfg.score.route_book_gap_km,
    )
    layers = score_routes(routes, endpoints, inp, route_cfg=cfg.route)
    io.write_gpkg(files["scores"], {**layers, "endpoints": endpoints})
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
    return files["scores"]
