"""The layered diagnosis: a parsed denied request + the account view -> every layer's verdict, the root causes.

Pure: it reads the `AccountView` (from a live collection or a snapshot) and evaluates with s3why's engine. The
orchestrator resolves the request once (`resolve.authorize`), runs every check of `bot.diagnose.layers.LAYERS`
in AWS's order, merges what they find, then — once — weighs what s3why could not read, reconciles the answer
with what the error text states (`stated.py`), and ranks the root causes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.account.view import AccountView, Fact
from bot.diagnose.branches import branch_lines, branches, when
from bot.diagnose.layers import LAYERS
from bot.diagnose.layers.base import Authorization, LayerFinding, Needs, Subject
from bot.diagnose.layers.block_public_access import acl_branches, policy_branches
from bot.diagnose.layers.endpoint_any_principal import endpoint_target
from bot.diagnose.model import (
    ALLOW,
    LAYER_ORDER,
    NOT_APPLICABLE,
    UNKNOWN,
    Diagnosis,
    LayerReport,
    RootCause,
)
from bot.diagnose.options import DiagnoseOptions
from bot.diagnose.principals import describe_principal
from bot.diagnose.reconcile import reconcile
from bot.diagnose.resolve import authorize, operation_of
from bot.diagnose.stated import stated_facts
from bot.diagnose.unread import unread_keys, why_unread
from bot.engine.principal import PrincipalKind
from bot.layers import LayerId
from bot.parse.lookalikes import ACCESS_DENIED_CODES
from bot.parse.model import DeniedRequest
from bot.s3ops import ResourceKind

__all__ = ["DiagnoseOptions", "diagnose", "rank"]

# Layers that grant (one of them must allow); every other layer can only take a grant away.
_GRANT_LAYERS = frozenset({LayerId.IDENTITY, LayerId.BUCKET_POLICY, LayerId.ACCESS_POINT_POLICY})
_AUTHORIZATION_LAYERS = (LayerId.IDENTITY, LayerId.BUCKET_POLICY, LayerId.SCP, LayerId.RCP)


def diagnose(req: DeniedRequest, view: AccountView, options: DiagnoseOptions | None = None) -> Diagnosis:
    """Diagnose one denied request against what s3why read of the account."""
    options = options or DiagnoseOptions()
    if req.key is None and req.resource_arn and ":accesspoint/" in req.resource_arn and "/object/" in req.resource_arn:
        req = replace(req, key=req.resource_arn.split("/object/", 1)[1])
    stated = stated_facts(req)
    not_a_denial = stated.lookalike_layer is not None
    if req.stated_context:
        # What the text states of the request (an https:// URL, a CloudTrail record's endpoint, a header) is a
        # fact, not a branch; what the person says (`--context`) wins over it.
        given = {k.lower() for k in options.context}
        stated_ctx = {k: tuple(v) for k, v in req.stated_context if k.lower() not in given}
        options = replace(options, context={**stated_ctx, **options.context})
    # A request nothing signed is anonymous (S3 User Guide, "Authenticating requests"): only public grants apply.
    principal_arn = options.principal or req.principal_arn or ("anonymous" if req.anonymous else None)
    spec = operation_of(req)
    resolved: dict[str, Any] = dict(req.to_json())
    notes: list[str] = []
    if not not_a_denial:
        if principal_arn is None:
            notes.append("the text does not say which principal made the request: pass --principal ARN")
        if spec is None:
            notes.append("the text does not name the S3 operation: the action cannot be resolved")
        if options.principal and req.principal_arn and options.principal != req.principal_arn:
            notes.append(
                f"the text names {req.principal_arn} as the caller; s3why diagnoses {options.principal} because "
                "--principal says so"
            )

    auth: Authorization | None = None
    if (
        not not_a_denial
        and principal_arn is not None
        and spec is not None
        and (view.bucket is not None or spec.resource is ResourceKind.ACCOUNT)
    ):
        auth, parse_notes = authorize(req, view, options, spec, principal_arn)
        notes.extend(parse_notes)
        resolved.update(principal_arn=principal_arn, resource_arn=req.resource_arn or auth.resource)
        resolved["resolved"] = {
            "principal": principal_arn,
            "resource": auth.resource,
            "actions": list(auth.actions),
            "resource_owner": auth.owner,
            "authorizations": [c.to_json() for c in auth.checks],
        }
        kind = describe_principal(principal_arn, view, auth.documents)
        resolved["resolved"]["principal_kind"] = kind.kind
        resolved["resolved"]["principal_notes"] = list(kind.notes)
        notes.extend(kind.notes)
    elif principal_arn is not None:
        resolved["resolved"] = {"principal": principal_arn}  # who it is about, even when nothing more resolves
    subject = Subject(req, view, options, spec, principal_arn, auth)
    unsigned = endpoint_target(subject)
    if unsigned is not None:
        # No principal, but what the request needs and on what: enough for the endpoint policy (and its fix).
        owner = view.bucket.account if view.bucket is not None else None
        resolved["resolved"] = {"resource": unsigned[1], "actions": list(unsigned[0]), "resource_owner": owner}

    reports: dict[LayerId, LayerReport] = {}
    found: list[RootCause] = []
    for check in LAYERS:
        if not _can_run(check.needs, subject):
            continue
        finding: LayerFinding = check.evaluate(subject)
        for report in finding.reports:
            reports[report.layer] = report
        if finding.supersedes:
            found = [c for c in found if c.layer not in finding.supersedes]
        found.extend(finding.causes)
        notes.extend(finding.unseen)
    if not_a_denial:
        for layer in _AUTHORIZATION_LAYERS:
            reports.setdefault(
                layer, LayerReport(layer, NOT_APPLICABLE, f"not evaluated: {req.error_code} is not an access denial")
            )
    elif auth is None:
        for layer in _AUTHORIZATION_LAYERS:
            why = "which principal made the call?" if principal_arn is None else "the request is not resolved"
            reports.setdefault(layer, LayerReport(layer, UNKNOWN, why))
    if view.bucket is not None and view.bucket.missing:
        # A bucket that does not exist has no policy, settings or owner: its layers make no claim (issue 19 §4).
        gone = f"the bucket {view.bucket.name} does not exist"
        for layer in _BUCKET_LAYERS:
            if layer in reports:
                reports[layer] = LayerReport(layer, NOT_APPLICABLE, gone)
        found = [c for c in found if c.layer not in _BUCKET_LAYERS]
    if auth is not None and not not_a_denial:
        notes.extend(_undecided_by_unread_keys(found, reports, view, options, auth))
    for layer in LAYER_ORDER:
        reports.setdefault(layer, LayerReport(layer, NOT_APPLICABLE, "does not apply to this request"))
    layers = tuple(reports[layer] for layer in LAYER_ORDER)

    # A cause found in a layer s3why could not read is not a finding (an identity policy it could not list
    # cannot be said to grant nothing).
    # A layer's likely cause (`suspect`: AWS denied the request and only what that layer could not see explains it)
    # stays, said as such.
    found = [
        c
        for c in found
        if reports[c.layer].verdict != UNKNOWN or c.evidence.get("not_a_denial") or c.evidence.get("suspect")
    ]
    causes = rank(found)
    if auth is not None:
        found_branches = branches(auth, options)
        seen_keys = {x["key"] for x in found_branches}
        found_branches += [b for b in acl_branches(subject) + policy_branches(subject) if b["key"] not in seen_keys]
        found_branches = [b for b in found_branches if len({o["decision"] for o in b["outcomes"]}) > 1]
        resolved["resolved"]["branches"] = found_branches
        if found_branches and causes:
            first = causes[0]
            causes = (
                RootCause(first.layer, first.kind, first.summary, {**first.evidence, "branches": found_branches}),
                *causes[1:],
            )
        notes.extend(branch_lines(found_branches))
    if not_a_denial:
        decision = "unknown"
    else:
        decision = _decision(reports, causes, auth)
        if options.text_is_evidence:
            decision, causes, said = reconcile(stated, decision, causes, reports, subject)
            notes[:0] = said
            layers = _unread_where_stated(causes, layers)
    if decision == ALLOW and auth is not None and options.text_is_evidence and _a_denial(req):
        decision, causes = _explained_by_a_branch(auth, causes, decision, resolved["resolved"]["branches"])
    if decision == ALLOW and options.text_is_evidence and _a_denial(req):
        # AWS denied the request; everything s3why read allows it. The text is evidence: never "allow".
        decision = UNKNOWN
        resolved["unreproduced"] = True
        notes.insert(
            0,
            "AWS denied this request, but everything s3why read allows it: a policy may have changed since, "
            "another principal may have made the call, or the request differed from what s3why assumed",
        )
    every_layer_read = all(r.verdict != UNKNOWN for r in layers)
    unread = [r.layer.value for r in layers if r.verdict == UNKNOWN]
    if decision == UNKNOWN and not causes and unread and auth is not None and _a_denial(req):
        # AWS denied it and nothing s3why read denies it: what it could not read is where the denial is.
        resolved["resolved"]["suspects"] = unread
        notes.insert(
            0,
            f"AWS denied this request and nothing s3why read denies it: the suspects are what it could not "
            f"read ({', '.join(unread)})",
        )
    if decision in (ALLOW, UNKNOWN) and not causes and auth is not None and every_layer_read:
        # Only when every layer was evaluated: an unresolved request or an unread layer is said as such.
        notes.extend(_allowed_possibilities(principal_arn))
    notes.extend(unseen_lines(view.unknowns()))
    return Diagnosis(resolved, decision, causes, layers, (), tuple(dict.fromkeys(notes)))


_DECISION_RANK = {"explicit-deny": 0, "implicit-deny": 1, "allow": 2}


def _undecided_by_unread_keys(
    found: list[RootCause],
    reports: dict[LayerId, LayerReport],
    view: AccountView,
    options: DiagnoseOptions,
    auth: Authorization,
) -> list[str]:
    """A cause whose failing condition tests a key AWS sets from data s3why did not read (an organization, an
    object's tags, ABAC tags it could not read) stands only on s3why's "absent": its layer is unknown, and the note
    says which value would change the outcome (bot/diagnose/unread.py)."""
    tagged = auth.who.kind in (PrincipalKind.USER, PrincipalKind.ROLE, PrincipalKind.ROLE_SESSION)
    unread = unread_keys(view, options, auth.who.account, auth.owner, tagged_caller=tagged)
    lines: list[str] = []
    for cause in found:
        cond = cause.evidence.get("condition") or {}
        key = cond.get("key")
        why = why_unread(str(key), unread) if key else None
        if why is None or cond.get("request_values") is not None:
            continue
        current = "explicit-deny" if cause.kind == "explicit" else "implicit-deny"
        better = [
            alt
            for alt in cause.evidence.get("alternatives") or []
            if _DECISION_RANK.get(alt.get("decision"), 0) > _DECISION_RANK[current]
            and next(iter((alt.get("context") or {}).values()), None) is not None
        ]
        # A value written as a pattern or a policy variable (`${aws:PrincipalTag/team}`) is not tried as an
        # alternative, but a present value may still meet it.
        patterns = [v for v in cond.get("policy_values") or [] if "*" in v or "?" in v or "${" in v]
        if better:
            value, outcome = next(iter(better[0]["context"].values())), better[0]["decision"]
        elif patterns:
            value, outcome = patterns[0], "a different decision"
        else:
            continue
        before = reports.get(cause.layer)
        said = before.detail if before is not None and before.detail else cause.summary
        reports[cause.layer] = LayerReport(cause.layer, UNKNOWN, f"{said}, unless {key} is {value}: {why}")
        lines.append(
            f"{key} was not read ({why}): s3why took it as absent, and with {key} = {value} the {cause.layer.value} "
            f"layer gives {outcome} (pass --context {key}=VALUE with the value AWS sees)"
        )
    return lines


def unseen_lines(facts: list[Fact]) -> list[str]:
    """What s3why could not read, one line per thing and account: "not seen: bucket b (GetBucketPolicy,
    GetBucketAcl): s3why's role in account N may not read it (needs s3:GetBucketPolicy, s3:GetBucketAcl)".

    A fact whose detail only repeats another's (retention and legal hold come from the same HeadObject) is
    dropped; reads that failed for another reason keep their own line."""
    details = [f.detail for f in facts]
    grouped: dict[tuple[str, str | None], tuple[list[str], list[str]]] = {}
    out: list[str] = []
    for f in facts:
        if any(other != f.detail and other in f.detail for other in details):
            continue  # derived from a read already listed
        subject, _, rest = f.detail.partition(": ")
        call = rest.split(": ", 1)[0] if ": " in rest else ""
        if f.permission is None or not call:
            out.append(f"not seen: {f.detail}")
            continue
        calls, permissions = grouped.setdefault((subject, f.account), ([], []))
        calls.append(call)
        permissions.append(f.permission)
    lines = []
    for (subject, account), (calls, permissions) in grouped.items():
        where = f" in account {account}" if account else ""
        lines.append(
            f"not seen: {subject} ({', '.join(dict.fromkeys(calls))}): s3why's role{where} may not read "
            f"{'it' if len(calls) == 1 else 'them'} (needs {', '.join(dict.fromkeys(permissions))})"
        )
    out = lines + out
    return list(dict.fromkeys(out))


def _unread_where_stated(causes: tuple[RootCause, ...], layers: tuple[LayerReport, ...]) -> tuple[LayerReport, ...]:
    """A layer the text names that s3why has no data for is not "not applicable": it is unread."""
    first = causes[0] if causes else None
    if first is None or first.evidence.get("reproduced") is not False or not first.evidence.get("not_collected"):
        return layers
    return tuple(
        LayerReport(r.layer, UNKNOWN, str(first.evidence["not_collected"]))
        if r.layer is first.layer and r.verdict == NOT_APPLICABLE
        else r
        for r in layers
    )


def _a_denial(req: DeniedRequest) -> bool:
    return req.error_code in ACCESS_DENIED_CODES or (req.error_code is None and req.http_status == 403)


def _explained_by_a_branch(
    auth: Authorization, causes: tuple[RootCause, ...], decision: str, found: list[dict[str, Any]]
) -> tuple[str, tuple[RootCause, ...]]:
    """AWS denied the request; s3why allows it with what it assumed (HTTPS, no endpoint, no ACL header), but not
    with another value the text cannot tell: that branch is the likely cause, and the decision is unknown."""
    for b in found:
        denied = [o for o in b["outcomes"] if o["decision"] != ALLOW]
        if not denied:
            continue
        o = denied[0]
        layer = LayerId(o["layer"]) if o.get("layer") in {x.value for x in LayerId} else LayerId.BUCKET_POLICY
        summary = (
            f"the request is denied{' by ' + o['by'] if o.get('by') else ''} {when(b['key'], o['value'])}, and "
            f"allowed {when(b['key'], next(x['value'] for x in b['outcomes'] if x['decision'] == ALLOW))}: the text "
            f"does not say which it was ({b['key']})"
        )
        alternatives = [{"context": {b["key"]: x["value"]}, "decision": x["decision"]} for x in b["outcomes"]]
        evidence: dict[str, Any] = {"branches": found, "alternatives": alternatives, "condition_key": b["key"]}
        kind = "condition"
        if layer is LayerId.BLOCK_PUBLIC_ACCESS:
            # The setting refuses what the request may have carried (a public ACL): a setting's cause, whose fix is
            # the request-side change (bot/fixes/request.py), never the setting itself.
            kind = "setting"
            if b["key"] == "s3:x-amz-acl":
                evidence["request_acl"] = o["value"]
        return "unknown", (RootCause(layer, kind, summary, evidence), *causes)
    return decision, causes


def _can_run(needs: Needs, subject: Subject) -> bool:
    if needs is Needs.TEXT:
        return True
    if subject.auth is None:
        return False
    return needs is Needs.AUTHORIZATION or subject.view.bucket is not None


_BUCKET_LAYERS = frozenset(
    {
        LayerId.BUCKET_POLICY,
        LayerId.BLOCK_PUBLIC_ACCESS,
        LayerId.OBJECT_OWNERSHIP,
        LayerId.ACL,
        LayerId.OBJECT_LOCK,
        LayerId.REQUESTER_PAYS,
    }
)


def rank(causes: list[RootCause]) -> tuple[RootCause, ...]:
    """Most likely first: explicit denies, then settings and conditions, then missing allows; ties in AWS's order.
    A missing object comes last: S3 looks the key up only once the request is authorized."""
    order = {layer: i for i, layer in enumerate(LAYER_ORDER)}
    kind_rank = {"explicit": 0, "setting": 1, "condition": 1, "implicit": 2}

    def key(c: RootCause) -> tuple[int, int]:
        if c.evidence.get("bucket_missing") or c.evidence.get("principal_missing"):
            return (-1, 0)  # what s3why read does not exist: the likeliest cause, whatever the layers say
        if c.layer is LayerId.OBJECT_MISSING and not c.evidence.get("not_a_denial"):
            return (9, 0)
        return (kind_rank.get(c.kind, 3), order.get(c.layer, 99))

    return tuple(sorted(causes, key=key))


def _decision(reports: dict[LayerId, LayerReport], causes: tuple[RootCause, ...], auth: Authorization | None) -> str:
    """Deny when a cause stands whatever the layers s3why could not read say; unknown when one of those could
    decide it (issue 14: a layer that could not be read never yields a named denial)."""
    if any(c.kind == "explicit" for c in causes):
        return "explicit-deny"  # an explicit Deny wins whatever else says
    unread = {layer for layer, r in reports.items() if r.verdict == UNKNOWN}
    if causes:
        cross = auth is not None and auth.who.account is not None and auth.who.account != auth.owner
        for c in causes:
            if c.layer not in _GRANT_LAYERS or cross:
                return "implicit-deny"  # a guard that does not allow, or one side of a cross-account grant
            if not (unread & (_GRANT_LAYERS - {c.layer})):
                return "implicit-deny"  # no other grant could have allowed it
        return "unknown"
    if unread:
        return "unknown"
    return ALLOW


def _allowed_possibilities(principal: str | None) -> list[str]:
    return [
        "every layer s3why can see allows this request; the cause is likely outside what it evaluated:",
        f"- a different principal made the call than {principal or 'the one assumed'} "
        "(check `aws sts get-caller-identity` where the error happened)",
        "- stale or cached credentials, or a session started before a policy change",
        "- another object version, or a key spelled differently (case, a leading slash, URL encoding)",
        "- a change that has not propagated yet (IAM and KMS grants are eventually consistent)",
        "- request properties s3why assumed: pass them with --context (aws:SourceIp, aws:SourceVpce, "
        "aws:SecureTransport, s3:x-amz-server-side-encryption, s3:x-amz-acl)",
    ]
