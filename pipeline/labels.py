"""Labels on a map that keep clear of each other (the report's route and network maps)."""

from __future__ import annotations

_OFFSETS = [(4, 4), (4, -10), (-4, 4), (-4, -10), (8, -3), (-8, -3), (0, 10), (0, -14)]
"""Label positions tried around a point (points), in order of preference."""


def place_labels(ax, points: list[tuple[float, float]], texts: list[str]) -> list:
    """Label each point where the label overlaps no label placed before it (greedy).

    Each label tries the offsets of ``_OFFSETS`` in turn and keeps the first that is clear; a
    label with no clear position is left out rather than drawn over another. Returns the
    placed ``Text`` artists.
    """
    renderer = ax.figure.canvas.get_renderer()
    placed, boxes = [], []
    for (x, y), text in zip(points, texts, strict=True):
        for dx, dy in _OFFSETS:
            t = ax.annotate(
                text,
                (x, y),
                xytext=(dx, dy),
                textcoords="offset points",
                fontsize=7,
                ha="left" if dx >= 0 else "right",
            )
            box = t.get_window_extent(renderer).expanded(1.05, 1.1)
            if not any(box.overlaps(other) for other in boxes):
                placed.append(t)
                boxes.append(box)
                break
            t.remove()
    return placed
