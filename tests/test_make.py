"""`make` as a user runs it, on the synthetic world: what reruns, what never goes stale, and
what a failed or interrupted build leaves (every output as it was)."""

from __future__ import annotations

import hashlib
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import world
from conftest import REPO

from pipeline import catalogue

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
STAGE_RUN = re.compile(r"-m pipeline .*?(\w+)$", re.M)


def make_cmd(root: Path, *args: str, config: Path | None = None) -> list[str]:
    """The command line of ``make`` on the world under ``root`` (its own raw and out)."""
    return [
        "make",
        "-C",
        str(REPO),
        f"RAW={root / 'raw'}",
        f"OUT={root / 'out'}",
        f"CONFIG={config or root / 'config.yaml'}",
        f"PYTHON={sys.executable}",
        "-o",
        ".venv/.installed",  # the venv running these tests is the one to use: never reinstall
        *args,
    ]


def make(root: Path, *args: str, config: Path | None = None, **kw) -> subprocess.CompletedProcess:
    """Run the repository's Makefile on the world under ``root`` (``kw`` to ``subprocess.run``)."""
    cmd = make_cmd(root, *args, config=config)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)


def ran(res: subprocess.CompletedProcess) -> list[str]:
    """The stages a make run ran, in order (the slice refresh is not a stage)."""
    return [s for s in STAGE_RUN.findall(res.stdout) if s in catalogue.STAGES]


def snapshot(out: Path) -> dict[str, int]:
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}


def digests(out: Path) -> dict[str, str]:
    """The sha256 of every file under ``out``."""
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in out.rglob("*")
        if p.is_file()
    }


UNFINISHED = re.compile(r"(^|/)\.make/\w+\.running$|\.tmp\.\w+$")
"""What a failed or killed build leaves of what it did not finish: a stage's mark, and the
temporary file of a write (the next run of that stage removes both)."""

LEFTOVER = re.compile(f"{UNFINISHED.pattern}|(^|/)\\.mapped/")
"""What a failed or killed build may add: ``UNFINISHED``, and the decompressed copies of the
rasters its stages had read (``io.mapped_raster``'s cache)."""


def assert_as_before(before: dict[str, str], out: Path, res: subprocess.CompletedProcess) -> None:
    """Every file ``before`` held is there with the same bytes; the only new files are
    ``LEFTOVER``s."""
    after = digests(out)
    gone = sorted(set(before) - set(after))
    changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    new = sorted(k for k in set(after) - set(before) if not LEFTOVER.search(k))
    log = f"\n{res.stdout}\n{res.stderr}"
    assert not gone, f"deleted: {gone}{log}"
    assert not changed, f"changed: {changed}{log}"
    assert not new, f"new: {new}{log}"


def assert_complete(root: Path) -> None:
    """Every stage's outputs are there, none older than an input or the config slice of its
    stage (make would rerun nothing, even for outputs nothing asks for), and nothing is left
    of an unfinished run."""
    out = root / "out"
    for name, stage in catalogue.STAGES.items():
        files = catalogue.stage_files(name, root / "raw", out)
        missing = [str(files[k]) for k in stage.outputs if not files[k].is_file()]
        assert not missing, f"{name} outputs missing: {missing}"
        oldest = min(stage.outputs, key=lambda k: files[k].stat().st_mtime_ns)
        inputs = [files[k] for k in stage.inputs] + [out / ".config" / f"{name}.json"]
        newer = [str(p) for p in inputs if p.stat().st_mtime_ns > files[oldest].stat().st_mtime_ns]
        assert not newer, f"{name}: {files[oldest]} is older than {newer}"
    left = [str(p) for p in out.rglob("*") if UNFINISHED.search(str(p.relative_to(out)))]
    assert not left, f"left of an unfinished run: {left}"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("make")
    world.build(root)
    res = make(root)
    assert res.returncode == 0, res.stdout + res.stderr
    assert ran(res) == list(catalogue.STAGES)
    return root


