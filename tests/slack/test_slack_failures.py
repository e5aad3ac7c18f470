"""A Slack call that fails is retried per Retry-After, then answered with a short fallback: never a thread stuck on
"Looking at the layers…" (issue 22 §3). Through the real Bolt app with signed requests and the fake Web API."""

from __future__ import annotations

import json

from bot.demo.scenarios import s_identity_missing_put
from tests.slack.conftest import SECRET, Harness
from tests.slack.signed import event, message, post_signed
from tests.slack.test_approvals import JSON, PASTE


def test_a_rate_limited_update_is_retried_after_retry_after(harness: Harness) -> None:
    s_identity_missing_put()
    harness.fake.fail["chat.update"] = [(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})]
    assert post_signed(harness.endpoint, SECRET, event(message(PASTE), event_id="EvRetry"), JSON)[0] == 200
    updates = harness.fake.wait_for("chat.update", 2)
    assert updates[0].body.get("_failed") == 429
    assert "Root cause" in json.dumps(updates[1].body["blocks"])  # the same answer, after the wait


def test_an_answer_slack_refuses_is_replaced_by_a_short_fallback(harness: Harness) -> None:
    s_identity_missing_put()
    harness.fake.fail["chat.update"] = [(200, {"ok": False, "error": "invalid_blocks"}, {})]
    assert post_signed(harness.endpoint, SECRET, event(message(PASTE), event_id="EvFallback"), JSON)[0] == 200
    updates = harness.fake.wait_for("chat.update", 2)
    fallback = updates[1].body
    progress = harness.fake.of("chat.postMessage")[0].body
    assert fallback["ts"] == "1800000000.000001" and progress["text"].startswith("Looking at")
    said = json.dumps(fallback["blocks"])
    assert "Slack refused the full answer (invalid_blocks)" in said and "Full report" in said
