"""One typed, validated configuration, loaded from YAML with defaults in code.

Every number carries its unit in its name, and every default states where it comes from in its
field description (``python -m pipeline config --doc`` prints them as a table; the README carries
that table). The default places (origins, listed gateways, the reference corridor, hubs and
chokepoints) are facts of the world, each with its source, kept in ``pipeline/world.yaml`` and
validated with the same models as a config file. Unknown keys, wrong types, out-of-range or
infinite values, keys given twice and files not in UTF-8 fail at load time with the key path (or
line), the value and what is allowed.
"""

from __future__ import annotations

import copy
import difflib
import functools
import json
import os
import types
import typing
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from . import catalogue
from .errors import ConfigError

FT_PER_KM = 3280.84
"""Feet per kilometre, to convert the US per-foot cost surveys."""

PosFloat = Annotated[float, Field(gt=0)]
NonNegFloat = Annotated[float, Field(ge=0)]
UnitFloat = Annotated[float, Field(ge=0, le=1)]
RowKind = Literal["railway", "major_road", "road", "pipeline"]
LandcoverName = Literal[
    "forest",
    "shrubland",
    "savanna",
    "grassland",
    "wetland",
    "cropland",
    "urban",
    "snow_ice",
    "barren",
]


class _Section(BaseModel):
    # allow_inf_nan: every float setting (dict values and tuples too) must be a finite number.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class PathsConfig(_Section):
    """Where data lives; the Makefile assumes the defaults."""

    raw_dir: Path = Field(Path("data/raw"), description="Fetched source data (immutable input).")
    processed_dir: Path = Field(
        Path("data/processed"), description="Every stage's outputs; the deliverables too."
    )


class FetchConfig(_Section):
    """Fetch stage: producer downloads or the offline mirror."""

    mirror_dir: Path | None = Field(
        None,
        description="Offline mirror folder (laid out as ../shared/data). The environment "
        "variable PIPELINE_MIRROR overrides it. When set, the network is never touched.",
    )
    timeout_s: PosFloat = Field(
        60.0, description="HTTP timeout per request, seconds (urllib's socket timeout)."
    )


