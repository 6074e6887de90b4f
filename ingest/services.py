"""Pulling usage: connection -> adapter -> leaderboard.services, recorded as an IngestRun."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from leaderboard import services as core

from .models import Connection, IngestRun, Provider
from .providers import DEFAULT_BASE_URLS, adapter_for
from .providers.http import ProviderError, ProviderUnavailable

log = logging.getLogger(__name__)
# A claim older than this belongs to a worker that died; the next pull may take over.
STALE_CLAIM = dt.timedelta(hours=2)


class PullInProgress(Exception):
    """Another pull of this connection is running."""


def connect_provider(
    *, name: str, provider: str, api_key: str = "", base_url: str = ""
) -> tuple[Connection, bool]:
    """Create or update a connection (and its usage source); return it and whether it is new."""
    if provider not in Provider.values:
        raise ValueError(f"unknown provider {provider!r}; choose from {', '.join(Provider.values)}")
    with transaction.atomic():
        connection = Connection.objects.filter(name=name).first()
        created = connection is None
        if connection is None:
            source = core.ensure_source(name=name, provider=provider)
            connection = Connection(name=name, provider=provider, source=source)
        elif connection.provider != provider:
            raise ValueError(
                f"connection {name!r} pulls from {connection.provider}, not {provider}; "
                "choose another name"
            )
        connection.base_url = base_url or connection.base_url or DEFAULT_BASE_URLS[provider]
        if api_key:
            connection.api_key = api_key
        connection.save()
    return connection, created


def incremental_window(connection: Connection, today: dt.date) -> tuple[dt.date, dt.date]:
    """Re-fetch recent days (providers revise them); a first pull backfills."""
    if connection.pulled_through is None:
        start = today - dt.timedelta(days=settings.INGEST_BACKFILL_DAYS - 1)
    else:
        start = connection.pulled_through - dt.timedelta(days=settings.INGEST_LOOKBACK_DAYS)
    return start, today


def _claim(connection: Connection, now: dt.datetime) -> bool:
    free = Q(pulling_since__isnull=True) | Q(pulling_since__lt=now - STALE_CLAIM)
    return bool(
        Connection.objects.filter(free, pk=connection.pk).update(
            pulling_since=now, last_pull_at=now
        )
    )


def pull_connection(
    *,
    connection: Connection,
    start: dt.date | None = None,
    end: dt.date | None = None,
    trigger: str = "schedule",
    on_page: Callable[[IngestRun], None] | None = None,
) -> IngestRun:
    """Pull a connection's usage for [start, end] (its incremental window by default).

    Pages are committed as they arrive, so a failure keeps what came before it; only a
    complete pull removes facts the provider no longer reports and moves the watermark.
    Transient failures are recorded and re-raised as ProviderUnavailable so callers can retry.
    """
    now = timezone.now()
    if start is None or end is None:
        default_start, default_end = incremental_window(connection, now.date())
        start, end = start or default_start, end or default_end
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    if not _claim(connection, now):
        raise PullInProgress(f"{connection.name} is already being pulled")
    run = IngestRun.objects.create(
        connection=connection, trigger=trigger, window_start=start, window_end=end, started_at=now
    )
    adapter = None
    try:
        adapter = adapter_for(
            provider=connection.provider, base_url=connection.base_url, api_key=connection.api_key
        )
        run.accounts = core.sync_accounts(provider=adapter.provider, records=adapter.accounts())
        for records in adapter.usage_pages(start, end):
            run.rows += core.record_usage(
                source=connection.source, records=records, recorded_at=now
            )
            run.pages += 1
            run.save(update_fields=["pages", "rows", "accounts"])
            if on_page:
                on_page(run)
        core.prune_usage(source=connection.source, start=start, end=end, recorded_before=now)
        run.status = IngestRun.Status.SUCCEEDED
        if connection.pulled_through is None or end > connection.pulled_through:
            Connection.objects.filter(pk=connection.pk).update(pulled_through=end)
            connection.pulled_through = end
    except ProviderError as exc:
        run.status, run.error = IngestRun.Status.FAILED, str(exc)
        log.warning("pull of %s failed: %s", connection.name, exc)
        if isinstance(exc, ProviderUnavailable):
            raise
    except Exception as exc:
        run.status, run.error = IngestRun.Status.FAILED, f"{type(exc).__name__}: {exc}"
        raise
    finally:
        run.finished_at = timezone.now()
        run.save()
        Connection.objects.filter(pk=connection.pk).update(pulling_since=None)
        if adapter is not None:
            adapter.close()
    return run


def due_connections(now: dt.datetime) -> list[Connection]:
    """Enabled connections whose schedule says it is time to pull."""
    return [
        c
        for c in Connection.objects.filter(enabled=True)
        if c.last_pull_at is None
        or c.last_pull_at + dt.timedelta(minutes=c.pull_every_minutes) <= now
    ]
