"""Stand-ins for provider APIs: real HTTP servers on 127.0.0.1 serving recorded pages.

Each stub checks authentication the way its provider does, pages the way its provider does,
records the requests it got, and can be told to fail first (a 429, a 500) or to serve a raw
body instead of a page.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from pathlib import Path
from typing import Any

from werkzeug import Request, Response

from ingest.providers import anthropic, claude_code, cursor, openai

DATA = Path(__file__).parent / "data"
ADMIN_KEY = "sk-admin-test-key"


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


class AnthropicStub(ProviderStub):
    """Messages usage paged by `page`, users by `after_id`; x-api-key and a version header.
    Claude Code analytics: one day per request (`starting_at`), paged by `page`."""

    unauthorized = {
        "type": "error",
        "error": {"type": "authentication_error", "message": "invalid x-api-key"},
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
                usage=True,
            )
        )
        httpserver.expect_request(claude_code.USAGE_PATH, method="GET").respond_with_handler(
            self.guarded(self._claude_code, usage=True)
        )
        self.api_keys = load("anthropic/api_keys.json")
        self.list_requests: list[Request] = []
        httpserver.expect_request(anthropic.API_KEYS_PATH, method="GET").respond_with_handler(
            self.guarded(self._api_keys)
        )
        httpserver.expect_request(anthropic.USERS_PATH, method="GET").respond_with_handler(
            self.guarded(lambda r: json_response(self.users_pages[r.args.get("after_id")]))
        )

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
        return id_paged(
            request,
            self.api_keys["data"],
            provider="anthropic",
            cursor="after_id",
            most=1000,
            allowed={"before_id", "created_by_user_id", "status", "workspace_id"},
            envelope={},
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
