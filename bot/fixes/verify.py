"""Verification: each fix (each scope of it) applied to the snapshot and the request diagnosed again, with the
neighbouring requests that must keep their decision and the next request of the same workload."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, replace
from typing import Any

from bot.arn import Arn, s3_arn
from bot.diagnose import Diagnosis
from bot.diagnose.model import LayerReport
from bot.diagnose.resolve import UNKNOWN_KEY
from bot.fixes.context import (
    FixContext,
    account_of,
    action_listed,
    rediagnose,
    statements_of,
)
from bot.fixes.model import Fix, Patch, ScopeChoice
from bot.fixes.scope import BUCKET, PREFIX, deepest_prefix, principal_name
from bot.fixes.targets import merge, put_patches
from bot.fixes.validity import patch_findings
from bot.fixes.workload import sibling_key
from bot.parse.model import DeniedRequest
from bot.s3ops import lookup_operation

DIAGNOSTIC_FIXES = frozenset({"object-missing-list", "object-missing-list-bucket"})


def combine_patches(patches: list[Patch]) -> list[Patch]:
    """Patches of several fixes as one write per policy: a later patch's added statements merged into the
    earlier patch of the same policy (each patch holds the whole new document, so applying both would keep
    only the last)."""
    out: list[Patch] = []
    by_target: dict[tuple[str, str], Patch] = {}
    for p in patches:
        key = (p.kind, p.target)
        first = by_target.get(key)
        if first is None or p.document is None or first.document is None:
            by_target[key] = p
            out.append(p)
            continue
        merged = first.document
        before = {json.dumps(s, sort_keys=True) for s in statements_of(p.before)}
        for st in statements_of(p.document):
            if json.dumps(st, sort_keys=True) not in before and "Sid" in st:
                merged = merge(merged, st)
        combined = replace(first, document=merged)
        by_target[key] = combined
        out[out.index(first)] = combined
    return out


def apply_patches(snapshot: dict[str, Any], patches: list[Patch]) -> dict[str, Any]:
    """The snapshot as it would read after these patches (what verification diagnoses again)."""
    snap = copy.deepcopy(snapshot)
    put_patches(snap, patches)
    return snap


@dataclass(frozen=True)
class Neighbour:
    """A request next to the one that failed: `words` names it for people; `expect` is "same" (the fix must not
    change its decision) or "allow" (the next request of the same workload, which the scope is meant to let
    through)."""

    words: str
    req: DeniedRequest
    principal: str | None  # another principal (None: the same one)
    actions: tuple[str, ...]
    resource: str
    expect: str = "same"


def neighbours(c: FixContext, scope: str) -> list[Neighbour]:
    """Concrete requests the fix must leave as they were (other actions on the object, objects outside the
    scope, another principal of the account), and the next request of the workload (an object inside it)."""
    out: list[Neighbour] = []
    who = _short(c.principal)
    where = f"s3://{c.bucket}/{c.req.key}" if c.bucket and c.req.key is not None else c.resource
    # The workload's next requests (bot/fixes/workload_grants.py) are meant to become allowed, not kept as they are.
    workload_actions = {a for w in c.workload_pending for a in w.actions}
    for w in c.workload_pending:
        target = f"s3://{c.bucket}/{w.key}" if w.key is not None else f"s3://{c.bucket}"
        out.append(
            Neighbour(
                f"the workload's next {w.operation} ({', '.join(w.actions)}) on {target} by {who}",
                replace(c.req, operation=w.operation, action=None, key=w.key, resource_arn=None, error_code=None),
                None,
                w.actions,
                s3_arn(c.bucket or "", w.key),
                expect="allow",
            )
        )
    for op in ("DeleteObject", "PutObjectAcl", "GetObject", "PutObject", "ListObjectsV2"):
        spec = lookup_operation(op)
        if spec is None or set(spec.actions) & (set(c.actions) | workload_actions):
            continue
        on_object = spec.resource.value == "object" and c.req.key is not None
        target = where if on_object else f"s3://{c.bucket}"
        resource = c.resource if on_object else s3_arn(c.bucket or "")
        out.append(
            Neighbour(
                f"{op} ({', '.join(spec.actions)}) on {target} by {who}",
                replace(c.req, operation=op, action=None),
                None,
                spec.actions,
                resource,
            )
        )
    if c.req.key is not None and c.bucket:
        prefix = c.workload.prefix if c.workload.prefix is not None else (deepest_prefix(c.req.key) or "")
        base = c.req.key.rsplit("/", 1)[-1] or "object"
        # the next object of the same workload: a sibling in another partition (another date, another run)
        inside = (
            sibling_key(c.req.key, prefix, c.workload.other_folder)
            if c.req.key.startswith(prefix)
            else f"s3why-next-{base}"
        )
        outside = f"s3why-elsewhere/{base}" if prefix else None
        if scope in ("object", ""):
            out.append(_key_neighbour(c, inside, f"the same action on another object {_under(prefix, c.bucket)}"))
        elif scope == PREFIX and outside is not None:
            out.append(_key_neighbour(c, outside, f"the same action on an object outside {prefix}"))
        if scope in (PREFIX, BUCKET):
            out.append(_key_neighbour(c, inside, "the next object of the same workload", expect="allow"))
    arn = Arn.parse(c.principal)
    if arn is not None and arn.account:
        other = f"arn:aws:iam::{arn.account}:role/s3why-neighbour"
        out.append(
            Neighbour(
                f"the same request by another role of the account ({other})",
                c.req,
                other,
                tuple(c.actions),
                c.resource,
            )
        )
    return out


def _under(prefix: str, bucket: str) -> str:
    return f"under {prefix} in {bucket}" if prefix else f"in {bucket}"


def _key_neighbour(c: FixContext, key: str, what: str, expect: str = "same") -> Neighbour:
    assert c.bucket is not None
    return Neighbour(
        f"{what}: {', '.join(c.actions)} on s3://{c.bucket}/{key} by {_short(c.principal)}",
        replace(c.req, key=key, resource_arn=None),
        None,
        tuple(c.actions),
        s3_arn(c.bucket, key),
        expect,
    )


def _short(principal: str) -> str:

    return principal_name(principal)


def _neighbour_snapshot(snapshot: dict[str, Any], principal: str | None) -> dict[str, Any]:
    """Another principal has none of the original principal's identity policies: a role read with none (said as
    read, so its identity layer is "no policy", not "not read")."""
    if principal is None:
        return snapshot
    out = {k: v for k, v in snapshot.items() if k != "principal"}
    arn = Arn.parse(principal)
    if arn is not None and arn.resource.startswith("role/"):
        name = arn.resource.rsplit("/", 1)[-1]
        out["principal"] = {
            "arn": principal,
            "account": arn.account,
            "kind": "role",
            "calls": {
                "GetRole": {"Role": {"Path": "/", "RoleName": name, "Arn": principal}},
                "ListRolePolicies": {"PolicyNames": [], "IsTruncated": False},
                "ListAttachedRolePolicies": {"AttachedPolicies": [], "IsTruncated": False},
                "RolePolicies": {},
                "Policies": {},
            },
        }
    return out


def _added_statements(patch: Patch) -> list[dict[str, Any]]:
    before = {json.dumps(s, sort_keys=True) for s in statements_of(patch.before)}
    return [s for s in statements_of(patch.document) if json.dumps(s, sort_keys=True) not in before]


def _can_apply(patch: Patch, statement: dict[str, Any], n: Neighbour, c: FixContext) -> bool:
    """Could this added statement take part in the neighbour's authorization at all (its actions, its resource,
    its principal)? A statement that cannot is never blamed for a neighbour's change."""
    from bot.engine import AuthzRequest, PolicyKind, PolicySet, evaluate, parse_policy

    if patch.apply.get("where") in ("principal-inline", "managed") and n.principal is not None:
        return False  # the principal's own policy: another principal does not have it
    principal = statement.get("Principal")
    if n.principal is not None and principal not in (None, "*", {"AWS": "*"}):
        aws = principal.get("AWS") if isinstance(principal, dict) else None
        values = aws if isinstance(aws, list) else [aws]
        if n.principal not in values and f"arn:aws:iam::{account_of(n.principal)}:root" not in values:
            return False
    spec = lookup_operation(n.req.operation) if n.req.operation else None
    kms = tuple(spec.kms_actions) if spec is not None else ()
    bare = {"Effect": "Allow", "Action": statement.get("Action", "*"), "Resource": statement.get("Resource", "*")}
    if "NotAction" in statement or "NotResource" in statement:
        return True
    policy = parse_policy({"Version": "2012-10-17", "Statement": [bare]}, name="added", kind=PolicyKind.IDENTITY)
    who = n.principal or c.principal_policy_arn or c.principal
    checks = [(a, n.resource) for a in n.actions] + [(a, "*") for a in kms if action_listed(bare["Action"], a)]
    for action, resource in checks:
        if resource == "*" and action.startswith("kms:"):
            return True  # the key's statements apply to every object of the bucket through S3
        try:
            req = AuthzRequest.build(principal=who, action=action, resource=resource, context={})
            if evaluate(req, PolicySet(identity=(policy,))).decision.value == "allow":
                return True
        except Exception:
            return True
    return False


