"""Approving a fix whose target is managed by Terraform: a pull request, never a live write.

Who may approve is the same as for live fixes (the account's approvers for the fix's risk, the two-person
rule); what is approved is the change to the file, verified against the policy the patched file defines.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from bot.arn import Arn
from bot.config import Config
from bot.fixes.model import Fix, Patch
from bot.iac.fixes import IacOptions, options_from_config
from bot.iac.github import PullRequestError, open_pull_request, pull_request_body


def iac_options(config: Config) -> IacOptions:
    """The IaC options the configuration's `iac:` section gives."""
    return options_from_config(config)


def terraform_patch(fix: Fix) -> Patch | None:
    return next(
        (p for p in fix.patches if p.kind == "iac-change" and p.iac is not None and p.iac.get("tool") == "terraform"),
        None,
    )


def _account(patch: Patch, fallback: str | None) -> str | None:
    live = patch.apply.get("live") or {}
    if live.get("account"):
        return str(live["account"])
    parsed = Arn.parse(patch.target)
    return (parsed.account if parsed is not None and parsed.account else None) or fallback


def approve_pull_request(
    *,
    fix: Fix,
    verdict: str,
    cause: str,
    user: str,
    requester: str | None,
    config: Config,
    account: str | None,
    is_member: Callable[[str, str], bool] | None = None,
) -> tuple[bool, str]:
    """(done, message for the thread): open the pull request for an approved Terraform fix, or say why not."""
    patch = terraform_patch(fix)
    if patch is None or patch.iac is None:
        return False, "This fix has no Terraform change to propose."
    if not fix.verified:
        return False, f"Not opened: the change is not verified ({fix.reason})."
    where = _account(patch, account)
    settings = config.account(where) if where else None
    approvers = settings.approvers_for(fix.risk) if settings else ()
    if not approvers:
        return False, f"Not opened: nobody is configured to approve changes in account {where or '(unknown)'}."
    allowed = user in approvers or any(
        a.startswith("S") and is_member is not None and is_member(user, a) for a in approvers
    )
    if not allowed:
        return False, f"Not opened: only the approvers configured for account {where} ({fix.risk}-risk fixes) can."
    if user == requester and not config.self_approval:
        return False, "Not opened: the person who asked cannot approve their own fix (two-person rule)."
    terraform = config.iac.terraform
    if terraform is None or not terraform.github_repo:
        return False, "Not opened: set iac.terraform.path and iac.terraform.github_repo in the configuration."
    body = pull_request_body(
        verdict=verdict,
        cause=cause,
        scope=fix.scope,
        verified=fix.verified,
        reason=fix.reason,
        diff=patch.iac["diff"],
    )
    try:
        pr = open_pull_request(
            checkout=terraform.path,
            terraform_dir=terraform.path,
            repo=terraform.github_repo,
            base=terraform.base_branch,
            fix_id=fix.id,
            diff=patch.iac["diff"],
            title=f"s3why: {fix.title} ({patch.iac['file']})",
            body=body,
            api_url=os.environ.get("GITHUB_API_URL"),
        )
    except PullRequestError as exc:
        return False, f"No pull request: {exc}."
    return True, f"Pull request opened for <@{user}>'s approval: {pr.url}"


__all__: list[Any] = ["approve_pull_request", "iac_options", "terraform_patch"]
