"""The cache of AWS answers: Redis when `REDIS_URL` is set, an in-process TTL cache otherwise.

- Keys: `s3why:v1:{account}:{region}:{kind}:{call}:{params}`; one TTL per kind (configurable).
- Negative results (an absent policy) are cached like any answer; denials and errors are never cached.
- Single flight: concurrent callers needing the same key make one AWS call between them, across threads and,
  with Redis, across processes (a `SET NX PX` lock; waiters poll for the value).
- Redis down or slow: lookups go uncached, the first failure is logged once, and the cache is used again as
  soon as Redis answers.
- Only AWS's answers (policies, configuration) are stored: never credentials.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from bot.bounded import LruDict

log = logging.getLogger("s3why.cache")

DEFAULT_TTLS: dict[str, int] = {
    "principal": 300,
    "bucket": 120,
    "object": 60,
    "kms": 300,
    "network": 300,
    "organization": 900,
    "account": 900,
}
KEY_PREFIX = "s3why:v1:"


def key_root() -> str:
    """`S3WHY_REDIS_PREFIX`: what every key s3why writes to Redis starts with (none by default), so several
    deployments, or a test run, share one Redis database each under its own keys."""
    return os.environ.get("S3WHY_REDIS_PREFIX", "")


class Cache(Protocol):
    def get_or_load(self, key: str, kind: str, load: Callable[[], tuple[Any, bool]]) -> Any:
        """The cached value for `key`, or `load()`'s value (cached when its second item is True)."""

    def invalidate(self, patterns: Iterable[str]) -> int:
        """Delete the entries whose keys (as given to `get_or_load`) match these glob patterns; how many went."""

    @property
    def hits(self) -> int: ...

    @property
    def misses(self) -> int: ...


class _Stats:
    def __init__(self) -> None:
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()

    def hit(self) -> None:
        with self._lock:
            self.hits += 1

    def miss(self) -> None:
        with self._lock:
            self.misses += 1


class MemoryCache:
    """In-process TTL cache with per-key single flight (one process only: the embedded default)."""

    def __init__(
        self,
        ttls: dict[str, int] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 10_000,
    ) -> None:
        """`max_entries`: the most kept at once (least recently used dropped first)."""
        self.ttls = {**DEFAULT_TTLS, **(ttls or {})}
        self._data: LruDict[str, tuple[float, Any]] = LruDict(max_entries)
        self._locks: LruDict[str, threading.Lock] = LruDict(max_entries)
        self._guard = threading.Lock()
        self._clock = clock
        self._stats = _Stats()

    @property
    def hits(self) -> int:
        return self._stats.hits

    @property
    def misses(self) -> int:
        return self._stats.misses

    def _lookup(self, key: str) -> tuple[bool, Any]:
        with self._guard:
            entry = self._data.get(key)
        if entry is None or entry[0] <= self._clock():
            return False, None
        return True, entry[1]

    def get_or_load(self, key: str, kind: str, load: Callable[[], tuple[Any, bool]]) -> Any:
        found, value = self._lookup(key)
        if found:
            self._stats.hit()
            return value
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            found, value = self._lookup(key)
            if found:
                self._stats.hit()
                return value
            self._stats.miss()
            value, cacheable = load()
            if cacheable:
                with self._guard:
                    self._data[key] = (self._clock() + self.ttls.get(kind, 60), value)
            return value

    def invalidate(self, patterns: Iterable[str]) -> int:
        import fnmatch

        gone = 0
        for pattern in patterns:
            with self._guard:
                for key in [k for k in self._data if fnmatch.fnmatchcase(k, pattern)]:
                    del self._data[key]
                    gone += 1
        return gone


def redis_client(url: str) -> redis.Redis:
    """A client that fails fast (short timeouts, one immediate retry): callers fall back rather than wait."""
    return redis.Redis.from_url(
        url, socket_timeout=0.5, socket_connect_timeout=0.5, health_check_interval=10, retry=Retry(NoBackoff(), 1)
    )