# The layers the bucket's owner sets (its policy, ACLs, settings): unreadable when the bucket is another's, such as
# an AWS-owned bucket of a service's downloads.
_BUCKET_OWNERS_LAYERS = frozenset(
    {"bucket-policy", "acl", "block-public-access", "object-ownership", "object-lock", "requester-pays", "rcp"}
)


def _read_failed(report: LayerReport) -> bool:
    """Whether a read of the layer failed ("could not read"): an undecided layer may be one s3why read but cannot
    settle (BlockPublicPolicy against a document it has not seen)."""
    return any(w in report.detail for w in ("not read", "could not be read"))


def unread_owner_layers(d: Diagnosis) -> tuple[LayerReport, ...]:
    """The bucket owner's layers s3why could not read, when they are all that stands between the request and
    "allowed": no root cause, every layer s3why read allows or does not apply, and every other layer is one of the
    bucket owner's whose read failed (an AWS-owned bucket's policy and settings). Empty otherwise. It is never
    "allowed": what was not read was not checked."""
    if d.decision == "allow" or d.root_causes:
        return ()
    unread = tuple(r for r in d.layers if r.verdict == "unknown")
    readable = [r for r in d.layers if r.verdict != "unknown"]
    if not unread or not all(r.verdict in ("allow", "not-applicable") for r in readable):
        return ()
    if not all(r.layer.value in _BUCKET_OWNERS_LAYERS and _read_failed(r) for r in unread):
        return ()
    return unread


