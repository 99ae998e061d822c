"""Uncertainty stage: how sure the costs are, how stable the ranking is.

- **Repricing draws** (``uncertainty.draws``, cheap): every cost-book item gets a multiplier drawn
  from a triangular distribution (low, 1, high) (``draws``, the one place draws are made); each
  route, on its fixed cells, is priced again by ``economics.price_route``, the function the
  score stage prices it with (so with every multiplier at 1 a draw gives the score stage's
  ``cost_usd`` exactly). Per route: P10, P50 and P90 cost, and the probability that it is the
  cheapest route of its scenario.
- **Re-routing draws** (``uncertainty.routing_draws``, each a full routing of every scenario):
  the cost surface is rebuilt with the drawn multipliers and the cheapest route of each scenario
  found again; ``route_frequency.tif`` holds, per scenario (one band each), the share of draws in
  which each cell lies on that best route.
- **Ranking**: a weighted sum of min–max normalised criteria (P50 cost, latency, km shared with
  other alternatives, crossings) within each scenario; and a sensitivity table of the top route
  as each weight moves from 0 to 1 (the others keeping their proportions).

Draw i always uses the random generator seeded with (seed, i), and the repricing is split into
Dask tasks by route, so results do not depend on the scheduler or the number of workers.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import dask
import numpy as np
import pandas as pd

from . import economics, io, parallel
from .alternatives import first_routes
from .catalogue import StageFiles
from .config import Config, CostConfig, SitesConfig, UncertaintyConfig
from .draws import draw, drawn_configs, reprice_draws
from .grid import Grid
from .surface import task_surface
from .tasks import Task, cost_files, read_tasks

log = logging.getLogger(__name__)

CRITERIA = {
    "cost": "cost_p50_usd",
    "latency": "latency_ms",
    "diversity": "shared_km_max",
    "risk": "n_crossings",
}


def reroute_draw(task: Task, i: int, *, u: UncertaintyConfig, s: SitesConfig) -> np.ndarray:
    """Cells of the cheapest route of a scenario when the cost surface is rebuilt for draw i."""
    cd, _ = drawn_configs(task.cost, s, draw(u, i))
    res = first_routes(dataclasses.replace(task, cost=cd), drawn=True)
    routed = [a for r in res["records"] for a in (r.get("alternatives") or [])]
    return min(routed, key=lambda a: a["steer_cost_usd"])["cells"]


def scored_route_parts(
    files: StageFiles,
    grid: Grid,
    routes: pd.DataFrame,
    *,
    c: CostConfig,
    off_gateway: dict[str, float],
) -> list[economics.RouteParts]:
    """Each of these scored routes' parts, built as the score stage built them (the same function).

    The surface is the re-routing draws' (``task_surface``): on local threads, one copy serves
    both.
    """
    surface = task_surface(cost_files(files), grid)
    cells = io.read_cells(files["routes"], routes["route_id"])
    rivers = io.read_layer(files["scores"], "crossings")
    rivers = rivers.loc[rivers["kind"] == "river"]
    parts = []
    for _, r in routes.iterrows():
        counts = {
            "n_border": int(r["n_border_crossings"]),
            "n_landfall": int(r["n_landfalls"]),
            "n_ila": int(r["n_ila_sites"]),
            "n_regen": int(r["n_regen_sites"]),
            "n_fault": int(r["n_fault_crossings"]),
            "n_off_gateway": int(r["n_off_gateway_crossings"]),
            "off_gateway_each_usd": off_gateway[r["scenario"]],
        }
        river_km = rivers.loc[rivers["route_id"] == r["route_id"], "km_from_origin"].tolist()
        parts.append(
            economics.route_parts(
                r.geometry,
                cells[r["route_id"]],
                surface,
                c=c,
                river_km=river_km,
                counts=counts,
                cell_km=grid.cell_m / 1000,
            )
        )
    return parts


def rank(table: pd.DataFrame, weights: dict[str, float]) -> pd.Series:
    """Weighted sum of min–max normalised criteria (0 best) within each scenario and origin."""
    total = sum(weights.values())
    score = pd.Series(0.0, index=table.index)
    for key, col in CRITERIA.items():
        w = weights.get(key, 0.0) / total
        grp = table.groupby(["scenario", "origin"])[col]
        span = (grp.transform("max") - grp.transform("min")).replace(0, np.nan)
        score += w * ((table[col] - grp.transform("min")) / span).fillna(0.0)
    return score


def sensitivity(table: pd.DataFrame, weights: dict[str, float], steps: int = 11) -> pd.DataFrame:
    """The top route of each scenario as each weight moves from 0 to 1, others in proportion."""
    base = table.assign(score=rank(table, weights))
    base_top = base.loc[base.groupby(["scenario", "origin"])["score"].idxmin()]
    base_top = dict(
        zip(
            zip(base_top["scenario"], base_top["origin"], strict=True),
            base_top["route_id"],
            strict=True,
        )
    )
    rows = []
    for key in CRITERIA:
        others = {k: v for k, v in weights.items() if k != key}
        rest = sum(others.values())
        for w in np.linspace(0.0, 1.0, steps):
            ws = {k: (1 - w) * (v / rest if rest else 1 / len(others)) for k, v in others.items()}
            ws[key] = w
            scored = table.assign(score=rank(table, ws))
            for (sc, origin), g in scored.groupby(["scenario", "origin"]):
                top = g.loc[g["score"].idxmin()]
                rows.append(
                    {
                        "scenario": sc,
                        "origin": origin,
                        "criterion": key,
                        "weight": round(float(w), 3),
                        "top_route_id": top["route_id"],
                        "top_changed": top["route_id"] != base_top[(sc, origin)],
                    }
                )
    return pd.DataFrame(rows)


def summarise(routes: pd.DataFrame, costs: np.ndarray) -> pd.DataFrame:
    """P10/P50/P90 cost and the probability of being the scenario's cheapest, per route."""
    out = pd.DataFrame(
        {
            "route_id": routes["route_id"].to_numpy(),
            "scenario": routes["scenario"].to_numpy(),
            "origin": routes["origin"].to_numpy(),
            "cost_p10_usd": np.percentile(costs, 10, axis=1),
            "cost_p50_usd": np.percentile(costs, 50, axis=1),
            "cost_p90_usd": np.percentile(costs, 90, axis=1),
        }
    )
    cheapest = np.zeros(len(out))
    keys = list(zip(out["scenario"], out["origin"], strict=True))
    for key in set(keys):
        rows = np.array([k == key for k in keys])
        winners = np.argmin(costs[rows], axis=0)
        counts = np.bincount(winners, minlength=rows.sum())
        cheapest[rows] = counts / costs.shape[1]
    out["p_cheapest"] = cheapest
    return out


