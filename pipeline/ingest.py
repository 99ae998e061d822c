"""Ingest stage: load, validate, clip and reproject every fetched dataset.

Each vector source is checked (CRS present, geometries valid or repaired, empties dropped, some
features inside the area of interest), clipped to the area and reprojected to the analysis CRS,
then written as a layer of ``data/processed/ingest.gpkg``. The DEM tiles are mosaicked and
resampled onto the template grid (``dem_m.tif``), as is the bathymetry (``bathymetry_m.tif``).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path, PurePosixPath

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from rasterio.errors import RasterioIOError
from rasterio.merge import merge
from rasterio.warp import Resampling, reproject

from . import io, sources
from .catalogue import StageFiles
from .config import Config, GridConfig
from .errors import DataError
from .geometry import valid
from .grid import WGS84, Grid, aoi_polygon_lonlat, template

log = logging.getLogger(__name__)

LANDCOVER_NODATA = 255

# dataset key -> (output layer, columns kept (source name -> output name))
SIMPLE_LAYERS: dict[str, tuple[str, dict[str, str]]] = {
    "countries": ("countries", {"iso_a2": "iso_a2", "name": "name"}),
    "ne_countries": (
        "ne_countries",
        {"ISO_A2": "iso_a2", "NAME": "name", "NAME_LONG": "name_long", "ADMIN": "admin"},
    ),
    "boundary_lines": ("boundary_lines", {"name": "name", "featurecla": "kind"}),
    "maritime_boundaries": ("maritime_boundaries", {"featurecla": "kind"}),
    "disputed_areas": ("disputed_areas", {"ADMIN": "name", "TYPE": "kind"}),
    "coastline": ("coastline", {"featurecla": "kind"}),
    "land": ("land", {"featurecla": "kind"}),
    "ocean": ("ocean", {"featurecla": "kind"}),
    "lakes": ("lakes", {"name": "name", "featurecla": "kind"}),
    "marine_names": ("marine_names", {"name": "name", "featurecla": "kind"}),
    "rivers": ("rivers", {"name": "name", "featurecla": "kind", "scalerank": "scalerank"}),
    "pipelines": (
        "pipelines",
        {"project_id": "project_id", "fuel": "fuel", "name": "name", "status": "status"},
    ),
    "places": (
        "places",
        {
            "NAME": "name",
            "NAMEASCII": "name_ascii",
            "ISO_A2": "iso_a2",
            "POP_MAX": "population",
            "MAX_AREAKM": "urban_area_km2",
            "FEATURECLA": "kind",
        },
    ),
    "ports": ("ports", {"name": "name"}),
    "airports": ("airports", {"name": "name", "iata_code": "iata_code", "type": "kind"}),
}
OPTIONAL_LAYERS: dict[str, tuple[str, dict[str, str]]] = {
    "railway_stations": ("railway_stations", {"name": "name", "type": "kind"}),
    "border_controls": ("border_controls", {"name": "name"}),
    "faults": (
        "faults",
        {
            "name": "name",
            "fz_name": "zone",
            "slip_type": "slip_type",
            "net_slip_rate": "net_slip_rate",
            "catalog_name": "catalog",
        },
    ),
    "protected_areas": ("protected_areas", {"class": "kind", "name": "name", "name:en": "name_en"}),
}
"""Context datasets (``optional`` in the manifest): an empty layer when fetch skipped them."""

RAILWAY_SOURCES = {
    "railways_ne": "naturalearth",
    "railways_osm_tm": "osm_turkmenistan_box",
    "railways_osm_uz": "osm_uzbekistan",
    "railways_osm": "osm_2021",
    "railways_rzd": "rzd_generalized",
}
RAILWAY_KEPT_FCLASS = {"rail", "narrow_gauge", "construction"}
"""OSM railway classes kept: main lines, narrow gauge and lines under construction (which the
cost stage uses only when ``cost.row_railway_classes`` names them). Trams, subways, light rail,
funiculars and abandoned, disused, razed or proposed lines are no right-of-way for a long-haul
cable."""

ROAD_SOURCES = {
    "roads": "naturalearth",
    "roads_osm": "osm_2021",
    "roads_osm_major": "osm_major_2021",
}
ROAD_KEPT_CLASS = {
    "major",
    "motorway",
    "trunk",
    "primary",
    "secondary",
    "motorway_construction",
    "trunk_construction",
    "primary_construction",
}
"""Road classes kept (OSM ``highway`` / OpenMapTiles ``class``; ``major`` is Natural Earth's
major-road subset). Tertiary and smaller roads, and ramps, are not long-haul rights-of-way."""

REQUIRED = {"countries", "ne_countries", "places", "landing_points"}
"""Datasets without which no route can be made; the others are context and may be empty."""


def clip_to_aoi(
    gdf: gpd.GeoDataFrame, grid_cfg: GridConfig, where: str, *, required: bool = True
) -> gpd.GeoDataFrame:
    """Clip a lon/lat layer to the area of interest.

    Nothing inside the area is an error for a required layer and for coordinates that cannot be
    lon/lat (swapped axes, metres); for an optional context layer it is a warning and the layer
    stays empty.
    """
    gdf = gdf.to_crs(WGS84) if not gdf.crs.equals(WGS84) else gdf
    aoi = shapely.box(
        grid_cfg.lon_min_deg, grid_cfg.lat_min_deg, grid_cfg.lon_max_deg, grid_cfg.lat_max_deg
    )
    # a feature that only touches the area's edge (a road ending on the meridian where the
    # mirror's files abut) would clip to a point or an edge: it is outside
    inside = gdf.loc[gdf.intersects(aoi) & ~gdf.touches(aoi)]
    if inside.empty:
        problem = _coordinate_problem(gdf, aoi)
        if problem or required:
            raise DataError(_outside_message(gdf, aoi, where, problem=problem))
        log.warning("%s: no feature inside the area of interest; the layer stays empty", where)
        return gdf.iloc[0:0]
    clipped = inside.clip(aoi)
    return clipped.loc[~clipped.geometry.is_empty]


def _coordinate_problem(gdf: gpd.GeoDataFrame, aoi: shapely.Polygon) -> str | None:
    """Why a layer's coordinates cannot be lon/lat around the area, or None if they can."""
    if gdf.empty:
        return None
    x0, y0, x1, y1 = gdf.total_bounds
    if max(abs(x0), abs(x1)) > 180 or max(abs(y0), abs(y1)) > 90:
        return (
            "the coordinates are in other units or another CRS than the file declares. "
            "Fix: reproject the file to EPSG:4326, or declare its true CRS."
        )
    if shapely.box(y0, x0, y1, x1).intersects(aoi):
        return (
            "its coordinates look like (lat, lon) instead of (lon, lat). Fix: swap the axes "
            "(e.g. `ogr2ogr -s_srs '+proj=latlong +axis=neu' -t_srs EPSG:4326 ...`)."
        )
    return None


