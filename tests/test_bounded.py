"""The in-process stores are bounded (issue 22 §3): a stream of distinct regions, keys or requests never grows
a long-running process without limit; the least recently used entry goes first and is made again when needed."""

from __future__ import annotations

from typing import Any

from bot.account.sessions import SessionProvider, known_region
from bot.bounded import LruDict
from bot.cache import MemoryCache
from bot.config import Config


def test_the_least_recently_used_entry_is_dropped_first() -> None:
    lru: LruDict[str, int] = LruDict(2)
    lru["a"], lru["b"] = 1, 2
    assert lru.get("a") == 1  # "a" used: "b" is now the oldest
    lru["c"] = 3
    assert "b" not in lru and lru.get("a") == 1 and lru.get("c") == 3
    assert len(lru) == 2 and lru.evicted == 1


def test_boto3_clients_are_kept_up_to_a_size_and_made_again_after(monkeypatch: Any) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    sessions = SessionProvider(Config(), max_clients=3)
    made: list[object] = []
    sessions.client_hook = made.append
    monkeypatch.setattr(sessions, "own_account", lambda: "111122223333")
    regions = sorted(
        r for r in ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-south-1") if known_region(r)
    )
    first = sessions.client("111122223333", "s3", regions[0])
    for region in regions:
        sessions.client("111122223333", "s3", region)
    assert len(made) == len(regions) and len(sessions._clients) == 3
    again = sessions.client("111122223333", "s3", regions[0])  # dropped: made again, not failed
    assert again is not None and again is not first and len(made) == len(regions) + 1
    assert sessions.client("111122223333", "s3", regions[-1]) is made[len(regions) - 1]  # still kept: reused


def test_the_memory_cache_keeps_at_most_its_size_and_reloads_what_it_dropped() -> None:
    cache = MemoryCache(max_entries=100)
    loads: list[str] = []

    def loader(key: str) -> Any:
        def load() -> tuple[Any, bool]:
            loads.append(key)
            return {"key": key}, True

        return load

    for i in range(1000):  # e.g. 1000 buckets named in pastes
        cache.get_or_load(f"acct:bucket-{i}", "bucket", loader(f"bucket-{i}"))
    assert len(cache._data) == 100 and len(cache._locks) <= 100
    assert cache.get_or_load("acct:bucket-999", "bucket", loader("x")) == {"key": "bucket-999"}  # kept
    assert cache.get_or_load("acct:bucket-0", "bucket", loader("bucket-0")) == {"key": "bucket-0"}  # reloaded
    assert loads.count("bucket-0") == 2 and "x" not in loads
