"""Correctly signed Slack requests (HMAC-SHA256 over v0:timestamp:body), as Slack sends them."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote, urlencode

from slack_sdk.signature import SignatureVerifier


def post_signed(
    url: str,
    secret: str,
    body: str,
    content_type: str,
    *,
    headers: dict[str, str] | None = None,
    timestamp: int | None = None,
) -> tuple[int, str]:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    sig = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body) or ""
    all_headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": sig,
        **(headers or {}),
    }
    req = urllib.request.Request(url, data=body.encode(), headers=all_headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def event(inner: dict[str, Any], event_id: str = "Ev001") -> str:
    return json.dumps(
        {
            "token": "legacy",
            "team_id": "T111",
            "api_app_id": "A111",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": 1700000000,
            "authorizations": [{"team_id": "T111", "user_id": "UBOT", "is_bot": True}],
            "event": {"channel": "C111", "channel_type": "channel", "team": "T111", **inner},
        }
    )


def message(text: str, *, ts: str = "1700000000.000100", user: str = "U_ALICE", **extra: Any) -> dict[str, Any]:
    return {"type": "message", "user": user, "text": text, "ts": ts, "event_ts": ts, **extra}


def slash(text: str, response_url: str, user: str = "U_ALICE") -> str:
    return urlencode(
        {
            "token": "legacy",
            "team_id": "T111",
            "team_domain": "test",
            "channel_id": "C111",
            "channel_name": "ops",
            "user_id": user,
            "user_name": "alice",
            "command": "/s3why",
            "text": text,
            "api_app_id": "A111",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    )


def interactive(payload: dict[str, Any]) -> str:
    return "payload=" + quote(json.dumps(payload))


def block_action(
    action: dict[str, Any],
    message_ts: str,
    user: str = "U_ALICE",
    *,
    thread_ts: str | None = "1700000000.000100",
    channel: str = "C111",
    blocks: list[dict[str, Any]] | None = None,
) -> str:
    """A click on a button of the message `message_ts` (whose `blocks` Slack sends along), a reply in the thread `thread_ts`: by default the thread of
    `message()`'s default paste, where s3why answers (None: a message that starts no thread)."""
    thread = {"thread_ts": thread_ts} if thread_ts else {}
    return interactive(
        {
            "type": "block_actions",
            "team": {"id": "T111", "domain": "test"},
            "user": {"id": user, "team_id": "T111"},
            "api_app_id": "A111",
            "token": "legacy",
            "trigger_id": "1.2.4",
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel,
                "is_ephemeral": False,
                **thread,
            },
            "channel": {"id": channel, "name": "ops"},
            "message": {"ts": message_ts, "text": "x", **thread, **({"blocks": blocks} if blocks else {})},
            "response_url": "http://127.0.0.1:1/unused",
            "actions": [{"action_ts": "1700000001.0", "block_id": "s3why_actions", **action}],
        }
    )


def shortcut(text: str, ts: str = "1700000000.000300") -> str:
    return interactive(
        {
            "type": "message_action",
            "callback_id": "s3why_diagnose_message",
            "trigger_id": "1.2.5",
            "team": {"id": "T111"},
            "user": {"id": "U_ALICE"},
            "channel": {"id": "C111", "name": "ops"},
            "message": {"type": "message", "ts": ts, "text": text},
            "response_url": "http://127.0.0.1:1/unused",
            "token": "legacy",
            "action_ts": "1700000002.0",
        }
    )


def view_submission(values: dict[str, str], metadata: dict[str, Any]) -> str:
    state = {k: {"value": {"type": "plain_text_input", "value": v}} for k, v in values.items()}
    return interactive(
        {
            "type": "view_submission",
            "team": {"id": "T111"},
            "user": {"id": "U_ALICE"},
            "api_app_id": "A111",
            "token": "legacy",
            "trigger_id": "1.2.6",
            "view": {
                "id": "V1",
                "type": "modal",
                "callback_id": "s3why_modal",
                "private_metadata": json.dumps(metadata),
                "state": {"values": state},
            },
        }
    )
