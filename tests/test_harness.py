"""The test command's own promises: a real Redis is reachable, and shared/ is where the project expects it."""

from __future__ import annotations

import redis

from tests.conftest import SHARED


def test_redis_is_a_real_server_over_a_real_connection(redis_client: redis.Redis, redis_prefix: str) -> None:
    info = redis_client.info("server")
    assert "redis_version" in info
    key = redis_prefix + "roundtrip"
    redis_client.set(key, "ok", ex=30)
    assert redis_client.get(key) == b"ok"


def test_shared_folder_is_beside_the_project() -> None:
    assert (SHARED / "CONTRACT.md").is_file(), f"shared/ not found at {SHARED}"
