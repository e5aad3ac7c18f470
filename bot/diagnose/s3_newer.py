"""S3 authorization AWS added since the first layers were written: SSE-C blocked by default, ABAC on general
purpose buckets, and directory buckets (S3 Express One Zone) authorized through `s3express:CreateSession`.

Pure functions over the account view and the request context; the orchestrator hooks them in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.account.view import BucketView

# --- SSE-C blocked ------------------------------------------------------------------------------------------
# S3 User Guide, "Blocking or unblocking SSE-C for a general purpose bucket"; the botocore model's
# BlockedEncryptionTypes: "blocking an encryption type will block PutObject, CopyObject, PostObject, multipart
# upload, and replication requests to the bucket for objects with the specified encryption type. However, you
# can continue to read and list any pre-existing objects already encrypted with the specified encryption type."
SSE_C_WRITES = frozenset(
    {"PutObject", "CopyObject", "UploadPart", "UploadPartCopy", "CreateMultipartUpload", "PostObject"}
)
SSE_C_KEY = "s3:x-amz-server-side-encryption-customer-algorithm"
SSE_KEY = "s3:x-amz-server-side-encryption"


def _single(ctx: dict[str, tuple[str, ...]], key: str) -> str | None:
    for k, v in ctx.items():
        if k.lower() == key.lower() and v:
            return v[0]
    return None


def blocked_encryption_types(bucket: BucketView) -> tuple[str, ...] | None:
    """The bucket's `BlockedEncryptionTypes` (e.g. ("SSE-C",)); () when none; None when s3why could not read it."""
    fact = bucket.get("GetBucketEncryption")
    if not fact.known:
        return None
    if not fact.present:
        return ()
    rules = (fact.value.get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
    out: list[str] = []
    for rule in rules:
        blocked = (rule.get("BlockedEncryptionTypes") or {}).get("EncryptionType") or []
        out += [str(b) for b in (blocked if isinstance(blocked, list) else [blocked])]
    return tuple(dict.fromkeys(out))


def sends_sse_c(ctx: dict[str, tuple[str, ...]]) -> bool:
    """The request carries SSE-C headers (and no SSE-S3/SSE-KMS header, which would make it another request)."""
    return _single(ctx, SSE_C_KEY) is not None and _single(ctx, SSE_KEY) is None


@dataclass(frozen=True)
class SseCBlock:
    detail: str
    summary: str
    evidence: dict[str, Any]


def sse_c_blocked(bucket: BucketView, operation: str | None, ctx: dict[str, tuple[str, ...]]) -> SseCBlock | None:
    """A write with SSE-C headers to a bucket that blocks SSE-C: the cause, with the request-side change."""
    if operation not in SSE_C_WRITES or not sends_sse_c(ctx):
        return None
    blocked = blocked_encryption_types(bucket)
    if not blocked or "SSE-C" not in blocked:
        return None
    return SseCBlock(
        detail=f"bucket {bucket.name} blocks SSE-C uploads (BlockedEncryptionTypes: SSE-C)",
        summary=(
            f"bucket {bucket.name} blocks uploads encrypted with customer-provided keys (SSE-C; its default "
            "encryption lists BlockedEncryptionTypes SSE-C, the default for new buckets since 2026): send the "
            "object with SSE-S3 (x-amz-server-side-encryption: AES256) or SSE-KMS (aws:kms) instead of the "
            "x-amz-server-side-encryption-customer-* headers. Unblocking SSE-C on the bucket is a high-risk "
            "setting change s3why never makes"
        ),
        evidence={
            "blocked_encryption_types": list(blocked),
            "request_sse_c": _single(ctx, SSE_C_KEY),
            # Re-evaluated by the fixes: the same request with SSE-S3 is allowed by this layer.
            "alternatives": [{"context": {SSE_KEY: "AES256"}, "decision": "allow"}],
        },
    )


# --- ABAC on general purpose buckets --------------------------------------------------------------------------
def abac_enabled(bucket: BucketView) -> bool | None:
    """GetBucketAbac's `AbacStatus.Status == Enabled`; None when s3why could not read it."""
    fact = bucket.get("GetBucketAbac")
    if not fact.known:
        return None
    return fact.present and (fact.value.get("AbacStatus") or {}).get("Status") == "Enabled"


def bucket_tags(bucket: BucketView) -> dict[str, str]:
    fact = bucket.get("GetBucketTagging")
    if not fact.present:
        return {}
    return {str(t["Key"]): str(t.get("Value", "")) for t in fact.value.get("TagSet") or [] if "Key" in t}


def resource_tag_context(bucket: BucketView) -> dict[str, tuple[str, ...]]:
    """`aws:ResourceTag/<key>` from the bucket's tags, when ABAC is enabled on it.

    S3 User Guide, "Enabling ABAC in general purpose buckets": with ABAC enabled, the bucket's tags are used for
    access control (the `aws:ResourceTag/...` condition keys); without it they are not.
    """
    if not abac_enabled(bucket):
        return {}
    return {f"aws:ResourceTag/{k}": (v,) for k, v in bucket_tags(bucket).items()}


# --- Directory buckets (S3 Express One Zone) ----------------------------------------------------------------
# S3 User Guide, "Authorizing Regional endpoint APIs with IAM" / "CreateSession": zonal endpoint operations are
# authorized by a session; s3express:CreateSession on arn:aws:s3express:REGION:ACCOUNT:bucket/NAME, with the
# condition key s3express:SessionMode ReadOnly or ReadWrite (the SDKs ask for ReadWrite unless told otherwise).
_DIRECTORY_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]*--[a-z0-9-]+--x-s3$")
_EXPRESS_READS = frozenset({"GetObject", "HeadObject", "GetObjectAttributes", "ListObjectsV2", "HeadBucket"})


def is_directory_bucket(name: str | None) -> bool:
    return bool(name and _DIRECTORY_BUCKET.match(name))


@dataclass(frozen=True)
class ExpressSession:
    action: str
    resource: str
    session_mode: str
    context: dict[str, tuple[str, ...]]


def express_session(
    bucket: str, *, region: str | None, account: str | None, operation: str | None, ctx: dict[str, tuple[str, ...]]
) -> ExpressSession:
    """The CreateSession authorization a directory-bucket request needs."""
    mode = _single(ctx, "s3express:SessionMode")
    if mode is None:
        mode = "ReadWrite"  # the SDKs' default session, also for reads
    elif operation not in _EXPRESS_READS and operation not in (None, "CreateSession"):
        mode = "ReadWrite"  # writes need a ReadWrite session whatever was asked
    resource = f"arn:aws:s3express:{region or 'us-east-1'}:{account or ''}:bucket/{bucket}"
    return ExpressSession("s3express:CreateSession", resource, mode, {"s3express:SessionMode": (mode,)})
