"""A database that is down or frozen: pages and /healthz answer 503 within the configured
statement timeout instead of hanging until gunicorn kills the worker."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from tests.factories import UserFactory
from tests.helpers import timed

# Serialized like the worker tests: a plain flush would re-create rows those restore.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_web_sessions_have_connect_and_statement_timeouts(db) -> None:
    options = settings.DATABASES["default"]["OPTIONS"]

    assert options["connect_timeout"] == 5
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "10s"


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


def test_pages_recover_when_the_database_does(signed_in, frozen_sessions) -> None:
    assert signed_in.get("/").status_code == 503

    frozen_sessions.rollback()

    assert signed_in.get("/").status_code == 200
    assert Client().get("/healthz").status_code == 200
