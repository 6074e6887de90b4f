"""A real Celery worker process against the real Redis and PostgreSQL: scheduled pulls land,
and a worker killed halfway through a pull loses nothing and counts nothing twice."""

from __future__ import annotations

import datetime as dt
import os
import signal
import time

import pytest
from django.db import connection
from django.utils import timezone

from ingest.db import PULL_LOCK
from ingest.models import IngestRun
from ingest.tasks import queue_due_pulls
from leaderboard.models import UsageFact
from leaderboard.selectors import usage
from tests.factories import AccountFactory, UsageFactFactory
from tests.helpers import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
AUGUST = usage.month_of(dt.date(2026, 8, 3))
UNINTERRUPTED = {  # what an uninterrupted pull of the recorded pages gives (test_openai_pull)
    "alice.nguyen@example.com": 100_500,
    "carmen.diaz@example.com": 68_800,
    "bob.okafor@example.com": 35_900,
}


def totals() -> dict[str, int]:
    return {p.email: p.total_tokens for p in usage.standings(period=AUGUST)}


@pytest.fixture
def august(openai_connection, settings):
    """A connection whose incremental window is the recorded days."""
    openai_connection.pulled_through = dt.date(2026, 8, 6)
    openai_connection.save()
    settings.INGEST_LOOKBACK_DAYS = 3
    return openai_connection


def test_the_scheduled_task_runs_in_a_worker_and_facts_land(worker, august) -> None:
    worker()

    queue_due_pulls.delay()

    wait_for(
        lambda: IngestRun.objects.filter(status=IngestRun.Status.SUCCEEDED).exists(),
        "the worker to finish the pull",
    )
    run = IngestRun.objects.get()
    assert (run.trigger, run.pages, run.rows) == ("schedule", 2, 9)
    assert totals() == UNINTERRUPTED


def test_a_worker_killed_mid_pull_loses_nothing_and_counts_nothing_twice(
    worker, august, openai_api
):
    second_page = openai_api.hold("page_AAAAAGkFhQBpBYUAAAAAAGkGwIA=")
    first = worker()
    queue_due_pulls.delay()
    wait_for(lambda: IngestRun.objects.filter(pages=1).exists(), "page 1 to be committed")

    os.killpg(first.pid, signal.SIGKILL)  # mid-pull: page 2 was asked for, never answered
    first.wait(timeout=20)
    second_page.set()
    assert UsageFact.objects.count() == 4

    worker()
    august.last_pull_at = None
    august.save()
    queue_due_pulls.delay()

    wait_for(
        lambda: IngestRun.objects.filter(status=IngestRun.Status.SUCCEEDED).exists(),
        "the second worker to finish the pull",
    )
    killed = IngestRun.objects.order_by("started_at").first()
    assert killed.status == IngestRun.Status.FAILED
    assert killed.error.startswith("Interrupted")
    assert totals() == UNINTERRUPTED
    assert UsageFact.objects.count() == 9


def pull_lock_holders(connection_id: int) -> list[int]:
    """The PostgreSQL sessions holding a connection's pull lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid::bigint = %s AND objid::bigint = %s AND objsubid = 2",
            [PULL_LOCK, connection_id],
        )
        return [pid for (pid,) in cursor.fetchall()]


def test_a_worker_killed_during_the_prune_releases_the_pull_lock_and_the_next_pull_runs(
    worker, august, postgres
):
    # A fact the provider no longer reports, which the pull's prune deletes; another session
    # holds its row, so the prune's DELETE waits there: the worst moment to be killed.
    stale = UsageFactFactory(
        source=august.source,
        account=AccountFactory(provider=august.source.provider),
        day=dt.date(2026, 8, 4),
        model="gpt-withdrawn",
        recorded_at=timezone.now() - dt.timedelta(days=1),
    )
    holder = postgres()
    holder.autocommit = False
    holder.execute("SELECT 1 FROM leaderboard_usagefact WHERE id = %s FOR UPDATE", [stale.pk])
    first = worker(
        DB_WORKER_CONNECTION_CHECK_INTERVAL="500",
        DB_WORKER_STATEMENT_TIMEOUT="600000",
        INGEST_PRUNE_MAX_SHARE="1.0",  # a genuine revision: deleted, not held for review
    )
    queue_due_pulls.delay()

    def pruning() -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE 'DELETE FROM %%leaderboard_usagefact%%'"
            )
            return cursor.fetchone() is not None

    wait_for(pruning, "the pull to reach its prune")
    assert pull_lock_holders(august.pk)

    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=20)
    killed_at = time.monotonic()
    wait_for(lambda: not pull_lock_holders(august.pk), "the killed worker's lock", timeout=10)
    assert time.monotonic() - killed_at < 5  # the check interval (0.5 s), not minutes

    holder.rollback()
    worker()
    august.last_pull_at = None
    august.save()
    queue_due_pulls.delay()
    wait_for(
        lambda: IngestRun.objects.filter(status=IngestRun.Status.SUCCEEDED).exists(),
        "the next pull to run",
    )
    killed = IngestRun.objects.order_by("started_at").first()
    assert killed.status == IngestRun.Status.FAILED
    assert killed.error.startswith("Interrupted")
    assert not IngestRun.objects.filter(status=IngestRun.Status.SKIPPED).exists()
    assert not UsageFact.objects.filter(model="gpt-withdrawn").exists()
    assert totals() == UNINTERRUPTED
