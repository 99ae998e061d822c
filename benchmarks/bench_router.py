"""Router benchmark: ratios measured in one run, so a noisy machine affects both sides alike.

1. speed: full accumulation plus one path on a synthetic 4000 × 4000 grid, against
   scikit-image's ``MCP_Geometric`` (8-connectivity), with the destination cost compared;
2. memory: peak resident bytes per cell of one full-grid route, each side in a fresh process;
3. scaling: a batch of 8 routes through Dask on 2 threads against 1;
4. wide cost range: on a grid whose costs span 1 to 1e5, the bucket queue against skimage and
   against the router's heap (which took such ranges before the buckets became linked lists);
5. coarse-to-fine, the route stage's own (``search.route_chain`` with ``route.method``): the real
   cost surface of the last build (``data/processed/cost``; a synthetic one if there is none),
   Moscow to Jask, upsampled 4× and 8× (16× and 64× the cells), time and cost against the full
   grid on the same cells.

Run with ``make bench`` (or ``python benchmarks/bench_router.py``); ``--quick`` uses smaller
grids for a smoke run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from unittest import mock

import dask
import numpy as np
from affine import Affine
from scipy import ndimage

from pipeline import io, router, scene, search
from pipeline.config import GridConfig, RouteConfig
from pipeline.grid import Grid, template

C2F = RouteConfig(method="coarse_to_fine").coarse_to_fine(1)
"""The route stage's default coarse-to-fine settings: (factor, corridor cells, widenings, coarsest
cells)."""
REAL = "data/processed/cost"
"""Where the last build's cost surface is, relative to the repository."""


def uniform_grid(n: int, seed: int = 0) -> np.ndarray:
    """The issue's synthetic grid: costs uniform in [1, 10)."""
    return np.random.default_rng(seed).uniform(1.0, 10.0, (n, n))


