"""Pulling usage: connection -> adapter -> leaderboard.services, recorded as an IngestRun."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import re
from collections.abc import Buffer, Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from typing import IO

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db import connection as db
from django.utils import timezone

from leaderboard import audit, outbox, rankings
from leaderboard import services as core
from leaderboard.models import Source, UsageFact, User
from leaderboard.text import clean_text

from . import overlap
from .credentials import CredentialError
from .files import FileFormatError, UsageFile, file_format
from .models import (
    Connection,
    HeldFact,
    IngestRun,
    Provider,
    RejectedRow,
    ReportPath,
    UploadChunk,
)
from .providers import DEFAULT_BASE_URLS, Adapter, adapter_for, check_connection_url
from .providers.anthropic import AnthropicAdapter
from .providers.http import NO_PAYLOAD, ProviderError, ProviderRejected, ProviderUnavailable
from .records import Batch, Rejection, raw_text, storable
from .redaction import redact
from .selectors import forget_pull_state

log = logging.getLogger(__name__)
PULL_LOCK = 0x746B6264  # advisory-lock namespace for "one pull per connection"


class PullInProgress(Exception):
    """Another pull of this connection is running."""


def connect_provider(
    *, name: str, provider: str, api_key: str = "", base_url: str = "", by: User | None = None
) -> tuple[Connection, bool]:
    """Create or update a connection (and its usage source); return it and whether it is new."""
    if provider not in Provider.values:
        raise ValueError(f"unknown provider {provider!r}; choose from {', '.join(Provider.values)}")
    check_source_name(name=name, provider=provider)
    with transaction.atomic():
        connection = Connection.objects.filter(name=name).first()
        created = connection is None
        if connection is None:
            connection = Connection(
                name=name, provider=provider, source=source_for(name=name, provider=provider)
            )
        elif connection.provider != provider:
            raise ValueError(
                f"connection {name!r} pulls from {connection.provider}, not {provider}; "
                "choose another name"
            )
        new_url = base_url or connection.base_url or DEFAULT_BASE_URLS[provider]
        check_connection_url(provider=provider, base_url=new_url)
        moved = not created and new_url != connection.base_url
        if moved and connection.encrypted_api_key and not api_key:
            raise ValueError(
                f"give the admin key again to move connection {name!r} to {new_url}: "
                "a stored key is only sent where it was entered for"
            )
        connection.base_url = new_url
        if provider == Provider.FILE:
            connection.enabled = False  # files are imported, never pulled on a schedule
        if api_key:
            connection.api_key = api_key
        connection.save()
        if created or api_key or base_url:
            audit.record(
                actor=by,
                action="connection created" if created else ("connection updated"),
                target=connection,
                details={
                    "key replaced": bool(api_key) and not created,
                    "base_url": connection.base_url,
                },
            )
    return connection, created


def source_for(*, name: str, provider: str) -> Source:
    """The usage source of a new connection. Its provider namespaces account ids: every
    file source gets its own, since one file's ids mean nothing in another."""
    namespace = f"file:{name}" if provider == Provider.FILE else provider
    return core.ensure_source(name=name, provider=namespace)


def incremental_window(connection: Connection, today: dt.date) -> tuple[dt.date, dt.date]:
    """Re-fetch recent days (providers revise them); a first pull backfills."""
    if connection.pulled_through is None:
        start = today - dt.timedelta(days=settings.INGEST_BACKFILL_DAYS - 1)
    else:
        start = connection.pulled_through - dt.timedelta(days=settings.INGEST_LOOKBACK_DAYS)
    return start, today


@contextmanager
def exclusive(connection: Connection) -> Iterator[None]:
    """Hold the connection's pull lock, or raise PullInProgress.

    A PostgreSQL session lock: the server releases it when a killed worker's connection
    drops, so a crash never blocks the next pull. SQLite (a laptop, one process) has none.
    """
    if db.vendor != "postgresql":
        yield
        return
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [PULL_LOCK, connection.pk])
        if not cursor.fetchone()[0]:
            raise PullInProgress(f"{connection.name} is already being pulled{_holder(connection)}")
    try:
        yield
    finally:
        try:
            with db.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [PULL_LOCK, connection.pk])
        except DatabaseError:
            # The session is broken (the error that ended the pull, most likely): dropping it
            # releases the lock, and the next query opens a new one.
            db.close()