def reprice_routes(
    files: StageFiles,
    grid: Grid,
    rows: slice,
    *,
    c: CostConfig,
    s: SitesConfig,
    u: UncertaintyConfig,
    off_gateway: dict[str, float],
) -> np.ndarray:
    """Costs of the scored routes ``rows`` (rows) in every draw (columns).

    The routes' parts are built in the task that prices them, so they never travel: at 250 m
    the parts of 137 routes pickle to 492 MiB, which, built on the client, went with the graph
    through the scheduler to the workers (distributed warned of it).
    """
    routes = io.read_layer(files["scores"], "routes").iloc[rows]
    parts = scored_route_parts(files, grid, routes, c=c, off_gateway=off_gateway)
    return reprice_draws(parts, c, s, u=u, first=0, count=u.draws)


ROUTES_PER_TASK = 8
"""Routes whose parts a repricing task builds and prices under every draw."""


def _reprice_jobs(files: StageFiles, grid: Grid, cfg: Config, *, n_routes: int) -> list:
    """Dask delayed ``reprice_routes``, ``ROUTES_PER_TASK`` routes a task.

    The tasks carry the config's sections, not the stage's view of the config
    (``config.StageView``), which does not unpickle on a scheduler.
    """
    job, run = dask.delayed(reprice_routes), parallel.run_token()
    off_gateway = cfg.route.off_gateway_usd()
    return [
        job(
            files,
            grid,
            slice(first, first + ROUTES_PER_TASK),
            c=cfg.cost,
            s=cfg.sites,
            u=cfg.uncertainty,
            off_gateway=off_gateway,
            dask_key_name=f"reprice_routes-{run}-{first}",
        )
        for first in range(0, n_routes, ROUTES_PER_TASK)
    ]


