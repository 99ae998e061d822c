"""The least-cost path kernel: Dijkstra on a raster, compiled with numba, GIL released.

Edge cost between neighbouring cells a and b (8-connectivity):

    0.5 · (rate[a] · s[a] + rate[b] · s[b]) · step_km  +  zone_penalty if zone[a] ≠ zone[b]

where ``rate`` is a cost per ground km, ``s`` converts grid distance to ground distance (1/k of a
conformal projection, 1 for a plain grid), and ``step_km`` is the cell size (× √2 diagonally).
With ``s = 1`` and no zones this is exactly scikit-image's ``MCP_Geometric``. Zones carry a fixed
cost per transition: a border crossing is paid once however the border runs across the grid.

The priority queue is an indexed 4-ary heap with decrease-key that holds the frontier only (it
grows on demand), so memory is about 13 bytes per cell besides the cost grid. The algorithm has
no randomness and no data-dependent parallelism: the same input gives the same paths on every
run and every scheduler.
"""

from __future__ import annotations

import math

import numba
import numpy as np

DR = np.array([-1, -1, -1, 0, 0, 1, 1, 1, -2, -2, -1, -1, 1, 1, 2, 2], dtype=np.int64)
DC = np.array([-1, 0, 1, -1, 1, -1, 0, 1, -1, 1, -2, 2, -2, 2, -1, 1], dtype=np.int64)
"""Moves: the 8 king's moves, then the 8 knight's moves used with 16-connectivity."""
NO_ZONE = 0
"""Zone value that never pays a transition (water, no country)."""


@numba.njit(inline="always")
def _sift_up(hk, hn, pos, k):
    key, node = hk[k], hn[k]
    while k > 0:
        parent = (k - 1) >> 2
        if key < hk[parent]:
            hk[k], hn[k] = hk[parent], hn[parent]
            pos[hn[k]] = k
            k = parent
        else:
            break
    hk[k], hn[k] = key, node
    pos[node] = k


@numba.njit(inline="always")
def _sift_down(hk, hn, pos, k, size):
    key, node = hk[k], hn[k]
    while True:
        first = 4 * k + 1
        if first >= size:
            break
        if first + 3 < size:  # four children: a tournament the CPU can run without branches
            b1 = first + 1 if hk[first + 1] < hk[first] else first
            b2 = first + 3 if hk[first + 3] < hk[first + 2] else first + 2
            best = b2 if hk[b2] < hk[b1] else b1
        else:
            best = first
            for c in range(first + 1, size):
                if hk[c] < hk[best]:
                    best = c
        if hk[best] < key:
            hk[k], hn[k] = hk[best], hn[best]
            pos[hn[k]] = k
            k = best
        else:
            break
    hk[k], hn[k] = key, node
    pos[node] = k


