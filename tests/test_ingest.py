import sqlite3

import geopandas as gpd
import pytest
import shapely
import world

from pipeline import geometry, ingest, io, sources
from pipeline.config import GridConfig
from pipeline.errors import DataError


def layer(geoms, crs="EPSG:4326", **cols):
    return gpd.GeoDataFrame(cols, geometry=geoms, crs=crs)


def test_invalid_polygons_are_repaired_and_empties_dropped(caplog):
    bowtie = shapely.Polygon([(50, 40), (52, 42), (52, 40), (50, 42)])
    gdf = layer([bowtie, shapely.Polygon(), None, shapely.box(55, 40, 56, 41)], name=list("abcd"))
    with caplog.at_level("INFO"):
        out = geometry.valid(gdf, "lakes")
    assert list(out["name"]) == ["a", "d"]
    assert out.geometry.is_valid.all()
    assert out.geometry.iloc[0].geom_type in ("Polygon", "MultiPolygon")
    assert out.geometry.iloc[0].area == pytest.approx(2.0)
    assert "lakes: 1 invalid geometries repaired, 2 empty dropped" in caplog.text


def test_every_written_layer_is_valid(tmp_path, caplog):
    # a pipeline of one repeated point ("Too few points in geometry component") and a bowtie
    degenerate = shapely.LineString([(52, 41), (52, 41)])
    bowtie = shapely.Polygon([(50, 40), (52, 42), (52, 40), (50, 42)])
    lines = layer([degenerate, shapely.LineString([(50, 40), (51, 41)])], name=["x", "y"])
    with caplog.at_level("INFO"):
        io.write_gpkg(tmp_path / "o.gpkg", {"pipelines": lines, "lakes": layer([bowtie])})
    assert "o.gpkg, layer pipelines: 1 invalid geometries repaired, 1 empty dropped" in caplog.text
    back = io.read_layer(tmp_path / "o.gpkg", "pipelines")
    assert list(back["name"]) == ["y"]
    assert io.read_layer(tmp_path / "o.gpkg", "lakes").geometry.is_valid.all()


def test_clip_keeps_only_the_area_of_interest():
    gdf = layer([shapely.LineString([(30, 40), (40, 40)]), shapely.Point(100, 10)])
    out = ingest.clip_to_aoi(gdf, GridConfig(), "rails")
    assert len(out) == 1 and out.total_bounds[0] == pytest.approx(34.0)


def test_a_dataset_in_two_files_is_read_as_one_layer_and_the_seam_adds_no_point(tmp_path):
    # the mirror's roads stop at 76°E and go on in a second file to 80°E; an area that ends
    # at 76°E keeps the west file's line whole and leaves out the east one, which only touches
    # its edge
    west = layer([shapely.LineString([(70, 45), (76, 45)])], name=["west"])
    east = layer([shapely.LineString([(76, 45), (78, 45)])], name=["east"])
    raw = tmp_path / "raw"
    world.build(tmp_path)
    files = [sf.mirror for sf in sources.manifest()["roads_osm_major"].files]
    for mirror_path, part in zip(files, (west, east), strict=True):
        world.replace(tmp_path, mirror_path, gdf=part, layer="roads")
    gdf, where = ingest.read_dataset(raw, "roads_osm_major")
    assert list(gdf["name"]) == ["west", "east"]
    assert all(f in where for f in files)
    out = ingest.clip_to_aoi(gdf, GridConfig(lon_max_deg=76.0), where)
    assert list(out["name"]) == ["west"]
    assert set(out.geom_type) == {"LineString"}
    # the default area reaches 80°E (Almaty): both halves, each whole
    out = ingest.clip_to_aoi(gdf, GridConfig(), where)
    assert list(out["name"]) == ["west", "east"]
    assert list(out.geometry.length) == pytest.approx([6.0, 2.0])


def test_swapped_coordinates_are_detected():
    gdf = layer(
        [shapely.Point(51.1, 71.4), shapely.Point(25.3, 60.6)]
    )  # Astana, Chabahar (lat, lon)
    with pytest.raises(DataError, match="look like \\(lat, lon\\)"):
        ingest.clip_to_aoi(gdf, GridConfig(), "places.gpkg")


