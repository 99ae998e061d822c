"""The least-cost path kernel: Dijkstra on a raster, compiled with numba, GIL released.

Edge cost between neighbouring cells a and b (8-connectivity):

    0.5 · (rate[a] · s[a] + rate[b] · s[b]) · step_km  +  penalty[zone[a], zone[b]]

where ``rate`` is a cost per ground km, ``s`` converts grid distance to ground distance (1/k of a
conformal projection, 1 for a plain grid), and ``step_km`` is the cell size (× √2 diagonally).
With ``s = 1``, no zones and no corners to cut (below) this is exactly scikit-image's
``MCP_Geometric``. Zones carry a fixed cost per transition, from a table: a border crossing or a
landfall is paid once however the border or the coast runs across the grid.

No corner is cut (scikit-image and GRASS's r.cost cut them; a cable cannot). A cell is shut to
a move if it is impassable (NaN, inf or negative rate) or closed to the move: the transition
from the zone of the move's first cell into the cell's zone costs inf. A diagonal step may not
pass between its two side cells if both are shut; a knight's move (16-connectivity) may not pass
over either of the two cells it overlaps if it is shut: (0, 1) and (1, 1) for the move (1, 2),
and likewise in every orientation. So a one-cell diagonal barrier is not crossed, nor a one-cell
diagonal strip of a country the move may not enter, nor a one-column strip hopped by a knight.
The rule is in one place, ``_cuts_corner``, which every search asks: both Dijkstra kernels
(through ``_relax``, so ``Corridor`` and the coarse levels too, which are searched like any
grid) and the reachability search ``linked_path``. It only refuses moves: a cell passed is not
charged for it (a knight's move is priced over its four cells all the same), nor its zone's
transition.

Two exact priority queues. When every edge costs at least some w > 0 (every passable rate is
positive), Dinitz's bucket queue: cells are filed in buckets w wide, and all cells of the lowest
bucket are final, so it is settled with no comparisons at all (about 9 bytes per cell besides
the cost grid, plus 4 bytes per bucket: the longest edge over w rounded up to a power of two,
so a range of costs of a million× costs 8 MB). Buckets are linked lists and a bitmap skips
empty ones, so a wide range costs neither memory per cell nor time per empty bucket. A bucket's
cells are taken off its list in batches and their rows prefetched a few cells ahead. With free
cells (w = 0) or a range too wide for ``MAX_BUCKETS``, an indexed 4-ary heap with decrease-key
that holds the frontier only (about 13 bytes per cell). Neither has any randomness: the same
input gives the same paths on every run and every scheduler.
"""

from __future__ import annotations

import dataclasses
import math
import mmap

import numba
import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

DR = np.array([-1, -1, -1, 0, 0, 1, 1, 1, -2, -2, -1, -1, 1, 1, 2, 2], dtype=np.int64)
DC = np.array([-1, 0, 1, -1, 1, -1, 0, 1, -1, 1, -2, 2, -2, 2, -1, 1], dtype=np.int64)
"""Moves: the 8 king's moves, then the 8 knight's moves used with 16-connectivity."""
NO_ZONE = 0
"""Zone value that never pays a transition (water, no country)."""
BATCH = 4096
"""Cells of a bucket taken off its list at a time, so those a few places ahead are known."""
AHEAD = 6
"""How many cells ahead the bucket queue asks the CPU to fetch a cell's rows (``_prefetch``):
settling a cell reads three rows of the costs and of the distances at places scattered along the
front, and waiting for them was a tenth of the time at 4000² (measured with ``make bench``)."""


