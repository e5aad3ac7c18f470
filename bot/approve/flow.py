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

from bot.approve.store import Change, PatchStore, Proposal
from bot.approve.writer import WriteError, Writer, policy_hash
from bot.arn import Arn
from bot.config import Config
from bot.fixes.core import Fix, Patch

APPLICABLE = {"bucket", "key", "principal-inline", "managed", "vpce", "access-point"}

Verify = Callable[[Proposal, bool], str]
Invalidate = Callable[[Proposal], None]


@dataclass
class Outcome:
    ok: bool
    message: str
    proposal: Proposal | None = None
    diff: str = ""
    decision_after: str | None = None
    private: bool = False  # only the person who clicked should see it (refusals, already handled, expired)


def proposal_for(
    fix: Fix,
    *,
    requester: str | None,
    channel: str,
    thread_ts: str,
    run_id: str,
    request: dict[str, Any],
) -> Proposal | None:
    """The proposal for a fix, or None when it is not something s3why applies (advice, high risk, unverified)."""
    if fix.never_automatic or fix.risk == "high" or not fix.verified or not fix.patches:
        return None
    changes = [_change(p) for p in fix.patches]
    if any(c is None for c in changes):
        return None
    return Proposal(
        id="",
        changes=[c for c in changes if c is not None],
        fix_title=fix.title,
        risk=fix.risk,
        requester=requester,
        channel=channel,
        thread_ts=thread_ts,
        run_id=run_id,
        request=request,
    )


def _change(patch: Patch) -> Change | None:
    where = str(patch.apply.get("where"))
    if where not in APPLICABLE or patch.document is None:
        return None
    target = {
        "bucket": patch.apply.get("bucket"),
        "key": patch.apply.get("arn"),
        "managed": patch.apply.get("arn"),
        "vpce": patch.apply.get("id"),
        "access-point": patch.apply.get("arn"),
    }.get(where, patch.target)
    account = patch.apply.get("account")
    if not account:
        parsed = Arn.parse(str(target))
        account = parsed.account if parsed is not None else None
    if not target or not account:
        return None
    return Change(str(account), where, str(target), patch.document, patch.before, patch.apply)


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None, a: str = "before", b: str = "after") -> str:
    left = json.dumps(before, indent=2, sort_keys=True).splitlines() if before is not None else []
    right = json.dumps(after, indent=2, sort_keys=True).splitlines() if after is not None else []
    return "\n".join(difflib.unified_diff(left, right, a, b, lineterm="", n=2))


