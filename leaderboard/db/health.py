"""Whether pages can read the database, for the health check."""

from __future__ import annotations

from django.db import connection


def database_ok() -> bool:
    """Whether pages can read the database: a table every signed-in page reads, not just
    `SELECT 1`, so a lock nobody releases shows here too (within DB_STATEMENT_TIMEOUT)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM django_session LIMIT 1")
        return True
    except Exception:
        return False
