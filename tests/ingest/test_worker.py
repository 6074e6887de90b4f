"""A real Celery worker process against the real Redis and PostgreSQL: scheduled pulls land,
and a worker killed halfway through a pull loses nothing and counts nothing twice."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from ingest.db import PULL_LOCK
from ingest.models import IngestRun
from ingest.tasks import queue_due_pulls
from leaderboard.models import UsageFact
from leaderboard.selectors import usage
from tests.factories import AccountFactory, UsageFactFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
ROOT = Path(__file__).resolve().parents[2]
AUGUST = usage.month_of(dt.date(2026, 8, 3))
UNINTERRUPTED = {  # what an uninterrupted pull of the recorded pages gives (test_openai_pull)
    "alice.nguyen@example.com": 100_500,
    "carmen.diaz@example.com": 68_800,
    "bob.okafor@example.com": 35_900,
}


def wait_for(condition: Callable[[], object], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def worker(tmp_path) -> Iterator[Callable[[], subprocess.Popen]]:
    """Start `celery worker` processes on the test database and a Redis database of their own."""
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip("needs PostgreSQL and Redis (CI runs it; set DATABASE_URL and REDIS_URL)")
    broker = redis.Redis.from_url(settings.REDIS_URL)
    broker.flushdb()  # no message of an earlier run may reach these workers
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:"
        f"{db['PORT']}/{db['NAME']}",
        "SECRET_KEY": settings.SECRET_KEY,  # the same key decrypts the stored admin key
        "DEBUG": "false",
        "INGEST_ALLOW_PRIVATE_URLS": "true",  # the stubs listen on http://127.0.0.1
    }
    started: list[subprocess.Popen] = []

    def start(**overrides: str) -> subprocess.Popen:
        log = (tmp_path / f"worker{len(started)}.log").open("w")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "leaderboard",
                "worker",
                "--pool",
                "solo",
                "--loglevel",
                "INFO",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env={**env, **overrides},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
    broker.flushdb()


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
