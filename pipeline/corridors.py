"""Ground near a path: the cells within a distance of it, and the areas round its endpoints.

Distances are ground km at each cell's own scale. Results are sorted flat cell indices (a band
round a path costs its length × the disk, not the grid); ``member`` looks cells up in them.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from . import router

log = logging.getLogger(__name__)


NEAR_STRETCH = 256
"""Path cells stamped on one window: a window round a whole path would be the path's bounding
box (at 250 m, tens of millions of cells for a diagonal route)."""


def near_index(
    paths: list[np.ndarray],
    inv: np.ndarray,
    cell_km: float,
    *,
    within_km: float,
    inv_min: float | None = None,
) -> np.ndarray:
    """Flat indices (sorted) of the cells within ``within_km`` of ground of any path cell.

    A cell is near when its straight grid distance to the nearest path cell, in km at the
    cell's own ground scale, is below ``within_km`` (what a Euclidean distance transform of the
    paths gives, found by stamping a disk round each path cell on a window round each stretch of
    ``NEAR_STRETCH`` cells: a band round a path costs its length × the disk, not the grid or
    the path's bounding box). ``inv_min``: the grid's smallest ground scale, if known.
    """
    if not paths:
        return np.zeros(0, dtype=np.int64)
    inv_min = float(inv.min()) if inv_min is None else inv_min
    reach = math.ceil(within_km / (cell_km * inv_min)) + 1
    out = []
    for path in paths:
        for s0 in range(0, len(path), NEAR_STRETCH):
            cells = path[s0 : s0 + NEAR_STRETCH]
            lo = np.maximum(cells.min(axis=0) - reach, 0)
            hi = np.minimum(cells.max(axis=0) + reach + 1, inv.shape)
            near = np.zeros(hi - lo, dtype=bool)
            window = inv[lo[0] : hi[0], lo[1] : hi[1]]
            router.near_cells(cells - lo, window, cell_km, within_km, reach, near)
            rr, cc = np.nonzero(near)
            out.append((rr + lo[0]) * inv.shape[1] + (cc + lo[1]))
    return _sorted_unique(np.concatenate(out))


def endpoint_index(
    points: list[tuple[int, int]], inv: np.ndarray, cell_km: float, *, radius_km: float
) -> np.ndarray:
    """Flat indices (sorted) of the cells within ``radius_km`` of ground of any of the points."""
    out = []
    for r, c in points:
        reach = math.floor(radius_km / (cell_km * inv[r, c])) + 1
        r0, c0 = max(r - reach, 0), max(c - reach, 0)
        rows, cols = np.ogrid[
            r0 : min(r + reach + 1, inv.shape[0]), c0 : min(c + reach + 1, inv.shape[1])
        ]
        rr, cc = np.nonzero(np.hypot(rows - r, cols - c) * cell_km * inv[r, c] <= radius_km)
        out.append((rr + r0) * inv.shape[1] + (cc + c0))
    return _sorted_unique(np.concatenate(out)) if out else np.zeros(0, dtype=np.int64)


def _sorted_unique(flat: np.ndarray) -> np.ndarray:
    """``np.unique`` of cell indices, by a sort (numpy 2.4's ``unique`` takes 20× as long)."""
    flat = np.sort(flat)
    keep = np.ones(flat.size, dtype=bool)
    keep[1:] = flat[1:] != flat[:-1]
    return flat[keep]


def member(flat: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Whether each of ``flat`` is among the sorted ``index``."""
    if index.size == 0:
        return np.zeros(flat.shape, dtype=bool)
    pos = np.minimum(np.searchsorted(index, flat), index.size - 1)
    return index[pos] == flat
