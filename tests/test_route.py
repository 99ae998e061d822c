import dataclasses
import json

import geopandas as gpd
import numpy as np
import pytest
import shapely
import world
from scipy import ndimage

from pipeline import (
    alternatives,
    catalogue,
    corridors,
    geometry,
    io,
    pricing,
    route,
    router,
    scene,
    score,
    search,
    tasks,
)
from pipeline.config import CostConfig, RouteConfig, Scenario
from pipeline.costbook import OUTSIDE, WATER_SEA
from pipeline.errors import ConfigError, EndpointError, NoRouteError

CODES = ["IR", "KZ", "TM"]
COST = CostConfig(border_crossing_usd=1000.0, landfall_usd=300.0)


@pytest.fixture
def cost_dir(tmp_path, small_grid):
    """Cost rasters of a toy corridor: KZ | TM | IR | sea (the 'Gulf') with an IR island."""
    shape = small_grid.shape
    country = np.zeros(shape, dtype=np.int16)
    country[:, 0:15], country[:, 15:30], country[:, 30:40] = 2, 3, 1
    water = np.zeros(shape, dtype=np.uint8)
    water[:, 40:] = WATER_SEA
    water[5:8, 45:48] = 0
    country[5:8, 45:48] = 1
    water[-1, :] = OUTSIDE
    bodies = np.where(water == WATER_SEA, 7, 0).astype(np.int32)
    steer = np.full(shape, 100.0)
    steer[water == OUTSIDE] = np.nan
    steer[water == WATER_SEA] = 500.0
    out = tmp_path / "processed"
    rasters = {
        "steer_cost_usd_per_km": steer,
        "water_class": water,
        "country_id": country,
        "water_body": bodies,
        "inv_scale": np.ones(shape),
        "slope_deg": np.zeros(shape, np.float32),
        "row_distance_km": np.full(shape, 50.0, np.float32),
        "urban": np.zeros(shape, np.uint8),
        "river_cells": np.zeros(shape, np.uint8),
        "gateway_id": np.ones(shape, np.int32),  # one gateway everywhere: borders are open
        "major_row_km": np.full(shape, 50.0, np.float32),
        "row_classes": np.zeros(shape, np.uint8),
        "protected_area": np.zeros(shape, np.int32),
        "fault_cells": np.zeros(shape, np.uint8),
        "landcover_mult": np.ones(shape, np.float32),
    }
    tags = {
        "country_codes": ",".join(CODES),
        "water_bodies": json.dumps({"Gulf": 7}),
        "protected_areas": "{}",
    }
    for name, arr in rasters.items():
        io.write_raster(out / "cost" / f"{name}.tif", arr, small_grid, tags=tags)
    io.write_raster(out / "landcover_igbp.tif", np.full(shape, 10, np.uint8), small_grid)
    gateways(out, small_grid, [])
    return out


def gateways(out, grid, gates):
    """Write gateways (name, a, b, row, col) and burn them (radius one cell) into the raster."""
    gate = np.zeros(grid.shape, np.int32)
    rows = []
    for i, (name, a, b, r, c) in enumerate(gates, 1):
        gate[r - 1 : r + 2, c - 1 : c + 2] = i
        x, y = grid.xy(r, c)
        rows.append(
            {
                "gateway_id": i,
                "a": a,
                "b": b,
                "kind": "rail",
                "name": name,
                "geometry": shapely.Point(x, y),
            }
        )
    if gates:
        io.write_raster(out / "cost" / "gateway_id.tif", gate, grid)
    frame = (
        gpd.GeoDataFrame(rows, geometry="geometry", crs=grid.crs.to_wkt())
        if rows
        else (
            gpd.GeoDataFrame(
                {"gateway_id": [], "a": [], "b": [], "kind": [], "name": []},
                geometry=[],
                crs=grid.crs.to_wkt(),
            )
        )
    )
    io.write_gpkg(out / "gateways.gpkg", {"gateways": frame})


def point(grid, name, row, col, slug=""):
    x, y = grid.xy(row, col)
    return tasks.Endpoint(name, float(x), float(y), slug)


def task(grid, processed, allowed, origin=(20, 2), dests=None, water=(), via=(), **route_kw):
    dests = dests or (
        point(grid, "Coast", 20, 40, "coast"),
        point(grid, "Island", 6, 46, "isl"),
        point(grid, "Platform", 30, 48, "plat"),
    )
    sc = Scenario(allowed_countries=allowed, water_bodies=list(water))
    return tasks.Task(
        "sc",
        sc,
        point(grid, "Origin", *origin),
        tuple(via),
        dests,
        tasks.cost_files(catalogue.stage_files("route", processed, processed)),
        grid,
        COST,
        RouteConfig(**route_kw),
    )


