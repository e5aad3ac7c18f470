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
from bot.fixes.scope import BUCKET, PREFIX, Scope, deepest_prefix, describe, literal, scopes_for
from bot.parse.model import DeniedRequest
from bot.s3ops import lookup_operation

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
    # iac-change patches (CONTRACT.md): {"tool": "terraform" | "cloudformation", "file": PATH, "diff": UNIFIED_DIFF}
    iac: dict[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        out = {"target": self.target, "kind": self.kind, "document": self.document, "commands": self.commands}
        if self.iac is not None:
            out.update(self.iac)
        return out

    @property
    def diff(self) -> str:
        if self.iac is not None:
            return self.iac["diff"]  # the change to the file (Terraform) or to the stack's template
        if self.document is None:
            return ""
        before = json.dumps(self.before, indent=2).splitlines() if self.before else []
        after = json.dumps(self.document, indent=2).splitlines()
        return "\n".join(difflib.unified_diff(before, after, "current", "proposed", lineterm="", n=2))


@dataclass
class ScopeChoice:
    """One reach of a fix (object | prefix | bucket | exact), with its own patches and its own verification."""

    name: str
    description: str  # in words: "lets etl-writer put any object under out/ in team-data"
    patches: list[Patch]
    verified: bool = False
    reason: str = ""
    workload: str = ""  # what the next request of the same workload does with this scope, in words
    complete: bool = False  # the request is authorized with this fix alone (no other fix applied with it)

    def to_json(self) -> dict[str, Any]:
        return {
            "scope": self.name,
            "description": self.description,
            "verified": self.verified,
            "reason": self.reason,
            "workload": self.workload,
            "patches": [p.to_json() for p in self.patches],
        }


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
    scope: str = ""  # the chosen scope's name ("" when the fix has a single reach)
    scopes: list[ScopeChoice] = field(default_factory=list)
    side: str = ""  # identity | resource | both: which side of the authorization the fix changes
    reach: str = ""  # without scopes: how far the grant reaches, for the neighbour check ("" = exactly the request)
    complete: bool = False  # the request is authorized with this fix alone

    @property
    def policies_changed(self) -> int:
        """How many distinct policies (or settings) the fix writes."""
        return len({(p.kind, p.target) for p in self.patches if p.kind != "request-change"})

    def with_scope(self, name: str) -> Fix:
        """The same fix with another of its scopes chosen (unchanged when it has no such scope)."""
        choice = next((s for s in self.scopes if s.name == name), None)
        if choice is None:
            return self
        return replace(
            self,
            scope=name,
            patches=choice.patches,
            verified=choice.verified,
            reason=choice.reason,
            complete=choice.complete,
        )

    def to_json(self) -> dict[str, Any]:
        """CONTRACT.md's keys, exactly (the scope shown is the chosen one; `scopes_json` has every scope)."""
        return {
            "id": self.id,
            "layer": self.layer,
            "risk": self.risk,
            "verified": self.verified,
            "patches": [p.to_json() for p in self.patches],
        }

    def scopes_json(self) -> list[dict[str, Any]]:
        return [s.to_json() for s in self.scopes]


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


def _kms_actions(c: _Ctx, cause: RootCause) -> list[str]:
    """Only the KMS actions the operation asks KMS for (S3 User Guide, "Permissions for SSE-KMS"): a read needs
    kms:Decrypt; a write kms:GenerateDataKey; a multipart upload kms:GenerateDataKey and kms:Decrypt."""
    failing = cause.evidence.get("action")
    if not isinstance(failing, str) or not failing.startswith("kms:"):
        return []
    spec = lookup_operation(c.req.operation) if c.req.operation else None
    if spec is None:
        return [failing]
    side = spec.kms_actions if failing in spec.kms_actions or not spec.source_kms_actions else spec.source_kms_actions
    return list(dict.fromkeys([*side, failing]))


def _kms_context(c: _Ctx) -> tuple[str, list[str]]:
    """The condition on kms:EncryptionContext:aws:s3:arn: every object of the bucket (StringLike `bucket/*`), or
    the bucket's ARN when S3 Bucket Keys are on (S3 then asks KMS with the bucket's ARN as the context; S3 User
    Guide, "Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys"). Never one object's ARN: the next object
    of the workload has another one."""
    if not c.bucket:
        return "StringLike", ["*"]
    head = (((c.snapshot.get("bucket") or {}).get("object") or {}).get("calls") or {}).get("HeadObject") or {}
    bucket_key = bool(head.get("BucketKeyEnabled"))
    if not bucket_key:
        enc = ((c.snapshot.get("bucket") or {}).get("calls") or {}).get("GetBucketEncryption") or {}
        rules = (enc.get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
        bucket_key = not head and any(r.get("BucketKeyEnabled") for r in rules if isinstance(r, dict))
    if bucket_key:
        return "StringEquals", [string_literal(s3_arn(c.bucket))]
    return "StringLike", [string_literal(s3_arn(c.bucket)) + "/*"]


def _values(c: _Ctx, cause: RootCause, entry: Remediation, scope: Scope | None = None) -> dict[str, Any]:
    key = cause.evidence.get("key")
    region = ((c.snapshot.get("bucket") or {}).get("region")) or "us-east-1"
    operator, context = _kms_context(c)
    resource = scope.pattern if scope is not None else arn_literal(c.resource)
    condition: dict[str, dict[str, Any]] = {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}}
    condition.setdefault(operator, {})["kms:EncryptionContext:aws:s3:arn"] = context
    return {
        "kms_condition": condition,
        "kms_context": context,
        "kms_context_operator": operator,
        "principal": c.principal,
        "principal_arn": c.principal_policy_arn,
        "actions": c.actions,
        "resources": [resource],
        "resource": c.resource,
        "access_point_resources": [_access_point_resource(c, scope)],
        "bucket": c.bucket or "",
        "bucket_arn": s3_arn(c.bucket) if c.bucket else "",
        "key": key or "",
        "kms_actions": _kms_actions(c, cause),
        "region": region,
        "access_point": cause.evidence.get("access_point") or "",
        "source_arn": (c.options.context.get("aws:SourceArn") or ("",))[0],
        "summary": cause.summary,
        "sid": _sid(entry.id, c.actions, resource, c.principal_policy_arn, key),
    }


def _access_point_resource(c: _Ctx, scope: Scope | None = None) -> str:
    """The access point ARN the request was evaluated on (its object form for object operations), to the scope."""
    ap = c.snapshot.get("access_point") or {}
    arn = str(ap.get("arn") or "")
    if not arn:
        return scope.pattern if scope is not None else arn_literal(c.resource)
    if not c.req.key:
        return arn
    if scope is not None and scope.name in (PREFIX, BUCKET):
        return f"{arn}/object/{literal(scope.prefix or '')}*"
    return f"{arn}/object/{literal(c.req.key)}"


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


def combine_patches(patches: list[Patch]) -> list[Patch]:
    """Patches of several fixes as one write per policy: a later patch's added statements merged into the
    earlier patch of the same policy (each patch holds the whole new document, so applying both would keep
    only the last)."""
    out: list[Patch] = []
    by_target: dict[tuple[str, str], Patch] = {}
    for p in patches:
        key = (p.kind, p.target)
        first = by_target.get(key)
        if first is None or p.document is None or first.document is None:
            by_target[key] = p
            out.append(p)
            continue
        merged = first.document
        before = {json.dumps(s, sort_keys=True) for s in _statements(p.before)}
        for st in _statements(p.document):
            if json.dumps(st, sort_keys=True) not in before and "Sid" in st:
                merged = _merge(merged, st)
        combined = replace(first, document=merged)
        by_target[key] = combined
        out[out.index(first)] = combined
    return out


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


def _patches_for(entry: Remediation, cause: RootCause, c: _Ctx, scope: Scope | None = None) -> list[Patch]:
    values = _values(c, cause, entry, scope)
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
    req: DeniedRequest,
    snapshot: dict[str, Any],
    options: DiagnoseOptions,
    diagnosis: Diagnosis,
) -> list[Fix]:
    """Verified fixes for every root cause, the one to show first first (see `_rank`)."""
    resolved = diagnosis.request.get("resolved") or {}
    if diagnosis.decision == "allow" or not diagnosis.root_causes or diagnosis.not_a_denial:
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
    # Issue 12 §3: every authorization the operation needs. A failing S3 authorization on the same resource (an
    # ACL or tagging header's s3:PutObjectAcl / s3:PutObjectTagging) is granted with the request's own actions.
    for auth in getattr(diagnosis, "failing_authorizations", ()):
        action, on = str(auth.get("action") or ""), str(auth.get("resource") or "")
        if action.startswith("s3:") and on == c.resource and action not in c.actions:
            c.actions.append(action)
    entries = catalogue()
    scopes = scopes_for(c.bucket, c.req.key, c.resource)
    similar = _similar_side(c)
    fixes: list[Fix] = []
    for cause in diagnosis.root_causes:
        if cause.evidence.get("reproduced") is False:
            continue  # AWS's statement s3why cannot reproduce: no change it can verify (the cause says what to check)
        for entry in entries.values():
            if entry.layer not in ("any", cause.layer.value) and cause.layer.value not in entry.layers:
                continue
            if not _matches(entry, cause, c):
                continue
            if entry.identity_side and not (cause.layer.value == "kms" and _kms_plan(c, cause) == (False, True)):
                continue  # the identity side of a KMS grant stands alone only when the key policy delegates
            if entry.id == "kms-key-allow" and _kms_plan(c, cause) == (False, True):
                continue
            if entry.id == "bucket-allow-same-account" and similar != "resource":
                continue
            explanation = entry.explanation.format_map(
                _SafeDict(
                    _values(c, cause, entry)
                    | {"actions": ", ".join(c.actions), "kms_actions": ", ".join(_kms_actions(c, cause))}
                )
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
            choices: list[ScopeChoice] = []
            seen: set[str] = set()
            for scope in scopes:
                patches = _patches_for(entry, cause, c, scope)
                for companion_id in entry.companions:
                    companion = entries[companion_id]
                    if _companion_needed(companion, cause, c):
                        patches += _patches_for(companion, cause, c, scope)
                fingerprint = json.dumps([_without_sids(p.document) for p in patches], sort_keys=True)
                if fingerprint in seen:
                    continue  # the scope changes nothing in this fix (a KMS grant, a bucket-level action)
                seen.add(fingerprint)
                words = describe(scope, principal=c.principal, actions=c.actions, bucket=c.bucket, key=c.req.key)
                choices.append(ScopeChoice(scope.name, words, patches))
            if not choices or not choices[0].patches:
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
            first = choices[0]
            fix = Fix(entry.id, cause.layer.value, entry.risk, False, first.patches, entry.title, explanation)
            fix.scopes = choices if len(choices) > 1 else []
            fix.scope = first.name if len(choices) > 1 else ""
            if len(choices) == 1 and len(scopes) > 1:
                fix.reach = BUCKET  # the same grant at every scope (a KMS grant covers the bucket's objects)
            fix.side = _side_of(first.patches)
            fixes.append(fix)
    _verify(fixes, c)
    for fix in fixes:
        if fix.patches and all(p.kind == "request-change" for p in fix.patches) and fix.verified:
            fix.risk = "low"  # changing the request touches no policy or setting
    return _rank(fixes, similar)


def _without_sids(document: Any) -> Any:
    """A document with its statements' Sids left out: two scopes that differ only by the Sid are one."""
    if not isinstance(document, dict):
        return document
    return {**document, "Statement": [{k: v for k, v in st.items() if k != "Sid"} for st in _statements(document)]}


def _side_of(patches: list[Patch]) -> str:
    kinds = {"identity" if p.kind == "iam-policy" else "resource" for p in patches if p.kind != "request-change"}
    return "both" if len(kinds) > 1 else next(iter(kinds), "")


def _rank(fixes: list[Fix], similar: str) -> list[Fix]:
    """The fix to show first: one that works (verified), on its own, then the fewest policies changed, then the
    side where the account already keeps similar grants; advice that changes nothing comes after every working
    change."""

    def key(item: tuple[int, Fix]) -> tuple[int, int, int, int, int, int]:
        index, fix = item
        advice = 1 if fix.never_automatic else 0
        return (
            0 if fix.verified else 1,
            advice,
            0 if fix.complete or not fix.patches else 1,  # one that works on its own before a part of a pair
            fix.policies_changed,
            0 if fix.side in (similar, "") else 1,
            index,
        )

    return [f for _, f in sorted(enumerate(fixes), key=key)]


def _similar_side(c: _Ctx) -> str:
    """Where this account keeps grants like the one needed: "resource" when the bucket policy names principals
    of the account in Allow statements for S3 actions and no identity policy of the principal names the bucket;
    "identity" otherwise (IAM is where AWS recommends same-account grants live)."""
    account = _account(c.principal)
    view = account_view(c.snapshot)
    if view.bucket is None or not view.bucket.policy.present or not account or account != c.owner:
        return "identity"
    named = 0
    for st in _statements(view.bucket.policy.value):
        if st.get("Effect") != "Allow" or not _mentions_s3(st.get("Action")):
            continue
        principals = (st.get("Principal") or {}).get("AWS") if isinstance(st.get("Principal"), dict) else None
        values = principals if isinstance(principals, list) else [principals] if principals else []
        if any(isinstance(v, str) and f":{account}:" in v and not v.endswith(":root") for v in values):
            named += 1
    if not named:
        return "identity"
    own = 0
    if view.principal is not None:
        for policy in view.principal.policies:
            for st in _statements(policy.document):
                resources = st.get("Resource")
                text = json.dumps(resources)
                if st.get("Effect") == "Allow" and c.bucket and f":::{c.bucket}" in text:
                    own += 1
    return "resource" if named > own else "identity"


def _statements(document: Any) -> list[dict[str, Any]]:
    if not isinstance(document, dict):
        return []
    st = document.get("Statement", [])
    return [x for x in (st if isinstance(st, list) else [st]) if isinstance(x, dict)]


def _mentions_s3(action: Any) -> bool:
    values = action if isinstance(action, list) else [action]
    return any(isinstance(v, str) and (v.lower().startswith("s3:") or v == "*") for v in values)


def _kms_plan(c: _Ctx, cause: RootCause) -> tuple[bool, bool]:
    """Which side of a KMS grant must change: (key policy, identity policy).

    KMS (Developer Guide, "Key policies" and "Allowing users in other accounts to use a KMS key"): in the key's
    own account the key policy alone can grant, or delegate to IAM with the account statement (Principal
    `arn:aws:iam::ACCOUNT:root`), in which case an IAM policy must grant. Across accounts both must: the key
    policy admits the principal (or its account) and the principal's IAM policy allows the key.
    """
    view = account_view(c.snapshot)
    key_arn = str(cause.evidence.get("key") or "")
    key = view.keys.get(key_arn)
    action = str(cause.evidence.get("action") or "")
    me = _account(c.principal)
    if key is None or not key.policy.present or not action.startswith("kms:"):
        return True, True
    key_account = key.account or _account(key_arn)
    names = {c.principal, c.principal_policy_arn}
    direct = delegated = False
    for st in _statements(key.policy.value):
        if st.get("Effect") != "Allow" or not _action_listed(st.get("Action"), action):
            continue
        principals = st.get("Principal")
        values = ["*"] if principals == "*" else (principals.get("AWS") if isinstance(principals, dict) else None) or []
        values = values if isinstance(values, list) else [values]
        if any(v in names for v in values):
            direct = True
        if any(v in (me, f"arn:aws:iam::{me}:root") for v in values):
            delegated = True
    identity_allows = _identity_allows(c, action, key.arn)
    if key_account == me:
        if delegated and not direct:
            return False, True
        return True, False
    need_key = not (direct or delegated)
    need_identity = not identity_allows
    if not need_key and not need_identity:
        return True, True  # something else (a condition) fails: show both sides, verification decides
    return need_key, need_identity


def _action_listed(actions: Any, action: str) -> bool:
    from bot.engine.matching import action_matcher

    values = actions if isinstance(actions, list) else [actions]
    return any(isinstance(v, str) and action_matcher(v)(action) for v in values)


def _identity_allows(c: _Ctx, action: str, resource: str) -> bool:
    view = account_view(c.snapshot)
    if view.principal is None:
        return False
    for policy in view.principal.policies:
        for st in _statements(policy.document):
            if st.get("Effect") == "Allow" and _action_listed(st.get("Action"), action) and "Condition" not in st:
                resources = st.get("Resource")
                values = resources if isinstance(resources, list) else [resources]
                if any(v in ("*", resource) for v in values):
                    return True
    return False


def _companion_needed(companion: Remediation, cause: RootCause, c: _Ctx) -> bool:
    """Cross-account grants need the identity side too; so does a KMS key in another account when the
    principal's IAM policies do not allow it yet."""
    if companion.id == "identity-allow":
        cross = c.owner is not None and _account(c.principal) != c.owner
        return cross and (any(x.layer.value == "identity" for x in c.diagnosis.root_causes) or _identity_denies(c))
    if companion.id == "identity-kms-allow":
        return _kms_plan(c, cause)[1]
    return True


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
        principal=principal or c.options.principal or c.principal,
        context=ctx,
        session_policy=c.options.session_policy,
        text_is_evidence=False,  # the same request against the changed account: the text described it before
    )
    return diagnose(req or c.req, account_view(snapshot), options)