class GridConfig(_Section):
    """The analysis grid every raster shares."""

    lon_min_deg: float = Field(
        34.0,
        ge=-180,
        le=180,
        description="Area of interest, west edge "
        "(EPSG:4326). Default: west of Moscow (37.6°E) with margin.",
    )
    lon_max_deg: float = Field(
        80.0,
        ge=-180,
        le=180,
        description="Area of interest, east edge. "
        "Default: east of Almaty (76.9°E) with margin, the mirror's eastern edge (80°E).",
    )
    lat_min_deg: float = Field(
        23.0,
        ge=-90,
        le=90,
        description="Area of interest, south edge. "
        "Default: south of Chabahar (25.3°N) with margin.",
    )
    lat_max_deg: float = Field(
        58.0,
        ge=-90,
        le=90,
        description="Area of interest, north edge. Default: north of Moscow (55.8°N) with margin.",
    )
    crs: str = Field(
        "+proj=lcc +lat_0=40 +lon_0=56 +lat_1=29 +lat_2=52 +x_0=0 +y_0=0 +datum=WGS84 "
        "+units=m +no_defs",
        description="Analysis CRS (projected, metres). Default: Lambert conformal conic on the "
        "corridor, standard parallels by the one-sixth rule for 23–58°N (Snyder 1987, USGS PP "
        "1395, p. 104); conformal so the local scale factor is the same in every direction and "
        "the router corrects it exactly to ground distance.",
    )
    cell_m: PosFloat = Field(
        2500.0,
        description="Cell size in analysis-CRS metres. Default: the DEM's resolution (0.025° "
        "GMTED2010 resampling ≈ 2.8 km N–S); a finer grid only interpolates.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> GridConfig:
        if self.lon_min_deg >= self.lon_max_deg or self.lat_min_deg >= self.lat_max_deg:
            raise ValueError("grid: lon_min_deg < lon_max_deg and lat_min_deg < lat_max_deg needed")
        return self


class CostConfig(_Section):
    """Cost surface in USD per km of cable, and crossing costs in USD each."""

    base_usd_per_km: PosFloat = Field(
        12.50 * FT_PER_KM,
        description="Buried cable, cross-country, soft ground (41,011 USD/km). Source: Fiber "
        "Broadband Association / Cartesian, Fiber Deployment Cost Annual Report 2023: median "
        "underground cost in extremely rural areas, USD 12.50 per foot.",
    )
    urban_mult: PosFloat = Field(
        23.25 / 12.50,
        description="Multiplier inside settlements (1.86). Source: same report, urban median "
        "USD 23.25/ft over extremely rural USD 12.50/ft.",
    )
    hill_slope_deg: NonNegFloat = Field(
        1.15,
        description="Slope from which ground counts as hilly (a 2 % grade). Source: WECC / Black & "
        "Veatch (2019) transmission capital cost calculator terrain classes, as in NREL reVX.",
    )
    mountain_slope_deg: NonNegFloat = Field(
        4.57,
        description="Slope from which ground counts as mountain (an 8 % grade). Source: as "
        "hill_slope_deg.",
    )
    hill_mult: PosFloat = Field(
        1.5,
        description="Multiplier on hilly ground. Interpolated halfway between soft earth (1.0) "
        "and rock (2.0) of the FBA/Cartesian 2023 report; no published figure for 'hilly'.",
    )
    mountain_mult: PosFloat = Field(
        2.0,
        description="Multiplier on mountain ground. Source: FBA/Cartesian 2023, underground "
        "median USD 20/ft in rocky terrain over USD 10/ft in soft earth.",
    )
    colocation_distance_km: NonNegFloat = Field(
        2.0,
        description="A cell this close to a railway, road or pipeline counts as on an existing "
        "right-of-way. Source: positional tolerance of 1:10M (Natural Earth 10m) lines, 0.2 mm "
        "at map scale = 2 km.",
    )
    row_railway_classes: list[Literal["rail", "narrow_gauge", "construction"]] = Field(
        default_factory=lambda: ["rail", "narrow_gauge"],
        description="OSM railway classes that count as a right-of-way. Default: lines in "
        "service. Add 'construction' for lines being built (such as Iran's Chabahar–Zahedan in "
        "the 2021 OSM data), whose formation may not be graded or permitted yet.",
    )
    row_road_classes: list[
        Literal[
            "major",
            "motorway",
            "trunk",
            "primary",
            "secondary",
            "motorway_construction",
            "trunk_construction",
            "primary_construction",
        ]
    ] = Field(
        default_factory=lambda: ["major", "motorway", "trunk", "primary", "secondary"],
        description="Road classes that count as a right-of-way (OSM highway=*; 'major' is "
        "Natural Earth's major roads). Default: secondary and better, the paved inter-city "
        "network a cable is ploughed beside (OSM wiki, Key:highway); tertiary roads are "
        "not in the data. '*_construction' adds roads being built.",
    )
    colocation_mult: PosFloat = Field(
        1 / 1.6,
        description="Multiplier along an existing right-of-way (0.625): plough-in along a graded, "
        "permitted corridor instead of trenching. Source: FBA/Cartesian Fiber Deployment Cost "
        "Annual Report 2025, trenching about 60 % costlier than ploughing.",
    )
    row_discount_share: dict[RowKind, UnitFloat] = Field(
        default_factory=lambda: {"railway": 1.0, "major_road": 1.0, "road": 0.5, "pipeline": 0.5},
        description="Share (0–1) of the co-location discount each kind of right-of-way earns: "
        "a cell's multiplier is 1 − share × (1 − colocation_mult), the best kind within the "
        "co-location distance counting. Railways and primary-or-better roads (OSM "
        "motorway/trunk/primary, Natural Earth major roads) earn all of it: a graded, fenced "
        "formation with a service track, where the corridor's own cables are ploughed in "
        "(Kazakhtelecom and KTZ along the railways). Assumption, labelled: secondary roads "
        "(narrower verges, more junctions) and pipelines (works in the operator's protection "
        "zone, 25 m either side of a trunk pipeline's axis in Russia's Rules for the "
        "Protection of Trunk Pipelines, 1992, need its consent and supervision) earn half.",
    )
    landcover_mult: dict[LandcoverName, PosFloat] = Field(
        default_factory=lambda: {
            "forest": 2.25,
            "shrubland": 1.0,
            "savanna": 1.0,
            "grassland": 1.0,
            "wetland": 1.2,
            "cropland": 1.0,
            "urban": 1.0,
            "snow_ice": 1.75,
            "barren": 1.05,
        },
        description="Build cost multiplier per land cover (MODIS MCD12C1 IGBP classes: forest "
        "1–5, shrubland 6–7, savanna 8–9, grassland 10, wetland 11, cropland 12 and 14, urban "
        "13, snow_ice 15, barren 16). Source: Black & Veatch for WECC (2012/2019), Capital "
        "Costs for Transmission and Substations, terrain multipliers — forested 2.25, wetland "
        "1.20, desert/barren 1.05, farmland and scrub/flat 1.00 — the land cover factors NREL "
        "reVX uses; an assumption that an overhead line's clearing and access factors carry "
        "over to a buried cable. urban 1.0: settlements are priced by urban_mult already. "
        "snow_ice 1.75: B&V's mountain factor (permanent snow lies on high mountains; an "
        "assumption).",
    )
    protected_area_mult: PosFloat = Field(
        0.5 * (15 + 50) / 12.50,
        description="Multiplier inside a protected area (2.6) where a scenario treats them as a "
        "penalty: the cable is bored there (directional drilling, no surface works), the HDD "
        "rate (US DOT ITS JPO, USD 15–50/ft, middle) over the base rate (FBA/Cartesian 2023, "
        "USD 12.50/ft). Rationale: IUCN's guidelines (Dudley 2008) keep linear infrastructure "
        "out of strict reserves and national parks (categories Ia–II) except where it cannot "
        "go elsewhere; the route is steered around them and, where it must cross, priced as "
        "a trenchless crossing. Not charged beside a railway or primary-or-better road "
        "(within the co-location distance): there the cable goes in the existing reserve, "
        "which IUCN's guidelines prefer to a new corridor (an assumption on their wording).",
    )
    fault_crossing_usd: NonNegFloat = Field(
        0.5 * (15 + 50) * FT_PER_KM,
        description="One crossing of an active fault (106,627 USD): armoured cable in a "
        "flexible duct with slack loops either side over 1 km, priced as 1 km at the middle "
        "of the HDD range (US DOT ITS JPO, USD 15–50/ft). An assumption on a published unit "
        "rate, after the fault-crossing design of buried lifelines (American Lifelines "
        "Alliance 2005, Guidelines for the Design of Buried Steel Pipe: wide, loose trench "
        "and slack across the fault zone).",
    )
    fault_exclude_slip_types: list[str] = Field(
        default_factory=lambda: ["Anticline", "Syncline"],
        description="GEM active-fault slip types not priced as crossings. Default: the folds "
        "(anticlines, synclines), which GEM lists as active structures but which do not "
        "rupture the surface a cable is buried in.",
    )
    hdd_usd_per_km: NonNegFloat = Field(
        0.5 * (15 + 50) * FT_PER_KM,
        description="Horizontal directional drilling under a river (106,627 USD/km): the middle "
        "of USD 15–50 per foot. Source: US DOT ITS JPO cost database, directional boring.",
    )
    river_hdd_km: NonNegFloat = Field(
        1.0,
        description="Length of one river crossing's bore, km. Assumption: Natural Earth 1:10M "
        "rivers are the large ones (Volga, Ural, Amu Darya), whose floodplain crossings are "
        "bored for about 1 km; set per river from surveys.",
    )
    country_mult: dict[str, PosFloat] = Field(
        default_factory=dict,
        description="Build cost multiplier per country (labour, permitting), ISO alpha-2 → "
        "factor; 1 where not given. Default: none (no comparable published index for the "
        "corridor's countries; set from contractors' quotes).",
    )
    border_crossing_usd: NonNegFloat = Field(
        50 * FT_PER_KM,
        description="One international border crossing (164,042 USD): the border strip bored "
        "for 1 km at the top of the HDD range (USD 50/ft, US DOT ITS JPO), for fences, patrol "
        "roads and escorted works. An assumption on a published unit rate.",
    )

    @field_validator("row_discount_share", "landcover_mult", mode="after")
    @classmethod
    def _over_defaults(cls, v: dict, info) -> dict:
        """Kinds and classes not given keep their defaults."""
        return {**cls.model_fields[info.field_name].get_default(call_default_factory=True), **v}

    @property
    def river_crossing_usd(self) -> float:
        """One river crossing: the bore's length at the HDD rate, USD."""
        return self.hdd_usd_per_km * self.river_hdd_km

    landfall_usd: NonNegFloat = Field(
        0.5 * (15 + 50) * FT_PER_KM,
        description="One landfall where a submarine leg meets land (106,627 USD): beach "
        "manhole and a 1 km directional bore at the middle of USD 15–50 per foot (US DOT ITS "
        "JPO, as river_crossing_usd).",
    )
    submarine_usd_per_km: PosFloat = Field(
        137_000.0,
        description="Submarine cable where a scenario allows water. Source: the Trans-Caspian "
        "fiber-optic cable estimate (Kazakhtelecom / AzerTelecom, 2023): about USD 50 M for "
        "about 370 km.",
    )


class Origin(_Section):
    """A route origin: a name, and optionally its coordinates (else looked up in the places)."""

    name: str = Field(
        description="Place name; looked up in Natural Earth populated places "
        "when lon_deg/lat_deg are not given."
    )
    lon_deg: float | None = Field(None, ge=-180, le=180)
    lat_deg: float | None = Field(None, ge=-90, le=90)

    @model_validator(mode="after")
    def _both_or_neither(self) -> Origin:
        if (self.lon_deg is None) != (self.lat_deg is None):
            raise ValueError(f"origin {self.name!r}: give both lon_deg and lat_deg, or neither")
        return self


class Scenario(_Section):
    """A routing scenario: which countries the cable may cross, and at what extra cost."""

    description: str = ""
    allowed_countries: list[str] = Field(
        min_length=1, description="ISO 3166-1 alpha-2 codes the route may cross."
    )
    country_cost_mult: dict[str, PosFloat] = Field(
        default_factory=dict,
        description="Steering multiplier per country (penalise without forbidding). Steers "
        "only; never changes the reported cost.",
    )
    water_bodies: list[str] = Field(
        default_factory=list,
        description="Seas or lakes a submarine leg may cross, by Natural Earth name (e.g. "
        "'Caspian Sea'); priced at submarine_usd_per_km, each landfall at landfall_usd.",
    )
    via: list[str] = Field(
        default_factory=list,
        description="Waypoints every route of the scenario passes, in order: cable landing "
        "station names (e.g. 'Aktau, Kazakhstan') or populated place names.",
    )
    protected_areas: Literal["penalty", "barrier"] = Field(
        "penalty",
        description="Protected areas (OSM boundary=protected_area, national parks, nature "
        "reserves): 'penalty' prices them at cost.protected_area_mult; 'barrier' keeps routes "
        "out, and a route that cannot avoid one crosses it at the penalty and says so in its "
        "'relaxed' field. Default: penalty (IUCN's guidelines allow unavoidable linear "
        "infrastructure; see cost.protected_area_mult).",
    )
    off_gateway_crossing_usd: NonNegFloat | None = Field(
        None,
        description="Unset: a land border is crossed only at a gateway (a barrier elsewhere). "
        "A number: a crossing away from any gateway is allowed at border_crossing_usd plus this "
        "(steered and reported, and named as relaxed in the route's fields).",
    )
    stations: list[str] = Field(
        default_factory=list,
        description="Landing stations this scenario routes to, by name as in the cable data "
        "(e.g. 'Jask, Iran'), each of a country in route.landing_countries. Empty: every "
        "station of route.landing_countries.",
    )
    alternatives: int | None = Field(
        None,
        ge=1,
        le=10,
        description="Routes per pair for this scenario; unset: route.alternatives.",
    )
    cable: str | None = Field(
        None,
        description="A competitor's own submarine cable (its TeleGeography name): the paths "
        "onward from its stations take it first, then the least-km path on. Unset: the "
        "least-km path from the station.",
    )
    competitor: bool = Field(
        False,
        description="An existing system modelled for comparison (such as EPEG), not a "
        "candidate for the corridor: routed (from the origins inside its allowed_countries "
        "only) and scored like the others, compared with the "
        "corridor in the onward stage's competitors table, and left out of onward_paths and "
        "of the report's ranking of the corridor's scenarios.",
    )

    @field_validator("allowed_countries")
    @classmethod
    def _iso2(cls, v: list[str]) -> list[str]:
        bad = [c for c in v if len(c) != 2 or not c.isalpha() or not c.isupper()]
        if bad:
            raise ValueError(f"ISO 3166-1 alpha-2 codes expected (e.g. 'KZ'), got {bad}")
        return v


class RouteConfig(_Section):
    """Routing: origins, destinations, scenarios."""

    origins: list[Origin] = Field(
        default_factory=lambda: _world("route.origins"),
        min_length=1,
        description="Route origins. Default: Moscow, Astana (Kazakhstan's capital) and Almaty "
        "(its largest city and exchange point), at their Natural Earth populated places "
        "positions (pipeline/world.yaml).",
    )
    landing_countries: list[str] = Field(
        default_factory=lambda: ["IR"],
        min_length=1,
        description="Destinations: every cable landing station of these countries in the "
        "TeleGeography data (stations no land route reaches are listed as skipped).",
    )
    scenarios: dict[str, Scenario] = Field(
        default_factory=lambda: {
            "land_tm": Scenario(
                description="Land via Turkmenistan (Kazakhstan–Turkmenistan–Iran railway corridor)",
                allowed_countries=["RU", "KZ", "TM", "IR"],
            ),
            "land_uz_tm": Scenario(
                description="Land via Uzbekistan and Turkmenistan",
                allowed_countries=["RU", "KZ", "UZ", "TM", "IR"],
            ),
            "caspian": Scenario(
                description="Caspian crossing: Russia and Kazakhstan to Aktau, submarine to "
                "Iran's Caspian coast, then Iran",
                allowed_countries=["RU", "KZ", "IR"],
                water_bodies=["Caspian Sea"],
                via=["Aktau, Kazakhstan"],
            ),
            "epeg": Scenario(
                description="EPEG, the Europe–Persia Express Gateway (competitor): Russia, "
                "Azerbaijan and Iran, through the RU–AZ and AZ–IR border gateways, to the "
                "Iranian landing stations of the OMRAN/EPEG cable, then that cable",
                allowed_countries=["RU", "AZ", "IR"],
                stations=["Jask, Iran", "Chabahar, Iran"],
                alternatives=1,
                cable="OMRAN/EPEG Cable System",
                competitor=True,
            ),
        },
        min_length=1,
        description="Scenarios by key. Defaults: the corridor's three stated options — land "
        "via Turkmenistan; via Uzbekistan and Turkmenistan; Caspian crossing from Aktau — and "
        "one competitor, epeg: the Europe–Persia Express Gateway, in service since 2013 "
        "(Frankfurt–Poland–Ukraine–Russia–Azerbaijan–Iran, then the OMRAN/EPEG cable from "
        "Jask and Chabahar to Barka, Oman: the EPEG consortium's launch, Rostelecom and TCI "
        "press releases, 2013; the cable and its stations in TeleGeography's submarine cable "
        "data, RFS 2013), modelled on the pipeline's own surface with one route per station.",
    )
    alternatives: int = Field(
        3,
        ge=1,
        le=10,
        description="Routes per origin–destination pair and scenario, physically diverse "
        "(planners' requirement: a cable cut must not take out both paths).",
    )
    alternatives_method: Literal["joint", "greedy"] = Field(
        "joint",
        description="How the alternatives of a pair are found. 'greedy': each in turn, the "
        "cheapest route outside the earlier ones' corridors (it can take the ground a later "
        "one needs). 'joint': greedy first; where an alternative cannot keep apart, the ground "
        "it needed is taken from the earlier ones and the set routed again (kept only if more "
        "of its routes keep apart); then each route is "
        "re-routed against all the others until none gets cheaper — the set of k routes of "
        "least total cost that keeps the separation (as far as this local search finds; "
        "after Suurballe 1974 and Bhandari 1999 for disjoint paths). Alternatives are then "
        "numbered by cost.",
    )
    max_alternative_cost_ratio: float = Field(
        1.5,
        gt=1,
        description="An alternative kept apart may cost (steering) at most this times the "
        "pair's cheapest route; dearer, the closer route is taken and its shared ground "
        "reported. ASSUMPTION: a planner funds a diverse path at up to half again the first; "
        "without a cap the joint method can take a long detour (across the Caspian, say) to "
        "keep apart. Set from the project's budget.",
    )
    joint_rounds: int = Field(
        4,
        ge=1,
        le=20,
        description="Most repair and re-routing rounds of the joint method per pair (each "
        "routes the set again). Default: 4, an assumption; with k = 3 alternatives a repair "
        "can free at most two routes, and the re-routing rounds stop as soon as none gets "
        "cheaper.",
    )
    separation_km: NonNegFloat = Field(
        20.0,
        description="Alternatives stay at least this far apart outside the endpoint areas "
        "(planners' requirement for the corridor).",
    )
    endpoint_radius_km: NonNegFloat = Field(
        40.0,
        description="Around each origin, waypoint and destination the alternatives may share "
        "ground. Default: twice separation_km — two routes leaving one point at 60° to each "
        "other are separation_km apart after separation_km, and need room to turn.",
    )
    fallback_penalty_mult: PosFloat = Field(
        10.0,
        description="When no route can keep the separation (a single pass, border crossing or "
        "strait), the next alternative may enter earlier routes' corridors at this steering "
        "multiplier, and the shared ground is reported. Steers only.",
    )
    endpoint_snap_km: PosFloat = Field(
        10.0,
        description="An endpoint is moved to the nearest passable cell within this ground "
        "distance; farther means 'in the sea' (an error for origins, a skipped station for "
        "landing points). ASSUMPTION: farther than a coastal landing station lies from land on "
        "the grid (a cell or two), nearer than offshore platforms lie (tens of km out), so "
        "platforms are skipped.",
    )
    origin_name_km: PosFloat = Field(
        50.0,
        description="An origin given by name and coordinates is refused when the coordinates "
        "lie farther than this ground distance from the landing station or populated place of "
        "that name (swapped or mistyped coordinates); a name the data do not know is taken at "
        "its coordinates. ASSUMPTION: wider than a large city (Moscow within its ring road, the "
        "MKAD, is about 35 km across), far narrower than a swap of lon and lat moves a point.",
    )
    connectivity: Literal[8, 16] = Field(
        8,
        description="Moves per cell: 8 (rook + bishop), as GRASS r.cost and skimage MCP; or 16, "
        "adding knight's moves (GRASS r.cost -k), which cut the zig-zag of 8 moves (up to 8 % "
        "longer than the straight line) to about 3 %. The router prices a knight's move over "
        "the four cells it touches; the reported cost prices its two halves at their end cells.",
    )

    method: Literal["auto", "full", "coarse_to_fine"] = Field(
        "auto",
        description="'full': Dijkstra over the whole grid (exact). 'coarse_to_fine': route on "
        "the grid coarsened by coarse_factor (each block at the cheapest rate among its cells "
        "of the block's zone, so a railway keeps its discount and a coastal block of sea the "
        "sea's rate), then on the fine grid only within corridor_cells coarse cells of that "
        "path (widened where the path runs along the corridor's edge); zones, gateways, "
        "waypoints, barriers and the alternatives' exclusions all apply. Not exact: a route "
        "can cost slightly more than the full grid's, and with several alternatives the joint "
        "method can settle on another set (measured in the README, 'How it works' and 'Finer "
        "grids'). The network stage finds its tree and protection paths the same way. "
        "'auto': coarse to fine above coarse_to_fine_above_cells.",
    )
    coarse_to_fine_above_cells: int = Field(
        20_000_000,
        ge=0,
        description="Grid size (cells) from which 'auto' routes coarse to fine. Default: just "
        "above the 1 km grid (19.5 M cells to 80°E): grids up to 1 km keep the exact full grid, "
        "and finer ones, where its time and memory grow fast, go coarse to fine (measured in the "
        "README, 'Finer grids', and by make bench).",
    )
    coarse_factor: int = Field(
        4,
        ge=2,
        le=16,
        description="Fine cells per coarse cell, each way. Default: 4, with which make bench "
        "requires coarse to fine within 0.5 % of the full grid's cost (README, 'Benchmark').",
    )
    corridor_cells: int = Field(
        8,
        ge=1,
        description="Half-width of the fine search corridor, coarse cells. Default: the "
        "narrowest corridor that keeps the first routes on the real data within 0.5 % of the "
        "full grid's cost (coarse_factor 4); a narrower one can miss a near-tie such as the "
        "caspian scenario's landfall (README, 'How it works').",
    )
    max_widenings: int = Field(
        8,
        ge=0,
        description="Times the corridor is changed before the whole grid is searched: grown "
        "round the cells where a fine path runs along its edge (by twice its widest part so "
        "far: 2, 4 … 256 times corridor_cells), or made to take in a way to a target it holds "
        "none to. Default: 8, measured at 250 m on the real data (2026-12-06): the caspian "
        "scenario's second alternative to Ganaveh, from each origin, settled after 7 changes "
        "(the last corridor 512 coarse cells wide, 3 s), where 6 sent it to the whole grid "
        "(3.5 min and 5.3 GB each time); one more change to spare.",
    )

    coarsest_cells: int = Field(
        5_000_000,
        ge=1,
        description="Cells of the coarsest grid: a coarse grid larger than this is itself "
        "routed coarse to fine, by coarse_factor again (at 500 m, 78 M cells, one coarse grid of "
        "4.9 M; at 250 m, 311 M, two: 19.4 M and 1.2 M). Default: an assumption, of the order "
        "of the 2.5 km default grid (3.1 M cells), which a whole-grid Dijkstra searches "
        "quickly.",
    )

    def coarse_to_fine(self, cells: int) -> tuple[int, int, int, int] | None:
        """Coarse to fine for a grid of ``cells``: (factor, corridor, widenings, coarsest).

        None where the grid is routed whole.
        """
        on = self.method == "coarse_to_fine" or (
            self.method == "auto" and cells > self.coarse_to_fine_above_cells
        )
        c2f = (self.coarse_factor, self.corridor_cells, self.max_widenings, self.coarsest_cells)
        return c2f if on else None

    def competitors(self) -> set[str]:
        """Keys of the scenarios that model an existing system, not the corridor."""
        return {k for k, sc in self.scenarios.items() if sc.competitor}

    def off_gateway_usd(self) -> dict[str, float]:
        """Extra USD of one border crossing away from any gateway, per scenario (0: barrier)."""
        return {k: sc.off_gateway_crossing_usd or 0.0 for k, sc in self.scenarios.items()}


class ListedGateway(_Section):
    """A published border crossing point for cables (or a railway or road crossing)."""

    name: str
    lon_deg: float = Field(ge=-180, le=180)
    lat_deg: float = Field(ge=-90, le=90)
    kind: Literal["fiber_link", "rail", "road", "checkpoint"]
    status: Literal["in_service", "under_construction", "planned"] = Field(
        description="Whether the crossing (or the fiber link) is in service, under construction "
        "or planned, as its source says."
    )
    source: str = Field(min_length=1, description="Where the gateway is published.")


class GatewaysConfig(_Section):
    """Border gateways: where a route may cross a land border."""

    listed: list[ListedGateway] = Field(
        default_factory=lambda: _world("gateways.listed"),
        description="Published crossing points, each with its status (in_service, "
        "under_construction, planned) and source. Default (pipeline/world.yaml): the KTI "
        "railway's two border crossings and Turkmenistan's Ashgabat–Quchan fiber link (in "
        "service, at their OSM station or border post), the Garabogaz–Temirbaba road, and the "
        "fibre links of Turkmenistan's State Programme 2026–2028 (reported February 2026), "
        "Bekdash–Temirbaba to Kazakhstan and Etrek–Incheburun to Iran (planned). "
        "Turkmenistan's other published links (Garabogaz–Kenderli, Turkmenabat–Alat, "
        "Dashoguz–Gurlen) have no position in the data; add them with coordinates from a "
        "survey.",
    )
    railway_classes: list[Literal["rail", "narrow_gauge", "construction"]] = Field(
        default_factory=lambda: ["rail", "narrow_gauge"],
        description="A railway of these OSM classes over a border is a gateway (rail).",
    )
    road_classes: list[Literal["major", "motorway", "trunk", "primary", "secondary"]] = Field(
        default_factory=lambda: ["major", "motorway", "trunk", "primary"],
        description="A road of these classes over a border is a gateway (road). Default: "
        "primary and better, the roads of international crossings (OSM wiki, Key:highway); "
        "Natural Earth's major roads too.",
    )
    radius_km: PosFloat = Field(
        3.0,
        description="A route crosses the border within this ground distance of a gateway (and "
        "always within the gateway's cell and its neighbours). ASSUMPTION: the 2 km positional "
        "tolerance of 1:10M borders plus half a 2.5 km cell.",
    )
    merge_km: PosFloat = Field(
        10.0,
        description="Candidates on one border closer than this are one gateway (a border "
        "post's road and rail approaches). ASSUMPTION.",
    )
    snap_km: PosFloat = Field(
        10.0,
        description="A border post or listed gateway farther than this from a land border of "
        "two countries is left out (with a warning for a listed one). ASSUMPTION: 1:10M "
        "borders lie within a few km of the true line.",
    )
    generalised_sources: list[str] = Field(
        default_factory=lambda: ["naturalearth", "rzd_generalized"],
        description="Line sources (the `source` of ingest.gpkg's railways and roads) too "
        "generalised to place a crossing: a gateway candidate from one of them is kept only "
        "where a detailed line (any other source) crosses the same border, or an OSM border "
        "post stands, within confirm_km, and is moved there. Default: Natural Earth 1:10m "
        "(lines generalised by kilometres: its road near Beyneu meets the KZ–UZ border 57 km "
        "from the real crossing) and the generalized Russian Railways layer.",
    )
    confirm_km: PosFloat = Field(
        10.0,
        description="Farthest a detailed crossing or border post may lie from a generalised "
        "candidate on the same border to confirm it. ASSUMPTION: Natural Earth 1:10m lines lie "
        "within a few km of the true line (0.2 mm at 1:10M = 2 km, plus simplification); a "
        "detailed crossing farther than 10 km is another crossing.",
    )
    name_km: PosFloat = Field(
        15.0,
        description="An unnamed gateway is named after the nearest OSM railway station or "
        "border post within this ground distance (never a kilometre post), else the nearest "
        "Natural Earth populated place, with its distance. ASSUMPTION: a border station or "
        "post serves the crossing within a few km; 15 km also takes the nearest halt on a "
        "line to a border.",
    )


class SitesConfig(_Section):
    """In-line amplifier (ILA) and regeneration sites along each route."""

    ila_span_km: PosFloat = Field(
        80.0,
        description="Longest fiber span between amplifier sites. Source: ILA spacing of 80–100 "
        "km on modern long-haul routes (Meta Engineering, 'ILA Evo', 2025).",
    )
    regen_max_km: PosFloat = Field(
        1500.0,
        description="Longest stretch without regeneration. Source: ~1,500 km reach of 100G "
        "coherent transponders with hard-decision FEC (Nelson et al., J. Opt. Commun. Netw. "
        "4(11), 2012).",
    )
    ila_site_usd: NonNegFloat = Field(
        250_000.0,
        description="One amplifier hut with power, shelter and amplifiers. ASSUMPTION: no "
        "published figure found; replace with vendor quotes.",
    )
    regen_site_usd: NonNegFloat = Field(
        600_000.0,
        description="One regeneration site (a hut with transponders). ASSUMPTION: no published "
        "figure found; replace with vendor quotes.",
    )


class UncertaintyConfig(_Section):
    """Monte Carlo over the cost book, and multi-criteria ranking."""

    draws: int = Field(
        1000,
        ge=1,
        le=100_000,
        description="Repricing draws: every route priced again on its fixed geometry. 1,000 "
        "puts P10 and P90 within about ±1 percentile point (binomial standard error "
        "√(0.1·0.9/1000) ≈ 0.9 %).",
    )
    routing_draws: int = Field(
        12,
        ge=0,
        le=1000,
        description="Re-routing draws for the route-frequency raster (each routes every "
        "scenario again). 12 tells a stable corridor (share near 1) "
        "from a contested one (near 0.5) with a binomial standard error of at most 14 %.",
    )
    seed: int = Field(
        20_261_125,
        description="Random seed; draw i uses (seed, i), so results "
        "do not depend on the scheduler.",
    )
    low_mult: PosFloat = Field(
        0.8,
        description="Triangular distribution of every cost-book item: lowest multiplier. "
        "Source: AACE International RP 18R-97, class 4 (feasibility) estimate range −15 % to "
        "−30 %; middle taken.",
    )
    high_mult: PosFloat = Field(
        1.35,
        description="Triangular distribution: highest multiplier (mode 1). Source: AACE RP "
        "18R-97 class 4, +20 % to +50 %; middle taken.",
    )
    weights: dict[Literal["cost", "latency", "diversity", "risk"], NonNegFloat] = Field(
        default_factory=lambda: {"cost": 0.25, "latency": 0.25, "diversity": 0.25, "risk": 0.25},
        description="Multi-criteria ranking weights: P50 cost, latency, km shared with other "
        "alternatives, and crossings (borders, landfalls, rivers). Default: equal weights, the "
        "neutral choice absent stated preferences (OECD/JRC Handbook on Constructing Composite "
        "Indicators, 2008).",
    )

    @model_validator(mode="after")
    def _ordered(self) -> UncertaintyConfig:
        if not self.low_mult <= 1.0 <= self.high_mult:
            raise ValueError("uncertainty: low_mult <= 1 <= high_mult needed")
        if sum(self.weights.values()) <= 0:
            raise ValueError("uncertainty.weights: at least one weight must be positive")
        return self


class ReferenceCorridor(_Section):
    """A known corridor (a railway) to check the routes against, with its published figures."""

    name: str
    start_name: str
    start_lon_deg: float = Field(ge=-180, le=180)
    start_lat_deg: float = Field(ge=-90, le=90)
    end_name: str
    end_lon_deg: float = Field(ge=-180, le=180)
    end_lat_deg: float = Field(ge=-90, le=90)
    km_by_country: dict[str, tuple[NonNegFloat, NonNegFloat]] = Field(
        description="Published length in each country between the ends, km (low, high)."
    )
    total_km: tuple[NonNegFloat, NonNegFloat]
    source: str = Field(min_length=1)


class ScoreConfig(_Section):
    """Scoring."""

    fiber_group_index: PosFloat = Field(
        1.4682,
        description="Group index of standard single-mode fiber at 1550 nm (≈4.897 µs/km "
        "one way). Source: Corning SMF-28 Ultra product information (ITU-T G.652.D fiber), "
        "effective group index 1.4682 at 1550 nm.",
    )
    reference_corridors: list[ReferenceCorridor] = Field(
        default_factory=lambda: _world("score.reference_corridors"),
        description="Known corridors each route is checked against where it passes both "
        "ends (within validation_max_offset_km): km per country between the ends, and the "
        "path deviation index (mean distance from the corridor's railway). Default: the "
        "Kazakhstan–Turkmenistan–Iran railway, Uzen–Gorgan, with the section lengths its three "
        "railways published at its opening (2014; pipeline/world.yaml).",
    )
    near_major_row_km: PosFloat = Field(
        5.0,
        description="A route's share near a railway or primary-or-better road counts the "
        "steps within this distance of one (near_major_row_share, per country). Source: the "
        "planning team's acceptance criterion for the Iranian leg (80 % within 5 km).",
    )
    validation_max_offset_km: PosFloat = Field(
        30.0,
        description="A route is checked against a reference corridor only if it passes "
        "within this distance of both its ends. ASSUMPTION: a dozen cells at 2.5 km.",
    )
    route_book_gap_km: NonNegFloat = Field(
        10.0,
        description="In the route book, a stretch shorter than this is an interruption, not a "
        "stretch of its own: it joins the stretches either side where they follow the same "
        "right-of-way, else the longer of them in its country (a border or shore always "
        "splits; `methods` keeps the km built each way). ASSUMPTION: four cells of the 2.5 km "
        "grid, an eighth of an amplifier span (sites.ila_span_km): a bend, a yard, a river "
        "bore or a short cut away from a right-of-way does not split an itinerary that a "
        "survey team reads in stretches of tens of km.",
    )
    route_book_town_km: NonNegFloat = Field(
        50.0,
        description="A route book stretch end with no place within route_book_place_km is "
        "named after the nearest Natural Earth populated place (a town) within this ground "
        "distance, with that distance: the base a survey team works from; farther, or 0, the "
        "end stays unnamed. ASSUMPTION: an hour's drive on a desert or steppe road, about "
        "50 km.",
    )
    route_book_place_km: PosFloat = Field(
        15.0,
        description="A stretch's ends are named after the first and the last place along it "
        "within this ground distance of its line: OSM railway stations along a railway, else "
        "any station, OSM border post, Natural Earth populated place, port or airport, or "
        "cable landing station; with none in reach the end is left unnamed. ASSUMPTION: the "
        "reach of gateways.name_km, a place a survey team drives to from the working strip; "
        "the data hold no villages (Natural Earth's places are towns), so desert stretches "
        "would otherwise go unnamed.",
    )


class Hub(_Section):
    """A place traffic is carried to: one or more cable landing stations of one metro area."""

    name: str
    stations: list[str] = Field(
        min_length=1, description="TeleGeography landing-point ids (e.g. 'mumbai-india')."
    )
    source: str = ""


class Chokepoint(_Section):
    """A narrow passage many cables share, as a lon/lat polygon."""

    name: str
    polygon_lonlat: list[tuple[float, float]] = Field(min_length=3)
    source: str = ""


class LatencyReference(_Section):
    """A measured round trip between two places, and where its path meets and leaves the sea."""

    name: str = Field(min_length=1, description="The pair, e.g. 'Moscow → Pune'.")
    from_name: str
    from_lon_deg: float = Field(ge=-180, le=180)
    from_lat_deg: float = Field(ge=-90, le=90)
    to_name: str
    to_lon_deg: float = Field(ge=-180, le=180)
    to_lat_deg: float = Field(ge=-90, le=90)
    sea_from: list[str] = Field(
        default_factory=list,
        description="TeleGeography landing-point ids where today's path meets the sea (the "
        "nearest by land is taken); empty: onward.incumbent_gateway.",
    )
    sea_to: list[str] = Field(
        min_length=1, description="TeleGeography landing-point ids where it leaves the sea."
    )
    rtt_ms: PosFloat = Field(description="Measured round trip, ms.")
    statistic: Literal["min", "p95", "median", "mean"]
    date: str = Field(min_length=1, description="When it was measured (a day or a period).")
    source: str = Field(min_length=1)

    @field_validator("date", mode="before")
    @classmethod
    def _iso(cls, v: object) -> object:
        """A YAML date (2020-07-19) is kept as its ISO text."""
        return v.isoformat() if hasattr(v, "isoformat") else v


class OnwardConfig(_Section):
    """From the Iranian landing stations onward over the submarine cables, and today's path."""

    hubs: list[Hub] = Field(
        default_factory=lambda: _world("onward.hubs"),
        min_length=1,
        description="Hubs every routed station is joined to. Default (pipeline/world.yaml): "
        "Mumbai, Fujairah (with Kalba), Barka/Muscat, Karachi, Colombo, Singapore, Djibouti, "
        "Marseille. ASSUMPTION: the interconnection points named in the planning brief; each "
        "station lands several in-service cables in the TeleGeography v3 data.",
    )
    incumbent_gateway: Hub = Field(
        default_factory=lambda: _world("onward.incumbent_gateway"),
        description="Where today's Europe–Asia traffic from the origin meets the sea. "
        "Default: Marseille, the main landing hub of the Europe–Asia cables in the "
        "TeleGeography data (pipeline/world.yaml).",
    )
    terrestrial_detour_factor: PosFloat = Field(
        1.3,
        description="Fiber route length over great-circle length for the incumbent's overland "
        "leg and for metro hops. Source: Bozkurt et al., 'Dissecting Latency in the Internet's "
        "Fiber Infrastructure' (2018): median 1.3 for shortest paths through the US long-haul "
        "conduits (InterTubes map).",
    )
    metro_hop_km: NonNegFloat = Field(
        80.0,
        description="Stations of one country this close are one metro area, joined by a "
        "terrestrial hop (great circle × terrestrial_detour_factor). ASSUMPTION: wide enough "
        "for Barka–Muscat (about 70 km), the widest pair among the default hubs.",
    )
    snap_tolerance_km: PosFloat = Field(
        25.0,
        description="A station a cable lists is on the cable when the cable's line passes "
        "within this distance (and parts of one cable closer than this are joined). "
        "ASSUMPTION: well beyond the offset of nearly all TeleGeography v3 station listings "
        "from their cable's line (about 10 km), so only a listing far off its cable is "
        "dropped.",
    )
    include_planned: bool = Field(
        False, description="Also use cables not yet in service (TeleGeography is_planned)."
    )
    chokepoints: list[Chokepoint] = Field(
        default_factory=lambda: _world("onward.chokepoints"),
        description="Passages whose cables share one risk. Default (pipeline/world.yaml): Suez "
        "Canal and Red Sea, Bab-el-Mandeb, Strait of Hormuz, Strait of Malacca, Bosphorus, "
        "English Channel. Source: IHO S-23, Limits of Oceans and Seas (3rd ed., 1953), "
        "simplified to a box around the passage (ASSUMPTION: a path passes it when its line "
        "enters the box).",
    )
    latency_references: list[LatencyReference] = Field(
        default_factory=lambda: _world("onward.latency_references"),
        description="Measured round trips the model of today's path is held against "
        "(latency_validation). Default (pipeline/world.yaml): WonderProxy's public ping mesh "
        "(wondernetwork.com, 19–20 July 2020, minimum): Moscow → Pune 166.8 ms, Karaganda → "
        "Pune 233.7 ms, Karaganda → Dubai 182.2 ms; Azure's published region-to-region round "
        "trips (learn.microsoft.com, Azure network round-trip latency statistics, P95 over "
        "the 30 days to July 2026): Marseille → Pune 134 ms, Dubai → Pune 34 ms. Only these "
        "five values of the two tables are cited; add more pairs here.",
    )
    reference_match_km: PosFloat = Field(
        250.0,
        description="A reference's start stands for the configured origin nearest it within "
        "this ground distance (and its end for the hub nearest it within the same distance), "
        "so its measured figure is today's for that origin and hub; farther, the reference "
        "validates the model alone. ASSUMPTION: wider than Karaganda–Astana (187 km) and "
        "Pune–Mumbai (118 km), far narrower than Karaganda–Almaty (about 850 km).",
    )
    overhead_form: Literal["ratio", "additive"] = Field(
        "ratio",
        description="How measured round trips exceed the modelled ones, fitted over the "
        "references: 'ratio' (measured = k × modelled, k the geometric mean of the ratios) or "
        "'additive' (measured = modelled + d, d the mean difference). Default: ratio, since the "
        "overhead of routing detours grows with the distance (Bozkurt et al. 2018: the "
        "internet's round trips are a multiple of the fibre's).",
    )


class NetworkSpec(_Section):
    """One network to plan: the scenario its working tree is built in, and its protection's."""

    description: str = ""
    working: str = Field(description="The scenario (a key of route.scenarios) of the working tree.")
    protection: str | None = Field(
        None,
        description="The scenario of the protection paths; unset: the working scenario.",
    )


class NetworkConfig(_Section):
    """The network plan: one tree joining every origin to the landing stations, protected."""

    networks: dict[str, NetworkSpec] | None = Field(
        None,
        description="Networks to plan, by key: the scenario of the working tree and of the "
        "protection paths. Unset: one per corridor scenario (competitors left out), and one "
        "'<land>+<sea>' whose working tree is in the first scenario without a submarine leg "
        "and whose protection crosses the sea of the first with one (with the default "
        "scenarios land_tm+caspian: a land working tree protected across the Caspian, the most "
        "independent pair the region offers, as the planning brief puts it).",
    )
    min_landings: int = Field(
        2,
        ge=1,
        le=10,
        description="Landing stations the working tree joins every origin to, at least. "
        "Default: 2, so the loss of one station leaves another (the planning brief).",
    )
    stations: list[str] = Field(
        default_factory=list,
        description="Landing stations the working tree must join, by name as in the cable data "
        "(e.g. 'Jask, Iran'). Empty: the optimiser chooses min_landings of them.",
    )
    station_sets: int = Field(
        1,
        ge=0,
        le=50,
        description="When a protection path cannot keep apart from its working path, the "
        "working tree is built again on up to this many other sets of stations (those farthest "
        "from where the protection paths land first), and the plan with more protection paths "
        "kept apart is kept. Default: an assumption, one more tree per such network (on the real "
        "data the first set tried is the one that keeps apart, or none does); 0 keeps the "
        "optimiser's first choice.",
    )
    improve_rounds: int = Field(
        10,
        ge=0,
        le=50,
        description="Key-path exchanges taken after the shortest-path heuristic, at most (each "
        "pass tries one Dijkstra per key path of the tree). Default: an assumption; on the "
        "real data the exchanges stop within a few.",
    )
    shared_steer_mult: PosFloat = Field(
        0.2,
        le=1,
        description="A protection path steers along ground the network already builds on at "
        "this times the rate: a second cable in a trench already dug. Default: 1 − 0.8, civil "
        "engineering being up to 80 % of the cost of deploying fibre (European Commission, "
        "Broadband Cost Reduction Directive 2014/61/EU and its impact assessment). Steers "
        "only: a link is priced once, whoever uses it. ASSUMPTION: the EU's upper figure.",
    )


class ExportConfig(_Section):
    """Deliverables."""

    geojson_decimals: int = Field(
        6,
        ge=1,
        le=6,
        description="Decimal places of GeoJSON coordinates (6 ≈ 0.1 m). Source: RFC 7946 §11.2.",
    )


class DaskConfig(_Section):
    """Where the Dask work runs."""

    scheduler_address: str | None = Field(
        None,
        description="Address of an existing Dask cluster (tcp://host:8786). Unset: a local "
        "threaded scheduler. The environment variable PIPELINE_DASK_ADDRESS overrides it, and "
        "the command line's --scheduler overrides both.",
    )
    n_workers: int = Field(
        2, ge=1, description="Local threads for Dask work. Default: this machine's 2 cores."
    )
    chunk_cells: int = Field(
        512,
        ge=16,
        description="Block edge of the cost stage's Dask tasks, cells: one task per block "
        "(512² float64 = 2 MiB per raster).",
    )


class Config(_Section):
    """The whole pipeline configuration."""

    paths: PathsConfig = PathsConfig()
    fetch: FetchConfig = FetchConfig()
    grid: GridConfig = GridConfig()
    cost: CostConfig = CostConfig()
    # The sections with defaults from pipeline/world.yaml are made when a config is, so a bad
    # entry there fails as a ConfigError at load, not as an import error.
    gateways: GatewaysConfig = Field(default_factory=GatewaysConfig)
    route: RouteConfig = Field(default_factory=RouteConfig)
    score: ScoreConfig = Field(default_factory=ScoreConfig)
    sites: SitesConfig = SitesConfig()
    onward: OnwardConfig = Field(default_factory=OnwardConfig)
    uncertainty: UncertaintyConfig = UncertaintyConfig()
    network: NetworkConfig = Field(default_factory=NetworkConfig)
    export: ExportConfig = ExportConfig()
    dask: DaskConfig = DaskConfig()

    @model_validator(mode="after")
    def _scenario_countries(self) -> Config:
        for key, sc in self.route.scenarios.items():
            extra = set(sc.country_cost_mult) - set(sc.allowed_countries)
            if key == "" or "/" in key or ":" in key or ">" in key:
                raise ValueError(
                    f"route.scenarios: key {key!r} may not be empty or contain '/', ':' or '>'"
                )
            if extra:
                raise ValueError(
                    f"route.scenarios.{key}.country_cost_mult names {sorted(extra)}, which are "
                    "not in its allowed_countries"
                )
        for key, spec in network_specs(self.route, self.network).items():
            for role in ("working", "protection"):
                sc = getattr(spec, role)
                if sc is not None and sc not in self.route.scenarios:
                    raise ValueError(
                        f"network.networks.{key}.{role}: {sc!r} is not a scenario of "
                        f"route.scenarios ({', '.join(self.route.scenarios)})"
                    )
        return self

    def mirror(self) -> Path | None:
        """The mirror folder in force: $PIPELINE_MIRROR, else fetch.mirror_dir, else None."""
        env = os.environ.get("PIPELINE_MIRROR")
        return Path(env) if env else self.fetch.mirror_dir


def network_specs(route: RouteConfig, net: NetworkConfig) -> dict[str, NetworkSpec]:
    """The networks to plan: ``network.networks``, or those made from the scenarios."""
    if net.networks is not None:
        return net.networks
    mine = {k: sc for k, sc in route.scenarios.items() if not sc.competitor}
    out = {
        k: NetworkSpec(description=f"Working tree and protection: {sc.description or k}", working=k)
        for k, sc in mine.items()
    }
    land = next((k for k, sc in mine.items() if not sc.water_bodies), None)
    sea = next((k for k, sc in mine.items() if sc.water_bodies), None)
    if land and sea:
        out[f"{land}+{sea}"] = NetworkSpec(
            description=f"Working tree in {land}, protected in {sea}",
            working=land,
            protection=sea,
        )
    return out


_WORLD_SETTINGS: dict[str, object] = {
    "route.origins": list[Origin],
    "gateways.listed": list[ListedGateway],
    "score.reference_corridors": list[ReferenceCorridor],
    "onward.hubs": list[Hub],
    "onward.incumbent_gateway": Hub,
    "onward.chokepoints": list[Chokepoint],
    "onward.latency_references": list[LatencyReference],
}
"""The settings whose defaults are facts of the world, kept in ``pipeline/world.yaml``."""


@functools.cache
def _world_facts() -> dict[str, object]:
    """``pipeline/world.yaml``, read once and validated with the settings' own models."""
    res = resources.files("pipeline").joinpath("world.yaml")
    return _parse_world(res.read_bytes(), str(res))


def _parse_world(raw: bytes, source: str) -> dict[str, object]:
    """The default places in ``raw`` (world.yaml's text) by setting, validated.

    A bad entry fails with the file and the key path (e.g. ``gateways.listed.1.lat_deg``).
    """
    data = _parse_yaml(raw, source)
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ConfigError(
            f"{source}: expected sections of settings, as in a config file "
            "(section: {setting: value}). Fix the layout."
        )
    given = {
        f"{sec}.{key}": value for sec, settings in data.items() for key, value in settings.items()
    }
    unknown = sorted(set(given) - set(_WORLD_SETTINGS))
    missing = sorted(set(_WORLD_SETTINGS) - set(given))
    if unknown or missing:
        raise ConfigError(
            f"{source}: "
            + "; ".join(
                [f"{k}: not a setting kept here" for k in unknown]
                + [f"{k}: missing" for k in missing]
            )
            + f". Fix: the file holds exactly {', '.join(_WORLD_SETTINGS)}."
        )
    out = {}
    for key, kind in _WORLD_SETTINGS.items():
        try:
            out[key] = TypeAdapter(kind).validate_python(given[key])
        except ValidationError as err:
            fix = (
                f"Fix the entry above in {source}: it takes the fields of the setting of the "
                "same name in a config file (`python -m pipeline config --doc`)."
            )
            raise ConfigError(_format_errors(err, source, tuple(key.split(".")), fix=fix)) from err
    return out


def _world(key: str):
    """The default of setting ``key`` from ``pipeline/world.yaml`` (a copy each config owns)."""
    return copy.deepcopy(_world_facts()[key])


class _DuplicateKeyError(Exception):
    """A key given twice in one YAML mapping, and where."""

    def __init__(self, key: object, first: yaml.Mark, second: yaml.Mark) -> None:
        super().__init__(key)
        self.key = key
        if first.line == second.line:
            self.where = (
                f"line {first.line + 1} (columns {first.column + 1} and {second.column + 1})"
            )
        else:
            self.where = f"lines {first.line + 1} and {second.line + 1}"


class _StrictLoader(yaml.SafeLoader):
    """A SafeLoader that refuses a key given twice in one mapping (YAML keeps the last)."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # `<<: *anchor` entries may be overridden, as YAML intends
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:
                    continue  # an unhashable key: the base class reports it
                if first is not key_node:
                    raise _DuplicateKeyError(key, first.start_mark, key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def _parse_yaml(raw: bytes, source: str) -> object:
    """YAML data from a file's bytes: UTF-8, valid YAML, no key given twice in one mapping."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise ConfigError(
            f"{source}: not UTF-8 text (byte 0x{raw[err.start]:02x} at byte offset {err.start}, "
            f"line {line}: the file was saved in another encoding, such as Latin-1). Fix: save "
            "it as UTF-8 (your editor's encoding setting, or `iconv -f latin1 -t utf-8 old.yaml "
            "> new.yaml`)."
        ) from err
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader: no arbitrary objects
    except _DuplicateKeyError as err:
        raise ConfigError(
            f"{source}: invalid configuration: key {err.key!r} is given twice in one mapping, "
            f"at {err.where} (YAML would keep only the second and silently drop the first). "
            f"Fix: keep one {err.key!r}, holding the settings of both."
        ) from err
    except yaml.YAMLError as err:
        raise ConfigError(f"{source}: not valid YAML ({err}). Fix the syntax.") from err


