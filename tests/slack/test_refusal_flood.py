"""A person over the rate limit who keeps clicking is told once a minute, not once a click: refusals cannot make
s3why spend Slack's rate limit, which every asker shares, nor its workers. Through the real Bolt app: signed
requests, the fake Web API, moto in server mode and a real Redis."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

import pytest
import redis

from bot.approve.store import PatchStore
from bot.config import ChannelConfig
from bot.demo.scenarios import s_identity_missing_put
from tests.approve.support import REQUESTER, STRANGER, config
from tests.slack.conftest import SECRET, Harness, start_app, wait_for_log
from tests.slack.signed import block_action, event, message, post_signed
from tests.slack.test_approvals import FORM, JSON, PASTE


def test_a_held_button_gets_one_refusal_a_minute(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="s3why.slack")
    s_identity_missing_put()
    endpoint, httpd = start_app(harness.slack_url, harness.store, harness.gate, runs_per_user_minute=1)
    try:
        assert post_signed(endpoint, SECRET, event(message(PASTE), event_id="EvHeld"), JSON)[0] == 200
        blocks = harness.fake.wait_for("chat.update")[-1].body["blocks"]
        value = next(
            e["value"]
            for b in blocks
            if b["type"] == "actions"
            for e in b["elements"]
            if e["action_id"] == "s3why_rerun"
        )
        clicks = 6
        for _ in range(clicks):
            action = {"type": "button", "action_id": "s3why_rerun", "value": value}
            assert post_signed(endpoint, SECRET, block_action(action, "1800000000.000001", STRANGER), FORM)[0] == 200
        wait_for_log(caplog, "ask refused", count=clicks - 1)
    finally:
        httpd.shutdown()
    refusals = [c for c in harness.fake.of("chat.postEphemeral") if c.body.get("user") == STRANGER]
    assert len(refusals) == 1, [c.body.get("text") for c in refusals]
    # a refused click leaves the answer as it was: never stuck on "Looking again…", its buttons gone
    final = harness.fake.of("chat.update")[-1].body
    assert final["text"] != "Looking again…" and "s3why_rerun" in json.dumps(final["blocks"])


def test_in_a_channel_with_askers_a_stranger_s_click_reads_nothing(
    harness: Harness, redis_client: redis.Redis, redis_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="s3why.slack")
    s_identity_missing_put()
    cfg = replace(config(), channels={"C111": ChannelConfig(askers=(REQUESTER,))})
    endpoint, httpd = start_app(
        harness.slack_url, harness.store, harness.gate, cfg, PatchStore(redis_client, prefix=redis_prefix)
    )
    try:
        assert post_signed(endpoint, SECRET, event(message(PASTE, user=REQUESTER), event_id="EvAskers"), JSON)[0] == 200
        blocks = harness.fake.wait_for("chat.update")[-1].body["blocks"]
        value = next(
            e["value"]
            for b in blocks
            if b["type"] == "actions"
            for e in b["elements"]
            if e["action_id"] == "s3why_rerun"
        )
        updates = len(harness.fake.of("chat.update"))
        action = {"type": "button", "action_id": "s3why_rerun", "value": value}
        assert post_signed(endpoint, SECRET, block_action(action, "1800000000.000001", STRANGER), FORM)[0] == 200
        refusal = harness.fake.wait_for("chat.postEphemeral")[0].body
        assert refusal["user"] == STRANGER and "askers" in refusal["text"]
    finally:
        httpd.shutdown()
    assert len(harness.fake.of("chat.update")) == updates  # the answer as it was, nothing re-read
