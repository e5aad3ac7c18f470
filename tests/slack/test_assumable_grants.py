"""A fix to a role's own policy grants to whoever can become that role: when its trust policy admits an account
s3why does not know, everyone, or a principal whose account cannot be told, the fix is advice only — no Approve —
and a stored proposal for it is refused at the click. Through the real Bolt app: signed requests, the fake Web API,
moto in server mode and a real Redis."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from bot.approve.store import PatchStore
from bot.demo.scenarios import s_identity_missing_put
from tests.account.conftest import OWN, client, policy_json
from tests.approve.support import APPROVER, REQUESTER, config
from tests.slack.conftest import SECRET, Harness, start_app
from tests.slack.signed import block_action, event, message, post_signed
from tests.slack.test_approvals import FORM, JSON, PASTE

OUTSIDE = "999999999999"
ASSUME = "sts:AssumeRole"


@pytest.fixture
def endpoint(harness: Harness, redis_client: redis.Redis, redis_prefix: str) -> Iterator[str]:
    client("iam").create_role(RoleName="s3why-write", AssumeRolePolicyDocument="{}")
    s_identity_missing_put()
    url, httpd = start_app(
        harness.slack_url, harness.store, harness.gate, config(), PatchStore(redis_client, prefix=redis_prefix)
    )
    yield url
    httpd.shutdown()


def _trust(statement: dict[str, Any]) -> None:
    client("iam").update_assume_role_policy(RoleName="app", PolicyDocument=policy_json(statement))


def _answer(h: Harness, endpoint: str, event_id: str) -> str:
    assert post_signed(endpoint, SECRET, event(message(PASTE, user=REQUESTER), event_id=event_id), JSON)[0] == 200
    return json.dumps(h.fake.wait_for("chat.update")[-1].body["blocks"])


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OUTSIDE}:root"}, "Action": ASSUME},
        {"Effect": "Allow", "Principal": {"AWS": OUTSIDE}, "Action": [ASSUME, "sts:TagSession"]},
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ASSUME},
        {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{OWN}:root"}, "Action": ASSUME},
        {
            "Effect": "Allow",
            "Principal": {"Federated": "accounts.google.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
        },
        {  # an OpenID Connect provider of the account, but any subject: every GitHub repository
            "Effect": "Allow",
            "Principal": {"Federated": f"arn:aws:iam::{OWN}:oidc-provider/token.actions.githubusercontent.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}},
        },
    ],
)
def test_a_role_others_can_become_gets_no_approve_button(
    harness: Harness, endpoint: str, statement: dict[str, Any]
) -> None:
    _trust(statement)
    shown = _answer(harness, endpoint, "EvTrust")
    assert "s3:PutObject" in shown  # the fix is still explained
    assert "s3why_approve" not in shown


def test_a_role_only_known_accounts_and_services_can_become_keeps_its_approve_button(
    harness: Harness, endpoint: str
) -> None:
    _trust({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWN}:root", "Service": "ec2.amazonaws.com"},
            "Action": ASSUME})  # fmt: skip
    assert "s3why_approve" in _answer(harness, endpoint, "EvTrustOk")


def test_an_oidc_provider_narrowed_to_one_subject_keeps_the_approve_button(harness: Harness, endpoint: str) -> None:
    _trust(
        {
            "Effect": "Allow",
            "Principal": {"Federated": f"arn:aws:iam::{OWN}:oidc-provider/token.actions.githubusercontent.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/infra:*"}},
        }
    )
    assert "s3why_approve" in _answer(harness, endpoint, "EvTrustOidc")


def test_a_trust_widened_after_the_proposal_is_refused_at_the_click(harness: Harness, endpoint: str) -> None:
    shown = _answer(harness, endpoint, "EvTrustLate")
    button = next(
        e
        for b in json.loads(shown)
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "s3why_approve"
    )
    _trust({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OUTSIDE}:root"}, "Action": ASSUME})
    action = {"type": "button", "action_id": "s3why_approve", "value": button["value"]}
    body = block_action(action, "1800000000.000001", user=APPROVER)
    assert post_signed(endpoint, SECRET, body, FORM)[0] == 200
    outcome = json.dumps(harness.fake.wait_for("chat.postMessage", 2)[-1].body)
    assert "Not applied" in outcome and OUTSIDE in outcome, outcome
    assert client("iam").list_role_policies(RoleName="app")["PolicyNames"] == ["app"]


def _role(name: str, statement: dict[str, Any]) -> str:
    client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=policy_json(statement))
    return f"arn:aws:iam::{OWN}:role/{name}"


def _assumable_by(arn: str) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": {"AWS": arn}, "Action": ASSUME}


def _chain(length: int, first: dict[str, Any]) -> str:
    """Roles hop1 … hopN of the account, each trusted only by the next; the last one's trust is `first`."""
    arn = _role(f"hop{length}", first)
    for i in range(length - 1, 0, -1):
        arn = _role(f"hop{i}", _assumable_by(arn))
    return arn


@pytest.mark.parametrize("length", [1, 4])
def test_a_role_trusted_by_a_role_an_outside_account_can_become_gets_no_approve_button(
    harness: Harness, endpoint: str, length: int
) -> None:
    _trust(_assumable_by(_chain(length, {"Effect": "Allow", "Principal": {"AWS": OUTSIDE}, "Action": ASSUME})))
    shown = _answer(harness, endpoint, f"EvChain{length}")
    assert "s3:PutObject" in shown and "s3why_approve" not in shown


def test_a_role_trusted_by_a_role_whose_trust_cannot_be_read_gets_no_approve_button(
    harness: Harness, endpoint: str
) -> None:
    _trust(_assumable_by(f"arn:aws:iam::{OWN}:role/gone"))
    shown = _answer(harness, endpoint, "EvChainGone")
    assert "s3:PutObject" in shown and "s3why_approve" not in shown


def test_a_role_chain_longer_than_s3why_follows_gets_no_approve_button(harness: Harness, endpoint: str) -> None:
    _trust(
        _assumable_by(_chain(6, {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": ASSUME}))
    )
    assert "s3why_approve" not in _answer(harness, endpoint, "EvChainLong")


def test_a_role_chain_within_the_account_keeps_the_approve_button(harness: Harness, endpoint: str) -> None:
    _trust(
        _assumable_by(_chain(4, {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": ASSUME}))
    )
    assert "s3why_approve" in _answer(harness, endpoint, "EvChainOk")


def test_a_role_chain_widened_after_the_proposal_is_refused_at_the_click(harness: Harness, endpoint: str) -> None:
    _trust(_assumable_by(_role("hop1", {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                        "Action": ASSUME})))  # fmt: skip
    shown = _answer(harness, endpoint, "EvChainLate")
    button = next(
        e
        for b in json.loads(shown)
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "s3why_approve"
    )
    client("iam").update_assume_role_policy(
        RoleName="hop1",
        PolicyDocument=policy_json({"Effect": "Allow", "Principal": {"AWS": OUTSIDE}, "Action": ASSUME}),
    )
    body = block_action({"type": "button", "action_id": "s3why_approve", "value": button["value"]}, "1800000000.000001",
                        user=APPROVER)  # fmt: skip
    assert post_signed(endpoint, SECRET, body, FORM)[0] == 200
    outcome = json.dumps(harness.fake.wait_for("chat.postMessage", 2)[-1].body)
    assert "Not applied" in outcome and OUTSIDE in outcome, outcome
    assert client("iam").list_role_policies(RoleName="app")["PolicyNames"] == ["app"]
