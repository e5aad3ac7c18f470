"""Least-privilege fixes for a diagnosis, each verified by diagnosing the request again on the patched account.

A fix adds the narrowest statement that makes the request work (exactly the actions it needs, exactly the
resource it touched, the principal's role ARN — never a session, never "*"), merged into the current document
under a deterministic Sid (applying it twice changes nothing), within AWS's size limits. It is shown as
verified only when, on the patched account, the original request is allowed and neighbouring requests (other
actions, other keys and buckets, other principals) keep their old decision.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any

from bot.account.view import account_view
from bot.arn import Arn, s3_arn
from bot.diagnose import DiagnoseOptions, Diagnosis, RootCause
from bot.diagnose.model import Decision
from bot.engine.principal import PrincipalKind, parse_principal
from bot.fixes.alternatives import alternative_fixes
from bot.fixes.catalogue import Remediation, catalogue, render_statement
from bot.fixes.cloudfront_oac import oac_migration
from bot.fixes.context import FixContext, account_of, role_arn, statements_of
from bot.fixes.copy_source import COPY_TEMPLATES, denied_elsewhere, with_copy_source
from bot.fixes.kms import companion_needed, kms_plan
from bot.fixes.listing import scope_listing
from bot.fixes.model import Fix, Patch, ScopeChoice
from bot.fixes.owners import place_owners, refuse_cross_partition
from bot.fixes.rank import rank_fixes, side_of, similar_side, without_sids
from bot.fixes.request import request_changes
from bot.fixes.scope import BUCKET, Scope, describe, literal, scopes_for
from bot.fixes.shared_role import label_shared_grants, workload_identity
from bot.fixes.targets import BY_CATALOGUE_NAME, TargetInput
from bot.fixes.values import kms_actions, template_values
from bot.fixes.verify import verify_fixes
from bot.fixes.workload import Workload, granted_prefix, sibling_grant_prefix, workload_of
from bot.fixes.workload_grants import WORKLOAD_TEMPLATES, pending_workload, with_workload, workload_words
from bot.fixes.workload_kinds import workload_operations
from bot.parse.model import DeniedRequest

# -----------------------------------------------------------------------------------------------------------
# -----------------------------------------------------------------------------------------------------------
# Entries whose statements name the caller as grantee (identity side, or a resource policy's Principal).
_GRANTS_THE_CALLER = frozenset(
    {"identity-allow", "identity-kms-allow", "boundary-allow", "bucket-allow", "bucket-allow-same-account"}
    | {"access-point-allow", "kms-key-allow"}
)


# A catalogue target -> the snapshot part that must hold what it patches: the resource the request really used.
_ACCESS_POINT_TARGETS = {"access_point": "access_point", "multi_region_access_point": "multi_region_access_point"}


def _grantable(principal: str) -> bool:
    """Whether a policy can grant this caller by name: an anonymous request has no identity to grant (only a grant
    to everyone would reach it, which s3why never offers), nor has a caller s3why could not resolve."""
    if not principal:
        return False
    return parse_principal(principal).kind is not PrincipalKind.ANONYMOUS


def _matches(entry: Remediation, cause: RootCause, c: FixContext) -> bool:
    if entry.layers and cause.layer.value not in entry.layers:
        return False
    if entry.target in _ACCESS_POINT_TARGETS and not c.snapshot.get(_ACCESS_POINT_TARGETS[entry.target]):
        return False  # the policy of an access point (or Multi-Region Access Point) the request did not use
    if entry.id in _GRANTS_THE_CALLER and not _grantable(c.principal):
        return False
    if entry.target in ("principal", "boundary") and parse_principal(c.principal).has_no_identity_policies:
        return False  # a service, anonymous or a CloudFront OAI has no identity policy to change
    if entry.identity_policies is False and not (
        _grantable(c.principal) and parse_principal(c.principal).has_no_identity_policies
    ):
        return False  # the resource side's grant for a caller only a resource policy can name
    if cause.kind not in entry.kinds:
        return False
    cross = c.owner is not None and account_of(c.principal) != c.owner
    if entry.cross_account is not None and entry.cross_account != cross:
        return False
    via_ap = "access_point" in cause.evidence
    if entry.via_access_point is not None and entry.via_access_point != via_ap:
        return False
    return not (entry.via_access_point is None and via_ap and entry.layer == "bucket-policy")


def _patches_for(entry: Remediation, cause: RootCause, c: FixContext, scope: Scope | None = None) -> list[Patch]:
    values = template_values(c, cause, entry, scope)
    out: list[Patch] = []
    target = BY_CATALOGUE_NAME.get(entry.target or "")
    for template in entry.templates:
        if template in COPY_TEMPLATES and entry.target in ("principal", "boundary") and denied_elsewhere(c):
            main, *extras = with_copy_source(c, values, scope)
        else:
            main, *extras = with_workload(c, cause, values, scope) if template in WORKLOAD_TEMPLATES else [values]
        statement = scope_listing(render_statement(template, main), c)
        patch = (
            target.patch(TargetInput(c.snapshot, c.principal_policy_arn, values["key"]), statement) if target else None
        )
        for extra in extras if target is not None else []:
            if patch is not None:
                patch = _with_statement(
                    patch, target, c, values["key"], scope_listing(render_statement(template, extra), c)
                )
        if patch is not None:
            out.append(patch)
    return out


def _with_statement(patch: Patch, target: Any, c: FixContext, key: str, statement: dict[str, Any]) -> Patch:
    """`patch` with one more statement in the same document (the document as the patch leaves it, then patched
    again; `before` stays the document as it is today)."""
    snap = copy.deepcopy(c.snapshot)
    target.put(snap, patch)
    again = target.patch(TargetInput(snap, c.principal_policy_arn, key), statement)
    return patch if again is None else replace(again, before=patch.before)


_EXISTS = (
    "The bucket exists: the tool asked to create it because it could not see it (HeadBucket needs s3:ListBucket "
    "on the bucket). Let it see the bucket instead of letting it create buckets."
)


def _bucket_exists(snapshot: dict[str, Any]) -> bool:
    """The collector read the bucket (its location answered): it exists."""
    location = ((snapshot.get("bucket") or {}).get("calls") or {}).get("GetBucketLocation")
    return isinstance(location, dict) and "Error" not in location


def _entry_scopes(entry: Remediation, c: FixContext, scopes: tuple[Scope, ...]) -> tuple[Scope, ...]:
    """The scopes an entry offers: all of them, or the whole bucket when its layer's AWS pattern says so."""
    if entry.scope == BUCKET and c.bucket:
        parsed = Arn.parse(c.resource)
        return (Scope(BUCKET, f"arn:{parsed.partition if parsed else 'aws'}:s3:::{literal(c.bucket)}/*", ""),)
    return scopes


