"""Approve, reject and roll back a proposed fix: authorisation, drift check, one apply, audit.

Everything that touches AWS goes through `Writer` (the write role, assumed per approval); everything that
remembers goes through `PatchStore` (Redis). `verify` is the diagnosis: given a proposal and whether to apply its
patch on top of a fresh read of the account, it returns the decision (`allow`, `explicit-deny`, ...).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.approve.store import PatchStore, Proposal
from bot.approve.writer import WriteError, Writer, policy_hash
from bot.arn import Arn
from bot.config import Config
from bot.fixes.core import Fix, Patch

APPLICABLE = {"bucket", "key", "principal-inline", "managed", "vpce"}

Verify = Callable[[Proposal, bool], str]
Invalidate = Callable[[Proposal], None]


@dataclass
class Outcome:
    ok: bool
    message: str
    proposal: Proposal | None = None
    diff: str = ""
    decision_after: str | None = None


def proposal_for(
    fix: Fix,
    patch: Patch,
    *,
    requester: str | None,
    channel: str,
    thread_ts: str,
    run_id: str,
    request: dict[str, Any],
) -> Proposal | None:
    """The proposal for one patch, or None when it is not something s3why applies (advice, high risk, ...)."""
    where = patch.apply.get("where")
    if fix.never_automatic or fix.risk == "high" or not fix.verified or patch.document is None:
        return None
    if where not in APPLICABLE:
        return None
    target = {
        "bucket": patch.apply.get("bucket"),
        "key": patch.apply.get("arn"),
        "managed": patch.apply.get("arn"),
        "vpce": patch.apply.get("id"),
    }.get(str(where), patch.target)
    account = patch.apply.get("account")
    if not account:
        parsed = Arn.parse(str(target))
        account = parsed.account if parsed is not None else None
    if not target or not account:
        return None
    return Proposal(
        id="",
        account=str(account),
        where=str(where),
        target=str(target),
        document=patch.document,
        before=patch.before,
        apply=patch.apply,
        fix_title=fix.title,
        risk=fix.risk,
        requester=requester,
        channel=channel,
        thread_ts=thread_ts,
        run_id=run_id,
        request=request,
    )


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None, a: str = "before", b: str = "after") -> str:
    left = json.dumps(before, indent=2, sort_keys=True).splitlines() if before is not None else []
    right = json.dumps(after, indent=2, sort_keys=True).splitlines() if after is not None else []
    return "\n".join(difflib.unified_diff(left, right, a, b, lineterm="", n=2))


class Approvals:
    def __init__(
        self, store: PatchStore, writer: Writer, config: Config, verify: Verify, invalidate: Invalidate
    ) -> None:
        self.store, self.writer, self.config = store, writer, config
        self.verify, self.invalidate = verify, invalidate

    # --- who may --------------------------------------------------------------------------------------------
    def refusal(self, proposal: Proposal, user: str) -> str | None:
        account = self.config.account(proposal.account)
        approvers = account.approvers if account else ()
        if user not in approvers:
            if not approvers:
                return f"nobody is configured to approve changes in account {proposal.account}"
            return f"only the approvers configured for account {proposal.account} can approve this"
        if user == proposal.requester and not self.config.self_approval:
            return "the person who asked cannot approve their own fix (two-person rule): ask another approver"
        return None

    def dry_run(self, proposal: Proposal) -> bool:
        account = self.config.account(proposal.account)
        return self.config.dry_run or bool(account and account.dry_run)

    # --- approve --------------------------------------------------------------------------------------------
    def approve(self, proposal_id: str, user: str) -> Outcome:
        proposal = self.store.get(proposal_id)
        if proposal is None:
            return Outcome(False, "This proposal has expired or is unknown: diagnose again for a fresh one.")
        refused = self.refusal(proposal, user)
        if refused:
            self.store.audit("refused", proposal, user, reason=refused)
            return Outcome(False, f"Not applied: {refused}.", proposal)
        moved = self.store.move(proposal_id, "approved", actor=user)
        if moved is None:
            current = self.store.get(proposal_id)
            state = current.state if current else "expired"
            return Outcome(False, f"Nothing done: this fix is already {state}.", current)
        self.store.audit("approved", moved, user)
        applying = self.store.move(proposal_id, "applying", actor=user)
        if applying is None:  # cannot happen: only the approver who won moves on
            return Outcome(False, "Nothing done: another approval is in progress.", moved)
        return self._apply(applying, user)

    def _apply(self, p: Proposal, user: str) -> Outcome:
        try:
            session = self.writer.session(p.account, user)
            live = self.writer.read(session, p.where, p.target, p.apply)
            if policy_hash(live) != policy_hash(p.before):
                changed = diff(p.before, live, "when s3why diagnosed", "now")
                return self._fail(p, user, "drift", "The live policy changed since the diagnosis: nothing applied. "
                                  "Diagnose again for a fix computed from the current policy.", changed)  # fmt: skip
            if self.verify(p, True) != "allow":
                return self._fail(p, user, "unverified", "On a fresh read the fix no longer makes the request "
                                  "work: nothing applied. Diagnose again.")  # fmt: skip
            change = diff(live, p.document, "current", "applied")
            if self.dry_run(p):
                done = self.store.move(p.id, "dry-run", actor=user)
                self.store.audit("dry-run", p, user, diff=change)
                return Outcome(True, "Dry run: everything checked, nothing written.", done, change)
            previous = self.writer.default_version(session, p.target) if p.where == "managed" else None
            written = self.writer.write(session, p.where, p.target, p.apply, p.document)
        except (ClientError, BotoCoreError, WriteError) as exc:
            return self._fail(p, user, "failed", f"AWS refused the change: {_describe(exc)}. Nothing was applied.")
        applied = self.store.move(p.id, "applied", actor=user, previous_version=previous)
        self.store.audit("applied", p, user, diff=change, request_id=written.request_id)
        self.invalidate(p)
        after = self.verify(p, False)
        return Outcome(True, f"Applied by <@{user}>.", applied, change, after)

    def _fail(self, p: Proposal, user: str, action: str, message: str, changed: str = "") -> Outcome:
        failed = self.store.move(p.id, "failed", actor=user)
        self.store.audit(action, p, user, reason=message, diff=changed)
        return Outcome(False, message, failed, changed)

    # --- reject and roll back --------------------------------------------------------------------------------
    def reject(self, proposal_id: str, user: str) -> Outcome:
        proposal = self.store.get(proposal_id)
        if proposal is None:
            return Outcome(False, "This proposal has expired or is unknown.")
        refused = self.refusal(proposal, user) if user != proposal.requester else None
        if refused:
            return Outcome(False, f"Not rejected: {refused}.", proposal)
        moved = self.store.move(proposal_id, "rejected", actor=user)
        if moved is None:
            return Outcome(False, f"Nothing done: this fix is already {proposal.state}.", proposal)
        self.store.audit("rejected", moved, user)
        return Outcome(True, f"Rejected by <@{user}>.", moved)

    def rollback(self, proposal_id: str, user: str) -> Outcome:
        proposal = self.store.get(proposal_id)
        if proposal is None:
            return Outcome(False, "This change is no longer on record: roll it back by hand.")
        account = self.config.account(proposal.account)
        if account is None or user not in account.approvers:
            self.store.audit("refused", proposal, user, reason="rollback by a non-approver")
            return Outcome(False, f"Not rolled back: only the approvers of account {proposal.account} can.", proposal)
        moving = self.store.move(proposal_id, "rolling-back", actor=user)
        if moving is None:
            return Outcome(False, f"Nothing done: this fix is {proposal.state}, not applied.", proposal)
        try:
            session = self.writer.session(moving.account, user)
            live = self.writer.read(session, moving.where, moving.target, moving.apply)
            if policy_hash(live) != policy_hash(moving.document):
                self.store.move(proposal_id, "applied", actor=user)
                changed = diff(moving.document, live, "as s3why applied it", "now")
                self.store.audit("drift", moving, user, reason="changed since the apply", diff=changed)
                return Outcome(
                    False, "The policy changed since s3why applied the fix: not rolled back.", moving, changed
                )
            if moving.where == "managed" and moving.previous_version:
                written = self.writer.restore_version(session, moving.target, moving.previous_version)
            else:
                written = self.writer.write(session, moving.where, moving.target, moving.apply, moving.before)
        except (ClientError, BotoCoreError, WriteError) as exc:
            self.store.move(proposal_id, "applied", actor=user)
            self.store.audit("rollback-failed", moving, user, reason=_describe(exc))
            return Outcome(False, f"AWS refused the rollback: {_describe(exc)}.", moving)
        done = self.store.move(proposal_id, "rolled-back", actor=user)
        change = diff(moving.document, moving.before, "applied", "restored")
        self.store.audit("rolled-back", moving, user, diff=change, request_id=written.request_id)
        self.invalidate(moving)
        return Outcome(True, f"Rolled back by <@{user}>: the previous policy is restored.", done, change)


def _describe(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')} ({str(error.get('Message', ''))[:200]})"
    return str(exc)[:300]
