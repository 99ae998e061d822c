"""The static report's pieces: labels that do not collide, the summary of the best routes."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from pipeline import labels, netreport, report


def test_labels_never_overlap_and_crowded_ones_move_or_drop():
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    points = [(5.0, 5.0), (5.05, 5.0), (5.0, 5.05), (5.05, 5.05), (1.0, 1.0)]
    texts = ["Bandar Abbas", "Bushehr", "Ganaveh", "Khark Island", "Jask"]
    placed = labels.place_labels(ax, points, texts)
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
            "origin": "o",
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
    # another origin is ranked against its own routes, not against this origin's
    other = routes.iloc[[0]].assign(route_id="s:p>d#1", origin="p", cost_p50_usd=500e6)
    best = report.best_routes(pd.concat([routes, other], ignore_index=True))
    mine = best.loc[best["origin"] == "p"].iloc[0]
    assert mine["#"] == 1 and mine["why"].startswith("cheapest; lowest latency")


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


# --- the network plan -------------------------------------------------------------------------

NET_NODES = pd.DataFrame(
    {
        "network": ["a", "a", "a", "a", "b", "b"],
        "name": ["Moscow", "Jask, Iran", "Chabahar, Iran", "junction 5 km from X", "Moscow", "S"],
        "kind": ["origin", "landing_station", "landing_station", "junction", "origin", "ILA"],
    }
)
NET_LINKS = pd.DataFrame(
    {
        "network": ["a", "a", "a"],
        "from_name": ["Moscow", "junction 5 km from X", "Moscow"],
        "to_name": ["junction 5 km from X", "Jask, Iran", "Chabahar, Iran"],
        "role": ["working", "shared", "protection"],
    }
)
NET_SUMMARY = pd.DataFrame(
    [
        {
            "network": "a",
            "description": "Working tree by land",
            "working_scenario": "land",
            "protection_scenario": "land",
            "status": "built",
            "origins": "Moscow",
            "stations": "Jask, Iran",
            "total_km": 5012.4,
            "working_km": 3000.2,
            "protection_km": 2012.2,
            "capex_usd": 506.125877e6,
            "capex_p10_usd": 470.12e6,
            "capex_p50_usd": 546.5e6,
            "capex_p90_usd": 635.58e6,
            "working_capex_usd": 236.25e6,
            "separate_routes_usd": 881.2e6,
            "separate_routes_missing": "",
            "saving_usd": 644.95e6,
            "politically_diverse_origins": "Moscow",
            "n_single_points_of_failure": 0,
            "single_points_of_failure": "none",
            "method": "Steiner",
        },
        {  # a network the plan could not build has only these columns
            "network": "b",
            "description": "Across the sea",
            "working_scenario": "sea",
            "protection_scenario": "sea",
            "status": "not built",
            "reason": "the origins cannot all be joined",
            "method": "Steiner",
        },
    ]
)


def _cut(element_kind, element, *, spof=False, grew=0.0, why="", off="", detail="", lost=""):
    return {
        "network": "a",
        "element_kind": element_kind,
        "element": element,
        "origins_cut_off": off,
        "n_origins_cut_off": len(off.split(", ")) if off else 0,
        "worst_rt_increase_ms": np.nan if spof else grew,
        "detail": detail,
        "hubs_unreached": lost,
        "single_point_of_failure": spof,
        "why": why,
    }


def test_the_network_totals_carry_units_and_the_stations_the_links_join():
    totals = netreport.totals_table(NET_SUMMARY, NET_NODES, NET_LINKS).set_index("")
    a, b = totals["a"], totals["b"]
    assert a["CAPEX at the cost book's rates, M USD"] == "506.1"
    assert a["CAPEX P10 / P50 / P90 over the cost draws, M USD"] == "470.1 / 546.5 / 635.6"
    assert a["saving: separate routes − working tree, M USD"] == "645.0"
    assert a["length of all links, km"] == "5,012"
    # station names hold commas: they come from the nodes and links, not the joined summary
    assert a["landing stations the working tree joins"] == "Jask, Iran"
    assert a["landing stations only protection paths reach"] == "Chabahar, Iran"
    assert b["status"] == "not built: the origins cannot all be joined"
    assert b["CAPEX at the cost book's rates, M USD"] == "–"
    # political diversity per node: the origins whose two paths share no transit country
    assert a["origins whose two paths share no transit country"] == "Moscow"
    assert b["origins whose two paths share no transit country"] == "none"


def test_single_points_of_failure_are_listed_with_why_or_said_to_be_none():
    why = "Moscow: no protection path kept 20 km from the working path reaches a station"
    cuts = pd.DataFrame(
        [
            _cut("gateway", "North Post (KZ–TM)", spof=True, why=why, off="Moscow"),
            _cut("shared_stretch", "Moscow's two paths close", spof=True, why=why, off="Moscow"),
            _cut("link", "l1 (Moscow – Jask, Iran)", grew=4.2, detail="Moscow → Oman +4.2 ms"),
        ]
    )
    text = netreport.spof_html(cuts, network="a")
    assert "Single points of failure: 2" in text
    assert text.count("<li>") == 1  # one place, seen as a gateway and as a stretch: one item
    assert "<b>border gateway</b> North Post (KZ–TM)" in text and "cuts off <b>Moscow</b>" in text
    assert "Why: Moscow: no protection path kept 20 km" in text
    assert "none" in netreport.spof_html(cuts.iloc[2:], network="a")


def test_the_cut_summary_counts_each_kind_and_names_the_worst():
    cuts = pd.DataFrame(
        [
            _cut("link", "l1", grew=4.2, detail="Moscow → Oman +4.2 ms; Moscow → Mumbai +4.0 ms"),
            _cut("link", "l2", grew=0.5),
            _cut("link", "l3", spof=True, why="w", off="Moscow"),
            _cut(
                "cable",
                "Gulf Cable",
                grew=np.nan,
                detail="Moscow → Oman no longer reached",
                lost="Moscow → Oman",
            ),
        ]
    )
    t = netreport.cut_table(cuts, network="a").set_index("element cut")
    assert t.loc["links", "cuts tested"] == 3 and t.loc["links", "single points of failure"] == 1
    assert t.loc["links", "worst round-trip growth, ms"] == 4.2
    assert t.loc["links", "worst cut"] == "l1: Moscow → Oman +4.2 ms"
    assert t.loc["submarine cables", "leave a hub unreached"] == "1 (Gulf Cable)"


def test_the_round_trips_give_each_origin_its_working_and_protection_path_per_hub():
    rows = [
        ("Moscow", hub, role, station, rt, rt * 1.45)
        for hub, base in (("Oman", 60.0), ("Mumbai", 77.0))
        for role, station, rt in (
            ("working", "Ganaveh, Iran", base),
            ("protection", "Bandar Abbas, Iran", base - 5),
        )
    ]
    lat = pd.DataFrame(
        rows, columns=["origin", "hub", "role", "station", "rt_ms", "expected_rt_ms"]
    )
    t = netreport.latency_table(lat.assign(network="a"), network="a")
    assert t.loc["Mumbai", ("Moscow", "working via Ganaveh", "RT, ms")] == 77.0
    assert t.loc["Oman", ("Moscow", "protection via Bandar Abbas", "expected, ms")] == 55 * 1.45