def _reroute_jobs(tasks: list[Task], u: UncertaintyConfig, s: SitesConfig) -> list[list]:
    """Dask delayed ``reroute_draw``: per task, one per routing draw."""
    return [
        [dask.delayed(reroute_draw, pure=True)(t, i, u=u, s=s) for i in range(u.routing_draws)]
        for t in tasks
    ]


def _criteria_table(routes: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """The routes' scores with their cost percentiles, P(cheapest) and crossings count."""
    table = routes.drop(columns="geometry").merge(
        summary[["route_id", "cost_p10_usd", "cost_p50_usd", "cost_p90_usd", "p_cheapest"]],
        on="route_id",
    )
    table["n_crossings"] = (
        table["n_border_crossings"] + table["n_landfalls"] + table["n_river_crossings"]
    )
    return table


def _add_ranking(summary: pd.DataFrame, table: pd.DataFrame, weights: dict[str, float]) -> None:
    """Add each route's ``mcda_score`` and ``mcda_rank`` (within scenario and origin) in place."""
    summary["mcda_score"] = rank(table, weights).to_numpy()
    summary["mcda_rank"] = (
        summary.groupby(["scenario", "origin"])["mcda_score"].rank(method="first").astype(int)
    )


def _route_frequency(
    paths: list[list[np.ndarray]], width: int, *, routing_draws: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per task (band), the share of routing draws whose cheapest route takes each cell.

    Sparse: the cells some draw took (flat indices, sorted) and their shares (float32); the
    rest are 0. A band per scenario and origin held whole would be 4 bytes a cell each (ten
    bands: 11 GB at 250 m).
    """
    bands = []
    for cells_per_draw in paths:
        taken = [np.unique(c[:, 0].astype(np.int64) * width + c[:, 1]) for c in cells_per_draw]
        every = np.concatenate([np.empty(0, np.int64), *taken])
        flat, counts = np.unique(every, return_counts=True)
        bands.append((flat, counts.astype(np.float32) / np.float32(max(routing_draws, 1))))
    return bands


def _log_summary(summary: pd.DataFrame) -> None:
    """Log each route's cost percentiles, P(cheapest) and MCDA rank."""
    for _, r in summary.iterrows():
        log.info(
            "uncertainty %s: P10/P50/P90 %.1f/%.1f/%.1f M USD, cheapest %.0f %%, MCDA #%d",
            r["route_id"],
            r["cost_p10_usd"] / 1e6,
            r["cost_p50_usd"] / 1e6,
            r["cost_p90_usd"] / 1e6,
            100 * r["p_cheapest"],
            r["mcda_rank"],
        )


def run(cfg: Config, files: StageFiles, *, scheduler: str | None = None) -> Path:
    """Monte Carlo, route frequency, ranking and sensitivity; write ``uncertainty.gpkg``."""
    grid, tasks = read_tasks(cfg, files)
    u = cfg.uncertainty
    routes = io.read_layer(files["scores"], "routes")
    jobs = _reprice_jobs(files, grid, cfg, n_routes=len(routes))
    reroutes = _reroute_jobs(tasks, u, cfg.sites)
    costs_parts, paths = parallel.compute(
        [jobs, reroutes], scheduler, cfg.dask.n_workers, label="uncertainty"
    )
    summary = summarise(routes, np.vstack([np.empty((0, u.draws)), *costs_parts]))
    table = _criteria_table(routes, summary)
    _add_ranking(summary, table, u.weights)
    bands = _route_frequency(paths, grid.width, routing_draws=u.routing_draws)
    names = [f"{t.scenario_key}:{t.origin.name}" for t in tasks]
    io.write_sparse_bands(
        files["route_frequency"],
        bands,
        grid,
        names=names,
        description="share of Monte Carlo draws in which the cell lies on the scenario's "
        "cheapest route",
    )
    io.write_gpkg(
        files["uncertainty"],
        {"route_uncertainty": summary, "ranking_sensitivity": sensitivity(table, u.weights)},
    )
    _log_summary(summary)
    return files["uncertainty"]
