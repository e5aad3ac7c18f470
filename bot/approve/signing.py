"""Stored proposals cannot be altered: each is signed (HMAC-SHA256) with a key from the environment.

What is signed is everything an approval acts on: the changes (account, policy kind, target, the document to
write, the document it replaces, how to write it), the fix's title and risk, who asked, where it was proposed and
the request it was verified against. The state, history and intent change as the proposal moves and are not
signed (they are checked by the state machine). A proposal whose signature does not match is never applied nor
rolled back: someone with write access to Redis cannot steer an approval.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
from typing import TYPE_CHECKING, Any

from bot.errors import UsageError

if TYPE_CHECKING:
    from bot.approve.store import Proposal

log = logging.getLogger("s3why.approve")

KEY_ENV = "S3WHY_PROPOSAL_KEY"
MIN_KEY_CHARS = 32


def key_from_env(*, required: bool = False) -> bytes:
    """The signing key (`S3WHY_PROPOSAL_KEY`, at least 32 characters). Without it: a UsageError when `required`
    (`s3why serve` with Redis), else a random key for this process only (proposals then verify only here)."""
    raw = os.environ.get(KEY_ENV, "")
    if raw and len(raw) < MIN_KEY_CHARS:
        raise UsageError(f"{KEY_ENV} is too short: give at least {MIN_KEY_CHARS} random characters")
    if raw:
        return raw.encode()
    if required:
        raise UsageError(
            f"approvals need {KEY_ENV} in the environment (at least {MIN_KEY_CHARS} random characters, the same on "
            "every replica), e.g. from `openssl rand -hex 32`"
        )
    log.warning("%s is not set: proposals are signed with a key of this process only", KEY_ENV)
    return secrets.token_bytes(32)


def signed_part(proposal: Proposal) -> dict[str, Any]:
    """The fields the signature covers (see the module's docstring)."""
    return {
        "id": proposal.id,
        "changes": [
            {
                "account": c.account,
                "where": c.where,
                "target": c.target,
                "document": c.document,
                "before": c.before,
                "apply": c.apply,
            }
            for c in proposal.changes
        ],
        "fix_title": proposal.fix_title,
        "risk": proposal.risk,
        "requester": proposal.requester,
        "requesters": sorted(proposal.requesters),
        "channel": proposal.channel,
        "thread_ts": proposal.thread_ts,
        "run_id": proposal.run_id,
        # the text itself is stored once per run; its SHA-256 (`text_sha256`) is what is signed
        "request": {k: v for k, v in proposal.request.items() if k != "text" or "text_sha256" not in proposal.request},
    }


def sign(proposal: Proposal, key: bytes) -> str:
    """The hex HMAC-SHA256 of the proposal's signed part (canonical JSON: sorted keys, no spaces)."""
    text = json.dumps(signed_part(proposal), sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def authentic(proposal: Proposal, key: bytes) -> bool:
    return bool(proposal.signature) and hmac.compare_digest(proposal.signature, sign(proposal, key))
