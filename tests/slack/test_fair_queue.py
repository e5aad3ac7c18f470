"""A fair queue in front of the workers (issue 22 §3): the work of each asker is taken in turn, so one person's
burst delays another person's question by a turn, not by the whole burst. The executor on its own, then the real
Bolt app with signed requests, the fake Web API, moto and a real Redis."""

from __future__ import annotations

import threading

from bot.demo.scenarios import s_identity_missing_put
from bot.slack.fair import FairExecutor, asking
from tests.slack.conftest import SECRET, Harness, start_app
from tests.slack.signed import event, message, post_signed
from tests.slack.test_approvals import JSON, PASTE


def test_askers_are_served_in_turn_not_in_arrival_order() -> None:
    pool = FairExecutor(max_workers=1)
    started, busy = threading.Event(), threading.Event()
    order: list[str] = []

    def hold() -> bool:
        started.set()
        return busy.wait(10)

    with asking("user:A"):
        first = pool.submit(hold)  # the one worker is busy while the rest arrive
    assert started.wait(10)
    for who, n in [("A", 1), ("A", 2), ("A", 3), ("B", 1), ("C", 1)]:
        with asking(f"user:{who}"):
            pool.submit(order.append, f"{who}{n}")
    assert pool.waiting() == {"user:A": 3, "user:B": 1, "user:C": 1}
    busy.set()
    assert first.result(10) is True
    pool.shutdown(wait=True)
    assert order == ["A1", "B1", "C1", "A2", "A3"]  # arrival order would be A1, A2, A3, B1, C1


def test_a_failing_task_reaches_its_future_and_the_worker_goes_on() -> None:
    pool = FairExecutor(max_workers=1)
    failed = pool.submit(int, "not a number")
    assert isinstance(failed.exception(10), ValueError)
    assert pool.submit(len, "abc").result(10) == 3
    pool.shutdown()


def test_one_user_s_burst_does_not_hold_up_another_user(harness: Harness) -> None:
    s_identity_missing_put()
    endpoint, httpd = start_app(harness.slack_url, harness.store, harness.gate, workers=1)
    try:
        harness.gate.clear()  # AWS is slow: the first run holds the one worker while the rest arrive
        sent = [("U_BURST", n) for n in range(1, 5)] + [("U_OTHER", 9)]
        for user, n in sent:
            inner = message(PASTE, user=user, ts=f"1700000000.00{n}000")
            assert post_signed(endpoint, SECRET, event(inner, event_id=f"EvFair{user}{n}"), JSON)[0] == 200
        harness.fake.wait_for("chat.postMessage")  # the first run started, and waits on AWS
        harness.gate.set()
        posts = harness.fake.wait_for("chat.postMessage", 5, timeout=120)
        started = [p.body["thread_ts"] for p in posts if str(p.body.get("text", "")).startswith("Looking at")]
        other = started.index("1700000000.009000")
        assert other < started.index("1700000000.003000") < started.index("1700000000.004000"), started
    finally:
        harness.gate.set()
        httpd.shutdown()
