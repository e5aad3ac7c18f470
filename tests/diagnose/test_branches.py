"""What the text cannot tell, shown unasked (issue 12 §2): a condition on a key the paste never shows (HTTPS, the
VPC endpoint, the ACL and encryption headers) becomes a branch — where each value leads — in the JSON, the
terminal report and Slack; a key the person gave is a fact, not a branch. Object actions are never evaluated
against the bucket ARN when the key is unknown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.diagnose.test_evidence import ACCOUNT, SNAPSHOTS, _run, _with

PRINCIPAL = ("--principal", f"arn:aws:sts::{ACCOUNT}:assumed-role/hr-app/run-2")
TEXT = (
    "download failed: s3://hr-docs/policies/handbook.pdf to ./handbook.pdf An error occurred (AccessDenied) when "
    "calling the GetObject operation: Access Denied"
)


def test_an_https_only_bucket_policy_is_a_branch_and_the_likely_cause_when_the_text_cannot_tell() -> None:
    d = _run(TEXT, SNAPSHOTS / "tls-only.json", *PRINCIPAL)
    assert d["decision"] == "unknown"  # allowed over HTTPS, denied over HTTP: never "allowed" against the 403
    first = d["root_causes"][0]
    assert (first["layer"], first["kind"]) == ("bucket-policy", "condition")
    (branch,) = d["request"]["resolved"]["branches"]
    outcomes = {o["value"]: o["decision"] for o in branch["outcomes"]}
    assert branch["key"] == "aws:SecureTransport" and outcomes == {"true": "allow", "false": "explicit-deny"}
    assert "TlsOnly" in first["summary"] and "over plain HTTP" in first["summary"]
    assert {"context": {"aws:SecureTransport": "true"}, "decision": "allow"} in first["evidence"]["alternatives"]
    report = _run(TEXT, SNAPSHOTS / "tls-only.json", *PRINCIPAL, as_json=False)
    assert "denied by TlsOnly in bucket policy of hr-docs over plain HTTP; allowed over HTTPS" in " ".join(
        report.split()
    )


def test_a_key_the_person_gave_is_a_fact_not_a_branch() -> None:
    d = _run(TEXT, SNAPSHOTS / "tls-only.json", *PRINCIPAL, "--context", "aws:SecureTransport=false")
    assert d["decision"] == "explicit-deny"
    assert d["root_causes"][0]["layer"] == "bucket-policy"
    assert d["request"]["resolved"]["branches"] == []


def test_an_object_action_without_a_key_is_never_evaluated_on_the_bucket_arn(tmp_path: Path) -> None:
    text = "An error occurred (AccessDenied) when calling the GetObject operation: Access Denied"

    def no_object(data: dict[str, Any]) -> None:  # a snapshot that holds an object would supply its key
        data["bucket"].pop("object")
        data["target"].pop("key")

    snap = _with(tmp_path, "tls-only.json", no_object)
    d = _run(text, snap, *PRINCIPAL, "--context", "aws:SecureTransport=true")
    resolved = d["request"]["resolved"]
    assert resolved["resource"].startswith("arn:aws:s3:::hr-docs/") and resolved["resource"] != "arn:aws:s3:::hr-docs"
    assert all(a["resource"] != "arn:aws:s3:::hr-docs" for a in resolved["authorizations"])
    report = _run(text, snap, *PRINCIPAL, "--context", "aws:SecureTransport=true", as_json=False)
    assert "does not name the key" in report
