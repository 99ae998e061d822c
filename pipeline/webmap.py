"""The report's interactive map: one self-contained HTML page that works with the network off.

Leaflet 1.9.4 (BSD-2-Clause, vendored in ``vendor/leaflet``) is inlined with its two control
images as data URIs; the basemap is the project's own: a hillshade of the DEM with the
railways and major roads burned in, reprojected to Web Mercator as one image, under the
countries and lakes as vectors. Routes, crossings, border gateways, sites, landing stations,
onward paths, hubs and the planned networks (links by role, nodes by kind) are GeoJSON in the
page. Nothing is fetched: no tiles, fonts or scripts.
"""

from __future__ import annotations

import base64
import html
import json
from io import BytesIO
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from affine import Affine
from matplotlib import colormaps
from matplotlib import colors as mcolors
from matplotlib import image as mimage
from rasterio import features as rfeatures
from rasterio.transform import from_bounds
from rasterio.warp import Resampling, reproject, transform_bounds

from .cables import best_per_origin_hub
from .grid import WGS84, Grid
from .netreport import NODE_STYLES, ROLE_COLORS, ROLE_TEXT

VENDOR = Path(__file__).parent / "vendor" / "leaflet"
WEB = Path(__file__).parent / "web"
MERCATOR = "EPSG:3857"
BASEMAP_WIDTH_PX = 2400
"""Width of the basemap image: about 1.5 km a pixel over the default area, finer than the
2.5 km analysis grid it is drawn from."""
SIMPLIFY_DEG = 0.002
"""Vector tolerance on the map (about 200 m): below what the map shows at its widest zoom on
a route, and a page of a few MB. The GeoPackage keeps the full geometry."""
COORD_DECIMALS = 4
"""Coordinate decimals in the page (about 10 m)."""

LAND_RGB = np.array([0.95, 0.93, 0.89])
RAIL_RGB = (0.42, 0.30, 0.10)
ROAD_RGB = (0.80, 0.45, 0.20)
MAP_ROAD_CLASSES = ("major", "motorway", "trunk", "primary")
"""Roads drawn on the basemap: the long-haul classes (secondary roads would hide the routes)."""

ROUTE_FIELDS = [
    "route_id",
    "scenario",
    "alternative",
    "origin",
    "destination",
    "length_km",
    "cost_p10_usd",
    "cost_p50_usd",
    "cost_p90_usd",
    "latency_ms",
    "latency_rt_ms",
    "detour_ratio",
    "countries",
    "km_by_country",
    "border_crossings",
    "n_border_crossings",
    "row_share",
    "max_elevation_m",
    "n_ila_sites",
    "n_regen_sites",
    "shared_km_max",
    "diversity_note",
    "rank",
    "mcda_rank",
]


LINK_FIELDS = [
    "network",
    "link_id",
    "from_name",
    "to_name",
    "role",
    "scenario",
    "length_km",
    "cost_usd",
    "methods",
    "submarine_km",
    "hdd_km",
    "countries",
    "gateways",
    "working_origins",
    "protection_origins",
]
"""A network link's fields on the map (its popup)."""
NODE_FIELDS = ["network", "name", "kind", "country", "station_id", "origins"]


def leaflet_assets() -> tuple[str, str]:
    """Leaflet's script and style, with nothing left for the page to request.

    The style's two control images are inlined; its marker icon is dropped (the map draws
    circle markers only).
    """
    css = (VENDOR / "leaflet.css").read_text()
    for name in ("layers.png", "layers-2x.png"):
        data = base64.b64encode((VENDOR / "images" / name).read_bytes()).decode()
        css = css.replace(f"url(images/{name})", f"url(data:image/png;base64,{data})")
    css = css.replace("url(images/marker-icon.png)", "none")
    js = (VENDOR / "leaflet.js").read_text()
    return js, css


