"""Usage files imported into file sources: from a command, or uploaded in the admin and
imported by the worker."""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Buffer, Callable
from typing import IO

from django.db import transaction
from django.utils import timezone

from leaderboard.domain.text import clean_text
from leaderboard.models import UsageFact
from leaderboard.services import accounts, outbox, usage

from ..files import FileFormatError, UsageFile, file_format
from ..models import Connection, IngestRun, Provider, UploadChunk
from ..records import storable
from ..selectors import forget_pull_state
from .connections import connect_provider
from .runs import close_interrupted_runs, exclusive, record_batches

log = logging.getLogger(__name__)


def _file_connection(source: str) -> Connection:
    connection, _ = connect_provider(name=source, provider=Provider.FILE)
    if connection.provider != Provider.FILE:
        raise ValueError(f"{source!r} is a {connection.provider} connection, not a file source")
    return connection


def import_usage_file(
    *,
    source: str,
    stream: IO[bytes],
    filename: str,
    fmt: str | None = None,
    trigger: str = "import",
    on_batch: Callable[[IngestRun], None] | None = None,
) -> IngestRun:
    """Import a usage file into a file source: good rows land, bad rows are quarantined with
    their line number. Importing the same file again changes nothing."""
    fmt = fmt or file_format(filename)
    run = IngestRun(
        connection=_file_connection(source),
        trigger=trigger,
        file_name=clean_text(filename, max_length=255),
    )
    return _import_file(run=run, stream=stream, fmt=fmt, on_batch=on_batch)


UPLOAD_CHUNK_BYTES = 4 << 20


def queue_usage_file(*, source: str, upload: IO[bytes], filename: str) -> IngestRun:
    """Keep an uploaded usage file for the worker and queue its import; return its run, which
    shows the import's progress from the moment the worker starts it."""
    file_format(filename)
    connection = _file_connection(source)
    today = timezone.now().date()
    with transaction.atomic():
        run = IngestRun.objects.create(
            connection=connection,
            trigger="admin",
            file_name=clean_text(filename, max_length=255),
            status=IngestRun.Status.QUEUED,
            window_start=today,
            window_end=today,
            started_at=timezone.now(),
        )
        for number, data in enumerate(iter(lambda: upload.read(UPLOAD_CHUNK_BYTES), b"")):
            UploadChunk.objects.create(run=run, number=number, data=data)
        from ..tasks import import_upload  # the tasks module imports this one

        outbox.queue_on_commit(import_upload, run.pk)
    return run


class _Upload(io.RawIOBase):
    """An upload's chunks read back in order, one at a time."""

    def __init__(self, run: IngestRun) -> None:
        self.run, self.number, self.rest = run, 0, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Buffer) -> int:
        if not self.rest:
            chunk = (
                UploadChunk.objects.filter(run=self.run, number=self.number)
                .values_list("data", flat=True)
                .first()
            )
            if chunk is None:
                return 0
            self.rest, self.number = bytes(chunk), self.number + 1
        with memoryview(buffer) as view:
            size = min(len(view), len(self.rest))
            view[:size], self.rest = self.rest[:size], self.rest[size:]
        return size


def import_upload(*, run: IngestRun) -> IngestRun:
    """Import an upload that queue_usage_file kept (the worker's half), then drop its bytes."""
    if run.status not in (IngestRun.Status.QUEUED, IngestRun.Status.RUNNING):
        return run  # imported already: a message delivered twice
    try:
        stream = io.BufferedReader(_Upload(run), buffer_size=1 << 20)
        return _import_file(run=run, stream=stream, fmt=file_format(run.file_name))
    finally:
        UploadChunk.objects.filter(run=run).delete()


def _import_file(
    *,
    run: IngestRun,
    stream: IO[bytes],
    fmt: str,
    on_batch: Callable[[IngestRun], None] | None = None,
) -> IngestRun:
    """Import a file into its run's file source; the run ends, whatever happens on the way."""
    connection = run.connection
    filename = run.file_name
    with exclusive(connection):
        now = timezone.now()
        close_interrupted_runs(connection, now, but=run.pk)
        run.status, run.started_at = IngestRun.Status.RUNNING, now
        run.window_start = run.window_end = now.date()
        run.pages = run.rows = run.rejected = run.accounts = 0
        run.error, run.finished_at = "", None
        run.save()

        def written(keys: set[tuple[dt.date, str, str]]) -> set[tuple[dt.date, str, str]]:
            """Which keys this import has stored already (its facts carry its start time)."""
            found = UsageFact.objects.filter(
                source=connection.source,
                recorded_at=now,
                day__in={k[0] for k in keys},
                account__external_id__in={k[1] for k in keys},
                model__in={k[2] for k in keys},
            ).values_list("day", "account__external_id", "model")
            return keys & set(found)

        usage_file = UsageFile(stream, fmt=fmt, source=connection.name, written=written)
        try:
            for directory, batch in usage_file.batches():
                run.accounts += accounts.sync_accounts(
                    provider=connection.source.provider, records=directory.accounts
                )
                record_batches(
                    connection=connection,
                    run=run,
                    batches=[batch],
                    recorded_at=now,
                    on_batch=on_batch,
                )
            run.status = IngestRun.Status.PARTIAL if run.rejected else IngestRun.Status.SUCCEEDED
            if run.rejected:
                run.error = f"{run.rejected} row(s) rejected; see Rejected rows."
        except FileFormatError as exc:
            run.status, run.error = IngestRun.Status.FAILED, f"{filename}: {exc}"
        except Exception as exc:
            # Rows are checked one by one, so this is a fault of ours or of the database: the
            # rows before it stay imported, and importing the file again completes it.
            log.exception("import of %s into %s failed", filename, connection.name)
            run.status = IngestRun.Status.FAILED
            run.error = (
                f"{filename}: the import stopped after {run.rows} row(s) ({type(exc).__name__}: "
                f"{exc}). Rows before it are imported; importing the file again completes it."
            )
        finally:
            if run.status == IngestRun.Status.RUNNING:  # interrupted (Ctrl-C, a shutdown)
                run.status = IngestRun.Status.FAILED
                run.error = f"{filename}: interrupted after {run.rows} row(s)"
            run.window_start = usage_file.first_day or run.window_start
            run.window_end = usage_file.last_day or run.window_end
            run.finished_at, run.error = timezone.now(), storable(run.error)
            run.save()
            forget_pull_state()
            if run.rows:
                usage.announce_usage(
                    source=connection.source, start=run.window_start, end=run.window_end
                )
    return run
