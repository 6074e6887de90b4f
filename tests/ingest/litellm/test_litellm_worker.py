"""A real Celery worker pulling a LiteLLM proxy, killed mid-pull: the next pull loses
nothing and counts nothing twice."""

from __future__ import annotations

import datetime as dt
import os
import signal

import pytest

from ingest.models import IngestRun
from ingest.tasks import queue_due_pulls
from leaderboard.models import UsageFact
from leaderboard.selectors import usage
from tests.helpers import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
AUGUST = usage.month_of(dt.date(2026, 8, 3))
UNINTERRUPTED = {  # what an uninterrupted pull gives (test_litellm_pull)
    "alice.nguyen@example.com": 12_000 + 800 + 5_000 + 1_200 + 31_000 + 2_100,
    "bob.okafor@example.com": 8_000 + 900 + 4_000 + 500,
}


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
