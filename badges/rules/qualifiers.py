"""What a rule finds: a Qualifier per person, tier and period, and the tiers a row of
aggregated numbers reaches (every kind's query ends here)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from leaderboard.domain.json_values import JSON
from leaderboard.domain.periods import period_end

from ..db import AggregateRow
from ..models import ALL_TIME, TIERS, Badge
from .periods import ROLLING_DAYS, Days

# The numbers the evidence shows: as read (jsonable() makes them JSON) or JSON already.
type Shown = Decimal | dt.date | JSON
# A row's number and the evidence shown with it, from one aggregated row.
ValueOf = Callable[[AggregateRow], tuple[Decimal | None, dict[str, Shown]]]


@dataclass(frozen=True)
class Qualifier:
    """A person meets a badge tier for a period, with the numbers that show it."""

    person_id: int
    tier: str
    period_start: dt.date
    period_end: dt.date
    last_day: dt.date  # the latest usage behind it: older than two days makes a grant quiet
    evidence: dict[str, JSON] = field(default_factory=dict, compare=False)
    # every tier reached in the period, lowest first (the engine fills it when it grants)
    reached: tuple[str, ...] = field(default=(), compare=False)


def as_date(value: dt.date) -> dt.date:
    """The day of a date, or of a datetime (a truncated bucket may come back as one)."""
    return value.date() if isinstance(value, dt.datetime) else value


def to_date(value: dt.date | str) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else as_date(value)


def span(badge: Badge, bucket: dt.date | None, window: Days) -> tuple[dt.date, dt.date]:
    """The period a row's bucket stands for (None: a row of all time)."""
    if badge.periodic:
        start = as_date(bucket)  # type: ignore[arg-type]  # a periodic badge's rows have one
        return start, period_end(badge.period, start)
    if badge.period in ROLLING_DAYS and window:
        return window
    return ALL_TIME


def ordered_tiers(tiers: dict[str, JSON]) -> list[tuple[str, Decimal]]:
    return [(t, Decimal(str(tiers[t]))) for t in TIERS if t in tiers and tiers[t] is not None]


def reached(
    badge: Badge,
    value: Decimal | None,
    *,
    lower_is_better: bool = False,
    tiers: list[tuple[str, Decimal]] | None = None,
) -> list[str]:
    """The tiers value reaches (tiers: the badge's, ordered, if already at hand)."""
    if value is None:
        return []
    return [
        tier
        for tier, bound in tiers or ordered_tiers(badge.tiers)
        if (value <= bound if lower_is_better else value >= bound)
    ]


def jsonable(value: Shown) -> JSON:
    if isinstance(value, Decimal):  # exact, at most 6 places, no exponent: "0.5", "1500"
        return format(round(value, 6).normalize(), "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def qualifiers_from_rows(
    badge: Badge,
    rows: Iterable[AggregateRow],
    window: Days,
    value_of: ValueOf,
    *,
    lower_is_better: bool = False,
) -> list[Qualifier]:
    """A Qualifier for each tier each row reaches (rows: account__person, bucket, last_day
    and whatever value_of reads)."""
    # A full pass reads millions of rows: what is the same for many is worked out once.
    tiers = ordered_tiers(badge.tiers)
    spans: dict[dt.date | None, tuple[dt.date, dt.date]] = {}
    found = []
    for row in rows:
        value, evidence = value_of(row)
        tiers_reached = reached(badge, value, lower_is_better=lower_is_better, tiers=tiers)
        if not tiers_reached:
            continue
        bucket = row["bucket"]
        if bucket not in spans:
            spans[bucket] = span(badge, bucket, window)
        start, end = spans[bucket]
        shown = {k: jsonable(v) for k, v in evidence.items()}
        last_day = as_date(row["last_day"])
        for tier in tiers_reached:
            found.append(
                Qualifier(
                    person_id=row["account__person"],
                    tier=tier,
                    period_start=start,
                    period_end=end,
                    last_day=last_day,
                    evidence=shown,
                )
            )
    return found
