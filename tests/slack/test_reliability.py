"""Reliability: a flood of pasted errors with retries, Redis restarted mid-flow, a 50 KB paste, and malformed
policies returned by AWS — nothing lost, nothing duplicated, no traceback reaching a user."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import redis

from bot.account.collector import Collector
from bot.account.sessions import SessionProvider
from bot.cache import MemoryCache
from bot.config import Config
from bot.demo.scenarios import s_sse_kms_header
from bot.slack.app import Store
from bot.slack.blocks import diagnosis_blocks
from bot.slack.runner import LiveDiagnoser
from tests.conftest import OwnRedis
from tests.slack.conftest import SECRET, Harness, start_app
from tests.slack.signed import event, message, post_signed
from tests.slack.test_app import JSON, PASTE


def test_a_flood_of_200_errors_with_retries_gets_200_answers(harness: Harness) -> None:
    s_sse_kms_header()
    # 200 people pasting at once (one person is held to the per-user rate limit: tests/slack/test_fair_use.py)
    bodies = [
        event(message(PASTE, ts=f"1700000100.{i:06d}", user=f"U_FLOOD{i}"), event_id=f"EvFlood{i}") for i in range(200)
    ]
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}

    def send(i: int) -> int:
        body = bodies[i % 200]
        return post_signed(harness.endpoint, SECRET, body, JSON, headers=retry if i >= 200 else None)[0]

    # 8 senders: every delivery here comes from one address, and the server holds at most 16 connections per
    # client (bot/slack/server.py); a sender's previous connection may still be closing when it sends the next
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(send, range(250)))  # the 200, then 50 of them retried
    assert statuses == [200] * 250
    updates = harness.fake.wait_for("chat.update", 200, timeout=120)
    progress = harness.fake.of("chat.postMessage")
    assert len(progress) == 200
    assert sorted(p.body["thread_ts"] for p in progress) == sorted(f"1700000100.{i:06d}" for i in range(200))
    assert all("RequireKms" in json.dumps(u.body["blocks"]) for u in updates)


def test_redis_restarted_mid_flow_loses_nothing_and_duplicates_nothing(harness: Harness, own_redis: OwnRedis) -> None:
    s_sse_kms_header()
    store = Store(redis.Redis.from_url(own_redis.url, socket_connect_timeout=0.2, socket_timeout=0.5), prefix="rel:")
    store.DOWN_SECONDS = 0.0  # retry Redis at once (the test does not wait on a clock)
    endpoint, httpd = start_app(harness.slack_url, store, harness.gate, Config())
    try:

        def paste(n: int) -> None:
            body = event(message(PASTE, ts=f"1700000200.{n:06d}"), event_id=f"EvRedis{n}")
            assert post_signed(endpoint, SECRET, body, JSON)[0] == 200

        paste(1)
        harness.fake.wait_for("chat.update", 1)
        own_redis.stop()
        paste(2)  # Redis is down: answered all the same
        harness.fake.wait_for("chat.update", 2)
        own_redis.start()
        paste(3)
        harness.fake.wait_for("chat.update", 3)
        paste(3)  # a retry after the restart: de-duplicated through Redis again
        paste(1)  # claimed before the restart? Redis lost it (no persistence): at most one more answer
    finally:
        httpd.shutdown()
    threads = [p.body["thread_ts"] for p in harness.fake.of("chat.postMessage")]
    assert threads.count("1700000200.000002") == 1 and threads.count("1700000200.000003") == 1
    assert threads.count("1700000200.000001") <= 2
    assert redis.Redis.from_url(own_redis.url).exists("rel:event:EvRedis3")


def test_a_50_kb_paste_is_answered_within_slacks_limits(harness: Harness) -> None:
    s_sse_kms_header()
    noise = "\n".join(f"2026-11-23T10:{i % 60:02d}:00Z INFO worker-{i} processed batch {i} ok" for i in range(900))
    snippet = {"id": "F9", "mode": "snippet", "mimetype": "text/plain", "preview": noise + "\n" + PASTE.strip("`")}
    assert len(snippet["preview"]) > 50_000
    inner = message("the nightly job log", subtype="file_share", files=[snippet])
    assert post_signed(harness.endpoint, SECRET, event(inner, event_id="EvBig"), JSON)[0] == 200
    blocks = harness.fake.wait_for("chat.update")[-1].body["blocks"]
    assert "RequireKms" in json.dumps(blocks)
    assert len(blocks) <= 50 and all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)


def test_malformed_policies_returned_by_aws_are_reported_not_raised(moto: str) -> None:
    s_sse_kms_header()

    def corrupt(made: Any) -> None:
        def patch(parsed: dict[str, Any], **_: Any) -> None:
            if "Policy" in parsed:
                parsed["Policy"] = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '

        made.meta.events.register("after-call.s3.GetBucketPolicy", patch)

    diagnoser = LiveDiagnoser(Collector(SessionProvider(Config(), client_hook=corrupt), MemoryCache()))
    _, (d,) = diagnoser(PASTE, principal=None, context={}, fresh=True)
    bucket = next(layer for layer in d.layers if layer.layer.value == "bucket-policy")
    assert bucket.verdict == "unknown" and "JSON" in bucket.detail, bucket
    assert d.decision != "allow"
    text = json.dumps(diagnosis_blocks(d, "r" * 32))
    assert "Traceback" not in text and "bucket-policy" in text


def test_a_burst_of_connections_is_queued_not_refused() -> None:
    from bot.slack.server import _ThreadingWSGIServer

    # socketserver's default listen backlog is 5: a burst of Slack deliveries would see refused connections.
    assert _ThreadingWSGIServer.request_queue_size >= 128
