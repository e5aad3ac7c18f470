"""The kind of principal that made the request, and what AWS's documentation says each kind can be granted.

- An AWS service principal has no identity-based policies or permissions boundary: only a resource-based policy
  (bucket, access point or key policy) can grant it, and `aws:SourceArn`/`aws:SourceAccount` are present only
  when the service calls on a resource's behalf (IAM User Guide, "AWS global condition context keys").
- An anonymous request carries no signature: only grants to everyone apply (`"Principal": "*"`, a public ACL),
  and Block Public Access can void them (S3 User Guide, "Blocking public access to your Amazon S3 storage").
- A federated user (sts:GetFederationToken) holds the intersection of its IAM user's policies and the session
  policy it was given (IAM User Guide, "Session policies").
- An IAM Identity Center session is a session of the role `AWSReservedSSO_<permission set>_<suffix>` at the path
  `aws-reserved/sso.amazonaws.com/<region>/`; its policies come from the permission set, and the suffix changes
  when the assignment is re-created, which leaves policies naming the old ARN out of date (IAM Identity Center
  User Guide, "Referencing permission sets in resource policies, Amazon EKS, and AWS KMS").
- A session the snapshot describes (`principal.session.type`: web-identity for IRSA, EKS Pod Identity or a CI's
  OIDC token; saml; a role chain) is a role session: the role's policies, capped by its session policy.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bot.account.view import AccountView
from bot.engine.principal import PrincipalKind, parse_principal

_SSO_ROLE = re.compile(r"^AWSReservedSSO_(?P<set>.+)_(?P<suffix>[0-9a-f]{16})$")
_SSO_ARN = re.compile(r"AWSReservedSSO_(?P<set>[A-Za-z0-9+=,.@_-]+?)_(?P<suffix>[0-9a-f]{16})\b")
_INSTANCE_ID = re.compile(r"^i-[0-9a-f]{8}(?:[0-9a-f]{9})?$")

_SESSION_TYPES = {
    "web-identity": "a web identity session (AssumeRoleWithWebIdentity: IRSA, a CI's OIDC token)",
    "eks-pod-identity": "an EKS Pod Identity session",
    "saml": "a SAML-federated session (AssumeRoleWithSAML)",
    "role-chain": "a role chained from another role's session",
    "instance-profile": "an EC2 instance profile session",
    "task-role": "an ECS task role session",
}


@dataclass(frozen=True, slots=True)
class PrincipalKindInfo:
    """`kind`: iam-user | role-session | sso-session | federated-user | root | aws-service | anonymous | role;
    `notes`: what that kind means for this request, one sentence each."""

    kind: str
    notes: tuple[str, ...] = ()
    permission_set: str | None = None


def describe_principal(principal_arn: str, view: AccountView, documents: dict[str, Any]) -> PrincipalKindInfo:
    """The principal's kind and what AWS's documentation says it can be granted; `documents` are the policies in
    force by name (checked for ARNs of an older Identity Center role)."""
    who = parse_principal(principal_arn)
    session: dict[str, Any] = view.principal.session if view.principal is not None else {}
    if who.kind is PrincipalKind.SERVICE:
        return PrincipalKindInfo(
            "aws-service",
            (
                f"{who.service} is an AWS service principal: no identity-based policy or permissions boundary "
                "applies to it; only a resource-based policy (bucket, access point or key policy) can grant it",
            ),
        )
    if who.kind is PrincipalKind.ANONYMOUS:
        return PrincipalKindInfo(
            "anonymous",
            (
                'an unsigned (anonymous) request: only grants to everyone apply ("Principal": "*" or a public '
                "ACL), and Block Public Access (RestrictPublicBuckets, IgnorePublicAcls) can void them",
            ),
        )
    if who.kind is PrincipalKind.FEDERATED_USER:
        return PrincipalKindInfo(
            "federated-user",
            (
                "a federated user session (GetFederationToken): it holds only what both its IAM user's policies "
                "and the session policy it was given allow",
            ),
        )
    if who.kind is PrincipalKind.ROOT:
        return PrincipalKindInfo("root")
    if who.kind is PrincipalKind.USER and who.account == "cloudfront":
        return PrincipalKindInfo(
            "cloudfront-oai",
            (
                "a CloudFront origin access identity (OAI): a bucket policy grants it by this ARN (or its canonical "
                "user); it cannot read SSE-KMS objects or send PUT and DELETE, which origin access control (OAC) can",
            ),
        )
    if who.kind is PrincipalKind.USER:
        return PrincipalKindInfo("iam-user")
    role_name = who.name or ""
    sso = _SSO_ROLE.match(role_name)
    if sso is not None:
        notes = [
            f"an IAM Identity Center session of permission set {sso['set']}: its policies come from the permission "
            "set (change them there, not on the role, which Identity Center manages)"
        ]
        notes.extend(_stale_sso_arns(sso["set"], sso["suffix"], documents))
        return PrincipalKindInfo("sso-session", tuple(notes), permission_set=sso["set"])
    notes = []
    described = _SESSION_TYPES.get(str(session.get("type") or ""))
    session_name = (principal_arn.rsplit("/", 1)[-1]) if who.kind is PrincipalKind.ROLE_SESSION else ""
    if described is None and _INSTANCE_ID.match(session_name):
        described = _SESSION_TYPES["instance-profile"] + " (the session name is the instance ID)"
    if described is not None:
        notes.append(f"{described} of role {role_name}: the role's policies apply, capped by any session policy")
    chain = session.get("chain")
    if isinstance(chain, list) and chain:
        notes.append(f"reached through {' -> '.join(str(x) for x in chain)}: only the last role's permissions apply")
    kind = "role-session" if who.kind is PrincipalKind.ROLE_SESSION else "role"
    return PrincipalKindInfo(kind, tuple(notes))


def _stale_sso_arns(permission_set: str, suffix: str, documents: dict[str, Any]) -> list[str]:
    """Policies that name the same permission set's role with another suffix: an assignment re-created since."""
    out = []
    for name, doc in documents.items():
        text = json.dumps(doc)
        for m in _SSO_ARN.finditer(text):
            if m["set"] == permission_set and m["suffix"] != suffix:
                out.append(
                    f"{name} names AWSReservedSSO_{permission_set}_{m['suffix']}, an earlier role of this "
                    f"permission set (today's suffix is {suffix}): Identity Center re-created the role, and a "
                    "policy naming the old ARN no longer matches"
                )
                break
    return out
