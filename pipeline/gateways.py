"""Border gateways: the places where a cable may cross a land border.

A cable crosses a border where two states agree, at a crossing point: a railway or a trunk road
over the border, a border post, or a published cross-border fiber link. The cost stage builds
the candidates from the data and from the sourced list in the config (``gateways.listed``):

- **rail** and **road**: where a railway (``gateways.railway_classes``) or a road
  (``gateways.road_classes``) meets the border between two countries;
- **checkpoint**: an OSM ``barrier=border_control`` point near a border;
- **fiber_link** (or any kind the list gives): a listed gateway, with its source.

A crossing of a generalised line (Natural Earth's, ``gateways.generalised_sources``) is no
place a cable can cross: it is kept only where a detailed line (OSM) crosses the same border,
or an OSM border post stands, within ``gateways.confirm_km``, and moved there; else dropped.
Candidates of one border closer than ``gateways.merge_km`` are one gateway, named after the
listed one, else the border post, else the nearest OSM railway station or border post within
``gateways.name_km`` (never a kilometre post), else the nearest Natural Earth place. A gateway
carries the ``status`` of the listed entry it is named after (in service, under construction,
planned); one found in the data is in service. Each gateway is
written with its kinds and sources, and its cells (those within ``gateways.radius_km``) are
burnt into ``cost/gateway_id.tif``; the router lets a route change country only through them.
"""

from __future__ import annotations

import logging
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .config import GatewaysConfig
from .grid import Grid

log = logging.getLogger(__name__)

BORDER_TOLERANCE_M = 50.0
"""Two countries' outlines closer than this are one border (reprojection moves vertices)."""
KINDS = ("fiber_link", "rail", "road", "checkpoint")
"""Kinds in order of precedence for a gateway's name."""
STATUSES = ("in_service", "under_construction", "planned")
"""A crossing's or a fiber link's status, as its source gives it (the data's: in service)."""
KM_POST = re.compile(
    r"\d\s*(?:км|km|километр)|\b(?:км|km)\s*\d|(?:^|\s)(?:no\.?|№|n)\s*\d+\s*$",
    re.IGNORECASE,
)
"""A name that is a kilometre post or a numbered passing loop ("1177 км", "km 12",
"Разъезд 2 километр", "Rzd. No 48"): no place a planner can find, never a gateway's name."""