class RedisCache:
    """Redis-backed cache shared by every replica, with cross-process single flight."""

    def __init__(
        self,
        client: redis.Redis,
        ttls: dict[str, int] | None = None,
        *,
        namespace: str = "",
        lock_ms: int = 15_000,
        wait_s: float = 15.0,
    ) -> None:
        self.client = client
        self.ttls = {**DEFAULT_TTLS, **(ttls or {})}
        self.namespace = namespace
        self.root = key_root() + KEY_PREFIX
        self.lock_ms = lock_ms
        self.wait_s = wait_s
        self._stats = _Stats()
        self._down_logged = False

    @classmethod
    def from_url(cls, url: str, ttls: dict[str, int] | None = None, **kw: Any) -> RedisCache:
        return cls(redis_client(url), ttls, **kw)

    @property
    def hits(self) -> int:
        return self._stats.hits

    @property
    def misses(self) -> int:
        return self._stats.misses

    def _full(self, key: str) -> str:
        return self.root + self.namespace + key

    def _redis_failed(self, exc: Exception) -> None:
        if not self._down_logged:
            log.warning("redis unavailable (%s); continuing without the shared cache", type(exc).__name__)
            self._down_logged = True

    def _redis_ok(self) -> None:
        if self._down_logged:
            log.info("redis reachable again; the shared cache is back in use")
            self._down_logged = False

    def get_or_load(self, key: str, kind: str, load: Callable[[], tuple[Any, bool]]) -> Any:
        full = self._full(key)
        ttl = self.ttls.get(kind, 60)
        try:
            raw = self.client.get(full)
            self._redis_ok()
        except redis.RedisError as exc:
            self._redis_failed(exc)
            self._stats.miss()
            return load()[0]
        if raw is not None:
            self._stats.hit()
            return json.loads(raw)
        return self._load_once(full, ttl, load)

    def _load_once(self, full: str, ttl: int, load: Callable[[], tuple[Any, bool]]) -> Any:
        token = uuid.uuid4().hex
        lock_key = full + ":lock"
        deadline = time.monotonic() + self.wait_s
        while True:
            try:
                if self.client.set(lock_key, token, nx=True, px=self.lock_ms):
                    break
                raw = self.client.get(full)
            except redis.RedisError as exc:
                self._redis_failed(exc)
                self._stats.miss()
                return load()[0]
            if raw is not None:
                self._stats.hit()
                return json.loads(raw)
            if time.monotonic() > deadline:  # the holder died or is very slow: load ourselves
                self._stats.miss()
                return load()[0]
            time.sleep(0.01)
        try:
            try:
                raw = self.client.get(full)  # the previous holder may have just filled it
            except redis.RedisError:
                raw = None
            if raw is not None:
                self._stats.hit()
                return json.loads(raw)
            self._stats.miss()
            value, cacheable = load()
            if cacheable:
                try:
                    self.client.set(full, json.dumps(value, default=str), ex=ttl)
                except redis.RedisError as exc:
                    self._redis_failed(exc)
            return value
        finally:
            try:
                # Release only our own lock (compare-and-delete).
                self.client.eval(
                    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0",
                    1,
                    lock_key,
                    token,
                )
            except redis.RedisError as exc:
                self._redis_failed(exc)

    def invalidate(self, patterns: Iterable[str]) -> int:
        gone = 0
        try:
            for pattern in patterns:
                keys = list(self.client.scan_iter(match=self.root + self.namespace + pattern, count=500))
                if keys:
                    gone += int(self.client.delete(*keys))
        except redis.RedisError as exc:
            self._redis_failed(exc)
        return gone


class NoCache:
    """Reads everything live (`--no-cache`), still answering the same interface."""

    hits = 0

    def __init__(self) -> None:
        self.misses = 0

    def get_or_load(self, key: str, kind: str, load: Callable[[], tuple[Any, bool]]) -> Any:
        self.misses += 1
        return load()[0]

    def invalidate(self, patterns: Iterable[str]) -> int:
        return 0


def cache_from_env(url: str | None, ttls: dict[str, int] | None = None) -> Cache:
    """Redis when a URL is given, else the in-process cache."""
    return RedisCache.from_url(url, ttls) if url else MemoryCache(ttls)
