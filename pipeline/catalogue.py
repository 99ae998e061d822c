"""The contract between stages, declared once: each stage's files and config sections.

The CLI hands each stage's ``run`` only its declared files (``StageFiles``), so a stage cannot
read a file it does not declare; the Makefile's rules are generated from the same declarations
(``python -m pipeline.catalogue``), so ``make`` knows every output and every input of every
stage. Paths are relative to the raw folder (``raw:``) or the processed folder.

Only the standard library is used here: make runs this module to write its rules.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent

COST_RASTERS = {
    "slope_deg": "Terrain slope, degrees (Horn 1981, ground distances)",
    "terrain_mult": "Terrain class multiplier (flat 1, hilly, mountain)",
    "row_distance_km": "Ground distance to the nearest railway, road or pipeline, km (capped)",
    "urban": "1 inside a settlement's urban area",
    "water_class": "0 land, 1 lake, 2 sea, 255 outside the area of interest",
    "country_id": "Country index (see the country_codes tag), 0 none",
    "water_body": "Connected water body id (see the water_bodies tag), 0 land",
    "river_cells": "1 where a river crosses the cell",
    "inv_scale": "Ground metres per CRS metre (1/k of the conformal projection)",
    "unit_cost_usd_per_km": "Build cost rate, USD per km of cable (reported cost)",
    "steer_cost_usd_per_km": "Routing cost rate, USD per km (unit cost + river crossings)",
    "gateway_id": "Border gateway (gateway_id in gateways.gpkg) the cell belongs to, 0 none",
    "row_classes": "Rights-of-way within the co-location distance, as bits: 1 railway, "
    "2 primary-or-better road, 4 pipeline, 8 other road",
    "landcover_mult": "Land cover multiplier of the cost book (MODIS IGBP class)",
    "protected_area": "Protected area id (see the protected_areas tag: name and kind), 0 none",
    "fault_cells": "1 where an active fault priced as a crossing runs through the cell",
    "major_row_km": "Ground distance to the nearest railway or primary-or-better road, km "
    "(capped at 20)",
}
"""The cost stage's rasters, ``cost/<name>.tif``, and their band descriptions."""
EXPORT_LAYERS = (
    "routes",
    "route_segments",
    "sites",
    "crossings",
    "fault_crossings",
    "endpoints",
    "landing_points",
    "shared_risk_segments",
    "shared_risk_points",
    "onward_paths",
    "competitor_paths",
    "hubs",
    "gateways",
    "network_nodes",
    "network_links",
    "network_paths",
)
"""The spatial layers of ``corridor.gpkg``: each comes styled and as ``geojson/<name>.geojson``."""
OFDS_FILES = {
    "ofds/network": "network.json",
    "ofds/nodes": "nodes.geojson",
    "ofds/spans": "spans.geojson",
}
"""The OFDS 0.4 files of the planned networks, in ``ofds/`` (the names ``pipeline.ofds`` writes)."""

FILES: dict[str, str] = {
    "lock": "raw:sources.lock.json",
    "ingest": "ingest.gpkg",
    "dem": "dem_m.tif",
    "bathymetry": "bathymetry_m.tif",
    "landcover": "landcover_igbp.tif",
    **{f"cost/{n}": f"cost/{n}.tif" for n in COST_RASTERS},
    "gateways": "gateways.gpkg",
    "routes": "routes.gpkg",
    "scores": "scores.gpkg",
    "uncertainty": "uncertainty.gpkg",
    "route_frequency": "route_frequency.tif",
    "onward": "onward.gpkg",
    "network": "network.gpkg",
    "corridor": "corridor.gpkg",
    **{f"geojson/{n}": f"geojson/{n}.geojson" for n in EXPORT_LAYERS},
    "geojson/route_book": "geojson/route_book.geojson",
    **{k: f"ofds/{name}" for k, name in OFDS_FILES.items()},
    "routes_csv": "routes.csv",
    "route_book_csv": "route_book.csv",
    "ranking_csv": "ranking_sensitivity.csv",
    "latency_csv": "latency_validation.csv",
    "competitors_csv": "competitors.csv",
    "overlap_csv": "competitor_overlap.csv",
    "cost_style": "cost/unit_cost_usd_per_km.qml",
    "frequency_style": "route_frequency.qml",
    "report": "report/index.html",
    "report_map": "report/map.html",
    "report_map_png": "report/map.png",
    "report_world_png": "report/world.png",
    "report_latency_png": "report/latency.png",
    "report_network_png": "report/network.png",
    "report_routes_csv": "report/routes.csv",
    "report_route_pages": "report/routes/index.html",
    "manifest": "report/manifest.json",
}
"""Every file one stage writes and another reads (or a planner opens), by key."""

