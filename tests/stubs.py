"""Stand-ins for provider APIs: real HTTP servers on 127.0.0.1 serving recorded pages.

Each stub checks authentication the way its provider does, validates the request the way its
provider documents (an unknown parameter, an unsupported value, a limit above the maximum:
400 in the provider's error shape), pages the way its provider does, records the requests it
got, and can be told to fail first (a 429, a 500) or to serve a raw body instead of a page.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import threading
from pathlib import Path
from typing import Any

from werkzeug import Request, Response

from ingest.providers import anthropic, anthropic_analytics, claude_code, cursor, openai

DATA = Path(__file__).parent / "data"
ADMIN_KEY = "sk-admin-test-key"
# More requests than any test's pull needs: an adapter that pages in circles gets a 400 here
# (and its test fails) instead of hanging the suite.
MAX_REQUESTS = 200
# A Claude Enterprise Analytics API key: "Keys carry the `read:analytics` scope." "an Analytics
# API key cannot call the Admin API" (https://platform.claude.com/docs/en/manage-claude/analytics-api)
ANALYTICS_KEY = "sk-ant-analytics-test-key"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body), status=status, headers=headers, content_type="application/json"
    )


# What each endpoint accepts, from the providers' references (the URL and words quoted above
# each table). A parameter maps to a rule: "values" (allowed values; every element of an
# array), "max" (the largest number, or per bucket_width), "required". Array parameters keep
# the name they travel under. Parameters not listed are refused.

# https://platform.openai.com/docs/api-reference/usage (openai/openai-openapi openapi.yaml):
# group_by "Group the usage data by the specified fields. Support fields include `project_id`,
# `user_id`, `api_key_id`, `model`, `batch`, `service_tier` or any combination of them.";
# limit "`bucket_width=1d`: default: 7, max: 31 - `bucket_width=1h`: default: 24, max: 168 -
# `bucket_width=1m`: default: 60, max: 1440". The spec leaves array encoding to the client
# (form: group_by=a&group_by=b; the official SDK sends group_by[]=a): both are taken.
BUCKET_LIMITS = {"1d": 31, "1h": 168, "1m": 1440}
OPENAI_COMPLETIONS: dict[str, dict[str, Any]] = {
    "start_time": {"required": True},
    "end_time": {},
    "bucket_width": {"values": ["1m", "1h", "1d"]},
    "project_ids": {},
    "user_ids": {},
    "api_key_ids": {},
    "models": {},
    "batch": {"values": ["true", "false"]},
    "group_by": {
        "values": ["project_id", "user_id", "api_key_id", "model", "batch", "service_tier"]
    },
    "limit": {"max": BUCKET_LIMITS},
    "page": {},
}
# GET /v1/organization/users: limit "Limit can range between 1 and 100, and the default is
# 20."; after; emails.
OPENAI_USERS: dict[str, dict[str, Any]] = {"limit": {"max": 100}, "after": {}, "emails": {}}

# https://platform.claude.com/docs/en/api/admin/usage_report/retrieve_messages: group_by[]
# "Group by any subset of the available options." (the nine below); limit "`"1d"`: Default of
# 7 days, maximum of 31 days • `"1h"`: Default of 24 hours, maximum of 168 hours • `"1m"`:
# Default of 60 minutes, maximum of 1440 minutes". Arrays travel with brackets, as in the
# guide's curl examples (group_by[]=model).
ANTHROPIC_MESSAGES: dict[str, dict[str, Any]] = {
    "starting_at": {"required": True},
    "ending_at": {},
    "bucket_width": {"values": ["1d", "1h", "1m"]},
    "limit": {"max": BUCKET_LIMITS},
    "page": {},
    "group_by[]": {
        "values": [
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
        # "Grouping by `speed` requires the `fast-mode-2026-02-01` beta header."
        "beta": {"speed": "fast-mode-2026-02-01"},
    },
    "account_ids[]": {},
    "api_key_ids[]": {},
    "workspace_ids[]": {},
    "service_account_ids[]": {},
    "models[]": {},
    "service_tiers[]": {
        "values": [
            "batch",
            "flex",
            "flex_discount",
            "priority",
            "priority_on_demand",
            "standard",
        ]
    },
    "context_window[]": {"values": ["0-200k", "200k-1M"]},
    "inference_geos[]": {"values": ["global", "not_available", "us"]},
    # speeds[]: "Requires the `fast-mode-2026-02-01` beta header."
    "speeds[]": {
        "values": ["fast", "standard"],
        "beta": {"fast": "fast-mode-2026-02-01", "standard": "fast-mode-2026-02-01"},
    },
}
# https://platform.claude.com/docs/en/api/admin/usage_report/retrieve_claude_code:
# starting_at "UTC date in YYYY-MM-DD format."; limit "Number of records per page (default:
# 20, max: 1000)."; page "Opaque cursor token from previous response's `next_page` field."
CLAUDE_CODE: dict[str, dict[str, Any]] = {
    "starting_at": {"required": True},
    "limit": {"max": 1000},
    "page": {},
}
# https://platform.claude.com/docs/en/api/admin/users/list: limit "Defaults to `20`. Ranges
# from `1` to `1000`."; after_id, before_id, email, roles[].
ANTHROPIC_USERS: dict[str, dict[str, Any]] = {
    "limit": {"max": 1000},
    "after_id": {},
    "before_id": {},
    "email": {},
    "roles[]": {},
}
# https://platform.claude.com/docs/en/api/admin/api_keys/list: limit "Defaults to `20`. Ranges
# from `1` to `1000`."; status "active", "archived", "expired", "inactive".
ANTHROPIC_API_KEYS: dict[str, dict[str, Any]] = {
    "limit": {"max": 1000},
    "after_id": {},
    "before_id": {},
    "created_by_user_id": {},
    "status": {"values": ["active", "archived", "expired", "inactive"]},
    "workspace_id": {},
}
# https://cursor.com/docs/account/teams/admin-api, POST /teams/filtered-usage-events body:
# pageSize "Number of results per page. Default: `100`. Maximum: `1000`."; hostingType "An
# unrecognized `hostingType` value returns a `400` error".
CURSOR_EVENTS: dict[str, dict[str, Any]] = {
    "startDate": {},
    "endDate": {},
    "userId": {},
    "page": {},
    "pageSize": {"max": 1000},
    "email": {},
    "serviceAccountId": {},
    "cloudAgentId": {},
    "automationId": {},
    "hostingType": {"values": ["CLOUD", "SELF_HOSTED", "SELF_HOSTED_POOL", "SELF_HOSTED_MACHINE"]},
}
# GET /teams/members takes no parameters.
CURSOR_MEMBERS: dict[str, dict[str, Any]] = {}


def request_problem(
    given: dict[str, list[Any]],
    allowed: dict[str, dict[str, Any]],
    *,
    brackets: bool = False,
    betas: str = "",
) -> tuple[str, str] | None:
    """(parameter, what is wrong) for the first way a request breaks its endpoint's rules,
    or None. brackets: `name[]` may stand for `name` (OpenAI's arrays); betas: the request's
    anthropic-beta header."""
    for name, values in given.items():
        key = name[:-2] if brackets and name.endswith("[]") else name
        if key not in allowed:
            return name, f"{name}: Extra inputs are not permitted"
        rule = allowed[key]
        for value in values:
            if "values" in rule and str(value) not in rule["values"]:
                return name, f"{name}: {value!r} is not one of {', '.join(rule['values'])}"
            beta = rule.get("beta", {}).get(str(value))
            if beta and beta not in [b.strip() for b in betas.split(",")]:
                return name, f"{name}: {value!r} requires the {beta} beta header"
            if "max" in rule:
                most = rule["max"]
                if isinstance(most, dict):
                    width = (given.get("bucket_width") or ["1d"])[0]
                    most = most.get(width, min(most.values()))
                try:
                    number = int(value)
                except (TypeError, ValueError):
                    return name, f"{name}: {value!r} is not an integer"
                if not 1 <= number <= most:
                    return name, f"{name}: must be between 1 and {most}, got {number}"
    for key, rule in allowed.items():
        if rule.get("required") and key not in given:
            return key, f"{key}: Field required"
    return None


class ProviderStub:
    """What every stub shares: auth, request checks, injected failures, raw bodies, a
    request log."""

    unauthorized: Any = {"error": {"message": "invalid key"}}
    brackets = False  # whether `name[]` may stand for an array parameter `name`

    def __init__(self, httpserver: Any) -> None:
        self.base_url = httpserver.url_for("/").rstrip("/")
        self.requests = 0
        self.usage_requests: list[Request] = []
        # Responses to give instead of the next usage page, in order: (status, body, headers).
        self.usage_failures: list[tuple[int, Any, dict[str, str]]] = []
        # Bodies to serve as they are instead of a usage page, by cursor (or page number).
        self.raw_pages: dict[Any, bytes] = {}
        # Usage pages that wait, by cursor, until their event is set (a slow provider).
        self.held_pages: dict[Any, threading.Event] = {}

    def authorized(self, request: Request) -> bool:
        raise NotImplementedError

    def bad_request(self, param: str, message: str) -> Any:
        """The provider's 400 body."""
        raise NotImplementedError

    def parameters(self, request: Request) -> dict[str, list[Any]]:
        """The request's parameters by name (a GET's query string)."""
        return request.args.to_dict(flat=False)

    def guarded(
        self,
        handler: Any,
        *,
        allowed: dict[str, dict[str, Any]] | None = None,
        usage: bool = False,
    ) -> Any:
        """handler behind the stub's checks; allowed=None leaves the parameters to a handler
        that validates them itself (the id-paged lists)."""

        def handle(request: Request) -> Response:
            self.requests += 1
            if usage:
                self.usage_requests.append(request)
            if self.requests > MAX_REQUESTS:
                return json_response(self.bad_request("", "stub: endless paging"), 400)
            if not self.authorized(request):
                return json_response(self.unauthorized, 401)
            if allowed is not None and (
                problem := request_problem(
                    self.parameters(request),
                    allowed,
                    brackets=self.brackets,
                    betas=", ".join(request.headers.getlist("anthropic-beta")),
                )
            ):
                return json_response(self.bad_request(*problem), 400)
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


def bad_request(provider: str, message: str, param: str | None = None) -> Response:
    """A 400 in the provider's error shape.

    Anthropic (https://platform.claude.com/docs/en/api/errors): "a top-level `error` object
    that always includes a `type` and `message` value. The response also includes a
    `request_id` field". OpenAI (openai-openapi `ErrorResponse`): `{error: {code, message,
    param, type}}`, all four required.
    """
    if provider == "anthropic":
        body: Any = {
            "type": "error",
            "error": {"type": "invalid_request_error", "message": message},
            "request_id": "req_test",
        }
    else:
        body = {
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": param,
                "code": None,
            }
        }
    return json_response(body, 400)


