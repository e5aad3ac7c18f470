"""Resident memory of `s3why serve` (a real process, HTTP mode): idle, and after 1,000 pasted errors answered
(moto and the fake Slack Web API run in this process; the server's own RSS is read from /proc)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from benchmarks.run import Row
from bot.demo.emulator import start_emulated_aws


def _rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def bench_memory() -> list[Row]:
    from bot.demo.scenarios import s_sse_kms_header
    from tests.slack.fake_slack import start_fake_slack
    from tests.slack.signed import event, message, post_signed
    from tests.slack.test_app import JSON, PASTE

    _, stop_aws = start_emulated_aws()
    fake, slack_server, slack_url = start_fake_slack()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        app_port = s.getsockname()[1]
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": "bench-secret",
           "SLACK_API_URL": f"{slack_url}/api/", "S3WHY_LOG_FORMAT": "text"}  # fmt: skip
    env.pop("REDIS_URL", None)
    env.pop("SLACK_APP_TOKEN", None)
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(app_port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        s_sse_kms_header()
        base = f"http://127.0.0.1:{app_port}"
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(1.0)
        idle = _rss_mib(proc.pid)
        for i in range(1000):
            body = event(message(PASTE, ts=f"1700000300.{i:06d}"), event_id=f"EvMem{i}")
            post_signed(f"{base}/slack/events", "bench-secret", body, JSON)
            if i % 50 == 49:
                fake.wait_for("chat.update", i + 1, timeout=120)
        fake.wait_for("chat.update", 1000, timeout=300)
        busy = _rss_mib(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        slack_server.shutdown()
        stop_aws()
    return [
        ("memory", "s3why serve, idle (RSS)", f"{idle:.0f} MiB"),
        ("memory", "s3why serve, after 1,000 pasted errors answered (RSS)", f"{busy:.0f} MiB"),
    ]
