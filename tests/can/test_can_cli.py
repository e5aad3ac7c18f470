"""`s3why can PRINCIPAL ACTION RESOURCE` through the CLI: live against moto in server mode (boto3's HTTP stack,
s3why's own engine judging) and from a snapshot; exit 0 whatever the decision, 2 for what cannot be asked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from tests.account.conftest import OWN, client, policy_json

SNAPSHOTS = Path(__file__).resolve().parent.parent / "fixtures" / "snapshots"
TLS_ONLY = str(SNAPSHOTS / "tls-only.json")
HR_APP = "arn:aws:sts::111122223333:assumed-role/hr-app/run-2"
TRUST = policy_json({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})


@pytest.fixture(autouse=True)
def _reads_object_heads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The emulated account's read role may read object heads (`objects.heads: all`), so the KMS and object
    layers are read, not unknown. An in-process cache per run (REDIS_URL unset): moto is reset between tests, so
    a shared Redis would answer from an earlier test's (or run's) account."""
    monkeypatch.delenv("REDIS_URL", raising=False)
    config = tmp_path / "s3why.yaml"
    config.write_text("objects:\n  heads: all\n")
    monkeypatch.setenv("S3WHY_CONFIG", str(config))


def _can(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(["can", *argv, "--json"])
    out = capsys.readouterr().out
    (one,) = json.loads(out)["diagnoses"]
    return code, one


def _verdicts(d: dict[str, Any]) -> dict[str, str]:
    return {layer["layer"]: layer["verdict"] for layer in d["layers"]}


def _seed_reader(*, grant: bool) -> str:
    """A bucket `reports` with one object, and a role `reader` whose policy grants s3:GetObject on it or not."""
    iam, s3 = client("iam"), client("s3")
    s3.create_bucket(Bucket="reports")
    s3.put_object(Bucket="reports", Key="2026/q3.csv", Body=b"a,b\n")
    role = str(iam.create_role(RoleName="reader", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"])
    action = "s3:GetObject" if grant else "s3:PutObject"
    iam.put_role_policy(
        RoleName="reader",
        PolicyName="read",
        PolicyDocument=policy_json({"Effect": "Allow", "Action": action, "Resource": "arn:aws:s3:::reports/*"}),
    )
    return role


def test_live_allow_when_every_layer_read_allows(moto: str, capsys: pytest.CaptureFixture[str]) -> None:
    role = _seed_reader(grant=True)
    code, d = _can(capsys, f"arn:aws:sts::{OWN}:assumed-role/reader/job-1", "GetObject", "s3://reports/2026/q3.csv")
    assert code == 0
    assert d["decision"] == "allow", d["root_causes"]
    assert _verdicts(d)["identity"] == "allow"
    assert d["request"]["operation"] == "GetObject" and d["request"]["bucket"] == "reports"
    assert d["request"]["error_code"] is None and d["request"]["resolved"]["principal"].endswith("/job-1")
    assert role.endswith(":role/reader")


def test_live_denied_names_the_layer_and_proposes_a_verified_fix(moto: str, capsys: pytest.CaptureFixture[str]) -> None:
    _seed_reader(grant=False)
    code, d = _can(capsys, f"arn:aws:iam::{OWN}:role/reader", "s3:GetObject", "arn:aws:s3:::reports/2026/q3.csv")
    assert code == 0  # a denial is an answer, not a failure
    assert d["decision"] == "implicit-deny"
    assert d["root_causes"][0]["layer"] == "identity"
    assert any(f["verified"] and f["layer"] == "identity" for f in d["fixes"]), d["fixes"]


def test_live_after_the_fix_the_same_question_answers_allow(moto: str, capsys: pytest.CaptureFixture[str]) -> None:
    _seed_reader(grant=False)
    ask = (f"arn:aws:iam::{OWN}:role/reader", "GetObject", "s3://reports/2026/q3.csv", "--no-cache")
    assert _can(capsys, *ask)[1]["decision"] == "implicit-deny"
    client("iam").put_role_policy(
        RoleName="reader",
        PolicyName="read",
        PolicyDocument=policy_json({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}),
    )
    assert _can(capsys, *ask)[1]["decision"] == "allow"


def test_live_an_operation_checks_every_authorization_it_needs(moto: str, capsys: pytest.CaptureFixture[str]) -> None:
    """PutObject with an ACL header also needs s3:PutObjectAcl (S3 API Reference, PutObject "Permissions")."""
    iam, s3 = client("iam"), client("s3")
    s3.create_bucket(Bucket="uploads")
    iam.create_role(RoleName="writer", AssumeRolePolicyDocument=TRUST)
    iam.put_role_policy(
        RoleName="writer",
        PolicyName="put",
        PolicyDocument=policy_json({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::uploads/*"}),
    )
    who = f"arn:aws:iam::{OWN}:role/writer"
    plain = _can(capsys, who, "PutObject", "s3://uploads/a.txt")[1]
    with_acl = _can(
        capsys, who, "PutObject", "s3://uploads/a.txt", "--context", "s3:x-amz-acl=bucket-owner-full-control"
    )[1]
    assert plain["decision"] == "allow"
    assert with_acl["decision"] == "implicit-deny"
    assert "s3:PutObjectAcl" in json.dumps(with_acl["root_causes"][0])


def test_live_unknown_when_a_deciding_layer_cannot_be_read(moto: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The bucket grants another account; s3why has no read role there, so that principal's identity policies
    (which must allow too, cross-account) are unread: `unknown`, never `allow`."""
    s3 = client("s3")
    s3.create_bucket(Bucket="shared-data")
    grant = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "s3:GetObject"}
    s3.put_bucket_policy(Bucket="shared-data", Policy=policy_json({**grant, "Resource": "arn:aws:s3:::shared-data/*"}))
    code, d = _can(capsys, "arn:aws:iam::444455556666:role/outsider", "GetObject", "s3://shared-data/x")
    assert code == 0
    assert d["decision"] == "unknown"
    assert _verdicts(d)["identity"] == "unknown"


def test_snapshot_explicit_deny_with_context(capsys: pytest.CaptureFixture[str]) -> None:
    code, d = _can(
        capsys, HR_APP, "GetObject", "s3://hr-docs/policies/handbook.pdf", "--snapshot", TLS_ONLY,
        "--context", "aws:SecureTransport=false",
    )  # fmt: skip
    assert code == 0
    assert d["decision"] == "explicit-deny"
    assert d["root_causes"][0]["layer"] == "bucket-policy"
    assert d["root_causes"][0]["evidence"]["sid"] == "TlsOnly"


def test_snapshot_allow_over_tls_and_the_arn_form(capsys: pytest.CaptureFixture[str]) -> None:
    code, d = _can(
        capsys, HR_APP, "s3:GetObject", "arn:aws:s3:::hr-docs/policies/handbook.pdf", "--snapshot", TLS_ONLY,
        "--context", "aws:SecureTransport=true",
    )  # fmt: skip
    assert (code, d["decision"]) == (0, "allow")
    assert d["request"]["action"] == "s3:GetObject"


def test_snapshot_of_another_bucket_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["can", HR_APP, "GetObject", "s3://payroll/x", "--snapshot", TLS_ONLY])
    assert code == 2
    assert "holds bucket hr-docs" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("principal", "action", "resource", "says"),
    [
        ("bob", "GetObject", "s3://b/k", "not a caller's ARN"),
        ("arn:aws:iam::111122223333:role/r", "GetObjekt", "s3://b/k", "did you mean GetObject"),
        ("arn:aws:iam::111122223333:role/r", "ec2:RunInstances", "s3://b/k", "S3 actions"),
        ("arn:aws:iam::111122223333:role/r", "GetObject", "arn:aws:sqs:us-east-1:1:q", "not an S3 resource"),
        ("arn:aws:iam::111122223333:role/r", "GetObject", "s3:///k", "names a bucket"),
        ("arn:aws:iam::111122223333:role/r", "GetObject", "s3://b/k?X-Amz-Signature=" + "ab" * 32, "X-Amz-*"),
    ],
)
def test_what_cannot_be_asked_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], principal: str, action: str, resource: str, says: str
) -> None:
    assert main(["can", principal, action, resource]) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1, err
    assert "abab" not in err


def test_text_report_without_json(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["can", HR_APP, "GetObject", "s3://hr-docs/policies/handbook.pdf", "--snapshot", TLS_ONLY,
                 "--context", "aws:SecureTransport=false"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and out.startswith("DENIED (an explicit Deny)") and "TlsOnly" in out


def test_snapshot_a_context_key_not_given_that_denies_is_not_a_plain_allow(capsys: pytest.CaptureFixture[str]) -> None:
    """TlsOnly denies over plain HTTP and aws:SecureTransport is not given: `unknown`, naming where each value
    leads, and no note about an error text (there is none)."""
    code = main(["can", HR_APP, "s3:GetObject", "s3://hr-docs/policies/handbook.pdf", "--snapshot", TLS_ONLY, "--json"])
    d = json.loads(capsys.readouterr().out)["diagnoses"][0]
    assert (code, d["decision"]) == (0, "unknown")
    cause = d["root_causes"][0]
    assert cause["kind"] == "condition" and cause["evidence"]["condition_key"] == "aws:SecureTransport"
    assert "allowed over HTTPS" in cause["summary"] and "denied by TlsOnly" in cause["summary"]
    notes = " ".join(d.get("notes", []))
    assert "error happened" not in notes and "error text" not in notes and "text cannot tell" not in notes
    main(["can", HR_APP, "s3:GetObject", "s3://hr-docs/policies/handbook.pdf", "--snapshot", TLS_ONLY])
    out = capsys.readouterr().out
    assert not out.startswith("ALLOWED") and "error happened" not in out and "error text" not in out, out


@pytest.mark.parametrize("action", ["s3:PutObject", "PutObject", "CreateMultipartUpload"])
def test_snapshot_an_upload_to_a_new_key_needs_no_object_data(capsys: pytest.CaptureFixture[str], action: str) -> None:
    role = "arn:aws:iam::111122223333:role/hr-app"
    code = main(["can", role, action, "s3://hr-docs/policies/new.pdf", "--snapshot", TLS_ONLY, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert json.loads(captured.out)["diagnoses"][0]["request"]["key"] == "policies/new.pdf"


def test_snapshot_of_another_object_is_refused_without_an_option_can_lacks(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["can", HR_APP, "GetObject", "s3://hr-docs/policies/other.pdf", "--snapshot", TLS_ONLY])
    err = capsys.readouterr().err
    assert code == 2 and "holds object policies/handbook.pdf" in err
    assert "--key" not in err and "--bucket" not in err
    main(["can", HR_APP, "GetObject", "s3://payroll/x", "--snapshot", TLS_ONLY])
    assert "--bucket" not in capsys.readouterr().err
