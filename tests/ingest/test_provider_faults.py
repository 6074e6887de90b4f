"""Every provider under rate limits, outages, a bad key, odd Retry-After headers, repeated
pages and cursors: retried, reported, paced, never doubled."""

from __future__ import annotations

import datetime as dt
import email.utils
import json

import pytest
from django.test import override_settings

from ingest.models import IngestRun
from ingest.providers.http import ProviderUnavailable
from ingest.services.pulls import pull_connection
from leaderboard.models import Account, UsageFact

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


def pulled_twice(connection) -> tuple[list[IngestRun], list[tuple]]:
    """Pull twice; the runs and the facts (which must be the same after either)."""
    first = pull(connection)
    after_first = facts()
    second = pull(connection)
    assert facts() == after_first
    return [first, second], after_first


def clean_facts(connection) -> list[tuple]:
    """The facts an undisturbed pull gives, then forgotten."""
    pull(connection)
    expected = facts()
    UsageFact.objects.all().delete()
    return expected


def in_a_minute() -> str:
    return email.utils.format_datetime(
        dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1), usegmt=True
    )


RETRY_AFTER = {
    "repeated": lambda: [("Retry-After", "1, 1")],
    "sent twice": lambda: [("Retry-After", "1"), ("Retry-After", "1")],
    "an HTTP-date to come": lambda: [("Retry-After", in_a_minute())],
    "an HTTP-date gone by": lambda: [("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT")],
    "garbage": lambda: [("Retry-After", "soon")],
    "empty": lambda: [("Retry-After", "")],
    "negative": lambda: [("Retry-After", "-5")],
    "huge": lambda: [("Retry-After", "99999999999999999999")],
}


@override_settings(INGEST_MAX_RETRY_WAIT=0.01)
@pytest.mark.parametrize("form", RETRY_AFTER)
def test_any_retry_after_is_waited_out_and_the_pull_succeeds(provider, form) -> None:
    connection, stub = provider
    expected = clean_facts(connection)
    body, _ = RATE_LIMITED[connection.provider]
    stub.usage_failures = [(429, body, RETRY_AFTER[form]()), (429, body, RETRY_AFTER[form]())]

    runs, pulled = pulled_twice(connection)

    assert [r.status for r in runs] == [IngestRun.Status.SUCCEEDED] * 2
    assert pulled == expected


def loop_users(stub, users_pages: dict) -> None:
    """The users list's second page says there is more, after the same id as before."""
    first = users_pages[None]
    users_pages[first["last_id"]] = {
        **users_pages[first["last_id"]],
        "has_more": True,
        "last_id": first["last_id"],
    }


def loop_usage(stub) -> None:
    """The usage report's second page points back at itself."""
    cursor = stub.usage_pages[None]["next_page"]
    stub.usage_pages[cursor] = {**stub.usage_pages[cursor], "has_more": True, "next_page": cursor}


def loop_claude_code(stub) -> None:
    """2026-08-04's second page points back at the first page's cursor."""
    cursor = stub.claude_code_pages[("2026-08-04", None)]["next_page"]
    page = stub.claude_code_pages[("2026-08-04", cursor)]
    stub.claude_code_pages[("2026-08-04", cursor)] = {**page, "has_more": True, "next_page": cursor}


def loop_api_keys(stub) -> None:
    """The keys list says there is more, after the id it was just asked for."""
    last = stub.api_keys["data"][-1]["id"]
    stub.api_key_pages[None] = stub.api_key_pages[last] = {**stub.api_keys, "has_more": True}


LOOPS = {
    "openai": [lambda s: loop_users(s, s.users_pages), loop_usage],
    "anthropic": [lambda s: loop_users(s, s.users_pages), loop_usage],
    "claude_code": [lambda s: loop_users(s, s.users_pages), loop_claude_code, loop_api_keys],
}


