"""The policy layers s3why's engine evaluates together: SCPs, RCPs, the VPC endpoint policy, identity-based and
resource-based (bucket) policies, the permissions boundary and the session policy.

IAM's evaluation logic (IAM User Guide, "Policy evaluation logic"): an explicit Deny in any of them wins; then
every guard (SCP, RCP, VPC endpoint, boundary, session) must allow, and an identity or resource policy must grant
it (both for another account's principal)."""

from __future__ import annotations

from typing import Any

from bot.account.view import ABSENT
from bot.arn import Arn, s3_arn
from bot.diagnose.evidence import alternatives, condition_in_words, evidence, reevaluate
from bot.diagnose.layers.access_point import bucket_side_refuses
from bot.diagnose.layers.base import Authorization, Findings, LayerCheck, LayerFinding, Needs, Subject
from bot.diagnose.layers.endpoint_any_principal import without_principal
from bot.diagnose.model import NO_ALLOW, NOT_APPLICABLE, UNKNOWN, LayerReport, RootCause
from bot.engine import EvaluationResult, Policy
from bot.layers import LayerId

ENGINE_LAYERS = (
    LayerId.SCP,
    LayerId.RCP,
    LayerId.VPC_ENDPOINT_POLICY,
    LayerId.IDENTITY,
    LayerId.PERMISSIONS_BOUNDARY,
    LayerId.SESSION_POLICY,
)
_EXPLICIT_ORDER = (
    LayerId.SCP,
    LayerId.RCP,
    LayerId.VPC_ENDPOINT_POLICY,
    LayerId.BUCKET_POLICY,
    LayerId.IDENTITY,
    LayerId.PERMISSIONS_BOUNDARY,
    LayerId.SESSION_POLICY,
)
_NOT_IN_ORG = {
    LayerId.SCP: "not in an organization, or the management account (SCPs do not apply)",
    LayerId.RCP: "the resource's account is not in an organization, or is the management account (RCPs do not apply)",
}


def engine_report(result: EvaluationResult, layer_id: LayerId, unknown: dict[LayerId, str]) -> LayerReport:
    """One engine layer's verdict as the diagnosis reports it (unknown where s3why could not read the layer)."""
    layer = result.layer(layer_id)
    # Unread comes first: an organization whose policies s3why could not read is unknown, never "not in one".
    if layer_id in unknown and (layer is None or layer.verdict.value != "deny"):
        return LayerReport(layer_id, UNKNOWN, unknown[layer_id])
    if (
        layer is not None
        and layer.verdict.value == "not-applicable"
        and layer_id in _NOT_IN_ORG
        and "given" in layer.detail
    ):
        return LayerReport(layer_id, NOT_APPLICABLE, _NOT_IN_ORG[layer_id])
    if layer is None:
        return LayerReport(layer_id, NOT_APPLICABLE, "")
    return LayerReport(layer_id, layer.verdict.value, layer.detail)


def evaluate(subject: Subject) -> LayerFinding:
    out = Findings()
    auth = subject.auth
    if auth is None:
        # No principal: only what holds for every principal (the VPC endpoint policy's implicit deny).
        return without_principal(subject)
    main = auth.main
    # A malformed policy is skipped by the engine: its layer is unknown, never "no policy" (a guard that is not there
    # would read as allowing everything).
    unread = {**auth.malformed, **auth.inputs.unknown}
    for layer_id in ENGINE_LAYERS:
        out.reports[layer_id] = engine_report(main, layer_id, unread)
    out.reports[LayerId.BUCKET_POLICY] = _bucket_report(subject, auth)

    def builder(extra: dict[str, tuple[str, ...] | None]) -> str:
        return reevaluate(auth.who, auth.actions, auth.resource, auth.owner, auth.context, extra, auth.policies)

    if main.decision.value == "explicit-deny":
        for layer_id in _EXPLICIT_ORDER:
            layer = main.layer(layer_id)
            if layer is not None and layer.verdict.value == "deny":
                ev = evidence(main, layer_id, auth.documents)
                summary = f"explicit Deny in {layer.detail.removeprefix('explicit Deny in ')}"
                if "condition" in ev:
                    tested, got = condition_in_words(ev["condition"])
                    summary += f": {tested} matched (request: {got})"
                out.cause(layer_id, "explicit", summary, **ev)
                alternatives(out, main, request_builder=builder, request_context=auth.context)
    elif main.decision.value == "implicit-deny":
        _implicit_causes(
            main,
            out,
            auth,
            bucket_missing=subject.view.bucket is not None and subject.view.bucket.missing,
            denied=subject.options.text_is_evidence,
        )
        alternatives(out, main, request_builder=builder, request_context=auth.context)
    _name_the_authorization(out, auth)
    return out.done()


