"""Proposals and their state machine in Redis, and the audit stream.

A proposal is one verified fix offered in a thread. Its state moves only along these edges, each move atomic
(WATCH/MULTI), so a double click, two approvers at once or Slack retrying an action make exactly one move:

    proposed -> approved -> applying -> applied -> rolling-back -> rolled-back
                                     -> failed | dry-run   (rolling-back -> applied when the rollback fails)
    proposed -> rejected
    (a proposal whose TTL passed is gone: "expired")

Before anything is written to AWS the intent (approver, targets, the documents before and after) is recorded on
the proposal and its id is added to the pending set; a proposal left `applying` or `rolling-back` by a store
failure is reconciled against AWS later (`Approvals.reconcile`). The audit goes to the JSON log first and then to
the Redis stream, so a store failure never loses an audit line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
import uuid
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

import redis

from bot.approve.signing import authentic, key_from_env, sign
from bot.cache import key_root
from bot.metrics import METRICS

log = logging.getLogger("s3why.audit")
KEPT_SECONDS = 30 * 24 * 3600  # an applied proposal (and its run's text) is kept this long, for rollback and audit


class ProposalState(StrEnum):
    """A proposal's states (the values are stored in Redis: they never change)."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    APPLYING = "applying"
    APPLIED = "applied"
    ROLLING_BACK = "rolling-back"
    FAILED = "failed"
    DRY_RUN = "dry-run"
    REJECTED = "rejected"
    ROLLED_BACK = "rolled-back"


EDGES: dict[str, tuple[str, ...]] = {
    "proposed": ("approved", "rejected"),
    "approved": ("applying",),
    "applying": ("applied", "failed", "dry-run"),
    "applied": ("rolling-back",),
    "rolling-back": ("rolled-back", "applied"),
    "failed": (),
    "dry-run": (),
    "rejected": (),
    "rolled-back": (),
}


IN_FLIGHT = ("applying", "rolling-back")


@dataclass
class Change:
    """One policy a proposal writes."""

    account: str
    where: str  # bucket | key | principal-inline | managed | vpce
    target: str  # bucket name, key ARN, role/user ARN, policy ARN, vpce id
    document: dict[str, Any]
    before: dict[str, Any] | None  # the document the fix was computed from (None: there was none)
    apply: dict[str, Any]
    previous_version: str | None = None  # managed policies: the default version before the apply
    request_id: str | None = None  # AWS's, for the apply


@dataclass
class Proposal:
    """One verified fix offered in a thread: every policy it changes, applied together or not at all."""

    id: str
    changes: list[Change]
    fix_title: str
    risk: str
    requester: str | None  # who asked first (kept for older records; `requesters` holds everyone who asked)
    channel: str
    thread_ts: str
    run_id: str
    request: dict[str, Any] = field(default_factory=dict)  # redacted text, index, principal, context, account
    state: str = "proposed"
    history: list[dict[str, Any]] = field(default_factory=list)
    # everyone who asked (the person who ran the shortcut and the message's author, the @mention and the thread's
    # author): none of them may approve while self-approval is off
    requesters: list[str] = field(default_factory=list)
    # recorded before any AWS write: {"action": "apply" | "rollback", "approver", "at" (epoch seconds), "targets"}
    intent: dict[str, Any] | None = None
    signature: str = ""  # HMAC of the signed part (bot/approve/signing.py), set when proposed

    @property
    def everyone_who_asked(self) -> list[str]:
        return sorted({r for r in [self.requester, *self.requesters] if r})

    @property
    def accounts(self) -> list[str]:
        return sorted({c.account for c in self.changes})

    @property
    def targets(self) -> str:
        return ", ".join(c.target for c in self.changes)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Proposal:
        return cls(**{**data, "changes": [Change(**c) for c in data["changes"]]})


