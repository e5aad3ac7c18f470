"""Issue 20 §2 and §4: every policy target in one table, and policy patches checked as valid IAM for their target."""

from __future__ import annotations

from typing import Any

import pytest

from bot.account.view import account_view
from bot.fixes.catalogue import catalogue
from bot.fixes.model import Patch
from bot.fixes.targets import BY_CATALOGUE_NAME, TARGETS, TargetInput, Where, put_patches
from bot.fixes.validity import patch_findings, statement_findings
from tests.fixes.support import ROLE, snapshot

BUCKET = "arn:aws:s3:::data-bucket"


def _statement(**over: Any) -> dict[str, Any]:
    st = {"Sid": "S3whyTest", "Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": ["s3:GetObject"]}
    st["Resource"] = [f"{BUCKET}/a/*"]
    return {**st, **over}


def test_every_catalogue_target_and_every_proposal_place_is_one_registered_module() -> None:
    named = {e.target for e in catalogue().values() if e.target}
    assert named <= set(BY_CATALOGUE_NAME)
    assert {w.value for w in TARGETS} == {
        "principal-inline",
        "managed",
        "bucket",
        "key",
        "vpce",
        "access-point",
        "multi-region-access-point",
        "ownership-controls",
        "default-encryption",
    }
    for where, target in TARGETS.items():
        assert target.where is where and target.cfn_type.startswith("AWS::") and target.terraform_types


def test_a_bucket_patch_goes_into_the_snapshot_where_the_account_view_reads_it() -> None:
    snap = snapshot()
    patch = BY_CATALOGUE_NAME["bucket"].patch(TargetInput(snap, ROLE), _statement())
    assert patch is not None and patch.apply["where"] == "bucket" and patch.before is None
    put_patches(snap, [patch])
    view = account_view(snap)
    assert view.bucket is not None and view.bucket.policy.value == patch.document


@pytest.mark.parametrize(
    ("where", "statement", "finding"),
    [
        (Where.BUCKET, _statement(Action="s3:*"), "every action"),
        (Where.BUCKET, _statement(Action="*"), "every action"),
        (Where.BUCKET, _statement(Resource="*"), "every resource"),
        (Where.BUCKET, _statement(Principal="*"), "everyone"),
        (Where.BUCKET, _statement(Principal={"AWS": "*"}), "everyone"),
        (Where.BUCKET, {k: v for k, v in _statement().items() if k != "Principal"}, "names no Principal"),
        (Where.PRINCIPAL_INLINE, _statement(), "identity policy cannot"),
        (Where.ACCESS_POINT, _statement(Principal={"Service": "cloudfront.amazonaws.com"}), "does not take"),
        (Where.KEY, _statement(Action=["kms:*"], Resource="*"), "every action"),
    ],
)
def test_a_statement_that_widens_or_cannot_exist_in_its_policy_type_is_a_finding(
    where: Where, statement: dict[str, Any], finding: str
) -> None:
    assert any(finding in f for f in statement_findings(TARGETS[where], statement))


def test_documented_narrow_patterns_are_not_findings() -> None:
    # A key policy's Resource "*" is the key itself; Principal "*" narrowed by a condition is how VPC endpoint
    # policies and access point delegation are written (AWS's own examples).
    key = _statement(Action=["kms:Decrypt"], Resource="*")
    assert statement_findings(TARGETS[Where.KEY], key) == []
    narrowed = _statement(Principal="*", Condition={"ArnEquals": {"aws:PrincipalArn": ROLE}})
    assert statement_findings(TARGETS[Where.VPC_ENDPOINT], narrowed) == []
    delegation = _statement(Principal={"AWS": "*"}, Condition={"StringEquals": {"s3:DataAccessPointAccount": "1"}})
    assert statement_findings(TARGETS[Where.BUCKET], delegation) == []


def test_an_endpoint_statement_scoped_by_resource_to_principal_star_is_not_a_grant_to_everyone() -> None:
    # A gateway endpoint's policy names Principal "*" (AWS PrivateLink guide, "Principals for gateway endpoints")
    # and grants nothing: it lets through what the bucket's and the caller's policies allow. An AWS-owned bucket's
    # objects (the ECR layer bucket, Amazon Linux repositories) are allowed by Resource alone in AWS's examples.
    aws_owned = _statement(Principal="*", Resource=["arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*"])
    assert statement_findings(TARGETS[Where.VPC_ENDPOINT], aws_owned) == []
    assert any("everyone" in f for f in statement_findings(TARGETS[Where.BUCKET], aws_owned))
    # Its other checks still stand: every action of a service is a finding in an endpoint policy too.
    widest = _statement(Principal="*", Action="s3:*")
    assert any("every action" in f for f in statement_findings(TARGETS[Where.VPC_ENDPOINT], widest))


def test_a_patch_over_the_targets_size_limit_or_not_valid_iam_is_a_finding() -> None:
    big = {
        "Version": "2012-10-17",
        "Statement": [_statement(Sid=f"S{i}", Resource=[f"{BUCKET}/{'x' * 400}{i}/*"]) for i in range(60)],
    }
    patch = Patch(BUCKET, "bucket-policy", big, [], None, apply={"where": "bucket", "bucket": "data-bucket"})
    assert any("20,480 bytes" in f for f in patch_findings(patch))
    broken = {"Version": "2012-10-17", "Statement": [_statement(Effect="Permit")]}
    bad = Patch(BUCKET, "bucket-policy", broken, [], None, apply={"where": "bucket", "bucket": "data-bucket"})
    assert any("not valid IAM" in f for f in patch_findings(bad))


def test_the_closed_vocabularies_are_enums_that_cover_every_value_in_use() -> None:
    from bot.approve.store import EDGES, ProposalState
    from bot.diagnose.model import CauseKind, Decision
    from bot.fixes.model import Risk

    assert set(EDGES) == {s.value for s in ProposalState}
    assert {t for targets in EDGES.values() for t in targets} <= {s.value for s in ProposalState}
    assert {d.value for d in Decision} == {"allow", "implicit-deny", "explicit-deny", "unknown"}
    entries = catalogue().values()
    assert {e.risk for e in entries} <= {r.value for r in Risk}
    assert {k for e in entries for k in e.kinds} <= {k.value for k in CauseKind}


@pytest.mark.parametrize(
    "condition",
    [
        {"StringLike": {"aws:PrincipalArn": "*"}},
        {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/app"}},
        {"StringNotEquals": {"aws:PrincipalAccount": "111122223333"}},
        {"StringEqualsIfExists": {"aws:PrincipalAccount": "111122223333"}},
        {"Null": {"aws:PrincipalArn": "false"}},
        {"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-abc"}},
        {"StringEquals": {"aws:PrincipalAccount": []}},
    ],
)
def test_a_narrowing_key_that_does_not_narrow_leaves_principal_star_a_finding(condition: dict[str, Any]) -> None:
    # a key's presence is not enough: a wildcard, a negated or IfExists operator, Null or an empty list lets
    # every principal through (IAM condition operators, AWS's documentation)
    statement = _statement(Principal={"AWS": "*"}, Condition=condition)
    assert any("everyone" in f for f in statement_findings(TARGETS[Where.BUCKET], statement))
