"""Pure: history rows -> plotly figures as JSON-ready dicts (SVG traces only, no WebGL).

The dicts are plotly.js's own figure format, written out directly: building plotly's Python
figure objects validates every property and cost more than the rest of a person page.
tests/leaderboard/test_charts.py checks each figure against plotly's schema instead.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections import defaultdict
from decimal import Decimal

from leaderboard.domain.json_values import JSON
from leaderboard.domain.rows import Day

# No text, grid or outline colours here: static/js/charts.js takes them from the page's CSS
# variables, so a chart follows the light or dark theme (fixed light ones vanished in the dark).
AXIS: dict[str, JSON] = {
    "automargin": True,
    "title": {"standoff": 15},
}
# The parts of plotly's default template these charts use (the whole one is ~6 KB a chart).
TEMPLATE: dict[str, JSON] = {
    "layout": {
        "colorway": [
            "#636efa",
            "#EF553B",
            "#00cc96",
            "#ab63fa",
            "#FFA15A",
            "#19d3f3",
            "#FF6692",
            "#B6E880",
            "#FF97FF",
            "#FECB52",
        ],
        "hoverlabel": {"align": "left"},
        "xaxis": AXIS,
        "yaxis": AXIS,
    },
}
LAYOUT: dict[str, JSON] = {
    "margin": {"l": 48, "r": 12, "t": 12, "b": 36},
    "height": 260,
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "font": {"family": "system-ui, sans-serif", "size": 12},
    "legend": {"orientation": "h", "y": -0.2},
    "hovermode": "x unified",
    "template": TEMPLATE,
}


DAY_MS = 86_400_000
BAR_WIDTH = DAY_MS * 4 // 5  # plotly sizes a lone bar on a date axis to nothing
DAY_TICKS = 10  # at most about this many day ticks: a month's chart labels every third or so
TOKENS_AXIS: dict[str, JSON] = {"title": {"text": "tokens"}, "hoverformat": ".4~s"}
# "$4,000" and "$0.5" on the axis, cents in the hover
COST_AXIS: dict[str, JSON] = {
    "type": "linear",
    "title": {"text": "USD"},
    "tickprefix": "$",
    "tickformat": ",.2~f",
    "hoverformat": ",.2f",
}


def day_axis(days: list[str]) -> dict[str, JSON]:
    """A date axis ticked on whole days and ranged to the days charted, half a day either
    side: plotly's own ticks on a one- or two-day chart fell between days ("23:59:59.9995")."""
    if not days:
        return {"type": "date", "tickformat": "%b %-d"}
    first, last = dt.date.fromisoformat(min(days)), dt.date.fromisoformat(max(days))
    step = max(1, math.ceil(((last - first).days + 1) / DAY_TICKS))
    return {
        "type": "date",
        "tickformat": "%b %-d",
        "tick0": first.isoformat(),
        "dtick": step * DAY_MS,
        "range": [f"{first - dt.timedelta(days=1)} 12:00", f"{last} 12:00"],
    }


def _figure(traces: list[dict[str, JSON]], **layout: JSON) -> dict[str, JSON]:
    return {"data": traces, "layout": {**LAYOUT, **layout}}


def text(value: str) -> str:
    """A string from outside (a model or source name) as plotly shows it: plotly reads
    trace names and hover text as its own small HTML, where "<a href=...>" is a live link
    and "<br>" breaks the line; escaped, it shows the characters themselves. (Quotes are
    left alone: outside a tag they are plain text, and plotly does not decode &quot;.)"""
    return html.escape(value, quote=False)


def tokens_by_day(days: list[Day]) -> dict[str, JSON]:
    """Daily total tokens, stacked by source or model."""
    series: dict[str, dict[str, int]] = defaultdict(dict)
    for d in days:
        series[d.key][d.day.isoformat()] = series[d.key].get(d.day.isoformat(), 0) + d.tokens
    return _figure(
        [
            {
                "type": "bar",
                "name": text(key),
                "x": list(points),
                "y": list(points.values()),
                "width": BAR_WIDTH,
            }
            for key, points in sorted(series.items())
        ],
        barmode="stack",
        xaxis=day_axis([d.day.isoformat() for d in days]),
        yaxis=TOKENS_AXIS,
    )


def cost_by_day(days: list[Day]) -> dict[str, JSON]:
    """Cost per day in USD (reported or estimated). A day with no priced usage has no bar,
    not a zero one."""
    cost: dict[str, Decimal] = defaultdict(Decimal)
    for d in days:
        if d.cost is not None:
            cost[d.day.isoformat()] += d.cost
    # Amounts travel as decimal strings; a linear axis reads them as numbers.
    return _figure(
        [
            {
                "type": "bar",
                "name": "cost",
                "x": list(cost),
                "y": [str(round(v, 2)) for v in cost.values()],
                "width": BAR_WIDTH,
            }
        ],
        xaxis=day_axis(list(cost)),
        yaxis=COST_AXIS,
    )


def cache_share_by_day(days: list[Day]) -> dict[str, JSON]:
    """The share of input-side tokens read from cache, per day."""
    parts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for d in days:
        parts[d.day.isoformat()][0] += d.cache_read
        parts[d.day.isoformat()][1] += d.input_side
    x = [day for day, (_, whole) in parts.items() if whole]
    y = [parts[day][0] / parts[day][1] for day in x]
    return _figure(
        [{"type": "scatter", "name": "cache-read share", "x": x, "y": y, "mode": "lines+markers"}],
        xaxis=day_axis(x),
        yaxis={"tickformat": ".0%", "range": [0, 1]},
    )


def period_label(start: str, period: str) -> str:
    """A board period's short name on the rank chart's axis."""
    day = dt.date.fromisoformat(start)
    if period == "month":
        return day.strftime("%b %Y")
    if period == "quarter":
        return f"Q{(day.month - 1) // 3 + 1} {day.year}"
    if period == "all_time":
        return "All time"
    return f"{day:%b} {day.day}"


def rank_over_time(
    points: list[tuple[str, int | None]], *, period: str = "month"
) -> dict[str, JSON]:
    """Rank per period (1 at the top), from the first ranked period on: the periods before
    it are not charted (three ranked months spanned a year), gaps after it stay gaps."""
    ranked = [i for i, (_, rank) in enumerate(points) if rank is not None]
    shown = points[ranked[0] :] if ranked else []
    ranks = [r for _, r in shown if r is not None]
    worst = max(ranks, default=1)
    return _figure(
        [
            {
                "type": "scatter",
                "name": "rank",
                "x": [period_label(p, period) for p, _ in shown],
                "y": [r for _, r in shown],
                "mode": "lines+markers",
            }
        ],
        xaxis={"type": "category"},
        # reversed by its range: 1 at the top, half a step of room, never a rank 0
        yaxis={
            "range": [worst + 0.5, 0.5],
            "title": {"text": "rank"},
            "tick0": 1,
            "dtick": max(1, math.ceil(worst / 6)),
            "zeroline": False,
        },
    )
