import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from pipeline import router

KING = [(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if (dr, dc) != (0, 0)]
KNIGHT = [(a * p, b * q) for a, b in ((1, 2), (2, 1)) for p in (-1, 1) for q in (-1, 1)]


def _shut(rate, zone, penalty, src, cell):
    """A cell a move from ``src`` may not pass: impassable, or of a zone it may not enter."""
    zs, zc = zone[src], zone[cell]
    closed = bool(zs and zc and zs != zc and penalty == np.inf)
    return not np.isfinite(rate[cell]) or closed


def reference(rate, inv, zone, penalty, step_km, start, moves=KING):
    """Independent Dijkstra (scipy) on the same graph, built edge by edge.

    Without the moves that cut a corner: a diagonal step between two shut cells, a knight's
    move over one (a cell is shut if its rate is not finite, or if ``penalty`` is inf and it is
    of another non-zero zone than the move's first cell)."""
    nr, nc = rate.shape
    cs = rate * inv
    rows, cols, vals = [], [], []
    for r in range(nr):
        for c in range(nc):
            if not np.isfinite(rate[r, c]):
                continue
            for dr, dc in moves:
                r2, c2 = r + dr, c + dc
                if not (0 <= r2 < nr and 0 <= c2 < nc) or not np.isfinite(rate[r2, c2]):
                    continue
                length = step_km * math.hypot(dr, dc)
                if abs(dr) + abs(dc) == 3:  # knight: the two cells it passes over
                    mid = [
                        (r + dr // 2, c + dc // 2) if abs(dr) == 2 else (r, c + dc // 2),
                        (r2 - dr // 2, c2 - dc // 2) if abs(dr) == 2 else (r2, c2 - dc // 2),
                    ]
                    if any(_shut(rate, zone, penalty, (r, c), m) for m in mid):
                        continue
                    w = 0.25 * (cs[r, c] + cs[mid[0]] + cs[mid[1]] + cs[r2, c2]) * length
                else:
                    sides = [(r + dr, c), (r, c + dc)]  # a diagonal step passes between them
                    if dr and dc and all(_shut(rate, zone, penalty, (r, c), m) for m in sides):
                        continue
                    w = 0.5 * (cs[r, c] + cs[r2, c2]) * length
                if zone[r, c] and zone[r2, c2] and zone[r, c] != zone[r2, c2]:
                    w += penalty
                rows.append(r * nc + c)
                cols.append(r2 * nc + c2)
                vals.append(w)
    g = sp.csr_matrix((vals, (rows, cols)), shape=(nr * nc, nr * nc))
    return dijkstra(g, indices=start[0] * nc + start[1]).reshape(nr, nc)


def test_path_takes_the_gap_and_its_length_is_right(wall_with_gap):
    rate, gap = wall_with_gap
    start, end = (16, 2), (16, 29)
    dist, pred = router.accumulate(rate, start, [end], step_km=2.5)
    cells = router.backtrack(pred, end)
    assert tuple(cells[0]) == start and tuple(cells[-1]) == end
    assert gap in {tuple(c) for c in cells}
    # the shortest route through the gap, as the crow flies, in km; the 8-connected path may
    # be longer by the octile excess but by less than one cell
    crow = 2.5 * (math.dist(start, gap) + math.dist(gap, end))
    _, km = router.path_sums(cells, rate, np.ones_like(rate), step_km=2.5)
    assert crow <= km + 1e-9
    assert km - crow < 0.09 * crow  # octile excess is at most 8.2 %
    assert dist[end] == pytest.approx(km)  # unit rate: cost equals length


@pytest.mark.parametrize("connectivity", [8, 16])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_costs_equal_an_independent_dijkstra(seed, connectivity):
    rng = np.random.default_rng(seed)
    rate = rng.uniform(1, 10, (17, 23))
    rate[rng.random(rate.shape) < 0.15] = np.nan
    rate[0, 0] = 1.0
    inv = rng.uniform(0.95, 1.05, rate.shape)
    zone = rng.integers(0, 3, rate.shape).astype(np.int16)
    dist, _ = router.accumulate(
        rate,
        (0, 0),
        inv_scale=inv,
        zone=zone,
        zone_penalty=7.5,
        step_km=2.5,
        connectivity=connectivity,
    )
    moves = KING if connectivity == 8 else KING + KNIGHT
    ref = reference(rate, inv, zone, 7.5, 2.5, (0, 0), moves)
    assert np.array_equal(np.isfinite(dist), np.isfinite(ref))
    ok = np.isfinite(ref)
    np.testing.assert_allclose(dist[ok], ref[ok], rtol=1e-12)


@pytest.mark.parametrize("queue", ["buckets", "heap"])
@pytest.mark.parametrize("connectivity", [8, 16])
def test_a_queue_that_runs_out_of_room_goes_on_where_it_stopped(monkeypatch, queue, connectivity):
    """The kernels stop when their queue is full and go on once it has doubled: with room for
    eight entries to start with they stop many times, and the costs stay the reference's.
    Impassable cells of every kind (NaN, +inf, negative) stay impassable."""
    rng = np.random.default_rng(3)
    rate = rng.uniform(1, 10, (30, 41))
    for bad in (np.nan, np.inf, -1.0):
        rate[rng.random(rate.shape) < 0.05] = bad
    rate[0, 0] = 1.0
    zone = rng.integers(0, 3, rate.shape).astype(np.int16)
    monkeypatch.setattr(router, "POOL_START", 8)
    if queue == "heap":
        monkeypatch.setattr(router, "_bucket_width", lambda *a, **k: None)
    searches = []
    run = router._run
    monkeypatch.setattr(
        router, "_run", lambda k, a, p, state: searches.append(1) or run(k, a, p, state=state)
    )
    calls = []
    kernel = router._dijkstra if queue == "heap" else router._dijkstra_buckets
    name = "_dijkstra" if queue == "heap" else "_dijkstra_buckets"
    monkeypatch.setattr(router, name, lambda *a: calls.append(1) or kernel(*a))
    dist, _ = router.accumulate(
        rate, (0, 0), zone=zone, zone_penalty=7.5, step_km=2.5, connectivity=connectivity
    )
    assert len(searches) == 1 and len(calls) > 3  # one search, stopped and resumed several times
    bad = ~(rate >= 0) | ~np.isfinite(rate)
    ref = reference(
        np.where(bad, np.nan, rate),
        np.ones_like(rate),
        zone,
        7.5,
        2.5,
        (0, 0),
        KING if connectivity == 8 else KING + KNIGHT,
    )
    assert np.array_equal(np.isfinite(dist), np.isfinite(ref))
    ok = np.isfinite(ref)
    np.testing.assert_allclose(dist[ok], ref[ok], rtol=1e-12)


def test_knight_moves_never_jump_a_wall(wall_with_gap):
    rate, gap = wall_with_gap
    dist, pred = router.accumulate(rate, (16, 2), [(16, 29)], connectivity=16)
    cells = router.backtrack(pred, (16, 29))
    crossing = [i for i in range(len(cells) - 1) if cells[i][1] < 16 <= cells[i + 1][1]]
    (i,) = crossing
    assert tuple(cells[i + 1]) == gap or tuple(cells[i]) == gap


def test_sixteen_connectivity_shortens_paths_toward_straight_lines():
    rate = np.ones((40, 40))
    d8, _ = router.accumulate(rate, (0, 0), connectivity=8)
    d16, _ = router.accumulate(rate, (0, 0), connectivity=16)
    straight = math.hypot(20, 39)
    assert d16[20, 39] < d8[20, 39]
    assert d16[20, 39] - straight < 0.02 * straight  # octile error 8 %, 16-conn about 1 %


def test_paths_are_connected_and_avoid_impassable_cells():
    rng = np.random.default_rng(5)
    rate = rng.uniform(1, 5, (40, 40))
    rate[rng.random(rate.shape) < 0.25] = np.nan
    rate[0, 0] = rate[39, 39] = 1.0
    dist, pred = router.accumulate(rate, (0, 0))
    for target in zip(*np.nonzero(np.isfinite(dist)), strict=True):
        cells = router.backtrack(pred, target)
        assert np.all(np.abs(np.diff(cells, axis=0)) <= 1)
        assert np.all(np.isfinite(rate[cells[:, 0], cells[:, 1]]))


def test_border_penalty_is_paid_once_per_crossing():
    rate = np.ones((9, 20))
    zone = np.ones((9, 20), dtype=np.int16)
    zone[:, 10:] = 2
    dist, pred = router.accumulate(rate, (4, 0), zone=zone, zone_penalty=100.0)
    assert dist[4, 19] == pytest.approx(19 + 100.0)
    # a zone-0 cell (water, no country) between two zones costs no crossing
    zone[:, 10] = 0
    dist, _ = router.accumulate(rate, (4, 0), zone=zone, zone_penalty=100.0)
    assert dist[4, 19] == pytest.approx(19.0)


def test_impassable_start_is_refused():
    rate = np.ones((4, 4))
    rate[0, 0] = np.nan
    with pytest.raises(ValueError, match="impassable"):
        router.accumulate(rate, (0, 0))


def test_block_min_keeps_the_cheapest_passable_cell():
    rate = np.array([[1.0, 3.0, np.nan, np.nan], [5.0, 7.0, np.nan, np.nan]])
    np.testing.assert_array_equal(router.block_min(rate, 2), [[1.0, np.nan]])
    inv = np.array([[0.9, 1.1, 1.0, 1.0], [0.7, 1.3, 1.0, 1.0]])
    np.testing.assert_array_equal(router.block_min(rate, 2, inv), router.block_min(rate * inv, 2))


def test_block_min_with_zones_counts_only_the_cells_of_the_blocks_zone():
    rate = np.array([[50.0, 50.0, 9.0, 9.0], [50.0, 5.0, 9.0, 9.0]])  # 5: a cheap land cell
    zone = np.array([[7, 7, 1, 1], [7, 1, 1, 1]], dtype=np.int16)  # 7: sea, 1: land
    czone = router.block_zone(zone, 2)
    np.testing.assert_array_equal(czone, [[7, 1]])
    np.testing.assert_array_equal(router.block_min(rate, 2), [[5.0, 9.0]])
    np.testing.assert_array_equal(router.block_min(rate, 2, zones=(zone, czone)), [[50.0, 9.0]])


def test_block_zone_keeps_gateways_open():
    zone = np.array([[1, 1, 2, 2], [1, 4, 2, 2]], dtype=np.int16)  # 4: a gateway cell of 1
    np.testing.assert_array_equal(router.block_zone(zone, 2, (3, 4)), [[4, 2]])
    np.testing.assert_array_equal(router.block_zone(zone, 2), [[1, 2]])  # else the majority


@pytest.mark.parametrize("connectivity", [8, 16])
def test_bucket_queue_and_heap_agree(monkeypatch, connectivity):
    rng = np.random.default_rng(11)
    rate = rng.uniform(0.5, 30, (60, 70))
    rate[rng.random(rate.shape) < 0.2] = np.nan
    rate[0, 0] = 1.0
    zone = rng.integers(0, 4, rate.shape).astype(np.int16)
    kw = {"zone": zone, "zone_penalty": 12.0, "step_km": 2.5, "connectivity": connectivity}
    buckets, _ = router.accumulate(rate, (0, 0), **kw)
    monkeypatch.setattr(router, "_bucket_width", lambda *a, **k: None)  # force the heap
    heap, _ = router.accumulate(rate, (0, 0), **kw)
    np.testing.assert_allclose(buckets, heap, rtol=1e-12)


@pytest.mark.parametrize("connectivity", [8, 16])
def test_bucket_queue_is_exact_over_a_wide_cost_range(monkeypatch, connectivity):
    """Costs spanning five decades: about 200,000 buckets, the scan going round them (the
    dense bucket array of before stopped at 4,096 and left such ranges to the heap)."""
    rng = np.random.default_rng(12)
    rate = 10 ** rng.uniform(4, 5, (50, 60))
    rate[0, 0] = 1.0  # the bucket width: 1
    zone = rng.integers(0, 3, rate.shape).astype(np.int16)
    kw = {"zone": zone, "zone_penalty": 5e4, "step_km": 1.0, "connectivity": connectivity}
    width, slots = router._bucket_width(
        rate, router.penalty_table(5e4, 3), 1.0, connectivity=connectivity
    )
    assert slots > 100_000 and slots & (slots - 1) == 0  # a power of two
    buckets, _ = router.accumulate(rate, (0, 0), **kw)
    assert buckets.max() > 3 * slots * width  # the scan went round the buckets three times
    monkeypatch.setattr(router, "_bucket_width", lambda *a, **k: None)
    heap, _ = router.accumulate(rate, (0, 0), **kw)
    np.testing.assert_allclose(buckets, heap, rtol=1e-12)
    if connectivity == 8:
        ref = reference(rate, np.ones_like(rate), zone, 5e4, 1.0, (0, 0))
        np.testing.assert_allclose(buckets, ref, rtol=1e-12)


def test_a_range_too_wide_for_the_buckets_uses_the_heap():
    rate = np.ones((10, 10))
    rate[5, 5] = 1e12  # a range of 1e12: more buckets than MAX_BUCKETS
    assert router._bucket_width(rate, np.zeros((1, 1)), 1.0, connectivity=8) is None


def test_zero_cost_cells_use_the_heap_and_stay_exact():
    rate = np.ones((20, 20))
    rate[5:15, :] = 0.0  # a free corridor: no bucket width fits, the heap takes over
    assert router._bucket_width(rate, np.zeros((1, 1)), 1.0, connectivity=8) is None
    dist, _ = router.accumulate(rate, (0, 0))
    ref = reference(rate, np.ones_like(rate), np.zeros(rate.shape, int), 0.0, 1.0, (0, 0))
    np.testing.assert_allclose(dist, ref, rtol=1e-12)


def test_patch_blocks_is_block_min_of_the_changed_grid():
    rng = np.random.default_rng(3)
    rate = rng.uniform(1, 10, (61, 47))
    rate[rng.random(rate.shape) < 0.1] = np.nan
    inv = rng.uniform(0.8, 1.2, rate.shape)
    zone = rng.integers(1, 4, rate.shape).astype(np.int16)
    czone = router.block_zone(zone, 4)
    idx = np.sort(rng.choice(rate.size, 700, replace=False))
    vals = np.where(rng.random(idx.size) < 0.5, np.nan, rate.ravel()[idx] * 3)
    changed = rate.copy()
    changed.ravel()[idx] = vals
    blocks, mins = router.patch_blocks(rate, 4, (idx, vals), inv_scale=inv, zones=(zone, czone))
    whole = router.block_min(changed, 4, inv, zones=(zone, czone))
    np.testing.assert_array_equal(mins, whole.ravel()[blocks])
    untouched = np.setdiff1d(np.arange(whole.size), blocks)
    base = router.block_min(rate, 4, inv, zones=(zone, czone))
    np.testing.assert_array_equal(whole.ravel()[untouched], base.ravel()[untouched])


@pytest.mark.parametrize("connectivity", [8, 16])
def test_linked_says_what_the_router_reaches(connectivity):
    """Same moves, zones and closed cells as ``accumulate``: reached iff the cost is finite."""
    rng = np.random.default_rng(11)
    for trial in range(6):
        rate = rng.uniform(1, 5, (40, 50))
        rate[rng.random(rate.shape) < 0.35 + 0.03 * trial] = np.nan
        zone = np.where(np.arange(50) < 25, 1, 2)[None, :].repeat(40, axis=0).astype(np.int16)
        zone[17:20, 24:26] = 3  # a gateway: 1 and 2 meet only through it
        table = np.full((4, 4), np.inf)
        np.fill_diagonal(table, 0.0)
        table[1, 3] = table[3, 1] = table[2, 3] = table[3, 2] = 5.0
        closed = np.sort(rng.choice(rate.size, 60, replace=False))
        shut = rate.copy()
        shut.ravel()[closed] = np.nan
        ok = np.argwhere(np.isfinite(shut))
        a = tuple(ok[0])
        dist, _ = router.accumulate(
            shut, a, zone=zone, zone_penalty=table, connectivity=connectivity
        )
        for b in ok[rng.choice(len(ok), 40, replace=False)]:
            path = router.linked_path(
                rate,
                a,
                tuple(b),
                closed=closed,
                zone=zone,
                zone_penalty=table,
                connectivity=connectivity,
            )
            got = path is not None
            assert got == bool(np.isfinite(dist[tuple(b)])), (trial, tuple(b))
            if path is not None:  # a way of the router's moves over open cells, a to b
                assert tuple(path[0]) == a and tuple(path[-1]) == tuple(b)
                moves = {(int(router.DR[k]), int(router.DC[k])) for k in range(connectivity)}
                assert {tuple(d) for d in np.diff(path, axis=0).tolist()} <= moves
                assert np.isfinite(shut[path[:, 0], path[:, 1]]).all()
                z = zone[path[:, 0], path[:, 1]]
                assert np.isfinite(table[z[:-1], z[1:]]).all()


@pytest.mark.parametrize("connectivity", [8, 16])
def test_a_corridor_search_is_the_window_search_with_the_rest_shut(connectivity):
    rng = np.random.default_rng(8)
    rate = rng.uniform(1, 9, (70, 90)).astype(np.float32)
    rate[rng.random(rate.shape) < 0.15] = np.nan
    inv = rng.uniform(0.8, 1.2, rate.shape).astype(np.float32)
    zone = np.where(np.arange(90) < 45, 1, 2)[None, :].repeat(70, axis=0).astype(np.int16)
    table = np.array([[0, 0, 0], [0, 0, 7.0], [0, 7.0, 0]])
    r0, c0, f = 8, 4, 3
    near = np.zeros((18, 25), dtype=bool)  # a diagonal band of blocks
    for i in range(18):
        near[i, max(i - 2, 0) : i + 3] = True
    rows, cols = np.nonzero(np.kron(near, np.ones((f, f), dtype=bool)))
    cells = (rows[::7], cols[::7], np.where(np.arange(rows[::7].size) % 2, np.nan, 20.0))
    search = router.Corridor(
        rate,
        inv,
        zone,
        r0=r0,
        c0=c0,
        near=near,
        factor=f,
        cells=cells,
        zone_penalty=table,
        step_km=2.5,
        connectivity=connectivity,
    )
    window = np.full((near.shape[0] * f, near.shape[1] * f), np.nan)
    inside = np.kron(near, np.ones((f, f), dtype=bool))
    window[inside] = rate[r0 : r0 + 54, c0 : c0 + 75][inside]
    window[cells[0], cells[1]] = cells[2]
    ok = np.argwhere(np.isfinite(window))
    start, goals = tuple(ok[0]), [tuple(g) for g in ok[-5:]]
    dist, pred = search.accumulate(start, goals)
    ref, ref_pred = router.accumulate(
        window,
        start,
        goals,
        inv_scale=inv[r0 : r0 + 54, c0 : c0 + 75],
        zone=zone[r0 : r0 + 54, c0 : c0 + 75],
        zone_penalty=table,
        step_km=2.5,
        connectivity=connectivity,
    )
    assert search.ok
    for g in goals:
        assert dist[g] == ref[g] or (np.isinf(dist[g]) and np.isinf(ref[g]))
        if np.isfinite(ref[g]):
            np.testing.assert_array_equal(router.backtrack(pred, g), router.backtrack(ref_pred, g))


@pytest.mark.parametrize("scaled", [True, False])
def test_an_overlay_in_the_costs_is_the_search_on_a_changed_copy(scaled):
    """Cells an overlay closes or reprices, set in the costs: the same distances and moves as
    on a copy of the rate with those cells changed, and the rate itself untouched."""
    rng = np.random.default_rng(12)
    rate = rng.uniform(1, 9, (40, 50)).astype(np.float32 if scaled else np.float64)
    inv = rng.uniform(0.8, 1.2, rate.shape).astype(np.float32) if scaled else None
    before = rate.copy()
    idx = np.sort(rng.choice(rate.size, 300, replace=False))
    vals = np.where(np.arange(idx.size) % 3, rate.ravel()[idx] * 0.2, np.nan).astype(rate.dtype)
    changed = rate.copy()
    changed.ravel()[idx] = vals
    start = (0, 0) if np.isfinite(changed[0, 0]) else (0, 1)
    goals = [(39, 49), (20, 25)]
    grower = router.Grower(rate, inv_scale=inv, step_km=2.5, overlay=(idx, vals))
    dist, pred = grower.accumulate(start, goals)
    ref, ref_pred = router.accumulate(changed, start, goals, inv_scale=inv, step_km=2.5)
    np.testing.assert_array_equal(dist, ref)
    np.testing.assert_array_equal(pred, ref_pred)
    np.testing.assert_array_equal(rate, before)


# --- regressions: rounding in the bucket queue, the corridor's width, cells off the grid -------

ROUNDING_CASES = [
    # (row, the bypass's rate, connectivity): the row (with knight's moves its range
    # needs the heap), and one found for both connectivities
    ([1.3] + [9e5] * 40 + [890031.0631099687] + [1.3] * 20, 9e5, 8),
    ([1.3] + [4e5] * 100 + [400001.15959999705] + [1.3] * 20, 5e5, 8),
    ([1.3] + [4e5] * 100 + [400001.15959999705] + [1.3] * 20, 5e5, 16),
]
"""Rows of rates whose accumulated costs (4e7: 3e7 buckets of 1.3) make the sum at a cell of
the cheap run round into the bucket of the cell before it (see the test)."""

ROUNDING_RUN = """
import json, sys
import numpy as np
from pipeline import router
out = []
for row, bypass, conn in json.loads(sys.argv[1]):
    row = np.array(row)
    got = {}
    d, _ = router.accumulate(row[None, :], (0, 0), connectivity=conn)  # no target: all cells
    got["row"] = d[0].tolist()
    rate = np.full((3, row.size), np.nan)  # the same row, and a dearer bypass below it
    rate[0] = row
    rate[1, 0] = rate[1, -1] = row[0]
    rate[2] = bypass
    end = (0, row.size - 2)
    d, _ = router.accumulate(rate, (0, 0), [end], connectivity=conn)  # stops at its target
    got["bypass"] = float(d[end])
    z = np.zeros(rate.shape, np.int16)
    kw = {"r0": 0, "c0": 0, "near": z == 0, "factor": 1, "cells": None, "step_km": 1.0}
    search = router.Corridor(rate, None, z, zone_penalty=np.zeros((1, 1)), connectivity=conn, **kw)
    d, _ = search.accumulate((0, 0), [end])
    got["corridor"] = float(d[end]) if search.ok else None
    out.append(got)
print(json.dumps(out))
"""


def _bypass_grid(row: np.ndarray, bypass: float) -> np.ndarray:
    rate = np.full((3, row.size), np.nan)
    rate[0] = row
    rate[1, 0] = rate[1, -1] = row[0]
    rate[2] = bypass
    return rate


def test_a_cell_rounded_into_the_bucket_being_settled_is_settled_with_it():
    """Far from 0, ``du + edge`` can round into the bucket being settled. That bucket was then
    marked empty with the cell in it: a search with no targets never ended (in nogil numba,
    so it is run here in a process of its own, with a timeout), and with a target and a
    dearer bypass the cost came out 47 to 49 % too high. All must equal scipy's Dijkstra."""
    for row, bypass, conn in ROUNDING_CASES:  # each case still is one
        row = np.array(row)
        for grid in (row[None, :], _bypass_grid(row, bypass)):
            assert router._bucket_width(grid, np.zeros((1, 1)), 1.0, connectivity=conn) is not None
        width, _ = router._bucket_width(row[None, :], np.zeros((1, 1)), 1.0, connectivity=conn)
        d = np.concatenate([[0.0], np.cumsum(0.5 * (row[:-1] + row[1:]))])  # the kernel's sums
        bucket = (d * (1.0 / width)).astype(np.int64)  # as the kernel files them
        assert (np.diff(bucket) == 0).any()
    done = subprocess.run(
        [sys.executable, "-c", ROUNDING_RUN, json.dumps(ROUNDING_CASES)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(router.__file__).parents[1],
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for (row, bypass, conn), got in zip(ROUNDING_CASES, json.loads(done.stdout), strict=True):
        row = np.array(row)
        moves = KING if conn == 8 else KING + KNIGHT
        flat = np.zeros((1, row.size), int)
        ref = reference(row[None, :], np.ones((1, row.size)), flat, 0, 1.0, (0, 0), moves)
        np.testing.assert_allclose(got["row"], ref[0], rtol=1e-12)
        rate = _bypass_grid(row, bypass)
        ref = reference(rate, np.ones_like(rate), np.zeros(rate.shape, int), 0, 1.0, (0, 0), moves)
        assert got["bypass"] == pytest.approx(ref[0, -2], rel=1e-12)
        assert got["corridor"] == pytest.approx(ref[0, -2], rel=1e-12)


@pytest.mark.parametrize("connectivity", [8, 16])
@pytest.mark.parametrize("seed", [12, 13])
def test_a_corridor_overlay_below_the_corridors_rates_narrows_the_buckets(seed, connectivity):
    """Overlaid rates under the corridor's least (a fallback penalty multiplier below 1, an
    endpoint's own rate on a coarse level) give edges shorter than a width taken from the
    corridor's cells alone: a bucket's cells were then not final, and costs up to 23 % too
    high. The width must come from the overlay too; the costs are the window search's."""
    rng = np.random.default_rng(seed)
    rate = rng.uniform(1, 9, (40, 40))
    zone = np.ones(rate.shape, np.int16)
    near = np.ones((10, 10), bool)
    rr, cc = np.nonzero(rng.random((40, 40)) < 0.5)
    cells = (rr, cc, rate[rr, cc] * rng.uniform(0.05, 0.9, rr.size))  # multipliers under 1
    table = np.zeros((2, 2))
    search = router.Corridor(
        rate,
        None,
        zone,
        r0=0,
        c0=0,
        near=near,
        factor=4,
        cells=cells,
        zone_penalty=table,
        step_km=1.0,
        connectivity=connectivity,
    )
    assert search.ok and search.buckets[0] <= cells[2].min()
    dist, _ = search.accumulate((0, 0), [])
    window = rate.copy()
    window[rr, cc] = cells[2]
    ref, _ = router.accumulate(
        window, (0, 0), zone=zone, zone_penalty=table, connectivity=connectivity
    )
    np.testing.assert_allclose(dist, ref, rtol=1e-12)
    moves = KING if connectivity == 8 else KING + KNIGHT
    scipy_ref = reference(
        window, np.ones_like(window), np.zeros(rate.shape, int), 0, 1.0, (0, 0), moves
    )
    np.testing.assert_allclose(dist, scipy_ref, rtol=1e-12)


def test_a_corridor_overlay_dearer_than_the_corridor_keeps_its_width():
    """Overlaid rates above the corridor's least leave the width as it was (the same paths)."""
    rng = np.random.default_rng(5)
    rate = rng.uniform(1, 9, (40, 40))
    zone = np.ones(rate.shape, np.int16)
    near = np.ones((10, 10), bool)
    table = np.zeros((2, 2))
    kw = {"r0": 0, "c0": 0, "near": near, "factor": 4, "zone_penalty": table, "step_km": 1.0}
    bare = router.Corridor(rate, None, zone, cells=None, connectivity=8, **kw)
    rr, cc = np.nonzero(rng.random((40, 40)) < 0.3)
    cells = (rr, cc, rate[rr, cc] * 2.0)
    dear = router.Corridor(rate, None, zone, cells=cells, connectivity=8, **kw)
    assert dear.buckets[0] == bare.buckets[0]


@pytest.mark.parametrize("cell", [(-1, -1), (-1, 0), (0, -1), (4, 0), (0, 8), (4, 8)])
def test_cells_off_the_grid_are_refused(cell):
    """(-1, -1) was the last cell to numpy and a cell before the first to the kernel; (0, 8)
    on 8 columns was (1, 0). Each is refused, naming the cell and the grid's shape."""
    rate = np.ones((4, 8))
    msg = rf"start cell \({cell[0]}, {cell[1]}\) is outside the 4 × 8 grid"
    with pytest.raises(ValueError, match=msg):
        router.accumulate(rate, cell)
    with pytest.raises(ValueError, match=msg.replace("start", "target")):
        router.accumulate(rate, (0, 0), [(3, 7), cell])
    with pytest.raises(ValueError, match=msg.replace("start", "end")):
        router.linked_path(rate, (0, 0), cell)
    with pytest.raises(ValueError, match=msg.replace("start", "end")):
        router.linked_path(rate, cell, (0, 0))
    _, pred = router.accumulate(rate, (0, 0))
    with pytest.raises(ValueError, match=msg.replace("start", "target")):
        router.backtrack(pred, cell)


def test_a_corridor_refuses_cells_off_its_window_or_outside_its_blocks():
    rate = np.ones((12, 12))
    zone = np.ones(rate.shape, np.int16)
    near = np.zeros((4, 4), bool)
    near[:2, :2] = True  # the corridor: the 6 × 6 cells of the top left blocks
    search = router.Corridor(
        rate,
        None,
        zone,
        r0=0,
        c0=0,
        near=near,
        factor=3,
        cells=None,
        zone_penalty=np.zeros((2, 2)),
        step_km=1.0,
        connectivity=8,
    )
    with pytest.raises(ValueError, match=r"start cell \(-1, 0\) is outside the 12 × 12 grid"):
        search.accumulate((-1, 0), [(1, 1)])
    with pytest.raises(ValueError, match=r"target cell \(0, 12\) is outside the 12 × 12 grid"):
        search.accumulate((0, 0), [(0, 12)])
    with pytest.raises(ValueError, match=r"target cell \(6, 0\) is outside the corridor"):
        search.accumulate((0, 0), [(6, 0)])  # a ring block: its cost is never written
    with pytest.raises(ValueError, match=r"start cell \(11, 11\) is outside the corridor"):
        search.accumulate((11, 11), [])  # beyond the ring: it would read as a free cell
    dist, _ = search.accumulate((0, 0), [(5, 5)])
    assert dist[5, 5] == pytest.approx(5 * math.sqrt(2))


# --- no corner-cutting: the same rule in the kernels, the corridor and ``linked`` ----------

N = 12
DIAGONAL = (np.arange(N), N - 1 - np.arange(N))
"""The cells of a one-cell line from corner to corner, between (0, 0) and (N - 1, N - 1)."""


def _every_search(monkeypatch, rate, start, target, **kw):
    """The cost to ``target`` from the bucket queue, the heap and a corridor over the whole
    grid, which must agree, and whether ``linked`` reaches it: (cost, linked, bucket's pred)."""
    dist, pred = router.accumulate(rate, start, **kw)
    zone = kw.get("zone", np.zeros(rate.shape, np.int16))
    table = router.penalty_table(kw.get("zone_penalty", 0.0), int(zone.max()) + 1)
    conn = kw.get("connectivity", 8)
    corridor = router.Corridor(
        rate,
        None,
        zone,
        r0=0,
        c0=0,
        near=np.ones((N // 3, N // 3), bool),
        factor=3,
        cells=None,
        zone_penalty=table,
        step_km=1.0,
        connectivity=conn,
    )
    assert corridor.ok
    in_corridor, _ = corridor.accumulate(start, [target])
    with monkeypatch.context() as m:
        m.setattr(router, "_bucket_width", lambda *a, **k: None)
        heap, _ = router.accumulate(rate, start, **kw)
    assert dist[target] == heap[target] == in_corridor[target]
    reached = (
        router.linked_path(
            rate, start, target, zone=kw.get("zone"), zone_penalty=table, connectivity=conn
        )
        is not None
    )
    assert reached == bool(np.isfinite(dist[target]))
    return dist[target], reached, pred


def _no_diagonal_between(shut: np.ndarray, cells: np.ndarray) -> bool:
    """Whether no diagonal step of a path passes between two ``shut`` cells."""
    for (r, c), (r2, c2) in zip(cells[:-1], cells[1:], strict=True):
        if abs(r2 - r) == 1 and abs(c2 - c) == 1 and shut[r2, c] and shut[r, c2]:
            return False
    return True


def _passes(cells: np.ndarray, cell: tuple[int, int]) -> bool:
    """Whether a path goes through ``cell`` or steps past one of its corners."""
    return bool(np.any(np.abs(cells - np.array(cell)).max(axis=1) <= 1))


@pytest.mark.parametrize("connectivity", [8, 16])
@pytest.mark.parametrize("barrier", [np.nan, np.inf, -1.0])
def test_a_one_cell_diagonal_barrier_is_not_crossed(monkeypatch, barrier, connectivity):
    """Its cells touch only at corners: a diagonal step between two of them, or a knight's
    move over one, is refused. With no way round the far corner is unreachable; with one
    barrier cell open, the path crosses there (through it, or past its corner: a diagonal
    step between the open cell and a barrier cell is no corner cut) at the reference's cost."""
    rate = np.ones((N, N))
    rate[DIAGONAL] = barrier
    start, end = (0, 0), (N - 1, N - 1)
    kw = {"connectivity": connectivity}
    cost, reached, _ = _every_search(monkeypatch, rate, start, end, **kw)
    assert not reached and np.isinf(cost)
    gap = (N // 2, N // 2 - 1)
    rate[gap] = 1.0
    cost, reached, pred = _every_search(monkeypatch, rate, start, end, **kw)
    cells = router.backtrack(pred, end)
    assert reached and _passes(cells, gap)
    assert _no_diagonal_between(~(rate >= 0) | ~np.isfinite(rate), cells)
    moves = KING if connectivity == 8 else KING + KNIGHT
    bad = ~(rate >= 0) | ~np.isfinite(rate)
    ref = reference(
        np.where(bad, np.nan, rate),
        np.ones_like(rate),
        np.zeros(rate.shape, int),
        0,
        1.0,
        start,
        moves,
    )
    assert cost == pytest.approx(ref[end], rel=1e-12)


@pytest.mark.parametrize("connectivity", [8, 16])
@pytest.mark.parametrize("strip", ["country", "country and barrier"])
def test_a_one_cell_diagonal_strip_of_another_country_is_crossed_only_at_a_gateway(
    monkeypatch, strip, connectivity
):
    """Country 1 on both sides of a one-cell diagonal strip of country 2, closed to it (no
    crossing but at a gateway, zone 3). A diagonal step from 1 to 1 between two cells of 2 (or
    of 2 and a barrier) crossed it free; refused, the far side is unreachable. With a gateway
    cell in the strip, the path crosses there (through it, or past its corner: one side open)."""
    rate = np.ones((N, N))
    zone = np.ones((N, N), np.int16)
    zone[DIAGONAL] = 2
    if strip == "country and barrier":
        rate[DIAGONAL[0][::2], DIAGONAL[1][::2]] = np.nan
    table = np.zeros((4, 4))
    table[1, 2] = table[2, 1] = table[2, 3] = table[3, 2] = np.inf
    table[1, 3] = table[3, 1] = 40.0
    start, end = (0, 0), (N - 1, N - 1)
    kw = {"zone": zone, "zone_penalty": table, "connectivity": connectivity}
    cost, reached, _ = _every_search(monkeypatch, rate, start, end, **kw)
    assert not reached and np.isinf(cost)
    gate = (N // 2, N // 2 - 1)
    zone[gate], rate[gate] = 3, 1.0
    cost, reached, pred = _every_search(monkeypatch, rate, start, end, **kw)
    cells = router.backtrack(pred, end)
    assert reached and _passes(cells, gate)
    closed = (zone == 2) | np.isnan(rate)
    assert _no_diagonal_between(closed, cells)


def test_a_knights_move_does_not_hop_a_one_column_strip(monkeypatch):
    """A knight's move from column 4 to column 6 passes over two cells of column 5: a strip of
    a country it may not enter stops it (it hopped it: the zone table is applied to a move's
    two end cells). With a gateway cell in the strip, the path goes through that cell and pays
    both crossings (a knight's move over it passes a closed cell of the strip too)."""
    rate = np.ones((N, N))
    zone = np.ones((N, N), np.int16)
    zone[:, 5] = 2
    table = np.zeros((4, 4))
    table[1, 2] = table[2, 1] = table[2, 3] = table[3, 2] = np.inf
    table[1, 3] = table[3, 1] = 40.0
    kw = {"zone": zone, "zone_penalty": table, "connectivity": 16}
    start, end = (6, 0), (6, N - 1)
    cost, reached, _ = _every_search(monkeypatch, rate, start, end, **kw)
    assert not reached and np.isinf(cost)
    zone[2, 5] = 3  # a gateway
    cost, reached, pred = _every_search(monkeypatch, rate, start, end, **kw)
    cells = router.backtrack(pred, end)
    assert reached and (2, 5) in {tuple(c) for c in cells}
    assert 80.0 < cost < 80.0 + 2 * N
