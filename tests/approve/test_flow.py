"""Approve, reject, roll back: against moto in server mode and a real Redis, judged by s3why's own engine."""

from __future__ import annotations

import json
import threading
from typing import Any

import redis

from bot.approve.writer import policy_hash
from tests.account.conftest import OWN, client
from tests.approve.support import APPROVER, REQUESTER, STRANGER, config, make_flow, scenario

IDENTITY = "identity policy missing s3:PutObject"


def _role_policy(name: str) -> dict[str, Any] | None:
    iam = client("iam")
    if name not in iam.list_role_policies(RoleName="app")["PolicyNames"]:
        return None
    doc: dict[str, Any] = iam.get_role_policy(RoleName="app", PolicyName=name)["PolicyDocument"]
    return doc


def test_approving_an_iam_fix_applies_it_and_the_request_is_allowed(
    moto: str, redis_client: redis.Redis, redis_prefix: str
) -> None:
    flow = make_flow(scenario(IDENTITY), redis_client, redis_prefix)
    proposal, change = flow.changing("principal-inline")
    assert len(flow.proposals) == 1 and change.before is None
    assert flow.diagnoser.verify(proposal, False) != "allow"
    outcome = flow.approvals.approve(proposal.id, APPROVER)
    assert outcome.ok, outcome.message
    assert outcome.decision_after == "allow"
    assert outcome.proposal is not None and outcome.proposal.state == "applied"
    assert policy_hash(_role_policy(change.apply["name"])) == policy_hash(change.document)
    assert "+" in outcome.diff
    actions = [e["action"] for e in flow.store.audit_entries() if e["proposal"] == proposal.id]
    assert actions == ["proposed", "approved", "applying", "applied"]
    applied = next(e for e in flow.store.audit_entries() if e["action"] == "applied")
    assert applied["actor"] == APPROVER and applied["accounts"] == OWN and applied["request_id"] and applied["diff"]


def test_strangers_and_the_requester_cannot_approve(moto: str, redis_client: redis.Redis, redis_prefix: str) -> None:
    flow = make_flow(scenario(IDENTITY), redis_client, redis_prefix)
    proposal, change = flow.changing("principal-inline")
    stranger = flow.approvals.approve(proposal.id, STRANGER)
    assert not stranger.ok and "only the approvers" in stranger.message
    own = flow.approvals.approve(proposal.id, REQUESTER)
    assert not own.ok and "two-person rule" in own.message
    assert flow.store.get(proposal.id).state == "proposed"  # type: ignore[union-attr]
    assert _role_policy(change.apply["name"]) is None
    assert [e["action"] for e in flow.store.audit_entries()].count("refused") == 2


def test_self_approval_when_configured(moto: str, redis_client: redis.Redis, redis_prefix: str) -> None:
    flow = make_flow(scenario(IDENTITY), redis_client, redis_prefix, config(self_approval=True))
    assert flow.approvals.approve(flow.proposals[0].id, REQUESTER).ok


def test_concurrent_approvals_apply_once(moto: str, redis_client: redis.Redis, redis_prefix: str) -> None:
    flow = make_flow(scenario(IDENTITY), redis_client, redis_prefix)
    proposal, _change = flow.changing("principal-inline")
    start = threading.Barrier(4)
    results: list[bool] = []

    def click() -> None:
        start.wait()
        results.append(flow.approvals.approve(proposal.id, APPROVER).ok)

    threads = [threading.Thread(target=click) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, False, False, True]
    assert [e["action"] for e in flow.store.audit_entries()].count("applied") == 1


def test_drift_is_refused_and_says_what_changed(moto: str, redis_client: redis.Redis, redis_prefix: str) -> None:
    flow = make_flow(scenario(IDENTITY), redis_client, redis_prefix)
    proposal, change = flow.changing("principal-inline")
    someone_else = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
    }
    client("iam").put_role_policy(
        RoleName="app", PolicyName=change.apply["name"], PolicyDocument=json.dumps(someone_else)
    )
    outcome = flow.approvals.approve(proposal.id, APPROVER)
    assert not outcome.ok and "changed since the diagnosis" in outcome.message
    assert "s3:ListBucket" in outcome.diff
    assert _role_policy(change.apply["name"]) == someone_else  # nothing written
    assert flow.store.get(proposal.id).state == "failed"  # type: ignore[union-attr]


