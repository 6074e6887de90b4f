"""The bulk write path for usage facts: every writer (ingest, files, seed_scale) uses it.

On PostgreSQL rows whose keys are all new are COPYed straight into the facts; otherwise they
are COPYed into a temporary staging table and merged with one INSERT ... ON CONFLICT DO
UPDATE. Elsewhere (SQLite on a laptop) Django's bulk upsert does.

A pull re-reads the last few days on every run, and most of what it reads has not changed.
With keep_unchanged, a stored fact whose values are the same is left out of the merge (not
even locked: no new row version, nothing for the month triggers to undo and redo), and its
key is noted in SEEN with the pull's time, so that pruning knows the pull still saw it
(leaderboard.services.usage.prune_usage).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from operator import itemgetter
from typing import NamedTuple

import psycopg
from django.db import IntegrityError, connection, transaction
from django.db.backends.utils import CursorWrapper

from leaderboard.models import UsageFact


class FactRow(NamedTuple):
    """One usage fact as every writer builds it (ingest, files, seed_scale, the bench), in
    the facts' column order: COPY writes it as it is."""

    source_id: int
    day: dt.date
    account_id: int
    model: str
    input: int
    cache_read: int
    cache_write: int
    output: int
    requests: int
    cost: Decimal | None
    cost_estimated: bool
    recorded_at: dt.datetime


COLUMNS = list(FactRow._fields)
KEY = ["account_id", "day", "source_id", "model"]
NATURAL_KEY = "usage_fact_natural_key"
BATCH_SIZE = 2000
STAGE = "usage_fact_stage"
# The keys a pull merged, with its time (PostgreSQL: unlogged, no index; migration 0015)
SEEN = "leaderboard_usage_seen"
SEEN_COLUMNS = ["source_id", "day", "account_id", "model", "recorded_at"]
VALUES = [c for c in COLUMNS if c not in KEY and c != "recorded_at"]


def upsert(rows: Iterable[FactRow], *, keep_unchanged: bool = False) -> int:
    """Insert or replace facts; return how many were recorded.

    keep_unchanged (PostgreSQL): leave a stored fact whose values equal the row's as it is,
    noting its key as seen at the row's recorded_at. Without it (and on SQLite) every row is
    written, recorded_at included.
    """
    if connection.vendor == "postgresql":
        return _copy_and_merge(rows, keep_unchanged=keep_unchanged)
    facts = [UsageFact(**dict(zip(COLUMNS, row, strict=True))) for row in rows]
    UsageFact.objects.bulk_create(
        facts,
        batch_size=BATCH_SIZE,
        update_conflicts=True,
        unique_fields=["account", "day", "source", "model"],
        update_fields=[c for c in COLUMNS if c not in KEY],
    )
    return len(facts)


def in_key_order(rows: Iterable[FactRow]) -> list[FactRow]:
    """The rows sorted by the natural key. Written so, each leaf of its index is visited
    once: a provider's export comes day by day, which at 100,000 people sends every day's
    rows across the whole (account-first) index again, more of it than shared buffers hold."""
    return sorted(rows, key=_KEY_OF)


_KEY_OF = itemgetter(*(COLUMNS.index(c) for c in KEY))


def _copy_and_merge(rows: Iterable[FactRow], *, keep_unchanged: bool) -> int:
    rows = in_key_order(rows)
    if not rows:
        return 0
    with transaction.atomic():
        if _is_stored(rows[0]) or not _copy_new(rows):
            _merge(rows, keep_unchanged=keep_unchanged)
    return len(rows)


def _is_stored(row: FactRow) -> bool:
    """Whether the row's key is stored. A COPY that meets a stored key fails only after the
    client has sent every row (a second COPY's worth of time), so a batch whose first key in
    key order is stored, as a pull reading its last few days again is, goes straight to the
    merge."""
    key = dict(zip(KEY, _KEY_OF(row), strict=True))
    return UsageFact.objects.filter(**key).exists()


def _copy_new(rows: list[FactRow]) -> bool:
    """COPY the rows straight into the facts if none of their keys is stored yet (a new
    day's pull, a first import): nothing staged, nothing merged. If one is, write nothing
    and return False."""
    copy_sql = f"COPY {UsageFact._meta.db_table} ({', '.join(COLUMNS)}) FROM STDIN"
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            _copy(cursor, copy_sql, rows)
    except IntegrityError as exc:
        stored = exc.__cause__
        if not (
            isinstance(stored, psycopg.errors.UniqueViolation)
            and stored.diag.constraint_name == NATURAL_KEY
        ):
            raise
        return False
    return True


