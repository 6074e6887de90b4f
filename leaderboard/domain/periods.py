"""What a board ranks over: periods of days, lenses and their units, and scopes (who and
what one ranking covers). Pure: no database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from leaderboard.models import Board

ALL_TIME_START = dt.date(2000, 1, 1)

Lens = Board.Lens

LENS_UNITS: dict[str, str] = {
    Lens.SCORE: "points",
    Lens.COST: "usd",
    Lens.CACHE_READ_SHARE: "share",
    Lens.ACTIVE_DAYS: "days",
    Lens.REQUESTS: "count",
}


@dataclass(frozen=True)
class Period:
    """An inclusive range of UTC days with a label."""

    start: dt.date
    end: dt.date
    label: str


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, 1)


def period_start(kind: str, day: dt.date) -> dt.date:
    """The first day of the week (Monday) or month of this kind that contains day; for any
    other kind (a day), the day itself. Boards and badges alike count periods so."""
    if kind == Board.Period.WEEK:
        return day - dt.timedelta(days=day.weekday())
    if kind == Board.Period.MONTH:
        return day.replace(day=1)
    return day


def period_end(kind: str, start: dt.date) -> dt.date:
    """The last day of the day, week or month of this kind that starts on start."""
    if kind == Board.Period.DAY:
        return start
    if kind == Board.Period.WEEK:
        return start + dt.timedelta(days=6)
    return _add_months(start.replace(day=1), 1) - dt.timedelta(days=1)


def period_of(kind: str, today: dt.date, back: int = 0) -> Period:
    """The period of this kind containing today, or `back` periods before it."""
    if kind == Board.Period.DAY:
        day = today - dt.timedelta(days=back)
        return Period(day, day, day.strftime("%a %d %b %Y"))
    if kind == Board.Period.WEEK:
        start = today - dt.timedelta(days=today.weekday() + 7 * back)
        end = start + dt.timedelta(days=6)
        year, week, _ = start.isocalendar()
        return Period(start, end, f"Week {week}, {year} ({start:%d %b}–{end:%d %b})")
    if kind == Board.Period.MONTH:
        start = _add_months(today.replace(day=1), -back)
        return Period(start, _add_months(start, 1) - dt.timedelta(days=1), f"{start:%B %Y}")
    if kind == Board.Period.QUARTER:
        first = _add_months(today.replace(day=1), -((today.month - 1) % 3) - 3 * back)
        quarter = (first.month - 1) // 3 + 1
        return Period(
            first, _add_months(first, 3) - dt.timedelta(days=1), f"Q{quarter} {first.year}"
        )
    # To the end of this month, so that all time is whole months (see reads_months).
    end = _add_months(today.replace(day=1), 1) - dt.timedelta(days=1)
    return Period(ALL_TIME_START, end, "All time")


# While the current period has run fewer days than this, a board opens on the last complete
# one: on 1 December a month board holding one day of data ranks almost nobody.
YOUNG_DAYS: dict[str, int] = {
    Board.Period.WEEK: 1,
    Board.Period.MONTH: 2,
    Board.Period.QUARTER: 2,
}


@dataclass(frozen=True)
class YoungPeriod:
    """A current period too young to rank by default: which day of it today is."""

    current: Period
    name: str  # "December", "Week 49", "Q4 2026"
    day: int
    days: int

    @property
    def left(self) -> int:
        return self.days - self.day


def young_period(kind: str, today: dt.date) -> YoungPeriod | None:
    """The current period of this kind if it has run too few days to open a board on, else
    None (never for a day's or all time's board)."""
    current = period_of(kind, today)
    day = (today - current.start).days + 1
    if day > YOUNG_DAYS.get(kind, 0):
        return None
    if kind == Board.Period.MONTH:
        name = f"{current.start:%B}"
    elif kind == Board.Period.WEEK:
        name = f"Week {current.start.isocalendar()[1]}"
    else:
        name = current.label
    return YoungPeriod(current, name, day, (current.end - current.start).days + 1)


def default_back(kind: str, today: dt.date) -> int:
    """How many periods back a board opens when no period is asked for: the last complete
    one while the current one is young, else the current one."""
    return 1 if young_period(kind, today) else 0


@dataclass(frozen=True)
class Scope:
    """Who and what a ranking covers."""

    lens: str
    period: Period
    teams: tuple[int, ...] = ()
    sources: tuple[int, ...] = ()
    min_activity: int = 0
    ratio_min_volume: int = 0
    as_of: dt.date | None = None  # a paused board counts no day after its pause


def scope_end(scope: Scope) -> dt.date:
    return min(scope.period.end, scope.as_of) if scope.as_of else scope.period.end


TREND_DAYS = 31  # a board row's sparkline


def unit_of(lens: str) -> str:
    return LENS_UNITS.get(lens, "tokens")


RANK_CHART_PERIODS = 12  # the person page charts a board's rank over this many periods
