"""The HTTP side of every adapter: JSON requests with bounded retries and clear errors."""

from __future__ import annotations

import datetime as dt
import email.utils
import ipaddress
import json
import math
import socket
import time
from collections.abc import Callable
from decimal import Decimal
from typing import TypedDict, Unpack

import httpx
import stamina
from django.conf import settings

from ingest.redaction import redact

# A JSON value as a provider sent it; numbers with a fraction are read as Decimal (money).
type JSON = dict[str, JSON] | list[JSON] | str | int | Decimal | float | bool | None
# A query parameter's value ("group_by[]" takes a list).
type ParamValue = str | int | list[str]

# "No payload attached" (a payload of JSON null is still a payload to keep).
NO_PAYLOAD = object()


class RequestOptions(TypedDict, total=False):
    """What a provider request may carry besides its method and path."""

    params: dict[str, ParamValue]
    json: JSON
    headers: dict[str, str]


class ProviderError(Exception):
    """A pull could not finish; the message says why in words an operator can act on."""

    def __init__(self, message: str, *, raw: object = NO_PAYLOAD) -> None:
        super().__init__(message)
        self.raw = raw  # the offending payload, kept for review


class ProviderUnavailable(ProviderError):
    """The provider stayed rate-limited, failing or unreachable after our retries: try later."""


class ProviderRejected(ProviderError):
    """The provider refused the request (bad key, missing permission, bad parameters)."""

    def __init__(self, message: str, *, status: int, raw: object = NO_PAYLOAD) -> None:
        super().__init__(message, raw=raw)
        self.status = status

    @property
    def bad_key(self) -> bool:
        return self.status in (401, 403)


class ProviderDataError(ProviderError):
    """A response did not have the documented shape. Retrying will not help."""


class UnsafeURL(ProviderError):
    """A request would go somewhere provider keys must never go. Retrying will not help."""


ALLOW_SETTING = "INGEST_ALLOW_PRIVATE_URLS"


INTERNAL_SETTING = "INGEST_INTERNAL_HOSTS"


def _internal(host: str) -> bool:
    """Whether the operator named this host as an in-house service (a gateway such as a
    LiteLLM proxy) that may live on a private address."""
    names = {name.rstrip(".").lower() for name in getattr(settings, INTERNAL_SETTING)}
    return host.rstrip(".").lower() in names


def _refusal(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, *, internal: bool = False
) -> str | None:
    """Why a request may not go to this address, or None if it may (a host named in
    INGEST_INTERNAL_HOSTS may be private, never loopback, link-local or the like)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    kinds = [  # the most telling name first: 127.0.0.1 and 169.254.x are "private" too
        ("an unspecified", address.is_unspecified),
        ("a loopback", address.is_loopback),
        ("a link-local", address.is_link_local),
        ("a multicast", address.is_multicast),
        ("a reserved", address.is_reserved),
        ("a private", address.is_private and not internal),
        ("a non-public", not address.is_global and not internal),
    ]
    kind = next((name for name, hit in kinds if hit), None)
    return f"{address} is {kind} address" if kind else None


def check_base_url(url: str) -> None:
    """Raise ValueError unless a provider's base URL is https:// to a named or public host,
    or to a private one named in INGEST_INTERNAL_HOSTS (anything, with
    INGEST_ALLOW_PRIVATE_URLS on: tests and local fakes)."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ValueError(f"{url!r} is not a URL: {exc}") from exc
    allowed = getattr(settings, ALLOW_SETTING)
    if parsed.scheme not in ("https", "http") or not parsed.host:
        raise ValueError(f"{url!r} is not an https:// URL with a host name")
    if parsed.userinfo:
        raise ValueError("a base URL may not carry a user name or password")
    if allowed:
        return
    if parsed.scheme != "https":
        raise ValueError(
            f"{url!r} is not https://; plain http:// is only allowed with {ALLOW_SETTING}=true"
        )
    host = parsed.host.rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        raise ValueError(f"{url!r} names this machine; only allowed with {ALLOW_SETTING}=true")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return  # a host name: its addresses are checked on every request
    if problem := _refusal(address, internal=_internal(host)):
        raise ValueError(f"{url!r}: {problem}; only allowed with {ALLOW_SETTING}=true")


