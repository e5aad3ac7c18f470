"""A principal in another AWS partition than the resource is never given a verified fix (issue 22 §1, attack
finding 9): partitions (aws, aws-cn, aws-us-gov) are separate, so no policy change lets a GovCloud session reach a
commercial bucket. A fix's resource ARNs keep the request's partition."""

from __future__ import annotations

from dataclasses import replace

import pytest
import redis

from bot.demo.scenarios import SESSION
from bot.fixes.model import Risk
from bot.fixes.scope import scopes_for
from tests.account.conftest import moto
from tests.approve.support import APPROVER, make_flow, scenario

__all__ = ["moto"]
IDENTITY = "identity policy missing s3:PutObject"


@pytest.mark.parametrize("partition", ["aws-us-gov", "aws-cn"])
def test_a_session_in_another_partition_gets_no_verified_fix_and_nothing_is_written(
    moto: str, redis_client: redis.Redis, redis_prefix: str, partition: str
) -> None:
    sc = scenario(IDENTITY)
    foreign = SESSION.replace("arn:aws:", f"arn:{partition}:", 1)
    sc = replace(sc, text=sc.text.replace(SESSION, foreign))
    assert foreign in sc.text
    flow = make_flow(sc, redis_client, redis_prefix)
    _, diagnoses = flow.diagnoser(sc.text, principal=None, context={}, fresh=True)
    policy_fixes = [f for f in diagnoses[0].fixes if any(p.document for p in f.patches)]
    assert policy_fixes
    for fix in policy_fixes:
        assert not fix.verified and fix.risk == Risk.HIGH
        assert partition in (fix.never_automatic or "")
    for proposal in flow.proposals:  # nothing stored is approvable into a write
        assert not flow.approvals.approve(proposal.id, APPROVER).ok


@pytest.mark.parametrize("partition", ["aws", "aws-us-gov", "aws-cn"])
def test_the_scopes_of_a_fix_keep_the_request_partition(partition: str) -> None:
    scopes = scopes_for("team-data", "out/2024/a.txt", f"arn:{partition}:s3:::team-data/out/2024/a.txt")
    assert len(scopes) >= 2
    assert all(s.pattern.startswith(f"arn:{partition}:s3:::team-data/") for s in scopes)
