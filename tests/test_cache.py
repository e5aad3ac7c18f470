"""The cache over a real Redis: hits, TTLs, negative entries, single flight across processes, Redis failures."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from typing import Any

import redis

from bot.cache import MemoryCache, RedisCache, cache_from_env
from tests.conftest import OwnRedis


def test_redis_cache_hits_after_the_first_load(redis_client: redis.Redis, redis_prefix: str) -> None:
    cache = RedisCache(redis_client, namespace=redis_prefix)
    loads = []

    def load() -> tuple[Any, bool]:
        loads.append(1)
        return {"Policy": "{}"}, True

    assert cache.get_or_load("acct:r:bucket:s3.GetBucketPolicy:x", "bucket", load) == {"Policy": "{}"}
    assert cache.get_or_load("acct:r:bucket:s3.GetBucketPolicy:x", "bucket", load) == {"Policy": "{}"}
    assert len(loads) == 1
    assert (cache.hits, cache.misses) == (1, 1)
    ttl = redis_client.ttl(redis_prefix + "s3why:v1:" + redis_prefix + "acct:r:bucket:s3.GetBucketPolicy:x")
    assert 0 < ttl <= 120


def test_values_not_marked_cacheable_are_not_stored(redis_client: redis.Redis, redis_prefix: str) -> None:
    cache = RedisCache(redis_client, namespace=redis_prefix)
    cache.get_or_load("k", "bucket", lambda: ({"Error": {"Code": "AccessDenied"}}, False))
    assert redis_client.get(redis_prefix + "s3why:v1:" + redis_prefix + "k") is None


def test_ttl_expiry_reloads(redis_client: redis.Redis, redis_prefix: str) -> None:
    cache = RedisCache(redis_client, {"object": 1}, namespace=redis_prefix)
    calls: list[int] = []

    def load() -> tuple[Any, bool]:
        calls.append(1)
        return len(calls), True

    cache.get_or_load("o", "object", load)
    key = redis_prefix + "s3why:v1:" + redis_prefix + "o"
    deadline = time.monotonic() + 5
    while redis_client.exists(key) and time.monotonic() < deadline:
        time.sleep(0.05)
    cache.get_or_load("o", "object", load)
    assert len(calls) == 2


def test_invalidate_removes_matching_entries(redis_client: redis.Redis, redis_prefix: str) -> None:
    cache = RedisCache(redis_client, namespace=redis_prefix)
    for k in (
        "111:us-east-1:bucket:s3.GetBucketPolicy:a",
        "111:us-east-1:bucket:s3.GetBucketAcl:a",
        "111:us-east-1:kms:x",
    ):
        cache.get_or_load(k, "bucket", lambda: (1, True))
    assert cache.invalidate(["111:*:bucket:*"]) == 2
    assert cache.invalidate(["111:*:kms:*"]) == 1


def _worker(url: str, prefix: str, counter_key: str, start: Any, out: Any) -> None:
    client = redis.Redis.from_url(url)
    cache = RedisCache(client, namespace=prefix)

    def load() -> tuple[Any, bool]:
        client.incr(counter_key)
        time.sleep(0.3)  # a slow AWS call, so the other processes arrive while it runs
        return {"answer": 42}, True

    start.wait()
    out.put(cache.get_or_load("shared:key", "bucket", load))


def test_single_flight_across_processes(redis_client: redis.Redis, redis_prefix: str) -> None:
    url = redis_client.connection_pool.connection_kwargs
    redis_url = f"redis://{url.get('host', '127.0.0.1')}:{url.get('port', 6379)}/{url.get('db', 0)}"
    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    counter = redis_prefix + "aws-calls"
    procs = [ctx.Process(target=_worker, args=(redis_url, redis_prefix, counter, start, out)) for _ in range(4)]
    for p in procs:
        p.start()
    start.set()
    results = [out.get(timeout=30) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert results == [{"answer": 42}] * 4
    assert int(redis_client.get(counter) or 0) == 1


def test_single_flight_across_threads_in_memory() -> None:
    cache = MemoryCache()
    calls = []
    barrier = threading.Barrier(5)

    def load() -> tuple[Any, bool]:
        calls.append(1)
        time.sleep(0.1)
        return 7, True

    def run() -> None:
        barrier.wait()
        assert cache.get_or_load("k", "bucket", load) == 7

    threads = [threading.Thread(target=run) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1


def test_redis_stopped_mid_flow_keeps_working_and_recovers(own_redis: OwnRedis, caplog: Any) -> None:
    cache = RedisCache.from_url(own_redis.url)
    calls: list[int] = []

    def load() -> tuple[Any, bool]:
        calls.append(1)
        return len(calls), True

    assert cache.get_or_load("a", "bucket", load) == 1
    assert cache.get_or_load("a", "bucket", load) == 1  # cached
    own_redis.stop()
    with caplog.at_level("WARNING", logger="s3why.cache"):
        assert cache.get_or_load("a", "bucket", load) == 2  # uncached, still answers
        assert cache.get_or_load("a", "bucket", load) == 3
    assert sum("redis unavailable" in r.message for r in caplog.records) == 1  # said once
    own_redis.start()
    deadline = time.monotonic() + 10
    value = cache.get_or_load("b", "bucket", load)
    while time.monotonic() < deadline and cache.get_or_load("b", "bucket", load) != value:
        value = cache.get_or_load("b", "bucket", load)
    assert cache.get_or_load("b", "bucket", load) == value  # cached again: Redis is back in use


def test_no_redis_url_means_the_in_process_cache() -> None:
    assert isinstance(cache_from_env(None), MemoryCache)


def test_every_store_writes_under_s3why_redis_prefix(redis_client: redis.Redis, redis_prefix: str) -> None:
    """S3WHY_REDIS_PREFIX (set per test by tests/conftest.py): the cache, the Slack store and the proposal store
    write only keys that start with it, with their default prefixes."""
    from bot.approve.store import PatchStore
    from bot.slack.app import Store

    assert os.environ["S3WHY_REDIS_PREFIX"] == redis_prefix
    RedisCache(redis_client).get_or_load("111:us-east-1:bucket:s3.GetBucketPolicy:x", "bucket", lambda: (1, True))
    Store(redis_client).put("run:r1", {"text": "t"})
    lock = PatchStore(redis_client, key=b"k" * 32).lock("111", "bucket", "team-data")
    assert lock.acquire()
    keys = sorted(k.decode() for k in redis_client.scan_iter(match=redis_prefix + "*"))
    lock.release()
    assert [k.removeprefix(redis_prefix).split(":")[:2] for k in keys] == [
        ["s3why", "slack"],
        ["s3why", "target-lock"],
        ["s3why", "v1"],
    ], keys
