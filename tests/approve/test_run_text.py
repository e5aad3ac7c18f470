"""The text of a run is stored once, not per proposal (issue 22 §3): the proposals of one paste reference it by
its SHA-256, which their signature covers; a text altered in Redis is not used, so nothing is applied from it.

Against moto in server mode and a real Redis."""

from __future__ import annotations

import json
from dataclasses import replace

import redis

from tests.account.conftest import client
from tests.approve.support import APPROVER, make_flow, scenario

IDENTITY = "identity policy missing s3:PutObject"


def _texts(redis_client: redis.Redis, prefix: str) -> list[bytes]:
    return list(redis_client.scan_iter(match=f"{prefix}text:*"))


def test_the_text_of_a_run_is_stored_once_and_each_proposal_references_it(
    moto: str, redis_client: redis.Redis, redis_prefix: str
) -> None:
    flow = make_flow(scenario(IDENTITY), redis_client, redis_prefix)
    first = flow.proposals[0]
    text = first.request["text"]
    for _ in range(2):  # more proposals of the same paste (as a run with several fixes, or several errors, makes)
        flow.proposals.append(flow.store.propose(replace(first, id="", history=[], signature=""), actor="s3why"))
    assert len({p.id for p in flow.proposals}) == 3 and text
    (stored_text,) = _texts(redis_client, redis_prefix)
    assert redis_client.get(stored_text) == text.encode()
    for p in flow.proposals:
        record = json.loads(redis_client.get(f"{redis_prefix}patch:{p.id}"))  # type: ignore[arg-type]
        assert "text" not in record["request"] and text not in json.dumps(record)
        assert stored_text.decode().endswith(record["request"]["text_sha256"])
        got = flow.store.get(p.id)
        assert got is not None and got.request["text"] == text and flow.store.authentic(got)
    proposal, change = flow.changing("principal-inline")
    outcome = flow.approvals.approve(proposal.id, APPROVER)  # verified again from the referenced text
    assert outcome.ok, outcome.message
    assert change.apply["name"] in client("iam").list_role_policies(RoleName="app")["PolicyNames"]


def test_a_run_text_altered_in_redis_is_not_used_and_nothing_is_applied(
    moto: str, redis_client: redis.Redis, redis_prefix: str
) -> None:
    flow = make_flow(scenario(IDENTITY), redis_client, redis_prefix)
    proposal, change = flow.changing("principal-inline")
    (stored_text,) = _texts(redis_client, redis_prefix)
    assert redis_client.append(stored_text, "\nand DeleteObject") > 0  # one line more: the hash no longer matches
    got = flow.store.get(proposal.id)
    assert got is not None and got.request["text"] == ""  # its hash no longer matches: not used
    outcome = flow.approvals.approve(proposal.id, APPROVER)
    assert not outcome.ok
    assert change.apply["name"] not in client("iam").list_role_policies(RoleName="app")["PolicyNames"]
