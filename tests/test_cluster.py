"""The whole build on a real Dask cluster: a scheduler and two worker processes on 127.0.0.1.

The test starts them itself (``python -m distributed.cli.dask_scheduler`` and
``dask_worker``), sends every Dask stage there with ``--scheduler ADDRESS``, and checks the
outputs are those of the threaded build.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import world

from pipeline import cli, io

pytest.importorskip("distributed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two single-threaded worker processes; their address."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    log_dir = tmp_path_factory.mktemp("cluster")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    common = {"env": env, "stderr": subprocess.STDOUT, "cwd": log_dir}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-dashboard",
            ],
            stdout=open(log_dir / "scheduler.log", "w"),  # noqa: SIM115
            **common,
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            assert time.monotonic() < deadline, (log_dir / "scheduler.log").read_text()
            time.sleep(0.2)
        for i in range(2):
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "distributed.cli.dask_worker",
                        address,
                        "--nthreads",
                        "1",
                        "--no-dashboard",
                        "--memory-limit",
                        "3GB",
                        "--name",
                        f"w{i}",
                    ],
                    stdout=open(log_dir / f"worker{i}.log", "w"),  # noqa: SIM115
                    **common,
                )
            )
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def _build(root: Path, monkeypatch, address: str | None) -> Path:
    cfg = world.build(root)
    monkeypatch.delenv("PIPELINE_DASK_ADDRESS", raising=False)
    flag = ["--scheduler", address] if address else []  # handed to the Dask stages as an argument
    assert cli.main(["--config", str(cfg), *flag, "all"]) == 0
    return root / "out"


@pytest.fixture(scope="module")
def threads(tmp_path_factory):
    """The synthetic world built on local threads: the reference."""
    with pytest.MonkeyPatch.context() as mp:
        return _build(tmp_path_factory.mktemp("threads"), mp, None)


def _same_outputs(threads: Path, remote: Path) -> None:
    for name in ("steer_cost_usd_per_km", "slope_deg", "row_distance_km"):
        a, _ = io.read_raster(threads / "cost" / f"{name}.tif")
        b, _ = io.read_raster(remote / "cost" / f"{name}.tif")
        np.testing.assert_array_equal(a, b)
    ca, cb = io.read_cells(threads / "routes.gpkg"), io.read_cells(remote / "routes.gpkg")
    assert ca.keys() == cb.keys() and all(np.array_equal(ca[k], cb[k]) for k in ca)
    ua = io.read_table(threads / "uncertainty.gpkg", "route_uncertainty")
    ub = io.read_table(remote / "uncertainty.gpkg", "route_uncertainty")
    assert ua.equals(ub)
    fa, _ = io.read_raster(threads / "route_frequency.tif")
    fb, _ = io.read_raster(remote / "route_frequency.tif")
    np.testing.assert_array_equal(fa, fb)
    for layer in ("network_links", "network_cuts", "network_summary"):
        na = io.read_table(threads / "network.gpkg", layer)
        nb = io.read_table(remote / "network.gpkg", layer)
        assert na.equals(nb), layer


def test_the_build_on_a_cluster_equals_the_threaded_build(cluster, threads, tmp_path, monkeypatch):
    remote = _build(tmp_path / "cluster", monkeypatch, cluster)
    from distributed import Client

    with Client(cluster) as client:  # the work really ran there: the scheduler saw its tasks
        keys = client.run_on_scheduler(
            lambda dask_scheduler: {str(t[0]) for t in dask_scheduler.transition_log}
        )
        # the workers (each started by a nanny) were told to reuse their heap for transient arrays
        plugins = client.run(lambda dask_worker: sorted(dask_worker.plugins))
    assert all("pipeline-transient-heap" in names for names in plugins.values()), plugins
    # cost, route, uncertainty, network
    for stage_task in ("cost-block-", "first-", "reprice_routes", "reroute_draw", "network-"):
        assert any(stage_task in k for k in keys), stage_task
    _same_outputs(threads, remote)


def test_a_worker_killed_mid_stage_leaves_the_build_complete_and_unchanged(
    cluster, threads, tmp_path, monkeypatch
):
    """A third worker joins; it is killed (SIGKILL) while it runs a task; the scheduler gives
    its tasks to the others and the outputs are those of the threaded build."""
    import threading

    from distributed import Client

    log = open(tmp_path / "victim.log", "w")  # noqa: SIM115
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    victim = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_worker", cluster, "--nthreads", "1"]
        + ["--no-dashboard", "--name", "victim"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    result = {}
    try:
        with Client(cluster, timeout=60) as client:
            client.wait_for_workers(3, timeout=60)
            (addr,) = [
                a for a, w in client.scheduler_info()["workers"].items() if w["name"] == "victim"
            ]
            build = threading.Thread(
                target=lambda: result.update(out=_build(tmp_path / "killed", monkeypatch, cluster))
            )
            build.start()
            killed_during = None
            while build.is_alive() and killed_during is None:
                busy = client.processing().get(addr, ())
                if busy:
                    victim.kill()
                    killed_during = sorted(busy)[0]
                time.sleep(0.02)
            build.join(timeout=600)
    finally:
        victim.kill()
        victim.wait()
        log.close()
    assert killed_during is not None, "the victim never got a task"
    assert "out" in result, "the build did not complete"
    _same_outputs(threads, result["out"])
