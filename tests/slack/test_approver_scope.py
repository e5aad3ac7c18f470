"""An approver of one account is not an approver of every answer: the full report (every policy document) and the
selects that steer a diagnosis are for the approvers of the accounts the answer involves. Through the real Bolt
app: signed requests, the fake Web API, moto in server mode and a real Redis."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import replace

import pytest
import redis

from bot.approve.store import PatchStore
from bot.config import AccountConfig
from bot.demo.scenarios import s_identity_missing_put
from tests.account.conftest import OTHER
from tests.approve.support import APPROVER, REQUESTER, config
from tests.slack.conftest import SECRET, Harness, start_app, wait_for_log
from tests.slack.signed import block_action, event, message, post_signed
from tests.slack.test_approvals import FORM, JSON, PASTE

SANDBOX_APPROVER = "U_SANDBOX"


@pytest.fixture
def endpoint(harness: Harness, redis_client: redis.Redis, redis_prefix: str) -> Iterator[str]:
    base = config()
    own, other = base.accounts
    # the answer is about the first account; the second has an approver of its own
    cfg = replace(base, accounts=(own, replace(other, approvers=(SANDBOX_APPROVER,))))
    assert isinstance(cfg.accounts[1], AccountConfig) and cfg.accounts[1].id == OTHER
    s_identity_missing_put()
    url, httpd = start_app(
        harness.slack_url, harness.store, harness.gate, cfg, PatchStore(redis_client, prefix=redis_prefix)
    )
    yield url
    httpd.shutdown()


def _answer(h: Harness, endpoint: str) -> dict[str, object]:
    assert post_signed(endpoint, SECRET, event(message(PASTE, user=REQUESTER), event_id="EvScopeAcct"), JSON)[0] == 200
    return h.fake.wait_for("chat.update")[-1].body


def _element(answer: dict[str, object], action_id: str) -> dict[str, object]:
    blocks = answer["blocks"]
    assert isinstance(blocks, list)
    for b in blocks:
        for e in b.get("elements", []) + ([b["accessory"]] if "accessory" in b else []):
            if e.get("action_id") == action_id:
                return dict(e)
    raise AssertionError(f"no {action_id}")


def test_another_account_s_approver_gets_no_full_report(harness: Harness, endpoint: str) -> None:
    answer = _answer(harness, endpoint)
    value = _element(answer, "s3why_full_report")["value"]
    for user in (SANDBOX_APPROVER, APPROVER):
        action = {"type": "button", "action_id": "s3why_full_report", "value": value}
        assert post_signed(endpoint, SECRET, block_action(action, str(answer["ts"]), user), FORM)[0] == 200
    first, second = (c.body for c in harness.fake.wait_for("chat.postEphemeral", 2))
    assert first["user"] == SANDBOX_APPROVER and "approvers only" in first["text"]
    assert second["user"] == APPROVER and "```" in second["text"]


def test_another_account_s_approver_cannot_switch_the_scope(
    harness: Harness, endpoint: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="s3why.slack")
    answer = _answer(harness, endpoint)
    select = _element(answer, "s3why_fix_scope")
    bucket = next(o for o in select["options"] if str(o["value"]).endswith("|bucket"))  # type: ignore[attr-defined]
    action = {"type": "static_select", "action_id": "s3why_fix_scope", "selected_option": bucket}
    assert post_signed(endpoint, SECRET, block_action(action, str(answer["ts"]), SANDBOX_APPROVER), FORM)[0] == 200
    wait_for_log(caplog, "scope select refused")
    assert "bucket" not in json.dumps(harness.fake.of("chat.update")[1:])