def outcome_of(d: Diagnosis) -> tuple[bool, str]:
    """(authorized, why not): a request that is authorized but then finds no object (404) counts as authorized."""
    blocking = [x for x in d.root_causes if x.layer.value != "object-missing"]
    if d.decision == "allow" or (d.root_causes and not blocking):
        return True, ""
    if blocking:
        return False, f"the patched account still denies the request: {blocking[0].summary}"
    unread = [r for r in d.layers if r.verdict == "unknown"]
    if unread:
        failed = [r for r in unread[:3] if _read_failed(r)]
        undecided = [r for r in unread[:3] if r not in failed]
        parts = []
        readable = [r for r in d.layers if r.verdict != "unknown"]
        if failed and not undecided and all(r.verdict in ("allow", "not-applicable") for r in readable):
            # Claim only what was checked: the layers s3why read allow it; whose layers it could not read.
            owners = bool(unread_owner_layers(d))
            whose = "the bucket owner's layers are" if owners else "some layers are"
            return False, (
                f"not verified: allowed by every layer s3why can read; {whose} not readable "
                f"({'; '.join(r.detail for r in failed)})"
            )
        if failed:
            parts.append("s3why could not read " + "; ".join(r.detail for r in failed))
        if undecided:
            parts.append("undecided after the change: " + "; ".join(f"{r.layer.value}: {r.detail}" for r in undecided))
        return False, "not verified: " + "; ".join(parts)
    return False, f"not verified: the patched account's decision is {d.decision}"


def verify_fixes(fixes: list[Fix], c: FixContext) -> None:
    baseline: dict[str, str] = {}

    def before(n: Neighbour) -> str:
        if n.words not in baseline:
            baseline[n.words] = rediagnose(
                c, _neighbour_snapshot(c.snapshot, n.principal), req=n.req, principal=n.principal
            ).decision
        return baseline[n.words]

    automatic = [f for f in fixes if f.patches and not f.never_automatic and any(p.document for p in f.patches)]
    for fix in fixes:
        choices = fix.scopes or [ScopeChoice(fix.reach, "", fix.patches)]
        for choice in choices:
            _verify_choice(fix, choice, c, automatic, before)
        if fix.scopes:
            chosen = next((s for s in fix.scopes if s.verified), fix.scopes[0])
            fix.scope, fix.patches = chosen.name, chosen.patches
            fix.verified, fix.reason, fix.complete = chosen.verified, chosen.reason, chosen.complete
        else:
            fix.verified, fix.reason = choices[0].verified, choices[0].reason or fix.reason
            fix.complete = choices[0].complete