# --- verification --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Neighbour:
    """A request next to the one that failed: `words` names it for people; `expect` is "same" (the fix must not
    change its decision) or "allow" (the next request of the same workload, which the scope is meant to let
    through)."""

    words: str
    req: DeniedRequest
    principal: str | None  # another principal (None: the same one)
    actions: tuple[str, ...]
    resource: str
    expect: str = "same"


def _neighbours(c: _Ctx, scope: str) -> list[_Neighbour]:
    """Concrete requests the fix must leave as they were (other actions on the object, objects outside the
    scope, another principal of the account), and the next request of the workload (an object inside it)."""
    out: list[_Neighbour] = []
    who = _short(c.principal)
    where = f"s3://{c.bucket}/{c.req.key}" if c.bucket and c.req.key is not None else c.resource
    for op in ("DeleteObject", "PutObjectAcl", "GetObject", "PutObject", "ListObjectsV2"):
        spec = lookup_operation(op)
        if spec is None or set(spec.actions) & set(c.actions):
            continue
        on_object = spec.resource.value == "object" and c.req.key is not None
        target = where if on_object else f"s3://{c.bucket}"
        resource = c.resource if on_object else s3_arn(c.bucket or "")
        out.append(
            _Neighbour(
                f"{op} ({', '.join(spec.actions)}) on {target} by {who}",
                replace(c.req, operation=op, action=None),
                None,
                spec.actions,
                resource,
            )
        )
    if c.req.key is not None and c.bucket:
        prefix = deepest_prefix(c.req.key) or ""
        base = c.req.key[len(prefix) :] or "object"
        inside = f"{prefix}s3why-next-{base}"
        outside = f"s3why-elsewhere/{base}" if prefix else None
        if scope in ("object", ""):
            out.append(_key_neighbour(c, inside, f"the same action on another object {_under(prefix, c.bucket)}"))
        elif scope == PREFIX and outside is not None:
            out.append(_key_neighbour(c, outside, f"the same action on an object outside {prefix}"))
        if scope in (PREFIX, BUCKET):
            out.append(_key_neighbour(c, inside, "the next object of the same workload", expect="allow"))
    arn = Arn.parse(c.principal)
    if arn is not None and arn.account:
        other = f"arn:aws:iam::{arn.account}:role/s3why-neighbour"
        out.append(
            _Neighbour(
                f"the same request by another role of the account ({other})",
                c.req,
                other,
                tuple(c.actions),
                c.resource,
            )
        )
    return out


