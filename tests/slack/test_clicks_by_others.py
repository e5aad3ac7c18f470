"""Clicks under someone else's answer (issue 22 §1, attack findings 4 and 7), through the real Bolt app: only the
person who asked or an approver switches a run's scope or operation; the operation select takes only what the
answer offered; the approval names who chose the scope; and a click spends the clicker's rate limit, never the
asker's. Signed requests, the fake Web API, moto in server mode and a real Redis."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from bot.approve.store import PatchStore
from bot.demo.scenarios import s_identity_missing_put, s_secure_transport
from tests.account.conftest import client
from tests.approve.support import APPROVER, REQUESTER, STRANGER
from tests.slack.conftest import SECRET, Harness, start_app, wait_for_log
from tests.slack.signed import block_action, event, message, post_signed
from tests.slack.test_approvals import FORM, JSON, PASTE, approving

__all__ = ["approving"]
THREAD = "1700000000.000100"
Approving = tuple[Harness, str, PatchStore]
# names the object, not the operation: the answer asks which with a select (GetObject, HeadObject, …)
UNNAMED = "botocore.exceptions.ClientError: An error occurred (AccessDenied): Access Denied (s3://tls-only/a.txt)"
TLS = (
    "download failed: s3://tls-only/a.txt to ./a.txt An error occurred (AccessDenied) when calling the GetObject "
    "operation: User: arn:aws:sts::123456789012:assumed-role/app/run-1 is not authorized to perform: s3:GetObject on "
    'resource: "arn:aws:s3:::tls-only/a.txt" with an explicit deny in a resource-based policy'
)


def _element(blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any]:
    for b in blocks:
        for el in [b.get("accessory"), *(b.get("elements") or [])]:
            if isinstance(el, dict) and el.get("action_id") == action_id:
                return el
    raise AssertionError(f"no {action_id} in the answer")


def _scope_pick(h: Harness, endpoint: str, user: str) -> None:
    blocks = h.fake.of("chat.update")[-1].body["blocks"]
    widest = next(o for o in _element(blocks, "s3why_fix_scope")["options"] if o["value"].endswith("|bucket"))
    action = {"type": "static_select", "action_id": "s3why_fix_scope", "selected_option": widest}
    assert post_signed(endpoint, SECRET, block_action(action, "1800000000.000001", user=user), FORM)[0] == 200


def test_a_stranger_cannot_switch_the_scope_and_the_approval_names_who_did(
    approving: Approving, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="s3why.slack")
    h, endpoint, _ = approving
    client("iam").create_role(RoleName="s3why-write", AssumeRolePolicyDocument="{}")
    s_identity_missing_put()
    assert post_signed(endpoint, SECRET, event(message(PASTE, user=REQUESTER), event_id="EvScope"), JSON)[0] == 200
    h.fake.wait_for("chat.update")
    updates = len(h.fake.of("chat.update"))

    _scope_pick(h, endpoint, STRANGER)
    refusal = h.fake.wait_for("chat.postEphemeral")[-1].body
    assert refusal["user"] == STRANGER and "only the person who asked, or an approver" in refusal["text"]
    wait_for_log(caplog, "scope select refused")
    assert len(h.fake.of("chat.update")) == updates  # Alice's answer is as it was

    _scope_pick(h, endpoint, APPROVER)  # an approver may
    widened = h.fake.wait_for("chat.update", updates + 1)[-1].body["blocks"]
    button = _element(widened, "s3why_approve")
    assert f"scope: bucket (chosen by <@{APPROVER}>)" in button["confirm"]["text"]["text"]
    assert f"Asked by <@{REQUESTER}>" in button["confirm"]["text"]["text"]
    assert f"scope: bucket (chosen by <@{APPROVER}>); asked by <@{REQUESTER}>" in json.dumps(widened)


def _unnamed_answer(h: Harness) -> tuple[str, dict[str, Any]]:
    s_secure_transport()
    assert (
        post_signed(h.endpoint, SECRET, event(message(UNNAMED, user=REQUESTER), event_id="EvUnnamed"), JSON)[0] == 200
    )
    answer = h.fake.wait_for("chat.update")[-1].body
    return str(_element(answer["blocks"], "s3why_rerun")["value"]), answer


def _pick(h: Harness, run_id: str, operation: str, user: str) -> None:
    option = {"text": {"type": "plain_text", "text": operation}, "value": f"{run_id}|{operation}"}
    action = {"type": "static_select", "action_id": "s3why_pick_operation", "selected_option": option}
    assert post_signed(h.endpoint, SECRET, block_action(action, "1800000000.000001", user=user), FORM)[0] == 200


def test_the_operation_select_takes_only_an_offered_operation_from_the_asker(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="s3why.slack")
    h = harness
    run_id, answer = _unnamed_answer(h)
    offered = [o["text"]["text"] for o in _element(answer["blocks"], "s3why_pick_operation")["options"]]
    assert "PutBucketPolicy" not in offered and "GetObject" in offered

    _pick(h, run_id, "GetObject", STRANGER)  # offered, but not Eve's run
    assert h.fake.wait_for("chat.postEphemeral")[-1].body["user"] == STRANGER
    wait_for_log(caplog, "operation select refused")

    _pick(h, run_id, "PutBucketPolicy", REQUESTER)  # a forged value: never offered
    wait_for_log(caplog, "operation select ignored: 'PutBucketPolicy' is not offered")
    assert len(h.fake.of("chat.update")) == 1
    assert "PutBucketPolicy" not in json.dumps(h.store.get(f"run:{run_id}"))

    _pick(h, run_id, "GetObject", REQUESTER)
    assert "`GetObject` by" in json.dumps(h.fake.wait_for("chat.update", 2)[-1].body["blocks"])


def test_clicks_spend_the_clickers_rate_limit_not_the_askers(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="s3why.slack")
    h = harness
    endpoint, httpd = start_app(h.slack_url, h.store, h.gate, runs_per_user_minute=2)
    try:
        s_secure_transport()
        assert post_signed(endpoint, SECRET, event(message(TLS, user=REQUESTER), event_id="EvRate0"), JSON)[0] == 200
        run_id = _element(h.fake.wait_for("chat.update")[-1].body["blocks"], "s3why_rerun")["value"]
        rerun = {"type": "button", "action_id": "s3why_rerun", "value": run_id}
        for _ in range(3):  # Eve's third click in the minute is over her limit of 2
            assert (
                post_signed(endpoint, SECRET, block_action(rerun, "1800000000.000001", user=STRANGER), FORM)[0] == 200
            )
        refused = h.fake.wait_for("chat.postEphemeral")[-1].body
        assert refused["user"] == STRANGER and "more than 2 times" in refused["text"]
        # Alice has asked once: her next question is answered, not refused
        answers = len(h.fake.of("chat.postMessage"))
        again = message(TLS, user=REQUESTER, ts="1700000001.000100")
        assert post_signed(endpoint, SECRET, event(again, event_id="EvRate9"), JSON)[0] == 200
        h.fake.wait_for("chat.postMessage", answers + 1)
        assert all(c.body["user"] == STRANGER for c in h.fake.of("chat.postEphemeral"))
    finally:
        httpd.shutdown()


# Finding 5: a thread belongs to who asked in it. Names the object, not who made the call: s3why asks for the role.
ASKS_WHO = (
    "download failed: s3://tls-only/a.txt to ./a.txt An error occurred (AccessDenied) when calling the GetObject "
    "operation: Access Denied"
)
SESSION = "arn:aws:sts::123456789012:assumed-role/app/run-1"


def _send(h: Harness, inner: dict[str, Any], event_id: str) -> None:
    assert post_signed(h.endpoint, SECRET, event(inner, event_id=event_id), JSON)[0] == 200


def test_a_mention_or_reply_by_someone_else_never_rediagnoses_the_askers_run(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="s3why.slack")
    h = harness
    s_secure_transport()
    h.fake.thread_parents[THREAD] = ASKS_WHO
    _send(h, message(ASKS_WHO, user=REQUESTER), "EvOwn1")
    h.fake.wait_for("chat.update")
    mention = {
        "type": "app_mention",
        "user": STRANGER,
        "text": "<@UBOT> again",
        "ts": "1700000000.000300",
        "event_ts": "1700000000.000300",
        "thread_ts": THREAD,
    }
    _send(h, mention, "EvEveMention")
    refusal = h.fake.wait_for("chat.postEphemeral")[-1].body
    assert refusal["user"] == STRANGER and "only the person who asked" in refusal["text"]
    _send(h, message(f"it was {SESSION}", user=STRANGER, ts="1700000000.000400", thread_ts=THREAD), "EvEveReply")
    wait_for_log(caplog, "thread reply not taken: its author neither asked nor approves")
    assert len(h.fake.of("chat.update")) == 1 and len(h.fake.of("chat.postMessage")) == 1

    run_id = _element(h.fake.of("chat.update")[-1].body["blocks"], "s3why_ask_principal")["value"]
    tell = {"type": "button", "action_id": "s3why_ask_principal", "value": run_id}
    assert post_signed(h.endpoint, SECRET, block_action(tell, "1800000000.000001", user=STRANGER), FORM)[0] == 200
    wait_for_log(caplog, "tell-s3why form refused")
    assert h.fake.of("views.open") == []
    assert post_signed(h.endpoint, SECRET, block_action(tell, "1800000000.000001", user=REQUESTER), FORM)[0] == 200
    assert h.fake.wait_for("views.open")[-1].body["view"]["callback_id"] == "s3why_modal"


def test_a_paste_by_someone_else_in_the_thread_is_their_own_and_the_asker_still_continues_theirs(
    harness: Harness,
) -> None:
    h = harness
    s_secure_transport()
    _send(h, message(ASKS_WHO, user=REQUESTER), "EvOwn2")
    h.fake.wait_for("chat.update")
    other = ASKS_WHO.replace("tls-only", "eve-bucket")
    _send(h, message(other, user=STRANGER, ts="1700000000.000500", thread_ts=THREAD), "EvEvePaste")
    eves = h.fake.wait_for("chat.update", 2)[-1].body
    assert "eve-bucket" in json.dumps(eves["blocks"]) and f"asked by <@{STRANGER}>" in json.dumps(eves["blocks"])
    _send(h, message(f"it was {SESSION}", user=REQUESTER, ts="1700000000.000600", thread_ts=THREAD), "EvAliceReply")
    final = json.dumps(h.fake.wait_for("chat.update", 3)[-1].body["blocks"])
    assert "tls-only" in final and "eve-bucket" not in final and "assumed-role/app" in final
