"""Router benchmark: ratios measured in one run, so a noisy machine affects both sides alike.

1. speed: full accumulation plus one path on a synthetic 4000 × 4000 grid, against
   scikit-image's ``MCP_Geometric`` (8-connectivity), with the destination cost compared;
2. memory: peak resident bytes per cell of one full-grid route, each side in a fresh process;
3. scaling: a batch of 8 routes through Dask on 2 threads against 1;
4. coarse-to-fine: a route on a grid 4× finer than the default grid (16× the cells) against a
   full accumulation on the default grid, and its cost against a full fine-grid route on a grid
   small enough to compare.

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

import dask
import numpy as np
from scipy import ndimage

from pipeline import router
from pipeline.config import GridConfig
from pipeline.grid import template


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


def ours_from(cost, start):
    dist, pred = router.accumulate(cost, start)
    return router.backtrack(pred, (cost.shape[0] - 1, cost.shape[1] - 1)).shape


def coarse_to_fine(default_shape: tuple[int, int], compare_n: int, repeats: int) -> dict:
    router.accumulate(np.ones((8, 8)), (0, 0))
    router.coarse_to_fine(np.ones((64, 64)), (0, 0), (63, 63))
    base = terrain_like(default_shape, 5)
    fine_shape = (default_shape[0] * 4, default_shape[1] * 4)
    fine = terrain_like(fine_shape, 6, feature_cells=256)
    target = (fine_shape[0] - 1, fine_shape[1] - 1)
    t_default, t_c2f = [], []
    for _ in range(repeats):  # alternate, so drifts in machine load hit both
        t_default.append(timed(router.accumulate, base, (0, 0))[0])
        t, (_, _, tries) = timed(router.coarse_to_fine, fine, (0, 0), target)
        t_c2f.append(t)
    del fine
    small = terrain_like((compare_n, compare_n), 7, feature_cells=256)
    t = (compare_n - 1, compare_n - 1)
    full_cost = router.accumulate(small, (0, 0), [t])[0][t]
    _, c2f_cost, _ = router.coarse_to_fine(small, (0, 0), t)
    return {
        "default_cells": base.size,
        "fine_cells": fine_shape[0] * fine_shape[1],
        "default_full_s": statistics.median(t_default),
        "fine_c2f_s": statistics.median(t_c2f),
        "tries": tries,
        "compare_cells": small.size,
        "cost_rel_diff": c2f_cost / full_cost - 1,
    }


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
    c = coarse_to_fine(default_shape, 500 if args.quick else 2000, 1 if args.quick else 3)
    rows = [
        (
            "speed: ours / skimage MCP_Geometric (cells/s)",
            s["ours_cells_per_s"] / s["skimage_cells_per_s"],
            ">= 2.5",
            f"{s['ours_cells_per_s'] / 1e6:.2f} vs {s['skimage_cells_per_s'] / 1e6:.2f} Mcells/s",
        ),
        ("same destination cost (relative difference)", s["cost_rel_diff"], "<= 1e-9", ""),
        (
            "peak memory, ours (bytes/cell)",
            m["ours"],
            "<= 32",
            f"skimage {m['skimage']:.0f} bytes/cell",
        ),
        (
            "batch of 8 routes: 2 workers / 1 (speed-up)",
            sc["one_worker_s"] / sc["two_workers_s"],
            ">= 1.8",
            f"{sc['one_worker_s']:.1f} s vs {sc['two_workers_s']:.1f} s",
        ),
        (
            "coarse-to-fine 16x cells / default full grid (time)",
            c["fine_c2f_s"] / c["default_full_s"],
            "<= 2",
            f"{c['fine_cells'] / 1e6:.0f} M cells in {c['fine_c2f_s']:.1f} s (tries {c['tries']})"
            f" vs {c['default_cells'] / 1e6:.1f} M in {c['default_full_s']:.1f} s",
        ),
        (
            "coarse-to-fine cost vs full fine grid (relative)",
            abs(c["cost_rel_diff"]),
            "<= 0.01",
            f"on {c['compare_cells'] / 1e6:.0f} M cells",
        ),
    ]
    print("\n| measure | value | target | detail |\n|---|---|---|---|")
    for name, value, target, detail in rows:
        print(f"| {name} | {value:.3g} | {target} | {detail} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