def terrain_like(shape: tuple[int, int], seed: int, feature_cells: int = 64) -> np.ndarray:
    """A smooth cost field (valleys and ridges) with cell-scale noise, for coarse-to-fine."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(1.0, 20.0, (shape[0] // feature_cells + 2, shape[1] // feature_cells + 2))
    base = ndimage.zoom(coarse, feature_cells, order=1)[: shape[0], : shape[1]]
    return base * rng.uniform(0.8, 1.2, shape)


def timed(fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t0, out


def ours(cost: np.ndarray):
    n = cost.shape
    dist, pred = router.accumulate(cost, (0, 0))
    router.backtrack(pred, (n[0] - 1, n[1] - 1))
    return dist[-1, -1]


def skimage_mcp(cost: np.ndarray):
    from skimage.graph import MCP_Geometric

    mcp = MCP_Geometric(cost, fully_connected=True)
    dist, _ = mcp.find_costs([(0, 0)])
    mcp.traceback((cost.shape[0] - 1, cost.shape[1] - 1))
    return dist[-1, -1]


def speed(n: int, repeats: int) -> dict:
    cost = uniform_grid(n)
    router.accumulate(np.ones((8, 8)), (0, 0))  # compile outside the timing
    t_ours, t_sk = [], []
    for _ in range(repeats):  # alternate, so drifts in machine load hit both
        t, d_ours = timed(ours, cost)
        t_ours.append(t)
        t, d_sk = timed(skimage_mcp, cost)
        t_sk.append(t)
    cells = cost.size
    return {
        "cells": cells,
        "ours_cells_per_s": cells / statistics.median(t_ours),
        "skimage_cells_per_s": cells / statistics.median(t_sk),
        "cost_rel_diff": abs(d_ours - d_sk) / d_sk,
    }


def _peak_rss_bytes() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM"))


def memory_child(which: str, n: int) -> None:
    """In a fresh process: peak RSS growth of one route, per cell (cost grid excluded).

    The peak is reset (Linux ``clear_refs``) after the cost grid exists and the code is warm, so
    neither the grid nor the JIT compiler's memory counts.
    """
    cost = uniform_grid(n)
    fn = ours if which == "ours" else skimage_mcp
    fn(np.ones((8, 8)))
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    before = _peak_rss_bytes()
    fn(cost)
    print(json.dumps({"bytes_per_cell": (_peak_rss_bytes() - before) / cost.size}))


def memory(n: int) -> dict:
    out = {}
    for which in ("ours", "skimage"):
        res = subprocess.run(
            [sys.executable, __file__, "--memory-child", which, "--size", str(n)],
            capture_output=True,
            text=True,
            check=True,
        )
        out[which] = json.loads(res.stdout.strip().splitlines()[-1])["bytes_per_cell"]
    return out


def scaling(n: int, routes: int = 8) -> dict:
    cost = terrain_like((n, n), 3)
    router.accumulate(np.ones((8, 8)), (0, 0))
    rng = np.random.default_rng(4)
    starts = [tuple(int(v) for v in rng.integers(0, n, 2)) for _ in range(routes)]
    tasks = [dask.delayed(ours_from)(cost, s) for s in starts]
    times = {}
    for workers in (1, 2, 1, 2):
        t, _ = timed(dask.compute, *tasks, scheduler="threads", num_workers=workers)
        times.setdefault(workers, []).append(t)
    return {"one_worker_s": min(times[1]), "two_workers_s": min(times[2])}


def wide_range(n: int, repeats: int) -> dict:
    """Speed where costs span five decades, against skimage and the router's own heap.

    The bucket queue has about 140,000 buckets here; before its buckets were linked lists, the
    router left such ranges to the heap.
    """
    cost = np.exp(np.random.default_rng(9).uniform(0.0, np.log(1e5), (n, n)))
    router.accumulate(np.array([[0.0, 1.0], [1.0, 1.0]]), (0, 0))  # compile the heap path
    t_ours, t_heap, t_sk = [], [], []
    for _ in range(repeats):
        t, d_ours = timed(ours, cost)
        t_ours.append(t)
        with mock.patch.object(router, "_bucket_width", return_value=None):
            t, d_heap = timed(ours, cost)
        t_heap.append(t)
        t_sk.append(timed(skimage_mcp, cost)[0])
    return {
        "ratio": statistics.median(t_sk) / statistics.median(t_ours),
        "vs_heap": statistics.median(t_heap) / statistics.median(t_ours),
        "cost_rel_diff": abs(d_ours - d_heap) / d_heap,
        "buckets": router._bucket_width(cost, np.zeros((1, 1)), 1.0, connectivity=8)[1],
    }


def ours_from(cost, start):
    dist, pred = router.accumulate(cost, start)
    return router.backtrack(pred, (cost.shape[0] - 1, cost.shape[1] - 1)).shape


def _surface(default_shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, str]:
    """The last build's steering rate and ground scale, or a synthetic terrain of that shape."""
    try:
        grid = template(GridConfig())
        rate = io.read_raster(f"{REAL}/steer_cost_usd_per_km.tif", grid)[0]
        inv = io.read_raster(f"{REAL}/inv_scale.tif", grid)[0]
        return rate.astype(np.float64), inv.astype(np.float64), "the real cost surface"
    except Exception:  # noqa: BLE001 (no build yet: say so in the table)
        return terrain_like(default_shape, 5), np.ones(default_shape), "a synthetic surface"


def _ends(rate: np.ndarray) -> tuple[tuple[int, int], tuple[int, int]]:
    """Moscow and Jask on the default grid, moved to the nearest passable cell."""
    grid = template(GridConfig())
    ok = np.argwhere(np.isfinite(rate) & (rate >= 0))
    out = []
    for lon, lat in ((37.61, 55.75), (57.77, 25.64)):
        r, c = grid.rowcol(*grid.from_lonlat().transform(lon, lat))
        out.append(tuple(int(v) for v in ok[np.argmin(np.hypot(ok[:, 0] - r, ok[:, 1] - c))]))
    return out[0], out[1]


def _scene(rate: np.ndarray, inv: np.ndarray, cell_m: float, c2f) -> scene.Scene:
    zone = np.zeros(rate.shape, dtype=np.int16)
    grid = Grid(
        template(GridConfig()).crs, Affine.scale(cell_m, -cell_m), rate.shape[1], rate.shape[0]
    )
    return scene.Scene(rate, inv, zone, np.zeros((1, 1)), grid, 8, None, c2f)


def _route(scene: scene.Scene, a: tuple[int, int], b: tuple[int, int]):
    """One route on the scene, its coarse levels built inside the timing (once per scene)."""
    return search.route_chain(
        search.Query(level=scene.level(), scene=scene, chain=[a], targets=[b])
    )


