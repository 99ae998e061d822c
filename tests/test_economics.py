import numpy as np
import pandas as pd
import pytest
import shapely

from pipeline import draws, economics, router, uncertainty
from pipeline.config import CostConfig, SitesConfig, UncertaintyConfig
from pipeline.costbook import terrain_mult_block, unit_cost_block
from pipeline.surface import Surface

C = CostConfig()
S = SitesConfig()


def _surface(shape, codes=("KZ",), **over) -> Surface:
    """Flat ground in KZ, far from any right-of-way, ground scale 1."""
    layers = {
        "slope_deg": np.zeros(shape, np.float32),
        "row_km": np.full(shape, 50.0, np.float32),
        "urban": np.zeros(shape, np.uint8),
        "water_class": np.zeros(shape, np.uint8),
        "water_body": np.zeros(shape, np.int32),
        "country_id": np.ones(shape, np.int16),
        "river_cells": np.zeros(shape, np.uint8),
        "gateway_id": np.zeros(shape, np.int32),
        "major_row_km": np.full(shape, 50.0, np.float32),
        "row_classes": np.zeros(shape, np.uint8),
        "landcover": np.full(shape, 10, np.uint8),  # grassland: factor 1
        "protected_area": np.zeros(shape, np.int32),
        "fault_cells": np.zeros(shape, np.uint8),
        "inv_scale": np.ones(shape),
        **over,
    }
    return Surface(**layers, country_codes=codes, water_bodies={}, protected_names={})


@pytest.fixture
def straight_200km():
    """A 200 km route on flat ground, far from any right-of-way, on a 2.5 km grid."""
    cells = np.column_stack([np.full(81, 5), np.arange(2, 83)])
    xy = np.column_stack([cells[:, 1] * 2500.0 + 1250.0, -(cells[:, 0] * 2500.0 + 1250.0)])
    line = shapely.LineString([xy[0], *xy, xy[-1]])  # endpoints on the first and last cells
    return cells, line, _surface((10, 90))


COUNTS = {"n_border": 0, "n_landfall": 0, "n_ila": 2, "n_regen": 0}


def _parts(line, cells, surface, river_km=(100.0,), **counts):
    return economics.route_parts(
        line, cells, surface, c=C, river_km=list(river_km), counts={**COUNTS, **counts}, cell_km=2.5
    )


def test_a_200_km_route_with_one_river_crossing(straight_200km):
    cells, line, surface = straight_200km
    parts = _parts(line, cells, surface)
    bill = economics.price_route(parts, C, S)
    segs = economics.segments(parts, bill, C)
    assert parts.length_km == pytest.approx(200.0)
    assert [s["method"] for s in segs] == ["buried_flat", "hdd", "buried_flat"]
    assert [s["length_km"] for s in segs] == pytest.approx([99.5, 1.0, 99.5])
    cable = sum(s["cost_usd"] for s in segs)
    assert cable == pytest.approx(199 * C.base_usd_per_km + 1 * C.hdd_usd_per_km)
    assert cable == pytest.approx(bill.cable_usd + bill.hdd_usd, rel=1e-12)
    vkm = economics.vertex_km(line, cells, surface.inv_scale, cell_km=2.5)
    sites = economics.place_sites(vkm, np.zeros(len(vkm), bool), np.ones(len(vkm), bool), s=S)
    assert [kind for _, kind in sites] == ["ILA", "ILA"]
    assert [vkm[i] for i, _ in sites] == pytest.approx([80.0, 160.0])
    assert bill.total_usd == pytest.approx(cable + 2 * S.ila_site_usd, rel=1e-12)


def test_the_cable_cost_is_the_routers_edge_cost(straight_200km):
    """Each half step at its own cell's rate and scale: the router's edge formula, summed."""
    cells, _, _ = straight_200km
    rng = np.random.default_rng(3)
    shape = (10, 90)
    surface = _surface(
        shape,
        slope_deg=rng.uniform(0, 8, shape).astype(np.float32),
        row_km=rng.uniform(0, 4, shape).astype(np.float32),
        row_classes=rng.integers(0, 16, shape).astype(np.uint8),
        landcover=rng.choice(np.array([1, 10, 11, 16], np.uint8), shape),
        protected_area=(rng.random(shape) < 0.1).astype(np.int32),
        inv_scale=rng.uniform(0.95, 1.05, shape),
    )
    cells = np.column_stack([5 + (np.arange(81) % 3 == 0), np.arange(2, 83)])
    x, y = cells[:, 1] * 2500.0 + 1250.0, -(cells[:, 0] * 2500.0 + 1250.0)
    line = shapely.LineString([(x[0], y[0]), *zip(x, y, strict=True), (x[-1], y[-1])])
    parts = _parts(line, cells, surface, river_km=())
    unit = unit_cost_block(
        terrain_mult_block(surface.slope_deg.astype(np.float64), C),
        surface.row_classes,
        surface.urban,
        water=surface.water_class,
        country_mult=np.ones(shape),
        landcover=surface.landcover,
        protected=surface.protected_area,
        c=C,
    )
    edge_cost, edge_km = router.path_sums(cells, unit, surface.inv_scale, step_km=2.5)
    bill = economics.price_route(parts, C, S)
    assert bill.cable_usd == pytest.approx(edge_cost, rel=1e-12)
    assert parts.length_km == pytest.approx(edge_km, rel=1e-12)


