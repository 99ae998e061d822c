"""Ground a corridor shares with an existing system: km within the separation of its routes.

Shared risk with a system already built is not diversity: a cut that takes out both is one
event. The measure is the alternatives' own (``score.shared_risk``): a step of a route counts as
shared when both its cells lie within ``separation_km`` of ground of any cell of the existing
system's routes, and its ground km are summed. Only the area round the common origin is left
out (``endpoint_radius_km``, as the router leaves it out between alternatives: one city has
many ways out); at a landing station both systems use, the station's risk is shared and
counted.

The network is every corridor route from one origin, each step of ground counted once however
many routes run along it (a trench is dug once).
"""

from __future__ import annotations

import numpy as np

from . import router
from .corridors import endpoint_index, member, near_index


def _steps(cells: np.ndarray) -> np.ndarray:
    """Each step of a cell path as (row_a, col_a, row_b, col_b), the smaller cell first."""
    a, b = cells[:-1], cells[1:]
    swap = (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))
    lo = np.where(swap[:, None], b, a)
    hi = np.where(swap[:, None], a, b)
    return np.hstack([lo, hi])


def union_steps(paths: list[np.ndarray]) -> np.ndarray:
    """The distinct steps of several cell paths, (n, 4): ground used by any, each once."""
    steps = [_steps(p) for p in paths if len(p) >= 2]
    if not steps:
        return np.zeros((0, 4), dtype=np.int64)
    return np.unique(np.vstack(steps), axis=0)


def steps_km(steps: np.ndarray, inv: np.ndarray, cell_km: float) -> np.ndarray:
    """Ground km of each step (the router's edge length)."""
    if len(steps) == 0:
        return np.zeros(0)
    # a, b of each step in turn: the router's edge length of moves a→b, taken every other one
    return router.edge_km(steps.reshape(-1, 2), inv, cell_km)[::2]


def shared_km(
    paths: list[np.ndarray],
    existing: list[np.ndarray],
    inv: np.ndarray,
    *,
    cell_km: float,
    separation_km: float,
    clear: np.ndarray | None = None,
) -> tuple[float, float]:
    """(ground km of ``paths``, of which km within ``separation_km`` of ``existing``).

    ``paths`` are cell paths, their ground taken once (a network); ``clear``: the cells left out
    (the origin's area; flat indices, sorted). A step is shared when both its cells are near
    the existing routes and neither is in ``clear``.
    """
    steps = union_steps(paths)
    if len(steps) == 0:
        return 0.0, 0.0
    km = steps_km(steps, inv, cell_km)
    if not existing:
        return float(km.sum()), 0.0
    near = near_index(existing, inv, cell_km, within_km=separation_km)
    hit = np.ones(len(steps), dtype=bool)
    for r, c in ((0, 1), (2, 3)):
        flat = steps[:, r] * inv.shape[1] + steps[:, c]
        hit &= member(flat, near) & (True if clear is None else ~member(flat, clear))
    return float(km.sum()), float(km[hit].sum())


def origin_area(
    origin_cell: tuple[int, int], inv: np.ndarray, *, cell_km: float, radius_km: float
) -> np.ndarray:
    """The origin's area, left out of the shared ground: its cells (flat, sorted) within reach.

    Within ``radius_km`` of ground of the origin.
    """
    return endpoint_index([origin_cell], inv, cell_km, radius_km=radius_km)
