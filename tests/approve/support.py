"""Shared set-up for approval tests: a scenario diagnosed live, its proposals, and the approval flow."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import redis

from bot.account.collector import Collector
from bot.account.sessions import SessionProvider
from bot.approve.flow import Approvals, proposal_for
from bot.approve.store import Change, PatchStore, Proposal
from bot.approve.writer import Writer
from bot.cache import MemoryCache
from bot.config import AccountConfig, Config
from bot.demo.scenarios import SCENARIOS, Scenario
from bot.slack.runner import LiveDiagnoser
from tests.account.conftest import OTHER, OWN, client, session_in

WRITE_ROLE = f"arn:aws:iam::{OWN}:role/s3why-write"
APPROVER, REQUESTER, STRANGER = "U_BOB", "U_ALICE", "U_EVE"


def scenario(name: str) -> Scenario:
    return next(s for s in SCENARIOS if s.name == name)


def config(*, dry_run: bool = False, self_approval: bool = False) -> Config:
    approvers = (APPROVER, REQUESTER)
    return Config(
        accounts=(
            AccountConfig(id=OWN, write_role_arn=WRITE_ROLE, approvers=approvers, dry_run=dry_run),
            AccountConfig(
                id=OTHER,
                role_arn=f"arn:aws:iam::{OTHER}:role/s3why-read",
                write_role_arn=f"arn:aws:iam::{OTHER}:role/s3why-write",
                approvers=approvers,
                dry_run=dry_run,
            ),
        ),
        self_approval=self_approval,
        object_heads="all",  # approvals are under test here, not what the read role may read
    )


class CallRecorder:
    """Every AWS call the clients make: (service, operation, params)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def hook(self, made: Any) -> None:
        service = made.meta.service_model.service_name

        def record(model: Any, params: dict[str, Any], **_: Any) -> None:
            self.calls.append((service, model.name, dict(params)))

        made.meta.events.register("provide-client-params.*.*", record)


@dataclass
class Flow:
    approvals: Approvals
    store: PatchStore
    diagnoser: LiveDiagnoser
    proposals: list[Proposal] = field(default_factory=list)

    def changing(self, where: str) -> tuple[Proposal, Change]:
        """The proposal that writes a policy of this kind, and that change."""
        for p in self.proposals:
            for c in p.changes:
                if c.where == where:
                    return p, c
        raise AssertionError(f"no proposal changes a {where} policy: {[p.fix_title for p in self.proposals]}")


def make_flow(
    sc: Scenario,
    redis_client: redis.Redis,
    prefix: str,
    cfg: Config | None = None,
    recorder: CallRecorder | None = None,
) -> Flow:
    cfg = cfg or config()
    for session in (None, session_in(OTHER)):  # the write role, in both emulated accounts
        client("iam", session=session).create_role(
            RoleName="s3why-write", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
        )
    names = sc.seed()
    sessions = SessionProvider(cfg, client_hook=sc.client_hook(names))  # what moto does not model
    diagnoser = LiveDiagnoser(Collector(sessions, MemoryCache()))
    store = PatchStore(redis_client, prefix=prefix)
    approvals = Approvals(
        store,
        Writer(sessions, client_hook=recorder.hook if recorder else None),
        cfg,
        diagnoser.verify,
        diagnoser.invalidate,
    )
    text = sc.text.format(**names) if "{" in sc.text else sc.text
    plain = {k: v.format(**names) for k, v in sc.context.items()}
    context: dict[str, tuple[str, ...]] = {k: (v,) for k, v in plain.items()}
    _, diagnoses = diagnoser(text, principal=sc.principal, context=context, fresh=True)
    flow = Flow(approvals, store, diagnoser)
    request = {"text": text, "index": 0, "principal": sc.principal, "context": {k: [v] for k, v in plain.items()}}
    for fix in diagnoses[0].fixes:
        made = proposal_for(fix, requester=REQUESTER, channel="C1", thread_ts="1.1", run_id="r1", request=request)
        if made is not None:
            flow.proposals.append(store.propose(made, actor="s3why"))
    return flow
