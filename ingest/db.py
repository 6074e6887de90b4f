"""Ingest's database layer: the only module in ingest/ that writes SQL text, uses
django.db.connection or asks which database it runs on (migrations aside).

The SQL it holds:
- try_pull_lock(), release_pull_lock(): the pull lock, a PostgreSQL session-level advisory
  lock keyed (PULL_LOCK, connection id) (pg_try_advisory_lock, pg_advisory_unlock), so one
  pull or file import at a time runs per connection. A session lock, not a transaction one:
  the server releases it when a killed worker's session drops (the worker's
  client_connection_check_interval, leaderboard.celery_app, makes it notice). SQLite (a
  laptop, one process) has none: the lock is always taken.
- pull_lock_holder(): who holds a connection's pull lock, from pg_locks joined to
  pg_stat_activity (a two-int4 advisory key shows as classid, objid and objsubid 2).
- drop_session(): closes this thread's database session, when an error broke it; that also
  releases the pull lock.
- month_usage(): the rows a calendar month's usage per source is summed from (a vendor
  branch; the ORM writes the query).

The leaderboard tables and triggers it relies on (made by leaderboard's migrations, listed in
leaderboard.db): month_usage() reads leaderboard_usagemonth on PostgreSQL, which the triggers
leaderboard_usagefact_{insert,update,delete}_months, executing
leaderboard_usagemonth_{insert,update,delete}() (leaderboard 0010), keep equal to the GROUP
BY of leaderboard_usagefact whatever writes the facts; on SQLite there are no monthly totals
and it reads the facts. Ingest writes facts only through leaderboard.services.usage.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.db import DatabaseError, connection
from django.db.models import QuerySet

from leaderboard.models import UsageFact, UsageMonth

PULL_LOCK = 0x746B6264  # advisory-lock namespace for "one pull per connection"


def try_pull_lock(connection_id: int) -> bool:
    """Take the connection's pull lock for this session; False if another session holds it.
    Always true without PostgreSQL, which holds no lock."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [PULL_LOCK, connection_id])
        row = cursor.fetchone()
    return bool(row[0])


def release_pull_lock(connection_id: int) -> None:
    """Give back the connection's pull lock taken by try_pull_lock."""
    if connection.vendor != "postgresql":
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [PULL_LOCK, connection_id])
    except DatabaseError:
        # The session is broken (the error that ended the pull, most likely): dropping it
        # releases the lock, and the next query opens a new one.
        connection.close()


class LockHolder(NamedTuple):
    """The PostgreSQL session that holds a pull lock."""

    pid: int
    state: str | None
    since: dt.datetime | None  # its last query's start, else its transaction's


def pull_lock_holder(connection_id: int) -> LockHolder | None:
    """The session holding the connection's pull lock (None if it is gone already)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.pid, a.state, a.query_start, a.xact_start FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted "
            "AND l.classid::bigint = %s AND l.objid::bigint = %s AND l.objsubid = 2",
            [PULL_LOCK, connection_id],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    pid, state, query_start, xact_start = row
    return LockHolder(pid=pid, state=state, since=query_start or xact_start)


def drop_session() -> None:
    """Close this thread's database session (an error broke it); the next query opens a new
    one. On PostgreSQL this also releases the pull lock."""
    connection.close()


def month_usage(month: dt.date) -> QuerySet[UsageMonth] | QuerySet[UsageFact]:
    """The rows of a calendar month (its first day) per account and source: the monthly
    totals PostgreSQL keeps (leaderboard_usagemonth), else the facts. Both have the source,
    the account and the token columns, so a caller sums either the same way."""
    if connection.vendor == "postgresql":
        return UsageMonth.objects.filter(month=month)
    following = (month + dt.timedelta(days=32)).replace(day=1)
    return UsageFact.objects.filter(day__gte=month, day__lt=following)
