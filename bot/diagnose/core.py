"""The layered diagnosis: a parsed denied request + the account view -> every layer's verdict, the root causes.

Pure: it reads the `AccountView` (from a live collection or a snapshot) and evaluates with s3why's engine.
Layers are checked in AWS's order (S3_AUTHZ.md §0): credentials and request pre-checks, explicit denies, RCPs,
SCPs, the VPC endpoint, the core grant (identity and resource policies), boundary and session policies, then
S3's own settings (Block Public Access, Object Ownership and ACLs, Object Lock, Requester Pays) and KMS.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from bot.account.view import ABSENT, PRESENT, AccountView, NamedPolicy, policy_doc
from bot.arn import Arn, s3_arn
from bot.diagnose.model import (
    ALLOW,
    DENY,
    LAYER_ORDER,
    NO_ALLOW,
    NOT_APPLICABLE,
    UNKNOWN,
    Diagnosis,
    LayerReport,
    RootCause,
)
from bot.diagnose.public import is_public_policy
from bot.diagnose.s3_newer import express_session, is_directory_bucket, resource_tag_context, sse_c_blocked
from bot.engine import AuthzRequest, EvaluationResult, Policy, PolicyKind, PolicySet, evaluate, parse_policy
from bot.engine.policy import compiled_policy
from bot.engine.principal import PrincipalKind, parse_principal
from bot.errors import PolicyError
from bot.layers import LayerId
from bot.parse.lookalikes import LOOKALIKES
from bot.parse.model import DeniedRequest
from bot.s3ops import S3_OPERATIONS, OperationSpec, ResourceKind, lookup_operation

_CREDENTIAL_CODES = frozenset(
    {
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "InvalidToken",
        "TokenRefreshRequired",
        "RequestTimeTooSkewed",
        "InvalidClientTokenId",
        "ExpiredTokenException",
        "UnrecognizedClientException",
    }
)
_PUBLIC_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})
_READS_WITH_KMS = frozenset({"GetObject", "SelectObjectContent", "CopyObject", "UploadPartCopy"})
_WRITES = frozenset(
    {"PutObject", "CopyObject", "CreateMultipartUpload", "UploadPart", "UploadPartCopy", "CompleteMultipartUpload"}
)
_MISSING_OBJECT_OPS = frozenset({"GetObject", "HeadObject", "GetObjectAttributes"})


@dataclass(frozen=True)
class DiagnoseOptions:
    principal: str | None = None
    context: dict[str, tuple[str, ...]] = field(default_factory=dict)
    session_policy: Any = None


@dataclass
class _Work:
    """Everything one diagnosis accumulates while it walks the layers."""

    layers: dict[LayerId, LayerReport] = field(default_factory=dict)
    causes: list[RootCause] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def set(self, layer: LayerId, verdict: str, detail: str = "") -> None:
        self.layers[layer] = LayerReport(layer, verdict, detail)

    def cause(self, layer: LayerId, kind: str, summary: str, **evidence: Any) -> None:
        self.causes.append(RootCause(layer, kind, summary, {k: v for k, v in evidence.items() if v is not None}))


# ---------------------------------------------------------------------------------------------------------
# Resolving the request
# ---------------------------------------------------------------------------------------------------------
def _operation(req: DeniedRequest) -> OperationSpec | None:
    if req.operation:
        spec = lookup_operation(req.operation)
        if spec is not None:
            return spec
    if req.action and req.action.lower().startswith("s3:"):
        for spec in S3_OPERATIONS.values():
            if spec.primary_action.lower() == req.action.lower() and spec.operation.lower() in (
                req.action.split(":", 1)[1].lower(),
                "listobjectsv2",
                "headbucket",
            ):
                return spec
        for spec in S3_OPERATIONS.values():
            if spec.primary_action.lower() == req.action.lower():
                return spec
    return None


def _parse(named: NamedPolicy, kind: PolicyKind, work: _Work, layer: LayerId) -> Policy | None:
    try:
        return compiled_policy(named.document, name=named.name, kind=kind)
    except PolicyError as exc:
        work.notes.append(f"{named.name} could not be evaluated: {exc.reason} ({exc.where or 'document'})")
        work.set(layer, UNKNOWN, f"{named.name} is malformed: {exc.reason}")
        return None


def _single(ctx: dict[str, tuple[str, ...]], key: str) -> str | None:
    for k, v in ctx.items():
        if k.lower() == key.lower() and v:
            return v[0]
    return None


# ---------------------------------------------------------------------------------------------------------
# The diagnosis
# ---------------------------------------------------------------------------------------------------------
def diagnose(req: DeniedRequest, view: AccountView, options: DiagnoseOptions | None = None) -> Diagnosis:
    options = options or DiagnoseOptions()
    work = _Work()
    if req.key is None and req.resource_arn and ":accesspoint/" in req.resource_arn and "/object/" in req.resource_arn:
        req = replace(req, key=req.resource_arn.split("/object/", 1)[1])
    principal_arn = options.principal or req.principal_arn
    spec = _operation(req)
    bucket = view.bucket
    resolved: dict[str, Any] = dict(req.to_json())

    # --- credentials, presigned URLs: before any policy ----------------------------------------------------
    code = req.error_code or ""
    if code in _CREDENTIAL_CODES:
        look = LOOKALIKES.get(code)
        summary = f"{code}: {look.title if look else 'the credentials were rejected'}"
        work.set(LayerId.CREDENTIALS, DENY, look.explanation if look else summary)
        work.cause(
            LayerId.CREDENTIALS, "setting", summary, error_code=code, explanation=look.explanation if look else None
        )
    else:
        work.set(
            LayerId.CREDENTIALS, NOT_APPLICABLE, "the credentials were accepted (the error is an authorization one)"
        )
    expired = req.presigned_expired
    if expired:
        work.set(LayerId.PRESIGNED_URL, DENY, "the presigned URL's lifetime ran out (Request has expired)")
        work.cause(
            LayerId.PRESIGNED_URL,
            "setting",
            "the presigned URL expired: presign it again (a lifetime of at most 7 days, and no longer than the "
            "signing credentials live)",
        )
    elif _single(options.context, "s3:authType") == "REST-QUERY-STRING":
        work.set(LayerId.PRESIGNED_URL, ALLOW, "a presigned URL is authorized with its signer's current permissions")
    else:
        work.set(LayerId.PRESIGNED_URL, NOT_APPLICABLE, "not a presigned request (pass s3:authType=REST-QUERY-STRING)")

    if principal_arn is None:
        work.notes.append("the text does not say which principal made the request: pass --principal ARN")
    if spec is None:
        work.notes.append("the text does not name the S3 operation: the action cannot be resolved")

    if principal_arn is not None and spec is not None and (bucket is not None or spec.resource is ResourceKind.ACCOUNT):
        _authorize(req, view, options, spec, principal_arn, work, resolved)
    else:
        for layer in (LayerId.IDENTITY, LayerId.BUCKET_POLICY, LayerId.SCP, LayerId.RCP):
            if layer not in work.layers:
                why = "which principal made the call?" if principal_arn is None else "the request is not resolved"
                work.set(layer, UNKNOWN, why)

    for layer in LAYER_ORDER:
        work.layers.setdefault(layer, LayerReport(layer, NOT_APPLICABLE, "does not apply to this request"))
    layers = tuple(work.layers[layer] for layer in LAYER_ORDER)
    causes = _rank(work.causes)
    decision = _decision(layers, causes)
    if decision == ALLOW:
        work.notes.extend(_allowed_possibilities(req, principal_arn))
    for fact in view.unknowns():
        work.notes.append(f"not seen: {fact.detail}")
    return Diagnosis(resolved, decision, causes, layers, (), tuple(dict.fromkeys(work.notes)))


def _rank(causes: list[RootCause]) -> tuple[RootCause, ...]:
    order = {layer: i for i, layer in enumerate(LAYER_ORDER)}
    kind_rank = {"explicit": 0, "setting": 1, "condition": 1, "implicit": 2}
    return tuple(sorted(causes, key=lambda c: (kind_rank.get(c.kind, 3), order.get(c.layer, 99))))


def _decision(layers: tuple[LayerReport, ...], causes: tuple[RootCause, ...]) -> str:
    verdicts = {r.verdict for r in layers}
    if any(c.kind == "explicit" for c in causes) or (DENY in verdicts and any(c.kind != "implicit" for c in causes)):
        return "explicit-deny" if any(c.kind == "explicit" for c in causes) else "implicit-deny"
    if causes:
        return "implicit-deny"
    if UNKNOWN in verdicts:
        return "unknown"
    return ALLOW


def _allowed_possibilities(req: DeniedRequest, principal: str | None) -> list[str]:
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


# ---------------------------------------------------------------------------------------------------------
# The authorization layers
# ---------------------------------------------------------------------------------------------------------
_ENGINE_LAYERS = (
    LayerId.SCP,
    LayerId.RCP,
    LayerId.VPC_ENDPOINT_POLICY,
    LayerId.IDENTITY,
    LayerId.PERMISSIONS_BOUNDARY,
    LayerId.SESSION_POLICY,
)


@dataclass
class _Inputs:
    """The policies and facts one check evaluates against, with what s3why could not see."""

    identity: tuple[Policy, ...] = ()
    boundary: Policy | None = None
    session: Policy | None = None
    scps: tuple[tuple[Policy, ...], ...] | None = None
    rcps: tuple[tuple[Policy, ...], ...] | None = None
    vpce: Policy | None = None
    unknown: dict[LayerId, str] = field(default_factory=dict)


def _org_policies(view: AccountView, which: str, kind: str, account: str | None, work: _Work, layer: LayerId) -> Any:
    """SCP (or RCP) levels for an account, None when outside an organization, or a reason it is unknown."""
    org = view.organizations.get(which)
    if org is None or account is None or org.account != account:
        return None
    if org.membership.status == ABSENT:
        return None
    if org.membership.status != PRESENT:
        return org.membership.detail or "the organization could not be read"
    master = (org.membership.value or {}).get("Organization", {}).get("MasterAccountId")
    if master == account:
        return None  # SCPs and RCPs do not apply to the management account
    levels: list[tuple[Policy, ...]] = []
    for level in org.levels:
        fact = level.scps if kind == "scp" else level.rcps
        if not fact.present:
            return fact.detail or f"the {kind.upper()}s of {level.target} could not be read"
        parsed = []
        for named in fact.value:
            if kind == "rcp" and named.name == "RCPFullAWSAccess":
                continue  # the engine attaches it at every level
            policy = _parse(named, PolicyKind.SCP if kind == "scp" else PolicyKind.RCP, work, layer)
            if policy is not None:
                parsed.append(policy)
        levels.append(tuple(parsed))
    return tuple(levels)


def _inputs(
    view: AccountView,
    options: DiagnoseOptions,
    principal_account: str | None,
    resource_account: str | None,
    work: _Work,
) -> _Inputs:
    out = _Inputs()
    p = view.principal
    if p is not None:
        for fact in p.facts.values():
            if not fact.known:
                out.unknown[LayerId.IDENTITY] = fact.detail
        out.identity = tuple(
            x for x in (_parse(n, PolicyKind.IDENTITY, work, LayerId.IDENTITY) for n in p.policies) if x
        )
        if p.boundary is not None:
            out.boundary = _parse(p.boundary, PolicyKind.PERMISSIONS_BOUNDARY, work, LayerId.PERMISSIONS_BOUNDARY)
    if options.session_policy is not None:
        out.session = _parse(
            NamedPolicy("session policy", options.session_policy), PolicyKind.SESSION, work, LayerId.SESSION_POLICY
        )
    scps = _org_policies(view, "principal_account", "scp", principal_account, work, LayerId.SCP)
    if isinstance(scps, str):
        out.unknown[LayerId.SCP] = scps
    else:
        out.scps = scps
    which = "principal_account" if resource_account == principal_account else "resource_account"
    rcps = _org_policies(view, which, "rcp", resource_account, work, LayerId.RCP)
    if isinstance(rcps, str):
        out.unknown[LayerId.RCP] = rcps
    else:
        out.rcps = rcps
    if view.vpc_endpoint is not None:
        if view.vpc_endpoint.present and view.vpc_endpoint.value is not None:
            out.vpce = _parse(
                NamedPolicy("VPC endpoint policy", view.vpc_endpoint.value),
                PolicyKind.VPC_ENDPOINT,
                work,
                LayerId.VPC_ENDPOINT_POLICY,
            )
        elif not view.vpc_endpoint.known:
            out.unknown[LayerId.VPC_ENDPOINT_POLICY] = view.vpc_endpoint.detail
    return out


def _base_context(view: AccountView, options: DiagnoseOptions, principal_arn: str) -> dict[str, tuple[str, ...]]:
    ctx: dict[str, tuple[str, ...]] = {}
    p = view.principal
    if p is not None:
        if p.role_arn:
            ctx["aws:PrincipalArn"] = (p.role_arn,)  # with its path, which a session ARN drops
        for k, v in p.tags.items():
            ctx[f"aws:PrincipalTag/{k}"] = (v,)
    org = view.organizations.get("principal_account")
    if org is not None and org.membership.present:
        org_id = (org.membership.value or {}).get("Organization", {}).get("Id")
        if org_id:
            ctx["aws:PrincipalOrgID"] = (org_id,)
    who = parse_principal(principal_arn)
    ctx["aws:PrincipalType"] = (
        {
            PrincipalKind.USER: "User",
            PrincipalKind.ROLE_SESSION: "AssumedRole",
            PrincipalKind.ROLE: "AssumedRole",
            PrincipalKind.ROOT: "Account",
            PrincipalKind.FEDERATED_USER: "FederatedUser",
            PrincipalKind.ANONYMOUS: "Anonymous",
        }.get(who.kind, "AWSService"),
    )
    ctx.setdefault("aws:SecureTransport", ("true",))
    ctx.update({k: v for k, v in options.context.items() if not k.startswith("x-amz-")})
    return ctx


def _statement_json(policy_doc: Any, index: int) -> Any:
    statements = policy_doc.get("Statement") if isinstance(policy_doc, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if isinstance(statements, list) and 0 <= index < len(statements):
        return statements[index]
    return None


def _evidence(result: EvaluationResult, layer_id: LayerId, documents: dict[str, Any]) -> dict[str, Any]:
    """The statement and failing condition behind one engine layer's verdict."""
    layer = result.layer(layer_id)
    if layer is None or not layer.statements:
        return {}
    ref = layer.statements[0]
    out: dict[str, Any] = {"policy": ref.policy, "sid": ref.sid, "statement_index": ref.index}
    doc = documents.get(ref.policy)
    if doc is not None:
        out["statement"] = _statement_json(doc, ref.index)
    failing = list(ref.conditions) if ref.matched else [c for c in ref.conditions if not c.passed]
    if failing:
        c = failing[0]
        out["condition"] = {
            "operator": c.operator,
            "key": c.key,
            "policy_values": list(c.policy_values),
            "request_values": None if c.request_values is None else list(c.request_values),
        }
    return out


