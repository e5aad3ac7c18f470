"""A copy's fix grants what the copy lacks: read on its source, write on its destination only when that is denied.

CopyObject and UploadPartCopy need `s3:GetObject` (`s3:GetObjectVersion` for a version) on the source object and
`s3:PutObject` on the destination (S3 API Reference, CopyObject, "Permissions"). The diagnosis checks both (bot/
s3ops.py, `required_authorizations`); when the source's read is the one denied, the identity-side fix is a
statement on the source object (to the same scope as the destination's: that object, its folder, its bucket), and
the destination's own actions stay out of it when they are allowed already.
"""

from __future__ import annotations

from typing import Any

from bot.arn import Arn
from bot.fixes.context import FixContext, statement_sid
from bot.fixes.scope import Scope, scopes_for

# The templates that are "these actions on these resources" of the caller's own policies (identity, boundary).
COPY_TEMPLATES = frozenset({"iam-statement"})


def _authorizations(c: FixContext) -> list[dict[str, Any]]:
    resolved = c.diagnosis.request.get("resolved") or {}
    return [a for a in resolved.get("authorizations") or [] if isinstance(a, dict)]


def denied_elsewhere(c: FixContext) -> list[tuple[str, str]]:
    """(action, resource) of the S3 authorizations denied on another object than the request's own (a copy's
    source), in the diagnosis's order."""
    return [
        (str(a["action"]), str(a["resource"]))
        for a in _authorizations(c)
        if a.get("decision") != "allow"
        and str(a.get("action") or "").startswith("s3:")
        and str(a.get("resource") or "").startswith("arn:aws:s3:::")
        and a.get("resource") != c.resource
    ]


def allowed_here(c: FixContext) -> set[str]:
    """The actions on the request's own resource that the diagnosis found allowed."""
    return {
        str(a["action"]) for a in _authorizations(c) if a.get("decision") == "allow" and a.get("resource") == c.resource
    }


def _scoped(resource: str, scope: Scope | None) -> str:
    arn = Arn.parse(resource)
    bucket, _, key = (arn.resource if arn is not None else "").partition("/")
    if not bucket or not key:
        return resource
    options = scopes_for(bucket, key, resource)
    if scope is not None:
        for option in options:
            if option.name == scope.name:
                return option.pattern
    return options[0].pattern


def with_copy_source(c: FixContext, values: dict[str, Any], scope: Scope | None) -> list[dict[str, Any]]:
    """The values to render for a copy whose source read is denied: the destination's statement (without the
    actions already allowed there; none when all are), then one statement per source object."""
    elsewhere = denied_elsewhere(c)
    if not elsewhere:
        return [values]
    allowed = allowed_here(c)
    main = values | {"actions": [a for a in values["actions"] if a not in allowed]}
    out = [main] if main["actions"] else []
    by_resource: dict[str, list[str]] = {}
    for action, resource in elsewhere:
        by_resource.setdefault(_scoped(resource, scope), []).append(action)
    for resource, actions in by_resource.items():
        sid = statement_sid("copy-source", actions, resource, c.principal_policy_arn)
        out.append(values | {"actions": list(dict.fromkeys(actions)), "resources": [resource], "sid": sid})
    return out