class PatchStore:
    def __init__(
        self,
        client: redis.Redis,
        prefix: str | None = None,
        ttl_seconds: int = 24 * 3600,
        key: bytes | None = None,
    ) -> None:
        """`key`: the proposal signing key (default: `S3WHY_PROPOSAL_KEY`, bot/approve/signing.py); `prefix`:
        default `s3why:` under `S3WHY_REDIS_PREFIX`."""
        self.client = client
        self.prefix = prefix if prefix is not None else key_root() + "s3why:"
        self.ttl = ttl_seconds
        self.key = key if key is not None else key_from_env()

    def authentic(self, proposal: Proposal) -> bool:
        """The stored proposal is the one s3why proposed (its signature matches): nothing altered it."""
        return authentic(proposal, self.key)

    def lock(self, account: str, where: str, target: str, timeout: float = 120.0, wait: float = 30.0) -> Any:
        """A lock per policy (Redis, shared by every replica): two applies or rollbacks to one target never
        interleave. `acquire()` waits up to `wait` seconds (False: not had); the lock expires after `timeout`
        seconds should its holder die."""
        return self.client.lock(
            f"{self.prefix}target-lock:{account}:{where}:{target}", timeout=timeout, blocking_timeout=wait
        )

    def _key(self, proposal_id: str) -> str:
        return f"{self.prefix}patch:{proposal_id}"

    # The text of a run is stored once, however many proposals it made: under its SHA-256, which each proposal's
    # request holds (signed) in its place. A text that no longer matches its hash is not used (nothing rebuilt
    # from it, so nothing applied).
    def _text_key(self, digest: str) -> str:
        return f"{self.prefix}text:{digest}"

    def _stored(self, proposal: Proposal) -> str:
        data = proposal.to_json()
        data["request"] = {k: v for k, v in data["request"].items() if k != "text"}
        return json.dumps(data)

    def _loaded(self, raw: Any) -> Proposal:
        proposal = Proposal.from_json(json.loads(raw))
        digest = proposal.request.get("text_sha256")
        if isinstance(digest, str) and "text" not in proposal.request:
            text = _s(self.client.get(self._text_key(digest)) or "")
            if hashlib.sha256(text.encode()).hexdigest() != digest:
                log.warning("the text of proposal %s is gone or altered: not used", proposal.id)
                text = ""
            proposal.request = {**proposal.request, "text": text}
        return proposal

    @property
    def stream(self) -> str:
        return f"{self.prefix}audit"

    @property
    def pending_key(self) -> str:
        """The ids of proposals in `applying` or `rolling-back`: what `Approvals.reconcile` looks at."""
        return f"{self.prefix}patch-pending"

    def propose(self, proposal: Proposal, *, actor: str | None) -> Proposal:
        proposal.id = proposal.id or uuid.uuid4().hex
        text = proposal.request.get("text")
        if isinstance(text, str):  # once per run: the proposals of one text share it
            digest = hashlib.sha256(text.encode()).hexdigest()
            self.client.set(self._text_key(digest), text, ex=max(self.ttl, KEPT_SECONDS))
            proposal.request = {**proposal.request, "text_sha256": digest}
        proposal.signature = sign(proposal, self.key)
        proposal.history.append(_event("proposed", actor))
        self.client.set(self._key(proposal.id), self._stored(proposal), ex=self.ttl)
        self.audit("proposed", proposal, actor)
        return proposal

    def get(self, proposal_id: str) -> Proposal | None:
        raw = self.client.get(self._key(proposal_id))
        return self._loaded(raw) if raw else None

    def move(self, proposal_id: str, to: str, *, actor: str | None, **changes: Any) -> Proposal | None:
        """Move a proposal along one edge; None when it is gone or another move got there first."""
        key = self._key(proposal_id)
        with self.client.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)  # type: ignore[no-untyped-call]
                    raw = pipe.get(key)
                    if raw is None:
                        pipe.unwatch()
                        return None
                    proposal = self._loaded(raw)
                    if to not in EDGES.get(proposal.state, ()):
                        pipe.unwatch()
                        return None
                    proposal.state = to
                    for name, value in changes.items():
                        setattr(proposal, name, value)
                    proposal.history.append(_event(to, actor))
                    pipe.multi()
                    if to in IN_FLIGHT:
                        pipe.sadd(self.pending_key, proposal_id)
                    else:
                        pipe.srem(self.pending_key, proposal_id)
                    # once applied, the record is kept (for rollback and audit) well past the proposal's TTL
                    ttl = self.ttl if to in ("approved", "rejected") else max(self.ttl, KEPT_SECONDS)
                    pipe.set(key, self._stored(proposal), ex=ttl)
                    pipe.execute()
                    return proposal
                except redis.WatchError:
                    continue

    def ask(self, proposal_id: str, user: str) -> Proposal | None:
        """A proposal nobody asked for (s3why watch found it) is asked for by `user`: they become its requester, so
        the two-person rule applies to it (re-signed: who asked is signed). None when it is gone, no longer
        proposed, already asked for, or altered (its signature)."""
        key = self._key(proposal_id)
        with self.client.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)  # type: ignore[no-untyped-call]
                    raw = pipe.get(key)
                    current = self._loaded(raw) if raw else None
                    if (
                        current is None
                        or current.state != ProposalState.PROPOSED
                        or current.everyone_who_asked
                        or not self.authentic(current)
                    ):
                        pipe.unwatch()
                        return None
                    current.requesters = [user]
                    current.signature = sign(current, self.key)
                    current.history.append(_event("asked", user))
                    pipe.multi()
                    pipe.set(key, self._stored(current), keepttl=True)
                    pipe.execute()
                    return current
                except redis.WatchError:
                    continue

    def record_intent(self, proposal: Proposal, *, action: str, actor: str) -> Proposal | None:
        """Record what is about to be written (approver, targets, the changes with their before-documents) on a
        proposal in flight, before any AWS write. None when the proposal is no longer in flight."""
        key = self._key(proposal.id)
        intent = {
            "action": action,
            "approver": actor,
            "at": time.time(),
            "targets": [c.target for c in proposal.changes],
        }
        with self.client.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)  # type: ignore[no-untyped-call]
                    raw = pipe.get(key)
                    current = self._loaded(raw) if raw else None
                    if current is None or current.state not in IN_FLIGHT:
                        pipe.unwatch()
                        return None
                    current.intent = intent
                    current.changes = proposal.changes
                    pipe.multi()
                    pipe.set(key, self._stored(current), keepttl=True)
                    pipe.sadd(self.pending_key, proposal.id)
                    pipe.execute()
                    proposal.intent = intent
                    return current
                except redis.WatchError:
                    continue

    def pending(self) -> list[str]:
        """Ids of proposals some approval or rollback left in flight (or is working on now)."""
        return sorted(_s(m) for m in self.client.smembers(self.pending_key) or ())

    def forget_pending(self, proposal_id: str) -> None:
        self.client.srem(self.pending_key, proposal_id)

    def audit(self, action: str, proposal: Proposal, actor: str | None, **extra: Any) -> None:
        """One audit entry: the JSON log first (always), then the Redis stream (when the store is up)."""
        entry = {
            "action": action,
            "actor": actor or "",
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "proposal": proposal.id,
            "accounts": ",".join(proposal.accounts),
            "targets": proposal.targets,
            "fix": proposal.fix_title,
            "requesters": ",".join(proposal.everyone_who_asked),
            **{k: ("" if v is None else str(v)) for k, v in extra.items()},
        }
        METRICS.inc("s3why_approvals_total", action=action)
        log.info("audit %s %s", action, proposal.id, extra={"audit": entry})  # fields, not a JSON string
        try:
            self.client.xadd(self.stream, {k: str(v) for k, v in entry.items()}, maxlen=100_000, approximate=True)
        except redis.RedisError as exc:
            log.warning("audit stream unavailable (%s): this entry is in the log only", type(exc).__name__)

    def audit_entries(self, count: int = 1000) -> list[dict[str, str]]:
        out = []
        for entry_id, fields in self.client.xrange(self.stream, count=count) or []:
            item = {_s(k): _s(v) for k, v in (fields or {}).items()}
            item["id"] = _s(entry_id)
            out.append(item)
        return out


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _event(state: str, actor: str | None) -> dict[str, Any]:
    return {"state": state, "actor": actor, "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