def test_routes_reach_the_coast_and_skip_island_and_platform(small_grid, cost_dir):
    res = alternatives.first_routes(task(small_grid, cost_dir, ["KZ", "TM", "IR"]))
    by = {r["slug"]: r for r in res["records"]}
    assert by["coast"]["status"] == "routed"
    first = by["coast"]["alternatives"][0]
    assert tuple(first["cells"][-1]) == (20, 39)  # snapped to the nearest land cell
    assert "island" in by["isl"]["reason"]
    assert "no passable land within 10.0 km" in by["plat"]["reason"]
    # straight west-east run of 37 cells at 100 USD/km, plus two border crossings
    assert first["steer_cost_usd"] == pytest.approx(37 * 2.5 * 100 + 2 * 1000.0)
    country, _ = io.read_raster(cost_dir / "cost" / "country_id.tif")
    crossings = pricing.border_crossings(first["cells"], country, CODES, grid=small_grid)
    assert [c["name"] for c in crossings] == ["KZ→TM", "TM→IR"]


def test_a_submarine_leg_reaches_the_island_and_pays_two_landfalls(small_grid, cost_dir):
    dest = (point(small_grid, "Island", 6, 46, "isl"),)
    res = alternatives.first_routes(
        task(small_grid, cost_dir, ["KZ", "TM", "IR"], dests=dest, water=["Gulf"])
    )
    (rec,) = res["records"]
    assert rec["status"] == "routed"
    cells = rec["alternatives"][0]["cells"]
    water, _ = io.read_raster(cost_dir / "cost" / "water_class.tif")
    shores = pricing.landfalls(cells, water, small_grid)
    assert len(shores) == 2  # leaves the coast, lands on the island
    sea_km = score.submarine_km(cells, water, np.ones(small_grid.shape), step_km=2.5)
    assert 5.0 <= sea_km <= 20.0


def test_unknown_water_body_is_named_in_the_error(cost_dir):
    rc = RouteConfig(
        scenarios={"sc": Scenario(allowed_countries=["KZ"], water_bodies=["Caspian Sea"])},
        landing_countries=["IR"],
    )
    files = catalogue.stage_files("route", cost_dir, cost_dir)
    with pytest.raises(ConfigError, match="sc.water_bodies: 'Caspian Sea' not found(.|\n)*Gulf"):
        tasks.check_names(rc, files)


def test_disconnected_countries_are_a_clear_error(small_grid, cost_dir):
    with pytest.raises(NoRouteError, match="route.scenarios.sc: no landing station.*transit"):
        alternatives.first_routes(task(small_grid, cost_dir, ["KZ", "IR"]))


@pytest.mark.parametrize(
    "origin, needle", [((20, 47), "in the sea"), ((-30, 2), "outside the area")]
)
def test_origin_in_the_sea_or_outside_is_a_clear_error(small_grid, cost_dir, origin, needle):
    with pytest.raises(EndpointError, match=needle):
        alternatives.first_routes(task(small_grid, cost_dir, ["KZ", "TM", "IR"], origin=origin))


def test_a_waypoint_is_visited(small_grid, cost_dir):
    via = (point(small_grid, "North", 2, 20),)
    res = alternatives.first_routes(task(small_grid, cost_dir, ["KZ", "TM", "IR"], via=via))
    cells = res["records"][0]["alternatives"][0]["cells"]
    assert (2, 20) in {tuple(c) for c in cells}


def test_alternatives_keep_their_distance(small_grid, cost_dir):
    t = task(
        small_grid,
        cost_dir,
        ["KZ", "TM", "IR"],
        origin=(20, 1),
        dests=(point(small_grid, "Coast", 20, 39, "coast"),),
        alternatives=3,
        separation_km=10.0,
        endpoint_radius_km=12.0,
    )
    first = alternatives.first_routes(t)
    alts = alternatives.more_alternatives(t, first, "coast")
    assert [a["alternative"] for a in alts] == [1, 2, 3]
    assert all(a["diverse"] for a in alts)
    inv = scene.load_scene(t).inv
    clear = corridors.endpoint_index([first["chain"][0], (20, 39)], inv, 2.5, radius_km=12.0)
    for i, a in enumerate(alts):
        for b in alts[i + 1 :]:
            near_a = corridors.near_index([a["cells"]], inv, 2.5, within_km=10.0)
            flat = b["cells"][:, 0] * inv.shape[1] + b["cells"][:, 1]
            assert not (corridors.member(flat, near_a) & ~corridors.member(flat, clear)).any()
    costs = [a["steer_cost_usd"] for a in alts]
    assert costs == sorted(costs)  # each detour costs more than the one before


