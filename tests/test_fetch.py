import functools
import hashlib
import http.server
import json
import socket
import threading

import pytest

from pipeline import fetch, sources
from pipeline.errors import ChecksumError, MissingDatasetError


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def served(tmp_path):
    """A local HTTP server on 127.0.0.1 serving a folder of real files."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def manifest_for(base_url: str, dem: bytes, cables: bytes | None = None) -> dict:
    text = f"""
datasets:
  dem:
    title: t
    licence: l
    attribution: a
    files:
      - {{mirror: terrain/tile.tif, sha256: {sha(dem)}, url: "{base_url}/tile.tif"}}
"""
    if cables is not None:
        text += f"""
  cables:
    title: t
    licence: l
    attribution: a
    files:
      - {{mirror: cables/cable-geo.json, url: "{base_url}/cable-geo.json"}}
  details:
    title: t
    licence: l
    attribution: a
    files:
      - mirror: cables/details.json
        url_each: "{base_url}/cable/{{id}}.json"
        ids_from: cables/cable-geo.json
"""
    return sources.parse_manifest(text)


def test_mirror_copy_records_and_verifies_checksums(tmp_path):
    mirror, raw = tmp_path / "mirror", tmp_path / "raw"
    (mirror / "terrain").mkdir(parents=True)
    (mirror / "terrain" / "tile.tif").write_bytes(b"elevation")
    ds = manifest_for("http://unused.invalid", b"elevation")
    lock = fetch.fetch_all(ds, raw, mirror, timeout_s=5, lock={})
    assert lock["terrain/tile.tif"]["sha256"] == sha(b"elevation")
    assert lock["terrain/tile.tif"]["source"] == "mirror"
    assert (raw / "terrain" / "tile.tif").read_bytes() == b"elevation"
    # a later run trusts nothing: a tampered local file is caught against the lock
    (raw / "terrain" / "tile.tif").write_bytes(b"tampered")
    with pytest.raises(ChecksumError, match="tile.tif.*make fetch"):
        fetch.fetch_all(ds, raw, mirror, timeout_s=5, lock=lock)


def test_tampered_mirror_is_refused_before_copying(tmp_path):
    mirror, raw = tmp_path / "mirror", tmp_path / "raw"
    (mirror / "terrain").mkdir(parents=True)
    (mirror / "terrain" / "tile.tif").write_bytes(b"partial")
    with pytest.raises(ChecksumError, match="pinned in pipeline/sources.yaml"):
        fetch.fetch_all(
            manifest_for("http://x.invalid", b"elevation"), raw, mirror, timeout_s=5, lock={}
        )
    assert not (raw / "terrain" / "tile.tif").exists()


def test_missing_dataset_names_dataset_url_and_mirror_path(tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    with pytest.raises(MissingDatasetError) as err:
        fetch.fetch_all(
            manifest_for("http://127.0.0.1:9/x", b"e"),
            tmp_path / "raw",
            mirror,
            timeout_s=5,
            lock={},
        )
    text = str(err.value)
    assert "'dem'" in text and "http://127.0.0.1:9/x/tile.tif" in text
    assert str(mirror / "terrain" / "tile.tif") in text


def test_http_download_from_a_local_server(served, tmp_path):
    root, base = served
    (root / "tile.tif").write_bytes(b"real bytes")
    geo = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": None, "properties": {"slug": s}} for s in ("b", "a")
        ],
    }
    (root / "cable-geo.json").write_text(json.dumps(geo))
    (root / "cable").mkdir()
    for cid in ("a", "b"):
        (root / "cable" / f"{cid}.json").write_text(json.dumps({"id": cid}))
    raw = tmp_path / "raw"
    lock = fetch.fetch_all(
        manifest_for(base, b"real bytes", cables=b""), raw, None, timeout_s=5, lock={}
    )
    assert lock["terrain/tile.tif"]["source"] == "url"
    assert (raw / "terrain" / "tile.tif").read_bytes() == b"real bytes"
    assert json.loads((raw / "cables" / "details.json").read_text()) == [{"id": "a"}, {"id": "b"}]
    assert not list(raw.rglob("*.tmp*"))


def test_http_failure_is_a_missing_dataset(served, tmp_path):
    _, base = served
    with pytest.raises(MissingDatasetError, match="404.*PIPELINE_MIRROR"):
        fetch.fetch_all(manifest_for(base, b"x"), tmp_path / "raw", None, timeout_s=5, lock={})
    assert not (tmp_path / "raw" / "terrain" / "tile.tif").exists()


def test_shipped_manifest_covers_the_mirror(mirror):
    datasets = sources.manifest()
    listed = {f.mirror for d in datasets.values() for f in d.files}
    assert len(listed) == 46
    if mirror is not None:
        sums = dict(
            reversed(line.split()) for line in (mirror / "SHA256SUMS").read_text().splitlines()
        )
        assert listed == set(sums)
        pinned = {f.mirror: f.sha256 for d in datasets.values() for f in d.files}
        assert pinned == sums


def test_an_interrupted_download_leaves_nothing_a_later_run_would_trust(tmp_path):
    class Truncating(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"partial")  # and the connection drops

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Truncating)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    raw = tmp_path / "raw"
    try:
        with pytest.raises(MissingDatasetError, match="tile.tif") as err:
            fetch.fetch_all(manifest_for(base, b"x"), raw, None, timeout_s=5, lock={})
    finally:
        server.shutdown()
        server.server_close()
    # said as a failed transfer, not as a disk that cannot be written
    assert "bytes of 100000" in str(err.value) and "disk space" not in str(err.value)
    assert not (raw / "terrain" / "tile.tif").exists()
    assert not list(raw.rglob("*.tmp*"))
    # a stale temporary file from a killed run is never taken for the real one
    (raw / "terrain").mkdir(parents=True, exist_ok=True)
    (raw / "terrain" / "tile.tmp.tif").write_bytes(b"stale")
    assert sources.read_lock(raw) == {}


def test_an_unreachable_server_is_reported_as_such(tmp_path):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(MissingDatasetError, match="tile.tif") as err:
        fetch.fetch_all(
            manifest_for(f"http://127.0.0.1:{port}", b"x"), tmp_path, None, timeout_s=5, lock={}
        )
    assert "Connection refused" in str(err.value) and "disk space" not in str(err.value)


def test_regional_extracts_are_merged_into_the_mirrors_one_file(served, tmp_path):
    import geopandas as gpd
    import pyogrio
    import shapely

    root, base = served
    for name, x in (("a.gpkg", 50), ("b.gpkg", 51)):
        gdf = gpd.GeoDataFrame(
            {"fclass": ["primary"]}, geometry=[shapely.LineString([(x, 40), (x, 41)])], crs=4326
        )
        gdf.to_file(root / name, layer="gis_osm_roads_free_1", driver="GPKG")
    ds = sources.parse_manifest(f"""
