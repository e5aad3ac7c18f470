"""Reconciling the answer with what the error text states — once, in the orchestrator.

The text is evidence: when AWS's message names the layer that denied (a policy type, a reason clause, an error
code that is a layer's signature), the top root cause must be that layer. When s3why's own evaluation reproduces
it, the answer says so; when it does not — the layer allows in s3why's view, or s3why could not read it — the
answer says exactly that, ranks the stated layer first and decides `unknown`, never `allow`.
"""

from __future__ import annotations

from typing import Any

from bot.diagnose.layers.base import Subject
from bot.diagnose.layers.block_public_access import effective_settings
from bot.diagnose.model import ALLOW, NOT_APPLICABLE, UNKNOWN, LayerReport, RootCause
from bot.diagnose.stated import StatedFacts
from bot.engine.principal import parse_principal
from bot.layers import LayerId

_WHAT = {
    LayerId.SCP: "the SCPs",
    LayerId.RCP: "the RCPs",
    LayerId.VPC_ENDPOINT_POLICY: "the VPC endpoint policy",
    LayerId.IDENTITY: "the identity-based policies",
    LayerId.PERMISSIONS_BOUNDARY: "the permissions boundary",
    LayerId.SESSION_POLICY: "the session policy",
    LayerId.BUCKET_POLICY: "the bucket policy",
    LayerId.ACCESS_POINT_POLICY: "the access point policy",
    LayerId.KMS: "the KMS key policy",
    LayerId.CLOUDFRONT: "the bucket policy's CloudFront statement",
    LayerId.BLOCK_PUBLIC_ACCESS: "the Block Public Access settings",
    LayerId.OBJECT_OWNERSHIP: "the bucket's Object Ownership",
    LayerId.REQUEST_HEADERS: "the request",
    LayerId.REQUESTER_PAYS: "the bucket's Requester Pays setting",
}
_AFTERWORD = "a policy may have changed since, or another principal made the call"


def reconcile(
    stated: StatedFacts,
    decision: str,
    causes: tuple[RootCause, ...],
    reports: dict[LayerId, LayerReport],
    subject: Subject,
) -> tuple[str, tuple[RootCause, ...], list[str]]:
    """The decision and ranked causes made consistent with the text's facts, with notes saying how."""
    notes: list[str] = []
    if stated.authorization_id:
        notes.append(f"AWS's record of this denial: authorization id {stated.authorization_id}")
    if not stated.names_a_denial:
        return decision, causes, notes
    if stated.layers:
        match = next((c for c in causes if c.layer in stated.layers and _same_kind(stated, c)), None)
        if match is None:
            match = _confirmed_setting(stated, subject)
            if match is not None:
                causes = (match, *causes)
        if match is not None:
            first = _with_statement(match, stated, reproduced=True)
            rest = tuple(c for c in causes if c is not match)
            if decision not in ("explicit-deny", "implicit-deny"):
                decision = "explicit-deny" if first.kind == "explicit" else "implicit-deny"
            notes.append(f"{stated.what_aws_says()}: s3why's evaluation reproduces it")
            return decision, (first, *rest), notes
        cause = _not_reproduced(stated, causes, reports, subject)
        return "unknown", (cause, *causes), notes
    # The text says explicit or implicit without naming the layer.
    if decision == ALLOW or (stated.deny_kind == "explicit" and decision != "explicit-deny"):
        notes.insert(0, f"{stated.what_aws_says()}, but what s3why read does not reproduce it: {_AFTERWORD}")
        return "unknown", causes, notes
    return decision, causes, notes


def _same_kind(stated: StatedFacts, cause: RootCause) -> bool:
    if stated.deny_kind == "explicit":
        return cause.kind == "explicit"
    if stated.deny_kind == "implicit":
        return cause.kind != "explicit"
    return True


def _with_statement(cause: RootCause, stated: StatedFacts, *, reproduced: bool) -> RootCause:
    evidence: dict[str, Any] = dict(cause.evidence)
    evidence["stated"] = {
        k: v
        for k, v in {
            "error_code": stated.error_code,
            "deny_kind": stated.deny_kind,
            "policy_type": stated.policy_type,
            "reason": stated.reason,
            "policy_arn": stated.policy_arn,
            "authorization_id": stated.authorization_id,
        }.items()
        if v is not None
    }
    evidence["reproduced"] = reproduced
    return RootCause(cause.layer, cause.kind, cause.summary, evidence)


def _confirmed_setting(stated: StatedFacts, subject: Subject) -> RootCause | None:
    """A reason clause naming a Block Public Access setting that s3why sees in force: the request carried what
    the setting rejects (a public ACL, or a public policy), even if the text does not show it."""
    view = subject.view
    if LayerId.BLOCK_PUBLIC_ACCESS not in stated.layers or view.bucket is None or not stated.reason:
        return None
    flags, _ = effective_settings(view)
    named = next((f for f in flags if f.lower() in stated.reason.lower()), None)
    if named is None or not flags[named]:
        return None
    return RootCause(
        LayerId.BLOCK_PUBLIC_ACCESS,
        "setting",
        f"Block Public Access ({named}) is in force on {view.bucket.name} and rejected the request: "
        + (
            "it carried a public ACL (x-amz-acl public-read, public-read-write or authenticated-read, or a grant "
            "to AllUsers/AuthenticatedUsers); drop the ACL, or send bucket-owner-full-control. Turning Block "
            "Public Access off is not the fix"
            if named in ("BlockPublicAcls", "IgnorePublicAcls")
            else "the policy it carried is public; name the principals, or add a fixed condition"
        ),
        # What the setting rejects, for the request-side fixes (bot/fixes/request.py): the ACL or the document.
        {"settings": flags, "request_acl": "public"}
        if named in ("BlockPublicAcls", "IgnorePublicAcls")
        else {"settings": flags, "new_policy_public": "true"},
    )


