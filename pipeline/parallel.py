"""Where Dask work runs, and how its progress is shown: one function for every stage.

``compute`` runs a list of Dask collections on an existing cluster when an address is given,
else on local threads. On a terminal it shows Dask's progress bar; when the output is a log
file or a pipe it writes one log line per tenth of the tasks done instead of thousands of
carriage-return updates.
"""

from __future__ import annotations

import ctypes
import logging
import sys
import time
import uuid
from collections.abc import Sequence

import dask
from dask.callbacks import Callback

from .errors import SchedulerError

log = logging.getLogger(__name__)


def run_token() -> str:
    """A token unique to one computation, for the names of its Dask keys.

    A scheduler takes tasks of the same key for the same task: two builds sharing a cluster, each
    naming its keys only by scenario and origin (say), would be given each other's results.
    """
    return uuid.uuid4().hex[:12]


def _is_terminal() -> bool:
    return sys.stderr.isatty()


class _LogProgress(Callback):
    """Log a line each time another tenth of the tasks has finished (for non-terminals)."""

    def __init__(self, label: str) -> None:
        super().__init__()
        self._label, self._done, self._total, self._next = label, 0, 0, 0.1
        self._t0 = time.perf_counter()

    def _start_state(self, dsk, state) -> None:
        self._total = sum(len(state[k]) for k in ("ready", "waiting", "running", "finished"))

    def _posttask(self, key, result, dsk, state, worker_id) -> None:
        self._done += 1
        if self._total and self._done / self._total >= self._next - 1e-9:
            log.info(
                "%s: %d of %d tasks done (%.0f s)",
                self._label,
                self._done,
                self._total,
                time.perf_counter() - self._t0,
            )
            while self._next <= self._done / self._total + 1e-9:
                self._next += 0.1


GLIBC_M_TRIM_THRESHOLD, GLIBC_M_MMAP_THRESHOLD = -1, -3
"""glibc's ``mallopt`` parameters (``malloc.h``)."""


TRANSIENT_HEAP_BYTES = 32 * 2**20
"""Blocks up to this size come from the heap on a cluster's workers: glibc's own ceiling for its
dynamic mmap threshold on 64-bit systems (``DEFAULT_MMAP_THRESHOLD_MAX``), which a process
started normally reaches by itself once it has freed a block that large."""


def heap_for_transients() -> bool:
    """Let glibc serve this process's blocks up to 32 MiB from its heap; False if it cannot.

    A Dask nanny starts its worker with ``MALLOC_TRIM_THRESHOLD_=65536``
    (``distributed.nanny.pre-spawn-environ``), and setting any malloc threshold turns glibc's
    dynamic mmap threshold off: every array over 128 KiB is then a new mapping, its pages faulted
    in and zeroed by the kernel, unmapped when freed. The stages' tasks make many such transient
    arrays (a cost block's rasters, a draw's strips, a route's pieces). Measured at 250 m on two
    local workers, the uncertainty stage's repricing took 159 s with the nanny's setting and 84 s
    without it, as on two threads (84 s). The trim threshold is set as glibc's dynamic rule
    would (twice the mmap threshold).
    """
    try:
        libc = ctypes.CDLL(None)  # the process's own symbols: glibc's mallopt where there is one
        return bool(
            libc.mallopt(GLIBC_M_MMAP_THRESHOLD, TRANSIENT_HEAP_BYTES)
            and libc.mallopt(GLIBC_M_TRIM_THRESHOLD, 2 * TRANSIENT_HEAP_BYTES)
        )
    except (OSError, AttributeError):  # no mallopt: not glibc
        return False


def _heap_plugin():
    """A worker plugin that runs ``heap_for_transients`` on every worker, now and to come."""
    from distributed import WorkerPlugin

    class TransientHeap(WorkerPlugin):
        idempotent = True  # registered by every stage: set up once per worker

        def setup(self, worker) -> None:
            if not heap_for_transients():
                log.warning(
                    "worker %s: glibc's malloc thresholds could not be set (not glibc?); "
                    "arrays over 128 KiB may each be a fresh mapping",
                    worker.address,
                )

    return TransientHeap()


def _client(address: str):
    """A client of the Dask cluster at ``address``, or a message naming it and the fix."""
    from distributed import Client

    try:
        return Client(address)
    except (OSError, TimeoutError, ValueError) as err:
        raise SchedulerError(
            f"no Dask scheduler answers at {address!r} ({err}). Fix: start one there "
            "(python -m distributed.cli.dask_scheduler, then dask_worker with its address), or "
            "run on local threads: drop --scheduler, unset PIPELINE_DASK_ADDRESS and "
            "dask.scheduler_address."
        ) from err


def _leaves(g) -> list:
    """The Dask objects in ``g`` (one, or lists and tuples of them, nested), in order."""
    return [y for x in g for y in _leaves(x)] if isinstance(g, list | tuple) else [g]


def _refill(g, results):
    """``g``'s lists and tuples with each Dask object replaced by the next of ``results``."""
    return type(g)(_refill(x, results) for x in g) if isinstance(g, list | tuple) else next(results)


def compute(graph: Sequence, address: str | None, n_workers: int, *, label: str) -> list:
    """Compute Dask collections on the cluster at ``address``, else on ``n_workers`` threads."""
    if address:
        from distributed import as_completed, progress

        with _client(address) as client:
            client.register_plugin(_heap_plugin(), name="pipeline-transient-heap")
            # a future per Dask object, however nested, so that progress counts the tasks
            futures = client.compute(_leaves(list(graph)))
            if _is_terminal():
                progress(futures)
            else:
                for i, _ in enumerate(as_completed(futures), 1):
                    if i * 10 // len(futures) > (i - 1) * 10 // len(futures):
                        log.info("%s: %d of %d tasks done on %s", label, i, len(futures), address)
            results = iter(client.gather(futures))
            return [_refill(g, results) for g in graph]
    if _is_terminal():
        from dask.diagnostics import ProgressBar

        bar = ProgressBar(minimum=1.0)
    else:
        bar = _LogProgress(label)
    with bar:
        return list(dask.compute(*graph, scheduler="threads", num_workers=n_workers))
