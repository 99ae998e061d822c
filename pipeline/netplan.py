"""One network's plan on the grid: the working tree, and each origin's protection path.

A ``Job`` is one network of ``network.networks``: the routing tasks of its working scenario
and of its protection scenario (one per origin, as the route stage makes them), and the
settings. ``plan`` runs as one Dask task and returns small values: cells and costs.

- **Working tree**: every origin (and the scenario's waypoints) joined to at least
  ``network.min_landings`` landing stations by the least-cost tree ``steiner.steiner_tree``
  finds on the scenario's scene (barriers closed; the router's moves, rates and zone costs),
  on the whole grid or coarse to fine as the route stage searches (``search.route_tree``).
  Each origin's working path is its way along the tree to the station cheapest to reach.
- **Protection**: each origin, in turn, reaches a landing station (another than its working
  path's where one can be reached) on the protection scenario's scene, with its own working
  path's corridor (``route.separation_km``, outside the endpoint areas) closed; ground the
  network already builds on steers at ``network.shared_steer_mult``. Where no path keeps apart,
  the corridor is only penalised (``route.fallback_penalty_mult``) and the cells it shares are
  returned, to be reported.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass

import numpy as np

from . import steiner
from .alternatives import corridor, endpoints, reach_labels
from .config import NetworkConfig, NetworkSpec
from .corridors import member
from .scene import Scene, task_scene
from .search import Query, overlay, route_chain, route_tree
from .tasks import Task

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One network to plan: its tasks (one per origin) in the working and protection scenario."""

    key: str
    spec: NetworkSpec
    working: tuple[Task, ...]
    protection: tuple[Task, ...]
    net: NetworkConfig


def _snapped(tasks: tuple[Task, ...], scene: Scene) -> dict[str, tuple]:
    """Per origin, its task's ``endpoints`` on ``scene`` (the scene's parts labelled once)."""
    labels = reach_labels(scene)
    return {t.origin.name: endpoints(t, scene, labels) for t in tasks}


def _terminals(tasks: tuple[Task, ...], snapped: dict[str, tuple]) -> tuple[dict, dict, dict]:
    """Per origin its chain's cells; the stations every origin reaches (slug -> cell); names."""
    chains, stations, names = {}, None, {}
    for t in tasks:
        snapped_t, records = snapped[t.origin.name]
        chains[t.origin.name] = [s[:2] for s in snapped_t]
        routed = {r["slug"]: r["cell"] for r in records if r["status"] == "routed"}
        names.update({r["slug"]: r["dest"].name for r in records})
        stations = (
            routed if stations is None else {k: v for k, v in stations.items() if k in routed}
        )
    return chains, stations or {}, names


def _working_paths(tree: steiner.Tree, origins: dict[str, int], chosen: dict[str, int]) -> dict:
    """Per origin: the tree's path to the station cheapest to reach along it."""
    out = {}
    for name, o in origins.items():
        best = min(
            ((tree.path_cost(p), slug, p) for slug, s in chosen.items() if (p := tree.path(o, s))),
            default=None,
        )
        if best is not None:
            out[name] = {"station": best[1], "cells": best[2], "steer_usd": best[0]}
    return out


def _tree(job: Job, scene: Scene, ends: tuple, *, fixed: tuple[str, ...] = ()) -> dict:
    """The working tree: its terminals, its edges and cost, the stations it chose.

    ``ends`` are ``_terminals``; ``fixed``: the stations to join (by slug), else those of
    ``network.stations`` and the optimiser's choice.
    """
    chains, stations, names = ends
    width, net = scene.grid.width, job.net
    if not stations:
        return {
            "status": "not built",
            "reason": f"no landing station can be reached from every origin in {job.spec.working}",
        }
    named = list(fixed) or [s for s, n in names.items() if n in net.stations and s in stations]
    required = list(dict.fromkeys(c for ch in chains.values() for c in ch))
    required += [stations[s] for s in named]
    q = Query(
        level=scene.level(strict=True),
        scene=scene,
        chain=required,
        targets=[stations[s] for s in sorted(stations) if s not in named],
    )
    n_optional = 0 if fixed else max(net.min_landings - len(named), 0)
    tree = route_tree(q, n_optional=n_optional, rounds=net.improve_rounds)
    if tree is None:
        return {"status": "not built", "reason": "the origins cannot all be joined"}
    cells = set(tree.cells())
    flat = {s: c[0] * width + c[1] for s, c in stations.items()}
    chosen = {s: f for s, f in flat.items() if f in cells}
    origins = {o: ch[0][0] * width + ch[0][1] for o, ch in chains.items()}
    via = {
        v.name: c[0] * width + c[1]
        for v, c in zip(job.working[0].via, chains[job.working[0].origin.name][1:], strict=True)
    }
    missed = [n for n in net.stations if n not in {names[s] for s in stations}]
    note = (
        f"network.stations {missed} cannot be reached from every origin in {job.spec.working}"
        if missed and not fixed
        else ""
    )
    return {
        "status": "built",
        "reason": "",
        "note": note,
        "tree": tree,
        "origins": origins,
        "via": via,
        "chosen": chosen,
        "names": names,
        "working": _working_paths(tree, origins, chosen),
    }


