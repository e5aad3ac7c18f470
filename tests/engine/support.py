"""Small builders for engine tests: a statement, a policy, one decision."""

from __future__ import annotations

from typing import Any

from bot.engine import AuthzRequest, EvaluationResult, PolicyKind, PolicySet, evaluate, parse_policy

ACCT = "111111111111"
OTHER = "222222222222"
ALICE = f"arn:aws:iam::{ACCT}:user/alice"
ROLE = f"arn:aws:iam::{ACCT}:role/app"
SESSION = f"arn:aws:sts::{ACCT}:assumed-role/app/sess1"
BOB = f"arn:aws:iam::{OTHER}:user/bob"
OBJ = "arn:aws:s3:::data-bucket/reports/q1.csv"
BUCKET = "arn:aws:s3:::data-bucket"


def stmt(effect: str = "Allow", action: Any = "s3:GetObject", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": effect}
    if "NotAction" not in extra:
        out["Action"] = action
    if "NotResource" not in extra:
        out["Resource"] = resource
    out.update(extra)
    return out


def doc(*statements: dict[str, Any], version: str = "2012-10-17") -> dict[str, Any]:
    return {"Version": version, "Statement": list(statements)}


def decide(
    *,
    principal: str = ALICE,
    action: str = "s3:GetObject",
    resource: str = OBJ,
    owner: str | None = None,
    identity: list[dict[str, Any]] | None = None,
    resource_policy: dict[str, Any] | None = None,
    boundary: dict[str, Any] | None = None,
    session: dict[str, Any] | None = None,
    scps: list[list[dict[str, Any]]] | None = None,
    rcps: list[list[dict[str, Any]]] | None = None,
    vpce: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
) -> EvaluationResult:
    def p(d: dict[str, Any] | None, kind: PolicyKind, name: str) -> Any:
        return None if d is None else parse_policy(d, name=name, kind=kind)

    policies = PolicySet(
        identity=tuple(parse_policy(d, name=f"id{i}") for i, d in enumerate(identity or [])),
        resource=p(resource_policy, PolicyKind.RESOURCE, "resource"),
        boundary=p(boundary, PolicyKind.PERMISSIONS_BOUNDARY, "boundary"),
        session=p(session, PolicyKind.SESSION, "session"),
        scps=None
        if scps is None
        else tuple(tuple(parse_policy(d, name="scp", kind=PolicyKind.SCP) for d in lvl) for lvl in scps),
        rcps=None
        if rcps is None
        else tuple(tuple(parse_policy(d, name="rcp", kind=PolicyKind.RCP) for d in lvl) for lvl in rcps),
        vpc_endpoint=p(vpce, PolicyKind.VPC_ENDPOINT, "vpce"),
    )
    request = AuthzRequest.build(
        principal=principal, action=action, resource=resource, resource_owner=owner, context=context
    )
    return evaluate(request, policies)


def cond_allows(condition: dict[str, Any], context: dict[str, Any] | None = None) -> bool:
    """Does one Allow statement with this Condition allow the request (identity policy, same account)?"""
    result = decide(identity=[doc(stmt(Condition=condition))], context=context)
    return result.decision.value == "allow"
