"""One query per kind of rule, for everyone at once: counted usage grouped by person and
period, from the facts (the ORM) or, where registry.reads_months allows, from the usage
months (badges.db). Each returns the Qualifiers the rows reach.

SQL keeps only the groups that can reach the weakest tier (HAVING), so that Python reads
the candidates, not every person and period; Python then applies the exact rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.db.models import (
    Aggregate,
    DecimalField,
    ExpressionWrapper,
    F,
    Max,
    Min,
    QuerySet,
    Value,
    Window,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import Rank, TruncMonth, TruncWeek
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual

from leaderboard.db import metrics
from leaderboard.domain.periods import period_start
from leaderboard.models import UsageFact

from .. import db
from ..db import AggregateRow
from ..models import ALL_TIME, Badge
from .kinds import FLOOR
from .periods import Days
from .qualifiers import (
    Qualifier,
    Shown,
    jsonable,
    ordered_tiers,
    qualifiers_from_rows,
    reached,
    span,
)

K, P = Badge.Kind, Badge.Period
# A kind's query: (badge, window, today, read the months?) -> who qualifies
Rule = Callable[[Badge, Days, dt.date, bool], list[Qualifier]]
NUMBER = DecimalField(max_digits=65, decimal_places=30)
# The ratio bound is loosened by TOLERANCE, so the candidates are never fewer than Python's
# 28-digit Decimal division would find.
TOLERANCE = Decimal("1e-20")


def facts(window: Days) -> QuerySet[UsageFact]:
    """The counted facts of the days in window (all of them without one), less those of
    people excluded from ranking (they earn no badge and make no rank for others)."""
    counted = UsageFact.objects.filter(metrics.counted()).exclude(
        account__person__excluded_from_ranking=True
    )
    return counted.filter(day__range=window) if window else counted


def _bucket(period: str) -> Combinable:
    if period == P.WEEK:
        return TruncWeek("day")
    if period == P.MONTH:
        return TruncMonth("day")
    if period == P.DAY:
        return F("day")
    return Value(ALL_TIME[0])


def _grouped(badge: Badge, window: Days, **aggs: Aggregate) -> QuerySet[UsageFact, AggregateRow]:
    return (
        facts(window)
        .annotate(bucket=_bucket(badge.period))
        .values("account__person", "bucket")
        .annotate(last_day=Max("day"), **aggs)
        .order_by()
    )


def _per(badge: Badge) -> str | None:
    """How badges.db.monthly groups a person's months for this badge."""
    per: dict[str, str] = {P.MONTH: "month", P.WEEK: "week"}
    return per.get(badge.period)


# An efficiency floor (issue 20 §3): a badge with "min_output_per_input" in its params is
# earned only by groups (person and period) whose output tokens reach that share of their
# input-side tokens, so that burning tokens alone earns nothing. Rank badges rank only the
# groups above the floor; streak and first-usage badges keep the people above it over the
# days the badge reads (efficient_people).
FLOOR_CONDITION = "{output} >= {input_side} * %s"


def floor_of(badge: Badge) -> Decimal | None:
    value = badge.params.get(FLOOR)
    return None if value is None else Decimal(str(value))


def _floored_having(
    badge: Badge, having: tuple[str, list[Decimal | int]] | None
) -> tuple[str, list[Decimal | int]] | None:
    floor = floor_of(badge)
    if floor is None:
        return having
    if having is None:
        return FLOOR_CONDITION, [floor]
    return f"{having[0]} AND {FLOOR_CONDITION}", [*having[1], floor]


def _floored(
    badge: Badge, rows: QuerySet[UsageFact, AggregateRow]
) -> QuerySet[UsageFact, AggregateRow]:
    floor = floor_of(badge)
    if floor is None:
        return rows
    # annotation names must not shadow the fact fields the aggregates read
    return rows.annotate(
        f_output=metrics.aggregate("output"), f_input_side=metrics.aggregate("input_side")
    ).filter(
        GreaterThanOrEqual(
            ExpressionWrapper(F("f_output") * 1, output_field=NUMBER),
            ExpressionWrapper(F("f_input_side") * floor, output_field=NUMBER),
        )
    )


def efficient_people(badge: Badge, window: Days, months: bool) -> set[int] | None:
    """The people above the badge's floor over the days in window (None: it has none)."""
    floor = floor_of(badge)
    if floor is None:
        return None
    if months:
        rows: Iterable[AggregateRow] = db.monthly(
            window, {"f_output": "output"}, per=None, having=(FLOOR_CONDITION, [floor])
        )
        return {row["account__person"] for row in rows}
    grouped = facts(window).values("account__person").annotate(last_day=Max("day")).order_by()
    return {row["account__person"] for row in _floored(badge, grouped)}


