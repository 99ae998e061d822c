"""Synthetic data factories: small rasters and vectors made in code, no network."""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from rasterio.crs import CRS
from rasterio.transform import Affine

from pipeline.grid import Grid

REPO = Path(__file__).resolve().parents[1]


def mirror_dir() -> Path | None:
    """The real data mirror: $PIPELINE_MIRROR, else ../shared/data beside the repo."""
    env = os.environ.get("PIPELINE_MIRROR")
    path = Path(env) if env else REPO.parent / "shared" / "data"
    return path if (path / "PROVENANCE.md").is_file() else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The end-to-end tests first: their file is the longest, so that on two processes (``make
    test``) the other files run beside it, not after it."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is None)


@pytest.fixture(scope="session")
def mirror() -> Path | None:
    """The real data mirror, or None when it is absent."""
    return mirror_dir()


@pytest.fixture
def small_grid() -> Grid:
    """A 40 × 50 grid of 2.5 km cells in the default analysis CRS, centred near 40°N 56°E."""
    crs = CRS.from_proj4(
        "+proj=lcc +lat_0=40 +lon_0=56 +lat_1=29 +lat_2=52 +datum=WGS84 +units=m +no_defs"
    )
    return Grid(crs, Affine(2500.0, 0, -62500.0, 0, -2500.0, 50000.0), 50, 40)


@pytest.fixture
def wall_with_gap() -> tuple[np.ndarray, tuple[int, int]]:
    """A 32 × 32 uniform cost grid split by an impassable wall at column 16, open at row 5."""
    rate = np.ones((32, 32))
    rate[:, 16] = np.nan
    rate[5, 16] = 1.0
    return rate, (5, 16)


SYSTEM_PYTHON = "/usr/bin/python3"
VALIDATORS = {
    # the current one, from PyPI's gdal-utils (make installs it beside the venv)
    "gdal-utils": REPO / ".venv" / "gdal-utils" / "osgeo_utils" / "samples" / "validate_gpkg.py",
    # Debian's GDAL 3.6 copy, which older planning offices have
    "debian": Path("/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py"),
}


@functools.cache
def _gdal_bindings() -> bool:
    """Whether the system Python has GDAL's bindings (Debian's python3-gdal)."""
    if not Path(SYSTEM_PYTHON).exists():
        return False
    return subprocess.run([SYSTEM_PYTHON, "-c", "import osgeo.ogr"]).returncode == 0


def validate_gpkg(validator: str, gpkg: Path) -> str:
    """GDAL's validate_gpkg.py run on ``gpkg`` by the system Python: its findings, or ''."""
    if not _gdal_bindings() or not VALIDATORS[validator].exists():
        pytest.skip(
            f"{VALIDATORS[validator]} or GDAL's bindings are not installed (make installs "
            "gdal-utils; apt-get install python3-gdal brings the bindings and Debian's copy); "
            ".ci/run installs both"
        )
    cmd = [SYSTEM_PYTHON, str(VALIDATORS[validator]), "-k", str(gpkg)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    findings = (res.stdout + res.stderr).strip()
    return f"exit {res.returncode}: {findings}" if res.returncode or findings else ""