def _workload(c: FixContext, paste: str) -> Workload:
    """The workload's stable prefix: the paste, the key, and the grants the account already makes for it (the
    principal's identity policies and the bucket policy's statements for it, its account or everyone)."""
    if not c.bucket or c.req.key is None or c.resource != s3_arn(c.bucket, c.req.key):
        # a bucket-level request (a listing whose key is its prefix): what the account grants on the bucket's ARN
        # says nothing about the objects the workload then reads or writes
        return workload_of(c.bucket, c.req.key, paste)
    view = account_view(c.snapshot)
    statements: list[dict[str, Any]] = []
    if view.principal is not None:
        statements += [st for policy in view.principal.policies for st in statements_of(policy.document)]
    if view.bucket is not None and view.bucket.policy.present:
        me = {c.principal, c.principal_policy_arn, account_of(c.principal) or "", "*"}
        for st in statements_of(view.bucket.policy.value):
            who = st.get("Principal")
            names = who.get("AWS") if isinstance(who, dict) else who
            values = {str(v) for v in (names if isinstance(names, list) else [names])}
            if values & me or any(v.endswith(f":{account_of(c.principal)}:root") for v in values):
                statements.append(st)
    granted = granted_prefix(statements, c.bucket, c.req.key, c.actions)
    sibling = sibling_grant_prefix(statements, c.bucket, c.req.key, c.actions)
    return workload_of(c.bucket, c.req.key, paste, granted, sibling)


