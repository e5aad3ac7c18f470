"""`s3why can PRINCIPAL s3:ListBucket s3://BUCKET/PREFIX` asks about the listing of PREFIX (tester3 report, D8),
as `aws s3 ls s3://BUCKET/PREFIX` does: ListObjectsV2's `prefix`, the s3:prefix condition key (S3 Service
Authorization Reference: s3:prefix filters s3:ListBucket and s3:ListBucketVersions). An explicit --context wins."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from tests.corners.support import BUCKET, OWNER, bucket_part, not_in_org, snapshot, user_part

ALICE = f"arn:aws:iam::{OWNER}:user/alice"


@pytest.fixture
def homes(tmp_path: Path) -> str:
    listing = {
        "Sid": "ListHome",
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": f"arn:aws:s3:::{BUCKET}",
        "Condition": {"StringLike": {"s3:prefix": ["home/alice/*", "home/alice/"]}},
    }
    snap = snapshot(
        principal=user_part(ALICE, policies={"home": {"Version": "2012-10-17", "Statement": [listing]}}),
        bucket=bucket_part(),
        organization={"principal_account": not_in_org(OWNER)},
    )
    del snap["bucket"]["object"]
    snap["target"] = {"principal_arn": ALICE, "bucket": BUCKET, "key": None}
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(snap))
    return str(path)


def _can(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main(["can", *argv, "--json"]) == 0
    (one,) = json.loads(capsys.readouterr().out)["diagnoses"]
    result: dict[str, Any] = one
    return result


@pytest.mark.parametrize(
    ("action", "prefix", "decision"),
    [
        ("s3:ListBucket", "home/alice/", "allow"),
        ("ListObjectsV2", "home/alice/2026/", "allow"),
        ("s3:ListBucket", "home/bob/", "implicit-deny"),
    ],
)
def test_the_uri_path_of_a_listing_is_its_prefix(
    capsys: pytest.CaptureFixture[str], homes: str, action: str, prefix: str, decision: str
) -> None:
    d = _can(capsys, ALICE, action, f"s3://{BUCKET}/{prefix}", "--snapshot", homes)
    assert d["decision"] == decision, d["root_causes"]
    assert d["request"]["key"] is None
    assert d["request"]["resolved"]["resource"] == f"arn:aws:s3:::{BUCKET}"


def test_a_prefix_given_with_context_wins(capsys: pytest.CaptureFixture[str], homes: str) -> None:
    d = _can(
        capsys,
        ALICE,
        "s3:ListBucket",
        f"s3://{BUCKET}/home/bob/",
        "--snapshot",
        homes,
        "--context",
        "s3:prefix=home/alice/",
    )
    assert d["decision"] == "allow"
