"""The days a badge reads: its calendar periods (counted as boards count them,
leaderboard.domain.periods), its rolling window, or all time."""

from __future__ import annotations

import datetime as dt

from leaderboard.domain.periods import period_end, period_start

from ..models import Badge

P = Badge.Period
Days = tuple[dt.date, dt.date] | None  # a window of days, first and last; None: all of them
ROLLING_DAYS: dict[str, int] = {P.ROLLING_30: 30, P.ROLLING_90: 90}


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
