"""The one pipeline every caller runs (the CLI, the Slack app, the demo, the IaC demo, the tests):

    pasted text -> parse -> signer -> target -> collect -> diagnose -> fixes (verified) [-> IaC]

`diagnose_and_fix` takes one parsed request and returns its `Diagnosis` with `fixes` set. Where the account comes
from is the caller's: a live (cached) `Collector`, or a snapshot file the user gave (`snapshot=`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from bot.account.collector import Target
from bot.account.signer import signer_view
from bot.account.target import target_for
from bot.account.view import account_view
from bot.diagnose import DiagnoseOptions, Diagnosis
from bot.diagnose.candidates import candidate_operations, diagnose_request
from bot.fixes import propose_fixes
from bot.fixes.analyzer import AccessAnalyzer, analyzer_from_env
from bot.fixes.workload_kinds import WorkloadOperations, workload_operations
from bot.parse.model import DeniedRequest
from bot.s3ops import ResourceKind, lookup_operation

if TYPE_CHECKING:
    from bot.account.collector import Collector
    from bot.iac.fixes import IacOptions

# What reads the account for a target (a Collector's `collect`, wrapped by a caller that phrases its errors).
Collect = Callable[[Target], dict[str, Any]]


@dataclass(frozen=True)
class Source:
    """Where the account view comes from: `snapshot` (a file the user gave), else `collect` (live, through
    `collector`, which also finds a presigned URL's signer)."""

    collector: Collector | None = None
    collect: Collect | None = None
    snapshot: dict[str, Any] | None = None


def request_target(req: DeniedRequest, options: DiagnoseOptions, *, account: str | None = None,
                   authorization_id: str | None = None) -> Target:  # fmt: skip
    """What to read for `req` as `options.principal` (the signer's principal for a presigned URL)."""
    ctx = options.context
    return target_for(
        req,
        principal=options.principal,
        vpce_id=(ctx.get("aws:SourceVpce") or (None,))[0],
        version_id=(ctx.get("s3:versionid") or (None,))[0],
        account=account,
        authorization_id=authorization_id,
    )


def _operation_of_the_workload(req: DeniedRequest, paste: str) -> tuple[DeniedRequest, str] | None:
    """When the text leaves the operation open: the one candidate the tool named in the paste performs on the
    bucket (bot/fixes/workload_kinds.py, from the tool's documentation), with the sentence that says so; None
    when the paste names no such tool or it performs several of the candidates."""
    ops = candidate_operations(req)
    workload = workload_operations(paste, req.bucket, None) if ops else None
    if workload is None:
        return None
    admitted = [op for op in ops if op in workload.operations]
    if len(admitted) == 1:
        why = (
            f"the text does not name the operation; of the candidates ({', '.join(ops)}), {workload.kind.tool} "
            f"performs only {admitted[0]} on {req.bucket} (source: {workload.kind.source})"
        )
        return replace(req, operation=admitted[0], action=None, operation_candidates=()), why
    reported = _reported_operation(req, ops, workload)
    if reported is None:
        return None
    why = (
        f"the text does not name the operation; {workload.kind.tool} {workload.role} {req.bucket}, and a denial in "
        f"its error report is its {reported} (source: {workload.kind.source})"
    )
    spec = lookup_operation(reported)
    if spec is not None and spec.resource is ResourceKind.BUCKET and req.key is not None:
        # a listing of the bucket: an object's key is not its resource
        why += f"; it acts on the bucket, not on {req.key}"
        req = replace(req, key=None, resource_arn=None)
    return replace(req, operation=reported, action=None, operation_candidates=()), why


def _reported_operation(req: DeniedRequest, ops: tuple[str, ...], workload: WorkloadOperations) -> str | None:
    """The operation the tool's own error report stands for on that side (a Firehose delivery is a PutObject,
    Terraform's "Error inspecting states" a listing): when it is among the candidates, when it acts on objects and
    the text names no key (the tool writes objects whose names its report leaves out, so the bucket-level candidates
    are only what the text's shape admits), or when it acts on the bucket itself."""
    reported = workload.reported
    spec = lookup_operation(reported) if reported else None
    if reported is None or spec is None:
        return None
    if reported in ops or (req.key is None and spec.resource is ResourceKind.OBJECT):
        return reported
    # A step on the bucket itself (Terraform's workspace listing) is what the report says, whatever object the
    # candidates were guessed on.
    return reported if spec.resource is ResourceKind.BUCKET else None


def diagnose_and_fix(
    req: DeniedRequest,
    options: DiagnoseOptions,
    source: Source,
    *,
    account: str | None = None,
    authorization_id: str | None = None,
    iac: IacOptions | None = None,
    known_accounts: frozenset[str] = frozenset(),
    paste: str = "",
    analyzer: AccessAnalyzer | None = None,
) -> tuple[Diagnosis, dict[str, Any]]:
    """The diagnosis of `req` with its verified fixes, and the snapshot it was made on.

    A presigned request is authorized as its signer (bot/account/signer.py), not as `options.principal`. Fixes are
    proposed only when the operation is known (a fix for one candidate operation would not fix the others).
    `paste`: the text as given, redacted (the workload's `aws s3 sync` root and other keys: the scope of a grant).
    `analyzer`: IAM Access Analyzer's checks (default: when S3WHY_ACCESS_ANALYZER=1, bot/fixes/analyzer.py).
    `known_accounts`: the accounts of s3why's configuration (a grant to an account in neither it nor the
    organization is advice only). Raises what the collector raises (botocore errors) for the caller to phrase."""
    signed = signer_view(req, options.principal, collector=source.collector, snapshot=source.snapshot)
    options = replace(options, principal=signed.principal)
    if source.snapshot is not None:
        data = source.snapshot
    else:
        collect = source.collect or (source.collector.collect if source.collector is not None else None)
        if collect is None:
            raise ValueError("diagnose_and_fix needs a snapshot or a collector")
        target = request_target(req, options, account=account, authorization_id=authorization_id)
        data = collect(target) if (target.bucket or target.principal_arn) else {"s3why_snapshot": 1}
        if signed.signer is not None:
            data = {**data, "signer": signed.signer.to_json()}
    found, settled, fixable = diagnose_request(req, account_view(data), options, authorization_id=authorization_id)
    narrowed = None if fixable else _operation_of_the_workload(req, paste)
    if narrowed is not None:
        # The tool in the paste performs one of the candidates only: that is the request (said in the notes).
        one, why = narrowed
        found, settled, fixable = diagnose_request(one, account_view(data), options, authorization_id=authorization_id)
        req = one
        found = replace(found, notes=(why, *found.notes))
    found = signed.attach(found)
    if not fixable:
        return found, data
    fixes = propose_fixes(
        req, data, settled, found, known_accounts=known_accounts, paste=paste, analyzer=analyzer or analyzer_from_env()
    )
    if iac is not None:
        from bot.iac.fixes import with_iac

        fixes = with_iac(fixes, req, data, settled, iac)
    return replace(found, fixes=tuple(fixes)), data
