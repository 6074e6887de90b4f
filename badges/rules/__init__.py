"""The rules engine's reading half: who qualifies for a badge, computed set-based in SQL.

Each rule kind is one query over counted usage facts for everyone at once (grouped by person
and period); tier thresholds are then applied to the aggregated rows. Metrics come from
leaderboard.metrics, the same definitions the boards use.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection
from django.db.models import (
    DecimalField,
    ExpressionWrapper,
    F,
    Max,
    Min,
    QuerySet,
    Value,
    Window,
)
from django.db.models.functions import Rank, TruncMonth, TruncWeek
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual

from leaderboard import metrics
from leaderboard.models import Account, Source, UsageFact, UsageMonth

from ..models import ALL_TIME, TIERS, Badge

K, P = Badge.Kind, Badge.Period
NUMBER = DecimalField(max_digits=65, decimal_places=30)
THRESHOLD_METRICS = ["total_tokens", "output", "cache_read", "cost", "requests", "active_days"]
ROLLING_DAYS = {P.ROLLING_30: 30, P.ROLLING_90: 90}
ALLOWED_PERIODS = {
    K.RANK: {P.WEEK, P.MONTH},
    K.STREAK: {P.ALL_TIME, P.ROLLING_30, P.ROLLING_90},
    K.FIRST: {P.ALL_TIME},
}


@dataclass(frozen=True)
class Qualifier:
    """A person meets a badge tier for a period, with the numbers that show it."""

    person_id: int
    tier: str
    period_start: dt.date
    period_end: dt.date
    last_day: dt.date  # the latest usage behind it: older than two days makes a grant quiet
    evidence: dict[str, Any] = field(default_factory=dict, compare=False)


# --- validation -----------------------------------------------------------------------------


def _number(value: Any, what: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError(f"{what} should be a number, got {value!r}") from None
    if not number.is_finite() or number < 0:
        raise ValidationError(f"{what} should be a number of 0 or more, got {value!r}")
    return number


def validate(*, kind: str, params: dict[str, Any], tiers: dict[str, Any], period: str) -> None:
    """Check a badge definition; raise ValidationError naming the field and the fix."""
    errors: dict[str, list[str]] = {}

    def problem(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not isinstance(params, dict):
        raise ValidationError({"params": "Parameters should be a JSON object."})
    if not isinstance(tiers, dict) or not tiers:
        raise ValidationError({"tiers": 'Tiers should be a JSON object such as {"gold": 10}.'})
    unknown = set(tiers) - set(TIERS)
    if unknown:
        problem("tiers", f"Unknown tier(s) {', '.join(sorted(unknown))}; use {', '.join(TIERS)}.")
    if kind in ALLOWED_PERIODS and period not in ALLOWED_PERIODS[kind]:
        allowed = ", ".join(sorted(ALLOWED_PERIODS[kind]))
        problem("period", f"A {kind} badge is judged over: {allowed}.")
    if kind == K.FIRST:
        if len(tiers) != 1:
            problem("tiers", "A first-usage badge has exactly one tier.")
    else:
        for tier, value in tiers.items():
            try:
                number = _number(value, f"The {tier} threshold")
            except ValidationError as exc:
                problem("tiers", exc.messages[0])
                continue
            if kind in {K.RANK, K.STREAK, K.BREADTH} and (number != int(number) or number < 1):
                problem("tiers", f"The {tier} threshold should be a whole number of 1 or more.")
    if kind == K.THRESHOLD and params.get("metric") not in THRESHOLD_METRICS:
        problem(
            "params", f'A threshold badge needs "metric": one of {", ".join(THRESHOLD_METRICS)}.'
        )
    if kind == K.RANK and params.get("metric") not in THRESHOLD_METRICS:
        problem("params", f'A rank badge needs "metric": one of {", ".join(THRESHOLD_METRICS)}.')
    if kind == K.BREADTH and params.get("of") not in {"models", "sources"}:
        problem("params", 'A breadth badge needs "of": "models" or "sources".')
    if kind == K.RATIO:
        if params.get("metric") not in metrics.RATIOS:
            problem("params", f'A ratio badge needs "metric": one of {", ".join(metrics.RATIOS)}.')
        if params.get("direction") not in {"above", "below"}:
            problem("params", 'A ratio badge needs "direction": "above" or "below".')
        try:
            if _number(params.get("min_volume"), "min_volume") <= 0:
                raise ValidationError("x")
        except ValidationError:
            problem(
                "params", 'A ratio badge needs "min_volume" above 0, so that tiny usage cannot win.'
            )
    if errors:
        raise ValidationError(errors)


# --- periods --------------------------------------------------------------------------------


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


def scope(
    badge: Badge, *, today: dt.date, changed: tuple[dt.date, dt.date] | None
) -> tuple[dt.date, dt.date] | None:
    """The days to read: whole periods around the changed days, the rolling window, or all."""
    if badge.period in ROLLING_DAYS:
        return today - dt.timedelta(days=ROLLING_DAYS[badge.period] - 1), today
    if badge.period == P.ALL_TIME or changed is None:
        return None
    start, end = changed
    return period_start(badge.period, start), period_end(
        badge.period, period_start(badge.period, end)
    )


# --- qualifiers -----------------------------------------------------------------------------


def _facts(window: tuple[dt.date, dt.date] | None) -> QuerySet[UsageFact]:
    facts = UsageFact.objects.filter(metrics.counted())
    return facts.filter(day__range=window) if window else facts


def _bucket(period: str) -> Any:
    if period == P.WEEK:
        return TruncWeek("day")
    if period == P.MONTH:
        return TruncMonth("day")
    if period == P.DAY:
        return F("day")
    return Value(ALL_TIME[0])


def _as_date(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _grouped(
    badge: Badge, window: tuple[dt.date, dt.date] | None, **aggs: Any
) -> QuerySet[UsageFact]:
    return (
        _facts(window)
        .annotate(bucket=_bucket(badge.period))
        .values("account__person", "bucket")
        .annotate(last_day=Max("day"), **aggs)
        .order_by()
    )


def _span(
    badge: Badge, bucket: Any, window: tuple[dt.date, dt.date] | None
) -> tuple[dt.date, dt.date]:
    if badge.periodic:
        start = _as_date(bucket)
        return start, period_end(badge.period, start)
    if badge.period in ROLLING_DAYS and window:
        return window
    return ALL_TIME


def _ordered_tiers(tiers: dict[str, Any]) -> list[tuple[str, Decimal]]:
    return [(t, Decimal(str(tiers[t]))) for t in TIERS if t in tiers and tiers[t] is not None]


def _reached(
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
        for tier, bound in tiers or _ordered_tiers(badge.tiers)
        if (value <= bound if lower_is_better else value >= bound)
    ]


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):  # exact, at most 6 places, no exponent: "0.5", "1500"
        return format(round(value, 6).normalize(), "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _qualifiers_from_rows(
    badge: Badge,
    rows: Iterable[dict[str, Any]],
    window: tuple[dt.date, dt.date] | None,
    value_of: Any,
    *,
    lower_is_better: bool = False,
) -> list[Qualifier]:
    # A full pass reads millions of rows: what is the same for many is worked out once.
    tiers = _ordered_tiers(badge.tiers)
    spans: dict[Any, tuple[dt.date, dt.date]] = {}
    found = []
    for row in rows:
        value, evidence = value_of(row)
        reached = _reached(badge, value, lower_is_better=lower_is_better, tiers=tiers)
        if not reached:
            continue
        bucket = row["bucket"]
        if bucket not in spans:
            spans[bucket] = _span(badge, bucket, window)
        start, end = spans[bucket]
        shown = {k: _jsonable(v) for k, v in evidence.items()}
        last_day = _as_date(row["last_day"])
        for tier in reached:
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


# Below, SQL keeps only the groups that can reach the weakest tier (HAVING), so that Python
# reads the candidates, not every person and period; Python then applies the exact rule.
# The ratio bound is loosened by TOLERANCE, so the candidates are never fewer than Python's
# 28-digit Decimal division would find.
TOLERANCE = Decimal("1e-20")


def _threshold(badge: Badge, window: Any, today: dt.date, months: bool) -> list[Qualifier]:
    name = badge.params["metric"] if badge.kind == K.THRESHOLD else badge.params["of"]
    weakest = min(bound for _, bound in _ordered_tiers(badge.tiers))
    if months:
        rows = _monthly(badge, window, {"value": name}, having=(f"{{{name}}} >= %s", [weakest]))
    else:
        rows = _grouped(badge, window, value=metrics.aggregate(name)).filter(value__gte=weakest)
    return _qualifiers_from_rows(
        badge,
        rows,
        window,
        lambda r: (None if r["value"] is None else Decimal(r["value"]), {name: r["value"]}),
    )


def _ratio(badge: Badge, window: Any, today: dt.date, months: bool) -> list[Qualifier]:
    ratio = metrics.RATIOS[badge.params["metric"]]
    parts = {ratio.numerator, ratio.denominator, ratio.volume}
    minimum = Decimal(str(badge.params["min_volume"]))
    below = badge.params["direction"] == "below"
    bounds = [bound for _, bound in _ordered_tiers(badge.tiers)]
    weakest = max(bounds) if below else min(bounds)
    # numerator * scale against weakest * denominator, loosened by TOLERANCE
    slack = weakest * ((1 + TOLERANCE) if below else (1 - TOLERANCE))
    if months:
        compare = "<=" if below else ">="
        having = (
            f"{{{ratio.volume}}} >= %s AND {{{ratio.numerator}}} * %s "
            f"{compare} {{{ratio.denominator}}} * %s",
            [minimum, ratio.scale, slack],
        )
        rows = _monthly(badge, window, {f"m_{p}": p for p in parts}, having=having)
    else:
        # annotation names must not shadow the fact fields the aggregates read
        rows = _grouped(badge, window, **{f"m_{p}": metrics.aggregate(p) for p in parts})
        lookup = LessThanOrEqual if below else GreaterThanOrEqual
        rows = rows.filter(
            lookup(
                ExpressionWrapper(F(f"m_{ratio.numerator}") * ratio.scale, output_field=NUMBER),
                ExpressionWrapper(F(f"m_{ratio.denominator}") * slack, output_field=NUMBER),
            ),
            **{f"m_{ratio.volume}__gte": minimum},
        )

    def value_of(row: dict[str, Any]) -> tuple[Decimal | None, dict[str, Any]]:
        values = {p: row[f"m_{p}"] for p in parts}
        value = metrics.ratio_value(badge.params["metric"], values)
        if (values[ratio.volume] or 0) < minimum:
            value = None
        return value, {badge.params["metric"]: value, **dict(sorted(values.items()))}

    return _qualifiers_from_rows(
        badge, rows, window, value_of, lower_is_better=badge.params["direction"] == "below"
    )


def _rank(badge: Badge, window: Any, today: dt.date, months: bool) -> list[Qualifier]:
    """Top N of each closed period: a period that has not ended yet awards nothing."""
    name = badge.params["metric"]
    widest = max(int(bound) for _, bound in _ordered_tiers(badge.tiers))
    current = period_start(badge.period, today)
    if months:
        rows = _monthly(badge, window, {"value": name}, ranked=(current, widest))
    else:
        rows = (
            _grouped(badge, window, value=metrics.aggregate(name))
            .filter(bucket__lt=current, value__gt=0)
            .annotate(rank=Window(Rank(), partition_by=[F("bucket")], order_by=F("value").desc()))
            .filter(rank__lte=widest)
        )
    found = []
    for row in rows:
        reached = _reached(badge, Decimal(row["rank"]), lower_is_better=True)
        if reached:
            best = reached[-1]
            start, end = _span(badge, row["bucket"], window)
            found.append(
                Qualifier(
                    person_id=row["account__person"],
                    tier=best,
                    period_start=start,
                    period_end=end,
                    last_day=end,
                    evidence={"rank": row["rank"], name: _jsonable(row["value"])},
                )
            )
    return found


def _day_number(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"({column} - DATE '2000-01-01')"
    return f"CAST(julianday({column}) AS INTEGER)"


def _streak(badge: Badge, window: Any, today: dt.date, months: bool) -> list[Qualifier]:
    """The longest run of consecutive active UTC days per person (gaps and islands)."""
    if months:
        return _streak_rows(badge, window, _longest_from_months())
    facts = (
        _facts(window)
        .annotate(person=F("account__person"))
        .values("person", "day")
        .distinct()
        .order_by()
    )
    days_sql, params = facts.query.sql_with_params()
    sql = f"""
        SELECT person, COUNT(*) AS length, MIN(day) AS first_day, MAX(day) AS last_day
        FROM (
            SELECT person, day,
                   {_day_number("day")} - ROW_NUMBER() OVER (PARTITION BY person ORDER BY day)
                   AS island
            FROM ({days_sql}) AS active_days
        ) AS islands
        GROUP BY person, island
    """  # noqa: S608 - days_sql is Django's own compiled query; values are parameters
    longest: dict[int, tuple[int, dt.date, dt.date]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for person, length, first_day, last_day in cursor.fetchall():
            first_day, last_day = _to_date(first_day), _to_date(last_day)
            best = longest.get(person)
            if best is None or (length, last_day) > (best[0], best[2]):
                longest[person] = (length, first_day, last_day)
    return _streak_rows(badge, window, longest)


def _streak_rows(
    badge: Badge, window: Any, longest: dict[int, tuple[int, dt.date, dt.date]]
) -> list[Qualifier]:
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
    return _qualifiers_from_rows(
        badge,
        rows,
        window,
        lambda r: (
            Decimal(r["length"]),
            {"streak_days": r["length"], "from": r["first"], "to": r["last_day"]},
        ),
    )


def _to_date(value: Any) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else _as_date(value)


def _first(badge: Badge, window: Any, today: dt.date, months: bool) -> list[Qualifier]:
    if months:
        rows = _monthly(badge, None, {"first": "first_day"})
    else:
        rows = _facts(None).values("account__person").annotate(first=Min("day")).order_by()
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


KINDS = {
    K.THRESHOLD: _threshold,
    K.BREADTH: _threshold,
    K.RATIO: _ratio,
    K.RANK: _rank,
    K.STREAK: _streak,
    K.FIRST: _first,
}


def qualifiers(
    badge: Badge,
    *,
    today: dt.date,
    changed: tuple[dt.date, dt.date] | None = None,
    from_facts: bool = False,
) -> list[Qualifier]:
    """Everyone who meets each tier of the badge now, over the days in scope (from usage
    months where the badge allows; from_facts forces the facts, as tests compare)."""
    window = scope(badge, today=today, changed=changed)
    months = not from_facts and reads_months(badge, window)
    return KINDS[badge.kind](badge, window, today, months)


# --- from usage months ----------------------------------------------------------------------
#
# On PostgreSQL the database keeps per-account monthly totals (leaderboard.UsageMonth, with a
# bitmask of active days). Badges judged over calendar months or all time read those: a year
# of a large company is a few million months, not tens of millions of facts. Each query
# below returns the same rows as its counterpart over the facts (tests/badges/test_months.py).

MONTH_METRICS = {
    "total_tokens": "COALESCE(SUM(input + cache_read + cache_write + output), 0)",
    "input_side": "COALESCE(SUM(input + cache_read + cache_write), 0)",
    "input": "COALESCE(SUM(input), 0)",
    "output": "COALESCE(SUM(output), 0)",
    "cache_read": "COALESCE(SUM(cache_read), 0)",
    "cache_write": "COALESCE(SUM(cache_write), 0)",
    "requests": "COALESCE(SUM(requests), 0)",
    "cost": "SUM(cost)",
    "active_days": "SUM(bit_count(days::bit(64)))",
    "sources": "SUM(sources)",  # one row per person and month: only by month
    # bit d-1 of a month's days is day d; bit(64) text is written from bit 63 down
    "first_day": "MIN(month + (POSITION('1' IN REVERSE(days::bit(64)::text)) - 1))",
}
LAST_DAY = "MAX(month + (64 - POSITION('1' IN days::bit(64)::text)))"


def reads_months(badge: Badge, window: tuple[dt.date, dt.date] | None) -> bool:
    """Whether this badge, over this window, can be judged from usage months (or, for a
    weekly badge inside person_weeks(), from the week rollup)."""
    if badge.period == P.WEEK and _WEEKS.get():
        return badge.kind in {K.THRESHOLD, K.RATIO, K.RANK}
    if connection.vendor != "postgresql" or badge.period not in {P.MONTH, P.ALL_TIME}:
        return False
    if window and (window[0].day != 1 or (window[1] + dt.timedelta(days=1)).day != 1):
        return False
    if badge.kind == K.BREADTH:
        return badge.params.get("of") == "sources" and badge.period == P.MONTH
    return badge.kind != K.STREAK or window is None


# A full evaluation judges every week of history for each weekly badge; each would scan all
# the facts. person_weeks() rolls the facts up per person and ISO week once, into a temporary
# table shaped like _person_months' rows (a week's "month" is its Monday, bit d of its days is
# Monday + d), and the weekly badges evaluated inside it read that instead.
WEEKS_TABLE = "badge_person_weeks"
_WEEKS: ContextVar[bool] = ContextVar("badge_person_weeks", default=False)


@contextmanager
def person_weeks() -> Iterator[None]:
    """Within: weekly threshold, ratio and rank badges read a rollup of all the facts made on
    entry (PostgreSQL only; elsewhere, and for usage written meanwhile, the facts as usual)."""
    if connection.vendor != "postgresql" or _WEEKS.get():
        yield
        return
    week = "date_trunc('week', f.day)::date"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {WEEKS_TABLE}")
        cursor.execute(
            f"""
            CREATE TEMPORARY TABLE {WEEKS_TABLE} AS
            SELECT a.person_id AS person, {week} AS month, SUM(f.input) AS input,
                   SUM(f.cache_read) AS cache_read, SUM(f.cache_write) AS cache_write,
                   SUM(f.output) AS output, SUM(f.requests) AS requests, SUM(f.cost) AS cost,
                   bit_or(CAST(1 AS bigint) << (f.day - {week})) AS days
            FROM {UsageFact._meta.db_table} f
            JOIN {Account._meta.db_table} a ON a.id = f.account_id
            JOIN {Source._meta.db_table} s ON s.id = f.source_id
            WHERE a.person_id IS NOT NULL AND s.counts_toward_totals
            GROUP BY a.person_id, {week}
            """  # noqa: S608 - table names from the models
        )
        cursor.execute(f"ANALYZE {WEEKS_TABLE}")  # autovacuum never analyzes temporary tables
    token = _WEEKS.set(True)
    try:
        yield
    finally:
        _WEEKS.reset(token)
        # In a transaction that failed, the DROP fails too, and the rollback drops the table.
        with suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {WEEKS_TABLE}")


def _person_months(
    window: tuple[dt.date, dt.date] | None, *, weeks: bool = False
) -> tuple[str, list[Any]]:
    """Counted usage per person and month (a day counts once across accounts and sources);
    with weeks, per person and week from the rollup."""
    where, params = "", []
    if window:
        where, params = "AND m.month BETWEEN %s AND %s", [window[0], window[1]]
    if weeks:
        return f"SELECT m.* FROM {WEEKS_TABLE} m WHERE TRUE {where}", params  # noqa: S608
    return (
        f"""
        SELECT a.person_id AS person, m.month, SUM(m.input) AS input,
               SUM(m.cache_read) AS cache_read, SUM(m.cache_write) AS cache_write,
               SUM(m.output) AS output, SUM(m.requests) AS requests,
               SUM(m.cost) FILTER (WHERE m.priced > 0) AS cost, bit_or(m.days) AS days,
               COUNT(DISTINCT m.source_id) AS sources
        FROM {UsageMonth._meta.db_table} m
        JOIN {Account._meta.db_table} a ON a.id = m.account_id
        JOIN {Source._meta.db_table} s ON s.id = m.source_id
        WHERE a.person_id IS NOT NULL AND s.counts_toward_totals {where}
        GROUP BY a.person_id, m.month
        """,  # noqa: S608 - table names from the models; values are parameters
        params,
    )


def _monthly(
    badge: Badge,
    window: tuple[dt.date, dt.date] | None,
    names: dict[str, str],
    *,
    ranked: tuple[dt.date, int] | None = None,
    having: tuple[str, list[Any]] | None = None,
) -> list[dict[str, Any]]:
    """Rows like _grouped's (account__person, bucket, last_day and each alias), per person and
    month, or per person for all time; with ranked=(current, widest), each closed month's top
    `widest` by "value", with their rank; having=(condition, params) keeps the groups where
    the condition holds ({metric} in it stands for that metric's aggregate)."""
    by_month = badge.period in {P.MONTH, P.WEEK}
    inner, params = _person_months(window, weeks=badge.period == P.WEEK)
    aggregates = ", ".join(f"{MONTH_METRICS[name]} AS {alias}" for alias, name in names.items())
    sql = f"""
        SELECT person AS account__person, {"month" if by_month else "NULL"} AS bucket,
               {LAST_DAY} AS last_day, {aggregates}
        FROM ({inner}) pm
        GROUP BY person{", month" if by_month else ""}
    """  # noqa: S608 - built from the fixed SQL above
    if having:
        condition, values = having
        sql += " HAVING " + condition.format_map(MONTH_METRICS)
        params = [*params, *values]
    if ranked:
        current, widest = ranked
        sql = f"""
            SELECT * FROM (
                SELECT g.*, RANK() OVER (PARTITION BY bucket ORDER BY value DESC) AS rank
                FROM ({sql}) g WHERE bucket < %s AND value > 0
            ) r WHERE rank <= %s
        """  # noqa: S608 - built from the fixed SQL above
        params = [*params, current, widest]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [c.name for c in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    # Sums come back as numeric; Django reads the facts' sums and counts as int.
    counts = [alias for alias, name in names.items() if name not in {"cost", "first_day"}]
    for row in rows:
        for alias in counts:
            row[alias] = int(row[alias])
    return rows


def _longest_from_months() -> dict[int, tuple[int, dt.date, dt.date]]:
    """Each person's longest run of active days (the latest of equal runs), from the day
    bitmasks of their months: a run is a run of 1 bits in one integer over all their days."""
    inner, params = _person_months(None)
    longest: dict[int, tuple[int, dt.date, dt.date]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT person, month, days FROM ({inner}) pm ORDER BY person, month",  # noqa: S608
            params,
        )
        person, origin, bits = None, None, 0
        for row_person, month, days in [*cursor.fetchall(), (None, None, 0)]:
            if row_person != person:
                if person is not None:
                    longest[person] = _longest_run(bits, origin)
                person, origin, bits = row_person, month, 0
            if row_person is not None:
                bits |= days << (month - origin).days
    return longest


def _longest_run(bits: int, origin: dt.date) -> tuple[int, dt.date, dt.date]:
    """The longest run of 1 bits (bit i: origin + i days), the latest of equal ones."""
    length, ends = 0, bits
    while ends:  # after k steps, bit i is set where bits i-k..i are all set
        length, last = length + 1, ends
        ends &= ends << 1
    end = last.bit_length() - 1
    return length, origin + dt.timedelta(days=end - length + 1), origin + dt.timedelta(days=end)
