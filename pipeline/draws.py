"""Monte Carlo cost books: the multipliers of each draw, and routes repriced under them.

One rule, one place: every stage that draws cost uncertainty draws it here, so draw ``i`` is
the same cost book wherever it is used. Each cost-book item gets a multiplier drawn from a
triangular distribution (``low_mult``, 1, ``high_mult``) by the random generator seeded with
(``seed``, i), so a draw does not depend on which task or worker makes it; a route is repriced
by ``economics.price_route``, the function the score stage prices it with.
"""

from __future__ import annotations

import numpy as np

from . import economics
from .config import CostConfig, SitesConfig, UncertaintyConfig

COST_ITEMS = (
    "base_usd_per_km",
    "hill_mult",
    "mountain_mult",
    "colocation_mult",
    "urban_mult",
    "hdd_usd_per_km",
    "border_crossing_usd",
    "landfall_usd",
    "submarine_usd_per_km",
    "fault_crossing_usd",
    "protected_area_mult",
)
SITE_ITEMS = ("ila_site_usd", "regen_site_usd")


def draw(u: UncertaintyConfig, i: int) -> dict[str, float]:
    """Multipliers of every cost-book item for draw ``i`` (reproducible)."""
    rng = np.random.default_rng([u.seed, i])
    return {
        k: float(rng.triangular(u.low_mult, 1.0, u.high_mult)) for k in (*COST_ITEMS, *SITE_ITEMS)
    }


def drawn_configs(
    c: CostConfig, s: SitesConfig, mult: dict[str, float]
) -> tuple[CostConfig, SitesConfig]:
    """The cost book of one draw."""
    cost = c.model_copy(update={k: getattr(c, k) * mult[k] for k in COST_ITEMS})
    sites = s.model_copy(update={k: getattr(s, k) * mult[k] for k in SITE_ITEMS})
    return cost, sites


def reprice_draws(
    parts: list[economics.RouteParts],
    c: CostConfig,
    s: SitesConfig,
    *,
    u: UncertaintyConfig,
    first: int,
    count: int,
) -> np.ndarray:
    """Costs of every route (rows) in draws first .. first + count - 1 (columns)."""
    out = np.empty((len(parts), count))
    for j in range(count):
        cd, sd = drawn_configs(c, s, draw(u, first + j))
        out[:, j] = [economics.price_route(p, cd, sd).total_usd for p in parts]
    return out