def _outside_message(
    gdf: gpd.GeoDataFrame, aoi: shapely.Polygon, where: str, *, problem: str | None
) -> str:
    if gdf.empty:
        return (
            f"{where}: the layer has no features, and this layer is required. Fix: "
            "restore the file (delete it and rerun `make fetch`)."
        )
    x0, y0, x1, y1 = gdf.total_bounds
    hint = problem or (
        "this layer is required. Fix: widen the area of interest (grid.lon_*, "
        "grid.lat_*) or use a dataset that covers it."
    )
    return (
        f"{where}: no feature lies inside the area of interest {tuple(aoi.bounds)} "
        f"(layer bounds ({x0:.3g}, {y0:.3g}, {x1:.3g}, {y1:.3g})); {hint}"
    )


def to_analysis(gdf: gpd.GeoDataFrame, grid: Grid) -> gpd.GeoDataFrame:
    """Densify (so long lon/lat edges curve properly) and reproject to the analysis CRS."""
    gdf = gdf.set_geometry(gdf.geometry.segmentize(0.05))
    return gdf.to_crs(grid.crs.to_wkt())


def select_columns(gdf: gpd.GeoDataFrame, columns: dict[str, str]) -> gpd.GeoDataFrame:
    """Keep and rename columns; a column the source lacks becomes empty (None)."""
    out = gpd.GeoDataFrame(
        {new: gdf[old] if old in gdf.columns else None for old, new in columns.items()},
        geometry=gdf.geometry.values,
        crs=gdf.crs,
    )
    return out


