"""Approvals through the real Bolt app (signed requests, the fake Web API, moto in server mode, real Redis) when
things go wrong: the state store stops right after the AWS write, the person who asked is not the message's
author, the fix targets s3why's own role, a click comes from another thread."""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from slack_sdk import WebClient

from bot.account.collector import Collector
from bot.account.sessions import SessionProvider
from bot.approve.flow import Approvals
from bot.approve.store import PatchStore
from bot.approve.writer import Writer
from bot.cache import MemoryCache
from bot.config import Config
from bot.demo.scenarios import s_identity_missing_put
from bot.slack.app import Store, create_app
from bot.slack.runner import LiveDiagnoser
from bot.slack.server import _Quiet, wsgi_app
from tests.account.conftest import OWN, client
from tests.approve.support import APPROVER, REQUESTER, config
from tests.conftest import OwnRedis
from tests.slack.conftest import AppServer
from tests.slack.fake_slack import FakeSlack
from tests.slack.signed import block_action, event, interactive, message, post_signed

SECRET = "test-signing-secret"
FORM, JSON = "application/x-www-form-urlencoded", "application/json"
THREAD = "1700000000.000100"
CAROL = "U_CAROL"


def paste(session: str = "arn:aws:sts::123456789012:assumed-role/app/run-1") -> str:
    return (
        "upload failed: ./a.txt to s3://team-data/out/a.txt An error occurred (AccessDenied) when calling the "
        f"PutObject operation: User: {session} is not authorized to perform: s3:PutObject on resource: "
        '"arn:aws:s3:::team-data/out/a.txt" because no identity-based policy allows the s3:PutObject action'
    )


@dataclass
class App:
    fake: FakeSlack
    endpoint: str
    patches: PatchStore

    def answer_blocks(self, n: int = 1) -> str:
        return json.dumps(self.fake.wait_for("chat.update", n)[-1].body["blocks"])

    def approve_button(self, n: int = 1) -> str:
        blocks = self.fake.wait_for("chat.update", n)[-1].body["blocks"]
        return str(
            next(
                e["value"]
                for b in blocks
                if b["type"] == "actions"
                for e in b["elements"]
                if e["action_id"] == "s3why_approve"
            )
        )

    def click(self, action_id: str, value: str, user: str, *, thread: str = THREAD, channel: str = "C111") -> None:
        action = {"type": "button", "action_id": action_id, "value": value}
        body = block_action(action, "1800000000.000001", user=user, thread_ts=thread, channel=channel)
        assert post_signed(self.endpoint, SECRET, body, FORM)[0] == 200

    def post(self, body: str) -> None:
        content = JSON if body.startswith("{") else FORM
        assert post_signed(self.endpoint, SECRET, body, content)[0] == 200


def start(
    fake: FakeSlack,
    slack_url: str,
    slack_store: Store,
    patches: PatchStore,
    cfg: Config,
    writer_hook: Any = None,
) -> tuple[App, Any]:
    web = WebClient(token="xoxb-test", base_url=f"{slack_url}/api/")
    sessions = SessionProvider(cfg)
    diagnoser = LiveDiagnoser(Collector(sessions, MemoryCache()))
    approvals = Approvals(
        patches,
        Writer(sessions, client_hook=writer_hook),
        cfg,
        diagnoser.verify,
        diagnoser.invalidate,
        reconcile_grace_seconds=0.0,
    )
    app = create_app(
        client=web,
        signing_secret=SECRET,
        config=cfg,
        store=slack_store,
        diagnoser=diagnoser,
        approvals=approvals,
        reconcile_seconds=0.2,
    )
    from wsgiref.simple_server import make_server

    httpd = make_server("127.0.0.1", 0, wsgi_app(app), server_class=AppServer, handler_class=_Quiet)
    httpd.app = app
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return App(fake, f"http://127.0.0.1:{httpd.server_port}/slack/events", patches), httpd


