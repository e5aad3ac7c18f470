"""AWS's documented corners and the keys AWS always sets, through `s3why simulate --cases` (docs/semantics.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.engine.support import ACCT, OTHER, doc, stmt

ORG = "o-exampleorg1"
MGMT = "999999999999"
BUCKET_OBJ = "arn:aws:s3:::data-bucket/k"


def simulate_cases(tmp_path: Path, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases))
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "simulate", "--cases", str(path), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    results: list[dict[str, Any]] = json.loads(proc.stdout)["results"]
    return results


def decisions(tmp_path: Path, cases: list[dict[str, Any]]) -> list[str]:
    return [r["decision"] for r in simulate_cases(tmp_path, cases)]


# The data-perimeter RCP of AWS's data-perimeter-policy-examples: only the organization's identities, and AWS
# services acting for it, may reach its S3 resources.
PERIMETER_RCP = doc(
    stmt(
        "Deny",
        action=["s3:*"],
        Principal="*",
        Condition={
            "StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG},
            "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
        },
        Sid="EnforceOrgIdentities",
    )
)


def test_data_perimeter_rcp_denies_outsiders_and_admits_the_organization(tmp_path: Path) -> None:
    grant_all = doc(stmt(action="s3:*", Principal={"AWS": [ACCT, OTHER]}))
    base = {
        "action": "s3:GetObject",
        "resource": BUCKET_OBJ,
        "resource_owner": ACCT,
        "identity_policies": [doc(stmt(action="s3:*"))],
        "resource_policy": grant_all,
        "rcps": [[PERIMETER_RCP]],
    }
    got = decisions(
        tmp_path,
        [
            # An IAM principal of another organization: aws:PrincipalIsAWSService is false (not absent), so
            # BoolIfExists does not pass by absence and the Deny applies.
            {**base, "principal": f"arn:aws:iam::{OTHER}:user/bob", "context": {"aws:PrincipalOrgID": "o-other"}},
            # A member of the organization.
            {**base, "principal": f"arn:aws:iam::{OTHER}:user/bob", "context": {"aws:PrincipalOrgID": ORG}},
            # An AWS service principal acting on the bucket: PrincipalIsAWSService is true.
            {
                **base,
                "principal": "cloudtrail.amazonaws.com",
                "resource_policy": doc(stmt(action="s3:*", Principal={"Service": "cloudtrail.amazonaws.com"})),
            },
        ],
    )
    assert got == ["explicit-deny", "allow", "allow"]


def test_derived_keys_are_present_and_a_given_key_wins(tmp_path: Path) -> None:
    def bucket_policy(key: str, value: str) -> dict[str, Any]:
        return doc(stmt("Deny", action="s3:*", Principal="*", Condition={"StringNotEquals": {key: value}}))

    user = f"arn:aws:iam::{ACCT}:user/alice"
    base = {"action": "s3:GetObject", "resource": BUCKET_OBJ, "identity_policies": [doc(stmt())]}
    got = decisions(
        tmp_path,
        [
            {**base, "principal": user, "resource_policy": bucket_policy("aws:PrincipalType", "User")},
            {**base, "principal": user, "resource_policy": bucket_policy("aws:PrincipalIsAWSService", "false")},
            {**base, "principal": user, "resource_policy": bucket_policy("s3:ResourceAccount", ACCT)},
            {**base, "principal": user, "resource_policy": bucket_policy("aws:PrincipalAccount", ACCT)},
            {**base, "principal": ACCT, "resource_policy": bucket_policy("aws:userid", ACCT)},
            {
                **base,
                "principal": f"arn:aws:sts::{ACCT}:assumed-role/app/s",
                "resource_policy": bucket_policy("aws:PrincipalType", "AssumedRole"),
            },
            # Given wins over derived.
            {
                **base,
                "principal": user,
                "resource_policy": bucket_policy("s3:ResourceAccount", ACCT),
                "context": {"s3:ResourceAccount": "333333333333"},
            },
        ],
    )
    assert got == ["allow", "allow", "allow", "allow", "allow", "allow", "explicit-deny"]


def test_root_user_of_another_account_is_allowed_when_the_bucket_policy_grants_its_account(tmp_path: Path) -> None:
    base = {"action": "s3:GetObject", "resource": BUCKET_OBJ, "resource_owner": ACCT}
    got = decisions(
        tmp_path,
        [
            {**base, "principal": f"arn:aws:iam::{OTHER}:root", "resource_policy": doc(stmt(Principal={"AWS": OTHER}))},
            {**base, "principal": OTHER, "resource_policy": doc(stmt(Principal={"AWS": f"arn:aws:iam::{OTHER}:root"}))},
            # Not granted: still denied.
            {**base, "principal": OTHER, "resource_policy": doc(stmt(Principal={"AWS": "333333333333"}))},
            # An IAM user of that account still needs its own identity policy.
            {
                **base,
                "principal": f"arn:aws:iam::{OTHER}:user/bob",
                "resource_policy": doc(stmt(Principal={"AWS": OTHER})),
            },
        ],
    )
    assert got == ["allow", "allow", "implicit-deny", "implicit-deny"]


@pytest.mark.parametrize(
    ("listed", "caller", "expected"),
    [
        # Every identity of the chain listed: exempt.
        (
            [f"arn:aws:iam::{OTHER}:user/bob", f"arn:aws:iam::{OTHER}:root"],
            f"arn:aws:iam::{OTHER}:user/bob",
            "allow",
        ),
        # The user without its account: the account is checked first and is not exempt.
        ([f"arn:aws:iam::{OTHER}:user/bob"], f"arn:aws:iam::{OTHER}:user/bob", "explicit-deny"),
        # Session, role and account: exempt.
        (
            [
                f"arn:aws:sts::{OTHER}:assumed-role/reader/app",
                f"arn:aws:iam::{OTHER}:role/reader",
                f"arn:aws:iam::{OTHER}:root",
            ],
            f"arn:aws:sts::{OTHER}:assumed-role/reader/app",
            "allow",
        ),
        # Role and account, but not the session: a session must be named.
        (
            [f"arn:aws:iam::{OTHER}:role/reader", f"arn:aws:iam::{OTHER}:root"],
            f"arn:aws:sts::{OTHER}:assumed-role/reader/app",
            "explicit-deny",
        ),
        # Session and account without the role.
        (
            [f"arn:aws:sts::{OTHER}:assumed-role/reader/app", OTHER],
            f"arn:aws:sts::{OTHER}:assumed-role/reader/app",
            "explicit-deny",
        ),
        # The account alone exempts its root user only.
        ([OTHER], f"arn:aws:iam::{OTHER}:root", "allow"),
        ([OTHER], f"arn:aws:iam::{OTHER}:user/bob", "explicit-deny"),
    ],
)
def test_not_principal_exempts_only_a_fully_listed_chain(
    tmp_path: Path, listed: list[str], caller: str, expected: str
) -> None:
    policy = doc(
        stmt("Deny", action="s3:*", NotPrincipal={"AWS": listed}),
        stmt(action="s3:GetObject", Principal={"AWS": OTHER}),
    )
    case = {
        "principal": caller,
        "action": "s3:GetObject",
        "resource": BUCKET_OBJ,
        "resource_owner": ACCT,
        "identity_policies": [doc(stmt())],
        "resource_policy": policy,
    }
    assert decisions(tmp_path, [case]) == [expected]


def test_a_role_arn_with_a_path_matches_its_sessions_through_aws_principal_arn(tmp_path: Path) -> None:
    role = f"arn:aws:iam::{OTHER}:role/team/data/reader"
    session = f"arn:aws:sts::{OTHER}:assumed-role/reader/job-7"
    base = {
        "principal": session,
        "action": "s3:GetObject",
        "resource": BUCKET_OBJ,
        "resource_owner": ACCT,
        "identity_policies": [doc(stmt())],
        "resource_policy": doc(stmt(Principal={"AWS": role})),
    }
    got = decisions(
        tmp_path,
        [
            {**base, "context": {"aws:PrincipalArn": role}},
            base,  # the path is not known: the session ARN alone cannot show it
            {**base, "context": {"aws:PrincipalArn": f"arn:aws:iam::{OTHER}:role/other/writer"}},
            # The role itself named without its path as the caller.
            {**base, "principal": f"arn:aws:iam::{OTHER}:role/reader", "context": {"aws:PrincipalArn": role}},
        ],
    )
    assert got == ["allow", "implicit-deny", "implicit-deny", "allow"]


def test_scps_and_rcps_do_not_apply_in_the_management_account(tmp_path: Path) -> None:
    deny_all = doc(stmt("Deny", action="*", Sid="DenyAll"))
    rcp_deny = doc(stmt("Deny", action="s3:*", Principal="*", Sid="DenyAll"))
    base = {
        "action": "s3:GetObject",
        "resource": BUCKET_OBJ,
        "identity_policies": [doc(stmt())],
    }
    got = decisions(
        tmp_path,
        [
            {**base, "principal": f"arn:aws:iam::{MGMT}:user/admin", "scps": [[deny_all]], "management_account": MGMT},
            {**base, "principal": f"arn:aws:iam::{MGMT}:user/admin", "scps": [[deny_all]]},
            {
                **base,
                "principal": f"arn:aws:iam::{MGMT}:user/admin",
                "resource_owner": MGMT,
                "rcps": [[rcp_deny]],
                "management_account": MGMT,
            },
            # A member account's resource: the RCP applies.
            {
                **base,
                "principal": f"arn:aws:iam::{ACCT}:user/alice",
                "resource_owner": ACCT,
                "rcps": [[rcp_deny]],
                "management_account": MGMT,
            },
        ],
    )
    assert got == ["allow", "explicit-deny", "allow", "explicit-deny"]
    bad = [{**base, "principal": f"arn:aws:iam::{ACCT}:user/alice", "management_account": "not-an-account"}]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "simulate", "--cases", str(path), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and "case 0: management_account" in proc.stderr


def test_management_account_flag(tmp_path: Path) -> None:
    scp = tmp_path / "scp.json"
    scp.write_text(json.dumps(doc(stmt("Deny", action="*"))))
    idp = tmp_path / "id.json"
    idp.write_text(json.dumps(doc(stmt())))
    args = [
        sys.executable, "-m", "bot", "simulate", "--principal", f"arn:aws:iam::{MGMT}:user/admin",
        "--action", "s3:GetObject", "--resource", BUCKET_OBJ, "--identity-policy", str(idp),
        "--scp", str(scp), "--json",
    ]  # fmt: skip
    plain = subprocess.run(args, capture_output=True, text=True, check=False)
    exempt = subprocess.run([*args, "--management-account", MGMT], capture_output=True, text=True, check=False)
    assert json.loads(plain.stdout)["decision"] == "explicit-deny"
    assert json.loads(exempt.stdout)["decision"] == "allow"
    bad = subprocess.run([*args, "--management-account", "12"], capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "12-digit" in bad.stderr


def test_rcps_never_apply_to_service_linked_roles(tmp_path: Path) -> None:
    rcp_deny = doc(stmt("Deny", action="s3:*", Principal="*"))
    case = {
        "principal": f"arn:aws:iam::{ACCT}:role/aws-service-role/replication.s3.amazonaws.com/AWSServiceRoleForS3",
        "action": "s3:GetObject",
        "resource": BUCKET_OBJ,
        "identity_policies": [doc(stmt())],
        "rcps": [[rcp_deny]],
    }
    assert decisions(tmp_path, [case]) == ["allow"]
