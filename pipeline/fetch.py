"""Fetch stage: every dataset of the source manifest into ``data/raw/``, with checksums.

With a mirror folder (``PIPELINE_MIRROR`` or ``fetch.mirror_dir``) files are copied from it and
the network is never touched; otherwise they are downloaded from the producers' URLs. Either way
the sha256 of every file goes into ``data/raw/sources.lock.json``; a later run verifies the files
against it and fetches only what is missing. Mirror copies are also checked against the sha256
pinned in the manifest, so a tampered or partial mirror is caught before anything trusts it.
"""

from __future__ import annotations

import http.client
import json
import logging
import urllib.error
import urllib.request
from pathlib import Path, PurePosixPath

from . import io
from .catalogue import StageFiles
from .config import Config
from .errors import MissingDatasetError
from .sources import LOCK_NAME, Dataset, SourceFile, manifest, read_lock, verify

log = logging.getLogger(__name__)


def download(url: str, dest: Path, timeout_s: float) -> None:
    """Download ``url`` to ``dest`` atomically (a broken transfer leaves nothing at ``dest``)."""
    req = urllib.request.Request(url, headers={"User-Agent": "fiber-corridor-pipeline"})
    with urllib.request.urlopen(req, timeout=timeout_s) as resp:
        size = resp.headers.get("Content-Length")
        io.write_stream(dest, resp, None if size is None else int(size), source=url)


def _fetch_each(sf: SourceFile, raw_dir: Path, timeout_s: float) -> Path:
    """Download one JSON per id (TeleGeography's per-cable records) into one JSON array."""
    ids_file = raw_dir / sf.ids_from
    features = io.read_json(ids_file)["features"]
    ids = sorted({f["properties"].get("id") or f["properties"]["slug"] for f in features})
    tmp_dir = raw_dir / (sf.mirror + ".parts")
    records = []
    for cid in ids:
        part = tmp_dir / f"{cid}.json"
        if not part.exists():
            download(sf.url_each.format(id=cid), part, timeout_s)
        records.append(io.read_json(part))
    dest = raw_dir / sf.mirror
    io.write_json(dest, records)
    for p in tmp_dir.glob("*.json"):
        p.unlink()
    tmp_dir.rmdir()
    return dest


def _fetch_parts(sf: SourceFile, raw_dir: Path, timeout_s: float) -> Path:
    """Download each regional extract and merge their ``url_layer`` into one GeoPackage.

    The mirror holds one file per dataset where the producer serves one per region (Geofabrik's
    country and district extracts); the merged file has the mirror's layout and a ``part``
    column naming the extract each feature came from.
    """
    tmp_dir = raw_dir / (sf.mirror + ".parts")
    frames = []
    for url in sf.url_parts:
        part = tmp_dir / PurePosixPath(url).name
        if not part.exists():
            download(url, part, timeout_s)
        gdf = io.read_source_vector(part, sf.url_layer)
        gdf["part"] = PurePosixPath(url).name
        frames.append(gdf)
    dest = raw_dir / sf.mirror
    io.write_gpkg(dest, {PurePosixPath(sf.mirror).stem: io.concat_frames(frames)})
    for p in tmp_dir.iterdir():
        p.unlink()
    tmp_dir.rmdir()
    return dest


def _skip_manual(sf: SourceFile, optional: bool) -> dict:
    """The lock entry of an optional file the producer serves no direct download of."""
    if not optional:
        raise MissingDatasetError(
            f"dataset {sf.dataset!r}: the producer ({sf.where()}) serves no file the pipeline "
            f"can download: {sf.manual} Fix: set PIPELINE_MIRROR to a mirror that holds "
            f"{sf.mirror}."
        )
    log.warning(
        "fetch %s: skipped, no direct download (%s); stages that use it run without it",
        sf.dataset,
        sf.manual,
    )
    return {"source": "skipped", "origin": sf.where(), "local": None, "reason": sf.manual}


