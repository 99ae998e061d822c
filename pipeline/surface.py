"""The cost stage's rasters as later stages read them: one ``Surface`` on the template grid.

``read_surface`` reads them (checked against the grid); ``task_surface`` reads them once per
worker process while the files are unchanged, for the many route and Monte Carlo tasks a worker
runs.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import io
from .config import CostConfig
from .costbook import country_mult_raster, steer_cost_block, terrain_mult_block, unit_cost_block
from .grid import Grid

log = logging.getLogger(__name__)


STRIP_ROWS = 256
"""Rows per strip where a whole-grid rule runs strip by strip (a few MB of temporaries)."""


@dataclass(frozen=True)
class Surface:
    """The cost stage's rasters as the later stages read them (all on the template grid)."""

    slope_deg: np.ndarray
    row_km: np.ndarray
    urban: np.ndarray
    water_class: np.ndarray
    water_body: np.ndarray
    country_id: np.ndarray
    river_cells: np.ndarray
    gateway_id: np.ndarray
    major_row_km: np.ndarray
    row_classes: np.ndarray
    landcover: np.ndarray  # MODIS IGBP class
    protected_area: np.ndarray  # id into protected_names, 0 none
    fault_cells: np.ndarray
    inv_scale: np.ndarray  # float64
    country_codes: tuple[str, ...]
    water_bodies: dict[str, int]  # name -> water_body id
    protected_names: dict[int, str]

    def grids(self) -> list[np.ndarray]:
        """Every raster of the surface (memory maps, as ``read_surface`` gives them)."""
        return [v for v in vars(self).values() if isinstance(v, np.ndarray)]

    def steer_strip(self, c: CostConfig, cell_m: float, rows: slice) -> np.ndarray:
        """The routing rate (float64) under cost book ``c`` over ``rows``, from the components.

        A Monte Carlo draw's scene is built from these a strip of ``STRIP_ROWS`` rows at a
        time, so the temporaries of the rate rule, and the draw's rate itself, take a strip's
        memory rather than grid-sized arrays (a 250 m grid has 311 M cells).
        """
        unit = unit_cost_block(
            terrain_mult_block(self.slope_deg[rows].astype(np.float64), c),
            self.row_classes[rows],
            self.urban[rows],
            water=self.water_class[rows],
            country_mult=country_mult_raster(
                self.country_id[rows], list(self.country_codes), c.country_mult
            ),
            landcover=self.landcover[rows],
            protected=self.protected_area[rows],
            c=c,
        )
        return steer_cost_block(
            unit,
            self.river_cells[rows],
            self.fault_cells[rows],
            inv_scale=self.inv_scale[rows],
            cell_m=cell_m,
            c=c,
        )


def read_surface(files: Mapping[str, Path], grid: Grid) -> Surface:
    """The cost stage's rasters (checked against the template grid) as a ``Surface``.

    ``files`` maps the catalogue's keys (``cost/<name>``, and ``landcover``) to paths. Each
    raster is memory-mapped (``io.mapped_raster``), read-only: a stage pays in memory for the
    cells it looks at, not for 15 grids (37 bytes a cell, 10 GB at 250 m).
    """

    def band(name: str, dtype=None) -> np.ndarray:
        return io.mapped_raster(files[f"cost/{name}"], grid, dtype)

    def tags(name: str) -> dict[str, str]:
        return io.read_tags(files[f"cost/{name}"])

    return Surface(
        slope_deg=band("slope_deg"),
        row_km=band("row_distance_km"),
        urban=band("urban"),
        water_class=band("water_class"),
        water_body=band("water_body"),
        country_id=band("country_id"),
        river_cells=band("river_cells"),
        gateway_id=band("gateway_id"),
        major_row_km=band("major_row_km"),
        row_classes=band("row_classes"),
        landcover=io.mapped_raster(files["landcover"], grid),
        protected_area=band("protected_area"),
        fault_cells=band("fault_cells"),
        inv_scale=band("inv_scale", np.float64),
        country_codes=tuple(tags("country_id")["country_codes"].split(",")),
        water_bodies=json.loads(tags("water_body")["water_bodies"]),
        protected_names={
            int(k): v for k, v in json.loads(tags("protected_area")["protected_areas"]).items()
        },
    )


def task_surface(cost_files: tuple[tuple[str, str], ...], grid: Grid) -> Surface:
    """The cost rasters a Dask task names, read once per worker process while they are unchanged.

    Route tasks and re-routing draws run many to a worker; each used to read every raster
    again. The arrays are read-only: a task derives its own from them.
    """
    return _surface_once(cost_files, file_stamps(cost_files), grid)


def file_stamps(files: tuple[tuple[str, str], ...]) -> tuple[int, ...]:
    """Each file's modification time (ns; -1 if missing): a cache key that a rebuild changes."""
    return tuple(Path(p).stat().st_mtime_ns if Path(p).exists() else -1 for _, p in files)


@functools.lru_cache(maxsize=1)
def _surface_once(cost_files, stamps, grid: Grid) -> Surface:
    return read_surface(dict(cost_files), grid)