class Approvals:
    def __init__(
        self,
        store: PatchStore,
        writer: Writer,
        config: Config,
        verify: Verify,
        invalidate: Invalidate,
        group_members: Callable[[str], set[str]] | None = None,
    ) -> None:
        self.store, self.writer, self.config = store, writer, config
        self.verify, self.invalidate = verify, invalidate
        self.group_members = group_members  # Slack user-group id -> its members (usergroups.users.list)

    def writable(self, proposal: Proposal) -> bool:
        """Every account the fix touches has a write role (without one, fixes there are advice only)."""
        return all((a := self.config.account(i)) is not None and bool(a.write_role_arn) for i in proposal.accounts)

    def _is_approver(self, user: str, approvers: tuple[str, ...]) -> bool:
        if user in approvers:
            return True
        groups = [a for a in approvers if a.startswith("S")]
        return self.group_members is not None and any(user in self.group_members(g) for g in groups)

    # --- who may --------------------------------------------------------------------------------------------
    def refusal(self, proposal: Proposal, user: str, *, own_allowed: bool = False) -> str | None:
        for account_id in proposal.accounts:
            account = self.config.account(account_id)
            approvers = account.approvers_for(proposal.risk) if account else ()
            if not approvers:
                return f"nobody is configured to approve changes in account {account_id}"
            if not self._is_approver(user, approvers):
                return (
                    f"only the approvers configured for account {account_id} ({proposal.risk}-risk fixes) can do this"
                )
        if user == proposal.requester and not (self.config.self_approval or own_allowed):
            return "the person who asked cannot approve their own fix (two-person rule): ask another approver"
        return None

    def dry_run(self, proposal: Proposal) -> bool:
        accounts = [self.config.account(a) for a in proposal.accounts]
        return self.config.dry_run or any(a is not None and a.dry_run for a in accounts)

    # --- approve --------------------------------------------------------------------------------------------
    def approve(self, proposal_id: str, user: str) -> Outcome:
        proposal = self.store.get(proposal_id)
        if proposal is None:
            return Outcome(
                False, "This proposal has expired or is unknown: diagnose again for a fresh one.", private=True
            )
        refused = self.refusal(proposal, user)
        if refused:
            self.store.audit("refused", proposal, user, reason=refused)
            return Outcome(False, f"Not applied: {refused}.", proposal, private=True)
        moved = self.store.move(proposal_id, "approved", actor=user)
        if moved is None:
            current = self.store.get(proposal_id)
            state = current.state if current else "expired"
            return Outcome(False, f"Nothing done: this fix is already {state}.", current, private=True)
        self.store.audit("approved", moved, user)
        applying = self.store.move(proposal_id, "applying", actor=user)
        if applying is None:  # cannot happen: only the approver whose move won gets here
            return Outcome(False, "Nothing done: another approval is in progress.", moved, private=True)
        return self._apply(applying, user)

    def _apply(self, p: Proposal, user: str) -> Outcome:
        done: list[Change] = []
        try:
            sessions = {a: self.writer.session(a, user) for a in p.accounts}
            for c in p.changes:  # every drift check before any write
                live = self.writer.read(sessions[c.account], c.where, c.target, c.apply)
                if policy_hash(live) != policy_hash(c.before):
                    changed = diff(c.before, live, "when s3why diagnosed", "now")
                    return self._fail(p, user, "drift", f"The live policy of {c.target} changed since the diagnosis: "
                                      "nothing applied. Diagnose again for a fix computed from the current policy.",
                                      changed)  # fmt: skip
            if self.verify(p, True) != "allow":
                return self._fail(p, user, "unverified", "On a fresh read the fix no longer makes the request "
                                  "work: nothing applied. Diagnose again.")  # fmt: skip
            change = "\n".join(
                diff(c.before, c.document, f"{c.target} (current)", f"{c.target} (applied)") for c in p.changes
            )
            if self.dry_run(p):
                dry = self.store.move(p.id, "dry-run", actor=user)
                self.store.audit("dry-run", p, user, diff=change)
                return Outcome(True, "Dry run: everything checked, nothing written.", dry, change)
            for c in p.changes:
                session = sessions[c.account]
                c.previous_version = self.writer.default_version(session, c.target) if c.where == "managed" else None
                c.request_id = self.writer.write(session, c.where, c.target, c.apply, c.document).request_id
                done.append(c)
        except (ClientError, BotoCoreError, WriteError) as exc:
            undone = self._undo(done, user)
            return self._fail(p, user, "failed", f"AWS refused the change: {_describe(exc)}. " + undone)
        applied = self.store.move(p.id, "applied", actor=user, changes=p.changes)
        self.store.audit("applied", p, user, diff=change, request_id=",".join(c.request_id or "" for c in p.changes))
        self.invalidate(p)
        after = self.verify(p, False)
        return Outcome(True, f"Applied by <@{user}>.", applied, change, after)

    def _undo(self, done: list[Change], user: str) -> str:
        """After a partial apply: put back what was written, newest first."""
        if not done:
            return "Nothing was applied."
        try:
            for c in reversed(done):
                self._restore(self.writer.session(c.account, user), c)
        except (ClientError, BotoCoreError, WriteError) as exc:
            return f"Putting back what was already written failed too ({_describe(exc)}): check {done[-1].target}."
        return "What had been written was put back."

    def _restore(self, session: Any, c: Change) -> str:
        if c.where == "managed" and c.previous_version:
            return self.writer.restore_version(session, c.target, c.previous_version).request_id
        return self.writer.write(session, c.where, c.target, c.apply, c.before).request_id

    def _fail(self, p: Proposal, user: str, action: str, message: str, changed: str = "") -> Outcome:
        failed = self.store.move(p.id, "failed", actor=user)
        self.store.audit(action, p, user, reason=message, diff=changed)
        return Outcome(False, message, failed, changed)

    # --- reject and roll back --------------------------------------------------------------------------------
    def reject(self, proposal_id: str, user: str) -> Outcome:
        proposal = self.store.get(proposal_id)
        if proposal is None:
            return Outcome(False, "This proposal has expired or is unknown.", private=True)
        refused = self.refusal(proposal, user, own_allowed=True) if user != proposal.requester else None
        if refused:
            return Outcome(False, f"Not rejected: {refused}.", proposal, private=True)
        moved = self.store.move(proposal_id, "rejected", actor=user)
        if moved is None:
            return Outcome(False, f"Nothing done: this fix is already {proposal.state}.", proposal, private=True)
        self.store.audit("rejected", moved, user)
        return Outcome(True, f"Rejected by <@{user}>.", moved)

    def rollback(self, proposal_id: str, user: str) -> Outcome:
        proposal = self.store.get(proposal_id)
        if proposal is None:
            return Outcome(False, "This change is no longer on record: roll it back by hand.", private=True)
        refused = self.refusal(proposal, user, own_allowed=True)
        if refused:
            self.store.audit("refused", proposal, user, reason=f"rollback: {refused}")
            return Outcome(False, f"Not rolled back: {refused}.", proposal, private=True)
        moving = self.store.move(proposal_id, "rolling-back", actor=user)
        if moving is None:
            return Outcome(False, f"Nothing done: this fix is {proposal.state}, not applied.", proposal, private=True)
        try:
            sessions = {a: self.writer.session(a, user) for a in moving.accounts}
            for c in moving.changes:
                live = self.writer.read(sessions[c.account], c.where, c.target, c.apply)
                if policy_hash(live) != policy_hash(c.document):
                    self.store.move(proposal_id, "applied", actor=user)
                    changed = diff(c.document, live, "as s3why applied it", "now")
                    self.store.audit("drift", moving, user, reason=f"{c.target} changed since the apply", diff=changed)
                    return Outcome(False, f"{c.target} changed since s3why applied the fix: not rolled back.",
                                   moving, changed)  # fmt: skip
            ids = [self._restore(sessions[c.account], c) for c in reversed(moving.changes)]
        except (ClientError, BotoCoreError, WriteError) as exc:
            self.store.move(proposal_id, "applied", actor=user)
            self.store.audit("rollback-failed", moving, user, reason=_describe(exc))
            return Outcome(False, f"AWS refused the rollback: {_describe(exc)}.", moving)
        done = self.store.move(proposal_id, "rolled-back", actor=user)
        change = "\n".join(
            diff(c.document, c.before, f"{c.target} (applied)", f"{c.target} (restored)") for c in moving.changes
        )
        self.store.audit("rolled-back", moving, user, diff=change, request_id=",".join(ids))
        self.invalidate(moving)
        return Outcome(True, f"Rolled back by <@{user}>: the previous policy is restored.", done, change)


def _describe(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')} ({str(error.get('Message', ''))[:200]})"
    return str(exc)[:300]