def hillshade(
    dem: np.ndarray, cell_m: float, azimuth_deg=315.0, *, altitude_deg=45.0
) -> np.ndarray:
    """Lambertian hillshade in [0, 1] (NaN off land), light from the north-west."""
    dy, dx = np.gradient(np.nan_to_num(dem, nan=0.0, posinf=0.0, neginf=0.0), cell_m)
    slope = np.arctan(np.hypot(dx, dy))
    aspect = np.arctan2(-dx, dy)
    az, alt = np.radians(azimuth_deg), np.radians(altitude_deg)
    shade = np.sin(alt) * np.cos(slope) + np.cos(alt) * np.sin(slope) * np.cos(az - aspect)
    return np.where(np.isfinite(dem), np.clip(shade, 0, 1), np.nan)


def basemap(
    dem: np.ndarray,
    grid: Grid,
    countries: gpd.GeoDataFrame,
    *,
    railways: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
) -> tuple[str, list[list[float]]]:
    """The basemap image as a PNG data URI, and its [[south, west], [north, east]] bounds.

    Land is where a country is (the DEM has values at sea too); the sea stays transparent.
    """
    b = grid.transform
    src_bounds = (b.c, b.f + grid.height * b.e, b.c + grid.width * b.a, b.f)
    w, s, e, n = transform_bounds(grid.crs, WGS84, *src_bounds)
    s, n = max(s, -85.0), min(n, 85.0)
    x0, y0, x1, y1 = transform_bounds(WGS84, MERCATOR, w, s, e, n)
    width = BASEMAP_WIDTH_PX
    height = max(1, round(width * (y1 - y0) / (x1 - x0)))
    dst_transform = from_bounds(x0, y0, x1, y1, width, height)
    shade = np.full((height, width), np.nan, dtype=np.float32)
    # every step-th cell, no fewer than the image's pixels: the hillshade's temporaries take
    # 50 bytes a cell, and the DEM (2.8 km) has no finer relief for a finer grid to show
    step = max(1, grid.width // BASEMAP_WIDTH_PX)
    reproject(
        hillshade(dem[::step, ::step], grid.cell_m * step).astype(np.float32),
        shade,
        src_transform=b * Affine.scale(step),
        src_crs=grid.crs,
        dst_transform=dst_transform,
        dst_crs=MERCATOR,
        src_nodata=np.nan,
        dst_nodata=np.nan,
        resampling=Resampling.bilinear,
    )

    def burn(gdf: gpd.GeoDataFrame, all_touched: bool) -> np.ndarray:
        if gdf.empty:
            return np.zeros((height, width), dtype=bool)
        return rfeatures.rasterize(
            gdf.to_crs(MERCATOR).geometry.values,
            out_shape=(height, width),
            transform=dst_transform,
            all_touched=all_touched,
            dtype="uint8",
        ).astype(bool)

    land = np.isfinite(shade) & burn(countries, all_touched=False)
    tone = 0.55 + 0.45 * np.round(np.nan_to_num(shade, nan=1.0) * 24) / 24  # fewer tones: small PNG
    rgba = np.zeros((height, width, 4))
    rgba[..., :3] = LAND_RGB * tone[..., None]
    rgba[..., 3] = land
    for gdf, rgb in ((roads, ROAD_RGB), (railways, RAIL_RGB)):
        burnt = burn(gdf, all_touched=True) & land
        rgba[burnt, :3] = rgb
        rgba[burnt, 3] = 1.0
    buf = BytesIO()
    mimage.imsave(buf, rgba, format="png")
    uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return uri, [[s, w], [n, e]]


def collection(gdf: gpd.GeoDataFrame, fields: list[str], simplify_deg=SIMPLIFY_DEG) -> dict:
    """A GeoJSON FeatureCollection of ``fields``, in lon/lat, simplified and rounded."""
    gdf = gdf.to_crs(WGS84)
    geoms = shapely.simplify(gdf.geometry.values, simplify_deg, preserve_topology=True)
    geoms = shapely.transform(geoms, lambda c: np.round(c, COORD_DECIMALS))
    props = json.loads(gdf[[f for f in fields if f in gdf]].to_json(orient="records"))
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": json.loads(shapely.to_geojson(g)), "properties": p}
            for g, p in zip(geoms, props, strict=True)
            if not g.is_empty
        ],
    }


