"""Every file the pipeline reads or writes goes through here.

Writes are atomic: the data goes to ``name.tmp.<ext>`` beside the target (GDAL picks the driver
from the extension, so it is kept), then ``os.replace`` puts it in place. A failed or killed run
leaves the previous output untouched and at worst a ``*.tmp.*`` file, which the next run
overwrites.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import json
import logging
import mmap
import os
import resource
import shutil
import sqlite3
import tempfile
import time
import urllib.error
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio
import shapely
from pyproj import CRS as ProjCRS
from rasterio.errors import RasterioIOError
from rasterio.windows import Window

from .errors import BuildLockedError, DataError, GridMismatchError, OutputError, PipelineError
from .geometry import valid
from .grid import Grid

log = logging.getLogger(__name__)


NETWORK_ERRORS = (urllib.error.URLError, ConnectionError, TimeoutError)
"""Errors of a transfer, not of the disk: ``atomic_path`` passes them on as they are (they are
OSErrors too, and were reported as "cannot write ... free disk space")."""

WRITER_ERRORS = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError)
"""Errors of GDAL's GeoPackage writer, which a full disk or a file-size limit raises without
saying so ("Failed to commit transaction"); sqlite3 says "disk I/O error" (SQLITE_IOERR or
SQLITE_FULL), and GDAL's raster writer raises an OSError with no errno ("Write failed")."""

NO_ROOM = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
"""The errnos of a write that ran out of room: no space left, over the quota, over the file-size
limit (``ulimit -f``, or the file system's)."""


