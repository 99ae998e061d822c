"""GEOS validity for every layer we read or write: repair what can be repaired, drop the rest.

Sources arrive with self-intersecting polygons and lines of one repeated point; clipping and
reprojection make more. Every output layer passes through ``valid`` on its way to disk, so
QGIS and GDAL find no invalid geometry in anything the pipeline writes.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import shapely

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
