"""The router against its peers' own test cases: scikit-image's MCP and GRASS's r.cost.

Our edge cost is scikit-image's ``MCP_Geometric``: the mean of the two cells' costs times the
step length (1, or √2 diagonally), 8 neighbours; negative and infinite cells are impassable.
One difference: MCP_Geometric cuts corners (a diagonal step between two barriers that touch at
a corner), the router does not. No ported case below has such a step to take (checked: each
passes unchanged) but the random grids of ``test_router_equals_skimage_mcp_geometric``, whose
expected values are adjusted.
GRASS's r.cost prices a move the same way, and its knight's move (``-k``) as our 16-connected
one: the mean of the four cells it touches times √5.

Ported from scikit-image's ``skimage/graph/tests/test_mcp.py``, with their expected values:

- ``test_route`` (``route_through_array(..., geometric=True)``: MCP_Geometric): cost and path.
- ``test_neg_inf``: negative and infinite cells as barriers; costs and path. Its expected
  values are 0 or inf, the same for plain MCP and for MCP_Geometric.
- ``test_crashing``: random 100 × 100 grids, several starts, ends and tracebacks; there it
  only checks nothing crashes, here the costs are also checked against MCP_Geometric and
  scipy. skimage's start (-1, -1) (numpy's last cell) is our (99, 99); ours refuses -1.

Not ported:

- ``test_basic``: its costs are plain MCP's (the sum of the costs of the cells entered, with
  no step length), not ours. Its path is ``test_route``'s (ported); on its grid we check the
  MCP_Geometric costs instead, derived by hand, and against scikit-image itself.
- ``test_no_diagonal`` (4-connectivity) and ``test_offsets`` (arbitrary moves): moves the
  router does not have (8 or 16 neighbours only).
- ``test_crashing``'s 4-D grids: the router is 2-D.
- ``test_anisotropy.py``: several starts at once and a different cell size per axis.

From GRASS's r.cost manual (``raster/r.cost/r.cost.html``): the 6 × 7 example, with and
without the knight's move, to r.cost's integer output (``(CELL)(cost + .5)``, main.c).
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from test_router import KING, reference

from pipeline import router

mcp = pytest.importorskip("skimage.graph.mcp")

# scikit-image's test grid: ones, with a free "L" of zeros along row 1 and column 1
A = np.ones((8, 8), dtype=np.float32)
A[1:-1, 1] = 0
A[1, 1:-1] = 0

MCP_PATH = [(1, 6), (1, 5), (1, 4), (1, 3), (1, 2), (2, 1), (3, 1), (4, 1), (5, 1), (6, 1)]
"""test_route's and test_neg_inf's path, to (7, 2) and to (6, 1)."""


def test_skimage_route():
    """test_route: MCP_Geometric from (1, 6) to (7, 2) along the free L, one diagonal off it."""
    dist, pred = router.accumulate(A, (1, 6), [(7, 2)])
    assert dist[7, 2] == pytest.approx(np.sqrt(2) / 2, abs=1e-7)  # assert_almost_equal
    np.testing.assert_array_equal(router.backtrack(pred, (7, 2)), MCP_PATH + [(7, 2)])


@pytest.mark.parametrize("barrier", [-1, np.inf])
def test_skimage_neg_inf(barrier):
    """test_neg_inf: every cell but the free L is a barrier (negative, or infinite)."""
    grid = np.where(A == 1, barrier, 0)
    dist, pred = router.accumulate(grid, (1, 6))
    np.testing.assert_array_equal(dist, np.where(A == 1, np.inf, 0))
    np.testing.assert_array_equal(router.backtrack(pred, (6, 1)), MCP_PATH)


def test_skimage_basic_grid_geometric():
    """test_basic's grid and start, priced as MCP_Geometric (test_basic's own costs are plain
    MCP's). Off the free L a cell is half a unit step (0.5) or half a diagonal (√2/2) from it,
    and then unit steps: so 0.5 + (min(r, c) - 2) inside, √2/2 + (c - 2) along row 7."""
    h = np.sqrt(2) / 2
    expected = np.zeros((8, 8))
    for r in range(8):
        for c in range(8):
            if A[r, c] == 0:
                continue
            if r == 0 or c == 0:  # beyond the L's outer side: a step off it, or a diagonal
                along = c if r == 0 else r
                expected[r, c] = 0.5 if 1 <= along <= 6 else h
            elif r == 7 or c == 7:  # beyond its ends: a diagonal off (6, 1) or (1, 6), then on
                expected[r, c] = 0.5 if min(r, c) == 1 else h + (min(r, c) - 2)
            else:
                expected[r, c] = 0.5 + (min(r, c) - 2)
    dist, pred = router.accumulate(A, (1, 6))
    np.testing.assert_allclose(dist, expected, rtol=1e-15)
    np.testing.assert_array_equal(router.backtrack(pred, (7, 2)), MCP_PATH + [(7, 2)])
    costs, _ = mcp.MCP_Geometric(A, fully_connected=True).find_costs([(1, 6)])
    np.testing.assert_allclose(dist, costs, rtol=1e-15)


@pytest.mark.parametrize("seed", range(5))
def test_skimage_crashing(seed):
    """test_crashing, 2-D: random float32 costs on 100 × 100, starts at the corners and a
    random cell, four ends, four random tracebacks; the costs those of MCP_Geometric (one
    search per start: the router has one start) and the paths end to end."""
    rng = np.random.default_rng(seed)
    shape = (100, 100)
    a = rng.random(shape).astype(np.float32)
    starts = [(0, 0), (99, 99), tuple(int(x) for x in rng.random(2) * shape)]
    ends = [tuple(int(x) for x in rng.random(2) * shape) for _ in range(4)]
    points = [tuple(int(x) for x in rng.random(2) * shape) for _ in range(4)]
    with pytest.raises(ValueError, match="outside"):
        router.accumulate(a, (-1, -1))  # skimage's last cell: ours refuses it
    for start in starts:
        dist, pred = router.accumulate(a, start)
        costs, _ = mcp.MCP_Geometric(a, fully_connected=True).find_costs([start])
        np.testing.assert_allclose(dist, costs, rtol=1e-12)
        for p in points:
            cells = router.backtrack(pred, p)
            assert tuple(cells[0]) == start and tuple(cells[-1]) == p
            assert np.all(np.abs(np.diff(cells, axis=0)) <= 1)
            cost, _ = router.path_sums(cells, a.astype(np.float64), np.ones(shape), step_km=1.0)
            assert cost == pytest.approx(dist[p], rel=1e-12)
        to_ends, pred_ends = router.accumulate(a, start, ends)  # stops at the ends
        for e in ends:
            assert to_ends[e] == dist[e]
            np.testing.assert_array_equal(router.backtrack(pred_ends, e), router.backtrack(pred, e))
    # and one start against an independent Dijkstra
    ref = reference(a.astype(np.float64), np.ones(shape), np.zeros(shape, int), 0, 1.0, (0, 0))
    dist, _ = router.accumulate(a, (0, 0))
    np.testing.assert_allclose(dist, ref, rtol=1e-12)


@settings(max_examples=100, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(2, 12), st.integers(2, 12)),
        elements=st.one_of(st.floats(1e-3, 1e3), st.just(np.inf), st.just(-1.0)),
    ),
    st.data(),
)
def test_router_equals_skimage_mcp_geometric(rate, data):
    """Random grids with infinite and negative barriers: MCP_Geometric's costs where there is
    no corner to cut. Adjusted from the plain equality: MCP_Geometric takes a diagonal step
    between two barriers that touch at a corner, the router does not (see its docstring). On
    grids where two such barriers exist, the router is never cheaper and never reaches a cell
    MCP does not, and its costs are scipy's on the graph without those steps."""
    start = (
        data.draw(st.integers(0, rate.shape[0] - 1)),
        data.draw(st.integers(0, rate.shape[1] - 1)),
    )
    rate[start] = data.draw(st.floats(1e-3, 1e3))
    dist, _ = router.accumulate(rate, start)
    costs, _ = mcp.MCP_Geometric(rate, fully_connected=True).find_costs([start])
    bar = ~((rate >= 0) & np.isfinite(rate))
    corners = (bar[:-1, :-1] & bar[1:, 1:]) | (bar[:-1, 1:] & bar[1:, :-1])
    ok = np.isfinite(costs)
    if not corners.any():
        assert np.array_equal(np.isfinite(dist), ok)
        np.testing.assert_allclose(dist[ok], costs[ok], rtol=1e-12)
    else:
        assert not np.any(np.isfinite(dist) & ~ok)
        assert np.all(dist[ok] >= costs[ok] * (1 - 1e-12))
    zone = np.zeros(rate.shape, int)
    ref = reference(np.where(bar, np.nan, rate), np.ones_like(rate), zone, 0, 1.0, start)
    assert np.array_equal(np.isfinite(dist), np.isfinite(ref))
    np.testing.assert_allclose(dist[np.isfinite(ref)], ref[np.isfinite(ref)], rtol=1e-12)


