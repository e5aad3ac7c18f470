"""Issue 20 §2: a request-side fix names the operation's own parameter and a value AWS's S3 model accepts — never a
condition's operand (a Null check's "true") and never a header the operation does not take."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.diagnose import DiagnoseOptions
from bot.fixes.request_params import header_of, parameter_for
from bot.parse import parse_text
from bot.pipeline import Source, diagnose_and_fix
from tests.fixes.support import SESSION, error_text, snapshot

ALLOW_PUT = [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}]


def _deny_unless(operator: str, key: str, value: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RequireHeader",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::data-bucket/*",
                "Condition": {operator: {key: value}},
            }
        ],
    }


def _commands(snap: dict[str, Any], operation: str = "PutObject") -> list[list[str]]:
    (req,) = parse_text(error_text(operation, "data-bucket", "a/b.txt")).requests
    found, _ = diagnose_and_fix(req, DiagnoseOptions(principal=SESSION), Source(snapshot=snap))
    return [p.commands for f in found.fixes if f.verified for p in f.patches if p.kind == "request-change"]


def test_the_header_parameter_comes_from_the_s3_model_with_its_enum() -> None:
    sse = parameter_for("PutObject", "s3:x-amz-server-side-encryption")
    assert sse is not None and sse.member == "ServerSideEncryption"
    assert {"AES256", "aws:kms", "aws:kms:dsse"} <= set(sse.enum) and not sse.accepts("true")
    assert sse.cli_flag == "--server-side-encryption"
    acl = parameter_for("PutObject", "s3:x-amz-acl")
    assert acl is not None and "bucket-owner-full-control" in acl.enum
    lock = parameter_for("PutObject", "s3:object-lock-mode")
    assert (
        lock is not None and lock.header == "x-amz-object-lock-mode" and set(lock.enum) == {"GOVERNANCE", "COMPLIANCE"}
    )
    # GetObject takes no x-amz-server-side-encryption header (only SSE-C's): nothing to send.
    assert parameter_for("GetObject", "s3:x-amz-server-side-encryption") is None
    assert header_of("aws:SecureTransport") is None


def test_a_null_check_operand_is_never_the_value_to_send() -> None:
    snap = snapshot(identity=ALLOW_PUT, bucket_policy=_deny_unless("Null", "s3:x-amz-server-side-encryption", "true"))
    (commands,) = _commands(snap)
    text = "\n".join(commands)
    assert "x-amz-server-side-encryption: true" not in text and "--sse true" not in text
    assert commands[0] == "send the header x-amz-server-side-encryption: AES256"
    assert "aws s3api put-object ... --server-side-encryption AES256" in text
    assert "ServerSideEncryption='AES256'" in text and '.serverSideEncryption("AES256")' in text


def test_the_buckets_default_encryption_is_the_value_offered_when_the_policy_names_none() -> None:
    snap = snapshot(identity=ALLOW_PUT, bucket_policy=_deny_unless("Null", "s3:x-amz-server-side-encryption", "true"))
    snap["bucket"]["calls"]["GetBucketEncryption"] = {
        "ServerSideEncryptionConfiguration": {
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
        }
    }
    (commands,) = _commands(snap)
    assert commands[0] == "send the header x-amz-server-side-encryption: aws:kms"


def test_a_policy_value_outside_the_models_enum_is_not_offered() -> None:
    # "aws:kms-dsse" is not a value S3 accepts: no header value satisfies the Deny, so no request change is verified.
    snap = snapshot(
        identity=ALLOW_PUT,
        bucket_policy=_deny_unless("StringNotEquals", "s3:x-amz-server-side-encryption", "aws:kms-dsse"),
    )
    assert _commands(snap) == []


@pytest.mark.parametrize("flag", ["--json", None])
def test_the_cli_shows_the_valid_header_value(tmp_path: Path, flag: str | None) -> None:
    path = tmp_path / "snap.json"
    snap = snapshot(identity=ALLOW_PUT, bucket_policy=_deny_unless("Null", "s3:x-amz-server-side-encryption", "true"))
    path.write_text(json.dumps(snap))
    args = [sys.executable, "-m", "bot", "diagnose", "--snapshot", str(path), "--principal", SESSION]
    out = subprocess.run(
        [*args, *([flag] if flag else [])],
        input=error_text("PutObject", "data-bucket", "a/b.txt"),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "x-amz-server-side-encryption: AES256" in out
    assert "x-amz-server-side-encryption: true" not in out
