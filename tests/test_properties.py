"""Property tests (hypothesis) of the geometric core: the router and the ingest validators."""

from unittest.mock import patch

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from test_router import KING, KNIGHT, reference

from pipeline import router
from pipeline.geometry import valid

costs = st.one_of(st.floats(0.1, 100.0), st.just(np.nan))


@st.composite
def grids(draw):
    shape = (draw(st.integers(2, 9)), draw(st.integers(2, 9)))
    rate = draw(arrays(np.float64, shape, elements=costs))
    start = (draw(st.integers(0, shape[0] - 1)), draw(st.integers(0, shape[1] - 1)))
    rate[start] = draw(st.floats(0.1, 100.0))
    return rate, start


@settings(max_examples=150, deadline=None)
@given(grids(), st.sampled_from([8, 16]))
def test_router_equals_a_reference_dijkstra(grid, connectivity):
    rate, start = grid
    dist, pred = router.accumulate(rate, start, connectivity=connectivity)
    moves = KING + (KNIGHT if connectivity == 16 else [])
    ref = reference(rate, np.ones_like(rate), np.zeros(rate.shape, int), 0.0, 1.0, start, moves)
    assert np.array_equal(np.isfinite(dist), np.isfinite(ref))
    ok = np.isfinite(ref)
    np.testing.assert_allclose(dist[ok], ref[ok], rtol=1e-12, atol=1e-12)
    for target in zip(*np.nonzero(ok), strict=True):
        cells = router.backtrack(pred, target)
        assert tuple(cells[0]) == start and tuple(cells[-1]) == target
        assert np.all(np.isfinite(rate[cells[:, 0], cells[:, 1]]))  # never on a barrier
        assert np.all(np.abs(np.diff(cells, axis=0)) <= (1 if connectivity == 8 else 2))


BARRIERS = (np.nan, np.inf, -1.0)


@st.composite
def wide_grids(draw):
    """Costs log-uniform over up to nine decades within 1 to 1e9, barriers of every kind
    (NaN, inf, negative), zones and a crossing cost on the same scale (or none, or inf: closed,
    so the corner rule's zone side is exercised), a few targets. Ranges under about six decades
    take the bucket queue, wider ones the heap; sums reach 1e10, where rounding can file a cell
    into the bucket being settled."""
    shape = (draw(st.integers(2, 10)), draw(st.integers(2, 10)))
    e_lo = draw(st.floats(0.0, 9.0))
    e_hi = draw(st.floats(e_lo, 9.0))
    u = draw(arrays(np.float64, shape, elements=st.floats(0.0, 1.0)))
    rate = 10.0 ** (e_lo + (e_hi - e_lo) * u)
    kind = draw(arrays(np.int8, shape, elements=st.integers(0, 9)))
    for k, bad in enumerate(BARRIERS):
        rate[kind == 7 + k] = bad  # 3 in 10 cells
    start = (draw(st.integers(0, shape[0] - 1)), draw(st.integers(0, shape[1] - 1)))
    rate[start] = 10.0**e_lo
    zones = draw(st.booleans())
    zone = draw(arrays(np.int16, shape, elements=st.integers(0, 3))) if zones else None
    crossing = draw(st.sampled_from(["free", "priced", "closed"])) if zones else "free"
    penalty = {"free": 0.0, "closed": np.inf}.get(crossing)
    if crossing == "priced":
        penalty = 10.0 ** draw(st.floats(e_lo, e_hi))
    cell = st.tuples(st.integers(0, shape[0] - 1), st.integers(0, shape[1] - 1))
    targets = draw(st.lists(cell, max_size=3))
    return rate, start, zone, penalty, targets


@settings(max_examples=300, deadline=None)
@given(wide_grids(), st.sampled_from([8, 16]), st.sampled_from([1.0, 2.5]))
def test_router_equals_scipy_over_nine_decades_with_zones_and_barriers(grid, connectivity, step):
    rate, start, zone, penalty, targets = grid
    table = router.penalty_table(penalty, 1 if zone is None else int(zone.max()) + 1)
    event(
        "buckets" if router._bucket_width(rate, table, step, connectivity=connectivity) else "heap"
    )
    kw = {"zone": zone, "zone_penalty": penalty, "step_km": step, "connectivity": connectivity}
    dist, pred = router.accumulate(rate, start, targets, **kw)
    with patch.object(router, "_bucket_width", lambda *a, **k: None):  # the heap
        heap, _ = router.accumulate(rate, start, targets, **kw)
    open_ = np.where((rate >= 0) & np.isfinite(rate), rate, np.nan)
    z = np.zeros(rate.shape, int) if zone is None else zone
    moves = KING + (KNIGHT if connectivity == 16 else [])
    ref = reference(open_, np.ones_like(rate), z, penalty, step, start, moves)
    check = targets or list(np.ndindex(rate.shape))
    for t in check:  # every cell, or the targets: settled when the search stopped
        for got in (dist, heap):
            if np.isfinite(ref[t]):
                assert got[t] == pytest.approx(ref[t], rel=1e-12), t
            else:
                assert np.isinf(got[t]), t
        linked = router.linked_path(
            rate, start, t, zone=zone, zone_penalty=penalty, connectivity=connectivity
        )
        assert (linked is not None) == bool(np.isfinite(ref[t])), (
            t
        )  # the same moves, corners included
        if np.isfinite(ref[t]):
            cells = router.backtrack(pred, t)
            assert tuple(cells[0]) == start
            assert np.all(np.isfinite(open_[cells[:, 0], cells[:, 1]]))  # never on a barrier


coords = st.tuples(st.floats(50, 56, allow_nan=False), st.floats(36, 42, allow_nan=False))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(coords, min_size=3, max_size=7), min_size=1, max_size=5))
def test_valid_returns_valid_non_empty_polygons(rings):
    polys = [shapely.Polygon(r) for r in rings]
    out = valid(
        gpd.GeoDataFrame({"i": range(len(polys))}, geometry=polys, crs="EPSG:4326"), "random"
    )
    assert out.geometry.is_valid.all()
    assert not out.geometry.is_empty.any()
    assert out.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    assert set(out["i"]) <= set(range(len(polys)))
