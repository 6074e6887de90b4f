"""A receiver's fold and Anthropic's report of the same Claude Code usage: when the fold counts a
person for the first time on a day Anthropic's report already counts them, it queues a pull
of the Anthropic connection over those days, which sets its Claude Code rows aside
(ingest.overlap); later folds of the same person and day queue nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from ingest import tasks
from ingest.models import SetAside
from ingest.services.pulls import pull_connection
from ingest.services.receiver import connect_receiver, fold, receive_metrics
from leaderboard.selectors import usage
from leaderboard.services import outbox
from tests.helpers import claude_code_export
from tests.stubs import analytics_row, user_actor

AUG3, AUG4 = dt.date(2026, 8, 3), dt.date(2026, 8, 4)
AUGUST = usage.month_of(AUG4)
ALICE = "alice.nguyen@example.com"
ALICE_ACTOR = user_actor("user_01HkT9vQm2RsW8xLz4NpB6cD", "Alice.Nguyen@example.com", "Alice")
ALICE_CLAUDE_CODE = 38_000 + 410_000 + 16_000 + 11_500  # her analytics row of product claude_code
ALICE_CHAT = 1_000 + 300 + 200


def analytics_rows() -> dict[str, list[dict]]:
    """Alice on Aug 4: Claude Code and chat on one model (tests.stubs.analytics_row's shape)."""
    return {
        "2026-08-04": [
            analytics_row(
                "2026-08-04",
                actor=ALICE_ACTOR,
                model="claude-opus-4-6",
                product="claude_code",
                uncached_input_tokens=38_000,
                cache_read_input_tokens=410_000,
                ephemeral_5m_input_tokens=16_000,
                output_tokens=11_500,
                requests=40,
            ),
            analytics_row(
                "2026-08-04",
                actor=ALICE_ACTOR,
                model="claude-opus-4-6",
                product="chat",
                uncached_input_tokens=1_000,
                ephemeral_1h_input_tokens=300,
                output_tokens=200,
                requests=3,
            ),
        ]
    }


class Queued:
    """The pulls queued after commit (what the worker would run), and running them."""

    def __init__(self) -> None:
        self.calls: list[tuple[tuple, dict]] = []

    def pulls(self) -> list[tuple[tuple, dict]]:
        return [(a, kw) for name, a, kw in self.calls if name == tasks.pull_connection.name]

    def run_pulls(self) -> None:
        pulls = self.pulls()
        self.calls.clear()
        for a, kw in pulls:
            tasks.pull_connection(*a, **kw)


@pytest.fixture
def queued(monkeypatch) -> Queued:
    caught = Queued()
    monkeypatch.setattr(
        outbox, "queue_on_commit", lambda task, *a, **kw: caught.calls.append((task.name, a, kw))
    )
    return caught


@pytest.fixture
def otel(db):
    connection, _ = connect_receiver(name="claude-otel")
    return connection


@pytest.fixture
def anthropic_pulled(anthropic_connection, anthropic_api):
    """Anthropic's analytics report, pulled for Aug 3-4 before any telemetry arrived."""
    anthropic_api.analytics_rows = analytics_rows()
    pull_connection(connection=anthropic_connection, start=AUG3, end=AUG4, trigger="test")
    return anthropic_connection


def receive(connection, email: str, at: dt.datetime, **counts: int) -> None:
    receive_metrics(
        connection=connection,
        body=claude_code_export(email, at, **counts),
        content_type="application/json",
    )
    fold(connection=connection)


def totals() -> dict[str, int]:
    return {p.email: p.total_tokens for p in usage.standings(period=AUGUST)}


def asked_anthropic(api) -> int:
    return len([r for r in api.analytics_requests if r.args.getlist("group_by[]")])


def test_telemetry_after_the_anthropic_pull_is_counted_once_after_the_recheck(
    otel, anthropic_pulled, anthropic_api, queued
):
    assert totals()[ALICE] == ALICE_CLAUDE_CODE + ALICE_CHAT

    receive(otel, ALICE, dt.datetime(2026, 8, 4, 15, tzinfo=dt.UTC), input=1_000, output=200)

    pulls = queued.pulls()
    queued.run_pulls()  # as the worker would

    # counted once: the telemetry stands for her Claude Code, her chat counts as before
    assert totals()[ALICE] == 1_200 + ALICE_CHAT
    # through one pull of the Anthropic connection, over the day the fold counts her anew
    assert pulls == [
        (
            (anthropic_pulled.pk,),
            {"trigger": "recheck", "start": "2026-08-04", "end": "2026-08-04"},
        )
    ]
    aside = SetAside.objects.select_related("standing").get()
    assert (aside.day, aside.email, aside.total_tokens, aside.standing.name) == (
        AUG4,
        ALICE,
        ALICE_CLAUDE_CODE,
        "claude-otel",
    )
    assert queued.pulls() == []  # the Anthropic pull queues nothing further


def test_more_telemetry_later_that_day_queues_no_anthropic_pull(
    otel, anthropic_pulled, anthropic_api, queued
):
    receive(otel, ALICE, dt.datetime(2026, 8, 4, 15, tzinfo=dt.UTC), input=1_000, output=200)
    queued.run_pulls()
    asked = asked_anthropic(anthropic_api)

    receive(otel, ALICE, dt.datetime(2026, 8, 4, 16, tzinfo=dt.UTC), input=500, output=100)
    receive(otel, ALICE, dt.datetime(2026, 8, 4, 17, tzinfo=dt.UTC), input=50, output=10)

    assert queued.pulls() == []
    queued.run_pulls()
    assert asked_anthropic(anthropic_api) == asked
    assert totals()[ALICE] == 1_860 + ALICE_CHAT  # the folds counted, still once


def test_telemetry_of_someone_anthropic_does_not_count_that_day_queues_no_pull(
    otel, anthropic_pulled, anthropic_api, queued
):
    asked = asked_anthropic(anthropic_api)

    # Zoe is in no Anthropic report; Alice is, but not on Aug 3
    receive(otel, "zoe@example.com", dt.datetime(2026, 8, 4, 15, tzinfo=dt.UTC), input=10)
    receive(otel, ALICE, dt.datetime(2026, 8, 3, 15, tzinfo=dt.UTC), input=20)

    assert queued.pulls() == []
    assert asked_anthropic(anthropic_api) == asked
    assert totals() == {"zoe@example.com": 10, ALICE: 20 + ALICE_CLAUDE_CODE + ALICE_CHAT}


def test_a_person_anthropic_counts_only_for_claude_code_is_counted_once_after_the_recheck(
    otel, anthropic_connection, anthropic_api, queued
):
    # her only Anthropic fact that day is Claude Code: the recheck sets all of it aside, which
    # is the provider listing it, not leaving it out (not held as a page ended early)
    anthropic_api.analytics_rows = {"2026-08-04": analytics_rows()["2026-08-04"][:1]}
    pull_connection(connection=anthropic_connection, start=AUG3, end=AUG4, trigger="test")
    assert totals()[ALICE] == ALICE_CLAUDE_CODE

    receive(otel, ALICE, dt.datetime(2026, 8, 4, 15, tzinfo=dt.UTC), input=1_000, output=200)
    queued.run_pulls()

    assert totals()[ALICE] == 1_200
    assert anthropic_connection.runs.latest("started_at").status == "succeeded"
