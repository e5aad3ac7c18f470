"""Approving a fix whose target is managed by Terraform: a pull request, never a live write.

Who may approve is the same as for live fixes (the account's approvers for the fix's risk, the two-person
rule); what is approved is the change to the file, verified against the policy the patched file defines.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from typing import Any

from bot.approve.flow import Approvals, ineligibility
from bot.approve.grants import change_lines, grant_refusal
from bot.approve.store import Change, Proposal
from bot.arn import Arn
from bot.config import Config
from bot.escape import github_markdown
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


def change_digest(fix: Fix) -> str:
    """What the pull-request button was shown with: the fix and its Terraform change (a click opens a pull request
    only when the change computed at the click is this one)."""
    patch = terraform_patch(fix)
    diff = str((patch.iac or {}).get("diff") or "") if patch is not None else ""
    return hashlib.sha256(f"{fix.id}\0{diff}".encode()).hexdigest()[:20]


def pull_request_proposal(
    fix: Fix, patch: Patch, account: str, asked: tuple[str, ...], run: dict[str, Any]
) -> Proposal:
    """The Terraform change as a proposal record (never stored): what the checks of the live path and the audit
    read. `run`: channel, thread_ts, run_id and request of the diagnosis."""
    live = dict(patch.apply.get("live") or {})
    change = Change(
        account, str(live.get("where") or "terraform"), patch.target, patch.document or {}, patch.before, live
    )
    return Proposal(
        id=f"pr-{fix.id}"[:64],
        changes=[change],
        fix_title=fix.title,
        risk=fix.risk,
        requester=asked[0] if asked else None,
        channel=str(run.get("channel") or ""),
        thread_ts=str(run.get("thread_ts") or ""),
        run_id=str(run.get("run_id") or ""),
        request=dict(run.get("request") or {}),
        requesters=sorted(set(asked)),
    )


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
    approvals: Approvals | None = None,
    requesters: tuple[str, ...] = (),
    run: dict[str, Any] | None = None,
) -> tuple[bool, str]:
    """(done, message for the thread): open the pull request for an approved Terraform fix, or say why not.

    The same checks as a live apply: only a fix a live proposal could be made of (`ineligibility`), the account's
    approvers for the fix's risk, the two-person rule over everyone who asked, no grant to everyone, a root or an
    account neither configured nor in the organization, never s3why's own roles
    (with `approvals`); each decision is an audit entry (with `approvals`)."""
    patch = terraform_patch(fix)
    if patch is None or patch.iac is None:
        return False, "This fix has no Terraform change to propose."
    ineligible = ineligibility(fix)  # the live path's own check (proposal_for): advice only, high risk, unverified
    if ineligible is not None:
        return False, f"Not opened: {ineligible}."
    where = _account(patch, account)
    asked = tuple(dict.fromkeys(r for r in (requester, *requesters) if r))
    proposal = pull_request_proposal(fix, patch, where or "", asked, run or {})
    refused = _refusal(fix, user, where, asked, config, is_member)
    if refused is None:
        refused = grant_refusal(proposal, config.known_accounts())
    if refused is None and approvals is not None:
        refused = approvals.access_refusal(proposal)
    if refused is not None:
        if approvals is not None:
            approvals.store.audit("refused", proposal, user, reason=f"pull request: {refused}")
        return False, f"Not opened: {refused}."
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
        changes=tuple(change_lines(proposal)),
    )
    try:
        pr = open_pull_request(
            checkout=terraform.path,
            terraform_dir=terraform.path,
            repo=terraform.github_repo,
            base=terraform.base_branch,
            fix_id=fix.id,
            diff=patch.iac["diff"],
            title=f"s3why: {github_markdown(fix.title)} ({github_markdown(patch.iac['file'])})",
            body=body,
            api_url=os.environ.get("GITHUB_API_URL"),
        )
    except PullRequestError as exc:
        if approvals is not None:
            approvals.store.audit("failed", proposal, user, reason=f"pull request: {exc}")
        return False, f"No pull request: {exc}."
    if approvals is not None:
        approvals.store.audit("pull-request", proposal, user, url=pr.url, diff=patch.iac["diff"])
    return True, f"Pull request opened for <@{user}>'s approval: {pr.url}"


def _refusal(
    fix: Fix,
    user: str,
    where: str | None,
    asked: tuple[str, ...],
    config: Config,
    is_member: Callable[[str, str], bool] | None,
) -> str | None:
    settings = config.account(where) if where else None
    approvers = settings.approvers_for(fix.risk) if settings else ()
    if not approvers:
        return f"nobody is configured to approve changes in account {where or '(unknown)'}"
    allowed = user in approvers or any(
        a.startswith("S") and is_member is not None and is_member(user, a) for a in approvers
    )
    if not allowed:
        return f"only the approvers configured for account {where} ({fix.risk}-risk fixes) can"
    if user in asked and not config.self_approval:
        return "the person who asked cannot approve their own fix (two-person rule)"
    return None


__all__: list[Any] = ["approve_pull_request", "change_digest", "iac_options", "terraform_patch"]
