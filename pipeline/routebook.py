"""The route book: a route told as consecutive stretches along named rights-of-way.

A survey team reads a route as an itinerary: "km 2,410–2,530 beside the railway from
Zhanaozen to Bolashak; border at the Bolashak–Serhetyaka gateway; km 2,545–2,700 beside the
primary road to Bereket". This module makes that itinerary from what the score stage knows of
each route, with no file read or written:

- ``economics.intervals``: the route's km, each interval built one way (construction method),
  in one country, at one rate, with the rights-of-way near it (``costbook.ROW_KINDS`` bits);
- what each stretch **follows** (``FOLLOWS``): the best right-of-way within the co-location
  distance of both ends of the step (railway, then motorway/trunk/primary road, secondary
  road, pipeline), else cross-country; submarine and drilled crossings as such;
- consecutive intervals that follow the same thing in the same country are one stretch, and a
  stretch shorter than ``score.route_book_gap_km`` is an interruption, not a stretch of its
  own: between two stretches that follow the same thing it joins them, otherwise it joins the
  longer neighbour of its country (a border or a shore always splits);
- each end is named: the origin at the start, the landing station at the end, the gateway at a
  border, and elsewhere the first (at its start) and the last (at its end) place along the
  stretch within ``score.route_book_place_km`` of its line: OSM railway stations along a
  railway, else stations, OSM border posts or Natural Earth places (a single place names only
  the end it is nearer); an end still unnamed takes the place nearest its own point within
  that reach, else the Natural Earth town nearest it within ``score.route_book_town_km`` (the
  survey team's base); each with its distance from the line and the km where it lies abeam.

Km are geodesic km from the origin along the route line (so the stretches add up to the route's
``length_km``); crossings and sites, placed by the router's ground km, are carried over vertex by
vertex.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from . import economics
from .costbook import ROW_KINDS

FOLLOWS = (
    "railway",
    "motorway/trunk/primary road",
    "secondary road",
    "pipeline",
    "cross-country",
    "submarine",
    "drilled crossing",
)
"""What a stretch runs along, the rights-of-way in order of preference."""
_BY_BIT = (
    (ROW_KINDS["railway"], "railway"),
    (ROW_KINDS["major_road"], "motorway/trunk/primary road"),
    (ROW_KINDS["road"], "secondary road"),
    (ROW_KINDS["pipeline"], "pipeline"),
)
COLUMNS = (
    "route_id",
    "scenario",
    "seq",
    "km_start",
    "km_end",
    "length_km",
    "follows",
    "from_place",
    "from_place_km",
    "from_place_at_km",
    "to_place",
    "to_place_km",
    "to_place_at_km",
    "country",
    "method",
    "methods",
    "cost_usd",
    "usd_per_km",
    "crossings",
    "sites",
)
"""The route book's columns (and ``geometry``: the stretch's part of the route line)."""


def follows(method: str, row_bits: int) -> str:
    """What an interval built by ``method``, with these right-of-way bits, runs along."""
    if method == "submarine":
        return "submarine"
    if method == "hdd":
        return "drilled crossing"
    for bit, name in _BY_BIT:
        if row_bits & bit:
            return name
    return "cross-country"


def runs(intervals: list[tuple]) -> list[dict]:
    """Consecutive intervals that follow one thing in one country, merged.

    ``intervals`` are ``economics.intervals``' tuples ``(km_start, km_end, method, country,
    usd_per_km, row_bits)``.
    """
    out: list[dict] = []
    for a, e, method, country, rate, bits in intervals:
        f = follows(method, int(bits))
        if out and out[-1]["follows"] == f and out[-1]["country"] == country:
            cur = out[-1]
            cur["km_end"] = e
        else:
            cur = {"follows": f, "country": country, "km_start": a, "km_end": e}
            cur.update(cost_usd=0.0, method_km={})
            out.append(cur)
        cur["cost_usd"] += (e - a) * rate
        cur["method_km"][method] = cur["method_km"].get(method, 0.0) + (e - a)
    return out


def _join(parts: list[dict], follows_: str) -> dict:
    """One stretch of several consecutive ones of one country, following ``follows_``."""
    method_km: dict[str, float] = {}
    for p in parts:
        for m, km in p["method_km"].items():
            method_km[m] = method_km.get(m, 0.0) + km
    return {
        "follows": follows_,
        "country": parts[0]["country"],
        "km_start": parts[0]["km_start"],
        "km_end": parts[-1]["km_end"],
        "cost_usd": sum(p["cost_usd"] for p in parts),
        "method_km": method_km,
    }


def _absorb_one(st: list[dict], gap_km: float) -> list[dict] | None:
    """``st`` with its shortest interruption absorbed, or None when there is none."""
    order = sorted(range(len(st)), key=lambda i: st[i]["km_end"] - st[i]["km_start"])
    for i in order:
        if st[i]["km_end"] - st[i]["km_start"] >= gap_km:
            return None
        mates = [j for j in (i - 1, i + 1) if 0 <= j < len(st)]
        mates = [j for j in mates if st[j]["country"] == st[i]["country"]]
        if len(mates) == 2 and st[i - 1]["follows"] == st[i + 1]["follows"]:
            return [*st[: i - 1], _join(st[i - 1 : i + 2], st[i - 1]["follows"]), *st[i + 2 :]]
        if mates:
            j = max(mates, key=lambda k: st[k]["km_end"] - st[k]["km_start"])
            lo, hi = min(i, j), max(i, j)
            return [*st[:lo], _join(st[lo : hi + 1], st[j]["follows"]), *st[hi + 1 :]]
    return None


def stretches(intervals: list[tuple], *, gap_km: float) -> list[dict]:
    """The route's stretches: ``runs`` with every interruption shorter than ``gap_km`` absorbed.

    Each has ``follows``, ``country``, ``km_start``, ``km_end``, ``cost_usd`` and ``method_km``
    (km by construction method). They cover the intervals exactly, in order.
    """
    st = runs(intervals)
    while (joined := _absorb_one(st, gap_km)) is not None:
        st = joined
    return st


@dataclass(frozen=True)
class Places:
    """What a stretch's ends are named after (analysis CRS), and how far to look."""

    stations: gpd.GeoDataFrame  # OSM railway stations (named, no kilometre posts)
    everything: gpd.GeoDataFrame  # the stations, OSM border posts and Natural Earth places
    within_m: float
    towns: gpd.GeoDataFrame | None = None  # Natural Earth populated places: survey bases
    town_m: float = 0.0  # an end with nothing within ``within_m`` takes a town this near


