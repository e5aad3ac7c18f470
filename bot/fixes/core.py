"""Least-privilege fixes for a diagnosis, each verified by diagnosing the request again on the patched account.

A fix adds the narrowest statement that makes the request work (exactly the actions it needs, exactly the
resource it touched, the principal's role ARN — never a session, never "*"), merged into the current document
under a deterministic Sid (applying it twice changes nothing), within AWS's size limits. It is shown as
verified only when, on the patched account, the original request is allowed and neighbouring requests (other
actions, other keys and buckets, other principals) keep their old decision.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from typing import Any

from bot.account.view import account_view, policy_doc
from bot.arn import Arn, s3_arn
from bot.diagnose import DiagnoseOptions, Diagnosis, RootCause, diagnose
from bot.fixes.catalogue import Remediation, catalogue, render_statement, render_text
from bot.parse.model import DeniedRequest

# AWS's size limits (S3_AUTHZ.md §8): bytes for resource policies, non-white-space characters for IAM.
LIMITS = {
    "bucket-policy": ("bytes", 20 * 1024),
    "access-point-policy": ("bytes", 20 * 1024),
    "key-policy": ("bytes", 32 * 1024),
    "vpc-endpoint-policy": ("chars", 20_480),
    "role-inline": ("nonspace", 10_240),
    "user-inline": ("nonspace", 2_048),
    "managed": ("nonspace", 6_144),
}
FIX_POLICY_NAME = "s3why-fixes"
_DIAGNOSTIC_FIXES = frozenset({"object-missing-list"})


@dataclass
class Patch:
    target: str
    # iam-policy | bucket-policy | key-policy | vpc-endpoint-policy | access-point-policy | setting | request-change
    kind: str
    document: dict[str, Any] | None
    commands: list[str]
    before: dict[str, Any] | None = None
    terraform: str = ""
    cloudformation: str = ""
    apply: dict[str, Any] = field(default_factory=dict)  # how to put it into a snapshot

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "kind": self.kind, "document": self.document, "commands": self.commands}

    @property
    def diff(self) -> str:
        if self.document is None:
            return ""
        before = json.dumps(self.before, indent=2).splitlines() if self.before else []
        after = json.dumps(self.document, indent=2).splitlines()
        return "\n".join(difflib.unified_diff(before, after, "current", "proposed", lineterm="", n=2))


@dataclass
class Fix:
    id: str
    layer: str
    risk: str
    verified: bool
    patches: list[Patch]
    title: str
    explanation: str
    never_automatic: str | None = None
    reason: str = ""  # why it is not verified, when it is not

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "layer": self.layer,
            "risk": self.risk,
            "verified": self.verified,
            "patches": [p.to_json() for p in self.patches],
        }


# -----------------------------------------------------------------------------------------------------------
def _sid(*parts: Any) -> str:
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:10]
    return f"S3why{digest}"


def _merge(document: dict[str, Any] | None, statement: dict[str, Any]) -> dict[str, Any]:
    """The document with the statement added (or replaced, when a statement with its Sid is there already)."""
    doc = copy.deepcopy(document) if isinstance(document, dict) else {"Version": "2012-10-17", "Statement": []}
    doc.setdefault("Version", "2012-10-17")
    statements = doc.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    statements = [s for s in statements if not (isinstance(s, dict) and s.get("Sid") == statement["Sid"])]
    statements.append(statement)
    doc["Statement"] = statements
    return doc


def _size_ok(kind: str, document: dict[str, Any]) -> tuple[bool, str]:
    unit, limit = LIMITS[kind]
    text = json.dumps(document, separators=(",", ":"))
    size = len(text.encode()) if unit == "bytes" else len(text) if unit == "chars" else len(re.sub(r"\s", "", text))
    return size <= limit, f"{size:,} of {limit:,} {'bytes' if unit == 'bytes' else 'characters'}"


def _role_arn(snapshot: dict[str, Any], principal: str) -> str:
    """The principal as a policy should name it: a session's role ARN (with its path), never the session."""
    view = account_view(snapshot)
    if view.principal is not None and view.principal.role_arn:
        return view.principal.role_arn
    arn = Arn.parse(principal)
    if arn is not None and arn.is_role_session:
        return f"arn:{arn.partition}:iam::{arn.account}:role/{arn.role_name_of_session}"
    return principal


@dataclass
class _Ctx:
    req: DeniedRequest
    snapshot: dict[str, Any]
    options: DiagnoseOptions
    diagnosis: Diagnosis
    principal: str
    principal_policy_arn: str
    actions: list[str]
    resource: str
    bucket: str | None
    owner: str | None


