"""The least-cost path kernel: Dijkstra on a raster, compiled with numba, GIL released.

Edge cost between neighbouring cells a and b (8-connectivity):

    0.5 · (rate[a] · s[a] + rate[b] · s[b]) · step_km  +  zone_penalty if zone[a] ≠ zone[b]

where ``rate`` is a cost per ground km, ``s`` converts grid distance to ground distance (1/k of a
conformal projection, 1 for a plain grid), and ``step_km`` is the cell size (× √2 diagonally).
With ``s = 1`` and no zones this is exactly scikit-image's ``MCP_Geometric``. Zones carry a fixed
cost per transition: a border crossing is paid once however the border runs across the grid.

The priority queue is an indexed binary heap with decrease-key, so memory is bounded (about 18
bytes per cell besides the inputs) and ties are broken by cell index: results are the same on
every run and every scheduler.
"""

from __future__ import annotations

import math

import numba
import numpy as np

DR = np.array([-1, -1, -1, 0, 0, 1, 1, 1], dtype=np.int64)
DC = np.array([-1, 0, 1, -1, 1, -1, 0, 1], dtype=np.int64)
NO_ZONE = 0
"""Zone value that never pays a transition (water, no country)."""


@numba.njit(inline="always")
def _less(dist, i, j):
    return dist[i] < dist[j] or (dist[i] == dist[j] and i < j)


@numba.njit(inline="always")
def _sift_up(heap, pos, dist, k):
    node = heap[k]
    while k > 0:
        parent = (k - 1) >> 1
        p = heap[parent]
        if _less(dist, node, p):
            heap[k] = p
            pos[p] = k
            k = parent
        else:
            break
    heap[k] = node
    pos[node] = k


@numba.njit(inline="always")
def _sift_down(heap, pos, dist, k, size):
    node = heap[k]
    while True:
        child = 2 * k + 1
        if child >= size:
            break
        right = child + 1
        if right < size and _less(dist, heap[right], heap[child]):
            child = right
        c = heap[child]
        if _less(dist, c, node):
            heap[k] = c
            pos[c] = k
            k = child
        else:
            break
    heap[k] = node
    pos[node] = k


@numba.njit(nogil=True, cache=True)
def _dijkstra(rate, inv, zone, zone_penalty, step_km, start, targets, dr, dc):
    nr, nc = rate.shape
    n = nr * nc
    ratef = rate.ravel()
    invf = inv.ravel()
    zonef = zone.ravel()
    dist = np.full(n, np.inf)
    pred = np.full(n, -1, dtype=np.int8)
    heap = np.empty(n, dtype=np.int32)
    pos = np.full(n, -1, dtype=np.int32)  # -1 unseen, -2 settled, >= 0 place in the heap
    is_target = np.zeros(n, dtype=np.bool_)
    remaining = 0
    for t in targets:
        if not is_target[t]:
            is_target[t] = True
            remaining += 1
    step = np.empty(8)
    for k in range(8):
        step[k] = step_km * (math.sqrt(2.0) if dr[k] != 0 and dc[k] != 0 else 1.0)
    dist[start] = 0.0
    heap[0] = start
    pos[start] = 0
    size = 1
    while size > 0:
        u = heap[0]
        size -= 1
        if size > 0:
            heap[0] = heap[size]
            pos[heap[0]] = 0
            _sift_down(heap, pos, dist, 0, size)
        pos[u] = -2
        if is_target[u]:
            remaining -= 1
            if remaining == 0:
                break
        ur, uc = u // nc, u % nc
        cu = ratef[u] * invf[u]
        du = dist[u]
        for k in range(8):
            vr, vc = ur + dr[k], uc + dc[k]
            if vr < 0 or vr >= nr or vc < 0 or vc >= nc:
                continue
            v = vr * nc + vc
            if pos[v] == -2:
                continue
            rv = ratef[v]
            if not (rv >= 0.0) or rv == np.inf:  # NaN, negative or inf: impassable
                continue
            nd = du + 0.5 * (cu + rv * invf[v]) * step[k]
            if zonef[u] != zonef[v] and zonef[u] != 0 and zonef[v] != 0:
                nd += zone_penalty
            if nd < dist[v]:
                dist[v] = nd
                pred[v] = k
                if pos[v] == -1:
                    heap[size] = v
                    pos[v] = size
                    size += 1
                _sift_up(heap, pos, dist, pos[v])
    return dist.reshape(nr, nc), pred.reshape(nr, nc)


def accumulate(
    rate: np.ndarray,
    start: tuple[int, int],
    targets: list[tuple[int, int]] = (),
    inv_scale: np.ndarray | None = None,
    zone: np.ndarray | None = None,
    zone_penalty: float = 0.0,
    step_km: float = 1.0,
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

    Returns
    -------
    dist : float64 array, inf where unreachable (or not settled before the targets were).
    pred : int8 array, index into (DR, DC) of the move that reached the cell, -1 for none.
    """
    rate = np.ascontiguousarray(rate, dtype=np.float64)
    if not rate[start] >= 0 or not np.isfinite(rate[start]):
        raise ValueError(f"start cell {start} is impassable")
    inv = (
        np.ones_like(rate)
        if inv_scale is None
        else np.ascontiguousarray(inv_scale, dtype=np.float64)
    )
    z = (
        np.zeros(rate.shape, dtype=np.int16)
        if zone is None
        else np.ascontiguousarray(zone, dtype=np.int16)
    )
    nc = rate.shape[1]
    flat_targets = np.array([r * nc + c for r, c in targets], dtype=np.int64)
    return _dijkstra(
        rate,
        inv,
        z,
        float(zone_penalty),
        float(step_km),
        start[0] * nc + start[1],
        flat_targets,
        DR,
        DC,
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
