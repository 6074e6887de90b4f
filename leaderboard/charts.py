"""Pure: history rows -> plotly figures as JSON-ready dicts (SVG traces only, no WebGL)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go

from .history import Day

LAYOUT = {
    "margin": {"l": 48, "r": 12, "t": 12, "b": 36},
    "height": 260,
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "font": {"family": "system-ui, sans-serif", "size": 12},
    "legend": {"orientation": "h", "y": -0.2},
    "hovermode": "x unified",
}


def _figure(traces: Iterable[Any], **layout: Any) -> dict[str, Any]:
    figure = go.Figure(data=list(traces), layout={**LAYOUT, **layout})
    return figure.to_plotly_json()


def tokens_by_day(days: list[Day]) -> dict[str, Any]:
    """Daily total tokens, stacked by source or model."""
    series: dict[str, dict[str, int]] = defaultdict(dict)
    for d in days:
        series[d.key][d.day.isoformat()] = series[d.key].get(d.day.isoformat(), 0) + d.tokens
    return _figure(
        (
            go.Bar(name=key, x=list(points), y=list(points.values()))
            for key, points in sorted(series.items())
        ),
        barmode="stack",
        yaxis={"title": {"text": "tokens"}},
    )


def cost_by_day(days: list[Day]) -> dict[str, Any]:
    """Cost per day in USD (reported or estimated)."""
    cost: dict[str, Decimal] = defaultdict(Decimal)
    for d in days:
        cost[d.day.isoformat()] += d.cost or Decimal(0)
    # Amounts travel as decimal strings; a linear axis reads them as numbers.
    return _figure(
        [go.Bar(name="cost", x=list(cost), y=[str(round(v, 2)) for v in cost.values()])],
        yaxis={"type": "linear", "title": {"text": "USD"}, "tickprefix": "$"},
    )


def cache_share_by_day(days: list[Day]) -> dict[str, Any]:
    """The share of input-side tokens read from cache, per day."""
    parts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for d in days:
        parts[d.day.isoformat()][0] += d.cache_read
        parts[d.day.isoformat()][1] += d.input_side
    x = [day for day, (_, whole) in parts.items() if whole]
    y = [parts[day][0] / parts[day][1] for day in x]
    return _figure(
        [go.Scatter(name="cache-read share", x=x, y=y, mode="lines+markers")],
        yaxis={"tickformat": ".0%", "range": [0, 1]},
    )


def rank_over_time(points: list[tuple[str, int | None]]) -> dict[str, Any]:
    """Rank per period (1 at the top)."""
    return _figure(
        [
            go.Scatter(
                name="rank",
                x=[p for p, _ in points],
                y=[r for _, r in points],
                mode="lines+markers",
            )
        ],
        yaxis={"autorange": "reversed", "title": {"text": "rank"}, "dtick": 1},
    )