def test_every_declared_output_is_built(built):
    for name, stage in catalogue.STAGES.items():
        files = catalogue.stage_files(name, built / "raw", built / "out")
        for key in stage.outputs:
            assert files[key].is_file(), f"{name} did not write {files[key]}"


def test_a_second_make_runs_no_stage_and_changes_no_output(built):
    before = snapshot(built / "out")
    res = make(built)
    assert res.returncode == 0, res.stderr
    assert ran(res) == ["fetch"]  # fetch only verifies data/raw against the lock
    assert snapshot(built / "out") == before


def test_make_n_changes_nothing(built):
    before = snapshot(built / "out")
    config = built / "changed.yaml"
    config.write_text(world.write_config(built).read_text() + "score: {fiber_group_index: 1.5}\n")
    res = make(built, "-n", config=config)
    assert res.returncode == 0, res.stderr
    assert snapshot(built / "out") == before
    assert ran(make(built)) == ["fetch"]  # and the next plain make has nothing to do


def test_one_setting_reruns_exactly_the_stages_that_depend_on_it(built):
    config = built / "more_draws.yaml"
    config.write_text(world.write_config(built).read_text().replace("draws: 40", "draws: 41"))
    res = make(built, config=config)
    assert res.returncode == 0, res.stderr
    assert ran(res) == ["fetch", "uncertainty", "network", "export", "report"]
    res = make(built, config=config)
    assert ran(res) == ["fetch"]
    # a setting that changes how the work runs, not what it makes, reruns nothing
    runtime = built / "threads.yaml"
    runtime.write_text(config.read_text().replace("n_workers: 1", "n_workers: 2"))
    assert ran(make(built, config=runtime)) == ["fetch"]
    assert ran(make(built)) == [
        "fetch",
        "uncertainty",
        "network",
        "export",
        "report",
    ]  # back to 40 draws


def test_a_deleted_intermediate_is_rebuilt(built):
    (built / "out" / "cost" / "unit_cost_usd_per_km.tif").unlink()
    res = make(built)
    assert res.returncode == 0, res.stderr
    assert ran(res)[:2] == ["fetch", "cost"]
    assert (built / "out" / "cost" / "unit_cost_usd_per_km.tif").is_file()
    assert ran(make(built)) == ["fetch"]


