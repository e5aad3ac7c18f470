"""Every button and select under an answer acts only where that answer is (issue 14): a click forged from another
channel or thread, naming a run it did not come from, does nothing but a private refusal; a select value s3why did
not offer is ignored. Signed requests to the real Bolt app, a fake Web API, moto and a real Redis."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.demo.scenarios import s_sse_kms_header
from tests.slack.conftest import SECRET, Harness
from tests.slack.signed import block_action, event, message, post_signed
from tests.slack.test_app import FORM, JSON, PASTE, _actions, _final_update


def _answer(h: Harness) -> tuple[str, dict[str, Any]]:
    s_sse_kms_header()
    assert post_signed(h.endpoint, SECRET, event(message(PASTE), event_id="EvForge"), JSON)[0] == 200
    update = _final_update(h)
    return _actions(update["blocks"])[0]["value"], update


@pytest.mark.parametrize(
    ("action_id", "kind"),
    [("s3why_full_report", "button"), ("s3why_rerun", "button"), ("s3why_ask_principal", "button")],
)
def test_a_button_clicked_from_another_channel_acts_on_nothing(harness: Harness, action_id: str, kind: str) -> None:
    run_id, _ = _answer(harness)
    before = len(harness.fake.calls)
    click = {"type": kind, "action_id": action_id, "value": run_id}
    forged = block_action(click, "1900000000.000001", user="U_MALLORY", channel="C999", thread_ts=None)
    assert post_signed(harness.endpoint, SECRET, forged, FORM)[0] == 200
    refusal = harness.fake.wait_for("chat.postEphemeral")[-1].body
    assert refusal["user"] == "U_MALLORY" and "does not belong to this thread" in refusal["text"]
    time.sleep(0.5)
    acted = [c.method for c in harness.fake.calls[before:] if c.method != "chat.postEphemeral"]
    assert acted == [], acted


def test_a_select_from_another_thread_or_with_a_value_not_offered_acts_on_nothing(harness: Harness) -> None:
    run_id, answer = _answer(harness)
    before = len(harness.fake.of("chat.update"))
    other_thread = {
        "type": "static_select",
        "action_id": "s3why_fix_format",
        "selected_option": {"value": f"{run_id}|terraform", "text": {"type": "plain_text", "text": "t"}},
    }
    body = block_action(other_thread, answer["ts"], thread_ts="1700000000.999999")
    assert post_signed(harness.endpoint, SECRET, body, FORM)[0] == 200
    for value in (run_id, f"{run_id}|<!channel>", f"{run_id}|" + "x" * 5000):
        forged = {**other_thread, "selected_option": {"value": value, "text": {"type": "plain_text", "text": "t"}}}
        assert post_signed(harness.endpoint, SECRET, block_action(forged, answer["ts"]), FORM)[0] == 200
    time.sleep(1.0)
    assert len(harness.fake.of("chat.update")) == before
    # From the answer's own thread, an offered value still works.
    assert post_signed(harness.endpoint, SECRET, block_action(other_thread, answer["ts"]), FORM)[0] == 200
    harness.fake.wait_for("chat.update", before + 1)
