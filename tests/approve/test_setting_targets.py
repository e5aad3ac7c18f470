"""Issue 20 §4: a bucket setting is a fix target like a policy — approved, applied with the write role, verified
again and rolled back — against moto in server mode and a real Redis; and a managed policy at AWS's five-version
limit makes room by deleting its oldest non-default version."""

from __future__ import annotations

import json
from typing import Any

import redis

from bot.fixes.targets.managed import MAX_VERSIONS
from bot.fixes.targets.managed import TARGET as MANAGED
from tests.account.conftest import client
from tests.approve.support import APPROVER, make_flow, scenario

FOREIGN = "object owned by another account under ObjectWriter"


def _ownership(bucket: str) -> str:
    rules = client("s3").get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    return str(rules[0]["ObjectOwnership"])


def test_approving_bucket_owner_enforced_applies_the_setting_and_rollback_restores_object_writer(
    moto: str, redis_client: redis.Redis, redis_prefix: str
) -> None:
    flow = make_flow(scenario(FOREIGN), redis_client, redis_prefix)
    proposal, change = flow.changing("ownership-controls")
    assert change.before == {"OwnershipControls": {"Rules": [{"ObjectOwnership": "ObjectWriter"}]}}
    assert _ownership("shared-inbox") == "ObjectWriter"
    outcome = flow.approvals.approve(proposal.id, APPROVER)
    assert outcome.ok, outcome.message
    assert outcome.decision_after == "allow"  # diagnosed again on a fresh read: the bucket owner owns the object
    assert _ownership("shared-inbox") == "BucketOwnerEnforced"
    back = flow.approvals.rollback(proposal.id, APPROVER)
    assert back.ok, back.message
    assert _ownership("shared-inbox") == "ObjectWriter"


def _versions(arn: str) -> list[dict[str, Any]]:
    versions: list[dict[str, Any]] = client("iam").list_policy_versions(PolicyArn=arn)["Versions"]
    return versions


def test_a_managed_policy_with_five_versions_loses_its_oldest_non_default_version_to_the_new_one(moto: str) -> None:
    iam = client("iam")
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    arn = iam.create_policy(PolicyName="team-boundary", PolicyDocument=json.dumps(doc))["Policy"]["Arn"]
    for _ in range(MAX_VERSIONS - 1):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(doc), SetAsDefault=False)
    assert len(_versions(arn)) == MAX_VERSIONS
    default = next(v["VersionId"] for v in _versions(arn) if v["IsDefaultVersion"])
    oldest = min((v for v in _versions(arn) if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"])
    out = MANAGED.write(lambda service, region: client(service), arn, {"arn": arn}, json.dumps(doc))
    after = {v["VersionId"] for v in _versions(arn)}
    assert out["DeletedVersion"] == oldest["VersionId"] and oldest["VersionId"] not in after
    assert default in after and len(after) == MAX_VERSIONS  # the previous default stays: rollback restores it
