"""Claude Code usage received over OpenTelemetry and listed again by the Claude Code admin
report: the report stands and the telemetry is set aside (ingest.overlap), in either order,
and the person is counted once on the boards."""

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

AUG4 = dt.date(2026, 8, 4)
AUGUST = usage.month_of(AUG4)
ALICE = "alice.nguyen@example.com"  # in the Claude Code report on Aug 4 (tests/data/claude_code)
ALICE_CLAUDE_CODE_AUG4 = (38_000 + 410_000 + 16_000 + 11_500) + (
    (9_000 + 52_000 + 3_000 + 2_600) + (1_000 + 4_000 + 500 + 500)
)
NOON = dt.datetime(2026, 8, 4, 12, tzinfo=dt.UTC)


@pytest.fixture
def otel(db):
    connection, _ = connect_receiver(name="claude-otel")
    return connection


def receive(connection, email: str, **counts: int) -> None:
    receive_metrics(
        connection=connection,
        body=claude_code_export(email, NOON, **counts),
        content_type="application/json",
    )
    fold(connection=connection)


def totals() -> dict[str, int]:
    return {p.email: p.total_tokens for p in usage.standings(period=AUGUST)}


def set_aside() -> list[tuple[str, str, int]]:
    """Tokens set aside, by person and the source standing for them (all models)."""
    summed: dict[tuple[str, str], int] = {}
    for r in SetAside.objects.select_related("standing"):
        key = (r.email, r.standing.name)
        summed[key] = summed.get(key, 0) + r.total_tokens
    return sorted((*k, v) for k, v in summed.items())


def test_the_claude_code_report_stands_over_telemetry_that_came_first(
    otel, claude_code_connection, monkeypatch
):
    """Telemetry is what an exporter says; the report is what the provider says: where both
    have the person and day, the report's figures stand whichever arrived first."""
    queued: list = []
    monkeypatch.setattr(
        outbox, "queue_on_commit", lambda task, *a, **kw: queued.append((task, a, kw))
    )
    receive(otel, ALICE, input=1_000, output=200)
    assert totals()[ALICE] == 1_200

    pull_connection(connection=claude_code_connection, start=AUG4, end=AUG4, trigger="test")
    refolds = [(t, a, kw) for t, a, kw in queued if t is tasks.pull_connection and a == (otel.pk,)]
    assert refolds  # the report's pull asks the receiver to decide again, as the worker runs
    for task, args, kwargs in refolds:
        task(*args, **kwargs)

    assert totals()[ALICE] == ALICE_CLAUDE_CODE_AUG4  # counted once: the report stands
    assert set_aside() == [(ALICE, "claude-code", 1_200)]
    # folding and pulling again decide the same
    fold(connection=otel)
    pull_connection(connection=claude_code_connection, start=AUG4, end=AUG4, trigger="test")
    assert totals()[ALICE] == ALICE_CLAUDE_CODE_AUG4
    assert set_aside() == [(ALICE, "claude-code", 1_200)]


def test_telemetry_after_the_claude_code_report_is_set_aside(otel, claude_code_connection):
    pull_connection(connection=claude_code_connection, start=AUG4, end=AUG4, trigger="test")
    assert totals()[ALICE] == ALICE_CLAUDE_CODE_AUG4
    receive(otel, ALICE, input=1_000, output=200)
    assert totals()[ALICE] == ALICE_CLAUDE_CODE_AUG4
    assert set_aside() == [(ALICE, "claude-code", 1_200)]
    row = SetAside.objects.get()
    assert "'claude-otel' does not count it" in row.reason
    # someone the report does not list that day is counted from the telemetry
    receive(otel, "zoe@example.com", input=10, output=5)
    assert totals()["zoe@example.com"] == 15


def test_the_data_status_page_shows_the_receiver(otel, employee_client):
    receive(otel, "zoe@example.com", input=10, output=5)
    page = employee_client.get("/data/").content.decode()
    section = page[page.index('id="source-claude-otel"') :]
    assert "OpenTelemetry (Claude Code and CLIs like it)" in section
    assert "Last received" in section and "nothing yet" not in section.split("</section>")[0]
    assert "Last fold into the boards" in section
    assert "Exporters send every minute by default" in section
    assert "n/a (not reported)" in section  # requests
    assert "Estimated by the provider" in section