def fetch_file(
    sf: SourceFile, raw_dir: Path, mirror: Path | None, *, timeout_s: float, optional: bool = False
) -> dict:
    """Get one file from the mirror or the producer; return its lock entry."""
    if mirror is not None:
        src = mirror / sf.mirror
        if not src.is_file():
            raise MissingDatasetError(
                f"dataset {sf.dataset!r}: {src} is missing from the mirror (producer URL: "
                f"{sf.where()}). Fix: restore the mirror folder, or unset PIPELINE_MIRROR to "
                "download from the producer."
            )
        if sf.sha256:
            verify(src, sf.sha256, "sha256 pinned in pipeline/sources.yaml")
        dest = raw_dir / sf.mirror
        io.copy_file(src, dest)
        return {
            "source": "mirror",
            "origin": str(sf.mirror),
            "local": sf.mirror,
            "layer": None,
            "sha256": io.sha256_file(dest),
            "bytes": dest.stat().st_size,
        }
    if sf.manual:
        return _skip_manual(sf, optional)
    try:
        if sf.url_each:
            dest = _fetch_each(sf, raw_dir, timeout_s)
        elif sf.url_parts:
            dest = _fetch_parts(sf, raw_dir, timeout_s)
        else:
            dest = raw_dir / sf.url_name()
            download(sf.url, dest, timeout_s)
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as err:
        raise MissingDatasetError(
            f"dataset {sf.dataset!r}: download of {sf.where()} failed ({err}), and no mirror "
            "was given. Fix: connect to the internet, or set PIPELINE_MIRROR to a mirror folder "
            f"that holds {sf.mirror}."
        ) from err
    return {
        "source": "url",
        "origin": sf.where(),
        "local": sf.url_name(),
        "layer": None if sf.url_parts else sf.url_layer,
        "sha256": io.sha256_file(dest),
        "bytes": dest.stat().st_size,
    }


def fetch_all(
    datasets: dict[str, Dataset],
    raw_dir: Path,
    mirror: Path | None,
    *,
    timeout_s: float,
    lock: dict,
) -> dict:
    """Fetch every file not already present and matching ``lock``; return the new lock."""
    if mirror is not None and not mirror.is_dir():
        raise MissingDatasetError(
            f"mirror folder {mirror} does not exist. Fix: point PIPELINE_MIRROR (or "
            "fetch.mirror_dir) at the mirror, e.g. ../shared/data, or unset it to download."
        )
    new_lock: dict[str, dict] = {}
    for ds in datasets.values():
        for sf in ds.files:
            entry = lock.get(sf.mirror)
            if entry and entry["local"] and (raw_dir / entry["local"]).is_file():
                verify(raw_dir / entry["local"], entry["sha256"], f"lock file's ({LOCK_NAME})")
                new_lock[sf.mirror] = entry
                continue
            log.info("fetch %s: %s", ds.key, sf.mirror if mirror else sf.where())
            got = fetch_file(sf, raw_dir, mirror, timeout_s=timeout_s, optional=ds.optional)
            new_lock[sf.mirror] = {"dataset": ds.key, **got}
    return new_lock


def run(cfg: Config, files: StageFiles) -> Path:
    """Fetch every dataset not yet present, verify the others; write the lock if it changed.

    ``make`` runs this on every build: a raw file replaced or corrupted since it was fetched
    fails here with the fix, and an unchanged lock keeps its timestamp, so nothing reruns.
    """
    path = files["lock"]
    raw_dir = path.parent
    lock = fetch_all(
        manifest(), raw_dir, cfg.mirror(), timeout_s=cfg.fetch.timeout_s, lock=read_lock(raw_dir)
    )
    text = json.dumps(
        {"comment": "sha256 of every fetched file; verified on every read", "files": lock},
        indent=1,
        sort_keys=True,
    )
    changed = io.write_text_if_changed(path, text + "\n")
    log.info("fetch: %d files in %s verified%s", len(lock), raw_dir, ", lock updated" * changed)
    return path
