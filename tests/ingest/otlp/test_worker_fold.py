"""A real Celery worker folds received points; one killed mid-fold loses nothing and counts
nothing twice (tests.ingest.test_worker's worker processes, PostgreSQL and Redis)."""

from __future__ import annotations

import datetime as dt
import os
import signal

import pytest
from django.db import connection as db

from ingest.models import Connection, IngestRun
from ingest.services.receiver import connect_receiver, receive_metrics
from ingest.tasks import queue_due_pulls
from leaderboard.models import UsageFact
from tests.helpers import claude_code_export, wait_for

# The day of the Claude Code report the receiver tests read (tests/data/claude_code).
NOON = dt.datetime(2026, 8, 4, 12, tzinfo=dt.UTC)


pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def fact_totals() -> dict[str, int]:
    return {
        f.account.external_id: f.total_tokens for f in UsageFact.objects.select_related("account")
    }


def test_a_worker_folds_what_was_received(worker):
    worker()
    receiver, _ = connect_receiver(name="claude-otel")
    receive_metrics(
        connection=receiver,
        body=claude_code_export("ann@example.com", NOON, input=300, output=30),
        content_type="application/json",
    )  # queues the fold after commit
    wait_for(lambda: UsageFact.objects.exists(), "the worker to fold the points")
    assert fact_totals() == {"ann@example.com": 330}
    wait_for(lambda: Connection.objects.get(pk=receiver.pk).fold_from is None, "the mark to go")


def test_a_worker_killed_mid_fold_loses_nothing_and_counts_nothing_twice(worker, postgres):
    receiver, _ = connect_receiver(name="claude-otel")
    holder = postgres()
    holder.autocommit = False
    # the fold reaches its facts and waits there: the worst moment to be killed
    holder.execute("LOCK TABLE leaderboard_usagefact IN SHARE MODE")
    first = worker(DB_WORKER_CONNECTION_CHECK_INTERVAL="500")
    receive_metrics(
        connection=receiver,
        body=claude_code_export("ann@example.com", NOON, input=300, output=30),
        content_type="application/json",
    )

    def folding() -> bool:
        with db.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE '%%leaderboard_usagefact%%' AND pid <> pg_backend_pid()"
            )
            return cursor.fetchone() is not None

    wait_for(folding, "the fold to reach the facts")
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=20)
    holder.rollback()
    assert not UsageFact.objects.exists()
    assert Connection.objects.get(pk=receiver.pk).fold_from is not None  # still to be folded

    # the exporter sends the same request again (a re-send changes nothing and queues no
    # fold), and the schedule's pull of the receiver folds from the day still marked
    receive_metrics(
        connection=receiver,
        body=claude_code_export("ann@example.com", NOON, input=300, output=30),
        content_type="application/json",
    )
    worker()
    Connection.objects.filter(pk=receiver.pk).update(last_pull_at=None)
    queue_due_pulls.delay()
    wait_for(
        lambda: IngestRun.objects.filter(connection=receiver, status="succeeded").exists(),
        "the next fold",
    )
    killed = IngestRun.objects.filter(connection=receiver).order_by("started_at").first()
    assert killed.status == IngestRun.Status.FAILED and killed.error.startswith("Interrupted")
    assert fact_totals() == {"ann@example.com": 330}