_NOT_IN_ORG = {
    LayerId.SCP: "not in an organization, or the management account (SCPs do not apply)",
    LayerId.RCP: "the resource's account is not in an organization, or is the management account (RCPs do not apply)",
}


def _engine_to_report(result: EvaluationResult, layer_id: LayerId, unknown: dict[LayerId, str]) -> LayerReport:
    layer = result.layer(layer_id)
    if (
        layer is not None
        and layer.verdict.value == "not-applicable"
        and layer_id in _NOT_IN_ORG
        and "given" in layer.detail
    ):
        return LayerReport(layer_id, NOT_APPLICABLE, _NOT_IN_ORG[layer_id])
    if layer_id in unknown and (layer is None or layer.verdict.value != "deny"):
        return LayerReport(layer_id, UNKNOWN, unknown[layer_id])
    if layer is None:
        return LayerReport(layer_id, NOT_APPLICABLE, "")
    return LayerReport(layer_id, layer.verdict.value, layer.detail)


def _authorize(
    req: DeniedRequest,
    view: AccountView,
    options: DiagnoseOptions,
    spec: OperationSpec,
    principal_arn: str,
    work: _Work,
    resolved: dict[str, Any],
) -> None:
    bucket = view.bucket
    owner = bucket.account if bucket else None
    versioned = _single(options.context, "s3:versionid") is not None
    actions = spec.actions_for(versioned=versioned)
    if spec.resource is ResourceKind.ACCOUNT or bucket is None:
        resource = "*"
    elif spec.resource is ResourceKind.OBJECT and req.key is not None:
        resource = s3_arn(bucket.name, req.key)
    else:
        resource = s3_arn(bucket.name)
    express = None
    if bucket is not None and is_directory_bucket(bucket.name):
        # A directory bucket: the request is authorized by s3express:CreateSession on the bucket (s3_newer.py).
        op, region = spec.operation, bucket.region or req.region
        express = express_session(bucket.name, region=region, account=owner, operation=op, ctx=options.context)
        actions, resource = (express.action,), express.resource
    resolved.update(principal_arn=principal_arn, resource_arn=req.resource_arn or resource)
    resolved["resolved"] = {
        "principal": principal_arn,
        "resource": resource,
        "actions": list(actions),
        "resource_owner": owner,
    }
    who = parse_principal(principal_arn)
    principal_account = who.account
    inputs = _inputs(view, options, principal_account, owner, work)
    ctx = _base_context(view, options, principal_arn)
    if owner:
        ctx.setdefault("aws:ResourceAccount", (owner,))
        ctx.setdefault("s3:ResourceAccount", (owner,))
    if express is not None:
        ctx.update(express.context)
    if bucket is not None:
        for k, v in resource_tag_context(bucket).items():  # ABAC: the bucket's tags are its resource tags
            ctx.setdefault(k, v)
    through = view.vpc_endpoint is not None or "aws:SourceVpce" in ctx
    for k, v in view.derived_context(
        principal_account=principal_account, resource_account=owner, through_endpoint=through
    ).items():
        ctx.setdefault(k, v)

    # The bucket policy (or what s3why knows of it).
    documents: dict[str, Any] = {n.name: n.document for n in (view.principal.policies if view.principal else ())}
    bucket_policy: Policy | None = None
    bucket_layer_unknown: str | None = None
    if bucket is not None:
        bp = bucket.policy
        if bp.present:
            bucket_policy = _parse(
                NamedPolicy(f"bucket policy of {bucket.name}", bp.value),
                PolicyKind.RESOURCE,
                work,
                LayerId.BUCKET_POLICY,
            )
            documents[f"bucket policy of {bucket.name}"] = bp.value
        elif not bp.known:
            bucket_layer_unknown = bp.detail
    for scp_levels in inputs.scps or ():
        for policy in scp_levels:
            documents[policy.name] = policy.document
    for rcp_levels in inputs.rcps or ():
        for policy in rcp_levels:
            documents[policy.name] = policy.document
    if inputs.vpce is not None:
        documents[inputs.vpce.name] = inputs.vpce.document
    if inputs.boundary is not None:
        documents[inputs.boundary.name] = inputs.boundary.document

    policies = PolicySet(
        identity=inputs.identity,
        resource=bucket_policy,
        boundary=inputs.boundary,
        session=inputs.session,
        scps=inputs.scps,
        rcps=inputs.rcps,
        vpc_endpoint=inputs.vpce,
    )
    main = _authorize_core(who, actions, resource, owner, ctx, policies)

    ap_result = _access_point(
        req, view, spec, who, owner, actions, inputs, ctx, work, documents, policies, bucket_policy
    )
    if ap_result is not None:
        # Through an access point, the identity side is checked against the access point ARN.
        main = ap_result[0]
        results_bucket = ap_result[1]
        del results_bucket

    # Engine layers -> diagnosis layers.
    for layer_id in _ENGINE_LAYERS:
        work.layers[layer_id] = _engine_to_report(main, layer_id, inputs.unknown)
    bucket_report = _engine_to_report(main, LayerId.BUCKET_POLICY, {})
    if bucket_layer_unknown and bucket_report.verdict != "deny":
        bucket_report = LayerReport(LayerId.BUCKET_POLICY, UNKNOWN, bucket_layer_unknown)
    elif bucket is not None and bucket.policy.status == ABSENT:
        if who.account is not None and owner is not None and who.account != owner:
            bucket_report = LayerReport(
                LayerId.BUCKET_POLICY,
                NO_ALLOW,
                f"bucket {bucket.name} has no bucket policy: nothing grants another account",
            )
        else:
            bucket_report = LayerReport(
                LayerId.BUCKET_POLICY, NOT_APPLICABLE, f"bucket {bucket.name} has no bucket policy"
            )
    work.layers.setdefault(LayerId.BUCKET_POLICY, bucket_report)

    # Root causes from the engine's decision, in AWS's order.
    if main.decision.value == "explicit-deny":
        for layer_id in (
            LayerId.SCP,
            LayerId.RCP,
            LayerId.VPC_ENDPOINT_POLICY,
            LayerId.BUCKET_POLICY,
            LayerId.IDENTITY,
            LayerId.PERMISSIONS_BOUNDARY,
            LayerId.SESSION_POLICY,
        ):
            layer = main.layer(layer_id)
            if layer is not None and layer.verdict.value == "deny":
                ev = _evidence(main, layer_id, documents)
                kind = "condition" if "condition" in ev else "explicit"
                summary = f"explicit Deny in {layer.detail.removeprefix('explicit Deny in ')}"
                if "condition" in ev:
                    c = ev["condition"]
                    got = "absent" if c["request_values"] is None else ", ".join(c["request_values"])
                    summary += f": {c['operator']} {c['key']} {c['policy_values']} matched (request: {got})"
                work.cause(layer_id, kind if kind == "explicit" else "explicit", summary, **ev)
                _alternatives(
                    work,
                    main,
                    request_builder=lambda extra: _reevaluate(who, actions, resource, owner, ctx, extra, policies),
                )
    elif main.decision.value == "implicit-deny":
        _implicit_causes(
            main, work, documents, who, owner, principal_account, bucket_policy, bucket_layer_unknown, inputs
        )
        _alternatives(
            work, main, request_builder=lambda extra: _reevaluate(who, actions, resource, owner, ctx, extra, policies)
        )

    # S3's own layers and KMS.
    if bucket is not None:
        _block_public_access(
            req, view, options, spec, who, owner, bucket_policy, main, policies, actions, resource, ctx, work
        )
        _ownership_and_acls(req, view, options, spec, who, owner, work)
        _object_lock(view, options, spec, who, owner, ctx, policies, resource, work)
        _requester_pays(view, options, who, owner, work)
        sse_c = sse_c_blocked(bucket, spec.operation, options.context)
        if sse_c is not None:
            work.set(LayerId.REQUEST_HEADERS, DENY, sse_c.detail)
            work.cause(LayerId.REQUEST_HEADERS, "setting", sse_c.summary, **sse_c.evidence)
        _kms(req, view, options, spec, who, owner, inputs, ctx, work)
        if main.decision.value != "explicit-deny":
            _missing_object(view, spec, who, owner, policies, ctx, work, main)
    _cloudfront(who, bucket_policy, main, work, documents)


