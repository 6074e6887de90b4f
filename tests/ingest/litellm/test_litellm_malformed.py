"""Whatever a LiteLLM proxy sends, the adapter reads it or says what is wrong (a
ProviderDataError, or a rejected day kept with its payload); it never crashes a pull."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.models import IngestRun, RejectedRow
from ingest.providers import litellm
from ingest.providers.http import ProviderDataError
from ingest.services.connections import connect_provider
from ingest.services.pulls import pull_connection
from tests.helpers import json_values, paths
from tests.stub_litellm import group
from tests.stubs import load

DAY = dt.date(2026, 8, 4)
ROWS = [r for r in load("litellm/daily_user_spend.json") if r["date"] == "2026-08-04"]
# An activity page as the stub builds it from the recorded rows (tests/data/litellm/README.md)
SAMPLE = {
    "results": group(ROWS),
    "metadata": {"page": 1, "total_pages": 1, "has_more": False, "total_spend": 0.1149},
}
USERS = load("litellm/users.json")


class CannedClient:
    """The users list as recorded; every activity page the one payload."""

    def __init__(self, payload: Any) -> None:
        self.payload = payload

    def get(self, path: str, **params: Any) -> Any:
        return USERS if path == litellm.USERS_PATH else self.payload

    def close(self) -> None:
        pass


def adapter_with(payload: Any) -> litellm.LiteLLMAdapter:
    adapter = litellm.LiteLLMAdapter(base_url="http://127.0.0.1:9", api_key="k")
    adapter.client = CannedClient(payload)  # type: ignore[assignment]
    return adapter


def read_all(payload: Any) -> list:
    return list(adapter_with(payload).usage(DAY, DAY))


@st.composite
def damaged(draw: st.DrawFn) -> Any:
    """The sample with one place deleted or replaced by any JSON value."""
    document = copy.deepcopy(SAMPLE)
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


def test_the_sample_reads_without_rejections() -> None:
    batches = read_all(SAMPLE)

    assert sum(len(b.records) for b in batches) > 0
    assert not any(b.rejected for b in batches)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=damaged())
def test_any_damage_is_read_or_reported_never_crashes(payload) -> None:
    try:
        batches = read_all(payload)
    except ProviderDataError as exc:
        assert str(exc)
        return
    for batch in batches:
        for r in batch.records:
            counts = (r.input, r.cache_read, r.cache_write, r.output, r.requests)
            assert all(isinstance(c, int) and c >= 0 for c in counts)
            assert isinstance(r.cost, Decimal) and r.cost.is_finite() and r.cost >= 0
        for rejection in batch.rejected:
            assert rejection.reason and rejection.location and rejection.raw


@settings(max_examples=40, deadline=None)
@given(junk=json_values)
def test_any_json_at_all_is_read_or_reported(junk) -> None:
    try:
        read_all(junk)
    except ProviderDataError as exc:
        assert str(exc).startswith(("all users", "u-"))


def test_a_model_figure_above_the_days_is_a_rejected_day_with_its_payload() -> None:
    payload = copy.deepcopy(SAMPLE)
    payload["results"][0]["breakdown"]["models"]["gpt-5"]["metrics"]["prompt_tokens"] += 1

    batches = read_all(payload)

    rejected = [r for b in batches for r in b.rejected]
    assert rejected  # every query answered the damaged page
    assert rejected[0].reason.endswith("the models' figures add up to more than the day's")
    assert '"2026-08-04"' in rejected[0].raw


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(payload=damaged())
def test_a_pull_of_damaged_pages_always_ends_recorded(payload, monkeypatch) -> None:
    monkeypatch.setattr("ingest.services.pulls.adapter_for", lambda **kwargs: adapter_with(payload))
    connection, _ = connect_provider(
        name="litellm-x", provider="litellm", api_key="k", base_url="https://litellm.example.com"
    )

    run = pull_connection(connection=connection, start=DAY, end=DAY)

    assert run.status in {
        IngestRun.Status.SUCCEEDED,
        IngestRun.Status.PARTIAL,
        IngestRun.Status.HELD,
        IngestRun.Status.FAILED,
    }
    if run.status == IngestRun.Status.HELD:
        assert run.error and run.held
    elif run.status != IngestRun.Status.SUCCEEDED:
        assert run.error
        assert RejectedRow.objects.filter(run=run).exists()  # the payload is kept for review
