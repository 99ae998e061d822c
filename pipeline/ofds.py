"""Open Fibre Data Standard (OFDS) 0.4 files of the planned networks.

The network stage's layers (``network_nodes`` and ``network_links`` of ``network.gpkg``; of the
nodes, those the links join: the sites and gateways along a link have no ``node_id`` and are no
OFDS node) become one OFDS network package, ``network.json``, with one OFDS network per network
key, and its GeoJSON serialisation, ``nodes.geojson`` and ``spans.geojson``, as the standard's
transformation specification defines it (libcoveofds is its reference implementation; the tests
compare the two).

What OFDS has a field for goes in; the rest stays in the GeoPackage:

- a network's ``id`` is a UUID made from its key (``network_id``), the same in every build, as
  the standard asks; nodes and spans keep our ids (OFDS ids need only be unique in a network);
  its ``collectionDate`` is the build's (when its locations were made), its
  ``publicationDate`` the date given, or none: a build writes files, and whoever publishes them
  knows the day (the field is optional);
- every node and span is ``planned``; a node's ``type`` comes from ``NODE_TYPES``; a gateway
  lists the other countries of the spans that meet it in ``internationalConnections``;
- a span's ``fibreLength`` is ``length_km`` (OFDS 0.4 counts it in kilometres), ``countries``
  the codes of ``countries`` in order (``sea`` is none), ``deployment`` is ``belowGround`` when
  any of it is trench or drilling (the closed codelist has no code for a submarine cable), and
  the km of each construction method are written out in ``supportingInfrastructure.description``;
- costs, the links' role (in the span's name only), gateways and origins, a landing station's
  TeleGeography id, and a network's description and method have no OFDS field.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import uuid
from collections import Counter
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import io
from .errors import DataError

SCHEMA_URL = "https://standard.ofds.info/en/0__4__0/network-schema.json"
"""The canonical schema of OFDS 0.4: the first of a network's ``links`` must point to it (the
schema requires this very URL)."""

CRS84 = {
    "name": "urn:ogc:def:crs:OGC::CRS84",
    "uri": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
}
"""The only CRS OFDS 0.4 allows: WGS 84 longitude, latitude (as GeoJSON's)."""

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:fiber-corridor:ofds:network")
"""The namespace of the networks' UUIDs (``network_id``); never change it."""

NODE_TYPES = {
    "origin": ["pop"],
    "junction": [],
    "landing_station": ["cableLanding"],
    "gateway": ["borderCrossing"],
    "ILA": ["repeaterSite"],
    "regen": ["repeaterSite"],
}
"""OFDS nodeType codes of each node kind. A junction has none: OFDS asks to omit the type of a
node whose only function is to join spans. An in-line amplifier and a regenerator are both a
repeater site ("amplified or repeated ... also known as a regeneration facility")."""

METHODS = {
    "buried_row_km": "trench along a railway or road right-of-way",
    "buried_flat_km": "trench in flat terrain",
    "buried_hilly_km": "trench in hilly terrain",
    "buried_mountain_km": "trench in mountains",
    "hdd_km": "horizontal directional drilling",
    "submarine_km": "submarine cable",
}
"""The construction methods of a link, km each, and how ``supportingInfrastructure`` says so."""

BELOW_GROUND = tuple(m for m in METHODS if m != "submarine_km")
"""The methods that make a span ``belowGround`` (OFDS's closed deployment codelist has only
``aboveGround`` and ``belowGround``; a sea cable is neither, so it adds no code)."""

NODE_COLUMNS = ("network", "node_id", "name", "kind", "country")
LINK_COLUMNS = (
    "network",
    "link_id",
    "from_node",
    "to_node",
    "role",
    "length_km",
    *METHODS,
    "countries",
)
"""The columns of the network layers this module reads (the others have no OFDS field)."""

SUMMARY_KEYS = ("network", "name", "publisher", "build_date")
"""The keys ``network_package`` reads from each summary; others (description, total cost,
method) are allowed and have no OFDS field."""

FILES = ("network.json", "nodes.geojson", "spans.geojson")


def network_id(key: str) -> str:
    """The UUID of the network ``key``: a name-based UUID (version 5), so every build agrees."""
    return str(uuid.uuid5(NAMESPACE, key))


def network_package(
    nodes: gpd.GeoDataFrame,
    links: gpd.GeoDataFrame,
    *,
    summaries: list[dict],
    published: str | None,
    decimals: int = 6,
) -> dict:
    """One OFDS network package with one network per network key of ``summaries``.

    Parameters
    ----------
    nodes, links : GeoDataFrame
        The network stage's layers (columns ``NODE_COLUMNS`` and ``LINK_COLUMNS``, Point and
        LineString geometries), in any CRS: they are reprojected to lon/lat.
    summaries : list of dict
        One per network, with the keys ``SUMMARY_KEYS``; ``build_date`` is an ISO date.
    published : str or None
        The publication date, ISO (``YYYY-MM-DD``); None leaves ``publicationDate`` out.
    decimals : int
        Decimal places of the coordinates (6 is about 0.1 m).

    Raises
    ------
    DataError
        If a column, a summary or a node a link names is missing, or a value is not what the
        contract says.

    Returns
    -------
    dict
        ``{"networks": [...]}``, in the order of ``summaries``.
    """
    nodes = _lonlat(nodes, "nodes", NODE_COLUMNS)
    links = _lonlat(links, "links", LINK_COLUMNS)
    if published is not None:
        _iso_date(published, "published")
    keys = [_summary_key(s) for s in summaries]
    twice = sorted(k for k, n in Counter(keys).items() if n > 1)
    if twice:
        raise DataError(f"network summaries: {twice} given twice. Fix: one summary per network.")
    extra = sorted((set(nodes["network"]) | set(links["network"])) - set(keys))
    if extra:
        raise DataError(
            f"network layers: networks {extra} have no summary (summaries cover {keys}). "
            "Fix: pass one summary per network key."
        )
    networks = [
        _network(
            s,
            nodes.loc[nodes["network"] == s["network"]],
            links.loc[links["network"] == s["network"]],
            published=published,
            decimals=decimals,
        )
        for s in summaries
    ]
    return {"networks": networks}


def _lonlat(gdf: gpd.GeoDataFrame, what: str, columns: tuple[str, ...]) -> gpd.GeoDataFrame:
    """The layer in EPSG:4326 (lon/lat), after checking its columns and CRS."""
    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        raise DataError(
            f"network layer {what}: columns {missing} missing (has {list(gdf.columns)}). "
            "Fix: write the layer with every column of the contract in pipeline/ofds.py."
        )
    if gdf.crs is None:
        raise DataError(
            f"network layer {what}: no CRS. Fix: set the layer's CRS (the network stage's "
            "analysis CRS) before converting it to OFDS."
        )
    return gdf if gdf.crs.equals("EPSG:4326") else gdf.to_crs("EPSG:4326")


def _iso_date(text: str, what: str) -> str:
    """``text`` if it is an ISO date (``YYYY-MM-DD``), else a DataError naming ``what``."""
    try:
        dt.date.fromisoformat(str(text))
    except ValueError:
        raise DataError(f"{what}: {text!r} is not an ISO date. Fix: give YYYY-MM-DD.") from None
    return str(text)


def _summary_key(summary: dict) -> str:
    """The network key of a summary, after checking it has every key OFDS needs."""
    missing = [k for k in SUMMARY_KEYS if not summary.get(k)]
    if missing:
        raise DataError(
            f"network summary {summary.get('network', '?')!r}: {missing} missing or empty. "
            f"Fix: give each summary the keys {list(SUMMARY_KEYS)}."
        )
    return summary["network"]


def _network(
    summary: dict,
    nodes: gpd.GeoDataFrame,
    links: gpd.GeoDataFrame,
    *,
    published: str | None,
    decimals: int,
) -> dict:
    """One OFDS network: its metadata, nodes and spans."""
    key = summary["network"]
    _check_ids(key, nodes, links)
    connections = _international(nodes, links)
    names = dict(zip(nodes["node_id"], nodes["name"], strict=True))
    out = {
        "id": network_id(key),
        "identifier": key,
        "name": str(summary["name"]),
        "publisher": {"name": str(summary["publisher"])},
        **({"publicationDate": published} if published is not None else {}),
        "collectionDate": _iso_date(summary["build_date"], f"network summary {key!r} build_date"),
        "crs": CRS84,
        "language": "en",
        "links": [{"rel": "describedby", "href": SCHEMA_URL}],
    }
    node_list = [_node(r, decimals, connections.get(r.node_id)) for r in nodes.itertuples()]
    span_list = [_span(r, names, decimals) for r in links.itertuples()]
    if node_list:
        out["nodes"] = node_list  # OFDS arrays have at least one item, or are left out
    if span_list:
        out["spans"] = _unique_names(span_list)
    return out


def _check_ids(key: str, nodes: gpd.GeoDataFrame, links: gpd.GeoDataFrame) -> None:
    """Fail unless node and link ids are unique and every link's ends are nodes of the network."""
    unnamed = nodes.loc[nodes["node_id"].isna(), "name"]
    if len(unnamed):
        raise DataError(
            f"network {key!r}: {len(unnamed)} nodes have no node_id (e.g. {unnamed.iloc[0]!r}). "
            "Fix: pass only the nodes links join; the sites and gateways along links have none."
        )
    for what, ids in (("node_id", nodes["node_id"]), ("link_id", links["link_id"])):
        twice = sorted(set(ids[ids.duplicated()]))
        if twice:
            raise DataError(
                f"network {key!r}: {what} {twice} used twice. Fix: make ids unique per network."
            )
    ends = set(links["from_node"]) | set(links["to_node"])
    unknown = sorted(ends - set(nodes["node_id"]))
    if unknown:
        raise DataError(
            f"network {key!r}: links end at nodes {unknown}, which are not in its nodes layer. "
            "Fix: write every node a link names."
        )
    kinds = sorted(set(nodes["kind"]) - set(NODE_TYPES))
    if kinds:
        raise DataError(
            f"network {key!r}: node kinds {kinds} unknown (known: {sorted(NODE_TYPES)}). "
            "Fix: use a known kind, or add it to NODE_TYPES in pipeline/ofds.py."
        )


def _international(nodes: gpd.GeoDataFrame, links: gpd.GeoDataFrame) -> dict[str, list[str]]:
    """The countries each gateway connects to: its spans' countries other than its own."""
    out = {}
    for n in nodes.loc[nodes["kind"] == "gateway"].itertuples():
        at = links.loc[(links["from_node"] == n.node_id) | (links["to_node"] == n.node_id)]
        codes = [c for text in at["countries"] for c in _countries(text)] if len(at) else []
        others = [c for c in dict.fromkeys(codes) if c != _country(n.country)]
        if others:
            out[n.node_id] = others
    return out


def _country(code) -> str:
    """An ISO 3166-1 alpha-2 code, or "" for none."""
    code = "" if code is None or pd.isna(code) else str(code)
    if code and not re.fullmatch(r"[A-Z]{2}", code):
        raise DataError(f"country {code!r} is not an ISO 3166-1 alpha-2 code (e.g. 'KZ').")
    return code


_KM_IN = r"(\S+) \d[\d,]*(?:\.\d+)? km"
"""One item of a ``countries`` text: a label and its km, thousands separated by commas."""
NOT_COUNTRIES = ("sea", "none")
"""Labels of a ``countries`` text that are no country: the water, and land outside every one."""


def _countries(text) -> list[str]:
    """The country codes of a ``countries`` text, in order, once each.

    The text is the network stage's: "RU 1,237 km, sea 168 km, KZ 160 km" gives RU, KZ.
    """
    if not isinstance(text, str) or not text.strip():
        return []
    if not re.fullmatch(f"{_KM_IN}(?:, {_KM_IN})*", text.strip()):
        raise DataError(
            f"countries {text!r}: not a list of 'CODE km' items (e.g. 'RU 1,237 km, sea 168 km')."
        )
    labels = [x for x in re.findall(_KM_IN, text) if x not in NOT_COUNTRIES]
    return list(dict.fromkeys(_country(x) for x in labels))


def _node(row, decimals: int, connections: list[str] | None) -> dict:
    """One OFDS node of a row of the nodes layer."""
    _check_geometry(row.geometry, "Point", f"node {row.node_id!r}")
    node = {
        "id": str(row.node_id),
        "name": str(row.name),
        "status": "planned",
        "location": {"type": "Point", "coordinates": _position(row.geometry.coords[0], decimals)},
    }
    if country := _country(row.country):
        node["address"] = {"country": country}
    if types := NODE_TYPES[row.kind]:
        node["type"] = list(types)
    if connections:
        node["internationalConnections"] = [{"country": c} for c in connections]
    return node


def _check_geometry(geometry, kind: str, what: str) -> None:
    """Fail unless ``geometry`` is a non-empty geometry of type ``kind``."""
    found = None if geometry is None else "empty" if geometry.is_empty else geometry.geom_type
    if found != kind:
        raise DataError(
            f"network layers, {what}: geometry is {found}, not a {kind}. "
            f"Fix: write each {'node as one point' if kind == 'Point' else 'link as one line'}."
        )


def _position(xy, decimals: int) -> list[float]:
    """A GeoJSON position, lon/lat rounded (a Z value is dropped)."""
    return [round(float(xy[0]), decimals), round(float(xy[1]), decimals)]


def _span(row, names: dict[str, str], decimals: int) -> dict:
    """One OFDS span of a row of the links layer."""
    _check_geometry(row.geometry, "LineString", f"link {row.link_id!r}")
    length_km = _km(row.length_km, f"link {row.link_id!r} length_km")
    span = {
        "id": str(row.link_id),
        "name": f"{names[row.from_node]} – {names[row.to_node]} ({row.role})",
        "status": "planned",
        "start": str(row.from_node),
        "end": str(row.to_node),
        "directed": False,
        "route": {
            "type": "LineString",
            "coordinates": [_position(xy, decimals) for xy in row.geometry.coords],
        },
        "transmissionMedium": ["fibre"],
    }
    km = {m: _km(getattr(row, m), f"link {row.link_id!r} {m}") for m in METHODS}
    if any(km[m] > 0 for m in BELOW_GROUND):
        span["deployment"] = ["belowGround"]
    if described := _methods_text(km):
        span["supportingInfrastructure"] = {"description": described}
    span["fibreLength"] = round(length_km, 3)
    if countries := _countries(row.countries):
        span["countries"] = countries
    return span


def _km(value, what: str) -> float:
    """A finite, non-negative number of km, else a DataError naming ``what``."""
    try:
        km = math.nan if value is None or pd.isna(value) else float(value)
    except (TypeError, ValueError):
        km = math.nan
    if not math.isfinite(km) or km < 0:
        raise DataError(f"{what}: {value!r} is not a length in km (a number >= 0).")
    return km


def _methods_text(km: dict[str, float]) -> str:
    """The construction methods of a span in words, km each ("" if it has none)."""
    parts = [f"{km[m]:,.1f} km {what}" for m, what in METHODS.items() if km[m] > 0]
    return "Planned construction: " + "; ".join(parts) + "." if parts else ""


def _unique_names(spans: list[dict]) -> list[dict]:
    """The spans, a name that repeats (two links of one role between two nodes) with its id."""
    count = Counter(s["name"] for s in spans)
    for s in spans:
        if count[s["name"]] > 1:
            s["name"] = f"{s['name']} [{s['id']}]"
    return spans


def geojson_pair(package: dict) -> tuple[dict, dict]:
    """The OFDS GeoJSON serialisation of a package: (nodes, spans) feature collections.

    As the standard's transformation specification says (and libcoveofds does): a feature per
    node and per span, with the location or route as geometry, the other fields as properties,
    ``network`` (the network's fields but its nodes and spans) and ``featureType``; a span's
    ``start`` and ``end`` become the node objects they name.

    Raises
    ------
    ValueError
        If a network has organisations, phases or contracts: those are dereferenced too by the
        specification, and ``network_package`` makes none, so this does not.
    """
    node_features, span_features = [], []
    for network in package["networks"]:
        held = [k for k in ("organisations", "phases", "contracts") if k in network]
        if held:
            raise ValueError(
                f"network {network.get('id')}: has {held}, which geojson_pair does not "
                "dereference; use libcoveofds' JSONToGeoJSONConverter for such packages"
            )
        meta = {k: v for k, v in network.items() if k not in ("nodes", "spans")}
        by_id = {n["id"]: n for n in network.get("nodes", [])}
        for node in network.get("nodes", []):
            node_features.append(_feature(node, "location", meta=meta, kind="node"))
        for span in network.get("spans", []):
            ends = {k: by_id.get(span[k], span[k]) for k in ("start", "end") if k in span}
            span_features.append(_feature({**span, **ends}, "route", meta=meta, kind="span"))
    return _collection(node_features), _collection(span_features)


def _feature(item: dict, geometry: str, *, meta: dict, kind: str) -> dict:
    """A GeoJSON feature of a node or span: ``geometry`` out of it, network and type added."""
    properties = {k: v for k, v in item.items() if k != geometry}
    return {
        "type": "Feature",
        "geometry": item.get(geometry),
        "properties": {**properties, "network": meta, "featureType": kind},
    }


def _collection(features: list[dict]) -> dict:
    """A GeoJSON feature collection."""
    return {"type": "FeatureCollection", "features": features}


def json_text(data: dict) -> str:
    """Compact UTF-8 JSON text, one line and a newline; NaN and infinity are refused."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n"


def write(folder: Path, package: dict) -> list[Path]:
    """Write ``network.json``, ``nodes.geojson`` and ``spans.geojson`` into ``folder``.

    Each file is written atomically (``io.write_text``); returns their paths in that order.
    """
    nodes, spans = geojson_pair(package)
    paths = [Path(folder) / name for name in FILES]
    for path, data in zip(paths, (package, nodes, spans), strict=True):
        io.write_text(path, json_text(data))
    return paths