_LIMIT_WORDS = {
    "gt": "greater than",
    "ge": "greater than or equal to",
    "lt": "less than",
    "le": "less than or equal to",
}


def _unwrap(kind: object, limits: list) -> tuple[object, list]:
    """``kind`` without Annotated (its numeric limits added to ``limits``) and ``| None``."""
    while True:
        origin = typing.get_origin(kind)
        if origin is Annotated:
            kind, *meta = typing.get_args(kind)
            for m in meta:
                limits = [*limits, *getattr(m, "metadata", [m])]  # a FieldInfo holds its limits
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(kind) if a is not type(None)]
            if len(args) != 1:
                return kind, limits
            kind = args[0]
        else:
            return kind, limits


def _allowed(loc: tuple) -> str:
    """The range of the number setting at ``loc`` (e.g. 'greater than 0'); '' if unbounded."""
    kind: object = Config
    limits: list = []
    for part in loc:
        kind, limits = _unwrap(kind, limits)
        origin = typing.get_origin(kind)
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            field = kind.model_fields.get(str(part))
            if field is None:
                return ""
            kind, limits = field.annotation, list(field.metadata)
        elif origin in (list, dict, tuple):
            args = typing.get_args(kind)
            fixed = origin is tuple and Ellipsis not in args and isinstance(part, int)
            kind, limits = (args[part] if fixed and part < len(args) else args[-1]), []
        else:
            return ""
    _, limits = _unwrap(kind, limits)
    words = [
        f"{text} {getattr(m, key)}"
        for m in limits
        for key, text in _LIMIT_WORDS.items()
        if getattr(m, key, None) is not None
    ]
    return " and ".join(words)


