"""`s3why serve` at start: AWS credentials and Slack checked, one clear line each, through the real process;
logs with only s3why's own lines, and the audit line's fields as JSON fields."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import redis

from bot.logs import JsonFormatter
from tests.account.conftest import moto, moto_url
from tests.approve.support import make_flow, scenario
from tests.slack.conftest import SECRET, fake_slack
from tests.slack.fake_slack import FakeSlack
from tests.slack.signed import event, message, post_signed
from tests.slack.test_app import JSON

__all__ = ["fake_slack", "moto", "moto_url"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _canned(status: int, content_type: str, body: bytes) -> ThreadingHTTPServer:
    """A local HTTP server that answers every POST with the same response."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def refusing_slack() -> Iterator[str]:
    """A Slack Web API that refuses every token, as Slack answers a revoked or mistyped one."""
    server = _canned(200, "application/json", json.dumps({"ok": False, "error": "invalid_auth"}).encode())
    yield f"http://127.0.0.1:{server.server_port}/api/"
    server.shutdown()


@pytest.fixture
def refusing_sts() -> Iterator[str]:
    """STS answering GetCallerIdentity as AWS does for an access key it does not know."""
    body = (
        b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
        b"<Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid."
        b"</Message></Error><RequestId>4d1b7c9e-0000-4000-8000-000000000000</RequestId></ErrorResponse>"
    )
    server = _canned(403, "text/xml", body)
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _env(slack_url: str, *, aws: bool, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "SLACK_APP_TOKEN")}
    env.update(SLACK_BOT_TOKEN="xoxb-start", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=slack_url)
    if not aws:  # nowhere in botocore's chain: no keys, no profile files, no instance metadata
        env = {k: v for k, v in env.items() if not k.startswith("AWS_")}
        env.update(
            AWS_SHARED_CREDENTIALS_FILE=str(tmp / "none"),
            AWS_CONFIG_FILE=str(tmp / "none"),
            AWS_EC2_METADATA_DISABLED="true",
        )
    return env


def _serve(env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    return proc, f"http://127.0.0.1:{port}"


def _started(proc: subprocess.Popen[str], base: str) -> bool:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            status: int = urllib.request.urlopen(f"{base}/healthz", timeout=2).status
            return status == 200
        except OSError:
            time.sleep(0.1)
    return False


def _stop(proc: subprocess.Popen[str]) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=20)
    return stderr


def _exited(proc: subprocess.Popen[str]) -> str:
    """Standard error of a process that is expected to stop by itself (a refused start)."""
    _, stderr = proc.communicate(timeout=60)
    return stderr


