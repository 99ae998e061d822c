"""A network's cell paths as nodes and links, and what one cut does to it.

The working tree and the protection paths are paths of grid cells; a planner sees nodes
(origins, junctions, landing stations) and links between them. A link is a run of cells
between two nodes along which nothing changes: who uses it, as working or protection path.
Cells where three or more ways meet, or where the users change, are junctions.

The cut analysis removes one element at a time (a link, a border gateway, a landing station,
a submarine cable) and asks, per origin, which landing stations it can still reach over what
is left, and by how many km (then over the cables, to each hub).
"""

from __future__ import annotations

import collections
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import dijkstra


@dataclass(frozen=True)
class Usage:
    """Who uses a move: the working tree (and which origins it serves), protection paths."""

    tree: bool
    working: frozenset[str]
    protection: frozenset[str]

    @property
    def role(self) -> str:
        """working, protection, or shared (a working link a protection path also takes)."""
        if self.tree and self.protection:
            return "shared"
        return "working" if self.tree else "protection"


@dataclass(frozen=True)
class Link:
    """A run of cells (flat indices) from one node cell to another, with one usage."""

    cells: list[int]
    usage: Usage

    @property
    def ends(self) -> tuple[int, int]:
        """Its first and last cell."""
        return self.cells[0], self.cells[-1]


def served(tree_edges: list[tuple[int, int]], origins: dict[int, str], stations: set[int]):
    """Per tree edge, the origins whose way to some station of the tree takes it.

    Removing an edge splits a tree in two: an origin on one side uses the edge when a station
    lies on the other side.
    """
    adj = collections.defaultdict(list)
    for u, v in tree_edges:
        adj[u].append(v)
        adj[v].append(u)
    if not adj:
        return {}
    root = next(iter(origins)) if origins else next(iter(adj))
    order, parent = [root], {root: root}
    for u in order:  # breadth first: parents before children
        for v in adj[u]:
            if v not in parent:
                parent[v] = u
                order.append(v)
    below_o = {u: ({origins[u]} if u in origins else set()) for u in order}
    below_s = {u: int(u in stations) for u in order}
    for u in reversed(order[1:]):
        below_o[parent[u]] |= below_o[u]
        below_s[parent[u]] += below_s[u]
    all_o, n_s = set(origins.values()), len(stations)
    out = {}
    for u in order[1:]:
        users = (below_o[u] if n_s - below_s[u] > 0 else set()) | (
            all_o - below_o[u] if below_s[u] > 0 else set()
        )
        out[(min(u, parent[u]), max(u, parent[u]))] = frozenset(users)
    return out


def usages(
    tree_edges: list[tuple[int, int]],
    *,
    origins: dict[int, str],
    stations: set[int],
    protection: dict[str, list[int]],
) -> dict[tuple[int, int], Usage]:
    """Every move of the network, with its usage."""
    work = served(tree_edges, origins, stations)
    prot: dict[tuple[int, int], set[str]] = collections.defaultdict(set)
    for name, cells in protection.items():
        for u, v in zip(cells[:-1], cells[1:], strict=True):
            prot[(min(u, v), max(u, v))].add(name)
    keys = set(work) | set(prot)
    return {k: Usage(k in work, work.get(k, frozenset()), frozenset(prot.get(k, ()))) for k in keys}


def decompose(moves: dict[tuple[int, int], Usage], terminals: set[int]) -> tuple[set[int], list]:
    """The node cells, and the links between them.

    Nodes: the terminals, cells where other than two moves meet, and cells whose two moves are
    used differently.
    """
    adj = collections.defaultdict(list)
    for (u, v), use in moves.items():
        adj[u].append((v, use))
        adj[v].append((u, use))
    nodes = set(terminals) & set(adj)
    for u, nb in adj.items():
        if len(nb) != 2 or nb[0][1] != nb[1][1]:
            nodes.add(u)
    if not nodes and adj:  # a ring with no terminal on it: any cell is a node
        nodes.add(min(adj))
    links, seen = [], set()
    for start in sorted(nodes):
        for v, use in adj[start]:
            key = (min(start, v), max(start, v))
            if key in seen:
                continue
            seen.add(key)
            cells, prev, u = [start, v], start, v
            while u not in nodes:
                nxt = next(w for w, _ in adj[u] if w != prev)
                seen.add((min(u, nxt), max(u, nxt)))
                cells.append(nxt)
                prev, u = u, nxt
            links.append(Link(cells, use))
    return nodes, links


@dataclass(frozen=True)
class Graph:
    """Nodes (cell ids) and links (end nodes, km) for the cut analysis."""

    nodes: list[int]
    ends: list[tuple[int, int]]
    km: list[float]

    def km_from(self, source: int, *, without: set[int], closed: set[int]) -> np.ndarray:
        """Least km from ``source`` to every node; inf where cut off.

        The links of index in ``without`` and the nodes in ``closed`` are left out.
        """
        index = {n: i for i, n in enumerate(self.nodes)}
        rows, cols, vals = [], [], []
        for j, ((a, b), km) in enumerate(zip(self.ends, self.km, strict=True)):
            if j in without or a in closed or b in closed:
                continue
            rows += [index[a], index[b]]
            cols += [index[b], index[a]]
            vals += [max(km, 1e-9)] * 2
        n = len(self.nodes)
        m = sparse.csr_matrix((vals, (rows, cols)), shape=(n, n))
        if source in closed:
            return np.full(n, np.inf)
        return dijkstra(m, directed=True, indices=index[source])


@dataclass(frozen=True)
class Cut:
    """One element removed: which links and nodes go, and which submarine distances hold."""

    kind: str  # link, gateway, landing_station, cable
    name: str
    links: frozenset[int] = frozenset()
    nodes: frozenset[int] = frozenset()
    sea_km: dict | None = None  # station -> hub -> km, when a cable is cut; None: intact


def reach(
    g: Graph,
    cut: Cut,
    *,
    origins: dict[str, int],
    stations: dict[str, int],
    sea_km: dict[str, dict[str, float]],
) -> dict[str, tuple[list[str], dict[str, float]]]:
    """Per origin: the stations it still reaches over what survives ``cut``, and hub km.

    The hub km is the least end-to-end km to each hub (inf for a hub it no longer reaches).

    ``stations``: station id -> node; ``sea_km``: station id -> hub -> km by sea (of the
    intact cables; ``cut.sea_km`` replaces it when a cable is cut).
    """
    sea = sea_km if cut.sea_km is None else cut.sea_km
    hubs = sorted({h for s in sea_km.values() for h in s})
    index = {n: i for i, n in enumerate(g.nodes)}
    out = {}
    for name, node in origins.items():
        land = g.km_from(node, without=set(cut.links), closed=set(cut.nodes))
        alive = {s: land[index[n]] for s, n in stations.items() if np.isfinite(land[index[n]])}
        out[name] = (
            sorted(alive),
            {
                h: min(
                    (km + sea.get(s, {}).get(h, np.inf) for s, km in alive.items()), default=np.inf
                )
                for h in hubs
            },
        )
    return out