def shared_borders(countries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The land border of each pair of countries (``a``, ``b`` ISO codes, a < b).

    Reprojected outlines share their border only to the metre, so a border is the part of
    a's outline within ``BORDER_TOLERANCE_M`` of b's, found segment by segment.
    """
    by_code = countries.dissolve("iso_a2")
    codes = sorted(c for c in by_code.index if isinstance(c, str) and c)
    segments = {c: _segments(by_code.geometry[c].boundary) for c in codes}
    outline = shapely.STRtree([by_code.geometry[c] for c in codes])
    rows = []
    for a in codes:
        for j in outline.query(
            by_code.geometry[a], predicate="dwithin", distance=BORDER_TOLERANCE_M
        ):
            b = codes[j]
            if b <= a:
                continue
            tree = shapely.STRtree(segments[b])
            near, _ = tree.query(segments[a], predicate="dwithin", distance=BORDER_TOLERANCE_M)
            if near.size:
                line = shapely.line_merge(shapely.multilinestrings(segments[a][np.unique(near)]))
                rows.append({"a": a, "b": b, "geometry": line})
    if not rows:
        return gpd.GeoDataFrame({"a": [], "b": []}, geometry=[], crs=countries.crs)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=countries.crs)


def _segments(boundary: shapely.Geometry) -> np.ndarray:
    """Every two-point segment of a (multi)line."""
    out = []
    for part in shapely.get_parts(boundary):
        xy = shapely.get_coordinates(part)
        out.append(shapely.linestrings(np.stack([xy[:-1], xy[1:]], axis=1)))
    return np.concatenate(out) if out else np.array([], dtype=object)


SOURCE_LABELS = {
    "naturalearth": "Natural Earth",
    "rzd_generalized": "Russian Railways, generalized",
}
"""Readable names of the ingest layers' ``source`` values (others: OpenStreetMap)."""


def line_crossings(
    lines: gpd.GeoDataFrame, borders: gpd.GeoDataFrame, kind: str, *, generalised: set[str]
) -> list[dict]:
    """Points where the lines meet a border (one per crossing of a line).

    Each is ``detailed`` unless its line's ``source`` is one of ``generalised``.
    """
    out = []
    tree = shapely.STRtree(lines.geometry.to_numpy())
    srcs = lines["source"].to_numpy() if "source" in lines else np.full(len(lines), "")
    for _, br in borders.iterrows():
        for k in tree.query(br.geometry, predicate="intersects"):
            hit = shapely.intersection(lines.geometry.iloc[k], br.geometry)
            label = SOURCE_LABELS.get(srcs[k], "OpenStreetMap")
            for p in shapely.get_parts(hit):
                out.append(
                    {
                        "a": br["a"],
                        "b": br["b"],
                        "kind": kind,
                        "name": "",
                        "source": f"{label} {'railways' if kind == 'rail' else 'roads'}",
                        "status": "in_service",
                        "detailed": srcs[k] not in generalised,
                        "geometry": p if p.geom_type == "Point" else p.centroid,
                    }
                )
    return out


def confirm(cands: list[dict], confirm_m: float) -> tuple[list[dict], dict[str, int]]:
    """Generalised candidates moved onto a detailed one of their border, or dropped.

    A candidate that is not ``detailed`` is kept only where a detailed candidate of the same
    border (a detailed line's crossing or a border post) lies within ``confirm_m``; it is moved
    there, its source saying what confirmed it and how far. Returns the candidates kept and the
    counts ``generalised``, ``confirmed``, ``moved`` (farther than 1 m) and ``dropped``.
    """
    sure = [c for c in cands if c.get("detailed", True)]
    unsure = [c for c in cands if not c.get("detailed", True)]
    kept, moved, dropped = [], 0, 0
    for c in unsure:
        mates = [m for m in sure if (m["a"], m["b"]) == (c["a"], c["b"])]
        d = [c["geometry"].distance(m["geometry"]) for m in mates]
        if not d or min(d) > confirm_m:
            dropped += 1
            continue
        m = mates[int(np.argmin(d))]
        moved += min(d) > 1.0
        why = f"{c['source']}, confirmed by {m['source']} {min(d) / 1000:.1f} km away"
        kept.append({**c, "source": why, "detailed": True, "geometry": m["geometry"]})
    counts = {
        "generalised": len(unsure),
        "confirmed": len(kept),
        "moved": moved,
        "dropped": dropped,
    }
    return sure + kept, counts


def point_gateways(
    points: gpd.GeoDataFrame, borders: gpd.GeoDataFrame, kind: str, *, snap_m: float
) -> list[dict]:
    """Each point within ``snap_m`` of a border, moved onto its nearest border.

    A point's own ``kind`` (a listed gateway's) is kept; ``kind`` is the default.
    """
    out = []
    if points.empty or borders.empty:
        return out
    for _, p in points.iterrows():
        d = borders.distance(p.geometry)
        j = d.idxmin()
        if d[j] > snap_m:
            continue
        line = borders.geometry[j]
        on = line.interpolate(line.project(p.geometry))
        out.append(
            {
                "a": borders.at[j, "a"],
                "b": borders.at[j, "b"],
                "kind": p.get("kind") or kind,
                "name": p.get("name") if isinstance(p.get("name"), str) else "",
                "source": p.get("source", "") or "",
                "status": p.get("status") or "in_service",
                "geometry": on,
            }
        )
    return out


def merge(cands: list[dict], merge_m: float, crs) -> gpd.GeoDataFrame:
    """One gateway per cluster of candidates of one border within ``merge_m`` of each other."""
    cols = ["a", "b", "kind", "name", "source", "status"]
    if not cands:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=crs)
    df = gpd.GeoDataFrame(cands, geometry="geometry", crs=crs)
    df["rank"] = df["kind"].map({k: i for i, k in enumerate(KINDS)})
    rows = []
    for (a, b), g in df.groupby(["a", "b"], sort=True):
        xy = shapely.get_coordinates(g.geometry.to_numpy())
        # single-linkage clusters: connected components of the "closer than merge_m" graph
        near = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) <= merge_m
        n_clusters, label = _components(near)
        for cluster in range(n_clusters):
            part = g.iloc[np.nonzero(label == cluster)[0]]
            part = part.assign(unnamed=part["name"] == "").sort_values(["rank", "unnamed"])
            lead = part.iloc[0]
            names = [name for name in part["name"] if name]
            rows.append(
                {
                    "a": a,
                    "b": b,
                    "kind": lead["kind"],
                    "kinds": ",".join(kind for kind in KINDS if kind in set(part["kind"])),
                    "status": lead["status"],
                    "statuses": ",".join(s for s in STATUSES if s in set(part["status"])),
                    "name": lead["name"] or (names[0] if names else ""),
                    "source": "; ".join(sorted({s for s in part["source"] if s})),
                    "geometry": lead.geometry,
                }
            )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)


def _components(adjacent: np.ndarray) -> tuple[int, np.ndarray]:
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    return connected_components(csr_matrix(adjacent), directed=False)


