"""Who may ask, about which accounts, and who sees full policy documents (issue 22 §1), through the real Bolt app
with signed requests, the fake Web API, moto in server mode and a real Redis."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
import redis

from bot.approve.store import PatchStore
from bot.config import ChannelConfig, Config
from bot.demo.scenarios import s_identity_missing_put
from tests.account.conftest import OTHER, OWN, client
from tests.approve.support import APPROVER, REQUESTER, STRANGER, config
from tests.presigned_seed import BUCKET, DENIED, USER_ARN, seed_signer
from tests.slack.conftest import SECRET, Harness, start_app
from tests.slack.signed import block_action, event, message, post_signed
from tests.slack.test_approvals import FORM, JSON, PASTE


@pytest.fixture
def app_with(harness: Harness, redis_client: redis.Redis, redis_prefix: str) -> Iterator[Callable[[Config], str]]:
    servers = []

    def start(cfg: Config) -> str:
        endpoint, httpd = start_app(
            harness.slack_url, harness.store, harness.gate, cfg, PatchStore(redis_client, prefix=redis_prefix)
        )
        servers.append(httpd)
        return endpoint

    yield start
    for httpd in servers:
        httpd.shutdown()


def _channel(**settings: object) -> Config:
    return replace(config(), channels={"C111": ChannelConfig(**settings)})  # type: ignore[arg-type]


def test_only_the_configured_askers_and_their_groups_may_ask(
    harness: Harness, app_with: Callable[[Config], str]
) -> None:
    harness.fake.groups["S_OPS"] = ["U_CAROL"]
    endpoint = app_with(_channel(askers=("S_OPS",)))
    s_identity_missing_put()
    assert post_signed(endpoint, SECRET, event(message(PASTE, user=STRANGER), event_id="EvAsk1"), JSON)[0] == 200
    refusal = harness.fake.wait_for("chat.postEphemeral")[0].body
    assert refusal["user"] == STRANGER and "askers" in refusal["text"]
    assert harness.fake.of("chat.postMessage") == []
    inner = message(PASTE, user="U_CAROL", ts="1700000000.000200")
    assert post_signed(endpoint, SECRET, event(inner, event_id="EvAsk2"), JSON)[0] == 200
    assert "Root cause" in json.dumps(harness.fake.wait_for("chat.update")[-1].body["blocks"])


def test_a_channel_sees_only_the_accounts_it_is_allowed(harness: Harness, app_with: Callable[[Config], str]) -> None:
    client("iam").create_role(RoleName="s3why-write", AssumeRolePolicyDocument="{}")
    endpoint = app_with(_channel(accounts=(OTHER,)))
    s_identity_missing_put()
    assert post_signed(endpoint, SECRET, event(message(PASTE, user=REQUESTER), event_id="EvAcct"), JSON)[0] == 200
    final = json.dumps(harness.fake.wait_for("chat.update")[-1].body)
    assert f"accounts {OTHER} only" in final and f"involves {OWN}" in final
    assert "Root cause" not in final and "s3why_approve" not in final and "team-data" not in final


def test_full_policy_documents_go_to_approvers_only(harness: Harness, app_with: Callable[[Config], str]) -> None:
    endpoint = app_with(config())
    s_identity_missing_put()
    assert post_signed(endpoint, SECRET, event(message(PASTE, user=REQUESTER), event_id="EvFull"), JSON)[0] == 200
    answer = harness.fake.wait_for("chat.update")[-1].body
    run_id = next(
        e["value"] for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"]
        if e["action_id"] == "s3why_full_report"
    )  # fmt: skip

    def click(user: str) -> None:
        body = block_action({"type": "button", "action_id": "s3why_full_report", "value": run_id}, answer["ts"], user)
        assert post_signed(endpoint, SECRET, body, FORM)[0] == 200

    click(STRANGER)
    refusal = harness.fake.wait_for("chat.postEphemeral")[0].body
    assert refusal["user"] == STRANGER and "approvers only" in refusal["text"]
    click(APPROVER)
    report = harness.fake.wait_for("chat.postEphemeral", 2)[1].body
    assert report["user"] == APPROVER and "```" in report["text"] and "identity" in report["text"]
    assert harness.fake.of("files.completeUploadExternal") == []  # never in the thread for everyone


def test_a_pasted_key_s_owner_is_named_to_approvers_only(harness: Harness, app_with: Callable[[Config], str]) -> None:
    """Who owns an access key (read through sts:GetAccessKeyInfo and IAM) is not told to whoever pastes the key:
    the thread names the key's account, an approver's Full report names the user."""
    endpoint = app_with(config())
    url = seed_signer().presign().replace("&", "&amp;")  # as Slack delivers it
    paste = f"this link fails:\ncurl <{url}>\n{DENIED}"
    assert post_signed(endpoint, SECRET, event(message(paste, user=REQUESTER), event_id="EvOwner"), JSON)[0] == 200
    answer = harness.fake.wait_for("chat.update")[-1].body
    posted = harness.fake.everything_posted()
    assert USER_ARN not in posted and "apps/reporter" not in posted
    assert f"the key's owner (an IAM user of {OWN}; named to approvers in Full report)" in json.dumps(answer)
    assert f"arn:aws:s3:::{BUCKET}" in json.dumps(answer)  # still diagnosed, as the signer
    run_id = next(
        e["value"] for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"]
        if e["action_id"] == "s3why_full_report"
    )  # fmt: skip
    body = block_action({"type": "button", "action_id": "s3why_full_report", "value": run_id}, answer["ts"], APPROVER)
    assert post_signed(endpoint, SECRET, body, FORM)[0] == 200
    report = harness.fake.wait_for("chat.postEphemeral")[0].body
    assert report["user"] == APPROVER and USER_ARN in report["text"]


def test_a_key_s_owner_the_paste_names_itself_is_shown(harness: Harness, app_with: Callable[[Config], str]) -> None:
    endpoint = app_with(config())
    url = seed_signer().presign().replace("&", "&amp;")
    paste = f"{USER_ARN} signed this link:\ncurl <{url}>\n{DENIED}"
    assert post_signed(endpoint, SECRET, event(message(paste, user=REQUESTER), event_id="EvOwnerSaid"), JSON)[0] == 200
    assert f"`{USER_ARN}`" in json.dumps(harness.fake.wait_for("chat.update")[-1].body)
