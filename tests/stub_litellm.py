"""A LiteLLM proxy stand-in: a real HTTP server answering GET /user/list and
GET /user/daily/activity from recorded daily-spend rows, as the proxy's handlers do.

References (BerriAI/litellm; the proxy has no API reference apart from the Swagger its
FastAPI handlers generate):
- https://docs.litellm.ai/docs/proxy/metrics: "Optional query parameters: `model`,
  `api_key` and `user_id` filter the results (non-admin callers must pass their own
  `user_id`), `page` and `page_size` (default 50, max 1000) paginate them".
- litellm/proxy/management_endpoints/daily_activity_scopes.py `_user_query` (commit
  0d99b11d3e90bc535f29eeeeaac1604820ec8c56): start_date, end_date, model, api_key, user_id,
  timezone, include_current_utc_day.
- internal_user_endpoints.py (commit 1611cbc3ecf4c8ac06cdbe6031063c8ae79d0f4d):
  `page: int = fastapi.Query(default=1, ..., ge=1)`, `page_size: int = fastapi.Query(
  default=50, ..., ge=1, le=1000)`; "if start_date is None or end_date is None: raise
  HTTPException(status_code=status.HTTP_400_BAD_REQUEST, detail={"error": "Please provide
  start_date and end_date"})"; /user/list: `page ... ge=1`, `page_size ... default=25, ge=1,
  le=100`, sort_by checked by `_validate_sort_params` ("Invalid sort column. Must be one of:
  ...", 400).
- common_daily_activity_routes.py `aggregated_date_range_error` (commit
  4d86afbce5bf9309a3ab531360b0cdeac93ec86a): `datetime.strptime(start_date, "%Y-%m-%d")`,
  else "start_date and end_date must be valid YYYY-MM-DD dates" (the paginated route's
  words for a malformed date are UNCONFIRMED; these are the aggregated route's).

Errors come in the two shapes the proxy answers with: FastAPI's for a query parameter its
signature refuses (422, {"detail": [{"type", "loc", "msg", "input", "ctx"}]}), and an
HTTPException's ({"detail": {"error": ...}}); a bad key is a ProxyException, {"error":
{"message", "type", "param", "code"}}. FastAPI ignores query parameters a handler does not
declare, so the proxy does too, and so does this stub: it records them instead
(`ignored`), and the tests check the adapter sends none.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import defaultdict
from typing import Any

from werkzeug import Request, Response

from ingest.providers import litellm
from tests.stubs import ADMIN_KEY, ProviderStub, json_response, load

# A key that authenticates but is no proxy admin (an internal_user's virtual key).
INTERNAL_KEY = "sk-internal-user-key"
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ACTIVITY_PARAMS = {
    "start_date",
    "end_date",
    "model",
    "api_key",
    "user_id",
    "page",
    "page_size",
    "timezone",
    "include_current_utc_day",
}
USERS_PARAMS = {
    "role",
    "user_ids",
    "sso_user_ids",
    "user_email",
    "team",
    "page",
    "page_size",
    "sort_by",
    "sort_order",
}
SORT_COLUMNS = ["user_id", "user_email", "created_at", "spend", "user_alias", "user_role"]
METRICS = [
    "spend",
    "prompt_tokens",
    "completion_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "api_requests",
    "successful_requests",
    "failed_requests",
]


def invalid_key(key: str) -> dict[str, Any]:
    """user_api_key_auth's answer to a key it does not know (ProxyException)."""
    digest = hashlib.sha256(key.encode()).hexdigest()
    return {
        "error": {
            "message": "Authentication Error, Invalid proxy server token passed. Received API "
            f"Key = sk-...{key[-4:]}, Key Hash (Token) ={digest}. Unable to find token in cache "
            "or `LiteLLM_VerificationTokenTable`",
            "type": "token_not_found_in_db",
            "param": "key",
            "code": "401",
        }
    }


