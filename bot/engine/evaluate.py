"""AWS's policy evaluation logic for one request, with the statements that decided each layer.

Spec: IAM User Guide, "Policy evaluation logic" (reference_policies_evaluation-logic.html), its
"cross-account" and "within a single account" pages, the Principal element page (which principal forms a
resource-based policy can grant to on its own), Organizations' SCP and RCP evaluation pages, and KMS's
"Key policies" (IAM policies count for a key only when its key policy delegates to the account).

Order of the decision (only the reported reason depends on it):
1. an explicit Deny in any policy that applies -> explicit-deny;
2. RCPs (every level of the resource account's path must allow; RCPFullAWSAccess is always attached);
3. SCPs (every level of the principal account's path must allow);
4. the VPC endpoint policy must allow;
5. the core grant: same account -> identity-based OR resource-based (a grant to the account itself only
   delegates to IAM); cross-account -> identity-based AND resource-based;
6. permissions boundary and session policy cap identity-based permissions (and resource-based grants made
   to a role ARN); grants to a user, a role session, a federated user or `*` are not capped by them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from bot.arn import Arn
from bot.engine.conditions import ConditionOutcome, RequestValues
from bot.engine.context import build_values
from bot.engine.matching import arn_matcher
from bot.engine.policy import Policy, PolicyKind, Statement, parse_policy
from bot.engine.principal import (
    MatchLevel,
    Principal,
    PrincipalKind,
    match_level,
    not_principal_exempts,
    parse_principal,
    with_role_path,
)
from bot.engine.variables import render
from bot.layers import Decision, LayerId, Verdict

RCP_FULL_AWS_ACCESS = parse_policy(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
    },
    name="RCPFullAWSAccess",
    kind=PolicyKind.RESOURCE,  # the one RCP allowed to Allow; parsed as a plain resource-style document
)


@dataclass(frozen=True)
class AuthzRequest:
    """One authorization check: who, what, on which resource, with which request context."""

    principal: Principal
    action: str
    resource: str
    resource_owner: str | None = None
    context: dict[str, tuple[str, ...]] = field(default_factory=dict)  # keys as given; values as strings
    # Keys AWS sets that the caller read from account data (organization ids and paths, the endpoint's owner):
    # below `context`, which wins.
    derived: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        *,
        principal: str,
        action: str,
        resource: str,
        resource_owner: str | None = None,
        context: dict[str, str | list[str] | tuple[str, ...]] | None = None,
        derived: dict[str, tuple[str, ...]] | None = None,
    ) -> AuthzRequest:
        ctx = {k: (v,) if isinstance(v, str) else tuple(v) for k, v in (context or {}).items()}
        return cls(parse_principal(principal), action, resource, resource_owner, ctx, dict(derived or {}))

    @property
    def owner_account(self) -> str | None:
        """`--resource-owner`, else the resource ARN's account, else (S3 ARNs carry none) the principal's."""
        if self.resource_owner:
            return self.resource_owner
        arn = Arn.parse(self.resource)
        if arn is not None and arn.account:
            return arn.account
        return self.principal.account


@dataclass(frozen=True)
class PolicySet:
    """Every policy that can apply to one request. SCP/RCP levels run from the root to the account."""

    identity: tuple[Policy, ...] = ()
    resource: Policy | None = None
    boundary: Policy | None = None
    session: Policy | None = None
    scps: tuple[tuple[Policy, ...], ...] | None = None  # None: not in an organization (layer not applicable)
    rcps: tuple[tuple[Policy, ...], ...] | None = None
    vpc_endpoint: Policy | None = None
    # The organization's management account: SCPs do not apply to its principals, RCPs not to its resources.
    management_account: str | None = None
    # An AWS managed resource (an AWS managed KMS key): RCPs do not apply to it.
    resource_aws_managed: bool = False


@dataclass(frozen=True, slots=True)
class StatementRef:
    """A statement that decided (or nearly decided) a layer, with the conditions that mattered."""

    policy: str
    index: int
    sid: str | None
    effect: str
    matched: bool
    conditions: tuple[ConditionOutcome, ...] = ()
    principal_level: str | None = None
    level: int | None = None  # SCP/RCP level (0 = root)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "policy": self.policy,
            "sid": self.sid,
            "index": self.index,
            "effect": self.effect,
            "matched": self.matched,
        }
        if self.conditions:
            out["conditions"] = [c.to_json() for c in self.conditions]
        if self.principal_level is not None:
            out["principal_match"] = self.principal_level
        if self.level is not None:
            out["level"] = self.level
        return out


@dataclass(frozen=True, slots=True)
class _StatementEval:
    statement: Statement
    policy: Policy
    applies: bool
    reached_conditions: bool  # action, resource and principal matched
    outcomes: tuple[ConditionOutcome, ...]
    level: MatchLevel | None
    scp_level: int | None = None

    def ref(self) -> StatementRef:
        # A statement that applied: every condition it met is the evidence; one that did not: the ones it failed.
        shown = self.outcomes if self.applies else tuple(o for o in self.outcomes if not o.passed)
        return StatementRef(
            policy=self.policy.name,
            index=self.statement.index,
            sid=self.statement.sid,
            effect=self.statement.effect,
            matched=self.applies,
            conditions=shown,
            principal_level=self.level.value if self.level else None,
            level=self.scp_level,
        )


@dataclass(frozen=True, slots=True)
class LayerResult:
    layer: LayerId
    verdict: Verdict
    evals: tuple[_StatementEval, ...] = ()
    detail: str = ""

    @property
    def statements(self) -> tuple[StatementRef, ...]:
        """The statements that decided the layer (built on demand: most evaluations never print them)."""
        return tuple(e.ref() for e in self.evals)

    def to_json(self) -> dict[str, Any]:
        return {
            "layer": self.layer.value,
            "verdict": self.verdict.value,
            "statements": [s.to_json() for s in self.statements],
            "detail": self.detail,
        }


@dataclass(frozen=True)
class EvaluationResult:
    decision: Decision
    layers: tuple[LayerResult, ...]
    reason: str
    absent_keys: tuple[str, ...] = ()
    action: str = ""
    resource: str = ""

    def layer(self, layer: LayerId) -> LayerResult | None:
        return next((r for r in self.layers if r.layer is layer), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "decision": self.decision.value,
            "reason": self.reason,
            "layers": [r.to_json() for r in self.layers],
            "absent_keys": list(self.absent_keys),
        }


# -----------------------------------------------------------------------------------------------------------
# Context
# -----------------------------------------------------------------------------------------------------------
def build_context(req: AuthzRequest) -> RequestValues:
    """The keys given, plus those AWS always sets from the principal and the resource (bot.engine.context)."""
    return build_values(req.principal, req.resource, req.owner_account, derived=req.derived, given=req.context)


# -----------------------------------------------------------------------------------------------------------
# Statements
# -----------------------------------------------------------------------------------------------------------
def _resource_matches(stmt: Statement, resource: str, ctx: RequestValues) -> bool:
    hit = stmt.static_resources is not None and stmt.static_resources(resource)
    if not hit:
        for pattern in stmt.templated_resources:
            assert pattern.segments is not None
            rendered = render(pattern.segments, ctx.single, for_pattern=True)
            if rendered is None:
                # A variable with no value "causes the statement to be invalid" (IAM User Guide, policy
                # variables): the ARN matches nothing, and a NotResource statement does not take effect.
                if stmt.not_resource:
                    return False
                continue
            if arn_matcher(rendered)(resource):
                hit = True
                break
    return hit != stmt.not_resource


_Candidate = tuple[Statement, MatchLevel | None]


def _candidates(policy: Policy, req: AuthzRequest, has_boundary: bool) -> tuple[_Candidate, ...]:
    """The statements of a policy whose Action and Principal cover the request, with how the principal matched.

    Both depend only on (action, principal), which repeat across requests: memoized on the policy.
    """
    p = req.principal
    key = (req.action.lower(), p.key, has_boundary)
    found: tuple[_Candidate, ...] | None = policy.memo.get(key)
    if found is not None:
        return found
    out: list[_Candidate] = []
    for stmt in policy.statements_for_action(req.action):
        level: MatchLevel | None = None
        if stmt.principal is not None:
            if stmt.not_principal:
                # Deny + NotPrincipal always denies a principal that has a permissions boundary
                # (IAM User Guide, NotPrincipal, "Key points"); otherwise every identity of the caller's chain
                # must be listed for it to be exempt (not_principal_exempts).
                if not_principal_exempts(stmt.principal, p) and not (has_boundary and p.is_iam_identity):
                    continue
                level = None
            else:
                level = match_level(stmt.principal, p)
                if level is None:
                    continue
            if (
                level is MatchLevel.ACCOUNT
                and policy.kind is PolicyKind.VPC_ENDPOINT
                and p.kind is not PrincipalKind.ROOT
            ):
                # S3 endpoints are gateway endpoints: there an account principal means that account's root user
                # only ("Principals for gateway endpoints", AWS PrivateLink guide); use aws:PrincipalArn instead.
                continue
        out.append((stmt, level))
    found = tuple(out)
    if len(policy.memo) < 8192:
        policy.memo[key] = found
    return found


def _evaluate_policy(
    policy: Policy,
    req: AuthzRequest,
    ctx: RequestValues,
    *,
    has_boundary: bool = False,
    scp_level: int | None = None,
) -> list[_StatementEval]:
    out: list[_StatementEval] = []
    resource = req.resource
    for stmt, level in _candidates(policy, req, has_boundary):
        if not _resource_matches(stmt, resource, ctx):
            continue
        if stmt.conditions:
            outcomes = tuple(c.evaluate(ctx, ctx.single) for c in stmt.conditions)
            applies = all(o.passed for o in outcomes)
        else:
            outcomes, applies = (), True
        out.append(_StatementEval(stmt, policy, applies, True, outcomes, level, scp_level))
    return out


@dataclass
class _Layer:
    """The statements of one layer, sorted into what decides it."""

    denies: list[_StatementEval] = field(default_factory=list)
    allows: list[_StatementEval] = field(default_factory=list)
    misses: list[_StatementEval] = field(default_factory=list)  # Allow statements whose conditions failed

    def add(self, evals: Iterable[_StatementEval]) -> None:
        for e in evals:
            if e.applies:
                (self.allows if e.statement.is_allow else self.denies).append(e)
            elif e.statement.is_allow:
                self.misses.append(e)


def _absent_hinges(evals: Iterable[_StatementEval]) -> set[str]:
    keys: set[str] = set()
    for e in evals:
        if e.applies and not e.statement.is_allow:
            keys.update(o.key for o in e.outcomes if o.key_absent and o.passed)
        elif not e.applies and e.statement.is_allow:
            keys.update(o.key for o in e.outcomes if o.key_absent and not o.passed)
    return keys


def _layer_result(
    layer_id: LayerId, data: _Layer, *, allowed: bool, detail_allow: str, detail_no_allow: str
) -> LayerResult:
    if data.denies:
        first = data.denies[0]
        return LayerResult(
            layer_id,
            Verdict.DENY,
            tuple(data.denies),
            f"explicit Deny in {first.policy.name} ({first.statement.label})",
        )
    if allowed:
        return LayerResult(layer_id, Verdict.ALLOW, tuple(data.allows), detail_allow)
    return LayerResult(layer_id, Verdict.NO_ALLOW, tuple(data.misses), detail_no_allow)


@lru_cache(maxsize=256)
def _resource_layer_id_cached(resource: str) -> LayerId:
    return _resource_layer_id(resource)


@lru_cache(maxsize=256)
def _not_applicable(layer_id: LayerId, why: str) -> LayerResult:
    return LayerResult(layer_id, Verdict.NOT_APPLICABLE, (), why)


def _resource_layer_id(resource: str) -> LayerId:
    arn = Arn.parse(resource)
    if arn is not None and arn.service == "kms":
        return LayerId.KMS
    if arn is not None and arn.service == "s3" and arn.resource.startswith("accesspoint/"):
        return LayerId.ACCESS_POINT_POLICY
    return LayerId.BUCKET_POLICY


def _org_layer(
    layer_id: LayerId,
    levels: tuple[tuple[Policy, ...], ...],
    req: AuthzRequest,
    ctx: RequestValues,
    *,
    implicit_full_access: bool,
    all_evals: list[_StatementEval],
) -> LayerResult:
    """SCPs or RCPs: a Deny anywhere denies; every level must have an applicable Allow."""
    data = _Layer()
    missing_levels: list[int] = []
    for i, level in enumerate(levels):
        policies = (*level, RCP_FULL_AWS_ACCESS) if implicit_full_access else level
        level_allows = False
        for policy in policies:
            evals = _evaluate_policy(policy, req, ctx, scp_level=i)
            all_evals.extend(evals)
            data.add(evals)
            level_allows = level_allows or any(e.applies and e.statement.is_allow for e in evals)
        if not level_allows:
            missing_levels.append(i)
    name = "SCP" if layer_id is LayerId.SCP else "RCP"
    no_allow = (
        f"no {name} at level {missing_levels[0]} of the organization path allows {req.action}" if missing_levels else ""
    )
    return _layer_result(
        layer_id,
        data,
        allowed=not missing_levels,
        detail_allow=f"every {name} level allows",
        detail_no_allow=no_allow,
    )


def evaluate(req: AuthzRequest, policies: PolicySet) -> EvaluationResult:
    """Decide one request as AWS would, and say which statements in which layer decided it."""
    ctx = build_context(req)
    p = with_role_path(req.principal, ctx.single("aws:principalarn"))
    if p is not req.principal:
        req = replace(req, principal=p)
    owner = req.owner_account
    same_account = p.account is not None and owner is not None and p.account == owner
    all_evals: list[_StatementEval] = []
    layers: list[LayerResult] = []
    has_boundary = policies.boundary is not None

    # --- Organizations -------------------------------------------------------------------------------------
    if policies.scps is None:
        scp = _not_applicable(LayerId.SCP, "no SCPs given (not in an organization, or the management account)")
    elif p.has_no_identity_policies:
        scp = _not_applicable(LayerId.SCP, "SCPs apply only to principals of member accounts")
    elif p.service_linked:
        scp = _not_applicable(LayerId.SCP, "SCPs do not apply to service-linked roles")
    elif policies.management_account and p.account == policies.management_account:
        scp = _not_applicable(LayerId.SCP, "SCPs do not apply to principals of the management account")
    else:
        scp = _org_layer(LayerId.SCP, policies.scps, req, ctx, implicit_full_access=False, all_evals=all_evals)
    if policies.rcps is None:
        rcp = _not_applicable(LayerId.RCP, "no RCPs given")
    elif p.service_linked:
        rcp = _not_applicable(LayerId.RCP, "RCPs do not apply to service-linked roles")
    elif policies.resource_aws_managed:
        rcp = _not_applicable(LayerId.RCP, "RCPs do not apply to AWS managed KMS keys")
    elif policies.management_account and owner == policies.management_account:
        rcp = _not_applicable(LayerId.RCP, "RCPs do not apply to resources of the management account")
    else:
        rcp = _org_layer(LayerId.RCP, policies.rcps, req, ctx, implicit_full_access=True, all_evals=all_evals)

    # --- VPC endpoint ------------------------------------------------------------------------------------------
    if policies.vpc_endpoint is None:
        through_endpoint = any(k.lower() in ("aws:sourcevpce", "aws:sourcevpc") for k in req.context)
        vpce = _not_applicable(
            LayerId.VPC_ENDPOINT_POLICY,
            "no endpoint policy given" if through_endpoint else "the request did not go through a VPC endpoint",
        )
    else:
        data = _Layer()
        evals = _evaluate_policy(policies.vpc_endpoint, req, ctx, has_boundary=has_boundary)
        all_evals.extend(evals)
        data.add(evals)
        vpce = _layer_result(
            LayerId.VPC_ENDPOINT_POLICY,
            data,
            allowed=bool(data.allows),
            detail_allow="the endpoint policy allows the request",
            detail_no_allow=f"no statement of the endpoint policy allows {req.action} on {req.resource}",
        )

    # --- Identity side -----------------------------------------------------------------------------------------
    if p.has_no_identity_policies:
        kind = "a CloudFront origin access identity" if p.kind is PrincipalKind.USER else f"a {p.kind.value} principal"
        identity = _not_applicable(LayerId.IDENTITY, f"{kind} has no identity-based policies")
    elif p.kind is PrincipalKind.ROOT:
        # The root user's own account never limits it: same-account "full access" (IAM User Guide, policy
        # evaluation logic), and cross-account S3 "does not evaluate the user context" of a root user (S3 User
        # Guide, "How Amazon S3 authorizes a request for a bucket operation"): the resource side decides.
        data = _Layer()
        for pol in policies.identity:
            evals = _evaluate_policy(pol, req, ctx)
            all_evals.extend(evals)
            data.add(evals)
        identity = _layer_result(
            LayerId.IDENTITY,
            data,
            allowed=True,
            detail_allow=(
                "the account's root user is allowed its own account's resources"
                if same_account
                else "the root user's own account does not limit it; the resource-based policy must grant its account"
            ),
            detail_no_allow="",
        )
    else:
        data = _Layer()
        for pol in policies.identity:
            evals = _evaluate_policy(pol, req, ctx)
            all_evals.extend(evals)
            data.add(evals)
        identity = _layer_result(
            LayerId.IDENTITY,
            data,
            allowed=bool(data.allows),
            detail_allow="an identity-based policy allows the request",
            detail_no_allow=f"no identity-based policy allows {req.action} on {req.resource}",
        )

    def cap(policy: Policy | None, layer_id: LayerId, what: str) -> LayerResult:
        if policy is None:
            return _not_applicable(layer_id, f"no {what}")
        data = _Layer()
        evals = _evaluate_policy(policy, req, ctx)
        all_evals.extend(evals)
        data.add(evals)
        return _layer_result(
            layer_id,
            data,
            allowed=bool(data.allows),
            detail_allow=f"the {what} allows the request",
            detail_no_allow=f"the {what} does not allow {req.action} on {req.resource}",
        )

    boundary = cap(policies.boundary, LayerId.PERMISSIONS_BOUNDARY, "permissions boundary")
    if policies.session is None and p.kind is PrincipalKind.FEDERATED_USER:
        # GetFederationToken sessions have no permissions from the user's policies without a session policy.
        session = LayerResult(
            LayerId.SESSION_POLICY,
            Verdict.NO_ALLOW,
            (),
            "a federated user session without a session policy has no identity-based permissions",
        )
    else:
        session = cap(policies.session, LayerId.SESSION_POLICY, "session policy")

    # --- Resource side -----------------------------------------------------------------------------------------
    resource_layer = _resource_layer_id_cached(req.resource)
    resource_data = _Layer()
    if policies.resource is None:
        resource = _not_applicable(resource_layer, "no resource-based policy given")
    else:
        evals = _evaluate_policy(policies.resource, req, ctx, has_boundary=has_boundary)
        all_evals.extend(evals)
        resource_data.add(evals)
        resource = _layer_result(
            resource_layer,
            resource_data,
            allowed=bool(resource_data.allows),
            detail_allow="the resource-based policy allows the request",
            detail_no_allow=f"no statement of the resource-based policy allows {req.action} for this principal",
        )

    layers = [scp, rcp, vpce, identity, boundary, session, resource]
    absent = tuple(sorted(_absent_hinges(all_evals), key=str.lower))

    # --- Decision ---------------------------------------------------------------------------------------------
    for layer in layers:
        if layer.verdict is Verdict.DENY:
            return EvaluationResult(
                Decision.EXPLICIT_DENY, tuple(layers), layer.detail, absent, req.action, req.resource
            )
    for layer in (rcp, scp, vpce):
        if layer.verdict is Verdict.NO_ALLOW:
            return EvaluationResult(
                Decision.IMPLICIT_DENY, tuple(layers), layer.detail, absent, req.action, req.resource
            )

    caps_ok = all(layer.verdict in (Verdict.ALLOW, Verdict.NOT_APPLICABLE) for layer in (boundary, session))
    identity_ok = identity.verdict is Verdict.ALLOW and caps_ok
    levels = {e.level for e in resource_data.allows}
    uncapped = levels & {
        MatchLevel.USER,
        MatchLevel.SESSION,
        MatchLevel.FEDERATED,
        MatchLevel.WILDCARD,
        MatchLevel.SERVICE,
        MatchLevel.CANONICAL,
    }
    direct_ok = bool(uncapped) or (MatchLevel.ROLE in levels and caps_ok)

    if p.has_no_identity_policies:
        allowed = bool(resource_data.allows)
        why = "no resource-based policy grants this principal the request"
    elif resource_layer is LayerId.KMS and policies.resource is not None and same_account:
        # A key policy must allow: directly, or by delegating to the account so that IAM policies count.
        delegated = MatchLevel.ACCOUNT in levels
        allowed = direct_ok or (delegated and identity_ok)
        why = (
            "the key policy allows the account, but no identity-based policy (within its caps) allows the request"
            if delegated
            else "the key policy neither allows this principal nor delegates to the account's IAM policies"
        )
    elif same_account or (policies.resource is None and owner is None):
        allowed = identity_ok or direct_ok
        if identity.verdict is not Verdict.ALLOW:
            why = (
                identity.detail
                if not resource_data.allows
                else "the resource-based policy grants only the account, so an identity-based policy must allow"
            )
        else:
            why = boundary.detail if boundary.verdict is Verdict.NO_ALLOW else session.detail
    else:
        allowed = identity_ok and bool(resource_data.allows)
        if not resource_data.allows:
            why = "cross-account: " + (
                resource.detail if policies.resource is not None else "no resource-based policy allows the request"
            )
        elif identity.verdict is not Verdict.ALLOW:
            why = "cross-account: " + identity.detail
        else:
            why = "cross-account: " + (boundary.detail if boundary.verdict is Verdict.NO_ALLOW else session.detail)
    if allowed:
        return EvaluationResult(Decision.ALLOW, tuple(layers), "allowed", absent, req.action, req.resource)
    return EvaluationResult(Decision.IMPLICIT_DENY, tuple(layers), why, absent, req.action, req.resource)