def arn_literal(arn: str) -> str:
    """An ARN as a Resource pattern that matches only itself: `*`, `?` and `$` in it become `${*}`, `${?}` and
    `${$}` (IAM policy variables for literal characters; the fix documents are 2012-10-17)."""
    head, sep, tail = arn.partition(":::")
    if not sep:
        return arn
    return head + sep + "".join({"*": "${*}", "?": "${?}", "$": "${$}"}.get(ch, ch) for ch in tail)


def string_literal(value: str) -> str:
    """A value for a String condition operator that substitutes no variable."""
    return value.replace("$", "${$}")


def _values(c: _Ctx, cause: RootCause, entry: Remediation) -> dict[str, Any]:
    key = cause.evidence.get("key")
    region = ((c.snapshot.get("bucket") or {}).get("region")) or "us-east-1"
    kms_action = cause.evidence.get("action")
    head = (((c.snapshot.get("bucket") or {}).get("object") or {}).get("calls") or {}).get("HeadObject") or {}
    object_arn = s3_arn(c.bucket, c.req.key) if c.bucket and c.req.key else ""
    kms_context = [s3_arn(c.bucket)] if c.bucket and (head.get("BucketKeyEnabled") or not object_arn) else [object_arn]
    return {
        "kms_context": [string_literal(v) for v in kms_context],
        "principal": c.principal,
        "principal_arn": c.principal_policy_arn,
        "actions": c.actions,
        "resources": [arn_literal(c.resource)],
        "resource": c.resource,
        "access_point_resources": [arn_literal(_access_point_resource(c))],
        "bucket": c.bucket or "",
        "bucket_arn": s3_arn(c.bucket) if c.bucket else "",
        "key": key or "",
        "kms_actions": ["kms:Decrypt", "kms:GenerateDataKey"] if kms_action else [],
        "region": region,
        "access_point": cause.evidence.get("access_point") or "",
        "source_arn": (c.options.context.get("aws:SourceArn") or ("",))[0],
        "summary": cause.summary,
        "sid": _sid(entry.id, c.actions, c.resource, c.principal_policy_arn, key),
    }


def _access_point_resource(c: _Ctx) -> str:
    """The access point ARN the request was evaluated on (its object form for object operations)."""
    ap = c.snapshot.get("access_point") or {}
    arn = str(ap.get("arn") or "")
    if not arn:
        return c.resource
    return f"{arn}/object/{c.req.key}" if c.req.key else arn


def _principal_patch(c: _Ctx, statement: dict[str, Any]) -> Patch | None:
    principal = c.snapshot.get("principal") or {}
    kind = principal.get("kind")
    if kind not in ("role", "user"):
        return None
    calls = principal.get("calls") or {}
    inline_key = "RolePolicies" if kind == "role" else "UserPolicies"
    current = ((calls.get(inline_key) or {}).get(FIX_POLICY_NAME) or {}).get("PolicyDocument")
    document = _merge(current, statement)
    name = c.principal_policy_arn.rsplit("/", 1)[-1]
    values = {
        "entity_kind": kind,
        "entity_name": name,
        "policy_name": FIX_POLICY_NAME,
        "document": document,
        "target": c.principal_policy_arn,
        "resource_name": f"s3why_{name}".replace("-", "_"),
    }
    return Patch(
        target=c.principal_policy_arn,
        kind="iam-policy",
        document=document,
        commands=[render_text("commands/iam-policy.sh.j2", values)],
        before=current,
        terraform=render_text("terraform/iam-policy.tf.j2", values),
        cloudformation=render_text(
            "cloudformation/patch.json.j2",
            {
                "cfn_type": f"AWS::IAM::{'Role' if kind == 'role' else 'User'}Policy",
                "cfn_properties": {
                    "PolicyName": FIX_POLICY_NAME,
                    f"{'Role' if kind == 'role' else 'User'}Name": name,
                    "PolicyDocument": document,
                },
            },
        ),
        apply={"where": "principal-inline", "name": FIX_POLICY_NAME, "inline_key": inline_key, "kind": kind},
    )


