"""The static report's pieces: labels that do not collide, the summary of the best routes."""

import matplotlib.pyplot as plt
import pandas as pd

from pipeline import report


def test_labels_never_overlap_and_crowded_ones_move_or_drop():
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    points = [(5.0, 5.0), (5.05, 5.0), (5.0, 5.05), (5.05, 5.05), (1.0, 1.0)]
    texts = ["Bandar Abbas", "Bushehr", "Ganaveh", "Khark Island", "Jask"]
    placed = report.place_labels(ax, points, texts)
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in placed]
    assert all(not a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    assert {t.get_text() for t in placed} >= {"Bandar Abbas", "Jask"}
    assert len(placed) >= 3  # crowded labels move to a clear side before any is dropped
    plt.close(fig)


def test_the_summary_gives_three_routes_per_scenario_with_reasons():
    routes = pd.DataFrame(
        {
            "route_id": [f"s:o>d#{i}" for i in range(1, 5)] + ["t:o>d#1"],
            "scenario": ["s"] * 4 + ["t"],
            "mcda_score": [0.3, 0.1, 0.5, 0.9, 0.0],
            "cost_p50_usd": [100e6, 110e6, 120e6, 130e6, 90e6],
            "length_km": [4000.0] * 5,
            "latency_ms": [20.0, 19.0, 21.0, 22.0, 18.0],
            "p_cheapest": [1.0, 0.0, 0.0, 0.0, 1.0],
            "row_share": [0.9] * 5,
            "n_border_crossings": [3] * 5,
            "n_fault_crossings": [2] * 5,
            "protected_km": [0.0, 0.0, 0.0, 0.0, 7.5],
            "shared_km_max": [0.0, 12.0, 0.0, 0.0, 0.0],
        }
    )
    best = report.best_routes(routes)
    assert best.loc[best["scenario"] == "s", "route"].tolist() == ["s:o>d#2", "s:o>d#1", "s:o>d#3"]
    first = best.iloc[0]["why"]
    assert "10 % above the cheapest" in first and "lowest latency" in first
    assert "shares 12 km" in first and "cost draws" not in first
    assert "cheapest in 100 % of cost draws" in best.iloc[1]["why"]
    assert best.loc[best["scenario"] == "t", "#"].tolist() == [1]
    assert "2 active faults crossed" in first and "protected" not in first
    assert "8 km through protected areas" in best.iloc[-1]["why"]


def test_the_comparison_counts_pairs_kept_apart_against_greedy_and_lists_what_was_relaxed():
    g = pd.DataFrame(
        {
            "route_id": [f"s:o>{d}#{a}" for d in "ab" for a in (1, 2)],
            "origin": "o",
            "destination": ["a", "a", "b", "b"],
            "alternative": [1, 2, 1, 2],
            "diverse": [True, True, True, False],
            "diverse_greedy": [True, False, True, False],
            "relaxed": [
                "",
                "",
                "",
                "separation from the earlier alternatives (see diversity_note)",
            ],
            "diversity_note": ["", "", "", "within 20 km of #1 for 12 km (near Bereket)"],
        }
    )
    assert report._pairs_apart(g) == "1 / 1 of 2 (0 / 0)"
    relaxed = report.relaxed_table(g)
    assert relaxed["route"].tolist() == ["s:o>b#2"]
    assert "(within 20 km of #1 for 12 km (near Bereket))" in relaxed.iloc[0, 1]


def test_the_comparison_names_alternatives_that_share_no_transit_country():
    g = pd.DataFrame(
        {
            "origin": "Moscow",
            "destination": "Jask, Iran",
            "alternative": [1, 2, 3],
            "transit_km": ["KZ 1200.0; TM 700.0", "AZ 400.0", "KZ 900.0; UZ 300.0"],
        }
    )
    assert report._politically_diverse(g) == "Moscow>Jask #1/#2, Moscow>Jask #2/#3"
    assert report._politically_diverse(g.iloc[[0, 2]]).startswith("none")
