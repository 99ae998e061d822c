import numpy as np
import pytest

from pipeline import cost
from pipeline.config import CostConfig


def test_slope_of_a_tilted_plane():
    cols = np.arange(20, dtype=float)
    dem = np.tile(cols * 10.0, (15, 1))  # rises 10 m per 100 m cell: a 10 % grade
    slope = cost.slope_block(dem, np.ones_like(dem), cell_m=100.0)
    assert slope[1:-1, 1:-1] == pytest.approx(np.degrees(np.arctan(0.1)))


def test_slope_uses_ground_distance():
    dem = np.tile(np.arange(20, dtype=float) * 10.0, (15, 1))
    # ground cells twice as long as grid cells (inv_scale 2): half the gradient
    slope = cost.slope_block(dem, np.full_like(dem, 2.0), cell_m=100.0)
    assert slope[5, 5] == pytest.approx(np.degrees(np.arctan(0.05)))


def test_unit_cost_composes_the_factors():
    c = CostConfig()
    terrain = np.array([[1.0, c.mountain_mult, 1.0, 1.0, 1.0]])
    row_km = np.array([[10.0, 0.0, 10.0, 10.0, 10.0]])
    urban = np.array([[0, 0, 1, 0, 0]], dtype=np.uint8)
    water = np.array([[0, 0, 0, cost.WATER_SEA, cost.OUTSIDE]], dtype=np.uint8)
    unit = cost.unit_cost_block(terrain, row_km, urban, water, np.ones((1, 5)), c)
    b = c.base_usd_per_km
    assert unit[0, :4] == pytest.approx(
        [b, b * c.mountain_mult * c.colocation_mult, b * c.urban_mult, c.submarine_usd_per_km]
    )
    assert np.isnan(unit[0, 4])


def test_river_cell_costs_one_crossing_to_traverse():
    c = CostConfig()
    unit = np.full((1, 3), 1000.0)
    rivers = np.array([[0, 1, 0]], dtype=np.uint8)
    steer = cost.steer_cost_block(unit, rivers, np.ones((1, 3)), cell_m=2500.0, c=c)
    # entering and leaving the river cell: two half edges of 2.5 km at the river rate
    extra = (steer[0, 1] - unit[0, 1]) * 2.5
    assert extra == pytest.approx(c.river_crossing_usd)


def random_inputs(shape, seed=0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[: shape[0], : shape[1]]
    dem = 800 * np.sin(x / 7.0) * np.cos(y / 11.0) + rng.normal(0, 30, shape)
    dem[rng.random(shape) < 0.02] = np.nan
    water = np.zeros(shape, dtype=np.uint8)
    water[:5, :] = cost.WATER_SEA
    water[:, -3:] = cost.OUTSIDE
    return cost.Inputs(
        dem=dem.astype(np.float32),
        inv_scale=rng.uniform(0.97, 1.03, shape),
        row_mask=rng.random(shape) < 0.01,
        urban=(rng.random(shape) < 0.05).astype(np.uint8),
        water=water,
        rivers=(rng.random(shape) < 0.03).astype(np.uint8),
        country_mult=np.where(rng.random(shape) < 0.5, 1.0, 1.3),
    )


@pytest.mark.parametrize("chunks", [7, 13])
def test_dask_chunks_equal_a_single_numpy_block(chunks):
    """Seams must not show: tiny odd chunks give exactly the one-block (plain numpy) result."""
    inp = random_inputs((61, 47))
    c = CostConfig()
    whole = {
        k: v.compute(scheduler="sync")
        for k, v in cost.cost_surface(inp, c, 2500.0, chunks=10_000).items()
    }
    chunked = {
        k: v.compute(scheduler="threads")
        for k, v in cost.cost_surface(inp, c, 2500.0, chunks=chunks).items()
    }
    for key in whole:
        np.testing.assert_array_equal(chunked[key], whole[key], err_msg=key)
    # and the one-block result is the kernels applied to plain numpy arrays
    np.testing.assert_array_equal(
        whole["slope_deg"], cost.slope_block(inp.dem, inp.inv_scale, 2500.0)
    )


def test_rights_of_way_take_the_configured_railway_and_road_classes():
    import geopandas as gpd
    import shapely

    def lines(col, classes):
        geoms = [shapely.LineString([(i, 0), (i, 1)]) for i in range(len(classes))]
        return gpd.GeoDataFrame({col: classes}, geometry=geoms)

    layers = {
        "railways": lines("fclass", ["rail", "construction"]),
        "roads": lines("class", ["primary", "secondary", "trunk_construction"]),
        "pipelines": lines("name", ["gas"]),
    }
    default = cost.rights_of_way(layers, CostConfig())
    assert len(default) == 1 + 2 + 1
    wider = CostConfig(
        row_railway_classes=["rail", "construction"], row_road_classes=["trunk_construction"]
    )
    assert len(cost.rights_of_way(layers, wider)) == 2 + 1 + 1
    with pytest.raises(ValueError, match="row_road_classes"):
        CostConfig(row_road_classes=["tertiary"])
