"""The documented corners through `s3why diagnose --snapshot --json` (docs/semantics.md names each AWS sentence)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.corners.support import (
    BUCKET,
    MGMT,
    ORG,
    OTHER,
    OWNER,
    bucket_part,
    denied_text,
    diagnose_snapshot,
    in_org,
    not_in_org,
    role_part,
    snapshot,
    user_part,
    verdicts,
)


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


OBJECTS = f"arn:aws:s3:::{BUCKET}/*"


def test_another_accounts_root_user_is_judged_by_the_bucket_policy_alone(tmp_path: Path) -> None:
    root = f"arn:aws:iam::{OTHER}:root"
    # The bucket policy grants the other account listing only: the GetObject denial is the bucket policy's.
    policy = doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": OTHER},
            "Action": "s3:ListBucket",
            "Resource": f"arn:aws:s3:::{BUCKET}",
        }
    )
    snap = snapshot(
        principal={"arn": root, "account": OTHER, "calls": {}},
        bucket=bucket_part(policy=policy),
        organization={"principal_account": not_in_org(OTHER), "resource_account": not_in_org(OWNER)},
    )
    d = diagnose_snapshot(tmp_path, snap, denied_text(principal=root))
    assert verdicts(d)["identity"] == "allow", d["layers"]
    assert d["decision"] == "implicit-deny"
    assert d["root_causes"][0]["layer"] == "bucket-policy"


def test_a_role_with_a_path_named_in_the_bucket_policy_matches_its_sessions(tmp_path: Path) -> None:
    role = f"arn:aws:iam::{OTHER}:role/teams/data/reader"
    session = f"arn:aws:sts::{OTHER}:assumed-role/reader/job-1"
    # The bucket policy grants the role (with its path) GetObject; the denial must be elsewhere: the identity
    # policy allows only ListBucket.
    policy = doc({"Effect": "Allow", "Principal": {"AWS": role}, "Action": "s3:GetObject", "Resource": OBJECTS})
    identity = doc({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{BUCKET}"})
    snap = snapshot(
        principal=role_part(session, role_arn=role, policies={"list": identity}),
        bucket=bucket_part(policy=policy),
        organization={"principal_account": not_in_org(OTHER), "resource_account": not_in_org(OWNER)},
    )
    d = diagnose_snapshot(tmp_path, snap, denied_text(principal=session))
    assert verdicts(d)["bucket-policy"] == "allow", d["layers"]
    assert d["root_causes"][0]["layer"] == "identity"


def test_restrict_public_buckets_still_admits_a_service_principal(tmp_path: Path) -> None:
    policy = doc(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": OBJECTS},
        {
            "Sid": "CloudTrailWrite",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": OBJECTS,
        },
    )
    bpa = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": True}
    snap = snapshot(
        principal=None,
        bucket=bucket_part(policy=policy, bpa=bpa, is_public=True),
        organization={"resource_account": not_in_org(OWNER)},
    )
    text = denied_text("PutObject")
    d = diagnose_snapshot(tmp_path, snap, text, "--principal", "cloudtrail.amazonaws.com")
    assert verdicts(d)["block-public-access"] != "deny", d["layers"]
    assert all(c["layer"] != "block-public-access" for c in d["root_causes"]), d["root_causes"]


def test_scps_do_not_apply_in_the_management_account(tmp_path: Path) -> None:
    user = f"arn:aws:iam::{MGMT}:user/admin"
    deny_all = doc({"Sid": "DenyS3", "Effect": "Deny", "Action": "s3:*", "Resource": "*"})
    snap = snapshot(
        principal=user_part(user, policies={}),
        bucket=bucket_part(owner=MGMT),
        organization={"principal_account": in_org(MGMT, scps=[deny_all], rcps=[deny_all])},
        caller=MGMT,
    )
    d = diagnose_snapshot(tmp_path, snap, denied_text(principal=user))
    assert verdicts(d)["scp"] == "not-applicable", d["layers"]
    assert verdicts(d)["rcp"] == "not-applicable", d["layers"]
    assert d["root_causes"][0]["layer"] == "identity"


def test_organization_keys_are_derived_from_what_s3why_read(tmp_path: Path) -> None:
    user = f"arn:aws:iam::{OWNER}:user/analyst"
    # Identity policy scoped by the data perimeter to the organization's resources.
    identity = doc(
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:ResourceOrgID": ORG},
                "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [f"{ORG}/r-ab12/ou-ab12-11111111/*"]},
            },
        }
    )
    # The denial is an explicit one in an SCP of the account that s3why can see.
    scp = doc({"Sid": "NoReports", "Effect": "Deny", "Action": "s3:GetObject", "Resource": f"{OBJECTS[:-1]}data/*"})
    snap = snapshot(
        principal=user_part(user, policies={"perimeter": identity}),
        bucket=bucket_part(),
        organization={"principal_account": in_org(OWNER, scps=[scp], rcps=[])},
    )
    d = diagnose_snapshot(tmp_path, snap, denied_text(principal=user))
    assert verdicts(d)["identity"] == "allow", d["layers"]
    assert d["root_causes"][0]["layer"] == "scp"


def test_endpoint_keys_come_from_the_endpoint_owner_and_its_organization(tmp_path: Path) -> None:
    user = f"arn:aws:iam::{OWNER}:user/analyst"
    vpce = "vpce-0123456789abcdef0"
    identity = doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    # Data perimeter: requests through endpoints must use the organization's own endpoints.
    policy = doc(
        {
            "Sid": "OrgEndpointsOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": OBJECTS,
            "Condition": {"StringNotEquals": {"aws:VpceOrgID": ORG, "aws:VpceAccount": OWNER}},
        },
        {"Sid": "Reports", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": OBJECTS},
    )
    endpoint_policy = doc({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})
    snap = snapshot(
        principal=user_part(user, policies={"read": identity}),
        bucket=bucket_part(policy=policy),
        organization={"principal_account": in_org(OWNER, scps=[], rcps=[])},
        vpc_endpoint={
            "id": vpce,
            "account": OWNER,
            "calls": {
                "DescribeVpcEndpoints": {
                    "VpcEndpoints": [
                        {"VpcEndpointId": vpce, "OwnerId": OWNER, "PolicyDocument": json.dumps(endpoint_policy)}
                    ]
                }
            },
        },
    )
    d = diagnose_snapshot(tmp_path, snap, denied_text(principal=user), "--context", f"aws:SourceVpce={vpce}")
    causes = d["root_causes"]
    assert causes and causes[0]["layer"] == "bucket-policy"
    # The perimeter statement passed on the derived keys; the other Deny is the cause.
    assert "OrgEndpointsOnly" not in json.dumps(causes), causes
    assert "Reports" in json.dumps(causes)
