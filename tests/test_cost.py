import pickle
from pathlib import Path

import numpy as np
import pytest
import shapely
from scipy import ndimage

from pipeline import cost, costbook, io
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
    k = costbook.ROW_KINDS
    terrain = np.array([[1.0, c.mountain_mult, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]])
    rows = np.array(
        [[0, k["railway"], 0, 0, 0, k["pipeline"], k["pipeline"] | k["major_road"], 0, 0]]
    )
    urban = np.array([[0, 0, 1, 0, 0, 0, 0, 0, 0]], dtype=np.uint8)
    water = np.zeros((1, 9), dtype=np.uint8)
    water[0, 3:5] = costbook.WATER_SEA, costbook.OUTSIDE
    cover = np.array([[10, 10, 10, 10, 10, 10, 10, 1, 16]], dtype=np.uint8)  # grass, forest, barren
    protected = np.zeros((1, 9), dtype=np.int32)
    protected[0, 0] = 7
    unit = costbook.unit_cost_block(
        terrain,
        rows.astype(np.uint8),
        urban,
        water=water,
        country_mult=np.ones((1, 9)),
        landcover=cover,
        protected=protected,
        c=c,
    )
    b, half = c.base_usd_per_km, 1 - 0.5 * (1 - c.colocation_mult)
    assert unit[0, [0, 1, 2, 3, 5, 6, 7, 8]] == pytest.approx(
        [
            b * c.protected_area_mult,
            b * c.mountain_mult * c.colocation_mult,
            b * c.urban_mult,
            c.submarine_usd_per_km,
            b * half,  # a pipeline earns half the discount
            b * c.colocation_mult,  # the best kind within reach counts
            b * c.landcover_mult["forest"],
            b * c.landcover_mult["barren"],
        ]
    )
    assert np.isnan(unit[0, 4])


@pytest.mark.parametrize("kind", ["rivers", "faults"])
def test_river_or_fault_cell_costs_one_crossing_to_traverse(kind):
    c = CostConfig(fault_crossing_usd=55_000.0)
    unit = np.full((1, 3), 1000.0)
    line = np.array([[0, 1, 0]], dtype=np.uint8)
    none = np.zeros_like(line)
    rivers, faults = (line, none) if kind == "rivers" else (none, line)
    steer = costbook.steer_cost_block(
        unit, rivers, faults, inv_scale=np.ones((1, 3)), cell_m=2500.0, c=c
    )
    # entering and leaving the cell: two half edges of 2.5 km at the crossing's rate
    extra = (steer[0, 1] - unit[0, 1]) * 2.5
    price = c.river_crossing_usd if kind == "rivers" else c.fault_crossing_usd
    assert extra == pytest.approx(price)


def test_folds_are_not_priced_as_fault_crossings():
    import geopandas as gpd
    import shapely

    faults = gpd.GeoDataFrame(
        {"slip_type": ["Reverse", "Anticline", "Dextral"]},
        geometry=[shapely.LineString([(i, 0), (i, 1)]) for i in range(3)],
    )
    assert costbook.priced_faults(faults, CostConfig())["slip_type"].tolist() == [
        "Reverse",
        "Dextral",
    ]


