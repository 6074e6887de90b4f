"""The bookkeeping every pull and file import shares: one at a time per connection, runs
that were skipped or interrupted, rows kept for review, batches recorded as they come."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from django.db import DatabaseError
from django.utils import timezone

from leaderboard.services import usage

from .. import db, overlap
from ..models import Connection, IngestRun, Provider, RejectedRow
from ..records import Batch, Rejection
from .connections import shown

log = logging.getLogger(__name__)


class PullInProgress(Exception):
    """Another pull of this connection is running."""


@contextmanager
def exclusive(connection: Connection) -> Iterator[None]:
    """Hold the connection's pull lock, or raise PullInProgress.

    A PostgreSQL session lock: the server releases it when a killed worker's connection
    drops, so a crash never blocks the next pull. SQLite (a laptop, one process) has none.
    """
    if not db.try_pull_lock(connection.pk):
        raise PullInProgress(f"{connection.name} is already being pulled{_holder(connection)}")
    try:
        yield
    finally:
        db.release_pull_lock(connection.pk)


def _holder(connection: Connection) -> str:
    """Who holds a connection's pull lock, in words ("" if it is gone already)."""
    holder = db.pull_lock_holder(connection.pk)
    if holder is None:
        return ""
    return f" (PostgreSQL session {holder.pid}, {holder.state or 'state unknown'}" + (
        f", last query at {holder.since:%Y-%m-%d %H:%M:%S %Z})" if holder.since else ")"
    )


def record_skipped_pull(
    *, connection: Connection, trigger: str, start: dt.date, end: dt.date, reason: str
) -> IngestRun:
    """Note a pull that did not run because another held the connection's lock."""
    now = timezone.now()
    log.warning("pull of %s skipped: %s", connection.name, reason)
    return IngestRun.objects.create(
        connection=connection,
        trigger=trigger,
        window_start=start,
        window_end=end,
        started_at=now,
        finished_at=now,
        status=IngestRun.Status.SKIPPED,
        error=f"Skipped: {reason}. A pull whose worker was killed holds the lock until "
        "PostgreSQL notices (DB_WORKER_CONNECTION_CHECK_INTERVAL); the next scheduled pull "
        "fetches the same window.",
    )


def quarantine(
    *, connection: Connection, run: IngestRun | None, rejections: Iterable[Rejection]
) -> int:
    """Keep rows that could not be read for review; the same row seen again is kept once."""
    rows = {}
    for r in rejections:
        location, reason, raw = (shown(connection, t) for t in (r.location, r.reason, r.raw))
        fingerprint = hashlib.sha256(f"{location}\0{reason}\0{raw}".encode()).hexdigest()
        rows[fingerprint] = RejectedRow(
            connection=connection,
            run=run,
            location=location[:200],
            reason=reason,
            raw=raw,
            fingerprint=fingerprint,
        )
    RejectedRow.objects.bulk_create(
        rows.values(),
        update_conflicts=True,
        unique_fields=["connection", "fingerprint"],
        update_fields=["run", "last_seen"],
    )
    return len(rows)


def record_batches(
    *,
    connection: Connection,
    run: IngestRun,
    batches: Iterable[Batch],
    recorded_at: dt.datetime,
    on_batch: Callable[[IngestRun], None] | None,
    keep_unchanged: bool = False,
) -> None:
    """Record each batch as it comes, so a failure keeps everything before it; usage that
    another source stands for is set aside (ingest.overlap)."""
    for batch in batches:
        records, aside = overlap.settle(connection=connection, records=batch.records)
        run.rows += usage.record_usage(
            source=connection.source,
            records=records,
            recorded_at=recorded_at,
            announce=False,
            keep_unchanged=keep_unchanged,
        )
        if aside:
            overlap.keep(connection=connection, run=run, aside=aside, recorded_at=recorded_at)
        run.rejected += quarantine(connection=connection, run=run, rejections=batch.rejected)
        run.pages += 1
        run.save(update_fields=["pages", "rows", "rejected", "accounts"])
        if on_batch:
            on_batch(run)


def close_interrupted_runs(
    connection: Connection, now: dt.datetime, but: int | None = None
) -> None:
    """Runs still 'running' while we hold the lock belong to a worker that died."""
    running = connection.runs.filter(status=IngestRun.Status.RUNNING)
    if but is not None:
        running = running.exclude(pk=but)
    running.update(
        status=IngestRun.Status.FAILED,
        finished_at=now,
        error="Interrupted: the worker stopped before the pull finished. Later pulls fetch the "
        "same window again, so nothing is lost or counted twice."
        if connection.provider != Provider.FILE
        else "Interrupted: the import stopped before the end of the file. Rows before that "
        "point are imported; importing the file again completes it.",
    )


def close_run(run: IngestRun) -> None:
    """Save how a run ended, on a new database session if the error broke the pull's own."""
    try:
        run.save()
    except DatabaseError:
        db.drop_session()  # also drops the pull lock: the pull is over
        run.save()
