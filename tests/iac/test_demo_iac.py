"""`s3why demo` shows, for one broken setup, the Terraform fix and the pull request it becomes (local fake)."""

from __future__ import annotations

from bot.iac.demo import run_iac_demo


def test_the_demo_shows_an_iac_fix_and_its_pull_request(moto: str) -> None:
    text = run_iac_demo()
    assert "iac-change to main.tf:" in text and "verified against the patched code" in text
    assert '+        Action   = ["s3:PutObject"]' in text
    assert "pull request opened (local fake of GitHub): https://github.example/acme/infra/pull/1" in text
