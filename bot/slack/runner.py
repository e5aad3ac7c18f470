"""The diagnosis the Slack app runs: parse, collect (live, cached), diagnose, propose verified fixes."""

from __future__ import annotations

from typing import Any

from bot.account.collector import Collector
from bot.account.signer import signer_view, with_signer_key
from bot.account.target import target_for
from bot.account.view import account_view
from bot.approve.store import Change, Proposal
from bot.approve.verified import Verified
from bot.cache import NoCache
from bot.diagnose import DiagnoseOptions, Diagnosis, diagnose
from bot.diagnose.candidates import with_facts
from bot.diagnose.model import UNKNOWN
from bot.fixes import diagnosis_with_scope
from bot.fixes.model import Patch
from bot.fixes.verify import apply_patches
from bot.iac.approve import iac_options
from bot.layers import LayerId
from bot.parse import ParseResult, parse_text
from bot.pipeline import Source, diagnose_and_fix


class LiveDiagnoser:
    """Callable used by the Slack app; `fresh` reads everything live (the "Re-run fresh" button)."""

    def __init__(self, collector: Collector, max_requests: int = 5) -> None:
        """`max_requests`: the errors of one text that are diagnosed (AWS is read for each); the rest are not."""
        self.collector = collector
        self.max_requests = max_requests

    def __call__(
        self,
        text: str,
        *,
        principal: str | None,
        context: dict[str, tuple[str, ...]],
        fresh: bool,
        account: str | None = None,
        facts: dict[str, str] | None = None,
        signer_keys: list[str | None] | None = None,
    ) -> tuple[ParseResult, list[Diagnosis]]:
        """`facts`: what the user said besides the text (operation, bucket, key): they win over the text."""
        parsed = parse_text(text)
        given = facts or {}
        collector = Collector(self.collector.sessions, NoCache()) if fresh else self.collector
        out: list[Diagnosis] = []
        options = DiagnoseOptions(principal=principal, context=context)
        iac = iac_options(self.collector.sessions.config)  # Terraform / CloudFormation: iac-change patches
        for index, parsed_req in enumerate(parsed.requests[: self.max_requests]):
            parsed_req = with_signer_key(parsed_req, (signer_keys or [])[index : index + 1])
            req = with_facts(
                parsed_req, operation=given.get("operation"), bucket=given.get("bucket"), key=given.get("key")
            )
            known = self.collector.sessions.config.known_accounts()  # configured, and listed organization members
            found, _ = diagnose_and_fix(
                req,
                options,
                Source(collector=collector),
                account=account,
                iac=iac,
                known_accounts=known,
                paste=parsed.redacted_text,
            )
            out.append(found)
        return parsed, out

    def can(self, req: Any, context: dict[str, tuple[str, ...]]) -> Diagnosis:
        """`/s3why can`: the request asked, read live (through the cache), every layer, no text as evidence."""
        from bot.answer import answer, collect_for
        from bot.can import as_question, can_options

        options = can_options(req.principal_arn or "", context)
        return as_question(answer(req, options, collect_for(req, options, self.collector)))

    def verify(self, proposal: Proposal, patched: bool) -> str:
        """The decision for the proposal's request on a fresh read of AWS, with its patch on top or not."""
        r = proposal.request
        context = {k: tuple(v) for k, v in (r.get("context") or {}).items()}
        parsed = parse_text(str(r.get("text", "")))
        index = int(r.get("index", 0))
        if index >= len(parsed.requests):
            return "unknown"
        facts = r.get("facts") or {}
        req = with_facts(
            parsed.requests[index], operation=facts.get("operation"), bucket=facts.get("bucket"), key=facts.get("key")
        )
        collector = Collector(self.collector.sessions, NoCache())
        signed = signer_view(req, r.get("principal"), collector=collector)
        target = target_for(
            req,
            principal=signed.principal,
            vpce_id=(context.get("aws:SourceVpce") or (None,))[0],
            version_id=(context.get("s3:versionid") or (None,))[0],
            account=r.get("account"),
        )
        snapshot = collector.collect(target)
        if patched:
            patches = [Patch(c.target, c.where, c.document, [], c.before, apply=c.apply) for c in proposal.changes]
            snapshot = apply_patches(snapshot, patches)
        options = DiagnoseOptions(principal=signed.principal, context=context, text_is_evidence=False)
        view = account_view(snapshot)
        d = diagnose(req, view, options)
        unread = [r.layer.value for r in d.layers if r.verdict == UNKNOWN]
        principal = str((d.request.get("resolved") or {}).get("principal") or d.request.get("principal_arn") or "")
        session = ":assumed-role/" in principal or ":federated-user/" in principal
        if (
            session
            and options.session_policy is None
            and (view.principal is None or view.principal.session_policy is None)
        ):
            unread.append(LayerId.SESSION_POLICY.value)  # AWS keeps no copy of a session's policy to read
        return Verified(d.decision, tuple(dict.fromkeys(unread)))

    def rebuild(self, proposal: Proposal) -> list[Change] | None:
        """The proposal's changes computed again, from a fresh read, for the same request, scope and fix title
        (None: that fix is no longer proposed). An approval applies only when these equal the stored ones."""
        from bot.approve.flow import proposal_for  # flow -> runner would be a cycle at import time

        r = proposal.request
        context = {k: tuple(v) for k, v in (r.get("context") or {}).items()}
        _, diagnoses = self(
            str(r.get("text", "")),
            principal=r.get("principal"),
            context=context,
            fresh=True,
            account=r.get("account"),
            facts=r.get("facts") or None,
        )
        index = int(r.get("index", 0))
        if index >= len(diagnoses):
            return None
        d = diagnosis_with_scope(diagnoses[index], r.get("scope"))
        for fix in d.fixes:
            if fix.title != proposal.fix_title:
                continue
            made = proposal_for(fix, requester=None, channel="", thread_ts="", run_id="", request={})
            if made is not None:
                return made.changes
        return None

    def invalidate(self, proposal: Proposal) -> None:
        """Forget what the cache knows about the changed resource, so the next diagnosis reads it again."""
        for c in proposal.changes:
            for resource in {c.target, c.target.rsplit("/", 1)[-1]}:
                self.collector.invalidate(account=c.account, resource=resource)
