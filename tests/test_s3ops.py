"""The operation -> action table, row by row, and complete for the S3 API botocore knows."""

from __future__ import annotations

import botocore.session
import pytest

from bot.s3ops import S3_OPERATIONS, SDK_ALIASES, ResourceKind, action_for_operation, lookup_operation

# (operation, actions checked, resource kind, versioned actions, KMS actions) from the S3 API reference.
ROWS = [
    ("GetObject", ("s3:GetObject",), ResourceKind.OBJECT, ("s3:GetObjectVersion",), ("kms:Decrypt",)),
    ("HeadObject", ("s3:GetObject",), ResourceKind.OBJECT, ("s3:GetObjectVersion",), ()),
    ("GetObjectAttributes", ("s3:GetObject", "s3:GetObjectAttributes"), ResourceKind.OBJECT,
     ("s3:GetObjectVersion", "s3:GetObjectVersionAttributes"), ()),
    ("PutObject", ("s3:PutObject",), ResourceKind.OBJECT, (), ("kms:GenerateDataKey",)),
    ("CopyObject", ("s3:PutObject",), ResourceKind.OBJECT, (), ("kms:GenerateDataKey", "kms:Decrypt")),
    ("CreateMultipartUpload", ("s3:PutObject",), ResourceKind.OBJECT, (), ("kms:GenerateDataKey", "kms:Decrypt")),
    ("UploadPart", ("s3:PutObject",), ResourceKind.OBJECT, (), ("kms:Decrypt", "kms:GenerateDataKey")),
    ("CompleteMultipartUpload", ("s3:PutObject",), ResourceKind.OBJECT, (), ("kms:Decrypt",)),
    ("AbortMultipartUpload", ("s3:AbortMultipartUpload",), ResourceKind.OBJECT, (), ()),
    ("ListParts", ("s3:ListMultipartUploadParts",), ResourceKind.OBJECT, (), ("kms:Decrypt",)),
    ("ListMultipartUploads", ("s3:ListBucketMultipartUploads",), ResourceKind.BUCKET, (), ()),
    ("DeleteObject", ("s3:DeleteObject",), ResourceKind.OBJECT, ("s3:DeleteObjectVersion",), ()),
    ("DeleteObjects", ("s3:DeleteObject",), ResourceKind.OBJECT, ("s3:DeleteObjectVersion",), ()),
    ("ListObjects", ("s3:ListBucket",), ResourceKind.BUCKET, (), ()),
    ("ListObjectsV2", ("s3:ListBucket",), ResourceKind.BUCKET, (), ()),
    ("ListObjectVersions", ("s3:ListBucketVersions",), ResourceKind.BUCKET, (), ()),
    ("HeadBucket", ("s3:ListBucket",), ResourceKind.BUCKET, (), ()),
    ("ListBuckets", ("s3:ListAllMyBuckets",), ResourceKind.ACCOUNT, (), ()),
    ("GetObjectAcl", ("s3:GetObjectAcl",), ResourceKind.OBJECT, ("s3:GetObjectVersionAcl",), ()),
    ("PutObjectAcl", ("s3:PutObjectAcl",), ResourceKind.OBJECT, ("s3:PutObjectVersionAcl",), ()),
    ("GetObjectTagging", ("s3:GetObjectTagging",), ResourceKind.OBJECT, ("s3:GetObjectVersionTagging",), ()),
    ("PutObjectTagging", ("s3:PutObjectTagging",), ResourceKind.OBJECT, ("s3:PutObjectVersionTagging",), ()),
    ("DeleteObjectTagging", ("s3:DeleteObjectTagging",), ResourceKind.OBJECT, ("s3:DeleteObjectVersionTagging",), ()),
    ("GetBucketEncryption", ("s3:GetEncryptionConfiguration",), ResourceKind.BUCKET, (), ()),
    ("PutBucketEncryption", ("s3:PutEncryptionConfiguration",), ResourceKind.BUCKET, (), ()),
    ("DeleteBucketEncryption", ("s3:PutEncryptionConfiguration",), ResourceKind.BUCKET, (), ()),
    ("GetBucketCors", ("s3:GetBucketCORS",), ResourceKind.BUCKET, (), ()),
    ("DeleteBucketLifecycle", ("s3:PutLifecycleConfiguration",), ResourceKind.BUCKET, (), ()),
    ("GetPublicAccessBlock", ("s3:GetBucketPublicAccessBlock",), ResourceKind.BUCKET, (), ()),
    ("DeletePublicAccessBlock", ("s3:PutBucketPublicAccessBlock",), ResourceKind.BUCKET, (), ()),
    ("GetObjectLockConfiguration", ("s3:GetBucketObjectLockConfiguration",), ResourceKind.BUCKET, (), ()),
    ("PutObjectLockConfiguration", ("s3:PutBucketObjectLockConfiguration",), ResourceKind.BUCKET, (), ()),
    ("GetBucketPolicy", ("s3:GetBucketPolicy",), ResourceKind.BUCKET, (), ()),
    ("PutBucketPolicy", ("s3:PutBucketPolicy",), ResourceKind.BUCKET, (), ()),
    ("DeleteBucketOwnershipControls", ("s3:PutBucketOwnershipControls",), ResourceKind.BUCKET, (), ()),
    ("GetBucketReplication", ("s3:GetReplicationConfiguration",), ResourceKind.BUCKET, (), ()),
    ("PutBucketNotificationConfiguration", ("s3:PutBucketNotification",), ResourceKind.BUCKET, (), ()),
    ("RestoreObject", ("s3:RestoreObject",), ResourceKind.OBJECT, (), ()),
    ("SelectObjectContent", ("s3:GetObject",), ResourceKind.OBJECT, (), ("kms:Decrypt",)),
    ("PutObjectRetention", ("s3:PutObjectRetention",), ResourceKind.OBJECT, (), ()),
    ("PutObjectLegalHold", ("s3:PutObjectLegalHold",), ResourceKind.OBJECT, (), ()),
    ("CreateSession", ("s3express:CreateSession",), ResourceKind.DIRECTORY_BUCKET, (), ()),
]  # fmt: skip