def validation_error(name: str, value: str, *, ge: int, le: int | None) -> dict[str, Any] | None:
    """FastAPI's 422 detail entry for an int query parameter with bounds, or None if fine
    (pydantic v2's messages)."""
    loc = ["query", name]
    try:
        number = int(value)
    except ValueError:
        return {
            "type": "int_parsing",
            "loc": loc,
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "input": value,
        }
    if number < ge:
        return {
            "type": "greater_than_equal",
            "loc": loc,
            "msg": f"Input should be greater than or equal to {ge}",
            "input": value,
            "ctx": {"ge": ge},
        }
    if le is not None and number > le:
        return {
            "type": "less_than_equal",
            "loc": loc,
            "msg": f"Input should be less than or equal to {le}",
            "input": value,
            "ctx": {"le": le},
        }
    return None


def zero() -> dict[str, Any]:
    return {
        "spend": 0.0,
        "flat_cost": 0.0,
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "cache_read_input_tokens": 0,
        "cache_creation_input_tokens": 0,
        "compression_saved_tokens": 0,
        "compression_savings_spend": 0.0,
        "prompt_caching_savings_spend": 0.0,
        "gateway_injected_caching_savings_spend": 0.0,
        "autorouter_savings_spend": 0.0,
        "total_tokens": 0,
        "successful_requests": 0,
        "failed_requests": 0,
        "api_requests": 0,
        "total_response_time_ms": 0,
        "timed_requests": 0,
    }


def add(metrics: dict[str, Any], row: dict[str, Any]) -> None:
    """common_daily_activity.update_metrics: floats summed as floats, total_tokens =
    prompt + completion."""
    for name in METRICS:
        metrics[name] += row.get(name) or 0
    metrics["total_tokens"] += (row.get("prompt_tokens") or 0) + (row.get("completion_tokens") or 0)


def bucket() -> dict[str, Any]:
    return {"metrics": zero(), "metadata": {}, "api_key_breakdown": {}}