# --- GRASS r.cost: the manual's example ----------------------------------------------------

GRASS_COST = np.array(
    [
        [2, 2, 1, 1, 5, 5, 5],
        [2, 2, 8, 8, 5, 2, 1],
        [7, 1, 1, 8, 2, 2, 2],
        [8, 7, 8, 8, 8, 8, 5],
        [8, 8, 1, 1, 5, 3, 9],
        [8, 1, 1, 2, 5, 3, 9],
    ],
    dtype=float,
)
GRASS_START = (4, 5)
"""The boxed 3: the manual's start (it calls it the ending location)."""

GRASS_8 = np.array(
    [
        [22, 21, 21, 20, 17, 15, 14],
        [20, 19, 22, 20, 15, 12, 11],
        [22, 18, 17, 18, 13, 11, 9],
        [21, 14, 13, 12, 8, 6, 6],
        [16, 13, 8, 7, 4, 0, 6],
        [14, 9, 8, 9, 6, 3, 8],
    ]
)
"""The manual's output without the knight's move."""

GRASS_16 = np.array(
    [
        [21, 21, 20, 19, 17, 15, 14],
        [20, 19, 22, 19, 15, 12, 11],
        [22, 18, 17, 17, 12, 11, 9],
        [21, 14, 13, 12, 8, 6, 6],
        [16, 13, 8, 7, 4, 0, 6],
        [14, 9, 8, 9, 6, 3, 8],
    ]
)
"""The manual's output with the knight's move (``-k``)."""


