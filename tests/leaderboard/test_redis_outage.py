"""A real Redis killed, restarted and frozen while pages load: they keep answering 200 from
the database, fast, and /healthz says the cache is down without taking the site out."""

from __future__ import annotations

import time

import pytest
from django.core.cache import caches

from leaderboard.cache import Cache
from tests.redis_process import RedisProcess, own_redis  # noqa: F401 - the fixture

from .conftest import AUG

pytestmark = pytest.mark.slow


@pytest.fixture
def redis_cache(own_redis: RedisProcess, settings) -> RedisProcess:  # noqa: F811
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


@pytest.fixture
def pages(client, alice, bob, usage, volume):
    usage(alice, AUG, input=4_000, output=500, requests=10, cost="1.00")
    usage(bob, AUG, input=200_000, output=100, requests=2, cost="9.00")
    client.force_login(alice.user)
    return ["/", "/boards/token-volume/", f"/people/{alice.public_id}/"]


def names(body: str) -> set[str]:
    return {name for name in ("Alice Nguyen", "Bob Okafor", "Token volume") if name in body}


def timed_get(client, path: str) -> tuple[int, float, str]:
    began = time.monotonic()
    response = client.get(path)
    return response.status_code, time.monotonic() - began, response.content.decode()


def test_pages_answer_from_the_database_while_redis_is_dead_and_after_it_restarts(
    client, pages, redis_cache
) -> None:
    healthy = {path: timed_get(client, path)[2] for path in pages}
    assert redis_cache.client().dbsize() > 0  # the fragments went to this Redis

    redis_cache.kill()
    for _ in range(3):
        for path in pages:
            status, took, body = timed_get(client, path)
            assert status == 200
            assert took < 2.0, f"{path} took {took:.2f}s with Redis dead"
            assert names(body) == names(healthy[path])

    redis_cache.start()  # empty: no persistence
    caches["default"].breaker.close()  # as BREAKER_SECONDS passing would
    for path in pages:
        status, _, body = timed_get(client, path)
        assert status == 200
        assert names(body) == names(healthy[path])
    assert redis_cache.client().dbsize() > 0  # caching again


def test_pages_answer_quickly_while_redis_is_frozen(client, pages, redis_cache) -> None:
    healthy = {path: timed_get(client, path)[2] for path in pages}

    redis_cache.freeze()
    try:
        for path in pages:
            status, took, body = timed_get(client, path)
            assert status == 200
            assert took < 2.0, f"{path} took {took:.2f}s with Redis frozen"
            assert names(body) == names(healthy[path])
    finally:
        redis_cache.thaw()


def test_healthz_says_the_cache_is_down_and_stays_200(client, redis_cache, db) -> None:
    assert client.get("/healthz").json() == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "broker": "ok",
    }

    redis_cache.kill()
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "cache": "down",
        "broker": "down",
    }

    redis_cache.start()
    assert client.get("/healthz").json()["status"] == "ok"
