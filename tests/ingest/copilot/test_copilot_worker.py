"""A real Celery worker pulls Copilot reports; killed while a report file is downloading, the
next pull loses nothing and counts nothing twice."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading

import pytest
from django.db.models import Sum

from ingest.models import IngestRun
from ingest.tasks import queue_due_pulls
from leaderboard.models import UsageFact
from leaderboard.selectors import usage
from tests.factories import PersonFactory
from tests.helpers import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
AUGUST = usage.month_of(dt.date(2026, 8, 3))
# What an uninterrupted pull of the recorded reports gives (test_copilot_pull): tokens from
# the Copilot CLI only, and every interaction as a request.
UNINTERRUPTED = {
    "alice.nguyen@example.com": (3_800 + 5_000, 12 + 2 + 20),
    "carmen.diaz@example.com": (1_200 + 800, 7 + 2 + 4),
}


def totals() -> dict[str, tuple[int, int]]:
    tokens = {p.email: p.total_tokens for p in usage.standings(period=AUGUST)}
    requests = dict(
        UsageFact.objects.values_list("account__person__email")
        .annotate(Sum("requests"))
        .values_list("account__person__email", "requests__sum")
    )
    return {email: (tokens[email], requests[email]) for email in tokens}


def test_a_worker_killed_mid_download_loses_nothing_and_counts_nothing_twice(
    worker, copilot_connection, copilot_api
) -> None:
    PersonFactory(email="alice.nguyen@example.com")
    PersonFactory(email="carmen.diaz@example.com")
    copilot_connection.pulled_through = dt.date(2026, 8, 6)  # the window starts on Aug 3
    copilot_connection.save()
    second_day = copilot_api.held["2026-08-04/1"] = threading.Event()
    first = worker()
    queue_due_pulls.delay()
    wait_for(lambda: IngestRun.objects.filter(pages__gte=1).exists(), "Aug 3 to be committed")
    wait_for(
        lambda: copilot_api.file_requests[-1:] and "08-04" in copilot_api.file_requests[-1].path,
        "the Aug 4 file to be asked for",
    )

    os.killpg(first.pid, signal.SIGKILL)  # mid-pull: Aug 4's file was asked for, never served
    first.wait(timeout=20)
    second_day.set()
    assert UsageFact.objects.filter(day=dt.date(2026, 8, 4)).count() == 0
    assert UsageFact.objects.count() == 5  # Aug 3: four users and one CLI use

    worker()
    copilot_connection.refresh_from_db()
    copilot_connection.last_pull_at = None
    copilot_connection.save()
    queue_due_pulls.delay()

    wait_for(
        lambda: IngestRun.objects.filter(status=IngestRun.Status.SUCCEEDED).exists(),
        "the second worker to finish the pull",
    )
    killed = IngestRun.objects.order_by("started_at").first()
    assert killed.status == IngestRun.Status.FAILED
    assert killed.error.startswith("Interrupted")
    assert UsageFact.objects.count() == 9
    ranked = totals()
    assert {e: ranked[e] for e in UNINTERRUPTED} == UNINTERRUPTED
