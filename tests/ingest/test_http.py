"""Where provider requests may go: https to public addresses only, no redirects followed, and
error text that never carries the key."""

from __future__ import annotations

import datetime as dt
import json
import socket

import pytest
from werkzeug import Request, Response

from ingest.models import IngestRun, RejectedRow
from ingest.providers.http import check_base_url
from ingest.services import check_connection, connect_provider, pull_connection

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
