"""Object Lock read from AWS's own answer shapes, through `s3why diagnose --snapshot --json`: GetObjectRetention
answers `{"Retention": {"Mode", "RetainUntilDate"}}` and GetObjectLegalHold `{"LegalHold": {"Status"}}` (S3 API
Reference); COMPLIANCE retention yields to nobody, GOVERNANCE to the bypass, and an expired retention blocks
nothing (S3 User Guide, "How S3 Object Lock works")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.corners.support import (
    BUCKET,
    KEY,
    OWNER,
    bucket_part,
    diagnose_snapshot,
    error,
    not_in_org,
    role_part,
    snapshot,
    verdicts,
)

ROLE = f"arn:aws:iam::{OWNER}:role/cleaner"
SESSION = f"arn:aws:sts::{OWNER}:assumed-role/cleaner/c"
VERSION = "9d47dc3a-f36d-4428-a8d9-f921bb2a65d5"
DELETE = (
    f"$ aws s3api delete-object --bucket {BUCKET} --key {KEY} --version-id {VERSION}\n"
    "An error occurred (AccessDenied) when calling the DeleteObject operation: Access Denied"
)


def _locked(retention: dict[str, Any] | None, legal_hold: dict[str, Any] | None = None) -> dict[str, Any]:
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": f"arn:aws:s3:::{BUCKET}/*"}],
    }
    bucket = bucket_part(
        extra_calls={
            "GetObjectLockConfiguration": {"ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled"}},
            "GetBucketVersioning": {"Status": "Enabled"},
        }
    )
    calls = bucket["object"]["calls"]
    calls["GetObjectRetention"] = retention if retention is not None else error("NoSuchObjectLockConfiguration")
    calls["GetObjectLegalHold"] = legal_hold if legal_hold is not None else error("NoSuchObjectLockConfiguration")
    return snapshot(
        principal=role_part(SESSION, role_arn=ROLE, policies={"ops": policy}),
        bucket=bucket,
        organization=not_in_org(OWNER),
    )


def test_compliance_retention_as_aws_returns_it_is_named_and_has_no_bypass(tmp_path: Path) -> None:
    snap = _locked({"Retention": {"Mode": "COMPLIANCE", "RetainUntilDate": "2099-01-01T00:00:00+00:00"}})
    d = diagnose_snapshot(tmp_path, snap, DELETE, "--principal", SESSION)
    first = d["root_causes"][0]
    assert first["layer"] == "object-lock", d["root_causes"]
    assert "COMPLIANCE retention until 2099-01-01" in first["summary"], first["summary"]
    assert "None" not in first["summary"] and "GOVERNANCE" not in first["summary"]
    assert all(f["id"] != "object-lock-bypass-governance" for f in d["fixes"])


def test_governance_retention_as_aws_returns_it_names_its_date(tmp_path: Path) -> None:
    snap = _locked({"Retention": {"Mode": "GOVERNANCE", "RetainUntilDate": "2099-01-01T00:00:00+00:00"}})
    d = diagnose_snapshot(tmp_path, snap, DELETE, "--principal", SESSION)
    first = d["root_causes"][0]
    assert first["layer"] == "object-lock", d["root_causes"]
    assert "GOVERNANCE retention until 2099-01-01" in first["summary"], first["summary"]
    assert "None" not in first["summary"]


def test_an_expired_retention_blocks_nothing(tmp_path: Path) -> None:
    snap = _locked({"Retention": {"Mode": "COMPLIANCE", "RetainUntilDate": "2020-01-01T00:00:00+00:00"}})
    d = diagnose_snapshot(tmp_path, snap, DELETE, "--principal", SESSION)
    assert verdicts(d)["object-lock"] == "allow", verdicts(d)
    assert all(c["layer"] != "object-lock" for c in d["root_causes"]), d["root_causes"]


def test_a_legal_hold_as_aws_returns_it_blocks_the_delete(tmp_path: Path) -> None:
    d = diagnose_snapshot(tmp_path, _locked(None, {"LegalHold": {"Status": "ON"}}), DELETE, "--principal", SESSION)
    first = d["root_causes"][0]
    assert first["layer"] == "object-lock" and "legal hold" in first["summary"], d["root_causes"]


def test_a_retention_without_a_readable_date_is_unknown_never_a_lock(tmp_path: Path) -> None:
    snap = _locked({"Retention": {"Mode": "COMPLIANCE"}})
    d = diagnose_snapshot(tmp_path, snap, DELETE, "--principal", SESSION)
    assert verdicts(d)["object-lock"] == "unknown", verdicts(d)
    assert all(c["layer"] != "object-lock" for c in d["root_causes"]), d["root_causes"]
