"""Whose behalf an AWS service acts on, when a resource policy grants to a service principal.

A statement with `"Principal": {"Service": "cloudfront.amazonaws.com"}` lets that service act for *any* customer
unless a condition names whose resource it acts for: `aws:SourceArn`, `aws:SourceAccount` or `aws:SourceOwner`.
Without one it is the cross-service confused-deputy case (IAM User Guide, "The confused deputy problem"; global
condition keys `aws:SourceArn`, `aws:SourceAccount`, `aws:SourceOwner`). The account those keys name is the
grantee's account: a distribution in another company's account reads the bucket as surely as a role there.
"""

from __future__ import annotations

import re
from typing import Any

from bot.arn import Arn

_ACCOUNT_ID = re.compile(r"\d{12}")
SOURCE_ARN_KEYS = frozenset({"aws:sourcearn"})
SOURCE_ACCOUNT_KEYS = frozenset({"aws:sourceaccount", "aws:sourceowner"})
# operators that require the key to be present and equal to (or match) the value; `...IfExists` and negated
# operators let a request without the key (or with any other value) through, so they do not name the source
_NARROWING = frozenset({"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike"})


def source_accounts(statement: dict[str, Any]) -> tuple[str | None, ...]:
    """The accounts the statement's source conditions name, None for a value whose account cannot be told (no
    account in the ARN, a wildcard); empty when no condition names the source (the confused-deputy case).

    Condition keys are ANDed, so a bucket ARN in `aws:SourceArn` (S3 ARNs carry no account) is settled by an
    `aws:SourceAccount` beside it; every account named counts (a grant is refused if any is outside)."""
    condition = statement.get("Condition")
    arns: list[str] = []
    accounts: list[str] = []
    for operator, block in condition.items() if isinstance(condition, dict) else []:
        if str(operator).lower() not in _NARROWING or not isinstance(block, dict):
            continue
        for key, raw in block.items():
            values = [str(v) for v in (raw if isinstance(raw, list) else [raw]) if isinstance(v, (str, int))]
            if str(key).lower() in SOURCE_ARN_KEYS:
                arns += values
            elif str(key).lower() in SOURCE_ACCOUNT_KEYS:
                accounts += values
    named: list[str | None] = [a if _ACCOUNT_ID.fullmatch(a) else None for a in accounts]
    for arn in arns:
        parsed = Arn.parse(arn)
        account = parsed.account if parsed is not None else ""
        if account and _ACCOUNT_ID.fullmatch(account):
            named.append(account)
        elif not accounts:  # an ARN without an account, and no aws:SourceAccount to settle it
            named.append(None)
    return tuple(dict.fromkeys(named))


def service_names(principal: Any) -> tuple[str, ...]:
    """The service principals of a statement's `Principal` (empty when it names none)."""
    raw = principal.get("Service") if isinstance(principal, dict) else None
    return tuple(str(v) for v in (raw if isinstance(raw, list) else [raw] if raw is not None else []))