def _copy(cursor: CursorWrapper, sql: str, rows: list[FactRow]) -> None:
    """COPY rows; the database's errors raised as Django's (IntegrityError, ...)."""
    with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _merge(rows: list[FactRow], *, keep_unchanged: bool) -> None:
    """Insert or replace: COPY into a staging table, then one INSERT ... ON CONFLICT."""
    table = UsageFact._meta.db_table
    columns = ", ".join(COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS if c not in KEY)
    unchanged = ""
    if keep_unchanged:
        stored = ", ".join(f"f.{c}" for c in VALUES)
        excluded = ", ".join(f"EXCLUDED.{c}" for c in VALUES)
        updates += f" WHERE ({stored}) IS DISTINCT FROM ({excluded})"
        # Rows already stored as they are are left out before the merge, not only kept by its
        # WHERE: ON CONFLICT locks every row it meets, which writes to each (a re-pull of 1M
        # unchanged facts spent about a sixth of its time so).
        key = " AND ".join(f"f.{c} = s.{c}" for c in KEY)
        pulled = ", ".join(f"s.{c}" for c in VALUES)
        unchanged = (
            f" WHERE NOT EXISTS (SELECT 1 FROM {table} f WHERE {key} "
            f"AND ({stored}) IS NOT DISTINCT FROM ({pulled}))"
        )
    with connection.cursor() as cursor:
        # Same column types, no id, no constraints, no indexes: COPY at full speed.
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} ON COMMIT DELETE ROWS "
            f"AS SELECT {columns} FROM {table} WITH NO DATA"
        )
        _copy(cursor, f"COPY {STAGE} ({columns}) FROM STDIN", rows)
        # The staging table holds the rows in key order, and gives them back so.
        cursor.execute(
            f"INSERT INTO {table} AS f ({columns}) SELECT {columns} FROM {STAGE} s{unchanged} "
            f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {updates}"
        )
        if keep_unchanged:
            # every key, changed or not: pruning keeps what the pull saw, by either mark
            seen = ", ".join(SEEN_COLUMNS)
            cursor.execute(f"INSERT INTO {SEEN} ({seen}) SELECT {seen} FROM {STAGE}")
        cursor.execute(f"TRUNCATE {STAGE}")  # for a next batch in this transaction


def prune(*, source_id: int, start: dt.date, end: dt.date, pulled_at: dt.datetime) -> int:
    """Delete the source's facts in [start, end] that the pull made at pulled_at neither
    wrote (recorded_at) nor saw unchanged (SEEN); return how many."""
    ids = [pk for pk, _ in unseen(source_id=source_id, start=start, end=end, pulled_at=pulled_at)]
    return delete(source_id=source_id, ids=ids, recorded_before=pulled_at)


def unseen(
    *, source_id: int, start: dt.date, end: dt.date, pulled_at: dt.datetime
) -> list[tuple[int, dt.date]]:
    """The ids and days of the source's facts in [start, end] that the pull made at pulled_at
    neither wrote (recorded_at) nor saw unchanged (SEEN)."""
    if connection.vendor != "postgresql":  # every row was written: recorded_at tells
        return list(
            UsageFact.objects.filter(
                source_id=source_id, day__range=(start, end), recorded_at__lt=pulled_at
            ).values_list("pk", "day")
        )
    table = UsageFact._meta.db_table
    key = " AND ".join(f"s.{c} = f.{c}" for c in KEY)
    with transaction.atomic(), connection.cursor() as cursor:
        # Without statistics (autovacuum off, or soon after a large write) the planner takes
        # the seen table and the window for a handful of rows and anti-joins them by a nested
        # loop, scanning the seen table once per fact: 25 s for 24,000 facts. No nested loop,
        # then: a hash (or merge) anti-join reads each side once, whatever the estimates.
        cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute(
            f"SELECT f.id, f.day FROM {table} f WHERE f.source_id = %s "
            f"AND f.day BETWEEN %s AND %s AND f.recorded_at < %s AND NOT EXISTS "
            f"(SELECT 1 FROM {SEEN} s WHERE s.recorded_at = %s AND {key})",
            [source_id, start, end, pulled_at, pulled_at],
        )
        unseen: list[tuple[int, dt.date]] = cursor.fetchall()
        return unseen


def delete(*, source_id: int, ids: Iterable[int], recorded_before: dt.datetime) -> int:
    """Delete the source's facts with these ids that nothing wrote since recorded_before (a
    later pull that revised one wrote it); return how many."""
    ids = list(ids)
    deleted = 0
    for i in range(0, len(ids), BATCH_SIZE):
        count, _ = UsageFact.objects.filter(
            source_id=source_id, pk__in=ids[i : i + BATCH_SIZE], recorded_at__lt=recorded_before
        ).delete()
        deleted += count
    return deleted


def forget_seen(*, source_id: int, through: dt.datetime) -> None:
    """Forget the keys that the source's pulls up to `through` saw. Each pull does once it
    ends, pruned or not (a failed or partial pull prunes nothing)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {SEEN} WHERE source_id = %s AND recorded_at <= %s",
                [source_id, through],
            )
