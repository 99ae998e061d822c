"""Cost stage: a cost surface in USD per km of cable, on the template grid, with Dask.

Two surfaces are written, kept apart on purpose:

- ``unit_cost_usd_per_km.tif`` is the bill-of-quantities rate: base build cost × terrain class ×
  right-of-way discount × settlement premium on land, the submarine rate on water. Route scores
  are priced with it (plus crossings, counted and priced one by one).
- ``steer_cost_usd_per_km.tif`` is what the router minimises: the unit cost plus the river
  crossing cost spread over the river cells, so a route crosses a river where it is cheapest and
  does not run along it. Scenario rules (forbidden countries, water) are applied by the router.

The rate rules are the cost book's (``costbook``), which ``economics`` prices routes with and
the router's scenes share. The unit rate's factors: terrain class (slope), right-of-way by kind
(``row_classes``: railway, primary-or-better road, other road, pipeline, each earning its share
of the co-location discount), land cover (MODIS IGBP classes), protected areas, settlements and
the country. Active faults are crossings, priced one by one like rivers and spread over their
cells for steering.

Component rasters are kept for inspection in QGIS: slope, terrain multiplier, land cover
multiplier, distance to the nearest right-of-way and its kinds, settlements, protected areas,
fault cells, water class, country ids, river cells and the ground scale.
The stage also builds the border gateways (``gateways.py``: ``gateways.gpkg`` and
``cost/gateway_id.tif``, the cells where a route may change country) and the distance to the
nearest railway or primary-or-better road (``cost/major_row_km.tif``, for the scores).
The kernels (slope, the distances to each kind of right-of-way and to the major lines, the
rates: ``surface_window``) run as one Dask task per block, on a cluster when one is given: each
task reads its block of the inputs, with a margin as wide as the farthest distance measured, from
files in a scratch folder of the processed folder, and writes its block of every output there
(``surface``). Rasterising the vectors stays on the client.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import dask
import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine
from rasterio import features
from scipy import ndimage

from . import catalogue, gateways, io, parallel
from .catalogue import StageFiles
from .config import Config, CostConfig, GatewaysConfig, check_names
from .costbook import (
    OUTSIDE,
    ROW_KINDS,
    WATER_LAKE,
    WATER_LAND,
    WATER_SEA,
    country_id,
    country_mult_raster,
    crossable_rivers,
    is_wet,
    landcover_mult_block,
    on_row,
    priced_faults,
    steer_cost_block,
    terrain_mult_block,
    unit_cost_block,
)
from .grid import Grid, cell_lonlat, inverse_scale, template

log = logging.getLogger(__name__)


# --- block kernels (numpy in, numpy out) ---------------------------------------------------------


def slope_block(dem: np.ndarray, inv_scale: np.ndarray, cell_m: float) -> np.ndarray:
    """Slope in degrees by Horn's 3×3 method, with ground cell spacing ``cell_m × inv_scale``.

    A neighbour without elevation (NaN: outside the DEM) counts as level with the centre cell;
    a cell without elevation has slope 0.
    """
    z = np.pad(dem.astype(np.float64), 1, mode="edge")
    e = z[1:-1, 1:-1]

    def nb(r: slice, c: slice) -> np.ndarray:
        n = z[r, c]
        return np.where(np.isnan(n), e, n)

    a, b, c = (
        nb(slice(0, -2), slice(0, -2)),
        nb(slice(0, -2), slice(1, -1)),
        nb(slice(0, -2), slice(2, None)),
    )
    d, f = nb(slice(1, -1), slice(0, -2)), nb(slice(1, -1), slice(2, None))
    g, h, i = (
        nb(slice(2, None), slice(0, -2)),
        nb(slice(2, None), slice(1, -1)),
        nb(slice(2, None), slice(2, None)),
    )
    spacing = cell_m * inv_scale
    dzdx = ((c + 2 * f + i) - (a + 2 * d + g)) / (8 * spacing)
    dzdy = ((g + 2 * h + i) - (a + 2 * b + c)) / (8 * spacing)
    out = np.degrees(np.arctan(np.hypot(dzdx, dzdy)))
    return np.where(np.isnan(dem), 0.0, out)


def distance_block(
    row_mask: np.ndarray, inv_scale: np.ndarray, cell_m: float, *, cap_km: float
) -> np.ndarray:
    """Ground distance (km) to the nearest True cell, capped at ``cap_km``."""
    if not row_mask.any():
        return np.full(row_mask.shape, cap_km)
    cells = ndimage.distance_transform_edt(~row_mask)
    return np.minimum(cells * cell_m * inv_scale / 1000.0, cap_km)


# --- the surface, chunked ---------------------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    """Rasterised inputs of the cost surface, all on the template grid."""

    dem: np.ndarray
    inv_scale: np.ndarray
    row_masks: dict[str, np.ndarray]  # per kind of right-of-way (``ROW_KINDS``)
    major_mask: np.ndarray  # railways and primary-or-better roads
    urban: np.ndarray
    water: np.ndarray
    rivers: np.ndarray
    faults: np.ndarray
    country_mult: np.ndarray
    landcover: np.ndarray
    protected: np.ndarray


SURFACE_RASTERS = (
    "slope_deg",
    "terrain_mult",
    "row_classes",
    "major_row_km",
    "landcover_mult",
    "row_distance_km",
    "unit_cost_usd_per_km",
    "steer_cost_usd_per_km",
)
"""The rasters computed from the inputs block by block; stored as float32, but ``row_classes``."""


def colocation_cap_km(c: CostConfig, cell_m: float) -> float:
    """How far the distance to a right-of-way is measured: enough for the co-location test."""
    return max(c.colocation_distance_km, cell_m / 1000.0) * 2


def surface_window(inp: Inputs, c: CostConfig, cell_m: float) -> dict[str, np.ndarray]:
    """The component and cost rasters (``SURFACE_RASTERS``) of the inputs, in plain numpy.

    Applied to the whole grid this is the reference; ``surface`` applies it to blocks with a
    margin wide enough that every kernel sees all it needs, and keeps their centres.
    """
    cap_km = colocation_cap_km(c, cell_m)
    inv = inp.inv_scale
    slope = slope_block(inp.dem, inv, cell_m)
    kinds = [distance_block(inp.row_masks[k], inv, cell_m, cap_km=cap_km) for k in ROW_KINDS]
    row_classes = row_bits_block(*kinds, c=c)
    terrain = terrain_mult_block(slope, c)
    unit = unit_cost_block(
        terrain,
        row_classes,
        inp.urban,
        water=inp.water,
        country_mult=inp.country_mult,
        landcover=inp.landcover,
        protected=inp.protected,
        c=c,
    )
    return {
        "slope_deg": slope,
        "terrain_mult": terrain,
        "row_classes": row_classes,
        "major_row_km": distance_block(inp.major_mask, inv, cell_m, cap_km=MAJOR_ROW_CAP_KM),
        "landcover_mult": landcover_mult_block(inp.landcover, c),
        "row_distance_km": functools.reduce(np.minimum, kinds),  # nearest of any kind
        "unit_cost_usd_per_km": unit,
        "steer_cost_usd_per_km": steer_cost_block(
            unit, inp.rivers, inp.faults, inv_scale=inv, cell_m=cell_m, c=c
        ),
    }


def surface(
    inp: Inputs,
    c: CostConfig,
    cell_m: float,
    *,
    chunks: int,
    folder: Path,
    address: str | None = None,
    n_workers: int = 1,
) -> dict[str, np.ndarray]:
    """``surface_window`` over the whole grid, one Dask task per ``chunks``² block.

    The inputs are written to ``folder`` once; each task reads its block and a margin from
    there (``io.NpyBlocks``), computes every raster and writes its block of each into
    ``folder``: so the graph holds no array, no block travels between tasks, and a cluster's
    workers need only see the folder. Measured on the default grid with two local workers,
    the Dask arrays this replaces (a graph of 92 MiB and 5,300 small tasks) took 4–5.7 s where
    their kernels took 0.8 s. Returns the rasters memory-mapped from ``folder``.
    """
    fields = {f.name: getattr(inp, f.name) for f in dataclasses.fields(inp)}
    masks = fields.pop("row_masks")
    fields.update({f"row_mask_{k}": masks[k] for k in ROW_KINDS})
    # the margin: the farthest any distance is measured, in cells where cells are smallest
    reach_km = max(colocation_cap_km(c, cell_m), MAJOR_ROW_CAP_KM)
    margin = math.ceil(reach_km * 1000.0 / (cell_m * float(inp.inv_scale.min()))) + 1
    files = {k: _saved(folder / f"in_{k}.npy", a) for k, a in fields.items()}
    io.release_pages(*fields.values())  # what was read of the mapped ones is in the files now
    shape = inp.dem.shape
    outs = {
        k: io.NpyBlocks.create(
            folder / f"{k}.npy", shape, np.uint8 if k == "row_classes" else np.float32
        )
        for k in SURFACE_RASTERS
    }
    windows = [
        (r, min(r + chunks, shape[0]), q, min(q + chunks, shape[1]))
        for r in range(0, shape[0], chunks)
        for q in range(0, shape[1], chunks)
    ]
    task, run = dask.delayed(_surface_block), parallel.run_token()
    tasks = [
        task(
            files,
            outs,
            w,
            margin=margin,
            c=c,
            cell_m=cell_m,
            dask_key_name=block_key(run, i),
        )
        for i, w in enumerate(windows)
    ]
    parallel.compute(tasks, address, n_workers, label="cost")
    return {k: o.read() for k, o in outs.items()}


def _kept_in(folder: Path):
    """``rasterise_inputs``' ``keep``: each grid saved to ``folder``, mapped back read-only.

    ``surface`` reads them there; their memory is the page cache's, not the stage's (the inputs
    are 37 bytes a cell: 11 GB at 250 m).
    """

    def keep(name: str, a: np.ndarray) -> np.ndarray:
        return io.NpyBlocks.save(folder / f"in_{name}.npy", a).read().view(np.ndarray)

    return keep


def _saved(path: Path, a: np.ndarray) -> io.NpyBlocks:
    """``a`` in the file ``path``: written there, unless it is mapped from there already.

    (Saving it again would truncate the file it is read from: compared resolved, as a relative
    ``paths.processed_dir`` names the same file another way.)
    """
    if io.mapped_from(a) == path.resolve():
        return io.NpyBlocks(path, a.shape, a.dtype)
    return io.NpyBlocks.save(path, a)


def block_key(run: str, i: int) -> str:
    """The Dask key of ``surface``'s i-th block (in raster order) of one run.

    Both the threaded scheduler and a cluster's run independent tasks in the order of their keys
    (``dask.order``), so blocks named in raster order run beside their neighbours, whose margins
    they read: the pages of those rows are still in the page cache. Keys of random tokens ran
    the blocks in random order. ``run`` (``parallel.run_token``) keeps two builds on one
    cluster from sharing keys.
    """
    return f"cost-block-{run}-{i:07d}"


def _surface_block(files, outs, window, *, margin: int, c: CostConfig, cell_m: float) -> None:
    """One block of ``surface``: read the inputs with a margin, write the centres out."""
    r0, r1, q0, q1 = window
    h, w = files["dem"].shape
    rows = slice(max(r0 - margin, 0), min(r1 + margin, h))
    cols = slice(max(q0 - margin, 0), min(q1 + margin, w))
    read = {k: f[rows, cols] for k, f in files.items()}
    masks = {k: read.pop(f"row_mask_{k}") for k in ROW_KINDS}
    out = surface_window(Inputs(**read, row_masks=masks), c, cell_m)
    centre = (slice(r0 - rows.start, r1 - rows.start), slice(q0 - cols.start, q1 - cols.start))
    for k, a in out.items():
        outs[k][r0:r1, q0:q1] = a[centre]


# --- rasterising the vector inputs -------------------------------------------------------------


def burn(
    geoms, grid: Grid, value: int = 1, *, all_touched: bool = True, dtype: str = "uint8"
) -> np.ndarray:
    """Rasterise geometries to a grid-shaped array (0 where none)."""
    shapes = [(g, value) for g in geoms if g is not None and not g.is_empty]
    if not shapes:
        return np.zeros(grid.shape, dtype=dtype)
    return features.rasterize(
        shapes,
        out_shape=grid.shape,
        transform=grid.transform,
        fill=0,
        all_touched=all_touched,
        dtype=dtype,
    )


def country_raster(countries: gpd.GeoDataFrame, grid: Grid) -> tuple[np.ndarray, list[str]]:
    """Country index per cell (``country_id`` into the returned codes; 0 for none)."""
    codes = sorted(set(countries["iso_a2"].dropna()))
    shapes = [
        (g, country_id(codes, code))
        for g, code in zip(countries.geometry, countries["iso_a2"], strict=True)
        if code in codes
    ]
    arr = features.rasterize(
        shapes, out_shape=grid.shape, transform=grid.transform, fill=0, dtype="int16"
    )
    return arr, codes


def water_raster(
    lakes: gpd.GeoDataFrame, ocean: gpd.GeoDataFrame, aoi_inside: np.ndarray, *, grid: Grid
) -> np.ndarray:
    """Water class per cell: land, lake, sea (the Caspian is sea), or outside the area."""
    water = np.zeros(grid.shape, dtype="uint8")
    water[burn(lakes.geometry, grid, all_touched=False) > 0] = WATER_LAKE
    water[burn(ocean.geometry, grid, all_touched=False) > 0] = WATER_SEA
    water[~aoi_inside] = OUTSIDE
    return water


def water_bodies(
    water: np.ndarray, named: gpd.GeoDataFrame, grid: Grid
) -> tuple[np.ndarray, dict[str, int]]:
    """Connected water bodies (8-connected cells) and the id each named polygon falls in.

    A name takes the body holding most of its polygon's cells; the Caspian, which Natural Earth
    keeps in the ocean layer, is told apart from the Gulf this way.
    """
    wet = is_wet(water)
    labels, _ = ndimage.label(wet, structure=np.ones((3, 3)))
    names: dict[str, int] = {}
    for geom, name in zip(named.geometry, named["name"], strict=True):
        if not name:
            continue
        rows, cols, mask = burn_window(geom, grid)
        cells = labels[rows, cols][mask]
        cells = cells[cells > 0]
        if cells.size:
            names[str(name)] = int(np.bincount(cells).argmax())
    return labels.astype(np.int32, copy=False), names


def burn_window(geom, grid: Grid) -> tuple[slice, slice, np.ndarray]:
    """``burn`` of one geometry (cell centres inside) on the grid's window round its bounds.

    The rows and columns of the window, and its mask: the cells of the whole grid's burn, with
    memory and time for the window only.
    """
    minx, miny, maxx, maxy = geom.bounds
    (r0, r1), (c0, c1) = grid.rowcol(np.array([minx, maxx]), np.array([maxy, miny]))
    r0, c0 = max(int(r0) - 1, 0), max(int(c0) - 1, 0)
    r1, c1 = min(int(r1) + 2, grid.height), min(int(c1) + 2, grid.width)
    if r1 <= r0 or c1 <= c0:
        return slice(0, 0), slice(0, 0), np.zeros((0, 0), dtype=bool)
    mask = features.rasterize(
        [(geom, 1)],
        out_shape=(r1 - r0, c1 - c0),
        transform=grid.transform * Affine.translation(c0, r0),
        fill=0,
        all_touched=False,
        dtype="uint8",
    )
    return slice(r0, r1), slice(c0, c1), mask > 0


def settlement_areas(places: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """Settlement discs with the urban area Natural Earth measured (MAX_AREAKM), in CRS metres."""
    area = places["urban_area_km2"].astype(float).fillna(0.0)
    keep = area > 0
    radius_m = np.sqrt(area[keep] / math.pi) * 1000.0
    return places.geometry[keep].buffer(radius_m.to_numpy())


MAJOR_ROADS = ("motorway", "trunk", "primary", "major")
"""Primary-or-better roads (OSM highway=*, and Natural Earth's major roads)."""
MAJOR_ROW_CAP_KM = 20.0


def row_groups(layers: dict[str, gpd.GeoDataFrame], c: CostConfig) -> dict[str, list]:
    """The right-of-way lines of each kind (``ROW_KINDS``), of the cost book's classes."""
    rails, roads = layers["railways"], layers["roads"]
    road_ok = roads["class"].isin(c.row_road_classes)
    major = roads["class"].isin(MAJOR_ROADS)
    return {
        "railway": list(rails.geometry[rails["fclass"].isin(c.row_railway_classes)]),
        "major_road": list(roads.geometry[road_ok & major]),
        "pipeline": list(layers["pipelines"].geometry),
        "road": list(roads.geometry[road_ok & ~major]),
    }


def major_lines(layers: dict[str, gpd.GeoDataFrame], c: CostConfig) -> list:
    """The railways of the cost book's classes and the primary-or-better roads."""
    rails, roads = layers["railways"], layers["roads"]
    return [
        *rails.geometry[rails["fclass"].isin(c.row_railway_classes)],
        *roads.geometry[roads["class"].isin(MAJOR_ROADS)],
    ]


def bridge_cells(
    water: np.ndarray, country: np.ndarray, lines: list, *, grid: Grid
) -> tuple[np.ndarray, np.ndarray]:
    """Water and country rasters with the cells a railway or major road crosses water on made land.

    A strait or lake a railway or primary road crosses on a bridge or causeway (the Garabogaz
    strait, Lake Urmia) is narrower than a cell; without this, the raster cuts the land route
    there. Each such cell takes the country of the nearest cell that has one. Every cell the
    line touches is made land, so a causeway drawn diagonally is a 4-connected chain of cells:
    a route may not cut a corner between two water cells (``router``), and a chain joined only
    at corners would cut the crossing again.
    """
    bridge = is_wet(water) & (burn(lines, grid, all_touched=True) > 0)
    if not bridge.any():
        return water, country
    water = np.where(bridge, WATER_LAND, water).astype(water.dtype)
    rr, cc = np.nonzero(bridge & (country == 0))
    country = country.copy()
    country[rr, cc] = nearest_set(country, rr, cc)
    return water, country


def nearest_set(a: np.ndarray, rr: np.ndarray, cc: np.ndarray, *, tile: int = 1024) -> np.ndarray:
    """For each cell (``rr``, ``cc``), the value of the nearest cell of ``a`` that is not 0.

    The Euclidean distance transform's nearest cell, found in a window round each ``tile`` of
    cells holding some of them, widened (doubling) until the nearest lies closer than the
    window's edge: a whole-grid transform takes 24 bytes a cell (7.5 GB at 250 m). Cells at
    equal distance may be settled otherwise than on the whole grid.
    """
    out = np.zeros(rr.size, dtype=a.dtype)
    todo = np.arange(rr.size)
    pad = 64
    while todo.size:
        key = (rr[todo] // tile) * (a.shape[1] // tile + 1) + cc[todo] // tile
        left = []
        for k in np.unique(key):
            i = todo[key == k]
            tr, tc = rr[i[0]] // tile * tile, cc[i[0]] // tile * tile
            r0, c0 = max(tr - pad, 0), max(tc - pad, 0)
            r1, c1 = min(tr + tile + pad, a.shape[0]), min(tc + tile + pad, a.shape[1])
            sub = a[r0:r1, c0:c1]
            whole = (r0, c0, r1, c1) == (0, 0, *a.shape)
            if not sub.any():
                if not whole:
                    left.append(i)
                continue
            d, (ri, ci) = ndimage.distance_transform_edt(sub == 0, return_indices=True)
            lr, lc = rr[i] - r0, cc[i] - c0
            ok = whole | (d[lr, lc] <= pad)
            out[i[ok]] = sub[ri[lr[ok], lc[ok]], ci[lr[ok], lc[ok]]]
            left.append(i[~ok])
        todo = np.concatenate(left) if left else todo[:0]
        pad *= 2
    return out


def row_bits_block(*km_by_kind: np.ndarray, c: CostConfig) -> np.ndarray:
    """Per cell, the kinds of right-of-way within the co-location distance (``ROW_KINDS``).

    ``km_by_kind``: the distance to each kind, in ``ROW_KINDS`` order. Their union is the
    cells ``on_row`` of ``row_distance_km``: the same lines, per kind.
    """
    out = np.zeros(km_by_kind[0].shape, dtype=np.uint8)
    for km, bit in zip(km_by_kind, ROW_KINDS.values(), strict=True):
        out |= np.where(on_row(km, c), bit, 0).astype(np.uint8)
    return out


def protected_raster(areas: gpd.GeoDataFrame, grid: Grid) -> tuple[np.ndarray, dict[int, str]]:
    """Protected area id per cell (0 none), and the name and kind of every id on the grid."""
    labels = [
        f"{en if isinstance(en, str) and en else nm if isinstance(nm, str) and nm else 'unnamed'}"
        f" ({kind})"
        for en, nm, kind in zip(areas["name_en"], areas["name"], areas["kind"], strict=True)
    ]
    shapes = [(g, i) for i, g in enumerate(areas.geometry, 1) if g is not None and not g.is_empty]
    if not shapes:
        return np.zeros(grid.shape, dtype="int32"), {}
    arr = features.rasterize(
        shapes, out_shape=grid.shape, transform=grid.transform, fill=0, dtype="int32"
    )
    return arr, {int(i): labels[i - 1] for i in np.unique(arr) if i}


def listed_gateways(g: GatewaysConfig, grid: Grid) -> gpd.GeoDataFrame:
    """The config's listed gateways as points in the analysis CRS."""
    x, y = grid.from_lonlat().transform(
        [p.lon_deg for p in g.listed], [p.lat_deg for p in g.listed]
    )
    return gpd.GeoDataFrame(
        {
            "name": [p.name for p in g.listed],
            "kind": [p.kind for p in g.listed],
            "status": [p.status for p in g.listed],
            "source": [p.source for p in g.listed],
        },
        geometry=gpd.points_from_xy(x, y),
        crs=grid.crs.to_wkt(),
    )


def rasterise_inputs(
    layers: dict[str, gpd.GeoDataFrame],
    dem: np.ndarray,
    landcover: np.ndarray,
    *,
    grid: Grid,
    grid_cfg,
    c: CostConfig,
    keep,
) -> tuple[Inputs, np.ndarray, list[str], dict[int, str]]:
    """All rasterised inputs, plus the country raster and its codes, and the protected areas.

    ``keep(name, grid)`` is given each grid as soon as it is made, and what it returns is used
    instead (``_kept_in``: the grid in a file, mapped back), so the inputs need not all be in
    memory at once.
    """
    inside = np.empty(grid.shape, dtype=bool)
    for r0 in range(0, grid.height, io.TILE):  # a strip at a time: lon/lat take 48 bytes a cell
        lon, lat = cell_lonlat(grid, np.arange(r0, min(r0 + io.TILE, grid.height)))
        inside[r0 : r0 + io.TILE] = (
            (lon >= grid_cfg.lon_min_deg)
            & (lon <= grid_cfg.lon_max_deg)
            & (lat >= grid_cfg.lat_min_deg)
            & (lat <= grid_cfg.lat_max_deg)
        )
    inv = keep("inv_scale", inverse_scale(grid))
    groups = row_groups(layers, c)
    rivers = crossable_rivers(layers["rivers"])
    countries, codes = country_raster(layers["countries"], grid)
    water, countries = bridge_cells(
        water_raster(layers["lakes"], layers["ocean"], inside, grid=grid),
        countries,
        major_lines(layers, c),
        grid=grid,
    )
    del inside
    water, countries = keep("water", water), keep("countries", countries)
    protected, protected_names = protected_raster(layers["protected_areas"], grid)
    inputs = Inputs(
        dem=dem,
        inv_scale=inv,
        row_masks={k: keep(f"row_mask_{k}", burn(groups[k], grid) > 0) for k in ROW_KINDS},
        major_mask=keep("major_mask", burn(major_lines(layers, c), grid) > 0),
        urban=keep("urban", burn(settlement_areas(layers["places"]), grid, all_touched=False)),
        water=water,
        rivers=keep("rivers", burn(rivers.geometry, grid)),
        faults=keep("faults", burn(priced_faults(layers["faults"], c).geometry, grid)),
        country_mult=keep("country_mult", country_mult_raster(countries, codes, c.country_mult)),
        landcover=landcover,
        protected=keep("protected", protected),
    )
    return inputs, countries, codes, protected_names


INGEST_LAYERS = (
    "railways",
    "roads",
    "pipelines",
    "rivers",
    "countries",
    "places",
    "lakes",
    "ocean",
    "marine_names",
    "border_controls",
    "railway_stations",
    "protected_areas",
    "faults",
)
"""The layers of ``ingest.gpkg`` the cost stage reads."""


def _named_waters(layers: dict[str, gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """The named seas and lakes (``name``, ``geometry``) that name the water bodies."""
    return pd.concat(
        [layers["marine_names"][["name", "geometry"]], layers["lakes"][["name", "geometry"]]],
        ignore_index=True,
    )


def _raster_tags(
    codes: list[str], body_names: dict[str, int], protected_names: dict[int, str]
) -> dict[str, dict[str, str]]:
    """The GeoTIFF tags of the rasters whose values are ids: what each id names."""
    return {
        "country_id": {"country_codes": ",".join(codes)},
        "water_body": {"water_bodies": json.dumps(body_names, sort_keys=True)},
        "protected_area": {"protected_areas": json.dumps(protected_names, sort_keys=True)},
    }


def _cost_arrays(
    computed: dict[str, np.ndarray],
    inp: Inputs,
    gate: np.ndarray,
    *,
    countries: np.ndarray,
    bodies: np.ndarray,
) -> dict[str, np.ndarray]:
    """Every raster of ``catalogue.COST_RASTERS``: the computed surface and the burnt inputs."""
    return {
        **computed,
        "gateway_id": gate,
        "protected_area": inp.protected,
        "fault_cells": inp.faults,
        "urban": inp.urban,
        "water_class": inp.water,
        "country_id": countries,
        "water_body": bodies,
        "river_cells": inp.rivers,
        "inv_scale": inp.inv_scale.astype("float32"),
    }


def _write_rasters(
    files: StageFiles, arrays: dict[str, np.ndarray], grid: Grid, *, tags: dict[str, dict[str, str]]
) -> None:
    """Write each raster of ``catalogue.COST_RASTERS``, NaN the nodata of the float ones."""
    for name, description in catalogue.COST_RASTERS.items():
        a = arrays[name]
        nodata = np.nan if a.dtype.kind == "f" else None
        io.write_raster(
            files[f"cost/{name}"],
            a,
            grid,
            nodata=nodata,
            tags=tags.get(name),
            description=description,
        )


def run(cfg: Config, files: StageFiles, *, scheduler: str | None = None) -> Path:
    """Build the cost surface from the ingest outputs; write every raster it declares.

    ``scheduler``: the address of a Dask cluster for the block tasks, else local threads.
    """
    grid = template(cfg.grid)
    dem = io.mapped_raster(files["dem"], grid)
    landcover = io.mapped_raster(files["landcover"], grid)
    layers = {name: io.read_layer(files["ingest"], name) for name in INGEST_LAYERS}
    with io.scratch_folder(cfg.paths.processed_dir, "cost") as scratch:
        inp, countries, codes, protected_names = rasterise_inputs(
            layers,
            dem,
            landcover,
            grid=grid,
            grid_cfg=cfg.grid,
            c=cfg.cost,
            keep=_kept_in(scratch),
        )
        check_names(
            "cost.country_mult", cfg.cost.country_mult, codes, where="the countries of the area"
        )
        bodies, body_names = water_bodies(inp.water, _named_waters(layers), grid)
        gw = gateways.build(layers, listed_gateways(cfg.gateways, grid), cfg.gateways)
        tags = _raster_tags(codes, body_names, protected_names)
        computed = surface(
            inp,
            cfg.cost,
            grid.cell_m,
            chunks=cfg.dask.chunk_cells,
            folder=scratch,
            address=scheduler,
            n_workers=cfg.dask.n_workers,
        )
        gate = gateways.gate_raster(gw, grid, inp.inv_scale, radius_km=cfg.gateways.radius_km)
        arrays = _cost_arrays(computed, inp, gate, countries=countries, bodies=bodies)
        _write_rasters(files, arrays, grid, tags=tags)
        unit = arrays["unit_cost_usd_per_km"]
        log.info(
            "cost: unit cost %.0f–%.0f USD/km over %d passable cells",
            np.nanmin(unit),
            np.nanmax(unit),
            int(np.isfinite(unit).sum()),
        )
        io.release_pages(unit)
    io.write_gpkg(files["gateways"], {"gateways": gw})
    log.info(
        "cost: %d border gateways (%s)",
        len(gw),
        ", ".join(f"{k} {n}" for k, n in gw["kind"].value_counts().sort_index().items()),
    )
    return files["cost/steer_cost_usd_per_km"]
