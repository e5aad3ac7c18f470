"""What the person tells s3why beyond the pasted text (`s3why diagnose` options)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DiagnoseOptions:
    """`principal`: the caller's ARN when the text does not name it; `context`: request context keys the text
    cannot tell (key -> values); `session_policy`: the session policy document passed to AssumeRole, if any.

    `text_is_evidence`: reconcile the answer with what the error text states (the default). False for "the same
    request, against the account as it is after a change" — verifying a fix: the text described the account
    before it."""

    principal: str | None = None
    context: dict[str, tuple[str, ...]] = field(default_factory=dict)
    session_policy: Any = None
    text_is_evidence: bool = True


def context_value(ctx: dict[str, tuple[str, ...]], key: str) -> str | None:
    """The first value of a context key, matched case-insensitively as IAM matches key names; None if absent."""
    for k, v in ctx.items():
        if k.lower() == key.lower() and v:
            return v[0]
    return None
