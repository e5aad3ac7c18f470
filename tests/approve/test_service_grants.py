"""A grant to an AWS service principal counts for the account its source conditions name (issue 22 §1, attack
finding 3): a CloudFront distribution, a bucket or a topic in an account s3why does not know is another company's;
a service grant with no aws:SourceArn / aws:SourceAccount / aws:SourceOwner is the confused-deputy case. Neither is
ever approvable, whatever a stored proposal says, and the fixes issue makes them advice only."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
import redis

from bot.approve.grants import grant_refusal
from bot.approve.store import Change, Proposal
from bot.fixes.model import Risk
from tests.account.conftest import OTHER, OWN, client, moto
from tests.approve.support import APPROVER, config, make_flow, scenario

__all__ = ["moto"]
OUTSIDE = "444455556666"
OAC = "CloudFront OAC bucket policy with the wrong AWS:SourceArn"


def _proposal(statement: dict[str, Any]) -> Proposal:
    document = {"Version": "2012-10-17", "Statement": [statement]}
    change = Change(OWN, "bucket", "site-origin", document, None, {"where": "bucket", "bucket": "site-origin"})
    return Proposal("p1", [change], "fix", "medium", "U1", "C1", "1.1", "r1")


def _service(condition: dict[str, Any] | None, service: str = "cloudfront.amazonaws.com") -> dict[str, Any]:
    st: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::site-origin/*",
    }
    return st | ({"Condition": condition} if condition is not None else {})


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"AWS:SourceArn": f"arn:aws:cloudfront::{OUTSIDE}:distribution/EEVIL"}},
        {"ArnLike": {"aws:SourceArn": f"arn:aws:sns:us-east-1:{OUTSIDE}:topic"}},
        {"StringEquals": {"aws:SourceAccount": OUTSIDE}},
        {"StringEquals": {"aws:SourceOwner": [OWN, OUTSIDE]}},
        {"StringEquals": {"aws:SourceArn": "arn:aws:s3:::someone-elses-bucket"}},  # S3 ARNs carry no account
        {"StringLike": {"aws:SourceArn": "arn:aws:cloudfront::*:distribution/*"}},
        {"StringEqualsIfExists": {"aws:SourceAccount": OWN}},  # absent key passes: names nobody
        {"StringNotEquals": {"aws:SourceAccount": OUTSIDE}},
        None,  # the confused-deputy case
    ],
    ids=[
        "arn-outside",
        "arnlike-outside",
        "account-outside",
        "owner-one-outside",
        "bucket-arn-alone",
        "wildcard-account",
        "ifexists",
        "negated",
        "no-condition",
    ],
)
def test_a_service_grant_for_an_outside_or_unnamed_source_is_never_approvable(condition: dict[str, Any] | None) -> None:
    refused = grant_refusal(_proposal(_service(condition)), config().known_accounts())
    assert refused is not None and "never applies" in refused
    assert "cloudfront.amazonaws.com" in refused


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"AWS:SourceArn": f"arn:aws:cloudfront::{OWN}:distribution/E2NEW"}},
        {"StringEquals": {"aws:SourceAccount": OTHER}},
        {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::logs-bucket"}, "StringEquals": {"aws:SourceAccount": OWN}},
    ],
    ids=["own-distribution", "configured-account", "bucket-arn-with-account"],
)
def test_a_service_grant_for_a_known_source_stays_approvable(condition: dict[str, Any]) -> None:
    assert grant_refusal(_proposal(_service(condition)), config().known_accounts()) is None


def test_the_oac_fix_for_an_outside_distribution_is_advice_only_and_never_written(
    moto: str, redis_client: redis.Redis, redis_prefix: str
) -> None:
    evil = f"arn:aws:cloudfront::{OUTSIDE}:distribution/EEVILDIST"
    sc = replace(scenario(OAC), context={"aws:SourceArn": evil})
    flow = make_flow(sc, redis_client, redis_prefix)
    before = client("s3").get_bucket_policy(Bucket="site-origin")["Policy"]
    _, diagnoses = flow.diagnoser(sc.text, principal=sc.principal, context={"aws:SourceArn": (evil,)}, fresh=True)
    granting = [f for f in diagnoses[0].fixes if any(OUTSIDE in json.dumps(p.document) for p in f.patches)]
    assert granting, "the diagnosis offers no fix naming the distribution"
    for fix in granting:
        assert fix.risk == Risk.HIGH and not fix.verified
        assert OUTSIDE in (fix.never_automatic or "")
    for proposal in flow.proposals:  # whatever was stored, approving never writes the outside grant
        outcome = flow.approvals.approve(proposal.id, APPROVER)
        if any(OUTSIDE in json.dumps(c.document) for c in proposal.changes):
            assert not outcome.ok
    after = client("s3").get_bucket_policy(Bucket="site-origin")["Policy"]
    assert OUTSIDE not in after and json.loads(after) == json.loads(before)


def test_the_oac_fix_for_the_own_distribution_is_still_offered(
    moto: str, redis_client: redis.Redis, redis_prefix: str
) -> None:
    flow = make_flow(scenario(OAC), redis_client, redis_prefix)
    proposal, _ = flow.changing("bucket")
    assert grant_refusal(proposal, config().known_accounts()) is None
