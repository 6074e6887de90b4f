"""Streak badges: each person's longest run of consecutive active UTC days, from the facts
(gaps and islands, badges.db.streak_islands) or from the day bitmasks of their usage months
(badges.db.person_month_days)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import F

from .. import db
from ..models import Badge
from .periods import Days
from .qualifiers import Qualifier, qualifiers_from_rows, to_date
from .queries import facts

# person -> (length, first day, last day) of their longest run
Longest = dict[int, tuple[int, dt.date, dt.date]]


def streak(badge: Badge, window: Days, today: dt.date, months: bool) -> list[Qualifier]:
    """The longest run of consecutive active UTC days per person (gaps and islands)."""
    return _streak_rows(badge, window, _longest_from_months() if months else _longest(window))


def _longest(window: Days) -> Longest:
    active_days = (
        facts(window)
        .annotate(person=F("account__person"))
        .values("person", "day")
        .distinct()
        .order_by()
    )
    longest: Longest = {}
    for person, length, first_day, last_day in db.streak_islands(active_days):
        first_day, last_day = to_date(first_day), to_date(last_day)
        best = longest.get(person)
        if best is None or (length, last_day) > (best[0], best[2]):
            longest[person] = (length, first_day, last_day)
    return longest


def _streak_rows(badge: Badge, window: Days, longest: Longest) -> list[Qualifier]:
    rows = [
        {
            "account__person": person,
            "bucket": None,
            "last_day": last,
            "length": length,
            "first": first,
        }
        for person, (length, first, last) in longest.items()
    ]
    return qualifiers_from_rows(
        badge,
        rows,
        window,
        lambda r: (
            Decimal(r["length"]),
            {"streak_days": r["length"], "from": r["first"], "to": r["last_day"]},
        ),
    )


def _longest_from_months() -> Longest:
    """Each person's longest run of active days (the latest of equal runs), from the day
    bitmasks of their months: a run is a run of 1 bits in one integer over all their days."""
    longest: Longest = {}
    person, origin, bits = None, dt.date.min, 0
    for row_person, month, days in db.person_month_days():
        if row_person != person:
            if person is not None:
                longest[person] = longest_run(bits, origin)
            person, origin, bits = row_person, month, 0
        bits |= days << (month - origin).days
    if person is not None:
        longest[person] = longest_run(bits, origin)
    return longest


def longest_run(bits: int, origin: dt.date) -> tuple[int, dt.date, dt.date]:
    """The longest run of 1 bits (bit i: origin + i days), the latest of equal ones."""
    length, ends = 0, bits
    while ends:  # after k steps, bit i is set where bits i-k..i are all set
        length, last = length + 1, ends
        ends &= ends << 1
    end = last.bit_length() - 1
    return length, origin + dt.timedelta(days=end - length + 1), origin + dt.timedelta(days=end)
