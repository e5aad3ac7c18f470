"""Approving a fix in the thread, end to end: signed clicks to the real Bolt app, the fake Web API, moto in
server mode and a real Redis."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from bot.approve.store import PatchStore
from bot.config import AccountConfig, Config
from bot.demo.scenarios import s_identity_missing_put
from tests.account.conftest import OTHER, OWN, client, session_in
from tests.approve.support import APPROVER, REQUESTER, STRANGER, WRITE_ROLE, config, scenario
from tests.slack.conftest import SECRET, Harness, start_app
from tests.slack.signed import block_action, event, message, post_signed, view_submission

FORM, JSON = "application/x-www-form-urlencoded", "application/json"
SESSION = "arn:aws:sts::123456789012:assumed-role/app/run-1"
PASTE = (
    "upload failed: ./a.txt to s3://team-data/out/a.txt An error occurred (AccessDenied) when calling the PutObject "
    f'operation: User: {SESSION} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::team-data/out/a.txt" '
    "because no identity-based policy allows the s3:PutObject action"
)


@pytest.fixture
def approving(
    harness: Harness, redis_client: redis.Redis, redis_prefix: str
) -> Iterator[tuple[Harness, str, PatchStore]]:
    patches = PatchStore(redis_client, prefix=redis_prefix)
    endpoint, httpd = start_app(harness.slack_url, harness.store, harness.gate, config(), patches)
    yield harness, endpoint, patches
    httpd.shutdown()


def _approve_button(h: Harness) -> dict[str, Any]:
    blocks = h.fake.wait_for("chat.update")[-1].body["blocks"]
    return next(e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == "s3why_approve")


def _click(endpoint: str, action_id: str, value: str, user: str, thread: str = "1700000000.000100") -> None:
    """A click on a button of s3why's answer, a reply in the thread `thread` of channel C111."""
    action = {"type": "button", "action_id": action_id, "value": value}
    body = block_action(action, "1800000000.000001", user=user, thread_ts=thread)
    assert post_signed(endpoint, SECRET, body, FORM)[0] == 200


def test_approve_applies_once_and_roll_back_restores(approving: tuple[Harness, str, PatchStore]) -> None:
    h, endpoint, patches = approving
    client("iam").create_role(RoleName="s3why-write", AssumeRolePolicyDocument="{}")
    s_identity_missing_put()
    assert post_signed(endpoint, SECRET, event(message(PASTE, user=REQUESTER), event_id="EvApprove"), JSON)[0] == 200
    button = _approve_button(h)
    assert button["confirm"]["confirm"]["text"] == "Apply"
    proposal_id = button["value"]

    _click(endpoint, "s3why_approve", proposal_id, STRANGER)
    _click(endpoint, "s3why_approve", proposal_id, REQUESTER)
    refusals = [c.body["text"] for c in h.fake.wait_for("chat.postEphemeral", 2)]
    assert any("only the approvers" in t for t in refusals) and any("two-person rule" in t for t in refusals)
    assert patches.get(proposal_id).state == "proposed"  # type: ignore[union-attr]

    _click(endpoint, "s3why_approve", proposal_id, APPROVER)
    _click(endpoint, "s3why_approve", proposal_id, APPROVER)  # a double click
    posts = h.fake.wait_for("chat.postMessage", 2)  # the progress message, then the outcome
    outcome = posts[-1].body
    assert outcome["thread_ts"] == "1700000000.000100"
    text = json.dumps(outcome["blocks"])
    assert (
        f"Applied by <@{APPROVER}>" in text and "allowed by every layer s3why read" in text and "s3why_rollback" in text
    )
    assert "Nothing done" in h.fake.wait_for("chat.postEphemeral", 3)[-1].body["text"]
    assert len([c for c in h.fake.of("chat.postMessage") if "Applied by" in json.dumps(c.body)]) == 1
    before = ["app"]  # what the role had
    assert client("iam").list_role_policies(RoleName="app")["PolicyNames"] == [*before, "s3why-fixes"]

    _click(endpoint, "s3why_rollback", proposal_id, APPROVER)
    rolled = h.fake.wait_for("chat.postMessage", 3)[-1].body
    assert "Rolled back" in json.dumps(rolled["blocks"])
    assert client("iam").list_role_policies(RoleName="app")["PolicyNames"] == before
    actions = [e["action"] for e in patches.audit_entries()]
    assert actions == ["proposed", "refused", "refused", "approved", "applying", "applied", "rolled-back"]


