"""The `watch:` block: read into a typed value, strict like the rest of the file (FILE:LINE for every error),
and `s3why watch`'s own start-up refusals, one line each."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, WatchRoute, parse_config

GOOD = """\
watch:
  queue_url: https://sqs.us-east-1.amazonaws.com/111111111111/s3why-access-denied
  default_channel: C0123456789
  routes:
    - {account: "222222222222", channel: C0222222222}
    - {bucket_tag: "team=payments", channel: C0333333333}
  group_window_minutes: 90
"""


def test_the_watch_block_is_read() -> None:
    w = parse_config(GOOD).watch
    assert w.queue_url is not None and w.queue_url.endswith("/s3why-access-denied")
    assert w.routes == (
        WatchRoute("C0222222222", account="222222222222"),
        WatchRoute("C0333333333", tag_key="team", tag_value="payments"),
    )
    assert (w.group_window_minutes, w.update_seconds, w.visibility_timeout_seconds) == (90, 30, 120)


def test_trail_buckets_are_read_and_absent_by_default() -> None:
    assert parse_config(GOOD).watch.trail_buckets == ()
    w = parse_config(GOOD + "  trail_buckets: [org-trail-logs, archive.logs]\n").watch
    assert w.trail_buckets == ("org-trail-logs", "archive.logs")


def test_routes_first_match_then_the_default() -> None:
    w = parse_config(GOOD).watch
    assert w.channel_for("222222222222", {"team": "payments"}) == "C0222222222"
    assert w.channel_for("333333333333", {"team": "payments"}) == "C0333333333"
    assert w.channel_for("333333333333", {"team": "data"}) == "C0123456789"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("watch:\n  queue_url: s3why-access-denied\n", "S3WHY_CONFIG:2: watch.queue_url: must be an SQS queue URL"),
        ("watch:\n  routes:\n    - {account: 222222222222, channel: C1}\n", "S3WHY_CONFIG:3: watch.routes[0].account"),
        ("watch:\n  routes:\n    - {channel: C0222222222}\n", "S3WHY_CONFIG:3: watch.routes[0]: a route matches on"),
        (
            "watch:\n  routes:\n    - {bucket_tag: team, channel: C0222222222}\n",
            "S3WHY_CONFIG:3: watch.routes[0].bucket_tag",
        ),
        ("watch:\n  group_window_minutes: 0\n", "S3WHY_CONFIG:2: watch.group_window_minutes"),
        ("watch:\n  visibility_timeout_seconds: 99999\n", "S3WHY_CONFIG:2: watch.visibility_timeout_seconds"),
        ("watch:\n  default_channel: general\n", "S3WHY_CONFIG:2: watch.default_channel"),
        ("watch:\n  digest_hour: 9\n", "S3WHY_CONFIG:2: unknown key 'digest_hour' in watch"),
        ("watch:\n  trail_buckets: [Org-Trail]\n", "S3WHY_CONFIG:2: watch.trail_buckets[0]: must be an S3 bucket"),
        ("watch:\n  trail_buckets: org-trail\n", "S3WHY_CONFIG:2: watch.trail_buckets"),
    ],
)
def test_a_bad_watch_block_names_the_line(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(text)
    assert any(line.startswith(expected) for line in err.value.lines()), err.value.lines()


WRITES = """\
accounts:
  - id: "222222222222"
    role_arn: arn:aws:iam::222222222222:role/s3why-read
    write_role_arn: arn:aws:iam::222222222222:role/s3why-write
"""


def _watch(tmp_path: Path, config: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "s3why.yaml"
    path.write_text(config)
    base = {"PATH": "/usr/bin:/bin", "S3WHY_CONFIG": str(path), "HOME": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "bot", "watch", *args], env={**base, **env}, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    ("config", "env", "args", "says"),
    [
        ("{}\n", {}, (), "no queue: pass --queue-url URL or set watch.queue_url"),
        (GOOD, {}, ("--json",), "--json prints the summary of a drain: use it with --once"),
        (GOOD, {}, ("--once",), "set REDIS_URL"),
        (GOOD, {"REDIS_URL": "redis://127.0.0.1:6379/0"}, ("--once",), "set SLACK_BOT_TOKEN"),
        ("watch:\n  queue_url: nope\n", {}, (), "watch.queue_url: must be an SQS queue URL"),
        (  # its proposals are approved by `s3why serve`: signed with the shared key, or refused there as altered
            GOOD + WRITES,
            {"REDIS_URL": "redis://127.0.0.1:6379/0", "SLACK_BOT_TOKEN": "xoxb-test"},
            ("--once",),
            "approvals need S3WHY_PROPOSAL_KEY",
        ),
    ],
)
def test_watch_refuses_to_start_with_one_line(
    tmp_path: Path, config: str, env: dict[str, str], args: tuple[str, ...], says: str
) -> None:
    done = _watch(tmp_path, config, env, *args)
    assert done.returncode == 2
    assert says in done.stderr and done.stderr.count("\n") == 1, done.stderr