def page(data: dict, title: str, attribution: str) -> str:
    """The map page: Leaflet, its style, the data and the map script, all inline."""
    js, css = leaflet_assets()
    blob = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{css}</style>
<style>{(WEB / "map.css").read_text()}</style></head><body>
<div id="map"></div>
<script type="application/json" id="data">{blob}</script>
<script>{js}</script>
<script>const ATTRIBUTION = {json.dumps(attribution)};
{(WEB / "map.js").read_text()}</script>
</body></html>"""


def network_data(layers: dict) -> dict:
    """The planned networks for the map: their links and nodes, the networks, the styles.

    Empty when ``layers`` has no ``network_links`` (a map built without the network stage).
    """
    links, nodes = layers.get("network_links"), layers.get("network_nodes")
    if links is None or nodes is None:
        empty = {"type": "FeatureCollection", "features": []}
        return {"networks": [], "network_links": empty, "network_nodes": empty}
    summary = layers.get("network_summary")
    described = (
        dict(zip(summary["network"], summary["description"].fillna(""), strict=True))
        if summary is not None and "description" in summary
        else {}
    )
    return {
        "networks": [
            {"key": k, "description": described.get(k, "")} for k in dict.fromkeys(links["network"])
        ],
        "network_links": collection(links, LINK_FIELDS),
        "network_nodes": collection(nodes, NODE_FIELDS),
        "network_styles": {
            "roles": ROLE_COLORS,
            "role_text": ROLE_TEXT,
            "nodes": {
                k: {"color": v["color"], "radius": v["radius"], "label": v["label"]}
                for k, v in NODE_STYLES.items()
            },
        },
    }


def build(
    layers: dict[str, gpd.GeoDataFrame],
    dem: np.ndarray,
    grid: Grid,
    *,
    scenario_colors: dict[str, str],
    attribution: str,
) -> str:
    """The map page from the deliverable and ingest layers (all in any CRS)."""
    roads = layers["roads"]
    roads = roads.loc[roads["class"].isin(MAP_ROAD_CLASSES)] if "class" in roads else roads
    uri, bounds = basemap(dem, grid, layers["countries"], railways=layers["railways"], roads=roads)
    onward = layers["onward_paths"]
    best = best_per_origin_hub(onward)
    onward_fields = list(onward.columns.drop("geometry"))
    data = {
        "basemap": {"uri": uri, "bounds": bounds},
        "scenario_colors": scenario_colors,
        "hub_colors": [mcolors.to_hex(colormaps["tab10"](i)) for i in range(10)],
        "countries": collection(layers["countries"], ["name", "iso_a2"], 0.01),
        "lakes": collection(layers["lakes"], ["name"], 0.01),
        "routes": collection(layers["routes"], ROUTE_FIELDS),
        "crossings": collection(
            layers["crossings"], ["kind", "name", "gateway", "route_id", "km_from_origin"]
        ),
        "gateways": collection(layers["gateways"], ["name", "kind", "kinds", "source"]),
        "sites": collection(
            layers["sites"],
            [
                "site_type",
                "route_id",
                "km_from_origin",
                "nearest_settlement",
                "settlement_km",
                "cost_usd",
            ],
        ),
        "landing_points": collection(
            layers["landing_points"], ["name", "cables", "n_cables", "first_rfs", "status"]
        ),
        "hubs": collection(layers["hubs"], ["name", "role", "stations"]),
        "endpoints": collection(layers["endpoints"], ["name", "role", "status", "reason"]),
        "onward_best": collection(best, onward_fields, 0.01),
        "onward_all": collection(onward, onward_fields, 0.01),
        **network_data(layers),
    }
    return page(data, "Eurasian fiber corridor — interactive map", attribution)