def prepare(
    gdf: gpd.GeoDataFrame,
    columns: dict[str, str],
    grid_cfg: GridConfig,
    *,
    grid: Grid,
    where: str,
    required: bool = False,
) -> gpd.GeoDataFrame:
    """The common path of a vector source: clean, clip, select columns, reproject."""
    gdf = valid(gdf, where)
    gdf = clip_to_aoi(gdf, grid_cfg, where, required=required)
    gdf = valid(gdf, where + " (after clipping)")
    return to_analysis(select_columns(gdf, columns), grid)


def merge_lines(
    parts: dict[str, gpd.GeoDataFrame], class_col: str, default: str, *, kept: set[str]
) -> gpd.GeoDataFrame:
    """One line layer from several sources, with ``source``, ``class_col`` and ``name``.

    A source without a class column gets ``default``; features of a class not in ``kept`` are
    dropped.
    """
    frames = []
    for source, gdf in parts.items():
        gdf = gdf.copy()
        if class_col not in gdf.columns:
            gdf[class_col] = None
        gdf[class_col] = gdf[class_col].fillna(default)
        if "name" not in gdf.columns:
            gdf["name"] = None
        gdf = gdf.loc[gdf[class_col].isin(kept)]
        gdf["source"] = source
        frames.append(gdf[["source", class_col, "name", "geometry"]])
    return io.concat_frames(frames)


def _length_km(text: object) -> float | None:
    m = re.match(r"\s*([\d,.]+)\s*km", str(text or ""))
    return float(m.group(1).replace(",", "")) if m else None


def cable_tables(details: list) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-cable attributes and (landing point, cable) pairs from TeleGeography's details."""
    records = [r for r in details if isinstance(r, dict) and "landing_points" in r]
    cables = pd.DataFrame(
        {
            "cable_id": [r["id"] for r in records],
            "cable_name": [r.get("name") for r in records],
            "rfs": [r.get("rfs") for r in records],
            "owners": [r.get("owners") for r in records],
            "cable_length_km": [_length_km(r.get("length")) for r in records],
        }
    )
    pairs = pd.DataFrame(
        [(lp["id"], r["id"]) for r in records for lp in r["landing_points"]],
        columns=["slug", "cable_id"],
    )
    return cables, pairs


