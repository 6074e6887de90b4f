"""A real Celery worker pulling a LiteLLM proxy, killed mid-pull: the next pull loses
nothing and counts nothing twice."""

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

from ingest.models import IngestRun
from ingest.tasks import queue_due_pulls
from leaderboard.models import UsageFact
from leaderboard.selectors import usage

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
ROOT = Path(__file__).resolve().parents[3]
AUGUST = usage.month_of(dt.date(2026, 8, 3))
UNINTERRUPTED = {  # what an uninterrupted pull gives (test_litellm_pull)
    "alice.nguyen@example.com": 12_000 + 800 + 5_000 + 1_200 + 31_000 + 2_100,
    "bob.okafor@example.com": 8_000 + 900 + 4_000 + 500,
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
    """`celery worker` processes on the test database (as tests/ingest/test_worker.py)."""
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip("needs PostgreSQL and Redis (CI runs it; set DATABASE_URL and REDIS_URL)")
    broker = redis.Redis.from_url(settings.REDIS_URL)
    broker.flushdb()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:"
        f"{db['PORT']}/{db['NAME']}",
        "SECRET_KEY": settings.SECRET_KEY,
        "DEBUG": "false",
        "INGEST_ALLOW_PRIVATE_URLS": "true",
    }
    started: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        log = (tmp_path / f"worker{len(started)}.log").open("w")
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "leaderboard", "worker"),
                *("--pool", "solo", "--loglevel", "INFO", "--without-heartbeat"),
                *("--without-gossip", "--without-mingle"),
            ],
            cwd=ROOT,
            env=env,
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
def august(litellm_connection, settings):
    """A connection whose incremental window starts at the recorded days."""
    litellm_connection.pulled_through = dt.date(2026, 8, 6)
    litellm_connection.save()
    settings.INGEST_LOOKBACK_DAYS = 3
    return litellm_connection


def test_a_worker_killed_mid_pull_loses_nothing_and_counts_nothing_twice(
    worker, august, litellm_api
) -> None:
    bobs_page = litellm_api.hold(("u-bob", 1))  # after the global view and Alice's
    first = worker()
    queue_due_pulls.delay()
    wait_for(
        lambda: UsageFact.objects.filter(account__external_id="u-alice").exists(),
        "Alice's facts to be committed",
    )

    os.killpg(first.pid, signal.SIGKILL)  # mid-pull: Bob's page was asked for, never answered
    first.wait(timeout=20)
    bobs_page.set()
    assert totals() == {"alice.nguyen@example.com": UNINTERRUPTED["alice.nguyen@example.com"]}

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
