"""Tester finding 1: a copy's source is read from the paste; its fix grants read on the source, write only if
missing, verified on both."""

from __future__ import annotations

from typing import Any

import pytest

from bot.account.view import account_view
from bot.diagnose import DiagnoseOptions, diagnose
from bot.fixes import propose_fixes
from bot.parse import parse_text
from tests.fixes.support import SESSION, snapshot

OPTIONS = DiagnoseOptions(principal=SESSION)
DENIED = "An error occurred (AccessDenied) when calling the CopyObject operation: Access Denied"
BOTO3 = (
    "Traceback (most recent call last):\n"
    '  File "/app/etl.py", line 42, in <module>\n'
    '    s3.copy_object(Bucket="curated-zone", Key="sales/2026/12/part.csv", '
    'CopySource={"Bucket": "raw-zone", "Key": "sales/2026/12/part.csv"})\n'
    f"botocore.exceptions.ClientError: {DENIED}"
)
SOURCE = "arn:aws:s3:::raw-zone/sales/2026/12/part.csv"


@pytest.mark.parametrize(
    ("text", "source"),
    [
        (BOTO3, "raw-zone/sales/2026/12/part.csv"),
        (
            f"$ aws s3api copy-object --bucket curated-zone --key a.csv --copy-source raw-zone/x/a.csv\n{DENIED}",
            "raw-zone/x/a.csv",
        ),
        (f"copy failed: s3://raw-zone/x/a.csv to s3://curated-zone/a.csv {DENIED}", "raw-zone/x/a.csv"),
        (
            f"s3.copy_object(Bucket='curated-zone', Key='a', CopySource={{'Bucket': 'raw-zone', 'Key': 'x/a.csv', "
            f"'VersionId': 'v1'}})\n{DENIED}",
            "raw-zone/x/a.csv?versionId=v1",
        ),
        (
            f"CopySource: 'raw-zone/x/a.csv', Bucket: 'curated-zone', Key: 'a'\nAccessDenied: {DENIED}",
            "raw-zone/x/a.csv",
        ),
    ],
)
def test_the_copy_source_the_paste_states_is_in_the_context(text: str, source: str) -> None:
    (req,) = parse_text(text).requests
    assert req.operation == "CopyObject"
    assert dict(req.stated_context)["s3:x-amz-copy-source"] == (source,)


def _fixes(policy: dict[str, Any]) -> tuple[Any, list[Any]]:
    (req,) = parse_text(BOTO3).requests
    snap = snapshot(bucket="curated-zone", key=req.key, identity=[policy])
    found = diagnose(req, account_view(snap), OPTIONS)
    return found, propose_fixes(req, snap, OPTIONS, found, paste=BOTO3)


def _granted(fix: Any, scope: str) -> list[tuple[list[str], list[str]]]:
    (choice,) = [ch for ch in fix.scopes if ch.name == scope]
    return [(st["Action"], st["Resource"]) for p in choice.patches for st in p.document["Statement"]]


def test_a_copy_denied_on_its_source_is_fixed_by_reading_the_source_only() -> None:
    writes = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::curated-zone/*"}]}  # fmt: skip
    found, fixes = _fixes(writes)
    assert found.decision == "implicit-deny"
    assert SOURCE in found.root_causes[0].summary
    fix = fixes[0]
    assert fix.id == "identity-allow" and fix.verified
    assert _granted(fix, "object") == [(["s3:GetObject"], [SOURCE])]


def test_a_copy_denied_on_both_sides_grants_both_and_is_verified() -> None:
    nothing = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}
    _, fixes = _fixes(nothing)
    fix = fixes[0]
    assert fix.verified
    assert _granted(fix, "object") == [
        (["s3:PutObject"], ["arn:aws:s3:::curated-zone/sales/2026/12/part.csv"]),
        (["s3:GetObject"], [SOURCE]),
    ]
