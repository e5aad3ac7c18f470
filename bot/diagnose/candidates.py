"""When the text does not name the operation: evaluate the plausible ones and answer with what holds across them.

A paste often says only "Access Denied" and a bucket or an object. Guessing one operation would make the answer
confidently wrong for the others, so the diagnosis runs once per candidate (the parser's own candidates when the
text narrowed them down, e.g. `cp` without a direction; otherwise what can be done to what is known: an object ->
GetObject, HeadObject, PutObject, DeleteObject; a bucket -> ListObjectsV2 and GetBucketLocation) and combines:

- every candidate denied by the same layer and statement -> that cause, said once for all of them ("every request
  to hr-docs over plain HTTP is denied by TlsOnly"), with the candidates as evidence;
- otherwise -> the decision is `unknown`, and each candidate's own top cause is listed ("if it was PutObject: ...").

Cost: one diagnosis per candidate (at most four), never more. Fixes need the operation, so none is proposed until
it is known (`--operation`, or the select in Slack); the answer says so.
"""

from __future__ import annotations

import difflib
from dataclasses import replace
from typing import Any

from bot.account.view import AccountView
from bot.diagnose.model import ALLOW, LAYER_ORDER, UNKNOWN, Diagnosis, LayerReport, RootCause
from bot.diagnose.resolve import operation_of
from bot.diagnose.stated import stated_facts
from bot.errors import UsageError
from bot.layers import LayerId
from bot.parse.model import DeniedRequest
from bot.s3ops import S3_OPERATIONS, lookup_operation

OBJECT_CANDIDATES = ("GetObject", "HeadObject", "PutObject", "DeleteObject")
BUCKET_CANDIDATES = ("ListObjectsV2", "GetBucketLocation")
MAX_CANDIDATES = 4


def with_facts(
    req: DeniedRequest, *, operation: str | None = None, bucket: str | None = None, key: str | None = None
) -> DeniedRequest:
    """The parsed request with what the user says besides the text (`--operation`/`--bucket`/`--key`, a reply in
    the thread, the select in Slack): what they say wins over the text.

    Raises UsageError for an operation s3why does not know (naming the nearest ones it does)."""
    changes: dict[str, Any] = {}
    if operation:
        spec = lookup_operation(operation)
        if spec is None:
            near = difflib.get_close_matches(operation, list(S3_OPERATIONS), n=3)
            hint = f" (did you mean {', '.join(near)}?)" if near else ""
            raise UsageError(f"{operation}: not an S3 API operation s3why knows{hint}")
        changes.update(operation=spec.operation, action=None, operation_candidates=())
    if bucket:
        changes.update(bucket=bucket, resource_arn=None)
    if key:
        changes.update(key=key, resource_arn=None)
    return replace(req, **changes) if changes else req


# The common operations first: a single read or write before multipart and copies.
_KMS_PREFERENCE = ("GetObject", "PutObject", "CopyObject", "CreateMultipartUpload", "UploadPart")


def kms_operations(action: str) -> tuple[str, ...]:
    """The S3 operations for which S3 asks KMS for `action` (on the target's or the copy source's key)."""
    wanted = action.lower()
    ops = [
        spec.operation
        for spec in S3_OPERATIONS.values()
        if wanted in {a.lower() for a in (*spec.kms_actions, *spec.source_kms_actions)}
    ]
    return tuple(sorted(ops, key=lambda op: (_KMS_PREFERENCE.index(op) if op in _KMS_PREFERENCE else 99, op)))


def candidate_operations(req: DeniedRequest) -> tuple[str, ...]:
    """The operations to evaluate when the text does not name one: () when it does (or nothing is known)."""
    if stated_facts(req).lookalike_layer is not None:
        return ()  # not an access denial (NoSuchKey, a bad signature, ...): the operation changes nothing
    if operation_of(req) is not None:
        return ()
    known = tuple(dict.fromkeys(op for op in req.operation_candidates if lookup_operation(op) is not None))
    if req.action and req.action.lower().startswith("kms:"):
        # A denial that names only a KMS action: the S3 operations that ask KMS for it on the caller's behalf
        # (bot/s3ops.py's kms_actions; S3 User Guide, "Using server-side encryption with AWS KMS keys").
        behind = kms_operations(req.action)
        narrowed = tuple(op for op in known if op in behind) or behind
        return narrowed[:MAX_CANDIDATES]
    if known:
        return known[:MAX_CANDIDATES]
    if req.key:
        return OBJECT_CANDIDATES
    if req.bucket:
        return BUCKET_CANDIDATES
    return ()


def _signature(d: Diagnosis) -> tuple[str, Any, Any, Any] | None:
    """What makes two candidates' answers the same: the layer, the kind and the policy statement that decided."""
    if not d.root_causes:
        return None
    c = d.root_causes[0]
    return (c.layer.value, c.kind, c.evidence.get("policy"), c.evidence.get("sid") or c.evidence.get("setting"))