@pytest.mark.parametrize(("operation", "actions", "resource", "versioned", "kms"), ROWS, ids=[r[0] for r in ROWS])
def test_operation_maps_to_the_documented_actions(
    operation: str,
    actions: tuple[str, ...],
    resource: ResourceKind,
    versioned: tuple[str, ...],
    kms: tuple[str, ...],
) -> None:
    spec = lookup_operation(operation)
    assert spec is not None
    assert spec.actions == actions
    assert spec.resource is resource
    assert spec.versioned_actions == versioned
    assert spec.kms_actions == kms


def test_copies_check_the_source_object_too() -> None:
    for operation in ("CopyObject", "UploadPartCopy"):
        spec = lookup_operation(operation)
        assert spec is not None
        assert spec.source_actions == ("s3:GetObject",)
        assert spec.source_kms_actions == ("kms:Decrypt",)


def test_every_s3_operation_botocore_knows_is_mapped() -> None:
    model = botocore.session.get_session().get_service_model("s3")
    missing = sorted(set(model.operation_names) - set(S3_OPERATIONS))
    assert not missing, f"operations without an IAM action: {missing}"


def test_every_action_names_a_service_and_an_action() -> None:
    for spec in S3_OPERATIONS.values():
        for action in (*spec.actions, *spec.versioned_actions, *spec.source_actions, *spec.kms_actions):
            service, _, name = action.partition(":")
            assert service and name and name[0].isupper(), action


@pytest.mark.parametrize(
    ("written", "action"),
    [("putObject", "s3:PutObject"), ("listobjectsv2", "s3:ListBucket"), ("GetObjectMetadata", "s3:GetObject"),
     ("InitiateMultipartUpload", "s3:PutObject"), ("DoesObjectExist", "s3:GetObject"), ("NotAnOperation", None)],
)  # fmt: skip
def test_sdk_spellings_and_aliases_resolve_case_insensitively(written: str, action: str | None) -> None:
    assert action_for_operation(written) == action


def test_every_alias_points_at_a_real_operation() -> None:
    assert set(SDK_ALIASES.values()) <= set(S3_OPERATIONS)


def test_an_s3_action_on_no_resource_type_is_an_account_level_request() -> None:
    """The Service Authorization Reference defines s3:PutAccountPublicAccessBlock on Resource "*" (no resource
    type): a denial that names it is an account-level request; object and bucket actions are not."""
    from bot.s3ops import ResourceKind, account_level_action

    spec = account_level_action("s3:putaccountpublicaccessblock")
    assert spec is not None and spec.resource is ResourceKind.ACCOUNT
    assert spec.actions == ("s3:PutAccountPublicAccessBlock",)
    assert account_level_action("s3:GetObject") is None  # object resource types
    assert account_level_action("s3:NoSuchActionAnywhere") is None
    assert account_level_action("kms:Decrypt") is None
