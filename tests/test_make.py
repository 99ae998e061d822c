"""`make` as a user runs it, on the synthetic world: what reruns, and what never goes stale."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import world
from conftest import REPO

from pipeline import catalogue

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
STAGE_RUN = re.compile(r"-m pipeline .*?(\w+)$", re.M)


def make(root: Path, *args: str, config: Path | None = None) -> subprocess.CompletedProcess:
    """Run the repository's Makefile on the world under ``root`` (its own raw and out)."""
    cmd = [
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
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def ran(res: subprocess.CompletedProcess) -> list[str]:
    """The stages a make run ran, in order (the slice refresh is not a stage)."""
    return [s for s in STAGE_RUN.findall(res.stdout) if s in catalogue.STAGES]


def snapshot(out: Path) -> dict[str, int]:
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}


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
    assert ran(res) == ["fetch", "uncertainty", "export", "report"]
    res = make(built, config=config)
    assert ran(res) == ["fetch"]
    # a setting that changes how the work runs, not what it makes, reruns nothing
    runtime = built / "threads.yaml"
    runtime.write_text(config.read_text().replace("n_workers: 1", "n_workers: 2"))
    assert ran(make(built, config=runtime)) == ["fetch"]
    assert ran(make(built)) == ["fetch", "uncertainty", "export", "report"]  # back to 40 draws


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