@pytest.fixture
def slack_app(
    moto: str, fake_slack: tuple[FakeSlack, str], redis_client: redis.Redis, redis_prefix: str
) -> Iterator[App]:
    fake, url = fake_slack
    client("iam").create_role(RoleName="s3why-write", AssumeRolePolicyDocument="{}")
    cfg = replace(config(), accounts=(replace(config().accounts[0], approvers=(APPROVER, REQUESTER, CAROL)),))
    app, httpd = start(
        fake, url, Store(redis_client, prefix=redis_prefix), PatchStore(redis_client, prefix=redis_prefix), cfg
    )
    yield app
    httpd.shutdown()


def _role_policies(name: str = "app") -> list[str]:
    return list(client("iam").list_role_policies(RoleName=name)["PolicyNames"])


# --- the store stops right after the AWS write --------------------------------------------------------------------
def test_a_store_failure_after_the_write_is_told_truthfully_then_reconciled_with_roll_back(
    moto: str,
    fake_slack: tuple[FakeSlack, str],
    redis_client: redis.Redis,
    redis_prefix: str,
    own_redis: OwnRedis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="s3why.audit")
    fake, url = fake_slack
    client("iam").create_role(RoleName="s3why-write", AssumeRolePolicyDocument="{}")
    s_identity_missing_put()
    state = redis.Redis.from_url(own_redis.url, socket_timeout=1, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
    patches = PatchStore(state, prefix="s3why:")
    assert own_redis.proc is not None
    pid = own_redis.proc.pid

    def stop_the_store_after_the_write(made: Any) -> None:
        def stop(**_: Any) -> None:
            os.kill(pid, signal.SIGSTOP)  # the state store stops answering, mid-flow

        made.meta.events.register("after-call.iam.PutRolePolicy", stop)

    app, httpd = start(fake, url, Store(redis_client, prefix=redis_prefix), patches, config(),
                       writer_hook=stop_the_store_after_the_write)  # fmt: skip
    try:
        app.post(event(message(paste(), user=REQUESTER), event_id="EvStoreDown"))
        proposal_id = app.approve_button()
        app.click("s3why_approve", proposal_id, APPROVER)
        told = fake.wait_for("chat.postMessage", 2)[-1].body  # the progress message, then the outcome
        text = json.dumps(told)
        assert "nothing was changed" not in text.lower() and "Nothing was applied" not in text
        assert f"Applied to AWS by <@{APPROVER}>" in text and "could not record it" in text
        assert told["thread_ts"] == THREAD
        assert "s3why-fixes" in _role_policies()  # it was written
        audited = [
            r.__dict__["audit"]  # the audit line carries its fields as JSON fields
            for r in caplog.records
            if r.name == "s3why.audit" and r.levelno == logging.INFO
        ]
        applied = [a for a in audited if a["action"] == "applied"]
        assert applied and applied[0]["proposal"] == proposal_id and applied[0]["actor"] == APPROVER
    finally:
        os.kill(pid, signal.SIGCONT)  # the store is back
    try:
        reconciled = fake.wait_for("chat.postMessage", 3)[-1].body
        blocks = json.dumps(reconciled["blocks"])
        assert "Reconciled after a state-store failure" in blocks and "is in place in AWS" in blocks
        assert "s3why_rollback" in blocks and reconciled["thread_ts"] == THREAD
        assert patches.get(proposal_id).state == "applied"  # type: ignore[union-attr]
        assert patches.pending() == []
        app.click("s3why_rollback", proposal_id, APPROVER)
        rolled = fake.wait_for("chat.postMessage", 4)[-1].body
        assert "Rolled back" in json.dumps(rolled["blocks"])
        assert "s3why-fixes" not in _role_policies()
        actions = [e["action"] for e in patches.audit_entries() if e["proposal"] == proposal_id]
        assert actions[-2:] == ["applied", "rolled-back"]  # the reconciled apply reached the stream too
    finally:
        httpd.shutdown()


def test_reconcile_marks_an_apply_that_never_wrote_as_failed_and_says_nothing_changed(
    slack_app: App, redis_client: redis.Redis, redis_prefix: str
) -> None:
    s_identity_missing_put()
    slack_app.post(event(message(paste(), user=REQUESTER), event_id="EvCrash"))
    proposal_id = slack_app.approve_button()
    # a replica died between the approval and the write: the proposal is left `applying`, no intent recorded
    slack_app.patches.move(proposal_id, "approved", actor=APPROVER)
    slack_app.patches.move(proposal_id, "applying", actor=APPROVER)
    told = json.dumps(slack_app.fake.wait_for("chat.postMessage", 2)[-1].body)  # after the progress message
    assert "interrupted before anything was written" in told and "nothing was changed" in told
    assert slack_app.patches.get(proposal_id).state == "failed"  # type: ignore[union-attr]
    assert "s3why-fixes" not in _role_policies()


# --- two-person rule ----------------------------------------------------------------------------------------------
def _shortcut_on(author: str, invoker: str, text: str) -> str:
    return interactive(
        {
            "type": "message_action",
            "callback_id": "s3why_diagnose_message",
            "trigger_id": "1.2.5",
            "team": {"id": "T111"},
            "user": {"id": invoker},
            "channel": {"id": "C111", "name": "ops"},
            "message": {"type": "message", "ts": THREAD, "text": text, "user": author},
            "response_url": "http://127.0.0.1:1/unused",
            "token": "legacy",
            "action_ts": "1700000002.0",
        }
    )


def test_the_shortcut_on_someone_elses_message_makes_both_requesters(slack_app: App) -> None:
    s_identity_missing_put()
    slack_app.post(_shortcut_on(author=REQUESTER, invoker=APPROVER, text=paste()))
    proposal_id = slack_app.approve_button()
    slack_app.click("s3why_approve", proposal_id, APPROVER)  # the person who ran the shortcut
    slack_app.click("s3why_approve", proposal_id, REQUESTER)  # the message's author
    refusals = [c.body["text"] for c in slack_app.fake.wait_for("chat.postEphemeral", 2)]
    assert all("two-person rule" in t for t in refusals), refusals
    assert "s3why-fixes" not in _role_policies()
    slack_app.click("s3why_approve", proposal_id, CAROL)
    assert f"Applied by <@{CAROL}>" in json.dumps(slack_app.fake.wait_for("chat.postMessage", 2)[-1].body)
    entries = {e["action"]: e for e in slack_app.patches.audit_entries() if e["proposal"] == proposal_id}
    both = ",".join(sorted([REQUESTER, APPROVER]))
    assert entries["applied"]["requesters"] == both and entries["refused"]["requesters"] == both


def test_a_mention_in_someone_elses_thread_makes_both_requesters(slack_app: App) -> None:
    s_identity_missing_put()
    slack_app.fake.thread_parents[THREAD] = paste()
    slack_app.fake.thread_authors[THREAD] = REQUESTER
    mention = {"type": "app_mention", "user": APPROVER, "text": "<@UBOT> why?", "ts": "1700000000.000200",
               "thread_ts": THREAD, "event_ts": "1700000000.000200"}  # fmt: skip
    slack_app.post(event(mention, event_id="EvMention2p"))
    proposal_id = slack_app.approve_button()
    slack_app.click("s3why_approve", proposal_id, REQUESTER)  # the thread's author
    slack_app.click("s3why_approve", proposal_id, APPROVER)  # the one who mentioned s3why
    refusals = [c.body["text"] for c in slack_app.fake.wait_for("chat.postEphemeral", 2)]
    assert all("two-person rule" in t for t in refusals), refusals
    assert slack_app.patches.get(proposal_id).state == "proposed"  # type: ignore[union-attr]


# --- s3why's own roles --------------------------------------------------------------------------------------------
def test_a_paste_naming_s3whys_write_role_gets_advice_but_no_approve_button(slack_app: App) -> None:
    s_identity_missing_put()
    slack_app.post(event(message(paste(f"arn:aws:sts::{OWN}:assumed-role/s3why-write/U_BOB")), event_id="EvOwn"))
    blocks = slack_app.answer_blocks()
    assert "Allow" in blocks and "s3why-write" in blocks  # the fix is shown as advice
    assert "s3why_approve" not in blocks
    assert slack_app.patches.pending() == []


def test_a_role_tagged_as_s3whys_is_refused_at_proposal_and_again_at_apply(slack_app: App) -> None:
    s_identity_missing_put()
    slack_app.post(event(message(paste(), user=REQUESTER), event_id="EvTagLater"))
    proposal_id = slack_app.approve_button()
    client("iam").tag_role(RoleName="app", Tags=[{"Key": "s3why:role", "Value": "read"}])  # tagged after
    slack_app.click("s3why_approve", proposal_id, APPROVER)
    told = json.dumps(slack_app.fake.wait_for("chat.postMessage", 2)[-1].body)
    assert "tagged s3why:role" in told and "Nothing was changed" in told
    assert "s3why-fixes" not in _role_policies()
    assert slack_app.patches.get(proposal_id).state == "failed"  # type: ignore[union-attr]
    slack_app.post(event(message(paste(), user=REQUESTER, ts="1700000000.000700"), event_id="EvTagged"))
    blocks = slack_app.answer_blocks(2)
    assert "Allow" in blocks and "s3why_approve" not in blocks


# --- the click's channel and thread -------------------------------------------------------------------------------
@pytest.mark.parametrize(("channel", "thread"), [("C999", THREAD), ("C111", "1700000000.000999")])
def test_a_click_from_another_channel_or_thread_does_not_act(slack_app: App, channel: str, thread: str) -> None:
    s_identity_missing_put()
    slack_app.post(event(message(paste(), user=REQUESTER), event_id=f"EvPlace{channel}{thread}"))
    proposal_id = slack_app.approve_button()
    slack_app.click("s3why_approve", proposal_id, APPROVER, thread=thread, channel=channel)
    refused = slack_app.fake.wait_for("chat.postEphemeral", 1)[-1].body
    assert "does not belong to this thread" in refused["text"] and refused["channel"] == channel
    slack_app.click("s3why_reject", proposal_id, REQUESTER, thread=thread, channel=channel)
    assert "does not belong" in slack_app.fake.wait_for("chat.postEphemeral", 2)[-1].body["text"]
    assert slack_app.patches.get(proposal_id).state == "proposed"  # type: ignore[union-attr]
    assert "s3why-fixes" not in _role_policies()
    slack_app.click("s3why_approve", proposal_id, APPROVER)  # from its own thread it works
    assert f"Applied by <@{APPROVER}>" in json.dumps(slack_app.fake.wait_for("chat.postMessage", 2)[-1].body)


def test_the_form_from_someone_elses_run_keeps_them_a_requester(slack_app: App) -> None:
    s_identity_missing_put()
    values = {"error": {"value": {"type": "plain_text_input", "value": paste()}}}
    submitted = interactive(
        {
            "type": "view_submission",
            "team": {"id": "T111"},
            "user": {"id": APPROVER},  # fills in the form s3why opened from REQUESTER's run
            "api_app_id": "A111",
            "token": "legacy",
            "trigger_id": "1.2.6",
            "view": {
                "id": "V1",
                "type": "modal",
                "callback_id": "s3why_modal",
                "private_metadata": json.dumps({"channel": "C111", "thread_ts": THREAD, "requesters": [REQUESTER]}),
                "state": {"values": values},
            },
        }
    )
    slack_app.post(submitted)
    proposal_id = slack_app.approve_button()
    slack_app.click("s3why_approve", proposal_id, APPROVER)
    slack_app.click("s3why_approve", proposal_id, REQUESTER)
    refusals = [c.body["text"] for c in slack_app.fake.wait_for("chat.postEphemeral", 2)]
    assert all("two-person rule" in t for t in refusals), refusals
    assert slack_app.patches.get(proposal_id).state == "proposed"  # type: ignore[union-attr]
