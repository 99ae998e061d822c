"""The report's sections on what users will measure and on the routes that already exist.

Reads the onward stage's tables as ``corridor.gpkg`` carries them (``latency_validation``,
``competitors``, ``competitor_overlap``) and turns them into a scatter of modelled against
measured round trips, sentences a planner can quote, and tables. Pure functions: the report
stage writes what they return.
"""

from __future__ import annotations

import html

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def latency_scatter(table: pd.DataFrame) -> plt.Figure:
    """Measured against modelled round trips, with the 1:1 line, the floors and the fit.

    Each reference is a point; its physical floor (2 × great circle × 4.9 µs/km) a grey bar
    below it; the fitted overhead a line with its range; the corridor's expected round trips
    (origin × hub) open circles on the fit.
    """
    refs = table.loc[table["kind"] == "reference"]
    fit = table.loc[table["kind"] == "fit"]
    exp = table.loc[table["kind"] == "expected"]
    fig, ax = plt.subplots(figsize=(7.5, 6))
    top = float(np.nanmax([*refs["measured_rt_ms"], *exp["expected_rt_ms"], 10.0])) * 1.1
    ax.plot([0, top], [0, top], color="#555", linewidth=0.8, label="1:1 (measured = modelled)")
    for _, r in refs.iterrows():
        ax.plot([r["modelled_rt_ms"]] * 2, [0, r["floor_rt_ms"]], color="#bbb", linewidth=5)
        ax.annotate(
            r["name"],
            (r["modelled_rt_ms"], r["measured_rt_ms"]),
            fontsize=7,
            xytext=(4, -10),
            textcoords="offset points",
        )
    ax.plot(
        [], [], color="#bbb", linewidth=5, label="physical floor of the pair (2 × gc × 4.9 µs/km)"
    )
    for stat, marker in (("min", "o"), ("p95", "s")):
        sel = refs.loc[refs["statistic"] == stat]
        ax.scatter(
            sel["modelled_rt_ms"],
            sel["measured_rt_ms"],
            marker=marker,
            color="#d7301f",
            zorder=5,
            label=f"measured ({stat}) against today's path modelled",
        )
    other = refs.loc[~refs["statistic"].isin(["min", "p95"])]
    ax.scatter(other["modelled_rt_ms"], other["measured_rt_ms"], marker="^", color="#d7301f")
    if not fit.empty and pd.notna(fit["overhead"].iloc[0]):
        _draw_fit(ax, fit.iloc[0], top=top)
    ax.scatter(
        exp["modelled_rt_ms"],
        exp["expected_rt_ms"],
        facecolors="none",
        edgecolors="#238b45",
        zorder=4,
        label="corridor: expected measured (origin × hub)",
    )
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel("modelled round trip, ms (propagation in fibre)")
    ax.set_ylabel("measured round trip, ms")
    ax.legend(loc="upper left", fontsize=7)
    ax.set_title("The latency model against public measurements", fontsize=9)
    return fig


def _draw_fit(ax, f: pd.Series, *, top: float) -> None:
    """The fitted overhead as a line, and its range over the pairs as a band."""
    x = np.linspace(0, top, 50)
    if f["overhead_form"] == "ratio":
        ys = (x * f["overhead"], x * f["overhead_low"], x * f["overhead_high"])
    else:
        ys = (x + f["overhead"], x + f["overhead_low"], x + f["overhead_high"])
    ax.plot(x, ys[0], color="#2171b5", label=f"fit: {f['name'].split(': ', 1)[-1]}")
    ax.fill_between(x, ys[1], ys[2], color="#2171b5", alpha=0.12, label="range over the pairs")


def origin_sentences(table: pd.DataFrame) -> list[str]:
    """Per origin: 'today, measured X ms; through the corridor, expected Y ms (modelled Z ms)'.

    One sentence per hub a measured reference stands for; an origin no reference stands for
    gets its figures for every hub without a measurement.
    """
    exp = table.loc[table["kind"] == "expected"]
    out = []
    for origin, g in exp.groupby("origin", sort=True):
        measured = g.loc[g["measured_rt_ms"].notna()]
        for _, r in measured.iterrows():
            out.append(
                f"{origin} → {r['hub']}: today, measured {r['measured_rt_ms']:.1f} ms "
                f"({r['statistic']}, {r['path'].removeprefix('today measured: ')}, {r['date']}); "
                f"through the corridor, expected {r['expected_rt_ms']:.1f} ms "
                f"({r['expected_low_rt_ms']:.0f}–{r['expected_high_rt_ms']:.0f}; modelled "
                f"{r['modelled_rt_ms']:.1f} ms, today's path modelled "
                f"{r['today_modelled_rt_ms']:.1f} ms)."
            )
        if measured.empty:
            hubs = ", ".join(
                f"{r['hub']} {r['expected_rt_ms']:.0f} ms (modelled {r['modelled_rt_ms']:.0f})"
                for _, r in g.iterrows()
            )
            out.append(
                f"{origin}: no measured reference stands for it (within "
                f"onward.reference_match_km); through the corridor, expected {hubs}."
            )
    return out


