"""One-row version counters that database triggers bump, and the planner's statistics."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import connection, models

from leaderboard.db.routers import read_connection
from leaderboard.models import SiteSwitch, UsageDay, UsageVersion


def version_number(model: type[models.Model]) -> int:
    """The number of a one-row version counter (id 1) that database triggers bump, read in
    plain SQL: pages read such counters on every request, and building the ORM query cost
    more than running it."""
    with read_connection(model).cursor() as cursor:
        cursor.execute(f"SELECT number FROM {model._meta.db_table} WHERE id = 1")  # noqa: S608 - table name from the model
        row = cursor.fetchone()
    return row[0] if row else 0


def span_version_sql(start: str, end: str) -> str:
    """SQL for the usage version of the days start..end (SQL expressions): the last change
    that was not about days, or the last change to one of those days, whichever is later
    (PostgreSQL; see `leaderboard.services.rankings`). On SQLite: the counter's number."""
    version, days = UsageVersion._meta.db_table, UsageDay._meta.db_table
    if connection.vendor != "postgresql":
        return f"COALESCE((SELECT number FROM {version} WHERE id = 1), 0)"  # noqa: S608 - table name from the model
    return (
        f"GREATEST(COALESCE((SELECT everything FROM {version} WHERE id = 1), 0), "  # noqa: S608 - table names from the models
        f"COALESCE((SELECT MAX(d.number) FROM {days} d "
        f"WHERE d.day BETWEEN {start} AND {end}), 0))"
    )


def span_versions(spans: Sequence[tuple[dt.date, dt.date]]) -> list[int]:
    """The usage version of each span of days (first day, last day), in one query."""
    if not spans:
        return []
    if connection.vendor != "postgresql":
        return [version_number(UsageVersion)] * len(spans)
    values = ", ".join(["(%s, CAST(%s AS date), CAST(%s AS date))"] * len(spans))
    params: list[int | dt.date] = []
    for n, (start, end) in enumerate(spans):
        params += [n, start, end]
    with read_connection(UsageDay).cursor() as cursor:
        cursor.execute(
            f"SELECT n, {span_version_sql('s.first_day', 's.last_day')} "  # noqa: S608 - table names from the models
            f"FROM (VALUES {values}) AS s (n, first_day, last_day) ORDER BY n",
            params,
        )
        return [int(version) for _, version in cursor.fetchall()]


def analyze(model: type[models.Model]) -> None:
    """Refresh the planner's statistics of a model's table after a large write: autovacuum
    may be off or late, and until then new rows look absent to the planner (PostgreSQL)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {model._meta.db_table}")


def site_state(counters: list[type[models.Model]]) -> tuple[bool, int | None, list[int]]:
    """The boards switch, the boards version (None: no switch row yet) and the numbers of
    these one-row counters, in one plain query (every page reads them)."""
    numbers = ", ".join(
        f"(SELECT number FROM {model._meta.db_table} WHERE id = 1)"  # noqa: S608 - table names from the models
        for model in counters
    )
    with read_connection(SiteSwitch).cursor() as cursor:
        cursor.execute(
            f"SELECT s.boards_visible, s.boards_version, {numbers} "  # noqa: S608 - table names from the models
            f"FROM {SiteSwitch._meta.db_table} s WHERE s.id = 1"
        )
        row = cursor.fetchone()
    if row is None:
        return True, None, [version_number(m) for m in counters]
    return bool(row[0]), row[1], [n or 0 for n in row[2:]]
