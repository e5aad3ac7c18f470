"""`s3why simulate` refuses what is not a principal, an action or a policy, with exit 2 and one line naming it
(CONTRACT.md), and says "no endpoint policy given" when the request names an endpoint but no policy for it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.simulate_cli import action_problem, principal_problem

ROLE = "arn:aws:iam::111122223333:role/app"
OBJ = "arn:aws:s3:::team-data/a.txt"
POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


def simulate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "simulate", *args], capture_output=True, text=True, check=False)


def _one_line(out: subprocess.CompletedProcess[str]) -> str:
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("s3why: "), out.stderr
    return lines[0]


@pytest.mark.parametrize("principal", ["bob", "arn:aws:s3:::team-data", "arn:aws:iam::111122223333:group/devs",
                                       "arn:aws:iam::acct:role/app", "role/app"])  # fmt: skip
def test_what_is_not_a_principal_is_refused(principal: str) -> None:
    line = _one_line(simulate("--principal", principal, "--action", "s3:GetObject", "--resource", OBJ))
    assert f"--principal {principal!r}" in line and "arn:aws:iam::111122223333:role/app" in line


@pytest.mark.parametrize("principal", [ROLE, "arn:aws:sts::111122223333:assumed-role/app/run-1",
                                       "arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:root",
                                       "arn:aws:sts::111122223333:federated-user/bob", "111122223333",
                                       "cloudfront.amazonaws.com", "anonymous", "*",
                                       "arn:aws-cn:iam::111122223333:role/app"])  # fmt: skip
def test_every_kind_of_principal_is_accepted(principal: str) -> None:
    assert principal_problem(principal) is None


def test_an_unknown_action_is_refused_with_the_near_miss() -> None:
    line = _one_line(simulate("--principal", ROLE, "--action", "s3:GetObjekt", "--resource", OBJ))
    assert line == "s3why: --action 's3:GetObjekt': s3 has no action 'GetObjekt' (did you mean s3:GetObject?)"
    assert "no AWS service has the prefix 's4'" in _one_line(
        simulate("--principal", ROLE, "--action", "s4:GetObject", "--resource", OBJ)
    )
    assert "a pattern" in _one_line(simulate("--principal", ROLE, "--action", "s3:Get*", "--resource", OBJ))
    assert "SERVICE:Action" in _one_line(simulate("--principal", ROLE, "--action", "GetObject", "--resource", OBJ))


@pytest.mark.parametrize("action", ["s3:GetObject", "s3:getobject", "s3:BypassGovernanceRetention",
                                    "s3:PutStorageLensConfiguration", "kms:Decrypt", "kms:GenerateDataKey",
                                    "s3express:CreateSession", "sts:AssumeRole", "s3-object-lambda:GetObject"])  # fmt: skip
def test_actions_aws_defines_are_accepted(action: str) -> None:
    assert action_problem(action) is None


@pytest.mark.parametrize(("content", "says"), [
    ("not json at all", "not valid JSON"),
    (json.dumps("a string"), "holds a JSON string, not a policy document"),
    (json.dumps([POLICY]), "holds a JSON list, not a policy document"),
    (json.dumps({"resource": {"aws_s3_bucket": {}}}), "unknown top-level element"),
    (json.dumps({"Version": "2012-10-17"}), "has no Statement"),
])  # fmt: skip
def test_a_file_that_is_not_a_policy_is_refused(tmp_path: Path, content: str, says: str) -> None:
    path = tmp_path / "identity.json"
    path.write_text(content)
    args = ("--principal", ROLE, "--action", "s3:GetObject", "--resource", OBJ, "--identity-policy", str(path))
    line = _one_line(simulate(*args))
    assert says in line and str(path) in line and "identity policy" in line


def test_a_case_with_a_bad_principal_or_action_is_unreadable_input(tmp_path: Path) -> None:
    """CONTRACT.md defines each result of --cases as {"decision", "layers"} and no error result: a file holding a
    case that cannot be read is unreadable input, exit 2 with one line naming the first and the others."""
    cases: list[dict[str, Any]] = [
        {"principal": "bob", "action": "s3:GetObject", "resource": OBJ},
        {"principal": ROLE, "action": "s3:GetObjekt", "resource": OBJ},
        {"principal": ROLE, "action": "s3:GetObject", "resource": OBJ, "identity_policies": [POLICY]},
    ]
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases))
    line = _one_line(simulate("--cases", str(path), "--json"))
    assert line.startswith("s3why: case 0: principal 'bob'") and line.endswith("(and 1 more case: 1)"), line
    assert _one_line(simulate("--cases", str(path))) == line  # the text output too
    path.write_text(json.dumps(cases[1:]))
    assert "did you mean s3:GetObject?" in _one_line(simulate("--cases", str(path), "--json"))
    path.write_text(json.dumps(cases[2:]))
    out = simulate("--cases", str(path), "--json")
    assert out.returncode == 0 and json.loads(out.stdout)["results"][0]["decision"] == "allow"


def test_an_endpoint_without_its_policy_says_no_endpoint_policy_given() -> None:
    out = simulate("--principal", ROLE, "--action", "s3:GetObject", "--resource", OBJ,
                   "--context", "aws:SourceVpce=vpce-1a2b3c4d", "--json")  # fmt: skip
    assert out.returncode == 0, out.stderr
    layer = next(x for x in json.loads(out.stdout)["layers"] if x["layer"] == "vpc-endpoint-policy")
    assert layer["verdict"] == "not-applicable" and layer["detail"] == "no endpoint policy given"
    plain = simulate("--principal", ROLE, "--action", "s3:GetObject", "--resource", OBJ, "--json")
    layer = next(x for x in json.loads(plain.stdout)["layers"] if x["layer"] == "vpc-endpoint-policy")
    assert layer["detail"] == "the request did not go through a VPC endpoint"


@pytest.mark.parametrize("resource", ["notanarn", "team-data/a.txt", "arn:aws:s3", "s3://team-data/a.txt"])
def test_a_resource_that_is_neither_an_arn_nor_a_star_is_refused(resource: str) -> None:
    line = _one_line(simulate("--principal", ROLE, "--action", "s3:GetObject", "--resource", resource))
    assert line.startswith(f"s3why: --resource {resource!r}: not an ARN or *"), line


@pytest.mark.parametrize("owner", ["abc", "11112222333", "1111222233334", " 111122223333x"])
def test_a_resource_owner_that_is_not_an_account_id_is_refused(owner: str) -> None:
    args = ("--principal", ROLE, "--action", "s3:GetObject", "--resource", OBJ, "--resource-owner", owner)
    assert _one_line(simulate(*args)) == "s3why: --resource-owner: expected a 12-digit account id"


def test_a_star_resource_and_an_account_owner_are_accepted() -> None:
    args = ("--principal", ROLE, "--action", "s3:ListAllMyBuckets", "--resource", "*")
    out = simulate(*args, "--resource-owner", "111122223333", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["decision"] == "implicit-deny"


def test_a_case_with_a_bad_resource_or_owner_is_unreadable_input(tmp_path: Path) -> None:
    cases: list[dict[str, Any]] = [
        {"principal": ROLE, "action": "s3:GetObject", "resource": "notanarn", "identity_policies": [POLICY]},
        {"principal": ROLE, "action": "s3:GetObject", "resource": OBJ, "resource_owner": "abc"},
        {"principal": ROLE, "action": "s3:GetObject", "resource": OBJ, "resource_owner": 111122223333},
        {"principal": ROLE, "action": "s3:GetObject", "resource": OBJ, "resource_owner": "111122223333",
         "identity_policies": [POLICY]},
    ]  # fmt: skip
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases))
    line = _one_line(simulate("--cases", str(path), "--json"))
    assert line.startswith("s3why: case 0: resource 'notanarn': not an ARN or *"), line
    assert line.endswith("(and 2 more cases: 1, 2)"), line
    for i in (1, 2):
        path.write_text(json.dumps(cases[i : i + 1]))
        line = _one_line(simulate("--cases", str(path), "--json"))
        assert line == "s3why: case 0: resource_owner: expected a 12-digit account id"
    path.write_text(json.dumps(cases[3:]))
    out = simulate("--cases", str(path), "--json")
    assert out.returncode == 0 and json.loads(out.stdout)["results"][0]["decision"] == "allow"


def test_the_text_output_says_the_decision_once(tmp_path: Path) -> None:
    path = tmp_path / "identity.json"
    path.write_text(json.dumps(POLICY))
    out = simulate("--principal", ROLE, "--action", "s3:GetObject", "--resource", OBJ, "--identity-policy", str(path))
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "Decision: allow"
    denied = simulate("--principal", ROLE, "--action", "s3:GetObject", "--resource", OBJ)
    first = denied.stdout.splitlines()[0]
    assert first.startswith("Decision: implicit-deny — ") and first.count("implicit-deny") == 1, first


def test_simulate_says_which_resource_owner_it_assumed(tmp_path: Path) -> None:
    """Without --resource-owner the owner is assumed (CONTRACT.md): said once on standard error, never in --json."""
    policy = tmp_path / "p.json"
    policy.write_text(json.dumps(POLICY))
    base = ("--principal", ROLE, "--action", "s3:GetObject", "--identity-policy", str(policy), "--json")
    s3 = simulate(*base, "--resource", OBJ)  # S3 ARNs carry no account: the principal's
    assert s3.returncode == 0 and json.loads(s3.stdout)["decision"] == "allow"
    assert s3.stderr.strip().splitlines() == [
        "s3why: assumed resource owner 111122223333 (the principal's account: the resource ARN names none); "
        "give --resource-owner ACCOUNT to change it"
    ]
    key = simulate(*base, "--resource", "arn:aws:kms:us-east-1:444455556666:key/k1")  # the ARN's account
    assert key.returncode == 0 and json.loads(key.stdout)["decision"]
    assert "assumed resource owner 444455556666 (the resource ARN's account)" in key.stderr
    assert len(key.stderr.strip().splitlines()) == 1
    given = simulate(*base, "--resource", OBJ, "--resource-owner", "444455556666")
    assert given.returncode == 0 and given.stderr == ""
