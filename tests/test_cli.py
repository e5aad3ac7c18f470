"""The command line as CONTRACT.md defines it: shapes, exit statuses, one JSON document on stdout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bot.parse.model import REQUEST_KEYS

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True, check=False
    )


def test_parse_json_prints_exactly_the_contract_shape() -> None:
    text = (ROOT / "bot" / "data" / "sample_error.txt").read_text()
    out = run("parse", "--json", stdin=text)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) == {"requests", "warnings"}
    (req,) = data["requests"]
    assert tuple(req) == REQUEST_KEYS
    assert req["action"] == "kms:GenerateDataKey"
    assert req["bucket"] == "acme-data-prod"


def test_parse_takes_the_text_as_an_argument_too() -> None:
    out = run(
        "parse", "--json", "An error occurred (AccessDenied) when calling the ListBuckets operation: Access Denied"
    )
    assert json.loads(out.stdout)["requests"][0]["action"] == "s3:ListAllMyBuckets"


def test_parse_text_output_is_readable() -> None:
    out = run(
        "parse", "fatal error: An error occurred (AccessDenied) when calling the ListObjectsV2 operation: Access Denied"
    )
    assert out.returncode == 0
    assert "IAM action   s3:ListBucket" in out.stdout


def test_demo_names_the_scenarios_when_none_matches() -> None:
    out = run("demo", "--scenario", "no such setup")
    assert out.returncode == 2
    assert "no scenario matches" in out.stderr and "session policy" in out.stderr


def test_bad_usage_exits_2() -> None:
    assert run("no-such-command").returncode == 2
    out = run("simulate", "--action", "s3:GetObject")
    assert out.returncode == 2
    assert "--principal" in out.stderr


def test_python_dash_m_and_console_script_agree() -> None:
    script = Path(sys.executable).with_name("s3why")
    out = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("s3why ")