@intrinsic
def _prefetch(typingctx, arr, idx):
    """Ask the CPU to fetch ``arr[idx]`` into its caches (LLVM's prefetch: read, keep, data).

    A hint only: it never faults and changes no value.
    """

    def codegen(context, builder, sig, args):
        data = context.make_array(sig.args[0])(context, builder, args[0]).data
        i8p = builder.bitcast(builder.gep(data, [args[1]]), ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p.type, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        builder.call(fn, [i8p, i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(arr, idx), codegen


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


ALONG, BETWEEN, OVER = 0, 1, 2
"""How a move passes the two cells beside it (``_passed``): a straight step passes none; a
diagonal step passes between its two side cells; a knight's move passes over both."""


@numba.njit(cache=True)
def _passed(nc, n_moves):
    """Each move's two passed cells, as flat offsets from its cell, and how it passes them.

    (n_moves, 3): offsets a, b and ``ALONG``, ``BETWEEN`` or ``OVER``. A diagonal step
    (dr, dc) passes between its side cells (dr, 0) and (0, dc); a knight's move (dr, dc) =
    (1, 2) passes over (0, 1) and (1, 1), and likewise in every orientation.
    """
    out = np.zeros((n_moves, 3), dtype=np.int64)
    for k in range(n_moves):
        dr, dc = DR[k], DC[k]
        if abs(dr) == 2:
            out[k, 0], out[k, 1], out[k, 2] = (dr // 2) * nc, (dr // 2) * nc + dc, OVER
        elif abs(dc) == 2:
            out[k, 0], out[k, 1], out[k, 2] = dc // 2, dr * nc + dc // 2, OVER
        elif dr != 0 and dc != 0:
            out[k, 0], out[k, 1], out[k, 2] = dr * nc, dc, BETWEEN
    return out


@numba.njit(_nrt=False, cache=True)
def _shut(csf, zf, penalty, use_zone, zs, s, marks):  # noqa: PLR0913
    """Whether a move from a cell of zone ``zs`` may not pass cell ``s``.

    Shut: impassable (NaN, inf or negative cost), closed besides (``marks[s] == 3``, the closed
    cells of ``linked_path``; an empty ``marks`` closes none), or closed to the move (from zone
    ``zs`` into the cell's zone costs inf).
    """
    c = csf[s]
    if not (c >= 0.0 and c < np.inf):
        return True
    if marks.size > 0 and marks[s] == 3:
        return True
    return use_zone and zf[s] != zs and not penalty[zs, zf[s]] < np.inf


@numba.njit(_nrt=False, cache=True)
def _cuts_corner(csf, zf, penalty, use_zone, u, k, zs, passed, marks):  # noqa: PLR0913
    """Whether move ``k`` from ``u`` (a move from zone ``zs``) passes a cell it may not.

    The corner rule (see the module docstring): a diagonal step may not pass between two shut
    cells (``_shut``), nor a knight's move over one. The same cells whichever end the move is
    taken from, so ``linked_path`` asks it of its search from the target too.
    """
    how = passed[k, 2]
    if how == ALONG:
        return False
    a, b = u + passed[k, 0], u + passed[k, 1]
    if how == BETWEEN:
        return _shut(csf, zf, penalty, use_zone, zs, a, marks) and _shut(
            csf, zf, penalty, use_zone, zs, b, marks
        )
    return _shut(csf, zf, penalty, use_zone, zs, a, marks) or _shut(
        csf, zf, penalty, use_zone, zs, b, marks
    )


@numba.njit(_nrt=False, forceinline=True, cache=True)
def _relax(csf, zf, penalty, use_zone, u, v, k, cu, du, length, passed, dist, pred):  # noqa: PLR0913
    """One edge step of both kernels: the move ``k`` from ``u`` (settled at ``du``) to ``v``.

    Refuses a move into an impassable cell or one that cuts a corner (``_cuts_corner``);
    prices the others (the mean cost of the cells the move touches × its length, plus the zone
    transition) and, if that lowers ``dist[v]``, records it in ``dist`` and ``pred`` and
    returns True (the caller queues ``v``); False if the move is refused or no cheaper.

    Compiled without numba's reference counts (``_nrt=False``: it only reads and writes arrays
    its caller holds) and always inlined by LLVM (``forceinline``). Inlined by numba instead
    (``inline="always"``), or counted, each step counted its seven arrays in and out,
    atomically, and the kernels ran at a fifth of their speed (measured: 1.8 against 9.9
    Mcells/s at 1500²; why the step was once written out in each kernel); called, not inlined
    (LLVM's choice once the corner rule made it larger), at two thirds.
    """
    cv = csf[v]
    if not cv >= 0.0:  # NaN or negative: impassable; an infinite cost never improves dist
        return False
    zu = zf[u] if use_zone else 0
    if _cuts_corner(csf, zf, penalty, use_zone, u, k, zu, passed, zf[:0]):  # no cells closed
        return False
    if k < 8:
        nd = du + 0.5 * (cu + cv) * length[k]
    else:  # a knight's move is priced over the four cells it touches
        nd = du + 0.25 * (cu + csf[u + passed[k, 0]] + csf[u + passed[k, 1]] + cv) * length[k]
    if use_zone and zu != zf[v]:
        nd += penalty[zu, zf[v]]
    if nd < dist[v]:
        dist[v] = nd
        pred[v] = k
        return True
    return False


@numba.njit(nogil=True, cache=True)
def _dijkstra(cs, zone, penalty, use_zone, step_km, bits, n_moves, dist, pred, pos, hk, hn, state):  # noqa: C901, PLR0913, PLR0915
    """Dijkstra over ``cs`` (rate × ground scale; NaN, inf, < 0 impassable); see ``accumulate``.

    Resumable (see ``_run``): returns False, with its place in ``state`` (heap size, targets
    left), when the heap ``hk``/``hn`` could not take the next cell's moves; True when done.
    """
    nr, nc = cs.shape
    csf = cs.ravel()
    zf = zone.ravel()
    # dist: inf; pred: -1 (no move); pos: -1 unseen, -2 settled, >= 0 place in the heap
    size, remaining = state[0], state[1]
    dr = DR[:n_moves]
    dc = DC[:n_moves]
    off = dr * nc + dc
    length = np.empty(n_moves)
    for k in range(n_moves):
        length[k] = step_km * math.sqrt(dr[k] * dr[k] + dc[k] * dc[k])
    margin = 1 if n_moves == 8 else 2
    passed = _passed(nc, n_moves)
    cap = hk.size
    while size > 0:
        if size + n_moves > cap:
            state[:] = (size, remaining)
            return False
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
            if _relax(csf, zf, penalty, use_zone, u, v, k, cu, du, length, passed, dist, pred):
                p = pos[v]
                if p == -1:
                    p = size
                    hn[p] = v
                    size += 1
                hk[p] = dist[v]
                _sift_up(hk, hn, pos, p)
    return True


@numba.njit(nogil=True, cache=True)
def _dijkstra_buckets(  # noqa: C901, PLR0912, PLR0913, PLR0915 (kernel)
    cs,
    zone,
    penalty,
    use_zone,
    step_km,
    bits,
    n_moves,
    width,
    dist,
    pred,
    done,
    head,
    used,
    node,
    nxt,
    state,
):
    """Dinitz's bucket variant of Dijkstra: exact when ``width`` <= the smallest edge cost.

    Every cell in the lowest non-empty bucket [i·width, (i+1)·width) is final (no edge is
    short enough to improve it from the same bucket), so a bucket is settled in any order,
    with no priority comparisons. Except for rounding: far from 0 (sums of 1e7 widths and
    more), ``du + edge`` can round to a sum in the bucket being settled. Such a cell is filed
    into that bucket and settled with it, and a bucket counts as empty only once its list is
    (never an earlier bucket: ``nd >= du``, and rounding is monotone); a cell can then miss
    an improvement of a few ulps from a cell of its own bucket. A circular array of buckets
    (``head``, a power of two, at least 64) covers the longest edge. Each bucket is a linked
    list of entries from one shared pool (``node``: the cell, ``nxt``: the next entry; 4 bytes
    of list head per bucket, 8 per queued cell, freed entries reused), and a bitmap of the
    buckets in use (``used``) lets the scan skip 64 empty buckets at a time: so a wide range of
    costs costs memory per bucket, not per bucket × cells. Stale entries (cells reached more
    cheaply later) are skipped when popped.

    Resumable (see ``_run``): returns False, with its place in ``state`` (bucket, free list,
    entries used, queued, targets left), when the pool could not take the next cell's moves;
    True when done. The pool never grows in here: numba counts references to an array that a
    loop reassigns, and those counts took a sixth of the time (measured with ``make bench``).

    The edge step is ``_relax``, shared with ``_dijkstra``; only the queue differs.
    """
    nr, nc = cs.shape
    csf = cs.ravel()
    zf = zone.ravel()
    dr = DR[:n_moves]
    dc = DC[:n_moves]
    off = dr * nc + dc
    length = np.empty(n_moves)
    for k in range(n_moves):
        length[k] = step_km * math.sqrt(dr[k] * dr[k] + dc[k] * dc[k])
    margin = 1 if n_moves == 8 else 2
    passed = _passed(nc, n_moves)
    i, free, n_free, top, live, remaining = [int(x) for x in state]
    cap = node.size
    mask = head.size - 1
    inv_w = 1.0 / width
    one = np.uint64(1)
    batch = np.empty(BATCH, dtype=np.int64)
    while live > 0:
        slot = i & mask
        word = used[slot >> 6] >> np.uint64(slot & 63)
        if word == 0:  # no bucket in use in the rest of this word
            i += 64 - (slot & 63)
            continue
        while not word & one:
            word >>= one
            i += 1
            slot += 1
        room = (n_free + cap - top) // n_moves  # cells whose moves the pool can take
        if room == 0:
            state[:] = (i, free, n_free, top, live, remaining)
            return False
        # take the bucket's cells (up to BATCH) off its list first, then settle them: so the
        # cells a few places ahead are known, and their rows fetched from memory meanwhile
        e = head[slot]
        m = 0
        while e >= 0 and m < min(room, batch.size):
            u = node[e]
            e_next = nxt[e]
            nxt[e] = free
            free = e
            n_free += 1
            e = e_next
            live -= 1
            if not done[u >> 3] & (1 << (u & 7)):  # else stale: reached more cheaply since
                done[u >> 3] |= 1 << (u & 7)
                batch[m] = u
                m += 1
        head[slot] = e
        for j in range(m):
            if j + AHEAD < m:
                w = batch[j + AHEAD]
                if nc <= w < csf.size - nc:
                    _prefetch(csf, w - nc)
                    _prefetch(csf, w)
                    _prefetch(csf, w + nc)
                    _prefetch(dist, w - nc)
                    _prefetch(dist, w)
                    _prefetch(dist, w + nc)
            u = batch[j]
            if remaining > 0 and bits[u >> 3] & (1 << (u & 7)):
                remaining -= 1
                if remaining == 0:
                    return True
            du = dist[u]
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
                if done[v >> 3] & (1 << (v & 7)):
                    continue
                if _relax(csf, zf, penalty, use_zone, u, v, k, cu, du, length, passed, dist, pred):
                    if free >= 0:
                        f = free
                        free = nxt[f]
                        n_free -= 1
                    else:
                        f = top
                        top += 1
                    b = int(dist[v] * inv_w) & mask
                    node[f] = v
                    nxt[f] = head[b]
                    head[b] = f
                    used[b >> 6] |= one << np.uint64(b & 63)
                    live += 1
        # empty only if no cell was filed back into it while it was settled (the list's head,
        # not ``e``): else the bit would be cleared with cells in it, lost (a search that never
        # ends, or settles them a whole circle late, at the wrong cost)
        if head[slot] < 0:
            used[slot >> 6] &= ~(one << np.uint64(slot & 63))
            i += 1
    return True


@numba.njit(nogil=True, cache=True)
def _passable_range(cs):
    """(min, max) of the passable costs (>= 0, finite), in one pass without copies."""
    lo, hi = np.inf, -np.inf
    for v in cs.ravel():
        if v >= 0.0 and v < np.inf:
            lo = min(lo, v)
            hi = max(hi, v)
    return lo, hi


MAX_BUCKETS = 1 << 20
"""Buckets always allowed (4 MiB of list heads); more, up to one per two cells (2 bytes a cell),
on larger grids. The count is rounded up to a power of two, so beyond costs spanning 0.18 to
0.35 × the cells (2.8 to 5.6 million× at 4000²) the heap takes over, whose memory does not grow
with the range."""


def _bucket_width(
    cs: np.ndarray, table: np.ndarray, step_km: float, *, connectivity: int
) -> tuple[float, int] | None:
    """(bucket width, number of circular buckets) for the bucket queue, or None for the heap.

    The width is just below the cheapest possible edge, so each bucket's cells are final.
    """
    lo, hi = _passable_range(cs)
    return _buckets_for(lo, hi, cs.size, table=table, step_km=step_km, connectivity=connectivity)


def _buckets_for(
    lo: float, hi: float, n: int, *, table: np.ndarray, step_km: float, connectivity: int
) -> tuple[float, int] | None:
    """``_bucket_width`` for passable costs from ``lo`` to ``hi`` on ``n`` cells."""
    if not lo > 0 or not np.isfinite(hi):
        return None
    width = lo * step_km * (1 - 1e-9)
    longest = hi * step_km * (math.sqrt(5) if connectivity == 16 else math.sqrt(2))
    finite = table[np.isfinite(table)]  # an infinite transition is a barrier, never queued
    slots = int(math.ceil((longest + float(finite.max(initial=0.0))) / width)) + 2
    slots = 1 << max(6, (slots - 1).bit_length())  # a power of two, in whole words of the bitmap
    return (width, slots) if slots <= max(MAX_BUCKETS, n // 2) else None


def _check_cells(shape: tuple[int, ...], cells, what: str) -> None:
    """Refuse cells outside a grid of ``shape``, before a kernel reads them as flat indices.

    Unchecked, (-1, -1) is the last cell to numpy and a cell before the first to a kernel, and
    (0, nc) is (1, 0): a search from or to another cell than the one asked for.
    """
    nr, nc = shape[0], shape[1]
    for r, c in cells:
        if not (0 <= r < nr and 0 <= c < nc):
            raise ValueError(
                f"{what} cell ({r}, {c}) is outside the {nr} × {nc} grid: rows must be 0 to "
                f"{nr - 1} and columns 0 to {nc - 1}"
            )


def penalty_table(penalty: float | np.ndarray, n_zones: int) -> np.ndarray:
    """A zone-transition table: given as one, or one number for all non-zero zone pairs."""
    if np.ndim(penalty) == 2:
        table = np.asarray(penalty, dtype=np.float64)
        if table.shape[0] < n_zones or table.shape[1] < n_zones:
            raise ValueError(f"zone_penalty table {table.shape} is smaller than {n_zones} zones")
        return np.ascontiguousarray(table)
    table = np.full((n_zones, n_zones), float(penalty))
    table[0, :] = table[:, 0] = 0.0
    np.fill_diagonal(table, 0.0)
    return table


POOL_START = 4096
"""Queue entries a search starts with; the pool doubles whenever the search stops for room."""


@dataclasses.dataclass(frozen=True)
class _Graph:
    """What a search runs on, named once: the first arguments of both kernels.

    ``cs``: each cell's cost per grid km (rate × ground scale, float64, C order; NaN, inf or
    negative: impassable). ``zone``: the cells' zones (a 1 × 1 stand-in when ``use_zone`` is
    False); ``table``: the zone-transition costs (``penalty_table``). ``step_km``: the cell
    size; ``connectivity``: 8 or 16.
    """

    cs: np.ndarray
    zone: np.ndarray
    table: np.ndarray
    use_zone: bool
    step_km: float
    connectivity: int

    def check_start(self, start: tuple[int, int]) -> None:
        """Refuse an impassable start cell (its cost is read as the search's first)."""
        if not (self.cs[start] >= 0 and np.isfinite(self.cs[start])):
            raise ValueError(f"start cell {start} is impassable")

    def buckets(self) -> tuple[float, int] | None:
        """(width, slots) for the bucket queue, or None for the heap (``_bucket_width``)."""
        return _bucket_width(self.cs, self.table, self.step_km, connectivity=self.connectivity)


def _graph(
    rate: np.ndarray,
    *,
    inv_scale: np.ndarray | None,
    zone: np.ndarray | None,
    zone_penalty: float | np.ndarray,
    step_km: float,
    connectivity: int,
    overlay: tuple[np.ndarray, np.ndarray] | None = None,
) -> _Graph:
    """``accumulate``'s inputs as the kernels take them, with one grid-sized array: the costs.

    ``overlay``: (flat indices, rates) some cells take instead of ``rate``'s, set in the costs
    (no copy of ``rate``).
    """
    if connectivity not in (8, 16):
        raise ValueError(f"connectivity must be 8 or 16, got {connectivity}")
    if inv_scale is None:
        copy = True if overlay is not None else None  # the rate itself is never written
        cs = np.array(rate, dtype=np.float64, order="C", copy=copy)
    else:
        cs = np.multiply(rate, inv_scale, dtype=np.float64)  # one grid-sized array, not two
    if overlay is not None:
        idx, vals = overlay
        v = vals.astype(np.float64)  # as the costs: rate and scale each in float64, multiplied
        cs.ravel()[idx] = v if inv_scale is None else v * inv_scale.ravel()[idx]
    use_zone = zone is not None
    z = np.ascontiguousarray(zone) if use_zone else np.zeros((1, 1), dtype=np.int16)
    table = penalty_table(zone_penalty, int(z.max()) + 1)
    return _Graph(cs, z, table, use_zone, float(step_km), connectivity)


def _search(
    graph: _Graph,
    start: tuple[int, int] | list[tuple[int, int]],
    targets: list[tuple[int, int]],
    *,
    buckets: tuple[float, int] | None,
    dist: np.ndarray,
    pred: np.ndarray,
    mark: np.ndarray,
    settle: int | None = None,
) -> None:
    """Run the bucket queue (``buckets``: (width, slots)) or, when None, the heap over ``graph``.

    ``start`` is one cell or a list of cells, all at cost 0. ``dist`` and ``pred`` are flat,
    set to inf and -1 where the search may go; ``mark`` is the settled bitmap (buckets) or the
    heap positions (-1). The search stops once ``settle`` targets are settled (all when None).
    The kernels never grow their queue themselves: they stop, this doubles it, and they go on
    from where they were.
    """
    nc = graph.cs.shape[1]
    flat = np.array([r * nc + c for r, c in targets], dtype=np.int64)
    bits = np.zeros((graph.cs.size + 7) // 8, dtype=np.uint8)  # the target cells
    np.bitwise_or.at(bits, flat >> 3, (1 << (flat & 7)).astype(np.uint8))
    remaining = len(set(flat.tolist()))
    if settle is not None:
        remaining = min(remaining, settle)
    starts = [start] if isinstance(start, tuple) else list(start)
    s = np.unique(np.array([r * nc + c for r, c in starts], dtype=np.int64))
    n, pool = s.size, max(POOL_START, 2 * s.size)
    dist[s] = 0.0
    common = (graph.cs, graph.zone, graph.table, graph.use_zone, graph.step_km, bits)
    if buckets is None:
        hk, hn = np.zeros(pool), np.empty(pool, dtype=np.int32)
        hn[:n], mark[s] = s, np.arange(n)  # equal keys: already a heap
        state = np.array([n, remaining], dtype=np.int64)  # heap size, targets left
        args = (*common, graph.connectivity, dist, pred, mark)
        _run(_dijkstra, args, (hk, hn), state=state)
        return
    width, slots = buckets
    head = np.full(slots, -1, dtype=np.int32)  # each bucket's first entry, -1 when empty
    used = np.zeros(slots // 64, dtype=np.uint64)  # bit per bucket: non-empty
    node, nxt = np.empty(pool, dtype=np.int32), np.empty(pool, dtype=np.int32)
    node[:n], nxt[:n] = s, np.arange(1, n + 1)  # one list in bucket 0
    nxt[n - 1], head[0], used[0] = -1, 0, 1
    # bucket, free list, free entries, entries used, entries queued, targets left
    state = np.array([0, -1, 0, n, n, remaining], dtype=np.int64)
    args = (*common, graph.connectivity, width, dist, pred, mark, head, used)
    _run(_dijkstra_buckets, args, (node, nxt), state=state)


def _run(kernel, args: tuple, pools: tuple, *, state: np.ndarray) -> None:
    """Call a resumable kernel until it is done, doubling its ``pools`` each time it stops."""
    while not kernel(*args, *pools, state):
        pools = tuple(np.concatenate((p, np.empty_like(p))) for p in pools)


def accumulate(
    rate: np.ndarray,
    start: tuple[int, int],
    targets: list[tuple[int, int]] = (),
    *,
    inv_scale: np.ndarray | None = None,
    zone: np.ndarray | None = None,
    zone_penalty: float | np.ndarray = 0.0,
    step_km: float = 1.0,
    connectivity: int = 8,
) -> tuple[np.ndarray, np.ndarray]:
    """Accumulated least cost from ``start`` to every cell, and each cell's predecessor move.

    Parameters
    ----------
    rate : 2-D float array
        Cost per ground km of each cell; NaN, inf or negative cells are impassable.
    start : (row, col)
        Source cell; it must be on the grid (no negative indices) and passable.
    targets : list of (row, col)
        Stop once all are settled (all cells when empty); each must be on the grid.
    inv_scale : 2-D float array, optional
        Ground km per grid km of each cell (default 1).
    zone : 2-D int array, optional
        Zone id (0 to 255) per cell.
    zone_penalty : float or 2-D array
        Cost of moving from zone a to zone b: a table ``[a, b]``, or one number for every pair
        of different non-zero zones (zone 0 never pays). ``inf`` forbids the move.
    step_km : float
        Cell size in grid km.
    connectivity : 8 or 16
        King's moves, or king's and knight's moves (a knight's move is priced over the four
        cells it touches). No move cuts a corner: see the module's docstring.

    Returns
    -------
    dist : float64 array, inf where unreachable (or not settled before the targets were).
    pred : int8 array, index into (DR, DC) of the move that reached the cell, -1 for none.
    """
    g = Grower(
        rate,
        inv_scale=inv_scale,
        zone=zone,
        zone_penalty=zone_penalty,
        step_km=step_km,
        connectivity=connectivity,
    )
    return g.accumulate(start, targets)


class Grower:
    """A grid prepared once (costs, zones, queue) for many ``grow`` searches on it.

    The arguments are ``accumulate``'s, and ``overlay``: (flat indices, rates) some cells take
    instead (an alternative's exclusions). A shortest-path Steiner heuristic searches one grid
    scores of times; preparing it once saves a fifth of each search.
    """

    def __init__(  # noqa: PLR0913 (accumulate's keyword arguments)
        self,
        rate: np.ndarray,
        *,
        inv_scale: np.ndarray | None = None,
        zone: np.ndarray | None = None,
        zone_penalty: float | np.ndarray = 0.0,
        step_km: float = 1.0,
        connectivity: int = 8,
        overlay: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        self.graph = _graph(
            rate,
            inv_scale=inv_scale,
            zone=zone,
            zone_penalty=zone_penalty,
            step_km=step_km,
            connectivity=connectivity,
            overlay=overlay,
        )
        self.buckets = self.graph.buckets()

    def grow(
        self, starts: list[tuple[int, int]], targets: list[tuple[int, int]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """``accumulate`` from many cells at once (each at cost 0), until the nearest target.

        The search a shortest-path Steiner heuristic grows its tree by: from every cell of the
        tree at once, stopping as soon as the cheapest of ``targets`` is settled (the others
        may not be). ``backtrack`` from a settled cell ends on the start it came from.
        """
        return _from(self.graph, starts, targets, buckets=self.buckets, settle=1)

    def accumulate(
        self, start: tuple[int, int], targets: list[tuple[int, int]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """``accumulate`` from ``start`` on the prepared grid."""
        return _from(self.graph, [start], targets, buckets=self.buckets, settle=None)


def _from(
    graph: _Graph,
    starts: list[tuple[int, int]],
    targets: list[tuple[int, int]],
    *,
    buckets: tuple[float, int] | None,
    settle: int | None,
) -> tuple[np.ndarray, np.ndarray]:
    """The search of ``accumulate`` and ``Grower.grow``: from ``starts`` until ``settle`` targets.

    All targets when ``settle`` is None.
    """
    cells = [(int(r), int(c)) for r, c in starts]
    _check_cells(graph.cs.shape, cells, "start")
    _check_cells(graph.cs.shape, targets, "target")
    for s in cells:
        graph.check_start(s)
    n = graph.cs.size
    dist = np.full(n, np.inf)
    pred = np.full(n, -1, dtype=np.int8)
    if buckets is None:
        mark = np.full(n, -1, dtype=np.int32)  # the heap's positions
    else:
        mark = np.zeros((n + 7) // 8, dtype=np.uint8)  # the settled cells
    _search(graph, cells, targets, buckets=buckets, dist=dist, pred=pred, mark=mark, settle=settle)
    return dist.reshape(graph.cs.shape), pred.reshape(graph.cs.shape)  # views: no copy


@numba.njit(nogil=True, cache=True)
def _fill_corridor(rate, inv, use_inv, zone, r0, c0, near, factor, cs, z):  # noqa: PLR0913
    h, w = cs.shape
    nbr, nbc = near.shape
    lo, hi = np.inf, -np.inf
    for bi in range(nbr):
        for bj in range(nbc):
            ring = False
            if not near[bi, bj]:
                for di in range(max(bi - 1, 0), min(bi + 2, nbr)):
                    for dj in range(max(bj - 1, 0), min(bj + 2, nbc)):
                        ring = ring or near[di, dj]
                if not ring:
                    continue  # never read: its memory is never touched
            for i in range(bi * factor, min(bi * factor + factor, h)):
                for j in range(bj * factor, min(bj * factor + factor, w)):
                    if ring:
                        cs[i, j] = np.nan
                        continue
                    v = np.float64(rate[r0 + i, c0 + j])  # as accumulate: in float64
                    if use_inv:
                        v *= np.float64(inv[r0 + i, c0 + j])
                    cs[i, j] = v
                    z[i, j] = zone[r0 + i, c0 + j]
                    if v >= 0.0 and v < np.inf:
                        lo = min(lo, v)
                        hi = max(hi, v)
    return lo, hi


@numba.njit(nogil=True, cache=True)
def _init_corridor(near, factor, dist, pred):
    h, w = dist.shape
    for bi in range(near.shape[0]):
        for bj in range(near.shape[1]):
            if near[bi, bj]:
                for i in range(bi * factor, min(bi * factor + factor, h)):
                    for j in range(bj * factor, min(bj * factor + factor, w)):
                        dist[i, j] = np.inf
                        pred[i, j] = -1


def lazy_zeros(shape: tuple[int, ...], dtype) -> np.ndarray:
    """A zeroed array whose memory the system supplies a 4 KiB page at a time when written.

    An anonymous ``mmap``: numpy's own allocator asks for transparent huge pages on large
    arrays, so a search that writes a narrow band across a window would get every 2 MiB of
    the window (measured: 0.49 GB against 0.07 for one value per row of a 10,000 × 6,000
    float64 array).
    """
    count = math.prod(shape)
    buf = mmap.mmap(-1, max(count * np.dtype(dtype).itemsize, 1))
    return np.frombuffer(buf, dtype=dtype, count=count).reshape(shape)


class Corridor:
    """Dijkstra inside a corridor of blocks, on a window of a grid, for several searches.

    ``near`` marks the corridor's coarse cells (blocks of ``factor`` × ``factor`` cells) on the
    window whose first cell is (``r0``, ``c0``) of ``rate``. Only the corridor's blocks and the
    ring of blocks round them are ever written or read: the window-sized arrays are allocated
    but left untouched elsewhere (the operating system backs only the pages written), so a
    search along a diagonal corridor costs the corridor, not its bounding box. ``cells``: the
    rates some cells take instead (window rows, columns, rates; an alternative's exclusions).
    Costs and paths are those of ``accumulate`` on the window with every cell outside the
    corridor impassable. ``zone_penalty`` must be a table. ``ok`` is False where the costs need
    the heap (free cells, or too wide a range): use ``accumulate`` then.
    """

    def __init__(  # noqa: PLR0913
        self,
        rate: np.ndarray,
        inv_scale: np.ndarray | None,
        zone: np.ndarray,
        *,
        r0: int,
        c0: int,
        near: np.ndarray,
        factor: int,
        cells: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
        zone_penalty: np.ndarray,
        step_km: float,
        connectivity: int,
    ) -> None:
        h = min(near.shape[0] * factor, rate.shape[0] - r0)
        w = min(near.shape[1] * factor, rate.shape[1] - c0)
        self.near, self.factor = np.ascontiguousarray(near), int(factor)
        cs = lazy_zeros((h, w), np.float64)
        z = lazy_zeros((h, w), zone.dtype)
        inv = np.ones((1, 1), rate.dtype) if inv_scale is None else inv_scale
        lo, hi = _fill_corridor(
            rate, inv, inv_scale is not None, zone, r0, c0, self.near, self.factor, cs, z
        )
        if cells is not None:
            rr, cc, vals = cells
            inside = self.near[rr // factor, cc // factor]
            rr, cc, vals = rr[inside], cc[inside], vals[inside].astype(np.float64)
            if inv_scale is not None:
                vals = vals * inv_scale[rr + r0, cc + c0]
            cs[rr, cc] = vals
            # the bucket width must fit the overlay's rates too (a fallback penalty under 1, an
            # endpoint's own rate on a coarse level): below the corridor's least, its edges are
            # shorter than the width, and a bucket's cells are no longer final. Where it is
            # dearer, the corridor's least stays a lower bound: the same width, the same paths.
            ok = vals[(vals >= 0) & np.isfinite(vals)]
            lo = min(lo, float(ok.min(initial=np.inf)))
            hi = max(hi, float(ok.max(initial=-np.inf)))
        table = penalty_table(zone_penalty, zone_penalty.shape[0])
        self.graph = _Graph(cs, z, table, True, float(step_km), connectivity)
        self.buckets = _buckets_for(
            lo, hi, h * w, table=table, step_km=step_km, connectivity=connectivity
        )
        self.ok = self.buckets is not None

    def accumulate(
        self, start: tuple[int, int], targets: list[tuple[int, int]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """``accumulate`` from ``start`` to ``targets`` (window cells): (dist, pred).

        Both are defined in the corridor only; a start or target outside it is refused (its
        cost would be read from memory no search writes).
        """
        return self._from([start], targets, settle=None)

    def grow(
        self, starts: list[tuple[int, int]], targets: list[tuple[int, int]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """``Grower.grow`` in the corridor: from every start at once until the nearest target."""
        return self._from(starts, targets, settle=1)

    def _from(
        self, starts: list[tuple[int, int]], targets: list[tuple[int, int]], *, settle: int | None
    ) -> tuple[np.ndarray, np.ndarray]:
        cs = self.graph.cs
        for cell_list, what in ((starts, "start"), (targets, "target")):
            _check_cells(cs.shape, cell_list, what)
            for r, c in cell_list:
                if not self.near[r // self.factor, c // self.factor]:
                    raise ValueError(
                        f"{what} cell ({r}, {c}) is outside the corridor (the blocks of "
                        f"{self.factor} × {self.factor} cells marked in ``near``)"
                    )
        for s in starts:
            self.graph.check_start(tuple(s))
        dist = lazy_zeros(cs.shape, np.float64)
        pred = lazy_zeros(cs.shape, np.int8)
        _init_corridor(self.near, self.factor, dist, pred)
        done = lazy_zeros(((cs.size + 7) // 8,), np.uint8)
        _search(
            self.graph,
            [(int(r), int(c)) for r, c in starts],
            targets,
            buckets=self.buckets,
            dist=dist.ravel(),
            pred=pred.ravel(),
            mark=done,
            settle=settle,
        )
        return dist, pred


def backtrack(pred: np.ndarray, target: tuple[int, int]) -> np.ndarray:
    """Cells (N × 2 array of row, col) of the least-cost path from the start to ``target``."""
    _check_cells(pred.shape, [target], "target")
    r, c = target
    cells = [(r, c)]
    while pred[r, c] >= 0:
        k = pred[r, c]
        r, c = r - DR[k], c - DC[k]
        cells.append((r, c))
    return np.array(cells[::-1], dtype=np.int64)


def grid_km(cells: np.ndarray, step_km: float) -> np.ndarray:
    """Grid km of each move of a cell path: 1, √2, or √5 for a knight's move."""
    return np.hypot(np.diff(cells[:, 0]), np.diff(cells[:, 1])) * step_km


def edge_km(cells: np.ndarray, inv_scale: np.ndarray, step_km: float) -> np.ndarray:
    """Ground km of each step of a cell path (N-1 values)."""
    s = inv_scale[cells[:, 0], cells[:, 1]]
    return 0.5 * (s[:-1] + s[1:]) * grid_km(cells, step_km)


def path_sums(
    cells: np.ndarray, rate: np.ndarray, inv_scale: np.ndarray, *, step_km: float
) -> tuple[float, float]:
    """(cost, ground km) along a cell path, with the router's edge formula (no zone costs)."""
    s = inv_scale[cells[:, 0], cells[:, 1]]
    cs = rate[cells[:, 0], cells[:, 1]] * s
    cost = float(np.sum(0.5 * (cs[:-1] + cs[1:]) * grid_km(cells, step_km)))
    return cost, float(edge_km(cells, inv_scale, step_km).sum())


@numba.njit(nogil=True, cache=True)
def near_cells(cells, inv, cell_km, within_km, reach, out):
    """Mark ``out`` where a cell is within ``within_km`` of ground of any of ``cells``.

    The grid distance × cell_km × the cell's ``inv`` is compared, looking ``reach`` cells round
    each of ``cells``: a Euclidean distance transform's result, in the path's length × reach²
    rather than the grid's size. Along a path only a ring is looked at round each cell after
    the first: a cell nearer to it than the smallest radius on ``out`` less the step from the
    previous cell is near the previous cell, and already marked.
    """
    nr, nc = out.shape
    inv_lo, inv_hi = np.inf, 0.0
    for v in inv.ravel():
        inv_lo = min(inv_lo, v)
        inv_hi = max(inv_hi, v)
    r_lo = within_km / (cell_km * inv_hi)  # no cell's radius, in cells, is smaller
    r_hi = within_km / (cell_km * inv_lo)  # nor larger
    for p in range(cells.shape[0]):
        r, c = cells[p, 0], cells[p, 1]
        inner = -1.0
        if p > 0:
            dr0, dc0 = r - cells[p - 1, 0], c - cells[p - 1, 1]
            inner = r_lo - math.sqrt(dr0 * dr0 + dc0 * dc0) - 1e-9
        for dr in range(-reach, reach + 1):
            rr = r + dr
            if rr < 0 or rr >= nr:
                continue
            if abs(dr) > r_hi:
                continue
            far = min(reach, math.floor(math.sqrt(r_hi * r_hi - dr * dr)) + 1)
            skip = 0  # |dc| below this: nearer than ``inner``, marked already
            if inner > abs(dr):
                skip = math.ceil(math.sqrt(inner * inner - dr * dr))
            for side in range(2):  # the columns left of the skipped run, then right of it
                lo, hi = (-far, -skip) if side == 0 else (max(skip, 1), far)
                for dc in range(lo, hi + 1):
                    cc = c + dc
                    if cc < 0 or cc >= nc or out[rr, cc]:
                        continue
                    if math.sqrt(dr * dr + dc * dc) * cell_km * inv[rr, cc] < within_km:
                        out[rr, cc] = True


@numba.njit(nogil=True, cache=True, parallel=True)
def _block_min(rate, inv, use_inv, zone, czone, use_zone, factor):
    nr, nc = rate.shape
    cr, cc = (nr + factor - 1) // factor, (nc + factor - 1) // factor
    out = np.full((cr, cc), np.nan)
    for bi in numba.prange(cr):
        for bj in range(cc):
            for i in range(bi * factor, min(bi * factor + factor, nr)):
                for j in range(bj * factor, min(bj * factor + factor, nc)):
                    if use_zone and zone[i, j] != czone[bi, bj]:
                        continue
                    v = rate[i, j] * inv[i, j] if use_inv else rate[i, j]
                    if v >= 0.0 and v < np.inf and not v >= out[bi, bj]:
                        out[bi, bj] = v
    return out


def block_min(
    rate: np.ndarray,
    factor: int,
    inv_scale: np.ndarray | None = None,
    *,
    zones: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Coarsen by ``factor``: the cheapest passable cell of each block; NaN if none passable.

    With ``inv_scale``, of rate × inv_scale (the cost per grid km), without a grid-sized
    product. With ``zones`` (the fine zones, and the coarse ones from ``block_zone``), only the
    cells of the block's own zone count, so a coastal block that is sea keeps the sea's rate and
    a border block its country's. A railway or road one cell wide keeps its discount on the
    coarse grid, where a block mean would blur it away and send the coarse path (and the fine
    corridor) elsewhere.
    """
    return _block_min(*_block_args(rate, factor, inv_scale, zones=zones))


def _block_args(rate, factor, inv_scale, *, zones) -> tuple:
    """The block kernels' (rate, inv, use_inv, zone, czone, use_zone, factor).

    In the arrays' own dtypes (float32 or float64, 8- or 16-bit zones): never a grid-sized copy
    to change one.
    """
    inv = np.ascontiguousarray(inv_scale) if inv_scale is not None else np.ones((1, 1), rate.dtype)
    zone, czone = (np.zeros((1, 1), np.int16),) * 2 if zones is None else zones
    return (
        np.ascontiguousarray(rate),
        inv,
        inv_scale is not None,
        np.ascontiguousarray(zone),
        np.ascontiguousarray(czone),
        zones is not None,
        int(factor),
    )


@numba.njit(nogil=True, cache=True)
def _patch_blocks(rate, inv, use_inv, zone, czone, use_zone, factor, idx, vals):  # noqa: PLR0913
    nr, nc = rate.shape
    ccols = (nc + factor - 1) // factor
    touched = np.empty(idx.size, dtype=np.int64)
    for k in range(idx.size):
        touched[k] = (idx[k] // nc // factor) * ccols + (idx[k] % nc) // factor
    blocks = np.unique(touched)
    out = np.full(blocks.size, np.nan)
    for m in range(blocks.size):
        bi, bj = blocks[m] // ccols, blocks[m] % ccols
        j0, j1 = bj * factor, min(bj * factor + factor, nc)
        for i in range(bi * factor, min(bi * factor + factor, nr)):
            k = np.searchsorted(idx, i * nc + j0)
            for j in range(j0, j1):
                f = i * nc + j
                while k < idx.size and idx[k] < f:
                    k += 1
                if use_zone and zone[i, j] != czone[bi, bj]:
                    continue
                r = vals[k] if k < idx.size and idx[k] == f else rate[i, j]
                v = r * inv[i, j] if use_inv else r
                if v >= 0.0 and v < np.inf and not v >= out[m]:
                    out[m] = v
    return blocks, out


def patch_blocks(
    rate: np.ndarray,
    factor: int,
    cells: tuple[np.ndarray, np.ndarray],
    *,
    inv_scale: np.ndarray | None = None,
    zones: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``block_min`` again for only the blocks holding ``cells``: (coarse indices, values).

    ``cells``: sorted flat indices, and the rates they take instead of ``rate``'s. Returns the
    sorted flat indices of the coarse cells they touch and their new block minima.

    An exclusion round a path changes a band of blocks, not the coarse grid: its cost is the
    band's, where ``block_min`` of a changed copy would read and copy the whole fine grid.
    """
    idx, vals = cells
    return _patch_blocks(
        *_block_args(rate, factor, inv_scale, zones=zones),
        np.ascontiguousarray(idx, np.int64),
        np.ascontiguousarray(vals, rate.dtype),
    )


@numba.njit(nogil=True, cache=True)
def _grow(q):
    out = np.empty(2 * q.size, dtype=q.dtype)
    out[: q.size] = q
    return out


@numba.njit(nogil=True, cache=True)
def _linked(rate, closed, zone, penalty, use_zone, n_moves, a, b, mark, meet):  # noqa: C901, PLR0912, PLR0913, PLR0915
    nr, nc = rate.shape
    rf = rate.ravel()
    zf = zone.ravel()
    # mark: the low two bits 1, 2 reached from a, from b, 3 closed; the bits above, 1 + the
    # move that reached the cell (0 at a and b). ``meet``: the two cells where the searches met,
    # and the side (0: from a) of the first
    for k in range(closed.size):
        mark[closed[k]] = 3
    if mark[a] == 3 or mark[b] == 3:
        return False
    if not (rf[a] >= 0.0 and rf[a] < np.inf and rf[b] >= 0.0 and rf[b] < np.inf):
        return False  # an impassable end: ``accumulate`` refuses it, or never reaches it
    if a == b:
        meet[0], meet[1], meet[2] = a, b, 0
        return True
    passed = _passed(nc, n_moves)
    qa = np.empty(1024, dtype=np.int32)
    qb = np.empty(1024, dtype=np.int32)
    qa[0], qb[0] = a, b
    ha = hb = 0
    ta = tb = 1
    mark[a], mark[b] = 1, 2
    while ha < ta and hb < tb:
        side = 0 if ta - ha <= tb - hb else 1  # widen the smaller frontier
        if side == 0:
            u = qa[ha]
            ha += 1
        else:
            u = qb[hb]
            hb += 1
        ur, uc = u // nc, u % nc
        for k in range(n_moves):
            vr, vc = ur + DR[k], uc + DC[k]
            if vr < 0 or vr >= nr or vc < 0 or vc >= nc:
                continue
            v = vr * nc + vc
            m = mark[v] & 3
            if m == 3 or m == side + 1 or not (rf[v] >= 0.0 and rf[v] < np.inf):
                continue
            # the search from b takes the moves backwards: the move's source is v
            zs = (zf[u] if side == 0 else zf[v]) if use_zone else 0
            if _cuts_corner(rf, zf, penalty, use_zone, u, k, zs, passed, mark):
                continue  # the same corner rule as the router's
            if use_zone and zf[u] != zf[v]:
                cost = penalty[zf[u], zf[v]] if side == 0 else penalty[zf[v], zf[u]]
                if not cost < np.inf:
                    continue
            if m != 0:
                meet[0], meet[1], meet[2] = u, v, side
                return True  # the two searches met
            mark[v] = side + 1 + 4 * (k + 1)
            if side == 0:
                if ta == qa.size:
                    qa = _grow(qa)
                qa[ta] = v
                ta += 1
            else:
                if tb == qb.size:
                    qb = _grow(qb)
                qb[tb] = v
                tb += 1
    return False


def linked_path(
    rate: np.ndarray,
    a: tuple[int, int],
    b: tuple[int, int],
    *,
    closed: np.ndarray | None = None,
    zone: np.ndarray | None = None,
    zone_penalty: float | np.ndarray = 0.0,
    connectivity: int = 8,
) -> np.ndarray | None:
    """A way ``accumulate`` from ``a`` could take to ``b`` (cells, N × 2); None: it cannot.

    Found without pricing a cell: the same moves, passable cells, zone transitions and corner
    rule, with ``closed`` (flat indices) shut too (a diagonal step may not pass between two
    closed cells either). A search from each end, always widening the smaller: when ``b`` is
    cut off, the work is the size of the smaller side, where a Dijkstra from ``a`` would price
    every cell ``a`` reaches. The way is the fewest moves from each end to where the two
    searches met, not the cheapest.
    """
    _check_cells(rate.shape, [a, b], "end")
    z = np.zeros((1, 1), np.int16) if zone is None else np.ascontiguousarray(zone)
    nc = rate.shape[1]
    mark = lazy_zeros((rate.size,), np.uint8)  # the pages of the cells searched, not the grid
    meet = np.zeros(3, dtype=np.int64)
    if not _linked(
        np.ascontiguousarray(rate),
        np.zeros(0, np.int64) if closed is None else np.ascontiguousarray(closed, np.int64),
        z,
        penalty_table(zone_penalty, int(z.max()) + 1),
        zone is not None,
        connectivity,
        a[0] * nc + a[1],
        b[0] * nc + b[1],
        mark,
        meet,
    ):
        return None
    u, v, side = (int(x) for x in meet)

    def back(x: int) -> list[int]:  # x, then each cell before it to its search's start
        out = [x]
        while mark[x] >> 2:
            k = (mark[x] >> 2) - 1
            x = x - int(DR[k]) * nc - int(DC[k])
            out.append(x)
        return out

    from_a, from_b = (u, v) if side == 0 else (v, u)
    flat = back(from_a)[::-1] + (back(from_b) if from_b != from_a else [])
    return np.column_stack(np.divmod(np.array(flat, dtype=np.int64), nc))


@numba.njit(nogil=True, cache=True)
def _block_zone(zone, factor, pref_lo, pref_hi):
    nr, nc = zone.shape
    cr, cc = (nr + factor - 1) // factor, (nc + factor - 1) // factor
    out = np.zeros((cr, cc), dtype=zone.dtype)
    counts = np.zeros(int(zone.max()) + 1, dtype=np.int64)
    for bi in range(cr):
        for bj in range(cc):
            best, pref = 0, 0
            for i in range(bi * factor, min(bi * factor + factor, nr)):
                for j in range(bj * factor, min(bj * factor + factor, nc)):
                    z = zone[i, j]
                    if z > 0:
                        counts[z] += 1
                        if counts[z] > counts[best] or (counts[z] == counts[best] and z < best):
                            best = z
                        if pref_lo <= z <= pref_hi and z > pref:
                            pref = z
            out[bi, bj] = pref if pref > 0 else best
            for i in range(bi * factor, min(bi * factor + factor, nr)):
                for j in range(bj * factor, min(bj * factor + factor, nc)):
                    counts[zone[i, j]] = 0
    return out


def block_zone(zone: np.ndarray, factor: int, prefer: tuple[int, int] = (1, 0)) -> np.ndarray:
    """Coarsen a zone raster by ``factor``.

    A block takes a zone in ``prefer`` (lo, hi) if it holds one (the highest), else its most
    common non-zero zone (the lowest of a tie); 0 if it holds none. Preferring the gateway
    zones keeps every gateway open on the coarse grid.
    """
    z = np.ascontiguousarray(zone)
    return _block_zone(z, int(factor), int(prefer[0]), int(prefer[1]))
