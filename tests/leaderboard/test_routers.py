"""Where the replica router sends each query, and which requests read the replica (the rule in
leaderboard.db.routers; tests/test_replica.py runs it against a real standby)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.urls import resolve

from ingest.models import Connection
from leaderboard.db import routers
from leaderboard.models import Person, Place, User
from leaderboard.web.middleware import PRIMARY_COOKIE, ReplicaReads

ROUTER = routers.ReplicaRouter()


@pytest.fixture
def replica(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(routers, "replica_configured", lambda: True)
    token = routers.begin_request()
    yield
    routers.end_request(token)


def test_without_a_request_everything_reads_the_primary(replica: None) -> None:
    assert ROUTER.db_for_read(Place) == "default"


def test_a_page_reads_the_leaderboard_tables_on_the_replica(replica: None) -> None:
    routers.use_replica()
    assert ROUTER.db_for_read(Place) == "replica"
    assert ROUTER.db_for_read(Person) == "replica"
    assert routers.read_replica()


def test_sign_in_sessions_and_other_apps_read_the_primary(replica: None) -> None:
    routers.use_replica()
    assert ROUTER.db_for_read(User) == "default"
    assert ROUTER.db_for_read(Session) == "default"
    assert ROUTER.db_for_read(Connection) == "default"
    assert not routers.read_replica()


@pytest.mark.django_db
def test_a_read_inside_a_transaction_reads_the_primary(replica: None) -> None:
    routers.use_replica()
    with transaction.atomic():
        assert ROUTER.db_for_read(Place) == "default"


def test_after_a_write_the_request_reads_the_primary(replica: None) -> None:
    routers.use_replica()
    assert ROUTER.db_for_write(Place) == "default"
    assert ROUTER.db_for_read(Place) == "default"


def test_without_a_replica_configured_a_page_reads_the_primary() -> None:
    token = routers.begin_request()
    try:
        routers.use_replica()
        assert ROUTER.db_for_read(Place) == "default"
    finally:
        routers.end_request(token)


def _seen(request: HttpRequest) -> bool:
    """Whether the view behind ReplicaReads would read the replica."""
    seen: list[bool] = []

    def view(request: HttpRequest) -> HttpResponse:
        middleware.process_view(request, view, (), {})
        seen.append(routers.replica_reads())
        return HttpResponse()

    middleware = ReplicaReads(view)
    request.resolver_match = resolve(request.path_info)
    response = middleware(request)
    request.response = response  # type: ignore[attr-defined]
    return seen[0]


def test_a_get_of_a_board_reads_the_replica(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(routers, "replica_configured", lambda: True)
    assert _seen(RequestFactory().get("/boards/token-volume/"))
    assert not routers.replica_reads()  # only for that request


def test_a_post_reads_the_primary_and_marks_the_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(routers, "replica_configured", lambda: True)
    request = RequestFactory().post("/people/abc/privacy/")
    assert not _seen(request)
    assert request.response.cookies[PRIMARY_COOKIE]["max-age"] == 10  # type: ignore[attr-defined]


def test_a_client_that_just_wrote_reads_the_primary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(routers, "replica_configured", lambda: True)
    request = RequestFactory().get("/boards/token-volume/")
    request.COOKIES[PRIMARY_COOKIE] = "1"
    assert not _seen(request)


def test_other_apps_pages_read_the_primary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(routers, "replica_configured", lambda: True)
    assert not _seen(RequestFactory().get("/admin/"))
