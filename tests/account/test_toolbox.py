"""AWS's record of a denial (iam-toolbox), fetched through botocore's real HTTP stack from a local fake, typed,
and cached per account in Redis like every lookup."""

from __future__ import annotations

from typing import Any

import redis

from bot.account.collector import Target
from bot.account.toolbox import AuthorizationRecord, RecordUnavailable, authorization_record
from bot.account.view import account_view
from bot.cache import RedisCache
from tests.account.conftest import OWN
from tests.account.test_collector import make_collector
from tests.account.toolbox_fake import (
    EXPIRED,
    FORBIDDEN,
    OTHER_ORG,
    FakeToolbox,
    record_details,
    toolbox,
)

__all__ = ["toolbox"]  # the fixture

AUTH_ID = "a1b2c3d4e5f6g7h8"
ROLE = f"arn:aws:iam::{OWN}:role/app"
SESSION = f"arn:aws:sts::{OWN}:assumed-role/app/run-1"
BUCKET_POLICY_URI = f"arn:aws:s3:::team-data/policy/{AUTH_ID}"
IDENTITY_URI = f"{ROLE}/inline/write-raw"
AT_DENIAL = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyOutsideVpce",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": "arn:aws:s3:::team-data/*",
            "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"}},
        }
    ],
}


def seed_record(fake: FakeToolbox, **kw: Any) -> None:
    details = record_details(
        action="s3:GetObject",
        resource="arn:aws:s3:::team-data/raw/a.csv",
        effect="EXPLICIT_DENY",
        context={"aws:SourceVpce": "vpce-0aaaaaaaaaaaaaaaa", "aws:SecureTransport": True, "aws:PrincipalTag/team": "red"},
        checks=[
            {"checkType": "RESOURCE", "evaluatedEffect": "EXPLICIT_DENY", "relevantPolicyTypes": ["RESOURCE_BASED_POLICY"],
             "matchedPolicies": [{"uri": BUCKET_POLICY_URI,
                                  "matchedStatements": [{"sid": "DenyOutsideVpce", "evaluatedEffect": "DENY"}]}]},
            {"checkType": "PRINCIPAL", "evaluatedEffect": "ALLOW", "matchedPolicies": [{"uri": IDENTITY_URI}]},
        ],
        policies=[
            {"type": "RESOURCE_BASED_POLICY", "inline": True, "uri": BUCKET_POLICY_URI,
             "attachedTo": [{"arn": "arn:aws:s3:::team-data"}]},
            {"type": "IDENTITY_BASED_POLICY", "inline": True, "uri": IDENTITY_URI, "attachedTo": [{"arn": ROLE}]},
        ],
    )  # fmt: skip
    details["evaluations"].append(
        {"action": "kms:Decrypt", "resource": f"arn:aws:kms:us-east-1:{OWN}:key/k1", "evaluatedEffect": "ALLOW",
         "checks": []}
    )  # fmt: skip
    identity = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    fake.add(AUTH_ID, details, {BUCKET_POLICY_URI: AT_DENIAL, IDENTITY_URI: identity}, **kw)


def test_the_record_is_read_through_botocore_and_typed(moto: str, toolbox: FakeToolbox) -> None:
    seed_record(toolbox, page_size=1)  # two pages: botocore's nextToken is followed
    collector, _ = make_collector()
    snapshot = collector.collect(Target(principal_arn=SESSION, authorization_id=AUTH_ID))
    record = account_view(snapshot).authorization
    assert isinstance(record, AuthorizationRecord), record
    assert record.account == OWN
    assert record.context["aws:SourceVpce"] == ("vpce-0aaaaaaaaaaaaaaaa",)
    assert record.context["aws:SecureTransport"] == ("true",)
    assert [e.action for e in record.evaluations] == ["s3:GetObject", "kms:Decrypt"]
    denied = record.evaluation_for("s3:GetObject")
    assert denied is not None and denied.decision == "explicit-deny"
    (check,) = denied.denying_checks
    assert check.layer == "bucket-policy" and check.matched[0].statements[0].sid == "DenyOutsideVpce"
    policy = record.policy(BUCKET_POLICY_URI)
    assert policy is not None and policy.document == AT_DENIAL and policy.attached_to == ("arn:aws:s3:::team-data",)
    assert any(r.startswith("GET /authorization-details/") and "policyUri=" in r for r in toolbox.requests)


def test_the_record_is_cached_per_account_in_redis(
    moto: str, toolbox: FakeToolbox, redis_client: redis.Redis, redis_prefix: str
) -> None:
    seed_record(toolbox)
    collector, _ = make_collector(cache=RedisCache(redis_client, namespace=redis_prefix))
    first = collector.collect(Target(principal_arn=SESSION, authorization_id=AUTH_ID))
    fetched = len(toolbox.requests)
    assert fetched == 3  # details, and the two policies
    again = collector.collect(Target(principal_arn=SESSION, authorization_id=AUTH_ID))
    assert len(toolbox.requests) == fetched  # a warm answer never reaches AWS again
    assert again["authorization"] == first["authorization"]
    keys = [
        k.decode() if isinstance(k, bytes) else str(k)
        for k in redis_client.keys(f"{redis_prefix}s3why:v1:{redis_prefix}*")
    ]
    assert any(k.startswith(f"{redis_prefix}s3why:v1:{redis_prefix}{OWN}:") and "iam-toolbox" in k for k in keys), keys


def _unavailable(toolbox: FakeToolbox, state: str) -> RecordUnavailable:
    seed_record(toolbox, state=state)
    collector, _ = make_collector()
    found = account_view(collector.collect(Target(principal_arn=SESSION, authorization_id=AUTH_ID))).authorization
    assert isinstance(found, RecordUnavailable), found
    return found


def test_an_expired_record_says_so_in_one_line(moto: str, toolbox: FakeToolbox) -> None:
    reason = _unavailable(toolbox, EXPIRED).reason
    assert "expired" in reason and AUTH_ID in reason and "\n" not in reason


def test_a_forbidden_record_names_the_permission(moto: str, toolbox: FakeToolbox) -> None:
    reason = _unavailable(toolbox, FORBIDDEN).reason
    assert "iam:GetRequestAuthorizationDetails" in reason and OWN in reason


def test_a_record_of_another_organization_says_so(moto: str, toolbox: FakeToolbox) -> None:
    assert "another organization" in _unavailable(toolbox, OTHER_ORG).reason


def test_throttling_and_no_id_have_their_own_reasons() -> None:
    throttled = authorization_record(
        {"id": AUTH_ID, "account": OWN,
         "calls": {"GetRequestAuthorizationDetails": {"Error": {"Code": "ThrottlingException", "Message": "Rate"}}}}
    )  # fmt: skip
    assert isinstance(throttled, RecordUnavailable) and "throttling" in throttled.reason
    none = authorization_record(None)
    assert isinstance(none, RecordUnavailable) and "no authorization ID" in none.reason
