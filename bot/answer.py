"""One request -> one answer (collect, diagnose, propose fixes): the seam `s3why can` and `s3why watch` call.

A thin wrapper over the existing entry points (`target_for` -> `Collector.collect` or a snapshot ->
`diagnose_request` -> `propose_fixes` -> `with_iac`), the same steps `s3why diagnose` runs. When the project
gains one pipeline function for every caller, this module's body becomes a call to it and nothing else changes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.account.collector import Collector
from bot.account.target import target_for
from bot.account.view import account_view
from bot.diagnose import DiagnoseOptions, Diagnosis
from bot.diagnose.candidates import diagnose_request
from bot.diagnose.options import context_value
from bot.parse.model import DeniedRequest


def collect_for(
    req: DeniedRequest, options: DiagnoseOptions, collector: Collector, *, account: str | None = None
) -> dict[str, Any]:
    """What the request touches, read live (through the collector's cache): the snapshot shape."""
    context = {**{k: tuple(v) for k, v in req.stated_context}, **options.context}
    target = target_for(
        req,
        principal=options.principal or req.principal_arn,
        vpce_id=context_value(context, "aws:SourceVpce"),
        version_id=context_value(context, "s3:versionid"),
        account=account,
    )
    return collector.collect(target)


def answer(req: DeniedRequest, options: DiagnoseOptions, data: dict[str, Any], *, fixes: bool = True) -> Diagnosis:
    """The diagnosis of `req` against `data` (a collection or a snapshot), with verified fixes when it is denied
    and the operation is known. Pure over `data`."""
    from bot.fixes import propose_fixes

    found, settled, fixable = diagnose_request(req, account_view(data), options)
    if not fixes or not fixable or found.decision == "allow":
        return found
    return replace(found, fixes=tuple(propose_fixes(req, data, settled, found)))
