"""The cost stage's rasters as later stages read them: one ``Surface`` on the template grid.

``read_surface`` reads them (checked against the grid); ``task_surface`` reads them once per
worker process while the files are unchanged, for the many route and Monte Carlo tasks a worker
runs.
"""

from __future__ import annotations

import dataclasses
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
    steer: np.ndarray
    country_codes: tuple[str, ...]
    water_bodies: dict[str, int]  # name -> water_body id
    protected_names: dict[int, str]

    def steer_cost(self, c: CostConfig, cell_m: float) -> np.ndarray:
        """The routing rate under cost book ``c``, rebuilt from the component rasters.

        Computed in strips of ``STRIP_ROWS`` rows, so the temporaries of the rate rule take a
        strip's memory rather than a dozen grid-sized arrays (a 500 m grid has 71 M cells).
        """
        out = np.empty(self.steer.shape)
        for r0 in range(0, out.shape[0], STRIP_ROWS):
            s = slice(r0, r0 + STRIP_ROWS)
            unit = unit_cost_block(
                terrain_mult_block(self.slope_deg[s].astype(np.float64), c),
                self.row_classes[s],
                self.urban[s],
                water=self.water_class[s],
                country_mult=country_mult_raster(
                    self.country_id[s], list(self.country_codes), c.country_mult
                ),
                landcover=self.landcover[s],
                protected=self.protected_area[s],
                c=c,
            )
            out[s] = steer_cost_block(
                unit,
                self.river_cells[s],
                self.fault_cells[s],
                inv_scale=self.inv_scale[s],
                cell_m=cell_m,
                c=c,
            )
        return out


def read_surface(files: Mapping[str, Path], grid: Grid) -> Surface:
    """Read the cost stage's rasters (checked against the template grid) into a ``Surface``.

    ``files`` maps the catalogue's keys (``cost/<name>``, and ``landcover``) to paths.
    """

    def band(name: str) -> tuple[np.ndarray, dict[str, str]]:
        return io.read_raster(files[f"cost/{name}"], grid)

    country, ctags = band("country_id")
    bodies, btags = band("water_body")
    protected, ptags = band("protected_area")
    return Surface(
        slope_deg=band("slope_deg")[0],
        row_km=band("row_distance_km")[0],
        urban=band("urban")[0],
        water_class=band("water_class")[0],
        water_body=bodies,
        country_id=country,
        river_cells=band("river_cells")[0],
        gateway_id=band("gateway_id")[0],
        major_row_km=band("major_row_km")[0],
        row_classes=band("row_classes")[0],
        landcover=io.read_raster(files["landcover"], grid)[0],
        protected_area=protected,
        fault_cells=band("fault_cells")[0],
        inv_scale=band("inv_scale")[0].astype(np.float64),
        steer=band("steer_cost_usd_per_km")[0],
        country_codes=tuple(ctags["country_codes"].split(",")),
        water_bodies=json.loads(btags["water_bodies"]),
        protected_names={int(k): v for k, v in json.loads(ptags["protected_areas"]).items()},
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
    sf = read_surface(dict(cost_files), grid)
    for f in dataclasses.fields(sf):
        value = getattr(sf, f.name)
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
    return sf
