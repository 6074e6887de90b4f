"""Celery tasks: thin wrappers over ingest.services."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from . import selectors
from .models import Connection, IngestRun
from .providers.http import ProviderUnavailable
from .services import pulls, receiver, uploads
from .services.runs import PullInProgress


@shared_task(
    name="ingest.pull_connection",
    # A provider or the database failing for a while: both usually come back.
    autoretry_for=(ProviderUnavailable, OperationalError, InterfaceError),
    retry_backoff=60,
    retry_backoff_max=1800,
    retry_jitter=True,
    max_retries=5,
)
def pull_connection(
    connection_id: int, trigger: str = "schedule", start: str | None = None, end: str | None = None
) -> int | None:
    """Pull one connection's incremental window, or the days start..end (ISO dates, both
    given); return the IngestRun id."""
    connection = Connection.objects.filter(pk=connection_id, enabled=True).first()
    if connection is None:
        return None
    first: dt.date | None = None
    last: dt.date | None = None
    if start and end:
        first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    try:
        return pulls.pull_connection(
            connection=connection, trigger=trigger, start=first, end=last
        ).pk
    except PullInProgress:
        return None


@shared_task(name="ingest.queue_due_pulls")
def queue_due_pulls() -> list[int]:
    """Queue a pull for every enabled connection whose schedule is due."""
    due = selectors.due_connections(timezone.now())
    for connection in due:
        pull_connection.delay(connection.pk)
    return [c.pk for c in due]


@shared_task(
    name="ingest.import_upload",
    autoretry_for=(PullInProgress,),  # another import of that source is running
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=20,
)
def import_upload(run_id: int) -> str | None:
    """Import a usage file uploaded in the admin; return how its run ended."""
    run = IngestRun.objects.select_related("connection__source").filter(pk=run_id).first()
    if run is None:
        return None
    return uploads.import_upload(run=run).status


@shared_task(name="ingest.requeue_stale_uploads")
def requeue_stale_uploads() -> list[int]:
    """Queue again every admin upload whose import message was lost; return their run ids."""
    stale = selectors.stale_uploads(timezone.now())
    for run in stale:
        import_upload.delay(run.pk)
    return [run.pk for run in stale]


@shared_task(
    name="ingest.fold_received",
    # a pull of the receiver (a fold, or the schedule's) is running: this one comes after it
    autoretry_for=(PullInProgress, OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=30,
)
def fold_received(connection_id: int) -> int | None:
    """Fold an OpenTelemetry receiver's new points into facts; return the IngestRun id."""
    connection = Connection.objects.filter(pk=connection_id, enabled=True).first()
    if connection is None:
        return None
    return receiver.fold(connection=connection).pk