@pytest.mark.parametrize(
    ("kind", "which"), [(k, i) for k, loops in LOOPS.items() for i in range(len(loops))]
)
def test_a_cursor_handed_back_again_ends_the_list_with_nothing_counted_twice(
    db, request, kind, which
) -> None:
    connection = request.getfixturevalue(
        "openai_connection" if kind == "openai" else f"{kind}_connection"
    )
    stub = request.getfixturevalue(STUBS[kind])
    expected = clean_facts(connection)
    accounts = sorted(Account.objects.values_list("external_id", "email", "person__email"))
    LOOPS[kind][which](stub)

    runs, pulled = pulled_twice(connection)

    assert [r.status for r in runs] == [IngestRun.Status.SUCCEEDED] * 2
    assert pulled == expected
    assert sorted(Account.objects.values_list("external_id", "email", "person__email")) == accounts


def test_a_claude_code_page_served_twice_counts_once(claude_code_connection, anthropic_api) -> None:
    expected = clean_facts(claude_code_connection)
    pages = anthropic_api.claude_code_pages
    first = pages[("2026-08-04", None)]
    second = pages[("2026-08-04", first["next_page"])]
    # The provider answers the first page's cursor with the first page again, then goes on.
    pages[("2026-08-04", first["next_page"])] = {**first, "next_page": "page_again"}
    pages[("2026-08-04", "page_again")] = second

    runs, pulled = pulled_twice(claude_code_connection)

    assert [r.status for r in runs] == [IngestRun.Status.SUCCEEDED] * 2
    assert [r.rejected for r in runs] == [0, 0]
    assert pulled == expected
    assert ("2026-08-04", "page_again") in [
        (r.args["starting_at"], r.args.get("page")) for r in anthropic_api.usage_requests
    ]


def test_a_record_repeated_across_a_claude_code_page_boundary_counts_once(
    claude_code_connection, anthropic_api
) -> None:
    expected = clean_facts(claude_code_connection)
    pages = anthropic_api.claude_code_pages
    first = pages[("2026-08-04", None)]
    cursor = first["next_page"]
    pages[("2026-08-04", cursor)] = {
        **pages[("2026-08-04", cursor)],
        "data": [first["data"][-1], *pages[("2026-08-04", cursor)]["data"]],
    }

    runs, pulled = pulled_twice(claude_code_connection)

    assert [r.status for r in runs] == [IngestRun.Status.SUCCEEDED] * 2
    assert pulled == expected


def test_cursor_events_shifted_onto_the_next_page_count_once(cursor_connection, cursor_api) -> None:
    """Pages are newest first: an event arriving mid-pull pushes the last event of the page
    just read onto the next one."""
    expected = clean_facts(cursor_connection)
    newest = max(cursor_api.events, key=lambda e: int(e["timestamp"]))
    arrival = {**newest, "timestamp": str(int(newest["timestamp"]) + 1)}
    cursor_api.arriving = [arrival]
    asked_before = len(cursor_api.usage_requests)

    run = pull(cursor_connection)

    assert run.status == IngestRun.Status.SUCCEEDED
    assert facts() == expected  # the arrival comes after the window read; the next pull has it
    assert len(cursor_api.usage_requests) - asked_before == 4  # seven events, two a page


def test_cursor_pages_end_at_num_pages_whatever_has_next_page_says(
    cursor_connection, cursor_api
) -> None:
    events = sorted(cursor_api.events, key=lambda e: -int(e["timestamp"]))
    cursor_api.raw_pages[1] = json.dumps(
        {
            "totalUsageEventsCount": len(events),
            "pagination": {
                "numPages": 1,
                "currentPage": 1,
                "pageSize": 2,
                "hasNextPage": True,
                "hasPreviousPage": False,
            },
            "usageEvents": events,
            "period": {"startDate": 0, "endDate": 0},
        }
    ).encode()

    runs, _ = pulled_twice(cursor_connection)

    assert [r.status for r in runs] == [IngestRun.Status.SUCCEEDED] * 2
    assert len(cursor_api.usage_requests) == 2  # one page a pull


def test_cursor_event_requests_keep_to_sixty_a_minute(cursor_connection, cursor_api, paced) -> None:
    pull(cursor_connection)

    assert len(cursor_api.usage_requests) == 3
    assert len(paced.slept) == 2  # before the second and third event pages, not the members
    assert all(0.5 < s <= 1.0 for s in paced.slept)


def test_openai_and_anthropic_pulls_are_not_paced(openai_connection, anthropic_api, paced) -> None:
    pull(openai_connection)

    assert paced.slept == []
