"""OFDS 0.4 output: checked by the standard's own validator (libcoveofds), run as a user runs it."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import uuid
from pathlib import Path

import geojson_validator
import geopandas as gpd
import pytest
import shapely
from libcoveofds.geojson import JSONToGeoJSONConverter

from pipeline import catalogue, ofds
from pipeline.errors import DataError

LIBCOVEOFDS = Path(sys.executable).parent / "libcoveofds"
ANALYSIS_CRS = "+proj=lcc +lat_0=40 +lon_0=56 +lat_1=29 +lat_2=52 +datum=WGS84 +units=m +no_defs"

# network, node_id, name, kind, country, station_id, origins, lon, lat
NODES = [
    ("land_tm", "o1", "Aktobe", "origin", "KZ", "", "Aktobe", 57.17, 50.28),
    ("land_tm", "j1", "Beyneu junction", "junction", "KZ", "", "Aktobe", 55.19, 45.32),
    ("land_tm", "i1", "ILA 1", "ILA", "KZ", "", "Aktobe", 55.0, 43.5),
    ("land_tm", "g1", "Garabogaz gateway", "gateway", "", "", "Aktobe", 54.2, 41.8),
    ("land_tm", "r1", "Regen Ashgabat", "regen", "TM", "", "Aktobe", 58.38, 37.95),
    ("land_tm", "ls1", "Jask", "landing_station", "IR", "jask-1234", "Aktobe", 57.77, 25.64),
    ("caspian", "o1", "Astrakhan", "origin", "RU", "", "Astrakhan", 48.03, 46.35),
    ("caspian", "ls1", "Anzali", "landing_station", "IR", "anzali-77", "Astrakhan", 49.47, 37.47),
    ("caspian", "ls2", "Nowshahr", "landing_station", "IR", "", "Astrakhan", 51.5, 36.65),
]
# network, link_id, from, to, role, km of (row, flat, hilly, mountain, hdd, submarine), countries
LINKS = [
    ("land_tm", "l1", "o1", "j1", "working", (300, 250, 0, 0, 1.5, 0), "KZ 551.5 km"),
    ("land_tm", "l2", "j1", "i1", "shared", (0, 200, 0, 0, 0, 0), "KZ 200 km"),
    ("land_tm", "l3", "i1", "g1", "shared", (0, 210, 0, 0, 0, 0), "KZ 180 km, TM 30 km"),
    ("land_tm", "l4", "g1", "r1", "working", (400, 0, 50, 0, 2, 0), "TM 452 km"),
    ("land_tm", "l5", "r1", "ls1", "working", (500, 200, 300, 150, 3, 0), "TM 20 km, IR 1133 km"),
    ("land_tm", "l6", "j1", "ls1", "protection", (0, 900, 600, 200, 4, 0), "KZ 400 km, IR 1304 km"),
    ("caspian", "c1", "o1", "ls1", "working", (40, 20, 0, 0, 1, 980), "RU 61 km, IR 0 km"),
    ("caspian", "c2", "o1", "ls2", "protection", (0, 0, 0, 0, 0, 1100), ""),
]
SUMMARIES = [
    {
        "network": "land_tm",
        "name": "Land route through Turkmenistan",
        "description": "Kazakhstan to Jask over land",
        "publisher": "fiber-corridor pipeline",
        "build_date": "2026-05-04",
        "total_cost_usd": 1.2e9,
        "method": "least-cost routing",
    },
    {
        "network": "caspian",
        "name": "Caspian Sea route",
        "publisher": "fiber-corridor pipeline",
        "build_date": "2026-05-04",
    },
]
PUBLISHED = "2026-05-05"
METHODS = list(ofds.METHODS)


def _layers() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The two networks' layers as the network stage writes them: in the analysis CRS."""
    cols = ["network", "node_id", "name", "kind", "country", "station_id", "origins"]
    nodes = gpd.GeoDataFrame(
        [dict(zip(cols, n[:7], strict=True)) for n in NODES],
        geometry=[shapely.Point(n[7], n[8]) for n in NODES],
        crs="EPSG:4326",
    )
    where = {(n[0], n[1]): (n[7], n[8]) for n in NODES}
    rows, lines = [], []
    for net, lid, a, b, role, km, countries in LINKS:
        (x0, y0), (x1, y1) = where[(net, a)], where[(net, b)]
        lines.append(shapely.LineString([(x0, y0), ((x0 + x1) / 2 + 0.3, (y0 + y1) / 2), (x1, y1)]))
        row = {"network": net, "link_id": lid, "from_node": a, "to_node": b, "role": role}
        row |= dict(zip(METHODS, map(float, km), strict=True))
        row |= {"length_km": float(sum(km)), "cost_usd": 1e6 * sum(km), "countries": countries}
        row |= {"gateways": "Garabogaz gateway" if net == "land_tm" else "", "origins": "x"}
        rows.append(row)
    links = gpd.GeoDataFrame(rows, geometry=lines, crs="EPSG:4326")
    return nodes.to_crs(ANALYSIS_CRS), links.to_crs(ANALYSIS_CRS)


