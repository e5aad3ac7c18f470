"""Least-privilege fixes for a diagnosis, each verified by diagnosing the request again on the patched account.

A fix adds the narrowest statement that makes the request work (exactly the actions it needs, exactly the
resource it touched, the principal's role ARN — never a session, never "*"), merged into the current document
under a deterministic Sid (applying it twice changes nothing), within AWS's size limits. It is shown as
verified only when, on the patched account, the original request is allowed and neighbouring requests (other
actions, other keys and buckets, other principals) keep their old decision.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from bot.diagnose import DiagnoseOptions, Diagnosis, RootCause
from bot.fixes.catalogue import Remediation, catalogue, render_statement
from bot.fixes.context import (
    FixContext,
    account_of,
    role_arn,
)
from bot.fixes.kms import companion_needed, kms_plan
from bot.fixes.model import Fix, Patch, ScopeChoice
from bot.fixes.owners import place_owners
from bot.fixes.rank import rank_fixes, side_of, similar_side, without_sids
from bot.fixes.request import request_changes
from bot.fixes.scope import BUCKET, Scope, describe, scopes_for
from bot.fixes.targets import BY_CATALOGUE_NAME, TargetInput
from bot.fixes.values import kms_actions, template_values
from bot.fixes.verify import verify_fixes
from bot.fixes.workload import workload_of
from bot.parse.model import DeniedRequest


# -----------------------------------------------------------------------------------------------------------
# -----------------------------------------------------------------------------------------------------------
def _matches(entry: Remediation, cause: RootCause, c: FixContext) -> bool:
    if entry.layers and cause.layer.value not in entry.layers:
        return False
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
    for template in entry.templates:
        statement = render_statement(template, values)
        target = BY_CATALOGUE_NAME.get(entry.target or "")
        patch = (
            target.patch(TargetInput(c.snapshot, c.principal_policy_arn, values["key"]), statement) if target else None
        )
        if patch is not None:
            out.append(patch)
    return out


def propose_fixes(
    req: DeniedRequest,
    snapshot: dict[str, Any],
    options: DiagnoseOptions,
    diagnosis: Diagnosis,
    *,
    known_accounts: frozenset[str] = frozenset(),
    paste: str = "",
) -> list[Fix]:
    """Verified fixes for every root cause, the one to show first first (see `rank_fixes`).

    `known_accounts`: the accounts of s3why's configuration (bot/fixes/owners.py: a grant to a principal of an
    account in neither it nor the organization is advice only)."""
    resolved = diagnosis.request.get("resolved") or {}
    if diagnosis.decision == "allow" or not diagnosis.root_causes or diagnosis.not_a_denial:
        return []
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
        workload=workload_of((snapshot.get("bucket") or {}).get("name"), req.key, paste),
    )
    # Issue 12 §3: every authorization the operation needs. A failing S3 authorization on the same resource (an
    # ACL or tagging header's s3:PutObjectAcl / s3:PutObjectTagging) is granted with the request's own actions.
    for auth in getattr(diagnosis, "failing_authorizations", ()):
        action, on = str(auth.get("action") or ""), str(auth.get("resource") or "")
        if action.startswith("s3:") and on == c.resource and action not in c.actions:
            c.actions.append(action)
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
                _SafeDict(template_values(c, cause, entry) | {"kms_actions": ", ".join(kms_actions(c, cause))})
            )
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
                        entry.never_automatic,
                        "not fixed automatically",
                    )
                )
                continue
            choices: list[ScopeChoice] = []
            seen: set[str] = set()
            for scope in scopes:
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
    verify_fixes(fixes, c)
    place_owners(fixes, c, known_accounts)
    for fix in fixes:
        if fix.patches and all(p.kind == "request-change" for p in fix.patches) and fix.verified:
            fix.risk = "low"  # changing the request touches no policy or setting
    return rank_fixes(fixes, similar)


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