def named_places(points: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Points with a name that is not a kilometre post."""
    if points.empty or "name" not in points:
        return points.iloc[:0]
    name = points["name"]
    ok = name.notna() & (name.astype(str).str.strip() != "")
    ok &= ~name.astype(str).str.contains(KM_POST)
    return points.loc[ok]


def name_unnamed(gw: gpd.GeoDataFrame, near: dict[str, gpd.GeoDataFrame], *, name_km: float):
    """Name each gateway without a name, and say how far the place it is named after lies.

    ``near`` holds ``railway_stations`` and ``border_controls`` (OSM), taken within ``name_km``
    (the nearest of both; never a kilometre post), else ``places`` (Natural Earth), at any
    distance. Adds ``name_km``: 0 for a gateway named by its own list entry or border post.
    """
    gw = gw.copy()
    osm = pd.concat([named_places(near["railway_stations"]), named_places(near["border_controls"])])
    places = named_places(near["places"])
    gw["name_km"] = 0.0
    for i, g in gw.iterrows():
        if g["name"]:
            gw.at[i, "name"] = f"{g['name']} ({g['a']}–{g['b']})"
            continue
        where, km = "?", float("nan")
        for pool, limit in ((osm, name_km * 1000.0), (places, np.inf)):
            d = pool.distance(g.geometry) if len(pool) else pd.Series(dtype=float)
            if len(d) and d.min() <= limit:
                where, km = pool["name"].iloc[int(np.argmin(d.to_numpy()))], d.min() / 1000.0
                break
        far = f" ({km:.0f} km)" if km > name_km else ""
        gw.at[i, "name"] = f"{g['a']}–{g['b']} {g['kind']} near {where}{far}"
        gw.at[i, "name_km"] = km
    return gw


def build(layers: dict[str, gpd.GeoDataFrame], listed: gpd.GeoDataFrame, g: GatewaysConfig):
    """Every gateway of the area: a GeoDataFrame (analysis CRS) with id, name, kind, source.

    Candidates from generalised lines (``g.generalised_sources``) are confirmed by a detailed
    crossing or a border post within ``g.confirm_km`` and moved there, else dropped (logged).
    """
    borders = shared_borders(layers["countries"])
    rails = layers["railways"].loc[layers["railways"]["fclass"].isin(g.railway_classes)]
    roads = layers["roads"].loc[layers["roads"]["class"].isin(g.road_classes)]
    snap_m = g.snap_km * 1000.0
    rough = set(g.generalised_sources)
    cands, counts = confirm(
        [
            *line_crossings(rails, borders, "rail", generalised=rough),
            *line_crossings(roads, borders, "road", generalised=rough),
            *point_gateways(
                layers["border_controls"].assign(source="OpenStreetMap barrier=border_control"),
                borders,
                "checkpoint",
                snap_m=snap_m,
            ),
        ],
        g.confirm_km * 1000.0,
    )
    log.info(
        "gateways: %d candidates from generalised lines (%s): %d confirmed by a detailed "
        "crossing or border post within %.0f km and moved there (%d farther than 1 m), "
        "%d dropped",
        counts["generalised"],
        ", ".join(sorted(rough)),
        counts["confirmed"],
        g.confirm_km,
        counts["moved"],
        counts["dropped"],
    )
    listed_on = point_gateways(listed, borders, "fiber_link", snap_m=snap_m)
    far = set(listed["name"]) - {c["name"] for c in listed_on}
    for name in sorted(far):
        log.warning(
            "gateways.listed: %r lies farther than %.0f km from any border; left out",
            name,
            g.snap_km,
        )
    gw = merge([*cands, *listed_on], g.merge_km * 1000.0, layers["countries"].crs)
    gw = name_unnamed(gw, layers, name_km=g.name_km)
    gw.insert(0, "gateway_id", np.arange(1, len(gw) + 1, dtype=np.int32))
    return gw


def gate_raster(gw: gpd.GeoDataFrame, grid: Grid, inv_scale: np.ndarray, *, radius_km: float):
    """Gateway id of each cell within ``radius_km`` of ground of a gateway (0 elsewhere).

    A gateway's own cell and its 8 neighbours always belong to it, so a crossing at the
    gateway is possible on any grid.
    """
    out = np.zeros(grid.shape, dtype=np.int32)
    cell_km = grid.cell_m / 1000.0
    for gid, geom in zip(gw["gateway_id"], gw.geometry, strict=True):
        r, c = (int(v) for v in grid.rowcol(geom.x, geom.y))
        if not (0 <= r < grid.height and 0 <= c < grid.width):
            continue
        reach = max(int(np.ceil(radius_km / (cell_km * inv_scale[r, c]))), 1)
        r0, r1 = max(r - reach, 0), min(r + reach + 1, grid.height)
        c0, c1 = max(c - reach, 0), min(c + reach + 1, grid.width)
        rr, cc = np.mgrid[r0:r1, c0:c1]
        km = np.hypot(rr - r, cc - c) * cell_km * inv_scale[r, c]
        inside = (km <= radius_km) | ((np.abs(rr - r) <= 1) & (np.abs(cc - c) <= 1))
        window = out[r0:r1, c0:c1]
        window[inside & (window == 0)] = gid
    return out