def _holder(connection: Connection) -> str:
    """Who holds a connection's pull lock, in words ("" if it is gone already)."""
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT a.pid, a.state, a.query_start, a.xact_start FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted "
            "AND l.classid::bigint = %s AND l.objid::bigint = %s AND l.objsubid = 2",
            [PULL_LOCK, connection.pk],
        )
        row = cursor.fetchone()
    if row is None:
        return ""
    pid, state, query_start, xact_start = row
    since = query_start or xact_start
    return f" (PostgreSQL session {pid}, {state or 'state unknown'}" + (
        f", last query at {since:%Y-%m-%d %H:%M:%S %Z})" if since else ")"
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


def _secrets(connection: Connection) -> list[str]:
    try:
        return [connection.api_key]
    except CredentialError:
        return []


def shown(connection: Connection, text: str) -> str:
    """Provider text as it may be stored or shown: nothing key-like, no NUL. (A file carries
    no key, and its rows' long ids must stay readable for review.)"""
    if connection.provider == Provider.FILE:
        return storable(text)
    return storable(redact(text, secrets=_secrets(connection)))


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


def _record(
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
        run.rows += core.record_usage(
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


def _close_interrupted_runs(
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


def _close_run(run: IngestRun) -> None:
    """Save how a run ended, on a new database session if the error broke the pull's own."""
    try:
        run.save()
    except DatabaseError:
        db.close()  # also drops the pull lock: the pull is over
        run.save()


def _failure_message(connection: Connection, exc: ProviderError) -> str:
    if isinstance(exc, ProviderRejected) and exc.bad_key:
        return (
            f"{connection.get_provider_display()} refused the admin key of connection "
            f"'{connection.name}' ({exc}). Put a valid admin key in with "
            f"`manage.py connect_provider {connection.name} --provider {connection.provider} "
            "--api-key-env VAR` or in the admin."
        )
    return str(exc)


# A connection that fell back to the legacy Anthropic report tries the analytics one again
# after this long.
REPROBE_AFTER = dt.timedelta(days=1)


def report_path_hint(connection: Connection, now: dt.datetime) -> str:
    """The Anthropic report to read without probing first: the legacy one for a day after a
    probe found the analytics endpoint unavailable; otherwise none (probe)."""
    decided = connection.report_path_decided_at
    if connection.report_path == ReportPath.LEGACY and decided and now - decided < REPROBE_AFTER:
        return ReportPath.LEGACY
    return ""


def _note_report_path(connection: Connection, adapter: Adapter, now: dt.datetime) -> None:
    """Keep which Anthropic report a pull read, once it has read its accounts with it."""
    if isinstance(adapter, AnthropicAdapter) and adapter.probed:
        Connection.objects.filter(pk=connection.pk).update(
            report_path=adapter.path, report_path_decided_at=now
        )
        connection.report_path, connection.report_path_decided_at = adapter.path, now


def pull_connection(
    *,
    connection: Connection,
    start: dt.date | None = None,
    end: dt.date | None = None,
    trigger: str = "schedule",
    on_page: Callable[[IngestRun], None] | None = None,
) -> IngestRun:
    """Pull a connection's usage for [start, end] (its incremental window by default).

    Pages are committed as they arrive and unreadable rows are quarantined, so a failure keeps
    what came before it. Only a clean, complete pull removes facts the provider no longer
    reports; a complete one moves the watermark. Transient failures are recorded and re-raised
    as ProviderUnavailable so the task can retry later.
    """
    now = timezone.now()
    if start is None or end is None:
        default_start, default_end = incremental_window(connection, now.date())
        start, end = start or default_start, end or default_end
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    with ExitStack() as held:
        try:
            held.enter_context(exclusive(connection))
        except PullInProgress as exc:
            record_skipped_pull(
                connection=connection, trigger=trigger, start=start, end=end, reason=str(exc)
            )
            raise
        _close_interrupted_runs(connection, now)
        usage_before = rankings.current_version()
        Connection.objects.filter(pk=connection.pk).update(last_pull_at=now)
        run = IngestRun.objects.create(
            connection=connection,
            trigger=trigger,
            window_start=start,
            window_end=end,
            started_at=now,
        )
        adapter = None
        try:
            adapter = adapter_for(
                provider=connection.provider,
                base_url=connection.base_url,
                api_key=connection.api_key,
                report_path=report_path_hint(connection, now),
            )
            directory = adapter.accounts()
            _note_report_path(connection, adapter, now)
            run.accounts = core.sync_accounts(
                provider=connection.source.provider, records=directory.accounts
            )
            run.rejected += quarantine(
                connection=connection, run=run, rejections=directory.rejected
            )
            _record(
                connection=connection,
                run=run,
                batches=adapter.usage(start, end),
                recorded_at=now,
                on_batch=on_page,
                # most of a window read again is unchanged: left as it is, noted as seen
                keep_unchanged=True,
            )
            if run.rejected:
                run.status = IngestRun.Status.PARTIAL
                run.error = f"{run.rejected} row(s) could not be read; see Rejected rows."
            else:
                run.status = IngestRun.Status.SUCCEEDED
                settle_deletions(connection=connection, run=run, start=start, end=end)
                if run.status != IngestRun.Status.HELD:
                    overlap.prune(connection=connection, start=start, end=end, recorded_before=now)
            # a held pull may have missed pages: the next one reads its days again
            on_hold = run.status == IngestRun.Status.HELD
            if not on_hold and (
                connection.pulled_through is None or end > connection.pulled_through
            ):
                Connection.objects.filter(pk=connection.pk).update(pulled_through=end)
                connection.pulled_through = end
        except CredentialError as exc:
            run.status, run.error = IngestRun.Status.FAILED, str(exc)
        except ProviderError as exc:
            run.status, run.error = IngestRun.Status.FAILED, _failure_message(connection, exc)
            if exc.raw is not NO_PAYLOAD:
                run.rejected += quarantine(
                    connection=connection,
                    run=run,
                    rejections=[
                        Rejection(
                            location=f"page {run.pages + 1}", reason=str(exc), raw=raw_text(exc.raw)
                        )
                    ],
                )
            log.warning("pull of %s failed: %s", connection.name, shown(connection, run.error))
            if isinstance(exc, ProviderUnavailable):
                raise
        except DatabaseError as exc:
            run.status = IngestRun.Status.FAILED
            run.error = (
                f"The database failed during the pull ({type(exc).__name__}: {exc}); "
                "the pull is tried again later, and nothing recorded before it is lost."
            )
            raise
        except Exception as exc:
            run.status, run.error = IngestRun.Status.FAILED, f"{type(exc).__name__}: {exc}"
            raise
        finally:
            run.finished_at, run.error = timezone.now(), shown(connection, run.error)
            _close_run(run)
            forget_pull_state()
            core.forget_seen(source=connection.source, through=now)
            if adapter is not None:
                adapter.close()
            # Once per pull: badges re-check the window (even after a failure), unless the
            # pull changed nothing (the usage version moves with every changed fact).
            if run.rows and rankings.current_version() != usage_before:
                core.announce_usage(source=connection.source, start=start, end=end)
                overlap.queue_rechecks(connection=connection, start=start, end=end)
    return run


def settle_deletions(
    *, connection: Connection, run: IngestRun, start: dt.date, end: dt.date
) -> int:
    """Delete the facts in [start, end] that a complete pull (run) did not see; return how many.

    More than INGEST_PRUNE_MAX_SHARE of the window's facts is what a provider that ends its
    pages early looks like: those are held, and the run marked for review, unless an earlier
    held pull missed them too. Earlier holds in the window are settled either way.
    """
    source, pulled_at = connection.source, run.started_at
    unseen = dict(core.unseen_usage(source=source, start=start, end=end, pulled_at=pulled_at))
    earlier = HeldFact.objects.filter(
        run__connection=connection, run__status=IngestRun.Status.HELD, day__range=(start, end)
    ).exclude(run=run)
    agreed = unseen.keys() & set(earlier.values_list("fact_id", flat=True))
    rest = unseen.keys() - agreed
    window = UsageFact.objects.filter(source=source, day__range=(start, end)).count()
    held = rest if len(rest) > settings.INGEST_PRUNE_MAX_SHARE * window else set()
    deleted = core.delete_usage(source=source, ids=unseen.keys() - held, recorded_before=pulled_at)
    earlier.delete()  # deleted now, held again below, or seen after all
    for other in connection.runs.filter(status=IngestRun.Status.HELD).exclude(pk=run.pk):
        left = other.held_facts.count()
        if left != other.held:
            other.held = left
            if not left:
                other.status = IngestRun.Status.SUCCEEDED
                other.error = (
                    f"Its held deletions were settled by the pull of {pulled_at:%Y-%m-%d %H:%M}."
                )
            other.save(update_fields=["held", "status", "error"])
    if held:
        HeldFact.objects.bulk_create(
            HeldFact(run=run, fact_id=pk, day=unseen[pk]) for pk in sorted(held)
        )
        share = f"{settings.INGEST_PRUNE_MAX_SHARE:.0%}"
        run.status, run.held = IngestRun.Status.HELD, len(held)
        run.error = (
            f"{len(held)} of the window's {window} stored fact(s) were not in this pull and are "
            f"held, not deleted: more than {share}, as when a provider ends its pages early. "
            "If the provider did revise them away, confirm the deletion (Ingest runs, "
            "action: Confirm held deletions); a later pull that misses them too deletes them."
        )
    return deleted


def confirm_held_deletions(*, run: IngestRun, by: User | None = None) -> int:
    """Delete the facts a held pull did not see, as a manager confirms; return how many."""
    connection = run.connection
    with exclusive(connection), transaction.atomic():
        run = IngestRun.objects.select_for_update().get(pk=run.pk)
        if run.status != IngestRun.Status.HELD:
            return 0
        held = list(run.held_facts.values_list("fact_id", "day"))
        # none a later pull wrote again (it saw them revised)
        deleted = core.delete_usage(
            source=connection.source,
            ids=[pk for pk, _ in held],
            recorded_before=run.started_at,
        )
        run.held_facts.all().delete()
        run.status, run.held = IngestRun.Status.SUCCEEDED, 0
        run.error = (
            f"{deleted} fact(s) it did not see deleted, as confirmed by {by or 'a command'}."
        )
        run.save(update_fields=["status", "held", "error"])
        audit.record(
            actor=by,
            action="held deletions confirmed",
            target=run,
            details={"held": len(held), "deleted": deleted},
        )
        if deleted:
            days = [day for _, day in held]
            core.announce_usage(source=connection.source, start=min(days), end=max(days))
    forget_pull_state()
    return deleted


# A file source's accounts live under the provider "file:<name>", which must fit the
# 40 characters of Source.provider and Account.provider.
FILE_SOURCE_MAX_LENGTH = 35
SLUG = re.compile(r"[-a-zA-Z0-9_]+")


def check_source_name(*, name: str, provider: str) -> None:
    """Raise ValueError unless name can name a connection (and its source) of provider."""
    longest = FILE_SOURCE_MAX_LENGTH if provider == Provider.FILE else 80
    if not SLUG.fullmatch(name):
        raise ValueError(
            f"{name[:80]!r} cannot name a source: use letters, digits, hyphens and underscores"
        )
    if len(name) > longest:
        raise ValueError(f"a source name has at most {longest} characters; {name[:80]!r}… has more")


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


UPLOAD_REQUEUE_AFTER = dt.timedelta(minutes=10)


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
        from .tasks import import_upload  # the tasks module imports this one

        outbox.queue_on_commit(import_upload, run.pk)
    return run


def stale_uploads(now: dt.datetime) -> list[IngestRun]:
    """Admin uploads still queued UPLOAD_REQUEUE_AFTER after they were queued: their message
    may have been lost (a Redis restarted without persistence loses its queue), while their
    bytes wait in the database. Importing one twice is harmless (import_upload)."""
    return list(
        IngestRun.objects.filter(
            status=IngestRun.Status.QUEUED,
            started_at__lt=now - UPLOAD_REQUEUE_AFTER,
            chunks__isnull=False,
        ).distinct()
    )


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
        _close_interrupted_runs(connection, now, but=run.pk)
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
                run.accounts += core.sync_accounts(
                    provider=connection.source.provider, records=directory.accounts
                )
                _record(
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
                core.announce_usage(
                    source=connection.source, start=run.window_start, end=run.window_end
                )
    return run


def check_connection(*, connection: Connection) -> str:
    """Make one cheap authenticated call to the provider; return what it said."""
    try:
        adapter = adapter_for(
            provider=connection.provider, base_url=connection.base_url, api_key=connection.api_key
        )
    except CredentialError as exc:
        return str(exc)
    try:
        said = adapter.check()
    except ProviderError as exc:
        said = _failure_message(connection, exc)
    finally:
        adapter.close()
    return shown(connection, said)


def due_connections(now: dt.datetime) -> list[Connection]:
    """Enabled connections whose schedule says it is time to pull."""
    return [
        c
        for c in Connection.objects.filter(enabled=True).exclude(provider=Provider.FILE)
        if c.last_pull_at is None
        or c.last_pull_at + dt.timedelta(minutes=c.pull_every_minutes) <= now
    ]
