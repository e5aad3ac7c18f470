"""Access points: through an access point both must allow — the access point's policy (on the access point ARN)
and the bucket's (on the bucket ARN, seeing s3:DataAccessPointArn). S3 User Guide, "Configuring IAM policies for
using access points"."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.account.view import AccountView, NamedPolicy, policy_doc
from bot.arn import s3_arn
from bot.diagnose.evidence import evaluate_all, evidence
from bot.diagnose.layers.base import AccessPointRoute, Findings, LayerCheck, LayerFinding, Needs, Subject
from bot.diagnose.model import DENY, NO_ALLOW, NOT_APPLICABLE, UNKNOWN
from bot.diagnose.policies import PolicyReader
from bot.engine import Policy, PolicyKind, PolicySet, Principal
from bot.layers import LayerId
from bot.parse.access_points import mrap_arn
from bot.parse.model import DeniedRequest
from bot.s3ops import OperationSpec, ResourceKind

MRAP_ROUTE = "multi-region-access-point"
_BPA_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def route_through_access_point(
    req: DeniedRequest,
    view: AccountView,
    spec: OperationSpec,
    who: Principal,
    owner: str | None,
    actions: tuple[str, ...],
    ctx: dict[str, tuple[str, ...]],
    policies: PolicySet,
    bucket_policy: Policy | None,
    reader: PolicyReader,
    documents: dict[str, Any],
) -> AccessPointRoute | None:
    """The request evaluated through the access point the view holds; None when it came to the bucket directly.

    Adds the access point policy to `documents` (for evidence)."""
    if view.multi_region_access_point is not None and view.bucket is not None:
        return _route_through_mrap(
            req, view, spec, who, owner, actions, ctx, policies, bucket_policy, reader, documents
        )
    if view.access_point is None or view.bucket is None:
        return None
    info = view.access_point.get("GetAccessPoint")
    ap_policy_fact = view.access_point.get("GetAccessPointPolicy")
    if info is None or not info.present:
        return AccessPointRoute(unknown=info.detail if info else "the access point was not read")
    ap_account = info.account or owner
    name = info.value.get("Name")
    region = view.bucket.region or "us-east-1"
    ap_arn = info.value.get("AccessPointArn") or f"arn:aws:s3:{region}:{ap_account}:accesspoint/{name}"
    ap_resource = f"{ap_arn}/object/{req.key}" if spec.resource is ResourceKind.OBJECT and req.key else ap_arn
    ap_policy = None
    if ap_policy_fact is not None and ap_policy_fact.present:
        doc = policy_doc(ap_policy_fact.value.get("Policy"))
        ap_policy = reader.parse(
            NamedPolicy(f"access point policy of {name}", doc), PolicyKind.RESOURCE, LayerId.ACCESS_POINT_POLICY
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
    through = evaluate_all(who, actions, ap_resource, ap_account, ap_ctx, replace(policies, resource=ap_policy))
    bucket_resource = (
        s3_arn(view.bucket.name, req.key)
        if spec.resource is ResourceKind.OBJECT and req.key
        else s3_arn(view.bucket.name)
    )
    # The bucket's side: the bucket policy must allow the request that arrives through the access point.
    bucket_side = evaluate_all(who, actions, bucket_resource, owner, ap_ctx, replace(policies, resource=bucket_policy))
    return AccessPointRoute(arn=ap_arn, through=through, bucket_side=bucket_side)


def _route_through_mrap(
    req: DeniedRequest,
    view: AccountView,
    spec: OperationSpec,
    who: Principal,
    owner: str | None,
    actions: tuple[str, ...],
    ctx: dict[str, tuple[str, ...]],
    policies: PolicySet,
    bucket_policy: Policy | None,
    reader: PolicyReader,
    documents: dict[str, Any],
) -> AccessPointRoute:
    """The request through a Multi-Region Access Point, routed to the bucket the view holds: "the Multi-Region
    Access Point policy, the underlying IAM policy, the underlying bucket policy (where the request is routed to)"
    must permit a cross-account request (S3 User Guide, Multi-Region Access Points, "Permissions"). Its ARN is
    arn:aws:s3::ACCOUNT:accesspoint/ALIAS (no Region), its object form .../object/KEY."""
    assert view.multi_region_access_point is not None and view.bucket is not None
    info = view.multi_region_access_point.get("GetMultiRegionAccessPoint")
    policy_fact = view.multi_region_access_point.get("GetMultiRegionAccessPointPolicy")
    if info is None or not info.present:
        return AccessPointRoute(
            unknown=info.detail if info else "the Multi-Region Access Point was not read", kind=MRAP_ROUTE
        )
    report = info.value.get("AccessPoint") or {}
    mrap_account = info.account or owner
    alias = str(report.get("Alias") or "")
    arn = mrap_arn(mrap_account or "", alias)
    resource = f"{arn}/object/{req.key}" if spec.resource is ResourceKind.OBJECT and req.key else arn
    label = f"Multi-Region Access Point policy of {report.get('Name') or alias}"
    mrap_policy = None
    if policy_fact is not None and policy_fact.present:
        # GetMultiRegionAccessPointPolicy answers the Established (in force) and the Proposed document.
        established = ((policy_fact.value.get("Policy") or {}).get("Established") or {}).get("Policy")
        if established:
            doc = policy_doc(established)
            mrap_policy = reader.parse(NamedPolicy(label, doc), PolicyKind.RESOURCE, LayerId.ACCESS_POINT_POLICY)
            documents[label] = doc
    mrap_ctx = dict(ctx)
    mrap_ctx.update({"s3:DataAccessPointArn": (arn,), "s3:DataAccessPointAccount": (mrap_account or "",)})
    through = evaluate_all(who, actions, resource, mrap_account, mrap_ctx, replace(policies, resource=mrap_policy))
    bucket_resource = (
        s3_arn(view.bucket.name, req.key)
        if spec.resource is ResourceKind.OBJECT and req.key
        else s3_arn(view.bucket.name)
    )
    bucket_side = evaluate_all(
        who, actions, bucket_resource, owner, mrap_ctx, replace(policies, resource=bucket_policy)
    )
    same_account = who.account is not None and who.account == owner == mrap_account
    return AccessPointRoute(
        arn=arn,
        through=through,
        bucket_side=bucket_side,
        kind=MRAP_ROUTE,
        bucket_grant_needed=not same_account,
    )


def mrap_block_public_access(view: AccountView) -> dict[str, bool] | None:
    """A Multi-Region Access Point's own Block Public Access flags (GetMultiRegionAccessPoint's PublicAccessBlock):
    "Amazon S3 evaluates the Block Public Access settings for the Multi-Region Access Point, the underlying buckets,
    the account that owns the Multi-Region Access Point, the account that owns the underlying buckets" and they
    cannot be changed once it exists (S3 User Guide, Multi-Region Access Points, "Permissions")."""
    if view.multi_region_access_point is None:
        return None
    info = view.multi_region_access_point.get("GetMultiRegionAccessPoint")
    if info is None or not info.present:
        return None
    conf = (info.value.get("AccessPoint") or {}).get("PublicAccessBlock")
    if not isinstance(conf, dict):
        return None
    return {flag: bool(conf.get(flag)) for flag in _BPA_FLAGS}


def bucket_side_refuses(route: AccessPointRoute | None) -> bool:
    """The access point allows the request but the bucket does not: the bucket's side holds when the request is
    allowed there, or when the bucket policy itself allows it and nothing denies (identity policies are checked
    on the access point ARN, not the bucket's)."""
    if route is None or route.through is None or route.bucket_side is None:
        return False
    bucket_eval = route.bucket_side
    bucket_layer = bucket_eval.layer(LayerId.BUCKET_POLICY)
    bucket_side_ok = bucket_eval.decision.value == "allow" or (
        bucket_layer is not None
        and bucket_layer.verdict.value == "allow"
        and bucket_eval.decision.value != "explicit-deny"
    )
    if not route.bucket_grant_needed:
        bucket_side_ok = bucket_eval.decision.value != "explicit-deny"
    return route.through.decision.value == "allow" and not bucket_side_ok


def evaluate(subject: Subject) -> LayerFinding:
    out = Findings()
    auth = subject.auth
    route = auth.route if auth else None
    if auth is None or route is None:
        return out.done()
    if route.unknown is not None or route.through is None or route.bucket_side is None:
        out.set(
            LayerId.ACCESS_POINT_POLICY, UNKNOWN, route.unknown or f"the {route.kind.replace('-', ' ')} was not read"
        )
        return out.done()
    ap_eval, bucket_eval = route.through, route.bucket_side
    if _outside_its_vpc(subject, out):
        return out.done()
    ap_layer = ap_eval.layer(LayerId.ACCESS_POINT_POLICY)
    out.set(
        LayerId.ACCESS_POINT_POLICY,
        ap_layer.verdict.value if ap_layer else NOT_APPLICABLE,
        ap_layer.detail if ap_layer else "",
    )
    if bucket_side_refuses(route):
        bucket_policy = auth.bucket_policy
        delegates = bucket_policy is not None and any(
            s.is_allow
            and any(c.key.lower() in ("s3:dataaccesspointaccount", "s3:dataaccesspointarn") for c in s.conditions)
            for s in bucket_policy.statements
        )
        what = "the Multi-Region Access Point" if route.kind == MRAP_ROUTE else "the access point"
        summary = (
            f"{what} allows the request, but the bucket policy does not delegate access control to "
            'access points (no Allow for "*" with an s3:DataAccessPointAccount condition) and grants nothing '
            "else to this principal"
            if not delegates
            else f"{what} allows the request, but the bucket policy does not allow it through this "
            + ("Multi-Region Access Point" if route.kind == MRAP_ROUTE else "access point")
        )
        out.set(LayerId.BUCKET_POLICY, NO_ALLOW if bucket_eval.decision.value == "implicit-deny" else DENY, summary)
        ev = evidence(bucket_eval, LayerId.BUCKET_POLICY, auth.documents)
        out.cause(
            LayerId.BUCKET_POLICY,
            "explicit" if bucket_eval.decision.value == "explicit-deny" else "implicit",
            summary,
            access_point=route.arn,
            delegation=delegates,
            **({"multi_region_access_point": route.arn} if route.kind == MRAP_ROUTE else {}),
            **ev,
        )
    return out.done()


def _outside_its_vpc(subject: Subject, out: Findings) -> bool:
    """An access point whose network origin is VPC: "Amazon S3 rejects any request made to the access point that
    doesn't originate from that VPC" (S3 User Guide, "Creating access points restricted to a virtual private
    cloud"), before its policy counts. A request that does not show it came from that VPC (aws:SourceVpc, set
    through the VPC's S3 endpoint) is refused; the report says what would let it through."""
    if subject.view.access_point is None or subject.auth is None:
        return False
    info = subject.view.access_point.get("GetAccessPoint")
    if info is None or not info.present or str(info.value.get("NetworkOrigin") or "") != "VPC":
        return False
    vpc_id = str((info.value.get("VpcConfiguration") or {}).get("VpcId") or "")
    came_from = next((v[0] for k, v in subject.auth.context.items() if k.lower() == "aws:sourcevpc" and v), None)
    if vpc_id and came_from == vpc_id:
        return False
    name = info.value.get("Name") or "the access point"
    seen = f"it came from {came_from}" if came_from else "nothing shows it came through that VPC's S3 endpoint"
    out.set(LayerId.ACCESS_POINT_POLICY, DENY, f"{name} accepts only requests from {vpc_id or 'its VPC'}: {seen}")
    out.cause(
        LayerId.ACCESS_POINT_POLICY,
        "setting",
        f"access point {name} has network origin VPC ({vpc_id or 'its VPC'}): S3 rejects every request that does "
        f"not come from that VPC, whatever the policies allow, and {seen}. Send it from inside {vpc_id or 'the VPC'} "
        "(through its S3 endpoint), or through an access point with network origin Internet",
        network_origin="VPC",
        vpc_id=vpc_id or None,
        source_vpc=came_from,
    )
    return True


CHECK = LayerCheck(
    name="access_point",
    layers=(LayerId.ACCESS_POINT_POLICY,),
    reads=("GetAccessPoint", "GetAccessPointPolicy", "GetBucketPolicy"),
    needs=Needs.AUTHORIZATION,
    evaluate=evaluate,
)