def coarse_to_fine(default_shape: tuple[int, int], factors: tuple[int, ...]) -> list[dict]:
    base, base_inv, what = _surface(default_shape)
    a, b = _ends(base)
    cell_m = GridConfig().cell_m
    _route(_scene(base, base_inv, cell_m, C2F), a, b)  # compile
    out = []
    for f in factors:
        rate = np.repeat(np.repeat(base, f, axis=0), f, axis=1)
        inv = np.repeat(np.repeat(base_inv, f, axis=0), f, axis=1)
        s, t = (a[0] * f, a[1] * f), (b[0] * f, b[1] * f)
        runs = {}
        for key, c2f in (("full", None), ("c2f", C2F)):
            scene = _scene(rate, inv, cell_m / f, c2f)
            runs[key] = timed(_route, scene, s, t)
        (t_full, (full,)), (t_c2f, (c2f,)) = runs["full"], runs["c2f"]
        out.append(
            {
                "factor": f,
                "cells": rate.size,
                "full_s": t_full,
                "c2f_s": t_c2f,
                "cost_rel_diff": c2f[1] / full[1] - 1,
                "what": what,
            }
        )
        del rate, inv
    return out


def print_table(rows: list[tuple[str, float, str, str]]) -> None:
    """The benchmark's result as a Markdown table: measure, value, target, detail."""
    print("\n| measure | value | target | detail |\n|---|---|---|---|")
    for name, value, target, detail in rows:
        print(f"| {name} | {value:.3g} | {target} | {detail} |")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small grids (a smoke run)")
    p.add_argument("--size", type=int, default=None)
    p.add_argument("--memory-child", choices=("ours", "skimage"), help=argparse.SUPPRESS)
    args = p.parse_args()
    n = args.size or (1000 if args.quick else 4000)
    if args.memory_child:
        memory_child(args.memory_child, n)
        return 0
    default_shape = template(GridConfig()).shape
    if args.quick:
        default_shape = (default_shape[0] // 4, default_shape[1] // 4)
    print(f"router benchmark: {n}×{n} uniform grid; default grid {default_shape}", flush=True)
    s = speed(n, 1 if args.quick else 3)
    m = memory(n)
    sc = scaling(n // 2)
    w = wide_range(n // 2, 1 if args.quick else 3)
    c2f = coarse_to_fine(default_shape, (4,) if args.quick else (4, 8))
    rows = [
        (
            "speed: ours / skimage MCP_Geometric (cells/s)",
            s["ours_cells_per_s"] / s["skimage_cells_per_s"],
            ">= 6",
            f"{s['ours_cells_per_s'] / 1e6:.2f} vs {s['skimage_cells_per_s'] / 1e6:.2f} Mcells/s",
        ),
        ("same destination cost (relative difference)", s["cost_rel_diff"], "<= 1e-9", ""),
        (
            "peak memory, ours (bytes/cell)",
            m["ours"],
            "<= 10",
            f"skimage {m['skimage']:.0f} bytes/cell",
        ),
        (
            "batch of 8 routes: 2 workers / 1 (speed-up)",
            sc["one_worker_s"] / sc["two_workers_s"],
            ">= 1.8",
            f"{sc['one_worker_s']:.1f} s vs {sc['two_workers_s']:.1f} s",
        ),
        (
            "costs spanning 1 to 1e5: ours / skimage (speed)",
            w["ratio"],
            ">= 1",
            f"{n // 2}×{n // 2}; the bucket queue, {w['buckets']:,} buckets",
        ),
        (
            "costs spanning 1 to 1e5: bucket queue / heap (speed)",
            w["vs_heap"],
            "> 1",
            f"same cost within {w['cost_rel_diff']:.1g}",
        ),
    ]
    for c in c2f:
        rows += [
            (
                f"coarse-to-fine / full grid, {c['factor']}× upsampled (time)",
                c["c2f_s"] / c["full_s"],
                "<= 0.5",
                f"{c['what']}, Moscow–Jask, {c['cells'] / 1e6:.0f} M cells: "
                f"{c['c2f_s']:.1f} s vs {c['full_s']:.1f} s",
            ),
            (
                f"coarse-to-fine cost vs full grid, {c['factor']}× (relative)",
                abs(c["cost_rel_diff"]),
                "<= 0.005",
                "",
            ),
        ]
    print_table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
