"""The Slack app end to end: signed requests to the real Bolt app, a fake Web API, moto and a real Redis."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from bot.config import ChannelConfig, Config
from bot.demo.scenarios import s_arn_confusion, s_secure_transport, s_sse_kms_header
from bot.slack.app import Store
from tests.account.conftest import OWN
from tests.slack.conftest import SECRET, Harness, start_app
from tests.slack.signed import block_action, event, message, post_signed, shortcut, slash, view_submission

JSON, FORM = "application/json", "application/x-www-form-urlencoded"
SESSION = f"arn:aws:sts::{OWN}:assumed-role/app/run-1"
PASTE = (
    "```upload failed: ./a.txt to s3://secure-drop/in/a.txt An error occurred (AccessDenied) when calling the PutObject "
    f'operation: User: {SESSION} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::secure-drop/in/a.txt" '
    "with an explicit deny in a resource-based policy```"
)


def _final_update(h: Harness) -> dict[str, Any]:
    return h.fake.wait_for("chat.update")[-1].body


def _actions(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = next(b for b in blocks if b.get("block_id") == "s3why_actions")["elements"]
    return found


def test_a_pasted_error_gets_a_threaded_answer_updated_in_place(harness: Harness) -> None:
    s_sse_kms_header()
    assert post_signed(harness.endpoint, SECRET, event(message(PASTE)), JSON)[0] == 200
    progress = harness.fake.wait_for("chat.postMessage")[0].body
    assert progress["thread_ts"] == "1700000000.000100"
    assert "Looking at" in json.dumps(progress["blocks"])
    update = _final_update(harness)
    assert update["ts"] == "1800000000.000001"  # the progress message, updated in place
    blocks = update["blocks"]
    assert isinstance(blocks, list) and len(blocks) <= 50
    first = blocks[0]["text"]["text"]
    assert "explicit Deny" in first and "bucket-policy" in first and "RequireKms" in first
    text = json.dumps(blocks)
    assert "x-amz-server-side-encryption" in text  # the failing condition, with both sides
    assert "s3why_rerun" in text and "s3why_full_report" in text
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)


def test_a_retried_event_and_a_second_replica_give_one_answer(harness: Harness, redis_client: object) -> None:
    s_sse_kms_header()
    body = event(message(PASTE), event_id="EvRetry")
    assert post_signed(harness.endpoint, SECRET, body, JSON)[0] == 200
    harness.fake.wait_for("chat.update")
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert post_signed(harness.endpoint, SECRET, body, JSON, headers=retry)[0] == 200
    # The same event delivered to another replica that shares the Redis store.
    other, httpd = start_app(
        harness.slack_url, Store(harness.store.client, prefix=harness.store.prefix), threading.Event()
    )
    try:
        assert post_signed(other, SECRET, body, JSON)[0] == 200
        time.sleep(0.5)
    finally:
        httpd.shutdown()
    assert len(harness.fake.of("chat.postMessage")) == 1


def test_forged_signatures_and_stale_timestamps_are_rejected(harness: Harness) -> None:
    body = event(message(PASTE), event_id="EvForged")
    assert post_signed(harness.endpoint, "not-the-secret", body, JSON)[0] == 401
    assert post_signed(harness.endpoint, SECRET, body, JSON, timestamp=int(time.time()) - 3600)[0] == 401
    time.sleep(0.3)
    assert not harness.fake.of("chat.postMessage")


def test_the_ack_does_not_wait_for_aws(harness: Harness) -> None:
    s_sse_kms_header()
    harness.gate.clear()  # every AWS call now blocks until the test releases it
    start = time.monotonic()
    status, _ = post_signed(harness.endpoint, SECRET, event(message(PASTE), event_id="EvSlow"), JSON)
    elapsed = time.monotonic() - start
    assert status == 200
    assert not harness.fake.of("chat.update")  # answered while the AWS lookups were still blocked
    assert elapsed < 3.0
    harness.fake.wait_for("chat.postMessage")  # "Looking at ..." arrives before AWS answers
    harness.gate.set()
    assert "RequireKms" in json.dumps(_final_update(harness)["blocks"])


CHATTER = [
    "morning all! standup in 5",
    "access denied to the wiki again, can someone add me?",
    "the website returns 403 Forbidden for logged out users, expected",
    "s3 bucket naming conventions doc: https://example.com/naming",
    "HTTP/1.1 200 OK",
    "I denied the PR, access patterns look wrong",
    "```python\nprint('hello')\n```",
    "AccessDenied is my least favourite error lol",
    "",
]


@pytest.mark.parametrize("text", CHATTER)
def test_ordinary_chatter_gets_no_reply(harness: Harness, text: str) -> None:
    assert post_signed(harness.endpoint, SECRET, event(message(text), event_id=f"Ev{abs(hash(text))}"), JSON)[0] == 200
    time.sleep(0.4)
    assert not harness.fake.of("chat.postMessage")


def test_bots_edits_and_own_messages_do_not_trigger(harness: Harness) -> None:
    for i, inner in enumerate(
        [
            message(PASTE, bot_id="B999", subtype="bot_message"),
            message(PASTE, user="UBOT"),
            {"type": "message", "subtype": "message_changed", "message": message(PASTE), "ts": "1.2"},
        ]
    ):
        assert post_signed(harness.endpoint, SECRET, event(inner, event_id=f"EvIgn{i}"), JSON)[0] == 200
    time.sleep(0.5)
    assert not harness.fake.of("chat.postMessage")


def test_a_pasted_secret_is_warned_about_and_never_repeated(harness: Harness) -> None:
    s_sse_kms_header()
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    text = PASTE + f"\naws_secret_access_key = {secret}"
    assert post_signed(harness.endpoint, SECRET, event(message(text), event_id="EvSecret"), JSON)[0] == 200
    update = _final_update(harness)
    assert "credential was pasted" in json.dumps(update["blocks"])
    assert secret not in harness.fake.everything_posted()


def test_mention_in_a_thread_diagnoses_the_thread_parent(harness: Harness) -> None:
    s_sse_kms_header()
    harness.fake.thread_parents["1700000000.000500"] = PASTE
    inner = {"type": "app_mention", "user": "U_BOB", "text": "<@UBOT> why?", "ts": "1700000000.000600",
             "thread_ts": "1700000000.000500", "event_ts": "1700000000.000600"}  # fmt: skip
    assert post_signed(harness.endpoint, SECRET, event(inner, event_id="EvMention"), JSON)[0] == 200
    assert harness.fake.wait_for("conversations.replies")[0].body["ts"] == "1700000000.000500"
    assert harness.fake.wait_for("chat.postMessage")[0].body["thread_ts"] == "1700000000.000500"
    assert "RequireKms" in json.dumps(_final_update(harness)["blocks"])


def test_slash_command_with_text_answers_in_a_thread(harness: Harness) -> None:
    s_sse_kms_header()
    status, ack = post_signed(harness.endpoint, SECRET, slash(PASTE, f"{harness.slack_url}/response/1"), FORM)
    assert status == 200 and "Diagnosing" in ack
    posts = harness.fake.wait_for("chat.postMessage", 2)
    assert "asked s3why" in posts[0].body["text"]
    assert posts[1].body["thread_ts"] == "1800000000.000001"
    assert "RequireKms" in json.dumps(_final_update(harness)["blocks"])


def test_slash_command_alone_opens_a_form_and_help_explains(harness: Harness) -> None:
    status, _ = post_signed(harness.endpoint, SECRET, slash("", f"{harness.slack_url}/response/2"), FORM)
    assert status == 200
    view = harness.fake.wait_for("views.open")[0].body["view"]
    assert view["callback_id"] == "s3why_modal"
    status, body = post_signed(harness.endpoint, SECRET, slash("help", f"{harness.slack_url}/response/3"), FORM)
    assert status == 200 and "/s3why" in body


def test_the_form_submission_diagnoses_with_the_given_principal(harness: Harness) -> None:
    s_secure_transport()
    text = "download failed: s3://tls-only/a.txt to ./a.txt An error occurred (AccessDenied) when calling the GetObject operation: Access Denied"
    body = view_submission(
        {"error": text, "principal": SESSION, "context": "aws:SecureTransport=false"},
        {"channel": "C111", "thread_ts": None},
    )
    assert post_signed(harness.endpoint, SECRET, body, FORM)[0] == 200
    harness.fake.wait_for("chat.postMessage", 2)
    final = json.dumps(_final_update(harness)["blocks"])
    assert "DenyHttp" in final and "aws:SecureTransport" in final


def test_the_message_shortcut_answers_in_the_message_thread(harness: Harness) -> None:
    s_sse_kms_header()
    assert post_signed(harness.endpoint, SECRET, shortcut(PASTE), FORM)[0] == 200
    assert harness.fake.wait_for("chat.postMessage")[0].body["thread_ts"] == "1700000000.000300"
    assert "RequireKms" in json.dumps(_final_update(harness)["blocks"])


def test_buttons_rerun_switch_the_fix_format_and_post_the_full_report(harness: Harness) -> None:
    s_sse_kms_header()
    assert post_signed(harness.endpoint, SECRET, event(message(PASTE), event_id="EvButtons"), JSON)[0] == 200
    blocks = _final_update(harness)["blocks"]
    actions = _actions(blocks)
    run_id = actions[0]["value"]
    message_ts = "1800000000.000001"
    assert (
        post_signed(
            harness.endpoint,
            SECRET,
            block_action({"type": "button", "action_id": "s3why_rerun", "value": run_id}, message_ts),
            FORM,
        )[0]
        == 200
    )
    harness.fake.wait_for("chat.update", 3)  # "Looking again…", then the fresh answer
    assert (
        post_signed(
            harness.endpoint,
            SECRET,
            block_action({"type": "button", "action_id": "s3why_full_report", "value": run_id}, message_ts),
            FORM,
        )[0]
        == 200
    )
    complete = harness.fake.wait_for("files.completeUploadExternal")[0].body
    assert complete["channel_id"] == "C111" and complete["thread_ts"] == "1700000000.000100"
    (report,) = harness.fake.uploads.values()
    assert "bucket-policy" in report and "RequireKms" in report and "Layers" in report


def test_the_format_select_rerenders_the_fix_in_place(harness: Harness) -> None:
    s_arn_confusion()
    paste = (
        "An error occurred (AccessDenied) when calling the ListObjectsV2 operation: User: "
        f"{SESSION} is not authorized to perform: s3:ListBucket on resource: "
        '"arn:aws:s3:::team-data" because no identity-based policy allows the s3:ListBucket action'
    )
    assert post_signed(harness.endpoint, SECRET, event(message(paste), event_id="EvFormat"), JSON)[0] == 200
    first = _final_update(harness)
    assert "aws s3api" in json.dumps(first["blocks"]) or "aws iam" in json.dumps(first["blocks"])
    actions = _actions(first["blocks"])
    select = next(e for e in actions if e["type"] == "static_select")
    option = next(o for o in select["options"] if o["value"].endswith("|terraform"))
    action = {"type": "static_select", "action_id": "s3why_fix_format", "selected_option": option}
    assert post_signed(harness.endpoint, SECRET, block_action(action, str(first["ts"])), FORM)[0] == 200
    rerendered = harness.fake.wait_for("chat.update", 2)[-1].body
    assert rerendered["ts"] == first["ts"] and 'resource \\"aws_' in json.dumps(rerendered["blocks"])


def test_the_full_report_falls_back_to_messages_without_files_write(harness: Harness) -> None:
    s_sse_kms_header()
    harness.fake.refuse_uploads = True
    assert post_signed(harness.endpoint, SECRET, event(message(PASTE), event_id="EvNoFiles"), JSON)[0] == 200
    actions = _actions(_final_update(harness)["blocks"])
    click = {"type": "button", "action_id": "s3why_full_report", "value": actions[0]["value"]}
    assert post_signed(harness.endpoint, SECRET, block_action(click, "1800000000.000001"), FORM)[0] == 200
    # the first post is the thread's answer; the report follows it in one or more messages (posted in order)
    report = harness.fake.wait_for("chat.postMessage", 2)[1].body
    assert report["thread_ts"] == "1700000000.000100" and "Layers" in json.dumps(report["blocks"])
    assert all(len(b["text"]["text"]) <= 3000 for b in report["blocks"])


def test_slash_answers_only_the_asker_where_the_channel_says_so(harness: Harness) -> None:
    s_sse_kms_header()
    config = Config(channels={"C111": ChannelConfig(slash_reply="ephemeral", account=OWN)})
    endpoint, httpd = start_app(harness.slack_url, harness.store, harness.gate, config)
    try:
        status, ack = post_signed(endpoint, SECRET, slash(PASTE, f"{harness.slack_url}/response/9"), FORM)
        assert status == 200 and "only you" in ack
        answer = harness.fake.wait_for("response/9")[0].body
    finally:
        httpd.shutdown()
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is True
    assert "RequireKms" in json.dumps(answer["blocks"])
    assert harness.fake.of("chat.postMessage") == []  # nothing in the channel


def test_the_form_rejects_what_it_cannot_use_field_by_field(harness: Harness) -> None:
    values = {"error": "hello there", "principal": "bob", "account": "12345", "context": "aws:SourceVpce"}
    status, body = post_signed(harness.endpoint, SECRET, view_submission(values, {"channel": "C111"}), FORM)
    assert status == 200
    errors = json.loads(body)["errors"]
    assert set(errors) == {"error", "principal", "account", "context"}
    assert "12 digits" in errors["account"] and "KEY=VALUE" in errors["context"]
    time.sleep(0.3)
    assert harness.fake.of("chat.postMessage") == []


def test_an_expired_run_says_so(harness: Harness) -> None:
    body = block_action({"type": "button", "action_id": "s3why_rerun", "value": "0" * 32}, "1800000000.000009")
    assert post_signed(harness.endpoint, SECRET, body, FORM)[0] == 200
    assert "expired" in harness.fake.wait_for("chat.postEphemeral")[0].body["text"]


def test_when_the_text_does_not_say_who_s3why_asks_and_continues_in_the_thread(harness: Harness) -> None:
    s_secure_transport()
    text = "download failed: s3://tls-only/a.txt to ./a.txt An error occurred (AccessDenied) when calling the GetObject operation: Access Denied"
    assert post_signed(harness.endpoint, SECRET, event(message(text), event_id="EvAsk"), JSON)[0] == 200
    first = _final_update(harness)
    assert "Which role or user made the call" in json.dumps(first["blocks"])
    ask = next(e for e in _actions(first["blocks"]) if e["action_id"] == "s3why_ask_principal")
    click = {"type": "button", "action_id": "s3why_ask_principal", "value": ask["value"]}
    assert post_signed(harness.endpoint, SECRET, block_action(click, str(first["ts"])), FORM)[0] == 200
    view = harness.fake.wait_for("views.open")[0].body["view"]
    meta = json.loads(view["private_metadata"])
    assert meta == {"channel": "C111", "thread_ts": "1700000000.000100", "requesters": ["U_ALICE"]}
    assert view["blocks"][0]["element"]["initial_value"] == text
    answer = {"error": text, "principal": SESSION, "context": "aws:SecureTransport=false"}
    assert post_signed(harness.endpoint, SECRET, view_submission(answer, meta), FORM)[0] == 200
    posts = harness.fake.wait_for("chat.postMessage", 2)
    assert posts[1].body["thread_ts"] == "1700000000.000100"  # continues in the same thread, no new parent
    final = harness.fake.wait_for("chat.update", 2)[-1].body
    assert "DenyHttp" in json.dumps(final["blocks"])
    assert "Which role" not in json.dumps(final["blocks"])


def test_slack_url_verification_and_ssl_check_are_answered(harness: Harness) -> None:
    body = json.dumps(
        {
            "token": "legacy",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    )
    status, answer = post_signed(harness.endpoint, SECRET, body, JSON)
    assert status == 200 and "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in answer
    status, _ = post_signed(harness.endpoint, SECRET, "ssl_check=1&token=legacy", FORM)
    assert status == 200
    time.sleep(0.2)
    assert not harness.fake.of("chat.postMessage")


def test_an_error_pasted_as_a_snippet_is_answered(harness: Harness) -> None:
    s_sse_kms_header()
    snippet = {"id": "F1", "mode": "snippet", "mimetype": "text/plain", "preview": PASTE.strip("`")}
    inner = message("here's the log", subtype="file_share", files=[snippet])
    assert post_signed(harness.endpoint, SECRET, event(inner, event_id="EvSnippet"), JSON)[0] == 200
    assert "RequireKms" in json.dumps(_final_update(harness)["blocks"])
