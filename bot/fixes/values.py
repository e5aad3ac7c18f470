"""The values a remediation template is rendered with: actions, resources (to the scope), the KMS condition."""

from __future__ import annotations

from typing import Any

from bot.arn import s3_arn
from bot.diagnose import RootCause
from bot.fixes.catalogue import Remediation
from bot.fixes.context import (
    FixContext,
    arn_literal,
    statement_sid,
    string_literal,
)
from bot.fixes.scope import BUCKET, PREFIX, Scope, literal
from bot.s3ops import lookup_operation


def kms_actions(c: FixContext, cause: RootCause) -> list[str]:
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


def kms_context(c: FixContext) -> tuple[str, list[str]]:
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


def template_values(c: FixContext, cause: RootCause, entry: Remediation, scope: Scope | None = None) -> dict[str, Any]:
    key = cause.evidence.get("key")
    region = ((c.snapshot.get("bucket") or {}).get("region")) or "us-east-1"
    operator, context = kms_context(c)
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
        "access_point_resources": [access_point_resource(c, scope)],
        "bucket": c.bucket or "",
        "bucket_arn": s3_arn(c.bucket) if c.bucket else "",
        "key": key or "",
        "kms_actions": kms_actions(c, cause),
        "region": region,
        "access_point": cause.evidence.get("access_point") or "",
        "source_arn": (c.options.context.get("aws:SourceArn") or ("",))[0],
        "summary": cause.summary,
        "sid": statement_sid(entry.id, c.actions, resource, c.principal_policy_arn, key),
    }


def access_point_resource(c: FixContext, scope: Scope | None = None) -> str:
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