datasets:
  roads:
    title: t
    licence: l
    attribution: a
    files:
      - mirror: infrastructure/roads.gpkg
        url_layer: gis_osm_roads_free_1
        url_parts: ["{base}/a.gpkg", "{base}/b.gpkg"]
""")
    raw = tmp_path / "raw"
    lock = fetch.fetch_all(ds, raw, None, timeout_s=5, lock={})
    entry = lock["infrastructure/roads.gpkg"]
    assert entry["local"] == "infrastructure/roads.gpkg" and entry["layer"] is None
    merged = pyogrio.read_dataframe(raw / "infrastructure" / "roads.gpkg")
    assert list(merged["part"]) == ["a.gpkg", "b.gpkg"]
    assert not (raw / "infrastructure" / "roads.gpkg.parts").exists()


def test_a_dataset_without_direct_download_is_skipped_only_when_optional(tmp_path, caplog):
    text = """
datasets:
  cover:
    title: t
    licence: l
    attribution: a
    optional: {optional}
    files:
      - {{mirror: landcover/c.tif, url: "https://doi.org/x", manual: "log in to get it."}}
"""
    raw = tmp_path / "raw"
    with pytest.raises(MissingDatasetError, match="log in to get it.*PIPELINE_MIRROR"):
        fetch.fetch_all(
            sources.parse_manifest(text.format(optional="false")), raw, None, timeout_s=5, lock={}
        )
    lock = fetch.fetch_all(
        sources.parse_manifest(text.format(optional="true")), raw, None, timeout_s=5, lock={}
    )
    assert lock["landcover/c.tif"]["source"] == "skipped"
    assert "skipped, no direct download" in caplog.text
