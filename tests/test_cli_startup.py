"""Start-up: a command loads only what it uses. `parse` and `simulate` never import the AWS SDK, Bolt, Jinja,
Redis or moto (each costs tens to hundreds of milliseconds before the command can do anything).

Checked with `python -X importtime`, which lists every module a process imported: deterministic, no clock.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.cli import COMMANDS, build_parser

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("boto3", "botocore", "s3transfer", "slack_bolt", "slack_sdk", "jinja2", "redis", "moto", "werkzeug")


def imported_by(*args: str, stdin: str = "") -> set[str]:
    """The modules `python -m bot ARGS` imports, after checking the command succeeded."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return {line.rsplit("|", 1)[1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}


def heavy_in(modules: set[str]) -> set[str]:
    return {m for m in modules if m.split(".")[0] in HEAVY}


def test_parse_imports_no_sdk_or_server_library() -> None:
    text = (ROOT / "bot" / "data" / "sample_error.txt").read_text()
    modules = imported_by("parse", "--json", stdin=text)
    assert "bot.parse" in modules  # the listing is real
    assert heavy_in(modules) == set()


def test_simulate_imports_the_engine_only(tmp_path: Path) -> None:
    policy = tmp_path / "p.json"
    policy.write_text(
        json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    )
    modules = imported_by(
        "simulate", "--principal", "arn:aws:iam::111122223333:user/a", "--action", "s3:GetObject",
        "--resource", "arn:aws:s3:::b/k", "--identity-policy", str(policy), "--json",
    )  # fmt: skip
    assert "bot.engine.evaluate" in modules
    assert heavy_in(modules) == set()
    assert not any(m == "bot.parse" or m.startswith(("bot.account", "bot.diagnose", "bot.slack")) for m in modules)


def test_help_lists_every_command_without_loading_them() -> None:
    modules = imported_by("--help")
    assert heavy_in(modules) == set()
    usage = build_parser().format_help()
    for command in COMMANDS:
        assert command.name in usage


def test_a_command_still_gets_its_own_arguments() -> None:
    parser = build_parser("diagnose")
    args = parser.parse_args(["diagnose", "--principal", "arn:aws:iam::111122223333:user/a", "text"])
    assert args.principal == "arn:aws:iam::111122223333:user/a" and args.text == "text"


def test_a_batch_ends_the_command_s_process_but_returns_to_an_in_process_caller(tmp_path: Path, capsys: Any) -> None:
    from bot.cli import main

    allow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    case = {"principal": "arn:aws:iam::111122223333:user/a", "action": "s3:GetObject",
            "resource": "arn:aws:s3:::b/k", "identity_policies": [allow]}  # fmt: skip
    cases = tmp_path / "cases.json"
    cases.write_text(json.dumps([case, case]))
    assert main(["simulate", "--cases", str(cases), "--json"]) == 0  # returned: this process lives on
    assert [r["decision"] for r in json.loads(capsys.readouterr().out)["results"]] == ["allow", "allow"]
    # The command's own process exits at once after printing everything.
    out = subprocess.run(
        [sys.executable, "-m", "bot", "simulate", "--cases", str(cases), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0 and [r["decision"] for r in json.loads(out.stdout)["results"]] == ["allow", "allow"]
