"""The view log's write, in plain SQL: it runs on every board, person and team view."""

from __future__ import annotations

import datetime as dt

from django.db import connection

from leaderboard.models import PageView


def insert_view(
    *, at: dt.datetime, viewer_id: int | None, kind: str, target: str, query: str
) -> None:
    """One view, one INSERT: building the ORM's INSERT cost more than running it (as with
    the version counters every page reads, db.counters)."""
    table = PageView._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (at, viewer_id, kind, target, query) "  # noqa: S608 - table name from the model
            "VALUES (%s, %s, %s, %s, %s)",
            [connection.ops.adapt_datetimefield_value(at), viewer_id, kind, target, query],
        )