_COST = tuple(f"cost/{n}" for n in COST_RASTERS)


@dataclass(frozen=True)
class Stage:
    """One stage: what it does, the files it reads and writes, the config it depends on."""

    help: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    sections: tuple[str, ...]
    assets: tuple[str, ...] = field(default=())  # package files (globs) it reads
    dask: bool = False  # runs Dask work: its ``run`` takes the cluster's address, ``scheduler``


STAGES: dict[str, Stage] = {
    "fetch": Stage(
        "copy the mirror or download the producers' files into data/raw, with checksums",
        (),
        ("lock",),
        ("paths", "fetch"),
        ("sources.yaml",),
    ),
    "ingest": Stage(
        "validate, clip and reproject every dataset onto the analysis grid",
        ("lock",),
        ("ingest", "dem", "bathymetry", "landcover"),
        ("paths", "grid"),
        ("sources.yaml",),
    ),
    "cost": Stage(
        "cost surface in USD per km of cable, and its component rasters (Dask)",
        ("ingest", "dem", "landcover"),
        (*_COST, "gateways"),
        ("paths", "grid", "cost", "gateways"),
        dask=True,
    ),
    "route": Stage(
        "least-cost routes per scenario, origin and landing station (Dask)",
        ("ingest", "landcover", "gateways", *_COST),
        ("routes",),
        ("paths", "grid", "cost", "route"),
        dask=True,
    ),
    "score": Stage(
        "length, cost, latency, countries, crossings, segments, sites per route",
        ("ingest", "dem", "landcover", "routes", "gateways", *_COST),
        ("scores",),
        ("paths", "grid", "cost", "route", "score", "sites"),
    ),
    "uncertainty": Stage(
        "Monte Carlo P10/P50/P90 costs, route frequency, ranking and sensitivity",
        ("ingest", "landcover", "gateways", "routes", "scores", *_COST),
        ("uncertainty", "route_frequency"),
        ("paths", "grid", "cost", "route", "score", "sites", "uncertainty"),
        dask=True,
    ),
    "onward": Stage(
        "end-to-end paths to the world's hubs over the submarine cables, vs today's",
        ("ingest", "scores"),
        ("onward",),
        ("paths", "route", "score", "onward"),
    ),
    "network": Stage(
        "one survivable network per plan: working tree, protection, cost, cuts (Dask)",
        ("ingest", "landcover", "gateways", "scores", "onward", *_COST),
        ("network",),
        ("paths", "grid", "cost", "route", "score", "sites", "uncertainty", "onward", "network"),
        dask=True,
    ),
    "export": Stage(
        "corridor.gpkg (styled, with a QGIS project), RFC 7946 GeoJSON and OFDS for planners",
        ("ingest", "gateways", "scores", "uncertainty", "onward", "network"),
        (
            "corridor",
            *(f"geojson/{n}" for n in EXPORT_LAYERS),
            "geojson/route_book",
            *OFDS_FILES,
            "routes_csv",
            "route_book_csv",
            "ranking_csv",
            "latency_csv",
            "competitors_csv",
            "overlap_csv",
            "cost_style",
            "frequency_style",
        ),
        ("paths", "route", "onward", "export"),
        ("qgis/*",),
    ),
    "report": Stage(
        "report/index.html: network plan, maps, profiles, tables, sources; manifest, changes",
        (
            "lock",
            "ingest",
            "dem",
            "routes",
            "corridor",
            "network",
            "geojson/route_book",
            "cost/inv_scale",
        ),
        (
            "report",
            "report_map",
            "report_map_png",
            "report_world_png",
            "report_latency_png",
            "report_network_png",
            "report_routes_csv",
            "report_route_pages",
            "manifest",
        ),
        (
            "paths",
            "fetch",
            "grid",
            "cost",
            "route",
            "score",
            "sites",
            "uncertainty",
            "onward",
            "network",
            "export",
        ),
        ("web/*", "vendor/leaflet/*", "vendor/leaflet/images/*", "sources.yaml"),
    ),
}
"""The stages in build order. ``sections`` are the config sections whose values change the
stage's outputs; settings that change only how or where the work runs (``dask``) are in none."""