def _under(prefix: str, bucket: str) -> str:
    return f"under {prefix} in {bucket}" if prefix else f"in {bucket}"


def _key_neighbour(c: _Ctx, key: str, what: str, expect: str = "same") -> _Neighbour:
    assert c.bucket is not None
    return _Neighbour(
        f"{what}: {', '.join(c.actions)} on s3://{c.bucket}/{key} by {_short(c.principal)}",
        replace(c.req, key=key, resource_arn=None),
        None,
        tuple(c.actions),
        s3_arn(c.bucket, key),
        expect,
    )


def _short(principal: str) -> str:
    from bot.fixes.scope import principal_name

    return principal_name(principal)


def _neighbour_snapshot(snapshot: dict[str, Any], principal: str | None) -> dict[str, Any]:
    """Another principal has none of the original principal's identity policies."""
    if principal is None:
        return snapshot
    return {k: v for k, v in snapshot.items() if k != "principal"}


def _added_statements(patch: Patch) -> list[dict[str, Any]]:
    before = {json.dumps(s, sort_keys=True) for s in _statements(patch.before)}
    return [s for s in _statements(patch.document) if json.dumps(s, sort_keys=True) not in before]


def _can_apply(patch: Patch, statement: dict[str, Any], n: _Neighbour, c: _Ctx) -> bool:
    """Could this added statement take part in the neighbour's authorization at all (its actions, its resource,
    its principal)? A statement that cannot is never blamed for a neighbour's change."""
    from bot.engine import AuthzRequest, PolicyKind, PolicySet, evaluate, parse_policy

    if patch.apply.get("where") in ("principal-inline", "managed") and n.principal is not None:
        return False  # the principal's own policy: another principal does not have it
    principal = statement.get("Principal")
    if n.principal is not None and principal not in (None, "*", {"AWS": "*"}):
        aws = principal.get("AWS") if isinstance(principal, dict) else None
        values = aws if isinstance(aws, list) else [aws]
        if n.principal not in values and f"arn:aws:iam::{_account(n.principal)}:root" not in values:
            return False
    spec = lookup_operation(n.req.operation) if n.req.operation else None
    kms = tuple(spec.kms_actions) if spec is not None else ()
    bare = {"Effect": "Allow", "Action": statement.get("Action", "*"), "Resource": statement.get("Resource", "*")}
    if "NotAction" in statement or "NotResource" in statement:
        return True
    policy = parse_policy({"Version": "2012-10-17", "Statement": [bare]}, name="added", kind=PolicyKind.IDENTITY)
    who = n.principal or c.principal_policy_arn or c.principal
    checks = [(a, n.resource) for a in n.actions] + [(a, "*") for a in kms if _action_listed(bare["Action"], a)]
    for action, resource in checks:
        if resource == "*" and action.startswith("kms:"):
            return True  # the key's statements apply to every object of the bucket through S3
        try:
            req = AuthzRequest.build(principal=who, action=action, resource=resource, context={})
            if evaluate(req, PolicySet(identity=(policy,))).decision.value == "allow":
                return True
        except Exception:
            return True
    return False


