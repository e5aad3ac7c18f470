"""Posting to Slack from every `s3why watch` process: at most one write per second per channel (a slot in Redis
that all processes share), and Slack's own rate limits honoured (HTTP 429: wait `Retry-After` seconds, then
retry; slack_sdk's `RateLimitErrorRetryHandler`). Slack: "Rate limits" — chat.postMessage allows about one
message per second per channel. A message Slack refuses as too large (`msg_too_long`, `invalid_blocks`) is sent
again shortened, once, rather than lost."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import redis
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

MAX_429_RETRIES = 5
# Slack's answers to a message it will not take as it is, but would shortened (chat.postMessage / chat.update docs)
TOO_LARGE = frozenset({"msg_too_long", "invalid_blocks", "too_many_blocks", "invalid_attachments"})
SHORT_TEXT = 2800  # a section's text is at most 3000 characters (Block Kit reference)

log = logging.getLogger("s3why.watch")


def shortened(text: str, error: str) -> tuple[str, list[dict[str, Any]]]:
    """The message as one section of at most SHORT_TEXT characters, saying it was shortened and why."""
    note = f"\n_(shortened: Slack refused the full message, {error})_"
    short = text if len(text) + len(note) <= SHORT_TEXT else text[: SHORT_TEXT - len(note) - 1] + "…"
    return short[:SHORT_TEXT], [{"type": "section", "text": {"type": "mrkdwn", "text": short + note}}]


def _sent_or_shortened(call: Callable[..., Any], *, text: str, blocks: list[dict[str, Any]], **kw: Any) -> Any:
    try:
        return call(text=text, blocks=blocks, **kw)
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "")
        if error not in TOO_LARGE:
            raise
        log.warning("Slack refused a watch message (%s); sending it shortened", error)
        short, short_blocks = shortened(text, error)
        return call(text=short, blocks=short_blocks, **kw)


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

    def _slot(self, channel: str, *, wait: bool = True) -> bool:
        """Take the channel's next write slot; without `wait`, False at once when it is taken."""
        key = f"{self.prefix}rate:{channel}"
        while not self.r.set(key, "1", nx=True, px=self.interval_ms):
            if not wait:
                return False
            time.sleep(max(int(self.r.pttl(key)), 5) / 1000)
        return True

    def post(self, channel: str, text: str, blocks: list[dict[str, Any]], thread_ts: str | None = None) -> str:
        self._slot(channel)
        self.calls += 1
        answer = _sent_or_shortened(
            self.client.chat_postMessage, channel=channel, text=text, blocks=blocks, thread_ts=thread_ts
        )
        return str(answer["ts"])

    def update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        self._slot(channel)
        self.calls += 1
        _sent_or_shortened(self.client.chat_update, channel=channel, ts=ts, text=text, blocks=blocks)

    def try_post(
        self, channel: str, text: str, blocks: list[dict[str, Any]], thread_ts: str | None = None
    ) -> str | None:
        """Post only if the channel's slot is free now (a thread update can wait; the queue cannot): the ts, or
        None when the slot was taken."""
        if not self._slot(channel, wait=False):
            return None
        self.calls += 1
        answer = _sent_or_shortened(
            self.client.chat_postMessage, channel=channel, text=text, blocks=blocks, thread_ts=thread_ts
        )
        return str(answer["ts"])

    def try_update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> bool:
        if not self._slot(channel, wait=False):
            return False
        self.calls += 1
        _sent_or_shortened(self.client.chat_update, channel=channel, ts=ts, text=text, blocks=blocks)
        return True
