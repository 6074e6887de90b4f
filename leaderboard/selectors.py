"""Reads: rankings and totals, computed in SQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, IntegerField, Max, Q, QuerySet, Sum, Window
from django.db.models.functions import Cast, Rank

from . import metrics
from .models import Person, UsageFact


@dataclass(frozen=True)
class Period:
    """An inclusive range of UTC days with a label."""

    start: dt.date
    end: dt.date
    label: str


def month_of(day: dt.date) -> Period:
    """The calendar month that contains day."""
    start = day.replace(day=1)
    next_month = (start + dt.timedelta(days=32)).replace(day=1)
    return Period(start, next_month - dt.timedelta(days=1), start.strftime("%B %Y"))


def standings(*, period: Period) -> QuerySet[Person]:
    """People with usage in the period, ranked by total tokens (ties share a rank)."""
    prefix = "accounts__usage__"
    in_period = Q(accounts__usage__day__range=(period.start, period.end)) & metrics.counted(prefix)
    return (
        Person.objects.select_related("team")
        .annotate(
            total_tokens=metrics.aggregate("total_tokens", prefix=prefix, filter=in_period),
            cost=metrics.aggregate("cost", prefix=prefix, filter=in_period),
            cost_estimated=Max(
                Cast("accounts__usage__cost_estimated", output_field=IntegerField()),
                filter=in_period,
            ),
        )
        .filter(total_tokens__gt=0)
        .annotate(rank=Window(Rank(), order_by=F("total_tokens").desc()))
        .order_by("rank", "display_name")
    )


MICRODOLLAR = Decimal("0.000001")


@dataclass(frozen=True)
class UsageTotal:
    """One row of an export: a person's (or one unattributed source's) totals."""

    email: str
    source: str
    input: int
    output: int
    cache_read: int
    cache_write: int
    requests: int
    cost_usd: Decimal | None
    cost_estimated: bool


def usage_totals(*, start: dt.date, end: dt.date, by_source: bool) -> list[UsageTotal]:
    """Per-person totals over [start, end]; usage no person owns is one row per source."""
    facts = UsageFact.objects.filter(day__range=(start, end))
    attributed = facts.filter(account__person__isnull=False)
    unowned = facts.filter(account__person__isnull=True)
    sums = {
        "input_sum": Sum("input"),
        "output_sum": Sum("output"),
        "cache_read_sum": Sum("cache_read"),
        "cache_write_sum": Sum("cache_write"),
        "requests_sum": Sum("requests"),
        "cost_sum": Sum("cost"),
        "estimated": Max(Cast("cost_estimated", output_field=IntegerField())),
    }
    person_keys = (
        ["account__person__email", "source__name"] if by_source else ["account__person__email"]
    )
    rows = [
        *attributed.values(*person_keys).annotate(**sums).order_by(*person_keys),
        *unowned.values("source__name").annotate(**sums).order_by("source__name"),
    ]
    return [
        UsageTotal(
            email=row.get("account__person__email", ""),
            source=row.get("source__name", ""),
            input=row["input_sum"],
            output=row["output_sum"],
            cache_read=row["cache_read_sum"],
            cache_write=row["cache_write_sum"],
            requests=row["requests_sum"],
            cost_usd=None if row["cost_sum"] is None else row["cost_sum"].quantize(MICRODOLLAR),
            cost_estimated=bool(row["estimated"]),
        )
        for row in rows
    ]


def unpriced_models() -> list[str]:
    """Models with usage whose cost was neither reported nor estimable."""
    return list(
        UsageFact.objects.filter(cost__isnull=True)
        .values_list("model", flat=True)
        .distinct()
        .order_by("model")
    )