def test_rollback_restores_the_previous_document(moto: str, redis_client: redis.Redis, redis_prefix: str) -> None:
    flow = make_flow(scenario("KMS key policy not granting kms:Decrypt"), redis_client, redis_prefix)
    key_proposal, key = flow.changing("key")
    kms = client("kms")
    before = json.loads(kms.get_key_policy(KeyId=key.target, PolicyName="default")["Policy"])
    assert flow.approvals.approve(key_proposal.id, APPROVER).ok
    assert policy_hash(json.loads(kms.get_key_policy(KeyId=key.target, PolicyName="default")["Policy"])) == policy_hash(
        key.document
    )
    assert not flow.approvals.rollback(key_proposal.id, STRANGER).ok
    outcome = flow.approvals.rollback(key_proposal.id, APPROVER)
    assert outcome.ok, outcome.message
    restored = json.loads(kms.get_key_policy(KeyId=key.target, PolicyName="default")["Policy"])
    assert policy_hash(restored) == policy_hash(before)
    assert flow.store.get(key_proposal.id).state == "rolled-back"  # type: ignore[union-attr]
    assert not flow.approvals.rollback(key_proposal.id, APPROVER).ok  # once


def test_rollback_of_an_added_inline_policy_removes_it(moto: str, redis_client: redis.Redis, redis_prefix: str) -> None:
    flow = make_flow(scenario(IDENTITY), redis_client, redis_prefix)
    proposal, change = flow.changing("principal-inline")
    assert flow.approvals.approve(proposal.id, APPROVER).ok
    assert flow.approvals.rollback(proposal.id, APPROVER).ok
    assert _role_policy(change.apply["name"]) is None


def test_bucket_and_managed_policy_fixes_apply_and_roll_back(
    moto: str, redis_client: redis.Redis, redis_prefix: str
) -> None:
    flow = make_flow(scenario("access point policy without bucket delegation"), redis_client, redis_prefix)
    proposal, bucket = flow.changing("bucket")
    outcome = flow.approvals.approve(proposal.id, APPROVER)
    assert outcome.ok and outcome.decision_after == "allow", outcome.message
    live = json.loads(client("s3").get_bucket_policy(Bucket=bucket.target)["Policy"])
    assert policy_hash(live) == policy_hash(bucket.document)


def test_a_managed_boundary_fix_rolls_back_to_the_previous_version(
    moto: str, redis_client: redis.Redis, redis_prefix: str
) -> None:
    flow = make_flow(scenario("permissions boundary"), redis_client, redis_prefix)
    proposal, managed = flow.changing("managed")
    iam = client("iam")
    before_version = iam.get_policy(PolicyArn=managed.target)["Policy"]["DefaultVersionId"]
    assert flow.approvals.approve(proposal.id, APPROVER).ok
    assert iam.get_policy(PolicyArn=managed.target)["Policy"]["DefaultVersionId"] != before_version
    assert flow.approvals.rollback(proposal.id, APPROVER).ok
    assert iam.get_policy(PolicyArn=managed.target)["Policy"]["DefaultVersionId"] == before_version


def test_dry_run_checks_everything_and_writes_nothing(moto: str, redis_client: redis.Redis, redis_prefix: str) -> None:
    flow = make_flow(scenario(IDENTITY), redis_client, redis_prefix, config(dry_run=True))
    proposal, change = flow.changing("principal-inline")
    outcome = flow.approvals.approve(proposal.id, APPROVER)
    assert outcome.ok and "Dry run" in outcome.message and outcome.diff
    assert _role_policy(change.apply["name"]) is None
    assert flow.store.get(proposal.id).state == "dry-run"  # type: ignore[union-attr]
    assert "dry-run" in [e["action"] for e in flow.store.audit_entries()]


def test_an_expired_proposal_cannot_be_approved(moto: str, redis_client: redis.Redis, redis_prefix: str) -> None:
    flow = make_flow(scenario(IDENTITY), redis_client, redis_prefix)
    proposal, change = flow.changing("principal-inline")
    key = f"{redis_prefix}patch:{proposal.id}"
    assert 0 < int(redis_client.ttl(key)) <= 24 * 3600  # proposals carry their TTL
    redis_client.expire(key, 0)  # what the TTL does when it runs out
    outcome = flow.approvals.approve(proposal.id, APPROVER)
    assert not outcome.ok and "expired" in outcome.message
    assert _role_policy(change.apply["name"]) is None