def guard_request(request: httpx.Request) -> None:
    """Refuse a request whose URL fails check_base_url or whose host resolves to any
    loopback, private, link-local or otherwise non-public address (an httpx request hook,
    so it sees every request, redirects included)."""
    url = str(request.url.copy_with(query=None))
    try:
        check_base_url(url)
    except ValueError as exc:
        raise UnsafeURL(f"Refused to send the key to {url}: {exc}") from exc
    if getattr(settings, ALLOW_SETTING):
        return
    host, port = request.url.host, request.url.port or 443
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise httpx.ConnectError(f"cannot resolve {host}: {exc}", request=request) from exc
    internal = _internal(host)
    for info in infos:
        if problem := _refusal(ipaddress.ip_address(info[4][0]), internal=internal):
            allow = "never allowed" if internal else f"only allowed with {ALLOW_SETTING}=true"
            raise UnsafeURL(
                f"Refused to send the key to {url}: {host} resolves to {problem}; {allow}"
            )


RETRY_STATUSES = {429, 500, 502, 503, 504, 529}


def retry_after(values: list[str], *, now: dt.datetime | None = None) -> float | None:
    """The seconds a Retry-After header asks us to wait, read leniently; None if no value
    is usable (then the client backs off exponentially instead).

    A value is delay-seconds or an HTTP-date (RFC 9110, section 10.2.3). Servers also send
    the header twice, which arrives joined ("1, 1"), fractions ("1.5"), dates in the past
    (wait 0) and words ("soon"). The longest usable wait wins; negative, infinite and
    unreadable values are ignored. The caller caps the result.
    """
    now = now or dt.datetime.now(dt.UTC)
    waits: list[float] = []
    for value in values:
        # An HTTP-date has a comma of its own ("Wed, 21 Oct 2026 07:28:00 GMT"): try the whole
        # value first, then its comma-separated parts.
        whole = _one_retry_after(value.strip(), now)
        parts = (_one_retry_after(part.strip(), now) for part in value.split(","))
        waits += [whole] if whole is not None else [w for w in parts if w is not None]
    return max(waits) if waits else None


def _one_retry_after(text: str, now: dt.datetime) -> float | None:
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if 0 <= seconds < math.inf else None  # also refuses "nan"
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": UTC, with the zone unknown to the sender
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