def fit_sentence(table: pd.DataFrame) -> str:
    """The fitted overhead in words: its form, value, range and spread."""
    fit = table.loc[table["kind"] == "fit"]
    if fit.empty or pd.isna(fit["overhead"].iloc[0]):
        return "No measured reference could be modelled: no overhead was fitted."
    f = fit.iloc[0]
    if f["overhead_form"] == "ratio":
        return (
            f"Fitted overhead (ratio): measured = {f['overhead']:.2f} × modelled, the geometric "
            f"mean over {int(f['n_references'])} pairs; the pairs range from "
            f"{f['overhead_low']:.2f} to {f['overhead_high']:.2f} × (geometric standard "
            f"deviation {f['overhead_spread']:.2f}×)."
        )
    return (
        f"Fitted overhead (additive): measured = modelled + {f['overhead']:.1f} ms, the mean "
        f"over {int(f['n_references'])} pairs; the pairs range from {f['overhead_low']:.1f} to "
        f"{f['overhead_high']:.1f} ms (standard deviation {f['overhead_spread']:.1f} ms)."
    )


def _text(col: pd.Series) -> pd.Series:
    """A column as text (empty where missing), whatever dtype an empty table gave it."""
    return col.fillna("").astype(str)


def reference_table(table: pd.DataFrame) -> pd.DataFrame:
    """The references for the page: pair, match, floor, modelled, measured, ratio."""
    refs = table.loc[table["kind"] == "reference"]
    return pd.DataFrame(
        {
            "pair": refs["name"],
            "stands for": [
                f"{o or '—'} → {h or '—'}" for o, h in zip(refs["origin"], refs["hub"], strict=True)
            ],
            "floor RTT, ms": refs["floor_rt_ms"].round(1),
            "today modelled, ms": refs["modelled_rt_ms"].round(1),
            "measured, ms": refs["measured_rt_ms"],
            "statistic, date": _text(refs["statistic"]) + ", " + _text(refs["date"]),
            "measured / modelled": refs["ratio"].round(2),
            "today's path (model)": refs["path"],
            "source": refs["source"],
        }
    )


def competitor_sentences(comp: pd.DataFrame, overlap: pd.DataFrame) -> list[str]:
    """Per origin: which system is fastest to each hub, and what the corridor shares."""
    out = []
    for origin, g in comp.groupby("origin", sort=True):
        by_hub = []
        for hub, h in g.groupby("hub", sort=False):
            best = h.loc[h["fastest"].astype(bool)].iloc[0]
            others = ", ".join(
                f"{r['system']} {r['expected_rt_ms']:.0f}"
                for _, r in h.iterrows()
                if r["system"] != best["system"]
            )
            by_hub.append(f"{hub}: {best['system']} ({best['expected_rt_ms']:.0f} ms; {others})")
        net = overlap.loc[(overlap["origin"] == origin) & (overlap["kind"] == "network")]
        shared = "; ".join(
            f"with {r['competitor']} {r['shared_km']:,.0f} km of its {r['subject_km']:,.0f} km "
            f"of trench ({100 * r['shared_share']:.1f} %)"
            for _, r in net.iterrows()
        )
        out.append(
            f"From {origin}, fastest by expected round trip — "
            + "; ".join(by_hub)
            + (
                f". The corridor's network shares ground {shared}."
                if shared
                else ". No competitor is routed from this origin (a competitor runs only from the "
                "origins inside its countries)."
            )
        )
    return out


def competitor_table(comp: pd.DataFrame) -> pd.DataFrame:
    """The competitors table for the page."""
    return pd.DataFrame(
        {
            "origin → hub": _text(comp["origin"]) + " → " + _text(comp["hub"]),
            "system": _text(comp["system"]) + np.where(comp["fastest"].astype(bool), " ★", ""),
            "via": _text(comp["station"]),
            "modelled RTT, ms": comp["modelled_rt_ms"].round(1),
            "expected RTT, ms": comp["expected_rt_ms"].round(1),
            "measured today, ms": comp["measured_today_rt_ms"],
            "floor, ms": comp["floor_rt_ms"].round(1),
            "chokepoints": _text(comp["chokepoints"]),
            "transit": _text(comp["transit_countries"]),
            "shared with competitors (route; network)": (
                _text(comp["shared_with_competitors"])
                + np.where(
                    _text(comp["network_shared_with_competitors"]) != "",
                    "; network " + _text(comp["network_shared_with_competitors"]),
                    "",
                )
            ),
        }
    )


def sentences_html(items: list[str]) -> str:
    """Sentences as an HTML list."""
    return "<ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in items) + "</ul>"
