"""`s3why simulate` as CONTRACT.md defines it: the flag form, the batch form, JSON and text output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.engine.support import ACCT, ALICE, BOB, doc, stmt


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "simulate", *args], capture_output=True, text=True, check=False)


def write(tmp_path: Path, name: str, data: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def test_flag_form_with_every_policy_kind(tmp_path: Path) -> None:
    full = doc(stmt(action="*"))
    out = run(
        "--principal", ALICE, "--action", "s3:GetObject", "--resource", "arn:aws:s3:::b/k",
        "--identity-policy", write(tmp_path, "id.json", doc(stmt())),
        "--resource-policy", write(tmp_path, "rp.json", doc(stmt("Deny", Principal="*", Condition={"Bool": {"aws:SecureTransport": "false"}}))),
        "--permissions-boundary", write(tmp_path, "pb.json", doc(stmt(action="s3:*"))),
        "--scp", write(tmp_path, "root.json", [full]), "--scp", write(tmp_path, "ou.json", full),
        "--rcp", write(tmp_path, "rcp.json", []),
        "--vpc-endpoint-policy", write(tmp_path, "vpce.json", doc(stmt(Principal="*"))),
        "--context", "aws:SecureTransport=false", "--json",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["decision"] == "explicit-deny"
    verdicts = {layer["layer"]: layer["verdict"] for layer in data["layers"]}
    assert verdicts == {
        "scp": "allow", "rcp": "allow", "vpc-endpoint-policy": "allow", "identity": "allow",
        "permissions-boundary": "allow", "session-policy": "not-applicable", "bucket-policy": "deny",
    }  # fmt: skip
    assert all({"layer", "verdict", "statements"} <= set(layer) for layer in data["layers"])


def test_repeated_context_key_is_multivalued(tmp_path: Path) -> None:
    policy = write(tmp_path, "id.json", doc(stmt(Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}})))
    base = [
        "--principal",
        ALICE,
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::b/k",
        "--identity-policy",
        policy,
    ]
    ok = run(*base, "--context", "aws:TagKeys=a", "--context", "aws:TagKeys=b", "--json")
    bad = run(*base, "--context", "aws:TagKeys=a", "--context", "aws:TagKeys=c", "--json")
    assert json.loads(ok.stdout)["decision"] == "allow"
    assert json.loads(bad.stdout)["decision"] == "implicit-deny"


def test_batch_form_evaluates_cases_in_order(tmp_path: Path) -> None:
    cases = [
        {"principal": ALICE, "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "identity_policies": [doc(stmt())]},
        {"principal": BOB, "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "resource_owner": ACCT,
         "identity_policies": [doc(stmt())], "resource_policy": doc(stmt(Principal={"AWS": BOB}))},
        {"principal": BOB, "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "resource_owner": ACCT,
         "identity_policies": [doc(stmt())], "scps": [[doc(stmt(action="*"))], []], "context": {"aws:SourceIp": "10.0.0.1"}},
        {"principal": ALICE, "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "rcps": [[doc(stmt("Deny", Principal="*", action="s3:*"))]],
         "identity_policies": [doc(stmt())]},
    ]  # fmt: skip
    out = run("--cases", write(tmp_path, "cases.json", cases), "--json")
    assert out.returncode == 0, out.stderr
    assert [r["decision"] for r in json.loads(out.stdout)["results"]] == [
        "allow",
        "allow",
        "implicit-deny",
        "explicit-deny",
    ]


def test_a_malformed_case_makes_the_file_unreadable_input_naming_each_bad_case(tmp_path: Path) -> None:
    cases = [
        {"principal": ALICE, "action": "s3:GetObject", "resource": "*", "identity_policies": [{"Statement": [{"Effect": "Maybe"}]}]},
        {"principal": ALICE, "action": "s3:GetObject", "resource": "*", "identity_policies": [doc(stmt())]},
        {"action": "s3:GetObject"},
    ]  # fmt: skip
    out = run("--cases", write(tmp_path, "cases.json", cases), "--json")
    assert out.returncode == 2 and out.stdout == "", out.stdout
    (line,) = out.stderr.splitlines()
    assert line.startswith("s3why: case 0") and "Statement[0].Effect" in line and line.endswith("(and 1 more case: 2)")


def test_a_malformed_policy_file_is_a_usage_error_naming_the_place(tmp_path: Path) -> None:
    bad = write(
        tmp_path,
        "bad.json",
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "GetObject", "Resource": "*"}]},
    )
    out = run("--principal", ALICE, "--action", "s3:GetObject", "--resource", "*", "--identity-policy", bad)
    assert out.returncode == 2
    assert "Statement[0].Action" in out.stderr
    assert "Traceback" not in out.stderr


def test_missing_and_unparsable_files_are_usage_errors(tmp_path: Path) -> None:
    base = ["--principal", ALICE, "--action", "s3:GetObject", "--resource", "*"]
    out = run(*base, "--identity-policy", str(tmp_path / "nope.json"))
    assert out.returncode == 2 and "no such file" in out.stderr
    (tmp_path / "x.json").write_text("{")
    out = run(*base, "--identity-policy", str(tmp_path / "x.json"))
    assert out.returncode == 2 and "not valid JSON" in out.stderr


def test_text_output_reads_like_a_checklist(tmp_path: Path) -> None:
    out = run(
        "--principal", ALICE, "--action", "s3:PutObject", "--resource", "arn:aws:s3:::b/k",
        "--identity-policy", write(tmp_path, "id.json", doc(stmt(Sid="ReadOnly"))),
    )  # fmt: skip
    assert out.returncode == 0
    assert out.stdout.startswith("Decision: implicit-deny")
    assert "identity" in out.stdout and "no-allow" in out.stdout