@numba.njit(nogil=True, cache=True)
def _dijkstra(cs, zone, penalty, use_zone, step_km, start, targets, n_moves, dist, pred, pos):
    """Dijkstra over ``cs`` (rate × ground scale; NaN, inf, < 0 impassable); see ``accumulate``."""
    nr, nc = cs.shape
    n = nr * nc
    csf = cs.ravel()
    zf = zone.ravel()
    dist = np.full(n, np.inf)  # inf: never reached, so not in the heap
    pred = np.full(n, -1, dtype=np.int8)
    pos = np.full(n, -1, dtype=np.int32)  # -1 unseen, -2 settled, >= 0 place in the heap
    bits = np.zeros((n + 7) // 8, dtype=np.uint8)  # target cells
    remaining = 0
    for t in targets:
        if not bits[t >> 3] & (1 << (t & 7)):
            bits[t >> 3] |= 1 << (t & 7)
            remaining += 1
    dr = DR[:n_moves]
    dc = DC[:n_moves]
    off = dr * nc + dc
    length = np.empty(n_moves)
    for k in range(n_moves):
        length[k] = step_km * math.sqrt(dr[k] * dr[k] + dc[k] * dc[k])
    margin = 1 if n_moves == 8 else 2
    cap = 1024
    hk = np.empty(cap)  # the heap holds the frontier only: it grows when needed
    hn = np.empty(cap, dtype=np.int32)
    dist[start] = 0.0
    hk[0], hn[0] = 0.0, start
    pos[start] = 0
    size = 1
    while size > 0:
        u = hn[0]
        du = hk[0]
        size -= 1
        if size > 0:
            hk[0], hn[0] = hk[size], hn[size]
            _sift_down(hk, hn, pos, 0, size)
        pos[u] = -2
        if remaining > 0 and bits[u >> 3] & (1 << (u & 7)):
            remaining -= 1
            if remaining == 0:
                break
        ur, uc = u // nc, u % nc
        interior = margin <= ur < nr - margin and margin <= uc < nc - margin
        cu = csf[u]
        for k in range(n_moves):
            if interior:
                v = u + off[k]
            else:
                vr, vc = ur + dr[k], uc + dc[k]
                if vr < 0 or vr >= nr or vc < 0 or vc >= nc:
                    continue
                v = vr * nc + vc
            if pos[v] == -2:
                continue
            cv = csf[v]
            if not (cv >= 0.0 and cv < np.inf):  # NaN, inf or negative: impassable
                continue
            if k < 8:
                nd = du + 0.5 * (cu + cv) * length[k]
            else:
                # a knight's move crosses the two cells between; it may not jump a barrier
                a = u + (dr[k] // 2) * nc + dc[k] // 2 if abs(dr[k]) == 2 else u + dc[k] // 2
                b = v - (dr[k] // 2) * nc - dc[k] // 2 if abs(dr[k]) == 2 else v - dc[k] // 2
                ca, cb = csf[a], csf[b]
                if not (ca >= 0.0 and ca < np.inf and cb >= 0.0 and cb < np.inf):
                    continue
                nd = du + 0.25 * (cu + ca + cb + cv) * length[k]
            if use_zone and zf[u] != zf[v] and zf[u] != 0 and zf[v] != 0:
                nd += penalty
            if nd < dist[v]:
                p = pos[v]
                dist[v] = nd
                pred[v] = k
                if p == -1:
                    if size == cap:
                        cap *= 2
                        hk2 = np.empty(cap)
                        hn2 = np.empty(cap, dtype=np.int32)
                        hk2[:size] = hk[:size]
                        hn2[:size] = hn[:size]
                        hk, hn = hk2, hn2
                    p = size
                    hn[p] = v
                    size += 1
                hk[p] = nd
                _sift_up(hk, hn, pos, p)
    return dist.reshape(nr, nc), pred.reshape(nr, nc)


def accumulate(
    rate: np.ndarray,
    start: tuple[int, int],
    targets: list[tuple[int, int]] = (),
    inv_scale: np.ndarray | None = None,
    zone: np.ndarray | None = None,
    zone_penalty: float = 0.0,
    step_km: float = 1.0,
    connectivity: int = 8,
) -> tuple[np.ndarray, np.ndarray]:
    """Accumulated least cost from ``start`` to every cell, and each cell's predecessor move.

    Parameters
    ----------
    rate : 2-D float array
        Cost per ground km of each cell; NaN, inf or negative cells are impassable.
    start : (row, col)
        Source cell; it must be passable.
    targets : list of (row, col)
        Stop once all are settled (all cells when empty).
    inv_scale : 2-D float array, optional
        Ground km per grid km of each cell (default 1).
    zone : 2-D int array, optional
        Zone id per cell; moving between two non-zero zones adds ``zone_penalty``.
    step_km : float
        Cell size in grid km.
    connectivity : 8 or 16
        King's moves, or king's and knight's moves (a knight's move is priced over the four
        cells it touches and may not pass an impassable one).

    Returns
    -------
    dist : float64 array, inf where unreachable (or not settled before the targets were).
    pred : int8 array, index into (DR, DC) of the move that reached the cell, -1 for none.
    """
    if connectivity not in (8, 16):
        raise ValueError(f"connectivity must be 8 or 16, got {connectivity}")
    cs = np.ascontiguousarray(rate, dtype=np.float64)
    if inv_scale is not None:
        cs = cs * inv_scale
    if not (cs[start] >= 0 and np.isfinite(cs[start])):
        raise ValueError(f"start cell {start} is impassable")
    use_zone = zone is not None
    z = np.ascontiguousarray(zone, dtype=np.int16) if use_zone else np.zeros((1, 1), dtype=np.int16)
    nc = cs.shape[1]
    flat_targets = np.array([r * nc + c for r, c in targets], dtype=np.int64)
    # allocated here, not in the kernel: numpy asks Linux for huge pages on large arrays,
    # which spares the TLB misses of a wavefront that touches thousands of rows at once
    n = cs.size
    dist = np.full(n, np.inf)
    pred = np.full(n, -1, dtype=np.int8)
    pos = np.full(n, -1, dtype=np.int32)
    return _dijkstra(
        cs,
        z,
        float(zone_penalty),
        use_zone,
        float(step_km),
        start[0] * nc + start[1],
        flat_targets,
        connectivity,
        dist,
        pred,
        pos,
    )


def backtrack(pred: np.ndarray, target: tuple[int, int]) -> np.ndarray:
    """Cells (N × 2 array of row, col) of the least-cost path from the start to ``target``."""
    r, c = target
    cells = [(r, c)]
    while pred[r, c] >= 0:
        k = pred[r, c]
        r, c = r - DR[k], c - DC[k]
        cells.append((r, c))
    return np.array(cells[::-1], dtype=np.int64)


def _steps(cells: np.ndarray, step_km: float) -> np.ndarray:
    diag = (np.abs(np.diff(cells[:, 0])) + np.abs(np.diff(cells[:, 1]))) == 2
    return np.where(diag, math.sqrt(2.0), 1.0) * step_km


def edge_km(cells: np.ndarray, inv_scale: np.ndarray, step_km: float) -> np.ndarray:
    """Ground km of each step of a cell path (N-1 values)."""
    s = inv_scale[cells[:, 0], cells[:, 1]]
    return 0.5 * (s[:-1] + s[1:]) * _steps(cells, step_km)


def path_sums(
    cells: np.ndarray, rate: np.ndarray, inv_scale: np.ndarray, step_km: float
) -> tuple[float, float]:
    """(cost, ground km) along a cell path, with the router's edge formula (no zone costs)."""
    s = inv_scale[cells[:, 0], cells[:, 1]]
    cs = rate[cells[:, 0], cells[:, 1]] * s
    cost = float(np.sum(0.5 * (cs[:-1] + cs[1:]) * _steps(cells, step_km)))
    return cost, float(edge_km(cells, inv_scale, step_km).sum())