def _boundary_patch(c: _Ctx, statement: dict[str, Any]) -> Patch | None:
    view = account_view(c.snapshot)
    if view.principal is None or view.principal.boundary is None:
        return None
    arn = view.principal.boundary.name
    document = _merge(view.principal.boundary.document, statement)
    values = {"target": arn, "document": document, "resource_name": "s3why_boundary"}
    return Patch(
        arn,
        "iam-policy",
        document,
        [render_text("commands/managed-policy.sh.j2", values)],
        view.principal.boundary.document,
        render_text("terraform/managed-policy.tf.j2", values),
        render_text(
            "cloudformation/patch.json.j2",
            {"cfn_type": "AWS::IAM::ManagedPolicy", "cfn_properties": {"PolicyDocument": document}},
        ),
        {"where": "managed", "arn": arn},
    )


def _bucket_patch(c: _Ctx, statement: dict[str, Any]) -> Patch | None:
    view = account_view(c.snapshot)
    if view.bucket is None or not view.bucket.policy.known:
        return None
    current = view.bucket.policy.value if view.bucket.policy.present else None
    document = _merge(current, statement)
    values = {
        "bucket": view.bucket.name,
        "document": document,
        "target": s3_arn(view.bucket.name),
        "resource_name": f"s3why_{view.bucket.name}".replace("-", "_").replace(".", "_"),
    }
    return Patch(
        s3_arn(view.bucket.name),
        "bucket-policy",
        document,
        [render_text("commands/bucket-policy.sh.j2", values)],
        current,
        render_text("terraform/bucket-policy.tf.j2", values),
        render_text(
            "cloudformation/patch.json.j2",
            {
                "cfn_type": "AWS::S3::BucketPolicy",
                "cfn_properties": {"Bucket": view.bucket.name, "PolicyDocument": document},
            },
        ),
        {"where": "bucket", "bucket": view.bucket.name, "account": view.bucket.account},
    )


def _key_patch(c: _Ctx, statement: dict[str, Any], key_arn: str) -> Patch | None:
    view = account_view(c.snapshot)
    key = view.keys.get(key_arn)
    if key is None or not key.policy.present:
        return None
    document = _merge(key.policy.value, statement)
    values = {"target": key_arn, "document": document, "resource_name": "s3why_key_policy"}
    return Patch(
        key_arn,
        "key-policy",
        document,
        [render_text("commands/key-policy.sh.j2", values)],
        key.policy.value,
        render_text("terraform/key-policy.tf.j2", values),
        render_text(
            "cloudformation/patch.json.j2", {"cfn_type": "AWS::KMS::Key", "cfn_properties": {"KeyPolicy": document}}
        ),
        {"where": "key", "arn": key_arn},
    )


def _vpce_patch(c: _Ctx, statement: dict[str, Any]) -> Patch | None:
    view = account_view(c.snapshot)
    vpce = c.snapshot.get("vpc_endpoint") or {}
    if view.vpc_endpoint is None or not view.vpc_endpoint.present:
        return None
    document = _merge(view.vpc_endpoint.value, statement)
    target = str(vpce.get("id"))
    values = {"target": target, "document": document, "resource_name": "s3why_endpoint"}
    return Patch(
        target,
        "vpc-endpoint-policy",
        document,
        [render_text("commands/vpc-endpoint-policy.sh.j2", values)],
        view.vpc_endpoint.value,
        render_text("terraform/vpc-endpoint-policy.tf.j2", values),
        render_text(
            "cloudformation/patch.json.j2",
            {"cfn_type": "AWS::EC2::VPCEndpoint", "cfn_properties": {"PolicyDocument": document}},
        ),
        {"where": "vpce", "id": target, "account": vpce.get("account")},
    )


def _access_point_patch(c: _Ctx, statement: dict[str, Any]) -> Patch | None:
    view = account_view(c.snapshot)
    if view.access_point is None:
        return None
    info, policy = view.access_point.get("GetAccessPoint"), view.access_point.get("GetAccessPointPolicy")
    if info is None or not info.present or policy is None or not policy.known:
        return None
    ap = c.snapshot.get("access_point") or {}
    arn, name, account = str(ap.get("arn")), str(ap.get("name")), str(ap.get("account"))
    current = policy_doc(policy.value.get("Policy")) if policy.present else None
    document = _merge(current, statement)
    values = {"target": arn, "account": account, "name": name, "document": document, "resource_name": "s3why_ap"}
    return Patch(
        arn,
        "access-point-policy",
        document,
        [render_text("commands/access-point-policy.sh.j2", values)],
        current,
        render_text("terraform/access-point-policy.tf.j2", values),
        render_text(
            "cloudformation/patch.json.j2",
            {"cfn_type": "AWS::S3::AccessPoint", "cfn_properties": {"Name": name, "Policy": document}},
        ),
        {"where": "access-point", "arn": arn, "name": name, "account": account},
    )