def id_paged(
    request: Request,
    items: list[dict[str, Any]],
    *,
    provider: str,
    cursor: str,
    most: int,
    allowed: set[str],
    envelope: dict[str, Any],
) -> Response:
    """A cursor-paged list ({data, first_id, last_id, has_more}) whose cursor is the id of the
    last item seen (`after` at OpenAI, `after_id` at Anthropic), with `limit` from 1 to most;
    an unknown parameter, a bad limit or an unknown cursor is a 400."""
    unknown = set(request.args) - allowed - {"limit", cursor}
    if unknown:
        name = sorted(unknown)[0]
        return bad_request(provider, f"{name}: Extra inputs are not permitted", name)
    try:
        limit = int(request.args.get("limit", 20))  # both: "Defaults to `20`" / "default is 20"
    except ValueError:
        return bad_request(provider, "limit: Input should be a valid integer", "limit")
    if not 1 <= limit <= most:
        return bad_request(provider, f"limit: must be between 1 and {most}", "limit")
    start = 0
    if after := request.args.get(cursor):
        ids = [item["id"] for item in items]
        if after not in ids:
            return bad_request(provider, f"{cursor}: no such object", cursor)
        start = ids.index(after) + 1
    page = items[start : start + limit]
    return json_response(
        {
            **envelope,
            "data": page,
            "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None,
            "has_more": start + limit < len(items),
        }
    )


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
    brackets = True

    def bad_request(self, param: str, message: str) -> Any:
        # ErrorResponse (openapi.yaml): {error: {code, message, param, type}}, all required
        return {
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": param,
                "code": None,
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
                allowed=OPENAI_COMPLETIONS,
                usage=True,
            )
        )
        httpserver.expect_request(openai.USERS_PATH, method="GET").respond_with_handler(
            self.guarded(
                lambda r: json_response(self.users_pages[r.args.get("after")]),
                allowed=OPENAI_USERS,
            )
        )
        # Projects and their keys, by project id (the recorded sample: one project).
        self.projects: list[dict[str, Any]] = [load("openai/project.json")]
        self.project_keys: dict[str, list[dict[str, Any]]] = {
            "proj_Lm4Qx8Vt2RkN": load("openai/project_api_keys.json")["data"]
        }
        self.list_requests: list[Request] = []
        httpserver.expect_request(openai.PROJECTS_PATH, method="GET").respond_with_handler(
            self.guarded(self._projects)
        )
        httpserver.expect_request(
            re.compile(r"^/v1/organization/projects/(?P<project>[^/]+)/api_keys$"), method="GET"
        ).respond_with_handler(self.guarded(self._project_keys))

    def use_actors(self) -> None:
        """Serve the actors scenario (tests/data/openai/actors): people who use only API keys,
        service-account keys, a user the users list lacks, one listed with `email: null`, a
        user that "is a service account", counts above 2^31, and two pages of every list.
        Usage rows follow `UsageCompletionsResult` ("When `group_by=user_id`, this field
        provides the user ID of the grouped usage result", the same for `api_key_id` and
        `project_id`); projects.json and project_keys.json hold the `data` items, which the
        handlers page."""
        page1 = load("openai/actors/usage_page1.json")
        users1 = load("openai/actors/users_page1.json")
        self.usage_pages = {None: page1, page1["next_page"]: load("openai/actors/usage_page2.json")}
        self.users_pages = {None: users1, users1["last_id"]: load("openai/actors/users_page2.json")}
        self.projects = load("openai/actors/projects.json")
        self.project_keys = load("openai/actors/project_keys.json")

    def _projects(self, request: Request) -> Response:
        # GET /v1/organization/projects (openai-openapi `list-projects`): `limit` "can range
        # between 1 and 100, and the default is 20", `after` "an object ID that defines your
        # place in the list", `include_archived`; `ProjectListResponse` is {object: "list",
        # data: [Project], first_id, last_id, has_more}.
        self.list_requests.append(request)
        return id_paged(
            request,
            self.projects,
            provider="openai",
            cursor="after",
            most=100,
            allowed={"include_archived"},
            envelope={"object": "list"},
        )

    def _project_keys(self, request: Request) -> Response:
        # GET /v1/organization/projects/{project_id}/api_keys (`list-project-api-keys`):
        # `limit` (1-100, default 20), `after`, `owner_project_access` ("`active`,
        # `inactive`, or `any` for all enabled project API keys"); `ProjectApiKey.owner` is
        # {type: "user" | "service_account", user?, service_account?}.
        self.list_requests.append(request)
        project = request.path.split("/")[-2]
        if project not in self.project_keys:
            return json_response(
                {
                    "error": {
                        "message": f"No such project: {project}",
                        "type": "invalid_request_error",
                        "param": None,
                        "code": None,
                    }
                },
                404,
            )
        access = request.args.get("owner_project_access")
        if access is not None and access not in ("active", "inactive", "any"):
            return bad_request(
                "openai", "owner_project_access: invalid value", "owner_project_access"
            )
        return id_paged(
            request,
            self.project_keys[project],
            provider="openai",
            cursor="after",
            most=100,
            allowed={"owner_project_access"},
            envelope={"object": "list"},
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
ANALYTICS_GROUP_BY = set(ANALYTICS_GROUP[: ANALYTICS_GROUP.index("service_tier") + 1]) - {
    "organization_id"
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

    def bad_request(self, param: str, message: str) -> Any:
        # https://platform.claude.com/docs/en/api/errors: "a top-level `error` object that
        # always includes a `type` and `message` value. The response also includes a
        # `request_id` field"; 400 is invalid_request_error.
        return {
            "type": "error",
            "error": {"type": "invalid_request_error", "message": message},
            "request_id": "req_test",
        }

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
                allowed=ANTHROPIC_MESSAGES,
                usage=True,
            )
        )
        httpserver.expect_request(claude_code.USAGE_PATH, method="GET").respond_with_handler(
            self.guarded(self._claude_code, allowed=CLAUDE_CODE, usage=True)
        )
        self.api_keys = load("anthropic/api_keys.json")
        self.api_key_pages: dict[str | None, Any] = {}  # bodies to serve instead, by after_id
        self.list_requests: list[Request] = []
        httpserver.expect_request(anthropic.API_KEYS_PATH, method="GET").respond_with_handler(
            self.guarded(self._api_keys, allowed=ANTHROPIC_API_KEYS)
        )
        httpserver.expect_request(anthropic.USERS_PATH, method="GET").respond_with_handler(
            self.guarded(
                lambda r: json_response(self.users_pages[r.args.get("after_id")]),
                allowed=ANTHROPIC_USERS,
            )
        )
        self.analytics_rows: dict[str, list[dict[str, Any]]] | None = None
        self.analytics_status = 404
        self.analytics_requests: list[Request] = []
        httpserver.expect_request(
            anthropic_analytics.USAGE_PATH, method="GET"
        ).respond_with_handler(self._analytics)

    def use_actors(self) -> None:
        """Serve the actors scenario (tests/data/anthropic/actors, claude_code/actors): a person
        who uses only API keys, a key acting as a service account that a person created, a
        key bound to no principal, a key acting as a user the users list lacks, a key not
        listed, two keys of one name, mixed-case e-mails, counts above 2^31, and two pages
        of every list. Messages results: "`account_id` … `null` if not grouping by account
        or for non-OAuth requests", "`service_account_id` … `null` … for non-OIDC-federation
        requests" (https://platform.claude.com/docs/en/api/admin/usage_report/retrieve_messages);
        Claude Code actors: "`api_actor`: Contains `api_key_name` for users who authenticate
        with an API key" (https://platform.claude.com/docs/en/manage-claude/
        claude-code-analytics-api)."""
        page1 = load("anthropic/actors/messages_usage_page1.json")
        users1 = load("anthropic/actors/users_page1.json")
        self.usage_pages = {
            None: page1,
            page1["next_page"]: load("anthropic/actors/messages_usage_page2.json"),
        }
        self.users_pages = {
            None: users1,
            users1["last_id"]: load("anthropic/actors/users_page2.json"),
        }
        self.api_keys = load("anthropic/actors/api_keys.json")
        day1 = load("claude_code/actors/2026-09-01_page1.json")
        self.claude_code_pages = {
            ("2026-09-01", None): day1,
            ("2026-09-01", day1["next_page"]): load("claude_code/actors/2026-09-01_page2.json"),
        }

    def _api_keys(self, request: Request) -> Response:
        # GET /v1/organizations/api_keys (https://platform.claude.com/docs/en/api/admin/
        # api_keys/list): `after_id`, `before_id`, `created_by_user_id`, `limit` ("Defaults to
        # `20`. Ranges from `1` to `1000`."), `status`, `workspace_id`; the response is
        # {data, first_id, last_id, has_more}, "`last_id` … Can be used as the `after_id` for
        # the next page".
        self.list_requests.append(request)
        if (after := request.args.get("after_id")) in self.api_key_pages:
            return json_response(self.api_key_pages[after])
        return id_paged(
            request,
            self.api_keys["data"],
            provider="anthropic",
            cursor="after_id",
            most=1000,
            allowed={"before_id", "created_by_user_id", "status", "workspace_id"},
            envelope={},
        )

    def guarded(
        self,
        handler: Any,
        *,
        allowed: dict[str, dict[str, Any]] | None = None,
        usage: bool = False,
    ) -> Any:
        admin_only = super().guarded(handler, allowed=allowed, usage=usage)

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

    def bad_request(self, param: str, message: str) -> Any:
        # https://cursor.com/docs/api.md: errors are {"error": ..., "message": ...}
        return {"error": "Bad Request", "message": message}

    def parameters(self, request: Request) -> dict[str, list[Any]]:
        """A POST's JSON body, a GET's query string."""
        if request.method == "POST":
            body = json.loads(request.data or b"{}")
            return {name: [value] for name, value in body.items()}
        return super().parameters(request)

    def __init__(self, httpserver: Any) -> None:
        super().__init__(httpserver)
        self.events = load("cursor/usage_events.json")["usageEvents"]
        # Events that arrive, one after each events page served (a busy team's, mid-pull).
        self.arriving: list[Any] = []
        self.members = load("cursor/team_members.json")
        httpserver.expect_request(cursor.EVENTS_PATH, method="POST").respond_with_handler(
            self.guarded(self._events, allowed=CURSOR_EVENTS, usage=True)
        )
        httpserver.expect_request(cursor.MEMBERS_PATH, method="GET").respond_with_handler(
            self.guarded(lambda r: json_response(self.members), allowed=CURSOR_MEMBERS)
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
        if self.arriving:
            self.events.append(self.arriving.pop(0))
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