def _format_errors(
    err: ValidationError,
    source: str,
    prefix: tuple = (),
    *,
    fix: str = "Fix the key(s) above; `python -m pipeline config --doc` lists every key, "
    "its unit and its default.",
) -> str:
    lines = [f"{source}: invalid configuration."]
    for e in err.errors():
        loc = (*prefix, *e["loc"])
        where = ".".join(str(p) for p in loc) or "(top level)"
        msg = e["msg"]
        if e["type"] == "finite_number":  # infinity or NaN: say which numbers are allowed
            allowed = _allowed(loc)
            msg = f"Input should be a finite number{' ' + allowed if allowed else ''}"
        value = e.get("input")
        shown = "" if isinstance(value, dict) else f" (got {value!r})"
        lines.append(f"  - {where}: {msg}{shown}")
    lines.append(fix)
    return "\n".join(lines)


def load(path: str | Path | None = None) -> Config:
    """Load and validate a YAML config; ``None`` or a missing default file gives the defaults."""
    if path is None:
        return Config()
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as err:
        raise ConfigError(
            f"{path}: config file not found. Pass an existing YAML file with "
            "--config, or omit it to use the defaults."
        ) from err
    except OSError as err:
        raise ConfigError(
            f"{path}: cannot read the config file ({err.strerror}). Pass a readable YAML file "
            "with --config."
        ) from err
    data = _parse_yaml(raw, str(path)) or {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: expected a mapping of sections at the top level, got {type(data).__name__}."
        )
    try:
        return Config.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format_errors(err, str(path))) from err


