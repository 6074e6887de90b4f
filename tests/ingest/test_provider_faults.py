"""Every provider under rate limits, outages and a bad key: retried, reported, never doubled."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from ingest.models import IngestRun
from ingest.providers.http import ProviderUnavailable
from ingest.services import pull_connection
from leaderboard.models import UsageFact

PROVIDERS = ["openai", "anthropic", "claude_code", "cursor"]
STUBS = {
    "openai": "openai_api",
    "anthropic": "anthropic_api",
    "claude_code": "anthropic_api",
    "cursor": "cursor_api",
}
# Each provider's own 429: OpenAI and Anthropic say when to come back, Cursor does not.
RATE_LIMITED = {
    "openai": (
        {"error": {"message": "Rate limit reached", "type": "requests"}},
        {"Retry-After": "0"},
    ),
    "anthropic": (
        {"type": "error", "error": {"type": "rate_limit_error", "message": "Rate limited"}},
        {"retry-after": "0"},
    ),
    "claude_code": (
        {"type": "error", "error": {"type": "rate_limit_error", "message": "Rate limited"}},
        {"retry-after": "0"},
    ),
    "cursor": (
        {"error": "Too Many Requests", "message": "Rate limit exceeded. Please try again later."},
        {},
    ),
}


@pytest.fixture(params=PROVIDERS)
def provider(request, db):
    """(connection, stub) for each provider."""
    connection = request.getfixturevalue(
        "openai_connection" if request.param == "openai" else f"{request.param}_connection"
    )
    return connection, request.getfixturevalue(STUBS[request.param])


def pull(connection):
    return pull_connection(
        connection=connection, start=dt.date(2026, 8, 3), end=dt.date(2026, 8, 5), trigger="test"
    )


def facts() -> list[tuple]:
    return list(
        UsageFact.objects.order_by("source", "day", "account", "model").values_list(
            "day",
            "account__external_id",
            "model",
            "input",
            "cache_read",
            "cache_write",
            "output",
            "requests",
            "cost",
        )
    )


@override_settings(INGEST_MAX_RETRY_WAIT=0.01)
def test_rate_limits_and_server_errors_are_retried_to_the_same_result(provider) -> None:
    connection, stub = provider
    clean = pull(connection)
    expected = facts()
    body, headers = RATE_LIMITED[connection.provider]
    stub.usage_failures = [(429, body, headers), (500, {"error": {"message": "boom"}}, {})]
    asked_before = len(stub.usage_requests)

    run = pull(connection)

    assert run.status == IngestRun.Status.SUCCEEDED
    assert len(stub.usage_requests) == 2 * asked_before + 2  # the same requests, plus two retries
    assert (run.rows, facts()) == (clean.rows, expected)


@override_settings(INGEST_MAX_RETRY_WAIT=0.01, INGEST_MAX_ATTEMPTS=2)
def test_a_provider_that_stays_rate_limited_fails_the_run_and_keeps_the_watermark(
    provider,
) -> None:
    connection, stub = provider
    body, headers = RATE_LIMITED[connection.provider]
    stub.usage_failures = [(429, body, headers)] * 2

    with pytest.raises(ProviderUnavailable, match="failed 2 times; last: HTTP 429"):
        pull(connection)

    run = IngestRun.objects.get()
    assert run.status == IngestRun.Status.FAILED
    connection.refresh_from_db()
    assert connection.pulled_through is None


def test_a_rejected_key_fails_at_once_and_names_the_connection(provider) -> None:
    connection, stub = provider
    connection.api_key = "sk-admin-revoked"
    connection.save()

    run = pull(connection)

    assert run.status == IngestRun.Status.FAILED
    assert "answered 401" in run.error
    assert f"admin key of connection '{connection.name}'" in run.error
    assert "sk-admin-revoked" not in run.error
    assert stub.usage_requests == []  # the directory call failed first, and was not retried
