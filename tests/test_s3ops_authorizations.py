"""One operation, every authorization it needs (issue 12 §3): the headers and context of a request add
authorizations, each on its own resource (S3 User Guide, "Required permissions for Amazon S3 API operations")."""

from __future__ import annotations

import pytest

from bot.s3ops import SOURCE, TARGET, copy_source, lookup_operation, required_authorizations

CASES = [
    ("PutObject", {}, [("s3:PutObject", TARGET)]),
    (
        "PutObject",
        {"s3:x-amz-acl": ("bucket-owner-full-control",)},
        [("s3:PutObject", TARGET), ("s3:PutObjectAcl", TARGET)],
    ),
    ("PutObject", {"x-amz-grant-read": ("id=abc",)}, [("s3:PutObject", TARGET), ("s3:PutObjectAcl", TARGET)]),
    ("PutObject", {"x-amz-tagging": ("team=data",)}, [("s3:PutObject", TARGET), ("s3:PutObjectTagging", TARGET)]),
    (
        "PutObject",
        {"s3:object-lock-mode": ("GOVERNANCE",), "s3:object-lock-legal-hold": ("ON",)},
        [("s3:PutObject", TARGET), ("s3:PutObjectRetention", TARGET), ("s3:PutObjectLegalHold", TARGET)],
    ),
    ("CreateMultipartUpload", {"s3:x-amz-acl": ("private",)}, [("s3:PutObject", TARGET), ("s3:PutObjectAcl", TARGET)]),
    ("GetObject", {"s3:versionid": ("v1",)}, [("s3:GetObjectVersion", TARGET)]),
    ("HeadObject", {}, [("s3:GetObject", TARGET)]),
    ("ListObjectVersions", {}, [("s3:ListBucketVersions", TARGET)]),
    ("CopyObject", {"s3:x-amz-copy-source": ("src/a.txt",)}, [("s3:PutObject", TARGET), ("s3:GetObject", SOURCE)]),
    (
        "CopyObject",
        {"x-amz-copy-source": ("src/a.txt?versionId=v7",), "x-amz-tagging": ("a=b",)},
        [("s3:PutObject", TARGET), ("s3:PutObjectTagging", TARGET), ("s3:GetObjectVersion", SOURCE)],
    ),
    ("CreateBucket", {"s3:x-amz-acl": ("private",)}, [("s3:CreateBucket", TARGET)]),
    ("CreateBucket", {"s3:x-amz-acl": ("public-read",)}, [("s3:CreateBucket", TARGET), ("s3:PutBucketAcl", TARGET)]),
]


@pytest.mark.parametrize(("operation", "ctx", "expected"), CASES)
def test_the_request_headers_add_the_authorizations_aws_checks(
    operation: str, ctx: dict[str, tuple[str, ...]], expected: list[tuple[str, str]]
) -> None:
    spec = lookup_operation(operation)
    assert spec is not None
    found = required_authorizations(spec, ctx)
    assert [(a.action, a.on) for a in found] == expected
    assert all(a.why for a in found)


def test_a_copy_source_is_read_with_its_version() -> None:
    assert copy_source({"x-amz-copy-source": ("/src%20bucket/dir/a b.txt?versionId=v1",)}) == (
        "src bucket",
        "dir/a b.txt",
        "v1",
    )
    assert copy_source({}) is None
