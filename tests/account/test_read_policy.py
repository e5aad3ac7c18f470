"""The shipped read policy allows every call the collector makes, and nothing it does not need."""

from __future__ import annotations

import json
from pathlib import Path

from bot.account.calls import CALLS, spec_for
from bot.account.collector import Target
from bot.account.signer import find_signer
from bot.config import AccountConfig, Config
from bot.engine import AuthzRequest, PolicyKind, PolicySet, evaluate, parse_policy
from bot.parse.model import PresignedUrl
from tests.account.conftest import OTHER, OWN, client, session_in
from tests.account.seed import seed_everything, seed_organization
from tests.account.test_collector import make_collector
from tests.account.test_toolbox import AUTH_ID, seed_record
from tests.account.toolbox_fake import FakeToolbox, toolbox

__all__ = ["toolbox"]  # the fixture

POLICIES = Path(__file__).resolve().parents[2] / "policies"
READ_ROLE = f"arn:aws:iam::{OWN}:role/s3why-read"


def _recorded_calls() -> set[tuple[str, str]]:
    seeded = seed_everything()
    seed_organization()
    other = session_in(OTHER)
    client("s3", session=other).create_bucket(Bucket="partner-bucket")
    config = Config(accounts=(AccountConfig(id=OTHER, role_arn=f"arn:aws:iam::{OTHER}:role/s3why-read"),))
    collector, log = make_collector(config)
    for target in (
        Target(principal_arn=seeded.session_arn, bucket=seeded.bucket, key=seeded.key, vpce_id=seeded.vpce_id),
        Target(principal_arn=seeded.user_arn, bucket="partner-bucket", kms_key_arns=(seeded.kms_key_arn,)),
        Target(access_point_arn=f"arn:aws:s3:us-east-1:{OWN}:accesspoint/reports"),
        Target(principal_arn=seeded.session_arn, authorization_id=AUTH_ID),  # AWS's record of a denial
    ):
        collector.collect(target)
    # A presigned URL's signer: its account (sts:GetAccessKeyInfo), then the IAM user that owns the key.
    key = client("iam").create_access_key(UserName=seeded.user_arn.rsplit("/", 1)[1])["AccessKey"]["AccessKeyId"]
    find_signer(collector, PresignedUrl("v4", access_key_id=key))
    return set(log.calls)


def test_the_read_policy_allows_every_recorded_call(moto: str, toolbox: FakeToolbox) -> None:
    seed_record(toolbox)
    calls = _recorded_calls()
    assert len(calls) >= 25
    assert ("iam-toolbox", "GetRequestAuthorizationPolicy") in calls
    assert {("sts", "GetAccessKeyInfo"), ("iam", "GetAccessKeyLastUsed")} <= calls
    read = parse_policy(json.loads((POLICIES / "s3why-read.json").read_text()), name="s3why-read.json")
    bot = parse_policy(json.loads((POLICIES / "s3why-bot.json").read_text()), name="s3why-bot.json")
    for service, operation in sorted(calls):
        spec = spec_for(service, operation)  # every call s3why makes is catalogued
        if spec.action is None:
            continue
        if spec.action == "sts:AssumeRole":
            request = AuthzRequest.build(principal=f"arn:aws:iam::{OWN}:user/s3why", action=spec.action,
                                         resource=f"arn:aws:iam::{OTHER}:role/s3why-read")  # fmt: skip
            # The read role's trust policy (in the other account) names the bot's identity.
            trust = parse_policy(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWN}:user/s3why"},
                 "Action": "sts:AssumeRole", "Resource": "*"}]},
                name="trust",
                kind=PolicyKind.RESOURCE,
            )  # fmt: skip
            decision = evaluate(request, PolicySet(identity=(bot,), resource=trust))
        else:
            request = AuthzRequest.build(principal=READ_ROLE, action=spec.action, resource="*")
            decision = evaluate(request, PolicySet(identity=(read,)))
        assert decision.decision.value == "allow", (service, operation, spec.action)


def test_the_read_policy_is_no_broader_than_the_catalogue() -> None:
    doc = json.loads((POLICIES / "s3why-read.json").read_text())
    actions = {
        a for st in doc["Statement"] for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])
    }
    assert not any("*" in a or "?" in a for a in actions), "no wildcard actions"
    needed = {c.action for c in CALLS.values() if c.action and c.action != "sts:AssumeRole"}
    # object heads (HeadObject, authorized as s3:GetObject) are the opt-in policy's, never the read role's own
    heads = json.loads((POLICIES / "s3why-read-object-heads.json").read_text())["Statement"][0]["Action"]
    assert heads == "s3:GetObject" and heads not in actions
    assert actions | {heads} == needed
    for st in doc["Statement"]:
        assert st["Effect"] == "Allow" and "NotAction" not in st and "NotResource" not in st
