"""Build benchmark: stage times at two grid sizes, and the Dask stages on a cluster.

Each stage's time and peak memory at the default grid and a finer one, and the Dask stages on
a cluster of two local worker processes against local threads:

1. grid size: the whole build (every stage, each in its own process, as ``make`` runs them) at
   ``grid.cell_m`` 2,500 (the default) and at each ``--cell-m`` (1,000 unless told), into a
   scratch folder; the ratio of each stage's time, of the whole build's, and the peak resident
   memory of the largest stage; and the network stage's time against the route stage's in the
   default build (the issue's target: no more);
2. the route stage alone at ``--route-cell-m`` (250 unless told): the route stage's input rasters
   of the 1 km build (or the finest built) resampled to that grid, each cell taking the value of
   the coarser cell it lies in (the grids share their origin), and the route stage run on them;
   its time and peak memory against the issue's targets (<= 5 min, <= 8 GB);
3. cluster: the Dask stages (cost, route, uncertainty, network) of one of those builds
   (``--cluster-cell-m``, the default grid unless told) again on a ``distributed.LocalCluster``
   (two worker processes, one thread each, on 127.0.0.1) by its address
   (``PIPELINE_DASK_ADDRESS``), each stage's outputs checked identical in content to the
   threaded build's; the ratio of the speeds per stage, against the stage's time in that build.
   Each cluster run starts a cluster of its own and closes it after. ``--repeats N`` adds N - 1
   further pairs (threads, then the cluster, alternately, so drifts in the machine's load hit
   both); the medians are compared.

Peak memory is each stage process's peak resident set (``ru_maxrss``), which counts the pages
of the rasters it maps from disk, and its peak anonymous memory (``RssAnon``, sampled every
0.2 s), the part the kernel cannot take back by dropping pages; on the cluster, the workers'.

It reads the fetched sources in ``data/raw`` (run ``make`` or the fetch stage first) and writes
only to a scratch folder, removed at the end unless ``--keep DIR`` names one (a build already
complete there is reused). Run with ``make bench`` (after the router benchmark) or
``python benchmarks/bench_build.py [--cell-m 1000 500] [--no-cluster]``; the whole build at
250 m and its cluster twin: ``--cell-m 250 --route-cell-m 0 --cluster-cell-m 250 --keep DIR``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import rasterio
from bench_router import print_table  # the same table (this folder is on the path)
from rasterio.windows import Window

from pipeline import catalogue, config, scene
from pipeline.grid import template

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
DASK_STAGES = tuple(k for k, s in catalogue.STAGES.items() if s.dask)
DEFAULT_CELL_M = 2500
CHILD = (
    "import resource, sys\n"
    "from pipeline import cli\n"
    "rc = cli.main(sys.argv[1:])\n"
    "print('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    "sys.exit(rc)\n"
)


def anon_bytes(pid: int) -> int:
    """A process's anonymous resident memory now (0 once it has gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(w.split()[1]) * 1024 for w in f if w.startswith("RssAnon:"))
    except (OSError, StopIteration):
        return 0


def run_stage(
    config: Path, stage: str, log: Path, address: str | None = None
) -> tuple[float, int, int]:
    """Run one stage in a fresh process: (seconds, peak resident bytes, peak anonymous bytes)."""
    env = {k: v for k, v in os.environ.items() if k != "PIPELINE_DASK_ADDRESS"}
    if address:
        env["PIPELINE_DASK_ADDRESS"] = address
    t0 = time.perf_counter()
    anon = 0
    with open(log, "a") as err, tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, "--config", str(config), stage],
            stdout=out,
            stderr=err,
            text=True,
            env=env,
            cwd=ROOT,
        )
        while proc.poll() is None:
            anon = max(anon, anon_bytes(proc.pid))
            time.sleep(0.2)
        seconds = time.perf_counter() - t0
        out.seek(0)
        stdout = out.read()
    if proc.returncode != 0:
        raise SystemExit(f"bench_build: stage {stage} failed; its log: {log}")
    peak = next(int(w.split()[1]) for w in stdout.splitlines() if w.startswith("PEAK_KB"))
    return seconds, peak * 1024, anon


