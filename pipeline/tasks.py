"""Routing tasks: the endpoints and scenarios of the config, as small picklable records.

A ``Task`` is one (scenario, origin): its waypoints and landing stations as points in the
analysis CRS, and the paths of the cost rasters (never the arrays), so Dask can send it to any
worker. Place names are resolved here, against the landing stations and Natural Earth's
populated places.
"""

from __future__ import annotations

import difflib
import json
import logging
from dataclasses import dataclass

import geopandas as gpd

from . import config, io
from .catalogue import StageFiles
from .config import Config, CostConfig, RouteConfig, Scenario
from .errors import EndpointError
from .geometry import GEOD
from .grid import Grid, template

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Endpoint:
    """A named point in analysis-CRS metres."""

    name: str
    x: float
    y: float
    slug: str = ""


@dataclass(frozen=True)
class Task:
    """One (scenario, origin) routing task: small values and the folder of the cost rasters."""

    scenario_key: str
    scenario: Scenario
    origin: Endpoint
    via: tuple[Endpoint, ...]
    destinations: tuple[Endpoint, ...]
    cost_files: tuple[tuple[str, str], ...]  # catalogue key -> path of each cost raster
    grid: Grid
    cost: CostConfig
    route: RouteConfig


def find_place(name: str, places: gpd.GeoDataFrame, landing: gpd.GeoDataFrame) -> Endpoint | None:
    """The cable landing station of that name, else the most populous populated place; or None."""
    hit = landing.loc[landing["name"] == name]
    if not hit.empty:
        g = hit.iloc[0]
        return Endpoint(name, float(g.geometry.x), float(g.geometry.y), g["slug"])
    key = name.casefold()
    hits = places.loc[
        (places["name"].str.casefold() == key)
        | (places["name_ascii"].fillna("").str.casefold() == key)
    ]
    if hits.empty:
        return None
    best = hits.sort_values("population", ascending=False).iloc[0]
    return Endpoint(name, float(best.geometry.x), float(best.geometry.y))


def resolve_place(
    name: str,
    lon: float | None,
    lat: float | None,
    *,
    places: gpd.GeoDataFrame,
    landing: gpd.GeoDataFrame,
    grid: Grid,
    role: str,
    match_km: float | None = None,
) -> Endpoint:
    """A point in CRS metres: its coordinates, a landing station, or a populated place.

    A name is looked up among the cable landing stations first, then the populated places
    (the most populous of that name). Coordinates given with a name the data know must lie
    within ``match_km`` of ground of that place (swapped or mistyped ones are refused).
    """
    known = find_place(name, places, landing)
    if lon is None:
        if known is None:
            raise _unknown_place(name, places, landing, role=role)
        return known
    x, y = grid.from_lonlat().transform(lon, lat)
    if known is not None and match_km is not None:
        k_lon, k_lat = grid.to_lonlat().transform(known.x, known.y)
        km = GEOD.inv(lon, lat, k_lon, k_lat)[2] / 1000.0
        if km > match_km:
            raise EndpointError(
                f"{role}: {name!r} is given at {lon:.4f}°E {lat:.4f}°N, {km:,.0f} km from the "
                f"{name} of the data at {k_lon:.4f}°E {k_lat:.4f}°N (more than "
                f"route.origin_name_km = {match_km:g} km). Fix: correct lon_deg and lat_deg (are "
                "they swapped?), or give another name if it is another place."
            )
    return Endpoint(name, float(x), float(y))


def _unknown_place(
    name: str, places: gpd.GeoDataFrame, landing: gpd.GeoDataFrame, *, role: str
) -> EndpointError:
    known = [*landing["name"], *places["name"].dropna()]
    near = difflib.get_close_matches(name, known, n=4, cutoff=0.7)
    return EndpointError(
        f"{role}: {name!r} is unknown: no cable landing station or populated place of that "
        f"name inside the area of interest{f' (closest: {near})' if near else ''}. Fix: check "
        "the spelling, or give lon_deg and lat_deg."
    )


def destinations(landing: gpd.GeoDataFrame, countries: list[str]) -> tuple[Endpoint, ...]:
    """Landing stations of the configured countries, ordered by name."""
    sel = landing.loc[landing["iso_a2"].isin(countries)].sort_values(["name", "slug"])
    return tuple(
        Endpoint(r["name"], float(r.geometry.x), float(r.geometry.y), r["slug"])
        for _, r in sel.iterrows()
    )


