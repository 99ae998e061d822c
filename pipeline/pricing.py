"""What it costs, and what it crosses, to build a cable along a path of grid cells.

One rule, one place: the score stage prices each route through ``price_path``, and so does
any stage that prices a path of cells of its own, so a crossing, a site or a cost-book item
is counted and priced the same way everywhere. The price itself is ``economics.price_route``'s.

What a path crosses: border crossings are read off its cells, where the country changes,
exactly as the router charged them; landfalls where it passes between land and water; river
and fault crossings where its line meets a crossable river or a priced active fault (hits
closer than two cells along the path are one crossing).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import economics, router
from .config import CostConfig, SitesConfig
from .costbook import is_wet, on_row
from .grid import Grid
from .surface import Surface


def border_crossings(
    cells: np.ndarray,
    country: np.ndarray,
    codes: list[str] | tuple[str, ...],
    *,
    grid: Grid,
    gate: np.ndarray | None = None,
    gateways: pd.DataFrame | None = None,
) -> list[dict]:
    """Where the route's country changes between two consecutive cells (both in a country).

    With the gateway raster and table, each crossing names the gateway it passes (the one of
    either cell of the step), or ``off_gateway`` when there is none.
    """
    ids = country[cells[:, 0], cells[:, 1]]
    change = np.nonzero((ids[:-1] != ids[1:]) & (ids[:-1] > 0) & (ids[1:] > 0))[0]
    out = []
    for i in change:
        x, y = grid.xy(cells[i : i + 2, 0], cells[i : i + 2, 1])
        a, b = codes[ids[i] - 1], codes[ids[i + 1] - 1]
        crossing = {
            "kind": "border",
            "name": f"{a}→{b}",
            "gateway": "",
            "gateway_kind": "",
            "gateway_status": "",
            "off_gateway": False,
            "geometry": shapely.Point(x.mean(), y.mean()),
        }
        if gate is not None and gateways is not None:
            gid = max(int(gate[tuple(cells[i])]), int(gate[tuple(cells[i + 1])]))
            if gid:
                g = gateways.loc[gateways["gateway_id"] == gid].iloc[0]
                status = g.get("status", "in_service")
                crossing.update(
                    gateway=g["name"],
                    gateway_kind=g["kind"],
                    gateway_status=status,
                    crossing_in_service=status != "in_service"
                    and "in_service" in str(g.get("statuses", "")),
                )
            else:
                crossing.update(off_gateway=True)
        out.append(crossing)
    return out


def line_crossings(
    line: shapely.LineString,
    lines: gpd.GeoDataFrame,
    kind: str,
    *,
    merge_m: float,
    extra: tuple[str, ...] = (),
) -> list[dict]:
    """Points where the route meets one of ``lines`` (rivers, faults), in order along it.

    Hits closer than ``merge_m`` along the route are one crossing (a path of cells zig-zags
    over a line it runs beside). Each carries the line's ``name`` and the ``extra`` columns.
    """
    hits = []
    idx = shapely.STRtree(lines.geometry.to_numpy()).query(line, predicate="intersects")
    for i in idx:
        row = lines.iloc[int(i)]
        inter = line.intersection(row.geometry)
        for p in getattr(inter, "geoms", [inter]):
            if not p.is_empty:
                q = p if p.geom_type == "Point" else p.centroid
                name = row["name"]
                label = name if isinstance(name, str) and name else f"unnamed {kind}"
                hits.append((line.project(q), label, q, {k: row[k] for k in extra}))
    hits.sort(key=lambda h: h[0])
    out, last = [], -np.inf
    for along, name, q, more in hits:
        if along - last > merge_m:
            out.append({"kind": kind, "name": name, **more, "geometry": q})
        last = along
    return out


def landfalls(cells: np.ndarray, water_class: np.ndarray, grid: Grid) -> list[dict]:
    """Where the route passes between land and water (a submarine leg's shore ends)."""
    wet = is_wet(water_class[cells[:, 0], cells[:, 1]])
    out = []
    for i in np.nonzero(wet[:-1] != wet[1:])[0]:
        x, y = grid.xy(cells[i : i + 2, 0], cells[i : i + 2, 1])
        out.append(
            {"kind": "landfall", "name": "shore end", "geometry": shapely.Point(x.mean(), y.mean())}
        )
    return out


@dataclass(frozen=True)
class PathInputs:
    """What pricing a path reads: the grid, the cost rasters, the crossed vectors, the cost book."""

    grid: Grid
    surface: Surface
    rivers: gpd.GeoDataFrame  # the crossable ones (``costbook.crossable_rivers``)
    faults: gpd.GeoDataFrame  # the priced ones (``costbook.priced_faults``)
    places: gpd.GeoDataFrame  # settlements: a site's nearest one is named
    gateways: pd.DataFrame  # the gateways table, for the border crossings' gateway fields
    cost: CostConfig
    sites: SitesConfig


@dataclass(frozen=True)
class Crossed:
    """What one route crosses, as point records in order along it (CRS metres)."""

    borders: list[dict]
    shores: list[dict]
    rivers: list[dict]
    faults: list[dict]  # the priced ones, with their ``slip_type``

    def points(self) -> list[dict]:
        """Every crossing point: borders, shore ends, rivers, then faults."""
        return self.borders + self.shores + self.rivers + self.faults


@dataclass(frozen=True)
class Priced:
    """A route's bill of quantities: its parts, their price and its segments by method."""

    parts: economics.RouteParts
    bill: economics.Breakdown
    segments: list[dict]


@dataclass(frozen=True)
class PricedPath:
    """A path priced: what it crosses, where its sites are, its bill of quantities."""

    crossed: Crossed
    vkm: np.ndarray  # ground km from the start to each vertex of the line
    sites: list[dict]  # amplifier (ILA) and regeneration sites, with their nearest settlement
    counts: dict  # the counted items of the bill (``economics.route_parts``'s ``counts``)
    crossings: list[dict]  # ``crossed.points()``, each with its ``km_from_origin``
    priced: Priced


def price_path(
    line: shapely.LineString, cells: np.ndarray, inp: PathInputs, *, off_gateway_each_usd: float
) -> PricedPath:
    """What building a cable along ``cells`` crosses and costs, priced by ``economics``.

    ``line`` is the path as the route stage draws it (``route.path_line``): the start point,
    the centre of each of the ``cells`` ((row, col) pairs, in order), then the end point, in
    the grid's CRS metres; its first and last vertices may lie off the cell centres (short
    stubs to the endpoints). ``off_gateway_each_usd`` is the extra USD of each border crossing
    away from any gateway.
    """
    crossed = _crossed(line, cells, inp)
    vkm = economics.vertex_km(line, cells, inp.surface.inv_scale, cell_km=inp.grid.cell_m / 1000.0)
    sites = _sites(line, cells, vkm, inp=inp)
    counts = _counts(crossed, sites, off_gateway_each_usd)
    points = crossed.points()
    crossings = [
        {**x, "km_from_origin": km}
        for x, km in zip(points, _along_km(line, vkm, [x["geometry"] for x in points]), strict=True)
    ]
    river_km = [x["km_from_origin"] for x in crossings if x["kind"] == "river"]
    priced = _priced(line, cells, vkm, river_km=river_km, counts=counts, inp=inp)
    return PricedPath(
        crossed=crossed, vkm=vkm, sites=sites, counts=counts, crossings=crossings, priced=priced
    )


def _sites(
    line: shapely.LineString, cells: np.ndarray, vkm: np.ndarray, *, inp: PathInputs
) -> list[dict]:
    """Amplifier and regeneration sites along a route, with their nearest settlement."""
    ras, c = inp.surface, inp.cost
    coords = np.asarray(line.coords)
    vcells = np.vstack([cells[:1], cells, cells[-1:]])
    idx = (vcells[:, 0], vcells[:, 1])
    access = on_row(ras.row_km[idx], c) | (ras.urban[idx] > 0)
    sites = []
    for i, kind in economics.place_sites(vkm, is_wet(ras.water_class[idx]), access, s=inp.sites):
        point = shapely.Point(coords[i])
        near = inp.places.distance(point)
        j = near.idxmin()
        sites.append(
            {
                "site_type": kind,
                "km_from_origin": float(vkm[i]),
                "nearest_settlement": inp.places.at[j, "name"],
                "settlement_km": float(near[j]) / 1000.0,
                "right_of_way_km": float(ras.row_km[tuple(vcells[i])]),
                "cost_usd": inp.sites.regen_site_usd if kind == "regen" else inp.sites.ila_site_usd,
                "geometry": point,
            }
        )
    return sites


def _along_km(
    line: shapely.LineString, vkm: np.ndarray, points: list[shapely.Point]
) -> list[float]:
    """Ground km from the origin of points on the route line."""
    coords = np.asarray(line.coords)
    vcrs = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(coords, axis=0).T))])
    return [float(np.interp(line.project(p), vcrs, vkm)) for p in points]


