"""Measured round trips against the model: today's path for a reference pair, and the overhead.

The onward stage models propagation only: fibre km × group index. Users measure more (routing
detours through exchange points, queues, equipment). Each configured reference
(``onward.latency_references``) is modelled exactly as the onward stage models today's path —
overland at great circle × ``terrestrial_detour_factor`` to where the path meets the sea, the
least-km path over the cables in service, then overland again to the far end — and held against
its measured round trip. The overhead fitted over them turns any modelled round trip into an
expected measured one.

A reference stands for a configured origin when its start lies within
``onward.reference_match_km`` of it (the nearest, if several), and for a hub when its end lies
that near the hub's stations' centre: its measured figure is then today's for that origin and
hub. Otherwise it validates the model alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .cables import Edge, Network, best_to_hub, geod_km
from .config import Hub, LatencyReference


@dataclass(frozen=True)
class Overhead:
    """measured = k × modelled ('ratio') or modelled + d ('additive'), fitted over n pairs.

    ``value`` is k or d; ``low`` and ``high`` the least and greatest over the pairs (the
    expected range); ``spread`` the geometric standard deviation of the ratios (a factor) or the
    standard deviation of the differences (ms), NaN with fewer than two pairs.
    """

    form: str
    value: float
    low: float
    high: float
    spread: float
    n: int

    def expected(self, modelled_rt_ms: float, which: str = "value") -> float:
        """The round trip users can expect for ``modelled_rt_ms`` (value, low or high)."""
        v = getattr(self, which)
        return modelled_rt_ms * v if self.form == "ratio" else modelled_rt_ms + v


def fit_overhead(modelled_rt_ms, measured_rt_ms, *, form: str) -> Overhead | None:
    """The overhead of ``form`` fitted over the pairs; None when there is none to fit."""
    m = np.asarray(modelled_rt_ms, dtype=float)
    y = np.asarray(measured_rt_ms, dtype=float)
    ok = np.isfinite(m) & np.isfinite(y) & (m > 0)
    m, y = m[ok], y[ok]
    if m.size == 0:
        return None
    if form == "ratio":
        logs = np.log(y / m)
        spread = math.exp(float(np.std(logs, ddof=1))) if m.size > 1 else math.nan
        return Overhead(form, math.exp(float(logs.mean())), *_span(y / m), spread, int(m.size))
    if form == "additive":
        d = y - m
        spread = float(np.std(d, ddof=1)) if m.size > 1 else math.nan
        return Overhead(form, float(d.mean()), *_span(d), spread, int(m.size))
    raise ValueError(f"onward.overhead_form: {form!r} is not 'ratio' or 'additive'")


def _span(v: np.ndarray) -> tuple[float, float]:
    return float(v.min()), float(v.max())


def nearest_within(point: tuple[float, float], places: dict[str, tuple], *, km: float):
    """The name of the place nearest ``point`` (lon, lat) within ``km`` of ground, or None."""
    best = None
    for name, xy in places.items():
        d = float(geod_km(point, xy))
        if d <= km and (best is None or d < best[0]):
            best = (d, name)
    return None if best is None else best[1]


@dataclass(frozen=True)
class TodayPath:
    """Today's modelled path of a reference: km overland and by sea, and the cables."""

    land_km: float
    sea_km: float
    edges: list[Edge]

    @property
    def km(self) -> float:
        """Overland and sea km together."""
        return self.land_km + self.sea_km


def today_path(
    ref: LatencyReference,
    network: Network,
    station_xy: dict[str, tuple[float, float]],
    *,
    gateway: list[str],
    detour: float,
) -> TodayPath | None:
    """The least-km model of today's path for ``ref`` (None if no cable joins its ends).

    Overland (great circle × ``detour``) from the start to one of ``ref.sea_from`` (else the
    ``gateway`` stations), by sea to one of ``ref.sea_to``, overland to the end.
    """
    start = (ref.from_lon_deg, ref.from_lat_deg)
    end = (ref.to_lon_deg, ref.to_lat_deg)
    best = None
    for a in [s for s in (ref.sea_from or gateway) if s in network.index]:
        paths = network.paths_from(a)
        for b in [s for s in ref.sea_to if s in network.index]:
            sea = best_to_hub(network, paths, a, hub=Hub(name=b, stations=[b]))
            if sea is None:
                continue
            land = float(geod_km(start, station_xy[a])) + float(geod_km(station_xy[b], end))
            cand = TodayPath(land * detour, sea[0], sea[1])
            if best is None or cand.km < best.km:
                best = cand
    return best