def _name_the_authorization(out: Findings, auth: Authorization) -> None:
    """When the operation needs several authorizations, each cause names the one that fails (S3 User Guide,
    "Required permissions for Amazon S3 API operations"): s3:PutObjectAcl for an upload that sets an ACL."""
    main = auth.main
    check = next((c for c in auth.checks if c.action == main.action and c.resource == main.resource), None)
    for i, cause in enumerate(out.causes):
        evidence = dict(cause.evidence)
        evidence.setdefault("action", main.action)
        evidence.setdefault("resource", main.resource)
        summary = cause.summary
        if len(auth.checks) > 1 and check is not None:
            summary += f" — {check.action} on {check.resource}, {check.why}"
            evidence["authorization"] = check.to_json()
        out.causes[i] = RootCause(cause.layer, cause.kind, summary, evidence)


def _bucket_report(subject: Subject, auth: Authorization) -> LayerReport:
    bucket = subject.view.bucket
    if LayerId.BUCKET_POLICY in auth.malformed:
        return LayerReport(LayerId.BUCKET_POLICY, UNKNOWN, auth.malformed[LayerId.BUCKET_POLICY])
    report = engine_report(auth.main, LayerId.BUCKET_POLICY, {})
    if auth.bucket_unknown and report.verdict != "deny":
        return LayerReport(LayerId.BUCKET_POLICY, UNKNOWN, auth.bucket_unknown)
    if bucket is not None and bucket.policy.status == ABSENT:
        if auth.who.account is not None and auth.owner is not None and auth.who.account != auth.owner:
            return LayerReport(
                LayerId.BUCKET_POLICY,
                NO_ALLOW,
                f"bucket {bucket.name} has no bucket policy: nothing grants another account",
            )
        return LayerReport(LayerId.BUCKET_POLICY, NOT_APPLICABLE, f"bucket {bucket.name} has no bucket policy")
    identity = auth.main.layer(LayerId.IDENTITY)
    same_account = auth.who.account is not None and auth.who.account == auth.owner
    if report.verdict == NO_ALLOW and same_account and identity is not None and identity.verdict.value == "allow":
        # Within one account either side may grant: a bucket policy that grants nothing here is not a cause.
        return LayerReport(
            LayerId.BUCKET_POLICY,
            NOT_APPLICABLE,
            f"{report.detail} (not needed: the same account's identity policy allows it)",
        )
    return report


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


