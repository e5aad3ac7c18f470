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
