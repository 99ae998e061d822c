"""A least-cost tree on the grid joining terminals: the shortest-path Steiner heuristic.

The working network of a plan joins every origin to at least ``n`` landing stations, and a
cell built once is paid once: a Steiner tree in the grid graph (the router's moves and costs),
with the stations to join chosen among the candidates. The exact problem is NP-hard; this is
the shortest-path heuristic of Takahashi and Matsuyama (1980, "An approximate solution for the
Steiner problem in graphs", Math. Japonica 24): the tree grows from one terminal, each time by
the least-cost path from the whole tree to the nearest terminal not yet in it (one Dijkstra
from every cell of the tree at once, ``router.Grower``), at most twice the optimum. It is run from
every terminal as the root, the cheapest tree kept (the repetitive variant of Winter and Smith
1992, "Path-distance heuristics for the Steiner problem in undirected networks", Algorithmica
7), then improved by key-path exchange (after Verhoeven, Severens and Aarts 1996): a key path
(a run between terminals and junctions) is removed and its two sides joined again by the
cheapest path between them (a side that is one candidate station may be replaced by another
candidate), until no exchange saves anything. On tiny grids against the exact tree (Dreyfus
and Wagner 1971, tests/test_network.py) it is within 5 % with the terminals given, 9 % choosing
the stations, and exact in most cases.

A tree here is its edges between neighbouring cells (flat indices), each with the cost the
router charges for the move (rate, ground scale, zone transitions).
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import router

Cell = tuple[int, int]
Search = Callable[[list[Cell], list[Cell]], tuple[np.ndarray, np.ndarray]]
"""``search(starts, targets) -> (dist, pred)``: ``router.Grower.grow`` on a whole grid, or
``router.Corridor.grow`` in a corridor of it (``search.route_tree``)."""

SAVING_TOL = 1e-9
"""Relative saving below which an exchange is not taken (float noise, not a better tree)."""


@dataclass
class Tree:
    """A tree of grid moves: edges (u, v), u < v, flat cell indices, with their cost."""

    width: int
    edges: dict[tuple[int, int], float] = field(default_factory=dict)
    root: int = -1  # the only cell of a tree without edges

    @property
    def cost(self) -> float:
        """What building every edge costs: each once."""
        return float(sum(self.edges.values()))

    def cells(self) -> list[int]:
        """Every cell of the tree (flat), sorted."""
        if not self.edges:
            return [] if self.root < 0 else [self.root]
        return sorted({c for e in self.edges for c in e})

    def adjacency(self) -> dict[int, list[int]]:
        """Each cell's neighbours in the tree."""
        adj: dict[int, list[int]] = collections.defaultdict(list)
        for u, v in self.edges:
            adj[u].append(v)
            adj[v].append(u)
        return adj

    def rc(self, flat: int) -> Cell:
        """(row, col) of a flat index."""
        return divmod(int(flat), self.width)

    def copy(self) -> Tree:
        """An independent copy."""
        return Tree(self.width, dict(self.edges), self.root)

    def moved(self, r0: int, c0: int, width: int) -> Tree:
        """The tree on a grid ``width`` wide whose cell (``r0``, ``c0``) is this grid's first."""

        def flat(x: int) -> int:
            r, c = divmod(x, self.width)
            return (r + r0) * width + c + c0  # keeps u < v

        edges = {(flat(u), flat(v)): cost for (u, v), cost in self.edges.items()}
        return Tree(width, edges, flat(self.root) if self.root >= 0 else -1)

    def attach(self, cells: np.ndarray, dist: np.ndarray) -> None:
        """Add a path ``router.Grower`` found (cells from the tree out), each move at its cost."""
        flat = cells[:, 0] * self.width + cells[:, 1]
        d = dist[cells[:, 0], cells[:, 1]]
        for a, b, da, db in zip(flat[:-1], flat[1:], d[:-1], d[1:], strict=True):
            self.edges[(min(a, b), max(a, b))] = float(db - da)

    def path(self, a: int, b: int) -> list[int]:
        """The cells of the tree's one path from ``a`` to ``b`` (flat), or [] if not joined."""
        adj = self.adjacency()
        prev = {a: a}
        todo = collections.deque([a])
        while todo:
            u = todo.popleft()
            if u == b:
                break
            for v in adj.get(u, ()):
                if v not in prev:
                    prev[v] = u
                    todo.append(v)
        if b not in prev:
            return []
        out = [b]
        while out[-1] != a:
            out.append(prev[out[-1]])
        return out[::-1]

    def path_cost(self, cells: list[int]) -> float:
        """The cost of a path of the tree's cells."""
        return float(
            sum(
                self.edges[(min(u, v), max(u, v))]
                for u, v in zip(cells[:-1], cells[1:], strict=True)
            )
        )


def _grow_to(search: Search, tree: Tree, targets: list[int]) -> int | None:
    """Join the target nearest the tree by its least-cost path; the target, or None if none."""
    starts = [tree.rc(c) for c in tree.cells()]
    dist, pred = search(starts, [tree.rc(t) for t in targets])
    costs = [dist[tree.rc(t)] for t in targets]
    best = int(np.argmin(costs))
    if not np.isfinite(costs[best]):
        return None
    t = targets[best]
    tree.attach(router.backtrack(pred, tree.rc(t)), dist)
    return t


