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
from bot.parse.model import DeniedRequest
from bot.s3ops import OperationSpec, ResourceKind


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
    return route.through.decision.value == "allow" and not bucket_side_ok


def evaluate(subject: Subject) -> LayerFinding:
    out = Findings()
    auth = subject.auth
    route = auth.route if auth else None
    if auth is None or route is None:
        return out.done()
    if route.unknown is not None or route.through is None or route.bucket_side is None:
        out.set(LayerId.ACCESS_POINT_POLICY, UNKNOWN, route.unknown or "the access point was not read")
        return out.done()
    ap_eval, bucket_eval = route.through, route.bucket_side
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
        summary = (
            "the access point allows the request, but the bucket policy does not delegate access control to "
            'access points (no Allow for "*" with an s3:DataAccessPointAccount condition) and grants nothing '
            "else to this principal"
            if not delegates
            else "the access point allows the request, but the bucket policy does not allow it through this "
            "access point"
        )
        out.set(LayerId.BUCKET_POLICY, NO_ALLOW if bucket_eval.decision.value == "implicit-deny" else DENY, summary)
        ev = evidence(bucket_eval, LayerId.BUCKET_POLICY, auth.documents)
        out.cause(
            LayerId.BUCKET_POLICY,
            "explicit" if bucket_eval.decision.value == "explicit-deny" else "implicit",
            summary,
            access_point=route.arn,
            delegation=delegates,
            **ev,
        )
    return out.done()


CHECK = LayerCheck(
    name="access_point",
    layers=(LayerId.ACCESS_POINT_POLICY,),
    reads=("GetAccessPoint", "GetAccessPointPolicy", "GetBucketPolicy"),
    needs=Needs.AUTHORIZATION,
    evaluate=evaluate,
)