def _pick_layer(stated: StatedFacts, reports: dict[LayerId, LayerReport], subject: Subject) -> LayerId:
    layers = stated.layers
    if stated.policy_type == "resource":
        if subject.auth is not None and subject.auth.route is not None:
            return LayerId.ACCESS_POINT_POLICY
        if LayerId.KMS in layers[:1]:
            return LayerId.KMS
        return LayerId.BUCKET_POLICY
    unread = [layer for layer in layers if reports[layer].verdict == UNKNOWN]
    return unread[0] if unread else layers[0]


def _not_reproduced(
    stated: StatedFacts, causes: tuple[RootCause, ...], reports: dict[LayerId, LayerReport], subject: Subject
) -> RootCause:
    layer = _pick_layer(stated, reports, subject)
    report = reports[layer]
    what = _WHAT.get(layer, f"the {layer.value} layer")
    other = next((c for c in causes if c.layer is layer), None)
    missing = _not_collected(layer, subject)
    if missing is not None:
        seen = missing
    elif report.verdict == UNKNOWN:
        seen = f"s3why could not read {what}: {report.detail}"
    elif other is not None:
        seen = f"s3why finds something else there: {other.summary}: {_AFTERWORD}"
    elif report.verdict == ALLOW:
        seen = f"{what} s3why read allow{'s' if what.endswith(('policy', 'boundary')) else ''} it: {_AFTERWORD}"
    elif report.verdict == NOT_APPLICABLE:
        seen = f"what s3why read says {what} do not apply here ({report.detail}): {_AFTERWORD}"
    else:
        seen = f"s3why's view of {what}: {report.detail}: {_AFTERWORD}"
    summary = f"{stated.what_aws_says()}; {seen}"
    kind = "explicit" if stated.deny_kind == "explicit" else ("setting" if layer in _SETTINGS else "implicit")
    evidence: dict[str, Any] = {"layer_verdict": report.verdict, "layer_detail": report.detail}
    if missing is not None:
        evidence["not_collected"] = missing
    cause = RootCause(layer, kind, summary, evidence)
    return _with_statement(cause, stated, reproduced=False)


_SETTINGS = frozenset(
    {
        LayerId.BLOCK_PUBLIC_ACCESS,
        LayerId.OBJECT_OWNERSHIP,
        LayerId.ACL,
        LayerId.OBJECT_LOCK,
        LayerId.REQUESTER_PAYS,
        LayerId.REQUEST_HEADERS,
    }
)


def _not_collected(layer: LayerId, subject: Subject) -> str | None:
    """What s3why lacks to confirm the stated layer when it holds no data for it at all, or None."""
    view = subject.view
    if layer in (LayerId.SCP, LayerId.RCP):
        which = "principal_account"
        account = parse_principal(subject.principal_arn).account if subject.principal_arn else None
        if layer is LayerId.RCP and subject.auth is not None and subject.auth.owner not in (None, account):
            which, account = "resource_account", subject.auth.owner
        if view.organizations.get(which) is not None:
            return None
        kind = "service control" if layer is LayerId.SCP else "resource control"
        where = f" for account {account}" if account else ""
        return (
            f"s3why could not read the organization's {kind} policies (it holds no organization data{where}): its "
            f"role needs organizations:ListPoliciesForTarget{where} (with organizations:DescribeOrganization, "
            "ListParents and DescribePolicy), in the management account or a delegated administrator "
            "(organization.role_arn in the configuration)"
        )
    if layer is LayerId.VPC_ENDPOINT_POLICY and view.vpc_endpoint is None:
        return (
            "s3why does not know which VPC endpoint carried the request, so it did not read its policy: pass "
            "--context aws:SourceVpce=vpce-... (s3why's role needs ec2:DescribeVpcEndpoints)"
        )
    if layer is LayerId.SESSION_POLICY and subject.options.session_policy is None:
        return (
            "s3why cannot see session policies (they live only in the session): pass the policy given to "
            "AssumeRole (or the federation call) with --session-policy FILE"
        )
    if layer in (LayerId.IDENTITY, LayerId.PERMISSIONS_BOUNDARY) and view.principal is None:
        return "s3why did not read the principal's policies: tell it who made the call (--principal ARN)"
    if layer in (LayerId.BUCKET_POLICY, LayerId.BLOCK_PUBLIC_ACCESS, LayerId.OBJECT_OWNERSHIP) and view.bucket is None:
        return "s3why did not read the bucket: the text does not say which bucket (or the snapshot does not hold it)"
    return None
