"""A flood of distinct denied requests from one source (an attacker varying the key's first path segment, the
action or the role) is bounded: a few posts per source and bucket in a group window, the rest counted, never a
post (nor a diagnosis) per request. Through the real watcher: moto's SQS, real Redis, the fake Slack Web API."""

from __future__ import annotations

import json

from bot.watch.worker import NEW_SHAPES_PER_ACCOUNT, NEW_SHAPES_PER_SOURCE
from tests.watch.conftest import Env
from tests.watch.support import record


def _anonymous(key: str) -> dict[str, object]:
    rec = record(key=key)
    rec["userIdentity"] = {"type": "AWSAccount", "principalId": "", "accountId": "ANONYMOUS_PRINCIPAL"}
    rec["resources"] = [{"accountId": "123456789012", "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::lake"}]
    return rec


def test_one_role_varying_the_key_prefix_gets_a_bounded_number_of_posts(env: Env) -> None:
    flood = NEW_SHAPES_PER_SOURCE + 8
    env.send(*(json.dumps(record(session="s1", key=f"x{i}/a.csv")) for i in range(flood)))
    summary = env.watcher().run(once=True)
    assert summary.events == flood
    assert summary.posted <= NEW_SHAPES_PER_SOURCE, summary
    assert summary.diagnosed <= NEW_SHAPES_PER_SOURCE, summary
    assert summary.noise == flood - summary.posted, summary  # counted, not posted
    assert env.in_queue() == 0


def test_anonymous_requests_varying_the_key_prefix_get_a_bounded_number_of_posts(env: Env) -> None:
    flood = NEW_SHAPES_PER_SOURCE + 5
    env.send(*(json.dumps(_anonymous(f"p{i}/x")) for i in range(flood)))
    summary = env.watcher().run(once=True)
    assert summary.events == flood and summary.posted <= NEW_SHAPES_PER_SOURCE, summary


def test_another_role_still_gets_its_post_after_a_flood(env: Env) -> None:
    env.send(*(json.dumps(record(session="s1", key=f"x{i}/a.csv")) for i in range(NEW_SHAPES_PER_SOURCE + 3)))
    env.send(json.dumps(record(role="reporter", session="r1")))
    env.watcher().run(once=True)
    assert any("DenyReporter" in json.dumps(p["blocks"]) for p in env.top_level_posts())


def test_many_roles_of_an_unknown_account_share_one_budget(env: Env) -> None:
    flood = NEW_SHAPES_PER_ACCOUNT + 4
    records = []
    for i in range(flood):
        rec = record(role=f"r{i}", account="999999999999")
        rec["recipientAccountId"] = "123456789012"  # the bucket owner's trail
        rec["resources"] = [{"accountId": "123456789012", "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::lake"}]
        records.append(json.dumps(rec))
    env.send(*records)
    summary = env.watcher().run(once=True)
    assert summary.events == flood and summary.posted <= NEW_SHAPES_PER_ACCOUNT, summary
    assert summary.noise >= flood - NEW_SHAPES_PER_ACCOUNT, summary
