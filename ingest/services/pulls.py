"""Pulling usage: connection -> adapter -> leaderboard.services, recorded as an IngestRun."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from contextlib import ExitStack

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from leaderboard.services import accounts, rankings, usage

from .. import overlap
from ..credentials import CredentialError
from ..models import Connection, IngestRun, ReportPath
from ..providers import Adapter, adapter_for
from ..providers.anthropic import AnthropicAdapter
from ..providers.http import NO_PAYLOAD, ProviderError, ProviderUnavailable
from ..records import Rejection, raw_text
from ..selectors import forget_pull_state
from .connections import failure_message, shown
from .deletions import settle_deletions
from .runs import (
    PullInProgress,
    close_interrupted_runs,
    close_run,
    exclusive,
    quarantine,
    record_batches,
    record_skipped_pull,
)

log = logging.getLogger(__name__)


def incremental_window(connection: Connection, today: dt.date) -> tuple[dt.date, dt.date]:
    """Re-fetch recent days (providers revise them); a first pull backfills."""
    if connection.pulled_through is None:
        start = today - dt.timedelta(days=settings.INGEST_BACKFILL_DAYS - 1)
    else:
        start = connection.pulled_through - dt.timedelta(days=settings.INGEST_LOOKBACK_DAYS)
    if connection.fold_from is not None:  # a receiver: from the earliest day received since
        start = min(start, connection.fold_from)  # its last fold (services.receiver)
    return start, today


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
        close_interrupted_runs(connection, now)
        usage_before = rankings.current_version()
        counted_before = overlap.counted_people(connection=connection, start=start, end=end)
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
                tenant=connection.tenant,
                connection_id=connection.pk,
            )
            directory = adapter.accounts()
            _note_report_path(connection, adapter, now)
            run.accounts = accounts.sync_accounts(
                provider=connection.source.provider, records=directory.accounts
            )
            run.rejected += quarantine(
                connection=connection, run=run, rejections=directory.rejected
            )
            record_batches(
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
            run.status, run.error = IngestRun.Status.FAILED, failure_message(connection, exc)
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
            close_run(run)
            forget_pull_state()
            usage.forget_seen(source=connection.source, through=now)
            if adapter is not None:
                adapter.close()
            # Once per pull: badges re-check the window (even after a failure), unless the
            # pull changed nothing (the usage version moves with every changed fact).
            if run.rows and rankings.current_version() != usage_before:
                usage.announce_usage(source=connection.source, start=start, end=end)
                overlap.queue_rechecks(
                    connection=connection, start=start, end=end, counted_before=counted_before
                )
    return run