def check_names(setting: str, given: Iterable[str], known: Iterable[str], *, where: str) -> None:
    """Fail with the valid names (and the closest ones) unless every given name is known.

    Names in the config that refer to the data (country codes, water bodies, landing points)
    are checked when the stage that reads them starts, against what the data holds.
    """
    known = sorted(set(known))
    unknown = [g for g in given if g not in known]
    if not unknown:
        return
    near = sorted({m for g in unknown for m in difflib.get_close_matches(g, known, n=3)})
    listing = ", ".join(known) if len(known) <= 60 else ", ".join(known[:60]) + ", …"
    raise ConfigError(
        f"{setting}: {', '.join(map(repr, unknown))} not found in {where}"
        f"{f' (closest: {near})' if near else ''}.\nValid names: {listing}.\n"
        f"Fix: use one of the valid names in {setting}."
    )


RUNTIME_SECTIONS = ("dask",)
"""Sections that change how or where the work runs, never its outputs: in no stage's slice."""


class StageView:
    """A stage's view of the config: the sections it declares, and the runtime settings.

    Reading any other section fails, so a stage cannot depend on a setting that ``make`` does
    not rerun it for.
    """

    def __init__(self, cfg: Config, stage: str) -> None:
        self._cfg, self._stage = cfg, stage
        self._allowed = (*catalogue.STAGES[stage].sections, *RUNTIME_SECTIONS)

    def __getattr__(self, name: str):
        if name in self._allowed:
            return getattr(self._cfg, name)
        if name == "mirror":
            return getattr(self._cfg, name)
        raise AttributeError(
            f"stage {self._stage!r} reads config section {name!r}, which it does not declare; "
            "add it to the stage's sections in pipeline/catalogue.py"
        )

    def model_dump(self, **_) -> dict:
        """The stage's slice: what its outputs depend on, and nothing else."""
        return stage_slice(self._cfg, self._stage)


