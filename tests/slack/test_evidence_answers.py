"""The error text is evidence, in Slack (issue 12 §1): signed requests to the real Bolt app, the fake Web API,
moto and a real Redis. A denial AWS attributes to a layer s3why cannot confirm is undecided, never allowed; a
lookalike error is explained, with no question and no fix."""

from __future__ import annotations

import json
from typing import Any

from bot.demo.scenarios import s_all_allowed, s_secure_transport
from tests.account.conftest import OWN
from tests.slack.conftest import SECRET, Harness
from tests.slack.signed import event, message, post_signed

SESSION = f"arn:aws:sts::{OWN}:assumed-role/app/run-1"


def _answer(h: Harness, text: str, event_id: str) -> list[dict[str, Any]]:
    assert post_signed(h.endpoint, SECRET, event(message(text), event_id=event_id), "application/json")[0] == 200
    blocks: list[dict[str, Any]] = h.fake.wait_for("chat.update")[-1].body["blocks"]
    return blocks


def test_an_scp_denial_that_everything_s3why_reads_allows_is_undecided_with_the_scp_first(harness: Harness) -> None:
    s_all_allowed()  # the role may read team-data; nothing s3why can read denies it
    paste = (
        "An error occurred (AccessDenied) when calling the GetObject operation: User: "
        f'{SESSION} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::team-data/a.txt" '
        "with an explicit deny in a service control policy"
    )
    blocks = _answer(harness, paste, "EvScpStated")
    first = blocks[0]["text"]["text"]
    assert first.startswith("*Undecided") and "`scp`" in first, first
    text = json.dumps(blocks)
    assert "Allowed by everything" not in text
    assert "AWS says an explicit Deny in a service control policy denied this" in text


def test_no_such_key_is_explained_with_no_question_and_no_fix(harness: Harness) -> None:
    s_all_allowed()
    paste = (
        "download failed: s3://team-data/missing.txt to ./missing.txt An error occurred (NoSuchKey) when calling "
        "the GetObject operation: The specified key does not exist."
    )
    blocks = _answer(harness, paste, "EvNoSuchKey")
    assert blocks[0]["text"]["text"].startswith("*Not an access denial*"), blocks[0]
    text = json.dumps(blocks)
    assert "The key is not in the bucket" in text  # parse's explanation, carried into the answer
    assert "s3why_ask_principal" not in text and "who made the call" not in text
    assert "verified" not in text and "advice only" not in text  # no fix of any kind


def test_what_the_text_cannot_tell_is_shown_unasked(harness: Harness) -> None:
    s_secure_transport()  # the bucket policy denies every request over plain HTTP
    paste = (
        "An error occurred (AccessDenied) when calling the GetObject operation: User: "
        f'{SESSION} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::tls-only/a.txt"'
    )
    blocks = _answer(harness, paste, "EvTlsBranch")
    text = json.dumps(blocks)
    assert "What the text cannot tell" in text
    assert "denied by DenyHttp in bucket policy of tls-only over plain HTTP" in text and "allowed over HTTPS" in text
    assert not blocks[0]["text"]["text"].startswith("*Allowed")
