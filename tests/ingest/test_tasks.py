from __future__ import annotations

import datetime as dt

import time_machine
from django.conf import settings
from django.test import override_settings

from ingest import tasks
from ingest.models import IngestRun
from ingest.services import due_connections, incremental_window, pull_connection

NOW = dt.datetime(2026, 8, 6, 1, 0, tzinfo=dt.UTC)


def test_beat_queues_due_pulls_every_few_minutes() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["queue-due-pulls"]

    assert entry["task"] == tasks.queue_due_pulls.name == "ingest.queue_due_pulls"
    assert entry["schedule"] <= 15 * 60


def test_connections_are_due_hourly_by_default_and_never_when_disabled(openai_connection) -> None:
    assert due_connections(NOW) == [openai_connection]
    openai_connection.last_pull_at = NOW - dt.timedelta(minutes=59)
    openai_connection.save()
    assert due_connections(NOW) == []
    assert due_connections(NOW + dt.timedelta(minutes=1)) == [openai_connection]
    openai_connection.enabled = False
    openai_connection.save()
    assert due_connections(NOW + dt.timedelta(days=1)) == []


@override_settings(INGEST_BACKFILL_DAYS=4, INGEST_LOOKBACK_DAYS=2)
def test_incremental_window_backfills_then_refetches_recent_days(openai_connection) -> None:
    assert incremental_window(openai_connection, dt.date(2026, 8, 6)) == (
        dt.date(2026, 8, 3),
        dt.date(2026, 8, 6),
    )

    openai_connection.pulled_through = dt.date(2026, 8, 6)

    assert incremental_window(openai_connection, dt.date(2026, 8, 7)) == (
        dt.date(2026, 8, 4),
        dt.date(2026, 8, 7),
    )


@override_settings(INGEST_BACKFILL_DAYS=4)
def test_pull_task_pulls_the_incremental_window_and_moves_the_watermark(
    openai_connection, openai_api
):
    with time_machine.travel(NOW, tick=False):
        run_id = tasks.pull_connection(openai_connection.pk)

    run = IngestRun.objects.get(pk=run_id)
    assert (run.status, run.trigger, run.rows) == (IngestRun.Status.SUCCEEDED, "schedule", 9)
    assert (run.window_start, run.window_end) == (dt.date(2026, 8, 3), dt.date(2026, 8, 6))
    openai_connection.refresh_from_db()
    assert openai_connection.pulled_through == dt.date(2026, 8, 6)
    assert openai_connection.last_pull_at == NOW


def test_a_connection_is_never_pulled_twice_at_once(openai_connection) -> None:
    openai_connection.__class__.objects.filter(pk=openai_connection.pk).update(
        pulling_since=dt.datetime.now(dt.UTC)
    )

    assert tasks.pull_connection(openai_connection.pk) is None
    assert not IngestRun.objects.exists()


def test_a_claim_left_by_a_dead_worker_expires(openai_connection) -> None:
    openai_connection.__class__.objects.filter(pk=openai_connection.pk).update(
        pulling_since=dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
    )

    run = pull_connection(
        connection=openai_connection, start=dt.date(2026, 8, 3), end=dt.date(2026, 8, 5)
    )

    assert run.status == IngestRun.Status.SUCCEEDED