def _resource_near_miss(policies: tuple[Policy, ...], result: EvaluationResult) -> dict[str, Any] | None:
    """An Allow that names the action but another resource: the classic bucket-ARN/object-ARN mix-up."""
    action = result.action
    resource = result.resource
    for policy in policies:
        for st in policy.statements_for_action(action):
            if not st.is_allow or st.resources is None or st.not_resource:
                continue
            patterns = [r.text for r in st.resources]
            hint = f"statement {st.label} of {policy.name} allows {action} on {', '.join(patterns)}, not on {resource}"
            arn = Arn.parse(resource)
            if arn is not None and arn.is_s3_bucket_or_object:
                if arn.s3_key is None and any(p.startswith(resource + "/") for p in patterns):
                    hint += f" ({action} acts on the bucket ARN {resource}, not on its objects)"
                elif arn.s3_key is not None and any(p == s3_arn(arn.s3_bucket or "") for p in patterns):
                    hint += (
                        f" ({action} acts on objects: {s3_arn(arn.s3_bucket or '')}/* or a prefix, not the bucket ARN)"
                    )
            return {
                "policy": policy.name,
                "sid": st.sid,
                "statement_index": st.index,
                "statement": st.raw,
                "hint": hint,
            }
    return None


def _authorize_core(who: Any, actions: tuple[str, ...], resource: str, owner: str | None,
                    ctx: dict[str, tuple[str, ...]], policies: PolicySet) -> EvaluationResult:  # fmt: skip
    """The core grant for every action the operation needs; the worst decision stands."""
    return _worst([evaluate(AuthzRequest(who, action, resource, owner, dict(ctx)), policies) for action in actions])


