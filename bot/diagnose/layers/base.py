"""The one interface every layer check has: what it reads -> verdict, evidence, branches, what it could not see.

A check is a small module with one entry point, `evaluate(subject) -> LayerFinding` (duo-labs/parliament's
checks are the model). `Subject` is everything a check may read: the parsed request, the account view, the
options, and — once the principal, the operation and the bucket are known — the resolved `Authorization` (the
policies in force, the request context and the engine's evaluation of the core grant). A check never mutates
what it reads; the orchestrator (`bot.diagnose.core`) merges the findings in the order of `LAYERS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.account.view import AccountView
from bot.diagnose.model import LayerReport, RootCause
from bot.diagnose.options import DiagnoseOptions
from bot.engine import EvaluationResult, Policy, PolicySet, Principal
from bot.layers import LayerId
from bot.parse.model import DeniedRequest
from bot.s3ops import OperationSpec


@dataclass(frozen=True)
class PolicyInputs:
    """The principal's side and the organization's policies, with what s3why could not see (layer -> why)."""

    identity: tuple[Policy, ...] = ()
    boundary: Policy | None = None
    session: Policy | None = None
    scps: tuple[tuple[Policy, ...], ...] | None = None
    rcps: tuple[tuple[Policy, ...], ...] | None = None
    vpce: Policy | None = None
    unknown: dict[LayerId, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AccessPointRoute:
    """A request through an access point: both the access point (on its ARN) and the bucket must allow it.

    `unknown` holds why the access point could not be read (then the evaluations are None)."""

    unknown: str | None = None
    arn: str | None = None
    through: EvaluationResult | None = None  # the request evaluated on the access point ARN (identity side too)
    bucket_side: EvaluationResult | None = None  # the bucket policy's view of the same request
    # "multi-region-access-point" for a Multi-Region Access Point; its same-account requests need no bucket grant
    # ("For same account requests, only the underlying IAM policy, which grants the appropriate access, is
    # required": S3 User Guide, Multi-Region Access Points, "Permissions").
    kind: str = "access-point"
    bucket_grant_needed: bool = True


@dataclass(frozen=True)
class AuthorizationCheck:
    """One authorization the request needs (bot.s3ops.required_authorizations), on its own resource, with the
    engine's decision for it (allow | implicit-deny | explicit-deny | unknown)."""

    action: str
    resource: str
    why: str
    decision: str

    def to_json(self) -> dict[str, str]:
        return {"action": self.action, "resource": self.resource, "why": self.why, "decision": self.decision}


@dataclass(frozen=True)
class Authorization:
    """The resolved request and the engine's evaluation of its core grant (the worst over its actions)."""

    who: Principal
    principal_arn: str
    owner: str | None  # the bucket owner's account
    actions: tuple[str, ...]
    resource: str
    inputs: PolicyInputs
    context: dict[str, tuple[str, ...]]
    policies: PolicySet
    documents: dict[str, Any]  # policy name -> its JSON document (for evidence)
    bucket_policy: Policy | None
    bucket_unknown: str | None  # why the bucket policy could not be read
    malformed: dict[LayerId, str]  # layer -> why one of its policies could not be evaluated
    main: EvaluationResult  # the core grant, through the access point when there is one
    route: AccessPointRoute | None
    checks: tuple[AuthorizationCheck, ...] = ()  # every authorization the operation needs, each on its resource


@dataclass(frozen=True)
class Subject:
    """What every check reads. `auth` is None when the principal, the operation or the bucket is unknown."""

    req: DeniedRequest
    view: AccountView
    options: DiagnoseOptions
    spec: OperationSpec | None
    principal_arn: str | None
    auth: Authorization | None


@dataclass(frozen=True)
class LayerFinding:
    """One check's answer: its layers' verdicts, root causes with evidence, branches, and what it could not see.

    `supersedes`: layers whose root causes this finding replaces (CloudFront's OAC statement explains a bucket
    policy's no-allow better than the bucket policy layer does)."""

    reports: tuple[LayerReport, ...] = ()
    causes: tuple[RootCause, ...] = ()
    branches: tuple[dict[str, Any], ...] = ()
    unseen: tuple[str, ...] = ()
    supersedes: frozenset[LayerId] = frozenset()


class Needs(StrEnum):
    """What must be resolved before a check can run."""

    TEXT = "text"  # only the parsed text
    AUTHORIZATION = "authorization"  # principal and operation (and the bucket, unless account-level)
    BUCKET = "bucket"  # the above and the bucket's configuration


@dataclass(frozen=True)
class LayerCheck:
    """A registered check: the layer ids it decides, the account facts it reads, and its entry point."""

    name: str
    layers: tuple[LayerId, ...]
    reads: tuple[str, ...]
    needs: Needs
    evaluate: Callable[[Subject], LayerFinding]


class Findings:
    """A small builder a check fills while it looks, then freezes into a `LayerFinding`."""

    def __init__(self) -> None:
        self.reports: dict[LayerId, LayerReport] = {}
        self.causes: list[RootCause] = []
        self.unseen: list[str] = []
        self.branches: list[dict[str, Any]] = []
        self.supersedes: set[LayerId] = set()

    def set(self, layer: LayerId, verdict: str, detail: str = "") -> None:
        self.reports[layer] = LayerReport(layer, verdict, detail)

    def cause(self, layer: LayerId, kind: str, summary: str, **evidence: Any) -> None:
        self.causes.append(RootCause(layer, kind, summary, {k: v for k, v in evidence.items() if v is not None}))

    def note(self, text: str) -> None:
        self.unseen.append(text)

    def done(self) -> LayerFinding:
        return LayerFinding(
            tuple(self.reports.values()),
            tuple(self.causes),
            tuple(self.branches),
            tuple(self.unseen),
            frozenset(self.supersedes),
        )