def test_overlapping_bores_are_bored_once(straight_200km):
    cells, line, surface = straight_200km
    parts = _parts(line, cells, surface, river_km=(100.0, 100.4, 150.0))
    np.testing.assert_allclose(parts.bores, [[99.5, 100.9], [149.5, 150.5]])
    bill = economics.price_route(parts, C, S)
    assert bill.hdd_usd == pytest.approx(2.4 * C.hdd_usd_per_km)
    assert bill.cable_usd == pytest.approx((200 - 2.4) * C.base_usd_per_km)


def test_a_shore_approach_is_built_in_its_country():
    """A land-to-sea step's sea half is counted in the country it leaves, not 'sea'."""
    shape = (3, 10)
    water = np.zeros(shape, np.uint8)
    water[:, 5:] = 2
    surface = _surface(shape, water_class=water)
    cells = np.column_stack([np.ones(10, int), np.arange(10)])
    x, y = cells[:, 1] * 2500.0 + 1250.0, -(cells[:, 0] * 2500.0 + 1250.0)
    line = shapely.LineString([(x[0], y[0]), *zip(x, y, strict=True), (x[-1], y[-1])])
    parts = _parts(line, cells, surface, river_km=())
    bill = economics.price_route(parts, C, S)
    segs = economics.segments(parts, bill, C)
    assert [(s["method"], s["country"]) for s in segs] == [
        ("buried_flat", "KZ"),
        ("submarine", "sea"),
    ]
    assert segs[0]["length_km"] == pytest.approx(5 * 2.5)


def test_sites_prefer_access_and_regen_follows_the_reach(straight_200km):
    vkm = np.arange(0, 3001, 10.0)
    access = (vkm % 70) == 0  # road access every 70 km
    s = SitesConfig(ila_span_km=80, regen_max_km=1000)
    sites = economics.place_sites(vkm, np.zeros(len(vkm), bool), access, s=s)
    km = [vkm[i] for i, _ in sites]
    assert km[:3] == [70.0, 140.0, 210.0]  # the farthest accessible point within the span
    assert all(b - a <= 80 for a, b in zip([0.0, *km], [*km, 3000.0], strict=True))
    regen = [vkm[i] for i, kind in sites if kind == "regen"]
    assert regen and all(
        b - a <= 1000 for a, b in zip([0.0, *regen], [*regen, 3000.0], strict=True)
    )


def test_a_submarine_leg_needs_no_amplifier_huts():
    vkm = np.arange(0, 401, 5.0)
    wet = (vkm > 100) & (vkm < 300)
    sites = economics.place_sites(vkm, wet, np.ones(len(vkm), bool), s=S)
    assert all(not wet[i] for i, _ in sites)
    assert [vkm[i] for i, _ in sites] == [80.0, 380.0]  # the count restarts at the landfall


def _price(parts, c=C, s=S):
    return economics.price_route(parts, c, s).total_usd


def test_cost_book_edits_change_exactly_the_affected_totals(straight_200km):
    cells, line, surface = straight_200km
    parts = _parts(line, cells, surface)
    base = _price(parts)
    dearer_huts = _price(parts, s=S.model_copy(update={"ila_site_usd": 300_000.0}))
    assert dearer_huts - base == pytest.approx(2 * (300_000.0 - S.ila_site_usd))
    border = _price(parts, C.model_copy(update={"border_crossing_usd": 1e9}))
    assert border == base  # this route crosses no border
    hdd = _price(parts, C.model_copy(update={"hdd_usd_per_km": 0.0}))
    assert base - hdd == pytest.approx(C.hdd_usd_per_km * C.river_hdd_km)
    kz = _price(parts, C.model_copy(update={"country_mult": {"KZ": 2.0}}))
    assert kz - base == pytest.approx(199 * C.base_usd_per_km)


def test_monte_carlo_is_reproducible_and_seeded(straight_200km):
    cells, line, surface = straight_200km
    parts = [_parts(line, cells, surface, n_border=1)]
    u = UncertaintyConfig(draws=50)
    a = draws.reprice_draws(parts, C, S, u=u, first=0, count=50)
    # split into two tasks, as Dask would: the same draws
    b = np.hstack(
        [
            draws.reprice_draws(parts, C, S, u=u, first=0, count=20),
            draws.reprice_draws(parts, C, S, u=u, first=20, count=30),
        ]
    )
    np.testing.assert_array_equal(a, b)
    other = draws.reprice_draws(parts, C, S, u=u.model_copy(update={"seed": 1}), first=0, count=50)
    assert not np.array_equal(a, other)
    det = _price(parts[0])
    assert a.min() >= 0.8 * det * 0.999 and a.max() <= 1.35 * det * 1.001


