"""The cost book's rules: what a cell of each kind costs to build on, in USD per km of cable.

One rule, one place: the cost stage applies these to whole rasters, ``economics.price_route`` to
a route's cells under each Monte Carlo cost book, and the router's scenes take the same country
multipliers. Also the codes the cost rasters use (water classes, right-of-way bits, country
ids) and which rivers and faults are priced as crossings.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np

from .config import CostConfig

log = logging.getLogger(__name__)


WATER_LAND, WATER_LAKE, WATER_SEA, OUTSIDE = 0, 1, 2, 255


LANDCOVER_CLASSES = {
    "forest": (1, 2, 3, 4, 5),
    "shrubland": (6, 7),
    "savanna": (8, 9),
    "grassland": (10,),
    "wetland": (11,),
    "cropland": (12, 14),
    "urban": (13,),
    "snow_ice": (15,),
    "barren": (16,),
}
"""The cost book's land cover names and their MODIS IGBP class codes (others: factor 1)."""


ROW_KINDS = {"railway": 1, "major_road": 2, "pipeline": 4, "road": 8}
"""Bits of ``cost/row_classes.tif``: the kinds of right-of-way a cell is on (``road``: the
configured road classes below primary)."""


def on_row(row_km: np.ndarray, c: CostConfig) -> np.ndarray:
    """Cells on an existing right-of-way (near a railway, road or pipeline).

    The one definition every stage uses: cost, economics, score and uncertainty.
    """
    return row_km <= c.colocation_distance_km


def is_wet(water_class: np.ndarray) -> np.ndarray:
    """Cells of a lake or the sea (``water_class`` 1 or 2)."""
    return (water_class == WATER_LAKE) | (water_class == WATER_SEA)


def terrain_class(slope_deg: np.ndarray, c: CostConfig) -> np.ndarray:
    """0 flat, 1 hilly, 2 mountain, by the slope thresholds of the cost book."""
    return (slope_deg >= c.hill_slope_deg).astype(np.int8) + (slope_deg >= c.mountain_slope_deg)


def terrain_mult_block(slope: np.ndarray, c: CostConfig) -> np.ndarray:
    """Terrain class multiplier from slope: flat 1, hilly or mountain per the config."""
    return np.array([1.0, c.hill_mult, c.mountain_mult])[terrain_class(slope, c)]


def landcover_mult_block(igbp: np.ndarray, c: CostConfig) -> np.ndarray:
    """Per-cell land cover multiplier of the cost book (1 for water and unknown classes)."""
    table = np.ones(256)
    for name, codes in LANDCOVER_CLASSES.items():
        table[list(codes)] = c.landcover_mult[name]
    return table[igbp]


def row_mult_block(row_classes: np.ndarray, c: CostConfig) -> np.ndarray:
    """Per-cell right-of-way multiplier: the best kind within reach earns its discount share."""
    table = np.ones(16)
    for bits in range(1, 16):
        share = max(c.row_discount_share[k] for k, b in ROW_KINDS.items() if bits & b)
        table[bits] = 1.0 - share * (1.0 - c.colocation_mult)
    return table[row_classes & 15]


def protected_penalised(protected: np.ndarray, row_classes: np.ndarray) -> np.ndarray:
    """Cells of a protected area that pay its penalty: all but those on a railway or major road.

    Beside a railway or primary-or-better road the cable goes in the existing reserve, which
    the protected area already surrounds; elsewhere in it, it is new linear infrastructure.
    """
    return (protected > 0) & ((row_classes & (ROW_KINDS["railway"] | ROW_KINDS["major_road"])) == 0)


def unit_cost_block(
    terrain_mult: np.ndarray,
    row_classes: np.ndarray,
    urban: np.ndarray,
    *,
    water: np.ndarray,
    country_mult: np.ndarray,
    landcover: np.ndarray,
    protected: np.ndarray,
    c: CostConfig,
) -> np.ndarray:
    """Build cost rate, USD per km: land multipliers, submarine on water, NaN outside.

    The one rate rule: the cost stage applies it to whole rasters, ``economics.price_route``
    to a route's cells under each cost book.
    """
    rate = c.base_usd_per_km * terrain_mult * country_mult * landcover_mult_block(landcover, c)
    rate = rate * row_mult_block(row_classes, c)
    rate = np.where(protected_penalised(protected, row_classes), rate * c.protected_area_mult, rate)
    rate = np.where(urban > 0, rate * c.urban_mult, rate)
    rate = np.where(water == WATER_LAND, rate, c.submarine_usd_per_km)
    return np.where(water == OUTSIDE, np.nan, rate)


def steer_cost_block(
    unit: np.ndarray,
    rivers: np.ndarray,
    faults: np.ndarray,
    *,
    inv_scale: np.ndarray,
    cell_m: float,
    c: CostConfig,
) -> np.ndarray:
    """Routing rate: crossing a one-cell river or fault costs about its crossing price."""
    cell_km = cell_m * inv_scale / 1000.0
    extra = np.where(rivers > 0, c.river_crossing_usd, 0.0)
    extra = extra + np.where(faults > 0, c.fault_crossing_usd, 0.0)
    return unit + extra / cell_km


def country_id(codes: list[str] | tuple[str, ...], code: str) -> int:
    """The value of country ``code`` in ``country_id.tif`` (1-based into its codes; 0 none)."""
    return list(codes).index(code) + 1


def crossable_rivers(rivers: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Rivers a cable must cross; lake centrelines are left out (the lake is water already)."""
    return rivers.loc[~rivers["kind"].fillna("").str.contains("Lake Centerline")]


def country_mult_raster(
    country: np.ndarray, codes: list[str], mult: dict[str, float]
) -> np.ndarray:
    """Per-cell build cost multiplier of the cell's country (1 where none is set)."""
    table = np.ones(len(codes) + 1)
    for code, m in mult.items():
        if code in codes:
            table[country_id(codes, code)] = m
    return table[country]


def priced_faults(faults: gpd.GeoDataFrame, c: CostConfig) -> gpd.GeoDataFrame:
    """The active faults a crossing is priced for (all but the excluded slip types)."""
    return faults.loc[~faults["slip_type"].isin(c.fault_exclude_slip_types)]