def origin_countries(origins: list[Endpoint], files: StageFiles, grid: Grid) -> dict[str, str]:
    """The country (ISO code) of each origin's cell in ``cost/country_id.tif``; '' for none."""
    country = io.mapped_raster(files["cost/country_id"], grid)
    codes = io.read_tags(files["cost/country_id"])["country_codes"].split(",")
    out = {}
    for o in origins:
        r, c = (int(v) for v in grid.rowcol(o.x, o.y))
        inside = 0 <= r < country.shape[0] and 0 <= c < country.shape[1]
        v = int(country[r, c]) if inside else 0
        out[o.name] = codes[v - 1] if v > 0 else ""
    return out


def _starts(
    key: str, sc: Scenario, origins: list[Endpoint], *, where: dict[str, str]
) -> list[Endpoint]:
    """The origins a scenario routes from: all, or a competitor's inside its countries."""
    starts = [o for o in origins if not sc.competitor or where[o.name] in sc.allowed_countries]
    for o in origins:
        if o not in starts:
            log.info(
                "route %s: not routed from %s (in %s): a competitor scenario routes only from "
                "the origins inside its allowed countries %s",
                key,
                o.name,
                where[o.name] or "no country",
                sc.allowed_countries,
            )
    return starts


def scenario_destinations(
    dests: tuple[Endpoint, ...], stations: list[str], *, setting: str
) -> tuple[Endpoint, ...]:
    """The destinations a scenario routes to: the named ``stations`` among ``dests``, or all."""
    if not stations:
        return dests
    config.check_names(
        setting,
        stations,
        [d.name for d in dests],
        where="the landing stations of route.landing_countries",
    )
    return tuple(d for d in dests if d.name in stations)


def check_names(rc: RouteConfig, files: StageFiles) -> None:
    """Every country code and water body the route settings name exists in the data."""
    codes = io.read_tags(files["cost/country_id"])["country_codes"].split(",")
    bodies = json.loads(io.read_tags(files["cost/water_body"])["water_bodies"])
    where = "the countries inside the area of interest (cost/country_id.tif)"
    config.check_names("route.landing_countries", rc.landing_countries, codes, where=where)
    for key, sc in rc.scenarios.items():
        at = f"route.scenarios.{key}"
        config.check_names(f"{at}.allowed_countries", sc.allowed_countries, codes, where=where)
        config.check_names(f"{at}.country_cost_mult", sc.country_cost_mult, codes, where=where)
        config.check_names(
            f"{at}.water_bodies",
            sc.water_bodies,
            bodies,
            where="the named seas and lakes of the area",
        )


def cost_files(files: StageFiles) -> tuple[tuple[str, str], ...]:
    """The cost stage's files among a stage's, as a task carries them (small, picklable)."""
    return tuple(
        (k, str(p))
        for k, p in files.paths.items()
        if k.startswith("cost/") or k in ("gateways", "landcover")
    )


def make_tasks(
    cfg: Config,
    places: gpd.GeoDataFrame,
    landing: gpd.GeoDataFrame,
    *,
    grid: Grid,
    files: StageFiles,
) -> list[Task]:
    """One task per scenario and origin."""
    origins = [
        resolve_place(
            o.name,
            o.lon_deg,
            o.lat_deg,
            places=places,
            landing=landing,
            grid=grid,
            role="route.origins",
            match_km=cfg.route.origin_name_km,
        )
        for o in cfg.route.origins
    ]
    dests = destinations(landing, cfg.route.landing_countries)
    if not dests:
        raise EndpointError(
            f"route.landing_countries: no landing station of "
            f"{cfg.route.landing_countries} in the cable data inside the area. "
            "Fix: check the ISO codes, or widen the area of interest."
        )
    where = origin_countries(origins, files, grid) if cfg.route.competitors() else {}
    tasks = []
    for key, sc in cfg.route.scenarios.items():
        mine = scenario_destinations(dests, sc.stations, setting=f"route.scenarios.{key}.stations")
        starts = _starts(key, sc, origins, where=where)
        via = tuple(
            resolve_place(
                v,
                None,
                None,
                places=places,
                landing=landing,
                grid=grid,
                role=f"route.scenarios.{key}.via",
            )
            for v in sc.via
        )
        tasks += [
            Task(key, sc, o, via, mine, cost_files(files), grid, cfg.cost, cfg.route)
            for o in starts
        ]
    return tasks


def read_tasks(cfg: Config, files: StageFiles) -> tuple[Grid, list[Task]]:
    """The grid and the routing tasks of the config, its names checked against the data.

    The route, uncertainty and network stages start here.
    """
    grid = template(cfg.grid)
    check_names(cfg.route, files)
    places = io.read_layer(files["ingest"], "places")
    landing = io.read_layer(files["ingest"], "landing_points")
    return grid, make_tasks(cfg, places, landing, grid=grid, files=files)
