"""Where provider requests may go: https to public addresses only, no redirects followed, and
error text that never carries the key. How they are retried (Retry-After in any form) and
paced."""

from __future__ import annotations

import datetime as dt
import json
import socket
import time

import httpx
import pytest
import stamina
from werkzeug import Request, Response

from ingest.models import IngestRun, RejectedRow
from ingest.providers.http import (
    JsonClient,
    Pacer,
    ProviderUnavailable,
    UnsafeURL,
    check_base_url,
    guard_request,
    retry_after,
)
from ingest.services.connections import check_connection, connect_provider
from ingest.services.pulls import pull_connection

# A key no pattern would recognise: only the connection's own key, verbatim, finds it.
PLAIN_KEY = "plain-secret-value-42"


@pytest.fixture
def production(settings):
    settings.INGEST_ALLOW_PRIVATE_URLS = False


@pytest.fixture
def resolves_to(monkeypatch):
    """Make host names resolve to the addresses given, like a hostile or internal DNS."""
    real = socket.getaddrinfo
    names: dict[str, str] = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if host in names:
            family = socket.AF_INET6 if ":" in names[host] else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (names[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return names


def echoing(request: Request) -> Response:
    """A provider that refuses the key and quotes it back (as a hostile listener might)."""
    sent = request.headers.get("Authorization", "") or request.headers.get("x-api-key", "")
    body = {"error": {"message": f"the key {sent} is not valid here"}}
    return Response(json.dumps(body), status=401, content_type="application/json")


@pytest.mark.parametrize(
    "url",
    [
        "http://api.openai.com",
        "https://localhost:8443",
        "https://127.0.0.1",
        "https://10.1.2.3",
        "https://192.168.0.10",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]",
        "https://[::ffff:127.0.0.1]",
        "https://0.0.0.0",
        "https://100.64.0.1",
        "https://user:password@api.openai.com",
        "ftp://api.openai.com",
    ],
)
def test_base_urls_must_be_https_to_a_public_host(production, url) -> None:
    with pytest.raises(ValueError, match=r"https|address|this machine|password"):
        check_base_url(url)


def test_the_real_provider_urls_pass_the_check(production) -> None:
    for url in ["https://api.openai.com", "https://api.anthropic.com", "https://api.cursor.com"]:
        check_base_url(url)


def test_a_pull_from_an_http_url_is_refused_and_sends_nothing(
    openai_connection, httpserver, production
) -> None:
    run = pull_connection(
        connection=openai_connection, start=dt.date(2026, 8, 3), end=dt.date(2026, 8, 5)
    )

    assert run.status == IngestRun.Status.FAILED
    assert "Refused to send the key to http://127.0.0.1" in run.error
    assert "INGEST_ALLOW_PRIVATE_URLS" in run.error
    assert httpserver.log == []


def test_a_host_name_that_resolves_to_an_internal_address_is_refused(
    db, production, resolves_to
) -> None:
    resolves_to["usage.example.com"] = "10.0.0.5"
    connection, _ = connect_provider(
        name="openai-main",
        provider="openai",
        api_key=PLAIN_KEY,
        base_url="https://usage.example.com",
    )

    said = check_connection(connection=connection)

    assert "usage.example.com resolves to 10.0.0.5 is a private address" in said


def test_a_host_name_that_resolves_to_loopback_over_ipv6_is_refused(
    db, production, resolves_to
) -> None:
    resolves_to["usage.example.com"] = "::1"
    connection, _ = connect_provider(
        name="anthropic-main",
        provider="anthropic",
        api_key=PLAIN_KEY,
        base_url="https://usage.example.com",
    )

    run = pull_connection(connection=connection, start=dt.date(2026, 8, 3), end=dt.date(2026, 8, 3))

    assert run.status == IngestRun.Status.FAILED
    assert "resolves to ::1 is a loopback address" in run.error


def test_a_redirect_is_reported_and_not_followed(db, httpserver) -> None:
    elsewhere = httpserver.url_for("/collect")
    httpserver.expect_request("/v1/organization/users").respond_with_response(
        Response(status=302, headers={"Location": elsewhere})
    )
    connection, _ = connect_provider(
        name="openai-main", provider="openai", api_key=PLAIN_KEY, base_url=httpserver.url_for("")
    )

    said = check_connection(connection=connection)

    assert "answered 302, a redirect to" in said
    assert "redirects are not followed" in said
    assert [r.path for r, _ in httpserver.log] == ["/v1/organization/users"]


@pytest.mark.parametrize("provider", ["openai", "anthropic", "cursor"])
def test_a_provider_that_echoes_the_key_never_gets_it_stored_or_shown(
    db, httpserver, provider
) -> None:
    httpserver.expect_request("").respond_with_handler(echoing)
    connection, _ = connect_provider(
        name="echo", provider=provider, api_key=PLAIN_KEY, base_url=httpserver.url_for("")
    )

    said = check_connection(connection=connection)
    run = pull_connection(connection=connection, start=dt.date(2026, 8, 3), end=dt.date(2026, 8, 3))

    assert "is not valid here" in said
    assert "[redacted]" in said
    assert PLAIN_KEY not in said
    assert PLAIN_KEY not in run.error
    assert "[redacted]" in run.error


def test_a_page_that_quotes_the_key_is_kept_for_review_without_it(db, httpserver) -> None:
    httpserver.expect_request("/v1/organization/users").respond_with_data(
        f"<html>debug: x-api-key={PLAIN_KEY}</html>", content_type="text/html"
    )
    connection, _ = connect_provider(
        name="openai-main", provider="openai", api_key=PLAIN_KEY, base_url=httpserver.url_for("")
    )

    run = pull_connection(connection=connection, start=dt.date(2026, 8, 3), end=dt.date(2026, 8, 3))

    rejected = RejectedRow.objects.get(run=run)
    assert rejected.raw == "<html>debug: x-api-key=[redacted]</html>"


NOW = dt.datetime(2026, 10, 21, 7, 28, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("values", "wait"),
    [
        (["3"], 3.0),
        (["0"], 0.0),
        (["1.5"], 1.5),
        (["1, 1"], 1.0),  # the header sent twice, joined by a proxy
        (["1", "1"], 1.0),  # the header sent twice
        (["2, 5"], 5.0),  # the longest usable wait wins
        (["soon, 4"], 4.0),
        (["Wed, 21 Oct 2026 07:28:30 GMT"], 30.0),
        (["21 Oct 2026 07:29:00 GMT"], 60.0),  # no day name
        (["Wed, 21 Oct 2026 07:28:30 -0000"], 30.0),  # a zone "unknown" to the sender: UTC
        (["Wed, 21 Oct 2026 07:28:30 GMT, Wed, 21 Oct 2026 07:28:30 GMT"], 30.0),
        (["Tue, 20 Oct 2026 07:28:00 GMT"], 0.0),  # already past: now
        (["86400000"], 86_400_000.0),  # huge: JsonClient caps it
        ([], None),
        ([""], None),
        (["soon"], None),
        (["-1"], None),
        (["nan"], None),
        (["inf"], None),
        (["Wed, 32 Oct 2026 25:00:00 GMT"], None),
    ],
)
def test_retry_after_is_read_leniently_and_never_raises(values, wait) -> None:
    assert retry_after(values, now=NOW) == wait


@pytest.fixture
def scheduled_waits():
    """The waits stamina schedules between tries, as its instrumentation reports them."""
    waits: list[float] = []
    before = stamina.instrumentation.get_on_retry_hooks()
    stamina.instrumentation.set_on_retry_hooks([lambda details: waits.append(details.wait_for)])
    yield waits
    stamina.instrumentation.set_on_retry_hooks(before)


@pytest.mark.parametrize(
    ("header", "wait"),
    [
        ("0.01, 0.01", 0.01),  # as asked
        ("Wed, 01 Jan 2025 00:00:00 GMT", 0.0),  # a date gone by: at once
        ("999", 0.05),  # capped at INGEST_MAX_RETRY_WAIT
        ("soon", 0.05),  # unusable: exponential backoff (from 1 s), capped
        ("", 0.05),
    ],
)
def test_the_client_waits_as_retry_after_asks_within_the_cap(
    httpserver, settings, scheduled_waits, header, wait
) -> None:
    settings.INGEST_MAX_RETRY_WAIT = 0.05
    answers = [
        Response(json.dumps({"error": {"message": "slow down"}}), 429, {"Retry-After": header}),
        Response(json.dumps({"ok": True}), 200, content_type="application/json"),
    ]
    httpserver.expect_request("/thing").respond_with_handler(lambda request: answers.pop(0))
    client = JsonClient(base_url=httpserver.url_for(""), headers={}, secret=PLAIN_KEY)

    assert client.get("/thing") == {"ok": True}
    assert scheduled_waits == [pytest.approx(wait)]


def test_the_client_gives_up_after_its_attempts_with_the_last_problem(
    httpserver, settings, scheduled_waits
) -> None:
    settings.INGEST_MAX_RETRY_WAIT, settings.INGEST_MAX_ATTEMPTS = 0.01, 3
    httpserver.expect_request("/thing").respond_with_json(
        {"error": {"message": f"down, key {PLAIN_KEY}"}}, status=503, headers={"Retry-After": "x"}
    )
    client = JsonClient(base_url=httpserver.url_for(""), headers={}, secret=PLAIN_KEY)

    with pytest.raises(ProviderUnavailable) as raised:
        client.get("/thing")

    assert str(raised.value) == "GET /thing failed 3 times; last: HTTP 503: down, key [redacted]"
    assert len(httpserver.log) == 3
    assert len(scheduled_waits) == 2


def test_a_pacer_spaces_requests_to_a_limited_path(paced) -> None:
    pacer = Pacer({"/events": 60, "/daily": 20})

    for _ in range(3):
        pacer.wait("/events")
    pacer.wait("/daily")
    pacer.wait("/daily")
    pacer.wait("/members")  # no documented limit
    pacer.wait("/members")

    assert len(paced.slept) == 3
    assert all(0.9 < s <= 1.0 for s in paced.slept[:2])  # 60 a minute: a second apart
    assert 2.9 < paced.slept[2] <= 3.0  # 20 a minute: three seconds apart


def test_a_pacer_does_not_wait_once_the_gap_has_passed(paced) -> None:
    pacer = Pacer({"/events": 60})

    pacer.wait("/events")
    paced.sleep(1.0)  # the pull spent a second on something else
    pacer.wait("/events")

    assert paced.slept == [1.0]


def dripping(body: bytes, every: float = 0.2):
    """A handler that answers 200 at once, then sends its body a byte every `every` seconds:
    each read is quick, the whole answer is not."""

    def handler(request: Request) -> Response:
        def drip():
            for byte in body:
                time.sleep(every)
                yield bytes([byte])

        return Response(drip(), content_type="application/json")

    return handler


@pytest.mark.slow
def test_a_provider_dripping_its_answer_is_cut_off_at_the_total_timeout(
    httpserver, settings
) -> None:
    settings.INGEST_HTTP_TOTAL_TIMEOUT, settings.INGEST_HTTP_TIMEOUT = 1.0, 30.0
    settings.INGEST_MAX_RETRY_WAIT, settings.INGEST_MAX_ATTEMPTS = 0.01, 2
    httpserver.expect_request("/thing").respond_with_handler(dripping(b'{"ok": true}' + b" " * 60))
    client = JsonClient(base_url=httpserver.url_for(""), headers={}, secret=PLAIN_KEY)

    start = time.monotonic()
    with pytest.raises(ProviderUnavailable) as raised:
        client.get("/thing")

    assert time.monotonic() - start < 2 * 1.0 + 1.5  # two tries of at most a second each
    assert str(raised.value) == (
        "GET /thing failed 2 times; last: the answer was still arriving after 1 s "
        "(INGEST_HTTP_TOTAL_TIMEOUT): the provider is sending too slowly"
    )


@pytest.mark.slow
def test_a_pull_from_a_dripping_provider_fails_within_the_bound_and_says_why(
    openai_connection, httpserver, settings
) -> None:
    settings.INGEST_HTTP_TOTAL_TIMEOUT = 1.0
    settings.INGEST_MAX_RETRY_WAIT, settings.INGEST_MAX_ATTEMPTS = 0.01, 1
    httpserver.clear_all_handlers()  # the OpenAI stub's: this provider only drips
    httpserver.expect_request("/v1/organization/users").respond_with_handler(
        dripping(b'{"object": "list", "data": [], "has_more": false}' + b" " * 60)
    )

    start = time.monotonic()
    with pytest.raises(ProviderUnavailable):
        pull_connection(
            connection=openai_connection, start=dt.date(2026, 8, 3), end=dt.date(2026, 8, 5)
        )

    assert time.monotonic() - start < 2.5
    run = IngestRun.objects.get()
    assert run.status == IngestRun.Status.FAILED
    assert "still arriving after 1 s (INGEST_HTTP_TOTAL_TIMEOUT)" in run.error


def guarded(url: str) -> None:
    guard_request(httpx.Request("GET", url))


def test_a_host_named_internal_may_resolve_to_a_private_address(
    production, resolves_to, settings
) -> None:
    settings.INGEST_INTERNAL_HOSTS = ["litellm.corp.example"]
    resolves_to["litellm.corp.example"] = "10.0.0.5"
    resolves_to["other.corp.example"] = "10.0.0.6"

    check_base_url("https://litellm.corp.example")
    guarded("https://litellm.corp.example/user/list")
    refused = r"other\.corp\.example resolves to 10\.0\.0\.6 is a private"
    with pytest.raises(UnsafeURL, match=refused):
        guarded("https://other.corp.example/user/list")


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "169.254.169.254", "::1", "0.0.0.0"],  # noqa: S104  # an address refused, not bound
)
def test_a_host_named_internal_still_never_reaches_loopback_or_metadata(
    production, resolves_to, settings, address
) -> None:
    settings.INGEST_INTERNAL_HOSTS = ["litellm.corp.example"]
    resolves_to["litellm.corp.example"] = address

    with pytest.raises(UnsafeURL, match="never allowed"):
        guarded("https://litellm.corp.example/user/list")


def test_a_host_named_internal_still_needs_https(production, settings) -> None:
    settings.INGEST_INTERNAL_HOSTS = ["litellm.corp.example"]

    with pytest.raises(ValueError, match="not https"):
        check_base_url("http://litellm.corp.example")
