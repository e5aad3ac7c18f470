"""`s3why serve` as it runs in production: a real process, HTTP mode, /healthz, a signed event, SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

from bot.demo.scenarios import s_sse_kms_header
from tests.conftest import OwnRedis
from tests.slack.conftest import SECRET
from tests.slack.fake_slack import FakeSlack
from tests.slack.signed import event, message, post_signed
from tests.slack.test_app import JSON, PASTE


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def _wait_healthy(base: str, proc: subprocess.Popen[str]) -> tuple[int, str]:
    """/healthz's answer once the server listens (a start-up failure shows its stderr)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return _get(f"{base}/healthz")
        except OSError:
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "s3why serve did not start listening"
            time.sleep(0.1)


def test_serve_answers_a_signed_event_and_stops_on_sigterm(
    moto: str, fake_slack: tuple[FakeSlack, str], own_redis: OwnRedis
) -> None:
    fake, slack_url = fake_slack
    s_sse_kms_header()
    port = _free_port()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-serve-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": f"{slack_url}/api/",
        "REDIS_URL": own_redis.url,  # a fresh server: nothing cached from other runs
    }
    env.pop("SLACK_APP_TOKEN", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        assert _wait_healthy(base, proc) == (200, "ok")
        assert _get(f"{base}/elsewhere")[0] == 404
        payload = event(message(PASTE), event_id=f"EvServe{uuid.uuid4().hex}")
        assert post_signed(f"{base}/slack/events", SECRET, payload, JSON)[0] == 200
        assert post_signed(f"{base}/slack/events", "forged", payload, JSON)[0] == 401
        update = fake.wait_for("chat.update")[-1].body
        assert "RequireKms" in json.dumps(update["blocks"])
        status, metrics = _get(f"{base}/metrics")
        assert status == 200
        assert 's3why_diagnoses_total{decision="explicit-deny"} 1' in metrics
        assert 's3why_root_causes_total{layer="bucket-policy"} 1' in metrics
        assert 's3why_aws_calls_total{operation="GetBucketPolicy",service="s3"}' in metrics
        assert 's3why_slack_events_total{kind="event_callback"}' in metrics and "s3why_cache_hit_ratio" in metrics
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 0, stderr
    assert "xoxb-serve-test" not in stderr and "Traceback" not in stderr
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    diagnosis = next(line for line in lines if line["message"] == "diagnosis")
    assert diagnosis["decision"] == "explicit-deny" and len(diagnosis["request_id"]) == 32
    assert all(set(line) >= {"time", "level", "logger", "message"} for line in lines)


def test_demo_slack_serves_an_emulated_account_behind_the_app(fake_slack: tuple[FakeSlack, str]) -> None:
    fake, slack_url = fake_slack
    port = _free_port()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in ("REDIS_URL", "SLACK_APP_TOKEN")
    }
    env.update(SLACK_BOT_TOKEN="xoxb-demo", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=f"{slack_url}/api/")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo", "--slack", "--scenario", "identity policy missing", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(4)]
        assert "identity policy missing s3:PutObject" in lines[0]
        paste = lines[3].strip()
        assert "AccessDenied" in paste
        base = f"http://127.0.0.1:{port}"
        assert _wait_healthy(base, proc)[0] == 200
        payload = event(message(paste), event_id=f"EvDemo{uuid.uuid4().hex}")
        assert post_signed(f"{base}/slack/events", SECRET, payload, JSON)[0] == 200
        final = json.dumps(fake.wait_for("chat.update")[-1].body["blocks"])
        assert "identity" in final and "s3:PutObject" in final
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 0, stderr


def test_sigterm_finishes_the_work_already_acknowledged(
    moto: str, fake_slack: tuple[FakeSlack, str], own_redis: OwnRedis
) -> None:
    import threading

    fake, slack_url = fake_slack
    s_sse_kms_header()
    port = _free_port()
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-term", "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": f"{slack_url}/api/", "REDIS_URL": own_redis.url}  # fmt: skip
    env.pop("SLACK_APP_TOKEN", None)
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    release = threading.Event()
    fake.hold["chat.update"] = release  # the answer is in flight when SIGTERM arrives
    try:
        base = f"http://127.0.0.1:{port}"
        assert _wait_healthy(base, proc)[0] == 200
        payload = event(message(PASTE), event_id=f"EvTerm{uuid.uuid4().hex}")
        assert post_signed(f"{base}/slack/events", SECRET, payload, JSON)[0] == 200
        fake.wait_for("chat.update")  # the diagnosis is done; its answer is being posted
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert proc.poll() is None  # still finishing
        release.set()
        _, stderr = proc.communicate(timeout=30)
    finally:
        release.set()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert "RequireKms" in json.dumps(fake.of("chat.update")[-1].body["blocks"])
