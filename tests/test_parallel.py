import contextlib
import logging
import multiprocessing
import os
import platform
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import dask
import pytest

from pipeline import cli, config, io, parallel, route
from pipeline.errors import SchedulerError


def _graph():
    square = dask.delayed(lambda x: x * x, pure=True)
    return [[square(i) for i in range(20)], square(7)]


def test_threads_and_a_cluster_give_the_same_nested_results(caplog):
    """And the cluster's progress counts the tasks (21), not the graph's two items."""
    distributed = pytest.importorskip("distributed")
    local = parallel.compute(_graph(), None, 2, label="test")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        caplog.at_level(logging.INFO, logger="pipeline.parallel"),
    ):
        remote = parallel.compute(_graph(), cluster.scheduler_address, 2, label="test")
    assert local == remote == [[i * i for i in range(20)], 49]
    lines = [r.getMessage() for r in caplog.records if r.name == "pipeline.parallel"]
    assert lines[-1] == f"test: 21 of 21 tasks done on {cluster.scheduler_address}"


TRANSIENT_FAULTS = """
import resource, numpy as np
from pipeline import parallel
def faults(n=40):  # minor page faults of n arrays of 1 MiB, each written and freed
    start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(n):
        a = np.empty(2**20, np.uint8)
        a[::4096] = 1
        del a
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - start
print(faults(), parallel.heap_for_transients(), faults())
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc thresholds")
def test_a_worker_started_by_a_nanny_is_given_back_its_heap_for_transient_arrays():
    """A nanny starts its worker with ``MALLOC_TRIM_THRESHOLD_=65536``: every array over 128 KiB
    is then a new mapping whose pages are faulted in again (256 a MiB); not once told."""
    env = {**os.environ, "MALLOC_TRIM_THRESHOLD_": "65536"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    run = subprocess.run(
        [sys.executable, "-c", TRANSIENT_FAULTS], env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    before, told, after = run.stdout.split()
    assert int(before) >= 40 * 256 * 0.9 and told == "True" and int(after) < 40 * 256 * 0.1


def test_two_builds_sharing_a_cluster_never_share_a_task_key():
    """A scheduler takes tasks of one key for one task: two builds' route graphs for the same
    scenario and origin (but, say, other configs) must not be given each other's results."""
    jask = SimpleNamespace(slug="jask-iran")
    t = SimpleNamespace(scenario_key="land_tm", origin=SimpleNamespace(name="Moscow"))
    t.destinations = [jask]
    a, b = ({k for d in route.build_graph([t]) for k in d.__dask_graph__()} for _ in range(2))
    assert len(a) == 3 and not a & b  # first routes, alternatives, joined


def test_progress_off_a_terminal_is_a_few_log_lines(caplog, capsys):
    with caplog.at_level(logging.INFO, logger="pipeline.parallel"):
        parallel.compute(_graph(), None, 2, label="squares")
    lines = [r.getMessage() for r in caplog.records if r.name == "pipeline.parallel"]
    assert 1 <= len(lines) <= 11
    done, total = lines[-1].removeprefix("squares: ").split(" tasks")[0].split(" of ")
    assert done == total
    assert "\r" not in capsys.readouterr().err


def test_a_scheduler_that_does_not_answer_is_named_with_the_fix():
    pytest.importorskip("distributed")
    with (
        dask.config.set({"distributed.comm.timeouts.connect": "1s"}),
        pytest.raises(SchedulerError, match=r"tcp://127\.0\.0\.1:9.*dask_scheduler.*local threads"),
    ):
        parallel.compute(_graph(), "tcp://127.0.0.1:9", 2, label="test")


def test_the_command_line_address_wins_over_the_environment_and_the_config(monkeypatch):
    cfg = config.Config(dask={"scheduler_address": "tcp://from-config:8786"})
    monkeypatch.delenv("PIPELINE_DASK_ADDRESS", raising=False)
    assert cli.scheduler_address(None, config.Config()) is None  # local threads
    assert cli.scheduler_address(None, cfg) == "tcp://from-config:8786"
    monkeypatch.setenv("PIPELINE_DASK_ADDRESS", "tcp://from-env:8786")
    assert cli.scheduler_address(None, cfg) == "tcp://from-env:8786"
    assert cli.scheduler_address("tcp://flag:8786", cfg) == "tcp://flag:8786"


@pytest.mark.parametrize("value", ["10m", "-5", "nan", "inf", ""])
def test_a_lock_timeout_that_is_not_seconds_is_refused_by_name(monkeypatch, capsys, value):
    monkeypatch.setenv("PIPELINE_LOCK_TIMEOUT_S", value)
    assert cli.main(["fetch"]) == 2
    err = capsys.readouterr().err
    assert f"PIPELINE_LOCK_TIMEOUT_S={value!r}" in err and "PIPELINE_LOCK_TIMEOUT_S=600" in err


def _hold(path, ready) -> tuple[float, float, float]:
    """Wait for the other holder at ``ready`` (a barrier), then hold the lock 2 s.

    (arrival at the lock, got it, let it go), on the monotonic clock: one clock on the machine.
    """
    ready.wait(60.0)  # a holder that never comes breaks the barrier, not the test run
    arrived = time.monotonic()
    with io.machine_lock(path):
        t0 = time.monotonic()
        time.sleep(2.0)
        return arrived, t0, time.monotonic()


@pytest.mark.parametrize("pool", ["processes", "threads"])
def test_a_machine_lock_has_one_holder_among_processes_and_threads(tmp_path, pool):
    """The whole-grid fallback's lock: a cluster's two workers on a machine never hold it both."""
    lock = tmp_path / "whole-grid.lock"
    with contextlib.ExitStack() as stack:
        if pool == "processes":
            spawn = multiprocessing.get_context("spawn")
            manager = stack.enter_context(spawn.Manager())
            # both past their imports, however long those take
            ready, ex = manager.Barrier(2), ProcessPoolExecutor(2, mp_context=spawn)
        else:
            ready, ex = threading.Barrier(2), ThreadPoolExecutor(2)
        with ex:
            first, second = sorted(ex.map(_hold, [lock, lock], [ready, ready]), key=lambda h: h[1])
    assert second[0] < first[2]  # the second came while the first held it
    assert second[1] >= first[2] - 1e-3  # and got it only once the first let it go
    assert second[1] - first[2] < 1.5  # woken as it was let go, not polling for it
