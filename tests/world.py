"""A small synthetic world in the layout of the real sources, made in code.

Every file of the source manifest is written in the mirror's format (GeoPackage, zipped
GeoJSON, TeleGeography JSON, GeoTIFF) over a 6° × 6° box: Kazakhstan in the north, Turkmenistan
in the middle, Iran in the south, a sea in the west, a river, a railway, a mountain ridge with a
pass, a city and two landing stations (one on the coast, one offshore). ``build(root)`` writes
``raw/`` with its lock file and a ``config.yaml`` for a 10 km grid, so the whole pipeline runs
in a few seconds.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from affine import Affine
from pyproj import CRS
from rasterio.transform import from_origin

from pipeline import io, scene, sources
from pipeline.grid import Grid

WGS84 = "EPSG:4326"


def _gdf(records: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(records, geometry="geometry", crs=WGS84)


def _write(path: Path, gdf: gpd.GeoDataFrame, layer: str | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.name.endswith(".geojson.zip"):
        inner = path.name[: -len(".zip")]
        text = gdf.to_json(drop_id=True)
        with zipfile.ZipFile(path, "w") as z:
            z.writestr(inner, text)
    elif path.suffix == ".json":
        path.write_text(gdf.to_json(drop_id=True))
    else:
        gdf.to_file(path, layer=layer or path.stem, driver="GPKG", engine="pyogrio")


def _landcover(path: Path) -> None:
    """IGBP classes at 0.05°: grassland (10) in Kazakhstan, barren (16) in Turkmenistan,
    cropland (12) in Iran, water (0) in the sea."""
    lon = np.arange(49.0, 57.0, 0.05) + 0.025
    lat = np.arange(43.0, 35.0, -0.05) - 0.025
    lo, la = np.meshgrid(lon, lat)
    z = np.where(la > 40, 10, np.where(la > 38, 16, 12)).astype(np.uint8)
    z[lo < 50.6] = 0
    _write_tif(path, z, "uint8", 255)


def _write_tif(path: Path, z: np.ndarray, dtype: str, nodata: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=z.shape[1],
        height=z.shape[0],
        count=1,
        dtype=dtype,
        crs=WGS84,
        nodata=nodata,
        transform=from_origin(49.0, 43.0, 0.05, 0.05),
    ) as dst:
        dst.write(z, 1)


CABLE_STATIONS = {
    "south-iran": ("South, Iran", "Iran", (55.5, 36.4)),
    "coast-iran": ("Coast, Iran", "Iran", (50.62, 36.5)),
    "hub-oman": ("Hub, Oman", "Oman", (58.5, 23.6)),
}
CABLES_V3 = [
    {
        "id": "test-cable",
        "name": "Test Cable",
        "rfs_year": 2020,
        "is_planned": False,
        "length": "600 km",
        "owners": "Test Telecom",
        "landing_points": ["south-iran", "coast-iran"],
        "line": [[(55.5, 36.4), (50.62, 36.5)]],
    },
    {
        "id": "gulf-cable",
        "name": "Gulf Cable",
        "rfs_year": 2012,
        "is_planned": False,
        "length": "1,600 km",
        "owners": "Gulf Telecom",
        "landing_points": ["south-iran", "hub-oman"],
        "line": [[(55.5, 36.4), (57.5, 30.0), (58.5, 23.6)]],
    },
]


def cables_v3_files(raw: Path, stations=CABLE_STATIONS, cables=CABLES_V3) -> None:
    """TeleGeography v3 layout: cable and landing-point GeoJSON and their detail arrays."""
    folder = raw / "cables" / "v3-2024-03"
    folder.mkdir(parents=True, exist_ok=True)
    geo = [
        {
            "type": "Feature",
            "properties": {"id": c["id"], "name": c["name"], "feature_id": c["id"] + "-0"},
            "geometry": {"type": "MultiLineString", "coordinates": c["line"]},
        }
        for c in cables
    ]
    details = [
        {
            **{k: v for k, v in c.items() if k not in ("line", "landing_points")},
            "landing_points": [
                {"id": i, "name": stations[i][0], "country": stations[i][1]}
                for i in c["landing_points"]
            ],
        }
        for c in cables
    ]
    points = [
        {
            "type": "Feature",
            "properties": {"id": i, "name": n, "is_tbd": False},
            "geometry": {"type": "Point", "coordinates": list(xy)},
        }
        for i, (n, _, xy) in stations.items()
    ]
    point_details = [
        {
            "id": i,
            "name": n,
            "country": country,
            "cables": [
                {"id": c["id"], "name": c["name"]} for c in cables if i in c["landing_points"]
            ],
        }
        for i, (n, country, _) in stations.items()
    ]
    for name, doc in {
        "cable-geo.json": {"type": "FeatureCollection", "features": geo},
        "landing-point-geo.json": {"type": "FeatureCollection", "features": points},
        "cable-details.json": details,
        "landing-point-details.json": point_details,
    }.items():
        (folder / name).write_text(json.dumps(doc))


def _dem(path: Path) -> None:
    lon = np.arange(49.0, 57.0, 0.05) + 0.025
    lat = np.arange(43.0, 35.0, -0.05) - 0.025
    lo, la = np.meshgrid(lon, lat)
    # a ridge along 38.6°N, 2,500 m high, with a pass at 54°E
    ridge = (
        2500 * np.exp(-(((la - 38.6) / 0.25) ** 2)) * (1 - 0.9 * np.exp(-(((lo - 54) / 0.3) ** 2)))
    )
    z = (200 + ridge + 50 * np.sin(lo * 3)).astype(np.int16)
    _write_tif(path, z, "int16", -32768)


def layers() -> dict[str, gpd.GeoDataFrame]:
    """The vector datasets by manifest key."""
    kz = shapely.box(49, 40, 57, 43)
    tm = shapely.box(49, 38, 57, 40)
    ir = shapely.box(49, 35, 57, 38)
    sea = shapely.box(49, 35, 50.6, 43)
    rail = shapely.LineString(
        [(54.2, 41.8), (54.0, 40.0), (54.0, 38.6), (54.6, 37.0), (55.5, 36.4)]
    )
    ir_rail = [(54.0, 38.6), (54.6, 37.0)]
    ir_road = [(54.6, 37.0), (55.5, 36.4)]
    names = {"KZ": "Kazakhstan", "TM": "Turkmenistan", "IR": "Iran"}
    polys = {"KZ": kz, "TM": tm, "IR": ir}
    return {
        "countries": _gdf(
            [
                {"continent": "Asia", "iso_a2": k, "name": names[k], "geometry": g.difference(sea)}
                for k, g in polys.items()
            ]
        ),
        "ne_countries": _gdf(
            [
                {"ISO_A2": k, "NAME": v, "NAME_LONG": v, "ADMIN": v, "geometry": polys[k]}
                for k, v in names.items()
            ]
        ),
        "boundary_lines": _gdf(
            [
                {
                    "featurecla": "International boundary",
                    "name": "KZ-TM",
                    "geometry": shapely.LineString([(50.6, 40), (57, 40)]),
                }
            ]
        ),
        "maritime_boundaries": _gdf(
            [{"featurecla": "Maritime", "geometry": shapely.LineString([(49.5, 40), (50.6, 40)])}]
        ),
        "disputed_areas": _gdf(
            [{"ADMIN": "Nowhere", "TYPE": "Disputed", "geometry": shapely.box(56.5, 42.5, 57, 43)}]
        ),
        "coastline": _gdf(
            [{"featurecla": "Coastline", "geometry": shapely.LineString([(50.6, 35), (50.6, 43)])}]
        ),
        "land": _gdf([{"featurecla": "Land", "geometry": shapely.box(50.6, 35, 57, 43)}]),
        "ocean": _gdf([{"featurecla": "Ocean", "geometry": sea}]),
        "lakes": _gdf(
            [
                {
                    "name": "Small Lake",
                    "featurecla": "Lake",
                    "geometry": shapely.Point(52.5, 41.5).buffer(0.15),
                }
            ]
        ),
        "marine_names": _gdf([{"name": "Test Sea", "featurecla": "sea", "geometry": sea}]),
        "rivers": _gdf(
            [
                {
                    "name": "Testriver",
                    "featurecla": "River",
                    "scalerank": 5,
                    "geometry": shapely.LineString([(50.6, 39.3), (57, 39.3)]),
                }
            ]
        ),
        "railways_ne": _gdf(
            [{"id": 1, "featurecla": "Railroad", "name": "", "category": 1, "geometry": rail}]
        ),
        "railways_osm_tm": _gdf(
            [
                {
                    "osm_id": 1,
                    "fclass": "rail",
                    "geometry": shapely.LineString([(53, 39.5), (54, 39.5)]),
                },
                {
                    "osm_id": 2,
                    "fclass": "proposed",
                    "geometry": shapely.LineString([(55, 39.5), (56, 39.5)]),
                },
            ]
        ),
        "railways_osm_uz": _gdf(
            [
                {
                    "osm_id": 3,
                    "code": 6101,
                    "fclass": "rail",
                    "name": "x",
                    "layer": 0,
                    "bridge": "F",
                    "tunnel": "F",
                    "geometry": shapely.LineString([(56, 42), (56.5, 42.5)]),
                }
            ]
        ),
        "roads": _gdf(
            [
                {
                    "name": "Highway",
                    "geometry": shapely.LineString([(52, 41.5), (52, 37), (55.5, 36.4)]),
                }
            ]
        ),
        "pipelines": _gdf(
            [
                {
                    "project_id": "P1",
                    "fuel": "gas",
                    "name": "Gasline",
                    "status": "operating",
                    "geometry": shapely.LineString([(55, 42), (55, 36.5)]),
                }
            ]
        ),
        "cables": _gdf(
            [
                {
                    "slug": "test-cable",
                    "color": "000000",
                    "geometry": shapely.MultiLineString([[(55.5, 36.3), (50, 36)]]),
                }
            ]
        ),
        "landing_points": _gdf(
            [
                {
                    "slug": "coast-iran",
                    "name": "Coast, Iran",
                    "id": 1,
                    "geometry": shapely.Point(50.62, 36.5),
                },
                {
                    "slug": "south-iran",
                    "name": "South, Iran",
                    "id": 2,
                    "geometry": shapely.Point(55.5, 36.4),
                },
                {
                    "slug": "platform-iran",
                    "name": "Platform, Iran",
                    "id": 3,
                    "geometry": shapely.Point(50.2, 37.0),
                },
            ]
        ),
        "places": _gdf(
            [
                {
                    "NAME": "Origin City",
                    "NAMEASCII": "Origin City",
                    "ISO_A2": "KZ",
                    "POP_MAX": 500000,
                    "MAX_AREAKM": 80.0,
                    "FEATURECLA": "Admin-1 capital",
                    "geometry": shapely.Point(54.2, 41.8),
                },
                {
                    "NAME": "Pass Town",
                    "NAMEASCII": "Pass Town",
                    "ISO_A2": "TM",
                    "POP_MAX": 20000,
                    "MAX_AREAKM": 0.0,
                    "FEATURECLA": "Populated place",
                    "geometry": shapely.Point(54.0, 38.8),
                },
            ]
        ),
        "ports": _gdf([{"name": "Port", "geometry": shapely.Point(50.7, 36.6)}]),
        "roads_osm": _gdf(
            [
                {"class": "primary", "country": "IR", "geometry": shapely.LineString(ir_road)},
                {
                    "class": "tertiary",
                    "country": "IR",
                    "geometry": shapely.LineString([(51, 36.5), (52, 36.5)]),
                },
            ]
        ),
        "roads_osm_major": _gdf(
            [
                {"class": "trunk", "geometry": shapely.LineString([(52, 41.5), (52, 40.2)])},
                {
                    "class": "trunk_construction",
                    "geometry": shapely.LineString([(53, 41.5), (53, 40.2)]),
                },
            ]
        ),
        "railways_osm": _gdf(
            [
                {"class": "rail", "country": "IR", "geometry": shapely.LineString(ir_rail)},
                {
                    "class": "construction",
                    "country": "IR",
                    "geometry": shapely.LineString([(55, 37.5), (55.5, 36.6)]),
                },
            ]
        ),
        "railways_rzd": _gdf(
            [
                {
                    "rzd_class": "mainlines",
                    "name": "North line",
                    "geometry": shapely.LineString([(54.2, 41.8), (54.2, 42.9)]),
                }
            ]
        ),
        "railway_stations": _gdf(
            [{"name": "Border Station", "type": "station", "geometry": shapely.Point(54.0, 40.0)}]
        ),
        "border_controls": _gdf(
            [
                {
                    "name": "North Post",
                    "class": "border_control",
                    "geometry": shapely.Point(54, 40),
                },
                {
                    "name": "South Post",
                    "class": "border_control",
                    "geometry": shapely.Point(54, 38),
                },
            ]
        ),
        "faults": _gdf(
            [
                {
                    "name": "Test Fault",
                    "fz_name": "Test Zone",
                    "slip_type": "Reverse",
                    "net_slip_rate": "(1.0,0.5,2.0)",
                    "catalog_name": "synthetic",
                    "geometry": shapely.LineString([(53.5, 39.0), (54.5, 39.0)]),
                }
            ]
        ),
        "protected_areas": _gdf(
            [
                {
                    "class": "national_park",
                    "name": "Test Park",
                    "name:en": "Test Park",
                    "geometry": shapely.box(55.6, 40.5, 56.4, 41.5),
                }
            ]
        ),
        "airports": _gdf(
            [
                {
                    "name": "Airport",
                    "iata_code": "XXX",
                    "type": "major",
                    "geometry": shapely.Point(54.1, 41.7),
                }
            ]
        ),
    }


LAYER_NAMES = {
    "railways_osm_tm": "railways",
    "railways_osm_uz": "railways",
    "railways_osm": "railways",
    "railways_rzd": "rzd_lines",
    "roads_osm": "roads",
    "roads_osm_major": "roads",
    "pipelines": "pipelines",
    "railway_stations": "stations",
    "border_controls": "border_control",
    "faults": "faults",
    "protected_areas": "park",
}
"""GeoPackage layer name of each dataset, as in the mirror."""

CONFIG = """\
paths: {{raw_dir: {raw}, processed_dir: {out}}}
grid: {{lon_min_deg: 50, lon_max_deg: 56, lat_min_deg: 36, lat_max_deg: 42, cell_m: 10000}}
route:
  origins: [{{name: Origin City}}]
  landing_countries: [IR]
  scenarios:
    land: {{allowed_countries: [KZ, TM, IR]}}
  alternatives: 2
  separation_km: 15
  endpoint_radius_km: 30
  endpoint_snap_km: 15