def stage_slice(cfg: Config, stage: str) -> dict:
    """The part of the config a stage's outputs depend on (``catalogue.STAGES``), as JSON data."""
    dumped = cfg.model_dump(mode="json")
    return {s: dumped[s] for s in catalogue.STAGES[stage].sections}


def doc_table() -> str:
    """Markdown table of every setting: key, default, description (with its source)."""
    rows = ["| key | default | meaning and source of the default |", "|---|---|---|"]
    for name, field in Config.model_fields.items():
        section = field.annotation
        for key, f in section.model_fields.items():
            default = f.get_default(call_default_factory=True)
            if isinstance(default, float):
                default = f"{default:,.4g}" if abs(default) < 1e4 else f"{default:,.0f}"
            elif (
                isinstance(default, dict)
                and default
                and isinstance(next(iter(default.values())), BaseModel)
            ):
                default = ", ".join(default)
            elif isinstance(default, BaseModel):
                default = getattr(default, "name", "?")
            elif isinstance(default, list) and default and isinstance(default[0], BaseModel):
                default = ", ".join(getattr(d, "name", "?") for d in default)
            text = (f.description or "").replace("|", "\\|")
            rows.append(f"| `{name}.{key}` | `{default}` | {text} |")
    return "\n".join(rows)


def json_text(data: dict) -> str:
    """Canonical JSON text (sorted keys, indented) for slices and hashes."""
    return json.dumps(data, sort_keys=True, indent=1) + "\n"
