"""Approvals that cannot be steered: grants outside, altered records, interleaved writes (issue 22 §1).

Against moto in server mode and a real Redis; whether a policy allows is judged by s3why's own engine."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis

from bot.approve.grants import change_lines, grant_refusal, grants
from bot.approve.store import Change, PatchStore, Proposal
from bot.approve.writer import Writer, Written, policy_hash
from tests.account.conftest import OTHER, OWN, client
from tests.approve.support import APPROVER, REQUESTER, config, make_flow, scenario

IDENTITY = "identity policy missing s3:PutObject"
OUTSIDE = "444455556666"
KNOWN = {OWN, OTHER}


def _bucket_change(statement: dict[str, Any], before: dict[str, Any] | None = None) -> Change:
    document = {"Version": "2012-10-17", "Statement": [*((before or {}).get("Statement") or []), statement]}
    return Change(OTHER, "bucket", "partner-drop", document, before, {"where": "bucket", "bucket": "partner-drop"})


def _proposal(*changes: Change) -> Proposal:
    return Proposal("p1", list(changes), "Grant", "medium", REQUESTER, "C1", "1.1", "r1")


def _allow(principal: Any, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    st = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::partner-drop/*",
    }
    return {**st, "Condition": condition} if condition else st


@pytest.mark.parametrize(
    ("statement", "refused"),
    [
        (_allow({"AWS": f"arn:aws:iam::{OWN}:role/app"}), None),
        (_allow({"AWS": f"arn:aws:iam::{OUTSIDE}:role/app"}), "neither configured nor a listed member"),
        (_allow({"AWS": f"arn:aws:iam::{OWN}:root"}), "root of account"),
        (_allow({"AWS": OWN}), "root of account"),
        (_allow("*"), "everyone"),
        (_allow({"AWS": ["*"]}), "everyone"),
        (_allow("*", {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{OWN}:role/app"}}), None),
        (_allow("*", {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{OUTSIDE}:role/*"}}), "neither configured"),
        (_allow({"AWS": "*"}, {"StringEquals": {"aws:PrincipalAccount": OUTSIDE}}), "neither configured"),
        (
            _allow(
                {"AWS": "*"}, {"StringEquals": {"s3:DataAccessPointArn": f"arn:aws:s3:us-east-1:{OTHER}:accesspoint/r"}}
            ),
            None,
        ),
        (_allow({"Federated": "cognito-identity.amazonaws.com"}), "cannot tell"),
        (_allow({"CanonicalUser": "79a59df900b949e55d96a1e698fbaced"}), "cannot tell"),
        # a service principal with no aws:SourceArn/SourceAccount acts for any customer (confused deputy)
        (_allow({"Service": "cloudfront.amazonaws.com"}), "cannot tell"),
        (
            _allow(
                {"Service": "cloudfront.amazonaws.com"},
                {"StringEquals": {"AWS:SourceArn": f"arn:aws:cloudfront::{OWN}:distribution/E1"}},
            ),
            None,
        ),
        (_allow({"Service": "cloudfront.amazonaws.com"}, {"StringEquals": {"aws:SourceAccount": OUTSIDE}}), "neither"),
        ({**_allow({"AWS": "x"}), "NotPrincipal": {"AWS": f"arn:aws:iam::{OWN}:role/app"}}, "everyone"),
    ],
)
def test_a_grant_is_approvable_only_to_a_named_principal_of_a_known_account(
    statement: dict[str, Any], refused: str | None
) -> None:
    if "NotPrincipal" in statement:
        statement = {k: v for k, v in statement.items() if k != "Principal"}
    reason = grant_refusal(_proposal(_bucket_change(statement)), KNOWN)
    assert (reason is None) if refused is None else (reason is not None and refused in reason)


@pytest.mark.parametrize(
    ("condition", "refused"),
    [
        # `*` narrowed to an account admits every principal of it: the reach of its root, refused as one
        ({"StringEquals": {"aws:PrincipalAccount": OWN}}, "root of account"),
        ({"StringEquals": {"aws:PrincipalAccount": [OWN, OTHER]}}, "root of account"),
        # a wildcard PrincipalArn over an account: principals s3why cannot name, nor read the trust of
        ({"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{OWN}:*"}}, "root of account"),
        ({"StringLike": {"aws:PrincipalArn": f"arn:aws:iam::{OWN}:role/*"}}, "root of account"),
        ({"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{OWN}:role/app-?"}}, "root of account"),
        # a narrowing to an account s3why does not know is never approvable, whatever it admits
        ({"StringEquals": {"aws:PrincipalAccount": [OUTSIDE, OWN]}}, "neither configured"),
        ({"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{OUTSIDE}:*"}}, "neither configured"),
        # an organization: every principal of every member account, roots included
        ({"StringEquals": {"aws:PrincipalOrgID": "o-abcdef1234"}}, "every account in it"),
        # conditions are ANDed: a named role bounds an account or organization narrowing
        (
            {
                "StringEquals": {"aws:PrincipalAccount": OWN, "aws:PrincipalOrgID": "o-abcdef1234"},
                "ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{OWN}:role/app"},
            },
            None,
        ),
    ],
    ids=[
        "account-own",
        "accounts-known",
        "arn-wildcard-account",
        "arn-every-role",
        "arn-one-char",
        "account-one-outside",
        "arn-wildcard-outside",
        "organization",
        "named-role-and-account",
    ],
)
def test_everyone_narrowed_to_a_whole_account_or_organization_is_refused_like_a_root(
    condition: dict[str, Any], refused: str | None
) -> None:
    reason = grant_refusal(_proposal(_bucket_change(_allow("*", condition))), KNOWN)
    assert (reason is None) if refused is None else (reason is not None and refused in reason)


def test_a_statement_already_in_the_policy_is_not_a_new_grant() -> None:
    old = {"Version": "2012-10-17", "Statement": [_allow("*")]}  # someone else's, before s3why
    change = _bucket_change(_allow({"AWS": f"arn:aws:iam::{OWN}:role/app"}), before=old)
    assert [g.grantees[0].account for g in grants(change)] == [OWN]
    assert grant_refusal(_proposal(change), KNOWN) is None


def test_organization_members_listed_in_the_configuration_are_known() -> None:
    cfg = config()
    members = type(cfg)(accounts=cfg.accounts, organization_accounts=(OUTSIDE,))
    change = _bucket_change(_allow({"AWS": f"arn:aws:iam::{OUTSIDE}:role/app"}))
    assert grant_refusal(_proposal(change), cfg.known_accounts()) is not None
    assert grant_refusal(_proposal(change), members.known_accounts()) is None


def test_the_change_lines_name_policy_grantee_account_actions_and_resources() -> None:
    change = _bucket_change(_allow({"AWS": f"arn:aws:iam::{OWN}:role/app"}))
    (line,) = change_lines(_proposal(change))
    assert line == (
        f"bucket policy of partner-drop (account {OTHER}): arn:aws:iam::{OWN}:role/app (account {OWN}) gets "
        "s3:GetObject on arn:aws:s3:::partner-drop/*"
    )


def test_a_stored_grant_to_an_outside_account_is_refused_at_approval(
    moto: str, redis_client: redis.Redis, redis_prefix: str
) -> None:
    """The attack: a proposal that grants the bucket to an outside account's role, stored (and signed) as any
    proposal is. One approver click must not write it."""
    client("s3").create_bucket(Bucket="team-data")
    flow = make_flow(scenario(IDENTITY), redis_client, redis_prefix)
    change = Change(OWN, "bucket", "team-data", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OUTSIDE}:role/exfil"}, "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::team-data/*"}]}, None, {"where": "bucket", "bucket": "team-data"})  # fmt: skip
    stored = flow.store.propose(
        Proposal("", [change], "Allow the bucket", "medium", REQUESTER, "C1", "1.1", "r1"), actor="s3why"
    )
    outcome = flow.approvals.approve(stored.id, APPROVER)
    assert not outcome.ok and f"account {OUTSIDE}" in outcome.message and "never applies" in outcome.message
    assert flow.store.get(stored.id).state == "proposed"  # type: ignore[union-attr]
    with pytest.raises(client("s3").exceptions.ClientError):
        client("s3").get_bucket_policy(Bucket="team-data")
    assert [e["action"] for e in flow.store.audit_entries() if e["proposal"] == stored.id] == ["proposed", "refused"]


def test_an_altered_record_is_neither_applied_nor_rolled_back(
    moto: str, redis_client: redis.Redis, redis_prefix: str
) -> None:
    flow = make_flow(scenario(IDENTITY), redis_client, redis_prefix)
    proposal, change = flow.changing("principal-inline")
    key = f"{redis_prefix}patch:{proposal.id}"
    record = json.loads(redis_client.get(key))  # type: ignore[arg-type]
    record["changes"][0]["document"]["Statement"][0]["Action"] = "s3:*"
    record["changes"][0]["document"]["Statement"][0]["Resource"] = "*"
    redis_client.set(key, json.dumps(record))
    outcome = flow.approvals.approve(proposal.id, APPROVER)
    assert not outcome.ok and "altered" in outcome.message
    assert change.apply["name"] not in client("iam").list_role_policies(RoleName="app")["PolicyNames"]
    # a record signed with another key is altered too (a replica with a different S3WHY_PROPOSAL_KEY)
    other = PatchStore(redis_client, prefix=redis_prefix, key=b"x" * 32)
    assert not other.authentic(flow.store.get(proposal.id))  # type: ignore[arg-type]
    assert flow.store.authentic(flow.proposals[0]) is True


def test_a_rollback_of_an_altered_record_is_refused(moto: str, redis_client: redis.Redis, redis_prefix: str) -> None:
    flow = make_flow(scenario(IDENTITY), redis_client, redis_prefix)
    proposal, change = flow.changing("principal-inline")
    assert flow.approvals.approve(proposal.id, APPROVER).ok
    key = f"{redis_prefix}patch:{proposal.id}"
    record = json.loads(redis_client.get(key))  # type: ignore[arg-type]
    record["changes"][0]["before"] = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]}  # fmt: skip
    redis_client.set(key, json.dumps(record))
    outcome = flow.approvals.rollback(proposal.id, APPROVER)
    assert not outcome.ok and "altered" in outcome.message
    live = client("iam").get_role_policy(RoleName="app", PolicyName=change.apply["name"])["PolicyDocument"]
    assert policy_hash(live) == policy_hash(change.document)


def test_a_human_edit_while_the_fix_is_checked_is_detected_not_overwritten(
    moto: str, redis_client: redis.Redis, redis_prefix: str
) -> None:
    flow = make_flow(scenario(IDENTITY), redis_client, redis_prefix)
    proposal, change = flow.changing("principal-inline")
    human = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}
    checked = flow.approvals.verify

    def verify_while_a_human_edits(p: Proposal, patched: bool) -> str:
        decision = checked(p, patched)
        client("iam").put_role_policy(RoleName="app", PolicyName=change.apply["name"], PolicyDocument=json.dumps(human))
        return decision

    flow.approvals.verify = verify_while_a_human_edits
    outcome = flow.approvals.approve(proposal.id, APPROVER)
    assert not outcome.ok and "changed while the fix was being checked" in outcome.message
    live = client("iam").get_role_policy(RoleName="app", PolicyName=change.apply["name"])["PolicyDocument"]
    assert policy_hash(live) == policy_hash(human)


def test_two_applies_to_one_target_never_interleave(moto: str, redis_client: redis.Redis, redis_prefix: str) -> None:
    flow = make_flow(scenario(IDENTITY), redis_client, redis_prefix)
    proposal, change = flow.changing("principal-inline")
    held = flow.store.lock(change.account, change.where, change.target, timeout=30)
    assert held.acquire()
    flow.approvals.lock_wait_seconds = 0.2
    try:
        outcome = flow.approvals.approve(proposal.id, APPROVER)
    finally:
        held.release()
    assert not outcome.ok and "another change" in outcome.message
    assert change.apply["name"] not in client("iam").list_role_policies(RoleName="app")["PolicyNames"]
    assert not redis_client.keys(f"{redis_prefix}target-lock:*")  # released: nothing left behind


class _RacedWriter(Writer):
    """After s3why's write, someone else writes the same policy (between the write and the read back)."""

    def write(self, session: Any, where: str, target: str, apply: dict[str, Any], document: Any) -> Written:
        written = super().write(session, where, target, apply, document)
        if document is not None:
            other = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket",
                                                             "Resource": "*"}]}  # fmt: skip
            client("iam").put_role_policy(RoleName="app", PolicyName=apply["name"], PolicyDocument=json.dumps(other))
        return written


def test_the_policy_is_read_back_after_the_write(moto: str, redis_client: redis.Redis, redis_prefix: str) -> None:
    flow = make_flow(scenario(IDENTITY), redis_client, redis_prefix)
    proposal, _ = flow.changing("principal-inline")
    flow.approvals.writer = _RacedWriter(flow.approvals.writer.sessions)
    outcome = flow.approvals.approve(proposal.id, APPROVER)
    assert "read back after the write is not what s3why wrote" in outcome.message
    assert "verify-failed" in [e["action"] for e in flow.store.audit_entries()]
