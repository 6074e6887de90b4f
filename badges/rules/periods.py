"""The days a badge reads: its calendar periods (counted as boards count them,
leaderboard.domain.periods), its rolling window, or all time."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from leaderboard.domain.periods import period_end, period_start

from ..models import Badge

P = Badge.Period
Days = tuple[dt.date, dt.date] | None  # a window of days, first and last; None: all of them
ROLLING_DAYS: dict[str, int] = {P.ROLLING_30: 30, P.ROLLING_90: 90}


def settles_on(end: dt.date) -> dt.date:
    """The first day a period ending on `end` has settled: pulls re-read the look-back days
    (settings.INGEST_LOOKBACK_DAYS) before what they pulled last, so until then its usage
    may still change."""
    return end + dt.timedelta(days=settings.INGEST_LOOKBACK_DAYS + 1)


def settled(badge: Badge, end: dt.date, today: dt.date) -> bool:
    """Whether a period of the badge ending on `end` is judged for good: always for a badge
    without calendar periods (all time or a rolling window: an ongoing award)."""
    return not badge.periodic or today >= settles_on(end)


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
