"""AWS's own record of the denial as evidence: it settles the request context, and is reconciled with s3why's.

The record (bot/account/toolbox.py) is the strongest evidence there is: the context AWS evaluated replaces what
s3why would otherwise assume or branch on; AWS's evaluation is shown beside s3why's own and the two are
reconciled ("confirmed by AWS's record", or the disagreement said plainly, naming both); a policy whose document
changed since the denial is shown as a diff, and the fixes (computed on today's documents) say so. When there is
no record, one line says why and the diagnosis goes on from s3why's own evaluation.

Pure: reads the account view and the diagnosis, returns new values.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import replace
from typing import Any

from bot.account.toolbox import AuthorizationRecord, RecordCheck, RecordEvaluation, RecordPolicy, RecordUnavailable
from bot.account.view import AccountView
from bot.arn import Arn
from bot.diagnose.model import DENY, NO_ALLOW, Diagnosis, RootCause
from bot.layers import LayerId
from bot.parse.model import DeniedRequest

_EFFECT_WORDS = {"EXPLICIT_DENY": "an explicit deny", "IMPLICIT_DENY": "no allow (implicit deny)"}
_CHECK_WORDS = {
    "SERVICE_CONTROL_POLICY": "the SCPs",
    "RESOURCE_CONTROL_POLICY": "the RCPs",
    "VPC_ENDPOINT": "the VPC endpoint policy",
    "RESOURCE": "the resource-based policy",
    "PRINCIPAL": "the principal's identity-based policies",
    "PERMISSIONS_BOUNDARY": "the permissions boundary",
    "SESSION": "the session policy",
}


def record_for(view: AccountView, req: DeniedRequest, authorization_id: str | None = None) -> Any:
    """The record that belongs to this request, or a `RecordUnavailable` saying why there is none."""
    wanted = authorization_id or req.authorization_id
    found = view.authorization
    if found is None or (isinstance(found, RecordUnavailable) and found.authorization_id is None):
        if wanted:
            return RecordUnavailable(wanted, f"AWS's record of {wanted} was not read (not in this snapshot)")
        return RecordUnavailable(None, "the error text carries no authorization ID, so AWS's record was not read")
    if wanted and found.authorization_id != wanted:
        return RecordUnavailable(wanted, f"AWS's record of {wanted} was not read (the snapshot holds another one)")
    return found


def recorded_context(record: Any, action: str | None) -> dict[str, tuple[str, ...]]:
    """The context AWS evaluated for this action (empty without a record)."""
    if not isinstance(record, AuthorizationRecord):
        return {}
    return record.context_for(record.evaluation_for(action))


def settle_context(given: dict[str, tuple[str, ...]], record: Any, action: str | None) -> dict[str, tuple[str, ...]]:
    """What the record says, under what the person gave explicitly (the given keys win, case-insensitively)."""
    recorded = recorded_context(record, action)
    given_lower = {k.lower() for k in given}
    out = {k: v for k, v in recorded.items() if k.lower() not in given_lower}
    out.update(given)
    return out


# -----------------------------------------------------------------------------------------------------------
def _check_layer(check: RecordCheck, resource: str) -> str:
    if check.check_type != "RESOURCE":
        return check.layer
    arn = Arn.parse(resource)
    if arn is not None and arn.service == "kms":
        return LayerId.KMS.value
    if ":accesspoint/" in resource:
        return LayerId.ACCESS_POINT_POLICY.value
    return LayerId.BUCKET_POLICY.value


def _check_json(check: RecordCheck, record: AuthorizationRecord, resource: str) -> dict[str, Any]:
    return {
        "check": check.check_type,
        "layer": _check_layer(check, resource),
        "effect": check.effect,
        "target": check.target_arn,
        "matched": [
            {
                "policy": m.uri,
                "type": (record.policy(m.uri) or RecordPolicy(m.uri, "", False, (), None)).policy_type or None,
                "statements": [{"sid": s.sid, "effect": s.effect} for s in m.statements],
            }
            for m in check.matched
        ],
    }


def _check_words(check: RecordCheck) -> str:
    what = _CHECK_WORDS.get(check.check_type, check.check_type)
    where = f" at {check.target_arn}" if check.target_arn else ""
    sids = [s.sid or "(no Sid)" for m in check.matched for s in m.statements]
    by = f", statement {', '.join(sids)}" if sids else ""
    return f"{_EFFECT_WORDS.get(check.effect, check.effect.lower())} in {what}{where}{by}"


def _aws_words(evaluation: RecordEvaluation) -> str:
    checks = evaluation.denying_checks
    if not checks:
        return f"AWS's record says {evaluation.action} was {evaluation.decision or 'evaluated'}"
    return f"AWS's record says {evaluation.action} was denied by " + "; ".join(_check_words(c) for c in checks)


def _s3why_words(d: Diagnosis) -> str:
    if not d.root_causes:
        return f"s3why's own evaluation of today's configuration: {d.decision}"
    first = d.root_causes[0]
    return f"s3why's own evaluation: {d.decision} at the {first.layer.value} layer ({first.summary})"


# -----------------------------------------------------------------------------------------------------------
def _today_document(policy: RecordPolicy, view: AccountView) -> tuple[bool, Any]:
    """(found, today's document) for a policy of the record; found is False when s3why cannot tell."""
    last = policy.uri.rstrip("/").rsplit("/", 1)[-1]
    if policy.policy_type == "RESOURCE_BASED_POLICY" and view.bucket is not None:
        bucket_arn = f"arn:aws:s3:::{view.bucket.name}"
        if bucket_arn in policy.attached_to or policy.uri.endswith(f":::{view.bucket.name}") or not policy.attached_to:
            fact = view.bucket.policy
            if fact.present:
                return True, fact.value
            if fact.known:
                return True, None
        return False, None
    if policy.policy_type in ("IDENTITY_BASED_POLICY", "PERMISSIONS_BOUNDARY") and view.principal is not None:
        named = list(view.principal.policies)
        if view.principal.boundary is not None:
            named.append(view.principal.boundary)
        for n in named:
            if n.name == policy.uri or n.name.rsplit(":", 1)[-1] == last or n.name.rsplit("/", 1)[-1] == last:
                return True, n.document
        return False, None
    if policy.policy_type in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"):
        for org in view.organizations.values():
            for level in org.levels:
                fact = level.scps if policy.policy_type == "SERVICE_CONTROL_POLICY" else level.rcps
                for n in fact.value if fact.present else ():
                    if n.name == last or n.name == policy.uri:
                        return True, n.document
        return False, None
    if policy.policy_type == "VPC_ENDPOINT_POLICY" and view.vpc_endpoint is not None and view.vpc_endpoint.present:
        return True, view.vpc_endpoint.value
    return False, None


def _canonical(document: Any) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) if document is not None else ""


