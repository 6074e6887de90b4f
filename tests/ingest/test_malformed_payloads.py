"""Property tests: whatever a provider sends, an adapter either reads it or says exactly what
is wrong (a ProviderDataError, or a rejected row kept for review); it never crashes the worker."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.models import IngestRun, RejectedRow
from ingest.providers.anthropic import AnthropicAdapter
from ingest.providers.claude_code import ClaudeCodeAdapter
from ingest.providers.cursor import CursorAdapter
from ingest.providers.http import ProviderDataError, ProviderRejected
from ingest.providers.openai import OpenAIAdapter
from ingest.services.pulls import pull_connection
from tests.helpers import json_values, paths
from tests.stubs import analytics_row, load, user_actor

DAY = dt.date(2026, 8, 5)  # the day the Claude Code sample is for
SAMPLES = {
    "openai": load("openai/usage_completions_page2.json"),
    "anthropic": load("anthropic/messages_usage_page2.json"),
    # the analytics report's flat rows (tests.stubs.analytics_row quotes the reference); the
    # {data, has_more, next_page} envelope is the adapter's stated assumption
    "anthropic_analytics": {
        "data": [
            analytics_row(
                "2026-08-05",
                actor=user_actor("user_01HkT9vQm2RsW8xLz4NpB6cD", "alice.nguyen@example.com"),
                model="claude-sonnet-5",
                product="claude_code",
                uncached_input_tokens=2_500,
                cache_read_input_tokens=40_000,
                output_tokens=900,
                requests=7,
            ),
            analytics_row(
                "2026-08-05",
                actor={"type": "service_account_actor", "service_account_id": "svac_01Bot"},
                model="claude-sonnet-5",
                product=None,
                uncached_input_tokens=1_200,
                output_tokens=300,
                requests=2,
            ),
        ],
        "has_more": False,
        "next_page": None,
    },
    "claude_code": load("claude_code/2026-08-05.json"),
    "cursor": {
        "usageEvents": load("cursor/usage_events.json")["usageEvents"][:3],
        "pagination": {"hasNextPage": False, "numPages": 1, "currentPage": 1},
    },
}
DIRECTORIES = {
    "openai": load("openai/users_page2.json"),
    "anthropic": load("anthropic/users_page2.json"),
    "anthropic_analytics": load("anthropic/users_page2.json"),
    "claude_code": load("anthropic/users_page2.json"),
    "cursor": load("cursor/team_members.json"),
}
ADAPTERS = {
    "openai": OpenAIAdapter,
    "anthropic": AnthropicAdapter,  # an organisation without the analytics API: the legacy report
    "anthropic_analytics": AnthropicAdapter,
    "claude_code": ClaudeCodeAdapter,
    "cursor": CursorAdapter,
}

CONNECTED = {"anthropic_analytics": "anthropic"}  # the provider of its connection


class CannedClient:
    """Answers every usage request with one payload, and the directory with a valid list."""

    def __init__(self, provider: str, payload: Any) -> None:
        self.provider, self.payload = provider, payload

    def get(self, path: str, **params: Any) -> Any:
        if "api_keys" in path or "projects" in path:  # the lists that name keys' actors
            return {"data": [], "first_id": None, "last_id": None, "has_more": False}
        return (
            DIRECTORIES[self.provider] if "users" in path or "members" in path else (self.payload)
        )

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """The analytics endpoint (the only caller): missing for "anthropic"."""
        if self.provider == "anthropic":
            raise ProviderRejected(f"{method} {path} answered 404: Not found", status=404)
        return self.payload

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.payload

    def close(self) -> None:
        pass


def adapter_with(provider: str, payload: Any):
    adapter = ADAPTERS[provider](base_url="http://127.0.0.1:9", api_key="k")
    adapter.client = CannedClient(provider, payload)
    return adapter


@st.composite
def damaged(draw: st.DrawFn, provider: str) -> Any:
    """A documented sample with one place deleted or replaced by any JSON value."""
    document = copy.deepcopy(SAMPLES[provider])
    where = draw(st.sampled_from(paths(document)))
    replacement = draw(json_values)
    if not where:
        return replacement
    parent = document
    for step in where[:-1]:
        parent = parent[step]
    if draw(st.booleans()) and isinstance(parent, dict):
        del parent[where[-1]]
    else:
        parent[where[-1]] = replacement
    return document


def read_all(provider: str, payload: Any) -> list:
    return list(adapter_with(provider, payload).usage(DAY, DAY))


@pytest.mark.parametrize("provider", ADAPTERS)
def test_documented_samples_read_without_rejections(provider) -> None:
    batches = read_all(provider, SAMPLES[provider])

    assert sum(len(b.records) for b in batches) > 0
    assert not any(b.rejected for b in batches)


@pytest.mark.parametrize("provider", ADAPTERS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_damage_is_read_or_reported_never_crashes(provider, data) -> None:
    payload = data.draw(damaged(provider))
    try:
        batches = read_all(provider, payload)
    except ProviderDataError as exc:
        assert str(exc)  # says what is wrong
        return
    for batch in batches:
        for record in batch.records:
            counts = (
                record.input,
                record.cache_read,
                record.cache_write,
                record.output,
                record.requests,
            )
            assert all(isinstance(c, int) and c >= 0 for c in counts)
            assert record.cost is None or (
                isinstance(record.cost, Decimal) and record.cost.is_finite() and record.cost >= 0
            )
        for rejection in batch.rejected:
            assert rejection.reason and rejection.location


@pytest.mark.parametrize("provider", ADAPTERS)
@settings(max_examples=40, deadline=None)
@given(junk=json_values)
def test_any_json_at_all_is_read_or_reported(provider, junk) -> None:
    try:
        read_all(provider, junk)
    except ProviderDataError as exc:
        assert str(exc).startswith(("page", "2026-08-05", "users", "members"))


@pytest.mark.django_db
@pytest.mark.parametrize("provider", ADAPTERS)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_pull_of_damaged_pages_always_ends_recorded(provider, data, monkeypatch) -> None:
    from ingest.services.connections import connect_provider

    payload = data.draw(damaged(provider))
    monkeypatch.setattr(
        "ingest.services.pulls.adapter_for", lambda **kwargs: adapter_with(provider, payload)
    )
    connection, _ = connect_provider(
        name=f"{provider.replace('_', '-')}-x",
        provider=CONNECTED.get(provider, provider),
        api_key="k",
    )

    run = pull_connection(connection=connection, start=DAY, end=DAY)

    assert run.status in {
        IngestRun.Status.SUCCEEDED,
        IngestRun.Status.PARTIAL,
        IngestRun.Status.HELD,  # pages that end early: what it did not see is held
        IngestRun.Status.FAILED,
    }
    if run.status == IngestRun.Status.HELD:
        assert run.error and run.held  # the deletion waits for review
    elif run.status != IngestRun.Status.SUCCEEDED:
        assert run.error
        assert RejectedRow.objects.filter(run=run).exists()  # the payload is kept for review


@pytest.mark.django_db
@pytest.mark.parametrize("provider", ADAPTERS)
def test_a_page_carrying_nul_characters_is_kept_for_review(provider, monkeypatch) -> None:
    """PostgreSQL text holds no NUL: the run and the page are recorded with it escaped
    (found by the property test above, as a page that is the JSON string "\\u0000")."""
    from ingest.services.connections import connect_provider

    monkeypatch.setattr(
        "ingest.services.pulls.adapter_for", lambda **kwargs: adapter_with(provider, "\x00 x")
    )
    connection, _ = connect_provider(
        name=f"{provider.replace('_', '-')}-nul",
        provider=CONNECTED.get(provider, provider),
        api_key="k",
    )

    run = pull_connection(connection=connection, start=DAY, end=DAY)

    assert run.status == IngestRun.Status.FAILED
    assert "expected an object" in IngestRun.objects.get(pk=run.pk).error
    assert RejectedRow.objects.get(run=run).raw == "\\x00 x"


@pytest.mark.parametrize("count", [2**63 - 1, 10**13 + 1])
def test_a_provider_count_above_the_limit_is_a_rejected_row(count) -> None:
    payload = copy.deepcopy(SAMPLES["openai"])
    payload["data"][0]["results"][0]["output_tokens"] = count

    batches = read_all("openai", payload)

    rejected = [r for b in batches for r in b.rejected]
    assert [r.reason for r in rejected] == [
        f"page 1, bucket 1, result 1: field 'output_tokens' is {count}, above the limit of "
        "10,000,000,000,000"
    ]
    whole = read_all("openai", SAMPLES["openai"])
    assert sum(len(b.records) for b in batches) == sum(len(b.records) for b in whole) - 1
