"""The shipped write policy allows every call the apply and rollback paths make (judged by s3why's engine),
has no wildcard actions, and the write role's session names the approver."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import redis
import requests

from bot.engine import AuthzRequest, PolicyKind, PolicySet, evaluate, parse_policy
from tests.account.conftest import OWN
from tests.approve.support import APPROVER, WRITE_ROLE, CallRecorder, make_flow, scenario

POLICIES = Path(__file__).resolve().parents[2] / "policies"
TAGGED: dict[str, str | list[str] | tuple[str, ...]] = {"aws:ResourceTag/s3why-managed": "true"}


def _resource(service: str, params: dict[str, Any]) -> str:
    if "AccountId" in params and "Name" in params:
        return f"arn:aws:s3:us-east-1:{params['AccountId']}:accesspoint/{params['Name']}"
    if "Bucket" in params:
        return f"arn:aws:s3:::{params['Bucket']}"
    if "KeyId" in params:
        return str(params["KeyId"])
    if "RoleName" in params:
        return f"arn:aws:iam::{OWN}:role/{params['RoleName']}"
    if "UserName" in params:
        return f"arn:aws:iam::{OWN}:user/{params['UserName']}"
    if "PolicyArn" in params:
        return str(params["PolicyArn"])
    if "VpcEndpointId" in params:
        return f"arn:aws:ec2:us-east-1:{OWN}:vpc-endpoint/{params['VpcEndpointId']}"
    if "RoleArn" in params:
        return str(params["RoleArn"])
    return "*"


def _exercise(moto_url: str, redis_client: redis.Redis, prefix: str) -> CallRecorder:
    recorder = CallRecorder()
    for name, where in (
        ("identity policy missing s3:PutObject", "principal-inline"),
        ("KMS key policy not granting kms:Decrypt", "key"),
        ("permissions boundary", "managed"),
        ("access point policy without bucket delegation", "bucket"),
        ("VPC endpoint policy listing other buckets", "vpce"),
        ("access point policy not granting the principal", "access-point"),
        ("object owned by another account under ObjectWriter", "ownership-controls"),
    ):
        flow = make_flow(scenario(name), redis_client, f"{prefix}{where}:", recorder=recorder)
        proposal, _ = flow.changing(where)
        assert flow.approvals.approve(proposal.id, APPROVER).ok
        assert flow.approvals.rollback(proposal.id, APPROVER).ok
        requests.post(f"{moto_url}/moto-api/reset", timeout=10)  # the next scenario starts clean
    return recorder


def test_the_write_policy_allows_every_apply_and_rollback_call(
    moto: str, redis_client: redis.Redis, redis_prefix: str
) -> None:
    recorder = _exercise(moto, redis_client, redis_prefix)
    write = parse_policy(json.loads((POLICIES / "s3why-write.json").read_text()), name="s3why-write.json")
    bot = parse_policy(json.loads((POLICIES / "s3why-bot.json").read_text()), name="s3why-bot.json")
    operations = {op for _, op, _ in recorder.calls}
    assert {"PutRolePolicy", "DeleteRolePolicy", "PutKeyPolicy", "CreatePolicyVersion", "SetDefaultPolicyVersion",
            "PutBucketPolicy", "DeleteBucketPolicy", "AssumeRole", "ModifyVpcEndpoint", "PutAccessPointPolicy"} <= operations  # fmt: skip
    for service, operation, params in recorder.calls:
        action = f"{'s3' if service in ('s3', 's3control') else service}:{operation}"
        if operation == "AssumeRole":
            assert params["RoleSessionName"] == f"s3why-{APPROVER}"  # CloudTrail names the human
            request = AuthzRequest.build(
                principal=f"arn:aws:iam::{OWN}:user/s3why", action=action, resource=params["RoleArn"],
                context={"sts:RoleSessionName": (params["RoleSessionName"],)},
            )  # fmt: skip
            trust = parse_policy(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWN}:user/s3why"},
                 "Action": "sts:AssumeRole", "Resource": "*"}]}, name="trust", kind=PolicyKind.RESOURCE)  # fmt: skip
            decision = evaluate(request, PolicySet(identity=(bot,), resource=trust))
        else:
            resource = _resource(service, params)
            account = (resource.split(":")[4] or OWN) if resource.startswith("arn:") else OWN
            writer = WRITE_ROLE.replace(OWN, account)  # the write role in the account being changed
            request = AuthzRequest.build(principal=writer, action=action, resource=resource, context=TAGGED)
            decision = evaluate(request, PolicySet(identity=(write,)))
        assert decision.decision.value == "allow", (service, operation, params)


def test_the_write_policy_has_no_wildcard_actions_and_spares_s3whys_own_roles() -> None:
    doc = json.loads((POLICIES / "s3why-write.json").read_text())
    write = parse_policy(doc, name="s3why-write.json")
    for st in doc["Statement"]:
        actions = [st["Action"]] if isinstance(st["Action"], str) else st["Action"]
        assert not any("*" in a for a in actions) and "NotAction" not in st
    own = AuthzRequest.build(
        principal=WRITE_ROLE,
        action="iam:PutRolePolicy",
        resource=f"arn:aws:iam::{OWN}:role/s3why-write",
        context=TAGGED,
    )
    assert evaluate(own, PolicySet(identity=(write,))).decision.value == "explicit-deny"
    untagged = AuthzRequest.build(
        principal=WRITE_ROLE, action="kms:PutKeyPolicy", resource=f"arn:aws:kms:us-east-1:{OWN}:key/k"
    )
    assert evaluate(untagged, PolicySet(identity=(write,))).decision.value != "allow"