def test_wrong_units_are_detected():
    gdf = layer([shapely.Point(4_200_000, 6_300_000)])  # metres declared as degrees
    with pytest.raises(DataError, match="places.gpkg: no feature lies inside"):
        ingest.clip_to_aoi(gdf, GridConfig(), "places.gpkg")


def test_a_file_without_crs_is_refused(tmp_path):
    path = tmp_path / "rails.shp"
    with pytest.warns(UserWarning, match="crs"):
        layer([shapely.LineString([(50, 40), (51, 41)])], crs=None).to_file(path)
    with pytest.raises(DataError, match="rails.shp: the layer has no CRS.*ogr2ogr -a_srs"):
        io.read_source_vector(path)


def test_a_corrupt_vector_file_is_refused(tmp_path):
    path = tmp_path / "roads.gpkg"
    path.write_bytes(b"SQLite format 3\x00" + b"\x00" * 50)
    with pytest.raises(DataError, match="roads.gpkg: cannot read"):
        io.read_source_vector(path)


def test_railways_merge_keeps_the_source_and_drops_non_rights_of_way():
    ne = layer([shapely.LineString([(50, 40), (51, 41)])])
    osm = layer(
        [shapely.LineString([(50, 40), (51, 41)])] * 4,
        fclass=["rail", "proposed", "construction", "tram"],
        name=["a", "b", "c", "d"],
    )
    out = ingest.merge_lines(
        {"naturalearth": ne, "osm": osm}, "fclass", "rail", kept=ingest.RAILWAY_KEPT_FCLASS
    )
    assert list(out["source"]) == ["naturalearth", "osm", "osm"]
    assert list(out["fclass"]) == ["rail", "rail", "construction"]


def test_landing_points_get_country_codes_and_cables():
    details = [
        {
            "id": "c1",
            "name": "Cable One",
            "length": "1,200 km",
            "rfs": "2012 June",
            "owners": "A",
            "landing_points": [{"id": "jask-iran"}, {"id": "x-oman"}],
        },
        {
            "id": "c2",
            "name": "Cable Two",
            "length": "n.a.",
            "rfs": "1992",
            "owners": "B",
            "landing_points": [{"id": "jask-iran"}],
        },
        [{"index": "not a cable record"}],
    ]
    cables, pairs = ingest.cable_tables(details)
    assert list(cables["cable_length_km"].fillna(-1)) == [1200.0, -1]
    points = layer(
        [shapely.Point(57.8, 25.7), shapely.Point(58, 23.6)],
        id=[1, 2],
        slug=["jask-iran", "x-oman"],
        name=["Jask, Iran", "X, Oman"],
    )
    ne = layer(
        [shapely.Point(0, 0)] * 2,
        iso_a2=["IR", "OM"],
        name=["Iran", "Oman"],
        name_long=["Iran", "Oman"],
        admin=["Iran", "Oman"],
    )
    out = ingest.landing_points_with_cables(points, cables, pairs, ne_countries=ne)
    jask = out.iloc[0]
    assert jask["iso_a2"] == "IR" and jask["n_cables"] == 2
    assert jask["cables"] == "Cable One; Cable Two" and jask["first_rfs"] == "1992"


def test_a_layer_mixing_2d_and_3d_geometries_is_written_2d(tmp_path):
    """GDAL would declare Z mandatory and hold 2D geometries (GeoPackage requirement 19)."""
    mixed = layer([shapely.Point(50, 40, 120.0), shapely.Point(51, 41)], name=["a", "b"])
    solid = layer([shapely.Point(50, 40, 120.0)], name=["c"])
    io.write_gpkg(tmp_path / "z.gpkg", {"mixed": mixed, "solid": solid})
    with sqlite3.connect(tmp_path / "z.gpkg") as con:
        z = dict(con.execute("SELECT table_name, z FROM gpkg_geometry_columns"))
    assert z == {"mixed": 0, "solid": 1}
    assert not io.read_layer(tmp_path / "z.gpkg", "mixed").geometry.has_z.any()
