"""Least-cost paths through a chain of waypoints on a scene: on the whole grid, or coarse to fine.

A ``Query`` is one search: the level of the grid (the fine grid, or a coarser one), the scene
(zone transition costs, moves), the chain of waypoints, the targets, and an overlay of cells
whose rate an alternative changes. ``route_chain`` answers it with one Dijkstra per leg
(``router.accumulate``), on the whole grid or inside a corridor found on the coarser level
(``route.method``). ``route_tree`` answers it with the least-cost tree joining the chain's cells
and some of the targets (``steiner.steiner_tree``, for the network stage), the same two ways.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from . import io, router, steiner
from .corridors import member
from .scene import Level, Scene

log = logging.getLogger(__name__)


Cell = tuple[int, int]
Found = tuple[np.ndarray, float]  # a path: (cells, cost)
Overlay = tuple[np.ndarray, np.ndarray]
"""Cells whose rate an alternative changes: sorted flat indices, and their rates (NaN: closed)."""


_WHOLE_GRID = io.lock_file("whole-grid")
"""Held by a fallback to the whole grid of a grid routed coarse to fine: one at a time on a
machine (threads, and a cluster's worker processes), as each holds about 17 bytes a cell (costs
and distances in float64, the moves: 5.3 GB at 250 m) where a corridor's search holds a
fraction. Measured at 250 m: two at once took the route stage to 17.8 GB."""


@dataclass(frozen=True, kw_only=True)
class Query:
    """One search: through ``chain``'s waypoints to each of ``targets`` on ``level``.

    ``scene`` gives the zone transition costs and the moves; ``ov`` changes the rate of some
    cells (an alternative's exclusions).
    """

    level: Level
    scene: Scene
    chain: list[Cell]
    targets: list[Cell]
    ov: Overlay | None = None


@dataclass(frozen=True)
class _Window:
    """A corridor: the coarse cells ``near`` (blocks of the level's factor) from (r0, c0)."""

    r0: int
    c0: int
    near: np.ndarray


def route_chain(q: Query) -> list[Found | None]:
    """Least-cost paths through the chain of waypoints to each target: (cells, cost) or None.

    On the level's rate with the overlay: on the whole grid, or coarse to fine when the level
    has a coarser one (``route.method``).
    """
    if q.level.coarse is None:
        return _whole_grid(q)
    return _coarse_to_fine(q)


def overlay(rate: np.ndarray, parts: list[tuple[np.ndarray, float]]) -> Overlay | None:
    """The cells of each part (flat indices) at ``rate`` × the part's factor.

    A factor of NaN closes the cells, and a closed cell stays closed whatever else it is in;
    elsewhere the first part holding a cell sets it.
    """
    parts = [(i, f) for i, f in parts if i.size]
    if not parts:
        return None
    order = sorted(range(len(parts)), key=lambda j: not np.isnan(parts[j][1]))  # closing first
    n = len(parts)
    key = np.sort(np.concatenate([parts[j][0] * n + rank for rank, j in enumerate(order)]))
    idx, rank = np.divmod(key, n)
    first = np.ones(idx.size, dtype=bool)
    first[1:] = idx[1:] != idx[:-1]
    idx, rank = idx[first], rank[first]
    factors = np.array([parts[j][1] for j in order], dtype=rate.dtype)
    return idx, rate.ravel()[idx] * factors[rank]


def _grower(
    q: Query,
    rate: np.ndarray,
    inv: np.ndarray | None,
    *,
    zone: np.ndarray,
    ov: Overlay | None = None,
) -> router.Grower:
    """The query's searches on ``rate`` (its level's moves, zone costs and step), prepared once."""
    return router.Grower(
        rate,
        inv_scale=inv,
        zone=zone,
        zone_penalty=q.scene.penalty,
        step_km=q.level.step_km,
        connectivity=q.scene.connectivity,
        overlay=ov,
    )


def _whole(q: Query) -> router.Grower:
    """The query's level, overlay applied, prepared for searches over the whole grid."""
    return _grower(q, q.level.rate, q.level.inv, zone=q.level.zone, ov=q.ov)


def _chain_paths(run, chain: list[Cell], targets: list[Cell]) -> list[Found | None]:
    """The legs' paths joined, from ``run(start, goals) -> (dist, pred)``: (cells, cost)."""
    cost_so_far = 0.0
    prefix = np.array(chain[:1], dtype=np.int64)
    for a, b in zip(chain[:-1], chain[1:], strict=True):
        dist, pred = run(a, [b])
        if not np.isfinite(dist[b]):
            return [None] * len(targets)
        prefix = np.concatenate([prefix, router.backtrack(pred, b)[1:]])
        cost_so_far += float(dist[b])
    dist, pred = run(chain[-1], targets)
    return [
        (np.concatenate([prefix, router.backtrack(pred, t)[1:]]), cost_so_far + float(dist[t]))
        if np.isfinite(dist[t])
        else None
        for t in targets
    ]


def _rates_at(
    rate: np.ndarray, ov: Overlay | None, rr: np.ndarray, *, cc: np.ndarray
) -> np.ndarray:
    """The rate of cells (rr, cc) with the overlay applied."""
    out = rate[rr, cc]
    if ov is not None and rr.size:
        flat = rr * rate.shape[1] + cc
        hit = member(flat, ov[0])
        out[hit] = ov[1][np.searchsorted(ov[0], flat[hit])]
    return out


def _whole_grid(q: Query) -> list[Found | None]:
    return _chain_paths(_whole(q).accumulate, q.chain, q.targets)


Parts = list[tuple[np.ndarray, int]]
"""A corridor: coarse cells (k × 2), each group with its half-width in coarse cells."""


def _corridor_blocks(parts: Parts) -> tuple[int, int, np.ndarray]:
    """Coarse cells within each part's width of its coarse cells: (row0, col0, mask)."""
    parts = [(c, w) for c, w in parts if len(c)]
    lo = np.maximum(np.min([c.min(axis=0) - w for c, w in parts], axis=0), 0)
    hi = np.max([c.max(axis=0) + w + 1 for c, w in parts], axis=0)
    near = np.zeros(hi - lo, dtype=bool)
    for cells, width in parts:
        on = np.zeros(hi - lo, dtype=bool)
        on[cells[:, 0] - lo[0], cells[:, 1] - lo[1]] = True
        near |= ndimage.distance_transform_cdt(~on, metric="chessboard") <= width
    return int(lo[0]), int(lo[1]), near


def _grown(parts: Parts, edge: np.ndarray, factor: int) -> tuple[np.ndarray, int]:
    """The part a corridor grows by round the fine ``edge`` cells where paths met its edge.

    Twice as wide as its widest part so far: growing only where a path met the edge keeps a
    long path's corridor narrow elsewhere (doubling it everywhere for one bend beyond the edge
    costs the whole corridor again).
    """
    return edge // factor, 2 * max(w for _, w in parts)


_NO_CELLS = np.zeros((0, 2), dtype=np.int64)


def _fine(near: np.ndarray, factor: int, shape: tuple[int, int], *, r0: int, c0: int) -> np.ndarray:
    """The coarse ``near`` on the fine cells of its window from (r0, c0), clipped to the grid."""
    fine = np.empty((near.shape[0], factor, near.shape[1], factor), dtype=bool)
    fine[...] = near[:, None, :, None]  # each coarse cell's value over its block, one pass
    fine = fine.reshape(near.shape[0] * factor, near.shape[1] * factor)
    return fine[: shape[0] - r0, : shape[1] - c0]


def _edge_cells(path: np.ndarray, win: _Window, q: Query) -> np.ndarray:
    """Cells beyond the corridor's edge that a path runs along and could step onto: (k, 2).

    Ground beyond is passable and in a zone the path's cell may move into (the far side of a
    border away from its gateways is not: a path along a border would otherwise widen its
    corridor every time the edge falls on the border).
    """
    rate, factor = q.level.rate, q.level.factor
    pr = np.repeat(path[:, 0], 8)
    pc = np.repeat(path[:, 1], 8)
    rr = (path[:, None, 0] + router.DR[None, :8]).ravel()
    cc = (path[:, None, 1] + router.DC[None, :8]).ravel()
    on_grid = (rr >= 0) & (rr < rate.shape[0]) & (cc >= 0) & (cc < rate.shape[1])
    pr, pc, rr, cc = pr[on_grid], pc[on_grid], rr[on_grid], cc[on_grid]
    br, bc = (rr - win.r0) // factor, (cc - win.c0) // factor
    inside = (br >= 0) & (br < win.near.shape[0]) & (bc >= 0) & (bc < win.near.shape[1])
    inside[inside] = win.near[br[inside], bc[inside]]
    pr, pc, rr, cc = pr[~inside], pc[~inside], rr[~inside], cc[~inside]
    beyond = _rates_at(rate, q.ov, rr, cc=cc)
    zone = q.level.zone
    table = router.penalty_table(q.scene.penalty, int(zone.max()) + 1)
    edge = (beyond >= 0) & np.isfinite(beyond) & np.isfinite(table[zone[pr, pc], zone[rr, cc]])
    return np.column_stack([rr[edge], cc[edge]])


def _open_ends(q: Query, cov: Overlay | None, cends: list[Cell]) -> Overlay | None:
    """The coarse overlay ``cov`` with the block of every endpoint (``cends``) passable.

    A block whose own zone's cells are closed (by an alternative's exclusion) can still hold an
    endpoint of another zone; the block then takes the endpoint's own rate.
    """
    level, coarse = q.level, q.level.coarse
    rr, cc = np.array(cends).T
    rates = _rates_at(coarse.rate, cov, rr, cc=cc)
    shut = ~(rates >= 0) | ~np.isfinite(rates)
    if not shut.any():
        return cov
    fr, fc = np.array(q.chain + q.targets)[shut].T
    vals = _rates_at(level.rate, q.ov, fr, cc=fc) * (
        1.0 if level.inv is None else level.inv[fr, fc]
    )
    idx = rr[shut] * coarse.rate.shape[1] + cc[shut]
    if cov is not None:  # the endpoints' values first, so they win
        idx, vals = np.concatenate([idx, cov[0]]), np.concatenate([vals, cov[1]])
    idx, first = np.unique(idx, return_index=True)  # a few cells
    return idx, vals[first].astype(coarse.rate.dtype)


def _coarse_query(q: Query) -> Query:
    """The same search on the coarser level: the chain and targets in its cells."""
    f, level, coarse = q.level.factor, q.level, q.level.coarse
    cov = None
    if q.ov is not None:
        cov = router.patch_blocks(
            level.rate, f, q.ov, inv_scale=level.inv, zones=(level.zone, coarse.zone)
        )
    cchain = [(r // f, c // f) for r, c in q.chain]
    ctargets = [(r // f, c // f) for r, c in q.targets]
    cov = _open_ends(q, cov, cchain + ctargets)
    return Query(level=coarse, scene=q.scene, chain=cchain, targets=ctargets, ov=cov)


def _coarse_to_fine(q: Query) -> list[Found | None]:
    """``route_chain`` searched only in a corridor around the same chain on the coarser level.

    The coarse level (see ``scene.pyramid``) keeps borders, landfalls and gateways, and an
    alternative's exclusions change only the blocks they touch (``router.patch_blocks``), so
    waypoints, several targets, barriers and exclusion masks all carry over; the coarse level
    is itself routed coarse to fine while it is larger than the coarsest size. The fine routing
    is exact inside the corridor. Where a path runs along the corridor's edge with open ground
    beyond it, the corridor grows there; where the coarse level (whose blocks can join ground
    a thin barrier parts on the fine grid) finds no way to a target, or the corridor holds
    none, a search from both ends without costs (``router.linked_path``) settles whether the
    fine grid has one: if not, the target is unreachable without pricing every cell the origin
    reaches; if so, the corridor takes in the way it found. After ``route.max_widenings`` such
    changes, the whole grid is searched.
    """
    _, width, widenings, _ = q.scene.c2f
    cpaths = route_chain(_coarse_query(q))
    out: list[Found | None] = [None] * len(q.targets)
    lost = {i for i, p in enumerate(cpaths) if p is None}
    extra: Parts = []  # what the corridor took in besides the coarse paths
    cut, ways = _ways_to(q, lost)
    if len(ways):
        extra.append((ways, width))
    kept = [i for i in range(len(q.targets)) if i not in cut]
    tries = widenings + 1
    while kept and tries:
        coarse = [cpaths[i][0] for i in kept if cpaths[i] is not None]
        parts = [(np.concatenate(coarse) if coarse else _NO_CELLS, width), *extra]
        sub = dataclasses.replace(q, targets=[q.targets[i] for i in kept])
        win, found = _in_corridor(sub, parts)
        missing = {i for i, p in zip(kept, found, strict=True) if p is None}
        if missing:
            cut, ways = _ways_to(q, missing)
            log.debug("route: %d of %d targets not in the corridor", len(missing), len(kept))
            if cut:  # unreachable on the fine grid too: settled, the corridor stays as it is
                kept = [i for i in kept if i not in cut]
                continue
            extra.append((ways, width))
        else:
            edge = np.concatenate([_edge_cells(p[0], win, q) for p in found])
            if not len(edge):
                for i, p in zip(kept, found, strict=True):
                    out[i] = p
                return out
            log.debug("route: paths run along the corridor's edge at %d cells", len(edge))
            extra.append(_grown(parts, edge, q.level.factor))
        tries -= 1
    if not kept:
        return out
    return _fallback(q, "the corridor held no way after route.max_widenings changes")


def route_tree(q: Query, *, n_optional: int, rounds: int) -> steiner.Tree | None:
    """``steiner.steiner_tree`` on the query's level: on the whole grid, or coarse to fine.

    For a tree, ``q.chain`` holds the cells it must join (in no order) and ``q.targets`` the
    optional ones, of which it joins ``n_optional``. Its cells are flat indices on the level.
    """
    if q.level.coarse is None:
        return _whole_tree(q, n_optional, rounds)
    return _tree_coarse_to_fine(q, n_optional=n_optional, rounds=rounds)


def _tree_in(q: Query, search, *, n_optional: int, rounds: int, win: _Window | None = None):
    """The tree on ``search``'s grid (the window ``win`` of the level, else the whole level)."""
    req, opt = q.chain, q.targets
    if win is not None:
        f = q.level.factor
        req = _local(win, req)
        opt = [
            (r, c)
            for r, c in _local(win, opt)
            if 0 <= r // f < win.near.shape[0]
            and 0 <= c // f < win.near.shape[1]
            and win.near[r // f, c // f]
        ]
    width = search.graph.cs.shape[1]
    found = steiner.steiner_tree(
        search.grow, width=width, required=req, optional=opt, n_optional=n_optional, rounds=rounds
    )
    if found is None or win is None:
        return found
    return found.moved(win.r0, win.c0, q.level.rate.shape[1])


def _tree_coarse_to_fine(q: Query, *, n_optional: int, rounds: int) -> steiner.Tree | None:
    """``route_tree`` searched only in a corridor around the tree on the coarser level.

    As ``_coarse_to_fine``: the corridor grows where the tree runs along its edge with open
    ground beyond; where the coarse level or the corridor cannot join the required cells, it
    takes in a way joining them (``router.linked_path``; none: no tree); where the tree joins
    fewer optional cells than the coarse tree, it doubles its width; after
    ``route.max_widenings`` such changes, the whole grid is searched. The fine tree is the
    heuristic's within the corridor, not the whole grid's: it may differ where a cheaper way
    runs outside.
    """
    _, width, widenings, _ = q.scene.c2f
    cq = _coarse_query(q)
    cq = dataclasses.replace(
        cq, chain=list(dict.fromkeys(cq.chain)), targets=list(dict.fromkeys(cq.targets))
    )
    coarse = route_tree(cq, n_optional=n_optional, rounds=rounds)
    parts: Parts = [(_NO_CELLS, width)]
    want = 0
    if coarse is None:
        ways = _joining(q)
        if ways is None:
            return None  # a required cell the fine grid cannot join either
        parts.append((ways, width))
    else:
        parts[0] = (np.array([coarse.rc(c) for c in coarse.cells()], dtype=np.int64), width)
        chosen = set(coarse.cells()) & {r * coarse.width + c for r, c in cq.targets}
        want = min(n_optional, len(chosen))
    opt = {r * q.level.rate.shape[1] + c for r, c in q.targets}
    for _ in range(widenings + 1):
        win, search = _corridor_graph(q, parts)
        found = _tree_in(q, search, n_optional=n_optional, rounds=rounds, win=win)
        if found is None:
            ways = _joining(q)
            if ways is None:
                return None
            parts.append((ways, width))
        elif len(set(found.cells()) & opt) < want:
            parts[0] = (parts[0][0], 2 * parts[0][1])
        else:
            cells = np.array([found.rc(c) for c in found.cells()], dtype=np.int64)
            edge = _edge_cells(cells, win, q)
            if not len(edge):
                return found
            parts.append(_grown(parts, edge, q.level.factor))
    why = "the corridor held no tree after route.max_widenings changes"
    return _tree_fallback(q, why, n_optional=n_optional, rounds=rounds)


def _joining(q: Query) -> np.ndarray | None:
    """The coarse cells of ways joining the chain's first cell to each other one, or None.

    None where one cannot be joined.
    """
    ways = _ways(q, [(q.chain[0], c) for c in q.chain[1:]])
    if any(w is None for w in ways):
        return None
    return np.concatenate(ways) // q.level.factor if ways else _NO_CELLS


def _tree_fallback(q: Query, why: str, *, n_optional: int, rounds: int) -> steiner.Tree | None:
    log.info("network: %s; searching the whole %d × %d grid", why, *q.level.rate.shape)
    with io.machine_lock(_WHOLE_GRID):
        return _whole_tree(q, n_optional, rounds)


def _whole_tree(q: Query, n_optional: int, rounds: int) -> steiner.Tree | None:
    return _tree_in(q, _whole(q), n_optional=n_optional, rounds=rounds)


def _fallback(q: Query, why: str) -> list[Found | None]:
    log.info("route: %s; searching the whole %d × %d grid", why, *q.level.rate.shape)
    with io.machine_lock(_WHOLE_GRID):
        return _whole_grid(q)


def _corridor_graph(q: Query, parts: Parts) -> tuple[_Window, router.Corridor | router.Grower]:
    """The query's level in the corridor ``parts`` mark on its coarse level, prepared for searches.

    A ``router.Corridor``; where its costs need the heap, a ``router.Grower`` on the window
    with every cell outside the corridor shut. Both take and give the window's cells.
    """
    level = q.level
    r0, c0, near = _corridor_blocks(parts)
    r0, c0, f = r0 * level.factor, c0 * level.factor, level.factor
    cells = None
    if q.ov is not None:
        rr, cc = np.divmod(q.ov[0], level.rate.shape[1])
        rr, cc = rr - r0, cc - c0
        at = (rr >= 0) & (rr < near.shape[0] * f) & (cc >= 0) & (cc < near.shape[1] * f)
        cells = (rr[at], cc[at], q.ov[1][at])
    search = router.Corridor(
        level.rate,
        level.inv,
        level.zone,
        r0=r0,
        c0=c0,
        near=near,
        factor=f,
        cells=cells,
        zone_penalty=q.scene.penalty,
        step_km=level.step_km,
        connectivity=q.scene.connectivity,
    )
    win = _Window(r0, c0, near)
    if search.ok:
        return win, search
    mask = _fine(near, f, level.rate.shape, r0=r0, c0=c0)
    r1, c1 = r0 + mask.shape[0], c0 + mask.shape[1]
    sub = np.where(mask, level.rate[r0:r1, c0:c1], np.nan)
    if cells is not None:
        inside = mask[cells[0], cells[1]]
        sub[cells[0][inside], cells[1][inside]] = cells[2][inside]
    inv = None if level.inv is None else level.inv[r0:r1, c0:c1]
    return win, _grower(q, sub, inv, zone=level.zone[r0:r1, c0:c1])


def _local(win: _Window, cells: list[Cell]) -> list[Cell]:
    return [(r - win.r0, c - win.c0) for r, c in cells]


def _in_corridor(q: Query, parts: Parts) -> tuple[_Window, list[Found | None]]:
    """The chain's paths on the query's level in the corridor ``parts`` mark.

    Returns the corridor and the paths, in the level's cells.
    """
    win, search = _corridor_graph(q, parts)
    found = _chain_paths(search.accumulate, _local(win, q.chain), _local(win, q.targets))
    return win, [None if p is None else (p[0] + [win.r0, win.c0], p[1]) for p in found]


def _ways(q: Query, ends: list[tuple[Cell, Cell]]) -> list[np.ndarray | None]:
    """For each pair of cells, a way between them on the query's level, or None.

    Found without pricing a cell (``router.linked_path``).
    """
    level = q.level
    closed = None if q.ov is None else q.ov[0][np.isnan(q.ov[1])]
    return [
        router.linked_path(
            level.rate,
            a,
            b,
            closed=closed,
            zone=level.zone,
            zone_penalty=q.scene.penalty,
            connectivity=q.scene.connectivity,
        )
        for a, b in ends
    ]


def _ways_to(q: Query, which: set[int]) -> tuple[set[int], np.ndarray]:
    """Of the targets ``which``: those the level cannot reach, and ways to the others.

    Unreachable: no path on the level reaches them (all, if a waypoint is cut off). Ways: the
    coarse cells of a way through the chain to each of the others.
    """
    if not which:
        return set(), _NO_CELLS
    legs = _ways(q, list(zip(q.chain[:-1], q.chain[1:], strict=True)))
    if any(w is None for w in legs):
        return set(which), _NO_CELLS
    order = sorted(which)
    last = _ways(q, [(q.chain[-1], q.targets[i]) for i in order])
    cut = {i for i, w in zip(order, last, strict=True) if w is None}
    found = [w for w in (*legs, *last) if w is not None]
    return cut, (np.concatenate(found) // q.level.factor if found else _NO_CELLS)
