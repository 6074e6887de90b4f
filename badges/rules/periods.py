"""The days a badge reads: its calendar periods, its rolling window, or all time."""

from __future__ import annotations

import datetime as dt

from ..models import Badge

P = Badge.Period
Days = tuple[dt.date, dt.date] | None  # a window of days, first and last; None: all of them
ROLLING_DAYS: dict[str, int] = {P.ROLLING_30: 30, P.ROLLING_90: 90}


def period_end(period: str, start: dt.date) -> dt.date:
    if period == P.DAY:
        return start
    if period == P.WEEK:
        return start + dt.timedelta(days=6)
    next_month = (start.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return next_month - dt.timedelta(days=1)


def period_start(period: str, day: dt.date) -> dt.date:
    if period == P.WEEK:
        return day - dt.timedelta(days=day.weekday())
    if period == P.MONTH:
        return day.replace(day=1)
    return day


def scope(badge: Badge, *, today: dt.date, changed: Days) -> Days:
    """The days to read: whole periods around the changed days, the rolling window, or all."""
    if badge.period in ROLLING_DAYS:
        return today - dt.timedelta(days=ROLLING_DAYS[badge.period] - 1), today
    if badge.period == P.ALL_TIME or changed is None:
        return None
    start, end = changed
    return period_start(badge.period, start), period_end(
        badge.period, period_start(badge.period, end)
    )
