"""Answers that claim only what they checked (issue 19 §3, §4), through `s3why diagnose --snapshot`: a Null check's
operand is never a key's value, a CloudTrail record behind a VPC endpoint carries aws:VpcSourceIp and no
aws:SourceIp, a snapshot's only bucket/object/principal is used when the text is silent (and said), one line per
unreadable thing, the headline never names an Allow, and an organization s3why cannot read is unknown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.diagnose.test_evidence import ACCOUNT, SNAPSHOTS, _run, _with

ROLE_SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/hr-app/run-2"
PRINCIPAL = ("--principal", ROLE_SESSION)
PUT_TEXT = (
    "upload failed: ./a.pdf to s3://hr-docs/policies/a.pdf An error occurred (AccessDenied) when calling the "
    "PutObject operation: Access Denied"
)
GET_TEXT = (
    "download failed: s3://hr-docs/policies/handbook.pdf to ./handbook.pdf An error occurred (AccessDenied) when "
    "calling the GetObject operation: Access Denied"
)


def _bucket_policy(*statements: dict[str, Any]) -> Any:
    def change(data: dict[str, Any]) -> None:
        data["bucket"]["calls"]["GetBucketPolicy"]["Policy"] = json.dumps(
            {"Version": "2012-10-17", "Statement": list(statements)}
        )

    return change


REQUIRE_SSE = _bucket_policy(
    {
        "Sid": "DenyUnencrypted",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::hr-docs/*",
        "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}},
    },
    {
        "Sid": "Writers",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/hr-app"},
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::hr-docs/*",
    },
)


def test_a_null_checks_operand_is_never_a_value_of_the_key(tmp_path: Path) -> None:
    snap = _with(tmp_path, "tls-only.json", REQUIRE_SSE)
    d = _run(PUT_TEXT, snap, *PRINCIPAL)
    first = d["root_causes"][0]
    assert (first["layer"], first["kind"], first["evidence"]["sid"]) == ("bucket-policy", "explicit", "DenyUnencrypted")
    tried = {next(iter(a["context"].values())) for a in first["evidence"]["alternatives"]}
    assert "true" not in tried and None in tried  # "true" is the Null operand, not an encryption type
    assert tried - {None} <= {"AES256", "aws:fsx", "aws:backup", "aws:kms", "aws:kms:dsse"}  # botocore's enum
    report = " ".join(_run(PUT_TEXT, snap, *PRINCIPAL, as_json=False).split())
    assert "s3:x-amz-server-side-encryption absent (Null: true)" in report
    assert "['" not in report and "= true" not in report
    assert "send the header x-amz-server-side-encryption: AES256" in report


def test_a_cloudtrail_record_through_a_vpc_endpoint_carries_no_aws_source_ip(tmp_path: Path) -> None:
    snap = _with(
        tmp_path,
        "tls-only.json",
        _bucket_policy(
            {
                "Sid": "OfficeOnly",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": "arn:aws:s3:::hr-docs/*",
                "Condition": {"NotIpAddress": {"aws:SourceIp": "198.51.100.0/24"}},
            }
        ),
    )
    record = {
        "eventVersion": "1.09",
        "userIdentity": {"type": "AssumedRole", "arn": ROLE_SESSION, "accountId": ACCOUNT},
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "10.1.2.3",
        "errorCode": "AccessDenied",
        "errorMessage": "Access Denied",
        "requestParameters": {"bucketName": "hr-docs", "key": "policies/handbook.pdf"},
        "vpcEndpointId": "vpce-0a1b2c3d4e5f67890",
        "tlsDetails": {"tlsVersion": "TLSv1.3"},
    }
    d = _run(json.dumps(record, indent=2), snap)
    first = d["root_causes"][0]
    assert (first["layer"], first["evidence"]["sid"]) == ("bucket-policy", "OfficeOnly")
    # Behind the endpoint the private address is aws:VpcSourceIp; aws:SourceIp is absent, which is why the
    # NotIpAddress Deny matches (not because 10.1.2.3 is outside the office range).
    assert first["evidence"]["condition"]["request_values"] is None
    assert d["request"]["stated_context"]["aws:VpcSourceIp"] == ["10.1.2.3"]
    assert "aws:SourceIp" not in d["request"]["stated_context"]


def test_the_snapshots_only_bucket_object_and_principal_are_used_when_the_text_is_silent_and_said() -> None:
    text = "An error occurred (AccessDenied) when calling the GetObject operation: Access Denied"
    d = _run(text, SNAPSHOTS / "tls-only.json")
    assert d["request"]["from_snapshot"] == {
        "bucket": "hr-docs",
        "key": "policies/handbook.pdf",
        "principal": ROLE_SESSION,
    }
    resolved = d["request"]["resolved"]
    assert resolved["resource"] == "arn:aws:s3:::hr-docs/policies/handbook.pdf"
    assert d["root_causes"][0]["layer"] == "bucket-policy"  # TlsOnly over plain HTTP: evaluated, not "?"
    report = " ".join(_run(text, SNAPSHOTS / "tls-only.json", as_json=False).split())
    assert "the text names no bucket, key or principal: s3why used the only one snapshot" in report


def test_every_layer_allows_is_never_said_of_a_request_that_was_not_resolved(tmp_path: Path) -> None:
    def no_principal(data: dict[str, Any]) -> None:
        data.pop("principal")
        data["target"].pop("principal_arn")

    snap = _with(tmp_path, "tls-only.json", no_principal)
    report = _run(GET_TEXT, snap, as_json=False)
    assert "which principal made the call?" in report
    assert "every layer s3why can see allows" not in report


def test_one_unreadable_bucket_is_one_line_not_one_per_call(tmp_path: Path) -> None:
    def unreadable(data: dict[str, Any]) -> None:
        denied = {"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}
        data["bucket"]["calls"] = dict.fromkeys(data["bucket"]["calls"], denied)

    report = _run(GET_TEXT, _with(tmp_path, "tls-only.json", unreadable), *PRINCIPAL, as_json=False)
    lines = [line for line in report.splitlines() if line.lstrip().startswith("not seen: bucket hr-docs")]
    assert len(lines) == 1, report
    joined = " ".join(report.split())
    assert "s3:GetBucketPolicy" in joined and "s3:GetBucketAcl" in joined  # every permission still named


def test_the_headline_names_the_denying_statement_never_the_nearest_allow(tmp_path: Path) -> None:
    partner = "arn:aws:iam::444455556666:role/partner"

    def cross_account(data: dict[str, Any]) -> None:
        data.pop("principal")
        data["target"].pop("principal_arn")
        _bucket_policy(
            {
                "Sid": "PartnerThroughEndpoint",
                "Effect": "Allow",
                "Principal": {"AWS": partner},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::hr-docs/*",
                "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1111"}},
            }
        )(data)

    snap = _with(tmp_path, "tls-only.json", cross_account)
    report = _run(GET_TEXT, snap, "--principal", partner, as_json=False)
    headline = report.splitlines()[0]
    assert "bucket-policy" in headline and "no statement allows it" in headline, headline
    assert "PartnerThroughEndpoint" not in headline
    assert "PartnerThroughEndpoint" in report  # the near miss is still shown, below the headline


def _member_of(org: dict[str, Any]) -> Any:
    def change(data: dict[str, Any]) -> None:
        data["organization"] = {"principal_account": {"account": ACCOUNT, "calls": org}}

    return change


def test_an_account_outside_the_organization_s3why_reads_has_unknown_scps_and_they_are_suspects(
    tmp_path: Path,
) -> None:
    snap = _with(
        tmp_path,
        "tls-only.json",
        _member_of(
            {
                "DescribeOrganization": {"Organization": {"Id": "o-reader0001", "MasterAccountId": "999988887777"}},
                "ListParents": {"Error": {"Code": "ChildNotFoundException", "Message": "not found"}},
            }
        ),
    )
    d = _run(GET_TEXT, snap, *PRINCIPAL, "--context", "aws:SecureTransport=true")
    verdicts = {layer["layer"]: layer["verdict"] for layer in d["layers"]}
    assert verdicts["scp"] == "unknown" and verdicts["rcp"] == "unknown"
    assert d["decision"] == "unknown"
    assert d["request"]["resolved"]["suspects"] == ["scp", "rcp"]
    report = " ".join(_run(GET_TEXT, snap, *PRINCIPAL, "--context", "aws:SecureTransport=true", as_json=False).split())
    assert "the suspects are what it could not read (scp, rcp)" in report
    assert "every layer s3why can see allows" not in report


def test_a_member_account_whose_path_s3why_cannot_list_is_unknown_never_not_applicable(tmp_path: Path) -> None:
    snap = _with(
        tmp_path,
        "tls-only.json",
        _member_of(
            {"DescribeOrganization": {"Organization": {"Id": "o-member001", "MasterAccountId": "999988887777"}}}
        ),
    )
    d = _run(GET_TEXT, snap, *PRINCIPAL, "--context", "aws:SecureTransport=true")
    scp = next(layer for layer in d["layers"] if layer["layer"] == "scp")
    assert scp["verdict"] == "unknown" and "were not read" in scp["detail"]


def test_a_new_object_in_a_bucket_key_bucket_is_encrypted_under_the_buckets_arn(tmp_path: Path) -> None:
    example = json.loads((Path(__file__).resolve().parents[2] / "docs" / "example-snapshot.json").read_text())
    key_arn = next(iter(example["kms"]))
    example["bucket"]["calls"]["GetBucketEncryption"] = {
        "ServerSideEncryptionConfiguration": {
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
                    "BucketKeyEnabled": True,
                }
            ]
        }
    }
    example["principal"]["calls"]["RolePolicies"]["app"]["PolicyDocument"]["Statement"][0]["Action"] = [
        "s3:GetObject",
        "s3:PutObject",
    ]
    example["kms"][key_arn]["calls"]["GetKeyPolicy"]["Policy"] = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AppThroughS3ForThisBucket",
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::123456789012:role/app"},
                    "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::enc-data"}},
                }
            ],
        }
    )
    snap = tmp_path / "bucket-key.json"
    snap.write_text(json.dumps(example))
    text = (
        "upload failed: ./y.csv to s3://enc-data/new/y.csv An error occurred (AccessDenied) when calling the "
        "PutObject operation: Access Denied"
    )
    d = _run(text, snap, "--principal", "arn:aws:sts::123456789012:assumed-role/app/run-1")
    kms = next(layer for layer in d["layers"] if layer["layer"] == "kms")
    # With a Bucket Key the context S3 sends KMS is the bucket's ARN, for this new object too: the key admits it.
    assert kms["verdict"] == "allow", kms
    assert all(c["layer"] != "kms" for c in d["root_causes"])


def _bpa(**flags: bool) -> Any:
    def change(data: dict[str, Any]) -> None:
        conf = dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), False
        )
        conf.update(flags)
        data["bucket"]["calls"]["GetPublicAccessBlock"] = {"PublicAccessBlockConfiguration": conf}
        _bucket_policy(
            {
                "Sid": "Team",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/hr-app"},
                "Action": ["s3:PutObject", "s3:PutObjectAcl", "s3:PutBucketPolicy"],
                "Resource": ["arn:aws:s3:::hr-docs", "arn:aws:s3:::hr-docs/*"],
            }
        )(data)

    return change


def test_a_bucket_that_refuses_public_acls_makes_the_uploads_acl_a_branch(tmp_path: Path) -> None:
    snap = _with(tmp_path, "tls-only.json", _bpa(BlockPublicAcls=True))
    d = _run(PUT_TEXT, snap, *PRINCIPAL)
    assert d["decision"] == "unknown"  # allowed without an ACL header, refused with a public one: never "allow"
    first = d["root_causes"][0]
    # A setting's cause (its fix is the request: no ACL, or bucket-owner-full-control), from the branch.
    assert (first["layer"], first["kind"]) == ("block-public-access", "setting")
    (branch,) = [b for b in d["request"]["resolved"]["branches"] if b["key"] == "s3:x-amz-acl"]
    outcomes = {o["value"]: o["decision"] for o in branch["outcomes"]}
    assert outcomes == {"public-read": "implicit-deny", None: "allow"}
    # With the ACL given (a fact, not a branch), the setting decides.
    given = _run(PUT_TEXT, snap, *PRINCIPAL, "--context", "s3:x-amz-acl=public-read")
    assert given["decision"] != "allow" and given["root_causes"][0]["layer"] == "block-public-access"


def test_a_public_grant_header_is_refused_by_block_public_acls(tmp_path: Path) -> None:
    snap = _with(tmp_path, "tls-only.json", _bpa(BlockPublicAcls=True))
    everyone = "s3:x-amz-grant-read=uri=http://acs.amazonaws.com/groups/global/AllUsers"
    d = _run(PUT_TEXT, snap, *PRINCIPAL, "--context", everyone)
    first = d["root_causes"][0]
    assert first["layer"] == "block-public-access" and "x-amz-grant-read" in first["summary"]


def test_block_public_policy_is_checked_against_the_new_document_which_the_text_never_carries(
    tmp_path: Path,
) -> None:
    snap = _with(tmp_path, "tls-only.json", _bpa(BlockPublicPolicy=True))
    text = "An error occurred (AccessDenied) when calling the PutBucketPolicy operation: Access Denied"
    d = _run(text, snap, *PRINCIPAL)
    bpa = next(layer for layer in d["layers"] if layer["layer"] == "block-public-access")
    assert bpa["verdict"] == "unknown" and "BlockPublicPolicy is on (bucket level)" in bpa["detail"]
    # The bucket policy lets hr-app put the policy: AWS refused it anyway, so the document was public (likely).
    first = d["root_causes"][0]
    assert (d["decision"], first["layer"], first["evidence"]["suspect"]) == (
        "implicit-deny",
        "block-public-access",
        True,
    )
    assert "most likely public" in first["summary"]


def test_a_denial_naming_only_a_kms_action_is_diagnosed_over_the_s3_operations_behind_it() -> None:
    example = Path(__file__).resolve().parents[2] / "docs" / "example-snapshot.json"
    key = "arn:aws:kms:us-east-1:123456789012:key/a2b0e2d8-43d7-46b4-8a05-0f74afceb118"
    text = (
        f"User: arn:aws:sts::123456789012:assumed-role/app/run-1 is not authorized to perform: kms:Decrypt on "
        f"resource: {key} because no resource-based policy allows the kms:Decrypt action (Service: S3, Status "
        "Code: 403)"
    )
    d = _run(text, example)
    candidates = d["request"]["operation_candidates"]
    assert candidates[0] == "GetObject"  # S3 asks KMS for kms:Decrypt to read an SSE-KMS object
    assert "HeadObject" not in candidates and "PutObject" not in candidates  # they never ask for kms:Decrypt
    first = d["root_causes"][0]
    assert first["layer"] == "kms"
