"""A run's buttons and selects act only where its answer is (its channel and thread); select values are only
the ones offered. A forged click from another channel is refused privately and changes nothing."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest

from bot.demo.scenarios import s_sse_kms_header
from tests.slack.conftest import SECRET, Harness
from tests.slack.signed import block_action, event, message, post_signed
from tests.slack.test_app import PASTE

FORM, JSON = "application/x-www-form-urlencoded", "application/json"
THREAD = "1700000000.000100"  # the paste's ts: s3why answers in its thread
TOUCHES_THREAD = ("chat.postMessage", "chat.update", "files.getUploadURLExternal", "files.completeUploadExternal")


def _answer(h: Harness, event_id: str) -> tuple[str, dict[str, Any]]:
    s_sse_kms_header()
    assert post_signed(h.endpoint, SECRET, event(message(PASTE), event_id=event_id), JSON)[0] == 200
    first = h.fake.wait_for("chat.update")[-1].body
    actions = next(b for b in first["blocks"] if b.get("block_id") == "s3why_actions")["elements"]
    run_id = str(next(e for e in actions if e["action_id"] == "s3why_rerun")["value"])
    return run_id, first


def _counts(h: Harness) -> dict[str, int]:
    return {m: len(h.fake.of(m)) for m in TOUCHES_THREAD}


@pytest.mark.parametrize("action_id", ["s3why_full_report", "s3why_rerun"])
def test_a_forged_click_from_another_channel_does_nothing_and_a_click_in_the_thread_works(
    harness: Harness, action_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    run_id, first = _answer(h, f"EvPlace{action_id}")
    before = _counts(h)
    click = {"type": "button", "action_id": action_id, "value": run_id}
    with caplog.at_level(logging.WARNING):
        forged = block_action(click, "1900000000.000001", user="U_MALLORY", channel="C999", thread_ts=THREAD)
        assert post_signed(h.endpoint, SECRET, forged, FORM)[0] == 200
        refusal = h.fake.wait_for("chat.postEphemeral")[0].body
        time.sleep(0.3)
    assert refusal["channel"] == "C999" and refusal["user"] == "U_MALLORY"
    assert "does not belong to this thread" in refusal["text"]
    assert _counts(h) == before  # nothing uploaded, posted or updated in the original thread
    assert sum("not its thread" in r.getMessage() for r in caplog.records) == 1
    # the same thread ts in the right channel, but a message outside the thread: refused too
    other = block_action(click, "1900000000.000002", user="U_MALLORY", thread_ts=None)  # no thread: not the answer
    assert post_signed(h.endpoint, SECRET, other, FORM)[0] == 200
    h.fake.wait_for("chat.postEphemeral", 2)
    time.sleep(0.3)
    assert _counts(h) == before
    # the answer itself, in its thread: works
    right = block_action(click, str(first["ts"]), thread_ts=THREAD)
    assert post_signed(h.endpoint, SECRET, right, FORM)[0] == 200
    if action_id == "s3why_full_report":
        done = h.fake.wait_for("files.completeUploadExternal")[0].body
        assert done["channel_id"] == "C111" and done["thread_ts"] == THREAD
    else:
        h.fake.wait_for("chat.update", before["chat.update"] + 2)  # "Looking again…", then the answer


def test_a_forged_select_from_another_channel_changes_nothing(harness: Harness) -> None:
    h = harness
    run_id, first = _answer(h, "EvPlaceFormat")
    before = _counts(h)
    option = {"text": {"type": "plain_text", "text": "Terraform"}, "value": f"{run_id}|terraform"}
    click = {"type": "static_select", "action_id": "s3why_fix_format", "selected_option": option}
    forged = block_action(click, str(first["ts"]), user="U_MALLORY", channel="C999", thread_ts=THREAD)
    assert post_signed(h.endpoint, SECRET, forged, FORM)[0] == 200
    assert "does not belong" in h.fake.wait_for("chat.postEphemeral")[0].body["text"]
    time.sleep(0.3)
    assert _counts(h) == before


@pytest.mark.parametrize(
    ("action_id", "value", "said"),
    [
        ("s3why_fix_format", "{run}", "fix format select ignored"),
        ("s3why_fix_format", "{run}|evil", "fix format select ignored"),
        ("s3why_fix_scope", "{run}", "scope select ignored"),
        ("s3why_fix_scope", "{run}|everything", "scope select ignored"),
        ("s3why_pick_operation", "{run}", "operation select ignored"),
    ],
)
def test_a_select_value_not_offered_is_ignored_with_one_log_line(
    harness: Harness, caplog: pytest.LogCaptureFixture, action_id: str, value: str, said: str
) -> None:
    h = harness
    run_id, first = _answer(h, f"EvSel{action_id}{len(value)}")
    before = _counts(h)
    option = {"text": {"type": "plain_text", "text": "x"}, "value": value.format(run=run_id)}
    click = {"type": "static_select", "action_id": action_id, "selected_option": option}
    with caplog.at_level(logging.WARNING):
        body = block_action(click, str(first["ts"]), thread_ts=THREAD)
        assert post_signed(h.endpoint, SECRET, body, FORM)[0] == 200
        deadline = time.monotonic() + 10
        while not any(said in r.getMessage() for r in caplog.records) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
    assert sum(said in r.getMessage() for r in caplog.records) == 1
    assert not [r for r in caplog.records if r.exc_info]  # no traceback
    assert _counts(h) == before  # nothing re-rendered
    assert h.fake.of("chat.postEphemeral") == []
    assert "evil" not in json.dumps(h.store.get(f"run:{run_id}"))
