"""Routes checked against known corridors: km per country and the path deviation index.

Where a route passes both ends of a reference corridor (a railway whose section lengths are
published, ``score.reference_corridors``), the stretch of the route between the points nearest
the ends is compared with the published figures: ground km in each country and in all, and the
path deviation index — the area between the route and the railway divided by the route's
length (leastcostpath's ``PDI_validation``), measured here as the mean distance from the
stretch to the nearest railway, sampled every ``SAMPLE_KM``.
"""

from __future__ import annotations

import numpy as np
import shapely

from . import economics
from .config import ReferenceCorridor

COLUMNS = (
    "route_id",
    "reference",
    "between",
    "country",
    "route_km",
    "published_low_km",
    "published_high_km",
    "agrees",
    "deviation_km",
    "note",
    "source",
)
"""The fields of the ``validation`` table, one row per route, reference and country."""
SAMPLE_KM = 1.0
"""Spacing of the points at which the distance to the railway is measured, km."""


def stretch(
    coords: np.ndarray, vkm: np.ndarray, ends: list[tuple[float, float]], *, max_offset_m: float
) -> tuple[float, float] | list[float]:
    """(km_start, km_end) of the route between the vertices nearest two points.

    Where it does not pass within ``max_offset_m`` of both: its distance from each, m.
    """
    marks, gaps = [], []
    for x, y in ends:
        d = np.hypot(coords[:, 0] - x, coords[:, 1] - y)
        i = int(np.argmin(d))
        gaps.append(float(d[i]))
        marks.append(float(vkm[i]))
    lo, hi = sorted(marks)
    if max(gaps) > max_offset_m or hi <= lo:
        return gaps
    return lo, hi


def km_by_country_between(parts: economics.RouteParts, lo: float, hi: float) -> dict[str, float]:
    """Ground km of the route in each country between km ``lo`` and ``hi``."""
    overlap = np.clip(np.minimum(parts.km_end, hi) - np.maximum(parts.km_start, lo), 0, None)
    out: dict[str, float] = {}
    for code, km in zip(parts.country, overlap, strict=True):
        if km > 0:
            out[str(code)] = out.get(str(code), 0.0) + float(km)
    return out


def deviation_km(part: shapely.LineString, railways: shapely.STRtree, rail_geoms) -> float:
    """Mean distance from a stretch of route to the nearest railway, km (the PDI)."""
    n = max(int(part.length / (SAMPLE_KM * 1000.0)), 1)
    points = shapely.line_interpolate_point(part, np.linspace(0, part.length, n + 1))
    nearest = railways.nearest(points)
    return float(np.mean(shapely.distance(points, rail_geoms[nearest])) / 1000.0)


def check(
    route_id: str,
    line: shapely.LineString,
    vkm: np.ndarray,
    *,
    parts: economics.RouteParts,
    ref: ReferenceCorridor,
    ends_xy: list[tuple[float, float]],
    railways: tuple[shapely.STRtree, np.ndarray],
    max_offset_km: float,
) -> list[dict]:
    """One row per country of the reference and one for the total.

    Where the route does not run between the reference's ends: one row that says how far it
    passes from them.
    """
    coords = np.asarray(line.coords)
    span = stretch(coords, vkm, ends_xy, max_offset_m=max_offset_km * 1000.0)
    if isinstance(span, list):
        far = ", ".join(
            f"{km / 1000:.0f} km from {name}"
            for km, name in zip(span, (ref.start_name, ref.end_name), strict=True)
        )
        return [
            {
                "route_id": route_id,
                "reference": ref.name,
                "between": f"{ref.start_name} – {ref.end_name}",
                "country": "",
                "route_km": float("nan"),
                "published_low_km": float("nan"),
                "published_high_km": float("nan"),
                "agrees": False,
                "deviation_km": float("nan"),
                "note": f"not beside it: passes {far} (checked within {max_offset_km:g} km)",
                "source": ref.source,
            }
        ]
    lo, hi = span
    km = km_by_country_between(parts, lo, hi)
    pdi = deviation_km(economics.cut(coords, vkm, lo, b=hi), *railways)
    items = [*((c, km.get(c, 0.0), r) for c, r in ref.km_by_country.items())]
    items.append(("total", hi - lo, ref.total_km))
    return [
        {
            "route_id": route_id,
            "reference": ref.name,
            "between": f"{ref.start_name} – {ref.end_name}",
            "country": country,
            "route_km": value,
            "published_low_km": low,
            "published_high_km": high,
            "agrees": bool(low <= value <= high),
            "deviation_km": pdi,
            "note": "",
            "source": ref.source,
        }
        for country, value, (low, high) in items
    ]