def _outcome(d: Diagnosis) -> tuple[bool, str]:
    """(authorized, why not): a request that is authorized but then finds no object (404) counts as authorized."""
    blocking = [x for x in d.root_causes if x.layer.value != "object-missing"]
    if d.decision == "allow" or (d.root_causes and not blocking):
        return True, ""
    if blocking:
        return False, f"the patched account still denies the request: {blocking[0].summary}"
    unread = [r for r in d.layers if r.verdict == "unknown"]
    if unread:
        # "could not read" only when a read failed: an undecided layer may be one s3why read but cannot settle.
        return False, "not verified: undecided after the change: " + "; ".join(
            f"{r.layer.value}: {r.detail}" for r in unread[:3]
        )
    return False, f"not verified: the patched account's decision is {d.decision}"


outcome_of = _outcome


def _verify(fixes: list[Fix], c: _Ctx) -> None:
    baseline: dict[str, str] = {}

    def before(n: _Neighbour) -> str:
        if n.words not in baseline:
            baseline[n.words] = _rediagnose(
                c, _neighbour_snapshot(c.snapshot, n.principal), req=n.req, principal=n.principal
            ).decision
        return baseline[n.words]

    automatic = [f for f in fixes if f.patches and not f.never_automatic and any(p.document for p in f.patches)]
    for fix in fixes:
        choices = fix.scopes or [ScopeChoice(fix.reach, "", fix.patches)]
        for choice in choices:
            _verify_choice(fix, choice, c, automatic, before)
        if fix.scopes:
            chosen = next((s for s in fix.scopes if s.verified), fix.scopes[0])
            fix.scope, fix.patches = chosen.name, chosen.patches
            fix.verified, fix.reason, fix.complete = chosen.verified, chosen.reason, chosen.complete
        else:
            fix.verified, fix.reason = choices[0].verified, choices[0].reason or fix.reason
            fix.complete = choices[0].complete


