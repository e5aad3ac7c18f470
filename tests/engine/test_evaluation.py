"""AWS's evaluation logic across layers. Each case names the rule from the IAM User Guide it checks."""

from __future__ import annotations

from typing import Any

import pytest

from tests.engine.support import ACCT, ALICE, BOB, BUCKET, OTHER, ROLE, SESSION, decide, doc, stmt

ALLOW_ALL_S3 = doc(stmt(action="s3:*"))


def d(**kw: Any) -> str:
    return decide(**kw).decision.value


# --- Action, Resource, NotAction, NotResource -------------------------------------------------------------
def test_actions_match_case_insensitively_with_wildcards() -> None:
    assert d(identity=[doc(stmt(action="S3:get*"))]) == "allow"
    assert d(identity=[doc(stmt(action="s3:Get?bject"))]) == "allow"
    assert d(identity=[doc(stmt(action="s3:List*"))]) == "implicit-deny"


def test_bucket_and_object_arns_are_different_resources() -> None:
    # The classic mistake: s3:ListBucket granted on bucket/* never matches the bucket ARN.
    assert (
        d(action="s3:ListBucket", resource=BUCKET, identity=[doc(stmt(action="s3:ListBucket", resource=BUCKET + "/*"))])
        == "implicit-deny"
    )
    assert (
        d(action="s3:ListBucket", resource=BUCKET, identity=[doc(stmt(action="s3:ListBucket", resource=BUCKET))])
        == "allow"
    )


def test_resource_star_spans_slashes_and_is_case_sensitive() -> None:
    assert d(identity=[doc(stmt(resource="arn:aws:s3:::data-bucket/*/q1.csv"))]) == "allow"
    assert d(identity=[doc(stmt(resource="arn:aws:s3:::DATA-BUCKET/*"))]) == "implicit-deny"


def test_not_action_allow_grants_everything_else() -> None:
    assert d(identity=[doc(stmt(NotAction="s3:DeleteObject"))]) == "allow"
    assert d(action="s3:DeleteObject", identity=[doc(stmt(NotAction="s3:DeleteObject"))]) == "implicit-deny"


def test_not_resource_deny_denies_all_but_the_listed_resources() -> None:
    deny = stmt("Deny", action="s3:*", NotResource="arn:aws:s3:::data-bucket/public/*")
    assert d(identity=[ALLOW_ALL_S3, doc(deny)]) == "explicit-deny"
    assert d(resource="arn:aws:s3:::data-bucket/public/x", identity=[ALLOW_ALL_S3, doc(deny)]) == "allow"


def test_resource_variable_scopes_a_user_to_a_home_prefix() -> None:
    home = doc(stmt(resource="arn:aws:s3:::data-bucket/home/${aws:username}/*"))
    assert d(resource="arn:aws:s3:::data-bucket/home/alice/a.txt", identity=[home]) == "allow"
    assert d(resource="arn:aws:s3:::data-bucket/home/bob/a.txt", identity=[home]) == "implicit-deny"
    # Role sessions have no aws:username: the resource matches nothing.
    assert (
        d(principal=SESSION, resource="arn:aws:s3:::data-bucket/home/alice/a.txt", identity=[home]) == "implicit-deny"
    )


def test_unresolvable_variable_makes_a_not_resource_statement_void() -> None:
    # IAM User Guide: a variable without a value "causes the statement to be invalid".
    deny = stmt("Deny", action="s3:*", NotResource="arn:aws:s3:::data-bucket/home/${aws:username}/*")
    assert d(principal=SESSION, identity=[ALLOW_ALL_S3, doc(deny)]) == "allow"


