"""A real Redis killed, restarted and frozen while pages load: they keep answering 200 from
the database, fast (what /healthz says meanwhile: tests/leaderboard/views/test_health.py)."""

from __future__ import annotations

import time

import pytest
from django.core.cache import caches

from tests.helpers import AUG

pytestmark = pytest.mark.slow


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
