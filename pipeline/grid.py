"""The one analysis grid: its definition from the config, cell geometry and ground scale."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import CRS as ProjCRS
from pyproj import Proj, Transformer
from rasterio.crs import CRS
from rasterio.transform import Affine

from .config import GridConfig
from .errors import ConfigError

WGS84 = "EPSG:4326"
CRS_NAME = "Fiber corridor analysis CRS (from grid.crs)"


@dataclass(frozen=True)
class Grid:
    """A north-up raster grid in the analysis CRS."""

    crs: CRS
    transform: Affine
    width: int
    height: int

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols)."""
        return (self.height, self.width)

    @property
    def cell_m(self) -> float:
        """Cell size in CRS metres."""
        return float(self.transform.a)

    def xy(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre coordinates (CRS metres) of cells (rows, cols)."""
        x = self.transform.c + (np.asarray(cols) + 0.5) * self.transform.a
        y = self.transform.f + (np.asarray(rows) + 0.5) * self.transform.e
        return x, y

    def rowcol(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of the cells containing points (x, y) in CRS metres."""
        cols = np.floor((np.asarray(x) - self.transform.c) / self.transform.a).astype(np.int64)
        rows = np.floor((np.asarray(y) - self.transform.f) / self.transform.e).astype(np.int64)
        return rows, cols

    def to_lonlat(self) -> Transformer:
        """Transformer from the analysis CRS to EPSG:4326 lon/lat."""
        return Transformer.from_crs(self.crs.to_wkt(), WGS84, always_xy=True)

    def from_lonlat(self) -> Transformer:
        """Transformer from EPSG:4326 lon/lat to the analysis CRS."""
        return Transformer.from_crs(WGS84, self.crs.to_wkt(), always_xy=True)


def aoi_polygon_lonlat(cfg: GridConfig) -> shapely.Polygon:
    """The area of interest as a lon/lat box, densified so it projects as a curve."""
    box = shapely.box(cfg.lon_min_deg, cfg.lat_min_deg, cfg.lon_max_deg, cfg.lat_max_deg)
    return shapely.segmentize(box, 0.1)


def template(cfg: GridConfig) -> Grid:
    """The template grid: the projected AOI's bounds, snapped outwards to whole cells."""
    try:
        pcrs = ProjCRS.from_user_input(cfg.crs)
    except Exception as err:  # pyproj raises its own CRSError with the reason
        raise ConfigError(
            f"grid.crs: {cfg.crs!r} is not a CRS pyproj understands ({err})."
        ) from err
    if not pcrs.is_projected or pcrs.axis_info[0].unit_name not in ("metre", "meter"):
        raise ConfigError(
            f"grid.crs: {cfg.crs!r} must be a projected CRS in metres, so that "
            "cells have a size on the ground."
        )
    if pcrs.name == "unknown":  # a PROJ string has no name; QGIS would show "unknown"
        pcrs = ProjCRS.from_json_dict({**pcrs.to_json_dict(), "name": CRS_NAME})
    fwd = Transformer.from_crs(WGS84, pcrs, always_xy=True)
    ring = np.asarray(aoi_polygon_lonlat(cfg).exterior.coords)
    x, y = fwd.transform(ring[:, 0], ring[:, 1])
    c = cfg.cell_m
    left, right = math.floor(x.min() / c) * c, math.ceil(x.max() / c) * c
    bottom, top = math.floor(y.min() / c) * c, math.ceil(y.max() / c) * c
    width, height = round((right - left) / c), round((top - bottom) / c)
    if width * height > 400_000_000:
        raise ConfigError(
            f"grid.cell_m: {c} m gives {width}×{height} cells; more than 4e8 cells "
            "does not fit in memory here. Use a larger cell or a smaller area."
        )
    return Grid(CRS.from_wkt(pcrs.to_wkt()), Affine(c, 0, left, 0, -c, top), width, height)


def cell_lonlat(
    grid: Grid, rows: np.ndarray | None = None, cols: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Lon/lat (degrees) of the cell centres at ``rows`` × ``cols`` (default: all of them).

    Each of shape ``(len(rows), len(cols))``. Ask a few rows at a time on a fine grid: the
    whole grid's takes 48 bytes a cell at once.
    """
    rows = np.arange(grid.height) if rows is None else np.asarray(rows)
    cols = np.arange(grid.width) if cols is None else np.asarray(cols)
    r, c = np.meshgrid(rows, cols, indexing="ij")
    x, y = grid.xy(r, c)
    lon, lat = grid.to_lonlat().transform(x, y)
    return lon, lat


def inverse_scale(grid: Grid, *, step: int = 8) -> np.ndarray:
    """Ground metres per CRS metre (1/k) at every cell centre, float64.

    The analysis CRS is conformal, so the point scale factor k is the same in every direction
    and a step of d CRS metres covers d/k metres on the ellipsoid. k is smooth, so it is
    evaluated on every ``step``-th cell and interpolated linearly in between.
    """
    proj = Proj(grid.crs.to_wkt())
    rows = np.arange(grid.height)
    cols = np.arange(grid.width)
    sub_r, sub_c = rows[::step], cols[::step]
    f = proj.get_factors(*cell_lonlat(grid, sub_r, sub_c))
    h, k = np.asarray(f.meridional_scale), np.asarray(f.parallel_scale)
    if np.nanmax(np.abs(h / k - 1)) > 1e-3:
        raise ConfigError(
            "grid.crs: the analysis CRS is not conformal (its scale differs by "
            "direction), so ground distances could not be corrected per cell. Use "
            "a conformal projection such as Lambert conformal conic."
        )
    inv = 1.0 / np.sqrt(h * k)
    # separable linear interpolation: first along columns, then along rows
    tmp = np.stack([np.interp(cols, sub_c, inv[i]) for i in range(inv.shape[0])])
    out = np.empty(grid.shape)
    for j in range(grid.width):
        out[:, j] = np.interp(rows, sub_r, tmp[:, j])
    return out