# --- Principals in resource-based policies -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("principal_element", "caller", "allowed"),
    [
        ("*", ALICE, True),
        ({"AWS": "*"}, ALICE, True),
        ({"AWS": ALICE}, ALICE, True),
        ({"AWS": [BOB, ALICE]}, ALICE, True),
        ({"AWS": ROLE}, SESSION, True),  # a role ARN names all its sessions
        ({"AWS": SESSION}, SESSION, True),
        ({"AWS": f"arn:aws:sts::{ACCT}:assumed-role/app/other"}, SESSION, False),
        ({"AWS": BOB}, ALICE, False),
        ({"Service": "cloudfront.amazonaws.com"}, "cloudfront.amazonaws.com", True),
        ({"Service": "cloudfront.amazonaws.com"}, ALICE, False),
        ({"AWS": ALICE}, "anonymous", False),
        ("*", "anonymous", True),
    ],
)
def test_principal_forms_in_a_same_account_bucket_policy(principal_element: Any, caller: str, allowed: bool) -> None:
    # Same account: a resource-based grant naming the caller is enough on its own.
    result = d(principal=caller, owner=ACCT, resource_policy=doc(stmt(Principal=principal_element)))
    assert (result == "allow") is allowed


def test_account_principal_only_delegates_to_iam_in_the_same_account() -> None:
    for form in (ACCT, f"arn:aws:iam::{ACCT}:root"):
        rp = doc(stmt(Principal={"AWS": form}))
        assert d(resource_policy=rp) == "implicit-deny"
        assert d(resource_policy=rp, identity=[doc(stmt())]) == "allow"


def test_not_principal_deny_exempts_the_listed_principal() -> None:
    # IAM User Guide, NotPrincipal: AWS checks the account, then the role, then the session (or the user); each
    # must be listed for the caller to be exempt (see docs/semantics.md on NotPrincipal).
    rp = doc(stmt(Principal="*"), stmt("Deny", NotPrincipal={"AWS": [ALICE, ROLE, SESSION, ACCT]}))
    assert d(principal=ALICE, resource_policy=rp) == "allow"
    assert d(principal=SESSION, resource_policy=rp) == "allow"
    assert d(principal=f"arn:aws:sts::{ACCT}:assumed-role/app/other", resource_policy=rp) == "explicit-deny"
    assert d(principal=f"arn:aws:iam::{ACCT}:user/carol", resource_policy=rp) == "explicit-deny"
    # The account alone exempts its root user, not its users.
    by_account = doc(stmt(Principal="*"), stmt("Deny", NotPrincipal={"AWS": f"arn:aws:iam::{ACCT}:root"}))
    assert d(principal=f"arn:aws:iam::{ACCT}:user/carol", resource_policy=by_account) == "explicit-deny"
    assert d(principal=f"arn:aws:iam::{ACCT}:root", resource_policy=by_account) == "allow"
    assert d(principal=BOB, owner=ACCT, identity=[doc(stmt())], resource_policy=by_account) == "explicit-deny"
    # The user without its account: denied.
    assert d(principal=ALICE, resource_policy=doc(stmt(Principal="*"), stmt("Deny", NotPrincipal={"AWS": ALICE}))) == (
        "explicit-deny"
    )


def test_not_principal_deny_always_denies_a_principal_with_a_boundary() -> None:
    # IAM User Guide, NotPrincipal: principals with a permissions boundary are always denied by it.
    rp = doc(stmt(Principal="*"), stmt("Deny", NotPrincipal={"AWS": ALICE}))
    assert d(principal=ALICE, resource_policy=rp, boundary=ALLOW_ALL_S3) == "explicit-deny"


# --- Cross-account ----------------------------------------------------------------------------------------
def test_cross_account_needs_both_sides() -> None:
    rp = doc(stmt(Principal={"AWS": OTHER}))
    assert d(principal=BOB, owner=ACCT, resource_policy=rp) == "implicit-deny"  # no identity allow
    assert d(principal=BOB, owner=ACCT, identity=[doc(stmt())]) == "implicit-deny"  # no resource allow
    assert d(principal=BOB, owner=ACCT, identity=[doc(stmt())], resource_policy=rp) == "allow"


def test_cross_account_reason_names_the_missing_side() -> None:
    result = decide(
        principal=BOB, owner=ACCT, identity=[doc(stmt())], resource_policy=doc(stmt(Principal={"AWS": ACCT}))
    )
    assert result.decision.value == "implicit-deny"
    assert result.reason.startswith("cross-account")


def test_resource_owner_defaults_to_the_principals_account_for_s3_arns() -> None:
    assert d(principal=BOB, identity=[doc(stmt())]) == "allow"


