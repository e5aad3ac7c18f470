"""An object another account wrote (ACLs in force) read by a third account: the bucket owner's policy cannot grant
it (S3 User Guide, "How Amazon S3 authorizes a request for an object operation"), only the object's ACL can. Through
`s3why diagnose --snapshot --json`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.corners.support import BUCKET, KEY, OWNER, bucket_part, diagnose_snapshot, not_in_org, snapshot, user_part

READER = "arn:aws:iam::333333333333:user/reader"
WRITER_ID = "d" * 64
PUBLIC_READ = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}
    ],
}
READER_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
OFF = dict.fromkeys(("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), False)


def _snap(object_grants: list[dict[str, Any]], bpa: dict[str, bool]) -> dict[str, Any]:
    bucket = bucket_part(
        policy=PUBLIC_READ,
        bpa=bpa,
        extra_calls={
            "GetBucketOwnershipControls": {"OwnershipControls": {"Rules": [{"ObjectOwnership": "ObjectWriter"}]}}
        },
    )
    bucket["object"]["calls"]["GetObjectAcl"] = {"Owner": {"ID": WRITER_ID}, "Grants": object_grants}
    return snapshot(
        principal=user_part(READER, policies={"read": READER_POLICY}),
        bucket=bucket,
        organization={"principal_account": not_in_org("333333333333"), "resource_account": not_in_org(OWNER)},
        caller="333333333333",
    )


def _text() -> str:
    return f"download failed: s3://{BUCKET}/{KEY} to ./x An error occurred (AccessDenied) when calling the GetObject operation: Access Denied"


def test_a_third_account_is_denied_an_object_the_bucket_owner_does_not_own(tmp_path: Path) -> None:
    owner_only = [{"Grantee": {"ID": WRITER_ID, "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}]
    d = diagnose_snapshot(tmp_path, _snap(owner_only, OFF), _text(), "--principal", READER)
    assert d["decision"] == "implicit-deny"
    assert d["root_causes"][0]["layer"] == "acl"
    assert "bucket policy cannot grant" in d["root_causes"][0]["summary"]


def test_an_object_acl_granting_everyone_lets_the_third_account_read(tmp_path: Path) -> None:
    grants = [
        {"Grantee": {"ID": WRITER_ID, "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"},
        {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "READ"},
    ]
    d = diagnose_snapshot(tmp_path, _snap(grants, OFF), _text(), "--principal", READER)
    assert all(c["layer"] != "acl" for c in d["root_causes"])


def test_ignore_public_acls_takes_that_public_grant_away(tmp_path: Path) -> None:
    grants = [
        {"Grantee": {"ID": WRITER_ID, "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"},
        {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "READ"},
    ]
    d = diagnose_snapshot(tmp_path, _snap(grants, {**OFF, "IgnorePublicAcls": True}), _text(), "--principal", READER)
    assert d["root_causes"][0]["layer"] == "acl"
