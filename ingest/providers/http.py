"""The HTTP side of every adapter: JSON requests with bounded retries and clear errors."""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from typing import Any

import httpx
from django.conf import settings


class ProviderError(Exception):
    """A pull could not finish; the message says why in words an operator can act on."""


class ProviderUnavailable(ProviderError):
    """The provider stayed rate-limited, failing or unreachable after our retries: try later."""


class ProviderRejected(ProviderError):
    """The provider refused the request (bad key, missing permission, bad parameters)."""


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
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("message") or body["error"])
    return str(body)[:200]


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
                    try:
                        return response.json()
                    except ValueError as exc:
                        raise ProviderDataError(
                            f"{method} {path} answered {response.status_code} with a body "
                            "that is not JSON"
                        ) from exc
                if response.status_code not in RETRY_STATUSES:
                    raise ProviderRejected(
                        f"{method} {path} answered {response.status_code}: {_describe(response)}"
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

    def close(self) -> None:
        self.http.close()
