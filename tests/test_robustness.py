"""Bad input, faults and determinism, on the synthetic world (tests/world.py).

Each bad-input case runs the real stage through the CLI and checks what a user relies on: exit
status 2, a message that names the file or setting and says what to do, and outputs that were
neither created nor modified.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
import world

from pipeline import cli, fetch, io, sources

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> Path:
    """A synthetic world built once, all stages run."""
    root = tmp_path_factory.mktemp("world")
    cfg = world.build(root)
    assert cli.main(["--config", str(cfg), "all"]) == 0
    return root


@pytest.fixture
def copy(baseline, tmp_path) -> Path:
    """A private copy of the built world (paths in its config point at the copy)."""
    root = tmp_path / "w"
    shutil.copytree(baseline, root)
    world.write_config(root)
    return root


def snapshot(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder``: the outputs (not the build lock, nor the
    decompressed copies of rasters a stage reads, ``io.mapped_raster``'s cache)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".build.lock" and io.MAPPED_FOLDER not in p.parts
    }


def run_fails(root: Path, stage: str, capsys, *needles: str, extra: str = "") -> str:
    cfg = world.write_config(root, extra)
    before = snapshot(root / "out")
    code = cli.main(["--config", str(cfg), stage])
    err = capsys.readouterr().err
    assert code == 2, err
    for needle in needles:
        assert needle in err, err
    assert snapshot(root / "out") == before, "an output was created or modified"
    return err


# --- bad input ------------------------------------------------------------------------------


def test_a_truncated_raster_tile(copy, capsys):
    tile = "terrain/30n060e_20101117_gmted_mea075_lowres.tif"
    data = (copy / "raw" / tile).read_bytes()
    world.replace(copy, tile, content=data[: len(data) // 3])
    run_fails(copy, "ingest", capsys, tile, "corrupt or truncated", "make fetch")


def test_a_vector_file_without_crs(copy, capsys):
    gdf = world.layers()["pipelines"].set_crs(None, allow_override=True)
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        world.replace(copy, "infrastructure/gem_pipeline_routes.gpkg", gdf=gdf, layer="pipelines")
    run_fails(copy, "ingest", capsys, "gem_pipeline_routes.gpkg", "has no CRS", "ogr2ogr -a_srs")


def test_invalid_geometries_are_repaired_and_empties_dropped(copy, caplog):
    lakes = world.layers()["lakes"]
    bowtie = shapely.Polygon([(52, 41), (52.4, 41.4), (52.4, 41), (52, 41.4)])
    bad = gpd.GeoDataFrame(
        {"name": ["Bowtie", "Empty"], "featurecla": "Lake"},
        geometry=[bowtie, shapely.Polygon()],
        crs="EPSG:4326",
    )
    world.replace(copy, "water/ne_10m_lakes.geojson.zip", gdf=gpd.pd.concat([lakes, bad]))
    cfg = world.write_config(copy)
    with caplog.at_level("INFO"):
        assert cli.main(["--config", str(cfg), "ingest"]) == 0
    assert "1 invalid geometries repaired, 1 empty dropped" in caplog.text
    out = pyogrio.read_dataframe(copy / "out" / "ingest.gpkg", layer="lakes")
    assert out.geometry.is_valid.all() and len(out) == 2


def test_swapped_coordinates(copy, capsys):
    places = world.layers()["places"]
    places = places.set_geometry(places.geometry.map(lambda p: shapely.Point(p.y, p.x)))
    world.replace(copy, "places/ne_10m_populated_places.geojson.zip", gdf=places)
    run_fails(copy, "ingest", capsys, "ne_10m_populated_places", "(lat, lon)", "swap the axes")


def test_coordinates_in_metres(copy, capsys):
    roads = world.layers()["roads"].copy()
    roads.geometry = roads.geometry.scale(111_000, 111_000, origin=(0, 0))
    world.replace(copy, "infrastructure/ne_10m_roads_major.geojson.zip", gdf=roads)
    run_fails(copy, "ingest", capsys, "ne_10m_roads_major", "other units", "reproject")


def test_an_empty_required_layer(copy, capsys):
    empty = world.layers()["countries"].iloc[0:0]
    world.replace(
        copy, "borders/dcw-gmt-2.1.1_countries_20E-100E_0N-75N.gpkg", gdf=empty, layer="countries"
    )
    run_fails(copy, "ingest", capsys, "dcw-gmt", "no features", "required")


@pytest.mark.parametrize(
    "origin, needles",
    [
        ("{name: Sea Point, lon_deg: 50.2, lat_deg: 39}", ["'Sea Point'", "in the sea"]),
        ("{name: Far Away, lon_deg: 70, lat_deg: 39}", ["'Far Away'", "outside the area"]),
        ("{name: Atlantis}", ["'Atlantis' is unknown", "check the spelling"]),
    ],
)
def test_bad_endpoints(copy, capsys, origin, needles):
    text = world.CONFIG.format(raw=copy / "raw", out=copy / "out")
    (copy / "config.yaml").write_text(
        text.replace("origins: [{name: Origin City}]", f"origins: [{origin}]")
    )
    before = snapshot(copy / "out")
    assert cli.main(["--config", str(copy / "config.yaml"), "route"]) == 2
    err = capsys.readouterr().err
    assert "route.origins" in err and all(n in err for n in needles), err
    assert snapshot(copy / "out") == before


def test_a_scenario_with_no_feasible_route(copy, capsys):
    text = world.CONFIG.replace("allowed_countries: [KZ, TM, IR]", "allowed_countries: [KZ, IR]")
    (copy / "config.yaml").write_text(text.format(raw=copy / "raw", out=copy / "out"))
    before = snapshot(copy / "out")
    assert cli.main(["--config", str(copy / "config.yaml"), "route"]) == 2
    err = capsys.readouterr().err
    assert "route.scenarios.land" in err and "allowed_countries" in err
    assert snapshot(copy / "out") == before


@pytest.mark.parametrize(
    "old, new, needles",
    [
        (
            "allowed_countries: [KZ, TM, IR]",
            "allowed_countries: [KZ, TM, XX, IR]",
            ["route.scenarios.land.allowed_countries", "'XX'", "Valid names: IR, KZ, TM"],
        ),
        (
            "allowed_countries: [KZ, TM, IR]}",
            "allowed_countries: [KZ, TM, IR], water_bodies: [Tset Sea]}",
            ["route.scenarios.land.water_bodies", "'Tset Sea'", "closest: ['Test Sea']"],
        ),
        ("landing_countries: [IR]", "landing_countries: [IRN]", ["'IRN'", "closest: ['IR']"]),
    ],
)
def test_names_are_checked_against_the_data(copy, capsys, old, new, needles):
    text = world.CONFIG.format(raw=copy / "raw", out=copy / "out")
    assert old in text
    (copy / "config.yaml").write_text(text.replace(old, new))
    before = snapshot(copy / "out")
    assert cli.main(["--config", str(copy / "config.yaml"), "route"]) == 2
    err = capsys.readouterr().err
    assert all(n in err for n in needles), err
    assert snapshot(copy / "out") == before


@pytest.mark.parametrize(
    "extra, needle",
    [
        ("export: {geojson_decimal: 3}\n", "export.geojson_decimal"),
        ("sites: {ila_site_usd: -1}\n", "sites.ila_site_usd"),
        ("score: {fiber_group_index: many}\n", "score.fiber_group_index"),
    ],
)
def test_invalid_config_values(copy, capsys, extra, needle):
    run_fails(copy, "export", capsys, needle, "config.yaml", extra=extra)


def test_a_checksum_mismatch(copy, capsys):
    path = copy / "raw" / "water/ne_10m_rivers_lake_centerlines.geojson.zip"
    path.write_bytes(path.read_bytes() + b"tampered")
    run_fails(copy, "ingest", capsys, "ne_10m_rivers_lake_centerlines", "sha256", "make fetch")


def test_a_dataset_missing_from_raw_and_mirror(copy, capsys, tmp_path):
    (copy / "raw" / "places/ne_10m_ports.geojson.zip").unlink()
    run_fails(copy, "ingest", capsys, "'ports'", "missing", "make fetch")
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    with pytest.raises(fetch.MissingDatasetError, match="ne_10m_ports.*naciscdn.*mirror"):
        fetch.fetch_all(
            {"ports": sources.manifest()["ports"]}, tmp_path / "r", mirror, timeout_s=1, lock={}
        )


def test_a_full_disk(copy, capsys, monkeypatch):
    def no_space(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(io.os, "replace", no_space)
    run_fails(copy, "export", capsys, "No space left on device", "free disk space")
    assert not list((copy / "out").rglob("*.tmp.*"))


def test_an_unwritable_output_folder(copy, capsys):
    blocker = copy / "not_a_folder"
    blocker.write_text("a file where the output folder should be")
    cfg = copy / "config.yaml"
    cfg.write_text(world.CONFIG.format(raw=copy / "raw", out=blocker / "out"))
    assert cli.main(["--config", str(cfg), "ingest"]) == 2
    err = capsys.readouterr().err
    assert "not_a_folder" in err and "writable" in err


def _cli(cfg: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", "--config", str(cfg), *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_builds_at_once_wait_for_each_other(copy):
    cfg = world.write_config(copy)
    before = snapshot(copy / "out")
    with open(copy / "out" / ".build.lock", "a+") as held:
        import fcntl

        fcntl.flock(held, fcntl.LOCK_EX)
        second = _cli(cfg, "export")
        time.sleep(3.0)
        assert second.poll() is None, "the second build did not wait"
        assert snapshot(copy / "out") == before
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert "another build is running here; waiting" in err


def test_a_build_that_waits_too_long_fails_cleanly(copy):
    cfg = world.write_config(copy)
    with open(copy / "out" / ".build.lock", "a+") as held:
        import fcntl

        fcntl.flock(held, fcntl.LOCK_EX)
        proc = _cli(cfg, "export", env={"PIPELINE_LOCK_TIMEOUT_S": "1"})
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and "another build has held the lock" in err


# --- faults ---------------------------------------------------------------------------------


def gpkg_ok(path: Path) -> bool:
    with sqlite3.connect(path) as con:
        return con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def layer_digest(path: Path) -> dict[str, str]:
    """Content of every layer: attributes and WKB geometry, hashed."""
    out = {}
    for name, _ in pyogrio.list_layers(path):
        df = pyogrio.read_dataframe(path, layer=name)
        geom = b"".join(g.wkb for g in df.geometry) if "geometry" in df else b""
        attrs = df.drop(columns="geometry", errors="ignore").to_csv(index=False).encode()
        out[name] = hashlib.sha256(attrs + geom).hexdigest()
    return out


def test_killed_exports_leave_the_previous_outputs_intact(copy):
    cfg = world.write_config(copy)
    corridor = copy / "out" / "corridor.gpkg"
    good = layer_digest(corridor)
    geojson = snapshot(copy / "out" / "geojson")
    rng = random.Random(7)
    for _ in range(6):
        proc = _cli(cfg, "export")
        time.sleep(rng.uniform(1.0, 3.5))  # imports take about 1 s, the writes follow
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert gpkg_ok(corridor) and layer_digest(corridor) == good
        for name, digest in snapshot(copy / "out" / "geojson").items():
            if not name.count(".tmp."):
                assert digest == geojson[name]
    proc = _cli(cfg, "export")
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert layer_digest(corridor) == good
    assert not list((copy / "out").rglob("*.tmp.*"))


# --- determinism ----------------------------------------------------------------------------


def test_two_builds_give_identical_outputs(baseline, tmp_path):
    other = tmp_path / "again"
    cfg = world.build(other)
    assert cli.main(["--config", str(cfg), "all"]) == 0
    for name in ("corridor.gpkg", "uncertainty.gpkg"):
        assert layer_digest(baseline / "out" / name) == layer_digest(other / "out" / name)
    for tif in ("cost/unit_cost_usd_per_km.tif", "route_frequency.tif", "dem_m.tif"):
        a = io.read_raster(baseline / "out" / tif)[0]
        b = io.read_raster(other / "out" / tif)[0]
        assert ((a == b) | ((a != a) & (b != b))).all(), tif


def test_optional_datasets_skipped_by_fetch_leave_empty_layers(copy, caplog):
    lock_path = copy / "raw" / sources.LOCK_NAME
    lock = io.read_json(lock_path)
    for key in ("landcover", "protected_areas", "roads_osm"):
        for sf in sources.manifest()[key].files:  # each of a dataset's files (two east of 76°E)
            lock["files"][sf.mirror] = {
                "dataset": key,
                "source": "skipped",
                "origin": sf.where(),
                "local": None,
                "reason": "no direct download",
            }
    io.write_json(lock_path, lock)
    assert cli.main(["--config", str(copy / "config.yaml"), "ingest"]) == 0
    out = copy / "out"
    assert pyogrio.read_info(out / "ingest.gpkg", layer="protected_areas")["features"] == 0
    roads = pyogrio.read_dataframe(out / "ingest.gpkg", layer="roads")
    assert "osm_2021" not in set(roads["source"]) and "naturalearth" in set(roads["source"])
    cover, _ = io.read_raster(out / "landcover_igbp.tif")
    assert (cover == 255).all()
    assert "skipped by fetch" in caplog.text


def test_land_cover_and_the_detailed_rights_of_way_reach_the_grid(baseline):
    out = baseline / "out"
    cover, _ = io.read_raster(out / "landcover_igbp.tif")
    assert {10, 16, 12} <= set(cover.ravel().tolist())
    roads = pyogrio.read_dataframe(out / "ingest.gpkg", layer="roads")
    # tertiary roads and ramps are not kept; a road under construction is, for the option
    assert set(roads["class"]) == {"major", "primary", "trunk", "trunk_construction"}
    rails = pyogrio.read_dataframe(out / "ingest.gpkg", layer="railways")
    assert {"rail", "construction"} <= set(rails["fclass"])
    assert "rzd_generalized" in set(rails["source"])
    world_cables = pyogrio.read_dataframe(out / "ingest.gpkg", layer="world_cables")
    assert world_cables.crs == "EPSG:4326"
    assert set(world_cables["landing_ids"]) == {"south-iran,coast-iran", "south-iran,hub-oman"}