@dataclass(frozen=True)
class Ends:
    """What is known of a route's ends and borders, to name its stretches' ends."""

    origin: str
    destination: str
    borders: list[tuple[float, str, shapely.Point | None]]  # (router km, gateway, its point)
    tolerance_km: float  # a border this close to a stretch end is that end


def along(pool: gpd.GeoDataFrame, line: shapely.LineString, within_m: float) -> list[tuple]:
    """The points of ``pool`` within ``within_m`` of ``line``, in order along it.

    Each as ``(share of the line's length before it, name, distance from the line in m)``.
    """
    if pool.empty or line.length == 0:
        return []
    idx = pool.sindex.query(line, predicate="dwithin", distance=within_m)
    hits = [
        (line.project(g) / line.length, str(name), line.distance(g))
        for g, name in zip(pool.geometry.iloc[idx], pool["name"].iloc[idx], strict=True)
    ]
    return sorted(hits)


def first_and_last(line: shapely.LineString, follows_: str, places: Places) -> tuple:
    """The places that name a stretch's start and end: the first and the last along it.

    OSM railway stations along a railway, else any place, within reach of the line; each
    ``(share along, name, distance in m)`` or None. A single place names only the end it is
    nearer (a 270 km road is not "from Chapaev to Chapaev"); an end still unnamed takes the
    place nearest its own point within reach (``at_point``).
    """
    hits: list[tuple] = []
    for pool in ([places.stations] if follows_ == "railway" else []) + [places.everything]:
        hits = along(pool, line, places.within_m)
        if hits:
            break
    if len(hits) >= 2:
        return hits[0], hits[-1]
    start = hits[0] if hits and hits[0][0] < 0.5 else None
    end = hits[0] if hits and start is None else None
    ends = shapely.get_point(line, 0), shapely.get_point(line, -1)
    return (
        start or at_point(ends[0], line, follows_, places=places, share=0.0),
        end or at_point(ends[1], line, follows_, places=places, share=1.0),
    )


def at_point(point, line: shapely.LineString, follows_: str, *, places: Places, share: float):
    """The place nearest ``point`` within reach (a station first along a railway).

    Else the town nearest it within ``places.town_m`` (a survey team's base), else None.
    """
    pools = [(places.stations, places.within_m)] if follows_ == "railway" else []
    pools.append((places.everything, places.within_m))
    if places.towns is not None:
        pools.append((places.towns, places.town_m))
    for pool, reach in pools:
        if pool.empty:
            continue
        idx = pool.sindex.query(point, predicate="dwithin", distance=reach)
        if len(idx):
            d = pool.geometry.iloc[idx].distance(point).to_numpy()
            g = pool.geometry.iloc[idx[int(np.argmin(d))]]
            return (share, str(pool["name"].iloc[idx[int(np.argmin(d))]]), line.distance(g))
    return None