# --- Boundaries and session policies ------------------------------------------------------------------------
def test_boundary_caps_identity_permissions() -> None:
    assert d(identity=[ALLOW_ALL_S3], boundary=doc(stmt(action="s3:ListBucket"))) == "implicit-deny"
    assert d(identity=[ALLOW_ALL_S3], boundary=doc(stmt(action="s3:Get*"))) == "allow"


def test_boundary_implicit_deny_does_not_cap_a_grant_to_the_user_arn() -> None:
    rp = doc(stmt(Principal={"AWS": ALICE}))
    assert d(resource_policy=rp, boundary=doc(stmt(action="s3:ListBucket"))) == "allow"


def test_boundary_caps_a_grant_to_the_role_arn_but_not_to_the_session_arn() -> None:
    tight = doc(stmt(action="s3:ListBucket"))
    assert d(principal=SESSION, resource_policy=doc(stmt(Principal={"AWS": ROLE})), boundary=tight) == "implicit-deny"
    assert d(principal=SESSION, resource_policy=doc(stmt(Principal={"AWS": SESSION})), boundary=tight) == "allow"


def test_boundary_explicit_deny_always_wins() -> None:
    rp = doc(stmt(Principal={"AWS": ALICE}))
    assert d(resource_policy=rp, boundary=doc(stmt("Deny"))) == "explicit-deny"


def test_session_policy_caps_role_session_permissions() -> None:
    assert d(principal=SESSION, identity=[ALLOW_ALL_S3], session=doc(stmt(action="s3:PutObject"))) == "implicit-deny"
    assert d(principal=SESSION, identity=[ALLOW_ALL_S3], session=doc(stmt())) == "allow"


def test_session_policy_does_not_cap_a_wildcard_principal_grant() -> None:
    # IAM User Guide, Principal element: boundaries and session policies do not limit a grant to "*"
    # (with aws:PrincipalArn), only their explicit denies do.
    rp = doc(stmt(Principal="*", Condition={"ArnEquals": {"aws:PrincipalArn": ROLE}}))
    assert d(principal=SESSION, resource_policy=rp, session=doc(stmt(action="s3:PutObject"))) == "allow"


def test_session_policy_always_caps_cross_account_requests() -> None:
    rp = doc(stmt(Principal={"AWS": SESSION}))
    result = d(
        principal=SESSION,
        owner=OTHER,
        identity=[ALLOW_ALL_S3],
        resource_policy=rp,
        session=doc(stmt(action="s3:PutObject")),
    )
    assert result == "implicit-deny"


def test_federated_user_without_a_session_policy_has_no_identity_permissions() -> None:
    fed = f"arn:aws:sts::{ACCT}:federated-user/bob"
    assert d(principal=fed, identity=[ALLOW_ALL_S3]) == "implicit-deny"
    assert d(principal=fed, identity=[ALLOW_ALL_S3], session=doc(stmt())) == "allow"


# --- Organizations -------------------------------------------------------------------------------------------
def test_every_scp_level_must_allow() -> None:
    full = doc(stmt(action="*"))
    assert d(identity=[ALLOW_ALL_S3], scps=[[full], [full]]) == "allow"
    assert d(identity=[ALLOW_ALL_S3], scps=[[full], [doc(stmt(action="ec2:*"))]]) == "implicit-deny"
    assert d(identity=[ALLOW_ALL_S3], scps=[[full], []]) == "implicit-deny"  # FullAWSAccess detached


def test_scp_deny_anywhere_denies() -> None:
    full = doc(stmt(action="*"))
    assert (
        d(identity=[ALLOW_ALL_S3], scps=[[full, doc(stmt("Deny", action="s3:GetObject"))], [full]]) == "explicit-deny"
    )


def test_scps_do_not_apply_to_service_linked_roles() -> None:
    slr = f"arn:aws:iam::{ACCT}:role/aws-service-role/s3.amazonaws.com/AWSServiceRoleForS3"
    assert d(principal=slr, identity=[ALLOW_ALL_S3], scps=[[]]) == "allow"


def test_scps_restrict_the_root_user_of_a_member_account() -> None:
    root = f"arn:aws:iam::{ACCT}:root"
    assert d(principal=root) == "allow"  # the root user is allowed its own account's resources
    assert d(principal=root, scps=[[doc(stmt("Deny", action="s3:*"))]]) == "explicit-deny"