def _worst(results: list[EvaluationResult]) -> EvaluationResult:
    return min(results, key=lambda r: {"explicit-deny": 0, "implicit-deny": 1, "allow": 2}[r.decision.value])


def _access_point(
    req: DeniedRequest,
    view: AccountView,
    spec: OperationSpec,
    who: Any,
    owner: str | None,
    actions: tuple[str, ...],
    inputs: _Inputs,
    ctx: dict[str, tuple[str, ...]],
    work: _Work,
    documents: dict[str, Any],
    policies: PolicySet,
    bucket_policy: Policy | None,
) -> tuple[EvaluationResult, EvaluationResult] | None:
    """Through an access point both must allow: the access point (its policy, on the access point ARN) and the
    bucket (its policy, on the bucket ARN, seeing s3:DataAccessPointArn) — S3 User Guide, access point policies."""
    if view.access_point is None or view.bucket is None:
        return None
    info = view.access_point.get("GetAccessPoint")
    ap_policy_fact = view.access_point.get("GetAccessPointPolicy")
    if info is None or not info.present:
        work.set(LayerId.ACCESS_POINT_POLICY, UNKNOWN, info.detail if info else "the access point was not read")
        return None
    ap_account = info.account or owner
    name = info.value.get("Name")
    region = view.bucket.region or "us-east-1"
    ap_arn = info.value.get("AccessPointArn") or f"arn:aws:s3:{region}:{ap_account}:accesspoint/{name}"
    ap_resource = f"{ap_arn}/object/{req.key}" if spec.resource is ResourceKind.OBJECT and req.key else ap_arn
    ap_policy = None
    if ap_policy_fact is not None and ap_policy_fact.present:
        doc = policy_doc(ap_policy_fact.value.get("Policy"))
        ap_policy = _parse(
            NamedPolicy(f"access point policy of {name}", doc), PolicyKind.RESOURCE, work, LayerId.ACCESS_POINT_POLICY
        )
        documents[f"access point policy of {name}"] = doc
    ap_ctx = dict(ctx)
    ap_ctx.update(
        {
            "s3:DataAccessPointArn": (ap_arn,),
            "s3:DataAccessPointAccount": (ap_account or "",),
            "s3:AccessPointNetworkOrigin": (str(info.value.get("NetworkOrigin") or "Internet"),),
        }
    )
    ap_eval = _worst(
        [
            evaluate(AuthzRequest(who, a, ap_resource, ap_account, dict(ap_ctx)), replace(policies, resource=ap_policy))
            for a in actions
        ]
    )
    bucket_resource = (
        s3_arn(view.bucket.name, req.key)
        if spec.resource is ResourceKind.OBJECT and req.key
        else s3_arn(view.bucket.name)
    )
    # The bucket's side: the bucket policy must allow the request that arrives through the access point.
    bucket_eval = _worst(
        [
            evaluate(
                AuthzRequest(who, a, bucket_resource, owner, dict(ap_ctx)), replace(policies, resource=bucket_policy)
            )
            for a in actions
        ]
    )
    ap_layer = ap_eval.layer(LayerId.ACCESS_POINT_POLICY)
    work.set(
        LayerId.ACCESS_POINT_POLICY,
        ap_layer.verdict.value if ap_layer else NOT_APPLICABLE,
        ap_layer.detail if ap_layer else "",
    )
    # The bucket's side holds when the request is allowed there, or when the bucket policy itself allows it and
    # nothing denies (identity policies are checked on the access point ARN, not the bucket's).
    bucket_layer = bucket_eval.layer(LayerId.BUCKET_POLICY)
    bucket_side_ok = bucket_eval.decision.value == "allow" or (
        bucket_layer is not None
        and bucket_layer.verdict.value == "allow"
        and bucket_eval.decision.value != "explicit-deny"
    )
    if ap_eval.decision.value == "allow" and not bucket_side_ok:
        delegates = bucket_policy is not None and any(
            s.is_allow
            and any(c.key.lower() in ("s3:dataaccesspointaccount", "s3:dataaccesspointarn") for c in s.conditions)
            for s in bucket_policy.statements
        )
        summary = (
            "the access point allows the request, but the bucket policy does not delegate access control to "
            'access points (no Allow for "*" with an s3:DataAccessPointAccount condition) and grants nothing '
            "else to this principal"
            if not delegates
            else "the access point allows the request, but the bucket policy does not allow it through this "
            "access point"
        )
        work.set(LayerId.BUCKET_POLICY, NO_ALLOW if bucket_eval.decision.value == "implicit-deny" else DENY, summary)
        ev = _evidence(bucket_eval, LayerId.BUCKET_POLICY, documents)
        work.cause(
            LayerId.BUCKET_POLICY,
            "explicit" if bucket_eval.decision.value == "explicit-deny" else "implicit",
            summary,
            access_point=ap_arn,
            delegation=delegates,
            **ev,
        )
    return ap_eval, bucket_eval


def _reevaluate(
    who: Any,
    actions: tuple[str, ...],
    resource: str,
    owner: str | None,
    ctx: dict[str, tuple[str, ...]],
    extra: dict[str, tuple[str, ...] | None],
    policies: PolicySet,
) -> str:
    context = dict(ctx)
    for k, v in extra.items():
        if v is None:
            context.pop(k, None)
        else:
            context[k] = v
    worst = "allow"
    for action in actions:
        d = evaluate(AuthzRequest(who, action, resource, owner, context), policies).decision.value
        if d == "explicit-deny" or (d == "implicit-deny" and worst == "allow"):
            worst = d
    return worst


_BOOL_KEYS = ("aws:securetransport", "aws:viaawsservice", "aws:multifactorauthpresent", "aws:principalisawsservice")


def _alternatives(work: _Work, result: EvaluationResult, *, request_builder: Any) -> None:
    """For context keys the text cannot tell that decided the outcome, say which value leads where."""
    if not work.causes:
        return
    cause = work.causes[-1]
    keys = set(result.absent_keys)
    cond = cause.evidence.get("condition")
    if cond:
        keys.add(cond["key"])
    outcomes = []
    for key in sorted(keys, key=str.lower):
        values: list[str | None] = []
        if key.lower() in _BOOL_KEYS:
            values = ["true", "false"]
        elif cond and cond["key"] == key:
            values = [v for v in cond["policy_values"] if "*" not in v and "${" not in v][:3]
            values.append(None)
        else:
            continue
        for value in values:
            decision = request_builder({key: None if value is None else (value,)})
            outcomes.append({"context": {key: value}, "decision": decision})
    if outcomes and len({o["decision"] for o in outcomes}) > 1:
        evidence = dict(cause.evidence)
        evidence["alternatives"] = outcomes
        work.causes[-1] = replace(cause, evidence=evidence)


