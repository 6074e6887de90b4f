"""The HTTP side of every adapter: JSON requests with bounded retries and clear errors."""

from __future__ import annotations

import email.utils
import json
import random
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
from django.conf import settings

# "No payload attached" (a payload of JSON null is still a payload to keep).
NO_PAYLOAD: Any = object()


class ProviderError(Exception):
    """A pull could not finish; the message says why in words an operator can act on."""

    def __init__(self, message: str, *, raw: Any = NO_PAYLOAD) -> None:
        super().__init__(message)
        self.raw = raw  # the offending payload, kept for review


class ProviderUnavailable(ProviderError):
    """The provider stayed rate-limited, failing or unreachable after our retries: try later."""


class ProviderRejected(ProviderError):
    """The provider refused the request (bad key, missing permission, bad parameters)."""

    def __init__(self, message: str, *, status: int, raw: Any = NO_PAYLOAD) -> None:
        super().__init__(message, raw=raw)
        self.status = status

    @property
    def bad_key(self) -> bool:
        return self.status in (401, 403)


class ProviderDataError(ProviderError):
    """A response did not have the documented shape. Retrying will not help."""


RETRY_STATUSES = {429, 500, 502, 503, 504, 529}


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def _describe(response: httpx.Response) -> str:
    """The provider's own words: OpenAI and Anthropic nest them in error.message, Cursor
    puts them in message."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if body.get("message"):
            return str(body["message"])
    return str(body)[:200]


def _json(response: httpx.Response, method: str, path: str) -> Any:
    """The body as JSON, with numbers that have a fraction read exactly (money)."""
    try:
        return json.loads(response.content, parse_float=Decimal)
    except ValueError as exc:
        raise ProviderDataError(
            f"{method} {path} answered {response.status_code} with a body that is not JSON",
            raw=response.content,
        ) from exc


class JsonClient:
    """A provider API at base_url; retries 429 and 5xx, honouring Retry-After."""

    def __init__(
        self,
        *,
        base_url: str,
        headers: dict[str, str],
        auth: httpx.Auth | tuple[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = httpx.Client(
            base_url=base_url,
            headers={"accept": "application/json", **headers},
            auth=auth,
            timeout=settings.INGEST_HTTP_TIMEOUT,
        )
        self.sleep = sleep
        self.attempts = settings.INGEST_MAX_ATTEMPTS
        self.max_wait = settings.INGEST_MAX_RETRY_WAIT

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        for attempt in range(1, self.attempts + 1):
            try:
                response = self.http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                problem, wait = f"{type(exc).__name__}: {exc}", None
            else:
                if response.status_code < 400:
                    return _json(response, method, path)
                if response.status_code not in RETRY_STATUSES:
                    raise ProviderRejected(
                        f"{method} {path} answered {response.status_code}: {_describe(response)}",
                        status=response.status_code,
                    )
                problem = f"HTTP {response.status_code}: {_describe(response)}"
                wait = _retry_after(response)
            if attempt == self.attempts:
                break
            backoff = min(self.max_wait, 2 ** (attempt - 1) + random.uniform(0, 1))
            self.sleep(min(self.max_wait, wait if wait is not None else backoff))
        raise ProviderUnavailable(f"{method} {path} failed {self.attempts} times; last: {problem}")

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.request("POST", path, json=body)

    def close(self) -> None:
        self.http.close()
