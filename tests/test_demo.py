"""`s3why demo` end to end, as a user runs it: its own emulated AWS, no Slack, AWS or Redis."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from bot.demo.scenarios import SCENARIOS


def test_the_demo_diagnoses_and_fixes_every_setup() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "REDIS_URL"}
    out = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--json"], capture_output=True, text=True, env=env, timeout=300
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
    assert "Traceback" not in out.stderr


def test_the_demo_prints_reports_and_a_summary_table() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    out = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--scenario", "KMS key policy not granting"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Root cause [kms" in out.stdout and "Layers" in out.stdout
    assert "scenario" in out.stdout and "1 of 1 setups handled" in out.stdout
