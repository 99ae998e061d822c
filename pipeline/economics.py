"""Fiber economics of one route: construction methods, segments, amplifier and regen sites.

Pure functions on a route's cells and the cost rasters; the score stage calls them.

Every step of a route (between two cell centres) gets a construction method:

- ``submarine`` between two water cells;
- ``buried_row`` when both cells lie within the co-location distance of a railway, road or
  pipeline (plough-in along the right-of-way);
- ``buried_flat`` / ``buried_hilly`` / ``buried_mountain`` otherwise, by the steeper cell's slope;

and each river crossing replaces ``river_hdd_km`` of the route around it by ``hdd`` (directional
drilling). Steps are priced at the unit-cost raster's rate (the cost book applied per cell),
HDD at its own rate; consecutive stretches of one method in one country form a segment.
"""

from __future__ import annotations

import numpy as np
import shapely

from . import router
from .config import CostConfig, SitesConfig

METHODS = ("buried_row", "buried_flat", "buried_hilly", "buried_mountain", "hdd", "submarine")
SEA = "sea"


def cell_labels(
    cells: np.ndarray, country: np.ndarray, wet: np.ndarray, codes: list[str]
) -> np.ndarray:
    """Each cell's country code, ``sea`` on water, ``none`` outside every country."""
    ids = country[cells[:, 0], cells[:, 1]]
    names = np.array(["none", *codes])
    return np.where(wet[cells[:, 0], cells[:, 1]], SEA, names[ids])


def edge_methods(
    cells: np.ndarray, slope: np.ndarray, row_km: np.ndarray, wet: np.ndarray, c: CostConfig
) -> np.ndarray:
    """The construction method of each step of a cell path (N-1 strings)."""
    a, b = (cells[:-1, 0], cells[:-1, 1]), (cells[1:, 0], cells[1:, 1])
    steep = np.maximum(slope[a], slope[b])
    terrain = np.where(
        steep >= c.mountain_slope_deg,
        "buried_mountain",
        np.where(steep >= c.hill_slope_deg, "buried_hilly", "buried_flat"),
    )
    on_row = (row_km[a] <= c.colocation_distance_km) & (row_km[b] <= c.colocation_distance_km)
    method = np.where(on_row, "buried_row", terrain)
    return np.where(wet[a] & wet[b], "submarine", method)


def vertex_km(
    line: shapely.LineString, cells: np.ndarray, inv: np.ndarray, cell_km: float
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


def intervals(
    cells: np.ndarray,
    vkm: np.ndarray,
    methods: np.ndarray,
    labels: np.ndarray,
    unit: np.ndarray,
    inv: np.ndarray,
    cell_km: float,
) -> list[list]:
    """[km_start, km_end, method, country, USD per km] along the route, one per half step.

    A step's two halves take the country of their own cell, so a border falls mid-step; the
    rate of a step is the router's edge cost over its length; the stubs take their cell's.
    """
    edge_cost = [
        router.path_sums(cells[i : i + 2], unit, inv, cell_km)[0] for i in range(len(cells) - 1)
    ]
    out = []
    first, last = tuple(cells[0]), tuple(cells[-1])
    out.append(
        [
            vkm[0],
            vkm[1],
            methods[0] if len(methods) else "buried_flat",
            labels[0],
            float(unit[first]),
        ]
    )
    for i in range(len(cells) - 1):
        k0, k1 = vkm[i + 1], vkm[i + 2]
        rate = edge_cost[i] / (k1 - k0) if k1 > k0 else float(unit[tuple(cells[i])])
        mid = 0.5 * (k0 + k1)
        a, b = labels[i], labels[i + 1]
        if methods[i] != "submarine":  # a shore approach is built on land, in its country
            a, b = (b if a == SEA else a), (a if b == SEA else b)
        out.append([k0, mid, methods[i], a, rate])
        out.append([mid, k1, methods[i], b, rate])
    out.append(
        [
            vkm[-2],
            vkm[-1],
            methods[-1] if len(methods) else "buried_flat",
            labels[-1],
            float(unit[last]),
        ]
    )
    return [iv for iv in out if iv[1] > iv[0]]


def overlay_hdd(
    ivs: list[list], crossings_km: list[float], hdd_km: float, hdd_rate: float
) -> list[list]:
    """Replace ``hdd_km`` of route centred on each river crossing by an HDD interval."""
    for x in sorted(crossings_km):
        lo, hi = x - hdd_km / 2, x + hdd_km / 2
        lo, hi = max(lo, ivs[0][0]), min(hi, ivs[-1][1])
        country = next((iv[3] for iv in ivs if iv[0] <= x <= iv[1]), ivs[0][3])
        kept = []
        for a, b, m, cc, r in ivs:
            if b <= lo or a >= hi:
                kept.append([a, b, m, cc, r])
                continue
            if a < lo:
                kept.append([a, lo, m, cc, r])
            if b > hi:
                kept.append([hi, b, m, cc, r])
        kept.append([lo, hi, "hdd", country, hdd_rate])
        ivs = sorted(kept, key=lambda iv: iv[0])
    return ivs


def merge_segments(ivs: list[list]) -> list[dict]:
    """Join consecutive intervals of one method in one country into segments."""
    segs: list[dict] = []
    for a, b, m, cc, r in ivs:
        if segs and segs[-1]["method"] == m and segs[-1]["country"] == cc:
            segs[-1]["km_end"] = b
            segs[-1]["cost_usd"] += (b - a) * r
        else:
            segs.append(
                {"method": m, "country": cc, "km_start": a, "km_end": b, "cost_usd": (b - a) * r}
            )
    for s in segs:
        s["length_km"] = s["km_end"] - s["km_start"]
    return segs


def cut(coords: np.ndarray, vkm: np.ndarray, a: float, b: float) -> shapely.LineString:
    """The part of a polyline between ground km ``a`` and ``b`` (interpolating by km)."""

    def at(k):
        return [np.interp(k, vkm, coords[:, 0]), np.interp(k, vkm, coords[:, 1])]

    inner = coords[(vkm > a) & (vkm < b)]
    return shapely.LineString([at(a), *inner.tolist(), at(b)])


def place_sites(
    vkm: np.ndarray, wet: np.ndarray, access: np.ndarray, s: SitesConfig
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