def threshold(badge: Badge, window: Days, today: dt.date, months: bool) -> list[Qualifier]:
    name = badge.params["metric"] if badge.kind == K.THRESHOLD else badge.params["of"]
    weakest = min(bound for _, bound in ordered_tiers(badge.tiers))
    if months:
        rows: Iterable[AggregateRow] = db.monthly(
            window,
            {"value": name},
            per=_per(badge),
            having=_floored_having(badge, (f"{{{name}}} >= %s", [weakest])),
        )
    else:
        # value: an annotation of _grouped's, which the plugin cannot see through its return type
        rows = _floored(
            badge,
            _grouped(badge, window, value=metrics.aggregate(name)).filter(value__gte=weakest),  # type: ignore[misc]
        )
    return qualifiers_from_rows(
        badge,
        rows,
        window,
        lambda r: (None if r["value"] is None else Decimal(r["value"]), {name: r["value"]}),
    )


def ratio(badge: Badge, window: Days, today: dt.date, months: bool) -> list[Qualifier]:
    measure = metrics.RATIOS[badge.params["metric"]]
    parts = {measure.numerator, measure.denominator, measure.volume}
    minimum = Decimal(str(badge.params["min_volume"]))
    below = badge.params["direction"] == "below"
    bounds = [bound for _, bound in ordered_tiers(badge.tiers)]
    weakest = max(bounds) if below else min(bounds)
    # numerator * scale against weakest * denominator, loosened by TOLERANCE
    slack = weakest * ((1 + TOLERANCE) if below else (1 - TOLERANCE))
    if months:
        compare = "<=" if below else ">="
        having: tuple[str, list[Decimal | int]] = (
            f"{{{measure.volume}}} >= %s AND {{{measure.numerator}}} * %s "
            f"{compare} {{{measure.denominator}}} * %s",
            [minimum, measure.scale, slack],
        )
        rows: Iterable[AggregateRow] = db.monthly(
            window, {f"m_{p}": p for p in parts}, per=_per(badge), having=having
        )
    else:
        # annotation names must not shadow the fact fields the aggregates read
        rows = _grouped(badge, window, **{f"m_{p}": metrics.aggregate(p) for p in parts})
        lookup = LessThanOrEqual if below else GreaterThanOrEqual
        rows = rows.filter(
            lookup(
                ExpressionWrapper(F(f"m_{measure.numerator}") * measure.scale, output_field=NUMBER),
                ExpressionWrapper(F(f"m_{measure.denominator}") * slack, output_field=NUMBER),
            ),
            **{f"m_{measure.volume}__gte": minimum},
        )

    def value_of(row: AggregateRow) -> tuple[Decimal | None, dict[str, Shown]]:
        values = {p: row[f"m_{p}"] for p in parts}
        value = metrics.ratio_value(badge.params["metric"], values)
        if (values[measure.volume] or 0) < minimum:
            value = None
        return value, {badge.params["metric"]: value, **dict(sorted(values.items()))}

    return qualifiers_from_rows(badge, rows, window, value_of, lower_is_better=below)


def rank(badge: Badge, window: Days, today: dt.date, months: bool) -> list[Qualifier]:
    """Top N of each closed period: a period that has not ended yet awards nothing."""
    name = badge.params["metric"]
    widest = max(int(bound) for _, bound in ordered_tiers(badge.tiers))
    current = period_start(badge.period, today)
    if months:
        rows: Iterable[AggregateRow] = db.monthly(
            window,
            {"value": name},
            per=_per(badge),
            ranked=(current, widest),
            having=_floored_having(badge, None),
        )
    else:
        rows = (
            # bucket, value: _grouped's annotations, unseen by the plugin (as in threshold)
            _floored(badge, _grouped(badge, window, value=metrics.aggregate(name)))  # type: ignore[misc]
            .filter(bucket__lt=current, value__gt=0)
            .annotate(rank=Window(Rank(), partition_by=[F("bucket")], order_by=F("value").desc()))
            .filter(rank__lte=widest)
        )
    found = []
    for row in rows:
        tiers = reached(badge, Decimal(row["rank"]), lower_is_better=True)
        if tiers:
            start, end = span(badge, row["bucket"], window)
            found.append(
                Qualifier(
                    person_id=row["account__person"],
                    tier=tiers[-1],  # the best one
                    period_start=start,
                    period_end=end,
                    last_day=end,
                    evidence={"rank": row["rank"], name: jsonable(row["value"])},
                )
            )
    return found


def first(badge: Badge, window: Days, today: dt.date, months: bool) -> list[Qualifier]:
    if months:
        rows: Iterable[AggregateRow] = db.monthly(None, {"first": "first_day"}, per=None)
    else:
        rows = facts(None).values("account__person").annotate(first=Min("day")).order_by()
    (tier,) = badge.tiers
    return [
        Qualifier(
            person_id=r["account__person"],
            tier=tier,
            period_start=ALL_TIME[0],
            period_end=ALL_TIME[1],
            last_day=r["first"],
            evidence={"first_day": r["first"].isoformat()},
        )
        for r in rows
    ]
