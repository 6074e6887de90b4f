"""The badges app's database layer: the only module in badges/ that writes SQL text, uses
django.db.connection or asks which database it runs on (migrations aside).

The SQL it holds:
- monthly(): counted usage per person (none excluded from ranking) and calendar month (or
  ISO week from the rollup, or all time) from leaderboard_usagemonth, with a HAVING bound,
  and for rank badges each closed period's top N by RANK(); person_month_days(): each
  person's months with their day bitmasks, for streaks. Each returns the same rows as its
  counterpart over the facts in badges.rules (tests/badges/test_months.py).
- person_weeks(): the temporary table badge_person_weeks, the facts rolled up per person
  and ISO week once for a full pass's weekly badges (none held for gaming review: the
  months' triggers leave those out too).
- streak_islands(): runs of consecutive active days over the facts (gaps and islands).
- insert_awards(): new awards COPYed into a staging table and inserted by one INSERT ...
  ON CONFLICT DO NOTHING (PostgreSQL); Django's bulk_create elsewhere.

The triggers and functions it relies on (made by migrations, none of them here):
- leaderboard_usagefact_{insert,update,delete}_months, executing
  leaderboard_usagemonth_{insert,update,delete}() (leaderboard 0010), keep
  leaderboard_usagemonth equal to the GROUP BY of the facts, whatever writes them:
  monthly() and person_month_days() read those rows instead of the facts (PostgreSQL only;
  on SQLite keeps_months() is false and the rules read the facts).
- badges_badge_bumps_version, badges_displayedtitle_bumps_version,
  badges_award_bumps_version (insert, delete) and badges_award_update_bumps_version
  (updates of the columns a page shows: not noticed_at), executing badges_bump_version()
  (badges 0004, 0005; on SQLite per-row triggers of the same names): each statement that
  changes badges, awards or titles, insert_awards()'s INSERT among them, moves
  badges_badgeversion, the key of cached standings rows. Marking a notice seen does not.
- badges_award_insert_references and badges_award_update_references, executing
  tokenboard_check_references() (badges 0006; the function is leaderboard 0014's): an
  award's person and badge are checked once per statement, so insert_awards() refuses an
  award for a person or badge that does not exist; badges_award_person_id_still_used (on
  leaderboard_person) and badges_award_badge_id_still_used (on badges_badge), executing
  tokenboard_check_unreferenced(), refuse at commit a delete that would orphan awards.
  SQLite keeps foreign keys instead.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

from django.db import DatabaseError, connection
from django.db.models import QuerySet

from leaderboard.db.metrics import OVER_PERIODS, PERIOD_COLUMNS
from leaderboard.domain.json_values import JSON
from leaderboard.models import Account, Person, Source, UsageFact, UsageMonth

from .models import Award

Days = tuple[dt.date, dt.date] | None
# A row of a rule's query, from the ORM's values() or from monthly(): account__person,
# bucket, last_day and the numbers of that kind. Its columns differ by query (and a date may
# come back as text from SQLite), so its values are Any: a TypedDict per query would repeat
# each query's select list.
type AggregateRow = Mapping[str, Any]  # type: ignore[explicit-any]


def keeps_months() -> bool:
    """Whether the database keeps the usage months (triggers of leaderboard 0010)."""
    return connection.vendor == "postgresql"


# --- usage months ---------------------------------------------------------------------------
#
# On PostgreSQL the database keeps per-account monthly totals (leaderboard.UsageMonth, with a
# bitmask of active days). Badges judged over calendar months or all time read those: a year
# of a large company is a few million months, not tens of millions of facts.

# The metrics' SQL over person-period rows (leaderboard.db.metrics.METRICS, which boards use
# too), and what only badges ask of a period row: the first active day.
MONTH_METRICS = {
    **OVER_PERIODS,
    # bit d-1 of a month's days is day d; bit(64) text is written from bit 63 down
    "first_day": "MIN(month + (POSITION('1' IN REVERSE(days::bit(64)::text)) - 1))",
}
LAST_DAY = "MAX(month + (64 - POSITION('1' IN days::bit(64)::text)))"

# A full evaluation judges every week of history for each weekly badge; each would scan all
# the facts. person_weeks() rolls the facts up per person and ISO week once, into a temporary
# table shaped like _person_months' rows (a week's "month" is its Monday, bit d of its days is
# Monday + d), and the weekly badges evaluated inside it read that instead.
WEEKS_TABLE = "badge_person_weeks"
_WEEKS: ContextVar[bool] = ContextVar("badge_person_weeks", default=False)


def weeks_rolled_up() -> bool:
    """Whether this code runs inside person_weeks() (and the rollup exists)."""
    return _WEEKS.get()


@contextmanager
def person_weeks() -> Iterator[None]:
    """Within: weekly threshold, ratio and rank badges read a rollup of all the facts made on
    entry (PostgreSQL only; elsewhere, and for usage written meanwhile, the facts as usual)."""
    if not keeps_months() or _WEEKS.get():
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
            JOIN {Person._meta.db_table} p ON p.id = a.person_id
            WHERE s.counts_toward_totals AND NOT p.excluded_from_ranking AND NOT f.held
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


def _person_months(window: Days, *, weeks: bool = False) -> tuple[str, list[dt.date]]:
    """Counted usage per person and month (a day counts once across accounts and sources);
    with weeks, per person and week from the rollup."""
    where, params = "", []
    if window:
        where, params = "AND m.month BETWEEN %s AND %s", [window[0], window[1]]
    if weeks:
        return f"SELECT m.* FROM {WEEKS_TABLE} m WHERE TRUE {where}", params  # noqa: S608 - table and column names fixed here or from the models
    return (
        f"""
        SELECT a.person_id AS person, m.month, {PERIOD_COLUMNS},
               COUNT(DISTINCT m.source_id) AS sources
        FROM {UsageMonth._meta.db_table} m
        JOIN {Account._meta.db_table} a ON a.id = m.account_id
        JOIN {Source._meta.db_table} s ON s.id = m.source_id
        JOIN {Person._meta.db_table} p ON p.id = a.person_id
        WHERE s.counts_toward_totals AND NOT p.excluded_from_ranking {where}
        GROUP BY a.person_id, m.month
        """,  # noqa: S608 - table names from the models; values are parameters
        params,
    )


def monthly(
    window: Days,
    names: dict[str, str],
    *,
    per: str | None,
    ranked: tuple[dt.date, int] | None = None,
    having: tuple[str, list[Decimal | int]] | None = None,
) -> Sequence[AggregateRow]:
    """Rows like the rules' over the facts (account__person, bucket, last_day and each alias
    of names: {alias: MONTH_METRICS name}), per person and "month" or "week" (the rollup of
    person_weeks()), or per person for all time (per None); with ranked=(current, widest),
    each closed period's top `widest` by "value", with their rank; having=(condition,
    params) keeps the groups where the condition holds ({metric} in it stands for that
    metric's aggregate)."""
    params: Sequence[dt.date | Decimal | int]
    inner, params = _person_months(window, weeks=per == "week")
    aggregates = ", ".join(f"{MONTH_METRICS[name]} AS {alias}" for alias, name in names.items())
    sql = f"""
        SELECT person AS account__person, {"month" if per else "NULL"} AS bucket,
               {LAST_DAY} AS last_day, {aggregates}
        FROM ({inner}) pm
        GROUP BY person{", month" if per else ""}
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


def person_month_days() -> list[tuple[int, dt.date, int]]:
    """(person, month, day bitmask) of every person's months of counted usage, in order."""
    inner, params = _person_months(None)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT person, month, days FROM ({inner}) pm ORDER BY person, month",  # noqa: S608 - table and column names fixed here or from the models
            params,
        )
        months: list[tuple[int, dt.date, int]] = cursor.fetchall()
        return months