def random_inputs(shape, seed=0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[: shape[0], : shape[1]]
    dem = 800 * np.sin(x / 7.0) * np.cos(y / 11.0) + rng.normal(0, 30, shape)
    dem[rng.random(shape) < 0.02] = np.nan
    water = np.zeros(shape, dtype=np.uint8)
    water[:5, :] = costbook.WATER_SEA
    water[:, -3:] = costbook.OUTSIDE
    return cost.Inputs(
        dem=dem.astype(np.float32),
        inv_scale=rng.uniform(0.97, 1.03, shape),
        row_masks={k: rng.random(shape) < 0.005 for k in costbook.ROW_KINDS},
        major_mask=rng.random(shape) < 0.002,
        urban=(rng.random(shape) < 0.05).astype(np.uint8),
        water=water,
        rivers=(rng.random(shape) < 0.03).astype(np.uint8),
        faults=(rng.random(shape) < 0.02).astype(np.uint8),
        country_mult=np.where(rng.random(shape) < 0.5, 1.0, 1.3),
        landcover=rng.choice(np.array([0, 1, 10, 11, 12, 16, 255], np.uint8), shape),
        protected=(rng.random(shape) < 0.05).astype(np.int32),
    )


@pytest.mark.parametrize("chunks", [7, 13])
def test_blocks_equal_the_whole_grid_at_once(tmp_path, chunks):
    """Seams must not show: tiny odd blocks, each with its margin, give exactly the whole-grid
    result (stored as float32, and ``row_classes`` as uint8)."""
    inp = random_inputs((61, 47))
    c = CostConfig()
    whole = cost.surface_window(inp, c, 2500.0)
    blocks = cost.surface(inp, c, 2500.0, chunks=chunks, folder=tmp_path, n_workers=2)
    assert set(blocks) == set(cost.SURFACE_RASTERS) == set(whole)
    for key, a in whole.items():
        np.testing.assert_array_equal(blocks[key], a.astype(blocks[key].dtype), err_msg=key)
    assert blocks["row_classes"].dtype == np.uint8 and blocks["slope_deg"].dtype == np.float32
    # and the whole-grid result is the kernels applied to plain numpy arrays
    np.testing.assert_array_equal(
        whole["slope_deg"], cost.slope_block(inp.dem, inp.inv_scale, 2500.0)
    )


def test_blocks_run_in_raster_order_so_neighbours_share_cached_margins(tmp_path, monkeypatch):
    """A block reads its neighbours' rows as its margin: run in raster order (either way), the
    pages of those rows are still cached; in the order of random keys they were read again."""
    ran = []
    block = cost._surface_block
    monkeypatch.setattr(cost, "_surface_block", lambda *a, **k: (ran.append(a[2]), block(*a, **k)))
    cost.surface(random_inputs((61, 47)), CostConfig(), 2500.0, chunks=7, folder=tmp_path)
    assert len(ran) == 9 * 7
    assert ran in (sorted(ran), sorted(ran, reverse=True))


def test_an_array_in_a_file_is_read_and_written_a_block_at_a_time(tmp_path):
    a = np.random.default_rng(0).random((37, 53)).astype(np.float32)
    saved = io.NpyBlocks.save(tmp_path / "a.npy", a)
    np.testing.assert_array_equal(saved[3:9, 4:40], a[3:9, 4:40])
    out = io.NpyBlocks.create(tmp_path / "b.npy", a.shape, np.float32)
    for r in range(0, 37, 10):
        for q in range(0, 53, 7):
            out[r : r + 10, q : q + 7] = a[r : r + 10, q : q + 7]
    np.testing.assert_array_equal(out.read(), a)
    restored = pickle.loads(pickle.dumps(out))  # what a worker receives: the path, not the data
    assert len(pickle.dumps(out)) < 1000 and restored.path == out.path
    with pytest.raises(ValueError, match="steps of 1"):
        out[::2, :] = a[::2, :]


def test_a_raster_is_mapped_from_one_decompressed_copy_until_it_changes(tmp_path, small_grid):
    import os

    from pipeline.grid import Grid

    tall = Grid(small_grid.crs, small_grid.transform, 50, 600)  # three 256-row strips
    a = np.random.default_rng(1).random(tall.shape).astype(np.float32)
    path = tmp_path / "cost" / "slope_deg.tif"
    io.write_raster(path, a, tall)
    m = io.mapped_raster(path, tall)
    np.testing.assert_array_equal(m, a)
    assert not m.flags.writeable and isinstance(m.base, np.memmap)
    wide = io.mapped_raster(path, tall, np.float64)  # a copy per type, side by side
    assert wide.dtype == np.float64 and np.array_equal(wide, a.astype(np.float64))
    copies = sorted(p.name for p in (path.parent / io.MAPPED_FOLDER).glob("*.npy"))
    assert len(copies) == 2 and m.base.filename == io.mapped_raster(path, tall).base.filename
    io.release_pages(m, wide)  # pages handed back are mapped again on the next read
    np.testing.assert_array_equal(m, a)
    io.write_raster(path, a + 1, tall)  # rebuilt: a new copy, the old one of its type gone
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    np.testing.assert_array_equal(io.mapped_raster(path, tall), a + 1)
    names = sorted(p.name for p in (path.parent / io.MAPPED_FOLDER).glob("*.npy"))
    assert len(names) == 2 and set(names) != set(copies)
    assert any(n.startswith("slope_deg.float64.") for n in names)
    with pytest.raises(io.GridMismatchError):
        io.mapped_raster(path, small_grid)


def test_an_input_kept_in_a_file_is_not_saved_over_itself(tmp_path, monkeypatch):
    """A relative processed folder names the kept file another way than its map does."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "scratch").mkdir()
    a = np.arange(5000, dtype=np.uint8).reshape(50, 100)
    kept = cost._kept_in(Path("scratch"))("water", a)
    saved = cost._saved(Path("scratch") / "in_water.npy", kept)
    np.testing.assert_array_equal(saved.read(), a)
    np.testing.assert_array_equal(kept, a)


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
    default = cost.row_groups(layers, CostConfig())
    assert {k: len(v) for k, v in default.items()} == {
        "railway": 1,
        "major_road": 1,
        "pipeline": 1,
        "road": 1,
    }
    wider = CostConfig(
        row_railway_classes=["rail", "construction"], row_road_classes=["trunk_construction"]
    )
    groups = cost.row_groups(layers, wider)
    assert {k: len(v) for k, v in groups.items()} == {
        "railway": 2,
        "major_road": 0,
        "pipeline": 1,
        "road": 1,
    }
    with pytest.raises(ValueError, match="row_road_classes"):
        CostConfig(row_road_classes=["tertiary"])


def test_a_railway_over_a_strait_keeps_the_land_connected(small_grid):
    import shapely

    water = np.zeros(small_grid.shape, np.uint8)
    water[:, 20:22] = costbook.WATER_SEA  # a strait two cells wide, north to south
    country = np.where(water == 0, 1, 0).astype(np.int16)
    country[:, 22:] = 2
    x0, y = small_grid.xy(10, 15)
    x1, _ = small_grid.xy(10, 27)
    rail = [shapely.LineString([(x0, y), (x1, y)])]
    w, c = cost.bridge_cells(water, country, rail, grid=small_grid)
    assert (w[10, 19:23] == costbook.WATER_LAND).all() and (
        w[11, 20:22] == costbook.WATER_SEA
    ).all()
    assert c[10, 20] == 1 and c[10, 21] == 2  # each bridge cell in the nearest country
    assert (w[:10] == water[:10]).all()
    # a causeway drawn diagonally is a chain of cells joined by their sides, not their corners
    # (a route may not cut a corner between two water cells)
    water[:, 20:26] = costbook.WATER_SEA
    x0, y0 = small_grid.xy(4, 18)
    x1, y1 = small_grid.xy(12, 28)
    w, _ = cost.bridge_cells(
        water, country, [shapely.LineString([(x0, y0), (x1, y1)])], grid=small_grid
    )
    labels, _ = ndimage.label(w == costbook.WATER_LAND)  # 4-connected
    assert labels[4, 18] == labels[12, 28] != 0


def test_a_protected_area_is_not_charged_in_an_existing_railway_or_major_road_reserve():
    k = costbook.ROW_KINDS
    protected = np.array([[3, 3, 3, 3, 0]], np.int32)
    rows = np.array([[0, k["railway"], k["major_road"], k["pipeline"], 0]], np.uint8)
    assert costbook.protected_penalised(protected, rows).tolist() == [
        [True, False, False, True, False]
    ]


def test_the_nearest_set_cell_is_the_whole_grids_distance_transforms(monkeypatch):
    """Sparse set cells (each its own value) and cells far apart on a 300 × 2,100 grid, in
    tiles of 64: each takes a nearest set cell, at the distance the whole-grid transform
    gives, including cells whose nearest lies several tiles away."""
    rng = np.random.default_rng(3)
    a = np.zeros((300, 2100), dtype=np.int32)
    on = rng.choice(a.size, 40, replace=False)
    a.ravel()[on] = np.arange(1, 41)
    a[:, 1500:] = 0  # the east has none: its cells look far west
    rr, cc = np.divmod(rng.choice(a.size, 500, replace=False), a.shape[1])
    keep = a[rr, cc] == 0
    rr, cc = rr[keep], cc[keep]
    got = cost.nearest_set(a, rr, cc, tile=64)
    dist = ndimage.distance_transform_edt(a == 0)
    pos = {int(v): divmod(int(i), a.shape[1]) for i, v in zip(on, a.ravel()[on], strict=True)}
    found = [np.hypot(r - pos[v][0], c - pos[v][1]) for r, c, v in zip(rr, cc, got, strict=True)]
    np.testing.assert_allclose(found, dist[rr, cc])


def test_a_polygon_burnt_on_its_window_is_the_whole_grids_burn(small_grid):
    x0, y0 = small_grid.transform.c, small_grid.transform.f
    cell = small_grid.cell_m
    shapes = [
        shapely.box(x0 + 3.3 * cell, y0 - 9.7 * cell, x0 + 11.2 * cell, y0 - 2.1 * cell),
        shapely.Point(x0 + 20.5 * cell, y0 - 30.5 * cell).buffer(6.3 * cell),
        shapely.box(x0 - 5 * cell, y0 - 4 * cell, x0 + 2.5 * cell, y0 + 3 * cell),  # off the edge
        shapely.box(x0 - 9 * cell, y0 + 2 * cell, x0 - 3 * cell, y0 + 8 * cell),  # off the grid
    ]
    for geom in shapes:
        whole = cost.burn([geom], small_grid, all_touched=False) > 0
        rows, cols, mask = cost.burn_window(geom, small_grid)
        part = np.zeros(small_grid.shape, dtype=bool)
        part[rows, cols] = mask
        np.testing.assert_array_equal(part, whole)
