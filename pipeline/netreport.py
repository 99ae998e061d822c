"""The report's network plan: its section, its map with one panel per network, its styles.

Reads the network stage's layers as ``network.gpkg`` carries them (``network_summary``,
``network_paths``, ``network_latency``, ``network_cuts``, ``network_links``,
``network_nodes``; analysis CRS) and turns them into each network's totals, its single points
of failure with why, the round trips of its working and protection paths, a summary of the
cuts tested, and a figure. Pure functions: the report stage writes what they return. The
colours of link roles and node kinds are defined here once, for the figure and the web map.
"""

from __future__ import annotations

import html
from urllib.parse import quote

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from .labels import place_labels  # noqa: E402

ROLE_COLORS = {"working": "#e41a1c", "shared": "#984ea3", "protection": "#377eb8"}
"""Colour of a link by its role (the figure and the web map)."""
ROLE_TEXT = {
    "working": "working: on an origin's working path",
    "shared": "shared: working path of some origins, protection of others",
    "protection": "protection: on protection paths only",
}
NODE_STYLES = {
    "origin": {"color": "#ffffff", "marker": "s", "size": 45, "radius": 6, "label": "origin"},
    "landing_station": {
        "color": "#08519c",
        "marker": "*",
        "size": 150,
        "radius": 6,
        "label": "landing station",
    },
    "junction": {"color": "#ffd92f", "marker": "o", "size": 20, "radius": 4, "label": "junction"},
    "gateway": {
        "color": "#e7298a",
        "marker": "D",
        "size": 22,
        "radius": 4,
        "label": "border gateway",
    },
    "ILA": {"color": "#4d9221", "marker": "o", "size": 3, "radius": 2, "label": "amplifier (ILA)"},
    "regen": {"color": "#6a3d9a", "marker": "^", "size": 26, "radius": 4, "label": "regen site"},
}
"""Style of a node by its kind: matplotlib marker and size (points²) in the figure, circle
radius (px) on the web map, and the legend's words. Drawn in this order, the smallest last."""
CUT_KINDS = {
    "link": ("link", "links"),
    "gateway": ("border gateway", "border gateways"),
    "landing_station": ("landing station", "landing stations"),
    "shared_stretch": ("shared stretch", "stretches where an origin's two paths run close"),
    "cable": ("submarine cable", "submarine cables"),
}
"""An element kind of the cut analysis in words: (one, many)."""
SUMMARY_COLUMNS = [
    "network",
    "description",
    "working_scenario",
    "protection_scenario",
    "status",
    "reason",
    "origins",
    "stations",
    "total_km",
    "working_km",
    "protection_km",
    "capex_usd",
    "capex_p10_usd",
    "capex_p50_usd",
    "capex_p90_usd",
    "working_capex_usd",
    "separate_routes_usd",
    "separate_routes_missing",
    "saving_usd",
    "politically_diverse_origins",
    "n_single_points_of_failure",
    "single_points_of_failure",
    "method",
]
"""The columns of ``network_summary``: a network the plan could not build has only some of
them (its status and reason), so the summary is read through this list."""


def _text(v) -> str:
    return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)


def _num(v, digits: int = 0) -> str:
    return "–" if v is None or pd.isna(v) else f"{v:,.{digits}f}"


def _musd(v) -> str:
    """USD as millions with one decimal (the report's unit for costs)."""
    return _num(v / 1e6 if v is not None and pd.notna(v) else None, 1)


def _html(df: pd.DataFrame, index: bool = False, classes: str = "t") -> str:
    return df.to_html(
        index=index,
        border=0,
        classes=classes,
        float_format=lambda v: f"{v:,.1f}",
        na_rep="–",
        escape=True,
    )


# --- tables ------------------------------------------------------------------------------


def stations(nodes: pd.DataFrame, links: pd.DataFrame, *, network: str) -> tuple[list, list]:
    """The landing stations a network's working tree joins, and those only protection reaches.

    Read from the nodes and links, not from the summary's ``stations`` (station names hold
    commas, so a comma-joined list of them cannot be split again).
    """
    st = nodes.loc[(nodes["network"] == network) & (nodes["kind"] == "landing_station"), "name"]
    lk = links.loc[(links["network"] == network) & (links["role"] != "protection")]
    ends = set(lk["from_name"]) | set(lk["to_name"])
    return [s for s in st if s in ends], [s for s in st if s not in ends]