def relpath(key: str) -> tuple[str, str]:
    """(root, path) of a file key: root ``raw`` or ``processed``."""
    path = FILES[key]
    return ("raw", path[4:]) if path.startswith("raw:") else ("processed", path)


@dataclass(frozen=True)
class StageFiles:
    """The files one stage may read and write, resolved to paths."""

    stage: str
    paths: dict[str, Path]

    def __getitem__(self, key: str) -> Path:
        try:
            return self.paths[key]
        except KeyError:
            raise KeyError(
                f"stage {self.stage!r} does not declare the file {key!r}; declare it in "
                "pipeline/catalogue.py (STAGES) so make rebuilds it when it changes"
            ) from None


def stage_files(stage: str, raw_dir: Path, processed_dir: Path) -> StageFiles:
    """The declared files of ``stage`` under the given folders."""
    s = STAGES[stage]
    roots = {"raw": Path(raw_dir), "processed": Path(processed_dir)}
    paths = {}
    for key in (*s.inputs, *s.outputs):
        root, rel = relpath(key)
        paths[key] = roots[root] / rel
    return StageFiles(stage, paths)


def code_files(stage: str) -> list[str]:
    """The package's modules a stage runs: its own and every one it imports, transitively."""
    seen: set[str] = set()
    todo = [stage, "cli", "__main__"]
    while todo:
        mod = todo.pop()
        if mod in seen or not (PACKAGE / f"{mod}.py").exists():
            continue
        seen.add(mod)
        tree = ast.parse((PACKAGE / f"{mod}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                todo += [node.module] if node.module else [a.name for a in node.names]
    return sorted(f"{mod}.py" for mod in seen)


def makefile_rules(raw: str = "$(RAW)", out: str = "$(OUT)", pkg: str = "pipeline") -> str:
    """Make rules for every stage: all outputs as one grouped target, every input a prerequisite.

    The raw files are not listed here: the fetch stage verifies them against the lock on
    every read, and ``make`` runs fetch whenever the lock is missing.

    The outputs are ``.PRECIOUS``: the stages write atomically, so a stage that fails or is
    interrupted leaves them as they were, and make must not delete them (on an error or a
    signal, make 4.3 deletes every target of the group but the one it was building, changed or
    not). Make checks only the outputs something asks for, and the stage may have replaced those
    before it stopped: the recipe leaves ``<out>/.make/<stage>.running`` until the stage
    succeeds, and while that file is there the next make runs the stage again.
    """
    roots = {"raw": raw, "processed": out}

    def path(key: str) -> str:
        root, rel = relpath(key)
        return f"{roots[root]}/{rel}"

    lines = ["# Generated from pipeline/catalogue.py by `python -m pipeline.catalogue`.", ""]
    for name, s in STAGES.items():
        targets = " ".join(path(k) for k in s.outputs)
        code = [f"{pkg}/{f}" for f in code_files(name)]
        assets = [f"$(wildcard {pkg}/{a})" for a in s.assets]
        prereqs = [path(k) for k in s.inputs] + code + assets + [f"$(SLICES)/{name}.json"]
        running = f"{out}/.make/{name}.running"
        prereqs.append(f"$(if $(wildcard {running}),FORCE)")
        lines += [
            f"{name.upper()}_OUT := {targets}",
            f"{name}: $({name.upper()}_OUT) ## {STAGES[name].help}",
            f".PRECIOUS: $({name.upper()}_OUT)",
            f"$({name.upper()}_OUT) &: {' '.join(prereqs)} | $(STAMP)",
            f"\t@touch {running}",
            f"\t$(PY) -m pipeline $(CFGARG) {name}",
            f"\t@rm -f {running}",
            "",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(makefile_rules())
