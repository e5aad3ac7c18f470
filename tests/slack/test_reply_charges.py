"""A reply in a thread that continues someone's diagnosis spends the replier's rate limit, not the asker's: one
person's replies cannot use up another's asks. Through the real Bolt app: signed requests, the fake Web API, moto
in server mode and a real Redis."""

from __future__ import annotations

import json

import redis

from bot.approve.store import PatchStore
from bot.demo.scenarios import s_secure_transport
from tests.account.conftest import OWN
from tests.approve.support import APPROVER, config
from tests.slack.conftest import SECRET, Harness, start_app
from tests.slack.signed import event, message, post_signed
from tests.slack.test_approvals import JSON

THREAD = "1700000000.000100"
TEXT = (
    "download failed: s3://tls-only/a.txt to ./a.txt An error occurred (AccessDenied) when calling the GetObject "
    "operation: Access Denied"
)


def test_an_approvers_reply_is_charged_to_the_approver(
    harness: Harness, redis_client: redis.Redis, redis_prefix: str
) -> None:
    s_secure_transport()
    patches = PatchStore(redis_client, prefix=redis_prefix)
    endpoint, httpd = start_app(
        harness.slack_url, harness.store, harness.gate, config(), patches, runs_per_user_minute=1
    )
    try:
        assert post_signed(endpoint, SECRET, event(message(TEXT, user="U_CAROL"), event_id="EvCharge"), JSON)[0] == 200
        assert "Which role or user made the call?" in json.dumps(harness.fake.wait_for("chat.update")[-1].body)
        session = f"arn:aws:sts::{OWN}:assumed-role/app/run-1"
        inner = message(f"it was {session}", user=APPROVER, ts="1700000000.000400", thread_ts=THREAD)
        assert post_signed(endpoint, SECRET, event(inner, event_id="EvCharge2"), JSON)[0] == 200
        final = json.dumps(harness.fake.wait_for("chat.update", 2)[-1].body["blocks"])
        assert session in final
        assert harness.fake.of("chat.postEphemeral") == []  # nobody was told they asked too often
    finally:
        httpd.shutdown()