def landing_points_with_cables(
    points: gpd.GeoDataFrame,
    cables: pd.DataFrame,
    pairs: pd.DataFrame,
    *,
    ne_countries: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    """Landing points with their country (ISO alpha-2) and the cables that land there."""
    joined = pairs.merge(cables, on="cable_id", how="left")
    per_point = (
        joined.groupby("slug")
        .agg(
            cables=("cable_name", lambda s: "; ".join(sorted(str(x) for x in s))),
            n_cables=("cable_id", "nunique"),
            first_rfs=("rfs", lambda s: min((str(x) for x in s if x), default=None)),
            owners=("owners", lambda s: "; ".join(sorted({str(x) for x in s if x}))),
        )
        .reset_index()
    )
    out = points.merge(per_point, on="slug", how="left")
    out["country"] = out["name"].str.rsplit(",", n=1).str[-1].str.strip()
    names = {}
    for col in ("name", "name_long", "admin"):
        names.update(dict(zip(ne_countries[col], ne_countries["iso_a2"], strict=True)))
    names = {k: v for k, v in names.items() if isinstance(v, str) and len(v) == 2}
    out["iso_a2"] = out["country"].map(names)
    out["n_cables"] = out["n_cables"].fillna(0).astype(int)
    return out[
        [
            "id",
            "slug",
            "name",
            "country",
            "iso_a2",
            "cables",
            "n_cables",
            "first_rfs",
            "owners",
            "geometry",
        ]
    ]


def cables_with_details(geo: gpd.GeoDataFrame, cables: pd.DataFrame) -> gpd.GeoDataFrame:
    """Cable routes with name, RFS, owners and length joined from the details."""
    out = geo.merge(cables, left_on="slug", right_on="cable_id", how="left")
    return out[["slug", "cable_name", "rfs", "owners", "cable_length_km", "geometry"]]


def dem_on_grid(
    tile_paths: list[Path], grid: Grid, grid_cfg: GridConfig, *, resampling: Resampling
) -> np.ndarray:
    """Mosaic raster tiles (clipped to the AOI plus a margin) and resample them onto the grid."""
    margin = 0.5
    bounds = (
        grid_cfg.lon_min_deg - margin,
        grid_cfg.lat_min_deg - margin,
        grid_cfg.lon_max_deg + margin,
        grid_cfg.lat_max_deg + margin,
    )
    sources = [io.open_raster(p) for p in tile_paths]
    try:
        for src, p in zip(sources, tile_paths, strict=True):
            if src.crs is None:
                raise DataError(
                    f"{p}: the raster has no CRS. Expected EPSG:4326 tiles; assign "
                    f"one with `gdal_edit.py -a_srs EPSG:4326 {p.name}`."
                )
        overlapping = [
            s
            for s in sources
            if not (
                s.bounds.right <= bounds[0]
                or s.bounds.left >= bounds[2]
                or s.bounds.top <= bounds[1]
                or s.bounds.bottom >= bounds[3]
            )
        ]
        if not overlapping:
            raise DataError(
                f"{tile_paths[0].parent}: no raster tile overlaps the area of "
                f"interest {bounds}. Check the tiles' georeferencing."
            )
        for src in overlapping:  # read each tile whole, so a broken one is named
            try:
                src.read(1)
            except RasterioIOError as err:
                raise DataError(
                    f"{src.name}: the raster cannot be read ({err}); it is corrupt or "
                    "truncated. Fix: delete it and rerun `make fetch`."
                ) from err
        mosaic, transform = merge(overlapping, bounds=bounds, nodata=np.nan, dtype="float32")
        crs = overlapping[0].crs
    finally:
        for s in sources:
            s.close()
    out = np.full(grid.shape, np.nan, dtype="float32")
    reproject(
        mosaic[0],
        out,
        src_transform=transform,
        src_crs=crs,
        src_nodata=np.nan,
        dst_transform=grid.transform,
        dst_crs=grid.crs,
        dst_nodata=np.nan,
        resampling=resampling,
    )
    return out


def world_cables(geo: gpd.GeoDataFrame, details: list) -> gpd.GeoDataFrame:
    """Every cable of the global v3 data with its details, in EPSG:4326 (not clipped).

    ``landing_ids`` lists the stations the cable serves (TeleGeography's record), comma-joined;
    a cable's line may pass other stations, which it does not serve.
    """
    recs = {r["id"]: r for r in details if isinstance(r, dict) and "id" in r}
    geo = valid(geo, "cables_v3").to_crs(WGS84)
    rows = []
    for cid, g in zip(geo["id"], geo.geometry, strict=True):
        r = recs.get(cid, {})
        rows.append(
            {
                "cable_id": cid,
                "name": r.get("name") or cid,
                "rfs_year": r.get("rfs_year"),
                "is_planned": bool(r.get("is_planned")),
                "owners": r.get("owners"),
                "length_km": _length_km(r.get("length")),
                "landing_ids": ",".join(lp["id"] for lp in r.get("landing_points") or []),
                "geometry": g,
            }
        )
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)
    # one feature per cable: TeleGeography splits some cables into several features
    return out.dissolve(by="cable_id", as_index=False, sort=True)


def world_stations(geo: gpd.GeoDataFrame, details: list) -> gpd.GeoDataFrame:
    """Every landing station of the global v3 data, with its country, in EPSG:4326."""
    recs = {r["id"]: r for r in details if isinstance(r, dict) and "id" in r}
    geo = valid(geo, "landing points v3").to_crs(WGS84)
    return gpd.GeoDataFrame(
        {
            "station_id": geo["id"].to_numpy(),
            "name": geo["name"].to_numpy(),
            "country": [recs.get(i, {}).get("country") for i in geo["id"]],
        },
        geometry=geo.geometry.to_numpy(),
        crs=WGS84,
    )


