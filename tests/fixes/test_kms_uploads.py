"""Tester findings 4 and 5: a new object's Bucket Key context, and an uploader's larger files (multipart)."""

from __future__ import annotations

from typing import Any

from bot.account.view import account_view
from bot.diagnose import DiagnoseOptions, diagnose
from bot.fixes import propose_fixes
from bot.parse import parse_text
from tests.fixes.support import SESSION, snapshot
from tests.fixes.test_scope_side_kms import ALLOW_S3, ROOT_STATEMENT, _with_key

OPTIONS = DiagnoseOptions(principal=SESSION)
UPLOAD = (
    "upload failed: ./out.json to s3://data-bucket/daily/2026-12-03/out.json An error occurred (AccessDenied) "
    "when calling the PutObject operation: Access Denied"
)
NOT_READ = {"Error": {"Code": "403", "Message": "Forbidden"}}


def _kms_statement(snap: dict[str, Any], text: str) -> tuple[Any, dict[str, Any]]:
    (req,) = parse_text(text).requests
    found = diagnose(req, account_view(snap), OPTIONS)
    assert found.root_causes[0].layer.value == "kms"
    fix = propose_fixes(req, snap, OPTIONS, found, paste=text)[0]
    document = fix.patches[0].document
    assert document is not None
    return fix, document["Statement"][-1]


def _upload_snapshot(*, bucket_key: bool) -> dict[str, Any]:
    snap = _with_key(
        snapshot(identity=[ALLOW_S3], key="daily/2026-12-03/out.json"),
        {"Version": "2012-10-17", "Statement": [ROOT_STATEMENT]},
        bucket_key=bucket_key,
        encrypted=False,
    )
    snap["bucket"]["object"]["calls"]["HeadObject"] = NOT_READ  # the new object: its head could not be read
    return snap


def test_a_new_object_under_a_bucket_key_is_granted_on_the_bucket_arn_and_verified() -> None:
    fix, statement = _kms_statement(_upload_snapshot(bucket_key=True), UPLOAD)
    assert statement["Condition"]["StringEquals"]["kms:EncryptionContext:aws:s3:arn"] == ["arn:aws:s3:::data-bucket"]
    assert fix.verified, fix.reason


def test_a_new_object_without_a_bucket_key_is_granted_on_the_buckets_objects() -> None:
    fix, statement = _kms_statement(_upload_snapshot(bucket_key=False), UPLOAD)
    assert statement["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"] == ["arn:aws:s3:::data-bucket/*"]
    assert fix.verified, fix.reason


def test_an_upload_by_a_tool_that_uploads_in_parts_gets_decrypt_beside_generate_data_key() -> None:
    _, statement = _kms_statement(_upload_snapshot(bucket_key=False), UPLOAD)
    assert sorted(statement["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]


def test_a_single_put_object_call_gets_generate_data_key_only() -> None:
    text = (
        "s3.put_object(Bucket='data-bucket', Key='daily/2026-12-03/out.json', Body=b'{}')\n"
        "botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the PutObject operation: "
        "Access Denied"
    )
    _, statement = _kms_statement(_upload_snapshot(bucket_key=False), text)
    assert statement["Action"] == ["kms:GenerateDataKey"]