def test_a_bottleneck_falls_back_and_says_so(small_grid, cost_dir, tmp_path):
    # a one-cell gap in a wall of forbidden ground: no two routes can stay apart through it
    steer, _ = io.read_raster(cost_dir / "cost" / "steer_cost_usd_per_km.tif")
    steer[:, 10] = np.nan
    steer[20, 10] = 100.0
    io.write_raster(cost_dir / "cost" / "steer_cost_usd_per_km.tif", steer, small_grid)
    t = task(
        small_grid,
        cost_dir,
        ["KZ", "TM", "IR"],
        origin=(20, 1),
        dests=(point(small_grid, "Coast", 20, 39, "coast"),),
        alternatives=2,
        separation_km=10.0,
        endpoint_radius_km=5.0,
    )
    alts = alternatives.more_alternatives(t, alternatives.first_routes(t), "coast")
    assert [a["diverse"] for a in alts] == [True, False]
    assert all((20, 10) in {tuple(c) for c in a["cells"]} for a in alts)


def test_local_cluster_gives_the_same_routes_as_threads(small_grid, cost_dir):
    distributed = pytest.importorskip("distributed")
    dests = (point(small_grid, "Coast", 20, 40, "coast"),)
    tasks = [
        task(
            small_grid,
            cost_dir,
            ["KZ", "TM", "IR"],
            dests=dests,
            alternatives=2,
            separation_km=5.0,
            endpoint_radius_km=8.0,
        ),
        task(
            small_grid,
            cost_dir,
            ["KZ", "TM", "IR"],
            origin=(10, 3),
            dests=dests,
            alternatives=2,
            separation_km=5.0,
            endpoint_radius_km=8.0,
        ),
    ]
    local = route.compute(tasks, None, 2)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster:
        remote = route.compute(tasks, cluster.scheduler_address, 2)
    assert len(local) == len(remote) == 2
    for a, b in zip(local, remote, strict=True):
        for ra, rb in zip(a["records"], b["records"], strict=True):
            assert ra["status"] == rb["status"] == "routed"
            for xa, xb in zip(ra["alternatives"], rb["alternatives"], strict=True):
                assert np.array_equal(xa["cells"], xb["cells"])
                assert xa["steer_cost_usd"] == xb["steer_cost_usd"]


def test_latency_uses_the_group_index():
    assert geometry.latency_ms(1000.0, 1.4682) == pytest.approx(4.8974, abs=1e-4)


# --- border gateways ----------------------------------------------------------------------------


def _crossing_rows(cells, country):
    ids = country[cells[:, 0], cells[:, 1]]
    return [int(cells[i, 0]) for i in np.nonzero(ids[:-1] != ids[1:])[0]]


def test_a_border_is_crossed_only_at_its_gateways_and_alternatives_take_another(
    small_grid, cost_dir
):
    # KZ|TM border (column 14|15) open only at rows 8 and 32; TM|IR open everywhere
    gateways(
        cost_dir,
        small_grid,
        [("North gate", "KZ", "TM", 8, 15), ("South gate", "KZ", "TM", 32, 15)]
        + [("open", "IR", "TM", r, 30) for r in range(1, 48, 3)],
    )
    country, _ = io.read_raster(cost_dir / "cost" / "country_id.tif")
    t = task(
        small_grid,
        cost_dir,
        ["KZ", "TM", "IR"],
        dests=(point(small_grid, "Coast", 20, 40, "coast"),),
        alternatives=2,
        separation_km=10.0,
        endpoint_radius_km=15.0,
    )
    alts = alternatives.more_alternatives(t, alternatives.first_routes(t), "coast")
    kz_tm = [[r for r in _crossing_rows(a["cells"], country) if r in range(5, 36)][0] for a in alts]
    assert all(a["diverse"] for a in alts)
    assert all(abs(r - 8) <= 1 or abs(r - 32) <= 1 for r in kz_tm)  # within the gate cells
    assert abs(kz_tm[0] - kz_tm[1]) > 20  # one gate each


def test_a_scenario_whose_countries_meet_at_no_gateway_fails_naming_the_border(
    small_grid, cost_dir
):
    gateways(cost_dir, small_grid, [("open", "IR", "TM", r, 30) for r in range(1, 48, 3)])
    with pytest.raises(NoRouteError, match="KZ–TM(.|\\n)*off_gateway_crossing_usd"):
        alternatives.first_routes(task(small_grid, cost_dir, ["KZ", "TM", "IR"]))


