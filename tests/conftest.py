"""Synthetic data factories: small rasters and vectors made in code, no network."""

from __future__ import annotations

import os
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
