"""Partial requests in Slack (issue 12 §2): when the text does not name the operation, the answer says what holds
across the candidates and asks which it was with a select; picking one, or replying in the thread with the missing
fact, continues the diagnosis. Signed requests to the real Bolt app, a fake Web API, moto and a real Redis."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from bot.demo.scenarios import s_secure_transport
from tests.account.conftest import OWN
from tests.slack.conftest import SECRET, Harness, wait_for_log
from tests.slack.signed import block_action, event, message, post_signed

JSON, FORM = "application/json", "application/x-www-form-urlencoded"
SESSION = f"arn:aws:sts::{OWN}:assumed-role/app/run-1"
THREAD = "1700000000.000100"
# Names the object, not the operation nor who made the call.
PASTE = "botocore.exceptions.ClientError: An error occurred (AccessDenied): Access Denied (s3://tls-only/a.txt)"


def _select(blocks: list[dict[str, Any]]) -> dict[str, Any] | None:
    for b in blocks:
        for el in b.get("elements") or []:
            if el.get("action_id") == "s3why_pick_operation":
                return el  # type: ignore[no-any-return]
    return None


def _first_answer(h: Harness) -> dict[str, Any]:
    s_secure_transport()
    assert post_signed(h.endpoint, SECRET, event(message(PASTE)), JSON)[0] == 200
    return h.fake.wait_for("chat.update")[-1].body


def test_an_unnamed_operation_is_asked_with_a_select_of_the_candidates(harness: Harness) -> None:
    answer = _first_answer(harness)
    select = _select(answer["blocks"])
    assert select is not None
    offered = [o["text"]["text"] for o in select["options"]]
    assert offered == ["GetObject", "HeadObject", "PutObject", "DeleteObject"]
    posted = json.dumps(answer["blocks"])
    assert "Which operation was it?" in posted and "one of GetObject" in posted
    assert "on `?`" not in posted and "tls-only/a.txt" in posted
    assert "s3why_approve" not in posted  # no fix until the operation is known


def test_picking_the_operation_continues_the_diagnosis_with_it(harness: Harness) -> None:
    answer = _first_answer(harness)
    select = _select(answer["blocks"])
    assert select is not None
    get = next(o for o in select["options"] if o["text"]["text"] == "GetObject")
    click = {"type": "static_select", "action_id": "s3why_pick_operation", "selected_option": get}
    before = len(harness.fake.of("chat.update"))
    assert post_signed(harness.endpoint, SECRET, block_action(click, answer["ts"], thread_ts=THREAD), FORM)[0] == 200
    again = harness.fake.wait_for("chat.update", before + 1)[-1].body
    posted = json.dumps(again["blocks"])
    assert _select(again["blocks"]) is None  # the operation is known now
    assert "`GetObject` by" in posted
    assert "Which role or user made the call?" in posted  # what is still missing is asked next


def test_a_reply_in_the_thread_naming_the_missing_facts_continues_it(harness: Harness) -> None:
    _first_answer(harness)
    posts = len(harness.fake.of("chat.postMessage"))
    said = f"it was {SESSION} downloading it, over plain http"
    # the person who asked (issue 22: a reply continues a run only from who asked, or an approver)
    reply = message(said, ts="1700000000.000200", thread_ts=THREAD, user="U_ALICE")
    assert post_signed(harness.endpoint, SECRET, event(reply, event_id="EvReply"), JSON)[0] == 200
    harness.fake.wait_for("chat.postMessage", posts + 1)
    final = harness.fake.wait_for("chat.update", 2)[-1].body
    head = final["blocks"][0]["text"]["text"]
    assert "explicit Deny" in head or "Denied" in head
    assert "DenyHttp" in json.dumps(final["blocks"]) and "s3:GetObject" in json.dumps(final["blocks"])
    assert harness.fake.of("chat.postMessage")[-1].body["thread_ts"] == THREAD


def test_a_reply_that_names_nothing_is_left_alone(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="s3why.slack")
    _first_answer(harness)
    posts = len(harness.fake.of("chat.postMessage"))
    reply = message("thanks, looking into it", ts="1700000000.000300", thread_ts=THREAD, user="U_ALICE")
    assert post_signed(harness.endpoint, SECRET, event(reply, event_id="EvChat"), JSON)[0] == 200
    wait_for_log(caplog, "names nothing s3why asked for")
    assert len(harness.fake.of("chat.postMessage")) == posts


def _thread_run(h: Harness) -> dict[str, Any]:
    """The run a reply in THREAD continues now (the thread's pointer in the real Redis)."""
    pointer = h.store.get(f"thread:C111:{THREAD}")
    assert pointer is not None
    run = h.store.get(f"run:{pointer['run_id']}")
    assert run is not None
    return run


def test_a_reply_saying_how_it_was_sent_answers_the_branch_the_answer_shows(harness: Harness) -> None:
    s_secure_transport()
    paste = (
        "download failed: s3://tls-only/a.txt to ./a.txt An error occurred (AccessDenied) when calling the "
        "GetObject operation: Access Denied"
    )
    assert post_signed(harness.endpoint, SECRET, event(message(paste), event_id="EvAsk"), JSON)[0] == 200
    harness.fake.wait_for("chat.update")
    who = message(f"it was {SESSION}", ts="1700000000.000200", thread_ts=THREAD, user="U_ALICE")
    assert post_signed(harness.endpoint, SECRET, event(who, event_id="EvWho"), JSON)[0] == 200
    shown = harness.fake.wait_for("chat.update", 2)[-1].body
    assert "Undecided" in shown["blocks"][0]["text"]["text"]
    assert "aws:SecureTransport (the text cannot tell)" in json.dumps(shown["blocks"])  # the branch it shows
    assert "context:aws:SecureTransport" in _thread_run(harness)["asked"]

    how = message("it went over plain http", ts="1700000000.000300", thread_ts=THREAD, user="U_ALICE")
    assert post_signed(harness.endpoint, SECRET, event(how, event_id="EvHow"), JSON)[0] == 200
    final = harness.fake.wait_for("chat.update", 3)[-1].body
    assert "explicit Deny" in final["blocks"][0]["text"]["text"]
    assert "DenyHttp" in json.dumps(final["blocks"])
    run = _thread_run(harness)
    assert run["context"] == {"aws:SecureTransport": ["false"]} and run["principal"] == SESSION


def test_how_it_was_sent_is_taken_only_for_the_keys_the_answer_asks(harness: Harness) -> None:
    _first_answer(harness)
    said = f"it was {SESSION} downloading it, over plain http through vpce-0123456789abcdef0"
    reply = message(said, ts="1700000000.000200", thread_ts=THREAD, user="U_ALICE")
    assert post_signed(harness.endpoint, SECRET, event(reply, event_id="EvReply"), JSON)[0] == 200
    final = harness.fake.wait_for("chat.update", 2)[-1].body
    assert "explicit Deny" in final["blocks"][0]["text"]["text"]
    # the TLS branch decides this request, so it was asked; no policy here names an endpoint: not taken
    assert _thread_run(harness)["context"] == {"aws:SecureTransport": ["false"]}