def _crossed(line: shapely.LineString, cells: np.ndarray, inp: PathInputs) -> Crossed:
    """The borders, shore ends, rivers and faults a route crosses."""
    grid, ras = inp.grid, inp.surface
    borders = border_crossings(
        cells,
        ras.country_id,
        ras.country_codes,
        grid=grid,
        gate=ras.gateway_id,
        gateways=inp.gateways,
    )
    shores = landfalls(cells, ras.water_class, grid)
    rivs = line_crossings(line, inp.rivers, "river", merge_m=2 * grid.cell_m)
    faults = line_crossings(
        line, inp.faults, "fault", merge_m=2 * grid.cell_m, extra=("slip_type",)
    )
    return Crossed(borders=borders, shores=shores, rivers=rivs, faults=faults)


def _counts(crossed: Crossed, sites: list[dict], off_gateway_each_usd: float) -> dict:
    """The counted items of a route's bill: crossings and sites, and an off-gateway's price."""
    return {
        "n_border": len(crossed.borders),
        "n_landfall": len(crossed.shores),
        "n_ila": sum(s["site_type"] == "ILA" for s in sites),
        "n_regen": sum(s["site_type"] == "regen" for s in sites),
        "n_fault": len(crossed.faults),
        "n_off_gateway": sum(b["off_gateway"] for b in crossed.borders),
        "off_gateway_each_usd": off_gateway_each_usd,
    }


