"""The planners' deliverables, checked as a user would: QGIS, GDAL's validator, a GeoJSON
validator, the report, and the change report after a rebuild."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from io import BytesIO
from pathlib import Path

import geojson_validator
import geopandas as gpd
import matplotlib.colors
import matplotlib.image
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.geometry
import world
from conftest import REPO, SYSTEM_PYTHON, VALIDATORS, validate_gpkg

from pipeline import cli, export, io, netreport, ofds, report


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("deliver")
    cfg = world.build(root)
    assert cli.main(["--config", str(cfg), "all"]) == 0
    return root


def test_layers_carry_default_qgis_styles(built):
    gpkg = built / "out" / "corridor.gpkg"
    with sqlite3.connect(gpkg) as con:
        rows = con.execute(
            "SELECT f_table_name, f_geometry_column, useAsDefault, styleQML FROM layer_styles"
        ).fetchall()
        registered = con.execute(
            "SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'"
        ).fetchone()
    assert registered == ("attributes",)
    styled = {name: qml for name, col, default, qml in rows if default == 1 and col == "geom"}
    assert set(styled) >= {"routes", "crossings", "sites", "landing_points", "endpoints"}
    for qml in styled.values():
        ET.fromstring(qml.split("\n", 1)[1])  # well-formed XML
    routes = ET.fromstring(styled["routes"].split("\n", 1)[1])
    values = [c.get("value") for c in routes.iter("category")]
    assert values == ["land"]  # one category per configured scenario


def test_a_qgis_project_is_stored_with_relative_paths(built):
    with sqlite3.connect(built / "out" / "corridor.gpkg") as con:
        name, content = con.execute("SELECT name, content FROM qgis_projects").fetchone()
    assert name == "corridor plan"
    with zipfile.ZipFile(BytesIO(bytes.fromhex(content))) as z:
        qgs = z.read(z.namelist()[0]).decode()
    sources = {s.text for s in ET.fromstring(qgs.split("\n", 1)[1]).iter("datasource") if s.text}
    assert "./corridor.gpkg|layername=routes" in sources
    assert "./cost/unit_cost_usd_per_km.tif" in sources
    assert all(s.startswith("./") for s in sources)
    for rel in (
        "cost/unit_cost_usd_per_km.tif",
        "route_frequency.tif",
        "cost/unit_cost_usd_per_km.qml",
        "route_frequency.qml",
    ):
        assert (built / "out" / rel).exists(), rel


def test_layer_and_field_descriptions(built):
    with sqlite3.connect(built / "out" / "corridor.gpkg") as con:
        desc = dict(con.execute("SELECT table_name, description FROM gpkg_contents"))
        cols = dict(
            con.execute(
                "SELECT column_name, description FROM gpkg_data_columns WHERE table_name = 'routes'"
            )
        )
    assert "least-cost fiber route" in desc["routes"]
    assert "km" in cols["length_km"] and "ms" in cols["latency_ms"]


NETWORK_LAYERS = ("network_nodes", "network_links", "network_paths")
NETWORK_TABLES = ("network_cuts", "network_latency", "network_summary")


def _styles(gpkg: Path) -> dict[str, ET.Element]:
    """The default QGIS style of each layer, parsed."""
    with sqlite3.connect(gpkg) as con:
        rows = con.execute("SELECT f_table_name, styleQML FROM layer_styles WHERE useAsDefault")
        return {name: ET.fromstring(qml.split("\n", 1)[1]) for name, qml in rows}


def _line_style(qml: ET.Element, value: str) -> str:
    """The line style of the symbol of one category of a categorized style."""
    symbol = next(c.get("symbol") for c in qml.iter("category") if c.get("value") == value)
    sym = next(s for s in qml.iter("symbol") if s.get("name") == symbol)
    return next(o.get("value") for o in sym.iter("Option") if o.get("name") == "line_style")


def test_the_network_is_delivered_styled_described_and_in_the_project(built):
    out = built / "out"
    corridor, network = out / "corridor.gpkg", out / "network.gpkg"
    for name in NETWORK_LAYERS:
        mine, theirs = io.read_layer(corridor, name), io.read_layer(network, name)
        assert mine.crs.equals("EPSG:4326") and len(mine) == len(theirs) > 0, name
        assert list(mine.columns) == list(theirs.columns), name
        assert shapely.equals_exact(mine.geometry, theirs.to_crs(4326).geometry, 1e-9).all()
    for name in NETWORK_TABLES:
        assert io.read_table(corridor, name).equals(io.read_table(network, name)), name
    qml = _styles(corridor)
    links = qml["network_links"]
    assert [c.get("value") for c in links.iter("category")] == ["working", "protection", "shared"]
    assert links.find("renderer-v2").get("attr") == "role"
    assert [_line_style(links, r) for r in ("working", "protection")] == ["solid", "dash"]
    kinds = [c.get("value") for c in qml["network_nodes"].iter("category")]
    assert set(kinds) == {"origin", "landing_station", "junction", "gateway", "ILA", "regen"}
    assert _line_style(qml["network_paths"], "protection") == "dash"
    with sqlite3.connect(corridor) as con:
        desc = dict(con.execute("SELECT table_name, description FROM gpkg_contents"))
        cols = dict(
            con.execute(
                "SELECT column_name, description FROM gpkg_data_columns "
                "WHERE table_name = 'network_links'"
            )
        )
        content = con.execute("SELECT content FROM qgis_projects").fetchone()[0]
    assert all(desc[n] for n in NETWORK_LAYERS + NETWORK_TABLES)
    assert "protection" in cols["role"] and "km" in cols["length_km"]
    with zipfile.ZipFile(BytesIO(bytes.fromhex(content))) as z:
        qgs = z.read(z.namelist()[0]).decode()
    sources = {s.text for s in ET.fromstring(qgs.split("\n", 1)[1]).iter("datasource")}
    for name in NETWORK_LAYERS + NETWORK_TABLES:
        assert f"./corridor.gpkg|layername={name}" in sources, name


def _geopackages(built: Path) -> list[Path]:
    files = sorted((built / "out").rglob("*.gpkg"))
    assert {p.name for p in files} >= {"ingest.gpkg", "routes.gpkg", "corridor.gpkg"}
    return files


@pytest.mark.parametrize("validator", VALIDATORS)
def test_gdal_validates_every_geopackage(built, validator):
    for gpkg in _geopackages(built):
        findings = validate_gpkg(validator, gpkg)
        assert not findings, f"{gpkg.name}: {findings[:2000]}"
        with sqlite3.connect(gpkg) as con:
            assert con.execute("PRAGMA user_version").fetchone()[0] == 10300, gpkg.name


GDAL_MESSAGE = re.compile(r"^(Warning|ERROR) \d+:", re.MULTILINE)


@pytest.mark.skipif(
    shutil.which("ogrinfo") is None,
    reason="GDAL's command-line tools are not installed (apt-get install gdal-bin); "
    ".ci/run installs them",
)
def test_system_gdal_reads_every_layer_without_a_warning(built):
    for gpkg in _geopackages(built):
        res = subprocess.run(
            ["ogrinfo", "-ro", "-al", "-q", str(gpkg)], capture_output=True, text=True
        )
        assert res.returncode == 0, (gpkg.name, res.stderr)
        assert not GDAL_MESSAGE.search(res.stderr + res.stdout), (gpkg.name, res.stderr)


def test_geojson_is_valid_rfc7946(built):
    files = sorted((built / "out" / "geojson").glob("*.geojson"))
    assert len(files) >= 8
    for name in NETWORK_LAYERS:
        doc = json.loads((built / "out" / "geojson" / f"{name}.geojson").read_text())
        assert len(doc["features"]) == len(io.read_layer(built / "out" / "network.gpkg", name))
    for path in files:
        doc = json.loads(path.read_text())
        assert "crs" not in doc and doc["metadata"]["sources"]
        structure = geojson_validator.validate_structure(doc)
        assert not structure, (path.name, structure)
        if doc["features"]:
            geometry = geojson_validator.validate_geometries(doc)
            assert not geometry["invalid"], (path.name, geometry["invalid"])
        for f in doc["features"]:
            c = shapely.get_coordinates(shapely.geometry.shape(f["geometry"]))
            assert np.allclose(c, np.round(c, 6))


LIBCOVEOFDS = Path(sys.executable).parent / "libcoveofds"


def _libcoveofds(*args) -> list | dict:
    """Run the OFDS validator's console script of the venv, as a user would; its JSON output."""
    done = subprocess.run(
        [str(LIBCOVEOFDS), *map(str, args)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_ofds_files_pass_the_ofds_validator(built):
    out = built / "out"
    package = out / "ofds" / "network.json"
    assert _libcoveofds("jsonschemavalidate", package) == []
    assert _libcoveofds("pythonvalidate", package) == []
    networks = json.loads(package.read_text())["networks"]
    nodes = io.read_layer(out / "network.gpkg", "network_nodes")
    links = io.read_layer(out / "network.gpkg", "network_links")
    assert [n["identifier"] for n in networks] == ["land"]
    assert [len(n["nodes"]) for n in networks] == [nodes["node_id"].notna().sum()]
    assert [len(n["spans"]) for n in networks] == [len(links)]
    # the day network.gpkg was written: a rebuild of export alone gives the same bytes
    built_on = dt.datetime.fromtimestamp((out / "network.gpkg").stat().st_mtime, dt.UTC)
    assert networks[0]["collectionDate"] == built_on.date().isoformat()
    assert "publicationDate" not in networks[0]
    assert networks[0]["name"] == "Working tree and protection: land"
    for name in ("nodes.geojson", "spans.geojson"):
        doc = json.loads((out / "ofds" / name).read_text())
        assert not geojson_validator.validate_structure(doc), name
        assert not geojson_validator.validate_geometries(doc)["invalid"], name


def test_a_network_not_built_is_left_out_of_ofds():
    point, line = shapely.Point(56, 40), shapely.LineString([(56, 40), (57, 41)])
    nodes = gpd.GeoDataFrame(
        {
            "network": ["a", "a", "a"],
            "node_id": ["n1", "n2", None],
            "name": ["Origin", "Station", "ILA near Origin"],
            "kind": ["origin", "landing_station", "ILA"],
            "country": ["KZ", "IR", None],
        },
        geometry=[point, shapely.Point(57, 41), point],
        crs="EPSG:4326",
    )
    km = dict.fromkeys(ofds.METHODS, 0.0) | {"buried_flat_km": 150.0}
    links = gpd.GeoDataFrame(
        [{"network": "a", "link_id": "l1", "from_node": "n1", "to_node": "n2"} | km],
        geometry=[line],
        crs="EPSG:4326",
    ).assign(role="working", length_km=150.0, countries="KZ 100 km, IR 50 km")
    summary = pd.DataFrame(
        {
            "network": ["a", "b"],
            "description": ["", "Across the sea"],
            "status": ["built", "not built"],
        }
    )
    layers = {"network_nodes": nodes, "network_links": links}
    package = export.ofds_package(layers, summary, build_date="2026-01-02")
    (network,) = package["networks"]
    assert network["identifier"] == network["name"] == "a"  # no description: named by its key
    assert [n["id"] for n in network["nodes"]] == ["n1", "n2"]  # not the site along the link
    assert network["collectionDate"] == "2026-01-02"


def _qgis_available() -> bool:
    try:
        return (
            subprocess.run(
                [SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True, timeout=60
            ).returncode
            == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.qgis
@pytest.mark.skipif(
    not _qgis_available(),
    reason="QGIS is not installed (apt-get install qgis python3-qgis); .ci/run installs it",
)
def test_qgis_opens_the_geopackage_styled_and_the_stored_project(built, tmp_path):
    png = tmp_path / "map.png"
    res = subprocess.run(
        [
            SYSTEM_PYTHON,
            str(REPO / "tests" / "qgis" / "check_corridor.py"),
            str(built / "out" / "corridor.gpkg"),
            str(png),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert res.returncode == 0, res.stderr[-2000:]
    report = json.loads(res.stdout.strip().splitlines()[-1])
    layers = report["layers"]
    assert all(v["valid"] and v["crs"] == "EPSG:4326" for v in layers.values())
    assert layers["routes"]["renderer"] == "categorizedSymbol"
    assert layers["routes"]["categories"] == ["land"]
    assert layers["sites"]["categories"] == ["ILA", "regen"]
    assert layers["landing_points"]["labels"]
    links, nodes = layers["network_links"], layers["network_nodes"]
    assert links["symbols"] == {"working": "solid", "protection": "dash", "shared": "solid"}
    assert layers["network_paths"]["symbols"] == {"working": "solid", "protection": "dash"}
    assert nodes["categories"] == [
        "origin",
        "landing_station",
        "junction",
        "gateway",
        "ILA",
        "regen",
    ]
    assert nodes["labels"] and links["features"] > 0 and nodes["features"] > 0
    assert report["project"]["read"] and report["project"]["all_valid"]
    assert {"routes", "cost surface", "landing_points"} <= set(report["project"]["layers"])
    network = {"network_nodes", "network_links", "network_paths", *NETWORK_TABLES}
    assert network <= set(report["project"]["layers"])
    assert set(report["project"]["tables"]) == set(NETWORK_TABLES)
    assert {"network_nodes", "network_links"} <= set(report["project"]["shown"])
    assert png.stat().st_size > 10_000  # the stored project renders a map


@pytest.mark.qgis
@pytest.mark.skipif(
    not _qgis_available(),
    reason="QGIS is not installed (apt-get install qgis python3-qgis); .ci/run installs it",
)
def test_qgis_opens_every_geopackage_without_a_warning_or_an_invalid_geometry(built, tmp_path):
    files = _geopackages(built)
    res = subprocess.run(
        [SYSTEM_PYTHON, str(REPO / "tests" / "qgis" / "check_geopackages.py"), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert not GDAL_MESSAGE.search(res.stderr), res.stderr[-2000:]
    report = json.loads(res.stdout.strip().splitlines()[-1])
    assert set(report) == set(map(str, files))
    for path, found in report.items():
        assert not found["warnings"], (path, found["warnings"])
        for name, layer in found["layers"].items():
            assert layer["valid"] and layer["invalid_geometries"] == 0, (path, name, layer)
    assert report[str(built / "out" / "corridor.gpkg")]["layers"]["routes"]["features"] == 4


def test_the_report_renders(built):
    rep = built / "out" / "report"
    page = (rep / "index.html").read_text()
    assert 'src="map.png"' in page and "TeleGeography" in page and "OpenStreetMap" in page
    assert (rep / "map.png").stat().st_size > 10_000
    # the summary comes first; one map per scenario; the route table sorts
    assert page.index("the three best routes of each scenario") < page.index("Scenario comparison")
    assert (rep / "map_land.png").stat().st_size > 10_000 and 'src="map_land.png"' in page
    assert 'class="dataframe t sortable"' in page
    profiles = list((rep / "profiles").glob("*.png"))
    assert len(profiles) == 4 and all(f"profiles/{p.name}" in page for p in profiles)
    assert (rep / "routes.csv").read_text().startswith("route_id,")
    # a route book per cheapest route, linked from the route table: itinerary, map, profile
    books = [p for p in sorted((rep / "routes").glob("*.html")) if p.name != "index.html"]
    assert books and all(f'href="routes/{p.name}"' in page for p in books)
    first = books[0].read_text()
    assert "Itinerary" in first and "<table" in first and "../profiles/" in first
    assert (rep / "routes" / books[0].name.replace(".html", ".png")).stat().st_size > 10_000
    manifest = json.loads((rep / "manifest.json").read_text())
    assert set(manifest) == {"code_version", "config", "inputs", "routes"}
    assert len(manifest["routes"]) == 4


CHROMIUM = shutil.which("chromium")


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed (apt-get install chromium); .ci/run installs it",
)
def test_the_interactive_map_works_offline_and_shows_every_route(built, tmp_path):
    from playwright.sync_api import sync_playwright

    page_path = built / "out" / "report" / "map.html"
    assert 'href="map.html"' in (built / "out" / "report" / "index.html").read_text()
    routes = io.read_layer(built / "out" / "corridor.gpkg", "routes")
    errors, requests = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: r.url.startswith(("file:", "data:")) or requests.append(r.url))
        page.goto(page_path.as_uri())
        page.wait_for_function("window.corridor !== undefined")
        shown = page.evaluate("window.corridor.shownRouteIds()")
        drawn = page.locator("path.route").count()
        page.screenshot(path=str(tmp_path / "map.png"))
        page.locator("input[data-k=alternative][data-v='1']").uncheck()
        after = page.evaluate("window.corridor.shownRouteIds()")
        page.evaluate("id => window.corridor.openRoute(id)", after[0])
        popup = page.locator(".leaflet-popup-content").inner_text()
        browser.close()
    assert not errors and not requests, (errors, requests)
    assert sorted(shown) == sorted(routes["route_id"]) and drawn == len(routes)
    assert sorted(after) == sorted(routes.loc[routes["alternative"] != 1, "route_id"])
    assert "cost P50, M USD" in popup and "km by country" in popup
    shot = matplotlib.image.imread(tmp_path / "map.png")[..., :3]
    red = np.array(matplotlib.colors.to_rgb(report.COLORS[0]))
    assert (np.abs(shot - red).max(axis=-1) < 0.08).sum() > 200  # the route colour is drawn


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
def test_the_report_route_table_sorts_in_a_browser(built):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page()
        page.goto((built / "out" / "report" / "index.html").as_uri())
        table = page.locator("table.sortable").first
        header = table.locator("thead th", has_text="length_km")
        column = [h.strip() for h in table.locator("thead th").all_inner_texts()].index("length_km")
        header.click()
        up = [
            float(v.replace(",", ""))
            for v in table.locator(f"tbody td:nth-child({column + 1})").all_inner_texts()
        ]
        header.click()
        down = [
            float(v.replace(",", ""))
            for v in table.locator(f"tbody td:nth-child({column + 1})").all_inner_texts()
        ]
        browser.close()
    assert up == sorted(up) and down == sorted(up, reverse=True) and len(up) == 4


def test_a_rebuild_after_a_config_change_lists_the_change(built, tmp_path):
    root = tmp_path / "w"
    shutil.copytree(built, root)
    cfg = world.write_config(root, "cost: {base_usd_per_km: 60000}\n")
    assert cli.main(["--config", str(cfg), "all"]) == 0
    md = (root / "out" / "report" / "changes.md").read_text()
    assert "setting cost.base_usd_per_km" in md and "60000" in md
    assert "paths." not in md  # where files live is no cause of a change in results
    csv = (root / "out" / "report" / "changes.csv").read_text()
    assert "d_cost_usd" in csv
    page = (root / "out" / "report" / "index.html").read_text()
    assert "What changed since the last build" in page and "base_usd_per_km" in page


def _section(page: str) -> str:
    """The report's network plan: from its heading to the next section's (Maps)."""
    start = page.index('<h2 id="network-plan">')
    return page[start : page.index("<h2>Maps</h2>", start)]


def test_the_report_shows_the_network_plan_from_network_gpkg(built):
    rep = built / "out" / "report"
    page = (rep / "index.html").read_text()
    net = built / "out" / "network.gpkg"
    summary = io.read_table(net, "network_summary")
    cuts = io.read_table(net, "network_cuts")
    latency = io.read_table(net, "network_latency")
    # read early: after the summary, before the maps and the per-route detail
    assert page.index("What was relaxed") < page.index("Network plan") < page.index("<h2>Routes")
    section = _section(page)
    for _, s in summary.iterrows():
        assert f"{s['network']}: {html.escape(s['description'])}" in section
        for col in ("capex_usd", "capex_p50_usd", "working_capex_usd", "separate_routes_usd"):
            assert f"{s[col] / 1e6:,.1f}" in section, col
        assert f"{s['saving_usd'] / 1e6:,.1f}" in section and f"{s['total_km']:,.0f}" in section
    assert "M USD" in section and "km" in section and "P10 / P50 / P90" in section
    # the synthetic world's network hangs on one border post: listed, with why
    spof = cuts.loc[cuts["single_point_of_failure"].astype(bool)]
    assert len(spof) >= 1 and f"Single points of failure: {len(spof)}" in section
    for _, c in spof.iterrows():
        assert html.escape(c["element"]) in section and html.escape(c["why"]) in section
    for _, r in latency.iterrows():  # each origin's round trip to each hub, both paths
        assert f"{r['rt_ms']:,.1f}" in section
    assert "working via" in section and "protection via" in section
    assert "border gateways" in section and html.escape(summary["method"].iloc[0]) in section
    shot = matplotlib.image.imread(rep / "network.png")[..., :3]
    assert 'src="network.png"' in section and shot.shape[1] > 500
    for role, color in netreport.ROLE_COLORS.items():  # every role the links have is drawn
        if role in set(io.read_table(net, "network_links")["role"]):
            rgb = np.array(matplotlib.colors.to_rgb(color))
            assert (np.abs(shot - rgb).max(axis=-1) < 0.08).sum() > 100, role


def _watched(page, errors: list):
    """A browser page whose console errors and uncaught exceptions go to ``errors``."""
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page


def _chromium(pw):
    return pw.chromium.launch(
        executable_path=CHROMIUM,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
def test_the_report_renders_in_a_browser_without_errors_and_with_every_image(built):
    from playwright.sync_api import sync_playwright

    errors = []
    with sync_playwright() as pw:
        browser = _chromium(pw)
        page = _watched(browser.new_page(), errors)
        page.goto((built / "out" / "report" / "index.html").as_uri())
        page.wait_for_load_state("load")
        broken = page.evaluate(
            "Array.from(document.images).filter(i => !i.naturalWidth).map(i => i.src)"
        )
        shown = page.locator("img[src='network.png']").bounding_box()
        browser.close()
    assert not errors and not broken, (errors, broken)
    assert shown["width"] > 400


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
def test_the_interactive_map_has_a_layer_per_network_with_link_popups(built):
    from playwright.sync_api import sync_playwright

    net = built / "out" / "network.gpkg"
    links = io.read_table(net, "network_links")
    keys = list(io.read_table(net, "network_summary")["network"])
    key = keys[0]
    mine = links.loc[links["network"] == key]
    first = mine.iloc[0]
    page_path = built / "out" / "report" / "map.html"
    errors = []
    with sync_playwright() as pw:
        browser = _chromium(pw)
        page = _watched(browser.new_page(viewport={"width": 1200, "height": 900}), errors)
        page.goto(page_path.as_uri())
        page.wait_for_function("window.corridor !== undefined")
        networks = page.evaluate("window.corridor.networks()")
        before = page.evaluate("window.corridor.shownNetworks()")
        page.locator(f"input[data-k=network][data-v='{key}']").check()
        drawn = page.locator("path.network-link").count()
        nodes = page.locator("path.network-node").count()
        ids = page.evaluate("k => window.corridor.linkIds(k)", key)
        page.evaluate("([k, id]) => window.corridor.openLink(k, id)", [key, first["link_id"]])
        popup = page.locator(".leaflet-popup-content").inner_text()
        page.locator(f"input[data-k=network][data-v='{key}']").uncheck()
        after = page.locator("path.network-link").count()
        # the report links each network to the map showing it alone, the routes hidden
        page = _watched(browser.new_page(), errors)
        page.goto(page_path.as_uri() + f"#network={key}")
        page.wait_for_function("window.corridor !== undefined")
        alone = page.evaluate("[window.corridor.shownNetworks(), window.corridor.shownRouteIds()]")
        browser.close()
    assert not errors, errors
    assert networks == keys and before == [] and after == 0
    assert sorted(ids) == sorted(mine["link_id"]) and drawn == len(mine)
    assert nodes == (io.read_table(net, "network_nodes")["network"] == key).sum()
    assert f"{key} {first['link_id']}: {first['from_name']} – {first['to_name']}" in popup
    musd = f"{first['cost_usd'] / 1e6:,.1f}".removesuffix(".0")  # as the page's fmt writes it
    assert "cost, M USD" in popup and musd in popup
    assert "km by country" in popup and first["role"] in popup
    assert alone == [[key], []]
    assert f'href="map.html#network={key}"' in (built / "out" / "report" / "index.html").read_text()