def group(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One page's rows as `results`: by date, newest first, with the model, provider and
    api_key breakdowns `update_breakdown_metrics` builds (a row without a model is in the
    day's metrics only)."""
    days: dict[str, dict[str, Any]] = {}
    for row in rows:
        day = days.setdefault(
            row["date"],
            {
                "date": row["date"],
                "metrics": zero(),
                "breakdown": {
                    "mcp_servers": {},
                    "models": {},
                    "model_groups": {},
                    "providers": {},
                    "endpoints": {},
                    "api_keys": {},
                    "entities": {},
                },
            },
        )
        add(day["metrics"], row)
        breakdown = day["breakdown"]
        if row.get("model"):
            add(breakdown["models"].setdefault(row["model"], bucket())["metrics"], row)
        if group_key := row.get("model_group") or row.get("model"):
            add(breakdown["model_groups"].setdefault(group_key, bucket())["metrics"], row)
        provider = row.get("custom_llm_provider") or "unknown"
        add(breakdown["providers"].setdefault(provider, bucket())["metrics"], row)
        key = breakdown["api_keys"].setdefault(
            row["api_key"], {"metrics": zero(), "metadata": {"key_alias": None}}
        )
        add(key["metrics"], row)
    return sorted(days.values(), key=lambda d: d["date"], reverse=True)


class LiteLLMStub(ProviderStub):
    """GET /user/list and GET /user/daily/activity over recorded rows; Bearer or
    x-litellm-api-key auth; the usage pages can be held, failed or replaced by key
    (user_id or "", page)."""

    def __init__(self, httpserver: Any) -> None:
        super().__init__(httpserver)
        self.rows: list[dict[str, Any]] = load("litellm/daily_user_spend.json")
        self.users: list[dict[str, Any]] = load("litellm/users.json")["users"]
        self.ignored: list[str] = []  # query parameters the handlers do not declare
        self.user_requests: list[Request] = []
        httpserver.expect_request(litellm.ACTIVITY_PATH, method="GET").respond_with_handler(
            self.guarded(self._activity, usage=True)
        )
        httpserver.expect_request(litellm.USERS_PATH, method="GET").respond_with_handler(
            self.guarded(self._users)
        )

    def key(self, request: Request) -> str:
        """`Authorization: Bearer <key>`, as the docs' curl examples send it; else the
        `x-litellm-api-key` header, which clients of the proxy send with the bare key or
        with "Bearer " (UNCONFIRMED in the proxy's own source as read: seen only in its
        clients' code, e.g. MCP gateway configs `"x-litellm-api-key": "Bearer sk-1234"`)."""
        bearer = request.headers.get("Authorization", "")
        if bearer.startswith("Bearer "):
            return bearer.removeprefix("Bearer ").strip()
        return request.headers.get("x-litellm-api-key", "").removeprefix("Bearer ").strip()

    def authorized(self, request: Request) -> bool:
        if self.key(request) in (ADMIN_KEY, INTERNAL_KEY):
            return True
        self.unauthorized = invalid_key(self.key(request) or "none")
        return False

    def bad_request(self, param: str, message: str) -> Any:
        return {"detail": {"error": message}}

    def _checked(self, request: Request, declared: set[str], limit: int) -> Response | None:
        self.ignored += [name for name in request.args if name not in declared]
        problems = [
            problem
            for name, le in (("page", None), ("page_size", limit))
            if name in request.args
            and (problem := validation_error(name, request.args[name], ge=1, le=le))
        ]
        return json_response({"detail": problems}, 422) if problems else None

    def _users(self, request: Request) -> Response:
        self.user_requests.append(request)
        if refused := self._checked(request, USERS_PARAMS, litellm.USERS_PAGE_SIZE):
            return refused
        if self.key(request) != ADMIN_KEY:
            # UNCONFIRMED wording: the route check refuses /user/list to an internal_user
            return json_response(
                {
                    "error": {
                        "message": "Only proxy admin can be used to generate, delete, update "
                        "info for new keys/users/teams. Route=/user/list. Your role="
                        "internal_user",
                        "type": "auth_error",
                        "param": "None",
                        "code": "401",
                    }
                },
                401,
            )
        sort_by = request.args.get("sort_by")
        if sort_by is not None and sort_by not in SORT_COLUMNS:
            message = f"Invalid sort column. Must be one of: {', '.join(SORT_COLUMNS)}"
            return json_response(self.bad_request("sort_by", message), 400)
        if request.args.get("sort_order", "asc").lower() not in ("asc", "desc"):
            message = "Invalid sort order. Must be 'asc' or 'desc'"
            return json_response(self.bad_request("sort_order", message), 400)
        page, size = int(request.args.get("page", 1)), int(request.args.get("page_size", 25))
        users = sorted(self.users, key=lambda u: u[sort_by]) if sort_by else self.users
        return json_response(
            {
                "users": users[(page - 1) * size : page * size],
                "total": len(users),
                "page": page,
                "page_size": size,
                "total_pages": -(-len(users) // size),
            }
        )

    def _activity(self, request: Request) -> Response:
        if refused := self._checked(request, ACTIVITY_PARAMS, litellm.ACTIVITY_PAGE_SIZE):
            return refused
        start, end = request.args.get("start_date"), request.args.get("end_date")
        if start is None or end is None:
            return json_response(
                self.bad_request("", "Please provide start_date and end_date"), 400
            )
        for value in (start, end):
            try:
                valid = bool(DATE.fullmatch(value)) and dt.date.fromisoformat(value) is not None
            except ValueError:
                valid = False
            if not valid:
                message = "start_date and end_date must be valid YYYY-MM-DD dates"
                return json_response(self.bad_request("", message), 400)
        user_id = request.args.get("user_id")
        if self.key(request) != ADMIN_KEY and user_id is None:
            return json_response(
                self.bad_request("", "Non-admins must provide their own user_id"), 403
            )
        page, size = int(request.args.get("page", 1)), int(request.args.get("page_size", 50))
        chosen = sorted(
            (
                r
                for r in self.rows
                if start <= r["date"] <= end
                and (user_id is None or r["user_id"] == user_id)
                and request.args.get("model") in (None, r["model"])
                and request.args.get("api_key") in (None, r["api_key"])
            ),
            key=lambda r: r["id"],
        )
        # order=[{"date": "desc"}, {"id": "asc"}]
        chosen.sort(key=lambda r: r["date"], reverse=True)
        rows = chosen[(page - 1) * size : page * size]
        totals: dict[str, Any] = defaultdict(float, zero())
        for row in rows:
            add(totals, row)
        body = {
            "results": group(rows),
            "metadata": {
                **{f"total_{n}": totals[n] for n in METRICS if n != "spend"},
                "total_spend": totals["spend"],
                "total_tokens": totals["total_tokens"],
                "page": page,
                "total_pages": -(-len(chosen) // size),
                "has_more": page * size < len(chosen),
            },
        }
        return self.raw_or((user_id or "", page), body)
