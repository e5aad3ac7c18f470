"""The configuration's iac: section as the IaC fixes read it."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, parse_config
from bot.iac.fixes import options_from_config


def test_terraform_path_and_cloudformation_live_apply_accounts_reach_the_iac_options(tmp_path: object) -> None:
    text = f'iac:\n  terraform:\n    path: {tmp_path}\n    github_repo: acme/infra\n  cloudformation:\n    live_apply_accounts: ["222222222222"]\n'
    options = options_from_config(parse_config(text))
    assert options.terraform_dir == str(tmp_path)
    assert options.cloudformation_live_apply == frozenset({"222222222222"})
    assert options_from_config(parse_config(text), "/elsewhere").terraform_dir == "/elsewhere"  # --terraform-dir wins


def test_a_bad_live_apply_account_is_refused_with_its_line() -> None:
    with pytest.raises(ConfigError, match=r"S3WHY_CONFIG:3: iac.cloudformation.live_apply_accounts\[0\]"):
        parse_config('iac:\n  cloudformation:\n    live_apply_accounts: ["12"]\n')
    with pytest.raises(ConfigError):
        parse_config("iac:\n  cloudformation:\n    live_apply: true\n")
