"""Partial requests (issue 12 §2): an unknown operation is explored over its candidates, `--operation`,
`--bucket` and `--key` fill in what the text does not say, and a snapshot of another bucket, object or
principal is refused rather than substituted. Through `s3why diagnose --snapshot`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import FIXTURES

TLS_ONLY = FIXTURES / "snapshots" / "tls-only.json"
ROLE_SESSION = "arn:aws:sts::111122223333:assumed-role/hr-app/run-2"
# The text names the object and the principal, and that the request was denied, but not the operation.
NO_OPERATION = (
    "botocore.exceptions.ClientError: An error occurred (AccessDenied): Access Denied "
    f"(s3://hr-docs/policies/handbook.pdf as {ROLE_SESSION})"
)


def _run(text: str, *args: str, snapshot: Path = TLS_ONLY) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "bot", "diagnose", "--snapshot", str(snapshot), *args]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}
    return subprocess.run(cmd, input=text, capture_output=True, text=True, env=env, check=False)


def _json(text: str, *args: str, snapshot: Path = TLS_ONLY) -> dict[str, Any]:
    out = _run(text, *args, "--json", snapshot=snapshot)
    assert out.returncode == 0, out.stderr
    (d,) = json.loads(out.stdout)["diagnoses"]
    return d  # type: ignore[no-any-return]


def test_an_unknown_operation_is_evaluated_over_the_plausible_ones_never_on_the_bucket_arn() -> None:
    d = _json(NO_OPERATION, "--principal", ROLE_SESSION, "--context", "aws:SecureTransport=false")
    candidates = d["request"]["operation_candidates"]
    assert candidates == ["GetObject", "HeadObject", "PutObject", "DeleteObject"]
    # Every candidate over HTTP is denied by the same statement: said once, for all of them.
    assert d["decision"] == "explicit-deny"
    first = d["root_causes"][0]
    assert first["layer"] == "bucket-policy" and first["evidence"]["sid"] == "TlsOnly"
    assert first["summary"].startswith("whichever it was (GetObject, HeadObject, PutObject, DeleteObject)")
    assert {c["operation"] for c in first["evidence"]["candidates"]} == set(candidates)
    # an object operation is never evaluated against the bucket's ARN
    assert d["request"]["resolved"]["resource"] != "arn:aws:s3:::hr-docs"
    assert d["fixes"] == []


def test_the_text_report_says_which_operations_were_evaluated_and_how_to_name_one() -> None:
    out = _run(NO_OPERATION, "--principal", ROLE_SESSION)
    assert out.returncode == 0, out.stderr
    head = out.stdout.splitlines()[0]
    assert head.startswith("UNDECIDED: the text does not name the operation")
    assert "one of GetObject / HeadObject / PutObject / DeleteObject" in out.stdout
    assert "--operation OP" in out.stdout


def test_candidates_that_disagree_make_the_answer_unknown_and_list_each() -> None:
    text = f"An error occurred (AccessDenied): Access Denied for {ROLE_SESSION} on s3://hr-docs/policies/handbook.pdf"
    out = _run(text, "--principal", ROLE_SESSION)
    assert out.returncode == 0, out.stderr
    assert "GetObject" in out.stdout and "PutObject" in out.stdout
    d = _json(text, "--principal", ROLE_SESSION)
    assert d["decision"] in ("unknown", "implicit-deny", "explicit-deny")
    assert d["decision"] != "allow"
    assert d["request"]["operation_candidates"]


def test_operation_bucket_and_key_options_win_over_the_text() -> None:
    d = _json(
        "An error occurred (AccessDenied) when calling the GetObject operation: Access Denied",
        "--operation",
        "PutObject",
        "--bucket",
        "hr-docs",
        "--key",
        "policies/handbook.pdf",
        "--principal",
        ROLE_SESSION,
        "--context",
        "aws:SecureTransport=false",
    )
    assert d["request"]["operation"] == "PutObject"
    assert d["request"]["resolved"]["resource"] == "arn:aws:s3:::hr-docs/policies/handbook.pdf"
    assert "s3:PutObject" in d["request"]["resolved"]["actions"]
    assert d["decision"] == "explicit-deny"


def test_an_unknown_operation_option_is_refused_with_the_nearest_names() -> None:
    out = _run(
        "An error occurred (AccessDenied) when calling the GetObject operation: Access Denied",
        "--operation",
        "GetObjekt",
        "--principal",
        ROLE_SESSION,
    )
    assert out.returncode == 2
    assert "GetObjekt" in out.stderr and "GetObject" in out.stderr
    assert "Traceback" not in out.stderr


def test_a_snapshot_of_another_bucket_is_refused_not_substituted() -> None:
    text = (
        "An error occurred (AccessDenied) when calling the GetObject operation: "
        f"User: {ROLE_SESSION} is not authorized to perform: s3:GetObject on resource: "
        '"arn:aws:s3:::payroll/2026/11.csv" because no identity-based policy allows the s3:GetObject action'
    )
    out = _run(text, "--json")
    assert out.returncode == 2
    assert "hr-docs" in out.stderr and "payroll" in out.stderr and "--bucket" in out.stderr
    assert out.stdout == ""


def test_a_snapshot_of_another_principal_is_refused_but_another_session_of_the_role_is_not() -> None:
    base = 'An error occurred (AccessDenied) when calling the GetObject operation: User: {p} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::hr-docs/policies/handbook.pdf"'
    other_role = _run(base.format(p="arn:aws:sts::111122223333:assumed-role/finance/x"), "--json")
    assert other_role.returncode == 2 and "finance" in other_role.stderr and "s3why snapshot" in other_role.stderr
    same_role = _run(base.format(p="arn:aws:sts::111122223333:assumed-role/hr-app/run-9"), "--json")
    assert same_role.returncode == 0, same_role.stderr


def test_a_snapshot_of_another_object_is_refused_unless_key_says_so() -> None:
    text = (
        "An error occurred (AccessDenied) when calling the GetObject operation: "
        f"User: {ROLE_SESSION} is not authorized to perform: s3:GetObject on resource: "
        '"arn:aws:s3:::hr-docs/other.pdf"'
    )
    refused = _run(text, "--json")
    assert refused.returncode == 2 and "other.pdf" in refused.stderr
    d = _json(text, "--key", "policies/handbook.pdf")
    assert d["request"]["key"] == "policies/handbook.pdf"


def test_a_requester_pays_denial_gets_its_fix_even_when_the_operation_is_one_of_several() -> None:
    """s3a's getFileStatus may be a HeadObject or a ListObjectsV2: both are refused by the Requester Pays bucket
    first, and x-amz-request-payer fixes either (S3 User Guide, Requester Pays), so the fix is proposed."""
    from bot.account.view import account_view
    from bot.diagnose import DiagnoseOptions
    from bot.diagnose.candidates import diagnose_request
    from bot.field.build import compile_account
    from bot.field.case import Case
    from bot.fixes import propose_fixes
    from bot.parse import parse_text

    text = (
        "java.nio.file.AccessDeniedException: s3a://open-data-rp/reads/a.bam: getFileStatus on "
        "s3a://open-data-rp/reads/a.bam: com.amazonaws.services.s3.model.AmazonS3Exception: Forbidden (Service: "
        "Amazon S3; Status Code: 403; Error Code: 403 Forbidden; Request ID: 3AD1F8B2C7E94D10)"
    )
    role = "arn:aws:iam::111122223333:role/emr-ec2"
    everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    public = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "111122223333"},
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": ["arn:aws:s3:::open-data-rp", "arn:aws:s3:::open-data-rp/*"],
            }
        ],
    }
    case = Case.model_validate(
        {
            "id": "rp",
            "source": "https://example.invalid/t",
            "tool": "spark",
            "settled_by": "test",
            "text": text,
            "account": {
                "principal": {"arn": role, "inline": {"all": everything}},
                "bucket": {
                    "name": "open-data-rp",
                    "account": "777788889999",
                    "requester_pays": True,
                    "policy": public,
                    "object": {"key": "reads/a.bam"},
                },
            },
            "expected": {"layer": "requester-pays", "decision": "implicit-deny"},
            "resolution": {"summary": "test"},
        }
    )
    snap = compile_account(case)
    req = parse_text(text).requests[0]
    assert req.operation is None and len(req.operation_candidates) > 1
    d, settled, fixable = diagnose_request(req, account_view(snap), DiagnoseOptions(principal=role))
    assert d.root_causes[0].layer.value == "requester-pays" and fixable is True
    fixes = propose_fixes(req, snap, settled, d)
    assert fixes and fixes[0].verified
    assert any(p.apply.get("context", {}).get("x-amz-request-payer") == "requester" for p in fixes[0].patches)