def _implicit_causes(
    result: EvaluationResult,
    work: _Work,
    documents: dict[str, Any],
    who: Any,
    owner: str | None,
    principal_account: str | None,
    bucket_policy: Policy | None,
    bucket_unknown: str | None,
    inputs: _Inputs,
) -> None:
    def layer_verdict(layer_id: LayerId) -> str:
        layer = result.layer(layer_id)
        return layer.verdict.value if layer else "not-applicable"

    for layer_id, what in (
        (LayerId.RCP, "RCP"),
        (LayerId.SCP, "SCP"),
        (LayerId.VPC_ENDPOINT_POLICY, "VPC endpoint policy"),
    ):
        if layer_verdict(layer_id) == "no-allow":
            ev = _evidence(result, layer_id, documents)
            work.cause(
                layer_id,
                "condition" if "condition" in ev else "implicit",
                f"no {what} allows the request: {result.reason}",
                **ev,
            )
            return
    same_account = principal_account is not None and principal_account == owner
    identity_ok = layer_verdict(LayerId.IDENTITY) in ("allow",)
    # Through an access point the resource policy evaluated with the identity side is the access point's.
    via_access_point = result.layer(LayerId.ACCESS_POINT_POLICY) is not None
    resource_layer = LayerId.ACCESS_POINT_POLICY if via_access_point else LayerId.BUCKET_POLICY
    bucket_ok = layer_verdict(resource_layer) == "allow"
    if who.kind in (PrincipalKind.ANONYMOUS, PrincipalKind.SERVICE):
        if bucket_unknown:
            return
        ev = _evidence(result, LayerId.BUCKET_POLICY, documents)
        work.cause(
            LayerId.BUCKET_POLICY,
            "condition" if "condition" in ev else "implicit",
            "no statement of the bucket policy allows this principal",
            **ev,
        )
        return
    if (
        not identity_ok
        and ((same_account and not bucket_ok) or not same_account)
        and LayerId.IDENTITY not in inputs.unknown
    ):
        ev = _evidence(result, LayerId.IDENTITY, documents)
        identity_layer = result.layer(LayerId.IDENTITY)
        summary = identity_layer.detail if identity_layer else "no identity-based policy allows the request"
        if not ev:
            miss = _resource_near_miss(inputs.identity, result)
            if miss is not None:
                summary += f"; {miss.pop('hint')}"
                ev = miss
        if ev.get("condition"):
            c = ev["condition"]
            got = "absent" if c["request_values"] is None else ", ".join(c["request_values"])
            which = ev.get("sid") or ev.get("statement_index")
            summary += f" (statement {which} needs {c['operator']} {c['key']} {c['policy_values']}, request: {got})"
        work.cause(LayerId.IDENTITY, "condition" if "condition" in ev else "implicit", summary, **ev)
    if not same_account and not bucket_ok and via_access_point:
        ev = _evidence(result, resource_layer, documents)
        work.cause(
            resource_layer,
            "condition" if "condition" in ev else "implicit",
            "cross-account: the access point's policy does not allow this principal (through an access point, "
            "another account's principal needs the access point policy and the bucket policy to allow it)",
            **ev,
        )
    elif not same_account and not bucket_ok:
        if bucket_unknown:
            work.notes.append(f"the bucket's side is not visible: {bucket_unknown}")
        else:
            ev = _evidence(result, LayerId.BUCKET_POLICY, documents)
            summary = (
                "cross-account: the bucket policy does not allow this principal"
                if bucket_policy is not None
                else "cross-account: the bucket has no policy, so nothing grants the other account access"
            )
            work.cause(LayerId.BUCKET_POLICY, "condition" if "condition" in ev else "implicit", summary, **ev)
    if (identity_ok or bucket_ok) and not work.causes:
        for layer_id, what in (
            (LayerId.PERMISSIONS_BOUNDARY, "permissions boundary"),
            (LayerId.SESSION_POLICY, "session policy"),
        ):
            if layer_verdict(layer_id) == "no-allow":
                ev = _evidence(result, layer_id, documents)
                work.cause(
                    layer_id,
                    "implicit",
                    f"the {what} does not allow the request (it caps the identity-based policies)",
                    **ev,
                )
    if not work.causes:
        work.cause(LayerId.IDENTITY, "implicit", result.reason)


# ---------------------------------------------------------------------------------------------------------
# S3's own layers
# ---------------------------------------------------------------------------------------------------------
_BPA_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def _effective_bpa(view: AccountView) -> tuple[dict[str, bool], bool]:
    """Block Public Access as in force: each flag ORed over the account and the bucket (S3_AUTHZ.md §6.1)."""
    assert view.bucket is not None
    flags = dict.fromkeys(_BPA_FLAGS, False)
    known = True
    for name, key in (("GetPublicAccessBlock", "bucket"), ("account:GetPublicAccessBlock", "account")):
        fact = view.bucket.get(name)
        if fact.present:
            conf = fact.value.get("PublicAccessBlockConfiguration") or {}
            for flag in _BPA_FLAGS:
                flags[flag] = flags[flag] or bool(conf.get(flag))
        elif not fact.known:
            known = False
        del key
    return flags, known


def _block_public_access(
    req: DeniedRequest,
    view: AccountView,
    options: DiagnoseOptions,
    spec: OperationSpec,
    who: Any,
    owner: str | None,
    bucket_policy: Policy | None,
    main: EvaluationResult,
    policies: PolicySet,
    actions: tuple[str, ...],
    resource: str,
    ctx: dict[str, tuple[str, ...]],
    work: _Work,
) -> None:
    flags, known = _effective_bpa(view)
    acl = (_single(options.context, "s3:x-amz-acl") or "").lower()
    on = [f for f, v in flags.items() if v]
    acl_ops = ("PutObject", "PutObjectAcl", "PutBucketAcl", "CopyObject", "CreateMultipartUpload", "CreateBucket")
    if acl in _PUBLIC_ACLS and spec.operation in acl_ops and flags["BlockPublicAcls"]:
        work.set(LayerId.BLOCK_PUBLIC_ACCESS, DENY, f"BlockPublicAcls rejects the public ACL {acl!r} the request sends")
        work.cause(
            LayerId.BLOCK_PUBLIC_ACCESS,
            "setting",
            f"Block Public Access (BlockPublicAcls) rejects uploads that carry the public ACL {acl!r}: drop the "
            "ACL "
            "header (or use bucket-owner-full-control); turning Block Public Access off is not the fix",
            settings=flags,
            request_acl=acl,
        )
        return
    # RestrictPublicBuckets keeps a public policy's grants for "AWS service principals and authorized users within
    # the bucket owner's account" (S3 User Guide, Block Public Access settings).
    restricted_caller = who.account != owner and who.kind is not PrincipalKind.SERVICE
    if flags["RestrictPublicBuckets"] and bucket_policy is not None and owner and restricted_caller:
        status = view.bucket.get("GetBucketPolicyStatus") if view.bucket else None
        public = (
            bool((status.value or {}).get("PolicyStatus", {}).get("IsPublic"))
            if status is not None and status.present
            else is_public_policy(bucket_policy.document)
        )
        if public and main.decision.value == "allow":
            # Grants of a public policy count only for the bucket owner's account and AWS services: drop them.
            denies_only = parse_policy(
                {"Version": "2012-10-17", "Statement": [s.raw for s in bucket_policy.statements if not s.is_allow]}
                if any(not s.is_allow for s in bucket_policy.statements)
                else {"Version": "2012-10-17", "Statement": []},
                name=bucket_policy.name,
                kind=PolicyKind.RESOURCE,
            )
            restricted = replace(policies, resource=denies_only)
            worst = "allow"
            for action in actions:
                d = evaluate(AuthzRequest(who, action, resource, owner, dict(ctx)), restricted).decision.value
                if d != "allow":
                    worst = d
            if worst != "allow":
                work.set(
                    LayerId.BLOCK_PUBLIC_ACCESS,
                    DENY,
                    "RestrictPublicBuckets ignores the public bucket policy's grants for other accounts",
                )
                work.cause(
                    LayerId.BLOCK_PUBLIC_ACCESS,
                    "setting",
                    "the bucket policy is public, and RestrictPublicBuckets limits its grants to the bucket owner's "
                    "account and AWS services: make the policy non-public (name the principals, or add a fixed "
                    "aws:PrincipalOrgID/aws:SourceVpce condition) so its cross-account grants work again",
                    settings=flags,
                    policy_is_public=True,
                )
                return
    if not known:
        work.set(LayerId.BLOCK_PUBLIC_ACCESS, UNKNOWN, "Block Public Access settings could not be read")
    else:
        work.set(
            LayerId.BLOCK_PUBLIC_ACCESS, ALLOW, f"in force: {', '.join(on) or 'none'}; nothing public in this request"
        )