def test_off_gateway_crossings_can_be_allowed_at_a_cost(small_grid, cost_dir):
    gateways(cost_dir, small_grid, [("open", "IR", "TM", r, 30) for r in range(1, 48, 3)])
    t = task(small_grid, cost_dir, ["KZ", "TM", "IR"])
    sc = Scenario(allowed_countries=["KZ", "TM", "IR"], off_gateway_crossing_usd=5000.0)
    import dataclasses

    res = alternatives.first_routes(dataclasses.replace(t, scenario=sc))
    rec = next(r for r in res["records"] if r["slug"] == "coast")
    assert rec["status"] == "routed"
    cells = rec["alternatives"][0]["cells"]
    gate, _ = io.read_raster(cost_dir / "cost" / "gateway_id.tif")
    country, _ = io.read_raster(cost_dir / "cost" / "country_id.tif")
    gw = io.read_layer(cost_dir / "gateways.gpkg", "gateways")
    crossings = pricing.border_crossings(
        cells, country, CODES, grid=small_grid, gate=gate, gateways=gw
    )
    assert [(c["name"], c["off_gateway"]) for c in crossings] == [
        ("KZ→TM", True),
        ("TM→IR", False),
    ]
    assert crossings[1]["gateway"] == "open"


def test_knights_moves_straighten_a_slanted_route(small_grid, cost_dir):
    dests = (point(small_grid, "Coast", 34, 39, "coast"),)
    lengths = {}
    for connectivity in (8, 16):
        t = task(small_grid, cost_dir, ["KZ", "TM", "IR"], dests=dests, connectivity=connectivity)
        cells = alternatives.first_routes(t)["records"][0]["alternatives"][0]["cells"]
        moves = np.abs(np.diff(cells, axis=0)).sum(axis=1)
        lengths[connectivity] = router.edge_km(cells, np.ones(small_grid.shape), 2.5).sum()
        assert (moves == 3).any() == (connectivity == 16)
    straight = 2.5 * np.hypot(34 - 20, 39 - 2)
    assert lengths[16] < lengths[8] and lengths[16] <= 1.03 * straight


def _lanes(cost_dir, grid):
    """Two lanes, north (row 8) and south (row 32), joined at both ends and by a cheap cross
    link (column 20); the cheapest route takes the north lane's cheap west half, the link and
    the south lane's cheap east half, and leaves no room for a second route apart from it."""
    cheap, dear = 100.0, 300.0
    steer = np.full(grid.shape, np.nan)
    steer[8:33, 1] = steer[8:33, 39] = steer[8:33, 20] = cheap
    steer[8, 1:21], steer[8, 21:40] = cheap, dear
    steer[32, 1:20], steer[32, 20:40] = dear, cheap
    io.write_raster(cost_dir / "cost" / "steer_cost_usd_per_km.tif", steer, grid)


_LANES_PAIR = dict(origin=(20, 1), alternatives=2, separation_km=5.0, endpoint_radius_km=5.0)


@pytest.mark.parametrize("method", ["greedy", "joint"])
def test_the_joint_method_keeps_apart_where_greedy_exclusion_fails(small_grid, cost_dir, method):
    _lanes(cost_dir, small_grid)
    t = task(small_grid, cost_dir, ["KZ", "TM", "IR"], **_LANES_PAIR, alternatives_method=method)
    alts = alternatives.more_alternatives(t, alternatives.first_routes(t), "coast")
    assert [a["diverse_greedy"] for a in alts] == [True, False]  # greedy takes the cross link
    if method == "greedy":
        assert [a["diverse"] for a in alts] == [True, False]
        return
    assert [a["diverse"] for a in alts] == [True, True]
    lanes = [{tuple(c) for c in a["cells"]} for a in alts]
    assert any((8, 30) in cells and (32, 10) not in cells for cells in lanes)  # all north
    assert any((32, 10) in cells and (8, 30) not in cells for cells in lanes)  # all south
    costs = [a["steer_cost_usd"] for a in alts]
    assert costs == sorted(costs)


def test_a_protected_area_barrier_is_relaxed_only_where_it_must_be(small_grid, cost_dir):
    import dataclasses

    wall = np.zeros(small_grid.shape, np.int32)
    wall[:, 25] = 1  # a protected strip across Turkmenistan, north to south
    tags = {"protected_areas": json.dumps({"1": "Test Park (national_park)"})}
    io.write_raster(cost_dir / "cost" / "protected_area.tif", wall, small_grid, tags=tags)
    t = task(small_grid, cost_dir, ["KZ", "TM", "IR"], dests=(point(small_grid, "C", 20, 39),))
    barrier = Scenario(allowed_countries=["KZ", "TM", "IR"], protected_areas="barrier")
    t = dataclasses.replace(t, scenario=barrier)
    (rec,) = alternatives.first_routes(t)["records"]
    assert rec["status"] == "routed" and rec["protected_relaxed"]
    assert (20, 25) in {tuple(c) for c in rec["alternatives"][0]["cells"]}  # straight through
    # a gap in the strip: the route takes it and nothing is relaxed
    wall[3, 25] = 0
    io.write_raster(cost_dir / "cost" / "protected_area.tif", wall, small_grid, tags=tags)
    (rec,) = alternatives.first_routes(t)["records"]
    assert not rec["protected_relaxed"]
    assert (3, 25) in {tuple(c) for c in rec["alternatives"][0]["cells"]}


