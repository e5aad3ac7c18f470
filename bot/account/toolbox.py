"""AWS's own record of a denial (IAM Access Troubleshooter, the `iam-toolbox` API), fetched and typed.

AWS adds an authorization ID to newer AccessDenied messages; `GetRequestAuthorizationDetails(authorizationId)`
returns the request context AWS evaluated, one evaluation per action and resource with `checks` per policy type,
and the policies involved; `GetRequestAuthorizationPolicy(authorizationId, policyUri)` returns a policy document
as it was when the request was denied (not today's). Records are kept "at least 24 hours after the denial"; the
caller "must belong to" the denied principal's organization (or its account, without one). Source: the botocore
service model `iam-toolbox` 2018-05-10 (rest-json, signing name `iam`).

`fetch_record` is the edge (through the collector's cached, per-account `call`); `authorization_record` turns
the snapshot part it wrote into typed values, or a `RecordUnavailable` with a one-line reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

SERVICE = "iam-toolbox"
REGION = "us-east-1"  # IAM is global; its toolbox endpoint lives in us-east-1
MAX_PAGES = 20

Answer = dict[str, Any]
Call = Callable[..., Answer]

# AWS's check types, in the order its record lists them, and the s3why layer each one is.
CHECK_LAYERS: dict[str, str] = {
    "RESOURCE_CONTROL_POLICY": "rcp",
    "SERVICE_CONTROL_POLICY": "scp",
    "VPC_ENDPOINT": "vpc-endpoint-policy",
    "RESOURCE": "bucket-policy",
    "PRINCIPAL": "identity",
    "PERMISSIONS_BOUNDARY": "permissions-boundary",
    "SESSION": "session-policy",
}
POLICY_TYPE_LAYERS: dict[str, str] = {
    "RESOURCE_CONTROL_POLICY": "rcp",
    "SERVICE_CONTROL_POLICY": "scp",
    "VPC_ENDPOINT_POLICY": "vpc-endpoint-policy",
    "RESOURCE_BASED_POLICY": "bucket-policy",
    "IDENTITY_BASED_POLICY": "identity",
    "PERMISSIONS_BOUNDARY": "permissions-boundary",
    "SESSION_POLICY": "session-policy",
}
EFFECT_DECISIONS = {"ALLOW": "allow", "EXPLICIT_DENY": "explicit-deny", "IMPLICIT_DENY": "implicit-deny"}


# -----------------------------------------------------------------------------------------------------------
# Edge: fetch through the collector's call (cached per account, errors as {"Error": ...})
# -----------------------------------------------------------------------------------------------------------
def fetch_record(call: Call, account: str | None, authorization_id: str) -> dict[str, Any]:
    """The snapshot part for one authorization ID, read with the read role of `account` (the principal's).

    Shape: `{"id", "account", "calls": {"GetRequestAuthorizationDetails": merged pages | error,
    "GetRequestAuthorizationPolicy": {policy uri: answer}}}`.
    """
    out: dict[str, Any] = {"id": authorization_id, "account": account, "calls": {}}
    merged: Answer = {"requestContext": {}, "evaluations": [], "policies": []}
    token: str | None = None
    for _ in range(MAX_PAGES):
        params: dict[str, Any] = {"authorizationId": authorization_id}
        if token:
            params["nextToken"] = token
        page = call(account, SERVICE, "GetRequestAuthorizationDetails", REGION, **params)
        if "Error" in page:
            out["calls"]["GetRequestAuthorizationDetails"] = page
            return out
        merged["requestContext"].update(page.get("requestContext") or {})
        merged["evaluations"] += page.get("evaluations") or []
        merged["policies"] += page.get("policies") or []
        token = page.get("nextToken")
        if not token:
            break
    out["calls"]["GetRequestAuthorizationDetails"] = merged
    documents: dict[str, Answer] = {}
    for policy in merged["policies"]:
        uri = policy.get("uri") if isinstance(policy, dict) else None
        if isinstance(uri, str) and uri not in documents:
            params = {"authorizationId": authorization_id, "policyUri": uri}
            documents[uri] = call(account, SERVICE, "GetRequestAuthorizationPolicy", REGION, **params)
    out["calls"]["GetRequestAuthorizationPolicy"] = documents
    return out


# -----------------------------------------------------------------------------------------------------------
# Core: typed values
# -----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MatchedStatement:
    sid: str | None
    effect: str  # ALLOW | DENY


@dataclass(frozen=True, slots=True)
class MatchedPolicy:
    uri: str
    statements: tuple[MatchedStatement, ...] = ()


@dataclass(frozen=True, slots=True)
class RecordCheck:
    """One authorization requirement AWS evaluated (a policy type, at one organization target for SCP/RCP)."""

    check_type: str
    effect: str  # ALLOW | NO_IMPACT | IMPLICIT_DENY | EXPLICIT_DENY
    target_arn: str | None = None
    matched: tuple[MatchedPolicy, ...] = ()

    @property
    def layer(self) -> str:
        return CHECK_LAYERS.get(self.check_type, self.check_type.lower())

    @property
    def denies(self) -> bool:
        return self.effect in ("IMPLICIT_DENY", "EXPLICIT_DENY")


@dataclass(frozen=True, slots=True)
class RecordEvaluation:
    action: str
    resource: str
    effect: str | None  # ALLOW | EXPLICIT_DENY | IMPLICIT_DENY
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    checks: tuple[RecordCheck, ...] = ()

    @property
    def decision(self) -> str | None:
        return EFFECT_DECISIONS.get(self.effect or "")

    @property
    def denying_checks(self) -> tuple[RecordCheck, ...]:
        """The checks that denied: the explicit deny if there is one, else every implicit one."""
        explicit = tuple(c for c in self.checks if c.effect == "EXPLICIT_DENY")
        return explicit or tuple(c for c in self.checks if c.effect == "IMPLICIT_DENY")


@dataclass(frozen=True, slots=True)
class RecordPolicy:
    uri: str
    policy_type: str
    inline: bool
    attached_to: tuple[str, ...]
    document: Any | None  # as it was at the denial; None when it could not be read
    detail: str = ""  # why the document could not be read

    @property
    def layer(self) -> str:
        return POLICY_TYPE_LAYERS.get(self.policy_type, self.policy_type.lower())


@dataclass(frozen=True, slots=True)
class AuthorizationRecord:
    """AWS's record of one denial."""

    authorization_id: str
    account: str | None
    context: Mapping[str, tuple[str, ...]]
    evaluations: tuple[RecordEvaluation, ...]
    policies: tuple[RecordPolicy, ...]

    def evaluation_for(self, action: str | None) -> RecordEvaluation | None:
        """The evaluation of `action` (case-insensitive), else the first denied one."""
        if action:
            for e in self.evaluations:
                if e.action.lower() == action.lower():
                    return e
        return next((e for e in self.evaluations if e.decision != "allow"), None) or (
            self.evaluations[0] if self.evaluations else None
        )

    def context_for(self, evaluation: RecordEvaluation | None) -> dict[str, tuple[str, ...]]:
        """The request context, with the evaluation's own keys on top (as AWS applies them)."""
        out = dict(self.context)
        if evaluation is not None:
            out.update(evaluation.context)
        return out

    def policy(self, uri: str) -> RecordPolicy | None:
        return next((p for p in self.policies if p.uri == uri), None)


@dataclass(frozen=True, slots=True)
class RecordUnavailable:
    """Why AWS's record cannot be had, in one line."""

    authorization_id: str | None
    reason: str


def _values(value: Any) -> tuple[str, ...]:
    """A context value (a JSON document) as the engine's strings: booleans lower-case, lists flattened."""
    if isinstance(value, list):
        return tuple(v for item in value for v in _values(item))
    if isinstance(value, bool):
        return ("true" if value else "false",)
    if value is None:
        return ()
    if isinstance(value, dict):
        return ()
    return (str(value),)


def _context(raw: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict):
        return {}
    return {str(k): _values(v) for k, v in raw.items() if _values(v)}


def _matched(raw: Any) -> tuple[MatchedPolicy, ...]:
    out = []
    for m in raw if isinstance(raw, list) else []:
        if not isinstance(m, dict) or not isinstance(m.get("uri"), str):
            continue
        statements = tuple(
            MatchedStatement(s.get("sid"), str(s.get("evaluatedEffect", "")))
            for s in m.get("matchedStatements") or []
            if isinstance(s, dict)
        )
        out.append(MatchedPolicy(m["uri"], statements))
    return tuple(out)


def unavailable_reason(error: Answer, *, authorization_id: str, account: str | None) -> str:
    """One line saying why the record could not be read, from the API's error."""
    err = error.get("Error") or {}
    code = str(err.get("Code", ""))
    message = str(err.get("Message", ""))
    where = f"account {account}" if account else "the principal's account"
    if code in ("ResourceNotFoundException", "404"):
        return (
            f"AWS has no record for authorization ID {authorization_id}: it has expired (AWS keeps records at "
            "least 24 hours) or the ID is wrong"
        )
    if code in ("AccessDeniedException", "AccessDenied", "403"):
        if "organization" in message.lower():
            return (
                f"AWS's record of {authorization_id} belongs to another organization: only principals of the denied "
                "principal's organization may read it"
            )
        return (
            f"s3why's role in {where} may not read AWS's record of {authorization_id} (needs "
            "iam:GetRequestAuthorizationDetails and iam:GetRequestAuthorizationPolicy)"
        )
    if code in ("ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded", "429"):
        return f"AWS kept throttling the request for its record of {authorization_id}; try again shortly"
    if code == "ValidationException":
        return f"AWS does not accept {authorization_id!r} as an authorization ID"
    if code in ("AccountNotConfigured", "AccountUnknown"):
        return f"AWS's record of {authorization_id} is read in the principal's account, which s3why cannot: {message}"
    return f"AWS's record of {authorization_id} could not be read ({code or 'error'})"


def authorization_record(part: Mapping[str, Any] | None) -> AuthorizationRecord | RecordUnavailable:
    """Interpret the snapshot part `fetch_record` wrote (or a hand-written one of the same shape)."""
    if not part or not part.get("id"):
        return RecordUnavailable(None, "the error text carries no authorization ID, so AWS's record was not read")
    auth_id = str(part["id"])
    account = part.get("account")
    calls = part.get("calls") or {}
    details = calls.get("GetRequestAuthorizationDetails")
    if not isinstance(details, dict):
        return RecordUnavailable(auth_id, f"AWS's record of {auth_id} was not collected")
    if "Error" in details:
        return RecordUnavailable(auth_id, unavailable_reason(details, authorization_id=auth_id, account=account))
    documents = calls.get("GetRequestAuthorizationPolicy") or {}
    policies = []
    for raw in details.get("policies") or []:
        if not isinstance(raw, dict) or not isinstance(raw.get("uri"), str):
            continue
        uri = raw["uri"]
        answer = documents.get(uri)
        document, detail = None, ""
        if isinstance(answer, dict) and "Error" in answer:
            detail = unavailable_reason(answer, authorization_id=auth_id, account=account)
        elif isinstance(answer, dict):
            document = answer.get("policyDocument")
        policies.append(
            RecordPolicy(
                uri=uri,
                policy_type=str(raw.get("type", "")),
                inline=bool(raw.get("inline")),
                attached_to=tuple(
                    str(a.get("arn")) for a in raw.get("attachedTo") or [] if isinstance(a, dict) and a.get("arn")
                ),
                document=document,
                detail=detail,
            )
        )
    evaluations = []
    for raw in details.get("evaluations") or []:
        if not isinstance(raw, dict):
            continue
        checks = tuple(
            RecordCheck(
                check_type=str(c.get("checkType", "")),
                effect=str(c.get("evaluatedEffect", "")),
                target_arn=c.get("targetArn"),
                matched=_matched(c.get("matchedPolicies")),
            )
            for c in raw.get("checks") or []
            if isinstance(c, dict)
        )
        evaluations.append(
            RecordEvaluation(
                action=str(raw.get("action", "")),
                resource=str(raw.get("resource", "")),
                effect=raw.get("evaluatedEffect"),
                context=_context(raw.get("context")),
                checks=checks,
            )
        )
    return AuthorizationRecord(
        authorization_id=auth_id,
        account=account,
        context=_context(details.get("requestContext")),
        evaluations=tuple(evaluations),
        policies=tuple(policies),
    )