def _ownership(view: AccountView) -> str | None:
    assert view.bucket is not None
    fact = view.bucket.get("GetBucketOwnershipControls")
    if fact.present:
        rules = (fact.value.get("OwnershipControls") or {}).get("Rules") or []
        return str(rules[0].get("ObjectOwnership")) if rules else "ObjectWriter"
    if fact.status == ABSENT:
        return "ObjectWriter"  # no OwnershipControls at all: behaves as ObjectWriter
    return None


def _ownership_and_acls(
    req: DeniedRequest,
    view: AccountView,
    options: DiagnoseOptions,
    spec: OperationSpec,
    who: Any,
    owner: str | None,
    work: _Work,
) -> None:
    assert view.bucket is not None
    ownership = _ownership(view)
    acl = _single(options.context, "s3:x-amz-acl")
    grants = [k for k in options.context if k.lower().startswith("s3:x-amz-grant-")]
    sends_acl = (acl is not None and acl != "bucket-owner-full-control") or bool(grants)
    if ownership is None:
        work.set(LayerId.OBJECT_OWNERSHIP, UNKNOWN, view.bucket.get("GetBucketOwnershipControls").detail)
    elif (
        ownership == "BucketOwnerEnforced"
        and (sends_acl or req.error_code == "AccessControlListNotSupported")
        and (spec.operation in ("PutObject", "PutObjectAcl", "PutBucketAcl", "CopyObject", "CreateMultipartUpload"))
    ):
        work.set(LayerId.OBJECT_OWNERSHIP, DENY, "BucketOwnerEnforced: ACLs are disabled, and the request sets one")
        work.cause(
            LayerId.OBJECT_OWNERSHIP,
            "setting",
            "the bucket's Object Ownership is BucketOwnerEnforced, so ACLs are disabled and a request that sets one "
            "fails (AccessControlListNotSupported): drop the ACL header (--acl / x-amz-acl / x-amz-grant-*)",
            object_ownership=ownership,
            request_acl=acl,
        )
        return
    else:
        work.set(LayerId.OBJECT_OWNERSHIP, ALLOW, f"Object Ownership: {ownership}")
    # Objects written by another account (ACLs in force): only the object's ACL can grant access to it.
    obj = view.bucket.object
    reads = (
        "GetObject",
        "HeadObject",
        "GetObjectAcl",
        "GetObjectTagging",
        "GetObjectAttributes",
        "CopyObject",
        "SelectObjectContent",
    )
    if obj is not None and (spec.operation not in reads or not obj.head.present):
        work.set(LayerId.ACL, NOT_APPLICABLE, "no existing object to read")
        return
    if obj is None or ownership in (None, "BucketOwnerEnforced") or spec.resource is not ResourceKind.OBJECT:
        work.set(
            LayerId.ACL,
            NOT_APPLICABLE
            if ownership == "BucketOwnerEnforced"
            else work.layers.get(LayerId.ACL, LayerReport(LayerId.ACL, NOT_APPLICABLE)).verdict,
            "ACLs are disabled (BucketOwnerEnforced)"
            if ownership == "BucketOwnerEnforced"
            else "no object ACL to check",
        )
        return
    bucket_acl = view.bucket.get("GetBucketAcl")
    object_acl = obj.acl
    if not (bucket_acl.present and object_acl.present):
        work.set(
            LayerId.ACL,
            UNKNOWN,
            (object_acl if not object_acl.present else bucket_acl).detail or "ACLs could not be read",
        )
        return
    bucket_owner_id = (bucket_acl.value.get("Owner") or {}).get("ID")
    object_owner_id = (object_acl.value.get("Owner") or {}).get("ID")
    if bucket_owner_id and object_owner_id and bucket_owner_id != object_owner_id and who.account == owner:
        granted = any(
            (g.get("Grantee") or {}).get("ID") == bucket_owner_id and g.get("Permission") in ("FULL_CONTROL", "READ")
            for g in object_acl.value.get("Grants", [])
        )
        if not granted:
            work.set(
                LayerId.ACL, DENY, "the object belongs to another account and its ACL does not grant the bucket owner"
            )
            work.cause(
                LayerId.ACL,
                "setting",
                f"the object is owned by another account (canonical id {object_owner_id[:12]}…) under {ownership}: the "
                "bucket policy cannot grant access to it. Switch Object Ownership to BucketOwnerEnforced (the bucket "
                "owner then owns every object), or have the writer copy it again with bucket-owner-full-control",
                object_owner=object_owner_id,
                bucket_owner=bucket_owner_id,
                object_ownership=ownership,
            )
            return
    work.set(
        LayerId.ACL,
        ALLOW,
        "the object belongs to the bucket owner"
        if bucket_owner_id == object_owner_id
        else "the object ACL grants the bucket owner",
    )


def _object_lock(
    view: AccountView,
    options: DiagnoseOptions,
    spec: OperationSpec,
    who: Any,
    owner: str | None,
    ctx: dict[str, tuple[str, ...]],
    policies: PolicySet,
    resource: str,
    work: _Work,
) -> None:
    assert view.bucket is not None
    lock_conf = view.bucket.get("GetObjectLockConfiguration")
    if lock_conf.status == ABSENT:
        work.set(LayerId.OBJECT_LOCK, NOT_APPLICABLE, "Object Lock is not enabled on the bucket")
        return
    obj = view.bucket.object
    version = _single(options.context, "s3:versionid")
    if spec.operation not in ("DeleteObject", "DeleteObjects", "PutObjectRetention") or obj is None:
        work.set(
            LayerId.OBJECT_LOCK,
            ALLOW if lock_conf.present else UNKNOWN,
            "Object Lock blocks only deleting or weakening a locked version" if lock_conf.present else lock_conf.detail,
        )
        return
    if spec.operation.startswith("Delete") and version is None:
        work.set(
            LayerId.OBJECT_LOCK, ALLOW, "a delete without a version id only adds a delete marker: Object Lock allows it"
        )
        return
    hold, retention = obj.legal_hold, obj.retention
    if hold.present and hold.value.get("Status") == "ON":
        work.set(LayerId.OBJECT_LOCK, DENY, "the version is under a legal hold")
        work.cause(
            LayerId.OBJECT_LOCK,
            "setting",
            "the object version is under a legal hold: nobody can delete it until the "
            "hold is removed (s3:PutObjectLegalHold)",
            legal_hold="ON",
            version_id=version,
        )
        return
    if retention.present:
        mode = retention.value.get("Mode")
        until = str(retention.value.get("RetainUntilDate"))
        if _in_future(until):
            if mode == "COMPLIANCE":
                work.set(LayerId.OBJECT_LOCK, DENY, f"COMPLIANCE retention until {until}")
                work.cause(
                    LayerId.OBJECT_LOCK,
                    "setting",
                    f"the version is under COMPLIANCE retention until {until}: nobody, the root user included, can "
                    "delete it or shorten the retention before then. This cannot be fixed by a policy change.",
                    mode=mode,
                    retain_until=until,
                    version_id=version,
                )
                return
            bypass = _single(options.context, "x-amz-bypass-governance-retention") == "true"
            may_bypass = (
                evaluate(
                    AuthzRequest(who, "s3:BypassGovernanceRetention", resource, owner, dict(ctx)), policies
                ).decision.value
                == "allow"
            )
            if not (bypass and may_bypass):
                work.set(LayerId.OBJECT_LOCK, DENY, f"GOVERNANCE retention until {until}")
                work.cause(
                    LayerId.OBJECT_LOCK,
                    "setting",
                    f"the version is under GOVERNANCE retention until {until}: deleting it needs "
                    "s3:BypassGovernanceRetention "
                    "and the x-amz-bypass-governance-retention: true header"
                    + ("" if may_bypass else " (the principal lacks s3:BypassGovernanceRetention)"),
                    mode=mode,
                    retain_until=until,
                    version_id=version,
                    bypass_header=bypass,
                    bypass_permission=may_bypass,
                )
                return
    work.set(
        LayerId.OBJECT_LOCK,
        ALLOW if retention.known else UNKNOWN,
        "the version is not locked" if retention.known else retention.detail,
    )


