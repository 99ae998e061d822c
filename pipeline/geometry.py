"""Geometry rules every stage shares: validity, ground length on the ellipsoid, and latency.

Sources arrive with self-intersecting polygons and lines of one repeated point; clipping and
reprojection make more. Every output layer passes through ``valid`` on its way to disk, so
QGIS and GDAL find no invalid geometry in anything the pipeline writes. Lengths are geodesic on
the WGS84 ellipsoid, and a length becomes a latency by one rule (``latency_ms``), whoever asks.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Geod

log = logging.getLogger(__name__)

POLYGONAL = ("Polygon", "MultiPolygon")
LINEAR = ("LineString", "MultiLineString")


def valid(gdf: gpd.GeoDataFrame, where: str) -> gpd.GeoDataFrame:
    """Repair invalid geometries and drop empty ones, logging how many of each.

    A repaired geometry keeps only the parts of its own kind: ``make_valid`` may add stray
    lines or points, and turns a line of one repeated point into a point, which is dropped.
    """
    geom = gdf.geometry
    missing = geom.isna() | geom.is_empty
    gdf = gdf.loc[~missing].copy()
    invalid = ~gdf.geometry.is_valid
    if invalid.any():
        kinds = gdf.geometry.geom_type.values[invalid.values]
        repaired = shapely.make_valid(gdf.geometry.values[invalid.values])
        repaired = [
            _part(g, LINEAR if k in LINEAR else POLYGONAL if k in POLYGONAL else None)
            for g, k in zip(repaired, kinds, strict=True)
        ]
        gdf.loc[invalid, gdf.geometry.name] = repaired
    dropped = int(missing.sum()) + int(gdf.geometry.is_empty.sum())
    if dropped or invalid.any():
        log.info(
            "%s: %d invalid geometries repaired, %d empty dropped",
            where,
            int(invalid.sum()),
            dropped,
        )
    return gdf.loc[~gdf.geometry.is_empty]


def _part(g: shapely.Geometry, kinds: tuple[str, ...] | None) -> shapely.Geometry:
    """The parts of ``g`` of the given geometry types (empty if none); all of it if None."""
    if kinds is None or g.geom_type in kinds:
        return g
    parts = [p for p in getattr(g, "geoms", [g]) if p.geom_type in kinds]
    return shapely.union_all(parts) if parts else shapely.GeometryCollection()


C_KM_PER_MS = 299_792.458 / 1000.0
"""Speed of light in vacuum, km per millisecond (SI definition of the metre)."""


GEOD = Geod(ellps="WGS84")


def latency_ms(length_km: float, group_index: float) -> float:
    """One-way propagation delay through fiber, ms."""
    return length_km * group_index / C_KM_PER_MS


def geodesic_km(line_lonlat: shapely.Geometry) -> float:
    """Geodesic length on the WGS84 ellipsoid, km."""
    return GEOD.geometry_length(line_lonlat) / 1000.0


def geodesic_vertex_km(line_lonlat: shapely.Geometry) -> np.ndarray:
    """Geodesic km (WGS84) from the first vertex of a lon/lat line to each of its vertices."""
    xy = np.asarray(line_lonlat.coords)
    _, _, m = GEOD.inv(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1])
    return np.concatenate([[0.0], np.cumsum(m) / 1000.0])


FLOOR_US_PER_KM = 4.9
"""The physical floor of a fibre path, µs per km one way: light in silica (group index about
1.47) along the great circle. No path, modelled or measured, can be faster."""


def floor_rt_ms(great_circle_km: float) -> float:
    """The least possible round trip over ``great_circle_km``: 2 × km × 4.9 µs/km, in ms."""
    return 2.0 * great_circle_km * FLOOR_US_PER_KM / 1000.0