def _world_network(raw: Path) -> dict[str, gpd.GeoDataFrame]:
    """The global cable and landing-station layers a submarine network is built from."""
    files = {PurePosixPath(p.name).stem: p for p, _ in sources.local_files(raw, "cables_v3")}
    cables = world_cables(
        io.read_source_vector(files["cable-geo"]), io.read_json(files["cable-details"])
    )
    stations = world_stations(
        io.read_source_vector(files["landing-point-geo"]),
        io.read_json(files["landing-point-details"]),
    )
    return {"world_cables": cables, "world_landing_points": stations}


def landcover_on_grid(raw: Path, grid: Grid, grid_cfg: GridConfig) -> np.ndarray:
    """MODIS IGBP class per cell (the most common 0.05° class in it); 255 where unknown."""
    files = sources.local_files(raw, "landcover")
    if not files:
        log.warning("ingest: land cover skipped by fetch; every cell is class 255 (unknown)")
        return np.full(grid.shape, LANDCOVER_NODATA, dtype="uint8")
    cover = dem_on_grid([p for p, _ in files], grid, grid_cfg, resampling=Resampling.mode)
    return np.where(np.isfinite(cover), cover, LANDCOVER_NODATA).astype("uint8")


def read_dataset(raw_dir: Path, key: str) -> tuple[gpd.GeoDataFrame | None, str]:
    """Read the vector files of a dataset as one layer, checksum-verified; and a label for messages.

    A dataset may come in several files of one schema (the mirror splits some layers at 76°E);
    they are concatenated, and a file two entries share (one global download) is read once.
    None for an optional dataset that fetch skipped.
    """
    files = list(dict.fromkeys(sources.local_files(raw_dir, key)))
    if not files:
        return None, f"dataset {key!r} (skipped by fetch)"
    frames = [io.read_source_vector(path, layer) for path, layer in files]
    frames = [f if f.crs.equals(frames[0].crs) else f.to_crs(frames[0].crs) for f in frames]
    gdf = frames[0] if len(frames) == 1 else io.concat_frames(frames)
    return gdf, f"{' + '.join(str(p) for p, _ in files)} (dataset {key!r})"


def load(
    raw_dir: Path, key: str, columns: dict[str, str], *, grid_cfg: GridConfig, grid: Grid
) -> gpd.GeoDataFrame:
    """Read, validate, clip and reproject one vector dataset (empty if fetch skipped it)."""
    gdf, where = read_dataset(raw_dir, key)
    if gdf is None:
        log.warning("ingest: %s; its layer stays empty", where)
        empty = gpd.GeoDataFrame({c: [] for c in columns.values()}, geometry=[], crs=WGS84)
        return empty.to_crs(grid.crs.to_wkt())
    return prepare(gdf, columns, grid_cfg, grid=grid, where=where, required=key in REQUIRED)


def _load_lines(raw: Path, key: str, grid_cfg: GridConfig, *, grid: Grid) -> gpd.GeoDataFrame:
    """A railway or road source with one ``fclass``/``class`` column and ``name``.

    Sources spell the class ``fclass`` (Geofabrik), ``class`` (OpenMapTiles) or ``rzd_class``
    (every Russian Railways route is a railway: class ``rail``).
    """
    gdf, where = read_dataset(raw, key)
    if gdf is None:
        log.warning("ingest: %s; running without it", where)
        return gpd.GeoDataFrame({"name": []}, geometry=[], crs=grid.crs.to_wkt())
    if "rzd_class" in gdf.columns:
        gdf["fclass"] = "rail"
    klass = next((c for c in ("fclass", "class") if c in gdf.columns), None)
    columns = {"name": "name"}
    if klass:
        columns[klass] = "fclass" if key.startswith("railways") else "class"
    return prepare(gdf, columns, grid_cfg, grid=grid, where=where, required=False)


