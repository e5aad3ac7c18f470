"""Shared fixtures: paths to shared/ and fixtures, and a real Redis connection."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    """A real Redis connection (scripts/test guarantees REDIS_URL points at a live server).

    The server is shared: tests write only under keys they own (see `redis_prefix`) and never flush it.
    """
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    client.ping()  # fails loudly, never skips, when no server is there
    yield client
    client.close()


@pytest.fixture
def redis_prefix(redis_client: redis.Redis) -> Iterator[str]:
    """A key prefix unique to one test; every key under it is deleted afterwards."""
    prefix = f"s3why-test:{uuid.uuid4().hex}:"
    yield prefix
    for key in redis_client.scan_iter(match=prefix + "*"):
        redis_client.delete(key)
