"""Report stage: what a planner reads, and what changed since the last build.

Writes ``data/processed/report/``: ``index.html`` (tables of scores, the scenario comparison,
the ranking's sensitivity, the changes, the data sources and the config), ``map.png`` (all
routes over the terrain and borders), ``profiles/<route>.png`` (elevation along each route),
``routes.csv``, and ``manifest.json`` — input checksums, config, code version and each route's
key metrics and geometry hash. When the previous build left a manifest, ``changes.md`` and
``changes.csv`` say which routes are new, removed or moved (and how far), how their metrics
changed, and which input, setting or code caused the rebuild.
"""

from __future__ import annotations

import hashlib
import html
import logging
from importlib import resources
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import shapely  # noqa: E402
import yaml  # noqa: E402

from . import __version__, fetch, io, onward, router, webmap  # noqa: E402
from .config import Config  # noqa: E402
from .export import CORRIDOR_GPKG  # noqa: E402
from .grid import template  # noqa: E402
from .ingest import DEM_TIF, INGEST_GPKG  # noqa: E402
from .score import SCORES_GPKG, route_cells  # noqa: E402

log = logging.getLogger(__name__)

REPORT_DIR = "report"
MANIFEST = "manifest.json"
EXECUTION_ONLY = ("paths.", "fetch.", "dask.")
"""Settings that change where or how fast a build runs, never its results."""
MAP_HTML = "map.html"
MAP_ATTRIBUTION = (
    "Cables © TeleGeography (CC BY-NC-SA 3.0) · railways, roads, border posts © OpenStreetMap"
    " contributors (ODbL) · pipelines © Global Energy Monitor (CC BY 4.0) · Natural Earth ·"
    " GMTED2010 (USGS) · all sources in the report"
)
COLORS = ["#d7301f", "#2171b5", "#238b45", "#6a51a3", "#ff7f00", "#a65628"]


# --- manifest and changes ---------------------------------------------------------------------


def code_version() -> str:
    """The package version and a hash of its source files."""
    h = hashlib.sha256()
    for path in sorted(resources.files("pipeline").iterdir(), key=lambda p: p.name):
        if path.name.endswith((".py", ".yaml")):
            h.update(path.name.encode() + path.read_bytes())
    return f"{__version__}+{h.hexdigest()[:12]}"


def geometry_hash(geom: shapely.Geometry) -> str:
    """A hash of a geometry's coordinates rounded to 1e-6° (so equal routes hash equal)."""
    coords = np.round(np.asarray(shapely.get_coordinates(geom)), 6)
    return hashlib.sha256(coords.tobytes()).hexdigest()[:16]


def manifest(cfg: Config, lock: dict, routes: pd.DataFrame) -> dict:
    """What this build was made from, and what it made."""
    return {
        "code_version": code_version(),
        "config": cfg.model_dump(mode="json"),
        "inputs": {k: v["sha256"] for k, v in sorted(lock.items())},
        "routes": {
            r["route_id"]: {
                "length_km": round(float(r["length_km"]), 3),
                "cost_usd": round(float(r["cost_usd"]), 0),
                "latency_ms": round(float(r["latency_ms"]), 4),
                "geometry_hash": geometry_hash(r.geometry),
                "geometry_wkt": shapely.to_wkt(r.geometry.simplify(0.01), rounding_precision=3),
            }
            for _, r in routes.iterrows()
        },
    }


def _flatten(d: dict, prefix: str = "") -> dict[str, object]:
    out = {}
    for k, v in d.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        out.update(_flatten(v, key) if isinstance(v, dict) else {key: v})
    return out


def moved_km(old_wkt: str, new: shapely.Geometry) -> float:
    """Hausdorff distance between two lon/lat lines, km (local equirectangular scale)."""
    old = shapely.from_wkt(old_wkt)
    lat = np.radians(np.mean(shapely.get_coordinates(new)[:, 1]))

    def scale(g):
        return shapely.transform(g, lambda xy: xy * [111.32 * np.cos(lat), 110.57])

    return float(shapely.hausdorff_distance(scale(old), scale(new.simplify(0.01))))