def digest(path: Path) -> str:
    """A digest of a file's content, not its bytes.

    A raster's bands strip by strip, each table of a GeoPackage row by row (a GeoPackage also
    stores when it was written).
    """
    h = hashlib.sha256()
    if path.suffix == ".tif":
        with rasterio.open(path) as src:
            for r0 in range(0, src.height, 1024):
                h.update(src.read(window=Window(0, r0, src.width, min(1024, src.height - r0))))
    elif path.suffix == ".gpkg":
        for layer, _ in pyogrio.list_layers(path):
            frame = pyogrio.read_dataframe(path, layer=layer)
            if hasattr(frame, "to_wkb"):
                frame = frame.to_wkb()
            h.update(layer.encode())
            h.update(pd.util.hash_pandas_object(frame, index=False).values)
    else:
        h.update(path.read_bytes())
    return h.hexdigest()


def digests(folder: Path, stage: str) -> dict[str, str]:
    """The digest of each output of ``stage`` in the build folder ``folder``."""
    files = catalogue.stage_files(stage, RAW, folder / "out")
    return {k: digest(files[k]) for k in catalogue.STAGES[stage].outputs}


def write_config(folder: Path, cell_m: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.yaml"
    path.write_text(
        f"paths:\n  raw_dir: {RAW}\n  processed_dir: {folder / 'out'}\ngrid:\n  cell_m: {cell_m}\n"
    )
    return path


def build(folder: Path, cell_m: int) -> dict[str, tuple[float, int, int]]:
    """Every stage in order at ``cell_m``: {stage: (seconds, peak bytes, peak anonymous bytes)}.

    The figures are kept in ``folder/times.json``; a build already complete there is reused.
    """
    record = folder / "times.json"
    if record.exists():
        print(f"  {cell_m} m: the build in {folder} reused", flush=True)
        return {k: tuple(v) for k, v in json.loads(record.read_text()).items()}
    config = write_config(folder, cell_m)
    times = {}
    for stage in catalogue.STAGES:
        times[stage] = run_stage(config, stage, folder / "log")
        seconds, peak, anon = times[stage]
        print(
            f"  {cell_m} m {stage}: {seconds:.1f} s, peak {peak / 1e9:.2f} GB "
            f"(anonymous {anon / 1e9:.2f} GB)",
            flush=True,
        )
    record.write_text(json.dumps(times))
    return times


def resampled(source: Path, folder: Path, cell_m: int) -> Path:
    """A build folder at ``cell_m`` holding the route stage's inputs from the build in ``source``.

    Each fine cell takes the value of the coarse cell it lies in; the route stage's rasters only
    (``scene.SCENE_RASTERS`` and the ground scale), written a strip at a time.
    """
    config_path = write_config(folder, cell_m)
    out = folder / "out"
    (out / "cost").mkdir(parents=True, exist_ok=True)
    for name in ("ingest.gpkg", "gateways.gpkg"):
        shutil.copy(source / name, out / name)
    fine = template(config.load(config_path).grid)
    for name in (*scene.SCENE_RASTERS, "inv_scale"):
        with rasterio.open(source / "cost" / f"{name}.tif") as src:
            factor = src.transform.a / fine.cell_m
            profile = src.profile | {
                "width": fine.width,
                "height": fine.height,
                "transform": fine.transform,
                "tiled": True,
                "blockxsize": 256,
                "blockysize": 256,
                "compress": "deflate",
                "BIGTIFF": "YES",
            }
            coarse = src.read(1)
            cols = np.minimum((np.arange(fine.width) / factor).astype(np.int64), src.width - 1)
            with rasterio.open(out / "cost" / f"{name}.tif", "w", **profile) as dst:
                dst.update_tags(**src.tags())
                for r0 in range(0, fine.height, 1024):
                    rows = np.arange(r0, min(r0 + 1024, fine.height))
                    src_rows = np.minimum((rows / factor).astype(np.int64), src.height - 1)
                    block = coarse[src_rows][:, cols]
                    dst.write(block, 1, window=Window(0, r0, fine.width, rows.size))
    return config_path


def _peak_rss() -> int:
    """The calling process's peak resident bytes (run on each worker)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def cluster_vs_threads(
    folder: Path, threaded: dict, repeats: int, stages: list[str]
) -> dict[str, tuple[float, float, bool, int]]:
    """The Dask ``stages`` of the build in ``folder`` again on a local cluster.

    {stage: (threaded s, cluster s, outputs identical, the workers' largest peak resident
    bytes)}; the times are medians, the build's threaded time the first sample. Each cluster run
    has a cluster of its own, closed before the next threaded run: idle workers keep their memory,
    which a threaded run beside them would lose to (inside a memory limit, its page cache).
    """
    config = folder / "config.yaml"
    reference = {s: digests(folder, s) for s in stages}
    out: dict[str, tuple[list, list, list]] = {s: ([threaded[s][0]], [], []) for s in stages}
    peaks = dict.fromkeys(stages, 0)
    for i in range(repeats):
        for stage in stages:
            if i:
                out[stage][0].append(run_stage(config, stage, folder / "log")[0])
            seconds, peak = _on_a_cluster(config, stage, folder / "log")
            out[stage][1].append(seconds)
            out[stage][2].append(digests(folder, stage) == reference[stage])
            peaks[stage] = max(peaks[stage], peak)
            print(
                f"  {stage}: threads {out[stage][0][-1]:.1f} s, "
                f"cluster {out[stage][1][-1]:.1f} s, outputs identical: {out[stage][2][-1]}",
                flush=True,
            )
    return {
        s: (sorted(t)[len(t) // 2], sorted(c)[len(c) // 2], all(same), peaks[s])
        for s, (t, c, same) in out.items()
    }


def _on_a_cluster(config: Path, stage: str, log: Path) -> tuple[float, int]:
    """``stage`` on a new local cluster by its address: (seconds, the workers' largest peak)."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            memory_limit=0,  # no nanny limit: a mapped raster's pages count in a worker's RSS
        ) as cluster,
        Client(cluster) as client,
    ):
        client.run(lambda: __import__("pipeline.cli"))  # warm the workers' imports
        seconds = run_stage(config, stage, log, cluster.scheduler_address)[0]
        return seconds, max(client.run(_peak_rss).values())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cell-m", type=int, nargs="*", default=[1000], help="finer grids to build")
    p.add_argument(
        "--route-cell-m", type=int, default=250, help="the route stage alone at this grid (0: not)"
    )
    p.add_argument("--no-cluster", action="store_true", help="skip the cluster comparison")
    p.add_argument(
        "--cluster-cell-m",
        type=int,
        default=DEFAULT_CELL_M,
        help="the build whose Dask stages run again on the cluster (default grid or a --cell-m)",
    )
    p.add_argument(
        "--cluster-stages",
        nargs="*",
        choices=DASK_STAGES,
        default=list(DASK_STAGES),
        help="the Dask stages to run on the cluster (all unless told)",
    )
    p.add_argument("--keep", type=Path, help="build here and keep it (reusing a complete build)")
    p.add_argument("--repeats", type=int, default=1, help="cluster/threads pairs per stage")
    args = p.parse_args(argv)
    if not (RAW / "sources.lock.json").exists():
        print(f"bench_build: skipped: no fetched data in {RAW} (run `make` first)")
        return 0
    if args.cluster_cell_m not in (DEFAULT_CELL_M, *args.cell_m):
        p.error(f"--cluster-cell-m {args.cluster_cell_m} is not built: add it to --cell-m")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    scratch = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="bench_build_"))
    try:
        print(f"build benchmark in {scratch}", flush=True)
        base = build(scratch / str(DEFAULT_CELL_M), DEFAULT_CELL_M)
        fine = {m: build(scratch / str(m), m) for m in args.cell_m}
        route_only = None
        if args.route_cell_m:
            src = min(fine, key=lambda m: (m != 1000, m), default=DEFAULT_CELL_M)
            cfg = resampled(scratch / str(src) / "out", scratch / "route", args.route_cell_m)
            route_only = (src, *run_stage(cfg, "route", scratch / "route" / "log"))
            print(f"  route stage at {args.route_cell_m} m: {route_only[1]:.0f} s", flush=True)
        pairs = (
            {}
            if args.no_cluster
            else cluster_vs_threads(
                scratch / str(args.cluster_cell_m),
                {DEFAULT_CELL_M: base, **fine}[args.cluster_cell_m],
                args.repeats,
                args.cluster_stages,
            )
        )
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    rows = []
    base_s = sum(t for t, _, _ in base.values())
    base_peak = max(m for _, m, _ in base.values())
    rows.append(
        (f"whole build at {DEFAULT_CELL_M} m (s)", base_s, "", f"peak {base_peak / 1e9:.1f} GB")
    )
    rows.append(
        (
            f"network stage / route stage at {DEFAULT_CELL_M} m (time)",
            base["network"][0] / base["route"][0],
            "<= 1",
            f"{base['network'][0]:.0f} s vs {base['route'][0]:.0f} s, in the same build",
        )
    )
    for m, times in fine.items():
        total = sum(t for t, _, _ in times.values())
        peak_stage = max(times, key=lambda s: times[s][1])
        anon_stage = max(times, key=lambda s: times[s][2])
        rows.append(
            (
                f"whole build at {m} m / {DEFAULT_CELL_M} m (time)",
                total / base_s,
                "<= 3" if m == 1000 else "<= 6" if m == 500 else "",
                f"{total:.0f} s vs {base_s:.0f} s; peak {times[peak_stage][1] / 1e9:.1f} GB "
                f"({peak_stage}{'; <= 12 GB' if m <= 250 else ''}) vs {base_peak / 1e9:.1f} GB; "
                f"anonymous {times[anon_stage][2] / 1e9:.1f} GB ({anon_stage})",
            )
        )
        for stage in catalogue.STAGES:
            if base[stage][0] >= 5:
                rows.append(
                    (
                        f"{stage} stage at {m} m / {DEFAULT_CELL_M} m (time)",
                        times[stage][0] / base[stage][0],
                        "",
                        f"{times[stage][0]:.0f} s vs {base[stage][0]:.0f} s; peak "
                        f"{times[stage][1] / 1e9:.1f} GB vs {base[stage][1] / 1e9:.1f} GB "
                        f"({times[stage][1] / base[stage][1]:.1f}×), anonymous "
                        f"{times[stage][2] / 1e9:.1f} GB",
                    )
                )
    if route_only is not None:
        src, seconds, peak, _ = route_only
        rows.append(
            (
                f"route stage at {args.route_cell_m} m (s)",
                seconds,
                "<= 300",
                f"peak {peak / 1e9:.1f} GB (<= 8); the {src} m build's rasters resampled",
            )
        )
    for stage, (threads, cluster, same, peak) in pairs.items():
        rows.append(
            (
                f"{stage} stage at {args.cluster_cell_m} m: cluster / threads (speed)",
                threads / cluster,
                ">= 0.9",
                f"2 worker processes: {cluster:.1f} s vs 2 threads: {threads:.1f} s; outputs "
                f"{'identical' if same else 'DIFFER'}; workers' peak {peak / 1e9:.1f} GB",
            )
        )
    print_table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