def test_rcps_always_include_rcp_full_aws_access() -> None:
    assert d(identity=[ALLOW_ALL_S3], rcps=[[], []]) == "allow"
    deny = doc(stmt("Deny", action="s3:*", Principal="*", Condition={"StringNotEquals": {"aws:PrincipalOrgID": "o-1"}}))
    assert d(identity=[ALLOW_ALL_S3], rcps=[[deny]]) == "explicit-deny"
    assert d(identity=[ALLOW_ALL_S3], rcps=[[deny]], context={"aws:PrincipalOrgID": "o-1"}) == "allow"


def test_rcps_apply_to_anonymous_callers_too() -> None:
    rp = doc(stmt(Principal="*"))
    deny = doc(stmt("Deny", action="s3:GetObject", Principal="*", Condition={"Null": {"aws:PrincipalAccount": "true"}}))
    assert d(principal="anonymous", resource_policy=rp) == "allow"
    assert d(principal="anonymous", resource_policy=rp, rcps=[[deny]]) == "explicit-deny"


# --- VPC endpoint ------------------------------------------------------------------------------------------
def test_vpc_endpoint_policy_must_allow() -> None:
    vpce = doc(stmt(Principal="*", resource="arn:aws:s3:::other-bucket/*"))
    assert d(identity=[ALLOW_ALL_S3], vpce=vpce) == "implicit-deny"
    assert d(identity=[ALLOW_ALL_S3], vpce=doc(stmt(Principal="*", resource=BUCKET + "/*"))) == "allow"


# --- KMS key policies -----------------------------------------------------------------------------------------
KEY = f"arn:aws:kms:us-east-1:{ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_iam_policies_count_for_a_key_only_when_the_key_policy_delegates() -> None:
    iam = doc(stmt(action="kms:Decrypt", resource=KEY))
    no_delegation = doc(stmt(action="kms:*", Principal={"AWS": f"arn:aws:iam::{ACCT}:user/admin"}))
    delegation = doc(stmt(action="kms:*", Principal={"AWS": f"arn:aws:iam::{ACCT}:root"}))
    assert d(action="kms:Decrypt", resource=KEY, identity=[iam], resource_policy=no_delegation) == "implicit-deny"
    assert d(action="kms:Decrypt", resource=KEY, identity=[iam], resource_policy=delegation) == "allow"
    assert d(action="kms:Decrypt", resource=KEY, resource_policy=delegation) == "implicit-deny"
    direct = doc(stmt(action="kms:Decrypt", Principal={"AWS": ALICE}))
    assert d(action="kms:Decrypt", resource=KEY, resource_policy=direct) == "allow"


def test_result_lists_every_layer_with_a_verdict() -> None:
    result = decide(identity=[doc(stmt(Sid="Read"))]).to_json()
    assert [layer["layer"] for layer in result["layers"]] == [
        "scp", "rcp", "vpc-endpoint-policy", "identity", "permissions-boundary", "session-policy", "bucket-policy",
    ]  # fmt: skip
    identity = result["layers"][3]
    assert identity["verdict"] == "allow"
    assert identity["statements"][0]["sid"] == "Read"


def test_explicit_deny_names_the_policy_and_statement() -> None:
    result = decide(identity=[ALLOW_ALL_S3], resource_policy=doc(stmt("Deny", Sid="DenyAll", Principal="*")))
    assert result.decision.value == "explicit-deny"
    bucket = result.to_json()["layers"][6]
    assert bucket["verdict"] == "deny"
    assert bucket["statements"][0]["sid"] == "DenyAll"


def test_an_account_principal_in_a_gateway_endpoint_policy_means_its_root_user_only() -> None:
    vpce = doc(stmt(Principal={"AWS": ACCT}))
    assert d(identity=[ALLOW_ALL_S3], vpce=vpce) == "implicit-deny"
    assert d(principal=f"arn:aws:iam::{ACCT}:root", vpce=vpce) == "allow"
    scoped = doc(stmt(Principal="*", Condition={"StringEquals": {"aws:PrincipalAccount": ACCT}}))
    assert d(identity=[ALLOW_ALL_S3], vpce=scoped) == "allow"