def _json_lines(stderr: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def test_serve_says_it_has_aws_credentials_and_slack_and_logs_nothing_else(
    moto: str, fake_slack: tuple[FakeSlack, str], tmp_path: Path
) -> None:
    proc, base = _serve(_env(f"{fake_slack[1]}/api/", aws=True, tmp=tmp_path))
    try:
        assert _started(proc, base)
    finally:
        stderr = _stop(proc)
    lines = _json_lines(stderr)
    assert len(lines) == len(stderr.splitlines()), stderr  # every line is one of s3why's JSON lines
    checks = {line["check"]: line for line in lines if line["logger"] == "s3why.startup"}
    assert checks["AWS"]["message"] == "AWS: credentials of arn:aws:sts::123456789012:user/moto (account 123456789012)"
    assert checks["Slack"]["message"] == "Slack: connected to workspace Test as @s3why"
    assert all(c["ok"] is True and c["level"] == "info" for c in checks.values())
    noise = [line for line in lines if not line["logger"].startswith("s3why")]
    assert noise == [], noise  # no botocore INFO, no Bolt "client as well", no werkzeug
    assert "gave `client` as well" not in stderr and "Found credentials" not in stderr


def test_serve_without_aws_credentials_refuses_to_start_with_one_line(
    fake_slack: tuple[FakeSlack, str], tmp_path: Path
) -> None:
    proc, _ = _serve(_env(f"{fake_slack[1]}/api/", aws=False, tmp=tmp_path))
    stderr = _exited(proc)
    assert proc.returncode == 2
    assert stderr.strip().splitlines() == [
        "s3why: AWS: no credentials found (environment, AWS_PROFILE and shared files, SSO, container or instance "
        "role): s3why cannot read any account"
    ]


def test_serve_with_credentials_sts_rejects_refuses_to_start(
    refusing_sts: str, fake_slack: tuple[FakeSlack, str], tmp_path: Path
) -> None:
    env = _env(f"{fake_slack[1]}/api/", aws=False, tmp=tmp_path)
    env.update(AWS_ACCESS_KEY_ID="AKIAUNKNOWNUNKNOWN00", AWS_SECRET_ACCESS_KEY="x", AWS_ENDPOINT_URL_STS=refusing_sts)
    proc, _ = _serve(env)
    stderr = _exited(proc)
    assert proc.returncode == 2
    assert stderr.strip().splitlines() == ["s3why: AWS: STS refused s3why's credentials (InvalidClientTokenId)"]


def test_serve_with_a_token_slack_refuses_says_so_and_does_not_start(
    moto: str, refusing_slack: str, tmp_path: Path
) -> None:
    proc, _ = _serve(_env(refusing_slack, aws=True, tmp=tmp_path))
    stderr = _exited(proc)
    assert proc.returncode == 2
    assert stderr.strip().splitlines() == [
        "s3why: Slack: the bot token was refused (invalid_auth): check SLACK_BOT_TOKEN"
    ]


def test_serve_starts_with_a_warning_when_slack_cannot_be_reached(moto: str, tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{_free_port()}/api/"
    proc, base = _serve(_env(closed, aws=True, tmp=tmp_path))
    try:
        assert _started(proc, base)  # the network may come back: /healthz answers meanwhile
    finally:
        stderr = _stop(proc)
    lines = _json_lines(stderr)
    slack = next(line for line in lines if line.get("check") == "Slack")
    assert slack["level"] == "warning" and slack["ok"] is False
    assert slack["message"].startswith(f"Slack: cannot reach {closed} (") and "starting anyway" in slack["message"]
    assert "URLError" not in stderr and "internal error" not in stderr and "Traceback" not in stderr


def test_the_audit_line_carries_its_fields_as_json(
    moto: str, redis_client: redis.Redis, redis_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    flow = make_flow(scenario("identity policy missing s3:PutObject"), redis_client, redis_prefix)
    caplog.set_level(logging.INFO, logger="s3why.audit")
    proposal = flow.proposals[0]
    flow.store.audit("approved", proposal, "U_BOB", note="two-person rule met")
    record = next(r for r in caplog.records if r.name == "s3why.audit")
    line = json.loads(JsonFormatter().format(record))
    assert line["audit"]["action"] == "approved" and line["audit"]["actor"] == "U_BOB"
    assert line["audit"]["proposal"] == proposal.id and line["audit"]["note"] == "two-person rule met"
    assert line["message"] == f"audit approved {proposal.id}"


def test_a_diagnosis_without_aws_credentials_says_so_in_words(
    fake_slack: tuple[FakeSlack, str], redis_client: redis.Redis, redis_prefix: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Credentials that vanish after the start (an expired session, a removed profile): the thread is told what
    is wrong, not the name of a Python exception."""
    from bot.slack.app import Store
    from tests.slack.conftest import start_app
    from tests.slack.test_app import SESSION

    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    fake, url = fake_slack
    gate = threading.Event()
    gate.set()
    endpoint, httpd = start_app(url, Store(redis_client, prefix=redis_prefix), gate)
    try:
        paste = (
            "An error occurred (AccessDenied) when calling the GetObject operation: User: "
            f'{SESSION} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::b/k"'
        )
        assert post_signed(endpoint, SECRET, event(message(paste), event_id="EvNoCreds"), JSON)[0] == 200
        answer = fake.wait_for("chat.update")[-1].body
    finally:
        httpd.shutdown()
    assert "s3why has no usable AWS credentials" in json.dumps(answer["blocks"])
    assert "NoCredentialsError" not in json.dumps(answer)