def _verify_choice(fix: Fix, choice: ScopeChoice, c: FixContext, automatic: list[Fix], before: Any) -> None:
    documents = [p for p in choice.patches if p.document is not None]
    if not documents:
        request_change = [p for p in choice.patches if p.kind == "request-change" and p.apply.get("context")]
        for p in request_change:
            # The error code and the expiry describe the failed attempt, not the changed request.
            changed_req = replace(c.req, error_code=None, presigned_expired=False)
            after = rediagnose(c, c.snapshot, context=p.apply["context"], req=changed_req)
            if after.decision == "allow" or all(x.layer.value != fix.layer for x in after.root_causes):
                choice.verified, choice.reason = True, ""
                choice.complete = choice.complete or after.decision == "allow"
        return
    findings = [f for p in documents for f in patch_findings(p)]
    if findings:
        choice.reason = "not valid: " + "; ".join(findings)
        return
    if c.analyzer is not None:
        reviews = [c.analyzer.review(p) for p in documents]
        fix.findings = list(dict.fromkeys([*fix.findings, *(s for r in reviews for s in r.shown)]))
        blocking = [b for r in reviews for b in r.blocking]
        if blocking:
            choice.reason = "not valid: " + "; ".join(blocking)
            return
    # Other root causes are fixed by other fixes: apply those (at the same scope) with this one.
    others = [
        p
        for f in automatic
        if f is not fix and f.layer != fix.layer
        for p in (next((s.patches for s in f.scopes if s.name == choice.name), f.patches))
        if p.document is not None
    ]
    # A fix in two parts, a policy and the request (a permission and the header that uses it): both applied.
    sent = {
        k: v for p in choice.patches if p.kind == "request-change" for k, v in (p.apply.get("context") or {}).items()
    }
    req = c.req
    if fix.new_objects and c.bucket and c.req.key is not None:
        # The setting applies to objects written after it: the workload's next object is the one that must work.
        prefix = c.workload.prefix if c.workload.prefix is not None else (deepest_prefix(c.req.key) or "")
        nxt = sibling_key(c.req.key, prefix) if c.req.key.startswith(prefix) else f"s3why-next-{c.req.key}"
        req = replace(c.req, key=nxt, resource_arn=None)
    alone = rediagnose(c, apply_patches(c.snapshot, documents), context=sent, req=req)
    patched_all = apply_patches(c.snapshot, combine_patches(documents + others))
    combined = rediagnose(c, patched_all, context=sent, req=req)
    gone = all(cause.layer.value != fix.layer for cause in alone.root_causes)
    allowed, why = outcome_of(combined)
    choice.complete = outcome_of(alone)[0]
    changed: list[str] = []
    said: list[str] = []
    for n in neighbours(c, choice.name):
        after = rediagnose(c, _neighbour_snapshot(patched_all, n.principal), req=n.req, principal=n.principal)
        if n.expect == "allow":
            ok, _ = outcome_of(after)
            said.append(f"{n.words} is {'allowed' if ok else 'still denied'}")
            continue
        was = before(n)
        if after.decision == was or (was == "explicit-deny" and after.decision == "implicit-deny"):
            continue  # unchanged, or still denied (a Deny narrowed): nothing widened
        if (
            n.principal is None
            and fix.intended_actions
            and all(action_listed(list(fix.intended_actions), a) for a in n.actions)
        ):
            continue  # what the fix means to restore for this principal
        if fix.id in DIAGNOSTIC_FIXES and "s3:ListBucket" in n.actions:
            continue  # listing the bucket is what this fix grants
        if not any(_can_apply(p, st, n, c) for p in documents for st in _added_statements(p)):
            continue  # none of the added statements can apply to it: not this fix's doing
        changed.append(f"{n.words} would become {_word(after.decision)} (it is {_word(was)} today)")
    if fix.id in DIAGNOSTIC_FIXES:
        # It does not make the request work: it makes S3 say what is wrong (404 instead of 403).
        gone = all(
            not (x.layer.value == fix.layer and x.evidence.get("list_bucket") is False) for x in alone.root_causes
        )
        allowed, why = True, ""
    workload = "; ".join(said)
    if choice.name in ("object", "") and c.req.key is not None and c.bucket and fix.id not in DIAGNOSTIC_FIXES:
        workload = "the next object of the same workload would still be denied (this scope covers one object)"
    choice.workload = workload
    choice.verified = gone and allowed and not changed
    stand_in = c.req.key is None and c.resource.endswith("/" + UNKNOWN_KEY)
    if choice.verified and stand_in:
        choice.verified = False
        choice.reason = (
            "the text names no key, so s3why could only try it on a stand-in key; give the key (--key) to verify "
            "it on the real object"
        )
    elif not choice.verified:
        if not allowed:
            choice.reason = why
        elif not gone:
            first = next((x for x in alone.root_causes if x.layer.value == fix.layer), None)
            choice.reason = "the patched account still denies the request" + (f": {first.summary}" if first else "")
        else:
            choice.reason = "not verified: it would also change " + "; ".join(changed)


def _word(decision: str) -> str:
    return {"allow": "allowed", "implicit-deny": "denied", "explicit-deny": "denied (explicitly)"}.get(
        decision, decision
    )