# --- over the facts -------------------------------------------------------------------------


def _day_number(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"({column} - DATE '2000-01-01')"
    return f"CAST(julianday({column}) AS INTEGER)"


def streak_islands(
    active_days: QuerySet[UsageFact, Mapping[str, object]],
) -> list[tuple[int, int, dt.date | str, dt.date | str]]:
    """(person, length, first day, last day) of every run of consecutive days in
    active_days, a query of distinct (person, day) values (SQLite returns days as text)."""
    days_sql, params = active_days.query.sql_with_params()
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
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        islands: list[tuple[int, int, dt.date | str, dt.date | str]] = cursor.fetchall()
        return islands


# --- awards ---------------------------------------------------------------------------------

# The columns of a granted award, in the order insert_awards() reads each row's values.
GRANTED = [
    "person_id",
    "badge_id",
    "tier",
    "tiers_reached",
    "period_start",
    "period_end",
    "granted_at",
    "evidence",
    "quiet",
    "revoked_at",
    "revoked_reason",
]
# A granted award's values in that order (badges.services builds them).
type GrantedRow = tuple[
    int,
    int,
    str,
    dict[str, str],
    dt.date,
    dt.date,
    dt.datetime,
    dict[str, JSON],
    bool,
    dt.datetime | None,
    str,
]


def insert_awards(rows: Iterable[GrantedRow]) -> None:
    """Insert new awards (rows in GRANTED order), skipping any already there. A full
    evaluation grants millions: on PostgreSQL they are COPYed into a staging table and
    inserted by one statement, not built into model instances and INSERTs."""
    if connection.vendor != "postgresql":
        Award.objects.bulk_create(
            (Award(**dict(zip(GRANTED, row, strict=True))) for row in rows),
            ignore_conflicts=True,
            batch_size=1000,
        )
        return
    # SQL from fixed table and column names only; values travel by COPY.
    table, columns = Award._meta.db_table, ", ".join(GRANTED)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS award_stage ON COMMIT DROP "  # noqa: S608 - table and column names fixed here or from the models
            f"AS SELECT {columns} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY award_stage ({columns}) FROM STDIN") as copy:
            for row in rows:
                # the JSON columns (tiers reached, evidence) as JSON text
                copy.write_row(tuple(json.dumps(v) if isinstance(v, dict) else v for v in row))
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM award_stage "  # noqa: S608 - table and column names fixed here or from the models
            "ON CONFLICT DO NOTHING"
        )
        cursor.execute("DROP TABLE award_stage")
