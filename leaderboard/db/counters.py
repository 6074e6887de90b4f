"""One-row version counters that database triggers bump, and the planner's statistics."""

from __future__ import annotations

from django.db import connection, models

from leaderboard.db.routers import read_connection
from leaderboard.models import SiteSwitch


def version_number(model: type[models.Model]) -> int:
    """The number of a one-row version counter (id 1) that database triggers bump, read in
    plain SQL: pages read such counters on every request, and building the ORM query cost
    more than running it."""
    with read_connection(model).cursor() as cursor:
        cursor.execute(f"SELECT number FROM {model._meta.db_table} WHERE id = 1")  # noqa: S608 - table name from the model
        row = cursor.fetchone()
    return row[0] if row else 0


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
