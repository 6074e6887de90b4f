"""What a board ranks: periods, lenses, scopes, and the SQL that ranks everyone in a scope
(`ranking_sql`: `ranked` over facts, or the same ranking over usage months). Pages read stored
results of that query through `rankings.Ranking`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    F,
    FloatField,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, NullIf, Rank

from . import capabilities, metrics
from .models import Account, Board, Person, Source, Team, UsageFact, UsageMonth

ALL_TIME_START = dt.date(2000, 1, 1)
PREFIX = "accounts__usage__"
Lens = Board.Lens
LENS_UNITS = {
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

    @classmethod
    def of_board(
        cls,
        board: Board,
        *,
        lens: str,
        period: Period,
        team: Team | None = None,
        as_of: dt.date | None = None,
    ) -> Scope:
        teams = tuple(t.pk for t in board.teams.all())
        if team is not None:
            teams = (team.pk,) if not teams or team.pk in teams else (-1,)
        sources = tuple(s.pk for s in board.sources.all())
        if lens == Lens.REQUESTS:
            sources = requests_sources(board)
        return cls(
            lens=lens,
            period=period,
            teams=teams,
            sources=sources,
            min_activity=board.min_activity,
            ratio_min_volume=board.ratio_min_volume if lens == Lens.CACHE_READ_SHARE else 0,
            as_of=as_of,
        )


def requests_sources(board: Board) -> tuple[int, ...]:
    """The sources a board ranks requests over: its own (none: all) less those that cannot
    report requests, whose usage would otherwise rank as 0 requests (-1: none is left)."""
    chosen = list(board.sources.all())
    pool = chosen or list(Source.objects.all())
    if not capabilities.without_requests(pool):
        return tuple(s.pk for s in chosen)
    return tuple(sorted(s.pk for s in pool if capabilities.reports_requests(s))) or (-1,)


def _in_scope(scope: Scope, prefix: str = PREFIX) -> Q:
    end = scope_end(scope)
    condition = Q(**{f"{prefix}day__range": (scope.period.start, end)}) & metrics.counted(prefix)
    if scope.sources:
        condition &= Q(**{f"{prefix}source__in": scope.sources})
    return condition


def _lens_value(lens: str, where: Q) -> Any:
    if lens == Lens.CACHE_READ_SHARE:
        return Cast(metrics.aggregate("cache_read", prefix=PREFIX, filter=where), FloatField()) / (
            NullIf(
                Cast(metrics.aggregate("input_side", prefix=PREFIX, filter=where), FloatField()),
                0.0,
            )
        )
    return metrics.aggregate(lens, prefix=PREFIX, filter=where)


def ranked(scope: Scope) -> QuerySet[Person]:
    """Everyone in scope with usage, annotated with value, totals and rank (ties share)."""
    where = _in_scope(scope)
    people = Person.objects.exclude(visibility=Person.Visibility.HIDDEN).annotate(
        shown_name=Case(
            When(visibility=Person.Visibility.PSEUDONYM, then=F("pseudonym")),
            default=F("display_name"),
        ),
        shown_team=Case(
            When(visibility=Person.Visibility.PSEUDONYM, then=Value("")), default=F("team__name")
        ),
    )
    if scope.teams:
        # A pseudonym shows no team: ranked among chosen teams, it would show one.
        people = people.filter(team__in=scope.teams, visibility=Person.Visibility.NAME)
    # Filtering before annotating joins only the facts in scope (through the day index), and
    # the sums below run over that same join.
    people = (
        people.filter(where)
        .annotate(
            total_tokens=metrics.aggregate("total_tokens", prefix=PREFIX, filter=where),
            cost=metrics.aggregate("cost", prefix=PREFIX, filter=where),
            cost_estimated=Max(Cast(f"{PREFIX}cost_estimated", IntegerField()), filter=where),
            value=_lens_value(scope.lens, where),
        )
        .filter(total_tokens__gt=0, total_tokens__gte=scope.min_activity)
    )
    if scope.lens == Lens.CACHE_READ_SHARE:
        people = people.annotate(
            input_side=metrics.aggregate("input_side", prefix=PREFIX, filter=where)
        ).filter(input_side__gte=max(scope.ratio_min_volume, 1))
    if scope.lens == Lens.COST:
        people = people.filter(value__isnull=False)
    return people.annotate(rank=Window(Rank(), order_by=F("value").desc())).order_by(
        "rank", "shown_name"
    )


def reads_months(scope: Scope) -> bool:
    """Whole calendar months (month, quarter, all time) rank from usage months, which the
    database keeps on PostgreSQL; other ranges rank from the facts."""
    end = scope_end(scope)
    return (
        connection.vendor == "postgresql"
        and scope.period.start.day == 1
        and (end + dt.timedelta(days=1)).day == 1
    )


def scope_end(scope: Scope) -> dt.date:
    return min(scope.period.end, scope.as_of) if scope.as_of else scope.period.end


LENS_SQL = {
    Lens.TOTAL_TOKENS: "t.total_tokens",
    Lens.OUTPUT: "t.output",
    Lens.COST: "t.cost",
    Lens.CACHE_READ_SHARE: "t.cache_read::float8 / NULLIF(t.input_side::float8, 0)",
    Lens.REQUESTS: "t.requests",
    Lens.ACTIVE_DAYS: "t.active_days",
}


def ranking_sql(scope: Scope, *, from_facts: bool = False) -> tuple[str, list[Any]]:
    """The SQL that ranks a scope, with the columns Ranking stores: `ranked(scope)` over the
    facts, or the same ranking over usage months when the scope covers whole months."""
    if from_facts or not reads_months(scope):
        return (
            ranked(scope)
            .values(*RANKED_COLUMNS, shown_team_id=_shown_team_id())
            .query.sql_with_params()
        )
    params: list[Any] = [scope.period.start, scope_end(scope)]
    sources = ""
    if scope.sources:
        sources = f"AND m.source_id IN ({', '.join(['%s'] * len(scope.sources))})"
        params += scope.sources
    value = LENS_SQL[Lens(scope.lens)]
    pseudonym, hidden = Person.Visibility.PSEUDONYM.value, Person.Visibility.HIDDEN.value
    params += [pseudonym, pseudonym, pseudonym, hidden]
    teams = ""
    if scope.teams:
        # A pseudonym shows no team: ranked among chosen teams, it would show one.
        teams = f"AND p.visibility = %s AND p.team_id IN ({', '.join(['%s'] * len(scope.teams))})"
        params += [Person.Visibility.NAME.value, *scope.teams]
    params += [scope.min_activity]
    lens = ""
    if scope.lens == Lens.CACHE_READ_SHARE:
        lens = "AND t.input_side >= %s"
        params.append(max(scope.ratio_min_volume, 1))
    elif scope.lens == Lens.COST:
        lens = "AND t.cost IS NOT NULL"
    # Per person and month first: a day counts once however many accounts and sources.
    sql = f"""
        WITH monthly AS (
            SELECT a.person_id, SUM(m.input) AS input, SUM(m.cache_read) AS cache_read,
                   SUM(m.cache_write) AS cache_write, SUM(m.output) AS output,
                   SUM(m.requests) AS requests, SUM(m.cost) FILTER (WHERE m.priced > 0) AS cost,
                   MAX(m.estimated) AS estimated,
                   bit_count(bit_or(m.days)::bit(64)) AS active_days
            FROM {UsageMonth._meta.db_table} m
            JOIN {Account._meta.db_table} a ON a.id = m.account_id
            JOIN {Source._meta.db_table} s ON s.id = m.source_id
            WHERE a.person_id IS NOT NULL AND s.counts_toward_totals
              AND m.month BETWEEN %s AND %s {sources}
            GROUP BY a.person_id, m.month
        ), t AS (
            SELECT person_id, SUM(input + cache_read + cache_write + output) AS total_tokens,
                   SUM(output) AS output, SUM(requests) AS requests,
                   SUM(cache_read) AS cache_read,
                   SUM(input + cache_read + cache_write) AS input_side, SUM(cost) AS cost,
                   MAX(estimated) AS estimated, SUM(active_days) AS active_days
            FROM monthly GROUP BY person_id
        )
        SELECT p.id,
               CASE WHEN p.visibility = %s THEN p.pseudonym ELSE p.display_name END
                   AS shown_name,
               CASE WHEN p.visibility = %s THEN '' ELSE team.name END AS shown_team,
               p.user_id, p.public_id, {value} AS value, t.total_tokens, t.cost,
               CASE WHEN t.estimated > 0 THEN 1 ELSE 0 END AS cost_estimated,
               RANK() OVER (ORDER BY {value} DESC) AS rank,
               CASE WHEN p.visibility = %s THEN NULL ELSE p.team_id END AS shown_team_id
        FROM t
        JOIN {Person._meta.db_table} p ON p.id = t.person_id
        LEFT JOIN {Team._meta.db_table} team ON team.id = p.team_id
        WHERE p.visibility <> %s {teams}
          AND t.total_tokens > 0 AND t.total_tokens >= %s {lens}
    """  # noqa: S608 - table names from the models, values as parameters
    return sql, params


RANKED_COLUMNS = [
    "id",
    "shown_name",
    "shown_team",
    "user_id",
    "public_id",
    "value",
    "total_tokens",
    "cost",
    "cost_estimated",
    "rank",
]


def _shown_team_id() -> Case:
    # A pseudonymous person shows no name and no team (a small team would give them away).
    return Case(
        When(visibility=Person.Visibility.PSEUDONYM, then=Value(None)), default=F("team_id")
    )


TREND_DAYS = 31  # a board row's sparkline


def daily_totals(
    person_ids: Iterable[int],
    end: dt.date,
    *,
    sources: tuple[int, ...] = (),
    days: int = TREND_DAYS,
) -> dict[int, list[int]]:
    """Total tokens per day for each person over the `days` days up to `end` (for sparklines:
    the trend into the period, whatever its length, and no day that has not come yet)."""
    start = end - dt.timedelta(days=days - 1)
    facts = UsageFact.objects.filter(
        metrics.counted(), account__person__in=list(person_ids), day__range=(start, end)
    )
    if sources:
        facts = facts.filter(source__in=sources)
    series: dict[int, list[int]] = {}
    for row in (
        facts.values("account__person", "day")
        .annotate(tokens=metrics.aggregate("total_tokens"))
        .order_by()
    ):
        values = series.setdefault(row["account__person"], [0] * days)
        values[(row["day"] - start).days] = int(row["tokens"])
    return series


def unit_of(lens: str) -> str:
    return LENS_UNITS.get(lens, "tokens")
