"""The submarine cable network: landing stations joined by the cables that serve them.

The network is built from TeleGeography's global cable data (``world_cables`` and
``world_landing_points`` of ``ingest.gpkg``): landing stations are nodes, and every cable joins
each pair of the stations it serves by the length of its own line between them, measured
geodesically. TeleGeography's lines are MultiLineStrings without topology, so each cable's parts
are joined where their vertices meet (or come within the snap tolerance), and only the stations
the cable lists are snapped to it: a line passing a station it does not serve connects nothing
there. Stations of one metro area are joined by short terrestrial hops.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from .config import Hub, OnwardConfig
from .geometry import GEOD

log = logging.getLogger(__name__)


EARTH_KM = 6371.0088
"""Mean Earth radius (IUGG), km: only to turn a search radius into a chord for the KD tree."""


HOP = "terrestrial hop"


@dataclass(frozen=True)
class Edge:
    """One way between two stations: a cable's stretch or a metro hop."""

    a: str
    b: str
    km: float
    cable: str
    rfs_year: int | None
    coords: np.ndarray  # (n, 2) lon/lat from a to b


def geod_km(start, end) -> np.ndarray:
    """Geodesic distance from ``start`` to ``end`` on the WGS84 ellipsoid, km.

    Each is a (lon, lat) pair of degrees, numbers or arrays of one shape.
    """
    _, _, m = GEOD.inv(start[0], start[1], end[0], end[1])
    return np.asarray(m) / 1000.0