def _verify_choice(fix: Fix, choice: ScopeChoice, c: _Ctx, automatic: list[Fix], before: Any) -> None:
    documents = [p for p in choice.patches if p.document is not None]
    if not documents:
        request_change = [p for p in choice.patches if p.kind == "request-change" and p.apply.get("context")]
        for p in request_change:
            # The error code and the expiry describe the failed attempt, not the changed request.
            changed_req = replace(c.req, error_code=None, presigned_expired=False)
            after = _rediagnose(c, c.snapshot, context=p.apply["context"], req=changed_req)
            if after.decision == "allow" or all(x.layer.value != fix.layer for x in after.root_causes):
                choice.verified, choice.reason = True, ""
                choice.complete = choice.complete or after.decision == "allow"
        return
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
            choice.reason = f"the patched document would be {size}: split it, or use a managed policy"
            return
    # Other root causes are fixed by other fixes: apply those (at the same scope) with this one.
    others = [
        p
        for f in automatic
        if f is not fix and f.layer != fix.layer
        for p in (next((s.patches for s in f.scopes if s.name == choice.name), f.patches))
        if p.document is not None
    ]
    alone = _rediagnose(c, apply_patches(c.snapshot, documents))
    patched_all = apply_patches(c.snapshot, combine_patches(documents + others))
    combined = _rediagnose(c, patched_all)
    gone = all(cause.layer.value != fix.layer for cause in alone.root_causes)
    allowed, why = _outcome(combined)
    choice.complete = _outcome(alone)[0]
    changed: list[str] = []
    workload = ""
    for n in _neighbours(c, choice.name):
        after = _rediagnose(c, _neighbour_snapshot(patched_all, n.principal), req=n.req, principal=n.principal)
        if n.expect == "allow":
            ok, _ = _outcome(after)
            workload = f"{n.words} is {'allowed' if ok else 'still denied'}"
            continue
        was = before(n)
        if after.decision == was:
            continue
        if fix.id in _DIAGNOSTIC_FIXES and "s3:ListBucket" in n.actions:
            continue  # listing the bucket is what this fix grants
        if not any(_can_apply(p, st, n, c) for p in documents for st in _added_statements(p)):
            continue  # none of the added statements can apply to it: not this fix's doing
        changed.append(f"{n.words} would become {_word(after.decision)} (it is {_word(was)} today)")
    if fix.id in _DIAGNOSTIC_FIXES:
        # It does not make the request work: it makes S3 say what is wrong (404 instead of 403).
        gone = all(
            not (x.layer.value == fix.layer and x.evidence.get("list_bucket") is False) for x in alone.root_causes
        )
        allowed, why = True, ""
    if choice.name in ("object", "") and c.req.key is not None and c.bucket and fix.id not in _DIAGNOSTIC_FIXES:
        workload = "the next object of the same workload would still be denied (this scope covers one object)"
    choice.workload = workload
    choice.verified = gone and allowed and not changed
    if not choice.verified:
        if not allowed:
            choice.reason = why
        elif not gone:
            first = next((x for x in alone.root_causes if x.layer.value == fix.layer), None)
            choice.reason = "the patched account still denies the request" + (f": {first.summary}" if first else "")
        else:
            choice.reason = "not verified: it would also change " + "; ".join(changed)


def _word(decision: str) -> str:
    return {"allow": "allowed", "implicit-deny": "denied", "explicit-deny": "denied (explicitly)"}.get(
        decision, decision
    )


def _account(principal: str) -> str | None:
    arn = Arn.parse(principal)
    return arn.account or None if arn is not None else None


def diagnosis_with_scope(d: Diagnosis, scope: str | None) -> Diagnosis:
    """The diagnosis with `scope` (object | prefix | bucket) chosen in every fix that offers it (the Slack
    select); None keeps each fix's default."""
    if not scope:
        return d
    return replace(d, fixes=tuple(f.with_scope(scope) if isinstance(f, Fix) else f for f in d.fixes))


def scope_lines(fix: Fix) -> list[str]:
    """The scopes of a fix in words, the chosen one marked, for the text report."""
    out = []
    for s in fix.scopes:
        mark = "*" if s.name == fix.scope else " "
        state = "verified" if s.verified else (s.reason or "not verified")
        out.append(f"{mark} {s.name}: {s.description} ({state})")
        if s.workload:
            out.append(f"    {s.workload}")
    return out
