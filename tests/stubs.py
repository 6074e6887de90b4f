"""Stand-ins for provider APIs: real HTTP servers on 127.0.0.1 serving recorded pages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from werkzeug import Request, Response

from ingest.providers.openai import USAGE_PATH, USERS_PATH

DATA = Path(__file__).parent / "data" / "openai"
ADMIN_KEY = "sk-admin-test-key"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


class OpenAIStub:
    """A stand-in for the OpenAI Admin API on 127.0.0.1, serving recorded pages by cursor."""

    def __init__(self, httpserver: Any) -> None:
        page1 = load("usage_completions_page1.json")
        users1 = load("users_page1.json")
        self.usage_pages: dict[str | None, Any] = {
            None: page1,
            page1["next_page"]: load("usage_completions_page2.json"),
        }
        self.users_pages: dict[str | None, Any] = {
            None: users1,
            users1["last_id"]: load("users_page2.json"),
        }
        # Bodies to serve as they are (bytes) instead of a page, by cursor.
        self.raw_pages: dict[str | None, bytes] = {}
        self.usage_requests: list[Request] = []
        # Responses to give instead of the real page, in order: (status, body, headers).
        self.usage_failures: list[tuple[int, Any, dict[str, str]]] = []
        httpserver.expect_request(USAGE_PATH, method="GET").respond_with_handler(self._usage)
        httpserver.expect_request(USERS_PATH, method="GET").respond_with_handler(self._users)
        self.base_url = httpserver.url_for("/").rstrip("/")

    def _json(
        self, body: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> Response:
        return Response(
            json.dumps(body), status=status, headers=headers, content_type="application/json"
        )

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {ADMIN_KEY}"

    def _unauthorized(self) -> Response:
        return self._json(
            {
                "error": {
                    "message": "Incorrect API key provided",
                    "type": "invalid_request_error",
                    "code": "invalid_api_key",
                    "param": None,
                }
            },
            status=401,
        )

    def _usage(self, request: Request) -> Response:
        self.usage_requests.append(request)
        if not self._authorized(request):
            return self._unauthorized()
        if self.usage_failures:
            status, body, headers = self.usage_failures.pop(0)
            return self._json(body, status, headers)
        cursor = request.args.get("page")
        if cursor in self.raw_pages:
            return Response(self.raw_pages[cursor], content_type="application/json")
        return self._json(self.usage_pages[cursor])

    def _users(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._unauthorized()
        return self._json(self.users_pages[request.args.get("after")])

    def result(self, page: str | None, bucket: int, index: int) -> dict[str, Any]:
        return self.usage_pages[page]["data"][bucket]["results"][index]
