"""Signed but malformed form submissions (issue 22 §1, attack finding 13): Slack's request is answered with 200
and the form shows what is wrong (or the person is told), never an HTTP 500 and never a traceback in the log."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import quote

import pytest

from tests.slack.conftest import SECRET, Harness
from tests.slack.signed import post_signed

FORM = "application/x-www-form-urlencoded"


def _submission(view: dict[str, Any]) -> str:
    payload = {
        "type": "view_submission",
        "team": {"id": "T111"},
        "user": {"id": "U_EVE"},
        "api_app_id": "A111",
        "token": "legacy",
        "trigger_id": "1.2.6",
        "view": {"id": "V1", "type": "modal", "callback_id": "s3why_modal", **view},
    }
    return "payload=" + quote(json.dumps(payload))


@pytest.mark.parametrize(
    "view",
    [
        {"state": {"values": {"text": None}}, "private_metadata": "{not json"},
        {"state": {"values": {}}, "private_metadata": "[1,2]"},
        {"state": {"values": {"error": None, "principal": {"value": None}}}, "private_metadata": ""},
        {"state": "x", "private_metadata": 5},
        {"state": {"values": {"error": {"value": {"value": ["a"]}}}}, "private_metadata": "{}"},
    ],
    ids=["bad-json-metadata", "list-metadata", "null-fields", "state-not-object", "value-not-text"],
)
def test_a_malformed_form_gets_200_and_a_clear_error(
    harness: Harness, caplog: pytest.LogCaptureFixture, view: dict[str, Any]
) -> None:
    caplog.set_level(logging.DEBUG)
    status, body = post_signed(harness.endpoint, SECRET, _submission(view), FORM)
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors" and answer["errors"]["error"]
    assert not [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
