"""Report stage: what a planner reads, and what changed since the last build.

Writes ``data/processed/report/``: ``index.html`` (first the three best routes of each
scenario and origin and why, then the scenario comparison, the network plan (with
``network.png``: one panel per network), the maps, a sortable route table, the onward
paths, what users will measure against public measurements (with ``latency.png``), the
corridor against EPEG and Suez, the ranking's sensitivity, the changes, the data sources and
the config), ``map.png`` (all
routes over the terrain and borders) and ``map_<scenario>.png`` (one per scenario, station
labels kept from colliding), ``map.html`` (the interactive map), ``profiles/<route>.png``
(elevation along each route),
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

from . import (  # noqa: E402
    __version__,
    comparison,
    io,
    netreport,
    routepages,
    router,
    sources,
    webmap,
)
from .cables import best_per_origin_hub  # noqa: E402
from .catalogue import StageFiles  # noqa: E402
from .config import Config  # noqa: E402
from .grid import template  # noqa: E402
from .io import read_cells  # noqa: E402
from .labels import place_labels  # noqa: E402

log = logging.getLogger(__name__)

EXECUTION_ONLY = ("paths.", "fetch.", "dask.")
"""Settings that change where or how fast a build runs, never its results."""
MAP_ATTRIBUTION = (
    "Cables © TeleGeography (CC BY-NC-SA 3.0) · railways, roads, border posts © OpenStreetMap"
    " contributors (ODbL) · pipelines © Global Energy Monitor (CC BY 4.0) · Natural Earth ·"
    " GMTED2010 (USGS) · all sources in the report"
)
MAP_DEM_PX = 2000
"""Terrain drawn at most this many pixels across on a route map (the figure is 1,100 px wide at
110 dpi): a finer grid is decimated for drawing, which matplotlib would otherwise resample at
every draw."""
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


def route_map(routes, base: dict, dem, *, grid, landing, colors: dict, title: str) -> plt.Figure:
    """Routes over terrain, borders and railways (analysis CRS), labels kept apart."""
    b = grid.transform
    step = -(-max(dem.shape) // MAP_DEM_PX)
    shown = dem[::step, ::step]  # each shown cell stands for step × step cells
    h, w = shown.shape[0] * step, shown.shape[1] * step
    extent = (b.c, b.c + w * b.a, b.f + h * b.e, b.f)
    fig, ax = plt.subplots(figsize=(10, 10))
    ax.imshow(
        np.where(np.isfinite(shown), shown, np.nan),
        extent=extent,
        cmap="Greys",
        vmin=-500,
        vmax=4000,
        alpha=0.7,
    )
    routepages.lines(ax, base["countries"].boundary, color="black", linewidth=0.5)
    routepages.lines(ax, base["railways"].geometry, color="#8c6d31", linewidth=0.3)
    for key, color in colors.items():
        sel = routes.loc[routes["scenario"] == key]
        for alt, style in ((1, "-"), (2, "--"), (3, ":")):
            part = sel.loc[sel["alternative"] == alt]
            if not part.empty:
                part.plot(
                    ax=ax,
                    color=color,
                    linestyle=style,
                    linewidth=2.0 if alt == 1 else 1.0,
                    label=f"{key} #{alt}",
                )
    landing.plot(ax=ax, color="#08519c", marker="*", markersize=60, zorder=5)
    x0, y0, x1, y1 = routes.total_bounds
    pad = 0.1 * max(x1 - x0, y1 - y0)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    place_labels(
        ax,
        [(p.geometry.x, p.geometry.y) for _, p in landing.iterrows()],
        [p["name"].split(",")[0] for _, p in landing.iterrows()],
    )
    ax.set_axis_off()
    ax.legend(loc="lower left", fontsize=7, ncol=2)
    ax.set_title(title)
    return fig


def world_map(paths, cables, hubs) -> plt.Figure:
    """The best onward path to each hub over the world's cables (lon/lat)."""
    fig, ax = plt.subplots(figsize=(11, 6.5))
    cables.plot(ax=ax, color="#c6dbef", linewidth=0.4)
    best = best_per_origin_hub(paths)
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


