"""The bulk write path for usage facts: every writer (ingest, files, seed_scale) uses it.

On PostgreSQL rows are COPYed into a temporary staging table and merged with one
INSERT ... ON CONFLICT DO UPDATE; elsewhere (SQLite on a laptop) Django's bulk upsert does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, transaction

from .models import UsageFact

COLUMNS = [
    "source_id",
    "day",
    "account_id",
    "model",
    "input",
    "cache_read",
    "cache_write",
    "output",
    "requests",
    "cost",
    "cost_estimated",
    "recorded_at",
]
KEY = ["account_id", "day", "source_id", "model"]  # usage_fact_natural_key
BATCH_SIZE = 2000
STAGE = "usage_fact_stage"
SORT_MEMORY = "64MB"  # sorts a 1,000,000-row batch in memory


def upsert(rows: Iterable[Sequence[Any]]) -> int:
    """Insert or replace facts, each row in COLUMNS order; return how many were written."""
    if connection.vendor == "postgresql":
        return _copy_and_merge(rows)
    facts = [UsageFact(**dict(zip(COLUMNS, row, strict=True))) for row in rows]
    UsageFact.objects.bulk_create(
        facts,
        batch_size=BATCH_SIZE,
        update_conflicts=True,
        unique_fields=["account", "day", "source", "model"],
        update_fields=[c for c in COLUMNS if c not in KEY],
    )
    return len(facts)


def _copy_and_merge(rows: Iterable[Sequence[Any]]) -> int:
    table = UsageFact._meta.db_table
    columns = ", ".join(COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS if c not in KEY)
    with transaction.atomic(), connection.cursor() as cursor:
        # Same column types, no id, no constraints, no indexes: COPY at full speed.
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} ON COMMIT DELETE ROWS "
            f"AS SELECT {columns} FROM {table} WITH NO DATA"
        )
        written = 0
        with cursor.cursor.copy(f"COPY {STAGE} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                written += 1
        # In the natural key's order, each leaf of that index is visited once: a provider's
        # export comes day by day, which at 100,000 people sends every day's rows across the
        # whole (account-first) index again, and more of it than shared buffers hold.
        cursor.execute(f"SET LOCAL work_mem = '{SORT_MEMORY}'")
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {STAGE} "
            f"ORDER BY {', '.join(KEY)} "
            f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {updates}"
        )
        cursor.execute(f"DELETE FROM {STAGE}")
    return written
