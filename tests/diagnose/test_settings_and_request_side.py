"""S3's own settings as branches and their request-side alternatives (issue 19 §3, issue 20 §2-3), through
`s3why diagnose --snapshot`: BlockPublicPolicy judges the *new* document, which a pasted error never carries; a
bucket with ACLs disabled (or blocking public ACLs) is fixed by the writer's request, with the parameter from
botocore's S3 model; a presigned URL's lifetime is judged by the text's own time and message, never today's clock
when the text says otherwise; a bucket-policy grant that waits on a key only a VPC endpoint sets is the cause; and
another account's bucket policy s3why cannot read is named when the caller's side allows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.diagnose.layers.presigned import lifetime
from bot.parse import parse_text
from tests.diagnose.test_evidence import ACCOUNT, _run, _with

ROLE_SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/hr-app/run-2"
PRINCIPAL = ("--principal", ROLE_SESSION)
ALL_ON = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
PUT_POLICY_TEXT = (
    "An error occurred (AccessDenied) when calling the PutBucketPolicy operation: Access Denied\n"
    "aws s3api put-bucket-policy --bucket hr-docs --policy file://site-policy.json"
)


def _identity(*statements: dict[str, Any]) -> Any:
    def change(data: dict[str, Any]) -> None:
        doc = data["principal"]["calls"]["RolePolicies"]["hr-app"]["PolicyDocument"]
        doc["Statement"] = list(statements)

    return change


def _both(*changes: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        for c in changes:
            c(data)

    return change


def _bpa(level: str, flags: dict[str, bool]) -> Any:
    def change(data: dict[str, Any]) -> None:
        conf = {"PublicAccessBlockConfiguration": flags}
        if level == "account":
            data["bucket"]["account_calls"]["GetPublicAccessBlock"] = conf
        else:
            data["bucket"]["calls"]["GetPublicAccessBlock"] = conf

    return change


def _bucket_policy(*statements: dict[str, Any]) -> Any:
    def change(data: dict[str, Any]) -> None:
        data["bucket"]["calls"]["GetBucketPolicy"] = {
            "Policy": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
        }

    return change


MAY_PUT_POLICY = _identity({"Effect": "Allow", "Action": "s3:PutBucketPolicy", "Resource": "arn:aws:s3:::hr-docs"})


# --- BlockPublicPolicy: the new document is a branch ------------------------------------------------------------
def test_block_public_policy_is_the_likely_cause_of_a_policy_write_every_other_layer_allows(tmp_path: Path) -> None:
    for level in ("bucket", "account"):
        snap = _with(tmp_path, "tls-only.json", _both(MAY_PUT_POLICY, _bpa(level, ALL_ON)))
        d = _run(PUT_POLICY_TEXT, snap, *PRINCIPAL)
        first = d["root_causes"][0]
        assert (d["decision"], first["layer"], first["kind"]) == ("implicit-deny", "block-public-access", "setting")
        assert f"({level} level)" in first["summary"] and first["evidence"]["new_policy_public"] == "unstated"
        branch = next(b for b in d["request"]["resolved"]["branches"] if b["key"] == "s3why:new-policy-public")
        assert {o["value"]: o["decision"] for o in branch["outcomes"]} == {"true": "implicit-deny", "false": "allow"}
        fix = d["fixes"][0]
        assert fix["verified"] and fix["patches"][0]["kind"] == "request-change"
        words = " ".join(fix["patches"][0]["commands"])
        assert words.startswith("send a policy that is not public")
        assert "origin access control" in words and "AWS:SourceArn" in words
        assert "account owner's decision and a high risk" in words  # the setting off: never the first, never silent


def test_a_policy_write_the_identity_does_not_allow_keeps_that_cause_first_and_the_document_as_a_branch(
    tmp_path: Path,
) -> None:
    snap = _with(tmp_path, "tls-only.json", _bpa("bucket", ALL_ON))  # hr-app may only GetObject
    d = _run(PUT_POLICY_TEXT, snap, *PRINCIPAL)
    assert d["root_causes"][0]["layer"] == "identity"
    assert not any(c["layer"] == "block-public-access" for c in d["root_causes"])
    bpa = next(x for x in d["layers"] if x["layer"] == "block-public-access")
    assert bpa["verdict"] == "unknown" and "has not seen the document" in bpa["detail"]


def test_a_document_the_person_says_is_not_public_passes_block_public_policy(tmp_path: Path) -> None:
    snap = _with(tmp_path, "tls-only.json", _both(MAY_PUT_POLICY, _bpa("bucket", ALL_ON)))
    d = _run(PUT_POLICY_TEXT, snap, *PRINCIPAL, "--context", "s3why:new-policy-public=false")
    assert next(x for x in d["layers"] if x["layer"] == "block-public-access")["verdict"] == "allow"
    said_public = _run(PUT_POLICY_TEXT, snap, *PRINCIPAL, "--context", "s3why:new-policy-public=true")
    assert next(x for x in said_public["layers"] if x["layer"] == "block-public-access")["verdict"] == "deny"
    assert said_public["root_causes"][0]["evidence"]["new_policy_public"] == "true"


def test_block_public_policy_off_leaves_a_policy_write_alone(tmp_path: Path) -> None:
    off = dict(ALL_ON, BlockPublicPolicy=False)
    snap = _with(tmp_path, "tls-only.json", _both(MAY_PUT_POLICY, _bpa("bucket", off)))
    d = _run(PUT_POLICY_TEXT, snap, *PRINCIPAL)
    assert not any(c["layer"] == "block-public-access" for c in d["root_causes"])
    assert not any(b["key"] == "s3why:new-policy-public" for b in d["request"]["resolved"].get("branches") or [])


# --- ACLs the bucket refuses: the writer's request changes -------------------------------------------------------
def test_acls_disabled_is_fixed_by_the_request_with_the_operations_own_parameter() -> None:
    snapshots = Path(__file__).parents[1] / "fixtures" / "snapshots"
    text = (
        "upload failed: out/a.zip to s3://modern-bucket/artifacts/a.zip An error occurred "
        "(AccessControlListNotSupported) when calling the CreateMultipartUpload operation: The bucket does not allow "
        "ACLs"
    )
    principal = ("--principal", f"arn:aws:sts::{ACCOUNT}:assumed-role/uploader/run-1")
    d = _run(text, snapshots / "acl-enforced-bpa-on.json", *principal)
    assert (d["decision"], d["root_causes"][0]["layer"]) == ("implicit-deny", "object-ownership")
    fix = d["fixes"][0]
    assert fix["verified"] and {p["kind"] for p in fix["patches"]} == {"request-change"}
    drop, owner = fix["patches"]
    assert " ".join(drop["commands"]).startswith("do not send an ACL")
    assert owner["commands"][0] == "send the header x-amz-acl: bucket-owner-full-control"
    # botocore's model: CreateMultipartUpload's member ACL, header x-amz-acl, CLI --acl.
    said = " ".join(owner["commands"])
    assert "aws s3api create-multipart-upload ... --acl bucket-owner-full-control" in said
    assert "ACL='bucket-owner-full-control'" in said
    assert "--acl" in " ".join(drop["commands"])


# --- presigned URL: the lifetime by the text's own evidence ------------------------------------------------------
_URL = (
    "PUT https://up.s3.eu-west-1.amazonaws.com/u/a.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
    "AKIAIOSFODNN7EXAMPLE%2F20200415%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Date=20200415T091530Z&X-Amz-Expires=300"
    "&X-Amz-SignedHeaders=host&X-Amz-Signature=" + "0" * 64
)


def _lifetime_of(text: str) -> tuple[bool | None, str]:
    (req,) = parse_text(text).requests
    assert req.presigned is not None
    return lifetime(req.presigned, now=lambda: datetime(2026, 12, 3, tzinfo=UTC))


def test_a_presigned_urls_lifetime_is_judged_by_the_texts_time_not_todays_clock() -> None:
    body = "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
    expired, how = _lifetime_of(f"{_URL}\n403 Forbidden\nDate: Wed, 15 Apr 2020 09:16:02 GMT\n{body}")
    assert expired is False and "2020-04-15T09:16:02+00:00" in how
    expired, how = _lifetime_of(f"{_URL}\n403 Forbidden\nDate: Wed, 15 Apr 2020 10:16:02 GMT\n{body}")
    assert expired is True and "Date" not in how and "2020-04-15T10:16:02" in how
    # A log timestamp without a time zone cannot settle five minutes either way.
    expired, how = _lifetime_of(f"2020-04-15 09:16:02,100 {_URL}\n403 Forbidden\n{body}")
    assert expired is None and "no time zone" in how
    expired, how = _lifetime_of(f"{_URL}\n403 Forbidden\n{body}")
    assert expired is True and "now" in how  # only a text with no time of its own is compared with now


def test_access_denied_on_an_old_presigned_url_is_not_called_expired(tmp_path: Path) -> None:
    snap = _with(tmp_path, "tls-only.json", lambda data: None)
    url = _URL.replace("up.s3.eu-west-1", "hr-docs.s3.us-east-1").replace("/u/a.jpg", "/policies/a.pdf")
    plain = f"{url}\n403 Forbidden\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
    d = _run(plain, snap, *PRINCIPAL)
    presigned = next(x for x in d["layers"] if x["layer"] == "presigned-url")
    assert presigned["verdict"] == "allow" and "still valid when it was refused" in presigned["detail"]
    assert d["root_causes"][0]["layer"] == "identity"  # hr-app may not PutObject: the signer's permission
    expired = plain.replace("<Message>Access Denied</Message>", "<Message>Request has expired</Message>")
    d = _run(expired, snap, *PRINCIPAL)
    assert d["root_causes"][0]["layer"] == "presigned-url"


# --- network path: keys only a VPC endpoint sets -----------------------------------------------------------------
VPC_ONLY = _bucket_policy(
    {
        "Sid": "FromTheVpc",
        "Effect": "Allow",
        "Principal": "*",
        "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": "arn:aws:s3:::hr-docs/*",
        "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-0a1b2c3d"}},
    }
)
PUT_TEXT = (
    "upload failed: ./a.pdf to s3://hr-docs/policies/a.pdf An error occurred (AccessDenied) when calling the "
    "PutObject operation: Access Denied"
)


def test_a_grant_waiting_on_an_endpoint_only_key_is_the_cause_with_the_endpoint_as_the_fix(tmp_path: Path) -> None:
    snap = _with(tmp_path, "tls-only.json", VPC_ONLY)
    d = _run(PUT_TEXT, snap, *PRINCIPAL)
    first = d["root_causes"][0]
    assert (d["decision"], first["layer"], first["kind"]) == ("implicit-deny", "bucket-policy", "condition")
    assert first["evidence"]["sid"] == "FromTheVpc" and "only for a request through a VPC endpoint" in first["summary"]
    assert "removing the condition would open the grant to everyone" in first["summary"]
    endpoint = next(f for f in d["fixes"] if f["id"] == "network-path")
    (change,) = endpoint["patches"]
    assert endpoint["verified"] and change["kind"] == "request-change"
    assert "from VPC vpc-0a1b2c3d through a gateway VPC endpoint" in " ".join(change["commands"])
    assert not any(p["kind"] == "bucket-policy" for f in d["fixes"] for p in f["patches"])  # the condition stays
    # Through the endpoint, the same request is allowed by that statement.
    through = _run(PUT_TEXT, snap, *PRINCIPAL, "--context", "aws:SourceVpc=vpc-0a1b2c3d")
    assert next(x for x in through["layers"] if x["layer"] == "bucket-policy")["verdict"] == "allow"


def test_a_grant_on_a_key_every_request_carries_is_not_called_a_network_path_problem(tmp_path: Path) -> None:
    https_only = _bucket_policy(
        {
            "Sid": "HttpsWriters",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::hr-docs/*",
            "Condition": {"StringEquals": {"aws:PrincipalAccount": "999988887777"}},
        }
    )
    d = _run(PUT_TEXT, _with(tmp_path, "tls-only.json", https_only), *PRINCIPAL)
    assert d["root_causes"][0]["layer"] == "identity"
    assert not any("VPC endpoint" in c["summary"] for c in d["root_causes"])


# --- another account's bucket policy that s3why cannot read -------------------------------------------------------
def test_another_accounts_unreadable_bucket_policy_is_named_when_the_callers_side_allows(tmp_path: Path) -> None:
    def foreign(data: dict[str, Any]) -> None:
        data["bucket"]["account"] = "444455556666"
        data["bucket"]["calls"]["GetBucketPolicy"] = {"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}
        data["bucket"]["calls"]["GetBucketPolicyStatus"] = {"Error": {"Code": "AccessDenied", "Message": "x"}}

    allow_get = _identity({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::hr-docs/*"})
    text = (
        "download failed: s3://hr-docs/policies/handbook.pdf to ./handbook.pdf An error occurred (AccessDenied) when "
        "calling the GetObject operation: Access Denied"
    )
    d = _run(text, _with(tmp_path, "tls-only.json", _both(foreign, allow_get)), *PRINCIPAL)
    first = d["root_causes"][0]
    assert (d["decision"], first["layer"]) == ("implicit-deny", "bucket-policy")
    assert first["evidence"]["suspect"] is True and "444455556666" in first["summary"]
    assert "bucket owner's change" in first["summary"]
    assert not any(c["layer"] == "identity" for c in d["root_causes"])
    assert not any(f["verified"] and any(p["kind"] != "request-change" for p in f["patches"]) for f in d["fixes"])
    # The caller's side missing too: that is what its account can fix, named first.
    d = _run(text, _with(tmp_path, "tls-only.json", _both(foreign, _identity())), *PRINCIPAL)
    assert d["root_causes"][0]["layer"] == "identity"