def propose_fixes(
    req: DeniedRequest,
    snapshot: dict[str, Any],
    options: DiagnoseOptions,
    diagnosis: Diagnosis,
    *,
    known_accounts: frozenset[str] = frozenset(),
    paste: str = "",
    analyzer: Any = None,
) -> list[Fix]:
    """Verified fixes for every root cause, the one to show first first (see `rank_fixes`).

    `known_accounts`: the accounts of s3why's configuration (bot/fixes/owners.py: a grant to a principal of an
    account in neither it nor the organization is advice only)."""
    resolved = diagnosis.request.get("resolved") or {}
    if diagnosis.decision == Decision.ALLOW or not diagnosis.root_causes or diagnosis.not_a_denial:
        return []
    if any(c.evidence.get("bucket_missing") or c.evidence.get("principal_missing") for c in diagnosis.root_causes):
        return []  # a grant to a bucket or principal that does not exist changes nothing: the cause says what to check
    principal = resolved.get("principal") or options.principal or req.principal_arn or ""
    c = FixContext(
        req=req,
        snapshot=snapshot,
        options=options,
        diagnosis=diagnosis,
        principal=principal,
        principal_policy_arn=role_arn(snapshot, principal) if principal else "",
        actions=list(resolved.get("actions") or ([req.action] if req.action else [])),
        resource=str(resolved.get("resource") or req.resource_arn or ""),
        bucket=(snapshot.get("bucket") or {}).get("name"),
        owner=resolved.get("resource_owner"),
        analyzer=analyzer,
        paste=paste,
    )
    c.workload = _workload(c, paste)
    c.workload_ops = workload_operations(paste, c.bucket, req.operation)
    # Issue 12 §3: every authorization the operation needs. A failing S3 authorization on the same resource (an
    # ACL or tagging header's s3:PutObjectAcl / s3:PutObjectTagging) is granted with the request's own actions.
    for auth in getattr(diagnosis, "failing_authorizations", ()):
        action, on = str(auth.get("action") or ""), str(auth.get("resource") or "")
        if action.startswith("s3:") and on == c.resource and action not in c.actions:
            c.actions.append(action)
    existing = _bucket_exists(snapshot) and c.actions == ["s3:CreateBucket"]
    if existing:
        # The bucket is there: the tool called CreateBucket because its existence check (HeadBucket, which needs
        # s3:ListBucket on the bucket; S3 API Reference, HeadBucket) was denied. That check is what the workload
        # needs, not the right to create buckets: the fix grants it and is verified on it.
        c.req, c.actions = replace(req, operation="HeadBucket", action=None), ["s3:ListBucket"]
    c.workload_pending = pending_workload(c)
    entries = catalogue()
    scopes = scopes_for(c.bucket, c.req.key, c.resource, c.workload.prefix)
    similar = similar_side(c)
    fixes: list[Fix] = []
    for cause in diagnosis.root_causes:
        if cause.evidence.get("reproduced") is False:
            continue  # AWS's statement s3why cannot reproduce: no change it can verify (the cause says what to check)
        for entry in entries.values():
            if entry.layer not in ("any", cause.layer.value) and cause.layer.value not in entry.layers:
                continue
            if not _matches(entry, cause, c):
                continue
            if entry.identity_side and not (cause.layer.value == "kms" and kms_plan(c, cause) == (False, True)):
                continue  # the identity side of a KMS grant stands alone only when the key policy delegates
            if entry.id == "kms-key-allow" and kms_plan(c, cause) == (False, True):
                continue
            if entry.id == "bucket-allow-same-account" and similar != "resource":
                continue
            explanation = entry.explanation.format_map(
                _SafeDict(
                    template_values(c, cause, entry)
                    | {"actions": ", ".join(c.actions), "kms_actions": ", ".join(kms_actions(c, cause))}
                )
            )
            if existing:
                explanation = f"{_EXISTS} {explanation}"
            explanation += workload_words(c, cause, entry.templates)
            if entry.never_automatic:
                fixes.append(
                    Fix(
                        entry.id,
                        cause.layer.value,
                        entry.risk,
                        False,
                        request_changes(cause, c),
                        entry.title,
                        explanation,
                        _never_automatic(entry.never_automatic, cause),
                        "not fixed automatically",
                    )
                )
                continue
            choices: list[ScopeChoice] = []
            seen: set[str] = set()
            for scope in _entry_scopes(entry, c, scopes):
                patches = _patches_for(entry, cause, c, scope)
                for companion_id in entry.companions:
                    companion = entries[companion_id]
                    if companion_needed(companion, cause, c):
                        patches += _patches_for(companion, cause, c, scope)
                fingerprint = json.dumps([without_sids(p.document) for p in patches], sort_keys=True)
                if fingerprint in seen:
                    continue  # the scope changes nothing in this fix (a KMS grant, a bucket-level action)
                seen.add(fingerprint)
                words = describe(
                    scope, principal=c.principal, actions=c.actions, bucket=c.bucket, key=c.req.key, how=c.workload.how
                )
                choices.append(ScopeChoice(scope.name, words, patches))
            if not choices or not choices[0].patches:
                fixes.append(
                    Fix(
                        entry.id,
                        cause.layer.value,
                        entry.risk,
                        False,
                        [],
                        entry.title,
                        explanation,
                        reason="s3why cannot see the document to change",
                    )
                )
                continue
            first = choices[0]
            fix = Fix(entry.id, cause.layer.value, entry.risk, False, first.patches, entry.title, explanation)
            fix.scopes = choices if len(choices) > 1 else []
            fix.scope = first.name if len(choices) > 1 else ""
            if len(choices) == 1 and len(scopes) > 1:
                fix.reach = BUCKET  # the same grant at every scope (a KMS grant covers the bucket's objects)
            fix.side = side_of(first.patches)
            fixes.append(fix)
    # The field's alternatives first: where one applies, it is the change the field makes (a tie in the ranking
    # keeps it before the catalogue's grant or advice).
    fixes = alternative_fixes(c) + fixes
    verify_fixes(fixes, c)
    place_owners(fixes, c, known_accounts)
    refuse_cross_partition(fixes, c)
    for fix in fixes:
        if fix.patches and all(p.kind == "request-change" for p in fix.patches) and fix.verified:
            fix.risk = "low"  # changing the request touches no policy or setting
    ranked = rank_fixes(fixes, similar)
    # A shared role (an EC2 instance profile, an EKS node's role): the workload's own identity comes first, and
    # widening the shared role stays as a labelled alternative (bot/fixes/shared_role.py).
    own = next((f for cause in diagnosis.root_causes if (f := workload_identity(c, cause, paste)) is not None), None)
    if own is not None:
        label_shared_grants(ranked, c, paste)
        ranked.insert(0, own)
    # A CloudFront OAI on SSE-KMS objects: the move to origin access control, one fix with two parts, comes first.
    oac = next((f for cause in diagnosis.root_causes if (f := oac_migration(c, cause)) is not None), None)
    if oac is not None:
        place_owners([oac], c, known_accounts)
        refuse_cross_partition([oac], c)
        ranked.insert(0, oac)
    return ranked


class _SafeDict(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


# --- verification --------------------------------------------------------------------------------------------


def diagnosis_with_scope(d: Diagnosis, scope: str | None) -> Diagnosis:
    """The diagnosis with `scope` (object | prefix | bucket) chosen in every fix that offers it (the Slack
    select); None keeps each fix's default."""
    if not scope:
        return d
    return replace(d, fixes=tuple(f.with_scope(scope) for f in d.fixes))


def scope_lines(fix: Fix) -> list[str]:
    """The scopes of a fix in words, the chosen one marked, for the text report."""
    out = []
    for s in fix.scopes:
        mark = "*" if s.name == fix.scope else " "
        state = "verified" if s.verified else (s.reason or "not verified")
        out.append(f"{mark} {s.name}: {s.description} ({state})")
        if s.workload:
            out.append(f"    {s.workload}")
    return out


def _never_automatic(note: str, cause: RootCause) -> str:
    """The catalogue's note; a Deny without a Condition has no condition the request could meet."""
    if cause.kind == "explicit" and "Condition" not in (cause.evidence.get("statement") or {}):
        return note.replace("Meet its condition instead, or", "It has no condition to meet: avoid what it denies, or")
    return note