def changes(old: dict, new: dict, routes: pd.DataFrame) -> tuple[list[str], pd.DataFrame]:
    """Why the build changed (causes) and how each route changed (table)."""
    causes = []
    if old.get("code_version") != new["code_version"]:
        causes.append(f"code: {old.get('code_version')} → {new['code_version']}")
    fo, fn = _flatten(old.get("config", {})), _flatten(new["config"])
    for key in sorted(set(fo) | set(fn)):
        if key.startswith(EXECUTION_ONLY):
            continue
        if fo.get(key) != fn.get(key):
            causes.append(f"setting {key}: {fo.get(key)!r} → {fn.get(key)!r}")
    io_, in_ = old.get("inputs", {}), new["inputs"]
    for key in sorted(set(io_) | set(in_)):
        if io_.get(key) != in_.get(key):
            causes.append(
                f"input {key}: "
                + ("new" if key not in io_ else "removed" if key not in in_ else "changed")
            )
    rows = []
    geoms = dict(zip(routes["route_id"], routes.geometry, strict=True))
    for rid in sorted(set(old.get("routes", {})) | set(new["routes"])):
        o, n = old.get("routes", {}).get(rid), new["routes"].get(rid)
        if o is None or n is None:
            rows.append({"route_id": rid, "change": "new" if o is None else "removed"})
            continue
        row = {
            "route_id": rid,
            "change": "unchanged",
            "d_length_km": n["length_km"] - o["length_km"],
            "d_cost_usd": n["cost_usd"] - o["cost_usd"],
            "d_latency_ms": n["latency_ms"] - o["latency_ms"],
        }
        if o["geometry_hash"] != n["geometry_hash"]:
            row.update(change="moved", moved_km=moved_km(o["geometry_wkt"], geoms[rid]))
        elif any(abs(row[k]) > 1e-9 for k in ("d_length_km", "d_cost_usd", "d_latency_ms")):
            row["change"] = "metrics"
        rows.append(row)
    cols = ["route_id", "change", "moved_km", "d_length_km", "d_cost_usd", "d_latency_ms"]
    return causes, pd.DataFrame(rows).reindex(columns=cols)


def changes_markdown(causes: list[str], table: pd.DataFrame) -> str:
    """A readable account of the changes."""
    lines = ["# What changed since the last build", "", "## Why", ""]
    lines += [f"- {c}" for c in causes] or ["- nothing in the inputs, settings or code"]
    lines += ["", "## Routes", ""]
    changed = table.loc[table["change"] != "unchanged"]
    if changed.empty:
        lines.append("No route changed.")
    for _, r in changed.iterrows():
        if r["change"] in ("new", "removed"):
            lines.append(f"- {r['route_id']}: {r['change']}")
            continue
        moved = f"moved up to {r['moved_km']:.1f} km; " if r["change"] == "moved" else ""
        lines.append(
            f"- {r['route_id']}: {moved}length {r['d_length_km']:+.1f} km, cost "
            f"{r['d_cost_usd'] / 1e6:+.2f} M USD, latency {r['d_latency_ms']:+.3f} ms"
        )
    return "\n".join(lines) + "\n"


# --- figures ------------------------------------------------------------------------------


def route_map(routes, countries, railways, dem, grid, landing, scenarios) -> plt.Figure:
    """All routes over terrain, borders and railways (analysis CRS)."""
    b = grid.transform
    extent = (b.c, b.c + grid.width * b.a, b.f + grid.height * b.e, b.f)
    fig, ax = plt.subplots(figsize=(10, 10))
    ax.imshow(
        np.where(np.isfinite(dem), dem, np.nan),
        extent=extent,
        cmap="Greys",
        vmin=-500,
        vmax=4000,
        alpha=0.7,
    )
    countries.boundary.plot(ax=ax, color="black", linewidth=0.5)
    railways.plot(ax=ax, color="#8c6d31", linewidth=0.3)
    for i, key in enumerate(scenarios):
        sel = routes.loc[routes["scenario"] == key]
        for alt, style in ((1, "-"), (2, "--"), (3, ":")):
            part = sel.loc[sel["alternative"] == alt]
            if not part.empty:
                part.plot(
                    ax=ax,
                    color=COLORS[i % len(COLORS)],
                    linestyle=style,
                    linewidth=2.0 if alt == 1 else 1.0,
                    label=f"{key} #{alt}",
                )
    landing.plot(ax=ax, color="#08519c", marker="*", markersize=60, zorder=5)
    for _, p in landing.iterrows():
        ax.annotate(
            p["name"].split(",")[0],
            (p.geometry.x, p.geometry.y),
            fontsize=7,
            xytext=(3, 3),
            textcoords="offset points",
        )
    x0, y0, x1, y1 = routes.total_bounds
    pad = 0.1 * max(x1 - x0, y1 - y0)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    ax.set_axis_off()
    ax.legend(loc="lower left", fontsize=7, ncol=2)
    ax.set_title("Candidate fiber routes (solid: cheapest; dashed, dotted: diverse alternatives)")
    return fig


