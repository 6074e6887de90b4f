"""Stand-ins for provider APIs: real HTTP servers on 127.0.0.1 serving recorded pages.

Each stub checks authentication the way its provider does, pages the way its provider does,
records the requests it got, and can be told to fail first (a 429, a 500) or to serve a raw
body instead of a page.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
from pathlib import Path
from typing import Any

from werkzeug import Request, Response

from ingest.providers import anthropic, anthropic_analytics, claude_code, cursor, openai

DATA = Path(__file__).parent / "data"
ADMIN_KEY = "sk-admin-test-key"
# A Claude Enterprise Analytics API key: "Keys carry the `read:analytics` scope." "an Analytics
# API key cannot call the Admin API" (https://platform.claude.com/docs/en/manage-claude/analytics-api)
ANALYTICS_KEY = "sk-ant-analytics-test-key"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body), status=status, headers=headers, content_type="application/json"
    )


class ProviderStub:
    """What every stub shares: auth, injected failures, raw bodies, a request log."""

    unauthorized: Any = {"error": {"message": "invalid key"}}

    def __init__(self, httpserver: Any) -> None:
        self.base_url = httpserver.url_for("/").rstrip("/")
        self.usage_requests: list[Request] = []
        # Responses to give instead of the next usage page, in order: (status, body, headers).
        self.usage_failures: list[tuple[int, Any, dict[str, str]]] = []
        # Bodies to serve as they are instead of a usage page, by cursor (or page number).
        self.raw_pages: dict[Any, bytes] = {}
        # Usage pages that wait, by cursor, until their event is set (a slow provider).
        self.held_pages: dict[Any, threading.Event] = {}

    def authorized(self, request: Request) -> bool:
        raise NotImplementedError

    def guarded(self, handler: Any, *, usage: bool = False) -> Any:
        def handle(request: Request) -> Response:
            if usage:
                self.usage_requests.append(request)
            if not self.authorized(request):
                return json_response(self.unauthorized, 401)
            if usage and self.usage_failures:
                status, body, headers = self.usage_failures.pop(0)
                return json_response(body, status, headers)
            return handler(request)

        return handle

    def hold(self, key: Any) -> threading.Event:
        """Make the usage page with this cursor wait until the returned event is set."""
        self.held_pages[key] = threading.Event()
        return self.held_pages[key]

    def raw_or(self, key: Any, body: Any) -> Response:
        if key in self.held_pages:
            self.held_pages[key].wait(timeout=60)
        if key in self.raw_pages:
            return Response(self.raw_pages[key], content_type="application/json")
        return json_response(body)


class OpenAIStub(ProviderStub):
    """GET usage/completions paged by `page`, users paged by `after`; Bearer admin key."""

    unauthorized = {
        "error": {
            "message": "Incorrect API key provided",
            "type": "invalid_request_error",
            "code": "invalid_api_key",
            "param": None,
        }
    }

    def __init__(self, httpserver: Any) -> None:
        super().__init__(httpserver)
        page1 = load("openai/usage_completions_page1.json")
        users1 = load("openai/users_page1.json")
        self.usage_pages = {
            None: page1,
            page1["next_page"]: load("openai/usage_completions_page2.json"),
        }
        self.users_pages = {None: users1, users1["last_id"]: load("openai/users_page2.json")}
        httpserver.expect_request(openai.USAGE_PATH, method="GET").respond_with_handler(
            self.guarded(
                lambda r: self.raw_or(r.args.get("page"), self.usage_pages[r.args.get("page")]),
                usage=True,
            )
        )
        httpserver.expect_request(openai.USERS_PATH, method="GET").respond_with_handler(
            self.guarded(lambda r: json_response(self.users_pages[r.args.get("after")]))
        )

    def authorized(self, request: Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {ADMIN_KEY}"


def anthropic_error(status: int, kind: str, message: str) -> Response:
    # "{ "type": "error", "error": { "type": "not_found_error", "message": "…" }, "request_id":
    # … }" (https://platform.claude.com/docs/en/api/errors)
    return json_response(
        {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_test"},
        status,
    )


# Group dimensions of a usage row: "each is null unless its dimension is in group_by[]"
# (BetaAnalyticsUsageGroup, https://platform.claude.com/docs/en/api/python/beta/organization/analytics/usage/list)
ANALYTICS_GROUP = [
    "actor",
    "actor_type",
    "agent_id",
    "api_key_id",
    "claude_tag_category",
    "claude_tag_user_id",
    "context_window",
    "deployment_id",
    "environment_id",
    "inference_geo",
    "model",
    "organization_id",
    "product",
    "rbac_group_id",
    "service_tier",
    "session_id",
    "slack_channel_id",
    "speed",
    "user_profile_id",
    "workspace_id",
]
# group_by[] values seen verbatim in the reference's enum ("actor", "actor_type", "agent_id",
# "api_key_id", ... "model", "product", "rbac_group_id", "service_tier"); refs-17 §1.3.
ANALYTICS_GROUP_BY = {
    "actor",
    "actor_type",
    "agent_id",
    "api_key_id",
    "claude_tag_category",
    "claude_tag_user_id",
    "context_window",
    "deployment_id",
    "environment_id",
    "inference_geo",
    "model",
    "product",
    "rbac_group_id",
    "service_tier",
}
# Parameters of GET /v1/organizations/analytics/usage (refs-17 §1.3); anything else is a 400.
ANALYTICS_PARAMS = {
    "starting_at",
    "ending_at",
    "group_by[]",
    "time_bucket_width",
    "limit",
    "page",
    "order_by",
    "order",
    "actor_ids[]",
    "actor_types[]",
    "api_key_ids[]",
    "models[]",
    "products[]",
    "workspace_ids[]",
}
USAGE_METRICS = ("uncached_input_tokens", "cache_read_input_tokens", "output_tokens", "requests")


def analytics_row(
    day: str,
    *,
    actor: dict[str, Any] | None,
    model: str | None,
    product: str | None,
    uncached_input_tokens: int = 0,
    cache_read_input_tokens: int = 0,
    ephemeral_5m_input_tokens: int = 0,
    ephemeral_1h_input_tokens: int = 0,
    output_tokens: int = 0,
    requests: int = 0,
) -> dict[str, Any]:
    """A row of the analytics usage report, grouped by actor, model and product.

    BetaAnalyticsUsageItem { ending_at, group, starting_at, usage }; usage = "cache_creation{
    ephemeral_1h_input_tokens, ephemeral_5m_input_tokens}, cache_read_input_tokens,
    output_tokens, requests, server_tool_use{web_search_requests}, total_tokens,
    uncached_input_tokens" (https://rubydoc.info/github/anthropics/anthropic-sdk-ruby/Anthropic/Models/Beta/Organization/Analytics/BetaAnalyticsUsageItem;
    refs-17 §1.4). Without a time bucket, starting_at is "the requested `starting_at` rounded
    down to the hour". total_tokens' definition is unconfirmed: the adapter never reads it.
    """
    start = dt.date.fromisoformat(day)
    group = dict.fromkeys(ANALYTICS_GROUP)
    group.update(actor=actor, model=model, product=product)
    if actor is not None:
        group["actor_type"] = actor["type"]
    return {
        "starting_at": f"{start}T00:00:00Z",
        "ending_at": f"{start + dt.timedelta(days=1)}T00:00:00Z",
        "group": group,
        "usage": {
            "uncached_input_tokens": uncached_input_tokens,
            "cache_creation": {
                "ephemeral_1h_input_tokens": ephemeral_1h_input_tokens,
                "ephemeral_5m_input_tokens": ephemeral_5m_input_tokens,
            },
            "cache_read_input_tokens": cache_read_input_tokens,
            "output_tokens": output_tokens,
            "requests": requests,
            "server_tool_use": {"web_search_requests": 0},
            "total_tokens": uncached_input_tokens
            + cache_read_input_tokens
            + ephemeral_1h_input_tokens
            + ephemeral_5m_input_tokens
            + output_tokens,
        },
    }


def user_actor(user_id: str, email: str | None, name: str = "") -> dict[str, Any]:
    # user_actor: `deleted`, `email_address: string or null`, `name`, `user_id` ("Tagged user
    # ID.") (https://platform.claude.com/docs/zh-CN/api/http/beta/organization/analytics.md)
    return {
        "type": "user_actor",
        "user_id": user_id,
        "email_address": email,
        "name": name or None,
        "deleted": False,
    }


class AnthropicStub(ProviderStub):
    """Messages usage paged by `page`, users by `after_id`; x-api-key and a version header.
    Claude Code analytics: one day per request (`starting_at`), paged by `page`.

    The Usage and Cost Analytics API answers 404 (an organisation without it) until
    `analytics_rows` is set ({day: [rows]}, see analytics_row), or `analytics_status` says
    another refusal. An Analytics API key (ANALYTICS_KEY) reads only the analytics endpoint;
    the Admin API refuses it with 403.
    """

    unauthorized = {
        "type": "error",
        "error": {"type": "authentication_error", "message": "invalid x-api-key"},
        "request_id": "req_test",
    }
    analytics_page_size = 2  # the stub's own page size: days span pages

    def __init__(self, httpserver: Any) -> None:
        super().__init__(httpserver)
        page1 = load("anthropic/messages_usage_page1.json")
        users1 = load("anthropic/users_page1.json")
        self.usage_pages = {
            None: page1,
            page1["next_page"]: load("anthropic/messages_usage_page2.json"),
        }
        self.users_pages = {None: users1, users1["last_id"]: load("anthropic/users_page2.json")}
        day4 = load("claude_code/2026-08-04_page1.json")
        self.claude_code_pages = {
            ("2026-08-03", None): load("claude_code/2026-08-03.json"),
            ("2026-08-04", None): day4,
            ("2026-08-04", day4["next_page"]): load("claude_code/2026-08-04_page2.json"),
            ("2026-08-05", None): load("claude_code/2026-08-05.json"),
        }
        httpserver.expect_request(anthropic.USAGE_PATH, method="GET").respond_with_handler(
            self.guarded(
                lambda r: self.raw_or(r.args.get("page"), self.usage_pages[r.args.get("page")]),
                usage=True,
            )
        )
        httpserver.expect_request(claude_code.USAGE_PATH, method="GET").respond_with_handler(
            self.guarded(self._claude_code, usage=True)
        )
        self.api_keys = load("anthropic/api_keys.json")
        httpserver.expect_request(claude_code.API_KEYS_PATH, method="GET").respond_with_handler(
            self.guarded(lambda r: json_response(self.api_keys))
        )
        httpserver.expect_request(anthropic.USERS_PATH, method="GET").respond_with_handler(
            self.guarded(lambda r: json_response(self.users_pages[r.args.get("after_id")]))
        )
        self.analytics_rows: dict[str, list[dict[str, Any]]] | None = None
        self.analytics_status = 404
        self.analytics_requests: list[Request] = []
        httpserver.expect_request(
            anthropic_analytics.USAGE_PATH, method="GET"
        ).respond_with_handler(self._analytics)

    def guarded(self, handler: Any, *, usage: bool = False) -> Any:
        admin_only = super().guarded(handler, usage=usage)

        def handle(request: Request) -> Response:
            if request.headers.get("x-api-key") == ANALYTICS_KEY:
                # "an Analytics API key cannot call the Admin API"
                return anthropic_error(
                    403, "permission_error", "This API key does not have access to this resource"
                )
            return admin_only(request)

        return handle

    def _analytics(self, request: Request) -> Response:
        """GET /v1/organizations/analytics/usage as the reference describes it
        (https://platform.claude.com/docs/en/api/python/beta/organization/analytics/usage/list):
        "Requires an API key with the `read:analytics` scope, or an Admin API key."; "Requires
        anthropic-beta: analytics-usage-cost-2026-08-24."; "Returns one row per combination of
        the requested `group_by[]` dimensions ... With no `group_by[]` and no
        `time_bucket_width`, a single row aggregates the whole range." The page envelope
        {data, has_more, next_page} is the adapter's stated assumption (refs-17 §1.4)."""
        self.analytics_requests.append(request)
        if request.headers.get("x-api-key") not in (ADMIN_KEY, ANALYTICS_KEY) or (
            request.headers.get("anthropic-version") != anthropic.API_VERSION
        ):
            return json_response(self.unauthorized, 401)
        if self.analytics_rows is None:
            if self.analytics_status == 403:
                return anthropic_error(
                    403, "permission_error", "This organization does not have access"
                )
            return anthropic_error(404, "not_found_error", "Not found")
        if request.headers.get("anthropic-beta") != anthropic_analytics.BETA:
            return anthropic_error(
                400, "invalid_request_error", "This endpoint requires the anthropic-beta header"
            )
        if unknown := set(request.args) - ANALYTICS_PARAMS:
            return anthropic_error(400, "invalid_request_error", f"Unknown parameter {unknown}")
        group_by = request.args.getlist("group_by[]")
        if bad := set(group_by) - ANALYTICS_GROUP_BY:
            return anthropic_error(400, "invalid_request_error", f"Invalid group_by[]: {bad}")
        try:
            start = dt.datetime.fromisoformat(request.args["starting_at"])
            end = dt.datetime.fromisoformat(request.args["ending_at"])
        except (KeyError, ValueError):
            return anthropic_error(400, "invalid_request_error", "starting_at: RFC 3339 required")
        if start.tzinfo is None or start < dt.datetime(2026, 1, 1, tzinfo=dt.UTC):
            # "RFC 3339 tz-aware. ... no earlier than 2026-01-01T00:00:00Z."
            return anthropic_error(400, "invalid_request_error", "starting_at out of range")
        rows = [
            row
            for day, day_rows in self.analytics_rows.items()
            if start.date() <= dt.date.fromisoformat(day) < end.date()
            for row in day_rows
        ]
        if not group_by:
            total = analytics_row(start.date().isoformat(), actor=None, model=None, product=None)
            for row in rows:
                for metric in USAGE_METRICS:
                    total["usage"][metric] += row["usage"][metric]
            rows = [total]
        elif set(group_by) != {"actor", "model", "product"}:
            raise AssertionError("the stub serves rows grouped by actor, model, product only")
        offset = int(request.args.get("page", "page_0").removeprefix("page_"))
        size = self.analytics_page_size
        more = offset + size < len(rows)
        return json_response(
            {
                "data": rows[offset : offset + size],
                "has_more": more,
                "next_page": f"page_{offset + size}" if more else None,
            }
        )

    def _claude_code(self, request: Request) -> Response:
        key = (request.args["starting_at"], request.args.get("page"))
        empty = {"data": [], "has_more": False, "next_page": None}
        return self.raw_or(key, self.claude_code_pages.get(key, empty))

    def authorized(self, request: Request) -> bool:
        return (
            request.headers.get("x-api-key") == ADMIN_KEY
            and request.headers.get("anthropic-version") == anthropic.API_VERSION
        )


class CursorStub(ProviderStub):
    """POST filtered-usage-events: filters recorded events by startDate..endDate (both
    inclusive), newest first, pages by page/pageSize; GET members. HTTP Basic, key as user."""

    unauthorized = {"error": "Unauthorized", "message": "Invalid API key"}

    def __init__(self, httpserver: Any) -> None:
        super().__init__(httpserver)
        self.events = load("cursor/usage_events.json")["usageEvents"]
        self.members = load("cursor/team_members.json")
        httpserver.expect_request(cursor.EVENTS_PATH, method="POST").respond_with_handler(
            self.guarded(self._events, usage=True)
        )
        httpserver.expect_request(cursor.MEMBERS_PATH, method="GET").respond_with_handler(
            self.guarded(lambda r: json_response(self.members))
        )

    def _events(self, request: Request) -> Response:
        body = json.loads(request.data)
        start, end = body["startDate"], body["endDate"]
        page, size = body.get("page", 1), body.get("pageSize", 100)
        chosen = sorted(
            (e for e in self.events if start <= int(e["timestamp"]) <= end),
            key=lambda e: int(e["timestamp"]),
            reverse=True,
        )
        pages = max(1, -(-len(chosen) // size))
        return self.raw_or(
            page,
            {
                "totalUsageEventsCount": len(chosen),
                "pagination": {
                    "numPages": pages,
                    "currentPage": page,
                    "pageSize": size,
                    "hasNextPage": page < pages,
                    "hasPreviousPage": page > 1,
                },
                "usageEvents": chosen[(page - 1) * size : page * size],
                "period": {"startDate": start, "endDate": end},
            },
        )

    def authorized(self, request: Request) -> bool:
        expected = "Basic " + base64.b64encode(f"{ADMIN_KEY}:".encode()).decode()
        return request.headers.get("Authorization") == expected
