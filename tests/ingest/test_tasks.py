from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from celery.exceptions import Retry
from django.conf import settings
from django.db import connection
from django.test import override_settings

from ingest import tasks
from ingest.db import PULL_LOCK
from ingest.models import IngestRun
from ingest.selectors import due_connections
from ingest.services.pulls import incremental_window, pull_connection
from ingest.services.runs import PullInProgress

NOW = dt.datetime(2026, 8, 6, 1, 0, tzinfo=dt.UTC)
AUG3, AUG5 = dt.date(2026, 8, 3), dt.date(2026, 8, 5)


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


def test_a_connection_is_never_pulled_twice_at_once(openai_connection, postgres) -> None:
    other = postgres()  # another worker, holding the connection's pull lock
    other.execute("SELECT pg_advisory_lock(%s, %s)", [PULL_LOCK, openai_connection.pk])

    assert tasks.pull_connection(openai_connection.pk) is None
    with pytest.raises(PullInProgress):
        pull_connection(connection=openai_connection)
    skipped = IngestRun.objects.all()
    assert [r.status for r in skipped] == [IngestRun.Status.SKIPPED] * 2  # recorded as such
    assert all(r.finished_at for r in skipped)
    assert f"already being pulled (PostgreSQL session {other.info.backend_pid}" in skipped[0].error

    other.execute("SELECT pg_advisory_unlock(%s, %s)", [PULL_LOCK, openai_connection.pk])
    assert tasks.pull_connection(openai_connection.pk) is not None
    assert IngestRun.objects.exclude(status=IngestRun.Status.SKIPPED).count() == 1


def test_runs_left_running_by_a_dead_worker_are_closed_by_the_next_pull(openai_connection) -> None:
    dead = IngestRun.objects.create(
        connection=openai_connection, window_start=AUG3, window_end=AUG5, started_at=NOW
    )

    pull_connection(connection=openai_connection, start=AUG3, end=AUG5)

    dead.refresh_from_db()
    assert dead.status == IngestRun.Status.FAILED
    assert dead.error.startswith("Interrupted: the worker stopped")


def pull_and_listen(connection, capture_on_commit) -> tuple[IngestRun, list[tuple]]:
    """Pull Aug 3-5; return the run and the windows it announced for its source."""
    from leaderboard.signals import usage_recorded

    heard = []

    def listener(sender, **kwargs):
        if kwargs.get("source_id") == connection.source_id:  # not account matching
            heard.append((kwargs.get("start"), kwargs.get("end")))

    usage_recorded.connect(listener, dispatch_uid="test-listener")
    try:
        with capture_on_commit(execute=True):
            run = pull_connection(connection=connection, start=AUG3, end=AUG5)
    finally:
        usage_recorded.disconnect(dispatch_uid="test-listener")
    return run, heard


def test_a_pull_of_many_pages_announces_its_window_once(
    openai_connection, django_capture_on_commit_callbacks
):
    run, heard = pull_and_listen(openai_connection, django_capture_on_commit_callbacks)

    assert run.pages == 2
    assert heard == [(AUG3, AUG5)]


def test_a_pull_that_changes_nothing_announces_nothing(
    postgres, openai_connection, django_capture_on_commit_callbacks
):
    pull_connection(connection=openai_connection, start=AUG3, end=AUG5)

    run, heard = pull_and_listen(openai_connection, django_capture_on_commit_callbacks)

    assert run.status == IngestRun.Status.SUCCEEDED and run.rows == 9
    assert heard == []  # no badge evaluation, no ranking queued


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@override_settings(INGEST_BACKFILL_DAYS=4)
def test_a_pull_that_the_database_fails_is_closed_and_retried(
    openai_connection, openai_api, postgres
):
    # Another session holds the usage table: the pull's first write passes the statement
    # timeout.
    holder = postgres()
    holder.autocommit = False
    holder.execute("LOCK TABLE leaderboard_usagefact IN ACCESS EXCLUSIVE MODE")
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = '1s'")
    try:
        with pytest.raises(Retry, match="statement timeout"):  # the task is tried again later
            tasks.pull_connection.apply(args=[openai_connection.pk])
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")

    failed = IngestRun.objects.get()
    assert failed.status == IngestRun.Status.FAILED  # closed, never left "running"
    assert failed.finished_at is not None
    assert failed.error.startswith("The database failed during the pull (OperationalError: ")
    assert "statement timeout" in failed.error

    holder.rollback()
    retried = tasks.pull_connection.apply(args=[openai_connection.pk])

    assert retried.state == "SUCCESS"
    assert IngestRun.objects.get(pk=retried.get()).status == IngestRun.Status.SUCCEEDED
