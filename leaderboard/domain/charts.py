"""Pure: history rows -> plotly figures as JSON-ready dicts (SVG traces only, no WebGL).

The dicts are plotly.js's own figure format, written out directly: building plotly's Python
figure objects validates every property and cost more than the rest of a person page.
tests/leaderboard/test_charts.py checks each figure against plotly's schema instead.
"""

from __future__ import annotations

import html
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
            {"type": "bar", "name": text(key), "x": list(points), "y": list(points.values())}
            for key, points in sorted(series.items())
        ],
        barmode="stack",
        yaxis={"title": {"text": "tokens"}},
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
            }
        ],
        yaxis={"type": "linear", "title": {"text": "USD"}, "tickprefix": "$"},
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
        yaxis={"tickformat": ".0%", "range": [0, 1]},
    )


def rank_over_time(points: list[tuple[str, int | None]]) -> dict[str, JSON]:
    """Rank per period (1 at the top)."""
    return _figure(
        [
            {
                "type": "scatter",
                "name": "rank",
                "x": [p for p, _ in points],
                "y": [r for _, r in points],
                "mode": "lines+markers",
            }
        ],
        yaxis={"autorange": "reversed", "title": {"text": "rank"}, "dtick": 1},
    )