def world_map(paths, cables, hubs) -> plt.Figure:
    """The best onward path to each hub over the world's cables (lon/lat)."""
    fig, ax = plt.subplots(figsize=(11, 6.5))
    cables.plot(ax=ax, color="#c6dbef", linewidth=0.4)
    best = onward.best_per_origin_hub(paths)
    for i, (_, p) in enumerate(best.iterrows()):
        ax.plot(*_xy(p.geometry), color=plt.cm.tab10(i % 10), linewidth=1.6, label=p["hub"])
    hubs.plot(ax=ax, color="#08306b", marker="o", markersize=25, zorder=5)
    ax.legend(loc="lower left", fontsize=7)
    for _, h in hubs.drop_duplicates("geometry").iterrows():
        ax.annotate(
            h["name"],
            (h.geometry.x, h.geometry.y),
            fontsize=8,
            xytext=(4, 4),
            textcoords="offset points",
        )
    x0, y0, x1, y1 = paths.total_bounds if not paths.empty else hubs.total_bounds
    ax.set_xlim(min(x0, hubs.total_bounds[0]) - 5, max(x1, hubs.total_bounds[2]) + 5)
    ax.set_ylim(min(y0, hubs.total_bounds[1]) - 5, max(y1, hubs.total_bounds[3]) + 5)
    ax.set_aspect(1.2)
    ax.set_title(
        "Best path to each hub: the land route, then the submarine cables (blue: all "
        "cables in service)",
        fontsize=9,
    )
    return fig


def _xy(geom) -> tuple[list[float], list[float]]:
    """Coordinates of a (multi)line with NaN breaks between parts, for one plot call."""
    xs, ys = [], []
    for g in getattr(geom, "geoms", [geom]):
        x, y = g.xy
        xs += [*x, np.nan]
        ys += [*y, np.nan]
    return xs, ys


def world_table(paths: pd.DataFrame) -> pd.DataFrame:
    """One line per origin and hub: the best station, its cables, and today's path."""
    best = onward.best_per_origin_hub(paths)
    return pd.DataFrame(
        {
            "path": [
                f"{p['origin']} → {p['hub']} via {p['station'].split(',')[0]}"
                f"{' + ' + p['cables'] if p['cables'] else ''} ({p['scenario']})"
                for _, p in best.iterrows()
            ],
            "RTT, ms": best["latency_rt_ms"].to_numpy(),
            "great-circle RTT, ms": 2 * best["great_circle_latency_ms"].to_numpy(),
            "today's RTT, ms": best["incumbent_latency_rt_ms"].to_numpy(),
            "saves RTT, ms": best["saved_rt_ms"].to_numpy(),
            "today passes": best["incumbent_chokepoints"].to_numpy(),
            "avoids": best["avoids"].to_numpy(),
            "cables' RFS years": best["cable_rfs_years"].to_numpy(),
        }
    )


def profile(cells, dem, inv, cell_km, title) -> plt.Figure:
    """Elevation along a route."""
    km = np.concatenate([[0.0], np.cumsum(router.edge_km(cells, inv, cell_km))])
    z = dem[cells[:, 0], cells[:, 1]]
    fig, ax = plt.subplots(figsize=(8, 2.6))
    ax.fill_between(km, np.where(np.isfinite(z), z, 0), color="#bdbdbd")
    ax.plot(km, z, color="#252525", linewidth=0.8)
    ax.set_xlabel("km from origin")
    ax.set_ylabel("elevation, m")
    ax.set_title(title, fontsize=9)
    ax.set_xlim(0, km[-1])
    fig.tight_layout()
    return fig