def _totals_of(r: pd.Series, work: list[str], prot: list[str]) -> dict[str, str]:
    """One network's figures in words and numbers, by the row name of the totals table."""
    status = r["status"] if r["status"] == "built" else f"{r['status']}: {_text(r['reason'])}"
    separate = _musd(r["separate_routes_usd"])
    if _text(r["separate_routes_missing"]):
        separate += f" (no route for {r['separate_routes_missing']})"
    p = " / ".join(_musd(r[c]) for c in ("capex_p10_usd", "capex_p50_usd", "capex_p90_usd"))
    return {
        "what": _text(r["description"]),
        "scenario of the working tree / of the protection": (
            f"{r['working_scenario']} / {r['protection_scenario']}"
        ),
        "status": status,
        "origins": _text(r["origins"]),
        "landing stations the working tree joins": "; ".join(work) or "–",
        "landing stations only protection paths reach": "; ".join(prot) or "none",
        "length of all links, km": _num(r["total_km"]),
        "working tree (shared links included), km": _num(r["working_km"]),
        "protection links, km": _num(r["protection_km"]),
        "CAPEX at the cost book's rates, M USD": _musd(r["capex_usd"]),
        "CAPEX P10 / P50 / P90 over the cost draws, M USD": p,
        "working tree CAPEX, M USD": _musd(r["working_capex_usd"]),
        "separate cheapest routes, each origin to each of these stations, M USD": separate,
        "saving: separate routes − working tree, M USD": _musd(r["saving_usd"]),
        "origins whose two paths share no transit country": _text(r["politically_diverse_origins"])
        or "none",
        "single points of failure": _num(r["n_single_points_of_failure"]),
    }


