"""A real Redis (the broker) killed during a pull and an import: the pull and the import
finish, the follow-ups they could not queue are kept, and once Redis is back they are queued
and run. And a Redis restarted without persistence loses its queue, which beat redoes."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import current_app
from django.core.management import call_command

from ingest.models import Connection, IngestRun
from ingest.services.uploads import import_usage_file
from ingest.tasks import queue_due_pulls
from leaderboard.models import PendingTask, RankedScope, UsageFact
from leaderboard.services import outbox
from tests.helpers import connect
from tests.redis_process import RedisProcess

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
FILES = Path(__file__).resolve().parents[1] / "data" / "files"
WINDOW = ("--start", "2026-08-03", "--end", "2026-08-05")


def repoint(url: str) -> None:
    """Make this process's Celery app publish to url (its pools are built on first use)."""
    current_app.conf.broker_url = url
    current_app.conf.broker_write_url = url
    current_app._pool = None
    current_app.amqp._producer_pool = None


@pytest.fixture
def broker(own_redis: RedisProcess, monkeypatch) -> Iterator[RedisProcess]:
    before = current_app.conf.broker_url
    monkeypatch.setattr(outbox, "_skip_until", 0.0)
    repoint(own_redis.url)
    yield own_redis
    repoint(before)


def queued(server: RedisProcess) -> list[tuple[str, list, dict]]:
    """(task, args, kwargs) of each message waiting in the default queue, oldest first."""
    messages = []
    for raw in reversed(server.client().lrange("celery", 0, -1)):
        message = json.loads(raw)
        body = json.loads(base64.b64decode(message["body"]))
        messages.append((message["headers"]["task"], body[0], body[1]))
    return messages


def run_queue(server: RedisProcess) -> list[str]:
    """What a worker does with the queue: run each message's task; return their names."""
    ran = []
    client = server.client()
    while raw := client.rpop("celery"):
        message = json.loads(raw)
        body = json.loads(base64.b64decode(message["body"]))
        current_app.tasks[message["headers"]["task"]].apply(args=body[0], kwargs=body[1]).get()
        ran.append(message["headers"]["task"])
    return ran


@pytest.fixture
def two_connections(openai_connection, openai_api) -> list[Connection]:
    return [openai_connection, connect("openai-second", "openai", openai_api.base_url)]


def test_a_pull_with_the_broker_dead_finishes_and_its_follow_ups_run_once_it_is_back(
    broker, two_connections, seeded_boards
) -> None:
    broker.kill()

    call_command("pull_usage", *WINDOW)  # raised here, after the first connection's commit

    runs = IngestRun.objects.order_by("pk")
    assert [(r.connection.name, r.status) for r in runs] == [
        ("openai-main", IngestRun.Status.SUCCEEDED),
        ("openai-second", IngestRun.Status.SUCCEEDED),
    ]
    assert UsageFact.objects.count() == 18  # 9 rows from each connection's source
    kept = sorted((p.task, p.args) for p in PendingTask.objects.all())
    assert kept == [
        ("badges.evaluate_changed", []),  # new accounts: a full pass
        ("badges.evaluate_changed", ["2026-08-03", "2026-08-05"]),
        ("leaderboard.rank_boards", []),
    ]  # each kept once, although both pulls asked

    broker.start()
    assert outbox.flush() == 3  # what beat's flush-outbox does every minute

    assert not PendingTask.objects.exists()
    assert sorted(task for task, _, _ in queued(broker)) == [
        "badges.evaluate_changed",
        "badges.evaluate_changed",
        "leaderboard.rank_boards",
    ]
    run_queue(broker)
    assert RankedScope.objects.exists()  # rank_boards ran


def test_an_import_with_the_broker_dead_ends_its_run(broker, db) -> None:
    broker.kill()

    with (FILES / "gateway.csv").open("rb") as stream:
        run = import_usage_file(source="gateway", stream=stream, filename="gateway.csv")

    run.refresh_from_db()
    assert run.status == IngestRun.Status.PARTIAL  # as without an outage: gateway.csv has bad rows
    assert PendingTask.objects.filter(task="leaderboard.rank_boards").exists()


def test_a_pull_with_the_broker_frozen_finishes_within_seconds(
    broker, openai_connection, seeded_boards
) -> None:
    broker.freeze()
    try:
        began = dt.datetime.now()
        call_command("pull_usage", *WINDOW)
        took = (dt.datetime.now() - began).total_seconds()
    finally:
        broker.thaw()

    assert IngestRun.objects.get().status == IngestRun.Status.SUCCEEDED
    assert took < 20, f"the pull took {took:.1f}s with the broker frozen"
    assert PendingTask.objects.count() == 3


def test_a_redis_restarted_without_persistence_loses_its_queue_and_beat_redoes_every_job(
    broker, openai_connection, seeded_boards, settings
) -> None:
    call_command("pull_usage", *WINDOW)
    openai_connection.refresh_from_db()
    openai_connection.last_pull_at = None  # due, as a connection is when beat queues its pull
    openai_connection.save()
    assert queue_due_pulls() == [openai_connection.pk]
    lost = queued(broker)
    assert sorted(task for task, _, _ in lost) == [
        "badges.evaluate_changed",
        "badges.evaluate_changed",
        "ingest.pull_connection",
        "leaderboard.rank_boards",
    ]

    broker.restart()  # --appendonly no, --save "": the queue is gone

    assert queued(broker) == []
    beat = {entry["task"]: entry for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    for task, _, _ in lost:  # each job is one a periodic entry queues again, over all it did
        redo = "ingest.queue_due_pulls" if task == "ingest.pull_connection" else task
        assert redo in beat and not beat[redo].get("args"), task
    assert queue_due_pulls() == [openai_connection.pk]  # the lost pull never moved last_pull_at
    for entry in ("rank-boards", "badges-nightly"):
        current_app.send_task(settings.CELERY_BEAT_SCHEDULE[entry]["task"])
    assert sorted(run_queue(broker)) == [
        "badges.evaluate_changed",
        "ingest.pull_connection",
        "leaderboard.rank_boards",
    ]
    assert RankedScope.objects.exists()
    assert IngestRun.objects.filter(status=IngestRun.Status.SUCCEEDED).count() == 2