def validation_table(checks: pd.DataFrame, deliver: pd.DataFrame) -> pd.DataFrame:
    """The cheapest route of each scenario and station against each known corridor it runs."""
    first = set(deliver.loc[deliver["alternative"] == 1, "route_id"])
    sel = checks.loc[checks["route_id"].isin(first)]
    if sel.empty:
        return pd.DataFrame(columns=["route", "reference"])
    rows = []
    for (rid, ref), g in sel.groupby(["route_id", "reference"], sort=False):
        row = {"route": rid, "reference": f"{ref}, {g['between'].iloc[0]}"}
        if g["note"].iloc[0]:
            rows.append({**row, "note": g["note"].iloc[0]})
            continue
        for _, c in g.iterrows():
            ok = "✓" if c["agrees"] else "✗"
            row[f"{c['country']}, km"] = (
                f"{c['route_km']:,.0f} ({c['published_low_km']:,.0f}–"
                f"{c['published_high_km']:,.0f}) {ok}"
            )
        row["mean distance from the railway, km"] = f"{g['deviation_km'].iloc[0]:.1f}"
        rows.append(row)
    return pd.DataFrame(rows).fillna("")  # a route not beside the corridor has only a note


def world_table(paths: pd.DataFrame) -> pd.DataFrame:
    """One line per origin and hub: the best station, its cables, and today's path."""
    best = best_per_origin_hub(paths)
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


def profile(cells, dem, inv, *, cell_km, title) -> plt.Figure:
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


def _table(df: pd.DataFrame, sortable: bool = False) -> str:
    return df.to_html(
        index=False,
        border=0,
        classes="t sortable" if sortable else "t",
        float_format=lambda v: f"{v:,.1f}",
        escape=True,
    )


