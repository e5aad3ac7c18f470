"""Hostile deliveries to `s3why serve` (a real process, HTTP mode): refused bodies are never logged, oversized
requests are refused before verification (413), malformed signed bodies answer 400 with one JSON log line, and no
traceback or secret reaches the log."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from slack_sdk.signature import SignatureVerifier

from bot.demo.scenarios import s_sse_kms_header
from bot.slack.server import MAX_REQUEST_BYTES
from tests.conftest import OwnRedis
from tests.slack.conftest import SECRET
from tests.slack.fake_slack import FakeSlack
from tests.slack.signed import event, message, post_signed
from tests.slack.test_app import JSON, PASTE
from tests.slack.test_serve import _free_port, _wait_healthy

FORM = "application/x-www-form-urlencoded"
MARKER = "BODY-MARKER-7f3a"  # never in a log line: it is only ever inside a request body
SLACK_TOKEN = "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
GITHUB_TOKEN = "ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SECRETS = (SLACK_TOKEN, GITHUB_TOKEN, SECRET_KEY, SECRET_KEY.replace("/", "\\/"))


@dataclass
class Served:
    base: str
    proc: subprocess.Popen[str]
    fake: FakeSlack

    def stop(self) -> list[str]:
        """SIGTERM, then every line s3why wrote to standard error."""
        self.proc.send_signal(signal.SIGTERM)
        _, stderr = self.proc.communicate(timeout=20)
        assert self.proc.returncode == 0, stderr
        return stderr.splitlines()


@pytest.fixture
def served(moto: str, fake_slack: tuple[FakeSlack, str], own_redis: OwnRedis) -> Iterator[Served]:
    fake, slack_url = fake_slack
    port = _free_port()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-serve-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": f"{slack_url}/api/",
        "REDIS_URL": own_redis.url,
    }
    env.pop("SLACK_APP_TOKEN", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert _wait_healthy(base, proc) == (200, "ok")
        yield Served(base, proc, fake)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)


def _post_raw(url: str, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> int:
    req = urllib.request.Request(
        url, data=body, headers={"Content-Type": content_type, **(headers or {})}, method="POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except (ConnectionResetError, BrokenPipeError):  # the server answered 413 and closed before all was sent
        return 413
    except urllib.error.URLError as exc:  # the same, as urllib reports it
        if isinstance(exc.reason, ConnectionResetError | BrokenPipeError):
            return 413
        raise


def _assert_clean(lines: list[str]) -> list[dict[str, object]]:
    """Every line is one JSON object; none holds a body, a secret or a traceback; none is huge."""
    parsed = []
    for line in lines:
        assert line.startswith("{"), f"not a JSON log line: {line[:300]!r}"
        assert MARKER not in line and "Traceback" not in line and len(line) < 5000, line[:300]
        for secret in SECRETS:
            assert secret not in line, line[:300]
        parsed.append(json.loads(line))
    return parsed


def test_refused_and_unhandled_deliveries_never_log_their_bodies(served: Served) -> None:
    events = f"{served.base}/slack/events"
    inner = message(f"{MARKER} {SLACK_TOKEN} {GITHUB_TOKEN} aws_secret_access_key={SECRET_KEY}")
    forged = event(inner, event_id=f"EvForged{uuid.uuid4().hex}")
    assert post_signed(events, "not-the-secret", forged, JSON)[0] == 401
    # Signed, but of a kind s3why does not listen to: Bolt warns "Unhandled request (...)" with the body.
    unhandled = event(
        {"type": "reaction_added", "user": "U1", "reaction": MARKER, "item": {"text": SLACK_TOKEN}},
        event_id=f"EvUnhandled{uuid.uuid4().hex}",
    )
    post_signed(events, SECRET, unhandled, JSON)
    lines = _assert_clean(served.stop())
    assert any("invalid" in str(line["message"]).lower() for line in lines)  # the refusal is logged, bodiless


def test_an_oversized_request_is_refused_before_verification(served: Served) -> None:
    events = f"{served.base}/slack/events"
    huge = json.dumps({"type": "event_callback", "event": {"text": MARKER * (3 * MAX_REQUEST_BYTES // len(MARKER))}})
    assert _post_raw(events, huge.encode(), JSON) == 413
    ts = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=huge) or ""
    signed = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}
    assert _post_raw(events, huge.encode(), JSON, signed) == 413
    # The server still answers after the refusals.
    assert post_signed(events, SECRET, event(message("hello"), event_id=f"Ev{uuid.uuid4().hex}"), JSON)[0] == 200
    lines = _assert_clean(served.stop())
    refusals = [line for line in lines if line.get("status") == 413]
    assert len(refusals) == 2 and all(int(str(line["bytes"])) > MAX_REQUEST_BYTES for line in refusals)


MALFORMED = [
    ("{not json", JSON),
    ("[1,2]", JSON),
    ("payload=%7Bbad", FORM),
    ("payload=[1,2]", FORM),
    ('payload="x"', FORM),
    ('{"type": "event_callback", "event": ' + MARKER, JSON),
    # Readable JSON, but not what Slack sends: Bolt's own middleware would fail on them (500 before the fix).
    ('{"type": "event_callback", "event": "' + MARKER + '"}', JSON),
    ('{"type": "event_callback"}', JSON),
    ('payload={"type": "block_actions", "user": {"id": "U1"}, "actions": [{}]}', FORM),
    ('payload={"type": "view_submission", "view": {"callback_id": "s3why_modal"}}', FORM),
    ('payload={"type": "message_action", "callback_id": "s3why_diagnose_message"}', FORM),
]


def test_malformed_signed_bodies_answer_400_with_one_log_line_each(served: Served) -> None:
    events = f"{served.base}/slack/events"
    for body, content_type in MALFORMED:
        status, answer = post_signed(events, SECRET, body, content_type)
        assert status == 400, body
        assert "error" in json.loads(answer) and MARKER not in answer
    # The same bodies unsigned are refused as unsigned.
    assert post_signed(events, "forged", MALFORMED[0][0], JSON)[0] == 401
    lines = _assert_clean(served.stop())
    assert len([line for line in lines if line.get("status") == 400]) == len(MALFORMED)


def test_secrets_in_a_pasted_error_never_reach_the_log(served: Served) -> None:
    s_sse_kms_header()
    paste = (
        f"{PASTE}\nexport SLACK_BOT_TOKEN={SLACK_TOKEN} GH={GITHUB_TOKEN}\n"
        + '{"SecretAccessKey": "'
        + SECRET_KEY.replace("/", "\\/")
        + '"}'
    )
    payload = event(message(paste), event_id=f"EvSecrets{uuid.uuid4().hex}")
    assert post_signed(f"{served.base}/slack/events", SECRET, payload, JSON)[0] == 200
    answer = served.fake.wait_for("chat.update")[-1].body
    posted = served.fake.everything_posted()
    for secret in SECRETS:
        assert secret not in posted
    assert "slack-token" in json.dumps(answer["blocks"]) and "github-token" in json.dumps(answer["blocks"])
    lines = _assert_clean(served.stop())
    assert any(line["message"] == "diagnosis" for line in lines)