# --- html -------------------------------------------------------------------------------------


def _table(df: pd.DataFrame) -> str:
    return df.to_html(
        index=False, border=0, classes="t", float_format=lambda v: f"{v:,.1f}", escape=True
    )


def page(
    summary: pd.DataFrame,
    comparison: pd.DataFrame,
    sens: pd.DataFrame,
    change_md: str | None,
    sources: list[dict],
    config_yaml: str,
    profiles: list[str],
    world: pd.DataFrame,
) -> str:
    """The report as one HTML page."""
    src = "".join(
        f"<li>{html.escape(s['dataset'])}: {html.escape(s['attribution'])} "
        f"({html.escape(s['licence'])})</li>"
        for s in sources
    )
    prof = "".join(f'<img src="profiles/{p}" alt="{html.escape(p)}">' for p in profiles)
    changed = (
        f"<pre>{html.escape(change_md)}</pre>"
        if change_md
        else "<p>First build in this folder: nothing to compare.</p>"
    )
    flips = sens.loc[sens["top_changed"]]
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Eurasian fiber corridor — planning report</title>
<style>body{{font-family:sans-serif;max-width:1200px;margin:auto;padding:1em}}
table.t{{border-collapse:collapse;font-size:12px}}table.t td,table.t th{{padding:2px 6px;
border-bottom:1px solid #ddd;text-align:right}}img{{max-width:100%}}</style></head><body>
<h1>Eurasian fiber corridor — planning report</h1>
<p>Least-cost fiber routes from Russia through Central Asia to Iran's cable landing stations.
Costs in USD (P50 of the Monte Carlo, with P10–P90), lengths in km (geodesic), latency in ms
(one way). The GIS layers are in <code>corridor.gpkg</code> (open it in QGIS, or open the
project stored in it); tables in <a href="routes.csv">routes.csv</a>.</p>
<h2>Map</h2><p><a href="map.html">Open the interactive map</a> (works offline: toggle
scenarios and alternatives, click a route for its figures).</p>
<img src="map.png" alt="map of all routes">
<h2>Scenario comparison</h2>{_table(comparison)}
<h2>Routes</h2>{_table(summary)}
<h2>The corridor and the world</h2>
<p>Each hub reached through the best Iranian landing station: the cheapest land route of a
scenario, then the least-latency path over the submarine cables in service (TeleGeography),
against today's path (overland to the incumbent gateway, then by sea). Round-trip propagation
delay in fiber; layer <code>onward_paths</code> of <code>corridor.gpkg</code> has every station,
scenario and hub.</p>
<img src="world.png" alt="map of the onward paths">{_table(world)}
<h2>How robust is the ranking?</h2>
<p>Weights at which the top route of a scenario changes (each weight moved from 0 to 1, the
others in proportion): {len(flips)} of {len(sens)} settings.</p>{_table(flips.head(40))}
<h2>Elevation profiles</h2>{prof}
<h2>What changed since the last build</h2>{changed}
<h2>Data sources and licences</h2><ul>{src}</ul>
<p>Cable data © TeleGeography (CC BY-NC-SA 3.0: these outputs are for non-commercial use);
railways © OpenStreetMap contributors (ODbL); pipelines © Global Energy Monitor (CC BY 4.0).</p>
<h2>Configuration of this build</h2><pre>{html.escape(config_yaml)}</pre>
</body></html>"""


def run(cfg: Config) -> Path:
    """Write the report, the manifest and, against the previous manifest, the changes."""
    out_dir = cfg.paths.processed_dir
    rep = out_dir / REPORT_DIR
    grid = template(cfg.grid)
    routes = io.read_layer(out_dir / SCORES_GPKG, "routes")
    deliver = io.read_layer(out_dir / CORRIDOR_GPKG, "routes")
    sens = io.read_layer(out_dir / CORRIDOR_GPKG, "ranking_sensitivity")
    dem, _ = io.read_raster(out_dir / DEM_TIF, grid)
    inv = io.read_raster(out_dir / "cost" / "inv_scale.tif", grid)[0].astype(np.float64)
    base = {
        n: io.read_layer(out_dir / INGEST_GPKG, n)
        for n in ("countries", "lakes", "railways", "roads", "border_controls")
    }
    marks = {
        n: io.read_layer(out_dir / CORRIDOR_GPKG, n)
        for n in ("crossings", "sites", "landing_points", "hubs", "endpoints", "onward_paths")
    }
    landing = io.read_layer(out_dir / INGEST_GPKG, "landing_points")
    landing = landing.loc[landing["iso_a2"].isin(cfg.route.landing_countries)]
    scenarios = list(cfg.route.scenarios)

    io.write_figure(
        rep / "map.png",
        route_map(routes, base["countries"], base["railways"], dem, grid, landing, scenarios),
    )
    paths = marks["onward_paths"]
    cables = io.read_layer(out_dir / INGEST_GPKG, "world_cables")
    if not cfg.onward.include_planned:
        cables = cables.loc[~cables["is_planned"].astype(bool)]
    io.write_figure(rep / "world.png", world_map(paths, cables, marks["hubs"]))
    io.write_text(
        rep / MAP_HTML,
        webmap.build(
            {**base, **marks, "routes": deliver},
            dem,
            grid,
            {key: COLORS[i % len(COLORS)] for i, key in enumerate(scenarios)},
            MAP_ATTRIBUTION,
        ),
    )
    names = []
    for _, r in routes.iterrows():
        name = r["route_id"].replace(":", "_").replace(">", "_to_").replace("#", "_") + ".png"
        io.write_figure(
            rep / "profiles" / name,
            profile(
                route_cells(r.geometry, grid),
                dem,
                inv,
                grid.cell_m / 1000,
                f"{r['route_id']}: {r['length_km']:,.0f} km, max {r['max_elevation_m']:,.0f} m",
            ),
        )
        names.append(name)

    cols = [
        "route_id",
        "length_km",
        "cost_p50_usd",
        "cost_p10_usd",
        "cost_p90_usd",
        "latency_ms",
        "detour_ratio",
        "countries",
        "n_border_crossings",
        "row_share",
        "n_ila_sites",
        "n_regen_sites",
        "shared_km_max",
        "rank",
        "mcda_rank",
    ]
    summary = deliver[cols].assign(
        **{c: deliver[c] / 1e6 for c in ("cost_p50_usd", "cost_p10_usd", "cost_p90_usd")}
    )
    summary = summary.rename(
        columns={
            "cost_p50_usd": "cost_p50_musd",
            "cost_p10_usd": "cost_p10_musd",
            "cost_p90_usd": "cost_p90_musd",
        }
    )
    comparison = (
        deliver.groupby("scenario", sort=False)
        .apply(
            lambda g: pd.Series(
                {
                    "cheapest route": g.loc[g["cost_p50_usd"].idxmin(), "route_id"],
                    "cheapest P50, M USD": g["cost_p50_usd"].min() / 1e6,
                    "lowest latency, ms": g["latency_ms"].min(),
                    "top by weighted ranking": g.loc[g["mcda_rank"].idxmin(), "route_id"],
                    "routes": len(g),
                }
            ),
            include_groups=False,
        )
        .reset_index()
    )

    lock = fetch.read_lock(cfg.paths.raw_dir)
    new = manifest(cfg, lock, deliver)
    old_path = rep / MANIFEST
    change_md = None
    if old_path.exists():
        causes, table = changes(io.read_json(old_path), new, deliver)
        change_md = changes_markdown(causes, table)
        io.write_text(rep / "changes.md", change_md)
        io.write_csv(rep / "changes.csv", table)
    config_yaml = yaml.safe_dump(new["config"], sort_keys=False, allow_unicode=True)
    sources = [
        {"dataset": d.title, "licence": d.licence, "attribution": d.attribution}
        for d in fetch.manifest().values()
    ]
    io.write_csv(rep / "routes.csv", deliver.drop(columns="geometry"))
    io.write_text(
        rep / "index.html",
        page(
            summary,
            comparison,
            sens,
            change_md,
            sources,
            config_yaml,
            names,
            world_table(paths),
        ),
    )
    io.write_json(old_path, new)
    log.info(
        "report: %s (%d profiles)%s",
        rep / "index.html",
        len(names),
        "; changes in changes.md" if change_md else "",
    )
    return rep / "index.html"
