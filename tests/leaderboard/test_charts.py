"""Charts are plotly figures written as dicts: plotly's own schema must accept each one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import plotly.graph_objects as go

from leaderboard.domain import charts
from leaderboard.domain.rows import Day

D1, D2 = dt.date(2026, 8, 1), dt.date(2026, 8, 2)
DAYS = [
    Day(D1, "openai", 1_000, Decimal("0.50"), 300, 900),
    Day(D1, "claude-code", 3_000_000_000, Decimal("2.25"), 0, 100),
    Day(D2, "openai", 7, None, 0, 0),
]


def valid(figure: dict) -> go.Figure:
    """plotly validates every property name and value; an unknown one raises."""
    return go.Figure(figure)


def test_tokens_stack_one_bar_per_source_per_day() -> None:
    figure = valid(charts.tokens_by_day(DAYS))

    assert figure.layout.barmode == "stack"
    bars = {trace.name: dict(zip(trace.x, trace.y, strict=True)) for trace in figure.data}
    assert bars == {
        "claude-code": {"2026-08-01": 3_000_000_000},
        "openai": {"2026-08-01": 1_000, "2026-08-02": 7},
    }


def test_provider_strings_are_text_in_charts_not_plotly_markup() -> None:
    """plotly draws trace names as its own small HTML: a model named like a link became a
    live link in the legend. Escaped, plotly shows the characters themselves."""
    link = '<a href="https://evil.example/">Refund</a>'
    days = [Day(D1, link, 5, None, 0, 0), Day(D1, "o3<br>mini & co", 7, None, 0, 0)]

    figure = valid(charts.tokens_by_day(days))

    assert sorted(trace.name for trace in figure.data) == [
        '&lt;a href="https://evil.example/"&gt;Refund&lt;/a&gt;',
        "o3&lt;br&gt;mini &amp; co",
    ]
    assert not any("<" in trace.name for trace in figure.data)


def test_cost_is_summed_per_day_in_cents_and_a_day_without_a_cost_has_no_bar() -> None:
    figure = valid(charts.cost_by_day(DAYS))

    # Aug 2's usage is not priced: no bar, rather than a $0.00 one
    assert list(figure.data[0].x) == ["2026-08-01"]
    assert list(figure.data[0].y) == ["2.75"]
    assert figure.layout.yaxis.tickprefix == "$"


def test_cache_share_skips_days_without_input() -> None:
    figure = valid(charts.cache_share_by_day(DAYS))

    assert list(figure.data[0].x) == ["2026-08-01"]
    assert list(figure.data[0].y) == [0.3]


def test_rank_runs_top_down_and_keeps_gaps() -> None:
    figure = valid(charts.rank_over_time([("2026-07-01", 3), ("2026-08-01", None)]))

    assert tuple(figure.layout.yaxis.range) == (3.5, 0.5)  # reversed: 1 at the top
    assert list(figure.data[0].y) == [3, None]


def test_rank_chart_spans_the_ranked_periods_only_and_never_shows_rank_0() -> None:
    """Three ranked months out of twelve spanned Jan-Nov, and the axis read "rank 0"."""
    months = [f"2026-{m:02d}-01" for m in range(1, 13)]
    points = [(m, None) for m in months[:9]] + [(months[9], 4), (months[10], 8), (months[11], 6)]

    figure = valid(charts.rank_over_time(points, period="month"))

    assert figure.layout.xaxis.type == "category"
    assert list(figure.data[0].x) == ["Oct 2026", "Nov 2026", "Dec 2026"]
    low, high = sorted(figure.layout.yaxis.range)
    assert (low, high) == (0.5, 8.5)  # ticks from 1 (tick0) to the worst rank, nothing at 0
    assert figure.layout.yaxis.range[0] > figure.layout.yaxis.range[1]  # 1 at the top
    assert figure.layout.yaxis.tick0 == 1


def test_rank_chart_names_weeks_quarters_and_all_time_periods() -> None:
    assert charts.period_label("2026-11-30", "week") == "Nov 30"
    assert charts.period_label("2026-10-01", "quarter") == "Q4 2026"
    assert charts.period_label("2000-01-01", "all_time") == "All time"
    only = valid(charts.rank_over_time([("2026-12-01", 1)], period="day"))
    assert list(only.data[0].x) == ["Dec 1"]
    assert tuple(only.layout.yaxis.range) == (1.5, 0.5)


def test_a_one_day_chart_ticks_the_day_not_fractions_of_a_millisecond() -> None:
    """One day of data gave plotly's own ticks "23:59:59.9995" either side of the bar."""
    one_day = [Day(D1, "openai", 1_000, Decimal("0.50"), 300, 900)]

    for figure in map(
        valid,
        (
            charts.tokens_by_day(one_day),
            charts.cost_by_day(one_day),
            charts.cache_share_by_day(one_day),
        ),
    ):
        axis = figure.layout.xaxis
        assert (axis.type, axis.tickformat) == ("date", "%b %-d")  # "Aug 1": no time of day
        assert axis.dtick == 86_400_000  # one tick a day, on the day (tick0)
        assert axis.tick0 == "2026-08-01"
        assert tuple(axis.range) == ("2026-07-31 12:00", "2026-08-01 12:00")
        for trace in figure.data:
            if trace.type == "bar":  # a lone bar on a date axis was drawn zero wide
                assert trace.width == 0.8 * 86_400_000


def test_a_month_chart_ticks_every_few_days() -> None:
    month = [Day(D1 + dt.timedelta(days=n), "openai", 5, None, 0, 0) for n in range(31)]

    axis = valid(charts.tokens_by_day(month)).layout.xaxis

    assert axis.dtick == 4 * 86_400_000  # 8 ticks, not 31 crowded ones
    assert tuple(axis.range) == ("2026-07-31 12:00", "2026-08-31 12:00")


def test_cost_axis_groups_thousands_and_token_hover_rounds_to_four_figures() -> None:
    """The cost axis read "$4000" and the token hover "100.8976M" (d3 formats: "$4,000",
    "100.9M")."""
    cost = valid(charts.cost_by_day(DAYS)).layout.yaxis
    tokens = valid(charts.tokens_by_day(DAYS)).layout.yaxis

    assert (cost.tickprefix, cost.tickformat, cost.hoverformat) == ("$", ",.2~f", ",.2f")
    assert tokens.hoverformat == ".4~s"


def test_charts_carry_the_default_colours_without_the_whole_template() -> None:
    figure = valid(charts.tokens_by_day(DAYS))

    assert figure.layout.template.layout.colorway[0] == "#636efa"
    assert len(str(charts.tokens_by_day(DAYS))) < 2_000


def test_charts_leave_text_grid_and_outline_colours_to_the_page_theme() -> None:
    """Fixed light colours (#2a3f5f text, #E5ECF6 grid) were near invisible or glaring in the
    dark theme: static/js/charts.js fills them in from the page's CSS variables."""
    for figure in (
        charts.tokens_by_day(DAYS),
        charts.cost_by_day(DAYS),
        charts.cache_share_by_day(DAYS),
        charts.rank_over_time([("2026-07-01", 3)]),
    ):
        valid(figure)
        written = str(figure).lower()
        for key in ("gridcolor", "linecolor", "zerolinecolor", "'color'", "bgcolor"):
            assert key not in written.replace("paper_bgcolor", "").replace("plot_bgcolor", "")
