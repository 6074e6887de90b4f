"""The Redis cache the pages read their cached fragments from."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import caches

from leaderboard.cache import Cache


@pytest.fixture
def redis_cache():
    if not settings.REDIS_URL:
        pytest.skip("needs Redis (CI runs it; set REDIS_URL to run it locally)")
    cache = caches["default"]
    assert isinstance(cache, Cache)  # what settings choose whenever REDIS_URL is set
    return cache


def test_values_round_trip_through_one_client_per_pool(redis_cache) -> None:
    cache = Cache(settings.REDIS_URL, {"KEY_PREFIX": "tokenboard"})
    made = []
    real_client = cache._cache._client
    cache._cache._client = lambda **kw: made.append(kw) or real_client(**kw)

    cache.set("cache-test", {"rows": [1, 2, 3]}, 30)
    got = [cache.get("cache-test") for _ in range(5)]
    cache.delete("cache-test")

    assert got == [{"rows": [1, 2, 3]}] * 5
    assert cache.get("cache-test") is None
    assert len(made) == 1  # Django's own client builds a redis.Redis for each of these 8 calls
