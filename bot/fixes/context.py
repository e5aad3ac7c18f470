"""What every stage of a fix reads: the request, the snapshot, the diagnosis and the principal as policies
name it (`FixContext`); the Sid, the literal ARN, and diagnosing the request again on a patched snapshot."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from bot.account.view import account_view
from bot.arn import Arn
from bot.diagnose import DiagnoseOptions, Diagnosis, diagnose
from bot.fixes.workload import NO_WORKLOAD, Workload
from bot.parse.model import DeniedRequest


def statement_sid(*parts: Any) -> str:
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:10]
    return f"S3why{digest}"


def role_arn(snapshot: dict[str, Any], principal: str) -> str:
    """The principal as a policy should name it: a session's role ARN (with its path), never the session."""
    view = account_view(snapshot)
    if view.principal is not None and view.principal.role_arn:
        return view.principal.role_arn
    arn = Arn.parse(principal)
    if arn is not None and arn.is_role_session:
        return f"arn:{arn.partition}:iam::{arn.account}:role/{arn.role_name_of_session}"
    return principal


@dataclass
class FixContext:
    req: DeniedRequest
    snapshot: dict[str, Any]
    options: DiagnoseOptions
    diagnosis: Diagnosis
    principal: str
    principal_policy_arn: str
    actions: list[str]
    resource: str
    bucket: str | None
    owner: str | None
    workload: Workload = NO_WORKLOAD  # the workload's stable prefix (bot/fixes/workload.py)
    analyzer: Any = None  # bot.fixes.analyzer.AccessAnalyzer, when s3why may ask it
    workload_ops: Any = None  # bot.fixes.workload_kinds.WorkloadOperations: what the tool in the paste does next
    workload_pending: tuple[Any, ...] = ()  # bot.fixes.workload_grants.WorkloadRequest: those denied today
    paste: str = ""  # the text the request was read from (the tool that sent it)


def arn_literal(arn: str) -> str:
    """An ARN as a Resource pattern that matches only itself: `*`, `?` and `$` in it become `${*}`, `${?}` and
    `${$}` (IAM policy variables for literal characters; the fix documents are 2012-10-17)."""
    head, sep, tail = arn.partition(":::")
    if not sep:
        return arn
    return head + sep + "".join({"*": "${*}", "?": "${?}", "$": "${$}"}.get(ch, ch) for ch in tail)


def string_literal(value: str) -> str:
    """A value for a String condition operator that substitutes no variable."""
    return value.replace("$", "${$}")


def statements_of(document: Any) -> list[dict[str, Any]]:
    if not isinstance(document, dict):
        return []
    st = document.get("Statement", [])
    return [x for x in (st if isinstance(st, list) else [st]) if isinstance(x, dict)]


def action_listed(actions: Any, action: str) -> bool:
    from bot.engine.matching import action_matcher

    values = actions if isinstance(actions, list) else [actions]
    return any(isinstance(v, str) and action_matcher(v)(action) for v in values)


def account_of(principal: str) -> str | None:
    arn = Arn.parse(principal)
    return arn.account or None if arn is not None else None


def rediagnose(
    c: FixContext,
    snapshot: dict[str, Any],
    context: dict[str, Any] | None = None,
    req: DeniedRequest | None = None,
    principal: str | None = None,
) -> Diagnosis:
    ctx = dict(c.options.context)
    for k, v in (context or {}).items():
        if v is None:
            ctx.pop(k, None)
        else:
            ctx[k] = (v,)
    options = DiagnoseOptions(
        principal=principal or c.options.principal or c.principal,
        context=ctx,
        session_policy=c.options.session_policy,
        text_is_evidence=False,  # the same request against the changed account: the text described it before
    )
    return diagnose(req or c.req, account_view(snapshot), options)