def _in_future(when: str) -> bool:
    try:
        moment = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
    except ValueError:
        return True
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment > dt.datetime.now(dt.UTC)


def _requester_pays(view: AccountView, options: DiagnoseOptions, who: Any, owner: str | None, work: _Work) -> None:
    assert view.bucket is not None
    fact = view.bucket.get("GetBucketRequestPayment")
    if not fact.present:
        work.set(LayerId.REQUESTER_PAYS, UNKNOWN if not fact.known else NOT_APPLICABLE, fact.detail)
        return
    if fact.value.get("Payer") != "Requester":
        work.set(LayerId.REQUESTER_PAYS, NOT_APPLICABLE, "the bucket owner pays")
        return
    if who.account == owner:
        work.set(LayerId.REQUESTER_PAYS, ALLOW, "Requester Pays: the bucket owner needs no header")
        return
    if _single(options.context, "x-amz-request-payer") == "requester":
        work.set(LayerId.REQUESTER_PAYS, ALLOW, "the request says x-amz-request-payer: requester")
        return
    work.set(LayerId.REQUESTER_PAYS, DENY, "Requester Pays bucket, and the request does not accept the charges")
    work.cause(
        LayerId.REQUESTER_PAYS,
        "setting",
        "the bucket is Requester Pays: requests from other accounts must send x-amz-request-payer: requester "
        "(aws s3 --request-payer requester, RequestPayer='requester' in SDKs), or S3 answers 403",
        payer="Requester",
    )


def _kms(
    req: DeniedRequest,
    view: AccountView,
    options: DiagnoseOptions,
    spec: OperationSpec,
    who: Any,
    owner: str | None,
    inputs: _Inputs,
    ctx: dict[str, tuple[str, ...]],
    work: _Work,
) -> None:
    assert view.bucket is not None
    bucket = view.bucket
    key_arn: str | None = None
    actions: tuple[str, ...] = ()
    obj = bucket.object
    if spec.operation in _READS_WITH_KMS and obj is not None and obj.head.present:
        if obj.head.value.get("ServerSideEncryption") in ("aws:kms", "aws:kms:dsse"):
            key_arn = obj.kms_key_id
            actions = (
                spec.source_kms_actions if spec.operation in ("CopyObject", "UploadPartCopy") else spec.kms_actions
            )
    elif spec.operation in _WRITES:
        sse = _single(options.context, "s3:x-amz-server-side-encryption")
        requested = _single(options.context, "s3:x-amz-server-side-encryption-aws-kms-key-id")
        default_key = None
        enc = bucket.get("GetBucketEncryption")
        if enc.present:
            for rule in (enc.value.get("ServerSideEncryptionConfiguration") or {}).get("Rules", []):
                d = rule.get("ApplyServerSideEncryptionByDefault") or {}
                if d.get("SSEAlgorithm") in ("aws:kms", "aws:kms:dsse"):
                    default_key = d.get("KMSMasterKeyID") or "alias/aws/s3"
        key_arn = requested or (None if sse == "AES256" else default_key)
        if sse in ("aws:kms", "aws:kms:dsse") and not key_arn:
            key_arn = "alias/aws/s3"
        actions = spec.kms_actions
    if not key_arn or not actions:
        if obj is not None and not obj.head.known and spec.operation in _READS_WITH_KMS:
            work.set(LayerId.KMS, UNKNOWN, f"whether the object uses SSE-KMS is unknown: {obj.head.detail}")
        else:
            work.set(LayerId.KMS, NOT_APPLICABLE, "the object and the request do not use SSE-KMS")
        return
    if key_arn.startswith("alias/aws/s3") or (key_arn and "alias/aws/s3" in key_arn):
        if who.account != owner:
            work.set(LayerId.KMS, DENY, "the AWS managed key aws/s3 cannot be used across accounts")
            work.cause(
                LayerId.KMS,
                "setting",
                "the object is encrypted with the AWS managed key aws/s3, whose key policy admits only its own "
                "account: no policy can let another account use it. Re-encrypt with a customer managed key whose "
                "policy admits this principal (CopyObject in place with --sse-kms-key-id)",
                key=key_arn,
            )
        else:
            work.set(LayerId.KMS, ALLOW, "aws/s3 is usable through S3 by every principal of its account")
        return
    key = view.keys.get(key_arn) or next(
        (k for arn, k in view.keys.items() if arn.endswith(key_arn.split("/")[-1])), None
    )
    if key is None or not key.policy.present:
        detail = key.policy.detail if key is not None else f"key {key_arn} was not read"
        meta_fact = key.metadata if key is not None else None
        if (
            meta_fact is not None
            and meta_fact.present
            and meta_fact.value.get("KeyManager") == "AWS"
            and who.account != _arn_account(key_arn)
        ):
            work.set(LayerId.KMS, DENY, "an AWS managed key cannot be used across accounts")
            work.cause(
                LayerId.KMS,
                "setting",
                "the object is encrypted with the other account's AWS managed key (aws/s3): it "
                "cannot be shared; re-encrypt with a customer managed key",
                key=key_arn,
            )
            return
        work.set(LayerId.KMS, UNKNOWN, detail)
        return
    meta: dict[str, Any] = key.metadata.value if key.metadata.present else {}
    if key.aws_managed and who.account != key.account:
        work.set(LayerId.KMS, DENY, "the AWS managed key aws/s3 cannot be used across accounts")
        work.cause(
            LayerId.KMS,
            "setting",
            "the object is encrypted with another account's AWS managed key (aws/s3): no policy "
            "can let this principal use it. Re-encrypt with a customer managed key that admits it",
            key=key.arn,
        )
        return
    state = meta.get("KeyState")
    if state and state != "Enabled":
        work.set(LayerId.KMS, DENY, f"the key is {state}")
        work.cause(
            LayerId.KMS,
            "setting",
            f"the KMS key {key.arn} is {state}: enable it (or cancel its deletion)",
            key=key.arn,
            key_state=state,
        )
        return
    try:
        key_policy = compiled_policy(key.policy.value, name=f"key policy of {key.arn}", kind=PolicyKind.RESOURCE)
    except PolicyError as exc:
        work.set(LayerId.KMS, UNKNOWN, f"the key policy is malformed: {exc.reason}")
        return
    region = bucket.region or "us-east-1"
    bucket_key = bool(obj.head.value.get("BucketKeyEnabled")) if obj is not None and obj.head.present else False
    enc_ctx = s3_arn(bucket.name) if bucket_key or req.key is None else s3_arn(bucket.name, req.key)
    kctx = dict(ctx)
    kctx.update(
        {
            "kms:ViaService": (f"s3.{region}.amazonaws.com",),
            "kms:CallerAccount": (who.account or "",),
            "kms:EncryptionContext:aws:s3:arn": (enc_ctx,),
            "kms:EncryptionContextKeys": ("aws:s3:arn",),
            "aws:ViaAWSService": ("true",),
            "aws:ResourceAccount": (key.account or "",),
            **{f"aws:ResourceTag/{k}": (v,) for k, v in key.tags.items()},
        }
    )
    rcps = inputs.rcps if key.account == owner else None
    policies = PolicySet(
        identity=inputs.identity,
        resource=key_policy,
        boundary=inputs.boundary,
        session=inputs.session,
        scps=inputs.scps,
        rcps=rcps,
        resource_aws_managed=key.aws_managed,  # RCPs do not apply to AWS managed keys
    )
    grants = key.grants.value if key.grants.present else ()
    for action in actions:
        result = evaluate(AuthzRequest(who, action, key.arn, key.account, kctx), policies)
        if result.decision.value == "allow":
            continue
        if result.decision.value == "implicit-deny" and _grant_allows(grants, who, view, action):
            continue
        documents = {
            key_policy.name: key.policy.value,
            **{n.name: n.document for n in (view.principal.policies if view.principal else ())},
        }
        layer_id = LayerId.KMS
        if result.decision.value == "explicit-deny":
            for guard in (LayerId.SCP, LayerId.RCP):
                guard_layer = result.layer(guard)
                if guard_layer is not None and guard_layer.verdict.value == "deny":
                    ev = _evidence(
                        result,
                        guard,
                        {p.name: p.document for lvl in (inputs.scps or ()) + (inputs.rcps or ()) for p in lvl},
                    )
                    ev.update(key=key.arn, action=action)
                    summary = f"an {guard.value.upper()} denies {action} on the key {key.arn} ({guard_layer.detail})"
                    work.set(LayerId.KMS, DENY, summary)
                    work.set(guard, DENY, guard_layer.detail + f" (for {action} on the key)")
                    work.cause(guard, "explicit", summary, **ev)
                    return
        kms_layer = result.layer(LayerId.KMS)
        source = (
            LayerId.KMS
            if kms_layer is not None and kms_layer.verdict.value in ("deny", "no-allow")
            else LayerId.IDENTITY
        )
        ev = _evidence(result, source, documents)
        ev.update(key=key.arn, action=action)
        if source is LayerId.KMS and "statement" not in ev:
            ev["key_policy"] = key.policy.value
        kind = (
            "explicit"
            if result.decision.value == "explicit-deny"
            else ("condition" if "condition" in ev else "implicit")
        )
        delegates = any(
            s.is_allow
            and s.principal is not None
            and any(a.endswith(":root") or a == key.account for a in s.principal.aws)
            for s in key_policy.statements
        )
        if result.decision.value == "explicit-deny":
            summary = f"{action} on the key is explicitly denied: {result.reason}"
        elif source is LayerId.KMS and who.account == key.account and not delegates:
            summary = (
                f"the key policy of {key.arn} neither allows this principal {action} nor delegates to the "
                "account's IAM "
                "policies (no statement for the account root): IAM policies cannot help until it does"
            )
        elif source is LayerId.KMS:
            summary = f"the key policy of {key.arn} does not allow {action} for this principal"
        else:
            summary = f"no identity-based policy allows {action} on {key.arn} (the key policy delegates to IAM)"
        work.set(layer_id, DENY if kind == "explicit" else NO_ALLOW, summary)
        work.cause(layer_id, kind, summary, **ev)
        return
    work.set(LayerId.KMS, ALLOW, f"{', '.join(actions)} on {key.arn} is allowed")