def _implicit_causes(
    result: EvaluationResult,
    out: Findings,
    auth: Authorization,
    *,
    bucket_missing: bool = False,
    denied: bool = True,
) -> None:
    """Which layer failed to allow, in AWS's order: the guards, then the grant (identity and resource), then the
    boundary and the session policy, which cap what the identity-based policies grant. `denied`: AWS denied this
    request (the text is evidence); False for the same request on a changed account, where an unread layer is
    only unread, never the likely cause."""
    documents = auth.documents

    def layer_verdict(layer_id: LayerId) -> str:
        layer = result.layer(layer_id)
        return layer.verdict.value if layer else "not-applicable"

    for layer_id, what in (
        (LayerId.RCP, "RCP"),
        (LayerId.SCP, "SCP"),
        (LayerId.VPC_ENDPOINT_POLICY, "VPC endpoint policy"),
    ):
        if layer_verdict(layer_id) == "no-allow":
            ev = evidence(result, layer_id, documents)
            out.cause(
                layer_id,
                "condition" if "condition" in ev else "implicit",
                f"no {what} allows the request: {result.reason}",
                **ev,
            )
            return
    who = auth.who
    same_account = who.account is not None and who.account == auth.owner
    owner_side_unread = False
    identity_ok = layer_verdict(LayerId.IDENTITY) in ("allow",)
    # Through an access point the resource policy evaluated with the identity side is the access point's.
    via_access_point = result.layer(LayerId.ACCESS_POINT_POLICY) is not None
    resource_layer = LayerId.ACCESS_POINT_POLICY if via_access_point else LayerId.BUCKET_POLICY
    bucket_ok = layer_verdict(resource_layer) == "allow"
    if who.has_no_identity_policies:  # a service, anonymous or a CloudFront OAI: only the bucket policy grants it
        if auth.bucket_unknown:
            return
        ev = evidence(result, LayerId.BUCKET_POLICY, documents)
        out.cause(
            LayerId.BUCKET_POLICY,
            "condition" if "condition" in ev else "implicit",
            "no statement of the bucket policy allows this principal",
            **ev,
        )
        return
    if (
        not identity_ok
        and ((same_account and not bucket_ok) or not same_account)
        and LayerId.IDENTITY not in auth.inputs.unknown
    ):
        ev = evidence(result, LayerId.IDENTITY, documents)
        identity_layer = result.layer(LayerId.IDENTITY)
        summary = identity_layer.detail if identity_layer else "no identity-based policy allows the request"
        if not ev:
            miss = _resource_near_miss(auth.inputs.identity, result)
            if miss is not None:
                summary += f"; {miss.pop('hint')}"
                ev = miss
        if ev.get("condition"):
            tested, got = condition_in_words(ev["condition"])
            which = ev.get("sid") or ev.get("statement_index")
            summary += f" (statement {which} needs {tested}, request: {got})"
        out.cause(LayerId.IDENTITY, "condition" if "condition" in ev else "implicit", summary, **ev)
    if same_account and not identity_ok and not bucket_ok and not via_access_point:
        _network_path_grant(result, out, auth)
    if not same_account and not bucket_ok and via_access_point:
        ev = evidence(result, resource_layer, documents)
        out.cause(
            resource_layer,
            "condition" if "condition" in ev else "implicit",
            "cross-account: the access point's policy does not allow this principal (through an access point, "
            "another account's principal needs the access point policy and the bucket policy to allow it)",
            **ev,
        )
    elif not same_account and not bucket_ok and not bucket_missing:  # a bucket that does not exist has no side
        capped = any(layer_verdict(x) == "no-allow" for x in (LayerId.PERMISSIONS_BOUNDARY, LayerId.SESSION_POLICY))
        if auth.bucket_unknown and identity_ok and not capped and not denied:
            # The same request on a changed account: the caller's side allows it and the owner's is unread.
            out.note(f"the bucket's side is not visible: {auth.bucket_unknown}")
            owner_side_unread = True
        elif auth.bucket_unknown and identity_ok and not capped:
            # "The resource-based policy in the trusting account must specify the principal of the trusted account
            # that will have access to the resource" (IAM User Guide, "Cross-account policy evaluation logic"): the
            # caller's side allows it, so the bucket owner's policy, which s3why cannot read, is where the grant is
            # missing (or a Deny stands).
            out.cause(
                LayerId.BUCKET_POLICY,
                "implicit",
                "cross-account: the caller's side allows the request, so the bucket owner's side, most likely its "
                f"policy (account {auth.owner}), refuses it; s3why cannot read it ({auth.bucket_unknown}). Nothing "
                "in the "
                "caller's account can grant it: it is the bucket owner's change (or use what that policy still "
                "allows)",
                suspect=True,
                owner_account=auth.owner,
            )
        elif auth.bucket_unknown:
            out.note(f"the bucket's side is not visible: {auth.bucket_unknown}")
        else:
            ev = evidence(result, LayerId.BUCKET_POLICY, documents)
            summary = (
                "cross-account: the bucket policy does not allow this principal"
                if auth.bucket_policy is not None
                else "cross-account: the bucket has no policy, so nothing grants the other account access"
            )
            out.cause(LayerId.BUCKET_POLICY, "condition" if "condition" in ev else "implicit", summary, **ev)
    found = bool(out.causes) or bucket_side_refuses(auth.route)
    if (identity_ok or bucket_ok) and not found:
        for layer_id, what in (
            (LayerId.PERMISSIONS_BOUNDARY, "permissions boundary"),
            (LayerId.SESSION_POLICY, "session policy"),
        ):
            if layer_verdict(layer_id) == "no-allow":
                ev = evidence(result, layer_id, documents)
                out.cause(
                    layer_id,
                    "implicit",
                    f"the {what} does not allow the request (it caps the identity-based policies)",
                    **ev,
                )
    if not out.causes and not owner_side_unread and not bucket_side_refuses(auth.route):
        out.cause(LayerId.IDENTITY, "implicit", result.reason)


