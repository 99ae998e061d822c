"""Fiber economics of one route: its bill of quantities, its price, its segments and sites.

Pure functions on a route's cells and the cost rasters; the score stage and every Monte Carlo
draw of the uncertainty stage call the same ones, so a cost-book change is made in one place.

A route is cut into **pieces**: the stub from the origin to the first cell, each step between
two cell centres split into the half on each side (a half's ground km is half the grid step
times its own cell's ground scale, so the pieces add up to the router's distance exactly), and
the stub from the last cell to the destination. Each piece is built at its own cell's unit rate
(``costbook.unit_cost_block``), so the cable cost is exactly the router's edge cost summed.

Each step gets a construction method:

- ``submarine`` between two water cells;
- ``buried_row`` when both cells are on an existing right-of-way (``costbook.on_row``);
- ``buried_flat`` / ``buried_hilly`` / ``buried_mountain`` otherwise, by the steeper cell's slope;

and each river crossing replaces ``river_hdd_km`` of the route around it by ``hdd`` (directional
drilling; overlapping bores are bored once). Consecutive stretches of one method in one country
form a segment.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np
import shapely

from . import router
from .config import CostConfig, SitesConfig
from .costbook import (
    WATER_LAND,
    is_wet,
    on_row,
    protected_penalised,
    terrain_class,
    terrain_mult_block,
    unit_cost_block,
)
from .surface import Surface

METHODS = ("buried_row", "buried_flat", "buried_hilly", "buried_mountain", "hdd", "submarine")
SEA = "sea"
_TERRAIN_METHODS = np.array(["buried_flat", "buried_hilly", "buried_mountain"])


def cell_labels(
    cells: np.ndarray, country: np.ndarray, wet: np.ndarray, *, codes: list[str] | tuple[str, ...]
) -> np.ndarray:
    """Each cell's country code, ``sea`` on water, ``none`` outside every country."""
    ids = country[cells[:, 0], cells[:, 1]]
    names = np.array(["none", *codes])
    return np.where(wet[cells[:, 0], cells[:, 1]], SEA, names[ids])


def edge_methods(
    cells: np.ndarray, slope: np.ndarray, row_km: np.ndarray, *, wet: np.ndarray, c: CostConfig
) -> np.ndarray:
    """The construction method of each step of a cell path (N-1 strings)."""
    a, b = (cells[:-1, 0], cells[:-1, 1]), (cells[1:, 0], cells[1:, 1])
    terrain = _TERRAIN_METHODS[terrain_class(np.maximum(slope[a], slope[b]), c)]
    method = np.where(on_row(row_km[a], c) & on_row(row_km[b], c), "buried_row", terrain)
    return np.where(wet[a] & wet[b], "submarine", method)


@dataclass(frozen=True)
class RouteParts:
    """What a route's price depends on, sampled once from the cost rasters.

    One entry per piece (see the module docstring) in the arrays; the counted items after.
    """

    km_start: np.ndarray  # ground km from the origin where each piece starts
    km_end: np.ndarray
    km_outside_bores: np.ndarray  # ground km of each piece not replaced by a river bore
    method: np.ndarray
    country: np.ndarray  # ISO code, or "sea"
    country_codes: tuple[str, ...]  # the distinct codes of ``country``
    country_index: np.ndarray  # index of each piece's code in ``country_codes``
    slope_deg: np.ndarray
    row_classes: np.ndarray
    urban: np.ndarray
    water_class: np.ndarray
    landcover: np.ndarray
    protected: np.ndarray
    bores: np.ndarray  # (n, 2) km_start, km_end of each (merged) river bore
    bore_country: np.ndarray
    n_border: int
    n_landfall: int
    n_ila: int
    n_regen: int
    n_fault: int = 0  # active faults crossed
    n_off_gateway: int = 0  # border crossings away from any gateway
    off_gateway_each_usd: float = 0.0  # the scenario's extra for each of them

    @property
    def length_km(self) -> float:
        """Ground km of the whole route (the router's distance)."""
        return float(self.km_end[-1]) if len(self.km_end) else 0.0


@dataclass(frozen=True)
class Breakdown:
    """A route's price under one cost book, USD."""

    cable_usd: float
    hdd_usd: float
    border_usd: float
    landfall_usd: float
    fault_usd: float
    sites_usd: float
    rate_usd_per_km: np.ndarray  # of each piece

    @property
    def total_usd(self) -> float:
        """The whole bill: cable, bores, borders, landfalls, fault crossings and sites."""
        return (
            self.cable_usd
            + self.hdd_usd
            + self.border_usd
            + self.landfall_usd
            + self.fault_usd
            + self.sites_usd
        )


