"""Gaming review's queries: the daily usage the rules read, set-based (one GROUP BY per
window), and the held mark on a person-day's facts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import F, Sum

from leaderboard.domain.gaming import Usage
from leaderboard.models import Flag, UsageFact

# A person-day is held while one of its flags is held or confirmed.
HOLDING = [Flag.Status.HELD, Flag.Status.CONFIRMED]


def daily_usage(start: dt.date, end: dt.date) -> list[Usage]:
    """Counted usage per person, day and model in [start, end], held or not (a hold must not
    change the baseline later days are judged against), people excluded from ranking aside."""
    rows = (
        UsageFact.objects.filter(
            day__range=(start, end),
            account__person__isnull=False,
            account__person__excluded_from_ranking=False,
            source__counts_toward_totals=True,
        )
        .values("account__person", "day", "model")
        .annotate(
            input_side=Sum(F("input") + F("cache_read") + F("cache_write")),
            output_sum=Sum("output"),
            requests_sum=Sum("requests"),
            cost_sum=Sum("cost"),
        )
        .values_list(
            "account__person",
            "day",
            "model",
            "input_side",
            "output_sum",
            "requests_sum",
            "cost_sum",
        )  # tuples, not a dict per row: a window's rows are all in memory at once
        .order_by()
    )
    return [
        Usage(
            person=person,
            day=day,
            model=model,
            input_side=int(input_side),
            output=int(output),
            requests=int(requests),
            cost=cost,
        )
        # Not iterator(): a server-side cursor is planned for its first rows, and that plan
        # took 70 times as long over a month of 1,000 people.
        for person, day, model, input_side, output, requests, cost in rows
    ]


def held_days(person_days: Iterable[tuple[int, dt.date]]) -> set[tuple[int, dt.date]]:
    """Which of these person-days have a held or confirmed flag."""
    pairs = set(person_days)
    if not pairs:
        return set()
    days = [day for _, day in pairs]
    found = Flag.objects.filter(
        person_id__in={person for person, _ in pairs},
        day__range=(min(days), max(days)),
        status__in=HOLDING,
    ).values_list("person_id", "day")
    return pairs & set(found)


def mark_held(person_days: Iterable[tuple[int, dt.date]]) -> int:
    """Set each person-day's facts held as its flags say (held while one is held or
    confirmed); return how many facts changed. Only facts that change are written: each
    write moves the usage version, and the month triggers follow (migration 0028)."""
    pairs = set(person_days)
    holding = held_days(pairs)
    by_person: dict[tuple[int, bool], list[dt.date]] = {}
    for person, day in pairs:
        by_person.setdefault((person, (person, day) in holding), []).append(day)
    changed = 0
    for (person, held), days in sorted(by_person.items()):
        changed += UsageFact.objects.filter(
            account__person_id=person, day__in=days, held=not held
        ).update(held=held)
    return changed


def follow_owner(account_id: int, person_id: int | None) -> int:
    """Hold an account's facts as its owner's flags say, after it changed hands: the days its
    new owner has held (or confirmed) are held, the rest not (a flag belongs to the person it
    was raised for). Return how many facts changed."""
    facts = UsageFact.objects.filter(account_id=account_id)
    if person_id is None:
        return facts.filter(held=True).update(held=False)
    holding = Flag.objects.filter(person_id=person_id, status__in=HOLDING).values("day")
    released = facts.filter(held=True).exclude(day__in=holding).update(held=False)
    return released + facts.filter(held=False, day__in=holding).update(held=True)