def totals_table(summary: pd.DataFrame, nodes: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """One column per network, one row per figure (units in the row names)."""
    cols = {}
    for _, r in summary.reindex(columns=SUMMARY_COLUMNS).iterrows():
        work, prot = stations(nodes, links, network=r["network"])
        cols[r["network"]] = _totals_of(r, work, prot)
    return pd.DataFrame(cols).rename_axis("").reset_index()


def latency_table(latency: pd.DataFrame, *, network: str) -> pd.DataFrame:
    """Round trips from each origin to each hub on its working and its protection path, ms.

    One row per hub; per origin and path (named by its landing station) the modelled round
    trip and the one the onward stage's measured-overhead fit expects.
    """
    t = latency.loc[latency["network"] == network]
    cols = {}
    for origin in dict.fromkeys(t["origin"]):
        for role in ("working", "protection"):
            part = t.loc[(t["origin"] == origin) & (t["role"] == role)].set_index("hub")
            if part.empty:
                continue
            via = "/".join(dict.fromkeys(s.split(",")[0] for s in part["station"]))
            cols[(origin, f"{role} via {via}", "RT, ms")] = part["rt_ms"]
            cols[(origin, f"{role} via {via}", "expected, ms")] = part["expected_rt_ms"]
    out = pd.DataFrame(cols).rename_axis(None)
    if not out.empty:
        out.columns.names = ["origin", "path", "hub"]  # the last over the hubs' column
    return out


def _worst(g: pd.DataFrame) -> str:
    """The cut of a group that lengthens a round trip most, and its first detail."""
    grew = g["worst_rt_increase_ms"]
    if not (grew > 0).any():
        return ""
    w = g.loc[grew.idxmax()]
    return f"{w['element']}: {_text(w['detail']).split('; ')[0]}"


def cut_table(cuts: pd.DataFrame, *, network: str) -> pd.DataFrame:
    """The cuts tested, by kind of element: how many, how many isolate an origin, the worst.

    A cut after which an origin still reaches a station but no longer a hub
    (``hubs_unreached``) is counted apart and named.
    """
    t = cuts.loc[cuts["network"] == network]
    rows = []
    for kind, g in t.groupby("element_kind", sort=False):
        spof = g["single_point_of_failure"].astype(bool)
        lost = g.loc[~spof & (g["hubs_unreached"].fillna("") != ""), "element"]
        rows.append(
            {
                "element cut": CUT_KINDS.get(kind, (kind, kind))[1],
                "cuts tested": len(g),
                "single points of failure": int(spof.sum()),
                "leave a hub unreached": f"{len(lost)}"
                + (f" ({', '.join(lost)})" if len(lost) else ""),
                "worst round-trip growth, ms": g["worst_rt_increase_ms"].max(),
                "worst cut": _worst(g),
            }
        )
    return pd.DataFrame(rows)


# --- html --------------------------------------------------------------------------------


def spof_html(cuts: pd.DataFrame, *, network: str) -> str:
    """The single points of failure of a network, each with why; or that there are none.

    Cuts with the same reason and the same origins cut off (one place seen as a gateway and
    as the stretch where each origin's two paths meet) are listed as one item.
    """
    sel = cuts.loc[(cuts["network"] == network) & cuts["single_point_of_failure"].astype(bool)]
    if sel.empty:
        return (
            "<p><b>Single points of failure: none.</b> No single link, border gateway, landing "
            "station, stretch or submarine cable cut leaves an origin without a path.</p>"
        )
    items = []
    sel = sel.assign(why=sel["why"].map(_text), origins_cut_off=sel["origins_cut_off"].map(_text))
    for (why, off), g in sel.groupby(["why", "origins_cut_off"], sort=False):
        what = "<br>".join(
            f"<b>{html.escape(CUT_KINDS.get(k, (k,))[0])}</b> {html.escape(e)}"
            for k, e in zip(g["element_kind"], g["element"], strict=True)
        )
        items.append(
            f'<li>{what}<br>cuts off <b>{html.escape(off)}</b>.<br><span class="why">'
            f"Why: {html.escape(why)}</span></li>"
        )
    return (
        f'<p class="spof"><b>Single points of failure: {len(sel)}</b> (cuts each of which '
        f'leaves an origin with no path to a landing station):</p><ul class="spof">'
        f"{''.join(items)}</ul>"
    )


def _network_html(r: pd.Series, layers: dict[str, pd.DataFrame]) -> str:
    """One network's part of the section: its single points of failure, round trips, cuts."""
    key = r["network"]
    head = (
        f'<h3 id="network-{html.escape(quote(key, safe=""))}">{html.escape(key)}: '
        f"{html.escape(_text(r['description']))}</h3>"
        f'<p><a href="map.html#network={quote(key, safe="")}">On the interactive map</a></p>'
    )
    if r["status"] != "built":
        return head + f"<p>Not built: {html.escape(_text(r['reason']))}</p>"
    latency = latency_table(layers["network_latency"], network=key)
    return (
        head
        + spof_html(layers["network_cuts"], network=key)
        + "<h4>Round trips from each origin to each hub, ms</h4>"
        + (_html(latency, True, "t num") if not latency.empty else "<p>No hub reached.</p>")
        + "<h4>Cuts tested</h4>"
        + _html(cut_table(layers["network_cuts"], network=key))
    )


_INTRO = """<h2 id="network-plan">Network plan</h2>
<p>Each network joins every origin to at least {min_landings} landing stations with one
working tree (a link is built once, whoever uses it) and gives every origin a protection path
kept apart from its working path. Links by role: <b>working</b> (on an origin's working
path), <b>protection</b> (on protection paths only), <b>shared</b> (the working path of some
origins and the protection of others). CAPEX counts every link once, P10–P90 over the cost
draws; the saving sets the working tree against building the route stage's cheapest route from
each origin to each of the same stations separately. Every node, link, path, round trip and cut
is in the layers <code>network_*</code> of <code>network.gpkg</code> (analysis CRS); the
<a href="map.html">interactive map</a> shows each network (click a link for its figures).</p>
"""

_LATENCY_NOTE = """<p>Round trips: <i>RT</i> is propagation over the land path and the
submarine cables; <i>expected</i> is what users would measure under the overhead the onward
stage fitted to public measurements (– where there is no fit). Cuts: every link, border
gateway, landing station, stretch where an origin's two paths run close and submarine cable
the paths use is cut in turn; a single point of failure cuts an origin off, otherwise the
round trips grow by at most the figure shown.</p>
"""


def _method_html(summary: pd.DataFrame) -> str:
    methods = summary.reindex(columns=SUMMARY_COLUMNS)[["network", "method"]].dropna()
    if methods["method"].nunique() <= 1:
        text = methods["method"].iloc[0] if len(methods) else ""
        return f'<p class="method"><b>Method</b> (every network): {html.escape(text)}</p>'
    return "".join(
        f'<p class="method"><b>Method</b> ({html.escape(n)}): {html.escape(m)}</p>'
        for n, m in zip(methods["network"], methods["method"], strict=True)
    )


def section_html(layers: dict[str, pd.DataFrame], *, figure: str, min_landings: int) -> str:
    """The report's network plan: totals, then per network its failures, round trips, cuts."""
    summary = layers["network_summary"].reindex(columns=SUMMARY_COLUMNS)
    if summary.empty:
        return '<h2 id="network-plan">Network plan</h2><p>No network planned.</p>'
    totals = totals_table(summary, layers["network_nodes"], layers["network_links"])
    return (
        _INTRO.format(min_landings=min_landings)
        + _html(totals, classes="t facts")
        + f'<img src="{html.escape(figure)}" alt="map of the planned networks">'
        + _LATENCY_NOTE
        + "".join(_network_html(r, layers) for _, r in summary.iterrows())
        + _method_html(summary)
    )


# --- figure ------------------------------------------------------------------------------


def _legend() -> list:
    roles = [
        Line2D([], [], color=c, linewidth=2.5, linestyle="--" if r == "protection" else "-")
        for r, c in ROLE_COLORS.items()
    ]
    kinds = [
        Line2D(
            [],
            [],
            linestyle="",
            marker=s["marker"],
            markersize=4 if k == "ILA" else 7,
            markerfacecolor=s["color"],
            markeredgecolor="#222",
            label=s["label"],
        )
        for k, s in NODE_STYLES.items()
    ]
    for h, r in zip(roles, ROLE_COLORS, strict=True):
        h.set_label(ROLE_TEXT[r])
    return roles + kinds


def _panel(ax, links, nodes, *, base: dict, extent: tuple) -> None:
    """One network over the countries and lakes: links by role, nodes by kind, names."""
    ax.set_facecolor("#dfeaf3")
    base["countries"].plot(ax=ax, color="#f4f1ea", edgecolor="#888", linewidth=0.4)
    base["lakes"].plot(ax=ax, color="#dfeaf3", edgecolor="#9ec3e0", linewidth=0.3)
    for role in ("protection", "shared", "working"):
        part = links.loc[links["role"] == role]
        if not part.empty:
            style = "--" if role == "protection" else "-"
            part.plot(ax=ax, color=ROLE_COLORS[role], linewidth=1.8, linestyle=style)
    for z, (kind, s) in enumerate(NODE_STYLES.items()):
        part = nodes.loc[nodes["kind"] == kind]
        ax.scatter(
            part.geometry.x,
            part.geometry.y,
            marker=s["marker"],
            s=s["size"],
            c=s["color"],
            edgecolors="none" if kind == "ILA" else "#222",  # many: ticks along the links
            linewidths=0.6,
            zorder=10 - z,
        )
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    named = nodes.loc[nodes["kind"].isin(["origin", "landing_station"])]
    place_labels(
        ax,
        [(g.x, g.y) for g in named.geometry],
        [n.split(",")[0] for n in named["name"]],
    )
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")


def network_map(links, nodes, base: dict) -> plt.Figure:
    """One panel per network (same extent): links coloured by role, nodes by kind.

    ``links`` and ``nodes`` are the ``network_links`` and ``network_nodes`` layers; ``base``
    has the ``countries`` and ``lakes`` to draw under them (reprojected to the links' CRS).
    """
    keys = list(dict.fromkeys(links["network"]))
    ncols = 1 if len(keys) <= 1 else 2
    nrows = max(1, -(-len(keys) // ncols))
    if links.empty:
        fig, ax = plt.subplots(figsize=(6, 2))
        ax.text(0.5, 0.5, "No network built", ha="center", va="center")
        ax.set_axis_off()
        return fig
    x0, y0, x1, y1 = links.total_bounds
    pad = 0.06 * max(x1 - x0, y1 - y0)
    extent = (x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    width = 6.0 if ncols == 2 else 7.0
    height = width * (extent[3] - extent[1]) / (extent[2] - extent[0])
    total_in = (height + 0.4) * nrows + 1.0  # a title above each panel, the legend below
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, total_in), squeeze=False)
    base = {k: base[k].to_crs(links.crs) for k in ("countries", "lakes")}
    for ax, key in zip(axes.flat, keys, strict=False):
        mine = (links["network"] == key, nodes["network"] == key)
        _panel(ax, links.loc[mine[0]], nodes.loc[mine[1]], base=base, extent=extent)
        ax.set_title(key, fontsize=10)
    for ax in axes.flat[len(keys) :]:
        ax.set_axis_off()
    fig.legend(handles=_legend(), loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.suptitle("Planned networks: links by role, nodes by kind", fontsize=11)
    fig.tight_layout(rect=(0, 0.8 / total_in, 1, 0.98), h_pad=2.5)
    return fig