def shortest_path_tree(
    search: Search,
    *,
    width: int,
    root: int,
    required: list[int],
    optional: list[int],
    n_optional: int,
) -> Tree | None:
    """Takahashi–Matsuyama from ``root``: every required cell and ``n_optional`` of the others.

    None when a required terminal cannot be joined. Fewer optional terminals are joined when
    fewer can be reached.
    """
    tree = Tree(width=width, root=root)
    need = [t for t in required if t != root]
    chosen: list[int] = [root] if root in optional else []
    while need or len(chosen) < n_optional:
        room = len(chosen) < n_optional
        cells = set(tree.cells())
        cands = need + ([t for t in optional if t not in cells and t not in chosen] if room else [])
        if not cands:
            break
        t = _grow_to(search, tree, cands)
        if t is None:
            if need:
                return None
            break
        for c in set(tree.cells()):  # a terminal the path passed is joined too
            if c in need:
                need.remove(c)
            elif room and c in optional and c not in chosen and len(chosen) < n_optional:
                chosen.append(c)
    return tree


def _prune(tree: Tree, terminals: set[int]) -> None:
    """Remove branches that end in a cell that is not a terminal (they join nothing)."""
    adj = tree.adjacency()
    leaves = [c for c, n in adj.items() if len(n) == 1 and c not in terminals]
    while leaves:
        c = leaves.pop()
        if c not in adj or len(adj[c]) != 1:
            continue
        (v,) = adj.pop(c)
        del tree.edges[(min(c, v), max(c, v))]
        adj[v].remove(c)
        if len(adj[v]) == 1 and v not in terminals:
            leaves.append(v)
        elif not adj[v]:
            adj.pop(v)
            tree.root = v


def _key_paths(tree: Tree, terminals: set[int]) -> list[list[int]]:
    """The tree's key paths: runs of cells between terminals and junctions (degree not 2)."""
    adj = tree.adjacency()
    keys = {c for c, n in adj.items() if c in terminals or len(n) != 2}
    out, seen = [], set()
    for k in sorted(keys):
        for v in adj[k]:
            if (min(k, v), max(k, v)) in seen:
                continue
            path, prev = [k, v], k
            seen.add((min(k, v), max(k, v)))
            while path[-1] not in keys:
                u = path[-1]
                nxt = next(w for w in adj[u] if w != prev)
                seen.add((min(u, nxt), max(u, nxt)))
                path.append(nxt)
                prev = u
            out.append(path)
    return out


def _side(tree: Tree, cell: int) -> set[int]:
    """The cells joined to ``cell`` in the tree (itself when it has no edge)."""
    adj = tree.adjacency()
    seen, todo = {cell}, [cell]
    while todo:
        for v in adj.get(todo.pop(), ()):
            if v not in seen:
                seen.add(v)
                todo.append(v)
    return seen


def _without(tree: Tree, path: list[int]) -> Tree:
    out = tree.copy()
    for u, v in zip(path[:-1], path[1:], strict=True):
        del out.edges[(min(u, v), max(u, v))]
    return out


def _exchange(search: Search, tree: Tree, key: list[int], *, optional: set[int]) -> Tree | None:
    """The tree with ``key`` replaced by the cheapest path joining its two sides, pruned.

    A side that is one optional terminal may be joined by another optional terminal not in the
    tree instead (the optimiser's choice of station). None when the sides cannot be joined.
    """
    rest = _without(tree, key)
    a, b = _side(rest, key[0]), _side(rest, key[-1])
    if len(a) < len(b):
        a, b = b, a
    targets = sorted(b)
    if len(b) == 1 and targets[0] in optional:
        inside = set(tree.cells())
        targets += sorted(c for c in optional if c not in inside)
    dist, pred = search([rest.rc(c) for c in sorted(a)], [rest.rc(c) for c in targets])
    costs = [dist[rest.rc(c)] for c in targets]
    best = int(np.argmin(costs))
    if not np.isfinite(costs[best]):
        return None
    rest.attach(router.backtrack(pred, rest.rc(targets[best])), dist)
    return rest


def improve(
    search: Search, tree: Tree, *, required: list[int], optional: list[int], rounds: int
) -> Tree:
    """Key-path exchange: a key path replaced by the cheapest join of its two sides.

    Exchanges are taken while one saves anything, at most ``rounds`` of them.
    """
    opt = set(optional)
    for _ in range(rounds):
        better = False
        terminals = set(required) | (set(tree.cells()) & opt)
        for key in _key_paths(tree, terminals):
            new = _exchange(search, tree, key, optional=opt)
            if new is None:
                continue
            _prune(new, set(required) | (set(new.cells()) & opt))
            if new.cost < tree.cost * (1.0 - SAVING_TOL):
                tree, better = new, True
                break  # the key paths changed: look again
        if not better:
            return tree
    return tree


def steiner_tree(
    search: Search,
    *,
    width: int,
    required: list[Cell],
    optional: list[Cell],
    n_optional: int,
    rounds: int,
) -> Tree | None:
    """The cheapest tree found joining every ``required`` cell and ``n_optional`` optional ones.

    Takahashi–Matsuyama from each terminal as the root, the cheapest kept, then
    ``improve``d. None when the required cells cannot all be joined.
    """
    req = [r * width + c for r, c in required]
    opt = [r * width + c for r, c in optional if r * width + c not in req]
    best = None
    for root in dict.fromkeys(req + opt):
        tree = shortest_path_tree(
            search, width=width, root=root, required=req, optional=opt, n_optional=n_optional
        )
        if tree is not None:
            _prune(tree, set(req) | {c for c in tree.cells() if c in opt})
            if best is None or tree.cost < best.cost:
                best = tree
    if best is None:
        return None
    return improve(search, best, required=req, optional=opt, rounds=rounds)
