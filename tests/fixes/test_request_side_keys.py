"""A request-side change is offered only on a key the sender controls (tester3 report, D2).

The resource's owner account, organization and tags, an object's existing tags, the Region S3 serves the bucket
in and the time are not properties of the request the sender can choose (IAM User Guide, "AWS global condition
context keys"; S3 Service Authorization Reference): "make the request with aws:ResourceAccount = ..." is another
resource, never a fix. The network path and the headers stay request-side changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.corners.support import (
    BUCKET,
    KEY,
    OWNER,
    bucket_part,
    diagnose_snapshot,
    not_in_org,
    role_part,
    snapshot,
)

ROLE = f"arn:aws:iam::{OWNER}:role/app"
SESSION = f"arn:aws:sts::{OWNER}:assumed-role/app/run-1"
TEXT = (
    f"download failed: s3://{BUCKET}/{KEY} to ./report.csv An error occurred (AccessDenied) when calling the "
    "GetObject operation: Access Denied"
)


def _diagnose(tmp_path: Path, condition: dict[str, Any], *given: str) -> dict[str, Any]:
    deny = {
        "Sid": "Guard",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
        "Condition": condition,
    }
    identity = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    snap = snapshot(
        principal=role_part(SESSION, role_arn=ROLE, policies={"app": identity}),
        bucket=bucket_part(policy={"Version": "2012-10-17", "Statement": [deny]}),
        organization={"principal_account": not_in_org(OWNER)},
    )
    snap["target"] = {"principal_arn": SESSION, "bucket": BUCKET, "key": KEY}
    return diagnose_snapshot(tmp_path, snap, TEXT, "--principal", SESSION, *given)


def _request_changes(d: dict[str, Any]) -> list[str]:
    return [
        command
        for fix in d["fixes"]
        for patch in fix["patches"]
        if patch["kind"] == "request-change"
        for command in patch["commands"]
    ]


@pytest.mark.parametrize(
    ("condition", "key", "given"),
    [
        ({"StringNotEquals": {"aws:ResourceAccount": "555555555555"}}, "aws:ResourceAccount", ()),
        ({"StringNotEquals": {"s3:ResourceAccount": "555555555555"}}, "s3:ResourceAccount", ()),
        ({"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}, "aws:RequestedRegion", ()),
        # Tags s3why does not read are given, as a person who knows them would (else the verdict is undecided).
        (
            {"StringNotEquals": {"aws:ResourceTag/team": "data"}},
            "aws:ResourceTag/team",
            ("--context", "aws:ResourceTag/team=web"),
        ),
        (
            {"StringNotEquals": {"s3:ExistingObjectTag/class": "public"}},
            "s3:ExistingObjectTag/class",
            ("--context", "s3:ExistingObjectTag/class=private"),
        ),
    ],
)
def test_no_request_change_on_a_key_the_sender_cannot_set(
    tmp_path: Path, condition: dict[str, Any], key: str, given: tuple[str, ...]
) -> None:
    d = _diagnose(tmp_path, condition, *given)
    assert d["decision"] == "explicit-deny", d["root_causes"]
    assert d["root_causes"][0]["layer"] == "bucket-policy"
    offered = _request_changes(d)
    assert not any(key.lower() in command.lower() for command in offered), offered


def test_a_key_on_the_request_path_is_still_a_request_change(tmp_path: Path) -> None:
    d = _diagnose(tmp_path, {"Bool": {"aws:SecureTransport": "false"}})
    assert any("HTTPS" in command for command in _request_changes(d)), d["fixes"]