def test_a_worker_reads_the_cost_rasters_once_until_they_change(small_grid, cost_dir):
    import os

    from pipeline.surface import task_surface

    files = tasks.cost_files(catalogue.stage_files("route", cost_dir, cost_dir))
    first = task_surface(files, small_grid)
    assert task_surface(files, small_grid) is first  # the next task on the worker: no reread
    assert not first.slope_deg.flags.writeable
    steer = cost_dir / "cost" / "steer_cost_usd_per_km.tif"
    st = steer.stat()
    os.utime(steer, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    assert task_surface(files, small_grid) is not first  # a rebuilt raster is read again


def _map_scene(t) -> tuple[dict, dict]:
    """In a process of its own: the scene's mapped files and their modification times."""
    sc = scene.load_scene(t)
    files = {k: io.mapped_from(getattr(sc, k)) for k in ("rate", "zone", "barrier")}
    files["closed"] = io.mapped_from(sc.level(strict=True).rate)
    return files, {k: f.stat().st_mtime_ns for k, f in files.items()}


def test_a_scene_is_written_once_and_mapped_by_every_process(small_grid, cost_dir):
    """A cluster's workers share a scene's pages rather than each holding a copy."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    t = task(small_grid, cost_dir, ["KZ", "TM", "IR"])
    t = dataclasses.replace(
        t, scenario=t.scenario.model_copy(update={"protected_areas": "barrier"})
    )
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        (files, stamps), (files2, stamps2) = pool.map(_map_scene, [t, t])
    assert files == files2 and stamps == stamps2  # the same files, written once
    assert {f.parent.name for f in files.values()} == {io.MAPPED_FOLDER}
    assert {f.name.split(".")[-2] for f in files.values()} == {"rate", "zone", "barrier", "closed"}
    here = scene.load_scene(t)
    assert not here.rate.flags.writeable
    assert _map_scene(t)[1] == stamps  # and kept for the next stage
    n = len(CODES)
    assert np.isnan(here.rate[here.zone == 0]).all() and (here.zone <= 2 * n + 1).all()
    closed = here.level(strict=True).rate
    assert np.isnan(closed[here.barrier]).all()
    np.testing.assert_array_equal(closed[~here.barrier], here.rate[~here.barrier])
    edited = dataclasses.replace(
        t, scenario=t.scenario.model_copy(update={"allowed_countries": ["KZ", "TM"]})
    )
    other, _ = _map_scene(edited)
    assert set(other.values()).isdisjoint(files.values())
    assert not any(f.exists() for f in files.values())  # the scenario's earlier files: removed
    assert np.isnan(scene.load_scene(edited).rate[here.zone == 1]).all()  # IR's land: closed


def test_no_alternative_is_kept_apart_at_a_price_beyond_the_cap(small_grid, cost_dir):
    _lanes(cost_dir, small_grid)  # keeping apart costs about 1.16× the cheapest route
    kw = _LANES_PAIR
    t = task(small_grid, cost_dir, ["KZ", "TM", "IR"], max_alternative_cost_ratio=1.1, **kw)
    alts = alternatives.more_alternatives(t, alternatives.first_routes(t), "coast")
    assert [a["diverse"] for a in alts] == [True, False]  # the cheapest stays; #2 shares
    t = task(small_grid, cost_dir, ["KZ", "TM", "IR"], max_alternative_cost_ratio=1.2, **kw)
    alts = alternatives.more_alternatives(t, alternatives.first_routes(t), "coast")
    assert [a["diverse"] for a in alts] == [True, True]


@pytest.mark.parametrize(
    ("connectivity", "coarsest_cells"), [(8, 5_000_000), (16, 5_000_000), (8, 20)]
)
def test_coarse_to_fine_finds_the_full_grids_routes_with_zones_waypoints_and_alternatives(
    small_grid, cost_dir, connectivity, coarsest_cells
):
    """With one coarse grid, and with two (``coarsest_cells`` 20: the coarse grid is itself
    routed coarse to fine)."""
    # KZ|TM open only at two gates: the coarse grid must keep them open
    gateways(
        cost_dir,
        small_grid,
        [("North gate", "KZ", "TM", 8, 15), ("South gate", "KZ", "TM", 32, 15)]
        + [("open", "IR", "TM", r, 30) for r in range(1, 48, 3)],
    )
    dests = (point(small_grid, "Coast", 20, 39, "coast"), point(small_grid, "South", 34, 38, "s"))
    kw = dict(
        dests=dests,
        via=(point(small_grid, "Via", 12, 22),),
        alternatives=2,
        separation_km=10.0,
        endpoint_radius_km=15.0,
        connectivity=connectivity,
        coarsest_cells=coarsest_cells,
    )
    found = {}
    for method in ("full", "coarse_to_fine"):
        t = task(small_grid, cost_dir, ["KZ", "TM", "IR"], method=method, **kw)
        first = alternatives.first_routes(t)
        found[method] = [
            [(tuple(a["cells"][0]), tuple(a["cells"][-1]), a["steer_cost_usd"]) for a in alts]
            for alts in (alternatives.more_alternatives(t, first, d.slug) for d in dests)
        ]
    assert found["coarse_to_fine"] == [
        [(a, b, pytest.approx(c, rel=5e-3)) for a, b, c in alts] for alts in found["full"]
    ]


def test_coarse_to_fine_takes_in_a_way_its_corridor_lacks(small_grid, cost_dir, monkeypatch):
    steer, _ = io.read_raster(cost_dir / "cost" / "steer_cost_usd_per_km.tif")
    steer[:, 25] = np.nan  # a wall across Turkmenistan, open only far south of the straight line
    steer[37, 25] = 100.0
    io.write_raster(cost_dir / "cost" / "steer_cost_usd_per_km.tif", steer, small_grid)
    dests = (point(small_grid, "Coast", 20, 39, "coast"),)
    parts = []
    box = search._corridor_blocks
    monkeypatch.setattr(search, "_corridor_blocks", lambda p: parts.append(len(p)) or box(p))
    costs = {}
    for method in ("full", "coarse_to_fine"):
        t = task(
            small_grid, cost_dir, ["KZ", "TM", "IR"], dests=dests, method=method, corridor_cells=3
        )
        costs[method] = alternatives.first_routes(t)["records"][0]["alternatives"][0][
            "steer_cost_usd"
        ]
    # the first corridor held no way through the wall: it took in one, found without costs
    assert parts == [1, 2]
    assert costs["coarse_to_fine"] == pytest.approx(costs["full"])


def test_coarse_to_fine_grows_its_corridor_where_the_path_meets_its_edge(monkeypatch):
    """A belt of dear ground the coarse grid sees as cheap (a cheap cell in every block) with
    cheap ground north of it: the fine path climbs to the corridor's northern edge, the
    corridor grows there (round those cells only, twice as wide), and the route found is the
    full grid's."""
    rate = np.full((64, 64), 3.0)
    rows = np.arange(64)[:, None].repeat(64, axis=1)
    belt = (rows >= 16) & (rows < 48)
    rate[belt] = (40.0 + 2.0 * (rows - 16))[belt]  # dearer the farther from the cheap north
    rate[belt & (rows % 4 == 0) & (np.arange(64)[None, :] % 4 == 0)] = 1.0
    parts = []
    box = search._corridor_blocks
    monkeypatch.setattr(
        search, "_corridor_blocks", lambda p: parts.append([w for _, w in p]) or box(p)
    )
    costs = {}
    for c2f in (None, (4, 2, 3, 20)):
        sc = world.plain_scene(rate, c2f)
        q = search.Query(level=sc.level(), scene=sc, chain=[(30, 1)], targets=[(30, 62)])
        ((cells, costs[c2f is None]),) = search.route_chain(q)
    assert parts[-2:] == [[2], [2, 4]]  # the coarse paths' corridor, then grown by 4 cells
    assert cells[:, 0].min() < 16  # through the cheap north
    assert costs[False] == pytest.approx(costs[True])


def test_auto_routes_coarse_to_fine_only_on_large_grids():
    rc = RouteConfig()
    assert rc.coarse_to_fine(3_000_000) is None
    assert rc.coarse_to_fine(50_000_000) == (4, 8, 8, 5_000_000)
    assert RouteConfig(method="full").coarse_to_fine(10**9) is None


def test_a_path_along_the_corridors_edge_touches_it_only_with_open_ground_beyond():
    rate = np.ones((10, 10))
    mask = np.zeros((6, 10), dtype=bool)
    mask[1:5] = True  # the corridor: rows 3-6 of the grid (window from row 2)
    win = search._Window(2, 0, mask)
    path = np.array([[3, c] for c in range(10)])  # along its northern edge
    zone, free = np.ones(rate.shape, np.int8), np.zeros((3, 3))

    def touches(path, rate, ov=None, zone=zone, penalty=free):
        level = scene.Level(rate, None, zone, 1.0, factor=1)
        sc = world.plain_scene(rate, None)
        sc.penalty = penalty
        q = search.Query(level=level, scene=sc, chain=[], targets=[], ov=ov)
        return len(search._edge_cells(path, win, q)) > 0

    assert touches(path, rate)
    closed = search.overlay(rate, [(np.arange(20, 30), np.nan)])  # an alternative's exclusion
    assert not touches(path, rate, closed)
    # beyond is another country, entered only at a gateway elsewhere: not ground it could take
    border = zone.copy()
    border[:3] = 2
    shut = np.array([[0, 0, 0], [0, 0, np.inf], [0, np.inf, 0]])
    assert not touches(path, rate, zone=border, penalty=shut)
    assert touches(path, rate, zone=border, penalty=np.where(np.isinf(shut), 5.0, 0.0))
    rate[2] = np.nan  # the ground beyond is impassable: the corridor was wide enough
    assert not touches(path, rate)
    assert not touches(np.array([[4, c] for c in range(10)]), np.ones((10, 10)))


def test_an_overlay_closes_a_cell_whatever_else_it_is_in():
    rate = np.arange(1.0, 13.0).reshape(3, 4)
    idx, vals = search.overlay(rate, [(np.array([5, 1]), 3.0), (np.array([5, 7]), np.nan)])
    np.testing.assert_array_equal(idx, [1, 5, 7])
    np.testing.assert_array_equal(vals, [6.0, np.nan, np.nan])
    assert search.overlay(rate, [(np.zeros(0, np.int64), np.nan)]) is None


def test_the_cells_near_paths_and_endpoints_are_a_distance_transforms():
    """The stamped band round the paths is the Euclidean distance transform's, cell for cell,
    at each cell's own ground scale."""
    rng = np.random.default_rng(5)
    inv = rng.uniform(0.7, 1.3, (90, 110))
    steps = rng.integers(-1, 2, (300, 2))  # a path of king's moves, wandering
    walk = np.clip(np.cumsum(steps, axis=0) + [45, 55], 0, [89, 109])
    paths = [rng.integers(0, (90, 110), (40, 2)), np.array([[0, 0], [89, 109]]), walk]
    cell_km, within_km = 2.5, 9.0
    on = np.zeros(inv.shape, dtype=bool)
    for p in paths:
        on[p[:, 0], p[:, 1]] = True
    edt = ndimage.distance_transform_edt(~on) * cell_km * inv
    np.testing.assert_array_equal(
        corridors.near_index(paths, inv, cell_km, within_km=within_km),
        np.flatnonzero(edt < within_km),
    )
    rows, cols = np.indices(inv.shape)
    points = [(3, 4), (60, 100)]
    ref = np.zeros(inv.shape, dtype=bool)
    for r, c in points:
        ref |= np.hypot(rows - r, cols - c) * cell_km * inv[r, c] <= 20.0
    np.testing.assert_array_equal(
        corridors.endpoint_index(points, inv, cell_km, radius_km=20.0), np.flatnonzero(ref)
    )


def test_a_target_an_exclusion_cuts_off_is_unreachable_without_searching_the_whole_grid(
    monkeypatch,
):
    rate = np.ones((64, 64))
    sc = world.plain_scene(rate, (4, 2, 1, 20))
    level = sc.level()
    assert level.coarse.coarse is not None  # 64² → 16² → 4²: two coarse grids
    rows, cols = np.indices(rate.shape)
    ring = np.flatnonzero(np.abs(np.hypot(rows - 50, cols - 50) - 6) < 1)
    whole = []
    whole_grid = search._whole_grid
    monkeypatch.setattr(
        search, "_whole_grid", lambda q: whole.append(q.level.rate.shape) or whole_grid(q)
    )
    ov = search.overlay(rate, [(ring, np.nan)])

    def to(target, level, ov=None):
        q = search.Query(level=level, scene=sc, chain=[(5, 5)], targets=[target], ov=ov)
        return search.route_chain(q)

    assert to((50, 50), level, ov) == [None]
    assert (64, 64) not in whole  # proved cut off on the fine grid without pricing it
    (found,) = to((30, 55), level, ov)
    (exact,) = to((30, 55), world.plain_scene(rate, None).level())
    assert found[1] == pytest.approx(exact[1])


def test_coarse_to_fine_with_free_cells_searches_its_corridor_on_the_heap():
    """Cells of cost 0 rule the bucket queue out: the corridor is then a shut window."""
    rng = np.random.default_rng(4)
    rate = rng.uniform(1, 5, (64, 64))
    rate[30:34, :] = 0.0  # a free road across the grid
    coarse, whole = world.plain_scene(rate, (4, 3, 2, 20)), world.plain_scene(rate, None)
    (found,) = search.route_chain(
        search.Query(level=coarse.level(), scene=coarse, chain=[(2, 2)], targets=[(60, 60)])
    )
    (exact,) = search.route_chain(
        search.Query(level=whole.level(), scene=whole, chain=[(2, 2)], targets=[(60, 60)])
    )
    assert found[1] == pytest.approx(exact[1], rel=5e-3)


def test_an_origin_whose_coordinates_are_far_from_its_named_place_is_refused(small_grid):
    """A Moscow given with lon and lat swapped lies in Iran: refused with both positions."""
    to_xy = small_grid.from_lonlat()
    x, y = to_xy.transform(56.0, 40.0)
    places = gpd.GeoDataFrame(
        {"name": ["Testville"], "name_ascii": ["Testville"], "population": [1000]},
        geometry=[shapely.Point(x, y)],
        crs=small_grid.crs.to_wkt(),
    )
    landing = gpd.GeoDataFrame({"name": [], "slug": []}, geometry=[], crs=small_grid.crs.to_wkt())

    def resolve(name, lon, lat):
        return tasks.resolve_place(
            name,
            lon,
            lat,
            places=places,
            landing=landing,
            grid=small_grid,
            role="route.origins",
            match_km=50.0,
        )

    near = resolve("Testville", 56.3, 40.1)  # 28 km away: the coordinates win
    assert (near.x, near.y) == pytest.approx(to_xy.transform(56.3, 40.1))
    with pytest.raises(
        EndpointError, match=r"'Testville' is given at 40\.0000°E 56\.0000°N.*swapped"
    ):
        resolve("Testville", 40.0, 56.0)
    assert resolve("Elsewhere", 40.0, 56.0).name == "Elsewhere"  # a name the data do not know
    with pytest.raises(EndpointError, match="'Elsewhere' is unknown"):
        resolve("Elsewhere", None, None)


def test_an_endpoint_snaps_to_land_a_route_can_reach_not_to_a_pixel_cut_off_at_a_corner(
    small_grid,
):
    """A coast the grid breaks into pixels: a land cell touching the rest only at a corner
    between two sea cells cannot be left without cutting the corner."""
    rate = np.full(small_grid.shape, np.nan)
    rate[:, :20] = 1.0  # the mainland
    rate[10, 19] = np.nan  # a bay one cell wide…
    rate[10, 20] = 1.0  # …and beyond it a pixel touching the mainland only at two corners
    inv = np.ones(small_grid.shape)
    x, y = small_grid.xy(np.array([10]), np.array([22]))
    labels, _ = ndimage.label(np.isfinite(rate))
    anywhere = scene.snap(rate, inv, small_grid, x=x[0], y=y[0], max_km=10.0)
    assert anywhere[:2] == (10, 20)  # the nearest passable cell is the cut-off pixel
    joined = scene.snap(
        rate, inv, small_grid, x=x[0], y=y[0], max_km=10.0, component=(labels, labels[10, 0])
    )
    assert joined[:2] == (9, 19) and joined[2] == pytest.approx(np.hypot(3, 1) * 2.5)
    assert (
        scene.snap(
            rate, inv, small_grid, x=x[0], y=y[0], max_km=5.0, component=(labels, labels[10, 0])
        )
        is None
    )


def test_the_cells_of_named_routes_are_read_alone_whatever_their_names(tmp_path):
    """A task reads only its routes' cells (an SQL filter): quotes in a name are text, not SQL."""
    ids = ["land:Ra's al Hadd>jask#1", "land:Moscow>jask#2", "sea:x' OR '1'='1#1"]
    cells = [np.array([[i, 0], [i, 1], [i + 1, 1]]) for i in range(3)]
    io.write_gpkg(tmp_path / "r.gpkg", {io.CELLS_LAYER: io.cells_table(ids, cells)})
    some = io.read_cells(tmp_path / "r.gpkg", [ids[0], ids[2]])
    assert list(some) == [ids[0], ids[2]]
    np.testing.assert_array_equal(some[ids[2]], cells[2])
    assert io.read_cells(tmp_path / "r.gpkg", []) == {}
    assert list(io.read_cells(tmp_path / "r.gpkg")) == sorted(ids)
