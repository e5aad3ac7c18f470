"""The Slack app end to end: signed event → ack, and → the answer in the thread (chat.update), with a fake Web
API, moto in process and an injected AWS latency. The ack must never wait for AWS; the answer's time is the
collection plus diagnosis plus fixes plus two Web API calls.
"""

from __future__ import annotations

import statistics
import threading
import time
from typing import Any
from wsgiref.simple_server import make_server

from slack_sdk import WebClient

from benchmarks.collect import LATENCY
from benchmarks.run import Row
from bot.demo.emulator import start_emulated_aws


def bench_slack() -> list[Row]:
    from bot.account.collector import Collector
    from bot.account.sessions import SessionProvider
    from bot.cache import MemoryCache
    from bot.config import Config
    from bot.demo.scenarios import s_sse_kms_header
    from bot.slack.app import Store, create_app
    from bot.slack.runner import LiveDiagnoser
    from bot.slack.server import _Quiet, _ThreadingWSGIServer, wsgi_app
    from tests.slack.fake_slack import start_fake_slack
    from tests.slack.signed import event, message, post_signed
    from tests.slack.test_app import JSON, PASTE

    _, stop_aws = start_emulated_aws()
    fake, slack_server, slack_url = start_fake_slack()
    try:
        s_sse_kms_header()

        def hook(made: Any) -> None:
            made.meta.events.register("before-send.*.*", lambda **_: time.sleep(LATENCY))

        collector = Collector(SessionProvider(Config(), client_hook=hook), MemoryCache())
        app = create_app(
            client=WebClient(token="xoxb-bench", base_url=f"{slack_url}/api/"),
            signing_secret="bench-secret",
            config=Config(),
            store=Store(None),
            diagnoser=LiveDiagnoser(collector),
        )
        httpd = make_server("127.0.0.1", 0, wsgi_app(app), server_class=_ThreadingWSGIServer, handler_class=_Quiet)
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        endpoint = f"http://127.0.0.1:{httpd.server_port}/slack/events"
        acks, answers = [], []
        for i in range(12):
            before = len(fake.of("chat.update"))
            start = time.perf_counter()
            status, _ = post_signed(endpoint, "bench-secret", event(message(PASTE), event_id=f"EvBench{i}"), JSON)
            acks.append(time.perf_counter() - start)
            assert status == 200
            fake.wait_for("chat.update", before + 1, timeout=60)
            answers.append(time.perf_counter() - start)
        # A burst: 50 pasted errors at once against this one replica.
        from concurrent.futures import ThreadPoolExecutor

        before = len(fake.of("chat.update"))

        def one(i: int) -> float:
            start = time.perf_counter()
            body = event(message(PASTE, ts=f"1700000001.{i:06d}"), event_id=f"EvBurst{i}")
            status, _ = post_signed(endpoint, "bench-secret", body, JSON)
            assert status == 200
            return time.perf_counter() - start

        burst_start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=50) as pool:
            burst = sorted(pool.map(one, range(50)))
        fake.wait_for("chat.update", before + 50, timeout=120)
        burst_all = time.perf_counter() - burst_start
        # Issue 14: 16 hostile 40,000-character messages (a run of `<https://` after an error line, the parser's
        # worst kind) and 50 ordinary pasted errors in flight at once: acks must not wait on parsing.
        hostile = "An error occurred (AccessDenied) when calling the GetObject operation: Access Denied\n"
        hostile += "<https://" * ((40_000 - len(hostile)) // len("<https://"))

        def mixed(i: int) -> float:
            start = time.perf_counter()
            text = hostile if i < 16 else PASTE
            body = event(message(text, ts=f"1700000002.{i:06d}"), event_id=f"EvMixed{i}")
            status, _ = post_signed(endpoint, "bench-secret", body, JSON)
            assert status == 200
            return time.perf_counter() - start

        with ThreadPoolExecutor(max_workers=66) as pool:
            mixed_acks = sorted(pool.map(mixed, range(66)))
        httpd.shutdown()
    finally:
        slack_server.shutdown()
        stop_aws()
    cold, warm = answers[0], statistics.median(answers[1:])
    return [
        (
            "slack",
            f"ack of a signed event ({LATENCY * 1000:.0f} ms per AWS call; median, max)",
            f"{statistics.median(acks) * 1000:.1f} ms, {max(acks) * 1000:.1f} ms",
        ),
        ("slack", "pasted error → answer in the thread, first (cold cache, new process)", f"{cold * 1000:.0f} ms"),
        ("slack", "pasted error → answer in the thread, warm cache", f"{warm * 1000:.0f} ms"),
        (
            "slack",
            "burst of 50 concurrent pasted errors: ack median, p95, max",
            f"{statistics.median(burst) * 1000:.0f} ms, {burst[47] * 1000:.0f} ms, {burst[-1] * 1000:.0f} ms",
        ),
        ("slack", "burst of 50: all 50 answers in their threads", f"{burst_all * 1000:.0f} ms"),
        (
            "slack",
            "16 hostile 40,000-character messages and 50 ordinary ones in flight: ack median, p99, max",
            f"{statistics.median(mixed_acks) * 1000:.0f} ms, {mixed_acks[int(0.99 * (len(mixed_acks) - 1))] * 1000:.0f}"
            f" ms, {mixed_acks[-1] * 1000:.0f} ms",
        ),
    ]
