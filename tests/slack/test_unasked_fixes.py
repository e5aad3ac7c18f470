"""A fix nobody asked for — `s3why watch` found the denial in CloudTrail and proposed it — keeps the two-person
rule: the person denied may be the approver who clicks, so the first approver's click asks for the fix and only a
different approver applies it. Proposed as `s3why watch` proposes (no requester), clicked through the real Bolt
app: signed requests, the fake Web API, moto in server mode and a real Redis."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import redis

from bot.account.collector import Collector
from bot.account.sessions import SessionProvider
from bot.approve.flow import proposal_for
from bot.approve.store import PatchStore
from bot.cache import MemoryCache
from bot.demo.scenarios import s_identity_missing_put
from bot.slack.runner import LiveDiagnoser
from tests.account.conftest import client
from tests.approve.support import APPROVER, REQUESTER, config
from tests.slack.conftest import SECRET, Harness, start_app
from tests.slack.signed import block_action, post_signed
from tests.slack.test_approvals import FORM, PASTE

THREAD = "1700000000.000100"


@pytest.fixture
def unasked(harness: Harness, redis_client: redis.Redis, redis_prefix: str) -> Iterator[tuple[str, str, PatchStore]]:
    client("iam").create_role(RoleName="s3why-write", AssumeRolePolicyDocument="{}")
    s_identity_missing_put()
    patches = PatchStore(redis_client, prefix=redis_prefix)
    _, (d,) = LiveDiagnoser(Collector(SessionProvider(config()), MemoryCache()))(
        PASTE, principal=None, context={}, fresh=True
    )
    request = {"text": PASTE, "index": 0, "principal": None, "principal_arn": d.request.get("principal_arn")}
    made = next(
        p
        for f in d.fixes
        if (p := proposal_for(f, requester=None, channel="C111", thread_ts=THREAD, run_id="r1", request=request))
    )
    proposal = patches.propose(made, actor=None)  # as s3why watch records it: nobody asked
    endpoint, httpd = start_app(harness.slack_url, harness.store, harness.gate, config(), patches)
    yield endpoint, proposal.id, patches
    httpd.shutdown()


def _approve(endpoint: str, proposal_id: str, user: str) -> None:
    action = {"type": "button", "action_id": "s3why_approve", "value": proposal_id}
    assert post_signed(endpoint, SECRET, block_action(action, THREAD, user=user, thread_ts=None), FORM)[0] == 200


def test_the_first_approver_asks_and_only_another_approver_applies(
    harness: Harness, unasked: tuple[str, str, PatchStore]
) -> None:
    endpoint, proposal_id, patches = unasked
    _approve(endpoint, proposal_id, APPROVER)
    asked = harness.fake.wait_for("chat.postMessage")[0].body
    assert f"<@{APPROVER}> asks for this fix" in asked["text"] and asked["thread_ts"] == THREAD
    stored = patches.get(proposal_id)
    assert stored is not None and stored.state == "proposed" and stored.everyone_who_asked == [APPROVER]
    assert patches.authentic(stored)  # re-signed: who asked is part of what is signed
    assert client("iam").list_role_policies(RoleName="app")["PolicyNames"] == ["app"]

    _approve(endpoint, proposal_id, APPROVER)  # the same approver again: they asked now
    refusal = harness.fake.wait_for("chat.postEphemeral")[0].body
    assert refusal["user"] == APPROVER and "two-person rule" in refusal["text"]
    assert client("iam").list_role_policies(RoleName="app")["PolicyNames"] == ["app"]

    _approve(endpoint, proposal_id, REQUESTER)  # another approver
    applied = harness.fake.wait_for("chat.postMessage", 2)[-1].body
    assert f"Applied by <@{REQUESTER}>" in json.dumps(applied)
    assert client("iam").list_role_policies(RoleName="app")["PolicyNames"] == ["app", "s3why-fixes"]
    actions = [e["action"] for e in patches.audit_entries()]
    assert actions[:3] == ["proposed", "asked", "refused"] and "applied" in actions
