import logging

import dask
import pytest

from pipeline import parallel


def _graph():
    square = dask.delayed(lambda x: x * x, pure=True)
    return [[square(i) for i in range(20)], square(7)]


def test_threads_and_a_cluster_give_the_same_nested_results():
    distributed = pytest.importorskip("distributed")
    local = parallel.compute(_graph(), None, 2, "test")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster:
        remote = parallel.compute(_graph(), cluster.scheduler_address, 2, "test")
    assert local == remote == [[i * i for i in range(20)], 49]


def test_progress_off_a_terminal_is_a_few_log_lines(caplog, capsys):
    with caplog.at_level(logging.INFO, logger="pipeline.parallel"):
        parallel.compute(_graph(), None, 2, "squares")
    lines = [r.getMessage() for r in caplog.records if r.name == "pipeline.parallel"]
    assert 1 <= len(lines) <= 11
    done, total = lines[-1].removeprefix("squares: ").split(" tasks")[0].split(" of ")
    assert done == total
    assert "\r" not in capsys.readouterr().err