_HEAD_HTML = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Eurasian fiber corridor — planning report</title>
<style>body{font-family:sans-serif;max-width:1200px;margin:auto;padding:1em}
table.t{border-collapse:collapse;font-size:12px}table.t td,table.t th{padding:2px 6px;
border-bottom:1px solid #ddd;text-align:right}table.t td:last-child{text-align:left}
img{max-width:100%}img.half{max-width:49%}table.facts td,table.facts th{text-align:left}
table.num td:last-child{text-align:right}
table.facts td:first-child{color:#444}ul.spof li{margin-bottom:6px}.why{color:#444}
h3{border-top:1px solid #ccc;padding-top:8px}</style></head><body>
<h1>Eurasian fiber corridor — planning report</h1>
<p>Least-cost fiber routes from Russia through Central Asia to Iran's cable landing stations.
Costs in USD (P50 of the Monte Carlo, with P10–P90), lengths in km (geodesic), latency in ms
(one way). The GIS layers are in <code>corridor.gpkg</code> (open it in QGIS, or open the
project stored in it); tables in <a href="routes.csv">routes.csv</a>;
<a href="map.html">the interactive map</a> works offline.</p>
"""
"""The report page's head, title and opening paragraph."""


def _summary_html(tables: dict[str, pd.DataFrame]) -> str:
    """The summary sections: the best routes, the scenario comparison, what was relaxed."""
    head = "Summary: the three best routes of each scenario and origin, and why"
    return f"""<h2>{head}</h2>
<p>Best by the weighted ranking (P50 cost, latency, ground shared with other alternatives,
crossings; weights in <code>uncertainty.weights</code>).</p>{_table(tables["best"])}
<h2>Scenario comparison</h2>{_table(tables["comparison"])}
<h2>What was relaxed</h2>
<p>Routes found only by relaxing a constraint: the separation from the earlier alternatives
(where no set of routes keeps apart), a border crossed away from any gateway, or a protected
area a scenario makes a barrier. {len(tables["relaxed"])} of {len(tables["routes"])} routes.
</p>{_table(tables["relaxed"])}
"""


def _linked(table_html: str, pages: dict[str, str]) -> str:
    """A table's route ids linked to their pages (``pages``: route id → relative path)."""
    for rid, href in pages.items():
        cell = f"<td>{html.escape(rid)}</td>"
        table_html = table_html.replace(cell, f'<td><a href="{href}">{html.escape(rid)}</a></td>')
    return table_html


def _maps_and_routes_html(maps: list[str], routes: pd.DataFrame, pages: dict[str, str]) -> str:
    """The maps section (the overview and one map per scenario) and the sortable route table."""
    scen = "".join(f'<img src="{m}" alt="{html.escape(m)}" class="half">' for m in maps)
    return f"""<h2>Maps</h2><p><a href="map.html">Open the interactive map</a> (toggle scenarios and
alternatives, click a route for its figures).</p>
<img src="map.png" alt="map of all routes">{scen}
<h2>Routes</h2><p>Click a column header to sort. The cheapest route of each scenario, origin and
station links to its route book: the itinerary along named rights-of-way, its map and profile
(<a href="routes/index.html">all route books</a>).</p>{_linked(_table(routes, True), pages)}
"""


def _validation_and_world_html(validation: pd.DataFrame, world: pd.DataFrame) -> str:
    """The sections on known corridors and on the onward paths to the world's hubs."""
    return f"""<h2>Validation against known corridors</h2>
<p>The cheapest route of each scenario and station, between the ends of a known corridor:
its km in each country against the published section lengths (in brackets), and the path
deviation index — the mean distance from the route to the nearest railway (the area between
them over the route's length); a route that does not pass both ends says how far it passes
from them. Table <code>validation</code> of
<code>corridor.gpkg</code> has every route.</p>{_table(validation)}
<h2>The corridor and the world</h2>
<p>Each hub reached through the best Iranian landing station: the cheapest land route of a
scenario, then the least-latency path over the submarine cables in service (TeleGeography),
against today's path (overland to the incumbent gateway, then by sea). Round-trip propagation
delay in fiber; layer <code>onward_paths</code> of <code>corridor.gpkg</code> has every station,
scenario and hub.</p>
<img src="world.png" alt="map of the onward paths">{_table(world, sortable=True)}
"""


def _measured_and_rivals_html(tables: dict[str, pd.DataFrame], sentences: dict) -> str:
    """The sections on what users will measure, and on the routes that already exist."""
    return f"""<h2>What users will measure</h2>
<p>The onward model counts propagation only. Each public measurement below is modelled as
today's path is (overland at great circle × <code>onward.terrestrial_detour_factor</code> to
where it meets the sea, the least-km path over the cables in service, overland to the far end)
and held against the figure measured. A reference stands for a configured origin (and hub) when
its start (end) lies within <code>onward.reference_match_km</code> of it; otherwise it validates
the model alone. {html.escape(sentences["fit"])}</p>
{comparison.sentences_html(sentences["origins"])}
<img src="latency.png" alt="modelled against measured round trips" class="half">
{_table(tables["references"])}
<p>Table <code>latency_validation</code> of <code>corridor.gpkg</code> has every reference, the
fit and every origin and hub.</p>
<h2>The corridor against the routes that exist</h2>
<p>EPEG (Europe–Persia Express Gateway: Russia, Azerbaijan, Iran, then the OMRAN/EPEG cable) is
modelled on the pipeline's own surface as a competitor scenario, and today's path goes by
Suez and the Red Sea. Round trips expected under the fitted overhead (★ the fastest);
ground shared within <code>route.separation_km</code> of the competitor's routes is shared risk,
not diversity.</p>
{comparison.sentences_html(sentences["rivals"])}{_table(tables["competitors"], sortable=True)}
"""


def _robustness_html(sens: pd.DataFrame) -> str:
    """The section on the weights at which a scenario's top route changes."""
    flips = sens.loc[sens["top_changed"]]
    return f"""<h2>How robust is the ranking?</h2>
<p>Weights at which the top route of a scenario changes (each weight moved from 0 to 1, the
others in proportion): {len(flips)} of {len(sens)} settings.</p>{_table(flips.head(40))}
"""


def _closing_html(profiles: list[str], change_md: str | None, config_yaml: str) -> str:
    """The closing sections: profiles, changes, sources, the config; then the page's script."""
    src = "".join(
        f"<li>{html.escape(d.title)}: {html.escape(d.attribution)} ({html.escape(d.licence)})</li>"
        for d in sources.manifest().values()
    )
    prof = "".join(f'<img src="profiles/{p}" alt="{html.escape(p)}">' for p in profiles)
    changed = (
        f"<pre>{html.escape(change_md)}</pre>"
        if change_md
        else "<p>First build in this folder: nothing to compare.</p>"
    )
    script = resources.files("pipeline").joinpath("web", "report.js").read_text()
    return f"""<h2>Elevation profiles</h2>{prof}
<h2>What changed since the last build</h2>{changed}
<h2>Data sources and licences</h2><ul>{src}</ul>
<p>Cable data © TeleGeography (CC BY-NC-SA 3.0: these outputs are for non-commercial use);
railways and roads © OpenStreetMap contributors (ODbL); pipelines © Global Energy Monitor
(CC BY 4.0).</p>
<h2>Configuration of this build</h2><pre>{html.escape(config_yaml)}</pre>
<script>{script}</script>
</body></html>"""


def page(
    tables: dict[str, pd.DataFrame],
    maps: list[str],
    profiles: list[str],
    *,
    change_md: str | None,
    config_yaml: str,
    sentences: dict,
    pages: dict[str, str] | None = None,
    network_html: str = "",
) -> str:
    """The report as one HTML page: the summary, the network plan, then maps, tables, sources."""
    return (
        _HEAD_HTML
        + _summary_html(tables)
        + network_html
        + _maps_and_routes_html(maps, tables["routes"], pages or {})
        + _validation_and_world_html(tables["validation"], tables["world"])
        + _measured_and_rivals_html(tables, sentences)
        + _robustness_html(tables["sensitivity"])
        + _closing_html(profiles, change_md, config_yaml)
    )


def best_routes(routes: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """The ``n`` best routes of each scenario and origin by the weighted ranking, and why.

    Each origin is ranked against its own routes: the uncertainty stage ranks within a
    scenario and origin, and a Moscow route is no alternative to one from Astana.
    """
    rows = []
    for (sc, origin), g in routes.groupby(["scenario", "origin"], sort=False):
        for i, (_, r) in enumerate(
            g.sort_values(["mcda_score", "cost_p50_usd"]).head(n).iterrows()
        ):
            rows.append(
                {
                    "scenario": sc,
                    "origin": origin,
                    "#": i + 1,
                    "route": r["route_id"],
                    "P50, M USD": r["cost_p50_usd"] / 1e6,
                    "km": r["length_km"],
                    "ms (one way)": r["latency_ms"],
                    "why": _why(r, g),
                }
            )
    return pd.DataFrame(rows)


def _why(r: pd.Series, group: pd.DataFrame) -> str:
    """What makes a route stand out among its scenario's routes from the same origin."""
    cheapest, fastest = group["cost_p50_usd"].min(), group["latency_ms"].min()
    parts = [
        "cheapest"
        if r["cost_p50_usd"] == cheapest
        else f"{100 * (r['cost_p50_usd'] / cheapest - 1):.0f} % above the cheapest",
        "lowest latency"
        if r["latency_ms"] == fastest
        else f"+{r['latency_ms'] - fastest:.1f} ms on the fastest",
        f"{100 * r['row_share']:.0f} % on existing railways, roads or pipelines",
        f"{int(r['n_border_crossings'])} border crossings",
        f"{int(r['n_fault_crossings'])} active faults crossed",
        "kept apart from the other alternatives"
        if r["shared_km_max"] == 0
        else f"shares {r['shared_km_max']:.0f} km with another alternative",
    ]
    if r["p_cheapest"] > 0:
        parts.insert(2, f"cheapest in {100 * r['p_cheapest']:.0f} % of cost draws")
    if r["protected_km"] > 0:
        parts.append(f"{r['protected_km']:.0f} km through protected areas")
    return "; ".join(parts)


def route_table(deliver: pd.DataFrame) -> pd.DataFrame:
    """The route table of the report: one row per route, costs in M USD."""
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
        "n_fault_crossings",
        "protected_km",
        "row_share",
        "near_major_row_share",
        "n_ila_sites",
        "n_regen_sites",
        "shared_km_max",
        "rank",
        "mcda_rank",
    ]
    out = deliver[cols].copy()
    for c in ("cost_p50_usd", "cost_p10_usd", "cost_p90_usd"):
        out[c] = out[c] / 1e6
    return out.rename(columns=lambda c: c.replace("_usd", "_musd"))


def scenario_comparison(deliver: pd.DataFrame) -> pd.DataFrame:
    """One row per scenario: its cheapest, fastest and top-ranked routes."""
    return (
        deliver.groupby("scenario", sort=False)
        .apply(
            lambda g: pd.Series(
                {
                    "cheapest route": g.loc[g["cost_p50_usd"].idxmin(), "route_id"],
                    "cheapest P50, M USD": g["cost_p50_usd"].min() / 1e6,
                    "lowest latency, ms": g["latency_ms"].min(),
                    "top by weighted ranking": g.loc[g["mcda_rank"].idxmin(), "route_id"],
                    "pairs apart: first two / all alternatives (greedy)": _pairs_apart(g),
                    "alternatives with no transit country in common": _politically_diverse(g),
                    "routes": len(g),
                }
            ),
            include_groups=False,
        )
        .reset_index()
    )


def _pairs_apart(g: pd.DataFrame) -> str:
    """Origin–station pairs whose first two, and all, alternatives keep apart; and greedy's."""
    pairs = g.sort_values("alternative").groupby(["origin", "destination"])

    def count(col: str) -> str:
        two = int(pairs[col].agg(lambda d: d.iloc[:2].all()).sum())
        return f"{two} / {int(pairs[col].all().sum())}"

    return f"{count('diverse')} of {pairs.ngroups} ({count('diverse_greedy')})"


def relaxed_table(deliver: pd.DataFrame) -> pd.DataFrame:
    """The routes found only by relaxing a constraint: which, where, at what cost."""
    sel = deliver.loc[deliver["relaxed"].fillna("") != ""]
    text = [
        r["relaxed"].replace("(see diversity_note)", f"({r['diversity_note']})")
        for _, r in sel.iterrows()
    ]
    return pd.DataFrame({"route": sel["route_id"], "relaxed: which, where, cost": text})


def _politically_diverse(g: pd.DataFrame) -> str:
    """Pairs of alternatives (of one origin and station) that share no transit country."""
    pairs = []
    for (origin, station), alts in g.groupby(["origin", "destination"]):
        transit = {
            r["alternative"]: {p.rsplit(" ", 1)[0] for p in r["transit_km"].split("; ") if p}
            for _, r in alts.iterrows()
        }
        for a in sorted(transit):
            for b in sorted(transit):
                if a < b and transit[a] and transit[b] and not transit[a] & transit[b]:
                    pairs.append(f"{origin}>{station.split(',')[0]} #{a}/#{b}")
    return ", ".join(pairs) or "none: every pair shares a transit country"


MAP_LAYERS = (
    "crossings",
    "sites",
    "landing_points",
    "hubs",
    "endpoints",
    "onward_paths",
    "gateways",
)
"""The deliverable layers the maps draw besides the routes."""


def _maps(
    cfg: Config, files: StageFiles, grid, *, dem: np.ndarray, deliver, marks: dict, colors
) -> list[str]:
    """The overview map, one map per scenario, the world map and the interactive map."""
    rep = files["report"].parent
    base = marks["base"]
    routes = deliver.to_crs(grid.crs.to_wkt())
    landing = io.read_layer(files["ingest"], "landing_points")
    landing = landing.loc[landing["iso_a2"].isin(cfg.route.landing_countries)]
    title = "Candidate fiber routes (solid: cheapest; dashed, dotted: diverse alternatives)"
    io.write_figure(
        files["report_map_png"],
        route_map(routes, base, dem, grid=grid, landing=landing, colors=colors, title=title),
    )
    names = []
    for key, color in colors.items():
        sel = routes.loc[routes["scenario"] == key]
        if sel.empty:
            continue
        names.append(f"map_{routepages.slug(key)}.png")
        description = cfg.route.scenarios[key].description or key
        io.write_figure(
            rep / names[-1],
            route_map(
                sel,
                base,
                dem,
                grid=grid,
                landing=landing,
                colors={key: color},
                title=f"{key}: {description}",
            ),
        )
    cables = io.read_layer(files["ingest"], "world_cables")
    if not cfg.onward.include_planned:
        cables = cables.loc[~cables["is_planned"].astype(bool)]
    io.write_figure(
        files["report_world_png"], world_map(marks["onward_paths"], cables, marks["hubs"])
    )
    io.write_text(
        files["report_map"],
        webmap.build(
            {**base, **marks, "routes": deliver},
            dem,
            grid,
            scenario_colors=colors,
            attribution=MAP_ATTRIBUTION,
        ),
    )
    return names


def _profiles(files: StageFiles, grid, dem: np.ndarray, *, routes: pd.DataFrame) -> list[str]:
    """One elevation profile per route; returns the file names."""
    rep = files["report"].parent
    inv = io.mapped_raster(files["cost/inv_scale"], grid, np.float64)
    cells = read_cells(files["routes"])
    names = []
    for _, r in routes.iterrows():
        names.append(routepages.slug(r["route_id"]) + ".png")
        title = f"{r['route_id']}: {r['length_km']:,.0f} km, max {r['max_elevation_m']:,.0f} m"
        io.write_figure(
            rep / "profiles" / names[-1],
            profile(cells[r["route_id"]], dem, inv, cell_km=grid.cell_m / 1000, title=title),
        )
    return names


def _route_pages(files: StageFiles, grid, *, dem: np.ndarray, deliver, base: dict) -> dict:
    """A page per cheapest route (its itinerary, map and profile) and their index.

    Returns route id → the page's path relative to the report.
    """
    folder = files["report_route_pages"].parent
    book = io.read_layer(files["geojson/route_book"], None).to_crs(grid.crs.to_wkt())
    base = {k: v.to_crs(grid.crs.to_wkt()) for k, v in base.items()}
    chosen = routepages.cheapest(deliver)
    back = routepages.backdrop(base, dem, grid=grid)
    pages = {}
    for _, r in chosen.iterrows():
        name = routepages.slug(r["route_id"])
        mine = book.loc[book["route_id"] == r["route_id"]].sort_values("seq")
        io.write_figure(folder / f"{name}.png", routepages.route_map(mine, back))
        io.write_text(
            folder / f"{name}.html",
            routepages.page(
                r,
                mine,
                map_png=f"{name}.png",
                profile_png=f"../profiles/{routepages.slug(r['route_id'])}.png",
            ),
        )
        pages[r["route_id"]] = f"routes/{name}.html"
    io.write_text(files["report_route_pages"], routepages.index(chosen))
    return pages


def _changes(files: StageFiles, new: dict, deliver: pd.DataFrame) -> str | None:
    """Against the previous build's manifest: write changes.md and .csv; their text."""
    old_path = files["manifest"]
    if not old_path.exists():
        return None
    causes, table = changes(io.read_json(old_path), new, deliver)
    text = changes_markdown(causes, table)
    io.write_text(old_path.parent / "changes.md", text)
    io.write_csv(old_path.parent / "changes.csv", table)
    return text


def _measured_and_rivals(files: StageFiles, tables: dict) -> dict:
    """The measurements' and the competitors' sentences for the page.

    Their tables are added to ``tables``, and the scatter of modelled against measured round
    trips is written beside the report.
    """
    tables_of = {
        n: io.read_table(files["corridor"], n)
        for n in ("latency_validation", "competitors", "competitor_overlap")
    }
    tables["references"] = comparison.reference_table(tables_of["latency_validation"])
    tables["competitors"] = comparison.competitor_table(tables_of["competitors"])
    io.write_figure(
        files["report_latency_png"], comparison.latency_scatter(tables_of["latency_validation"])
    )
    return {
        "fit": comparison.fit_sentence(tables_of["latency_validation"]),
        "origins": comparison.origin_sentences(tables_of["latency_validation"]),
        "rivals": comparison.competitor_sentences(
            tables_of["competitors"], tables_of["competitor_overlap"]
        ),
    }


NETWORK_TABLES = ("network_summary", "network_latency", "network_cuts")
"""The network stage's tables the report reads; it draws ``network_links`` and
``network_nodes``."""


def _network(cfg: Config, files: StageFiles, base: dict) -> tuple[str, dict]:
    """The network plan's section and figure (written beside the report).

    Returns the section's HTML and the network layers, for the web map.
    """
    layers = {n: io.read_table(files["network"], n) for n in NETWORK_TABLES}
    for n in ("network_links", "network_nodes"):
        layers[n] = io.read_layer(files["network"], n)
    png = files["report_network_png"]
    io.write_figure(
        png, netreport.network_map(layers["network_links"], layers["network_nodes"], base)
    )
    section = netreport.section_html(layers, figure=png.name, min_landings=cfg.network.min_landings)
    return section, layers


def run(cfg: Config, files: StageFiles) -> Path:
    """Write the report, the manifest and, against the previous manifest, the changes."""
    grid = template(cfg.grid)
    deliver = io.read_layer(files["corridor"], "routes")
    dem = io.mapped_raster(files["dem"], grid)
    colors = {key: COLORS[i % len(COLORS)] for i, key in enumerate(cfg.route.scenarios)}
    marks = {n: io.read_layer(files["corridor"], n) for n in MAP_LAYERS}
    base = {
        n: io.read_layer(files["ingest"], n) for n in ("countries", "lakes", "railways", "roads")
    }
    network_html, network = _network(cfg, files, base)
    maps = _maps(
        cfg,
        files,
        grid,
        dem=dem,
        deliver=deliver,
        marks={**marks, **network, "base": base},
        colors=colors,
    )
    profiles = _profiles(files, grid, dem, routes=deliver)
    pages = _route_pages(files, grid, dem=dem, deliver=deliver, base=base)
    new = manifest(cfg, sources.read_lock(files["lock"].parent), deliver)
    change_md = _changes(files, new, deliver)
    io.write_csv(files["report_routes_csv"], deliver.drop(columns="geometry"))
    ours = deliver.loc[~deliver["scenario"].isin(cfg.route.competitors())]
    tables = {
        "best": best_routes(ours),
        "comparison": scenario_comparison(ours),
        "relaxed": relaxed_table(deliver),
        "routes": route_table(deliver),
        "world": world_table(marks["onward_paths"]),
        "sensitivity": io.read_layer(files["corridor"], "ranking_sensitivity"),
        "validation": validation_table(io.read_layer(files["corridor"], "validation"), deliver),
    }
    sentences = _measured_and_rivals(files, tables)
    config_yaml = yaml.safe_dump(new["config"], sort_keys=False, allow_unicode=True)
    io.write_text(
        files["report"],
        page(
            tables,
            maps,
            profiles,
            change_md=change_md,
            config_yaml=config_yaml,
            sentences=sentences,
            pages=pages,
            network_html=network_html,
        ),
    )
    io.write_json(files["manifest"], new)
    log.info(
        "report: %s (%d scenario maps, %d profiles)%s",
        files["report"],
        len(maps),
        len(profiles),
        "; changes in changes.md" if change_md else "",
    )
    return files["report"]