def apply_patches(snapshot: dict[str, Any], patches: list[Patch]) -> dict[str, Any]:
    """The snapshot as it would read after these patches (what verification diagnoses again)."""
    snap = copy.deepcopy(snapshot)
    for p in patches:
        how = p.apply.get("where")
        if how == "principal-inline":
            calls = snap["principal"].setdefault("calls", {})
            calls.setdefault(p.apply["inline_key"], {})[p.apply["name"]] = {
                "PolicyName": p.apply["name"],
                "PolicyDocument": p.document,
            }
            listing = "ListRolePolicies" if p.apply["kind"] == "role" else "ListUserPolicies"
            names = calls.setdefault(listing, {"PolicyNames": []}).setdefault("PolicyNames", [])
            if p.apply["name"] not in names:
                names.append(p.apply["name"])
        elif how == "managed":
            policies = snap["principal"]["calls"].setdefault("Policies", {})
            policies.setdefault(p.apply["arn"], {})["GetPolicyVersion"] = {"PolicyVersion": {"Document": p.document}}
        elif how == "bucket":
            snap["bucket"]["calls"]["GetBucketPolicy"] = {"Policy": json.dumps(p.document)}
        elif how == "key":
            snap["kms"][p.apply["arn"]]["calls"]["GetKeyPolicy"] = {"Policy": json.dumps(p.document)}
        elif how == "access-point":
            snap["access_point"]["calls"]["GetAccessPointPolicy"] = {"Policy": json.dumps(p.document)}
        elif how == "vpce":
            snap["vpc_endpoint"]["calls"]["DescribeVpcEndpoints"] = {
                "VpcEndpoints": [{"PolicyDocument": json.dumps(p.document)}]
            }
    return snap


# -----------------------------------------------------------------------------------------------------------
def _matches(entry: Remediation, cause: RootCause, c: _Ctx) -> bool:
    if entry.layers and cause.layer.value not in entry.layers:
        return False
    if cause.kind not in entry.kinds:
        return False
    cross = c.owner is not None and _account(c.principal) != c.owner
    if entry.cross_account is not None and entry.cross_account != cross:
        return False
    via_ap = "access_point" in cause.evidence
    if entry.via_access_point is not None and entry.via_access_point != via_ap:
        return False
    return not (entry.via_access_point is None and via_ap and entry.layer == "bucket-policy")


def _patches_for(entry: Remediation, cause: RootCause, c: _Ctx) -> list[Patch]:
    values = _values(c, cause, entry)
    out: list[Patch] = []
    for template in entry.templates:
        statement = render_statement(template, values)
        patch: Patch | None
        if entry.target == "principal":
            patch = _principal_patch(c, statement)
        elif entry.target == "boundary":
            patch = _boundary_patch(c, statement)
        elif entry.target == "bucket":
            patch = _bucket_patch(c, statement)
        elif entry.target == "key":
            patch = _key_patch(c, statement, values["key"])
        elif entry.target == "vpc_endpoint":
            patch = _vpce_patch(c, statement)
        elif entry.target == "access_point":
            patch = _access_point_patch(c, statement)
        else:
            patch = None
        if patch is not None:
            out.append(patch)
    return out


def _request_changes(cause: RootCause, c: _Ctx) -> list[Patch]:
    """Changes on the request side that a diagnosis showed would work (the alternatives it evaluated)."""
    out = []
    for alt in cause.evidence.get("alternatives") or []:
        if alt.get("decision") != "allow":
            continue
        ((key, value),) = alt["context"].items()
        what = {
            "aws:SecureTransport": "send the request over HTTPS",
            "s3:x-amz-server-side-encryption": (
                f"send the header x-amz-server-side-encryption: {value} (aws s3 cp --sse {value})"
            ),
            "aws:SourceVpce": f"send the request through the VPC endpoint {value}",
        }.get(key, f"make the request with {key} = {value if value is not None else '(absent)'}")
        out.append(Patch("request", "request-change", None, [what], apply={"context": {key: value}}))
    layer = cause.layer.value
    acl = cause.evidence.get("request_acl")
    if layer in ("block-public-access", "object-ownership") and acl:
        out.append(
            Patch(
                "request",
                "request-change",
                None,
                ["drop the ACL header (--acl / x-amz-acl), or send bucket-owner-full-control"],
                apply={"context": {"s3:x-amz-acl": None}},
            )
        )
    if layer == "requester-pays":
        out.append(
            Patch(
                "request",
                "request-change",
                None,
                ["add --request-payer requester (RequestPayer='requester')"],
                apply={"context": {"x-amz-request-payer": "requester"}},
            )
        )
    if layer == "presigned-url":
        out.append(
            Patch(
                "request",
                "request-change",
                None,
                ["presign the URL again (aws s3 presign --expires-in SECONDS)"],
                apply={"context": {"s3why:presigned-again": "true"}},
            )
        )
    if layer == "kms" and "AWS managed key" in cause.summary:
        bucket, key = c.bucket or "BUCKET", c.req.key or "KEY"
        out.append(
            Patch(
                s3_arn(bucket, key),
                "request-change",
                None,
                [
                    f"aws s3 cp s3://{bucket}/{key} s3://{bucket}/{key} --sse aws:kms "
                    "--sse-kms-key-id <customer-managed-key-arn>"
                ],
                apply={},
            )
        )
    return out


