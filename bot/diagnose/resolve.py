"""Resolving a parsed request into what the layers evaluate: the operation, the policies in force, the request
context, and the engine's evaluation of the core grant (identity and resource policies, the organization's
policies, the VPC endpoint, boundary and session policies)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from bot.account.view import ABSENT, PRESENT, AccountView, NamedPolicy
from bot.arn import s3_arn
from bot.diagnose.layers.access_point import route_through_access_point
from bot.diagnose.layers.base import Authorization, AuthorizationCheck, PolicyInputs
from bot.diagnose.options import DiagnoseOptions
from bot.diagnose.policies import PolicyReader
from bot.diagnose.s3_newer import express_session, is_directory_bucket, resource_tag_context
from bot.engine import Policy, PolicyKind, PolicySet, Principal
from bot.engine.context import request_keys
from bot.engine.principal import PrincipalKind, parse_principal
from bot.layers import LayerId
from bot.parse.model import DeniedRequest
from bot.s3ops import (
    S3_OPERATIONS,
    SOURCE,
    TARGET,
    OperationSpec,
    RequiredAuthorization,
    ResourceKind,
    account_level_action,
    copy_source,
    lookup_operation,
    possible_authorization,
    required_authorizations,
)

UNKNOWN_KEY = "s3why-unknown-key"  # stands in for a key the text does not name (never the bucket ARN)


def operation_of(req: DeniedRequest) -> OperationSpec | None:
    """The operation the text names, or the one its IAM action maps to; None when neither is known."""
    if req.operation:
        spec = lookup_operation(req.operation)
        if spec is not None and not _names_another_operation(spec, req.action):
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
        # The action of an operation on a given version (s3:DeleteObjectVersion is DeleteObject with a versionId;
        # Service Authorization Reference, Amazon S3's actions).
        for spec in S3_OPERATIONS.values():
            if any(a.lower() == req.action.lower() for a in spec.versioned_actions):
                return spec
        # An action no S3 API operation above maps to but that the Service Authorization Reference defines on
        # Resource "*" (s3:PutAccountPublicAccessBlock, s3:ListAccessPoints, ...): an account-level request.
        return account_level_action(req.action)
    return None


def _names_another_operation(spec: OperationSpec, action: str | None) -> bool:
    """True when the S3 action AWS's message names is one `spec` can never need, while it is itself an
    account-level action: the operation's name then belongs to another API (S3 Control's PutPublicAccessBlock is
    s3:PutAccountPublicAccessBlock on Resource "*", S3's is s3:PutBucketPublicAccessBlock on a bucket), and the
    action AWS authorized decides which."""
    if not action or not action.lower().startswith("s3:"):
        return False
    if possible_authorization(spec, action) is not None or action.lower() in {a.lower() for a in spec.source_actions}:
        return False
    return account_level_action(action) is not None


def _org_policies(view: AccountView, which: str, kind: str, account: str | None, reader: PolicyReader) -> Any:
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
    layer = LayerId.SCP if kind == "scp" else LayerId.RCP
    if not org.levels:
        # A member account whose path was not read: its policies are unknown, never "not applicable".
        return f"account {account} is in an organization, but its path and {kind.upper()}s were not read"
    levels: list[tuple[Policy, ...]] = []
    for level in org.levels:
        fact = level.scps if kind == "scp" else level.rcps
        if not fact.present:
            return fact.detail or f"the {kind.upper()}s of {level.target} could not be read"
        parsed = []
        for named in fact.value:
            if kind == "rcp" and named.name == "RCPFullAWSAccess":
                continue  # the engine attaches it at every level
            policy = reader.parse(named, PolicyKind.SCP if kind == "scp" else PolicyKind.RCP, layer)
            if policy is not None:
                parsed.append(policy)
        levels.append(tuple(parsed))
    return tuple(levels)


# Callers with IAM policies of their own: an IAM user, a role and its sessions (IAM User Guide, "Policy evaluation
# logic"). The root user, a federated user, a service and an anonymous request have none to read.
_WITH_IDENTITY_POLICIES = frozenset({PrincipalKind.USER, PrincipalKind.ROLE, PrincipalKind.ROLE_SESSION})


def _policy_inputs(
    view: AccountView,
    options: DiagnoseOptions,
    principal_account: str | None,
    resource_account: str | None,
    reader: PolicyReader,
    who: Principal | None = None,
) -> PolicyInputs:
    unknown: dict[LayerId, str] = {}
    identity: tuple[Policy, ...] = ()
    boundary = session = vpce = None
    p = view.principal
    # A CloudFront origin access identity (arn:aws:iam::cloudfront:user/...) is no account's user: no policies.
    in_an_account = who is not None and (who.account or "").isdigit()
    if p is None and who is not None and in_an_account and who.kind in _WITH_IDENTITY_POLICIES:
        # Nothing read for this user or role (a snapshot with no principal section): its identity-based policies
        # and permissions boundary are unknown, never "none" (CONTRACT: unknown when a layer was not read).
        why = f"{who.arn}: the snapshot holds no principal section, so its policies were not read"
        unknown[LayerId.IDENTITY] = why
        unknown[LayerId.PERMISSIONS_BOUNDARY] = why
    if p is not None:
        for fact in p.facts.values():
            if not fact.known:
                unknown[LayerId.IDENTITY] = fact.detail
        identity = tuple(x for x in (reader.parse(n, PolicyKind.IDENTITY, LayerId.IDENTITY) for n in p.policies) if x)
        if p.boundary is not None:
            boundary = reader.parse(p.boundary, PolicyKind.PERMISSIONS_BOUNDARY, LayerId.PERMISSIONS_BOUNDARY)
    # The session policy: --session-policy, else the one the snapshot records for the session (AWS keeps none).
    session_policy = options.session_policy
    if session_policy is None and p is not None and p.session_policy is not None:
        session_policy = p.session_policy
    if session_policy is not None:
        named = NamedPolicy("session policy", session_policy)
        session = reader.parse(named, PolicyKind.SESSION, LayerId.SESSION_POLICY)
    scps = _org_policies(view, "principal_account", "scp", principal_account, reader)
    if isinstance(scps, str):
        unknown[LayerId.SCP] = scps
        scps = None
    which = "principal_account" if resource_account == principal_account else "resource_account"
    rcps = _org_policies(view, which, "rcp", resource_account, reader)
    if isinstance(rcps, str):
        unknown[LayerId.RCP] = rcps
        rcps = None
    if view.vpc_endpoint is not None:
        if view.vpc_endpoint.present and view.vpc_endpoint.value is not None:
            vpce = reader.parse(
                NamedPolicy("VPC endpoint policy", view.vpc_endpoint.value),
                PolicyKind.VPC_ENDPOINT,
                LayerId.VPC_ENDPOINT_POLICY,
            )
        elif not view.vpc_endpoint.known:
            unknown[LayerId.VPC_ENDPOINT_POLICY] = view.vpc_endpoint.detail
    return PolicyInputs(identity, boundary, session, scps, rcps, vpce, unknown)


_PRINCIPAL_TYPES = {
    PrincipalKind.USER: "User",
    PrincipalKind.ROLE_SESSION: "AssumedRole",
    PrincipalKind.ROLE: "AssumedRole",
    PrincipalKind.ROOT: "Account",
    PrincipalKind.FEDERATED_USER: "FederatedUser",
    PrincipalKind.ANONYMOUS: "Anonymous",
}


def base_context(view: AccountView, options: DiagnoseOptions, principal_arn: str) -> dict[str, tuple[str, ...]]:
    """The request context: what AWS sets from the principal, then the keys the person gave (which win)."""
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
    ctx["aws:PrincipalType"] = (_PRINCIPAL_TYPES.get(who.kind, "AWSService"),)
    ctx.setdefault("aws:SecureTransport", ("true",))
    ctx.update({k: v for k, v in options.context.items() if not k.startswith("x-amz-")})
    return ctx


# Uploads whose ACL header only gives the bucket owner control. AWS's own cross-account bucket policies grant such
# writers s3:PutObject alone: S3 User Guide, "Policy examples for ACLs" ("granting the s3:PutObject permission to
# Dave, with a condition that the request include ACL-specific headers that either grant full permission explicitly
# or use a canned ACL"), and the CloudTrail and log delivery bucket policies (s3:PutObject with s3:x-amz-acl =
# bucket-owner-full-control). The writer's own side still needs s3:PutObjectAcl (S3 API Reference, PutObject), and
# any Deny still applies; only the bucket owner's grant of it is not needed (shared/reference/S3_AUTHZ.md §2.6:
# with `private` or `bucket-owner-full-control` a missing s3:PutObjectAcl is no definite cause).
_UPLOADS_WITH_ACL = frozenset({"PutObject", "CopyObject", "CreateMultipartUpload"})
_OWNER_ONLY_ACLS = ["bucket-owner-full-control", "private"]
OWNER_ACL_SID = "s3why-implied-owner-acl-on-upload"


def _with_owner_acl_grant(
    document: Any, view: AccountView, spec: OperationSpec, who: Any, owner: str | None, resource: str
) -> Any:
    """The bucket policy as S3 applies it to another account's upload: its own statements, plus the bucket owner's
    implied acceptance of s3:PutObjectAcl for an ACL that only gives the owner control (never for a public or
    another grantee's ACL, never for the PutObjectAcl operation itself)."""
    if spec.operation not in _UPLOADS_WITH_ACL or not isinstance(document, dict) or owner is None:
        return document
    if who.kind is PrincipalKind.SERVICE and who.service:
        principal: dict[str, str] = {"Service": who.service}
    elif who.account and who.account != owner and who.kind is not PrincipalKind.ANONYMOUS:
        principal = {"AWS": f"arn:aws:iam::{who.account}:root"}
    else:
        return document  # the owner's own account: its IAM policies decide, as before
    statements = document.get("Statement")
    statements = [statements] if isinstance(statements, dict) else list(statements or [])
    base = {"Effect": "Allow", "Principal": principal, "Action": "s3:PutObjectAcl", "Resource": resource}
    statements.append({"Sid": OWNER_ACL_SID, **base, "Condition": {"StringEquals": {"s3:x-amz-acl": _OWNER_ONLY_ACLS}}})
    acl = view.bucket.get("GetBucketAcl") if view.bucket is not None else None
    owner_id = ((acl.value or {}).get("Owner") or {}).get("ID") if acl is not None and acl.present else None
    if owner_id:
        others = ("s3:x-amz-grant-read", "s3:x-amz-grant-read-acp", "s3:x-amz-grant-write-acp")
        grant = {
            "StringEquals": {"s3:x-amz-grant-full-control": [f"id={owner_id}", f'id="{owner_id}"']},
            "Null": dict.fromkeys(others, "true"),  # that grant alone: no one else is given anything
        }
        statements.append({"Sid": OWNER_ACL_SID + "-grant", **base, "Condition": grant})
    return {**document, "Statement": statements}


def authorize(
    req: DeniedRequest,
    view: AccountView,
    options: DiagnoseOptions,
    spec: OperationSpec,
    principal_arn: str,
) -> tuple[Authorization, list[str]]:
    """The resolved request and its core grant's evaluation, with notes on policies that could not be read."""
    from bot.diagnose.evidence import evaluate_all, worst

    reader = PolicyReader()
    bucket = view.bucket
    owner = bucket.account if bucket else None
    required = required_authorizations(spec, options.context)
    # Only an action the text states is AWS's word; one the parser mapped from the operation is no evidence (with a
    # versionId S3 checks the *Version action instead: S3 API Reference, GetObject, "the s3:GetObject permission is
    # not required in this scenario").
    named = possible_authorization(spec, req.action) if req.action and not req.action_inferred else None
    if named is not None and named not in {r.action for r in required if r.on == TARGET}:
        # AWS's message names the authorization that failed: the request needed it (e.g. it sent an ACL header).
        why = f"needed: AWS's message names {named}, which {spec.operation} needs when the request asks for it"
        required = (*required, RequiredAuthorization(named, TARGET, why))
    actions = tuple(r.action for r in required if r.on == TARGET)
    if spec.resource is ResourceKind.ACCOUNT or bucket is None:
        resource = "*"
    elif spec.resource is ResourceKind.OBJECT and req.key is not None:
        resource = s3_arn(bucket.name, req.key)
    elif spec.resource is ResourceKind.OBJECT:
        # Never the bucket ARN for an object action: a stand-in key, and the answer says so.
        resource = s3_arn(bucket.name, UNKNOWN_KEY)
        reader.notes.append(
            f"the text does not name the key: s3why evaluated {spec.operation} on {resource}, a stand-in key at "
            "the top of the bucket; a policy scoped to a prefix may treat the real key differently (give the key)"
        )
    else:
        resource = s3_arn(bucket.name)
    express = None
    if bucket is not None and is_directory_bucket(bucket.name):
        # A directory bucket: the request is authorized by s3express:CreateSession on the bucket (s3_newer.py).
        op, region = spec.operation, bucket.region or req.region
        express = express_session(bucket.name, region=region, account=owner, operation=op, ctx=options.context)
        actions, resource = (express.action,), express.resource
        required = (
            RequiredAuthorization(express.action, TARGET, "needed because a directory bucket authorizes a session"),
        )
    who = parse_principal(principal_arn)
    inputs = _policy_inputs(view, options, who.account, owner, reader, who)
    ctx = base_context(view, options, principal_arn)
    # Keys on every request (IAM global condition keys, "always included"): the Region it was served in — the
    # bucket's (another Region's endpoint redirects, it does not deny), else the text's — and the time.
    region = (bucket.region if bucket is not None else None) or req.region
    given = {k.lower() for k in ctx}
    for k, v in request_keys(region=region, at=dt.datetime.now(dt.UTC)).items():
        if k.lower() not in given:  # a value the person gives (--context) wins, in any spelling
            ctx[k] = v
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
        principal_account=who.account, resource_account=owner, through_endpoint=through
    ).items():
        ctx.setdefault(k, v)

    documents: dict[str, Any] = {n.name: n.document for n in (view.principal.policies if view.principal else ())}
    bucket_policy: Policy | None = None
    bucket_unknown: str | None = None
    if bucket is not None:
        bp = bucket.policy
        if bp.present:
            name = f"bucket policy of {bucket.name}"
            document = _with_owner_acl_grant(bp.value, view, spec, who, owner, resource)
            bucket_policy = reader.parse(NamedPolicy(name, document), PolicyKind.RESOURCE, LayerId.BUCKET_POLICY)
            documents[name] = bp.value
        elif not bp.known:
            bucket_unknown = bp.detail
    for levels in (inputs.scps or (), inputs.rcps or ()):
        for level in levels:
            for policy in level:
                documents[policy.name] = policy.document
    for single in (inputs.vpce, inputs.boundary):
        if single is not None:
            documents[single.name] = single.document

    policies = PolicySet(
        identity=inputs.identity,
        resource=bucket_policy,
        boundary=inputs.boundary,
        session=inputs.session,
        scps=inputs.scps,
        rcps=inputs.rcps,
        vpc_endpoint=inputs.vpce,
    )
    per_action = {a: evaluate_all(who, (a,), resource, owner, ctx, policies) for a in actions}
    main = worst(list(per_action.values()))
    route = route_through_access_point(
        req, view, spec, who, owner, actions, ctx, policies, bucket_policy, reader, documents
    )
    checks: list[AuthorizationCheck] = []
    for r in required:
        if r.on != TARGET:
            continue
        if route is not None and route.through is not None:
            via = route.through
            decision = via.decision.value if via.action == r.action or via.decision.value == "allow" else "unknown"
        else:
            decision = per_action[r.action].decision.value
        checks.append(AuthorizationCheck(r.action, resource, r.why, decision))
    if route is not None and route.through is not None:
        main = route.through  # through an access point, the identity side is checked against its ARN
    for r in required:
        if r.on != SOURCE:
            continue
        source = copy_source(options.context)
        if source is None:
            reader.notes.append(
                f"the copy source is not known: {r.action} on it is not evaluated "
                "(pass --context s3:x-amz-copy-source=BUCKET/KEY)"
            )
            checks.append(AuthorizationCheck(r.action, "(the copy source)", r.why, "unknown"))
            continue
        src_bucket, src_key, _ = source
        src_arn = s3_arn(src_bucket, src_key)
        same_bucket = bucket is not None and src_bucket == bucket.name
        if not same_bucket:
            reader.notes.append(
                f"the copy source's bucket {src_bucket} was not read: only the principal's side of {r.action} on "
                f"{src_arn} is evaluated"
            )
        src_policies = policies if same_bucket else replace(policies, resource=None)
        result = evaluate_all(who, (r.action,), src_arn, owner if same_bucket else None, ctx, src_policies)
        checks.append(AuthorizationCheck(r.action, src_arn, r.why, result.decision.value))
        main = worst([main, result])
    auth = Authorization(
        who=who,
        principal_arn=principal_arn,
        owner=owner,
        actions=actions,
        resource=resource,
        inputs=inputs,
        context=ctx,
        policies=policies,
        documents=documents,
        bucket_policy=bucket_policy,
        bucket_unknown=bucket_unknown,
        malformed=dict(reader.malformed),
        main=main,
        route=route,
        checks=tuple(checks),
    )
    return auth, reader.notes
