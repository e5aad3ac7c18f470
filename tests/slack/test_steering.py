"""Approvals that cannot be steered, through the real Bolt app (issue 22 §1): signed clicks and messages, the
fake Web API, moto in server mode and a real Redis."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import redis

from bot.approve.store import Change, PatchStore, Proposal
from bot.demo.scenarios import s_identity_missing_put, s_secure_transport
from tests.account.conftest import OWN, client
from tests.approve.support import APPROVER, REQUESTER, STRANGER
from tests.slack.conftest import SECRET, Harness, wait_for_log
from tests.slack.signed import block_action, event, message, post_signed
from tests.slack.test_approvals import FORM, JSON, PASTE, _approve_button, _click, approving

__all__ = ["approving"]
THREAD = "1700000000.000100"
Approving = tuple[Harness, str, PatchStore]


def _paste(h: Harness, endpoint: str, event_id: str) -> dict[str, Any]:
    client("iam").create_role(RoleName="s3why-write", AssumeRolePolicyDocument="{}")
    s_identity_missing_put()
    assert post_signed(endpoint, SECRET, event(message(PASTE, user=REQUESTER), event_id=event_id), JSON)[0] == 200
    return _approve_button(h)


def _inline_policies() -> list[str]:
    return list(client("iam").list_role_policies(RoleName="app")["PolicyNames"])


def test_the_confirm_dialog_and_the_thread_name_what_changes_and_who_asked(approving: Approving) -> None:
    h, endpoint, _ = approving
    button = _paste(h, endpoint, "EvConfirm")
    confirm = button["confirm"]["text"]["text"]
    role = f"arn:aws:iam::{OWN}:role/app"
    assert len(confirm) <= 300
    assert f"inline policy of {role} (account {OWN})" in confirm and "s3:PutObject" in confirm
    assert f"Asked by <@{REQUESTER}>" in confirm and "scope" in confirm
    final = h.fake.wait_for("chat.update")[-1].body
    text = json.dumps(final["blocks"])
    assert f"{role} (account {OWN}) gets s3:PutObject" in text.replace("`", "")
    assert f"asked by <@{REQUESTER}>" in text  # every answer shows who asked

    body = block_action(
        {"type": "button", "action_id": "s3why_approve", "value": button["value"]},
        "1800000000.000001",
        user=APPROVER,
        thread_ts=THREAD,
        blocks=final["blocks"],
    )
    updates = len(h.fake.of("chat.update"))
    assert post_signed(endpoint, SECRET, body, FORM)[0] == 200
    outcome = h.fake.wait_for("chat.postMessage", 2)[-1].body
    said = json.dumps(outcome["blocks"]).replace("`", "")
    assert f"Applied by <@{APPROVER}>" in said and f"{role} (account {OWN}) gets s3:PutObject" in said
    assert f"asked by <@{REQUESTER}>" in said
    # the Approve/Reject buttons of the answer are replaced by what happened
    replaced = h.fake.wait_for("chat.update", updates + 1)[-1].body
    assert replaced["ts"] == "1800000000.000001" and "s3why_approve" not in json.dumps(replaced["blocks"])
    assert "Fix applied" in json.dumps(replaced["blocks"]) and "Root cause" in json.dumps(replaced["blocks"])


def test_an_altered_stored_proposal_is_refused_and_nothing_is_written(
    approving: Approving, redis_client: redis.Redis, redis_prefix: str
) -> None:
    h, endpoint, patches = approving
    proposal_id = _paste(h, endpoint, "EvAltered")["value"]
    key = f"{redis_prefix}patch:{proposal_id}"
    record = json.loads(redis_client.get(key))  # type: ignore[arg-type]
    record["changes"][0]["document"]["Statement"][0]["Action"] = "*"  # steer it: anything, anywhere
    redis_client.set(key, json.dumps(record), keepttl=True)
    _click(endpoint, "s3why_approve", proposal_id, APPROVER)
    refusal = h.fake.wait_for("chat.postEphemeral")[-1].body["text"]
    assert "altered" in refusal
    assert _inline_policies() == ["app"]
    assert patches.get(proposal_id).state == "proposed"  # type: ignore[union-attr]


def test_a_fix_that_is_no_longer_the_one_computed_now_is_not_applied(approving: Approving) -> None:
    """Rebuild and compare at apply time: the request became allowed another way since the proposal (so its
    target is untouched and a patched verify still allows), and the fix s3why computes now is none at all."""
    h, endpoint, _ = approving
    proposal_id = _paste(h, endpoint, "EvRebuild")["value"]
    other = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::team-data/*"}]}  # fmt: skip
    client("iam").put_role_policy(RoleName="app", PolicyName="by-hand", PolicyDocument=json.dumps(other))
    _click(endpoint, "s3why_approve", proposal_id, APPROVER)
    posts = h.fake.wait_for("chat.postMessage", 2)
    assert "not the stored one" in json.dumps(posts[-1].body["blocks"])
    assert sorted(_inline_policies()) == ["app", "by-hand"]


def test_a_stored_grant_to_an_outside_account_is_refused_on_click(approving: Approving) -> None:
    h, endpoint, patches = approving
    _paste(h, endpoint, "EvOutside")
    client("s3").create_bucket(Bucket="vault")
    grant = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                                                     "Action": "s3:*", "Resource": "arn:aws:s3:::vault/*"}]}  # fmt: skip
    stored = patches.propose(
        Proposal(
            "",
            [Change(OWN, "bucket", "vault", grant, None, {"where": "bucket", "bucket": "vault"})],
            "Allow the bucket",
            "medium",
            REQUESTER,
            "C111",
            THREAD,
            "r1",
        ),
        actor=None,
    )
    _click(endpoint, "s3why_approve", stored.id, APPROVER)
    refusal = h.fake.wait_for("chat.postEphemeral")[-1].body["text"]
    # refused first for the account (neither configured nor in the organization), which any grant there would be
    assert "arn:aws:iam::444455556666:root" in refusal and "neither configured nor a listed member" in refusal
    assert patches.get(stored.id).state == "proposed"  # type: ignore[union-attr]


def test_a_thread_reply_continues_only_from_the_asker_and_only_with_what_was_asked(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="s3why.slack")
    s_secure_transport()
    text = "download failed: s3://tls-only/a.txt to ./a.txt An error occurred (AccessDenied) when calling the GetObject operation: Access Denied"
    assert (
        post_signed(harness.endpoint, SECRET, event(message(text, user=REQUESTER), event_id="EvAsk1"), JSON)[0] == 200
    )
    harness.fake.wait_for("chat.update")
    session = f"arn:aws:sts::{OWN}:assumed-role/app/run-1"

    def reply(user: str, said: str, n: int) -> None:
        inner = message(said, user=user, ts=f"1700000000.00{n:04d}", thread_ts=THREAD)
        assert post_signed(harness.endpoint, SECRET, event(inner, event_id=f"EvReply{n}"), JSON)[0] == 200

    reply(STRANGER, f"it was {session}", 201)  # not who asked, not an approver: left alone
    wait_for_log(caplog, "neither asked nor approves")
    assert len(harness.fake.of("chat.postMessage")) == 1
    reply(REQUESTER, f"it was {session}, on s3://other-bucket/x", 202)  # asked: the principal; not the bucket
    posts = harness.fake.wait_for("chat.postMessage", 2)
    assert posts[1].body["thread_ts"] == THREAD
    final = harness.fake.wait_for("chat.update", 2)[-1].body
    said = json.dumps(final["blocks"])
    assert "tls-only" in said and "other-bucket" not in said
    # now that the principal is known, a reply naming another one does not switch it
    reply(REQUESTER, f"no wait, arn:aws:sts::{OWN}:assumed-role/admin/x", 203)
    wait_for_log(caplog, "names nothing s3why asked for")
    assert len(harness.fake.of("chat.postMessage")) == 2


def test_an_approvers_reply_continues_someone_elses_run_and_the_answer_names_both(
    approving: Approving, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="s3why.slack")
    h, endpoint, _ = approving
    s_secure_transport()
    text = "download failed: s3://tls-only/a.txt to ./a.txt An error occurred (AccessDenied) when calling the GetObject operation: Access Denied"
    assert post_signed(endpoint, SECRET, event(message(text, user="U_CAROL"), event_id="EvCarol"), JSON)[0] == 200
    assert "Which role or user made the call?" in json.dumps(h.fake.wait_for("chat.update")[-1].body["blocks"])
    session = f"arn:aws:sts::{OWN}:assumed-role/app/run-1"

    def reply(user: str, n: int) -> None:
        inner = message(f"it was {session}", user=user, ts=f"1700000000.00{n:04d}", thread_ts=THREAD)
        assert post_signed(endpoint, SECRET, event(inner, event_id=f"EvAppr{n}"), JSON)[0] == 200

    reply(STRANGER, 301)  # neither asked nor approves
    wait_for_log(caplog, "neither asked nor approves")
    assert len(h.fake.of("chat.update")) == 1
    reply(APPROVER, 302)  # an approver of the account: continues it
    final = json.dumps(h.fake.wait_for("chat.update", 2)[-1].body["blocks"])
    assert session in final and "Which role or user made the call?" not in final
    assert "asked by <@U_CAROL>, <@U_BOB>" in final  # who asked, and who continued it