def test_a_rejected_fix_cannot_be_approved(moto: str, redis_client: redis.Redis, redis_prefix: str) -> None:
    flow = make_flow(scenario(IDENTITY), redis_client, redis_prefix)
    proposal, _change = flow.changing("principal-inline")
    assert flow.approvals.reject(proposal.id, REQUESTER).ok
    outcome = flow.approvals.approve(proposal.id, APPROVER)
    assert not outcome.ok and "rejected" in outcome.message


def test_s3why_audit_lists_every_step(
    moto: str, redis_client: redis.Redis, redis_prefix: str, monkeypatch: Any, capsys: Any
) -> None:
    import os

    from bot.cli import main

    flow = make_flow(scenario(IDENTITY), redis_client, f"{redis_prefix}s3why:")  # what `s3why audit` reads here
    proposal, _ = flow.changing("principal-inline")
    start = len(flow.store.audit_entries(count=100_000))
    assert flow.approvals.approve(proposal.id, APPROVER).ok
    assert flow.approvals.rollback(proposal.id, APPROVER).ok
    monkeypatch.setenv("REDIS_URL", os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    assert main(["audit", "--json", "--limit", "100000"]) == 0
    entries = [e for e in json.loads(capsys.readouterr().out)["entries"][start:] if e["proposal"] == proposal.id]
    assert [e["action"] for e in entries] == ["approved", "applying", "applied", "rolled-back"]
    assert all(e["actor"] == APPROVER and e["at"] for e in entries)
    assert main(["audit", "--diffs", "--limit", "100000"]) == 0
    assert "rolled-back" in capsys.readouterr().out
    monkeypatch.delenv("REDIS_URL")
    assert main(["audit"]) == 2
    assert "REDIS_URL" in capsys.readouterr().err


def test_a_vpc_endpoint_fix_applies_and_rolls_back(moto: str, redis_client: redis.Redis, redis_prefix: str) -> None:
    flow = make_flow(scenario("VPC endpoint policy listing other buckets"), redis_client, f"{redis_prefix}vpce:")
    proposal, endpoint = flow.changing("vpce")
    outcome = flow.approvals.approve(proposal.id, APPROVER)
    assert outcome.ok and outcome.decision_after == "allow", outcome.message
    live = client("ec2").describe_vpc_endpoints(VpcEndpointIds=[endpoint.target])["VpcEndpoints"][0]["PolicyDocument"]
    assert policy_hash(json.loads(live)) == policy_hash(endpoint.document)
    assert flow.approvals.rollback(proposal.id, APPROVER).ok
    live = client("ec2").describe_vpc_endpoints(VpcEndpointIds=[endpoint.target])["VpcEndpoints"][0]["PolicyDocument"]
    assert policy_hash(json.loads(live)) == policy_hash(endpoint.before)


def test_another_accounts_access_point_fix_applies_and_rolls_back(
    moto: str, redis_client: redis.Redis, redis_prefix: str
) -> None:
    from tests.account.conftest import OTHER, session_in

    flow = make_flow(scenario("access point policy not granting the principal"), redis_client, f"{redis_prefix}ap:")
    proposal, ap = flow.changing("access-point")
    assert ap.account == OTHER
    outcome = flow.approvals.approve(proposal.id, APPROVER)
    assert outcome.ok and outcome.decision_after == "allow", outcome.message
    s3c = client("s3control", session=session_in(OTHER))
    live = json.loads(s3c.get_access_point_policy(AccountId=OTHER, Name="readers")["Policy"])
    assert policy_hash(live) == policy_hash(ap.document)
    assert flow.approvals.rollback(proposal.id, APPROVER).ok
    restored = json.loads(s3c.get_access_point_policy(AccountId=OTHER, Name="readers")["Policy"])
    assert policy_hash(restored) == policy_hash(ap.before)


def test_approvers_per_risk_level(moto: str, redis_client: redis.Redis, redis_prefix: str) -> None:
    from dataclasses import replace

    from tests.approve.support import config

    base = config()
    own = replace(base.accounts[0], approvers_by_risk={"medium": ("U_CAROL",)})
    flow = make_flow(
        scenario("KMS key policy not granting kms:Decrypt"), redis_client, redis_prefix, replace(base, accounts=(own,))
    )
    proposal, _ = flow.changing("key")
    assert proposal.risk == "medium"
    refused = flow.approvals.approve(proposal.id, APPROVER)
    assert not refused.ok and "medium-risk" in refused.message
    assert flow.approvals.approve(proposal.id, "U_CAROL").ok
