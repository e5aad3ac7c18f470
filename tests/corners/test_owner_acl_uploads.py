"""Another account's upload with an ACL that only gives the bucket owner control, and Allows whose condition the
sender can meet (tester3 report, D1).

S3 User Guide, "Policy examples for ACLs": the bucket owner grants another account's writer "the s3:PutObject
permission ... with a condition that the request include ACL-specific headers that either grant full permission
explicitly or use a canned ACL" — s3:PutObject alone, as the CloudTrail and log delivery bucket policies do. The
writer's own side still needs s3:PutObjectAcl (S3 API Reference, PutObject) and a Deny still applies; a public ACL
still needs the owner's grant. Without the header, the fix is the header the policy asks for, not a grant that
drops the condition.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.corners.support import (
    BUCKET,
    KEY,
    OTHER,
    OWNER,
    bucket_part,
    diagnose_snapshot,
    not_in_org,
    role_part,
    snapshot,
)

ROLE = f"arn:aws:iam::{OTHER}:role/writer"
SESSION = f"arn:aws:sts::{OTHER}:assumed-role/writer/run-1"
OWNER_ID = "c" * 64  # bucket_part's bucket owner
TEXT = (
    f"upload failed: ./report.csv to s3://{BUCKET}/{KEY} An error occurred (AccessDenied) when calling the "
    "PutObject operation: Access Denied"
)


def _snap(condition: dict[str, Any], *, extra: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    identity = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:PutObject", "s3:PutObjectAcl"], "Resource": "*"}],
    }
    allow = {
        "Sid": "WriterUploads",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{BUCKET}/*",
        "Condition": condition,
    }
    policy = {"Version": "2012-10-17", "Statement": [allow, *(extra or [])]}
    bucket = bucket_part(policy=policy, owner=OWNER)
    bucket["calls"]["GetBucketOwnershipControls"] = {
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    }
    bucket["object"]["calls"] = {"HeadObject": {"Error": {"Code": "404", "Message": "Not Found"}}}
    snap = snapshot(
        principal=role_part(SESSION, role_arn=ROLE, policies={"writer": identity}),
        bucket=bucket,
        organization={"principal_account": not_in_org(OTHER), "resource_account": not_in_org(OWNER)},
        caller=OTHER,
    )
    snap["target"] = {"principal_arn": SESSION, "bucket": BUCKET, "key": KEY}
    return snap


def _can(tmp_path: Path, snap: dict[str, Any], *context: str) -> dict[str, Any]:
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(snap))
    args = [a for kv in context for a in ("--context", kv)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}
    command = [sys.executable, "-m", "bot", "can", SESSION, "PutObject", f"s3://{BUCKET}/{KEY}"]
    proc = subprocess.run(
        [*command, "--snapshot", str(path), "--json", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    (d,) = json.loads(proc.stdout)["diagnoses"]
    result: dict[str, Any] = d
    return result


ACL_CONDITION = {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}
GRANT_CONDITION = {"StringEquals": {"s3:x-amz-grant-full-control": f"id={OWNER_ID}"}}


@pytest.mark.parametrize(
    ("condition", "context"),
    [
        (ACL_CONDITION, "s3:x-amz-acl=bucket-owner-full-control"),
        (GRANT_CONDITION, f"s3:x-amz-grant-full-control=id={OWNER_ID}"),
    ],
)
def test_awss_documented_cross_account_upload_is_allowed(tmp_path: Path, condition: Any, context: str) -> None:
    d = _can(tmp_path, _snap(condition), context)
    assert d["decision"] == "allow", d["root_causes"]
    actions = [a["action"] for a in d["request"]["resolved"]["authorizations"]]
    assert "s3:PutObjectAcl" in actions  # still checked: on the writer's side


def test_a_public_acl_still_needs_the_owners_grant(tmp_path: Path) -> None:
    d = _can(tmp_path, _snap({"StringLike": {"s3:x-amz-acl": "*"}}), "s3:x-amz-acl=public-read")
    assert d["decision"] == "implicit-deny"
    assert d["root_causes"][0]["layer"] == "bucket-policy"
    assert "s3:PutObjectAcl" in d["root_causes"][0]["summary"]


def test_the_owners_deny_on_acls_still_applies(tmp_path: Path) -> None:
    deny = {
        "Sid": "NoAcls",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObjectAcl",
        "Resource": f"arn:aws:s3:::{BUCKET}/*",
    }
    d = _can(tmp_path, _snap(ACL_CONDITION, extra=[deny]), "s3:x-amz-acl=bucket-owner-full-control")
    assert d["decision"] == "explicit-deny"


@pytest.mark.parametrize(
    ("condition", "sent"),
    [
        (ACL_CONDITION, {"s3:x-amz-acl": "bucket-owner-full-control"}),
        # The same kind: an Allow that asks for the encryption header.
        (
            {"StringEquals": {"s3:x-amz-server-side-encryption": "AES256"}},
            {"s3:x-amz-server-side-encryption": "AES256"},
        ),
    ],
)
def test_without_the_header_the_first_fix_is_sending_it(
    tmp_path: Path, condition: dict[str, Any], sent: dict[str, str]
) -> None:
    d = diagnose_snapshot(tmp_path, _snap(condition), TEXT, "--principal", SESSION)
    assert d["decision"] == "implicit-deny"
    assert d["root_causes"][0]["layer"] == "bucket-policy"
    first = d["fixes"][0]
    assert first["id"] == "meet-allow-condition", [f["id"] for f in d["fixes"]]
    assert first["verified"] and first["risk"] == "low"
    (patch,) = first["patches"]
    assert patch["kind"] == "request-change"
    ((_key, value),) = sent.items()
    assert any(value in command for command in patch["commands"]), patch["commands"]
