from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine
from django.core.cache import caches
from django.db import connection

from leaderboard.cache import Cache
from leaderboard.models import Person, Source
from tests.factories import PersonFactory, SourceFactory
from tests.helpers import AUG, NOW
from tests.redis_process import RedisProcess


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def claude_code(db) -> Source:
    # Claude Code reports sessions, not requests (leaderboard.domain.capabilities)
    return SourceFactory(name="claude-code", provider="claude_code")


@pytest.fixture
def quiet(usage, platform, volume) -> Person:
    """Quinn, who leads the board, chose a pseudonym."""
    quinn = PersonFactory(
        display_name="Quinn Secret",
        team=platform,
        pseudonym="Calm Otter 12",
        visibility="pseudonym",
    )
    usage(quinn, AUG, input=10**9)
    return quinn


@pytest.fixture
def redis_cache(own_redis: RedisProcess, settings) -> RedisProcess:
    """Pages cache in a Redis of this test's own; its broker is the same server."""
    settings.CACHES = {
        "default": {
            "BACKEND": "leaderboard.cache.Cache",
            "LOCATION": own_redis.url,
            "KEY_PREFIX": "tokenboard",
        }
    }
    settings.REDIS_URL = own_redis.url
    assert isinstance(caches["default"], Cache)
    return own_redis


STATEMENT_TIMEOUT_MS = 1000


@pytest.fixture
def short_statement_timeout() -> Iterator[None]:
    """Web sessions opened with DB_STATEMENT_TIMEOUT=1000 (as settings would pass it)."""
    options = connection.settings_dict["OPTIONS"]
    before = options["options"]
    options["options"] = f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
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
