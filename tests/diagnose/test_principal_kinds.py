"""Every kind of principal (issue 19 §2), through `s3why diagnose --snapshot`: the snapshot expresses a session
policy, session tags and a principal s3why cannot read (docs/snapshot.schema.json grows without breaking what is
recorded today); anonymous requests, IAM Identity Center sessions and AWS service principals are told apart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from tests.conftest import ROOT
from tests.diagnose.test_evidence import ACCOUNT, SNAPSHOTS, _run, _with

SCHEMA = json.loads((ROOT / "docs" / "snapshot.schema.json").read_text())
GET_TEXT = (
    "download failed: s3://hr-docs/policies/handbook.pdf to ./handbook.pdf An error occurred (AccessDenied) when "
    "calling the GetObject operation: Access Denied"
)
HTTPS = ("--context", "aws:SecureTransport=true")


def test_every_snapshot_recorded_today_still_loads_by_the_grown_schema() -> None:
    recorded = [*sorted(SNAPSHOTS.glob("*.json")), ROOT / "docs" / "example-snapshot.json"]
    assert len(recorded) >= 6
    for path in recorded:
        jsonschema.validate(json.loads(path.read_text()), SCHEMA)


def _session(**session: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        data["principal"]["session"] = session

    return change


def test_a_session_policy_the_snapshot_records_caps_the_session(tmp_path: Path) -> None:
    listing_only = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::hr-docs"}],
    }
    snap = _with(tmp_path, "tls-only.json", _session(type="web-identity", policy=listing_only))
    jsonschema.validate(json.loads(snap.read_text()), SCHEMA)
    d = _run(GET_TEXT, snap, *HTTPS)
    first = d["root_causes"][0]
    assert first["layer"] == "session-policy", first
    assert d["decision"] == "implicit-deny"
    report = " ".join(_run(GET_TEXT, snap, *HTTPS, as_json=False).split())
    assert "a web identity session (AssumeRoleWithWebIdentity: IRSA, a CI's OIDC token) of role hr-app" in report


def test_session_tags_are_the_sessions_principal_tags(tmp_path: Path) -> None:
    def tagged(data: dict[str, Any]) -> None:
        data["principal"]["session"] = {"type": "assumed-role", "tags": {"team": "payroll"}}
        data["bucket"]["calls"]["GetBucketPolicy"]["Policy"] = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "OnlyHr",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::hr-docs/*",
                        "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "hr"}},
                    }
                ],
            }
        )

    d = _run(GET_TEXT, _with(tmp_path, "tls-only.json", tagged), *HTTPS)
    first = d["root_causes"][0]
    assert (first["layer"], first["evidence"]["sid"]) == ("bucket-policy", "OnlyHr")
    assert first["evidence"]["condition"]["request_values"] == ["payroll"]


def test_a_principal_s3why_cannot_read_is_unknown_for_the_reason_the_snapshot_gives(tmp_path: Path) -> None:
    def unseen(data: dict[str, Any]) -> None:
        data["principal"] = {
            "arn": data["principal"]["arn"],
            "account": ACCOUNT,
            "kind": None,
            "unseen": "no role is configured for s3why in this account",
        }

    snap = _with(tmp_path, "tls-only.json", unseen)
    jsonschema.validate(json.loads(snap.read_text()), SCHEMA)
    d = _run(GET_TEXT, snap, *HTTPS)
    identity = next(layer for layer in d["layers"] if layer["layer"] == "identity")
    assert identity["verdict"] == "unknown" and "no role is configured for s3why" in identity["detail"]
    assert d["decision"] == "unknown"


def test_an_anonymous_request_is_evaluated_as_no_one_and_block_public_access_decides(tmp_path: Path) -> None:
    def public(data: dict[str, Any]) -> None:
        calls = data["bucket"]["calls"]
        calls["GetBucketPolicy"]["Policy"] = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "PublicRead",
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::hr-docs/*",
                    }
                ],
            }
        )
        calls["GetBucketPolicyStatus"] = {"PolicyStatus": {"IsPublic": True}}
        flags = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        calls["GetPublicAccessBlock"] = {
            "PublicAccessBlockConfiguration": {f: f == "RestrictPublicBuckets" for f in flags}
        }

    record = {
        "eventVersion": "1.09",
        "userIdentity": {"type": "AWSAccount", "principalId": "", "accountId": "ANONYMOUS_PRINCIPAL"},
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "errorCode": "AccessDenied",
        "errorMessage": "Access Denied",
        "requestParameters": {"bucketName": "hr-docs", "key": "policies/handbook.pdf"},
        "tlsDetails": {"tlsVersion": "TLSv1.3"},
    }
    snap = _with(tmp_path, "tls-only.json", public)
    d = _run(json.dumps(record), snap)
    assert d["request"]["resolved"]["principal"] == "anonymous"
    assert d["request"]["resolved"]["principal_kind"] == "anonymous"
    assert "from_snapshot" not in d["request"]  # no one signed it: the snapshot's role is not substituted
    first = d["root_causes"][0]
    assert first["layer"] == "block-public-access" and "Sign the request" in first["summary"]


def test_an_identity_center_session_is_told_apart_and_a_policy_naming_an_older_role_is_named(tmp_path: Path) -> None:
    old = (
        f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-2/AWSReservedSSO_DataEng_1111111111111111"
    )
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_DataEng_2222222222222222/alice@example.com"

    def sso(data: dict[str, Any]) -> None:
        data.pop("principal")
        data["target"].pop("principal_arn")
        data["bucket"]["calls"]["GetBucketPolicy"]["Policy"] = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DataEngineers",
                        "Effect": "Allow",
                        "Principal": {"AWS": old},
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::hr-docs/*",
                    }
                ],
            }
        )

    d = _run(GET_TEXT, _with(tmp_path, "tls-only.json", sso), "--principal", session, *HTTPS)
    assert d["request"]["resolved"]["principal_kind"] == "sso-session"
    report = " ".join(
        _run(GET_TEXT, _with(tmp_path, "tls-only.json", sso), "--principal", session, *HTTPS, as_json=False).split()
    )
    assert "an IAM Identity Center session of permission set DataEng" in report
    assert "names AWSReservedSSO_DataEng_1111111111111111, an earlier role of this permission set" in report


def test_an_aws_service_principal_is_granted_only_by_resource_policies(tmp_path: Path) -> None:
    def no_principal(data: dict[str, Any]) -> None:
        data.pop("principal")
        data["target"].pop("principal_arn")

    snap = _with(tmp_path, "tls-only.json", no_principal)
    d = _run(GET_TEXT, snap, "--principal", "logging.s3.amazonaws.com", *HTTPS)
    assert d["request"]["resolved"]["principal_kind"] == "aws-service"
    report = " ".join(_run(GET_TEXT, snap, "--principal", "logging.s3.amazonaws.com", *HTTPS, as_json=False).split())
    assert "only a resource-based policy (bucket, access point or key policy) can grant it" in report


def test_a_cloudfront_origin_access_identity_is_granted_by_the_bucket_policy_alone_but_cannot_read_sse_kms(
    tmp_path: Path,
) -> None:
    example = json.loads((ROOT / "docs" / "example-snapshot.json").read_text())
    oai = "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL"
    example["bucket"]["calls"]["GetBucketPolicy"] = {
        "Policy": json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "Oai",
                        "Effect": "Allow",
                        "Principal": {"AWS": oai},
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::enc-data/*",
                    }
                ],
            }
        )
    }
    example.pop("principal")
    example["target"].pop("principal_arn")
    snap = tmp_path / "oai.json"
    snap.write_text(json.dumps(example))
    text = (
        "download failed: s3://enc-data/x.csv to ./x.csv An error occurred (AccessDenied) when calling the GetObject "
        "operation: Access Denied"
    )
    d = _run(text, snap, "--principal", oai)
    assert d["request"]["resolved"]["principal_kind"] == "cloudfront-oai"
    assert [c["layer"] for c in d["root_causes"]] == ["kms"]  # no identity side: the bucket policy's grant is enough
    assert "origin access control (OAC)" in d["root_causes"][0]["summary"]
    assert all(f["id"] != "identity-allow" for f in d.get("fixes", []))
