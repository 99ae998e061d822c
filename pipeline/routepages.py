"""A page per route for the report: its itinerary (the route book), its map and its profile.

Pure functions: a figure and an HTML text from a route's row, its route book (stretches with
their lines, analysis CRS) and the basemap layers; the report stage writes them.
"""

from __future__ import annotations

import html

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import shapely
from matplotlib.collections import LineCollection

FOLLOWS_COLORS = {
    "railway": "#8c2d04",
    "motorway/trunk/primary road": "#e31a1c",
    "secondary road": "#fd8d3c",
    "pipeline": "#6a51a3",
    "cross-country": "#525252",
    "submarine": "#2171b5",
    "drilled crossing": "#238b45",
}
"""Colour of a stretch on a route's map, by what it follows."""
MAJOR_ROADS = ("motorway", "trunk", "primary", "major")
"""Road classes the route maps draw: primary and better (OSM), Natural Earth's major roads."""


def slug(route_id: str) -> str:
    """A route id as a file name."""
    return route_id.replace(":", "_").replace(">", "_to_").replace("#", "_").replace("/", "_")


def cheapest(routes: pd.DataFrame) -> pd.DataFrame:
    """The cheapest route of each scenario, origin and landing station (rank 1)."""
    return routes.loc[routes["rank"] == 1]


BACKDROP_M_PER_PX = 1000.0
"""Ground resolution of the route pages' backdrop, drawn once (a page shows 2,000 km or more
across 900 pixels, so each page pixel takes two or more backdrop pixels)."""


