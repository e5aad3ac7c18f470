"""The values a remediation template is rendered with: actions, resources (to the scope), the KMS condition."""

from __future__ import annotations

import re
from typing import Any

from bot.account.view import account_view
from bot.arn import s3_arn
from bot.diagnose import RootCause
from bot.diagnose.options import context_value
from bot.engine.principal import PrincipalKind, parse_principal
from bot.fixes.catalogue import Remediation
from bot.fixes.context import (
    FixContext,
    action_listed,
    arn_literal,
    statement_sid,
    statements_of,
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
    if failing in spec.kms_actions and uploads_in_parts(c.paste, spec.actions):
        multipart = lookup_operation("CreateMultipartUpload")
        side = (*side, *(multipart.kms_actions if multipart is not None else ()))
    granted = _workload_kms_actions(c, str(cause.evidence.get("key") or ""))
    return list(dict.fromkeys([*side, failing, *granted, *_pending_kms_actions(c)]))


def _pending_kms_actions(c: FixContext) -> list[str]:
    """The KMS actions the workload's next requests that the KMS layer denies today ask for (the tool's operations,
    bot/fixes/workload_kinds.py): a Terraform backend that fails writing its state also reads it back, so the key
    grant that lets it write (kms:GenerateDataKey) must let it read (kms:Decrypt) too (S3 User Guide, "Permissions
    for SSE-KMS")."""
    out: list[str] = []
    for w in c.workload_pending:
        spec = lookup_operation(w.operation) if "kms" in w.layers else None
        out += list(spec.kms_actions) if spec is not None else []
    return out


# Uploaders that switch to a multipart upload above a size, so the same job's larger files need what a multipart
# upload asks KMS for (kms:Decrypt beside kms:GenerateDataKey; S3 User Guide, "Uploading and copying objects using
# multipart upload", permissions): the AWS CLI's high-level commands (`multipart_threshold`, 8 MB; AWS CLI
# S3 configuration), boto3's managed transfers (`upload_file`/`upload_fileobj`, TransferConfig), the Java SDK's
# TransferManager, the JavaScript SDK's lib-storage `Upload`, Hadoop s3a (`fs.s3a.multipart.threshold`).
_MULTIPART_UPLOADERS = re.compile(
    r"\baws\s+s3\s+(?:cp|mv|sync)\b|\bupload failed: |\bupload_file(?:obj)?\b|\bS3Transfer\b|\bTransferManager\b"
    r"|@aws-sdk/lib-storage|\bs3a://|\bS3AFileSystem\b"
)


def uploads_in_parts(paste: str, actions: tuple[str, ...]) -> bool:
    """The request is an upload by a tool that uploads larger files in parts."""
    return "s3:PutObject" in actions and _MULTIPART_UPLOADERS.search(paste) is not None


# The KMS actions S3 asks for on a caller's behalf (S3 User Guide, "Permissions for SSE-KMS").
_S3_KMS_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")


def _workload_kms_actions(c: FixContext, key_arn: str) -> list[str]:
    """The S3-side KMS actions the principal's own policies already grant on this key (under a condition that
    fails, or the request would not be here): the workload uses them, so the new grant keeps them — a read's fix
    must not leave the same job's writes denied."""
    view = account_view(c.snapshot)
    if view.principal is None or not key_arn:
        return []
    out: list[str] = []
    for policy in view.principal.policies:
        for st in statements_of(policy.document):
            resources = st.get("Resource")
            if (
                st.get("Effect") != "Allow"
                or "Condition" not in st
                or key_arn not in (resources if isinstance(resources, list) else [resources])
            ):
                continue
            out += [a for a in _S3_KMS_ACTIONS if action_listed(st.get("Action"), a)]
    return out


def kms_context(c: FixContext) -> tuple[str, list[str]]:
    """The condition on kms:EncryptionContext:aws:s3:arn: every object of the bucket (StringLike `bucket/*`), or
    the bucket's ARN when S3 Bucket Keys are on (S3 then asks KMS with the bucket's ARN as the context; S3 User
    Guide, "Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys"). Never one object's ARN: the next object
    of the workload has another one.

    Whether the Bucket Key is on, as the KMS layer decides it (bot/diagnose/layers/kms.py): a new object (a write)
    gets the bucket's default encryption's setting, or the request's own header — an object head s3why did not
    read says nothing against it; an existing object (a read) keeps its own, from its HeadObject."""
    if not c.bucket:
        return "StringLike", ["*"]
    head = (((c.snapshot.get("bucket") or {}).get("object") or {}).get("calls") or {}).get("HeadObject")
    if _writes(c) or not head:
        bucket_key = _bucket_key_default(c)
    else:
        bucket_key = isinstance(head, dict) and "Error" not in head and bool(head.get("BucketKeyEnabled"))
    if bucket_key:
        return "StringEquals", [string_literal(s3_arn(c.bucket))]
    return "StringLike", [string_literal(s3_arn(c.bucket)) + "/*"]


def _bucket_key_default(c: FixContext) -> bool:
    """Whether a new object of the bucket gets a Bucket Key: the request's header when it states one, else the
    bucket's default encryption rule (SSE-KMS with BucketKeyEnabled)."""
    header = context_value(c.options.context, "s3:x-amz-server-side-encryption-bucket-key-enabled")
    if header is not None:
        return header.lower() == "true"
    enc = ((c.snapshot.get("bucket") or {}).get("calls") or {}).get("GetBucketEncryption") or {}
    rules = (enc.get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
    return any(
        r.get("BucketKeyEnabled")
        and (r.get("ApplyServerSideEncryptionByDefault") or {}).get("SSEAlgorithm") in ("aws:kms", "aws:kms:dsse")
        for r in rules
        if isinstance(r, dict)
    )


def _writes(c: FixContext) -> bool:
    """The request writes a new object (S3 encrypts it with the bucket's settings for new objects)."""
    spec = lookup_operation(c.req.operation) if c.req.operation else None
    return spec is not None and "s3:PutObject" in spec.actions


def template_values(c: FixContext, cause: RootCause, entry: Remediation, scope: Scope | None = None) -> dict[str, Any]:
    key = cause.evidence.get("key")
    region = ((c.snapshot.get("bucket") or {}).get("region")) or "us-east-1"
    operator, context = kms_context(c)
    resource = scope.pattern if scope is not None else arn_literal(c.resource)
    if _access_point_arn(c.snapshot) and entry.target in ("principal", "boundary"):
        # Through an access point, IAM evaluates the access point's ARN: an identity grant names it (S3 User Guide,
        # "Configuring IAM policies for using access points").
        resource = access_point_resource(c, scope)
    condition: dict[str, dict[str, Any]] = {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}}
    condition.setdefault(operator, {})["kms:EncryptionContext:aws:s3:arn"] = context
    return {
        "kms_condition": condition,
        "kms_context": context,
        "kms_context_operator": operator,
        "principal": c.principal,
        "principal_arn": c.principal_policy_arn,
        # a service principal (CloudFront's origin access control) is named as a Service, not an AWS principal
        "principal_service": c.principal if parse_principal(c.principal).kind is PrincipalKind.SERVICE else "",
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
    # the access point's own ARN: a request's resource may be its object form (`.../accesspoint/NAME/object/KEY`)
    arn = _access_point_arn(c.snapshot).split("/object/", 1)[0]
    if not arn:
        return scope.pattern if scope is not None else arn_literal(c.resource)
    if not c.req.key:
        return arn
    if scope is not None and scope.name in (PREFIX, BUCKET):
        return f"{arn}/object/{literal(scope.prefix or '')}*"
    return f"{arn}/object/{literal(c.req.key)}"


def _access_point_arn(snapshot: dict[str, Any]) -> str:
    """The ARN of the access point or Multi-Region Access Point the snapshot's request goes through ("" for none):
    IAM evaluates that ARN, not the bucket's (S3 User Guide, "Configuring IAM policies for using access points";
    Multi-Region Access Points, "Permissions")."""
    for part in ("multi_region_access_point", "access_point"):
        arn = (snapshot.get(part) or {}).get("arn")
        if arn:
            return str(arn)
    return ""
