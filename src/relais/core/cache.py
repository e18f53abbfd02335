"""The cache on Redis, where Redis being down is a cache miss, not an error page.

Django's Redis cache raises when Redis cannot be reached, so a Redis restart would turn every
page that reads the cache (the status page, the outage banner, form choices) and every
session read into a 500. Relais uses the cache only for things it can recompute or read
from the database (sessions are `cached_db`), so here a failing Redis call is logged and
answered as a miss: reads give the default, writes do nothing. Timeouts are short, so a
Redis that does not answer costs a request a fraction of a second, not a hang.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)
_LOG_EVERY_SECONDS = 30.0
_last_logged = 0.0

T = TypeVar("T")


def _miss(operation: str, exc: BaseException, default: T) -> T:
    global _last_logged
    now = time.monotonic()
    if now - _last_logged > _LOG_EVERY_SECONDS:  # one line per 30 s, not one per request
        _last_logged = now
        logger.warning(
            "cache unavailable, treated as a miss",
            extra={"operation": operation, "error": f"{type(exc).__name__}: {exc}"},
        )
    return default


class ResilientRedisCache(RedisCache):
    def _guard(self, operation: str, call: Callable[[], T], default: T) -> T:
        try:
            return call()
        except UNAVAILABLE as exc:
            return _miss(operation, exc, default)

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._guard(
            "get", lambda: super(ResilientRedisCache, self).get(key, default, version), default
        )

    def get_many(self, keys: Any, version: int | None = None) -> dict[str, Any]:
        return self._guard(
            "get_many", lambda: super(ResilientRedisCache, self).get_many(keys, version), {}
        )

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._guard(
            "has_key", lambda: super(ResilientRedisCache, self).has_key(key, version), False
        )

    def add(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> bool:
        return self._guard(
            "add", lambda: super(ResilientRedisCache, self).add(key, value, timeout, version), False
        )

    def set(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> None:
        self._guard(
            "set", lambda: super(ResilientRedisCache, self).set(key, value, timeout, version), None
        )

    def set_many(self, data: Any, timeout: Any = None, version: int | None = None) -> list[Any]:
        return self._guard(
            "set_many",
            lambda: super(ResilientRedisCache, self).set_many(data, timeout, version),
            [],
        )

    def touch(self, key: Any, timeout: Any = None, version: int | None = None) -> bool:
        return self._guard(
            "touch", lambda: super(ResilientRedisCache, self).touch(key, timeout, version), False
        )

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._guard(
            "delete", lambda: super(ResilientRedisCache, self).delete(key, version), False
        )

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        self._guard(
            "delete_many", lambda: super(ResilientRedisCache, self).delete_many(keys, version), None
        )

    def clear(self) -> None:
        self._guard("clear", lambda: super(ResilientRedisCache, self).clear(), None)

    def ping(self) -> None:
        """Raise when Redis cannot be reached (for check-deploy, which must know)."""
        self._cache.get_client(write=True).ping()  # type: ignore[attr-defined]


def delete_prefixed(prefixes: tuple[str, ...]) -> int:
    """Delete every entry of the default cache whose key starts with one of `prefixes` (keys
    as the code writes them, before the cache's own prefix and version); how many went.
    Redis: SCAN, never KEYS; the local-memory cache of the tests and of single-process runs:
    its dictionary."""
    from django.core.cache import caches

    backend: Any = caches["default"]  # the backend itself (`cache` is a proxy to it)
    raw: Any = backend  # the Redis client wrapper is private (`_cache`)
    patterns = [backend.make_key(prefix) for prefix in prefixes]
    if isinstance(backend, RedisCache):

        def scan_and_delete() -> int:
            client = raw._cache.get_client(None, write=True)
            doomed = [key for p in patterns for key in client.scan_iter(match=f"{p}*")]
            return int(client.delete(*doomed)) if doomed else 0

        if isinstance(backend, ResilientRedisCache):
            return backend._guard("delete_prefixed", scan_and_delete, 0)
        return scan_and_delete()
    store = getattr(backend, "_cache", None)
    lock = getattr(backend, "_lock", None)
    if isinstance(store, dict) and lock is not None:
        with lock:
            doomed = [key for key in store if any(key.startswith(p) for p in patterns)]
            for key in doomed:
                store.pop(key, None)
                getattr(backend, "_expire_info", {}).pop(key, None)
        return len(doomed)
    return 0


def window_count(key: str, timeout: int) -> int:
    """Count one more for `key`, a counter that lives `timeout` seconds from its first count;
    returns the new count. Redis: one round trip (SET NX EX and INCR, pipelined), where
    add-then-incr costs three (Django's incr checks that the key exists first): every
    request pays it (the rate limits). Other caches: add, then incr. Errors are raised."""
    from django.core.cache import caches

    backend: Any = caches["default"]
    if isinstance(backend, RedisCache):
        full_key = backend.make_and_validate_key(key)
        client = backend._cache.get_client(full_key, write=True)  # type: ignore[attr-defined]
        pipe = client.pipeline(transaction=False)
        pipe.set(full_key, 0, nx=True, ex=timeout)
        pipe.incr(full_key)
        return int(pipe.execute()[1])
    if backend.add(key, 1, timeout=timeout):
        return 1
    return int(backend.incr(key))