def test_joined_parts_cost_what_their_paths_cost_together(straight_200km):
    """The network stage prices a network as its links' parts joined: under every draw the
    same as the links priced one by one and added (bores, borders, sites, an off-gateway
    crossing's extra included)."""
    cells, line, surface = straight_200km
    xy = list(line.coords)[1:41]  # the first 40 cells' centres
    short = shapely.LineString([xy[0], *xy, xy[-1]])
    parts = [
        _parts(line, cells, surface, n_border=1),
        _parts(short, cells[:40], surface, river_km=(20.0, 21.0), n_regen=1),
        _parts(line, cells, surface, n_off_gateway=2, off_gateway_each_usd=5e5),
    ]
    whole = economics.join_parts(parts)
    assert whole.length_km == pytest.approx(sum(p.length_km for p in parts))
    u = UncertaintyConfig(draws=30)
    one = draws.reprice_draws([whole], C, S, u=u, first=0, count=30)[0]
    each = draws.reprice_draws(parts, C, S, u=u, first=0, count=30).sum(axis=0)
    np.testing.assert_allclose(one, each, rtol=1e-12)


def test_ranking_and_its_sensitivity():
    table = pd.DataFrame(
        {
            "route_id": ["a", "b", "c"],
            "scenario": "s",
            "origin": "o",
            "cost_p50_usd": [100.0, 120.0, 150.0],
            "latency_ms": [30.0, 20.0, 25.0],
            "shared_km_max": [0.0, 0.0, 0.0],
            "n_crossings": [3, 3, 3],
        }
    )
    assert uncertainty.rank(table, {"cost": 1}).idxmin() == 0
    assert uncertainty.rank(table, {"latency": 1}).idxmin() == 1
    sens = uncertainty.sensitivity(table, {"cost": 0.5, "latency": 0.5})
    cost_rows = sens.loc[sens["criterion"] == "cost"].set_index("weight")["top_route_id"]
    assert cost_rows[0.0] == "b" and cost_rows[1.0] == "a"


def test_cheapest_probability_sums_to_one_per_scenario():
    routes = pd.DataFrame(
        {"route_id": list("abcd"), "scenario": ["x", "x", "y", "y"], "origin": "o"}
    )
    costs = np.array([[1.0, 3.0, 1.0], [2.0, 2.0, 2.0], [5.0, 5.0, 5.0], [4.0, 6.0, 4.0]])
    out = uncertainty.summarise(routes, costs)
    assert out.groupby("scenario")["p_cheapest"].sum().tolist() == pytest.approx([1.0, 1.0])
    assert out.set_index("route_id")["p_cheapest"].to_dict() == pytest.approx(
        {"a": 2 / 3, "b": 1 / 3, "c": 1 / 3, "d": 2 / 3}
    )


def test_route_frequency_is_written_a_strip_at_a_time_as_the_whole_bands_would_be(
    tmp_path, small_grid
):
    """Each draw counts a cell once; bands cross strip edges; a band no draw reached is 0."""
    import rasterio

    from pipeline import io
    from pipeline.grid import Grid

    tall = Grid(small_grid.crs, small_grid.transform, 50, 600)
    rng = np.random.default_rng(3)

    def path(n):
        return np.column_stack([rng.integers(0, 600, n), rng.integers(0, 50, n)])

    paths = [[path(400), path(300)], [path(50)] * 3, []]  # repeats: one draw takes cells twice
    paths[0][0][:10] = paths[0][0][10:20]
    dense = np.zeros((3, 600, 50), dtype=np.float32)
    for b, draws_ in enumerate(paths):
        for cells in draws_:
            dense[b, cells[:, 0], cells[:, 1]] += 1.0  # fancy indexing: once per draw
    dense /= 4
    bands = uncertainty._route_frequency(paths, 50, routing_draws=4)
    io.write_sparse_bands(tmp_path / "f.tif", bands, tall, names=["a", "b", "c"], description="d")
    with rasterio.open(tmp_path / "f.tif") as src:
        assert src.descriptions == ("a", "b", "c")
        np.testing.assert_array_equal(src.read(), dense)
    assert dense[1].max() == 0.75 and not dense[2].any()


def test_a_long_route_has_one_price_whatever_blas_threads_the_process_has(monkeypatch):
    """A Dask worker runs BLAS on one thread: its price is the threaded build's, bit for bit."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    n = 100_000  # BLAS splits a dot product this long among its threads
    rng = np.random.default_rng(5)
    cells = np.column_stack([np.full(n, 1), np.arange(2, n + 2)])
    xy = np.column_stack([cells[:, 1] * 2500.0 + 1250.0, -(cells[:, 0] * 2500.0 + 1250.0)])
    line = shapely.LineString([xy[0], *xy, xy[-1]])
    shape = (3, n + 4)
    slope = rng.uniform(0, 8, shape).astype(np.float32)
    scale = rng.uniform(0.8, 1.2, shape)  # pieces of many lengths: sums that round
    parts = _parts(line, cells, _surface(shape, slope_deg=slope, inv_scale=scale), river_km=())
    here = economics.price_route(parts, C, S).cable_usd
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")  # as distributed sets it for its workers
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        there = pool.submit(economics.price_route, parts, C, S).result().cable_usd
    assert there == here
