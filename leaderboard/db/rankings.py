"""The SQL that ranks a scope, and the plain queries that store and read its places.

`ranking_sql` is `ranked(scope)` over the facts, or the same ranking over usage months when
the scope covers whole months (PostgreSQL, where triggers keep the months). `insert_places`
runs it once straight into place rows; `lookup` reads a stored ranking with the reader's
place; `places_of_people` reads a few people's places. The reads are plain SQL because every
page makes them, and compiling them in the ORM cost more than running them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import connection
from django.db.models import (
    Case,
    Expression,
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
from django.db.models.query import RawQuerySet

from leaderboard.db import counters, metrics
from leaderboard.db.metrics import OVER_PERIODS, PERIOD_COLUMNS
from leaderboard.domain.periods import Lens, Scope, scope_end
from leaderboard.models import Account, Person, Place, RankedScope, Source, Team, UsageMonth

PREFIX = "accounts__usage__"


def _in_scope(scope: Scope, prefix: str = PREFIX) -> Q:
    end = scope_end(scope)
    condition = Q(**{f"{prefix}day__range": (scope.period.start, end)}) & metrics.counted(prefix)
    if scope.sources:
        condition &= Q(**{f"{prefix}source__in": scope.sources})
    return condition


def _lens_value(lens: str, where: Q, prefix: str = PREFIX) -> Expression:
    if lens == Lens.CACHE_READ_SHARE:
        return Cast(metrics.aggregate("cache_read", prefix=prefix, filter=where), FloatField()) / (
            NullIf(
                Cast(metrics.aggregate("input_side", prefix=prefix, filter=where), FloatField()),
                0.0,
            )
        )
    return metrics.expression(lens, prefix=prefix, filter=where)


def ranked(scope: Scope) -> QuerySet[Person]:
    """Everyone in scope with usage (not hidden, not excluded from ranking), annotated with
    value, totals and rank (ties share)."""
    where = _in_scope(scope)
    people = Person.objects.exclude(visibility=Person.Visibility.HIDDEN)
    people = people.exclude(excluded_from_ranking=True).annotate(
        # named like Person.shown_name(), the method: the stubs' plugin takes it for a clash
        shown_name=Case(  # type: ignore[no-redef]
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
    # shown_name: the annotation above, which the plugin does not see (it takes the method)
    return people.annotate(rank=Window(Rank(), order_by=F("value").desc())).order_by(  # type: ignore[misc]
        "rank", "shown_name"
    )


AGENT_PREFIX = "usage__"


def ranked_agents(scope: Scope) -> QuerySet[Account]:
    """Every agent with usage in scope, ranked by the scope's lens like people are (ties
    share), with its owners; computed live: agents are few, and on no stored ranking."""
    where = _in_scope(scope, prefix=AGENT_PREFIX)
    agents = (
        Account.objects.filter(kind=Account.Kind.AGENT)
        .filter(where)
        .select_related("owner_person", "owner_team")
        .annotate(
            total_tokens=metrics.aggregate("total_tokens", prefix=AGENT_PREFIX, filter=where),
            cost=metrics.aggregate("cost", prefix=AGENT_PREFIX, filter=where),
            cost_estimated=Max(Cast(f"{AGENT_PREFIX}cost_estimated", IntegerField()), filter=where),
            value=_lens_value(scope.lens, where, prefix=AGENT_PREFIX),
        )
        .filter(total_tokens__gt=0, total_tokens__gte=scope.min_activity)
    )
    if scope.lens == Lens.CACHE_READ_SHARE:
        agents = agents.annotate(
            input_side=metrics.aggregate("input_side", prefix=AGENT_PREFIX, filter=where)
        ).filter(input_side__gte=max(scope.ratio_min_volume, 1))
    if scope.lens == Lens.COST:
        agents = agents.filter(value__isnull=False)
    return agents.annotate(rank=Window(Rank(), order_by=F("value").desc())).order_by(
        "rank", "name", "pk"
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


# What a lens ranks by, as a column of the per-person totals (t) over usage months.
LENS_SQL = {
    Lens.SCORE: "t.score",
    Lens.TOTAL_TOKENS: "t.total_tokens",
    Lens.OUTPUT: "t.output",
    Lens.COST: "t.cost",
    Lens.CACHE_READ_SHARE: "t.cache_read::float8 / NULLIF(t.input_side::float8, 0)",
    Lens.REQUESTS: "t.requests",
    Lens.ACTIVE_DAYS: "t.active_days",
}
# The totals a ranking over months stores or filters on: each metric's SQL over period rows.
TOTALS = [
    "total_tokens",
    "output",
    "requests",
    "cache_read",
    "input_side",
    "cost",
    "active_days",
    "score",
]


def ranking_sql(
    scope: Scope, *, from_facts: bool = False
) -> tuple[str, Sequence[int | str | dt.date]]:
    """The SQL that ranks a scope, with the columns Ranking stores: `ranked(scope)` over the
    facts, or the same ranking over usage months when the scope covers whole months."""
    if from_facts or not reads_months(scope):
        compiled: tuple[str, Sequence[int | str | dt.date]] = (
            ranked(scope)
            .values(*RANKED_COLUMNS, shown_team_id=_shown_team_id())
            .query.sql_with_params()
        )
        return compiled
    params: list[int | str | dt.date] = [scope.period.start, scope_end(scope)]
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
    totals = ", ".join(f"{OVER_PERIODS[name]} AS {name}" for name in TOTALS)
    # Per person and month first: a day counts once however many accounts and sources.
    sql = f"""
        WITH monthly AS (
            SELECT a.person_id, {PERIOD_COLUMNS}, MAX(m.estimated) AS estimated
            FROM {UsageMonth._meta.db_table} m
            JOIN {Account._meta.db_table} a ON a.id = m.account_id
            JOIN {Source._meta.db_table} s ON s.id = m.source_id
            WHERE a.person_id IS NOT NULL AND s.counts_toward_totals
              AND m.month BETWEEN %s AND %s {sources}
            GROUP BY a.person_id, m.month
        ), t AS (
            SELECT person_id, {totals}, MAX(estimated) AS estimated
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
        WHERE p.visibility <> %s AND NOT p.excluded_from_ranking {teams}
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


def insert_places(ranked_scope_id: int, scope: Scope) -> int:
    """Run the ranking query once, straight into place rows; return how many."""
    sql, params = ranking_sql(scope)
    columns = (
        "scope_id, position, rank, person_id, public_id, name, team_id,"
        " team, user_id, value, total_tokens, cost, cost_estimated"
    )
    select = (
        "SELECT %s, ROW_NUMBER() OVER (ORDER BY r.rank, r.shown_name, r.id), r.rank, r.id,"
        " r.public_id, r.shown_name, r.shown_team_id, COALESCE(r.shown_team, ''), r.user_id,"
        " r.value, r.total_tokens, r.cost, COALESCE(r.cost_estimated, 0) = 1"
    )
    # Table and inner query are compiled by Django.
    insert = f"INSERT INTO {Place._meta.db_table} ({columns}) {select} FROM ({sql}) r"
    with connection.cursor() as cursor:
        cursor.execute(insert, [ranked_scope_id, *params])
        inserted: int = cursor.rowcount
        return inserted


def lookup(
    key: str, first_day: dt.date, last_day: dt.date, reader: int | None
) -> tuple[int, tuple[RankedScope, Place | None] | None]:
    """The usage version of a scope's days (see `counters.span_version_sql`) and the scope's
    stored ranking at it, with the reader's place in it (None: not ranked, or no reader), in
    one plain query; the ranking is None if nobody has stored it at that version yet."""
    version_sql = counters.span_version_sql("%s", "%s")
    found = next(
        iter(
            Place.objects.raw(
                f"SELECT p.*, s.id AS ranked_id, s.size AS ranked_size, v.version AS at_version "  # noqa: S608 - table names from the models
                f"FROM (SELECT {version_sql} AS version) v "
                f"LEFT JOIN {RankedScope._meta.db_table} s ON s.key = %s AND s.version = v.version "
                f"LEFT JOIN {Place._meta.db_table} p ON p.scope_id = s.id AND p.person_id = %s",
                [*([first_day, last_day] if "%s" in version_sql else []), key, reader],
            )
        )
    )
    version = int(found.at_version)  # type: ignore[attr-defined]
    if found.ranked_id is None:  # type: ignore[attr-defined]
        return version, None
    ranked_scope = RankedScope.from_db(
        found._state.db,  # where the router sent the read
        ["id", "key", "version", "first_day", "last_day", "size"],  # in the model's order
        # the raw query's own columns, and its LEFT JOIN's place with no pk: not the model's
        [found.ranked_id, key, version, first_day, last_day, found.ranked_size],  # type: ignore[attr-defined]
    )
    return version, (ranked_scope, found if found.pk is not None else None)  # type: ignore[redundant-expr]


def stale_ranked_scopes() -> list[int]:
    """The stored rankings whose days' usage version has moved past theirs."""
    version_sql = counters.span_version_sql("s.first_day", "s.last_day")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.id FROM {RankedScope._meta.db_table} s "  # noqa: S608 - table names from the models
            f"WHERE s.version < {version_sql}"
        )
        return [pk for (pk,) in cursor.fetchall()]


def places_of_people(ranked_scope_id: int, person_ids: list[int]) -> RawQuerySet[Place]:
    """The places of these people in a stored ranking (raw, like the lookup)."""
    return Place.objects.raw(
        f"SELECT * FROM {Place._meta.db_table} WHERE scope_id = %s "  # noqa: S608 - table name from the model
        f"AND person_id IN ({', '.join(['%s'] * len(person_ids))})",
        [ranked_scope_id, *person_ids],
    )