def combine(req: DeniedRequest, found: list[tuple[str, Diagnosis]]) -> Diagnosis:
    """One answer for every candidate operation's diagnosis (`found`: operation -> its diagnosis, in order)."""
    ops = [op for op, _ in found]
    first = found[0][1]
    decisions = {d.decision for _, d in found}
    signatures = {_signature(d) for _, d in found}
    per_candidate = [
        {
            "operation": op,
            "decision": d.decision,
            "layer": d.root_causes[0].layer.value if d.root_causes else None,
            "summary": d.root_causes[0].summary if d.root_causes else None,
        }
        for op, d in found
    ]
    listed = ", ".join(ops)
    causes: list[RootCause]
    if len(decisions) == 1 and len(signatures) == 1 and first.root_causes and ALLOW not in decisions:
        top = first.root_causes[0]
        summary = f"whichever it was ({listed}), {top.summary}"
        causes = [RootCause(top.layer, top.kind, summary, {**top.evidence, "candidates": per_candidate})]
        causes += list(first.root_causes[1:])
        decision = first.decision
    else:
        causes = []
        for op, d in found:
            if d.root_causes:
                top = d.root_causes[0]
                causes.append(
                    RootCause(
                        top.layer,
                        top.kind,
                        f"if it was {op}: {top.summary}",
                        {**top.evidence, "operation": op, "candidates": per_candidate},
                    )
                )
        decision = UNKNOWN if decisions != {ALLOW} else ALLOW
        if decision == ALLOW:
            decision = UNKNOWN  # the text states a denial that no candidate reproduces: never allow
    layers: list[LayerReport] = []
    for layer in LAYER_ORDER:
        reports = [(op, d.layer(layer)) for op, d in found]
        verdicts = {r.verdict for _, r in reports}
        if len(verdicts) == 1:
            layers.append(reports[0][1])
        else:
            detail = "depends on the operation: " + "; ".join(f"{op}: {r.verdict}" for op, r in reports)
            layers.append(LayerReport(layer, UNKNOWN, detail))
    request = dict(first.request)
    request["operation"] = req.operation
    request["action"] = req.action
    request["operation_candidates"] = ops
    resolved = dict(request.get("resolved") or {})
    resolved["candidates"] = per_candidate
    resolved.pop("actions", None)
    resolved.pop("authorizations", None)
    if req.key is None:
        resolved["resource"] = request.get("resource_arn") or resolved.get("resource")
    request["resolved"] = resolved
    notes = [
        f"the text does not name the operation: s3why evaluated each plausible one ({listed}); "
        "name it (--operation OP, or the select in Slack) for a fix",
    ]
    # A note every candidate shares holds whatever the operation was; any other is said for its own candidate.
    shared = set.intersection(*(set(d.notes) for _, d in found)) if found else set()
    for op, d in found:
        for n in d.notes:
            if "does not name the S3 operation" in n:
                continue
            notes.append(n if n in shared else f"if it was {op}: {n}")
    return Diagnosis(request, decision, tuple(causes), tuple(layers), (), tuple(dict.fromkeys(notes)))


def diagnose_request(
    req: DeniedRequest, view: AccountView, options: Any, *, authorization_id: str | None = None
) -> tuple[Diagnosis, Any, bool]:
    """The diagnosis of one parsed request, over its candidate operations when the text names none.

    Returns the diagnosis, the options it ran with (for fixes) and whether fixes may be proposed (False when the
    operation is still unknown: a fix for one candidate would not fix the others — unless every candidate is
    denied first by a layer whose remedy is the same for any operation)."""
    from bot.diagnose.aws_record import diagnose_with_record

    ops = candidate_operations(req)
    if not ops:
        found, settled = diagnose_with_record(req, view, options, authorization_id=authorization_id)
        return found, settled, True
    results: list[tuple[str, Diagnosis]] = []
    settled = options
    for op in ops:
        one = replace(req, operation=op, action=None, operation_candidates=())
        d, settled = diagnose_with_record(one, view, options, authorization_id=authorization_id)
        results.append((op, d))
    combined = combine(req, results)
    return combined, settled, _same_remedy_for_every_candidate(results)


# Layers whose remedy is the same whatever the operation: a Requester Pays bucket wants x-amz-request-payer on
# every request from another account (S3 User Guide, "Downloading objects from Requester Pays buckets").
_OPERATION_FREE_REMEDIES = frozenset({LayerId.REQUESTER_PAYS})


def _same_remedy_for_every_candidate(results: list[tuple[str, Diagnosis]]) -> bool:
    """Whether a fix may be proposed although the operation is unknown: every candidate is denied first by the
    same layer, and that layer's remedy does not depend on the operation."""
    firsts = {d.root_causes[0].layer if d.root_causes else None for _, d in results}
    return len(firsts) == 1 and next(iter(firsts)) in _OPERATION_FREE_REMEDIES


__all__ = [
    "BUCKET_CANDIDATES",
    "OBJECT_CANDIDATES",
    "candidate_operations",
    "combine",
    "diagnose_request",
    "with_facts",
]
