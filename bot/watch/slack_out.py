"""Posting to Slack from every `s3why watch` process: at most one write per second per channel (a slot in Redis
that all processes share), and Slack's own rate limits honoured (HTTP 429: wait `Retry-After` seconds, then
retry; slack_sdk's `RateLimitErrorRetryHandler`). Slack: "Rate limits" — chat.postMessage allows about one
message per second per channel."""

from __future__ import annotations

import time
from typing import Any

import redis
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

MAX_429_RETRIES = 5


def watch_client(token: str, base_url: str | None = None) -> WebClient:
    """A Web API client that waits out 429s as Slack asks (Retry-After), up to MAX_429_RETRIES times."""
    client = WebClient(token=token, base_url=base_url) if base_url else WebClient(token=token)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=MAX_429_RETRIES))
    return client


class ChannelPoster:
    """chat.postMessage / chat.update through a per-channel slot: `interval_seconds` apart in each channel,
    whichever process writes."""

    def __init__(
        self, client: WebClient, r: redis.Redis, *, prefix: str = "s3why:watch:", interval_seconds: float = 1.0
    ) -> None:
        self.client = client
        self.r = r
        self.prefix = prefix
        self.interval_ms = max(1, int(interval_seconds * 1000))
        self.calls = 0

    def _slot(self, channel: str) -> None:
        key = f"{self.prefix}rate:{channel}"
        while not self.r.set(key, "1", nx=True, px=self.interval_ms):
            wait = int(self.r.pttl(key))
            time.sleep(max(wait, 5) / 1000)

    def post(self, channel: str, text: str, blocks: list[dict[str, Any]], thread_ts: str | None = None) -> str:
        self._slot(channel)
        self.calls += 1
        answer = self.client.chat_postMessage(channel=channel, text=text, blocks=blocks, thread_ts=thread_ts)
        return str(answer["ts"])

    def update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        self._slot(channel)
        self.calls += 1
        self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
