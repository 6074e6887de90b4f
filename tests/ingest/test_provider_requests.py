"""The provider stubs refuse what the real APIs refuse (an unknown parameter, an unsupported
value, a limit above the maximum) in each provider's error shape, and a pull that sends such
a request reports the provider's own words."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from ingest.models import IngestRun
from ingest.providers import anthropic, claude_code, cursor, openai
from ingest.services.pulls import pull_connection
from tests.stubs import ADMIN_KEY

OPENAI = {"authorization": f"Bearer {ADMIN_KEY}"}
ANTHROPIC = {"x-api-key": ADMIN_KEY, "anthropic-version": anthropic.API_VERSION}
OPENAI_USAGE = {"start_time": 1785715200, "bucket_width": "1d", "limit": 31}
MESSAGES = {"starting_at": "2026-08-03T00:00:00Z", "bucket_width": "1d", "limit": 31}
CODE_DAY = {"starting_at": "2026-08-04", "limit": 1000}
EVENTS = {"startDate": 1785715200000, "endDate": 1785974399999, "page": 1, "pageSize": 1000}

# (stub fixture, path, headers, good parameters, a change that breaks them (None: leave the
# parameter out), the bad parameter)
REFUSED = {
    "openai usage: unknown parameter": (
        "openai_api",
        openai.USAGE_PATH,
        OPENAI,
        OPENAI_USAGE,
        {"user": "alice"},
        "user",
    ),
    "openai usage: limit above 31 for 1d": (
        "openai_api",
        openai.USAGE_PATH,
        OPENAI,
        OPENAI_USAGE,
        {"limit": 32},
        "limit",
    ),
    "openai usage: limit above 168 for 1h": (
        "openai_api",
        openai.USAGE_PATH,
        OPENAI,
        OPENAI_USAGE,
        {"bucket_width": "1h", "limit": 169},
        "limit",
    ),
    "openai usage: unsupported group_by": (
        "openai_api",
        openai.USAGE_PATH,
        OPENAI,
        OPENAI_USAGE,
        {"group_by[]": ["user_id", "account_id"]},
        "group_by[]",
    ),
    "openai usage: start_time missing": (
        "openai_api",
        openai.USAGE_PATH,
        OPENAI,
        OPENAI_USAGE,
        {"start_time": None},
        "start_time",
    ),
    "openai users: limit above 100": (
        "openai_api",
        openai.USERS_PATH,
        OPENAI,
        {},
        {"limit": 101},
        "limit",
    ),
    "anthropic messages: unknown parameter": (
        "anthropic_api",
        anthropic.USAGE_PATH,
        ANTHROPIC,
        MESSAGES,
        {"user_ids[]": "u"},
        "user_ids[]",
    ),
    "anthropic messages: limit above 31 for 1d": (
        "anthropic_api",
        anthropic.USAGE_PATH,
        ANTHROPIC,
        MESSAGES,
        {"limit": 32},
        "limit",
    ),
    "anthropic messages: unsupported group_by": (
        "anthropic_api",
        anthropic.USAGE_PATH,
        ANTHROPIC,
        MESSAGES,
        {"group_by[]": ["account_id", "user_id"]},
        "group_by[]",
    ),
    "anthropic users: limit above 1000": (
        "anthropic_api",
        anthropic.USERS_PATH,
        ANTHROPIC,
        {},
        {"limit": 1001},
        "limit",
    ),
    "anthropic api keys: unknown status": (
        "anthropic_api",
        claude_code.API_KEYS_PATH,
        ANTHROPIC,
        {},
        {"status": "revoked"},
        "status",
    ),
    "claude code: limit above 1000": (
        "anthropic_api",
        claude_code.USAGE_PATH,
        ANTHROPIC,
        CODE_DAY,
        {"limit": 1001},
        "limit",
    ),
    "claude code: unknown parameter": (
        "anthropic_api",
        claude_code.USAGE_PATH,
        ANTHROPIC,
        CODE_DAY,
        {"ending_at": "2026-08-05"},
        "ending_at",
    ),
}


@pytest.mark.parametrize("case", REFUSED)
def test_the_stubs_refuse_bad_queries_in_the_providers_error_shape(request, case) -> None:
    fixture, path, headers, good, change, param = REFUSED[case]
    stub = request.getfixturevalue(fixture)

    ok = httpx.get(stub.base_url + path, params=good, headers=headers)
    params = {k: v for k, v in {**good, **change}.items() if v is not None}
    bad = httpx.get(stub.base_url + path, params=params, headers=headers)

    assert ok.status_code == 200, ok.text
    assert bad.status_code == 400
    body = bad.json()
    if fixture == "openai_api":  # ErrorResponse: {error: {code, message, param, type}}
        assert set(body["error"]) == {"code", "message", "param", "type"}
        assert (body["error"]["type"], body["error"]["param"]) == ("invalid_request_error", param)
    else:  # {"type": "error", "error": {"type", "message"}, "request_id"}
        assert body["type"] == "error"
        assert body["error"]["type"] == "invalid_request_error"
        assert body["request_id"]
    assert param in (body["error"]["message"])


@pytest.mark.parametrize(
    "value",
    [
        "account_id",
        "api_key_id",
        "context_window",
        "inference_geo",
        "model",
        "service_account_id",
        "service_tier",
        "speed",
        "workspace_id",
    ],
)
def test_the_anthropic_stub_groups_by_every_documented_dimension(anthropic_api, value) -> None:
    beta = {"anthropic-beta": "fast-mode-2026-02-01"} if value == "speed" else {}
    answer = httpx.get(
        anthropic_api.base_url + anthropic.USAGE_PATH,
        params={**MESSAGES, "group_by[]": ["account_id", value]},
        headers={**ANTHROPIC, **beta},
    )

    assert answer.status_code == 200


def test_the_anthropic_stub_wants_the_fast_mode_beta_to_group_by_speed(anthropic_api) -> None:
    answer = httpx.get(
        anthropic_api.base_url + anthropic.USAGE_PATH,
        params={**MESSAGES, "group_by[]": ["speed"]},
        headers=ANTHROPIC,
    )

    assert answer.status_code == 400
    assert "requires the fast-mode-2026-02-01 beta header" in answer.json()["error"]["message"]


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"page_size": 10}, "page_size"),
        ({"pageSize": 1001}, "pageSize"),
        ({"hostingType": "x"}, ""),
    ],
)
def test_the_cursor_stub_refuses_bad_bodies_in_its_error_shape(cursor_api, change, param) -> None:
    auth = (ADMIN_KEY, "")

    ok = httpx.post(cursor_api.base_url + cursor.EVENTS_PATH, json=EVENTS, auth=auth)
    bad = httpx.post(cursor_api.base_url + cursor.EVENTS_PATH, json={**EVENTS, **change}, auth=auth)
    members = httpx.get(cursor_api.base_url + cursor.MEMBERS_PATH, params={"x": 1}, auth=auth)

    assert ok.status_code == 200
    assert bad.status_code == members.status_code == 400
    assert set(bad.json()) == {"error", "message"}
    assert param in bad.json()["message"]


@pytest.mark.parametrize(
    ("kind", "module", "name", "said"),
    [
        ("openai", openai, "MAX_DAILY_BUCKETS", "limit: must be between 1 and 31, got 32"),
        ("anthropic", anthropic, "MAX_DAILY_BUCKETS", "limit: must be between 1 and 31, got 32"),
        ("claude_code", claude_code, "PAGE_SIZE", "limit: must be between 1 and 1000, got 1001"),
    ],
)
def test_a_pull_that_asks_beyond_the_limit_fails_with_the_providers_words(
    db, request, monkeypatch, kind, module, name, said
) -> None:
    connection = request.getfixturevalue(
        "openai_connection" if kind == "openai" else f"{kind}_connection"
    )
    monkeypatch.setattr(module, name, getattr(module, name) + 1)

    run = pull_connection(
        connection=connection, start=dt.date(2026, 8, 3), end=dt.date(2026, 8, 5), trigger="test"
    )

    assert run.status == IngestRun.Status.FAILED
    assert f"answered 400: {said}" in run.error


def test_a_cursor_pull_with_too_large_pages_fails_with_cursors_words(
    cursor_connection, monkeypatch
) -> None:
    monkeypatch.setattr(cursor.CursorAdapter, "page_size", 1001)

    run = pull_connection(
        connection=cursor_connection,
        start=dt.date(2026, 8, 3),
        end=dt.date(2026, 8, 5),
        trigger="test",
    )

    assert run.status == IngestRun.Status.FAILED
    assert "answered 400: pageSize: must be between 1 and 1000, got 1001" in run.error
