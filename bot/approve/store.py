"""Proposals and their state machine in Redis, and the audit stream.

A proposal is one verified fix offered in a thread. Its state moves only along these edges, each move atomic
(WATCH/MULTI), so a double click, two approvers at once or Slack retrying an action make exactly one move:

    proposed -> approved -> applying -> applied -> rolling-back -> rolled-back
                                     -> failed | dry-run   (rolling-back -> applied when the rollback fails)
    proposed -> rejected
    (a proposal whose TTL passed is gone: "expired")
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

import redis

from bot.metrics import METRICS

log = logging.getLogger("s3why.audit")

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
    requester: str | None
    channel: str
    thread_ts: str
    run_id: str
    request: dict[str, Any] = field(default_factory=dict)  # redacted text, index, principal, context, account
    state: str = "proposed"
    history: list[dict[str, Any]] = field(default_factory=list)

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
    def __init__(self, client: redis.Redis, prefix: str = "s3why:", ttl_seconds: int = 24 * 3600) -> None:
        self.client = client
        self.prefix = prefix
        self.ttl = ttl_seconds

    def _key(self, proposal_id: str) -> str:
        return f"{self.prefix}patch:{proposal_id}"

    @property
    def stream(self) -> str:
        return f"{self.prefix}audit"

    def propose(self, proposal: Proposal, *, actor: str | None) -> Proposal:
        proposal.id = proposal.id or uuid.uuid4().hex
        proposal.history.append(_event("proposed", actor))
        self.client.set(self._key(proposal.id), json.dumps(proposal.to_json()), ex=self.ttl)
        self.audit("proposed", proposal, actor)
        return proposal

    def get(self, proposal_id: str) -> Proposal | None:
        raw = self.client.get(self._key(proposal_id))
        return Proposal.from_json(json.loads(raw)) if raw else None

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
                    proposal = Proposal.from_json(json.loads(raw))
                    if to not in EDGES.get(proposal.state, ()):
                        pipe.unwatch()
                        return None
                    proposal.state = to
                    for name, value in changes.items():
                        setattr(proposal, name, value)
                    proposal.history.append(_event(to, actor))
                    pipe.multi()
                    # once applied, the record is kept (for rollback and audit) well past the proposal's TTL
                    ttl = self.ttl if to in ("approved", "rejected") else max(self.ttl, 30 * 24 * 3600)
                    pipe.set(key, json.dumps(proposal.to_json()), ex=ttl)
                    pipe.execute()
                    return proposal
                except redis.WatchError:
                    continue

    def audit(self, action: str, proposal: Proposal, actor: str | None, **extra: Any) -> None:
        entry = {
            "action": action,
            "actor": actor or "",
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "proposal": proposal.id,
            "accounts": ",".join(proposal.accounts),
            "targets": proposal.targets,
            "fix": proposal.fix_title,
            **{k: ("" if v is None else str(v)) for k, v in extra.items()},
        }
        METRICS.inc("s3why_approvals_total", action=action)
        self.client.xadd(self.stream, {k: str(v) for k, v in entry.items()}, maxlen=100_000, approximate=True)
        log.info("audit %s %s", action, proposal.id, extra={"audit": entry})  # fields, not a JSON string

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
