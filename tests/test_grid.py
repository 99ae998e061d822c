import numpy as np
import pytest
import shapely
from pyproj import Geod

from pipeline import geometry, router, score
from pipeline.config import GridConfig
from pipeline.errors import ConfigError
from pipeline.grid import cell_lonlat, inverse_scale, template

GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def grid_and_scale():
    grid = template(GridConfig())
    lon, lat = cell_lonlat(grid)
    return grid, lon, lat, inverse_scale(grid)


@pytest.mark.parametrize("lat", [23.5, 40.0, 55.0, 57.8])
@pytest.mark.parametrize("direction", [(0, 1), (1, 1), (1, 0)])
def test_grid_distance_is_ground_distance_anywhere(grid_and_scale, lat, direction):
    """A 100-cell straight path: the router's km agree with the geodesic within 0.1 %."""
    grid, lon, lat_arr, inv = grid_and_scale
    x, y = grid.from_lonlat().transform(56.0, lat)
    r0, c0 = (int(v) for v in grid.rowcol(x, y))
    toward_centre = -1 if lat < 40 else 1  # rows grow southwards
    cells = np.array(
        [(r0 + toward_centre * i * direction[0], c0 + i * direction[1]) for i in range(100)]
    )
    assert cells.min() >= 0 and np.all(cells < grid.shape)
    _, km = router.path_sums(cells, np.ones(grid.shape), inv, step_km=grid.cell_m / 1000.0)
    xs, ys = grid.xy(cells[:, 0], cells[:, 1])
    lons, lats = grid.to_lonlat().transform(xs, ys)
    geodesic_km = GEOD.line_length(lons, lats) / 1000.0
    assert km == pytest.approx(geodesic_km, rel=1e-3)


def test_scale_factor_is_within_the_projection_bounds(grid_and_scale):
    grid, lon, lat, inv = grid_and_scale
    inside = (lat >= 23) & (lat <= 58) & (lon >= 34) & (lon <= 76)
    # conformal conic with standard parallels 29° and 52°: |k - 1| stays within a few percent
    assert np.all(np.abs(1 / inv[inside] - 1) < 0.05)


def test_a_geographic_crs_is_refused():
    with pytest.raises(ConfigError, match="projected CRS in metres"):
        template(GridConfig(crs="EPSG:4326"))


def test_a_non_conformal_crs_is_refused():
    cfg = GridConfig(
        crs="+proj=aea +lat_0=40 +lon_0=56 +lat_1=29 +lat_2=52 +datum=WGS84 +units=m", cell_m=20000
    )
    grid = template(cfg)
    with pytest.raises(ConfigError, match="not conformal"):
        inverse_scale(grid)


def test_a_route_line_back_in_lon_lat_has_its_geodesic_length(grid_and_scale):
    """Moscow to Chabahar: the line's ends survive the round trip, and its reported length is
    the WGS84 geodesic between them (to a metre)."""
    grid, *_ = grid_and_scale
    x, y = grid.from_lonlat().transform([37.6, 60.6], [55.75, 25.3])
    line_ll = score.to_lonlat(shapely.LineString(zip(x, y, strict=True)), grid)
    np.testing.assert_allclose(line_ll.coords, [(37.6, 55.75), (60.6, 25.3)], atol=1e-9)
    _, _, metres = Geod(ellps="WGS84").inv(37.6, 55.75, 60.6, 25.3)
    assert geometry.geodesic_km(line_ll) == pytest.approx(metres / 1000, abs=1e-3)