def propose_fixes(
    req: DeniedRequest, snapshot: dict[str, Any], options: DiagnoseOptions, diagnosis: Diagnosis
) -> list[Fix]:
    resolved = diagnosis.request.get("resolved") or {}
    if diagnosis.decision == "allow" or not diagnosis.root_causes:
        return []
    principal = resolved.get("principal") or options.principal or req.principal_arn or ""
    c = _Ctx(
        req=req,
        snapshot=snapshot,
        options=options,
        diagnosis=diagnosis,
        principal=principal,
        principal_policy_arn=_role_arn(snapshot, principal) if principal else "",
        actions=list(resolved.get("actions") or ([req.action] if req.action else [])),
        resource=str(resolved.get("resource") or req.resource_arn or ""),
        bucket=(snapshot.get("bucket") or {}).get("name"),
        owner=resolved.get("resource_owner"),
    )
    entries = catalogue()
    fixes: list[Fix] = []
    for cause in diagnosis.root_causes:
        for entry in entries.values():
            if entry.layer not in ("any", cause.layer.value) and cause.layer.value not in entry.layers:
                continue
            if not _matches(entry, cause, c) or entry.identity_side:
                continue
            explanation = entry.explanation.format_map(
                _SafeDict(_values(c, cause, entry) | {"kms_actions": "kms:Decrypt, kms:GenerateDataKey"})
            )
            if entry.never_automatic:
                fixes.append(
                    Fix(
                        entry.id,
                        cause.layer.value,
                        entry.risk,
                        False,
                        _request_changes(cause, c),
                        entry.title,
                        explanation,
                        entry.never_automatic,
                        "not fixed automatically",
                    )
                )
                continue
            patches = _patches_for(entry, cause, c)
            for companion_id in entry.companions:
                companion = entries[companion_id]
                if _companion_needed(companion, cause, c):
                    patches += _patches_for(companion, cause, c)
            if not patches:
                fixes.append(
                    Fix(
                        entry.id,
                        cause.layer.value,
                        entry.risk,
                        False,
                        [],
                        entry.title,
                        explanation,
                        reason="s3why cannot see the document to change",
                    )
                )
                continue
            fixes.append(Fix(entry.id, cause.layer.value, entry.risk, False, patches, entry.title, explanation))
    _verify(fixes, c)
    for fix in fixes:
        if fix.patches and all(p.kind == "request-change" for p in fix.patches) and fix.verified:
            fix.risk = "low"  # changing the request touches no policy or setting
    return fixes


def _companion_needed(companion: Remediation, cause: RootCause, c: _Ctx) -> bool:
    """Cross-account grants need the identity side too; so do KMS keys in another account or delegating ones."""
    if companion.id == "identity-allow":
        return any(x.layer.value == "identity" for x in c.diagnosis.root_causes) or _identity_denies(c)
    return companion.id == "identity-kms-allow"


def _identity_denies(c: _Ctx) -> bool:
    return any(r.layer.value == "identity" and r.verdict in ("no-allow", "deny") for r in c.diagnosis.layers)


