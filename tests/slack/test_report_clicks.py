"""The *Full report* button cannot be used to flood a thread or keep s3why busy: each click spends the clicker's
rate limit before anything is read.
Through the real Bolt app: signed requests, the fake Web API, moto in server mode and a real Redis."""

from __future__ import annotations

import logging

import pytest

from bot.demo.scenarios import s_identity_missing_put
from tests.approve.support import STRANGER
from tests.slack.conftest import SECRET, Harness, start_app, wait_for_log
from tests.slack.signed import block_action, event, message, post_signed
from tests.slack.test_approvals import FORM, JSON, PASTE


def _report_button(h: Harness) -> dict[str, object]:
    blocks = h.fake.wait_for("chat.update")[-1].body["blocks"]
    return next(
        e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == "s3why_full_report"
    )


def _click(endpoint: str, value: object, user: str) -> None:
    action = {"type": "button", "action_id": "s3why_full_report", "value": value}
    assert post_signed(endpoint, SECRET, block_action(action, "1800000000.000001", user=user), FORM)[0] == 200


def test_report_clicks_past_the_rate_limit_post_nothing(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="s3why.slack")
    s_identity_missing_put()
    endpoint, httpd = start_app(harness.slack_url, harness.store, harness.gate, runs_per_user_minute=2)
    try:
        assert post_signed(endpoint, SECRET, event(message(PASTE), event_id="EvReport"), JSON)[0] == 200
        value = _report_button(harness)["value"]
        for _ in range(5):
            _click(endpoint, value, STRANGER)
        wait_for_log(caplog, "full report refused", count=3)
    finally:
        httpd.shutdown()
    (refusal,) = harness.fake.of("chat.postEphemeral")  # told once a minute, not once a click
    assert refusal.body["user"] == STRANGER and "times in the last minute" in refusal.body["text"]
    assert len(harness.fake.of("files.completeUploadExternal")) == 2