def _vector_layers(raw: Path, grid_cfg: GridConfig, grid: Grid) -> dict[str, gpd.GeoDataFrame]:
    """The simple and optional layers, then the railways and roads merged from their sources."""
    layers: dict[str, gpd.GeoDataFrame] = {}
    for key, (layer, columns) in SIMPLE_LAYERS.items():
        layers[layer] = load(raw, key, columns, grid_cfg=grid_cfg, grid=grid)
    for key, (layer, columns) in OPTIONAL_LAYERS.items():
        layers[layer] = load(raw, key, columns, grid_cfg=grid_cfg, grid=grid)
    layers["railways"] = merge_lines(
        {
            source: _load_lines(raw, key, grid_cfg, grid=grid)
            for key, source in RAILWAY_SOURCES.items()
        },
        "fclass",
        "rail",
        kept=RAILWAY_KEPT_FCLASS,
    )
    layers["roads"] = merge_lines(
        {
            source: _load_lines(raw, key, grid_cfg, grid=grid)
            for key, source in ROAD_SOURCES.items()
        },
        "class",
        "major",
        kept=ROAD_KEPT_CLASS,
    )
    return layers


def _cable_layers(
    raw: Path, grid_cfg: GridConfig, grid: Grid, *, ne_countries: gpd.GeoDataFrame
) -> dict[str, gpd.GeoDataFrame]:
    """The cables with their details, and the landing points with their cables and country."""
    ((details_path, _),) = sources.local_files(raw, "cable_details")
    cables, pairs = cable_tables(io.read_json(details_path))
    geo = load(raw, "cables", {"slug": "slug"}, grid_cfg=grid_cfg, grid=grid)
    with_details = cables_with_details(geo, cables)
    points = load(
        raw,
        "landing_points",
        {"id": "id", "slug": "slug", "name": "name"},
        grid_cfg=grid_cfg,
        grid=grid,
    )
    return {
        "cables": with_details,
        "landing_points": landing_points_with_cables(
            points, cables, pairs, ne_countries=ne_countries
        ),
    }


def _aoi_layer(grid_cfg: GridConfig, grid: Grid) -> gpd.GeoDataFrame:
    """The area of interest as one polygon in the analysis CRS."""
    return gpd.GeoDataFrame(
        {"name": ["area of interest"]}, geometry=[aoi_polygon_lonlat(grid_cfg)], crs=WGS84
    ).to_crs(grid.crs.to_wkt())


def run(cfg: Config, files: StageFiles) -> Path:
    """Ingest every dataset; write ``ingest.gpkg`` and the DEM, bathymetry and land cover."""
    raw = files["lock"].parent
    grid = template(cfg.grid)
    layers = _vector_layers(raw, cfg.grid, grid)
    layers.update(_cable_layers(raw, cfg.grid, grid, ne_countries=layers["ne_countries"]))
    layers.update(_world_network(raw))
    layers["aoi"] = _aoi_layer(cfg.grid, grid)
    for name, gdf in layers.items():
        log.info("ingest: %-20s %6d features", name, len(gdf))

    dem = dem_on_grid(
        [p for p, _ in sources.local_files(raw, "dem")],
        grid,
        cfg.grid,
        resampling=Resampling.average,
    )
    bathy = dem_on_grid(
        [p for p, _ in sources.local_files(raw, "bathymetry")],
        grid,
        cfg.grid,
        resampling=Resampling.bilinear,
    )
    io.write_raster(
        files["dem"],
        dem,
        grid,
        nodata=np.nan,
        description="GMTED2010 mean elevation, m above EGM96",
    )
    io.write_raster(
        files["bathymetry"], bathy, grid, nodata=np.nan, description="ETOPO5 elevation/depth, m"
    )
    io.write_raster(
        files["landcover"],
        landcover_on_grid(raw, grid, cfg.grid),
        grid,
        nodata=LANDCOVER_NODATA,
        description="MODIS MCD12C1 2019 IGBP land cover class (0 water … 16 barren)",
    )
    io.write_gpkg(files["ingest"], layers)
    return files["ingest"]