@pytest.fixture(scope="module")
def package() -> dict:
    nodes, links = _layers()
    return ofds.network_package(nodes, links, summaries=SUMMARIES, published=PUBLISHED)


def _cli(*args) -> str:
    """Run the libcoveofds console script of the venv, as a user would; its standard output."""
    done = subprocess.run(
        [str(LIBCOVEOFDS), *map(str, args)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _validate(path: Path) -> dict[str, list]:
    """The validator's findings on a network package file: schema errors and its own checks."""
    return {
        "jsonschemavalidate": json.loads(_cli("jsonschemavalidate", path)),
        "pythonvalidate": json.loads(_cli("pythonvalidate", path)),
    }


def test_the_package_passes_the_ofds_validator(package, tmp_path):
    paths = ofds.write(tmp_path, package)
    assert [p.name for p in paths] == ["network.json", "nodes.geojson", "spans.geojson"]
    assert _validate(paths[0]) == {"jsonschemavalidate": [], "pythonvalidate": []}
    assert json.loads(_cli("additionalfields", paths[0])) == {}, "fields OFDS does not define"
    assert not list(tmp_path.glob("*.tmp.*"))


def test_the_validator_reports_a_broken_package(package, tmp_path):
    broken = copy.deepcopy(package)
    del broken["networks"][0]["links"]  # required: the link to the schema
    broken["networks"][1]["spans"][0]["end"] = "nowhere"
    path = tmp_path / "network.json"
    path.write_text(ofds.json_text(broken))
    found = _validate(path)
    schema = [(e["validator"], e["message"]) for e in found["jsonschemavalidate"]]
    assert schema == [("required", "'links' is a required property")]
    checks = [(c["type"], c["network_id"]) for c in found["pythonvalidate"]]
    sea = ofds.network_id("caspian")
    assert checks == [("span_end_node_not_found", sea), ("node_not_used_in_any_spans", sea)]


def test_networks_nodes_and_spans_carry_the_contract(package):
    land, sea = package["networks"]
    assert land["id"] == ofds.network_id("land_tm") == str(uuid.UUID(land["id"]))
    assert land["id"] == "9aaf31a1-9a83-55f1-b0ed-cf1c527e1980", "the same id in every build"
    assert land["id"] != sea["id"] and land["identifier"] == "land_tm"
    assert land["publicationDate"] == PUBLISHED and land["collectionDate"] == "2026-05-04"
    assert land["publisher"] == {"name": "fiber-corridor pipeline"}
    nodes = {n["id"]: n for n in land["nodes"]}
    assert "type" not in nodes["j1"], "a plain junction has no OFDS type"
    assert nodes["o1"]["type"] == ["pop"] and nodes["ls1"]["type"] == ["cableLanding"]
    assert nodes["i1"]["type"] == nodes["r1"]["type"] == ["repeaterSite"]
    assert nodes["g1"]["type"] == ["borderCrossing"] and "address" not in nodes["g1"]
    assert nodes["g1"]["internationalConnections"] == [{"country": "KZ"}, {"country": "TM"}]
    assert nodes["ls1"]["address"] == {"country": "IR"}
    assert nodes["ls1"]["location"] == {"type": "Point", "coordinates": [57.77, 25.64]}
    assert {n["status"] for n in land["nodes"] + land["spans"]} == {"planned"}


def test_spans_say_how_they_are_built(package):
    land, sea = package["networks"]
    spans = {s["id"]: s for s in land["spans"] + sea["spans"]}
    assert spans["l6"]["name"] == "Beyneu junction – Jask (protection)"
    assert spans["l6"]["fibreLength"] == 1704.0, "OFDS 0.4 counts fibreLength in km"
    assert spans["l5"]["countries"] == ["TM", "IR"]
    assert spans["c1"]["deployment"] == ["belowGround"]
    assert spans["c1"]["supportingInfrastructure"]["description"] == (
        "Planned construction: 40.0 km trench along a railway or road right-of-way; "
        "20.0 km trench in flat terrain; 1.0 km horizontal directional drilling; "
        "980.0 km submarine cable."
    )
    assert "deployment" not in spans["c2"], "a sea cable is neither above nor below ground"
    assert "countries" not in spans["c2"]
    route = spans["l1"]["route"]["coordinates"]
    assert route[0] == [57.17, 50.28] and route[-1] == [55.19, 45.32], "lon/lat, from the CRS"


def test_the_geojson_pair_is_the_reference_conversion(package, tmp_path):
    nodes, spans = ofds.geojson_pair(package)
    reference = JSONToGeoJSONConverter()
    reference.process_package(copy.deepcopy(package))  # it takes the package apart
    assert nodes == reference.get_nodes_geojson()
    assert spans == reference.get_spans_geojson()
    assert len(nodes["features"]) == len(NODES) and len(spans["features"]) == len(LINKS)
    assert spans["features"][0]["properties"]["start"]["name"] == "Aktobe"


def test_the_geojson_files_are_rfc7946_and_convert_back_to_a_valid_package(package, tmp_path):
    ofds.write(tmp_path, package)
    for name in ("nodes.geojson", "spans.geojson"):
        doc = json.loads((tmp_path / name).read_text())
        assert not geojson_validator.validate_structure(doc), name
        assert not geojson_validator.validate_geometries(doc)["invalid"], name
    back = tmp_path / "back.json"
    _cli("geojsontojson", tmp_path / "nodes.geojson", tmp_path / "spans.geojson", back)
    assert json.loads(back.read_text()) == package
    assert _validate(back) == {"jsonschemavalidate": [], "pythonvalidate": []}


def test_a_link_to_an_unknown_node_names_it():
    nodes, links = _layers()
    with pytest.raises(DataError, match=r"network 'caspian': links end at nodes \['ls2'\]"):
        ofds.network_package(
            nodes.loc[nodes["node_id"] != "ls2"], links, summaries=SUMMARIES, published=PUBLISHED
        )


def test_a_network_without_a_summary_or_a_crs_is_refused():
    nodes, links = _layers()
    with pytest.raises(DataError, match=r"networks \['caspian'\] have no summary"):
        ofds.network_package(nodes, links, summaries=SUMMARIES[:1], published=PUBLISHED)
    with pytest.raises(DataError, match="no CRS"):
        ofds.network_package(
            nodes.set_crs(None, allow_override=True),
            links,
            summaries=SUMMARIES,
            published=PUBLISHED,
        )


def test_countries_as_the_network_stage_writes_them():
    """Thousands separated by commas, and the sea, which is no country."""
    nodes, links = _layers()
    links.loc[links["link_id"] == "l6", "countries"] = "KZ 1,400 km, sea 4 km, IR 1,304 km"
    links.loc[links["link_id"] == "c1", "countries"] = "RU 61 km, sea 980 km, none 1 km"
    package = ofds.network_package(nodes, links, summaries=SUMMARIES, published=PUBLISHED)
    spans = {s["id"]: s for n in package["networks"] for s in n["spans"]}
    assert spans["l6"]["countries"] == ["KZ", "IR"] and spans["c1"]["countries"] == ["RU"]
    links.loc[links["link_id"] == "l6", "countries"] = "KZ, IR"
    with pytest.raises(DataError, match=r"countries 'KZ, IR': not a list of 'CODE km' items"):
        ofds.network_package(nodes, links, summaries=SUMMARIES, published=PUBLISHED)


def test_without_a_publication_date_the_package_is_still_valid(tmp_path):
    nodes, links = _layers()
    package = ofds.network_package(nodes, links, summaries=SUMMARIES, published=None)
    assert all("publicationDate" not in n for n in package["networks"])
    assert package["networks"][0]["collectionDate"] == "2026-05-04"
    paths = ofds.write(tmp_path, package)
    assert _validate(paths[0]) == {"jsonschemavalidate": [], "pythonvalidate": []}


def test_nodes_along_links_are_refused_by_name():
    nodes, links = _layers()
    nodes.loc[nodes["name"] == "ILA 1", "node_id"] = None
    with pytest.raises(DataError, match=r"1 nodes have no node_id \(e.g. 'ILA 1'\)"):
        ofds.network_package(nodes, links, summaries=SUMMARIES, published=PUBLISHED)


def test_the_catalogue_declares_the_files_write_makes():
    assert tuple(catalogue.OFDS_FILES.values()) == ofds.FILES
    assert all(catalogue.FILES[k] == f"ofds/{n}" for k, n in catalogue.OFDS_FILES.items())
