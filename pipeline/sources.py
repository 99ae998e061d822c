"""The source manifest and the lock: which files the pipeline reads, and their checksums.

``pipeline/sources.yaml`` lists every dataset (title, licence, attribution) and its files (the
mirror's path, the producer's URL, the pinned sha256). The fetch stage writes the lock,
``data/raw/sources.lock.json``, with the sha256 of every file it fetched; every stage that reads
a raw file gets it through ``local_files``, which verifies it against the lock first.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath

import yaml

from . import catalogue, io
from .errors import ChecksumError, DataError, MissingDatasetError

log = logging.getLogger(__name__)


LOCK_NAME = catalogue.relpath("lock")[1]


@dataclass(frozen=True)
class SourceFile:
    """One file of a dataset: its mirror path, producer URL and pinned checksum."""

    dataset: str
    mirror: str
    sha256: str | None = None
    url: str | None = None
    url_layer: str | None = None
    url_each: str | None = None
    ids_from: str | None = None
    url_parts: tuple[str, ...] = ()
    manual: str | None = None

    def url_name(self) -> str:
        """Local path (under raw/) for a producer download."""
        if self.url_each or self.url_parts:
            return self.mirror
        return str(PurePosixPath(self.mirror).parent / PurePosixPath(self.url).name)

    def where(self) -> str:
        """The producer address, for messages."""
        return self.url or self.url_each or ", ".join(self.url_parts) or "(no producer URL)"


@dataclass(frozen=True)
class Dataset:
    """A dataset of the manifest."""

    key: str
    title: str
    licence: str
    attribution: str
    files: tuple[SourceFile, ...]
    optional: bool = False


def parse_manifest(text: str) -> dict[str, Dataset]:
    """Parse the YAML source manifest into datasets."""
    raw = yaml.safe_load(text)["datasets"]
    out = {}
    for key, d in raw.items():
        files = tuple(
            SourceFile(dataset=key, **{**f, "url_parts": tuple(f.get("url_parts", ()))})
            for f in d["files"]
        )
        out[key] = Dataset(
            key, d["title"], d["licence"], d["attribution"], files, d.get("optional", False)
        )
    return out


def manifest() -> dict[str, Dataset]:
    """The manifest shipped with the package (``pipeline/sources.yaml``)."""
    return parse_manifest(resources.files("pipeline").joinpath("sources.yaml").read_text())


def verify(path: Path, expected: str, what: str) -> None:
    """Refuse a file whose sha256 is not ``expected`` (``what`` pinned it), with the fix."""
    got = io.sha256_file(path)
    if got != expected:
        raise ChecksumError(
            f"{path}: sha256 {got[:16]}… differs from the {what} {expected[:16]}… (a tampered, "
            f"partial or replaced file). Fix: delete {path} and rerun `make fetch`; if it comes "
            "from the mirror, restore the mirror copy."
        )


def read_lock(raw_dir: Path) -> dict:
    """The lock file's entries (empty if there is none yet)."""
    path = raw_dir / LOCK_NAME
    if not path.exists():
        return {}
    try:
        return io.read_json(path)["files"]
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise DataError(
            f"{path}: not a valid lock file ({err}). Delete it and rerun "
            "`make fetch`; every file is then checked again."
        ) from err


def local_files(raw_dir: Path, dataset: str) -> list[tuple[Path, str | None]]:
    """(path, layer) of each fetched file of a dataset, verified against the lock file.

    An optional dataset that fetch skipped (no direct download from its producer) has none.
    """
    lock = read_lock(raw_dir)
    out = []
    for sf in manifest()[dataset].files:
        entry = lock.get(sf.mirror)
        if entry is None:
            raise MissingDatasetError(
                f"dataset {dataset!r}: {sf.mirror} is not in {raw_dir / LOCK_NAME}. Run "
                "`make fetch` (python -m pipeline fetch) first."
            )
        if entry.get("source") == "skipped":
            continue
        path = raw_dir / entry["local"]
        if not path.is_file():
            raise MissingDatasetError(
                f"dataset {dataset!r}: {path} is missing. Rerun `make fetch`."
            )
        verify(path, entry["sha256"], f"lock file's ({LOCK_NAME})")
        out.append((path, entry["layer"]))
    return out
