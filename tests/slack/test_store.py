"""The Slack app's shared state: claims and runs in a real Redis, and a clear fallback when Redis is down."""

from __future__ import annotations

import logging
import socket
from typing import Any

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from bot.slack.app import Store


def test_a_claim_is_won_once_across_stores_sharing_redis(redis_client: redis.Redis, redis_prefix: str) -> None:
    one, two = Store(redis_client, prefix=redis_prefix), Store(redis_client, prefix=redis_prefix)
    assert one.claim("event:Ev1") is True
    assert two.claim("event:Ev1") is False
    assert 0 < int(redis_client.ttl(f"{redis_prefix}event:Ev1")) <= 3600
    one.put("run:r1", {"text": "x", "channel": "C1"})
    assert two.get("run:r1") == {"text": "x", "channel": "C1"}
    assert two.get("run:missing") is None


class CountingRedis(redis.Redis):
    commands = 0

    def execute_command(self, *args: Any, **options: Any) -> Any:
        CountingRedis.commands += 1
        return super().execute_command(*args, **options)  # type: ignore[no-untyped-call]


def test_redis_down_keeps_working_in_process_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = CountingRedis(host="127.0.0.1", port=port, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    store = Store(down)
    with caplog.at_level(logging.WARNING, logger="s3why.slack"):
        assert store.claim("event:Ev2") is True
        assert store.claim("event:Ev2") is False  # still de-duplicated, within this process
        store.put("run:r2", {"text": "y"})
        assert store.get("run:r2") == {"text": "y"}
    assert any("redis unavailable" in r.getMessage() for r in caplog.records)
    assert CountingRedis.commands == 1  # after the first failure no request waits on Redis again