def no_room(err: BaseException, folder: Path) -> tuple[str, str] | None:
    """(what ran out, the fix) if a write in ``folder`` failed for want of room, else None.

    An OSError says so by its errno; a writer that does not say why (``WRITER_ERRORS``, sqlite3's
    I/O errors, an OSError with no errno) is taken to have run out of room if the disk is all but
    full or a file-size limit is set. Call it before deleting what the failed write left.
    """
    code = err.errno if isinstance(err, OSError) else None
    what = (err.strerror if isinstance(err, OSError) else None) or str(err)
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    sqlite_io = getattr(err, "sqlite_errorname", "").startswith(("SQLITE_IOERR", "SQLITE_FULL"))
    if code is None and (isinstance(err, (OSError, *WRITER_ERRORS)) or sqlite_io):
        with contextlib.suppress(OSError):
            st = os.statvfs(folder)
            if st.f_bavail * st.f_frsize < 1 << 20:
                code, what = errno.ENOSPC, f"{what}; the disk is full"
        if code is None and limit != resource.RLIM_INFINITY:
            code = errno.EFBIG
    if code == errno.EFBIG and limit != resource.RLIM_INFINITY:
        return (
            f"{what}; files may be at most {limit} bytes here, `ulimit -f`",
            "raise the file-size limit (`ulimit -f unlimited`) and run again",
        )
    if code == errno.EFBIG:
        return what, "point paths.processed_dir at a file system that takes larger files"
    if code in (errno.ENOSPC, errno.EDQUOT):
        return what, "free disk space, or point paths.processed_dir at a disk with room"
    return None


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it onto ``target`` only on success.

    An operating-system failure while writing (no space left, no permission, a file where a
    folder should be), or a writer's error for want of room (``no_room``), becomes an
    ``OutputError`` naming the target and the fix; the target is untouched.
    """
    target = Path(target)
    suffix = "".join(target.suffixes[-1:])
    tmp = target.with_name(target.name[: len(target.name) - len(suffix)] + ".tmp" + suffix)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.unlink(missing_ok=True)
        yield tmp
        os.replace(tmp, target)
    except BaseException as err:
        passed_on = isinstance(err, (PipelineError, *NETWORK_ERRORS))
        room = None if passed_on else no_room(err, target.parent)
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        if room is not None:
            raise OutputError(
                f"{target}: cannot write ({room[0]}). The previous version, if any, is "
                f"untouched. Fix: {room[1]}."
            ) from err
        if isinstance(err, OSError) and not passed_on:
            raise OutputError(
                f"{target}: cannot write ({err.strerror or err}). The previous version, if any, "
                "is untouched. Fix: free disk space, or make the folder writable, or point "
                "paths.processed_dir at a writable folder."
            ) from err
        raise


@contextlib.contextmanager
def build_lock(folder: Path, timeout_s: float) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` for a build; wait up to ``timeout_s`` for another.

    Two builds in one output folder would interleave their files; the second waits for the
    first (an advisory ``flock``, released by the kernel even if the holder is killed).
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        f = open(folder / ".build.lock", "a+")  # noqa: SIM115 - held for the whole build
    except OSError as err:
        raise OutputError(
            f"{folder}: cannot create the build lock ({err.strerror or err}). "
            "Fix: make the folder writable, or choose another processed_dir."
        ) from err
    with f:
        deadline = time.monotonic() + timeout_s
        told = False
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise BuildLockedError(
                        f"{folder}: another build has held the lock for {timeout_s:.0f} s. "
                        "Fix: wait for it to finish, or stop it; a killed build releases the "
                        "lock by itself."
                    ) from None
                if not told:
                    log.warning("%s: another build is running here; waiting for it", folder)
                    told = True
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


@contextlib.contextmanager
def scratch_folder(parent: Path, stage: str) -> Iterator[Path]:
    """A folder in ``parent`` for a stage's working files, removed when the stage ends.

    It is in the processed folder on purpose: a Dask cluster's workers see that folder (they
    read the stages' rasters from it), so they can read and write blocks of the files here.
    A killed run may leave ``.scratch-<stage>-*`` behind; it is never read again.
    """
    parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".scratch-{stage}-", dir=parent) as folder:
        yield Path(folder)


class NpyBlocks:
    """A raster in a ``.npy`` file, read and written a block at a time through a memory map.

    It pickles as its path, shape and type, so a Dask task on another process (or machine,
    sharing the folder) reads or writes only its block, instead of the whole array travelling
    with the task graph (measured, the cost stage: with its inputs in a graph of 92 MiB it took
    4.4–5.7 s on two local workers, where its kernels took 0.8 s on threads). Blocks written by
    different tasks do not overlap, so no lock is needed.
    """

    def __init__(self, path: Path, shape: tuple[int, ...], dtype) -> None:
        self.path, self.shape, self.dtype = Path(path), tuple(shape), np.dtype(dtype)
        self.ndim = len(self.shape)

    @classmethod
    def save(cls, path: Path, a: np.ndarray) -> NpyBlocks:
        """Write ``a`` to ``path``."""
        np.save(path, a, allow_pickle=False)
        return cls(path, a.shape, a.dtype)

    @classmethod
    def create(cls, path: Path, shape: tuple[int, ...], dtype) -> NpyBlocks:
        """A new file of ``shape`` (its blocks are written by ``__setitem__``)."""
        np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=shape).flush()
        return cls(path, shape, dtype)

    def read(self) -> np.ndarray:
        """The whole array, memory-mapped (pages come from the file as they are read)."""
        return np.load(self.path, mmap_mode="r")

    def __getitem__(self, key) -> np.ndarray:
        return np.array(self.read()[key])

    def __setitem__(self, key: tuple[slice, slice], value: np.ndarray) -> None:
        """Write a block (a window of whole cells: two slices with step 1) row by row.

        Plain writes, not a writable memory map: a file written and closed is what a shared file
        system promises to show the next reader, with no flush of a whole mapping.
        """
        rows, cols = (k.indices(n) for k, n in zip(key, self.shape, strict=True))
        if rows[2] != 1 or cols[2] != 1:
            raise ValueError(f"{self.path}: blocks are written with steps of 1, not {key}")
        block = np.ascontiguousarray(value, dtype=self.dtype)
        with open(self.path, "r+b") as f:
            start = _npy_data_offset(f)
            row_bytes, item = self.shape[1] * self.dtype.itemsize, self.dtype.itemsize
            for i, r in enumerate(range(rows[0], rows[1])):
                os.pwrite(f.fileno(), block[i].tobytes(), start + r * row_bytes + cols[0] * item)


def _npy_data_offset(f) -> int:
    """Where a ``.npy`` file's data starts (after its header)."""
    fmt = np.lib.format
    if fmt.read_magic(f) == (1, 0):
        fmt.read_array_header_1_0(f)
    else:
        fmt.read_array_header_2_0(f)
    return f.tell()


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def write_stream(dest: Path, stream, expected_bytes: int | None, *, source: str) -> None:
    """Copy a byte stream (a download from ``source``) to ``dest`` atomically.

    A transfer cut short of ``expected_bytes`` raises ``ConnectionError`` and leaves nothing at
    ``dest``.
    """
    with atomic_path(dest) as tmp:
        with open(tmp, "wb") as f:
            shutil.copyfileobj(stream, f, length=1 << 20)
        if expected_bytes is not None and tmp.stat().st_size != expected_bytes:
            raise ConnectionError(f"{source}: got {tmp.stat().st_size} bytes of {expected_bytes}")