def _protect_one(
    t: Task, scene: Scene, *, ends: tuple, work: dict, built: set[int], job: Job
) -> dict:
    """The protection path of one origin (see the module docstring).

    ``ends``: its ``endpoints`` on the protection scene.
    """
    rc, width = t.route, scene.grid.width
    snapped, records = ends
    chain = [s[:2] for s in snapped]
    targets = {r["slug"]: r["cell"] for r in records if r["status"] == "routed"}
    if not targets:
        return {"status": "none", "reason": "no landing station reachable in the scenario"}
    rc_cells = np.array([divmod(c, width) for c in work["cells"]])
    closed = corridor(
        [rc_cells],
        [*chain, *targets.values(), tuple(rc_cells[0]), tuple(rc_cells[-1])],
        scene,
        separation_km=rc.separation_km,
        endpoint_radius_km=rc.endpoint_radius_km,
    )
    own = np.unique(np.asarray(work["cells"][1:-1], dtype=np.int64))  # its own trench
    on = np.array(sorted(built), dtype=np.int64)
    on = on[~member(on, closed) & ~member(on, own)]
    level = scene.level(strict=True)
    mult = rc.fallback_penalty_mult
    for near, mine, apart in ((np.nan, np.nan, True), (mult, np.nan, False), (mult, mult, False)):
        parts = [(own, mine), (closed, near), (on, job.net.shared_steer_mult)]
        ov = overlay(level.rate, parts)
        found = route_chain(
            Query(level=level, scene=scene, chain=chain, targets=list(targets.values()), ov=ov)
        )
        pick = _pick(found, list(targets), avoid=work["station"])
        if pick is not None:
            slug, (cells, usd) = pick
            flat = cells[:, 0] * width + cells[:, 1]
            return {
                "status": "built",
                "station": slug,
                "cells": flat.tolist(),
                "steer_usd": usd,
                "apart": apart,
                "shared": flat[member(flat, closed) | member(flat, own)].tolist(),
            }
    return {"status": "none", "reason": "no landing station reachable"}


def _pick(found: list, slugs: list[str], *, avoid: str | None):
    """The cheapest path found to a station other than ``avoid``, else to ``avoid``."""
    ok = [(p[1], s, p) for s, p in zip(slugs, found, strict=True) if p is not None]
    other = [x for x in ok if x[1] != avoid]
    best = min(other or ok, default=None, key=lambda x: x[0])
    return None if best is None else (best[1], best[2])


@dataclass(frozen=True)
class _Sides:
    """The working scene and its terminals; the protection scene and each origin's endpoints."""

    scene: Scene
    ends: tuple  # ``_terminals``
    prot_scene: Scene
    prot_ends: dict[str, tuple]  # origin -> ``endpoints`` on the protection scene


