"""Keys AWS puts in every request context (IAM User Guide, "AWS global condition context keys": aws:RequestedRegion,
aws:CurrentTime, aws:EpochTime — "This key is always included in the request context") are never absent in the
diagnosis, through `s3why diagnose --snapshot --json`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.corners.support import (
    BUCKET,
    KEY,
    OWNER,
    bucket_part,
    diagnose_snapshot,
    not_in_org,
    role_part,
    snapshot,
    verdicts,
)

ROLE = f"arn:aws:iam::{OWNER}:role/dev"
SESSION = f"arn:aws:sts::{OWNER}:assumed-role/dev/alice"
BOUNDARY = f"arn:aws:iam::{OWNER}:policy/dev-boundary"
PUT = (
    f"upload failed: ./notes.txt to s3://{BUCKET}/{KEY} An error occurred (AccessDenied) when calling the PutObject "
    "operation: Access Denied"
)


def _bounded(condition: dict[str, Any]) -> dict[str, Any]:
    allow_all = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    boundary = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": condition}],
    }
    principal = role_part(SESSION, role_arn=ROLE, policies={"work": allow_all})
    principal["calls"]["GetRole"]["Role"]["PermissionsBoundary"] = {
        "PermissionsBoundaryType": "Policy",
        "PermissionsBoundaryArn": BOUNDARY,
    }
    principal["calls"]["Policies"] = {
        BOUNDARY: {"GetPolicyVersion": {"PolicyVersion": {"Document": boundary, "VersionId": "v1"}}}
    }
    return snapshot(principal=principal, bucket=bucket_part(), organization=not_in_org(OWNER))


def test_a_boundary_on_another_region_denies_with_the_bucket_region_never_absent(tmp_path: Path) -> None:
    snap = _bounded({"StringEquals": {"aws:RequestedRegion": "eu-west-1"}})  # the bucket is in us-east-1
    d = diagnose_snapshot(tmp_path, snap, PUT, "--principal", SESSION)
    assert verdicts(d)["permissions-boundary"] == "no-allow", verdicts(d)
    text = str(d)
    assert "us-east-1" in text and "absent" not in str(d["root_causes"]), d["root_causes"]
    assert not any("aws:RequestedRegion" in str(b) for b in d["request"]["resolved"]["branches"])


def test_a_boundary_on_the_bucket_region_allows(tmp_path: Path) -> None:
    snap = _bounded({"StringEquals": {"aws:RequestedRegion": "us-east-1"}})
    d = diagnose_snapshot(tmp_path, snap, PUT, "--principal", SESSION)
    assert verdicts(d)["permissions-boundary"] == "allow", verdicts(d)


def test_the_request_time_keys_are_present(tmp_path: Path) -> None:
    # A date in the past and an epoch long gone: true on any day the test runs.
    snap = _bounded(
        {"DateGreaterThan": {"aws:CurrentTime": "2001-01-01T00:00:00Z"}, "NumericGreaterThan": {"aws:EpochTime": "1"}}
    )
    d = diagnose_snapshot(tmp_path, snap, PUT, "--principal", SESSION)
    assert verdicts(d)["permissions-boundary"] == "allow", verdicts(d)
