import numpy as np
import pandas as pd
import pytest
import shapely

from pipeline import economics, uncertainty
from pipeline.config import CostConfig, SitesConfig, UncertaintyConfig

C = CostConfig()
S = SitesConfig()


@pytest.fixture
def straight_200km():
    """A 200 km route on flat ground, far from any right-of-way, on a 2.5 km grid."""
    cells = np.column_stack([np.full(81, 5), np.arange(2, 83)])
    shape = (10, 90)
    xy = np.column_stack([cells[:, 1] * 2500.0 + 1250.0, -(cells[:, 0] * 2500.0 + 1250.0)])
    line = shapely.LineString([xy[0], *xy, xy[-1]])  # endpoints on the first and last cells
    rasters = {
        "slope": np.zeros(shape),
        "row_km": np.full(shape, 50.0),
        "urban": np.zeros(shape),
        "water": np.zeros(shape, dtype=np.int32),
        "inv": np.ones(shape),
        "unit": np.full(shape, C.base_usd_per_km),
        "country_mult": np.ones(shape),
    }
    return cells, line, rasters


def segments_of(cells, line, ras, river_km):
    vkm = economics.vertex_km(line, cells, ras["inv"], 2.5)
    methods = economics.edge_methods(cells, ras["slope"], ras["row_km"], ras["water"] != 0, C)
    labels = np.full(len(cells), "KZ")
    ivs = economics.intervals(cells, vkm, methods, labels, ras["unit"], ras["inv"], 2.5)
    ivs = economics.overlay_hdd(ivs, river_km, C.river_hdd_km, C.hdd_usd_per_km)
    return vkm, economics.merge_segments(ivs)


def test_a_200_km_route_with_one_river_crossing(straight_200km):
    cells, line, ras = straight_200km
    vkm, segs = segments_of(cells, line, ras, [100.0])
    assert vkm[-1] == pytest.approx(200.0)
    assert [s["method"] for s in segs] == ["buried_flat", "hdd", "buried_flat"]
    assert [s["length_km"] for s in segs] == pytest.approx([99.5, 1.0, 99.5])
    cable = sum(s["cost_usd"] for s in segs)
    assert cable == pytest.approx(199 * C.base_usd_per_km + 1 * C.hdd_usd_per_km)
    sites = economics.place_sites(vkm, np.zeros(len(vkm), bool), np.ones(len(vkm), bool), S)
    assert [kind for _, kind in sites] == ["ILA", "ILA"]
    assert [vkm[i] for i, _ in sites] == pytest.approx([80.0, 160.0])
    total = cable + 2 * S.ila_site_usd
    # the Monte Carlo's pricing, with every multiplier at 1, gives the same total
    parts = _parts(line, cells, ras)
    assert uncertainty.price(parts, C, S) == pytest.approx(total, rel=1e-12)


def _parts(line, cells, ras, n_border=0):
    """What the Monte Carlo prices: 1 river crossing and 2 amplifier huts on the route."""
    counts = {
        "geometry": line,
        "n_river_crossings": 1,
        "n_border_crossings": n_border,
        "n_landfalls": 0,
        "n_ila_sites": 2,
        "n_regen_sites": 0,
    }
    return uncertainty.route_parts(pd.Series(counts), cells, ras, _grid_2500())


def _grid_2500():
    from rasterio.crs import CRS
    from rasterio.transform import Affine

    from pipeline.grid import Grid

    return Grid(CRS.from_epsg(3857), Affine(2500.0, 0, 0, 0, -2500.0, 0), 90, 10)


def test_sites_prefer_access_and_regen_follows_the_reach(straight_200km):
    vkm = np.arange(0, 3001, 10.0)
    access = (vkm % 70) == 0  # road access every 70 km
    s = SitesConfig(ila_span_km=80, regen_max_km=1000)
    sites = economics.place_sites(vkm, np.zeros(len(vkm), bool), access, s)
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
    sites = economics.place_sites(vkm, wet, np.ones(len(vkm), bool), S)
    assert all(not wet[i] for i, _ in sites)
    assert [vkm[i] for i, _ in sites] == [80.0, 380.0]  # the count restarts at the landfall


def test_cost_book_edits_change_exactly_the_affected_totals(straight_200km):
    cells, line, ras = straight_200km
    parts = _parts(line, cells, ras)
    base = uncertainty.price(parts, C, S)
    dearer_huts = uncertainty.price(parts, C, S.model_copy(update={"ila_site_usd": 300_000.0}))
    assert dearer_huts - base == pytest.approx(2 * (300_000.0 - S.ila_site_usd))
    border = uncertainty.price(parts, C.model_copy(update={"border_crossing_usd": 1e9}), S)
    assert border == base  # this route crosses no border
    hdd = uncertainty.price(parts, C.model_copy(update={"hdd_usd_per_km": 0.0}), S)
    assert base - hdd == pytest.approx(C.hdd_usd_per_km * C.river_hdd_km)


def test_monte_carlo_is_reproducible_and_seeded(straight_200km):
    cells, line, ras = straight_200km
    parts = [_parts(line, cells, ras, n_border=1)]
    u = UncertaintyConfig(draws=50)
    a = uncertainty.reprice_draws(parts, C, S, u, 0, 50)
    # split into two tasks, as Dask would: the same draws
    b = np.hstack(
        [
            uncertainty.reprice_draws(parts, C, S, u, 0, 20),
            uncertainty.reprice_draws(parts, C, S, u, 20, 30),
        ]
    )
    np.testing.assert_array_equal(a, b)
    other = uncertainty.reprice_draws(parts, C, S, u.model_copy(update={"seed": 1}), 0, 50)
    assert not np.array_equal(a, other)
    det = uncertainty.price(parts[0], C, S)
    assert a.min() >= 0.8 * det * 0.999 and a.max() <= 1.35 * det * 1.001


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