def _plan_with(job: Job, sides: _Sides, *, fixed: tuple[str, ...] = ()) -> dict:
    """The working tree (its stations ``fixed``, or chosen) and each origin's protection."""
    scene = sides.scene
    out = {"key": job.key, "width": scene.grid.width, **_tree(job, scene, sides.ends, fixed=fixed)}
    if out["status"] != "built":
        return out
    tree = out.pop("tree")
    out["tree_edges"] = tree.edges
    out["tree_usd"] = tree.cost
    built = set(tree.cells())
    out["protection"] = {}
    for t in job.protection:
        work = out["working"].get(t.origin.name)
        if work is None:
            continue
        ends = sides.prot_ends[t.origin.name]
        p = _protect_one(t, sides.prot_scene, ends=ends, work=work, built=built, job=job)
        out["protection"][t.origin.name] = p
        built |= set(p.get("cells", ()))
    return out


def _apart(p: dict) -> int:
    return sum(bool(v.get("apart")) for v in p.get("protection", {}).values())


def _natural(job: Job, sides: _Sides) -> set[str]:
    """The stations each origin's protection reaches most cheaply with no working path."""
    scene = sides.prot_scene
    level, out = scene.level(strict=True), set()
    for t in job.protection:
        snapped, records = sides.prot_ends[t.origin.name]
        targets = {r["slug"]: r["cell"] for r in records if r["status"] == "routed"}
        found = route_chain(
            Query(
                level=level,
                scene=scene,
                chain=[s[:2] for s in snapped],
                targets=list(targets.values()),
            )
        )
        pick = _pick(found, list(targets), avoid=None)
        if pick is not None:
            out.add(pick[0])
    return out


def _at_gateways(p: dict, sides: _Sides) -> bool:
    """Whether every protection path that could not keep apart shares ground at a gateway.

    Both paths must cross that border wherever the stations are, so other stations are not
    tried (a heuristic: on the real data, land_tm's one usable KZ–TM gateway).
    """
    zone, (lo, hi) = sides.prot_scene.zone.ravel(), sides.prot_scene.prefer
    shared = [pp["shared"] for pp in p["protection"].values() if not pp.get("apart", True)]
    return bool(shared) and all(
        np.any((zone[np.asarray(s)] >= lo) & (zone[np.asarray(s)] <= hi)) for s in shared
    )


def _station_sets(job: Job, ends: tuple, natural: set[str]) -> list[tuple[str, ...]]:
    """Sets of ``min_landings`` candidate stations without the protection's own.

    Those farthest from the protection's stations come first.
    """
    _, stations, _ = ends
    pos = {s: np.array(c, dtype=float) for s, c in stations.items()}
    free = sorted(s for s in stations if s not in natural)

    def far(combo):
        return min((np.hypot(*(pos[a] - pos[b])) for a in combo for b in natural), default=0.0)

    combos = itertools.combinations(free, min(job.net.min_landings, len(free)))
    return sorted(combos, key=far, reverse=True)


def plan(job: Job) -> dict:
    """The network's working tree and protection paths (a Dask task: small values out).

    When a protection path cannot keep apart from its working path (other than at a border
    gateway), the working tree is built again on other stations (up to
    ``network.station_sets`` sets, those farthest from the stations the protection paths reach
    most cheaply first), and the plan with the most protection paths kept apart is kept.
    """
    scene, prot = task_scene(job.working[0]), task_scene(job.protection[0])
    ends = _terminals(job.working, _snapped(job.working, scene))
    sides = _Sides(scene, ends, prot, _snapped(job.protection, prot))
    best = _plan_with(job, sides)
    if best["status"] != "built" or _apart(best) == len(best["protection"]):
        return best
    first, n = best, len(best["protection"])
    tries = 0
    gateway = _at_gateways(best, sides)
    todo = [] if gateway else _station_sets(job, ends, _natural(job, sides))
    for fixed in todo[: job.net.station_sets]:
        tries += 1
        alt = _plan_with(job, sides, fixed=fixed)
        if alt["status"] == "built" and _apart(alt) > _apart(best):
            best = alt
            if _apart(best) == n:
                break
    tried = f"{tries} other set{'s' if tries != 1 else ''} of stations tried"
    if gateway:
        tried = "they share a border gateway, which no other station can move: none tried"
    if best is first:
        best["note"] = f"{n - _apart(best)} of {n} protection paths not kept apart; {tried}"
    else:
        best["note"] = (
            f"stations chosen away from the protection's: the optimiser's first choice left "
            f"{n - _apart(first)} of {n} protection paths not kept apart ({tried})"
        )
    return best