def _grant_allows(grants: Any, who: Any, view: AccountView, action: str) -> bool:
    names = {who.arn, who.role_arn, view.principal.role_arn if view.principal else None}
    op = action.split(":", 1)[1]
    return any(g.get("GranteePrincipal") in names and op in (g.get("Operations") or []) for g in grants or ())


def _missing_object(
    view: AccountView,
    spec: OperationSpec,
    who: Any,
    owner: str | None,
    policies: PolicySet,
    ctx: dict[str, tuple[str, ...]],
    work: _Work,
    main: EvaluationResult,
) -> None:
    assert view.bucket is not None
    obj = view.bucket.object
    if spec.operation not in _MISSING_OBJECT_OPS or obj is None:
        return
    if obj.head.status != ABSENT:
        work.set(
            LayerId.OBJECT_MISSING,
            NOT_APPLICABLE if obj.head.present else UNKNOWN,
            "the object exists" if obj.head.present else obj.head.detail,
        )
        return
    can_list = (
        evaluate(
            AuthzRequest(who, "s3:ListBucket", s3_arn(view.bucket.name), owner, dict(ctx)), policies
        ).decision.value
        == "allow"
    )
    if can_list:
        work.set(LayerId.OBJECT_MISSING, DENY, "the object does not exist (S3 answers 404 NoSuchKey to this principal)")
        work.cause(LayerId.OBJECT_MISSING, "setting", f"the object {obj.key} does not exist", key=obj.key)
        return
    work.set(
        LayerId.OBJECT_MISSING, DENY, "the object does not exist, and without s3:ListBucket S3 says 403 instead of 404"
    )
    work.cause(
        LayerId.OBJECT_MISSING,
        "setting",
        f"the object {obj.key} does not exist; S3 answers 403 instead of 404 because the principal lacks "
        "s3:ListBucket on the bucket (check the key's spelling, case and prefix)",
        key=obj.key,
        list_bucket=False,
    )


def _cloudfront(
    who: Any, bucket_policy: Policy | None, main: EvaluationResult, work: _Work, documents: dict[str, Any]
) -> None:
    if who.kind is not PrincipalKind.SERVICE or who.service != "cloudfront.amazonaws.com":
        work.set(LayerId.CLOUDFRONT, NOT_APPLICABLE, "not a CloudFront origin request")
        return
    if main.decision.value == "allow":
        work.set(LayerId.CLOUDFRONT, ALLOW, "the bucket policy admits this distribution")
        return
    for st in bucket_policy.statements if bucket_policy else ():
        if st.is_allow and st.principal is not None and "cloudfront.amazonaws.com" in st.principal.service:
            source = next((c for c in st.conditions if c.key.lower() == "aws:sourcearn"), None)
            layer = main.layer(LayerId.BUCKET_POLICY)
            got = None
            for ref in layer.statements if layer else ():
                for c in ref.conditions:
                    if c.key.lower() == "aws:sourcearn":
                        got = c.request_values
            work.set(LayerId.CLOUDFRONT, NO_ALLOW, "the OAC statement names another distribution")
            work.causes = [c for c in work.causes if c.layer is not LayerId.BUCKET_POLICY]
            work.cause(
                LayerId.CLOUDFRONT,
                "condition",
                f"the bucket policy's CloudFront (OAC) statement {st.label} admits "
                f"{list(source.values) if source else 'no distribution'}, but the request comes from "
                f"{', '.join(got) if got else 'a distribution s3why was not told (pass aws:SourceArn)'}",
                sid=st.sid,
                statement=st.raw,
                expected=list(source.values) if source else None,
                request=list(got) if got else None,
            )
            return
    work.set(LayerId.CLOUDFRONT, NO_ALLOW, "no bucket policy statement admits CloudFront")
    work.causes = [c for c in work.causes if c.layer is not LayerId.BUCKET_POLICY]
    work.cause(LayerId.CLOUDFRONT, "implicit", "no bucket policy statement allows cloudfront.amazonaws.com (OAC)")


def _arn_account(text: str) -> str | None:
    arn = Arn.parse(text)
    return arn.account if arn is not None else None
