"""The workload's own identity instead of widening a shared role (issue 19 §2, issue 20 §3).

An EC2 instance profile's role is shared by everything that runs on the instance: "applications that run on the
instance" all get its temporary credentials (IAM User Guide, "Use an IAM role to grant permissions to applications
running on Amazon EC2 instances"). On an EKS node that is every pod: the Amazon EKS User Guide ("IAM roles for
service accounts", "EKS Pod Identity") gives each workload its own role through its service account, and its
"Amazon EKS node IAM role" page says the node role should carry only what the kubelet needs. So when a Kubernetes
workload's request is refused as the node's role, the first fix is the workload's own identity (an IRSA role or a
Pod Identity association with the grant); widening the node role stays as a labelled alternative: every pod on
the node gets it. The same holds for any shared role when a resource policy already grants the request to another
role of the account: that role is the workload's own identity, and the workload is not using it.
"""

from __future__ import annotations

import re
from typing import Any

from bot.arn import Arn
from bot.diagnose import RootCause
from bot.engine.matching import action_matcher, arn_matcher
from bot.fixes.context import FixContext, statements_of
from bot.fixes.model import Fix, Risk

# Words that say the caller is a Kubernetes workload (a pod, its service account, IRSA or Pod Identity, EKS).
_KUBERNETES = re.compile(
    r"(?i)\b(?:pods?|kubernetes|k8s|kubectl|service ?accounts?|serviceaccount|irsa|pod[ -]identity|"
    r"eks\.amazonaws\.com/role-arn|amazon eks|eks|daemonset|statefulset|helm)\b"
)
# Role names EKS tooling gives node roles (eksctl's NodeInstanceRole, the Terraform module's node groups).
_NODE_ROLE = re.compile(r"(?i)node[-_]?(?:instance)?[-_]?role|nodegroup|node[-_]group|worker[-_]?node")
_INSTANCE_ID = re.compile(r"^i-[0-9a-f]{8}(?:[0-9a-f]{9})?$")
_LAYERS = frozenset({"identity", "bucket-policy"})


def _session_role(principal: str) -> tuple[str, str, str] | None:
    """(account, role name, session name) of a role session ARN."""
    arn = Arn.parse(principal)
    if arn is None or not arn.is_role_session:
        return None
    parts = arn.resource.split("/")
    return (arn.account, parts[1], parts[-1]) if len(parts) >= 3 else None


def _shared(c: FixContext, paste: str) -> tuple[str, bool] | None:
    """(the role's name, whether a Kubernetes workload runs under it) when the caller is an EC2 instance profile's
    session (the session name is the instance id, or the snapshot says so); None otherwise. A presigned URL's
    signer counts: the URL carries the instance role's credentials when the pod has no identity of its own."""
    parts = _session_role(c.principal)
    if parts is None:
        return None
    _, role, session_name = parts
    session = (c.snapshot.get("principal") or {}).get("session") or {}
    instance = _INSTANCE_ID.match(session_name) is not None or session.get("type") == "instance-profile"
    if not instance:
        return None
    # The paste, or the role's own name (a cluster's worker role: "k8s-workers-...", "eks-node-..."), says whether
    # Kubernetes workloads share it.
    return role, any(p.search(role) for p in (_KUBERNETES, _NODE_ROLE)) or bool(_KUBERNETES.search(paste))