def policy_changes(record: AuthorizationRecord, view: AccountView) -> list[dict[str, Any]]:
    """The record's policies whose document today differs from the one AWS evaluated, with a unified diff."""
    out: list[dict[str, Any]] = []
    for policy in record.policies:
        if policy.document is None:
            continue
        found, today = _today_document(policy, view)
        if not found:
            continue
        before, after = _canonical(policy.document), _canonical(today)
        if json.loads(before or "null") == json.loads(after or "null"):
            continue
        diff = "\n".join(
            difflib.unified_diff(before.splitlines(), after.splitlines(), "at the denial", "today", lineterm="", n=2)
        )
        out.append({"policy": policy.uri, "type": policy.policy_type, "layer": policy.layer, "diff": diff})
    return out


# -----------------------------------------------------------------------------------------------------------
def reconcile(d: Diagnosis, record: Any, view: AccountView, action: str | None = None) -> Diagnosis:
    """Put AWS's record beside s3why's diagnosis: agreement, disagreement, changed policies, or why none."""
    request = dict(d.request)
    if not isinstance(record, AuthorizationRecord):
        reason = record.reason if isinstance(record, RecordUnavailable) else "AWS's record was not read"
        auth_id = record.authorization_id if isinstance(record, RecordUnavailable) else None
        request["aws_record"] = {"authorization_id": auth_id, "available": False, "reason": reason}
        return replace(d, request=request, notes=(*d.notes, f"no AWS record: {reason}"))

    action = action or (request.get("resolved") or {}).get("actions", [None])[0] or request.get("action")
    evaluation = record.evaluation_for(action)
    info: dict[str, Any] = {"authorization_id": record.authorization_id, "available": True}
    notes = list(d.notes)
    causes = list(d.root_causes)
    if evaluation is not None:
        # The text's statement s3why could not reproduce (reconcile.py) is what AWS's record settles: it gives way.
        causes = [c for c in causes if c.evidence.get("reproduced") is not False]
    if evaluation is not None:
        checks = evaluation.denying_checks
        aws_layers = {_check_layer(c, evaluation.resource) for c in checks}
        ours_denying = {r.layer.value for r in d.layers if r.verdict in (DENY, NO_ALLOW)}
        ours_causes = {c.layer.value for c in causes}
        same_decision = evaluation.decision == d.decision
        same_layer = bool(aws_layers & (ours_causes | ours_denying)) if aws_layers else not ours_causes
        agrees = same_decision and same_layer
        info.update(
            decision=evaluation.decision,
            action=evaluation.action,
            resource=evaluation.resource,
            denying_checks=[_check_json(c, record, evaluation.resource) for c in checks],
            checks=[_check_json(c, record, evaluation.resource) for c in evaluation.checks],
            agreement="confirmed" if agrees else "disagreement",
        )
        if agrees:
            summary = f"confirmed by AWS's record (authorization ID {record.authorization_id}): " + _aws_words(
                evaluation
            )
            causes = [
                replace(c, evidence={**c.evidence, "aws_record": "confirmed"})
                if c.layer.value in aws_layers or not aws_layers
                else c
                for c in causes
            ]
        else:
            summary = (
                f"AWS's record and s3why disagree (authorization ID {record.authorization_id}): "
                f"{_aws_words(evaluation)}; {_s3why_words(d)}"
            )
            for check in checks:
                layer = _check_layer(check, evaluation.resource)
                if layer in ours_causes:
                    continue
                try:
                    layer_id = LayerId(layer)
                except ValueError:
                    continue
                kind = "explicit" if check.effect == "EXPLICIT_DENY" else "implicit"
                causes.insert(
                    0,
                    RootCause(
                        layer_id,
                        kind,
                        f"AWS's record: {_check_words(check)} (s3why's own evaluation of today's configuration "
                        f"says {d.decision})",
                        {"aws_record": "disagreement", "check": _check_json(check, record, evaluation.resource)},
                    ),
                )
        info["summary"] = summary
        notes.insert(0, summary)
    changes = policy_changes(record, view)
    if changes:
        info["changed_since_denial"] = changes
        for change in changes:
            notes.append(
                f"{change['policy']} changed since the denial; the fixes target today's document, and the denial "
                f"may already be gone:\n{change['diff']}"
            )
    request["aws_record"] = info
    decision = d.decision
    if decision == "allow" and evaluation is not None and evaluation.decision in ("explicit-deny", "implicit-deny"):
        # AWS recorded a denial that today's configuration no longer reproduces: never "allow" (CONTRACT).
        decision = "unknown"
    return replace(d, request=request, decision=decision, root_causes=tuple(causes), notes=tuple(dict.fromkeys(notes)))


def diagnose_with_record(
    req: DeniedRequest, view: AccountView, options: Any, *, authorization_id: str | None = None
) -> tuple[Diagnosis, Any]:
    """Diagnose with AWS's record as evidence; returns the diagnosis and the options it ran with (for fixes)."""
    from bot.diagnose.core import diagnose

    record = record_for(view, req, authorization_id)
    settled = replace(options, context=settle_context(dict(options.context), record, req.action))
    return reconcile(diagnose(req, view, settled), record, view), settled
