"""The workload's next requests in a fix: which of the operations the tool performs (bot/fixes/workload_kinds.py)
are denied today, by which layer, and the statements that grant them beside the failing request's own — exactly
their actions, on the workload's objects (the fix's scope) or on the bucket, never more (issue 20 §1)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from bot.account.view import account_view
from bot.diagnose import RootCause
from bot.fixes.context import FixContext, action_listed, rediagnose, statement_sid, statements_of
from bot.fixes.scope import EXACT, Scope, literal
from bot.fixes.workload import sibling_key
from bot.s3ops import lookup_operation

# The statement templates that are "these actions on these resources" (a workload's actions can join them).
WORKLOAD_TEMPLATES = frozenset({"iam-statement", "bucket-statement"})


@dataclass(frozen=True)
class WorkloadRequest:
    """One next request of the workload that is denied today: its operation, IAM actions, the key it is tried
    on (None: a bucket-level request) and the layers that deny it."""

    operation: str
    actions: tuple[str, ...]
    key: str | None
    layers: frozenset[str]


def workload_key(c: FixContext) -> str:
    """The workload's next object: a sibling of the failing key in another partition, or an object under the
    workload's prefix when the failing request named no key (a listing)."""
    prefix = c.workload.prefix or ""
    if c.req.key is not None:
        return sibling_key(c.req.key, prefix, c.workload.other_folder) if c.req.key.startswith(prefix) else c.req.key
    return f"{prefix}s3why-next-object"


def pending_workload(c: FixContext) -> tuple[WorkloadRequest, ...]:
    """The workload's operations (other than the failing request's) that the account denies today."""
    from bot.fixes.verify import outcome_of

    ops = c.workload_ops
    if ops is None or not c.bucket:
        return ()
    out: list[WorkloadRequest] = []
    for op in ops.operations:
        spec = lookup_operation(op)
        if spec is None or set(spec.actions) <= set(c.actions):
            continue  # the failing request's own authorization: the fix grants it anyway
        key = workload_key(c) if spec.resource.value == "object" else None
        if key is not None and c.req.key is None and c.workload.prefix is None and _granted_on_objects(c, spec.actions):
            continue  # a listing that names no prefix: the workload's objects are where the account grants them
        req = replace(c.req, operation=op, action=None, key=key, resource_arn=None, error_code=None)
        found = rediagnose(c, c.snapshot, req=req)
        if outcome_of(found)[0]:
            continue
        layers = frozenset(x.layer.value for x in found.root_causes if x.layer.value != "object-missing")
        out.append(WorkloadRequest(op, tuple(spec.actions), key, layers))
    return tuple(out)


def _granted_on_objects(c: FixContext, actions: tuple[str, ...]) -> bool:
    """Whether the principal's own policies already allow one of `actions` on some objects of the bucket (a
    prefix, the whole bucket): where the workload keeps its objects when the failing request does not say."""
    view = account_view(c.snapshot)
    if view.principal is None or not c.bucket:
        return False
    head = f"arn:aws:s3:::{c.bucket}/"
    for policy in view.principal.policies:
        for st in statements_of(policy.document):
            if st.get("Effect") != "Allow" or not any(action_listed(st.get("Action"), a) for a in actions):
                continue
            resources = st.get("Resource")
            if any(
                isinstance(r, str) and r.startswith(head)
                for r in (resources if isinstance(resources, list) else [resources])
            ):
                return True
    return False


def _object_resource(c: FixContext, scope: Scope | None) -> str:
    if scope is not None and scope.name != EXACT:
        return scope.pattern
    return f"arn:aws:s3:::{literal(c.bucket or '')}/{literal(c.workload.prefix or '')}*"


def with_workload(c: FixContext, cause: RootCause, values: dict[str, Any], scope: Scope | None) -> list[dict[str, Any]]:
    """The template values to render: the failing request's (with the workload's actions on the same resource
    joined to it), then one statement per other resource the workload's denied requests need."""
    pending = [w for w in c.workload_pending if cause.layer.value in w.layers]
    if not pending or c.snapshot.get("access_point") or not c.bucket:
        return [values]
    on_objects = list(dict.fromkeys(a for w in pending if w.key is not None for a in w.actions if a not in c.actions))
    on_bucket = list(dict.fromkeys(a for w in pending if w.key is None for a in w.actions if a not in c.actions))
    main = dict(values)
    out: list[dict[str, Any]] = []
    for actions, resource in ((on_objects, _object_resource(c, scope)), (on_bucket, f"arn:aws:s3:::{c.bucket}")):
        if not actions:
            continue
        if main["resources"] == [resource]:
            main["actions"] = list(dict.fromkeys([*main["actions"], *actions]))
            continue
        sid = statement_sid("workload", actions, resource, c.principal_policy_arn)
        out.append(values | {"actions": actions, "resources": [resource], "sid": sid})
    return [main, *out]


def workload_words(c: FixContext, cause: RootCause, templates: tuple[str, ...]) -> str:
    """What the fix does for the workload's next requests, in words, to end its explanation ("" when the paste
    names no tool of the table)."""
    ops = c.workload_ops
    if ops is None:
        return ""
    pending = [w for w in c.workload_pending if cause.layer.value in w.layers]
    if pending and WORKLOAD_TEMPLATES & set(templates):
        on_objects = ", ".join(dict.fromkeys(a for w in pending if w.key is not None for a in w.actions))
        on_bucket = ", ".join(dict.fromkeys(a for w in pending if w.key is None for a in w.actions))
        where = (
            "the same objects"
            if c.bucket and c.req.key is not None and c.resource == f"arn:aws:s3:::{c.bucket}/{c.req.key}"
            else f"any object under s3://{c.bucket}/{c.workload.prefix or ''}"
        )
        parts = [f"{on_objects} on {where}"] if on_objects else []
        parts += [f"{on_bucket} on the bucket {c.bucket}"] if on_bucket else []
        granted = " and ".join(parts)
        return f" The workload's next requests are granted with it: {ops.words()}; also {granted}."
    if pending and cause.layer.value == "kms":
        # the key grant carries what these requests ask KMS for (bot/fixes/values.py, kms_actions)
        asks = ", ".join(
            f"{w.operation} ({', '.join(spec.kms_actions)})"
            for w in pending
            if (spec := lookup_operation(w.operation)) is not None and spec.kms_actions
        )
        if asks:
            return f" The workload's next requests use the key too and are granted with it: {ops.words()}; {asks}."
    if not pending:
        return f" The workload's other requests are already allowed: {ops.words()}."
    return f" The workload's other requests are denied by another layer: {ops.words()}."
