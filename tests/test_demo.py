"""`s3why demo` end to end, as a user runs it: its own emulated AWS, no Slack, AWS or Redis."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from typing import Any

from bot.demo.run import slack_follow_up
from bot.demo.scenarios import SCENARIOS
from bot.slack.app import _modal
from tests.slack.conftest import SECRET
from tests.slack.fake_slack import start_fake_slack
from tests.slack.signed import block_action, event, message, post_signed, view_submission

PROGRESS = re.compile(r"^\[\s*\d+/\d+\] (ok|WRONG)\s+.+: .+ \(\d+\.\d s\)$")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SLACK_")) and k != "REDIS_URL"}
    env.update(extra)
    return env


def test_the_demo_diagnoses_and_fixes_every_setup() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--json"], capture_output=True, text=True, env=_env(), timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    rows = json.loads(out.stdout)["scenarios"]
    assert [r["scenario"] for r in rows] == [s.name for s in SCENARIOS]
    for r in rows:
        assert r["denied_by"] == r["expected"], r
    done = {r["applied"] for r in rows}
    assert {"applied", "request change", "explained"} <= done
    applied = [r for r in rows if r["applied"] == "applied"]
    assert len(applied) >= 10 and all(r["after"] in ("allow", "object-missing") for r in applied)
    # Standard error holds s3why's progress only: one line per setup as it finishes, then the total. No
    # emulator access log, no third-party logging.
    lines = out.stderr.splitlines()
    assert len(lines) == len(SCENARIOS) + 1, out.stderr[-3000:]
    for n, line in enumerate(lines[:-1], 1):  # as each finishes: the count goes up, every setup once
        assert PROGRESS.match(line) and line.startswith(f"[{n:>2}/{len(SCENARIOS)}]"), line
    names = [re.sub(r"^\[\s*\d+/\d+\] \S+\s+", "", line).rsplit(": ", 1)[0] for line in lines[:-1]]
    assert sorted(names) == sorted(s.name for s in SCENARIOS)
    assert re.fullmatch(rf"s3why demo: {len(SCENARIOS)} setups in \d+\.\d s", lines[-1])


def test_the_demo_prints_reports_and_a_summary_table() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--scenario", "KMS key policy not granting"],
        capture_output=True, text=True, env=_env(), timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    # By default: the error pasted and a compact answer (headline, root cause, the fix), then the table.
    assert "pasted: download failed" in out.stdout and "answer: DENIED" in out.stdout
    assert "cause:  [kms]" in out.stdout and "fix:    Allow the principal to use the KMS key" in out.stdout
    assert "Root cause [kms" not in out.stdout and "Layers" not in out.stdout
    assert "scenario" in out.stdout and "1 of 1 setups handled" in out.stdout
    assert all(len(line) <= 100 for line in out.stdout.splitlines()), out.stdout
    assert "HTTP/1.1" not in out.stderr and "werkzeug" not in out.stderr
    assert [line for line in out.stderr.splitlines() if not PROGRESS.match(line)] == [
        line for line in out.stderr.splitlines() if line.startswith("s3why demo: 1 setup in")
    ]


def test_demo_full_prints_the_whole_reports() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--full", "--scenario", "KMS key policy not granting"],
        capture_output=True, text=True, env=_env(), timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Root cause [kms" in out.stdout and "Layers" in out.stdout and "pasted: " not in out.stdout


def test_the_table_fits_100_columns() -> None:
    from bot.demo.run import Row, _table

    rows = [Row("x" * 80, "session-policy", "permissions-boundary", "f" * 80, True, "request change", "explicit-deny")]
    lines = _table(rows).splitlines()
    assert all(len(line) <= 100 for line in lines) and lines[-1].startswith("x" * 20)
    assert "…" in lines[-1]


def test_setups_run_in_parallel_workers_report_in_their_own_order() -> None:
    """Two worker processes (each its own emulated AWS) give the same rows and reports, in the setups' order,
    as one process."""
    runs = {}
    for workers in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-m", "bot", "demo", "--scenario", "KMS"],
            capture_output=True, text=True, env=_env(S3WHY_DEMO_WORKERS=workers), timeout=300,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr[-2000:]
        runs[workers] = out
    kms = [s.name for s in SCENARIOS if "kms" in s.name.lower()]
    assert len(kms) >= 3
    for out in runs.values():
        titles = [line.removeprefix("== ") for line in out.stdout.splitlines() if line.removeprefix("== ") in kms]
        assert titles == kms  # the reports in the setups' order, whatever finished first
        assert f"{len(kms)} of {len(kms)} setups handled" in out.stdout
    table = [out.stdout[out.stdout.index("scenario  ") :] for out in runs.values()]
    assert table[0] == table[1]


def test_scripts_demo_says_what_it_does_before_running() -> None:
    out = subprocess.run(
        ["bash", "scripts/demo", "--scenario", "expired presigned URL"],
        capture_output=True, text=True, env=_env(), timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stderr.splitlines()
    assert lines[0] == "s3why demo: starting the emulated AWS account"  # the venv is installed already here
    assert PROGRESS.match(lines[1]) and "expired presigned URL" in lines[1]


# --- s3why demo --slack: the instructions it prints are the ones that work -------------------------------
def _labels(view: dict[str, Any]) -> dict[str, str]:
    return {b["block_id"]: b["label"]["text"] for b in view["blocks"]}


def test_the_follow_up_names_the_controls_the_app_has() -> None:
    labels = _labels(_modal("C1", None, ""))
    text = slack_follow_up(
        "download failed ... Access Denied",
        "arn:aws:sts::111122223333:assumed-role/app/run-1",
        {"aws:SourceVpce": ("vpce-1a2b3c4d",)},
    )
    assert labels["principal"].startswith("Who made the call") and "'Who made the call'" in text
    assert labels["context"].startswith("Request context") and "'Request context'" in text
    assert "    arn:aws:sts::111122223333:assumed-role/app/run-1" in text and "    aws:SourceVpce=vpce-1a2b3c4d" in text
    assert "answer s3why's question" not in text and "reply" not in text.lower()
    only_context = slack_follow_up("User: arn:aws:iam::1:role/a is not authorized", None, {"k": ("v",)})
    assert "/s3why with no text" in only_context and "    k=v" in only_context
    assert slack_follow_up("text", None, {}) == ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_demo_slack_instructions_lead_to_the_answer() -> None:
    """Follow the printed instructions through the real app: paste the error, press the button the text names,
    fill the form as it says; the answer names the KMS key policy."""
    fake, server, slack_url = start_fake_slack()
    port = _free_port()
    env = _env(SLACK_BOT_TOKEN="xoxb-demo", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=f"{slack_url}/api/")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo", "--slack", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        printed = [proc.stdout.readline() for _ in range(7)]
        paste, principal = printed[3].strip(), printed[6].strip()
        assert "AccessDenied" in paste and principal.startswith("arn:aws:sts::")
        button = re.search(r'press "([^"]+)"', printed[5])
        assert button is not None
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2).read()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "demo --slack did not start"
                time.sleep(0.1)
        payload = event(message(paste), event_id=f"EvDemo{uuid.uuid4().hex}")
        assert post_signed(f"{base}/slack/events", SECRET, payload, "application/json")[0] == 200
        first = fake.wait_for("chat.update")[-1].body
        actions = next(b for b in first["blocks"] if b.get("block_id") == "s3why_actions")["elements"]
        ask = next(e for e in actions if e["text"]["text"] == button.group(1))
        click = {"type": "button", "action_id": ask["action_id"], "value": ask["value"]}
        form = "application/x-www-form-urlencoded"
        assert post_signed(f"{base}/slack/events", SECRET, block_action(click, str(first["ts"])), form)[0] == 200
        view = fake.wait_for("views.open")[0].body["view"]
        assert _labels(view)["principal"].startswith("Who made the call")
        submit = view_submission({"error": paste, "principal": principal}, json.loads(view["private_metadata"]))
        assert post_signed(f"{base}/slack/events", SECRET, submit, form)[0] == 200
        final = json.dumps(fake.wait_for("chat.update", 2)[-1].body["blocks"])
        assert "kms" in final and "Which role" not in final
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=20)
        server.shutdown()
    assert "HTTP/1.1" not in stderr and "gave `client` as well" not in stderr


def test_the_table_does_not_show_a_missing_key_as_allowed() -> None:
    """Granting s3:ListBucket for a missing key turns 403 into 404 NoSuchKey: the request still fails."""
    from bot.demo.run import Row, _table

    row = Row("missing object", "object-missing", "object-missing", "The object does not exist", True, "applied",
              "object-missing")  # fmt: skip
    last = _table([row]).splitlines()[-1]
    assert "404 NoSuchKey" in last and "allow" not in last


def test_demo_slack_with_redis_lets_its_approver_approve_and_roll_back(redis_prefix: str) -> None:
    """`s3why demo --slack` with REDIS_URL, through the real app (signed requests, the fake Web API): the answer has
    Approve; someone else's click is refused; the demo approver's click applies the fix to the emulated account
    through the approval code (verified again: allowed by every layer s3why read), and Roll back undoes it."""
    fake, server, slack_url = start_fake_slack()
    port = _free_port()
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    env = _env(SLACK_BOT_TOKEN="xoxb-demo", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=f"{slack_url}/api/")
    env.update(REDIS_URL=redis_url, S3WHY_REDIS_PREFIX=redis_prefix)  # every key under this test's prefix
    command = [sys.executable, "-m", "bot", "demo", "--slack", "--port", str(port)]
    command += ["--scenario", "identity policy missing s3:PutObject", "--approver", "U_DEMO"]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        printed: list[str] = []
        while not printed or not printed[-1].startswith("Approve applies"):
            line = proc.stdout.readline()
            assert line, "".join(printed)
            printed.append(line)
        assert "U_DEMO may approve" in printed[-1]
        paste = printed[3].strip()
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2).read()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "demo --slack did not start"
                time.sleep(0.1)
        endpoint, form = f"{base}/slack/events", "application/x-www-form-urlencoded"
        pasted = event(message(paste, user="U_DEMO"), event_id=f"EvDemo{uuid.uuid4().hex}")
        assert post_signed(endpoint, SECRET, pasted, "application/json")[0] == 200
        answer = fake.wait_for("chat.update")[-1].body
        approve = next(
            e
            for b in answer["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
            if e["action_id"] == "s3why_approve"
        )

        def click(action_id: str, value: str, user: str) -> None:
            action = {"type": "button", "action_id": action_id, "value": value}
            body = block_action(action, "1800000000.000001", user=user, thread_ts="1700000000.000100")
            assert post_signed(endpoint, SECRET, body, form)[0] == 200

        click("s3why_approve", approve["value"], "U_SOMEONE")  # not the demo's approver
        assert "approver" in fake.wait_for("chat.postEphemeral")[-1].body["text"].lower()

        def posted(words: str) -> str:
            """The first message s3why posted with these words (each new post waited for, none skipped)."""
            n = 1
            while True:
                found = [
                    json.dumps(c.body) for c in fake.wait_for("chat.postMessage", n) if words in json.dumps(c.body)
                ]
                if found:
                    return found[0]
                n += 1

        click("s3why_approve", approve["value"], "U_DEMO")
        said = posted("Applied by")
        assert "Applied by <@U_DEMO>" in said and "s3why_rollback" in said, said
        # a role session's own session policy is never readable, so the claim names it (harden1, finding 10)
        assert "now allowed" in said or "allowed by every layer s3why read; not read: session-policy" in said, said
        click("s3why_rollback", approve["value"], "U_DEMO")
        assert "Rolled back" in posted("Rolled back")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=20)
        server.shutdown()
    assert "Traceback" not in stderr and "HTTP/1.1" not in stderr
