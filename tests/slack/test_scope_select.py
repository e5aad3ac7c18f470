"""Issue 15: in Slack a select switches a fix's scope, and approving applies the scope chosen."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from bot.approve.store import PatchStore
from bot.demo.scenarios import s_identity_missing_put
from tests.account.conftest import client
from tests.approve.support import APPROVER, REQUESTER, config
from tests.slack.conftest import SECRET, Harness, start_app
from tests.slack.signed import block_action, event, message, post_signed
from tests.slack.test_approvals import PASTE

FORM, JSON = "application/x-www-form-urlencoded", "application/json"


@pytest.fixture
def approving(
    harness: Harness, redis_client: redis.Redis, redis_prefix: str
) -> Iterator[tuple[Harness, str, PatchStore]]:
    patches = PatchStore(redis_client, prefix=redis_prefix)
    endpoint, httpd = start_app(harness.slack_url, harness.store, harness.gate, config(), patches)
    yield harness, endpoint, patches
    httpd.shutdown()


def _scope_select(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return next(b["accessory"] for b in blocks if (b.get("accessory") or {}).get("action_id") == "s3why_fix_scope")


def _approve(blocks: list[dict[str, Any]]) -> str:
    return str(
        next(
            e["value"]
            for b in blocks
            if b["type"] == "actions"
            for e in b["elements"]
            if e["action_id"] == "s3why_approve"
        )
    )


def test_the_scope_select_switches_the_fix_and_approval_applies_the_chosen_scope(
    approving: tuple[Harness, str, PatchStore],
) -> None:
    h, endpoint, _ = approving
    client("iam").create_role(RoleName="s3why-write", AssumeRolePolicyDocument="{}")
    s_identity_missing_put()
    assert post_signed(endpoint, SECRET, event(message(PASTE, user=REQUESTER), event_id="EvScope"), JSON)[0] == 200
    first = h.fake.wait_for("chat.update")[-1].body
    select = _scope_select(first["blocks"])
    assert select["initial_option"]["value"].endswith("|prefix")  # the sync's destination, out/, by default
    shown = json.dumps(first["blocks"])
    assert "lets app put any object under out/ in team-data" in shown
    assert "arn:aws:s3:::team-data/out/*" in shown
    labels = [o["text"]["text"] for o in select["options"]]
    assert labels == [
        "prefix: lets app put any object under out/ in team-data",
        "object: lets app put only s3://team-data/out/a.txt",
        "bucket: lets app put any object in team-data",
    ]
    option = next(o for o in select["options"] if o["value"].endswith("|object"))
    action = {"type": "static_select", "action_id": "s3why_fix_scope", "selected_option": option}
    assert post_signed(endpoint, SECRET, block_action(action, str(first["ts"])), FORM)[0] == 200
    second = h.fake.wait_for("chat.update", 2)[-1].body
    assert second["ts"] == first["ts"]
    assert _scope_select(second["blocks"])["initial_option"]["value"].endswith("|object")
    proposal = _approve(second["blocks"])
    body = block_action(
        {"type": "button", "action_id": "s3why_approve", "value": proposal},
        "1800000000.000001",
        user=APPROVER,
        thread_ts="1700000000.000100",  # a reply in the thread of the paste, as s3why's answer is
    )
    assert post_signed(endpoint, SECRET, body, FORM)[0] == 200
    outcome = json.dumps(h.fake.wait_for("chat.postMessage", 2)[-1].body["blocks"])
    assert f"Applied by <@{APPROVER}>" in outcome, outcome
    applied = client("iam").get_role_policy(RoleName="app", PolicyName="s3why-fixes")["PolicyDocument"]
    assert applied["Statement"][-1]["Resource"] == ["arn:aws:s3:::team-data/out/a.txt"]  # the scope chosen


LONG_BUCKET = "analytics-data-lake-production-eu-west-1-quarterly-archive"  # 58 characters, within S3's 63
LONG_KEY = "exports/2026/finance/quarterly-close/consolidated/ledger-2026-q3.parquet"


def test_every_scope_fits_slacks_option_limits_with_long_names(approving: tuple[Harness, str, PatchStore]) -> None:
    """Long bucket and key names: every scope's words (not only the bucket scope's) fit Slack's option object,
    checked with slack_sdk's own models and limits (text 75, description 75, value 150)."""
    from slack_sdk.models.blocks import Block, Option

    h, endpoint, _ = approving
    client("iam").create_role(RoleName="s3why-write", AssumeRolePolicyDocument="{}")
    s_identity_missing_put()
    client("s3").create_bucket(Bucket=LONG_BUCKET)
    client("iam").put_role_policy(
        RoleName="app",
        PolicyName="app",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{LONG_BUCKET}/*"}
                ],
            }
        ),
    )
    paste = PASTE.replace("team-data/out/a.txt", f"{LONG_BUCKET}/{LONG_KEY}").replace("./a.txt", "./ledger.parquet")
    assert post_signed(endpoint, SECRET, event(message(paste, user=REQUESTER), event_id="EvLong"), JSON)[0] == 200
    answer = h.fake.wait_for("chat.update")[-1].body
    block = next(b for b in answer["blocks"] if (b.get("accessory") or {}).get("action_id") == "s3why_fix_scope")
    Block.parse(block).validate_json()  # type: ignore[union-attr]  # raises on any limit slack_sdk knows
    options = block["accessory"]["options"]
    assert {o["value"].rsplit("|", 1)[1] for o in options} == {"object", "prefix", "bucket"}
    for option in Option.parse_all(options) or []:
        option.validate_json()  # text <= 75, value <= 150
    for o in options:
        description = (o.get("description") or {}).get("text", "")
        assert len(o["text"]["text"]) <= Option.label_max_length and len(description) <= Option.label_max_length
        words = f"{o['text']['text']} {description}"
        assert LONG_BUCKET in words.split() or "…" in words, words  # the whole bucket name, or said to be cut
    object_words = next(o for o in options if o["value"].endswith("|object"))
    assert len(object_words["text"]["text"] + object_words.get("description", {}).get("text", "")) > 75  # needed both