def copy_file(src: Path, dest: Path) -> None:
    """Copy ``src`` to ``dest`` atomically."""
    with atomic_path(dest) as tmp:
        shutil.copyfile(src, tmp)


def read_json(path: str | Path) -> object:
    """Parse a JSON file."""
    with open(path) as f:
        return json.load(f)


def write_json(path: str | Path, data: object) -> None:
    """Write JSON atomically, keys sorted, so equal content gives equal bytes."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True, default=str) + "\n")


def write_text_if_changed(path: str | Path, text: str) -> bool:
    """Write ``text`` atomically unless the file already holds it; return whether it wrote."""
    path = Path(path)
    if path.exists() and path.read_text() == text:
        return False
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return True


# --- vectors ------------------------------------------------------------------------------------


def read_source_vector(path: str | Path, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a raw vector dataset (GeoPackage, GeoJSON, zipped shapefile or GeoJSON).

    Raises
    ------
    DataError
        If the file cannot be opened or has no CRS.
    """
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="Several features with id", category=RuntimeWarning
            )
            gdf = pyogrio.read_dataframe(path, layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as err:
        raise DataError(
            f"{path}: cannot read as a vector dataset ({err}). The file is corrupt or not a "
            "GDAL vector format; delete it and rerun `make fetch` to get it again."
        ) from err
    if gdf.crs is None:
        raise DataError(
            f"{path}: the layer has no CRS. Expected a georeferenced layer (the sources are "
            "EPSG:4326). Fix: assign one, e.g. `ogr2ogr -a_srs EPSG:4326 fixed.gpkg "
            f"{Path(path).name}`, and point the manifest at it."
        )
    return gdf


OUTPUT_GEOMETRY = {
    "routes": "LineString",
    "route_segments": "LineString",
    "shared_risk_segments": "LineString",
    "sites": "Point",
    "crossings": "Point",
    "fault_crossings": "Point",
    "endpoints": "Point",
    "landing_points": "Point",
    "shared_risk_points": "Point",
    "onward_paths": "MultiLineString",
    "hubs": "Point",
    "gateways": "Point",
    "network_nodes": "Point",
    "network_links": "LineString",
    "network_paths": "LineString",
    "railway_stations": "Point",
    "border_controls": "Point",
    "faults": "MultiLineString",
    "protected_areas": "MultiPolygon",
}
"""Geometry type of each output layer, declared even when a layer is empty (QGIS needs it)."""


def write_gpkg(
    path: str | Path, layers: dict[str, gpd.GeoDataFrame | pd.DataFrame], extras: dict | None = None
) -> None:
    """Write several layers into one GeoPackage atomically (all layers or none).

    The file is GeoPackage 1.3 (``GPKG_VERSION``) and every geometry is GEOS-valid (repaired or
    dropped, with a logged count). A plain DataFrame (no geometry) becomes an attribute table.
    ``extras`` (from ``styles.gpkg_extras``) adds QGIS default styles, a QGIS project and
    descriptions.
    """
    with atomic_path(path) as tmp:
        for i, (name, df) in enumerate(layers.items()):
            options = {"dataset_options": {"VERSION": GPKG_VERSION}} if i == 0 else {}
            if isinstance(df, gpd.GeoDataFrame):
                df = flat_unless_3d(valid(df, f"{Path(path).name}, layer {name}"))
                if df.empty and name in OUTPUT_GEOMETRY:
                    options["geometry_type"] = OUTPUT_GEOMETRY[name]
            pyogrio.write_dataframe(df, tmp, layer=name, driver="GPKG", **options)
        if extras:
            _store_extras(tmp, extras)


def flat_unless_3d(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The layer in 2D unless every geometry has Z.

    GDAL declares a layer's Z mandatory (``gpkg_geometry_columns.z = 1``) when any geometry has
    Z, and a 2D geometry in such a layer breaks the GeoPackage standard (requirement 19). The
    analysis is 2D; a source that mixes the two (OSM railways) keeps its heights nowhere.
    """
    has_z = gdf.geometry.has_z
    if not has_z.any() or has_z.all():
        return gdf
    return gdf.set_geometry(shapely.force_2d(gdf.geometry.values), crs=gdf.crs)


GPKG_VERSION = "1.3"
"""GeoPackage version written. GDAL 3.8+ writes 1.4 by default, which QGIS 3.22 LTR and GDAL
3.4-3.6 (still common in planning offices) open only with a warning on every layer; nothing
we write needs 1.4."""


FIXED_TIME = "2000-01-01T00:00:00.000Z"
"""Timestamp of the rows we add, so equal builds give equal files."""


def _store_extras(gpkg: Path, extras: dict) -> None:
    """Add ``styles.gpkg_extras`` to a GeoPackage: styles, a QGIS project, descriptions."""
    con = sqlite3.connect(gpkg)
    try:
        _create_extra_tables(con)
        _insert_styles(con, extras["styles"])
        _insert_project(con, extras["project"])
        _insert_descriptions(con, extras["layer_docs"], extras["field_docs"])
        con.commit()
    finally:
        con.close()


def _create_extra_tables(con: sqlite3.Connection) -> None:
    """Create the QGIS style and project tables and the schema extension's; register them."""
    con.executescript("""
            CREATE TABLE layer_styles (
              id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256),
              f_table_schema TEXT(256), f_table_name TEXT(256), f_geometry_column TEXT(256),
              styleName TEXT(30), styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN,
              description TEXT, owner TEXT(30), ui TEXT(30), update_time DATETIME);
            CREATE TABLE qgis_projects (name TEXT PRIMARY KEY, metadata BLOB, content BLOB);
            CREATE TABLE IF NOT EXISTS gpkg_data_columns (
              table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT,
              description TEXT, mime_type TEXT, constraint_name TEXT,
              CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
              CONSTRAINT gdc_tn UNIQUE (table_name, name));
            CREATE TABLE IF NOT EXISTS gpkg_data_column_constraints (
              constraint_name TEXT NOT NULL, constraint_type TEXT NOT NULL, value TEXT,
              min NUMERIC, min_is_inclusive BOOLEAN, max NUMERIC, max_is_inclusive BOOLEAN,
              description TEXT,
              CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value));
    """)
    con.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description,"
        " last_change) VALUES ('layer_styles', 'attributes', 'layer_styles', "
        "'QGIS default styles', ?)",
        (FIXED_TIME,),
    )
    for table in ("gpkg_data_columns", "gpkg_data_column_constraints"):
        con.execute(
            "INSERT OR REPLACE INTO gpkg_extensions (table_name, column_name, "
            "extension_name, definition, scope) VALUES (?, NULL, 'gpkg_schema', "
            "'http://www.geopackage.org/spec/#extension_schema', 'read-write')",
            (table,),
        )


def _insert_styles(con: sqlite3.Connection, styles: dict[str, str]) -> None:
    """Store each layer's QML as its QGIS default style."""
    for name, qml in styles.items():
        con.execute(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, "
            "f_table_name, f_geometry_column, styleName, styleQML, styleSLD, "
            "useAsDefault, description, owner, ui, update_time) VALUES "
            "('', '', ?, 'geom', ?, ?, '', 1, 'default style', '', NULL, ?)",
            (name, name, qml, FIXED_TIME),
        )


def _insert_project(con: sqlite3.Connection, project: tuple[str, str]) -> None:
    """Store the QGIS project (name, content), modified at ``FIXED_TIME`` by the pipeline."""
    name, content = project
    meta = json.dumps(
        {"last_modified_time": FIXED_TIME[:19], "last_modified_user": "fiber-corridor pipeline"}
    )
    con.execute("INSERT INTO qgis_projects VALUES (?, ?, ?)", (name, meta, content))


def _insert_descriptions(
    con: sqlite3.Connection, layer_docs: dict[str, str], field_docs: dict[str, dict[str, str]]
) -> None:
    """Store each layer's description, and each field's with a title made from its name."""
    for table, text in layer_docs.items():
        con.execute(
            "UPDATE gpkg_contents SET description = ?, last_change = ? WHERE table_name = ?",
            (text, FIXED_TIME, table),
        )
    for table, fields in field_docs.items():
        # a column the table lacks (an empty layer written without it) gets no description:
        # the standard requires every described column to exist (requirement 105)
        present = {row[1] for row in con.execute(f'PRAGMA table_info("{table}")')}
        for column, text in fields.items():
            if column not in present:
                continue
            con.execute(
                "INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name,"
                " name, title, description) VALUES (?, ?, ?, ?, ?)",
                (table, column, column, column.replace("_", " "), text),
            )


def concat_frames(frames: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """One GeoDataFrame from several in one CRS (columns missing from some become None)."""
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)


def read_layer(path: str | Path, layer: str) -> gpd.GeoDataFrame:
    """Read one layer of a GeoPackage this pipeline wrote."""
    if not Path(path).exists():
        raise DataError(f"{path}: missing. Run the stage that makes it first (`make`).")
    return pyogrio.read_dataframe(path, layer=layer)


def read_table(path: str | Path, layer: str, *, where: str | None = None) -> pd.DataFrame:
    """Read one attribute table (no geometry) of a GeoPackage this pipeline wrote.

    ``where``: only the rows of this SQL condition.
    """
    if not Path(path).exists():
        raise DataError(f"{path}: missing. Run the stage that makes it first (`make`).")
    return pyogrio.read_dataframe(path, layer=layer, read_geometry=False, where=where)


def modified_date(path: str | Path) -> str:
    """The day ``path`` was last written (its modification time), ISO ``YYYY-MM-DD``, in UTC."""
    try:
        mtime = Path(path).stat().st_mtime
    except FileNotFoundError:
        raise DataError(f"{path}: missing. Run the stage that makes it first (`make`).") from None
    return dt.datetime.fromtimestamp(mtime, dt.UTC).date().isoformat()


def write_text(path: str | Path, text: str) -> None:
    """Write a text file (UTF-8) atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_figure(path: str | Path, fig) -> None:
    """Save a matplotlib figure as PNG atomically, and close it."""
    import matplotlib.pyplot as plt

    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=110, format="png", metadata={"Software": None})
    finally:
        plt.close(fig)


def write_csv(path: str | Path, df: pd.DataFrame) -> None:
    """Write a table as CSV (UTF-8, no index) atomically."""
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False)


# --- rasters ------------------------------------------------------------------------------------


TILE = 256
"""Side of the stages' GeoTIFF tiles, in cells: rasters are written (and copied for mapping) a
row of tiles at a time."""

GTIFF = {
    "driver": "GTiff",
    "tiled": True,
    "blockxsize": TILE,
    "blockysize": TILE,
    "compress": "deflate",
    "num_threads": "all_cpus",  # tiles compressed on every core: same bytes, less waiting
    "bigtiff": "if_safer",  # a fine grid's bands can pass 4 GB: BigTIFF where they might
}
"""How every stage writes its GeoTIFFs (GDAL's creation options)."""


def write_raster(
    path: str | Path,
    array: np.ndarray,
    grid: Grid,
    *,
    nodata: float | int | None = None,
    tags: dict[str, str] | None = None,
    description: str | None = None,
) -> None:
    """Write a single-band tiled, compressed GeoTIFF on the template grid, atomically.

    A row of tiles at a time, so a memory-mapped ``array`` is never resident whole.
    """
    if array.shape != grid.shape:
        raise GridMismatchError(f"{path}: array shape {array.shape} is not the grid's {grid.shape}")
    profile = GTIFF | {
        "width": grid.width,
        "height": grid.height,
        "count": 1,
        "dtype": array.dtype,
        "crs": grid.crs,
        "transform": grid.transform,
        "nodata": nodata,
        "predictor": 3 if np.issubdtype(array.dtype, np.floating) else 2,
    }
    with atomic_path(path) as tmp:
        with rasterio.open(tmp, "w", **profile) as dst:
            for r0 in range(0, grid.height, TILE):  # a row of tiles at a time
                rows = min(TILE, grid.height - r0)
                dst.write(array[r0 : r0 + rows], 1, window=Window(0, r0, grid.width, rows))
                release_pages(array)
            if tags:
                dst.update_tags(**tags)
            if description:
                dst.set_band_description(1, description)


def write_sparse_bands(
    path: str | Path,
    bands: list[tuple[np.ndarray, np.ndarray]],
    grid: Grid,
    *,
    names: list[str],
    description: str,
) -> None:
    """Write a multi-band float32 GeoTIFF on the template grid (one named band each), atomically.

    Each band is sparse: (flat cell indices, sorted; their values), 0 elsewhere. Written a row
    of tiles at a time, so no band is ever held whole.
    """
    profile = GTIFF | {
        "width": grid.width,
        "height": grid.height,
        "count": len(bands),
        "dtype": "float32",
        "crs": grid.crs,
        "transform": grid.transform,
        "predictor": 3,
    }
    with atomic_path(path) as tmp:
        with rasterio.open(tmp, "w", **profile) as dst:
            for r0 in range(0, grid.height, TILE):
                rows = min(TILE, grid.height - r0)
                block = np.zeros((len(bands), rows, grid.width), dtype=np.float32)
                lo, hi = r0 * grid.width, (r0 + rows) * grid.width
                for b, (flat, values) in enumerate(bands):
                    i, j = np.searchsorted(flat, [lo, hi])
                    r, c = np.divmod(flat[i:j] - lo, grid.width)
                    block[b, r, c] = values[i:j]
                dst.write(block, window=Window(0, r0, grid.width, rows))
            dst.update_tags(description=description)
            for i, name in enumerate(names, 1):
                dst.set_band_description(i, name)


def read_raster(path: str | Path, grid: Grid | None = None) -> tuple[np.ndarray, dict[str, str]]:
    """Read band 1 and the tags; with ``grid``, fail loudly unless the raster is on it."""
    try:
        with rasterio.open(path) as src:
            if grid is not None:
                check_on_grid(
                    path, src.crs, src.transform, shape=(src.height, src.width), grid=grid
                )
            return src.read(1), src.tags()
    except RasterioIOError as err:
        raise DataError(
            f"{path}: cannot read the raster ({err}). Delete it and rerun `make` to rebuild it."
        ) from err


MAPPED_FOLDER = ".mapped"
"""Where ``mapped_raster`` keeps its decompressed copies: a folder beside each raster."""

MAPPED_CACHE_MB = 64
"""GDAL's block cache while a copy is written, MB (each tile is read once)."""


def mapped_raster(path: str | Path, grid: Grid, dtype=None) -> np.ndarray:
    """Band 1 of a raster on the template grid as a read-only memory map, cast to ``dtype``.

    The stages' rasters are tiled and compressed, so they cannot be mapped as they are. The
    first reader writes a decompressed copy, a strip at a time, to ``.mapped/<name>.<dtype>.<mtime
    ns>.<size>.npy`` beside the raster (removing older copies of it) and every later
    reader maps that copy: a stage that looks up the cells of its paths touches only their
    pages, and the pages a whole-grid rule touches are the page cache's, which the system takes
    back when it needs the memory, not the stage's own (at 250 m each raster is 311 M cells). A
    rebuilt raster has another mtime, so its copy is written again; ``make clean`` removes them.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as err:
        raise DataError(
            f"{path}: cannot read the raster ({err.strerror}). Rerun `make` to rebuild it."
        ) from err
    with rasterio.Env(GDAL_CACHEMAX=MAPPED_CACHE_MB), open_on_grid(path, grid) as src:
        dt = np.dtype(dtype or src.dtypes[0])
        copy = (
            path.parent
            / MAPPED_FOLDER
            / f"{path.stem}.{dt.name}.{stat.st_mtime_ns}.{stat.st_size}.npy"
        )

        def fill(out: dict[Path, np.ndarray]) -> None:
            for r0 in range(0, src.height, TILE):
                window = Window(0, r0, src.width, min(TILE, src.height - r0))
                out[copy][r0 : r0 + window.height] = src.read(1, window=window)

        try:
            a = mapped_arrays(
                {copy: ((src.height, src.width), dt)},
                fill,
                what=f"the decompressed copy of {src.name}",
            )[copy]
        except RasterioIOError as err:
            raise DataError(
                f"{src.name}: cannot read the raster ({err}). Delete it and rerun `make` to "
                "rebuild it."
            ) from err
    name_dtype = ".".join(copy.name.split(".")[:2])
    drop_copies(copy.parent, f"{name_dtype}.*.npy", keep={copy.name})
    return a


def release_pages(*arrays: np.ndarray) -> None:
    """Hand back the pages this process has touched of each memory-mapped array (others: no-op).

    A file's pages stay in the page cache, which the system reclaims as it needs, but while
    mapped they count in the process's resident memory: a loop over a grid's strips calls this
    after each, so what it has read does not pile up (the next touch maps a page again).
    """
    for a in arrays:
        base = a
        while base is not None and not isinstance(base, mmap.mmap):
            base = getattr(base, "base", None)
        if base is not None:
            base.madvise(mmap.MADV_DONTNEED)


def mapped_from(a: np.ndarray) -> Path | None:
    """The file ``a`` is memory-mapped from (resolved), if it is."""
    base = a
    while base is not None and not isinstance(base, np.memmap):
        base = getattr(base, "base", None)
    return None if base is None or base.filename is None else Path(base.filename).resolve()


def mapped_arrays(
    specs: dict[Path, tuple[tuple[int, ...], np.dtype]],
    fill: Callable[[dict[Path, np.ndarray]], None],
    *,
    what: str,
) -> dict[Path, np.ndarray]:
    """Read-only memory maps of the ``.npy`` files ``specs`` names (shape, dtype each).

    Where one is missing, ``fill`` first writes all of them: it is handed writable maps of
    temporary files, renamed into place when it returns, so a failed or killed writer leaves no
    half-written file. One writer at a time on a machine (an advisory lock beside the first
    file): a process, a cluster's worker, that finds another writing the same files waits for
    them and maps those. Mapped, the arrays' pages are the page cache's: processes that map the
    same files share one copy, and the system takes it back when it needs the memory.
    """
    paths = list(specs)
    folder = paths[0].parent

    def load() -> dict[Path, np.ndarray]:
        # a plain array on the map: np.memmap's Python-level indexing costs twice as much a lookup
        return {p: np.load(p, mmap_mode="r").view(np.ndarray) for p in paths}

    if all(p.exists() for p in paths):
        return load()
    tmps: dict[Path, str] = {}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with machine_lock(folder / f".{paths[0].name}.lock"):
            if all(p.exists() for p in paths):
                return load()
            out = {}
            for p, (shape, dt) in specs.items():
                fd, tmps[p] = tempfile.mkstemp(dir=folder, prefix=f".{p.name}.", suffix=".tmp")
                os.close(fd)
                os.chmod(tmps[p], 0o644)  # as the rasters (mkstemp's files are the owner's alone)
                out[p] = np.lib.format.open_memmap(tmps[p], mode="w+", dtype=dt, shape=shape)
            fill(out)
            for written in out.values():
                written.flush()
            out.clear()  # the writable maps
            for p, tmp in tmps.items():
                os.replace(tmp, p)
    except OSError as err:
        if isinstance(err, RasterioIOError):
            raise
        why, fix = no_room(err, folder) or (
            err.strerror or str(err),
            "make the folder writable, or point paths.processed_dir at a writable folder",
        )
        raise OutputError(
            f"{paths[0]}: cannot write {what} ({why}); its sources are untouched. Fix: {fix}."
        ) from err
    finally:
        for tmp in tmps.values():
            Path(tmp).unlink(missing_ok=True)
    return load()


def drop_copies(folder: Path, pattern: str, *, keep: set[str]) -> None:
    """Remove the files (and their writers' locks) of ``folder`` matching ``pattern`` but ``keep``.

    A process that maps one keeps its pages until it lets go.
    """
    for old in folder.glob(pattern):
        if old.name not in keep:
            old.unlink(missing_ok=True)
            (folder / f".{old.name}.lock").unlink(missing_ok=True)


def lock_file(name: str) -> Path:
    """The file of this machine's lock ``name`` (``machine_lock``), in its temporary folder."""
    return Path(tempfile.gettempdir()) / f"pipeline-{os.getuid()}-{name}.lock"


@contextlib.contextmanager
def machine_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on the file ``path`` (created if need be).

    It excludes every other holder on the machine: threads and processes alike (each takes it
    through its own open file), such as a cluster's workers, which share its memory. The kernel
    releases it if the holder is killed.
    """
    fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the last descriptor releases the lock


@contextlib.contextmanager
def open_on_grid(path: str | Path, grid: Grid):
    """A stage output raster opened for windowed reads, checked against the template grid."""
    try:
        src = rasterio.open(path)
    except RasterioIOError as err:
        raise DataError(
            f"{path}: cannot read the raster ({err}). Delete it and rerun `make` to rebuild it."
        ) from err
    with src:
        check_on_grid(path, src.crs, src.transform, shape=(src.height, src.width), grid=grid)
        yield src


def read_tags(path: str | Path) -> dict[str, str]:
    """A raster's dataset tags, without reading its pixels."""
    try:
        with rasterio.open(path) as src:
            return src.tags()
    except RasterioIOError as err:
        raise DataError(
            f"{path}: cannot read the raster ({err}). Delete it and rerun `make` to rebuild it."
        ) from err


def check_on_grid(path, crs, transform, *, shape, grid: Grid) -> None:
    """Raise unless CRS (``CRS.equals``), transform and shape match the template grid."""
    if crs is None or not ProjCRS.from_wkt(grid.crs.to_wkt()).equals(
        ProjCRS.from_wkt(crs.to_wkt())
    ):
        raise GridMismatchError(
            f"{path}: CRS {crs} is not the analysis CRS {grid.crs}. "
            "Rebuild it from the template grid (rerun `make`)."
        )
    if not transform.almost_equals(grid.transform) or tuple(shape) != grid.shape:
        raise GridMismatchError(
            f"{path}: transform {tuple(transform)[:6]} / shape {tuple(shape)} differ from the "
            f"template grid's {tuple(grid.transform)[:6]} / {grid.shape}. Rebuild it (`make`)."
        )


def open_raster(path: str | Path):
    """Open a raw raster for reading (a rasterio dataset), with a clear error if unreadable."""
    try:
        return rasterio.open(path)
    except RasterioIOError as err:
        raise DataError(
            f"{path}: cannot open the raster ({err}). The file is corrupt or truncated; delete "
            "it and rerun `make fetch`."
        ) from err


# --- the route stage's cells: the contract every later stage reads routes by ----------------


CELLS_LAYER = "route_cells"
"""The layer of ``routes.gpkg`` holding each route's grid cells in order."""


def cells_table(route_ids: list[str], cells: list[np.ndarray]) -> pd.DataFrame:
    """The grid cells of each route in order, one row each: the route stage's contract.

    The route geometry is for display; every later stage reads a route's cells from this
    table (``read_cells``), so simplifying or densifying a line can never change a score.
    """
    n = [len(c) for c in cells]
    stacked = np.vstack(cells) if cells else np.zeros((0, 2), dtype=np.int64)
    return pd.DataFrame(
        {
            "route_id": np.repeat(route_ids, n) if cells else [],
            "seq": np.concatenate([np.arange(k) for k in n]) if cells else [],
            "row": stacked[:, 0].astype(np.int32),
            "col": stacked[:, 1].astype(np.int32),
        }
    )


def _sql_text(text: str) -> str:
    """``text`` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def read_cells(path: Path, route_ids: Iterable[str] | None = None) -> dict[str, np.ndarray]:
    """Each route's cells, (N, 2) row/col in order, from the table ``cells_table`` wrote.

    ``route_ids``: of those routes only (at 250 m reading one route's takes 3 % of the time of
    reading them all).
    """
    where = None
    if route_ids is not None:
        where = "route_id IN ({})".format(", ".join(map(_sql_text, route_ids)) or "NULL")
    table = read_table(path, CELLS_LAYER, where=where)
    table = table.sort_values(["route_id", "seq"], kind="stable")
    return {
        rid: g[["row", "col"]].to_numpy(np.int64)
        for rid, g in table.groupby("route_id", sort=False)
    }