class _SafeDict(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _rediagnose(
    c: _Ctx,
    snapshot: dict[str, Any],
    context: dict[str, Any] | None = None,
    req: DeniedRequest | None = None,
    principal: str | None = None,
) -> Diagnosis:
    ctx = dict(c.options.context)
    for k, v in (context or {}).items():
        if v is None:
            ctx.pop(k, None)
        else:
            ctx[k] = (v,)
    options = DiagnoseOptions(
        principal=principal or c.options.principal or c.principal, context=ctx, session_policy=c.options.session_policy
    )
    return diagnose(req or c.req, account_view(snapshot), options)


def _neighbours(c: _Ctx) -> list[tuple[str, DeniedRequest, str | None]]:
    """Requests a fix must leave as they were: other actions, keys and principals."""
    from dataclasses import replace

    from bot.s3ops import lookup_operation

    out: list[tuple[str, DeniedRequest, str | None]] = []
    for op in ("DeleteObject", "PutObjectAcl", "GetObject", "PutObject", "ListObjectsV2"):
        spec = lookup_operation(op)
        if spec is not None and not set(spec.actions) & set(c.actions):
            out.append((f"{op} on the same resource", replace(c.req, operation=op, action=None), None))
    if c.req.key is not None:
        out.append(
            (
                "the same action on another key",
                replace(c.req, key=c.req.key + ".s3why-neighbour", resource_arn=None),
                None,
            )
        )
    arn = Arn.parse(c.principal)
    if arn is not None and arn.account:
        other = f"arn:aws:iam::{arn.account}:role/s3why-neighbour"
        out.append(("another principal of the same account", c.req, other))
    return out


def _neighbour_snapshot(snapshot: dict[str, Any], principal: str | None) -> dict[str, Any]:
    """Another principal has none of the original principal's identity policies."""
    if principal is None:
        return snapshot
    return {k: v for k, v in snapshot.items() if k != "principal"}


def _verify(fixes: list[Fix], c: _Ctx) -> None:
    automatic = [f for f in fixes if f.patches and not f.never_automatic and any(p.document for p in f.patches)]
    all_patches = [p for f in automatic for p in f.patches if p.document is not None]
    combined = _rediagnose(c, apply_patches(c.snapshot, all_patches)) if all_patches else None
    baseline = {
        name: _rediagnose(c, _neighbour_snapshot(c.snapshot, p), req=r, principal=p).decision
        for name, r, p in _neighbours(c)
    }
    for fix in fixes:
        documents = [p for p in fix.patches if p.document is not None]
        if documents:
            for p in documents:
                size_kind = {
                    "bucket-policy": "bucket-policy",
                    "key-policy": "key-policy",
                    "vpc-endpoint-policy": "vpc-endpoint-policy",
                }.get(p.kind)
                if p.kind == "iam-policy":
                    size_kind = (
                        "managed"
                        if p.apply.get("where") == "managed"
                        else ("role-inline" if p.apply.get("kind") == "role" else "user-inline")
                    )
                ok, size = _size_ok(size_kind or "bucket-policy", p.document or {})
                if not ok:
                    fix.reason = f"the patched document would be {size}: split it, or use a managed policy"
                    break
            else:
                patched = apply_patches(c.snapshot, documents)
                alone = _rediagnose(c, patched)
                gone = all(cause.layer.value != fix.layer for cause in alone.root_causes)
                allowed = combined is not None and combined.decision == "allow"
                patched_all = apply_patches(c.snapshot, all_patches)
                changed = [
                    name
                    for name, r, p in _neighbours(c)
                    if _rediagnose(c, _neighbour_snapshot(patched_all, p), req=r, principal=p).decision
                    != baseline[name]
                ]
                if fix.id in _DIAGNOSTIC_FIXES:
                    # Listing the bucket is what this fix grants: that neighbour is meant to change.
                    changed = [n for n in changed if not n.startswith("ListObjectsV2")]
                    # It does not make the request work: it makes S3 say what is wrong (404 instead of 403).
                    gone = all(
                        not (x.layer.value == fix.layer and x.evidence.get("list_bucket") is False)
                        for x in alone.root_causes
                    )
                    allowed = True
                fix.verified = gone and allowed and not changed
                if not fix.verified:
                    fix.reason = (
                        "the patched account still denies the request"
                        if not (gone and allowed)
                        else f"it would also change: {', '.join(changed)}"
                    )
        else:
            request_change = [p for p in fix.patches if p.kind == "request-change" and p.apply.get("context")]
            for p in request_change:
                # The error code and the expiry describe the failed attempt, not the changed request.
                changed_req = replace(c.req, error_code=None, presigned_expired=False)
                after = _rediagnose(c, c.snapshot, context=p.apply["context"], req=changed_req)
                if after.decision == "allow" or all(x.layer.value != fix.layer for x in after.root_causes):
                    fix.verified = True
                    fix.reason = ""


def _account(principal: str) -> str | None:
    arn = Arn.parse(principal)
    return arn.account or None if arn is not None else None
