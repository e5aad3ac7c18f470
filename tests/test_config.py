"""S3WHY_CONFIG: what it accepts, and the clear error (file and line) for everything it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_config, parse_config

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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("accounts: [", "not valid YAML"),
        ("- a\n- b\n", "top level must be a mapping"),
        ("acounts: []\n", "unknown key 'acounts'"),
        ("accounts:\n  - name: x\n", "line 2: an account needs an id"),
        ('accounts:\n  - id: "12345"\n', "id '12345' is not valid"),
        ("channels:\n  C1:\n    mode: loud\n", "line 3: channel C1: mode must be auto, mention or off"),
        ("channels:\n  C1:\n    slash_reply: dm\n", "slash_reply must be thread or ephemeral"),
        ("cache:\n  ttl_seconds:\n    bucket: -1\n", "cache.ttl_seconds.bucket"),
        ("slack:\n  bot_token: xoxb-1\n", "'bot_token' looks like a secret"),
        (
            'accounts:\n  - id: "111122223333"\n    approvers_by_risk: {high: [U1]}\n',
            "high-risk fixes are never applied",
        ),
        ('accounts:\n  - id: "111122223333"\n    aws_secret_access_key: x\n', "line 2: 'aws_secret_access_key'"),
    ],
)
def test_bad_configuration_is_refused_with_a_specific_message(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "s3why.yaml")
    assert str(caught.value).startswith("configuration s3why.yaml")
    assert expected in str(caught.value)
    assert "xoxb-1" not in str(caught.value)


def test_a_missing_file_is_named_and_no_path_means_empty(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read it"):
        load_config(str(tmp_path / "nope.yaml"))
    assert load_config(None).accounts == ()
    (tmp_path / "ok.yaml").write_text(GOOD)
    assert load_config(str(tmp_path / "ok.yaml")).channels["C0PROD"].mode == "mention"
