"""Property tests (hypothesis) of the geometric core: the router and the ingest validators."""

import geopandas as gpd
import numpy as np
import shapely
from hypothesis import given, settings
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
