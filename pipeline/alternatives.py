"""The routes of a task: the cheapest to every station, and the diverse alternatives of a pair.

``first_routes`` snaps the task's endpoints onto its scene and finds the cheapest route from
the origin through the waypoints to every landing station at once. ``more_alternatives`` finds
a pair's k alternatives, kept ``separation_km`` apart outside the endpoint areas by forbidding
each other's corridors (corridor exclusion), greedily and then jointly
(``route.alternatives_method``). When no set keeps apart (one pass, one border crossing, a
strait) the corridors are only penalised, the route may share ground, and the score stage
reports where. A scenario may make protected areas a barrier: a station they cut off is routed
through them at the penalty price, and the route says so (``protected_relaxed``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from . import io
from .config import RouteConfig
from .corridors import endpoint_index, member, near_index
from .costbook import country_id
from .errors import EndpointError, NoRouteError
from .scene import Level, Scene, inside_grid, load_scene, snap, task_scene
from .search import Query, overlay, route_chain
from .surface import task_surface
from .tasks import Endpoint, Task

log = logging.getLogger(__name__)

_LABELS_LOCK = io.lock_file("labels")
"""Labelling the connected cells takes 5 bytes a cell while it runs: one task at a time on a
machine (threads, and a cluster's worker processes)."""


def corridor(
    paths: list[np.ndarray],
    keep_clear: list[tuple[int, int]],
    scene: Scene,
    *,
    separation_km: float,
    endpoint_radius_km: float,
) -> np.ndarray:
    """Cells within ``separation_km`` of any earlier path, outside the endpoint areas.

    Sorted flat indices.
    """
    cell_km = scene.grid.cell_m / 1000.0
    near = near_index(paths, scene.inv, cell_km, within_km=separation_km, inv_min=scene.inv_min)
    clear = endpoint_index(keep_clear, scene.inv, cell_km, radius_km=endpoint_radius_km)
    return near[~member(near, clear)]


def _snap_joined(
    scene: Scene, p: Endpoint, *, max_km: float, joined: tuple[np.ndarray, int] | None
) -> tuple[tuple[int, int, float] | None, bool]:
    """``p`` snapped within ``max_km``, and whether it has passable land within reach at all.

    Only cells of ``joined`` (labels, label) count, any when None; land elsewhere in reach tells
    an island from the sea.
    """
    where = {"x": p.x, "y": p.y, "max_km": max_km, "inv_min": scene.inv_min}
    s = snap(scene.rate, scene.inv, scene.grid, **where, component=joined)
    if s is not None or joined is None:
        return s, s is not None
    return None, snap(scene.rate, scene.inv, scene.grid, **where) is not None


def _snap_chain(task: Task, scene: Scene, labels: np.ndarray) -> list[tuple[int, int, float]]:
    key, sc, snap_km = task.scenario_key, task.scenario, task.route.endpoint_snap_km
    chain = []
    for role, p in [("route.origins", task.origin)] + [
        (f"route.scenarios.{key}.via", v) for v in task.via
    ]:
        if not inside_grid(scene.grid, p.x, p.y):
            raise EndpointError(
                f"{role}: {p.name!r} lies outside the area of interest. Fix: "
                "move it inside, or widen the grid.lon_*/lat_* bounds."
            )
        joined = (labels, labels[chain[0][:2]]) if chain else None
        s, land = _snap_joined(scene, p, max_km=snap_km, joined=joined)
        if not land:
            raise _no_land_error(task, role, p)
        if s is None:
            raise NoRouteError(
                f"route.scenarios.{key}: waypoint {p.name!r} cannot be reached from "
                f"{task.origin.name} within {sc.allowed_countries}. Fix: add the transit "
                "countries to allowed_countries, or the sea between to water_bodies."
            )
        chain.append(s)
    return chain


def _no_land_error(task: Task, role: str, p: Endpoint) -> EndpointError:
    sc, snap_km = task.scenario, task.route.endpoint_snap_km
    return EndpointError(
        f"{role}: {p.name!r} has no passable land within {snap_km} km in scenario "
        f"{task.scenario_key!r} (it is in the sea, or in a country outside "
        f"{sc.allowed_countries}). Fix: move it onto land in an allowed country."
    )


def _destination_records(
    task: Task, scene: Scene, labels: np.ndarray, *, chain_end: tuple[int, int]
) -> tuple[list[dict], list[dict]]:
    """Every station's record, and the records of those that snap and connect to ``chain_end``.

    A station snaps to the nearest passable cell within the snap distance that is connected
    (``labels``) to the chain's last point; it is skipped, with the reason, when it has no
    passable land there, or none so connected.
    """
    sc, snap_km = task.scenario, task.route.endpoint_snap_km
    records, reachable = [], []
    for d in task.destinations:
        s, land = None, False
        if inside_grid(scene.grid, d.x, d.y):
            s, land = _snap_joined(scene, d, max_km=snap_km, joined=(labels, labels[chain_end]))
        rec = {"slug": d.slug, "dest": d}
        if not land:
            rec.update(
                status="skipped",
                reason=f"no passable land within {snap_km} km "
                "(offshore platform, or in a country outside the scenario)",
            )
        elif s is None:
            rec.update(
                status="skipped",
                reason=f"not connected to {task.origin.name} within "
                f"{', '.join(sc.allowed_countries)}"
                f"{' and ' + ', '.join(sc.water_bodies) if sc.water_bodies else ''}"
                " (an island)",
            )
        else:
            rec.update(status="routed", reason="", cell=s[:2], snap_km=s[2])
            reachable.append(rec)
        records.append(rec)
    return records, reachable


def _no_station_error(task: Task) -> NoRouteError:
    """No landing station connects to the origin within the scenario's countries."""
    key, sc = task.scenario_key, task.scenario
    return NoRouteError(
        f"route.scenarios.{key}: no landing station can be reached from {task.origin.name} "
        f"within {sc.allowed_countries}. The allowed countries may not connect (a transit "
        "country missing between them). Fix: add the transit countries to "
        "allowed_countries, or a sea to water_bodies for a submarine leg."
    )


def _first_paths(
    scene: Scene, chain: list[tuple[int, int]], targets: list[tuple[int, int]]
) -> tuple[list[tuple[np.ndarray, float] | None], list[bool]]:
    """The cheapest path to each target (None where there is none), and which were relaxed.

    Protected areas stay closed where the scene makes them a barrier, except for a target they
    cut off: that one is routed through them at the penalty, and marked relaxed.
    """
    paths = route_chain(
        Query(level=scene.level(strict=True), scene=scene, chain=chain, targets=targets)
    )
    relaxed = [False] * len(paths)
    if scene.barrier is not None and any(p is None for p in paths):
        # a station the protected areas cut off: through them, at the penalty, said so
        loose = route_chain(
            Query(level=scene.level(strict=False), scene=scene, chain=chain, targets=targets)
        )
        relaxed = [p is None and q is not None for p, q in zip(paths, loose, strict=True)]
        paths = [q if r else p for p, q, r in zip(paths, loose, relaxed, strict=True)]
    return paths, relaxed


def reach_labels(scene: Scene) -> np.ndarray:
    """The connected parts of a scene's passable cells (labels), as the snapping uses them."""
    with io.machine_lock(_LABELS_LOCK):  # 5 bytes a cell while it runs
        # 4-connected: with no corner-cutting (``router``), a diagonal step needs an open side
        # cell, so the cells a route can reach are exactly the 4-connected ones
        return ndimage.label(np.isfinite(scene.rate))[0]


def endpoints(
    task: Task, scene: Scene, labels: np.ndarray | None = None
) -> tuple[list[tuple[int, int, float]], list[dict]]:
    """The task's chain snapped (row, col, km), and every station's record.

    A routed station's record has its ``cell``; see ``_destination_records``. ``labels``: the
    scene's ``reach_labels``, when the caller has them for several tasks.
    """
    labels = reach_labels(scene) if labels is None else labels
    snapped = _snap_chain(task, scene, labels)
    records, _ = _destination_records(task, scene, labels, chain_end=snapped[-1][:2])
    return snapped, records


def first_routes(task: Task, drawn: bool = False) -> dict:
    """The cheapest route from the task's origin, through its waypoints, to every station."""
    scene = load_scene(task, drawn=True) if drawn else task_scene(task)
    snapped, records = endpoints(task, scene)
    chain = [s[:2] for s in snapped]
    reachable = [r for r in records if r["status"] == "routed"]
    if not reachable:
        raise _no_station_error(task)
    paths, relaxed = _first_paths(scene, chain, [r["cell"] for r in reachable])
    if all(p is None for p in paths):
        raise _no_gateway_error(task)
    for rec, path, rel in zip(reachable, paths, relaxed, strict=True):
        if path is None:
            rec.update(status="skipped", reason="reachable only across a border without a gateway")
            continue
        rec["protected_relaxed"] = rel
        rec["alternatives"] = [_alt(1, path, True, greedy=True, rel=rel)]
    return {
        "scenario": task.scenario_key,
        "origin": task.origin,
        "via": task.via,
        "chain": chain,
        "chain_snap_km": [s[2] for s in snapped],
        "records": records,
    }


def _alt(
    n: int, found: tuple[np.ndarray, float], diverse: bool, *, greedy: bool, rel: bool
) -> dict:
    return {
        "alternative": n,
        "cells": found[0],
        "steer_cost_usd": found[1],
        "diverse": diverse,
        "diverse_greedy": greedy,
        "protected_relaxed": rel,
    }


JOINT_STRETCHES = 3
"""Shared stretches the joint method tries to free per repair round, longest first."""


BANDS_KEPT = 12
"""Paths whose corridors a pair keeps (at 250 m one is about 2 M cells, 15 MB of indices)."""


@dataclass(frozen=True)
class Pair:
    """One origin–station pair's routing world for its alternatives."""

    scene: Scene
    level: Level  # the grid its first route was found on (barriers closed, or relaxed)
    chain: list[tuple[int, int]]
    target: tuple[int, int]
    rc: RouteConfig
    best_usd: float  # steering cost of the pair's cheapest route
    _bands: dict = field(default_factory=dict, repr=False)  # path bytes -> its corridor

    def near(self, paths: list[np.ndarray]) -> list[np.ndarray]:
        """Each path's corridor outside the endpoint areas (sorted flat indices).

        Each is found once (the joint method asks for the same ones again and again) and kept
        for the last ``BANDS_KEPT`` paths; they are not merged (at 250 m each is millions of
        cells): an overlay takes them as parts, and a test looks in each.
        """
        rc = self.rc
        bands = []
        for p in paths:
            key = p.tobytes()
            if key not in self._bands:
                if len(self._bands) >= BANDS_KEPT:
                    del self._bands[next(iter(self._bands))]
                self._bands[key] = corridor(
                    [p],
                    [*self.chain, self.target],
                    self.scene,
                    separation_km=rc.separation_km,
                    endpoint_radius_km=rc.endpoint_radius_km,
                )
            bands.append(self._bands[key])
        return bands

    def route(self, *parts: tuple[np.ndarray, float]) -> tuple[np.ndarray, float] | None:
        """The cheapest path through the chain to the target: (cells, cost), or None.

        Each part (cells, factor) multiplies the rate of its cells, NaN closing them.
        """
        ov = overlay(self.level.rate, list(parts))
        q = Query(
            level=self.level, scene=self.scene, chain=self.chain, targets=[self.target], ov=ov
        )
        return route_chain(q)[0]

    def apart(self, cells: np.ndarray, others: list[np.ndarray]) -> bool:
        """Whether a path keeps the separation from ``others`` outside the endpoint areas."""
        flat = cells[:, 0] * self.scene.grid.width + cells[:, 1]
        return not any(member(flat, band).any() for band in self.near(others))

    def greedy(
        self, first: tuple[np.ndarray, float] | None, k: int, bans: list[np.ndarray | None]
    ) -> list[tuple[np.ndarray, float]] | None:
        """Each route in turn, outside the earlier ones' corridors and its own banned ground.

        Where none keeps apart within ``route.max_alternative_cost_ratio`` of the cheapest
        route's cost, the corridors are only penalised. ``first``: route 1 as already found;
        None if a ban closes the way (or makes route 1 dearer than that).
        """
        limit = self.rc.max_alternative_cost_ratio * self.best_usd
        out = [] if first is None else [first]
        for n in range(len(out), k):
            ban = [] if bans[n] is None else [(bans[n], np.nan)]
            near = self.near([p[0] for p in out])
            found = self.route(*ban, *[(b, np.nan) for b in near])
            if found is not None and found[1] > limit:
                found = None  # apart, but at a price no planner would sign
            if found is None and out:
                mult = self.rc.fallback_penalty_mult
                found = self.route(*ban, *[(b, mult) for b in near])
            if found is None:
                return None
            out.append(found)
        return out

    def score(self, paths: list[tuple[np.ndarray, float]]) -> tuple[int, float]:
        """The rank of a set of routes: more of them apart from the earlier ones, then cheaper."""
        apart = sum(self.apart(p[0], [q[0] for q in paths[:i]]) for i, p in enumerate(paths))
        return -apart, sum(p[1] for p in paths)

    def joint(self, paths: list[tuple[np.ndarray, float]]) -> list[tuple[np.ndarray, float]]:
        """The greedy set repaired where it could not keep apart, then improved.

        See ``route.alternatives_method``. A repair takes one stretch the first route that
        could not keep apart shares with the earlier ones (the longest ``JOINT_STRETCHES``
        are tried; one may be a true bottleneck, another a gateway the earlier route could
        leave) away from the earlier routes, and routes the set again.
        """
        k = len(paths)
        for _ in range(self.rc.joint_rounds):
            bad = [
                i for i, p in enumerate(paths) if not self.apart(p[0], [q[0] for q in paths[:i]])
            ]
            if not bad:
                break
            n = bad[0]
            cells = paths[n][0]
            flat = cells[:, 0] * self.scene.grid.width + cells[:, 1]
            inside = np.zeros(len(cells), dtype=bool)
            for band in self.near([q[0] for q in paths[:n]]):
                inside |= member(flat, band)
            runs = np.split(np.nonzero(inside)[0], np.nonzero(np.diff(inside) != 0)[0] + 1)
            runs = sorted((r for r in runs if r.size and inside[r[0]]), key=len, reverse=True)
            apart_now = self.score(paths)[0]
            best, best_score = None, None
            for run in runs[:JOINT_STRETCHES]:
                (area,) = self.near([cells[run]])
                cand = self.greedy(None, k, [area if i < n else None for i in range(k)])
                score = None if cand is None else self.score(cand)
                if score is None or score[0] >= apart_now:
                    continue  # a repair must keep more routes apart; cheaper alone is the
                    # next phase's work, which never moves a route to a dearer path
                if best is None or score < best_score:
                    best, best_score = cand, score
            if best is None:
                break
            paths = best
        for _ in range(self.rc.joint_rounds):
            changed = False
            for i in range(k):
                others = [p[0] for j, p in enumerate(paths) if j != i]
                if not self.apart(paths[i][0], others):
                    continue
                found = self.route(*[(b, np.nan) for b in self.near(others)])
                if found is not None and found[1] < paths[i][1] * (1 - 1e-9):
                    paths = [found if j == i else p for j, p in enumerate(paths)]
                    changed = True
            if not changed:
                break
        return sorted(paths, key=lambda p: p[1])


def more_alternatives(task: Task, first: dict, slug: str) -> list[dict]:
    """All k alternatives of one pair, kept apart by ``route.alternatives_method``.

    ``diverse``: the route keeps ``separation_km`` from every earlier (cheaper) alternative
    outside the endpoint areas; ``diverse_greedy``: the same of the greedy method's route of
    that number, for comparison.
    """
    rec = next(r for r in first["records"] if r["slug"] == slug)
    alts = list(rec["alternatives"])
    rc = task.route
    k = task.scenario.alternatives or rc.alternatives
    if k < 2:
        return alts
    scene = task_scene(task)
    rel = rec["protected_relaxed"]
    one = (alts[0]["cells"], alts[0]["steer_cost_usd"])
    pair = Pair(scene, scene.level(strict=not rel), first["chain"], rec["cell"], rc, one[1])
    greedy = pair.greedy(one, k, [None] * k)
    paths = pair.joint(greedy) if rc.alternatives_method == "joint" else greedy

    def flags(ps):
        return [pair.apart(p[0], [q[0] for q in ps[:i]]) for i, p in enumerate(ps)]

    kept_greedy = flags(greedy)
    kept = kept_greedy if paths is greedy else flags(paths)
    return [
        _alt(n, p, d, greedy=g, rel=rel)
        for n, (p, d, g) in enumerate(zip(paths, kept, kept_greedy, strict=True), 1)
    ]


def _no_gateway_error(task: Task) -> NoRouteError:
    """Which borders of the scenario's countries have no gateway, and the gateways nearby."""
    key, sc = task.scenario_key, task.scenario
    sf = task_surface(task.cost_files, task.grid)
    codes = list(sf.country_codes)
    ids = {c: country_id(codes, c) for c in sc.allowed_countries if c in codes}
    c = sf.country_id
    pairs = set()
    for a, b in ((c[:, :-1], c[:, 1:]), (c[:-1, :], c[1:, :])):
        touch = (a != b) & (a > 0) & (b > 0)
        pairs |= {tuple(sorted(p)) for p in zip(a[touch].tolist(), b[touch].tolist(), strict=True)}
    names = {v: k for k, v in ids.items()}
    borders = sorted(
        f"{names[p[0]]}–{names[p[1]]}" for p in pairs if p[0] in names and p[1] in names
    )
    gw = io.read_layer(dict(task.cost_files)["gateways"], "gateways")
    mine = gw.loc[gw["a"].isin(ids) & gw["b"].isin(ids)]
    listing = "; ".join(f"{r['name']} ({r['a']}–{r['b']})" for _, r in mine.iterrows())
    return NoRouteError(
        f"route.scenarios.{key}: no landing station can be reached from {task.origin.name}: "
        "the borders "
        f"between {sc.allowed_countries} ({', '.join(borders) or 'none'}) are crossed only at "
        f"gateways, and the gateways there ({listing or 'none'}) do not connect them.\n"
        "Fix: add the transit country to allowed_countries, add a published crossing to "
        "gateways.listed, or allow off-gateway crossings at a cost "
        f"(route.scenarios.{key}.off_gateway_crossing_usd)."
    )
