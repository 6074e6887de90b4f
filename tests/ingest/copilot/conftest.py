"""The Copilot stub (GitHub's API and the report files' host) and a connection to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer

from ingest.services.connections import connect_provider
from tests.stub_copilot import SLUG, TOKEN, CopilotStub


@pytest.fixture
def report_host() -> Iterator[HTTPServer]:
    """The host of the signed report files: another server, as GitHub's links point
    elsewhere than api.github.com."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture
def copilot_api(httpserver, report_host) -> CopilotStub:
    return CopilotStub(httpserver, report_host, kind="org")


@pytest.fixture
def copilot_connection(db, copilot_api):
    connection, _ = connect_provider(
        name="copilot-acme",
        provider="copilot",
        api_key=TOKEN,
        base_url=copilot_api.base_url,
        tenant=f"org/{SLUG}",
    )
    return connection
