"""Which side of a KMS grant must change — the key policy, the principal's IAM policy, or both (KMS Developer
Guide, "Key policies" and "Allowing users in other accounts to use a KMS key")."""

from __future__ import annotations

from bot.account.view import account_view
from bot.diagnose import RootCause
from bot.fixes.catalogue import Remediation
from bot.fixes.context import (
    FixContext,
    account_of,
    action_listed,
    statements_of,
)


def kms_plan(c: FixContext, cause: RootCause) -> tuple[bool, bool]:
    """Which side of a KMS grant must change: (key policy, identity policy).

    KMS (Developer Guide, "Key policies" and "Allowing users in other accounts to use a KMS key"): in the key's
    own account the key policy alone can grant, or delegate to IAM with the account statement (Principal
    `arn:aws:iam::ACCOUNT:root`), in which case an IAM policy must grant. Across accounts both must: the key
    policy admits the principal (or its account) and the principal's IAM policy allows the key.
    """
    view = account_view(c.snapshot)
    key_arn = str(cause.evidence.get("key") or "")
    key = view.keys.get(key_arn)
    action = str(cause.evidence.get("action") or "")
    me = account_of(c.principal)
    if key is None or not key.policy.present or not action.startswith("kms:"):
        return True, True
    key_account = key.account or account_of(key_arn)
    names = {c.principal, c.principal_policy_arn}
    direct = delegated = False
    for st in statements_of(key.policy.value):
        if st.get("Effect") != "Allow" or not action_listed(st.get("Action"), action):
            continue
        principals = st.get("Principal")
        values = ["*"] if principals == "*" else (principals.get("AWS") if isinstance(principals, dict) else None) or []
        values = values if isinstance(values, list) else [values]
        if any(v in names for v in values):
            direct = True
        if any(v in (me, f"arn:aws:iam::{me}:root") for v in values):
            delegated = True
    identity_ok = identity_allows(c, action, key.arn)
    if key_account == me:
        if delegated and not direct:
            return False, True
        return True, False
    need_key = not (direct or delegated)
    need_identity = not identity_ok
    if not need_key and not need_identity:
        return True, True  # something else (a condition) fails: show both sides, verification decides
    return need_key, need_identity


def identity_allows(c: FixContext, action: str, resource: str) -> bool:
    view = account_view(c.snapshot)
    if view.principal is None:
        return False
    for policy in view.principal.policies:
        for st in statements_of(policy.document):
            if st.get("Effect") == "Allow" and action_listed(st.get("Action"), action) and "Condition" not in st:
                resources = st.get("Resource")
                values = resources if isinstance(resources, list) else [resources]
                if any(v in ("*", resource) for v in values):
                    return True
    return False


def companion_needed(companion: Remediation, cause: RootCause, c: FixContext) -> bool:
    """Cross-account grants need the identity side too; so does a KMS key in another account when the
    principal's IAM policies do not allow it yet."""
    if companion.id == "identity-allow":
        cross = c.owner is not None and account_of(c.principal) != c.owner
        return cross and (any(x.layer.value == "identity" for x in c.diagnosis.root_causes) or identity_denies(c))
    if companion.id == "identity-kms-allow":
        return kms_plan(c, cause)[1]
    return True


def identity_denies(c: FixContext) -> bool:
    return any(r.layer.value == "identity" and r.verdict in ("no-allow", "deny") for r in c.diagnosis.layers)