def _cable_graph(parts: list[np.ndarray], join_km: float) -> tuple[sparse.csr_matrix, np.ndarray]:
    """The vertex graph of one cable (km between vertices) and the vertices' lon/lat.

    Parts are joined where their vertices coincide (to 1e-4°, about 10 m) and where a part's end
    lies within ``join_km`` of another part's vertex (TeleGeography draws branches as separate
    lines that stop short of the trunk).
    """
    xy = np.vstack(parts)
    _, node = np.unique(np.round(xy, 4), axis=0, return_inverse=True)
    node = node.ravel()
    n = int(node.max()) + 1
    coords = np.zeros((n, 2))
    coords[node] = xy
    part_of = np.repeat(np.arange(len(parts)), [len(p) for p in parts])
    rows, cols, km = [], [], []
    starts = np.cumsum([0] + [len(p) for p in parts[:-1]])
    for k, (p, s0) in enumerate(zip(parts, starts, strict=True)):
        idx = node[s0 : s0 + len(p)]
        rows.append(idx[:-1])
        cols.append(idx[1:])
        km.append(geod_km((p[:-1, 0], p[:-1, 1]), (p[1:, 0], p[1:, 1])))
        other = np.unique(node[part_of != k])
        if other.size == 0:
            continue
        for end in (s0, s0 + len(p) - 1):
            d = geod_km(
                (np.full(other.size, xy[end, 0]), np.full(other.size, xy[end, 1])),
                (coords[other, 0], coords[other, 1]),
            )
            j = int(np.argmin(d))
            if 0 < d[j] <= join_km:
                rows.append([node[end]])
                cols.append([other[j]])
                km.append([d[j]])
    m = sparse.coo_matrix(
        (np.concatenate(km), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    ).tocsr()
    return m, coords


def _path(pred: np.ndarray, src: int, dst: int) -> list[int]:
    out = [dst]
    while out[-1] != src:
        out.append(int(pred[out[-1]]))
    return out[::-1]


def cable_edges(
    cable: dict, stations: dict[str, tuple[float, float]], tol_km: float
) -> tuple[list[Edge], list[str]]:
    """Edges between every pair of the stations a cable serves, along its line.

    Returns the edges and the ids of listed stations that could not be snapped (farther than
    ``tol_km`` from the line, or missing from the landing-point data).
    """
    geom = cable["geometry"]
    parts = [np.asarray(g.coords)[:, :2] for g in getattr(geom, "geoms", [geom]) if not g.is_empty]
    parts = [p for p in parts if len(p) >= 2]
    ids = [s for s in (cable["landing_ids"] or "").split(",") if s]
    if not parts:
        return [], ids
    m, coords = _cable_graph(parts, tol_km)
    snapped, missed = {}, []
    for sid in dict.fromkeys(ids):
        if sid not in stations:
            missed.append(sid)
            continue
        x, y = stations[sid]
        d = geod_km(
            (np.full(len(coords), x), np.full(len(coords), y)), (coords[:, 0], coords[:, 1])
        )
        j = int(np.argmin(d))
        if d[j] > tol_km:
            missed.append(sid)
        else:
            snapped[sid] = (j, float(d[j]))
    sids = list(snapped)
    if len(sids) < 2:
        return [], missed
    sources = [snapped[s][0] for s in sids]
    dist, pred = dijkstra(m, directed=False, indices=sources, return_predecessors=True)
    edges = []
    for i, a in enumerate(sids):
        for b in sids[i + 1 :]:
            j = snapped[b][0]
            if not np.isfinite(dist[i, j]):
                continue
            line = coords[_path(pred[i], sources[i], j)]
            line = np.vstack([stations[a], line, stations[b]])
            edges.append(
                Edge(
                    a,
                    b,
                    float(dist[i, j]) + snapped[a][1] + snapped[b][1],
                    cable["name"],
                    cable["rfs_year"],
                    line,
                )
            )
    return edges, missed


def metro_hops(stations: gpd.GeoDataFrame, hop_km: float, detour: float) -> list[Edge]:
    """Terrestrial hops between stations of one country within ``hop_km`` of each other."""
    lon, lat = np.radians(stations.geometry.x), np.radians(stations.geometry.y)
    xyz = np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
    chord = 2 * np.sin(hop_km / EARTH_KM / 2)
    ids, country = stations["station_id"].to_numpy(), stations["country"].to_numpy()
    x, y = stations.geometry.x.to_numpy(), stations.geometry.y.to_numpy()
    out = []
    for i, j in sorted(cKDTree(xyz).query_pairs(chord)):
        if country[i] != country[j] or country[i] is None:
            continue
        km = float(geod_km((x[i], y[i]), (x[j], y[j]))) * detour
        if km > 0:
            out.append(Edge(ids[i], ids[j], km, HOP, None, np.array([[x[i], y[i]], [x[j], y[j]]])))
    return out


@dataclass
class Network:
    """The submarine network: station index, a sparse km matrix and the best edge per pair."""

    index: dict[str, int]
    matrix: sparse.csr_matrix
    edges: dict[tuple[int, int], Edge]
    all_edges: list[Edge] = field(default_factory=list, repr=False)  # every cable's, every pair

    def without(self, cable: str) -> Network:
        """The network with one cable cut (another cable between the same stations stays)."""
        return network_of([e for e in self.all_edges if e.cable != cable], list(self.index))

    def paths_from(self, station: str) -> tuple[np.ndarray, np.ndarray]:
        """Least-km distances and predecessors from one station to all."""
        return dijkstra(
            self.matrix, directed=False, indices=self.index[station], return_predecessors=True
        )

    def edges_on(self, pred: np.ndarray, src: str, dst: str) -> list[Edge]:
        """The edges of the least-km path from ``src`` to ``dst``, in order, each oriented."""
        nodes = _path(pred, self.index[src], self.index[dst])
        out = []
        for u, v in zip(nodes[:-1], nodes[1:], strict=True):
            e = self.edges[(min(u, v), max(u, v))]
            if self.index[e.a] != u:
                e = Edge(e.b, e.a, e.km, e.cable, e.rfs_year, e.coords[::-1])
            out.append(e)
        return out


def build_network(
    cables: gpd.GeoDataFrame, stations: gpd.GeoDataFrame, c: OnwardConfig
) -> tuple[Network, dict]:
    """The network, and counts for the log and the report (cables used, stations unsnapped).

    The network keeps every edge (``Network.all_edges``), so ``without`` can take a cable out
    without reading the cables again.
    """
    used = cables if c.include_planned else cables.loc[~cables["is_planned"].astype(bool)]
    xy = {s: (g.x, g.y) for s, g in zip(stations["station_id"], stations.geometry, strict=True)}
    edges: list[Edge] = []
    missed: list[str] = []
    for rec in used.to_dict("records"):
        e, m = cable_edges(rec, xy, c.snap_tolerance_km)
        edges += e
        missed += [f"{rec['cable_id']}:{s}" for s in m]
    edges += metro_hops(stations, c.metro_hop_km, c.terrestrial_detour_factor)
    network = network_of(edges, list(stations["station_id"]))
    stats = {
        "cables": len(used),
        "planned_excluded": len(cables) - len(used),
        "unsnapped": sorted(missed),
        "hops": sum(e.cable == HOP for e in network.edges.values()),
    }
    return network, stats


def network_of(edges: list[Edge], stations: list[str]) -> Network:
    """The network of ``edges`` between ``stations``: the least-km edge of each pair."""
    index = {s: i for i, s in enumerate(stations)}
    best: dict[tuple[int, int], Edge] = {}
    for e in edges:
        k = tuple(sorted((index[e.a], index[e.b])))
        if k not in best or e.km < best[k].km:
            best[k] = e
    n = len(index)
    keys = list(best)
    m = sparse.coo_matrix(
        ([best[k].km for k in keys], ([k[0] for k in keys], [k[1] for k in keys])), shape=(n, n)
    ).tocsr()
    return Network(index, m, best, edges)


def hub_stations(hub: Hub, network: Network) -> list[str]:
    """The hub's stations that are in the network."""
    return [s for s in hub.stations if s in network.index]


def best_to_hub(
    network: Network, pred_dist: tuple[np.ndarray, np.ndarray], src: str, *, hub: Hub
) -> tuple[float, list[Edge]] | None:
    """Least-km submarine path from ``src`` to the nearest station of ``hub`` (None if none)."""
    dist, pred = pred_dist
    stations = hub_stations(hub, network)
    if src in stations:
        return 0.0, []
    reach = [(dist[network.index[s]], s) for s in stations if np.isfinite(dist[network.index[s]])]
    if not reach:
        return None
    km, dst = min(reach)
    return float(km), network.edges_on(pred, src, dst)


def chokepoints_on(edges: list[Edge], c: OnwardConfig) -> list[str]:
    """Names of the chokepoints (maritime passages) the path's cables enter, in config order.

    Land legs and metro hops do not count: a land route near Bandar Abbas is not in the
    Strait of Hormuz.
    """
    sea = [shapely.LineString(e.coords) for e in edges if e.cable != HOP]
    if not sea:
        return []
    line = shapely.MultiLineString(sea)
    return [p.name for p in c.chokepoints if line.intersects(shapely.Polygon(p.polygon_lonlat))]


def best_per_origin_hub(paths: pd.DataFrame) -> pd.DataFrame:
    """The least-latency onward path of each origin and hub (over stations and scenarios)."""
    return paths.sort_values("latency_ms").groupby(["origin", "hub"], sort=False).head(1)
