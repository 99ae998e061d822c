import numpy as np
import pytest

from pipeline import io, route, score
from pipeline.config import Scenario
from pipeline.cost import OUTSIDE, WATER_SEA, output_path
from pipeline.errors import EndpointError, NoRouteError

CODES = ["IR", "KZ", "TM"]
PENALTY = 1000.0


@pytest.fixture
def cost_dir(tmp_path, small_grid):
    """Cost rasters of a toy corridor: KZ | TM | IR | sea with an IR island."""
    shape = small_grid.shape
    country = np.zeros(shape, dtype=np.int16)
    country[:, 0:15], country[:, 15:30], country[:, 30:40] = 2, 3, 1
    water = np.zeros(shape, dtype=np.uint8)
    water[:, 40:] = WATER_SEA
    water[5:8, 45:48] = 0
    country[5:8, 45:48] = 1
    water[-1, :] = OUTSIDE
    steer = np.full(shape, 100.0)
    steer[water == OUTSIDE] = np.nan
    steer[water == WATER_SEA] = 500.0
    out = tmp_path / "processed"
    for name, arr in {
        "steer_cost_usd_per_km": steer,
        "water_class": water,
        "country_id": country,
        "inv_scale": np.ones(shape),
    }.items():
        io.write_raster(
            output_path(out, name), arr, small_grid, tags={"country_codes": ",".join(CODES)}
        )
    return out / "cost"


def point(grid, name, row, col, slug=""):
    x, y = grid.xy(row, col)
    return route.Endpoint(name, float(x), float(y), slug)


def task(grid, cost_dir, allowed, origin=(20, 2), dests=None):
    dests = dests or (
        point(grid, "Coast", 20, 40, "coast"),
        point(grid, "Island", 6, 46, "isl"),
        point(grid, "Platform", 30, 48, "plat"),
    )
    return route.Task(
        "sc",
        Scenario(allowed_countries=allowed),
        point(grid, "Origin", *origin),
        dests,
        str(cost_dir),
        grid,
        PENALTY,
        10.0,
    )


def test_routes_reach_the_coast_and_skip_island_and_platform(small_grid, cost_dir):
    res = route.run_task(task(small_grid, cost_dir, ["KZ", "TM", "IR"]))
    by = {r["slug"]: r for r in res["records"]}
    assert by["coast"]["status"] == "routed"
    assert tuple(by["coast"]["cells"][-1]) == (20, 39)  # snapped to the nearest land cell
    assert "island" in by["isl"]["reason"]
    assert "no passable land within 10.0 km" in by["plat"]["reason"]
    # straight west-east run of 37 cells at 100 USD/km, plus two border crossings
    assert by["coast"]["steer_cost_usd"] == pytest.approx(37 * 2.5 * 100 + 2 * PENALTY)
    cells = by["coast"]["cells"]
    country, _ = io.read_raster(output_path(cost_dir.parent, "country_id"))
    crossings = score.border_crossings(cells, country, CODES, small_grid)
    assert [c["name"] for c in crossings] == ["KZ→TM", "TM→IR"]


def test_disconnected_countries_are_a_clear_error(small_grid, cost_dir):
    with pytest.raises(NoRouteError, match="route.scenarios.sc: no landing station.*transit"):
        route.run_task(task(small_grid, cost_dir, ["KZ", "IR"]))


@pytest.mark.parametrize(
    "origin, needle", [((20, 47), "in the sea"), ((-30, 2), "outside the area")]
)
def test_origin_in_the_sea_or_outside_is_a_clear_error(small_grid, cost_dir, origin, needle):
    with pytest.raises(EndpointError, match=needle):
        route.run_task(task(small_grid, cost_dir, ["KZ", "TM", "IR"], origin=origin))


def test_forbidden_country_is_never_crossed(small_grid, cost_dir):
    # TM forbidden except... nothing: only a northern detour through IR-less land is impossible
    res = route.run_task(task(small_grid, cost_dir, ["KZ", "TM", "IR"]))
    cells = res["records"][0]["cells"]
    country, _ = io.read_raster(output_path(cost_dir.parent, "country_id"))
    assert set(country[cells[:, 0], cells[:, 1]]) <= {1, 2, 3}


def test_local_cluster_gives_the_same_routes_as_threads(small_grid, cost_dir):
    distributed = pytest.importorskip("distributed")
    tasks = [
        task(small_grid, cost_dir, ["KZ", "TM", "IR"]),
        task(small_grid, cost_dir, ["KZ", "TM", "IR"], origin=(10, 3)),
    ]
    local = route.compute(tasks, None, 2)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        remote = route.compute(tasks, cluster.scheduler_address, 2)
    for a, b in zip(local, remote, strict=True):
        for ra, rb in zip(a["records"], b["records"], strict=True):
            assert ra["status"] == rb["status"]
            if ra["status"] == "routed":
                assert np.array_equal(ra["cells"], rb["cells"])
                assert ra["steer_cost_usd"] == rb["steer_cost_usd"]


def test_latency_uses_the_group_index():
    assert score.latency_ms(1000.0, 1.4682) == pytest.approx(4.8974, abs=1e-4)
