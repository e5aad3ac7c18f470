"""S3WHY_CONFIG fails closed: what it accepts, and `FILE:LINE: reason` (the offending key's own line) for
everything it refuses, through the parser and through `s3why config check` / `s3why serve`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cache import DEFAULT_TTLS
from bot.config import ConfigError, effective, load_config, parse_config
from bot.config_schema import _TtlSeconds

GOOD = """
accounts:
  - id: "111122223333"
    name: prod
    role_arn: arn:aws:iam::111122223333:role/s3why-read
    external_id: s3why-prod
    approvers: [U0LEAD, S0PLATFORM]
    approvers_by_risk:
      medium: [U0LEAD]
channels:
  C0PROD:
    account: "111122223333"
    mode: mention
    slash_reply: ephemeral
  C0QUIET:
    mode: "off"
cache:
  ttl_seconds:
    bucket: 60
"""


def test_a_full_configuration_is_read() -> None:
    config = parse_config(GOOD)
    assert [a.id for a in config.accounts] == ["111122223333"]
    assert config.accounts[0].external_id == "s3why-prod"
    assert config.accounts[0].approvers_for("low") == ("U0LEAD", "S0PLATFORM")
    assert config.accounts[0].approvers_for("medium") == ("U0LEAD",)
    assert config.channels["C0PROD"].account == "111122223333"
    assert config.channels["C0PROD"].mode == "mention" and config.channels["C0PROD"].slash_reply == "ephemeral"
    assert config.channels["C0QUIET"].mode == "off" and config.channels["C0QUIET"].slash_reply == "thread"
    assert config.cache_ttls["bucket"] == 60
    assert config.self_approval is False and config.iac.terraform is None


def _errors(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "s3why.yaml")
    return caught.value.lines()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("accounts: [\n", "s3why.yaml:2: not valid YAML"),
        ("- a\n- b\n", "s3why.yaml:1: the top level must be a mapping"),
        ("acounts: []\n", "s3why.yaml:1: unknown key 'acounts' in the top level (did you mean 'accounts'?)"),
        ("accounts:\n  - name: x\n", "s3why.yaml:2: accounts[0].id is required"),
        ('accounts:\n  - id: "12345"\n', "s3why.yaml:2: accounts[0].id: '12345' is not an account id"),
        ("channels:\n  C1:\n    mode: loud\n", "s3why.yaml:3: channels.C1.mode: must be 'auto', 'mention' or 'off'"),
        ("channels:\n  C1:\n    mode: off\n", 's3why.yaml:3: channels.C1.mode: write "off" in quotes'),
        ("channels:\n  C1:\n    slash_reply: dm\n", "s3why.yaml:3: channels.C1.slash_reply: must be 'thread'"),
        ("cache:\n  ttl_seconds:\n    bucket: -1\n", "s3why.yaml:3: cache.ttl_seconds.bucket: must be greater than"),
        ("cache:\n  ttl_seconds:\n    buckets: 5\n", "s3why.yaml:3: unknown key 'buckets' in cache.ttl_seconds"),
        ("slack:\n  bot_token: xoxb-1\n", "s3why.yaml:2: 'bot_token' looks like a secret"),
        (
            'accounts:\n  - id: "111122223333"\n    approvers_by_risk: {high: [U1]}\n',
            "s3why.yaml:3: accounts[0].approvers_by_risk.high: approvers_by_risk takes low or medium",
        ),
        # the cases
        ('approval:\n  self_approval: "false"\n', "s3why.yaml:2: approval.self_approval must be true or false"),
        ("accounts:\n  - id: 012345670123\n", "s3why.yaml:2: accounts[0].id: an account id must be quoted"),
        ("accounts:\n  - id: 111122223333\n", "s3why.yaml:2: accounts[0].id: an account id must be quoted"),
        ("accounts:\n  - id: true\n", "s3why.yaml:2: accounts[0].id: an account id is 12 digits in quotes"),
        ("approval:\n  dryrun: true\n", "s3why.yaml:2: unknown key 'dryrun' in approval (did you mean 'dry_run'?)"),
        ('accounts:\n  - {id: "111122223333", dryrun: true}\n', "s3why.yaml:2: unknown key 'dryrun' in accounts[0]"),
        ("approval:\n  proposal_ttl_hours: abc\n", "s3why.yaml:2: approval.proposal_ttl_hours must be a number"),
        ("approval:\n  proposal_ttl_hours: .nan\n", "s3why.yaml:2: approval.proposal_ttl_hours must be a finite"),
        ("approval:\n  proposal_ttl_hours: .inf\n", "s3why.yaml:2: approval.proposal_ttl_hours must be a finite"),
        ("approval:\n  proposal_ttl_hours: 0\n", "s3why.yaml:2: approval.proposal_ttl_hours: must be greater"),
        ("approval:\n  proposal_ttl_hours: 100000\n", "s3why.yaml:2: approval.proposal_ttl_hours: must be less"),
        ("channels:\n  - C1\n", "s3why.yaml:1: channels must be a mapping"),
        ("approval:\n  self_approval: yes please\n", "s3why.yaml:2: approval.self_approval must be true or false"),
        (
            'accounts:\n  - id: "111122223333"\n    dry_run: 1\n',
            "s3why.yaml:3: accounts[0].dry_run must be true or false",
        ),
        (
            'accounts:\n  - id: "111122223333"\n    approvers: U1\n',
            "s3why.yaml:3: accounts[0].approvers must be a list",
        ),
        (
            'accounts:\n  - id: "111122223333"\n    role_arn: arn:aws:iam::111122223333:user/bob\n',
            "s3why.yaml:3: accounts[0].role_arn: not an IAM role ARN",
        ),
        (
            'accounts:\n  - id: "111122223333"\n    write_role_arn: arn:aws:iam::444455556666:role/w\n',
            "s3why.yaml:3: accounts[0].write_role_arn is a role in another account",
        ),
        ("approval:\n  self_approval: false\n  self_approval: true\n", "s3why.yaml:3: duplicate key 'self_approval'"),
        ("iac:\n  terraform:\n    github_repo: acme\n", "s3why.yaml:2: iac.terraform.path is required"),
        ("iac:\n  terraform:\n    path: /\n    github_repo: acme\n", "s3why.yaml:4: iac.terraform.github_repo: "),
        ("iac:\n  terraform:\n    path: /\n    base_branch: a..b\n", "s3why.yaml:4: iac.terraform.base_branch: "),
        ("iac:\n  cloudform: {}\n", "s3why.yaml:2: unknown key 'cloudform' in iac"),
        ("x: !!python/object:os.system {}\n", "s3why.yaml:1: "),
        ("a: &a [*a]\n", "s3why.yaml:1: the file expands to too many values"),
        (
            "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
            "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
            "s3why.yaml:1: the file expands to too many values",
        ),
    ],
)
def test_bad_configuration_is_refused_naming_the_line(text: str, expected: str) -> None:
    lines = _errors(text)
    assert any(line.startswith(expected) for line in lines), lines
    assert "xoxb-1" not in "".join(lines)


def test_a_secret_is_refused_on_its_own_line_not_its_mappings() -> None:
    text = 'accounts:\n  - id: "111122223333"\n    name: prod\n    approvers: [U1]\n    github_token: ghp_x\n'
    assert _errors(text) == [
        "s3why.yaml:5: 'github_token' looks like a secret: secrets come only from the environment "
        "(SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN, GITHUB_TOKEN, AWS credentials)"
    ]
    value = 'accounts:\n  - id: "111122223333"\n\n    name: AKIAIOSFODNN7EXAMPLE\n'
    (line,) = _errors(value)
    assert line.startswith("s3why.yaml:4: accounts[0].name holds a credential") and "AKIA" not in line


def test_duplicate_accounts_are_refused_at_the_second() -> None:
    text = 'accounts:\n  - id: "111122223333"\n    name: a\n  - id: "111122223333"\n    name: b\n'
    assert _errors(text) == ["s3why.yaml:4: account 111122223333 is listed twice (first at accounts[0])"]


def test_every_error_is_reported_in_line_order() -> None:
    text = 'approval:\n  self_approval: "false"\naccounts:\n  - id: 111122223333\n    dryrun: true\n'
    lines = _errors(text)
    assert [line.split(":")[1] for line in lines] == ["2", "4", "5"]


def test_iac_terraform_is_a_typed_model_with_its_path_resolved(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    (tmp_path / "s3why.yaml").write_text("iac:\n  terraform:\n    path: infra\n    github_repo: acme/infra\n")
    terraform = load_config(str(tmp_path / "s3why.yaml")).iac.terraform
    assert terraform is not None
    assert (terraform.path, terraform.github_repo, terraform.base_branch) == (
        str(tmp_path / "infra"),
        "acme/infra",
        "main",
    )
    (tmp_path / "bad.yaml").write_text("iac:\n  terraform:\n    path: nowhere\n")
    with pytest.raises(ConfigError) as caught:
        load_config(str(tmp_path / "bad.yaml"))
    assert caught.value.lines() == [f"{tmp_path / 'bad.yaml'}:3: iac.terraform.path is not a directory: give the "
                                    "checkout that holds the .tf files"]  # fmt: skip


def test_cache_ttl_kinds_are_the_caches() -> None:
    assert set(_TtlSeconds.model_fields) == set(DEFAULT_TTLS)


def test_a_missing_file_is_named_and_no_path_means_empty(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read it"):
        load_config(str(tmp_path / "nope.yaml"))
    assert load_config(None).accounts == ()
    (tmp_path / "ok.yaml").write_text(GOOD)
    assert load_config(str(tmp_path / "ok.yaml")).channels["C0PROD"].mode == "mention"
    (tmp_path / "empty.yaml").write_text("# nothing yet\n")
    assert load_config(str(tmp_path / "empty.yaml")).accounts == ()


def test_the_one_line_message_counts_the_other_errors() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("a: 1\nb: 2\n", "f.yaml")
    assert str(caught.value) == (
        "f.yaml:1: unknown key 'a' in the top level: a typo would be ignored (and 1 more: run `s3why config check "
        "f.yaml`)"
    )


_LOOSE_WORDS = ["yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N",
                "True", "TRUE", "False", "FALSE", "yEs", "oN"]  # fmt: skip
_BOOL_SETTINGS = [
    ("approval:\n  self_approval: {}\n", 2, "approval.self_approval"),
    ("approval:\n  dry_run: {}\n", 2, "approval.dry_run"),
    ('accounts:\n  - id: "111122223333"\n    dry_run: {}\n', 3, "accounts[0].dry_run"),
]


@pytest.mark.parametrize("word", _LOOSE_WORDS)
@pytest.mark.parametrize(("template", "line", "name"), _BOOL_SETTINGS)
def test_a_boolean_setting_must_be_spelled_true_or_false(template: str, line: int, name: str, word: str) -> None:
    lines = _errors(template.format(word))
    assert lines == [lines[0]] and lines[0].startswith(
        f"s3why.yaml:{line}: {name} must be true or false, spelled exactly so (not {word!r}"
    ), lines


@pytest.mark.parametrize(("template", "line", "name"), _BOOL_SETTINGS)
def test_true_and_false_are_read(template: str, line: int, name: str) -> None:
    for word, expected in (("true", True), ("false", False)):
        config = parse_config(template.format(word))
        read = config.accounts[0].dry_run if name.startswith("accounts") else getattr(config, name.split(".")[1])
        assert read is expected


def test_config_check_reports_field_and_cross_field_errors_in_one_run(tmp_path: Path) -> None:
    path = tmp_path / "s3why.yaml"
    path.write_text(
        "approval:\n  self_approval: yes\n"  # 2: a YAML 1.1 boolean
        'accounts:\n  - id: "111122223333"\n'  # 4
        "    role_arn: arn:aws:iam::444455556666:role/r\n"  # 5: a role in another account
        "    dryrun: true\n"  # 6: a field error
        '  - id: "111122223333"\n'  # 7: listed twice
        "iac:\n  terraform:\n    path: nowhere\n"  # 10: not a directory
        "    base_branch: a..b\n"  # 11: a field error
    )
    out = _s3why("config", "check", str(path))
    assert out.returncode == 2 and out.stdout == "" and "Traceback" not in out.stderr
    lines = out.stderr.splitlines()
    assert [line.split(":", 2)[1] for line in lines] == ["2", "5", "6", "7", "10", "11"], lines
    assert all(line.startswith(f"{path}:") for line in lines)
    assert "another account" in lines[1] and "listed twice" in lines[3] and "not a directory" in lines[4]


def test_cross_field_checks_skip_values_their_field_refuses() -> None:
    text = 'accounts:\n  - id: "12345"\n    role_arn: arn:aws:iam::444455556666:role/r\n  - id: "12345"\n'
    lines = _errors(text)
    assert [line.split(":")[1] for line in lines] == ["2", "4"], lines
    assert all("is not an account id" in line for line in lines)


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("x: !!python/object/apply:os.system [ls]\n", "!!python/object/apply:os.system"),
        ("!!python/object/apply:os.system [ls]\n", "!!python/object/apply:os.system"),
        ("x: !!python/object:os.system {}\n", "!!python/object:os.system"),
        ('x: !!python/name:os.system ""\n', "!!python/name:os.system"),
        ("x: !custom 1\n", "!custom"),
    ],
)
def test_a_tag_is_refused_as_not_plain_yaml(text: str, tag: str) -> None:
    assert _errors(text) == [f"s3why.yaml:1: the tag {tag} is not allowed (plain YAML only)"]
    if text.startswith("x:"):  # further down, on its own line
        assert _errors("approval:\n  dry_run: false\n" + text)[0].startswith(f"s3why.yaml:3: the tag {tag} ")


# --- through the command line ----------------------------------------------------------------------------------
def _s3why(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def test_config_check_prints_the_effective_configuration_without_secrets(tmp_path: Path) -> None:
    path = tmp_path / "s3why.yaml"
    path.write_text(GOOD)
    out = _s3why("config", "check", str(path))
    assert out.returncode == 0, out.stderr
    assert "s3why-prod" not in out.stdout and "external_id: (set)" in out.stdout
    assert "self_approval: false" in out.stdout and "bucket: 60" in out.stdout
    as_json = _s3why("config", "check", "--json", env={"S3WHY_CONFIG": str(path)})
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    assert data["configuration"] == json.loads(json.dumps(effective(parse_config(GOOD))))
    assert data["configuration"]["cache"]["ttl_seconds"]["principal"] == DEFAULT_TTLS["principal"]


def test_config_check_exits_2_with_one_line_per_error(tmp_path: Path) -> None:
    path = tmp_path / "s3why.yaml"
    path.write_text('approval:\n  self_approval: "false"\n  dryrun: true\naccounts:\n  - id: 012345670123\n')
    out = _s3why("config", "check", str(path))
    assert out.returncode == 2 and out.stdout == ""
    lines = out.stderr.splitlines()
    assert [line.split(":", 2)[:2] for line in lines] == [[str(path), "2"], [str(path), "3"], [str(path), "5"]]
    assert "quote" in lines[2] and "Traceback" not in out.stderr
    as_json = _s3why("config", "check", "--json", str(path))
    assert as_json.returncode == 2
    assert [e["line"] for e in json.loads(as_json.stdout)["errors"]] == [2, 3, 5]


def test_config_check_without_a_file_is_a_usage_error() -> None:
    env = {k: v for k, v in os.environ.items() if k != "S3WHY_CONFIG"}
    out = subprocess.run(
        [sys.executable, "-m", "bot", "config", "check"], capture_output=True, text=True, check=False, env=env
    )
    assert out.returncode == 2 and "S3WHY_CONFIG" in out.stderr


def test_serve_refuses_to_start_on_an_invalid_file(tmp_path: Path) -> None:
    path = tmp_path / "s3why.yaml"
    path.write_text('approval:\n  self_approval: "false"\n')
    env = {"S3WHY_CONFIG": str(path), "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s"}
    out = _s3why("serve", "--port", "0", env={**env, "SLACK_API_URL": "http://127.0.0.1:1/api/"})
    assert out.returncode == 2
    errors = [line for line in out.stderr.splitlines() if str(path) in line]
    assert errors == [f"s3why: {path}:2: approval.self_approval must be true or false without quotes (the string "
                      "'false' is not a boolean)"]  # fmt: skip


def test_an_empty_askers_list_is_refused_not_read_as_everyone(tmp_path: Path) -> None:
    path = tmp_path / "s3why.yaml"
    path.write_text("channels:\n  C0123DATA:\n    askers: []\n")
    out = _s3why("config", "check", str(path))
    assert out.returncode == 2 and out.stdout == "" and "Traceback" not in out.stderr
    (line,) = out.stderr.splitlines()
    assert line.startswith(f"{path}:3:") and "askers is empty" in line, line
