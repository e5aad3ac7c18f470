"""Condition keys a paste states itself, read from headers, AWS CLI options and SDK parameters (and nothing else)."""

from __future__ import annotations

import pytest

from bot.parse import parse_text
from bot.parse.context import stated_keys

CASES = [
    ("x-amz-acl: public-read", [("s3:x-amz-acl", "public-read")]),
    ("X-Amz-Server-Side-Encryption: aws:kms", [("s3:x-amz-server-side-encryption", "aws:kms")]),
    ("'x-amz-server-side-encryption-aws-kms-key-id': b'arn:aws:kms:us-east-1:111122223333:key/k1'",
     [("s3:x-amz-server-side-encryption-aws-kms-key-id", "arn:aws:kms:us-east-1:111122223333:key/k1")]),
    ('"x-amz-acl": ["bucket-owner-full-control"]', [("s3:x-amz-acl", "bucket-owner-full-control")]),
    ("x-amz-object-lock-mode: GOVERNANCE", [("s3:object-lock-mode", "GOVERNANCE")]),
    ("x-amz-create-session-mode: ReadOnly", [("s3express:SessionMode", "ReadOnly")]),
    ("aws s3 cp a s3://b/a --acl bucket-owner-full-control --sse aws:kms --sse-kms-key-id alias/data",
     [("s3:x-amz-acl", "bucket-owner-full-control"), ("s3:x-amz-server-side-encryption", "aws:kms"),
      ("s3:x-amz-server-side-encryption-aws-kms-key-id", "alias/data")]),
    ("s3.upload_file('a', 'b', 'k', ExtraArgs={'ACL': 'public-read', 'ServerSideEncryption': 'AES256'})",
     [("s3:x-amz-acl", "public-read"), ("s3:x-amz-server-side-encryption", "AES256")]),
    ("s3.put_object(Bucket='b', Key='k', SSECustomerAlgorithm='AES256', SSECustomerKey=key)",
     [("s3:x-amz-server-side-encryption-customer-algorithm", "AES256")]),
    ("aws s3 cp a s3://b/a --sse-c AES256 --sse-c-key fileb://k.bin",
     [("s3:x-amz-server-side-encryption-customer-algorithm", "AES256")]),
    ("client.create_session(Bucket='d--use1-az4--x-s3', SessionMode='ReadOnly')", [("s3express:SessionMode", "ReadOnly")]),
    ("aws s3api delete-object --bucket b --key k --version-id 3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY --bypass-governance-retention",
     [("s3:versionid", "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"), ("x-amz-bypass-governance-retention", "true")]),
    ("s3.delete_object(Bucket='b', Key='k', VersionId='v1.a', BypassGovernanceRetention=True)",
     [("s3:versionid", "v1.a"), ("x-amz-bypass-governance-retention", "true")]),
    ("DELETE /k?versionId=Uf3.x2 HTTP/1.1", [("s3:versionid", "Uf3.x2")]),
    ("aws s3 cp s3://open-data/a.bam . --request-payer", [("x-amz-request-payer", "requester")]),
    ("aws s3api get-object --bucket open-data --key a.bam --request-payer requester a.bam",
     [("x-amz-request-payer", "requester")]),
    ("s3.get_object(Bucket='open-data', Key='a.bam', RequestPayer='requester')", [("x-amz-request-payer", "requester")]),
    ("x-amz-request-payer: requester", [("x-amz-request-payer", "requester")]),
    ("x-amz-tagging: velero.io/backup=b1", [("x-amz-tagging", "velero.io/backup=b1")]),
    ("s3.put_object(Bucket='b', Key='k', Body=b, Tagging='team=data')", [("x-amz-tagging", "team=data")]),
    ("x-amz-request-id: 4YJ2B1W9QK3T0P7N x-amz-id-2: abc=", []),
    ("the ACL was fine, encryption was on", []),
]  # fmt: skip


@pytest.mark.parametrize(("text", "want"), CASES, ids=[c[0][:40] for c in CASES])
def test_stated_condition_keys(text: str, want: list[tuple[str, str]]) -> None:
    assert stated_keys(text) == want


def test_a_header_value_starting_with_b_keeps_its_first_letter() -> None:
    # `b` before a quote is Python's bytes prefix (botocore --debug); before a letter it is the value's own.
    text = (
        "PUT /k HTTP/1.1\nHost: b-1.s3.amazonaws.com\nx-amz-acl: bucket-owner-full-control\n\n"
        "HTTP/1.1 403 Forbidden\n<Code>AccessDenied</Code>"
    )
    (req,) = parse_text(text).requests
    assert req.context["s3:x-amz-acl"] == ["bucket-owner-full-control"]


CLI_SCHEMES = [
    ("$ aws s3api get-object --bucket b --key k out\nAn error occurred (AccessDenied) when calling the GetObject "
     "operation: Access Denied", ["true"]),
    ("aws --endpoint-url http://minio.local:9000 s3 cp s3://b/k .\ndownload failed: s3://b/k to ./k An error "
     "occurred (AccessDenied) when calling the GetObject operation: Access Denied", ["false"]),
    ("download failed: s3://b/k to ./k An error occurred (AccessDenied) when calling the GetObject operation: "
     "Access Denied", None),
]  # fmt: skip


@pytest.mark.parametrize(("text", "want"), CLI_SCHEMES, ids=["cli-default", "cli-http-endpoint", "transfer-line-only"])
def test_an_aws_cli_command_in_the_text_states_its_scheme(text: str, want: list[str] | None) -> None:
    """The AWS CLI uses HTTPS unless --endpoint-url says otherwise (AWS CLI reference, --no-verify-ssl); a
    transfer line alone does not show the command, so nothing is stated."""
    from bot.parse import parse_text

    stated = parse_text(text).requests[0].to_json()["stated_context"] or {}
    assert stated.get("aws:SecureTransport") == want