def backdrop(base: dict, dem: np.ndarray, *, grid) -> tuple[np.ndarray, tuple]:
    """The route pages' basemap, drawn once for the whole grid: RGBA, extent (x0, x1, y0, y1).

    Terrain, borders, primary-or-better roads and railways (hundreds of thousands of lines:
    drawn once, not once a page).
    """
    b = grid.transform
    x0, y1 = b.c, b.f
    x1, y0 = x0 + grid.width * b.a, y1 + grid.height * b.e
    w, h = (int(round((x1 - x0) / BACKDROP_M_PER_PX)), int(round((y1 - y0) / BACKDROP_M_PER_PX)))
    fig = plt.figure(figsize=(w / 100, h / 100), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    step = max(1, int(BACKDROP_M_PER_PX // grid.cell_m))  # no finer than the backdrop's pixels
    shown = dem[::step, ::step]  # (matplotlib copies what it shows several times over)
    ax.imshow(shown, extent=(x0, x1, y0, y1), cmap="Greys", vmin=-500, vmax=4000, alpha=0.6)
    roads = base["roads"]
    for geoms, color, width in (
        (base["countries"].boundary, "black", 1.2),
        (roads.loc[roads["class"].isin(MAJOR_ROADS)].geometry, "#fcbba1", 0.9),
        (base["railways"].geometry, "#8c6d31", 0.9),
    ):
        lines(ax, geoms, color=color, linewidth=width)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba()).copy()
    plt.close(fig)
    return rgba, (x0, x1, y0, y1)


def route_map(book: gpd.GeoDataFrame, back: tuple[np.ndarray, tuple]) -> plt.Figure:
    """The route on the backdrop (``backdrop``).

    Each stretch coloured by what it follows; its ends marked and named.
    """
    x0, y0, x1, y1 = book.total_bounds
    pad = 0.08 * max(x1 - x0, y1 - y0) + 20_000.0
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    rgba, (bx0, bx1, by0, by1) = back
    h, w = rgba.shape[:2]
    c0, c1 = (int(np.clip((v - bx0) / (bx1 - bx0) * w, 0, w)) for v in (x0, x1))
    r0, r1 = (int(np.clip((by1 - v) / (by1 - by0) * h, 0, h)) for v in (y1, y0))
    fig, ax = plt.subplots(figsize=(9, 9))
    ax.imshow(
        rgba[r0:r1, c0:c1],
        extent=(
            bx0 + c0 / w * (bx1 - bx0),
            bx0 + c1 / w * (bx1 - bx0),
            by1 - r1 / h * (by1 - by0),
            by1 - r0 / h * (by1 - by0),
        ),
    )
    for follows, color in FOLLOWS_COLORS.items():
        part = book.loc[book["follows"] == follows]
        if not part.empty:
            lines(ax, part.geometry, color=color, linewidth=2.2, label=follows)
    _mark_ends(ax, book)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_axis_off()
    ax.legend(loc="lower left", fontsize=7)
    ax.set_title(str(book["route_id"].iloc[0]), fontsize=10)
    fig.tight_layout()
    return fig


def lines(ax, geoms: gpd.GeoSeries, **style) -> None:
    """Lines as one collection (geopandas' plot redraws the whole figure each call).

    The caller sets the limits: measuring every line's extent took a fifth of the report.
    """
    parts = shapely.get_parts(geoms.to_numpy())
    coll = LineCollection([shapely.get_coordinates(p) for p in parts], **style)
    ax.add_collection(coll, autolim=False)


def _mark_ends(ax, book: gpd.GeoDataFrame) -> None:
    """A dot at every stretch end, labelled with its place (each name once)."""
    seen: set[str] = set()
    ends = [
        (g.coords[0], r["from_place"])
        for g, (_, r) in zip(book.geometry, book.iterrows(), strict=True)
    ]
    ends.append((book.geometry.iloc[-1].coords[-1], book["to_place"].iloc[-1]))
    for k, ((x, y), name) in enumerate(ends):
        ax.plot(x, y, "o", color="white", markeredgecolor="black", markersize=4, zorder=5)
        if name and name not in seen:
            seen.add(name)
            dy = 6 if k % 2 else -12
            ax.annotate(name, (x, y), xytext=(5, dy), textcoords="offset points", fontsize=7)


def itinerary(book: pd.DataFrame) -> pd.DataFrame:
    """The route book as a planner reads it: km, what it follows, from where to where."""

    def place(name, km) -> str:
        if not name:
            return "(no place within reach)"
        return name if not km or not np.isfinite(km) or km < 0.05 else f"{name} ({km:.1f} km off)"

    return pd.DataFrame(
        {
            "#": book["seq"].to_numpy(),
            "km": [
                f"{a:,.1f}–{e:,.1f}" for a, e in zip(book["km_start"], book["km_end"], strict=True)
            ],
            "length, km": book["length_km"].to_numpy(),
            "follows": book["follows"].to_numpy(),
            "from": list(map(place, book["from_place"], book["from_place_km"])),
            "to": list(map(place, book["to_place"], book["to_place_km"])),
            "country": book["country"].to_numpy(),
            "method": book["methods"].to_numpy(),
            "cost, M USD": (book["cost_usd"] / 1e6).to_numpy(),
            "crossings": book["crossings"].to_numpy(),
            "sites": book["sites"].to_numpy(),
        }
    )


_STYLE = """<style>body{font-family:sans-serif;max-width:1200px;margin:auto;padding:1em}
table{border-collapse:collapse;font-size:12px}td,th{padding:2px 6px;border-bottom:1px solid #ddd;
text-align:left;vertical-align:top}img{max-width:100%}</style>"""


def page(route: pd.Series, book: pd.DataFrame, *, map_png: str, profile_png: str) -> str:
    """One route's page: its figures in a sentence, the itinerary, the map and the profile."""
    rid = html.escape(str(route["route_id"]))
    both = (book["from_place"].fillna("") != "") & (book["to_place"].fillna("") != "")
    named = book.loc[both, "length_km"].sum()
    table = itinerary(book).to_html(
        index=False, border=0, float_format=lambda v: f"{v:,.1f}", escape=True
    )
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{rid} — route book</title>{_STYLE}</head><body>
<p><a href="../index.html">Report</a> · <a href="index.html">all route books</a></p>
<h1>{rid}</h1>
<p>{route["length_km"]:,.0f} km from {html.escape(str(route["origin"]))} to
{html.escape(str(route["destination"]))}, {route["cost_usd"] / 1e6:,.1f} M USD,
{route["latency_ms"]:,.1f} ms one way; countries {html.escape(str(route["countries"]))};
borders: {html.escape(str(route["border_crossings"]) or "none")}.
{len(book)} stretches; {named / max(book["length_km"].sum(), 1e-9):.0%} of the length in
stretches named at both ends.</p>
<h2>Itinerary</h2>
<p>Km are geodesic from the origin. A stretch follows a right-of-way within the co-location
distance; interruptions shorter than the configured gap do not split it. Places: the origin,
the gateway at a border, the landing station at the end; else the first and the last place
along the stretch within reach (OSM railway stations along a railway, else stations, border
posts, Natural Earth places, ports, airports; a single place names only its nearer end; an end
with none takes the nearest town within the towns' reach), with its distance off the line. Table
<code>route_book</code> of <code>corridor.gpkg</code>, <code>route_book.csv</code> and
<code>geojson/route_book.geojson</code> hold every route's.</p>
{table}
<h2>Map</h2><img src="{html.escape(map_png)}" alt="map of {rid}">
<h2>Elevation profile</h2><img src="{html.escape(profile_png)}" alt="profile of {rid}">
</body></html>"""


def index(routes: pd.DataFrame) -> str:
    """The list of route pages."""
    items = "".join(
        f'<li><a href="{slug(r)}.html">{html.escape(r)}</a></li>' for r in routes["route_id"]
    )
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Route books</title>{_STYLE}</head><body>
<p><a href="../index.html">Report</a></p><h1>Route books: the cheapest route of each scenario,
origin and landing station</h1><ul>{items}</ul></body></html>"""