def grass_cell(cost: np.ndarray) -> np.ndarray:
    """r.cost's integer output of a cost: ``(CELL)(min_cost + .5)`` (main.c)."""
    return np.floor(cost + 0.5).astype(int)


def test_grass_r_cost_example_without_the_knights_move():
    dist, _ = router.accumulate(GRASS_COST, GRASS_START, connectivity=8)
    np.testing.assert_array_equal(grass_cell(dist), GRASS_8)
    assert dist[3, 5] == 0.5 * (3 + 8)  # one step north
    assert dist[5, 4] == pytest.approx(0.5 * (3 + 5) * math.sqrt(2))  # one diagonal


def test_grass_r_cost_example_with_the_knights_move():
    """All of the manual's ``-k`` values but one. At (5, 3) the manual has 9, the value
    without the knight's move (8.5); the knight's move from the start, over the cells (4, 4)
    and (5, 4), costs (3 + 5 + 5 + 2) / 4 · √5 = 8.39, which r.cost's own code prices the same
    (main.c, the WSW neighbour: ``(W + SW + WSW + my_cost) * H_DIAG_fac``, √5 / 4), so 8."""
    dist, _ = router.accumulate(GRASS_COST, GRASS_START, connectivity=16)
    got = grass_cell(dist)
    odd = np.zeros(got.shape, bool)
    odd[5, 3] = True
    np.testing.assert_array_equal(got[~odd], GRASS_16[~odd])
    assert dist[5, 3] == pytest.approx((3 + 5 + 5 + 2) / 4 * math.sqrt(5))
    assert GRASS_16[5, 3] == grass_cell(router.accumulate(GRASS_COST, GRASS_START)[0])[5, 3]
    # where the manual marks the two outputs as different, the knight's move is cheaper
    d8, _ = router.accumulate(GRASS_COST, GRASS_START, connectivity=8)
    assert np.all(dist <= d8 + 1e-12)
    changed = GRASS_16 != GRASS_8
    assert np.all(dist[changed] < d8[changed])


def test_grass_r_cost_example_matches_scipy():
    """The same example against an independent Dijkstra, in full precision."""
    dist, _ = router.accumulate(GRASS_COST, GRASS_START)
    zone = np.zeros(GRASS_COST.shape, int)
    ref = reference(GRASS_COST, np.ones_like(GRASS_COST), zone, 0, 1.0, GRASS_START, KING)
    np.testing.assert_allclose(dist, ref, rtol=1e-15)