def vertex_km(
    line: shapely.LineString, cells: np.ndarray, inv: np.ndarray, *, cell_km: float
) -> np.ndarray:
    """Ground km from the origin at each vertex of the route line (origin, cells, destination).

    The line's first and last vertices are the endpoints themselves, joined to the first and
    last cells by short stubs.
    """
    xy = np.asarray(line.coords)
    stub0 = np.hypot(*(xy[1] - xy[0])) / 1000.0 * inv[tuple(cells[0])]
    stub1 = np.hypot(*(xy[-1] - xy[-2])) / 1000.0 * inv[tuple(cells[-1])]
    steps = np.concatenate([[stub0], router.edge_km(cells, inv, cell_km), [stub1]])
    return np.concatenate([[0.0], np.cumsum(steps)])


def _pieces(
    cells: np.ndarray, vkm: np.ndarray, inv: np.ndarray, *, cell_km: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(km_start, km_end, cell index, step index in the padded path) of every piece."""
    n = len(cells)
    s = inv[cells[:, 0], cells[:, 1]]
    half_a = 0.5 * router.grid_km(cells, cell_km) * s[:-1]
    starts = [vkm[:1]]
    ends = [vkm[1:2]]
    mids = vkm[1:-2] + half_a
    starts += [np.column_stack([vkm[1:-2], mids]).ravel(), vkm[-2:-1]]
    ends += [np.column_stack([mids, vkm[2:-1]]).ravel(), vkm[-1:]]
    cell = np.concatenate(
        [[0], np.column_stack([np.arange(n - 1), np.arange(1, n)]).ravel(), [n - 1]]
    )
    step = np.concatenate([[0], np.repeat(np.arange(1, n), 2), [n]])
    return np.concatenate(starts), np.concatenate(ends), cell, step


def _merge_bores(centres_km: list[float], bore_km: float, length_km: float) -> np.ndarray:
    """(n, 2) km intervals bored under rivers: ``bore_km`` around each crossing, merged."""
    out: list[list[float]] = []
    for x in sorted(centres_km):
        lo, hi = max(x - bore_km / 2, 0.0), min(x + bore_km / 2, length_km)
        if out and lo <= out[-1][1]:
            out[-1][1] = max(out[-1][1], hi)
        elif hi > lo:
            out.append([lo, hi])
    return np.array(out, dtype=np.float64).reshape(-1, 2)


def _overlap_km(start: np.ndarray, end: np.ndarray, bores: np.ndarray) -> np.ndarray:
    """Km of each piece [start, end] inside the bores."""
    inside = np.zeros(len(start))
    for lo, hi in bores:
        inside += np.clip(np.minimum(end, hi) - np.maximum(start, lo), 0.0, None)
    return inside


def route_parts(
    line: shapely.LineString,
    cells: np.ndarray,
    surface: Surface,
    *,
    c: CostConfig,
    river_km: list[float],
    counts: dict[str, int],
    cell_km: float,
) -> RouteParts:
    """Sample the cost rasters along a route once: its pieces and its counted items.

    ``river_km`` are the ground km from the origin of its river crossings; ``counts`` holds
    ``n_border``, ``n_landfall``, ``n_ila``, ``n_regen``, ``n_fault``, and where a scenario
    allows crossings away from the gateways ``n_off_gateway`` and ``off_gateway_each_usd``.
    """
    inv = surface.inv_scale
    vkm = vertex_km(line, cells, inv, cell_km=cell_km)
    start, end, cell, step = _pieces(cells, vkm, inv, cell_km=cell_km)
    wet = is_wet(surface.water_class)
    padded = np.vstack([cells[:1], cells, cells[-1:]])
    methods = edge_methods(padded, surface.slope_deg, surface.row_km, wet=wet, c=c)[step]
    labels = cell_labels(cells, surface.country_id, wet, codes=surface.country_codes)[cell]
    # a shore approach is built on land, in its country: its sea half takes the other cell's
    other = cell_labels(padded, surface.country_id, wet, codes=surface.country_codes)
    partner = np.where(np.arange(len(cell)) % 2 == 1, step + 1, step)  # the other cell
    flip = (labels == SEA) & (methods != "submarine")
    labels = np.where(flip, other[np.clip(partner, 0, len(other) - 1)], labels)
    bores = _merge_bores(river_km, c.river_hdd_km, float(vkm[-1]))
    rc = (cells[cell, 0], cells[cell, 1])
    codes, index = np.unique(labels, return_inverse=True)
    return RouteParts(
        km_start=start,
        km_end=end,
        km_outside_bores=(end - start) - _overlap_km(start, end, bores),
        method=methods,
        country=labels,
        country_codes=tuple(codes.tolist()),
        country_index=index,
        slope_deg=surface.slope_deg[rc].astype(np.float64),
        row_classes=surface.row_classes[rc],
        urban=surface.urban[rc],
        water_class=surface.water_class[rc],
        landcover=surface.landcover[rc],
        protected=surface.protected_area[rc],
        bores=bores,
        bore_country=np.array(
            [labels[min(np.searchsorted(end, 0.5 * (lo + hi)), len(end) - 1)] for lo, hi in bores],
            dtype=object,
        ),
        **counts,
    )


def join_parts(parts: list[RouteParts]) -> RouteParts:
    """Several paths' parts as one: its price under any cost book is the sum of theirs.

    Pieces and bores follow each other (each path's km offset by the ones before); the counted
    items add up. The extra of the off-gateway crossings is carried as one sum (each path's
    count × its own price), which no cost book changes.
    """
    offsets = np.cumsum([0.0] + [p.length_km for p in parts[:-1]])
    country = np.concatenate([p.country for p in parts])
    codes, index = np.unique(country, return_inverse=True)
    off_usd = sum(p.n_off_gateway * p.off_gateway_each_usd for p in parts)

    def cat(name: str) -> np.ndarray:
        return np.concatenate([getattr(p, name) for p in parts])

    return RouteParts(
        km_start=np.concatenate([p.km_start + o for p, o in zip(parts, offsets, strict=True)]),
        km_end=np.concatenate([p.km_end + o for p, o in zip(parts, offsets, strict=True)]),
        km_outside_bores=cat("km_outside_bores"),
        method=cat("method"),
        country=country,
        country_codes=tuple(codes.tolist()),
        country_index=index,
        slope_deg=cat("slope_deg"),
        row_classes=cat("row_classes"),
        urban=cat("urban"),
        water_class=cat("water_class"),
        landcover=cat("landcover"),
        protected=cat("protected"),
        bores=np.vstack([p.bores + o for p, o in zip(parts, offsets, strict=True)]),
        bore_country=cat("bore_country"),
        n_border=sum(p.n_border for p in parts),
        n_landfall=sum(p.n_landfall for p in parts),
        n_ila=sum(p.n_ila for p in parts),
        n_regen=sum(p.n_regen for p in parts),
        n_fault=sum(p.n_fault for p in parts),
        n_off_gateway=1 if off_usd else 0,
        off_gateway_each_usd=off_usd,
    )


def sum_products(a: np.ndarray, b: np.ndarray) -> float:
    """The sum of ``a * b``, added in the same order in every process.

    Not ``np.dot``: BLAS splits a long vector among its threads, and a Dask worker runs BLAS on
    one thread (distributed sets ``OPENBLAS_NUM_THREADS=1``), so a 250 m route priced on a
    worker differed from the threaded build's in the last digit. NumPy's pairwise sum does not
    depend on threads.
    """
    return float((a * b).sum())


def price_route(p: RouteParts, c: CostConfig, s: SitesConfig) -> Breakdown:
    """The bill of quantities of a route under a cost book: the one pricing rule.

    Cable: each piece's ground km outside the river bores at its cell's unit rate. Bores: their
    km at the HDD rate. Each border crossing, landfall, fault crossing and site at its item
    cost.
    """
    mult = np.array([c.country_mult.get(code, 1.0) for code in p.country_codes])[p.country_index]
    rate = unit_cost_block(
        terrain_mult_block(p.slope_deg, c),
        p.row_classes,
        p.urban,
        water=p.water_class,
        country_mult=mult,
        landcover=p.landcover,
        protected=p.protected,
        c=c,
    )
    return Breakdown(
        cable_usd=sum_products(p.km_outside_bores, rate),
        hdd_usd=float((p.bores[:, 1] - p.bores[:, 0]).sum() * c.hdd_usd_per_km),
        border_usd=p.n_border * c.border_crossing_usd + p.n_off_gateway * p.off_gateway_each_usd,
        landfall_usd=p.n_landfall * c.landfall_usd,
        fault_usd=p.n_fault * c.fault_crossing_usd,
        sites_usd=p.n_ila * s.ila_site_usd + p.n_regen * s.regen_site_usd,
        rate_usd_per_km=rate,
    )


def protected_extra_usd(p: RouteParts, b: Breakdown, c: CostConfig) -> float:
    """What the route's km inside protected areas cost over the same ground outside them."""
    inside = protected_penalised(p.protected, p.row_classes) & (p.water_class == WATER_LAND)
    cable = sum_products(p.km_outside_bores[inside], b.rate_usd_per_km[inside])
    return cable * (1.0 - 1.0 / c.protected_area_mult)


def intervals(p: RouteParts, b: Breakdown, c: CostConfig) -> list[tuple]:
    """A route's km as intervals in order, each built one way at one rate.

    Each is ``(km_start, km_end, method, country, usd_per_km, row_classes)``: the pieces with
    the river bores cut out, and the bores (``hdd``, no right-of-way bits). Their costs add up
    to ``b.cable_usd + b.hdd_usd``; ``segments`` and the route book are both made of them.
    """
    ivs = []
    bores = p.bores.tolist()
    ends = [hi for _, hi in bores]
    for a, e, m, cc, r, rc in zip(
        p.km_start.tolist(),
        p.km_end.tolist(),
        p.method,
        p.country,
        b.rate_usd_per_km.tolist(),
        p.row_classes.tolist(),
        strict=True,
    ):
        ivs += [(lo, hi, m, cc, r, rc) for lo, hi in _minus(a, e, bores, ends=ends)]
    ivs += [
        (lo, hi, "hdd", cc, c.hdd_usd_per_km, 0)
        for (lo, hi), cc in zip(p.bores, p.bore_country, strict=True)
    ]
    ivs.sort(key=lambda iv: iv[0])
    return ivs


def segments(p: RouteParts, b: Breakdown, c: CostConfig) -> list[dict]:
    """Stretches of one construction method in one country, with their km and cost.

    Their costs add up to ``b.cable_usd + b.hdd_usd``.
    """
    segs: list[dict] = []
    for a, e, m, cc, r, _ in intervals(p, b, c):
        if segs and segs[-1]["method"] == m and segs[-1]["country"] == cc:
            segs[-1]["km_end"] = e
            segs[-1]["cost_usd"] += (e - a) * r
        else:
            segs.append(
                {"method": m, "country": cc, "km_start": a, "km_end": e, "cost_usd": (e - a) * r}
            )
    for sg in segs:
        sg["length_km"] = sg["km_end"] - sg["km_start"]
    return segs


def _minus(
    a: float, e: float, bores: list[list[float]], *, ends: list[float]
) -> list[tuple[float, float]]:
    """The parts of [a, e] outside the (sorted, disjoint) bores; ``ends``: their ends."""
    out, lo = [], a
    for i in range(bisect.bisect_right(ends, a), len(bores)):
        b0, b1 = bores[i]
        if b0 >= e:
            break
        if b0 > lo:
            out.append((lo, b0))
        lo = max(lo, b1)
    if e > lo:
        out.append((lo, e))
    return out


def cut(coords: np.ndarray, vkm: np.ndarray, a: float, *, b: float) -> shapely.LineString:
    """The part of a polyline between ground km ``a`` and ``b`` (interpolating by km)."""

    def at(k):
        return [np.interp(k, vkm, coords[:, 0]), np.interp(k, vkm, coords[:, 1])]

    inner = coords[(vkm > a) & (vkm < b)]
    return shapely.LineString([at(a), *inner.tolist(), at(b)])


def place_sites(
    vkm: np.ndarray, wet: np.ndarray, access: np.ndarray, *, s: SitesConfig
) -> list[tuple[int, str]]:
    """Amplifier sites (vertex index, "ILA" or "regen") along a route.

    Greedy from the origin: the next site is the farthest dry vertex within ``ila_span_km`` of
    the last, preferring one with access (near a road, railway or settlement). A submarine leg
    carries its own repeaters (in its per-km rate): when the shore is within a span, no hut is
    needed before it, and the count restarts at the landfall. Among the sites, the
    farthest within ``regen_max_km`` of the last regeneration point becomes a regen site.
    """
    sites: list[int] = []
    last, n = 0.0, len(vkm)
    while vkm[-1] - last > s.ila_span_km:
        sea = np.nonzero((vkm > last) & wet)[0]
        if sea.size and vkm[sea[0]] <= last + s.ila_span_km:
            # the shore is within reach: the submarine system takes over from there, and the
            # count restarts at its landfall
            ashore = np.nonzero((np.arange(n) > sea[0]) & ~wet)[0]
            if ashore.size == 0:
                break
            last = vkm[ashore[0]]
            continue
        window = (vkm > last) & (vkm <= last + s.ila_span_km) & ~wet
        window[[0, n - 1]] = False
        if not window.any():
            break
        good = window & access
        i = int(np.nonzero(good if good.any() else window)[0][-1])
        sites.append(i)
        last = vkm[i]
    kinds = ["ILA"] * len(sites)
    last_regen, candidate = 0.0, None
    for j, i in enumerate([*sites, n - 1]):
        if vkm[i] - last_regen > s.regen_max_km and candidate is not None:
            kinds[candidate] = "regen"
            last_regen = vkm[sites[candidate]]
        if j < len(sites):
            candidate = j
    return list(zip(sites, kinds, strict=True))
