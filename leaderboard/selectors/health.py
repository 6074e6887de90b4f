"""What the health check reports: the database, the cache and the broker."""

from __future__ import annotations

from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.cache import caches

from leaderboard.cache import Cache as RedisCacheBackend
from leaderboard.db.health import database_ok


@dataclass(frozen=True)
class Health:
    status: str  # ok, degraded (Redis down: pages still serve) or unavailable (no database)
    database: str
    cache: str
    broker: str


def health() -> Health:
    """200-worthy while the database answers: without Redis the pages still serve (uncached)
    and follow-up work waits in the outbox, so it is "degraded", not down."""
    database = "ok" if database_ok() else "down"
    cache, broker = _cache_status(), _broker_status()
    if database != "ok":
        status = "unavailable"
    elif "down" in (cache, broker):
        status = "degraded"
    else:
        status = "ok"
    return Health(status, database, cache, broker)


def _broker_status() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    try:
        redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5
        ).ping()
        return "ok"
    except redis.RedisError:
        return "down"


def _cache_status() -> str:
    cache = caches["default"]
    if not isinstance(cache, RedisCacheBackend):
        return "local"
    return "ok" if cache.available() else "down"
