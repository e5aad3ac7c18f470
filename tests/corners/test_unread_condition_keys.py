"""A verdict that turns on a condition key AWS sets from data s3why did not read is undecided (tester3 report, D4).

The caller's organization (aws:PrincipalOrgID), an object's current tags (s3:ExistingObjectTag/<key>, never read:
s3why's read role has no s3:GetObjectTagging) and a bucket's tags under ABAC (aws:ResourceTag/<key>) are in AWS's
request context whether or not s3why read them. CONTRACT: the decision is `unknown` "when a layer that could
decide it could not be read" — never a named denial with a grant that drops the condition as its fix. Once the
value is known (read, or given with --context), the verdict is decided again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.corners.support import (
    BUCKET,
    KEY,
    OTHER,
    OWNER,
    bucket_part,
    diagnose_snapshot,
    error,
    in_org,
    not_in_org,
    role_part,
    snapshot,
    verdicts,
)

ROLE = f"arn:aws:iam::{OTHER}:role/reader"
SESSION = f"arn:aws:sts::{OTHER}:assumed-role/reader/run-1"
OWN_ROLE = f"arn:aws:iam::{OWNER}:role/app"
OWN_SESSION = f"arn:aws:sts::{OWNER}:assumed-role/app/run-1"
TEXT = (
    f"download failed: s3://{BUCKET}/{KEY} to ./report.csv An error occurred (AccessDenied) when calling the "
    "GetObject operation: Access Denied"
)
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}


def _org_snap(principal_org: dict[str, Any]) -> dict[str, Any]:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OurOrganization",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{BUCKET}/*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-zzzzzzzzzz"}},
            }
        ],
    }
    snap = snapshot(
        principal=role_part(SESSION, role_arn=ROLE, policies={"reader": ALLOW_ALL}),
        bucket=bucket_part(policy=policy, owner=OWNER),
        organization={"principal_account": principal_org, "resource_account": not_in_org(OWNER)},
        caller=OTHER,
    )
    snap["target"] = {"principal_arn": SESSION, "bucket": BUCKET, "key": KEY}
    return snap


def test_an_organization_condition_s3why_could_not_read_is_undecided(tmp_path: Path) -> None:
    unread = {"account": OTHER, "calls": {"DescribeOrganization": error("AccessDeniedException")}}
    d = diagnose_snapshot(tmp_path, _org_snap(unread), TEXT, "--principal", SESSION)
    assert d["decision"] == "unknown", d["root_causes"]
    assert verdicts(d)["bucket-policy"] == "unknown"
    assert not any(f["verified"] for f in d["fixes"]), d["fixes"]
    (bucket,) = [layer for layer in d["layers"] if layer["layer"] == "bucket-policy"]
    assert "aws:PrincipalOrgID is o-zzzzzzzzzz" in bucket["detail"], bucket


def test_an_organization_s3why_read_decides(tmp_path: Path) -> None:
    other_org = in_org(OTHER, scps=[], rcps=[])  # o-exampleorg1, not the one the bucket admits
    d = diagnose_snapshot(tmp_path, _org_snap(other_org), TEXT, "--principal", SESSION)
    assert d["decision"] == "implicit-deny"
    assert d["root_causes"][0]["layer"] == "bucket-policy"
    d = diagnose_snapshot(tmp_path, _org_snap(not_in_org(OTHER)), TEXT, "--principal", SESSION)
    assert d["decision"] == "implicit-deny"


def _tag_snap(condition: dict[str, Any], *, bucket_calls: dict[str, Any] | None = None) -> dict[str, Any]:
    statement = {"Sid": "Tagged", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": condition}
    identity = {"Version": "2012-10-17", "Statement": [statement]}
    snap = snapshot(
        principal=role_part(OWN_SESSION, role_arn=OWN_ROLE, policies={"app": identity}),
        bucket=bucket_part(extra_calls=bucket_calls),
        organization={"principal_account": not_in_org(OWNER)},
    )
    snap["target"] = {"principal_arn": OWN_SESSION, "bucket": BUCKET, "key": KEY}
    return snap


def test_an_object_tag_condition_is_undecided_until_the_tag_is_known(tmp_path: Path) -> None:
    snap = _tag_snap({"StringEquals": {"s3:ExistingObjectTag/class": "public"}})
    d = diagnose_snapshot(tmp_path, snap, TEXT, "--principal", OWN_SESSION)
    assert d["decision"] == "unknown", d["root_causes"]
    assert verdicts(d)["identity"] == "unknown"
    assert not any(f["verified"] for f in d["fixes"]), d["fixes"]
    given = ("--principal", OWN_SESSION, "--context", "s3:ExistingObjectTag/class=private")
    d = diagnose_snapshot(tmp_path, snap, TEXT, *given)
    assert d["decision"] == "implicit-deny"
    assert d["root_causes"][0]["layer"] == "identity"


def test_abac_tags_s3why_could_not_read_leave_the_verdict_undecided(tmp_path: Path) -> None:
    condition = {"StringEquals": {"aws:ResourceTag/team": "data"}}
    enabled = {"GetBucketAbac": {"AbacStatus": {"Status": "Enabled"}}}
    unread = _tag_snap(condition, bucket_calls={**enabled, "GetBucketTagging": error("AccessDenied")})
    d = diagnose_snapshot(tmp_path, unread, TEXT, "--principal", OWN_SESSION)
    assert d["decision"] == "unknown", d["root_causes"]
    assert verdicts(d)["identity"] == "unknown"
    other_team = _tag_snap(
        condition, bucket_calls={**enabled, "GetBucketTagging": {"TagSet": [{"Key": "team", "Value": "web"}]}}
    )
    d = diagnose_snapshot(tmp_path, other_team, TEXT, "--principal", OWN_SESSION)
    assert d["decision"] == "implicit-deny"
    assert d["root_causes"][0]["layer"] == "identity"
