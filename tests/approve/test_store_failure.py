"""The approval flow when its state store (a real Redis this test owns) stops answering right after an AWS write:
truthful outcomes, and reconcile against AWS (moto in server mode) once the store is back."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.account.conftest import client
from tests.approve.support import APPROVER, make_flow, scenario
from tests.conftest import OwnRedis

IDENTITY = "identity policy missing s3:PutObject"


class StopStoreAfter:
    """A writer client hook: once armed, the state store's process is stopped right after `operation`."""

    def __init__(self, pid: int, operation: str) -> None:
        self.pid, self.operation, self.armed = pid, operation, False

    def hook(self, made: Any) -> None:
        def stop(**_: Any) -> None:
            if self.armed:
                self.armed = False
                os.kill(self.pid, signal.SIGSTOP)

        made.meta.events.register(f"after-call.iam.{self.operation}", stop)


@pytest.fixture
def store(own_redis: OwnRedis) -> Iterator[tuple[redis.Redis, int]]:
    assert own_redis.proc is not None
    pid = own_redis.proc.pid
    yield (
        redis.Redis.from_url(own_redis.url, socket_timeout=1, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0)),
        pid,
    )
    os.kill(pid, signal.SIGCONT)  # harmless when it runs


def _inline(name: str) -> list[str]:
    return list(client("iam").list_role_policies(RoleName=name)["PolicyNames"])


def test_a_rollback_whose_record_fails_says_so_and_reconciles_to_rolled_back(
    moto: str, store: tuple[redis.Redis, int]
) -> None:
    state, pid = store
    stopper = StopStoreAfter(pid, "DeleteRolePolicy")
    flow = make_flow(scenario(IDENTITY), state, "s3why:", recorder=stopper)  # type: ignore[arg-type]
    proposal, change = flow.changing("principal-inline")
    assert flow.approvals.approve(proposal.id, APPROVER).ok
    assert change.apply["name"] in _inline("app")
    stopper.armed = True
    outcome = flow.approvals.rollback(proposal.id, APPROVER)
    assert not outcome.ok and "Rolled back in AWS" in outcome.message and "could not record it" in outcome.message
    assert "nothing" not in outcome.message.lower()
    assert change.apply["name"] not in _inline("app")  # the rollback did happen
    with pytest.raises(redis.RedisError):
        flow.approvals.reconcile()  # the store is still down: nothing settled, nothing claimed
    os.kill(pid, signal.SIGCONT)
    flow.approvals.reconcile_grace_seconds = 0.0
    (settled,) = flow.approvals.reconcile()
    assert settled.ok and "the previous policy is in place in AWS" in settled.message
    assert flow.store.get(proposal.id).state == "rolled-back"  # type: ignore[union-attr]
    assert flow.approvals.reconcile() == []  # settled once
    audit = [e for e in flow.store.audit_entries() if e["proposal"] == proposal.id]
    assert audit[-1]["action"] == "rolled-back" and audit[-1]["actor"] == "s3why-reconcile"


def test_reconcile_leaves_an_apply_in_progress_alone_and_settles_one_left_behind(
    moto: str, store: tuple[redis.Redis, int]
) -> None:
    state, _ = store
    flow = make_flow(scenario(IDENTITY), state, "s3why:")
    proposal, change = flow.changing("principal-inline")
    flow.store.move(proposal.id, "approved", actor=APPROVER)
    applying = flow.store.move(proposal.id, "applying", actor=APPROVER)
    assert applying is not None and flow.store.record_intent(applying, action="apply", actor=APPROVER) is not None
    assert flow.approvals.reconcile() == []  # within the grace period: another replica may be writing now
    # that replica wrote, then died before recording it
    client("iam").put_role_policy(
        RoleName="app", PolicyName=change.apply["name"], PolicyDocument=json.dumps(change.document)
    )
    flow.approvals.reconcile_grace_seconds = 0.0
    (settled,) = flow.approvals.reconcile()
    assert settled.ok and f"approved by <@{APPROVER}> is in place" in settled.message
    assert settled.proposal is not None and settled.proposal.state == "applied"
    assert flow.approvals.rollback(proposal.id, APPROVER).ok  # Roll back works on the reconciled apply
    assert change.apply["name"] not in _inline("app")


class NoAnswerAfter:
    """A writer client hook: AWS does `operation` but its answer never arrives (a read timeout); with `refuse`,
    putting it back is refused by AWS."""

    def __init__(self, operation: str, refuse: str | None = None) -> None:
        self.operation, self.refuse = operation, refuse

    def hook(self, made: Any) -> None:
        from botocore.exceptions import ClientError, ReadTimeoutError

        def lost(**_: Any) -> None:
            raise ReadTimeoutError(endpoint_url="https://iam.amazonaws.com/")

        def refused(**_: Any) -> None:
            raise ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, self.refuse or "")

        made.meta.events.register(f"after-call.iam.{self.operation}", lost)
        if self.refuse:
            made.meta.events.register(f"before-call.iam.{self.refuse}", refused)


def test_a_write_without_an_answer_is_put_back_and_never_called_refused(moto: str, redis_client: redis.Redis,
                                                                         redis_prefix: str) -> None:  # fmt: skip
    flow = make_flow(scenario(IDENTITY), redis_client, redis_prefix, recorder=NoAnswerAfter("PutRolePolicy"))  # type: ignore[arg-type]
    proposal, change = flow.changing("principal-inline")
    outcome = flow.approvals.approve(proposal.id, APPROVER)
    assert not outcome.ok and "may have been applied" in outcome.message and "put back" in outcome.message
    assert "refused" not in outcome.message and "Nothing was applied" not in outcome.message
    assert change.apply["name"] not in _inline("app")
    assert flow.store.get(proposal.id).state == "failed"  # type: ignore[union-attr]


def test_a_write_without_an_answer_that_cannot_be_put_back_is_left_for_reconcile(
    moto: str, redis_client: redis.Redis, redis_prefix: str
) -> None:
    hook = NoAnswerAfter("PutRolePolicy", refuse="DeleteRolePolicy")
    flow = make_flow(scenario(IDENTITY), redis_client, redis_prefix, recorder=hook)  # type: ignore[arg-type]
    proposal, change = flow.changing("principal-inline")
    outcome = flow.approvals.approve(proposal.id, APPROVER)
    assert not outcome.ok and "may be changed" in outcome.message and "re-read AWS" in outcome.message
    assert flow.store.get(proposal.id).state == "applying"  # type: ignore[union-attr]
    flow.approvals.reconcile_grace_seconds = 0.0
    (settled,) = flow.approvals.reconcile()
    assert settled.ok and "is in place in AWS" in settled.message  # it had been written: Roll back is offered
    assert settled.proposal is not None and settled.proposal.state == "applied"
    assert change.apply["name"] in _inline("app")
