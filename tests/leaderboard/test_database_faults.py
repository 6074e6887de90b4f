"""A database that is down or frozen: pages and /healthz answer 503 within the configured
statement timeout instead of hanging until gunicorn kills the worker."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from tests.factories import UserFactory

# Serialized like the worker tests: a plain flush would re-create rows those restore.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
LIMIT_MS = 1000


def test_web_sessions_have_connect_and_statement_timeouts(db) -> None:
    options = settings.DATABASES["default"]["OPTIONS"]

    assert options["connect_timeout"] == 5
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "10s"


@pytest.fixture
def short_statement_timeout() -> Iterator[None]:
    """Web sessions opened with DB_STATEMENT_TIMEOUT=1000 (as settings would pass it)."""
    options = connection.settings_dict["OPTIONS"]
    before = options["options"]
    options["options"] = f"-c statement_timeout={LIMIT_MS}"
    connection.close()
    yield
    options["options"] = before
    connection.close()


@pytest.fixture
def frozen_sessions(postgres, short_statement_timeout):
    """Another session holds the session table (every signed-in page and /healthz read it)
    until the server ends it for sitting idle in its transaction (after 4 s): long past the
    statement timeout, short enough that a page without one answers 200, late."""
    holder = postgres()
    holder.execute("SET idle_in_transaction_session_timeout = '4s'")
    holder.autocommit = False
    holder.execute("LOCK TABLE django_session IN ACCESS EXCLUSIVE MODE")
    return holder


def timed(client: Client, path: str):
    start = time.monotonic()
    response = client.get(path)
    return response, time.monotonic() - start


@pytest.fixture
def signed_in() -> Client:
    client = Client(raise_request_exception=False)  # a 500 comes back as a page, as in production
    client.force_login(UserFactory())
    return client


def test_a_page_over_a_frozen_table_answers_503_within_the_timeout(
    signed_in, frozen_sessions
) -> None:
    response, took = timed(signed_in, "/")

    assert response.status_code == 503
    assert took < 3
    assert response["Retry-After"] == "60"
    text = response.content.decode()
    assert "The database is busy" in text and "Try again" in text
    assert "Traceback" not in text and "OperationalError" not in text


def test_healthz_over_a_frozen_table_answers_503_within_the_timeout(frozen_sessions) -> None:
    response, took = timed(Client(), "/healthz")

    assert response.status_code == 503
    assert took < 3
    assert response.json()["database"] == "down"


def test_pages_recover_when_the_database_does(signed_in, frozen_sessions) -> None:
    assert signed_in.get("/").status_code == 503

    frozen_sessions.rollback()

    assert signed_in.get("/").status_code == 200
    assert Client().get("/healthz").status_code == 200
