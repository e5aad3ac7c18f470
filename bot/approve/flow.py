"""Approve, reject and roll back a proposed fix: authorisation, drift check, one apply, audit.

Everything that touches AWS goes through `Writer` (the write role, assumed per approval); everything that
remembers goes through `PatchStore` (Redis). `verify` is the diagnosis: given a proposal and whether to apply its
patch on top of a fresh read of the account, it returns the decision (`allow`, `explicit-deny`, ...).
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import redis
from botocore.exceptions import BotoCoreError, ClientError

from bot.approve.grants import grant_refusal, role_grantees, trust_refusal, trusted_roles
from bot.approve.store import IN_FLIGHT, Change, PatchStore, Proposal
from bot.approve.verified import Verified
from bot.approve.writer import WriteError, Writer, policy_hash
from bot.arn import Arn
from bot.config import S3WHY_ROLE_TAG, Config
from bot.fixes.model import Fix, Patch, Risk
from bot.fixes.targets import TARGETS, target_of

log = logging.getLogger("s3why.approve")
AWS_ERRORS = (ClientError, BotoCoreError, WriteError)
RECONCILER = "s3why-reconcile"

APPLICABLE = frozenset(w.value for w in TARGETS)  # every policy target s3why can write

Verify = Callable[[Proposal, bool], str]

Invalidate = Callable[[Proposal], None]
# the proposal's changes computed again from a fresh read of AWS (None: the fix is no longer proposed)
Rebuild = Callable[[Proposal], list[Change] | None]
ALTERED = "this proposal's stored record does not match what s3why proposed (its signature): it was altered"


@dataclass
class Outcome:
    ok: bool
    message: str
    proposal: Proposal | None = None
    diff: str = ""
    decision_after: str | None = None
    unread_after: tuple[str, ...] = ()  # the layers s3why could not read when it checked `decision_after`
    private: bool = False  # only the person who clicked should see it (refusals, already handled, expired)


# How many roles s3why follows from a role a grant names to the roles that can become it (a role chain).
TRUST_CHAIN_DEPTH = 5
# The risks a fix may have and still be applied (docs/approvals.md, "Which fixes can be approved"): high-risk fixes and
# any risk s3why does not know are explained, never applied.
APPLICABLE_RISKS = frozenset({Risk.LOW.value, Risk.MEDIUM.value})


def ineligibility(fix: Fix) -> str | None:
    """Why s3why never applies this fix, live or as a pull request (None: it may be approved): advice only
    (`never_automatic`), a risk other than low or medium, not verified, or nothing to change. The one check of
    eligibility for both paths (`proposal_for`, `bot.iac.approve.approve_pull_request`)."""
    if fix.never_automatic:
        return f"this fix is advice only ({fix.never_automatic})"
    if str(fix.risk) not in APPLICABLE_RISKS:
        return f"this fix is {fix.risk} risk: s3why never applies {fix.risk}-risk fixes"
    if not fix.verified:
        return f"the change is not verified ({fix.reason})"
    if not fix.patches:
        return "this fix changes no policy"
    return None


def proposal_for(
    fix: Fix,
    *,
    requester: str | None,
    channel: str,
    thread_ts: str,
    run_id: str,
    request: dict[str, Any],
    requesters: Sequence[str] = (),
) -> Proposal | None:
    """The proposal for a fix, or None when it is not something s3why applies (advice, high risk, unverified).

    `requesters`: everyone who asked besides `requester` (e.g. the author of the message a shortcut ran on)."""
    if ineligibility(fix) is not None:
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
        requesters=sorted({r for r in [requester, *requesters] if r}),
    )


def role_key(arn: str | None) -> tuple[str, str] | None:
    """(account, role name) of an IAM role ARN or of an assumed-role session ARN; None for anything else.
    Role names are unique in an account whatever their path (IAM identifiers), so the path is left out."""
    parsed = Arn.parse(arn or "")
    if parsed is None or not parsed.account:
        return None
    if parsed.service == "iam" and parsed.resource.startswith("role/"):
        return parsed.account, parsed.resource.rsplit("/", 1)[-1]
    if parsed.service == "sts" and parsed.resource.startswith("assumed-role/"):
        parts = parsed.resource.split("/")
        return (parsed.account, parts[1]) if len(parts) >= 2 else None
    return None


def _change(patch: Patch) -> Change | None:
    policy_target = target_of(patch)
    if policy_target is None or patch.document is None:
        return None
    where, target = policy_target.where.value, policy_target.live_target(patch)
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
        reconcile_grace_seconds: float = 120.0,
        rebuild: Rebuild | None = None,
    ) -> None:
        """`rebuild`: at apply time the fix is computed again and must equal the stored one (None: only the
        signature, the drift check and `verify` stand between a stored proposal and the write)."""
        self.store, self.writer, self.config = store, writer, config
        self.verify, self.invalidate, self.rebuild = verify, invalidate, rebuild
        self.group_members = group_members  # Slack user-group id -> its members (usergroups.users.list)
        # a proposal in flight for less than this is taken to be still in progress (not reconciled)
        self.reconcile_grace_seconds = reconcile_grace_seconds
        self.lock_wait_seconds = 30.0  # how long an apply waits for another change to the same target
        self._working: set[str] = set()  # proposals this process is applying or rolling back right now
        self._lock = threading.Lock()

    @contextmanager
    def _busy(self, proposal_id: str) -> Iterator[None]:
        with self._lock:
            self._working.add(proposal_id)
        try:
            yield
        finally:
            with self._lock:
                self._working.discard(proposal_id)

    def writable(self, proposal: Proposal) -> bool:
        """Every account the fix touches has a write role (without one, fixes there are advice only)."""
        return all((a := self.config.account(i)) is not None and bool(a.write_role_arn) for i in proposal.accounts)

    def _is_approver(self, user: str, approvers: tuple[str, ...]) -> bool:
        if user in approvers:
            return True
        groups = [a for a in approvers if a.startswith("S")]
        return self.group_members is not None and any(user in self.group_members(g) for g in groups)

    # --- what may be applied at all --------------------------------------------------------------------------
    def steered(self, proposal: Proposal) -> str | None:
        """Why a stored proposal is never applied whoever clicks: its record was altered (signature), or it
        grants to everyone, to an account's root or to an account that is neither configured nor in the
        organization (bot/approve/grants.py)."""
        if not self.store.authentic(proposal):
            return ALTERED
        return grant_refusal(proposal, self.config.known_accounts())

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
        if user in proposal.everyone_who_asked and not (self.config.self_approval or own_allowed):
            return "a person who asked cannot approve the fix (two-person rule): ask another approver"
        return None

    @staticmethod
    def wrong_place(proposal: Proposal, where: tuple[str, str] | None) -> str | None:
        """A button acts only from the proposal's own channel and thread (`where`: the click's channel and
        thread; None only for callers that are not Slack, such as the tests of the core)."""
        if where is None or (proposal.channel, proposal.thread_ts) == where:
            return None
        return "this button does not belong to this thread: use the one in the thread where the fix was proposed"

    def own_role_refusal(self, proposal: Proposal, session_for: Callable[[str], Any] | None = None) -> str | None:
        """Fixes never change s3why's own roles, nor widen what they may do: refused when the diagnosed principal
        or a role a change targets is one of the configured read, write or organization roles, or carries the
        `s3why:role` tag. `session_for(account)` gives a session to read role tags with (default: s3why's read
        session); a role whose tags cannot be read is refused (fail closed)."""
        own = {k for k in (role_key(a) for a in self.config.own_role_arns()) if k is not None}
        roles = [str(proposal.request.get("principal_arn") or proposal.request.get("principal") or "")]
        roles += [c.target for c in proposal.changes if c.where == "principal-inline"]
        for arn in roles:
            key = role_key(arn)
            if key is None:
                continue
            if key in own:
                return f"role {key[1]} in account {key[0]} is one of s3why's own roles: s3why never changes its access"
            try:
                tags = self._role_tags(key, session_for)
            except AWS_ERRORS as exc:
                return f"the tags of role {key[1]} in account {key[0]} could not be read ({_describe(exc)})"
            if S3WHY_ROLE_TAG in tags:
                return f"role {key[1]} in account {key[0]} is tagged {S3WHY_ROLE_TAG}: s3why never changes its access"
        return None

    def access_refusal(self, proposal: Proposal, session_for: Callable[[str], Any] | None = None) -> str | None:
        """Why s3why never applies this proposal, read from AWS: it touches s3why's own roles, or it grants to a
        role that a principal outside the known accounts (or anyone) can become (its trust policy)."""
        return self.own_role_refusal(proposal, session_for) or self.trust_refusal(proposal, session_for)

    def trust_refusal(self, proposal: Proposal, session_for: Callable[[str], Any] | None = None) -> str | None:
        """A grant to a role is a grant to whoever can assume it: refused when its trust policy admits anyone
        outside the configured accounts and the organization's listed members; a trust policy that cannot be read
        refuses too (bot/approve/grants.py `trust_refusal`)."""
        known = self.config.known_accounts()
        for granted in sorted(role_grantees(proposal)):
            refused = self._chain_refusal(granted, known, session_for)
            if refused:
                return refused
        return None

    def _chain_refusal(
        self, granted: str, known: Iterable[str], session_for: Callable[[str], Any] | None
    ) -> str | None:
        """The trust of `granted` and of every role that can become it, followed through roles of known accounts
        (a role trusted only by another role, itself assumable from outside, is a grant to that outside too), up to
        TRUST_CHAIN_DEPTH links: a link that admits outsiders or cannot be read refuses, and so does a chain
        longer than that (fail closed)."""
        seen: set[tuple[str, str]] = set()
        level = [granted]
        for depth in range(TRUST_CHAIN_DEPTH + 2):
            after: list[str] = []
            for arn in level:
                key = role_key(arn)
                if key is None or key in seen:
                    continue
                seen.add(key)
                account, name = key
                via = "" if depth == 0 else f" (a chain of {depth} role(s) to {granted}, which the change grants to)"
                if depth > TRUST_CHAIN_DEPTH:
                    return (
                        f"role {name} in account {account} can become the role a grant names through more than "
                        f"{TRUST_CHAIN_DEPTH} roles: s3why never applies a grant it cannot follow to its end"
                    )
                try:
                    session = session_for(account) if session_for is not None else None
                    trust = self.writer.role_trust(account, name, session)
                except AWS_ERRORS as exc:
                    return f"who can become role {name} in account {account}{via} could not be read ({_describe(exc)})"
                refused = trust_refusal(arn, trust, known)
                if refused:
                    return refused + via
                after += sorted(trusted_roles(trust))
            if not after:
                return None
            level = after
        return None

    def _role_tags(self, key: tuple[str, str], session_for: Callable[[str], Any] | None) -> dict[str, str]:
        account, name = key
        return self.writer.role_tags(account, name, session_for(account) if session_for is not None else None)

    def dry_run(self, proposal: Proposal) -> bool:
        accounts = [self.config.account(a) for a in proposal.accounts]
        return self.config.dry_run or any(a is not None and a.dry_run for a in accounts)

    # --- approve --------------------------------------------------------------------------------------------
    def approve(self, proposal_id: str, user: str, *, where: tuple[str, str] | None = None) -> Outcome:
        """Approve and apply. A RedisError raised from here means nothing was written to AWS."""
        proposal = self.store.get(proposal_id)
        if proposal is None:
            return Outcome(
                False, "This proposal has expired or is unknown: diagnose again for a fresh one.", private=True
            )
        refused = self.wrong_place(proposal, where) or self.steered(proposal) or self.refusal(proposal, user)
        if refused:
            self.store.audit("refused", proposal, user, reason=refused)
            return Outcome(False, f"Not applied: {refused}.", proposal, private=True)
        if not proposal.everyone_who_asked and not self.config.self_approval:
            # nobody asked for it (s3why watch found the denial on its own): the person denied may be this very
            # approver, so their click asks for the fix and another approver applies it (two-person rule)
            asked = self.store.ask(proposal_id, user)
            if asked is None:
                current = self.store.get(proposal_id)
                state = current.state if current else "expired"
                return Outcome(False, f"Nothing done: this fix is already {state}.", current, private=True)
            self.store.audit("asked", asked, user)
            return Outcome(
                True,
                f"<@{user}> asks for this fix (s3why found the denial on its own, nobody had asked): another approver "
                "applies it (two-person rule).",
                asked,
            )
        moved = self.store.move(proposal_id, "approved", actor=user)
        if moved is None:
            current = self.store.get(proposal_id)
            state = current.state if current else "expired"
            return Outcome(False, f"Nothing done: this fix is already {state}.", current, private=True)
        self.store.audit("approved", moved, user)
        with self._busy(proposal_id):  # from `applying` on, this process's reconcile leaves it alone
            applying = self.store.move(proposal_id, "applying", actor=user)
            if applying is None:  # cannot happen: only the approver whose move won gets here
                return Outcome(False, "Nothing done: another approval is in progress.", moved, private=True)
            return self._apply(applying, user)

    def _apply(self, p: Proposal, user: str) -> Outcome:
        try:
            sessions = {a: self.writer.session(a, user) for a in p.accounts}
            for c in p.changes:  # every drift check before any write
                live = self.writer.read(sessions[c.account], c.where, c.target, c.apply)
                if policy_hash(live) != policy_hash(c.before):
                    changed = diff(c.before, live, "when s3why diagnosed", "now")
                    return self._fail(p, user, "drift", f"The live policy of {c.target} changed since the diagnosis: "
                                      "nothing applied. Diagnose again for a fix computed from the current policy.",
                                      changed)  # fmt: skip
            own = self.access_refusal(p, sessions.get)  # the write session where there is one, else read
            if own:
                return self._fail(p, user, "refused", f"Not applied: {own}. Nothing was changed.")
            if self.verify(p, True) != "allow":
                return self._fail(p, user, "unverified", "On a fresh read the fix no longer makes the request "
                                  "work: nothing applied. Diagnose again.")  # fmt: skip
            if self.rebuild is not None and not _same_changes(self.rebuild(p), p.changes):
                return self._fail(p, user, "refused", "Not applied: the fix s3why computes now from a fresh read "
                                  "is not the stored one. Nothing was changed: diagnose again.")  # fmt: skip
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
        except AWS_ERRORS as exc:
            return self._fail(p, user, "failed", f"AWS refused the change: {_describe(exc)}. Nothing was applied.")
        with self._target_locks(p) as locked:
            if not locked:
                return self._fail(p, user, "failed", f"Not applied: another change to {p.targets} is in progress. "
                                  "Nothing was changed: diagnose again once it is done.")  # fmt: skip
            return self._write_locked(p, user, sessions, change)

    @contextmanager
    def _target_locks(self, p: Proposal) -> Iterator[bool]:
        """Hold the per-target lock of every policy the proposal changes (in one order: no deadlock); yields
        False when one could not be had in time."""
        held = []
        try:
            for c in sorted(p.changes, key=lambda c: (c.account, c.where, c.target)):
                lock = self.store.lock(c.account, c.where, c.target, wait=self.lock_wait_seconds)
                if not lock.acquire():
                    yield False
                    return
                held.append(lock)
            yield True
        finally:
            for lock in reversed(held):
                try:
                    lock.release()
                except redis.RedisError:
                    log.warning("a target lock had expired before its release")

    def _write_locked(self, p: Proposal, user: str, sessions: dict[str, Any], change: str) -> Outcome:
        """Under the target locks: re-read every target just before writing (a human edit since the drift check
        is detected, never overwritten), write, then read each back and check it is what s3why wrote."""
        try:
            for c in p.changes:
                live = self.writer.read(sessions[c.account], c.where, c.target, c.apply)
                if policy_hash(live) != policy_hash(c.before):
                    changed = diff(c.before, live, "when s3why diagnosed", "now")
                    return self._fail(p, user, "drift", f"The live policy of {c.target} changed while the fix was "
                                      "being checked: nothing applied. Diagnose again.", changed)  # fmt: skip
        except AWS_ERRORS as exc:
            return self._fail(p, user, "failed", f"AWS refused the change: {_describe(exc)}. Nothing was applied.")
        # the intent, before the first write: if the store fails from here on, reconcile knows what to look at
        if self.store.record_intent(p, action="apply", actor=user) is None:
            return Outcome(False, "Nothing done: this fix is no longer being applied.", p, private=True)
        self.store.audit("applying", p, user, diff=change)
        attempted: list[Change] = []
        try:
            for c in p.changes:
                attempted.append(c)
                written = self.writer.write(sessions[c.account], c.where, c.target, c.apply, c.document)
                c.request_id = written.request_id
                if written.note:
                    self.store.audit("note", p, user, note=written.note)
        except AWS_ERRORS as exc:
            # AWS's error answer (or s3why's own refusal before calling) means that write did not happen; no
            # answer at all (a timeout, a dropped connection) means it may have: put it back too (idempotent)
            refused = isinstance(exc, ClientError | WriteError)
            put_back, undone = self._undo(attempted[:-1] if refused else attempted, user)
            if refused:
                message = f"AWS refused the change: {_describe(exc)}. {undone}"
            else:
                message = f"AWS did not answer the write of {attempted[-1].target} ({_describe(exc)}): it may "
                message += f"have been applied. {undone}"
            if not put_back:  # what is in AWS is not known: left in flight, reconcile re-reads and reports
                return self._unrecorded(p, user, "apply-uncertain", message + _WILL_CHECK)
            try:
                return self._fail(p, user, "failed", message)
            except redis.RedisError:
                return self._unrecorded(p, user, "failed", message + _NOT_RECORDED)
        ids = ",".join(c.request_id or "" for c in p.changes)
        try:
            applied = self.store.move(p.id, "applied", actor=user, changes=p.changes)
        except redis.RedisError:
            message = (
                f"Applied to AWS by <@{user}> ({p.targets}), but s3why could not record it: its state store is "
                "unavailable. The change is in place; s3why will check AWS and offer Roll back in this thread "
                "when the store is back."
            )
            return self._unrecorded(p, user, "applied", message, diff=change, request_id=ids)
        self.store.audit("applied", p, user, diff=change, request_id=ids)
        self.invalidate(p)
        after = self.verify(p, False)
        message = f"Applied by <@{user}>."
        differs = self._read_back(p, user, sessions)
        if differs:
            message += f" But {differs}: check it by hand (Roll back refuses while it differs)."
        unread = after.unread if isinstance(after, Verified) else ()
        return Outcome(True, message, applied, change, after, unread_after=unread)

    def _read_back(self, p: Proposal, user: str, sessions: dict[str, Any]) -> str | None:
        """After the write: each target read again must be what s3why wrote; what differs, in words."""
        for c in p.changes:
            try:
                live = self.writer.read(sessions[c.account], c.where, c.target, c.apply)
            except AWS_ERRORS as exc:
                return f"{c.target} could not be read back ({_describe(exc)})"
            if policy_hash(live) != policy_hash(c.document):
                reason = f"{c.target} read back after the write is not what s3why wrote (someone changed it too)"
                self.store.audit("verify-failed", p, user, reason=reason, diff=diff(c.document, live, "written", "now"))
                return reason
        return None

    def _unrecorded(self, p: Proposal, user: str, action: str, message: str, **extra: Any) -> Outcome:
        """A write was attempted and the store failed: say what may have changed, audit to the log."""
        self.store.audit(action, p, user, reason="state store unavailable: not recorded", **extra)
        return Outcome(False, message, p, str(extra.get("diff") or ""))

    def _undo(self, done: list[Change], user: str) -> tuple[bool, str]:
        """After a partial apply: put back what was (or may have been) written, newest first. (all put back?,
        what to say)."""
        if not done:
            return True, "Nothing was applied."
        try:
            for c in reversed(done):
                self._restore(self.writer.session(c.account, user), c)
        except AWS_ERRORS as exc:
            return (
                False,
                f"Putting back what was written failed too ({_describe(exc)}): {done[-1].target} may be changed.",
            )
        return True, "Everything s3why wrote (or may have written) was put back as it was."

    def _restore(self, session: Any, c: Change) -> str:
        if c.where == "managed" and c.previous_version:
            return self.writer.restore_version(session, c.target, c.previous_version).request_id
        return self.writer.write(session, c.where, c.target, c.apply, c.before).request_id

    def _fail(self, p: Proposal, user: str, action: str, message: str, changed: str = "") -> Outcome:
        failed = self.store.move(p.id, "failed", actor=user)
        self.store.audit(action, p, user, reason=message, diff=changed)
        return Outcome(False, message, failed, changed)

    # --- reject and roll back --------------------------------------------------------------------------------
    def reject(self, proposal_id: str, user: str, *, where: tuple[str, str] | None = None) -> Outcome:
        proposal = self.store.get(proposal_id)
        if proposal is None:
            return Outcome(False, "This proposal has expired or is unknown.", private=True)
        refused = self.wrong_place(proposal, where)
        if refused is None and user not in proposal.everyone_who_asked:
            refused = self.refusal(proposal, user, own_allowed=True)
        if refused:
            self.store.audit("refused", proposal, user, reason=f"reject: {refused}")
            return Outcome(False, f"Not rejected: {refused}.", proposal, private=True)
        moved = self.store.move(proposal_id, "rejected", actor=user)
        if moved is None:
            return Outcome(False, f"Nothing done: this fix is already {proposal.state}.", proposal, private=True)
        self.store.audit("rejected", moved, user)
        return Outcome(True, f"Rejected by <@{user}>.", moved)

    def rollback(self, proposal_id: str, user: str, *, where: tuple[str, str] | None = None) -> Outcome:
        """Roll back an applied fix. A RedisError raised from here means nothing was written to AWS."""
        proposal = self.store.get(proposal_id)
        if proposal is None:
            return Outcome(False, "This change is no longer on record: roll it back by hand.", private=True)
        refused = self.wrong_place(proposal, where)
        if refused is None and not self.store.authentic(proposal):  # a rollback writes the stored `before`
            refused = ALTERED
        refused = refused or self.refusal(proposal, user, own_allowed=True)
        if refused:
            self.store.audit("refused", proposal, user, reason=f"rollback: {refused}")
            return Outcome(False, f"Not rolled back: {refused}.", proposal, private=True)
        with self._busy(proposal_id):
            moving = self.store.move(proposal_id, "rolling-back", actor=user)
            if moving is None:
                return Outcome(
                    False, f"Nothing done: this fix is {proposal.state}, not applied.", proposal, private=True
                )
            return self._roll_back(moving, user)

    def _roll_back(self, moving: Proposal, user: str) -> Outcome:
        proposal_id = moving.id
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
        except AWS_ERRORS as exc:
            self.store.move(proposal_id, "applied", actor=user)
            self.store.audit("rollback-failed", moving, user, reason=_describe(exc))
            return Outcome(False, f"AWS refused the rollback: {_describe(exc)}. Nothing was changed.", moving)
        if self.store.record_intent(moving, action="rollback", actor=user) is None:
            return Outcome(False, "Nothing done: this rollback is no longer in progress.", moving, private=True)
        change = "\n".join(
            diff(c.document, c.before, f"{c.target} (applied)", f"{c.target} (restored)") for c in moving.changes
        )
        try:
            ids = [self._restore(sessions[c.account], c) for c in reversed(moving.changes)]
        except AWS_ERRORS as exc:
            message = f"AWS refused the rollback: {_describe(exc)}. Some policies may already be restored: "
            message += f"s3why will check {moving.targets} against AWS."
            try:
                self.store.audit("rollback-failed", moving, user, reason=_describe(exc))
                return Outcome(False, message, moving)
            except redis.RedisError:
                return self._unrecorded(moving, user, "rollback-failed", message)
        try:
            done = self.store.move(proposal_id, "rolled-back", actor=user)
        except redis.RedisError:
            message = (
                f"Rolled back in AWS by <@{user}> ({moving.targets}), but s3why could not record it: its state "
                "store is unavailable. s3why will check AWS and confirm in this thread when the store is back."
            )
            return self._unrecorded(moving, user, "rolled-back", message, diff=change, request_id=",".join(ids))
        self.store.audit("rolled-back", moving, user, diff=change, request_id=",".join(ids))
        self.invalidate(moving)
        return Outcome(True, f"Rolled back by <@{user}>: the previous policy is restored.", done, change)

    # --- after a store failure -------------------------------------------------------------------------------
    def reconcile(self) -> list[Outcome]:
        """Settle proposals a store failure (or a crash) left `applying` or `rolling-back`: re-read AWS and mark
        each applied, rolled back or failed, saying what is in place. Raises RedisError while the store is down;
        a proposal whose AWS state cannot be read now is left for the next call."""
        outcomes = []
        for proposal_id in self.store.pending():
            p = self.store.get(proposal_id)
            if p is None or p.state not in IN_FLIGHT:
                self.store.forget_pending(proposal_id)
                continue
            with self._lock:
                here = p.id in self._working
            if here or time.time() - _since(p) < self.reconcile_grace_seconds:
                continue  # still being worked on (here, or most likely by another replica)
            try:
                outcome = self._reconcile_one(p)
            except AWS_ERRORS as exc:
                log.warning("reconcile %s: AWS cannot be read now (%s); trying again later", p.id, _describe(exc))
                continue
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    def _reconcile_one(self, p: Proposal) -> Outcome | None:
        intent = p.intent or {}
        approver = str(intent.get("approver") or RECONCILER)
        if p.state == "applying" and intent.get("action") != "apply":  # stopped before any write
            failed = self.store.move(p.id, "failed", actor=RECONCILER)
            if failed is None:
                return None
            reason = "the approval was interrupted before anything was written: nothing was changed"
            self.store.audit("failed", p, RECONCILER, reason=f"reconciled: {reason}")
            return Outcome(False, f"Reconciled after an interruption: {reason}. Approve a fresh diagnosis.", failed)
        sessions = {a: self.writer.session(a, RECONCILER) for a in p.accounts}
        live = [self.writer.read(sessions[c.account], c.where, c.target, c.apply) for c in p.changes]
        has_fix = [policy_hash(doc) == policy_hash(c.document) for doc, c in zip(live, p.changes, strict=True)]
        has_before = [policy_hash(doc) == policy_hash(c.before) for doc, c in zip(live, p.changes, strict=True)]
        state = ", ".join(
            f"{c.target}: {'the fix is in place' if f else 'as before' if b else 'changed by someone else'}"
            for c, f, b in zip(p.changes, has_fix, has_before, strict=True)
        )
        if p.state == "applying":
            if all(has_fix):
                to, action = "applied", "applied"
                text = f"the fix approved by <@{approver}> is in place in AWS (re-read now): Roll back is available"
            elif all(has_before):
                to, action = "failed", "failed"
                text = f"the fix approved by <@{approver}> is not in AWS (re-read now): nothing was changed"
            else:
                to, action = "failed", "failed"
                text = f"the fix approved by <@{approver}> is only partly in AWS ({state}): check these by hand"
        elif all(has_before):
            to, action = "rolled-back", "rolled-back"
            text = f"the rollback by <@{approver}> is done: the previous policy is in place in AWS (re-read now)"
        else:
            to, action = "applied", "rollback-failed"
            text = f"the rollback by <@{approver}> did not fully happen ({state}): Roll back is available again"
        moved = self.store.move(p.id, to, actor=RECONCILER)
        if moved is None:
            return None  # another replica settled it
        self.store.audit(action, p, RECONCILER, reason=f"reconciled against AWS after a store failure: {state}")
        self.invalidate(p)
        return Outcome(to in ("applied", "rolled-back") and action != "rollback-failed",
                       f"Reconciled after a state-store failure: {text}.", moved)  # fmt: skip


_WILL_CHECK = " s3why will re-read AWS and report in this thread."
_NOT_RECORDED = (
    " s3why could not record this (its state store is unavailable): it will check AWS again when the store is back."
)


def _same_changes(rebuilt: list[Change] | None, stored: list[Change]) -> bool:
    """The rebuilt changes write the same documents to the same targets as the stored ones."""

    def key(changes: list[Change]) -> list[tuple[str, str, str, str, str]]:
        return sorted((c.account, c.where, c.target, policy_hash(c.document), policy_hash(c.apply)) for c in changes)

    return rebuilt is not None and key(rebuilt) == key(stored)


def _since(p: Proposal) -> float:
    """When the proposal entered its current state (epoch seconds)."""
    if p.intent and isinstance(p.intent.get("at"), int | float):
        return float(p.intent["at"])
    at = p.history[-1].get("at") if p.history else None
    try:
        return dt.datetime.fromisoformat(str(at)).timestamp()
    except ValueError:
        return 0.0


def _describe(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')} ({str(error.get('Message', ''))[:200]})"
    return str(exc)[:300]
