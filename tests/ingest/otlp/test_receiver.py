"""The OpenTelemetry receiver end to end: the official SDK's OTLP/HTTP exporter sends real
metrics to the running app; the fold turns them into daily facts, ranked on a board."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceResponse,
)

from ingest.models import IngestRun, ReceivedPoint
from ingest.tasks import fold_received
from leaderboard.models import UsageFact

from .conftest import utc_today

# serialized_rollback: the database is restored as migrated (prices, content types) for the
# transactional tests that follow (tests.ingest.test_worker)
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

OPUS = "claude-opus-4-1-20250805"
SONNET = "claude-sonnet-4-5-20250929"


def facts() -> dict[tuple[str, str], tuple[int, int, int, int, Decimal | None]]:
    return {
        (f.account.external_id, f.model): (f.input, f.output, f.cache_read, f.cache_write, f.cost)
        for f in UsageFact.objects.select_related("account")
    }


def fold(receiver) -> IngestRun:
    run_id = fold_received(receiver.connection.pk)  # the task's body, as the worker runs it
    return IngestRun.objects.get(pk=run_id)


@pytest.mark.parametrize("temporality", ["cumulative", "delta"])
def test_sdk_exports_become_daily_facts_and_a_resend_changes_nothing(
    claude_code, receiver, temporality
):
    cli = claude_code(temporality)
    cli.use(
        model=OPUS,
        email="Alice@Example.com",
        input=1200,
        output=300,
        cache_read=5000,
        cache_creation=700,
        cost=0.25,
    )
    cli.use(model=SONNET, email="bob@example.com", input=100, output=50)
    cli.export()
    cli.use(model=OPUS, email="Alice@Example.com", input=800, output=200, cost=0.5)
    cli.export()
    assert [a.status_code for a in cli.session.answers] == [200, 200]
    assert not ExportMetricsServiceResponse.FromString(cli.session.answers[0].content).HasField(
        "partial_success"
    )

    run = fold(receiver)
    assert run.status == IngestRun.Status.SUCCEEDED
    expected = {
        ("alice@example.com", OPUS): (2000, 500, 5000, 700, Decimal("0.750000")),
        ("bob@example.com", SONNET): (100, 50, 0, 0, None),
    }
    got = facts()
    assert {k: v[:4] for k, v in got.items()} == {k: v[:4] for k, v in expected.items()}
    assert got[("alice@example.com", OPUS)][4] == Decimal("0.750000")
    bob = UsageFact.objects.get(account__external_id="bob@example.com")
    assert bob.cost is None or bob.cost_estimated  # no cost point: list prices, if any
    assert {f.day for f in UsageFact.objects.all()} == {utc_today()}

    # the exporter sends both requests again (an answer lost on the way): nothing changes
    kept = ReceivedPoint.objects.count()
    assert [cli.session.resend(i).status_code for i in (0, 1)] == [200, 200]
    assert ReceivedPoint.objects.count() == kept
    fold(receiver)
    assert facts() == got


def test_gzip_compressed_exports_are_read(claude_code, receiver):
    cli = claude_code("delta", gzip=True)
    cli.use(model=OPUS, email="carol@example.com", input=42, output=7)
    cli.export()
    assert cli.session.sent[0][1]["headers"]["Content-Encoding"] == "gzip"
    assert cli.session.answers[0].status_code == 200
    fold(receiver)
    assert facts()[("carol@example.com", OPUS)][:2] == (42, 7)


def test_a_counter_reset_starts_a_new_series_and_keeps_what_came_before(claude_code, receiver):
    first = claude_code("cumulative")
    first.use(model=OPUS, email="dan@example.com", input=1000)
    first.export()
    # Claude Code restarted: a new process, a new start time, its counter from zero again
    second = claude_code("cumulative")
    second.use(model=OPUS, email="dan@example.com", input=30)
    second.export()
    fold(receiver)
    assert facts()[("dan@example.com", OPUS)][0] == 1030


@pytest.mark.parametrize(
    ("token", "name"),
    [("", None), ("tbo_not-the-token", None), (None, "no-such-receiver")],
    ids=["missing token", "wrong token", "unknown receiver"],
)
def test_it_refuses_without_the_receivers_token_and_says_the_same_for_every_reason(
    live_server, receiver, token, name
):
    headers = {"Content-Type": "application/x-protobuf"}
    if token != "":
        headers["Authorization"] = f"Bearer {receiver.token if token is None else token}"
    answer = requests.post(
        f"{live_server.url}/otlp/{name or receiver.connection.name}/v1/metrics",
        data=b"",
        headers=headers,
        timeout=10,
    )
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert b"a valid bearer token for this receiver is required" in answer.content
    assert not ReceivedPoint.objects.exists()


def test_the_token_is_shown_once_and_stored_only_as_a_hash(receiver):
    receiver.connection.refresh_from_db()
    assert receiver.token.startswith("tbo_")
    assert receiver.token not in receiver.connection.token_hash
    assert not receiver.connection.encrypted_api_key