class _Retryable(Exception):
    """A try that may succeed later (a 429 or 5xx answer, a dropped connection); internal to
    JsonClient.request, which turns the last one into ProviderUnavailable."""

    def __init__(self, problem: str, wait: float | None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.wait = wait  # what Retry-After asked for, if anything usable


class Pacer:
    """Keeps requests to each rate-limited path at least 60 / (its per-minute limit) seconds
    apart, so a pull stays within a provider's documented limits instead of being refused.

    One pacer per client, and one client per pull: a connection is pulled by one worker at a
    time (ingest.services.runs.exclusive). clock and sleep are class attributes so tests can run
    pacing on a virtual clock.
    """

    clock: Callable[[], float] = staticmethod(time.monotonic)
    sleep: Callable[[float], None] = staticmethod(time.sleep)

    def __init__(self, per_minute: dict[str, int]) -> None:
        self.gaps = {path: 60.0 / limit for path, limit in per_minute.items()}
        self.last: dict[str, float] = {}

    def wait(self, path: str) -> None:
        """Return once a request to path is within its limit; note that one is being sent."""
        gap = self.gaps.get(path)
        if gap is None:
            return
        if (last := self.last.get(path)) is not None and (due := last + gap - self.clock()) > 0:
            self.sleep(due)
        self.last[path] = self.clock()


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


def _json(response: httpx.Response, method: str, path: str) -> JSON:
    """The body as JSON, with numbers that have a fraction read exactly (money); None for a
    204 ("A header with no content", GitHub's answer when a report has nothing)."""
    if response.status_code == 204:
        return None
    try:
        body: JSON = json.loads(response.content, parse_float=Decimal)
        return body
    except ValueError as exc:
        raise ProviderDataError(
            f"{method} {path} answered {response.status_code} with a body that is not JSON",
            raw=response.content,
        ) from exc


class JsonClient:
    """A provider API at base_url; retries 429 and 5xx (stamina), honouring Retry-After.

    Every request passes guard_request, and redirects are not followed (a 3xx is an error),
    so the key goes nowhere but where it was entered for. Error text never carries the key.
    A pacer, if given, spaces requests to the provider's documented rate limits.
    """

    def __init__(
        self,
        *,
        base_url: str,
        headers: dict[str, str],
        secret: str,
        auth: httpx.Auth | tuple[str, str] | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self.http = httpx.Client(
            base_url=base_url,
            headers={"accept": "application/json", **headers},
            auth=auth,
            timeout=settings.INGEST_HTTP_TIMEOUT,
            follow_redirects=False,
            event_hooks={"request": [guard_request]},
        )
        self.secret = secret
        self.pacer = pacer
        self.attempts: int = settings.INGEST_MAX_ATTEMPTS
        self.max_wait: float = settings.INGEST_MAX_RETRY_WAIT
        self.total_timeout: float = settings.INGEST_HTTP_TOTAL_TIMEOUT

    def request(self, method: str, path: str, **kwargs: Unpack[RequestOptions]) -> JSON:
        body: JSON = self._retrying(method, path, _json, **kwargs)
        return body

    def download(self, url: str, *, shown: str) -> bytes:
        """The body of GET url as bytes (a report file, not JSON), with the same guard,
        retries and deadline as every request; errors name it as `shown` (a signed URL's
        query is a credential of its own and stays out of messages)."""

        def raw(response: httpx.Response, method: str, path: str) -> bytes:
            return response.content

        body: bytes = self._retrying("GET", url, raw, shown=shown)
        return body

    def _retrying[T](
        self,
        method: str,
        path: str,
        parse: Callable[[httpx.Response, str, str], T],
        *,
        shown: str = "",
        **kwargs: Unpack[RequestOptions],
    ) -> T:
        tries = 0
        shown = shown or path
        try:
            for attempt in stamina.retry_context(
                on=self._backoff,
                attempts=self.attempts,
                timeout=None,  # INGEST_MAX_ATTEMPTS and INGEST_MAX_RETRY_WAIT bound a request
                wait_initial=1.0,
                wait_max=self.max_wait,
                wait_jitter=1.0,
            ):
                with attempt:
                    tries = attempt.num
                    return self._once(method, path, parse, shown, **kwargs)
        except _Retryable as exc:
            raise ProviderUnavailable(
                f"{method} {shown} failed {tries} times; last: {exc.problem}"
            ) from None
        raise AssertionError("unreachable: stamina returns or raises")  # pragma: no cover

    def _backoff(self, exc: Exception) -> bool | float:
        """stamina's hook: retry only what may succeed later, after what Retry-After asked
        for (capped), or after stamina's jittered exponential backoff if it asked nothing
        usable."""
        if not isinstance(exc, _Retryable):
            return False
        if exc.wait is None:
            return True
        return min(self.max_wait, exc.wait)

    def _once[T](
        self,
        method: str,
        path: str,
        parse: Callable[[httpx.Response, str, str], T],
        shown: str,
        **kwargs: Unpack[RequestOptions],
    ) -> T:
        if self.pacer is not None:
            self.pacer.wait(path)
        try:
            response = self._fetch(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise _Retryable(self._redact(f"{type(exc).__name__}: {exc}"), None) from exc
        if response.is_redirect:
            raise ProviderRejected(
                f"{method} {shown} answered {response.status_code}, a redirect to "
                f"{self._redact(response.headers.get('location', ''))}: redirects are "
                "not followed; set the connection's base URL to where the API is",
                status=response.status_code,
            )
        if response.status_code < 400:
            return parse(response, method, shown)
        if response.status_code not in RETRY_STATUSES:
            raise ProviderRejected(
                f"{method} {shown} answered {response.status_code}: "
                f"{self._redact(_describe(response))}",
                status=response.status_code,
            )
        raise _Retryable(
            self._redact(f"HTTP {response.status_code}: {_describe(response)}"),
            retry_after(response.headers.get_list("retry-after")),
        )

    def _fetch(self, method: str, path: str, **kwargs: Unpack[RequestOptions]) -> httpx.Response:
        """The whole response, read within INGEST_HTTP_TOTAL_TIMEOUT. httpx's timeout bounds
        each read, so a provider sending a byte a second would hold a pull (and its lock)
        for as long as it liked; the body is read in chunks against a deadline instead."""
        total = self.total_timeout
        deadline = time.monotonic() + total
        timeout = httpx.Timeout(min(settings.INGEST_HTTP_TIMEOUT, total))
        with self.http.stream(method, path, timeout=timeout, **kwargs) as response:
            body = []
            for chunk in response.iter_raw():
                if time.monotonic() > deadline:
                    break
                body.append(chunk)
            if time.monotonic() > deadline:
                raise _Retryable(
                    f"the answer was still arriving after {total:g} s "
                    "(INGEST_HTTP_TOTAL_TIMEOUT): the provider is sending too slowly",
                    None,
                )
        # Rebuilt from the raw bytes, so the body is decoded once, as httpx would.
        whole = httpx.Response(
            response.status_code, headers=response.headers, content=b"".join(body)
        )
        whole.request = response.request
        whole.read()
        return whole

    def _redact(self, text: str) -> str:
        return redact(text, secrets=[self.secret])

    def get(self, path: str, **params: ParamValue) -> JSON:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: dict[str, JSON]) -> JSON:
        return self.request("POST", path, json=body)

    def close(self) -> None:
        self.http.close()