uncertainty: {{draws: 40, routing_draws: 2}}
onward:
  hubs: [{{name: Oman Hub, stations: [hub-oman]}}]
  incumbent_gateway: {{name: West Coast, stations: [coast-iran]}}
  latency_references: []  # the defaults name stations of the real cable data
dask: {{n_workers: 1, chunk_cells: 32}}
"""


def write_config(root: Path, extra: str = "") -> Path:
    """The world's config (paths inside ``root``), with ``extra`` YAML appended."""
    cfg = root / "config.yaml"
    cfg.write_text(CONFIG.format(raw=root / "raw", out=root / "out") + extra)
    return cfg


def build(root: Path) -> Path:
    """Write the synthetic raw data, its lock file and a config; return the config path."""
    raw = root / "raw"
    data = layers()
    lock = {}
    cables_v3_files(raw)
    for key, ds in sources.manifest().items():
        for i, sf in enumerate(ds.files):
            path = raw / sf.mirror
            if key in ("dem", "bathymetry"):
                _dem(path)
            elif key == "landcover":
                _landcover(path)
            elif key == "cables_v3":
                pass  # written above
            elif key == "cable_details":
                path.write_text(
                    json.dumps(
                        [
                            {
                                "id": "test-cable",
                                "name": "Test Cable",
                                "length": "600 km",
                                "rfs": "2020",
                                "owners": "Test Telecom",
                                "landing_points": [{"id": "south-iran"}, {"id": "coast-iran"}],
                            },
                            [{"index": "not a cable"}],
                        ]
                    )
                )
            else:  # a dataset's later files (the mirror's east of 76°E) hold no feature here
                rows = data[key].iloc[: len(data[key]) if i == 0 else 0]
                _write(path, rows, LAYER_NAMES.get(key))
            lock[sf.mirror] = {
                "dataset": key,
                "source": "mirror",
                "origin": sf.mirror,
                "local": sf.mirror,
                "layer": None,
                "sha256": io.sha256_file(path),
                "bytes": path.stat().st_size,
            }
    io.write_json(raw / sources.LOCK_NAME, {"files": lock})
    return write_config(root)


def replace(
    root: Path,
    mirror_path: str,
    content: bytes | None = None,
    gdf: gpd.GeoDataFrame | None = None,
    layer: str | None = None,
) -> Path:
    """Replace one raw file (bytes or a layer) and re-pin it in the lock, as if the producer
    had served it that way."""
    path = root / "raw" / mirror_path
    if content is not None:
        path.write_bytes(content)
    else:
        path.unlink()
        _write(path, gdf, layer)
    lock_path = root / "raw" / sources.LOCK_NAME
    lock = io.read_json(lock_path)
    lock["files"][mirror_path]["sha256"] = io.sha256_file(path)
    io.write_json(lock_path, lock)
    return path


def plain_scene(rate: np.ndarray, c2f: tuple[int, int, int, int] | None) -> scene.Scene:
    """A scene of one zone on a 1 km grid at ``rate``; coarse to fine by ``c2f``, or not."""
    grid = Grid(CRS.from_epsg(3857), Affine.scale(1000.0, -1000.0), rate.shape[1], rate.shape[0])
    zone = np.ones(rate.shape, dtype=np.int16)
    return scene.Scene(rate, np.ones(rate.shape), zone, np.zeros((2, 2)), grid, 8, None, c2f)