def test_without_approvals_fixes_have_no_approve_button(harness: Harness) -> None:
    s_identity_missing_put()
    assert post_signed(harness.endpoint, SECRET, event(message(PASTE), event_id="EvNoApprove"), JSON)[0] == 200
    blocks = harness.fake.wait_for("chat.update")[-1].body["blocks"]
    assert "Allow" in json.dumps(blocks) and "s3why_approve" not in json.dumps(blocks)


def _app_with(h: Harness, cfg: Config, patches: PatchStore) -> tuple[str, Any]:
    return start_app(h.slack_url, h.store, h.gate, cfg, patches)


def test_a_user_group_can_approve_and_no_write_role_means_advice_only(
    harness: Harness, redis_client: redis.Redis, redis_prefix: str
) -> None:
    client("iam").create_role(RoleName="s3why-write", AssumeRolePolicyDocument="{}")
    s_identity_missing_put()
    patches = PatchStore(redis_client, prefix=redis_prefix)
    harness.fake.groups["S_OPS"] = ["U_CAROL"]
    grouped = Config(accounts=(AccountConfig(id=OWN, write_role_arn=WRITE_ROLE, approvers=("S_OPS",)),))
    endpoint, httpd = _app_with(harness, grouped, patches)
    try:
        assert post_signed(endpoint, SECRET, event(message(PASTE), event_id="EvGroup"), JSON)[0] == 200
        proposal_id = _approve_button(harness)["value"]
        _click(endpoint, "s3why_approve", proposal_id, "U_CAROL")
        assert "Applied by <@U_CAROL>" in json.dumps(harness.fake.wait_for("chat.postMessage", 2)[-1].body["blocks"])
        assert harness.fake.of("usergroups.users.list")[0].body["usergroup"] == "S_OPS"
    finally:
        httpd.shutdown()
    # The same denial again, in an account s3why may not write: the applied fix is taken back first, so the
    # request is denied again and its fix can only be advice.
    client("iam").delete_role_policy(RoleName="app", PolicyName="s3why-fixes")
    advice = Config(accounts=(AccountConfig(id=OWN, approvers=(APPROVER,)),))  # no write_role_arn
    endpoint, httpd = _app_with(harness, advice, patches)
    try:
        assert (
            post_signed(endpoint, SECRET, event(message(PASTE, ts="1700000000.000900"), event_id="EvAdvice"), JSON)[0]
            == 200
        )
        final = harness.fake.wait_for("chat.update", 2)[-1].body
        assert "s3why_approve" not in json.dumps(final["blocks"]) and "Allow" in json.dumps(final["blocks"])
    finally:
        httpd.shutdown()


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("KMS key policy not granting kms:Decrypt", "key-policy"),
        ("access point policy without bucket delegation", "bucket-policy"),
        ("permissions boundary", "iam-policy"),
        ("VPC endpoint policy listing other buckets", "vpc-endpoint-policy"),
        ("access point policy not granting the principal", "access-point-policy"),
    ],
)
def test_approve_in_slack_applies_each_kind_of_patch(
    approving: tuple[Harness, str, PatchStore], name: str, where: str
) -> None:
    h, endpoint, _ = approving
    sc = scenario(name)
    for session in (None, session_in(OTHER)):
        client("iam", session=session).create_role(RoleName="s3why-write", AssumeRolePolicyDocument="{}")
    names = sc.seed()
    context = "\n".join(f"{k}={v.format(**names)}" for k, v in sc.context.items())
    text = sc.text.format(**names) if "{" in sc.text else sc.text
    form = {"error": text, "principal": sc.principal or "", "context": context}
    meta = {"channel": "C111", "thread_ts": "1700000000.000500"}
    assert post_signed(endpoint, SECRET, view_submission({k: v for k, v in form.items() if v}, meta), FORM)[0] == 200
    blocks = h.fake.wait_for("chat.update")[-1].body["blocks"]
    assert f"`{where}`" in json.dumps(blocks)
    button = _approve_button(h)
    _click(endpoint, "s3why_approve", button["value"], APPROVER, thread="1700000000.000500")
    outcome = json.dumps(h.fake.wait_for("chat.postMessage", 2)[-1].body["blocks"])
    assert f"Applied by <@{APPROVER}>" in outcome, outcome
    # a role session: its session policy is never readable, so s3why claims only the layers it read (issue 22)
    assert "allowed by every layer s3why read; not read: session-policy" in outcome, outcome
    assert "ReadOnlyForIam" not in outcome  # the key policy's other statements are not posted (issue 22)