# Keys a request carries only through a VPC endpoint (IAM User Guide, "AWS global condition context keys",
# Availability: aws:SourceVpc and aws:SourceVpce are included only when the requester uses a VPC endpoint;
# aws:VpcSourceIp "matches only if the request originates from the specified IP address and it goes through a VPC
# endpoint").
_ENDPOINT_ONLY_KEYS = frozenset({"aws:sourcevpc", "aws:sourcevpce", "aws:vpcsourceip"})


def _network_path_grant(result: EvaluationResult, out: Findings, auth: Authorization) -> None:
    """Neither side grants, and the bucket policy's grant for this request waits on a key only a VPC endpoint
    sets, which this request does not carry: that statement is the grant the account meant, and the network path
    is why it does not apply. Named after the identity cause, so the request-side alternatives (through an endpoint)
    are evaluated for it."""
    ev = evidence(result, LayerId.BUCKET_POLICY, auth.documents)
    cond = ev.get("condition") or {}
    key = str(cond.get("key") or "")
    if key.lower() not in _ENDPOINT_ONLY_KEYS or cond.get("request_values") is not None:
        return
    if str(cond.get("operator", "")).rsplit(":", 1)[-1] == "Null":
        return  # a presence test: the absent key may be what it asks for
    which = ev.get("sid") or f"statement {ev.get('statement_index')}"
    tested, _ = condition_in_words(cond)
    out.cause(
        LayerId.BUCKET_POLICY,
        "condition",
        f"the bucket policy's grant ({which}) needs {tested}, and the request carries no {key}: that key is set only "
        "for a request through a VPC endpoint, so from outside one (the internet, a NAT gateway) the grant can "
        "never apply and nothing else allows the request. Route it through a gateway VPC endpoint for S3 in that "
        "VPC, or grant the principal itself"
        + ("; removing the condition would open the grant to everyone" if _to_everyone(ev.get("statement")) else ""),
        **ev,
    )


def _to_everyone(statement: Any) -> bool:
    principal = statement.get("Principal") if isinstance(statement, dict) else None
    values = principal.get("AWS") if isinstance(principal, dict) else principal
    return "*" in (values if isinstance(values, list) else [values])


CHECK = LayerCheck(
    name="engine",
    layers=(*ENGINE_LAYERS, LayerId.BUCKET_POLICY),
    reads=(
        "iam: the principal's policies and permissions boundary",
        "organizations: SCPs and RCPs of every level",
        "ec2: the VPC endpoint policy",
        "GetBucketPolicy",
    ),
    needs=Needs.TEXT,  # without a principal it still decides what holds for every one (the endpoint policy)
    evaluate=evaluate,
)
