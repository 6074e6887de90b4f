"""Django's Redis cache, kept optional: with Redis down or frozen, every call is a miss or a
no-op within a fraction of a second, and pages render from the database.

Django's RedisCacheClient builds a new redis.Redis for every cache call, and redis-py's
constructor fills its table of about 170 response callbacks each time: some 0.15 ms a call,
and a board page makes three or more calls. A client is thread-safe and takes a connection
from the shared pool per command, so one per pool serves every call.

A failed call opens a breaker for `BREAKER_SECONDS` (per process and Redis location, since
Django keeps one cache object per thread): until then no call reaches Redis, so a page with
four cached fragments pays one short timeout in an outage, not four. The first failure of an
outage is logged, and so is the recovery.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

if TYPE_CHECKING:
    from redis import ConnectionPool, Redis

log = logging.getLogger(__name__)

# Connecting to and answering from a cache on the same network takes well under a millisecond;
# past these, the page reads the database instead.
SOCKET_TIMEOUT = 0.25
BREAKER_SECONDS = 10.0


class ReusingClient(RedisCacheClient):
    if TYPE_CHECKING:
        # RedisCacheClient's private parts used here, which django-stubs leaves out.
        _client: type[Redis]

        def _get_connection_pool_index(self, write: bool) -> int: ...
        def _get_connection_pool(self, write: bool) -> ConnectionPool: ...

    # Passed on as RedisCache gives them: the servers, then the OPTIONS of the cache's settings.
    def __init__(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[explicit-any]
        kwargs.setdefault("socket_connect_timeout", SOCKET_TIMEOUT)
        kwargs.setdefault("socket_timeout", SOCKET_TIMEOUT)
        kwargs.setdefault("retry_on_timeout", False)
        # redis-py retries a failed command (three times by default): one short try is enough
        # for a cache, and the breaker then keeps the others away.
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        kwargs.setdefault("retry", Retry(NoBackoff(), 0))
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Redis] = {}

    def get_client(
        self, key: str | bytes | memoryview | None = None, *, write: bool = False
    ) -> Redis:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)
            client = self._clients[index] = self._client(connection_pool=pool)
        return client


class Breaker:
    """Whether Redis at one location failed lately, shared by every thread of the process."""

    _lock = threading.Lock()
    _open_until: dict[str, float] = {}

    def __init__(self, location: str) -> None:
        self.location = location

    @property
    def open(self) -> bool:
        return self._open_until.get(self.location, 0.0) > time.monotonic()

    def trip(self, error: Exception) -> None:
        with self._lock:
            first = self.location not in self._open_until
            self._open_until[self.location] = time.monotonic() + BREAKER_SECONDS
        if first:
            log.warning(
                "cache unavailable, serving from the database for now: %s",
                error.__class__.__name__,
            )

    def close(self) -> None:
        if self.location in self._open_until:
            with self._lock:
                if self._open_until.pop(self.location, None) is not None:
                    log.warning("cache available again")


class Cache(RedisCache):
    # Keys and values are whatever callers cache (Django pickles them): object, not Any.
    def __init__(self, server: str | list[str], params: dict[str, object]) -> None:
        super().__init__(server, params)
        self._class = ReusingClient
        self.breaker = Breaker(server if isinstance(server, str) else ",".join(server))

    def _guard[T](self, call: Callable[[], T], fallback: T) -> T:
        if self.breaker.open:
            return fallback
        try:
            result = call()
        except RedisError as error:
            self.breaker.trip(error)
            return fallback
        self.breaker.close()
        return result

    def available(self) -> bool:
        """Ping Redis now (whatever the breaker says) and say whether it answered."""
        try:
            self._cache.get_client(write=True).ping()
        except RedisError as error:
            self.breaker.trip(error)
            return False
        self.breaker.close()
        return True

    def add(
        self,
        key: object,
        value: object,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> bool:
        return self._guard(lambda: super(Cache, self).add(key, value, timeout, version), False)

    def get(self, key: object, default: object = None, version: int | None = None) -> object:
        return self._guard(lambda: super(Cache, self).get(key, default, version), default)

    def set(
        self,
        key: object,
        value: object,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> None:
        self._guard(lambda: super(Cache, self).set(key, value, timeout, version), None)

    def touch(
        self, key: object, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        return self._guard(lambda: super(Cache, self).touch(key, timeout, version), False)

    def delete(self, key: object, version: int | None = None) -> bool:
        return self._guard(lambda: super(Cache, self).delete(key, version), False)

    def get_many(self, keys: Iterable[object], version: int | None = None) -> dict[object, object]:
        return self._guard(lambda: super(Cache, self).get_many(keys, version), {})

    def has_key(self, key: object, version: int | None = None) -> bool:
        return self._guard(lambda: super(Cache, self).has_key(key, version), False)

    def incr(self, key: object, delta: int = 1, version: int | None = None) -> int:
        value = self._guard(lambda: super(Cache, self).incr(key, delta, version), None)
        if value is None:  # Redis answers INCR with a number: None is the fallback
            raise ValueError(f"Key '{key}' not found (the cache is unavailable)")
        return value

    def set_many(
        self,
        data: dict[object, object],
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> list[object]:
        return self._guard(lambda: super(Cache, self).set_many(data, timeout, version), [])

    def delete_many(self, keys: Iterable[object], version: int | None = None) -> None:
        self._guard(lambda: super(Cache, self).delete_many(keys, version), None)

    # RedisCache.clear answers whether Redis flushed (BaseCache's, in django-stubs, answers None).
    def clear(self) -> bool:  # type: ignore[override]
        return self._guard(lambda: bool(super(Cache, self).clear()), False)
