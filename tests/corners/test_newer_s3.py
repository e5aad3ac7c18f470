"""S3 authorization AWS added lately, through `s3why diagnose --snapshot --json`: SSE-C blocked by default, ABAC on
general purpose buckets, directory buckets authorized by s3express:CreateSession."""

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

ROLE = f"arn:aws:iam::{OWNER}:role/app"
SESSION = f"arn:aws:sts::{OWNER}:assumed-role/app/job"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: str, resource: str, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    st: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        st["Condition"] = condition
    return st


def put_text(bucket: str = BUCKET) -> str:
    return (
        f"An error occurred (AccessDenied) when calling the PutObject operation: User: {SESSION} is not authorized "
        f'to perform: s3:PutObject on resource: "arn:aws:s3:::{bucket}/{KEY}"'
    )


SSE_C_BLOCKED = {
    "Rules": [
        {
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
            "BucketKeyEnabled": False,
            "BlockedEncryptionTypes": {"EncryptionType": ["SSE-C"]},
        }
    ]
}


def _sse_c_snapshot() -> dict[str, Any]:
    identity = doc(allow("s3:PutObject", f"arn:aws:s3:::{BUCKET}/*"))
    return snapshot(
        principal=role_part(SESSION, role_arn=ROLE, policies={"write": identity}),
        bucket=bucket_part(encryption=SSE_C_BLOCKED),
        organization={"principal_account": not_in_org(OWNER)},
    )


def test_sse_c_blocked_by_default_is_the_cause_with_a_request_side_fix(tmp_path: Path) -> None:
    d = diagnose_snapshot(
        tmp_path,
        _sse_c_snapshot(),
        put_text(),
        "--context",
        "s3:x-amz-server-side-encryption-customer-algorithm=AES256",
    )
    first = d["root_causes"][0]
    assert first["layer"] == "request-headers" and first["kind"] == "setting", d["root_causes"]
    assert "SSE-C" in first["summary"] and "SSE-KMS" in first["summary"]
    assert first["evidence"]["blocked_encryption_types"] == ["SSE-C"]
    patches = [p for f in d["fixes"] for p in f["patches"]]
    assert any(p["kind"] == "request-change" and "AES256" in " ".join(p["commands"]) for p in patches), d["fixes"]
    assert any(f["verified"] for f in d["fixes"] if all(p["kind"] == "request-change" for p in f["patches"]))
    # Never an automatic setting change.
    assert not any(p["kind"] == "setting" and p["document"] for p in patches)


def test_sse_c_is_not_blamed_without_sse_c_headers(tmp_path: Path) -> None:
    d = diagnose_snapshot(tmp_path, _sse_c_snapshot(), put_text())
    assert verdicts(d)["request-headers"] != "deny"
    assert all(c["layer"] != "request-headers" for c in d["root_causes"])


def _abac_snapshot(status: str) -> dict[str, Any]:
    identity = doc(allow("s3:GetObject", "*", {"StringEquals": {"aws:ResourceTag/team": "red"}}))
    bucket = bucket_part(
        extra_calls={
            "GetBucketAbac": {"AbacStatus": {"Status": status}},
            "GetBucketTagging": {"TagSet": [{"Key": "team", "Value": "red"}]},
        }
    )
    return snapshot(
        principal=role_part(SESSION, role_arn=ROLE, policies={"abac": identity}),
        bucket=bucket,
        organization={"principal_account": not_in_org(OWNER)},
    )


def get_text() -> str:
    return (
        f"An error occurred (AccessDenied) when calling the GetObject operation: User: {SESSION} is not authorized "
        f'to perform: s3:GetObject on resource: "arn:aws:s3:::{BUCKET}/{KEY}"'
    )


def test_abac_bucket_tags_are_resource_tags_only_when_enabled(tmp_path: Path) -> None:
    enabled = diagnose_snapshot(tmp_path, _abac_snapshot("Enabled"), get_text())
    assert verdicts(enabled)["identity"] == "allow", enabled["layers"]
    disabled = diagnose_snapshot(tmp_path, _abac_snapshot("Disabled"), get_text())
    assert verdicts(disabled)["identity"] == "no-allow"
    assert disabled["root_causes"][0]["layer"] == "identity"


DIR_BUCKET = "logs--use1-az4--x-s3"
EXPRESS_ARN = f"arn:aws:s3express:us-east-1:{OWNER}:bucket/{DIR_BUCKET}"


def _express_snapshot() -> dict[str, Any]:
    identity = doc(
        allow("s3express:CreateSession", EXPRESS_ARN, {"StringEquals": {"s3express:SessionMode": "ReadOnly"}})
    )
    bucket = bucket_part()
    bucket["name"] = DIR_BUCKET
    return snapshot(
        principal=role_part(SESSION, role_arn=ROLE, policies={"express": identity}),
        bucket=bucket,
        organization={"principal_account": not_in_org(OWNER)},
    )


def test_a_directory_bucket_is_authorized_by_create_session(tmp_path: Path) -> None:
    text = (
        "An error occurred (AccessDenied) when calling the CreateSession operation: User: "
        f'{SESSION} is not authorized to perform: s3express:CreateSession on resource: "{EXPRESS_ARN}" because no '
        "identity-based policy allows the s3express:CreateSession action"
    )
    # The SDK's default session is ReadWrite: the ReadOnly-only policy denies it.
    d = diagnose_snapshot(tmp_path, _express_snapshot(), text)
    resolved = d["request"]["resolved"]
    assert resolved["actions"] == ["s3express:CreateSession"] and resolved["resource"] == EXPRESS_ARN
    assert d["root_causes"][0]["layer"] == "identity"
    assert verdicts(d)["identity"] == "no-allow"
    # A ReadOnly session is allowed by the same policy.
    ok = diagnose_snapshot(tmp_path, _express_snapshot(), text, "--context", "s3express:SessionMode=ReadOnly")
    assert verdicts(ok)["identity"] == "allow", ok["layers"]


def test_a_create_session_denial_names_the_directory_bucket_to_collect() -> None:
    from bot.account.target import target_for
    from bot.parse import parse_text

    text = (
        f"An error occurred (AccessDenied) when calling the CreateSession operation: User: {SESSION} is not "
        f'authorized to perform: s3express:CreateSession on resource: "{EXPRESS_ARN}"'
    )
    (req,) = parse_text(text).requests
    assert target_for(req).bucket == DIR_BUCKET
