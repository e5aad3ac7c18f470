"""Which fix is shown first: verified, on its own, fewest policies changed, on the side the account keeps
similar grants."""

from __future__ import annotations

import json
from typing import Any

from bot.account.view import account_view
from bot.fixes.context import (
    FixContext,
    account_of,
    statements_of,
)
from bot.fixes.model import Fix, Patch


def without_sids(document: Any) -> Any:
    """A document with its statements' Sids left out: two scopes that differ only by the Sid are one."""
    if not isinstance(document, dict):
        return document
    return {**document, "Statement": [{k: v for k, v in st.items() if k != "Sid"} for st in statements_of(document)]}


def side_of(patches: list[Patch]) -> str:
    kinds = {"identity" if p.kind == "iam-policy" else "resource" for p in patches if p.kind != "request-change"}
    return "both" if len(kinds) > 1 else next(iter(kinds), "")


def rank_fixes(fixes: list[Fix], similar: str) -> list[Fix]:
    """The fix to show first: one that works (verified), on its own, then the fewest policies changed, then the
    side where the account already keeps similar grants; advice that changes nothing comes after every working
    change."""

    def key(item: tuple[int, Fix]) -> tuple[int, int, int, int, int, int]:
        index, fix = item
        advice = 1 if fix.never_automatic else 0
        return (
            0 if fix.verified else 1,
            advice,
            0 if fix.complete or not fix.patches else 1,  # one that works on its own before a part of a pair
            fix.policies_changed,
            0 if fix.side in (similar, "") else 1,
            index,
        )

    return [f for _, f in sorted(enumerate(fixes), key=key)]


def similar_side(c: FixContext) -> str:
    """Where this account keeps grants like the one needed: "resource" when the bucket policy names principals
    of the account in Allow statements for S3 actions and no identity policy of the principal names the bucket;
    "identity" otherwise (IAM is where AWS recommends same-account grants live)."""
    account = account_of(c.principal)
    view = account_view(c.snapshot)
    if view.bucket is None or not view.bucket.policy.present or not account or account != c.owner:
        return "identity"
    named = 0
    for st in statements_of(view.bucket.policy.value):
        if st.get("Effect") != "Allow" or not _mentions_s3(st.get("Action")):
            continue
        principals = (st.get("Principal") or {}).get("AWS") if isinstance(st.get("Principal"), dict) else None
        values = principals if isinstance(principals, list) else [principals] if principals else []
        if any(isinstance(v, str) and f":{account}:" in v and not v.endswith(":root") for v in values):
            named += 1
    if not named:
        return "identity"
    own = 0
    if view.principal is not None:
        for policy in view.principal.policies:
            for st in statements_of(policy.document):
                resources = st.get("Resource")
                text = json.dumps(resources)
                if st.get("Effect") == "Allow" and c.bucket and f":::{c.bucket}" in text:
                    own += 1
    return "resource" if named > own else "identity"


def _mentions_s3(action: Any) -> bool:
    values = action if isinstance(action, list) else [action]
    return any(isinstance(v, str) and (v.lower().startswith("s3:") or v == "*") for v in values)