def _priced(
    line: shapely.LineString,
    cells: np.ndarray,
    vkm: np.ndarray,
    *,
    river_km: list[float],
    counts: dict,
    inp: PathInputs,
) -> Priced:
    """A route's parts priced by ``economics.price_route``, and its segments with their lines."""
    ras, c = inp.surface, inp.cost
    step_km = inp.grid.cell_m / 1000.0
    parts = economics.route_parts(
        line, cells, ras, c=c, river_km=river_km, counts=counts, cell_km=step_km
    )
    bill = economics.price_route(parts, c, inp.sites)
    segs = economics.segments(parts, bill, c)
    coords = np.asarray(line.coords)
    for seq, sg in enumerate(segs, 1):
        sg.update(
            seq=seq,
            usd_per_km=sg["cost_usd"] / sg["length_km"],
            geometry=economics.cut(coords, vkm, sg["km_start"], b=sg["km_end"]),
        )
    return Priced(parts=parts, bill=bill, segments=segs)


def transit_countries(per_country: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """The countries a route crosses that are neither its origin's nor its destination's."""
    land = [(c, km) for c, km in per_country if c not in (economics.SEA, "none")]
    if len(land) < 3:
        return []
    ends = {land[0][0], land[-1][0]}
    return [(c, km) for c, km in land if c not in ends]


def km_by_country(
    cells: np.ndarray, labels: np.ndarray, inv: np.ndarray, *, step_km: float
) -> list[tuple[str, float]]:
    """(ISO code or "sea", ground km) along the route's cells, in the order it enters them.

    Each step's length is split half to each of its two cells (labelled by
    ``economics.cell_labels``), so the split follows the cells the router priced (no slivers
    where vector borders and the grid disagree).
    """
    half = 0.5 * router.edge_km(cells, inv, step_km)
    km: dict[str, float] = {}
    for label, h in [*zip(labels[:-1], half, strict=True), *zip(labels[1:], half, strict=True)]:
        km[label] = km.get(label, 0.0) + h
    first = {label: i for i, label in reversed(list(enumerate(labels)))}
    return sorted(km.items(), key=lambda kv: first[kv[0]])
