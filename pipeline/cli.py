"""Command-line interface: one subcommand per stage, plus ``all`` and ``config``.

The CLI is where the environment is read: the Dask cluster's address (``--scheduler``, else
``PIPELINE_DASK_ADDRESS``, else ``dask.scheduler_address``) is resolved here and handed to the
stages that run Dask work (``Stage.dask`` in the catalogue) as their ``scheduler`` argument.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import time
from pathlib import Path

from . import __version__, catalogue, config, io
from .errors import ConfigError, PipelineError

STAGES = tuple(catalogue.STAGES)
log = logging.getLogger("pipeline")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__)
    p.add_argument("--version", action="version", version=__version__)
    p.add_argument(
        "-c",
        "--config",
        type=Path,
        default=None,
        help="YAML config file (default: built-in defaults)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="send every Dask stage (cost, route, uncertainty) to the Dask cluster at ADDRESS, "
        "e.g. tcp://host:8786 (overrides PIPELINE_DASK_ADDRESS and dask.scheduler_address)",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for stage in STAGES:
        help_ = catalogue.STAGES[stage].help
        sub.add_parser(stage, help=help_, description=help_)
    sub.add_parser("all", help="run every stage in order")
    cp = sub.add_parser("config", help="check a config; print its documentation or slices")
    cp.add_argument("--doc", action="store_true", help="print every key as a Markdown table")
    cp.add_argument(
        "--slices",
        type=Path,
        metavar="DIR",
        help="write each stage's config slice to DIR/<stage>.json if it changed",
    )
    return p


def _run_stage(stage: str, cfg: config.Config, scheduler: str | None) -> None:
    module = importlib.import_module(f"pipeline.{stage}")
    files = catalogue.stage_files(stage, cfg.paths.raw_dir, cfg.paths.processed_dir)
    options = {"scheduler": scheduler} if catalogue.STAGES[stage].dask else {}
    t0 = time.perf_counter()
    module.run(config.StageView(cfg, stage), files, **options)
    log.info("%s: done in %.1f s", stage, time.perf_counter() - t0)


def scheduler_address(flag: str | None, cfg: config.Config) -> str | None:
    """The Dask cluster in force: ``--scheduler``, else $PIPELINE_DASK_ADDRESS, else the config's.

    None: local threads.
    """
    return flag or os.environ.get("PIPELINE_DASK_ADDRESS") or cfg.dask.scheduler_address or None


def lock_timeout_s() -> float:
    """How long a build waits for another in the same folder: $PIPELINE_LOCK_TIMEOUT_S, s."""
    text = os.environ.get("PIPELINE_LOCK_TIMEOUT_S", "3600")
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value >= 0 or value == float("inf"):
        raise ConfigError(
            f"PIPELINE_LOCK_TIMEOUT_S={text!r}: not a number of seconds. Fix: give seconds as "
            "a number, e.g. PIPELINE_LOCK_TIMEOUT_S=600 for ten minutes, or unset it (3600)."
        )
    return value


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code (2 for a pipeline error)."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    for noisy in ("distributed", "pyogrio", "numba", "fiona", "rasterio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        cfg = config.load(args.config)
        if args.command == "config":
            if args.doc:
                print(config.doc_table())
            if args.slices:
                for stage in STAGES:
                    text = config.json_text(config.stage_slice(cfg, stage))
                    if io.write_text_if_changed(args.slices / f"{stage}.json", text):
                        log.info("config slice %s changed", stage)
            return 0
        scheduler = scheduler_address(args.scheduler, cfg)
        with io.build_lock(cfg.paths.processed_dir, lock_timeout_s()):
            for stage in STAGES if args.command == "all" else (args.command,):
                _run_stage(stage, cfg, scheduler)
    except PipelineError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # out of room outside the output writers (a stage's working files)
        room = io.no_room(err, Path.cwd()) if err.errno in io.NO_ROOM else None
        if room is None:
            raise
        where = err.filename or "a working file in paths.processed_dir"
        print(f"error: {where}: cannot write ({room[0]}). Fix: {room[1]}.", file=sys.stderr)
        return 2
    return 0