def _border_at(km: float, ends: Ends, line: shapely.LineString) -> tuple | None:
    """The gateway of a border crossed at router km ``km``, as a place, else None."""
    for b_km, gateway, where in ends.borders:
        if abs(b_km - km) <= ends.tolerance_km and gateway:
            return (None, gateway, line.distance(where) if where is not None else 0.0)
    return None


@dataclass(frozen=True)
class Route:
    """One route as the score stage holds it, for its book."""

    route_id: str
    scenario: str
    line: shapely.LineString  # analysis CRS: origin, cells, destination
    vkm: np.ndarray  # the router's ground km at each vertex
    gkm: np.ndarray  # geodesic km at each vertex (the routes layer's length_km at the end)
    crossings: list[dict]  # with kind, name, km_from_origin (router km), gateway fields
    sites: list[dict]  # with site_type, km_from_origin, nearest_settlement


def _crossing_text(x: dict, km: float) -> str:
    if x["kind"] == "border":
        status = (x.get("gateway_status") or "").replace("_", " ")
        if x.get("crossing_in_service"):
            status += "; the railway or road crossing in service"
        where = f" at {x['gateway']} ({status})" if x.get("gateway") else " off any gateway"
        return f"border {x['name']}{where}, km {km:,.1f}"
    if x["kind"] == "fault":
        return f"fault {x['name']} ({x.get('slip_type', '')}), km {km:,.1f}"
    return f"{x['kind']} {x['name']}, km {km:,.1f}".replace("landfall landfall", "landfall")


def _inside(km: float, a: float, e: float, *, last: bool) -> bool:
    return a <= km < e or (last and km == e)


def _ends(r: Route, s: dict, geom: shapely.LineString, *, which: tuple, ends: Ends, places) -> list:
    """The named start and end of one stretch: ``(name, km off the line, geodesic km)`` each.

    ``which`` is (first stretch, last stretch). The route's own ends name the first and last;
    a border its gateway; else the first and last place along the stretch (``first_and_last``).
    """
    a, e = s["km_start"], s["km_end"]
    found = (None, None) if all(which) else first_and_last(geom, s["follows"], places)
    out = []
    for k, (km, own, hit) in enumerate(
        ((a, ends.origin, found[0]), (e, ends.destination, found[1]))
    ):
        if which[k]:
            hit = (None, own, 0.0)
        else:
            hit = _border_at(km, ends, geom) or hit
        if hit is None:
            out.append(("", float("nan"), float("nan")))
            continue
        at = km if hit[0] is None else a + hit[0] * (e - a)
        out.append((hit[1], hit[2] / 1000.0, float(np.interp(at, r.vkm, r.gkm))))
    return out


def book(r: Route, intervals: list[tuple], *, ends: Ends, places: Places, gap_km: float):
    """The route book of one route: a record per stretch (geometry in the route's CRS)."""
    st = stretches(intervals, gap_km=gap_km)
    coords = np.asarray(r.line.coords)
    rows = []
    for seq, s in enumerate(st, 1):
        last = seq == len(st)
        a, e = s["km_start"], s["km_end"]
        geom = economics.cut(coords, r.vkm, a, b=e)
        start, end = _ends(r, s, geom, which=(seq == 1, last), ends=ends, places=places)
        ga, ge = (float(np.interp(k, r.vkm, r.gkm)) for k in (a, e))
        inside = [x for x in r.crossings if _inside(x["km_from_origin"], a, e, last=last)]
        here = [x for x in r.sites if _inside(x["km_from_origin"], a, e, last=last)]
        rows.append(
            {
                "route_id": r.route_id,
                "scenario": r.scenario,
                "seq": seq,
                "km_start": ga,
                "km_end": ge,
                "length_km": ge - ga,
                "follows": s["follows"],
                **dict(
                    zip(("from_place", "from_place_km", "from_place_at_km"), start, strict=True)
                ),
                **dict(zip(("to_place", "to_place_km", "to_place_at_km"), end, strict=True)),
                "country": s["country"],
                "method": max(s["method_km"], key=s["method_km"].get),
                "methods": "; ".join(
                    f"{m} {km:.1f} km" for m, km in sorted(s["method_km"].items())
                ),
                "cost_usd": s["cost_usd"],
                "usd_per_km": s["cost_usd"] / max(e - a, 1e-9),
                "crossings": "; ".join(_crossing_text(x, _gkm(r, x)) for x in inside),
                "sites": "; ".join(
                    f"{x['site_type']} km {_gkm(r, x):,.1f} (near {x['nearest_settlement']})"
                    for x in here
                ),
                "geometry": geom,
            }
        )
    return rows


def _gkm(r: Route, x: dict) -> float:
    """Geodesic km from the origin of a crossing or site placed by router km."""
    return float(np.interp(x["km_from_origin"], r.vkm, r.gkm))
