"""Is a policy patch a change AWS would accept and a reviewer would merge? (issue 20 §2)

Checked for every statement a fix adds, against its target (bot/fixes/targets):
- IAM grammar for that policy type (s3why's own parser, bot/engine/policy.py: a Principal only where the type
  takes one, known elements, well-formed conditions);
- principal types the policy type accepts (IAM User Guide, "AWS JSON policy elements: Principal"; KMS key
  policies take AWS principals and services; access point and VPC endpoint policies take AWS principals);
- no `*` action (`*`, `s3:*`, `kms:*`) and no `*` resource (a key policy's `"Resource": "*"` is the key itself,
  KMS Developer Guide, "Key policies"), no Principal `*` where a statement grants (not in a VPC endpoint policy,
  which grants nothing: it limits what passes through the endpoint): s3why never widens that far;
- the target's size limit, with the patched document.
Each finding is one line in words; a patch with findings is never shown as verified.
"""

from __future__ import annotations

import json
from typing import Any

from bot.engine import parse_policy
from bot.errors import PolicyError
from bot.fixes.model import Patch
from bot.fixes.targets import PolicyTarget, Where, target_of


def _values(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _added(patch: Patch) -> list[dict[str, Any]]:
    before = patch.before if isinstance(patch.before, dict) else {}
    seen = {json.dumps(s, sort_keys=True) for s in _values(before.get("Statement", []))}
    statements = _values((patch.document or {}).get("Statement", []))
    return [s for s in statements if isinstance(s, dict) and json.dumps(s, sort_keys=True) not in seen]


# Condition keys that narrow Principal "*" to one principal, account, organization or access point (the patterns AWS
# documents for VPC endpoint policies and for delegating access control to access points).
_NARROWING_KEYS = frozenset(
    k.lower()
    for k in (
        "aws:PrincipalArn",
        "aws:PrincipalAccount",
        "aws:PrincipalOrgID",
        "aws:SourceArn",
        "aws:SourceAccount",
        "aws:userid",
        "s3:DataAccessPointAccount",
        "s3:DataAccessPointArn",
    )
)


def _narrowed(statement: dict[str, Any]) -> bool:
    """A narrowing key under an operator that matches only the values it names (not a `Not` operator, not
    `...IfExists` or `ForAllValues:`, which also match when the key is absent, not `Null`), with values that name
    an account: no wildcard in an ARN's account field or in a value that is not an ARN."""
    condition = statement.get("Condition")
    if not isinstance(condition, dict):
        return False
    for operator, keys in condition.items():
        op = str(operator).lower()
        base = op.rsplit(":", 1)[-1]
        if not isinstance(keys, dict) or "not" in base or base.endswith("ifexists") or base == "null":
            continue
        if op.startswith("forallvalues:"):
            continue
        for key, values in keys.items():
            if str(key).lower() in _NARROWING_KEYS and _names_an_account(values):
                return True
    return False


def _names_an_account(values: Any) -> bool:
    items = _values(values)
    if not items or not all(isinstance(v, str) and v for v in items):
        return False
    for value in items:
        parts = value.split(":")
        named = parts[4] if value.startswith("arn:") and len(parts) > 5 else value
        if "*" in named or "?" in named or not value.strip("*?"):
            return False
    return True


def statement_findings(target: PolicyTarget, statement: dict[str, Any]) -> list[str]:
    """What is wrong with one statement for this target, in words (empty: nothing)."""
    out: list[str] = []
    sid = statement.get("Sid") or "the added statement"
    # A Deny's wildcards narrow what others grant: only an Allow grants every action, resource or principal.
    grants = statement.get("Effect") != "Deny"
    actions = [a for a in _values(statement.get("Action", [])) if isinstance(a, str)]
    if grants and ("NotAction" in statement or any(a == "*" or a.endswith(":*") for a in actions)):
        out.append(f"{sid} grants every action of a service ({', '.join(actions) or 'NotAction'})")
    resources = [r for r in _values(statement.get("Resource", [])) if isinstance(r, str)]
    if grants and target.where is not Where.KEY and ("NotResource" in statement or "*" in resources):
        out.append(f'{sid} grants every resource (Resource "*")')
    principal = statement.get("Principal")
    if principal is not None and not target.has_principal:
        out.append(f"{sid} names a Principal, which an identity policy cannot")
    if principal is None and target.has_principal and statement.get("Effect") == "Allow":
        out.append(f"{sid} names no Principal, which a {target.catalogue_name.replace('_', ' ')} policy needs")
    everyone = principal == "*" or (isinstance(principal, dict) and "*" in _values(principal.get("AWS")))
    # An endpoint policy's Principal "*" admits whoever the other policies grant, through this endpoint only.
    if grants and everyone and target.grants_access and not _narrowed(statement):
        out.append(f'{sid} grants everyone (Principal "*")')
    if isinstance(principal, dict):
        wrong = sorted(k for k in principal if k not in target.principal_types)
        if wrong:
            out.append(f"{sid} names a {', '.join(wrong)} principal, which this policy type does not take")
    return out


def patch_findings(patch: Patch) -> list[str]:
    """Findings for a policy patch: its added statements, its grammar, its size (empty for request changes)."""
    target = target_of(patch)
    if target is None or patch.document is None:
        return []
    if target.setting:
        return target.setting_findings(patch.document)
    out = [f for st in _added(patch) for f in statement_findings(target, st)]
    try:
        parse_policy(patch.document, name=patch.target, kind=target.policy_kind)
    except PolicyError as exc:
        out.append(f"not valid IAM for a {target.catalogue_name.replace('_', ' ')} policy: {exc}")
    ok, size = target.size_limit(patch).check(patch.document)
    if not ok:
        out.append(f"the patched document would be {size}: split it, or use a managed policy")
    return out
