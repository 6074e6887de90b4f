from __future__ import annotations

import datetime as dt
import importlib
import os
import shutil
import time
from collections.abc import Iterator

import psycopg
import pytest
import redis
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from ingest.providers.cursor import CursorAdapter
from ingest.providers.http import Pacer
from ingest.services.connections import connect_provider
from leaderboard.models import Board, GamingRule, Person, SiteSwitch, Source, User
from leaderboard.selectors import site
from leaderboard.services import review
from leaderboard.services.people import set_manager
from tests.factories import (
    AccountFactory,
    PersonFactory,
    SourceFactory,
    TeamFactory,
    UsageFactFactory,
    UserFactory,
)
from tests.helpers import connect
from tests.redis_process import RedisProcess
from tests.stubs import ADMIN_KEY, AnthropicStub, CursorStub, OpenAIStub


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI a skipped test is a failure: every test must really run there."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("CI") and skipped:
        reporter.write_line(
            f"CI: {len(skipped)} test(s) skipped; skips are failures under CI.", red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def _empty_cache(settings):
    """Each test starts with an empty cache. In Redis only this app's keys go: the same
    database carries Celery's queue for the worker tests."""
    site.forget()  # each process's copy of the boards, by a version the rollback reuses
    if not settings.REDIS_URL:
        cache.clear()
        return
    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = list(client.scan_iter(f"{settings.CACHES['default']['KEY_PREFIX']}:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def _local_providers(settings):
    """The provider stubs listen on http://127.0.0.1, which production refuses; tests of
    that refusal turn this off again."""
    settings.INGEST_ALLOW_PRIVATE_URLS = True


@pytest.fixture(autouse=True)
def _gaming_detection_off(request, monkeypatch):
    """The gaming rules run after every pull (leaderboard.services.review), and the made-up
    usage of many tests looks like gaming (2^31 tokens with little output, one fixed count
    for days on end): tests of something else would find days held. Off, then, unless a test
    asks for the gaming_detection fixture (the tests of the rules themselves call detect()
    directly). A worker in another process is not patched."""
    if "gaming_detection" not in request.fixturenames:
        monkeypatch.setattr(review, "detect_after_pull", lambda **kwargs: None)


@pytest.fixture
def gaming_rules(db) -> dict[str, GamingRule]:
    """The seeded gaming rules, with their defaults (put back if a test that flushes the
    database removed them)."""
    migration = importlib.import_module("leaderboard.migrations.0029_seed_gaming_rules")
    for slug, kind in migration.RULES:
        GamingRule.objects.get_or_create(slug=slug, defaults={"kind": kind, "params": {}})
    return {rule.slug: rule for rule in GamingRule.objects.all()}


@pytest.fixture
def gaming_detection() -> None:
    """The gaming rules run after each pull, as in production (see _gaming_detection_off)."""


class VirtualTime:
    """A clock that sleeping moves forward instead of waiting: real time plus every sleep."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    def clock(self) -> float:
        return time.monotonic() + sum(self.slept)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


@pytest.fixture(autouse=True)
def paced(monkeypatch) -> VirtualTime:
    """Pacing to providers' rate limits runs on a virtual clock: the same decisions, no waits."""
    virtual = VirtualTime()
    monkeypatch.setattr(Pacer, "clock", staticmethod(virtual.clock))
    monkeypatch.setattr(Pacer, "sleep", staticmethod(virtual.sleep))
    return virtual


@pytest.fixture
def postgres(db):
    """Open extra PostgreSQL sessions to the test database (other workers, other clients)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (CI runs it; set DATABASE_URL to run it locally)")
    opened = []

    def connect():
        params = connection.get_connection_params()
        session = psycopg.connect(**params, autocommit=True)
        opened.append(session)
        return session

    yield connect
    for session in opened:
        session.close()


@pytest.fixture
def own_redis(tmp_path) -> Iterator[RedisProcess]:
    """A redis-server of this test's own, to kill, restart and freeze."""
    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server (CI installs it)")
    server = RedisProcess(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    return ("127.0.0.1", 0)


@pytest.fixture
def platform(db):
    return TeamFactory(name="Platform")


# The personas: an employee, her rival, an outsider and a manager. Tests written before them
# call the first two by name (alice, bob).


@pytest.fixture
def employee(platform) -> Person:
    """Alice: an employee ranked on the boards, with a login."""
    return PersonFactory(
        email="alice.nguyen@example.com",
        display_name="Alice Nguyen",
        team=platform,
        user=UserFactory(username="alice"),
    )


@pytest.fixture
def rival(platform) -> Person:
    """Bob: the employee's rival on the same team (no login)."""
    return PersonFactory(email="bob.okafor@example.com", display_name="Bob Okafor", team=platform)


@pytest.fixture
def outsider(db) -> Person:
    """Dan: on another team than the employee's and the rival's (no login)."""
    return PersonFactory(display_name="Dan Ito", team=TeamFactory(name="Payments"))


@pytest.fixture
def managers_group(db) -> Group:
    """The managers group and its permissions, as a migration makes them (put back if a test
    that flushes the database removed them)."""
    migration = importlib.import_module("leaderboard.migrations.0007_leaderboard_managers_group")
    if not Group.objects.filter(name=migration.GROUP).exists():
        apps = MigrationLoader(connection).project_state().apps
        migration.create_group(apps, None)
        view_log = importlib.import_module("leaderboard.migrations.0025_page_view_log")
        view_log.let_managers_read(apps, None)
        export = importlib.import_module("leaderboard.migrations.0026_export_permission")
        export.let_managers_export(apps, None)
        gaming = importlib.import_module("leaderboard.migrations.0029_seed_gaming_rules")
        gaming.let_managers_review(apps, None)
        cost = importlib.import_module("leaderboard.migrations.0032_cost_permission")
        cost.let_managers_see_cost(apps, None)
    return Group.objects.get(name=migration.GROUP)


@pytest.fixture
def manager(managers_group) -> User:
    """A leaderboard manager as grant_manager makes one: staff in the managers group, not a
    superuser, and not ranked on any board."""
    return set_manager(user=UserFactory(username="manager"), manager=True)


@pytest.fixture
def alice(employee) -> Person:
    return employee


@pytest.fixture
def bob(rival) -> Person:
    return rival


@pytest.fixture
def employee_client(client, employee):
    """The test client, signed in as the employee. It is the one test client: a test that
    needs a second person signs them in itself (client.force_login)."""
    client.force_login(employee.user)
    return client


@pytest.fixture
def manager_client(client, manager):
    """The test client, signed in as the manager (the one test client, as employee_client)."""
    client.force_login(manager)
    return client


@pytest.fixture
def openai_api(httpserver) -> OpenAIStub:
    return OpenAIStub(httpserver)


@pytest.fixture
def openai_connection(db, openai_api: OpenAIStub):
    connection, _ = connect_provider(
        name="openai-main", provider="openai", api_key=ADMIN_KEY, base_url=openai_api.base_url
    )
    return connection


@pytest.fixture
def anthropic_api(httpserver) -> AnthropicStub:
    return AnthropicStub(httpserver)


@pytest.fixture
def cursor_api(httpserver, monkeypatch) -> CursorStub:
    monkeypatch.setattr(CursorAdapter, "page_size", 2)  # the recorded events span pages
    return CursorStub(httpserver)


@pytest.fixture
def anthropic_connection(db, anthropic_api):
    return connect("anthropic-main", "anthropic", anthropic_api.base_url)


@pytest.fixture
def claude_code_connection(db, anthropic_api):
    return connect("claude-code", "claude_code", anthropic_api.base_url)


@pytest.fixture
def cursor_connection(db, cursor_api):
    return connect("cursor-team", "cursor", cursor_api.base_url)


class Usage:
    """Writes usage facts for people on one shared source (or the one named)."""

    def __init__(self) -> None:
        self.source = SourceFactory(name="test-source", provider="openai")
        self.accounts: dict[int, object] = {}

    def __call__(
        self,
        person: Person,
        day: dt.date,
        *,
        source: Source | None = None,
        model: str = "gpt-5",
        **counts: int,
    ) -> None:
        account = self.accounts.get(person.pk) or AccountFactory(person=person)
        self.accounts[person.pk] = account
        UsageFactFactory(
            account=account,
            source=source or self.source,
            day=day,
            model=model,
            **{"input": 0, "output": 0, **counts},
        )


@pytest.fixture
def usage(db) -> Usage:
    return Usage()


@pytest.fixture
def seeded_boards(db) -> dict[str, Board]:
    """The four seeded boards (put back if a test that flushes the database removed them),
    showing everyone as migrations leave them (top_only, new boards' default, came later)."""
    migration = importlib.import_module("leaderboard.migrations.0005_seed_boards")
    for board in migration.BOARDS:
        Board.objects.get_or_create(slug=board["slug"], defaults={**board, "top_only": False})
    SiteSwitch.objects.get_or_create(id=1)
    return {b.slug: b for b in Board.objects.all()}


@pytest.fixture
def volume(seeded_boards) -> Board:
    return seeded_boards["token-volume"]