def test_a_raw_file_replaced_after_the_build_is_reported(built, tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(built, root, symlinks=True)
    world.write_config(root)
    rivers = root / "raw" / "water" / "ne_10m_rivers_lake_centerlines.geojson.zip"
    rivers.write_bytes(rivers.read_bytes()[:-10])
    res = make(root)
    assert res.returncode != 0
    assert str(rivers) in res.stderr and "sha256" in res.stderr and "Fix:" in res.stderr


def test_a_bad_config_stops_make_with_its_message_intact(built):
    config = built / "bad.yaml"
    config.write_text(world.write_config(built).read_text() + "cost: {hill_mult: -1}\n")
    res = make(built, config=config)
    assert res.returncode != 0
    lines = res.stderr.splitlines()
    assert any(line.strip().startswith("- cost.hill_mult") for line in lines), res.stderr
    assert any("Fix the key(s) above" in line for line in lines)
    assert ran(res) == []


# --- a failed or interrupted build keeps every output ----------------------------------------
# Each test below leaves the world as the `built` fixture made it (the plain make at its end
# reruns what it disturbed), so they share the one build; they run after the tests above.


def test_a_config_with_a_tab_stops_make_and_keeps_every_output(built):
    config = built / "tab.yaml"
    config.write_text(world.write_config(built).read_text() + "export:\n\tgeojson_decimals: 5\n")
    before = digests(built / "out")
    res = make(built, config=config)
    assert res.returncode != 0
    assert f"error: {config}:" in res.stderr and "Traceback" not in res.stderr, res.stderr
    assert "Deleting file" not in res.stderr
    assert_as_before(before, built / "out", res)  # the config slices (.config/) included
    assert ran(make(built)) == ["fetch"]  # and the next good make reruns nothing


def test_a_full_disk_during_a_stage_keeps_every_output(built):
    """export fails writing corridor.gpkg (its largest file, written last) at the file-size
    limit; its other outputs are written again with the same bytes."""
    out = built / "out"
    files = catalogue.stage_files("export", built / "raw", out)
    corridor = files["corridor"]
    limit = corridor.stat().st_size // 2
    written = [files[k] for k in catalogue.STAGES["export"].outputs if k != "corridor"]
    written += [*(out / ".config").iterdir(), out / ".make" / "stages.mk"]
    assert max(p.stat().st_size for p in written) < limit  # only corridor.gpkg fails
    os.utime(out / ".config" / "export.json")  # something export depends on changed
    before = digests(out)

    def full_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    res = make(built, preexec_fn=full_disk)
    assert res.returncode != 0
    assert ran(res) == ["fetch", "export"], res.stdout
    assert f"error: {corridor}: cannot write (" in res.stderr, res.stderr
    assert "ulimit -f" in res.stderr and "Traceback" not in res.stderr, res.stderr
    assert "Deleting file" not in res.stderr
    assert_as_before(before, out, res)
    res = make(built)
    assert res.returncode == 0, res.stderr
    assert ran(res) == ["fetch", "export", "report"]
    assert_complete(built)


def _tmp_file_in(folder: Path) -> bool:
    return any(".tmp." in e.name for e in os.scandir(folder))


def _stop_make_while_report_writes(built: Path, logs: Path, sig) -> subprocess.CompletedProcess:
    """Run make; as soon as report has begun to write a file in its folder, send ``sig`` to make's
    process group (make, the recipe's shell and the stage, as Ctrl-C does).

    Make starts with SIGINT's default action, as from a terminal: a suite run in the background of
    a script (``make test &``) ignores SIGINT, and make and Python keep a signal ignored that they
    inherit ignored, so every make would finish.
    """
    out = built / "out"
    logs.mkdir()
    with open(logs / "stdout", "w+") as stdout, open(logs / "stderr", "w+") as stderr:
        proc = subprocess.Popen(
            make_cmd(built),
            stdout=stdout,
            stderr=stderr,
            text=True,
            start_new_session=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        try:
            deadline = time.monotonic() + 300
            while not _tmp_file_in(out / "report"):  # report has begun to write
                assert proc.poll() is None, f"make ended before report wrote: {stderr.name}"
                assert time.monotonic() < deadline, "report did not start writing"
                time.sleep(0.002)
            os.killpg(proc.pid, sig)
            proc.wait(timeout=120)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        stdout.seek(0)
        stderr.seek(0)
        return subprocess.CompletedProcess(proc.args, proc.returncode, stdout.read(), stderr.read())


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_a_build_stopped_during_a_stage_keeps_every_output(built, tmp_path, sig):
    """Ctrl-C (SIGINT to make's process group) or a kill while report writes its first file."""
    out = built / "out"
    for attempt in range(10):  # the signal must land while report runs, not after it finished
        os.utime(out / ".config" / "report.json")  # something report depends on changed
        before = digests(out)
        res = _stop_make_while_report_writes(built, tmp_path / str(attempt), sig)
        if res.returncode != 0:  # stopped; a make that succeeded was signalled too late
            break
    assert res.returncode != 0
    assert ran(res) == ["fetch", "report"], res.stdout
    assert "Deleting file" not in res.stderr
    assert_as_before(before, out, res)
    # Had report replaced the one output make checks (index.html) before it stopped, its other
    # outputs would be stale and make, seeing index.html newer than its inputs, would not run it.
    os.utime(out / "report" / "index.html")
    res = make(built)
    assert res.returncode == 0, res.stderr
    assert ran(res) == ["fetch", "report"]
    assert_complete(built)