def _granted_roles(c: FixContext) -> list[tuple[str, str]]:
    """(role ARN, statement id) for the roles of the caller's account, other than the caller's, that the bucket
    policy allows every one of the request's actions on its resource (same account: that grant alone suffices
    unless a Deny, a boundary or a session policy says otherwise; IAM User Guide, "Policy evaluation logic")."""
    parts = _session_role(c.principal)
    if parts is None or not c.resource or not c.actions:
        return []
    account, own_role, _ = parts
    policy = ((c.snapshot.get("bucket") or {}).get("calls") or {}).get("GetBucketPolicy") or {}
    document: Any = policy.get("Policy")
    if isinstance(document, str):
        import json

        try:
            document = json.loads(document)
        except ValueError:
            return []
    out: list[tuple[str, str]] = []
    for index, st in enumerate(statements_of(document)):
        if st.get("Effect") != "Allow" or "Condition" in st or "NotAction" in st or "NotResource" in st:
            continue
        principal = st.get("Principal")
        aws = principal.get("AWS") if isinstance(principal, dict) else None
        names = [v for v in (aws if isinstance(aws, list) else [aws]) if isinstance(v, str)]
        actions = st.get("Action")
        action_list = [a for a in (actions if isinstance(actions, list) else [actions]) if isinstance(a, str)]
        resources = st.get("Resource")
        resource_list = [r for r in (resources if isinstance(resources, list) else [resources]) if isinstance(r, str)]
        if not all(any(action_matcher(a)(want) for a in action_list) for want in c.actions):
            continue
        if not any(arn_matcher(r)(c.resource) for r in resource_list):
            continue
        for name in names:
            arn = Arn.parse(name)
            if arn is None or arn.account != account or not arn.resource.startswith("role/"):
                continue
            if arn.resource.rsplit("/", 1)[-1] == own_role:
                continue
            out.append((name, str(st.get("Sid") or f"statement {index + 1}")))
    return out


def workload_identity(c: FixContext, cause: RootCause, paste: str) -> Fix | None:
    """The fix that gives the workload its own identity, when the caller is a shared role (else None)."""
    if cause.layer.value not in _LAYERS or cause.kind != "implicit":
        return None
    shared = _shared(c, paste)
    if shared is None:
        return None
    role, kubernetes = shared
    granted = _granted_roles(c)
    if not kubernetes and not granted:
        return None  # an instance's own application role: granting it is the ordinary fix
    actions = ", ".join(c.actions)
    who = "every pod on the node" if kubernetes else "every workload on the instance"
    if granted:
        names = ", ".join(f"{arn} (bucket policy, {sid})" for arn, sid in granted)
        how = (
            "Make the workload use its own role (IRSA: the service account's eks.amazonaws.com/role-arn "
            "annotation and an SDK that reads AWS_WEB_IDENTITY_TOKEN_FILE; or an EKS Pod Identity association)"
            if kubernetes
            else "Make the workload use its own role"
        )
        explanation = (
            f"The request was made as {role}, the instance's shared role, but the bucket policy already allows "
            f"{actions} on {c.resource} for {names}: that role is the workload's own identity and the workload did "
            f"not use it. {how}; no policy changes. s3why has not read that role's own policies."
        )
    else:
        explanation = (
            f"The request was made as {role}, the EKS node's instance role, which {who} shares. Give the workload "
            "its own identity instead: an IAM role for its service account (IRSA) or an EKS Pod Identity "
            f"association, whose policy allows exactly {actions} on {c.resource}; widening {role} is the "
            "alternative below."
        )
    fix = Fix(
        "workload-identity",
        cause.layer.value,
        Risk.LOW,
        False,
        [],
        "Use the workload's own identity instead of the shared node role"
        if kubernetes
        else "Use the workload's own identity instead of the instance's shared role",
        explanation,
        never_automatic=(
            "not a policy change s3why applies: the workload's credentials change (its service account, Pod "
            "Identity association or SDK configuration)"
        ),
        reason="not fixed automatically",
    )
    fix.owners = [f"whoever deploys the workload (its {'service account' if kubernetes else 'credentials'})"]
    return fix


def label_shared_grants(fixes: list[Fix], c: FixContext, paste: str) -> None:
    """Label the fixes that widen the shared role: who else gets what they grant."""
    shared = _shared(c, paste)
    if shared is None:
        return
    role, kubernetes = shared
    who = "every pod on the node gets it" if kubernetes else "every workload on the instance gets it"
    for fix in fixes:
        if fix.id == "workload-identity" or not fix.patches:
            continue
        if any(p.target.endswith(f":role/{role}") or p.target.endswith(f"/{role}") for p in fix.patches) or any(
            role in str(p.document) for p in fix.patches if p.document is not None
        ):
            fix.title = f"{fix.title} ({role} is shared: {who})"
            if fix.risk == Risk.LOW:
                fix.risk = Risk.MEDIUM
