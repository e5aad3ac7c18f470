"""The operation an HTTP request, an AWS CLI command or an SDK name implies (S3 API Reference request syntax)."""

from __future__ import annotations

import pytest

from bot.parse import parse_text
from bot.parse.operations import from_cli, from_sdk_names, http_operation, known

HTTP = [
    ("GET", True, True, "", False, "GetObject"),
    ("GET", True, True, "versionId=3", False, "GetObject"),
    ("GET", True, True, "acl", False, "GetObjectAcl"),
    ("GET", True, True, "tagging", False, "GetObjectTagging"),
    ("GET", True, True, "uploadId=abc", False, "ListParts"),
    ("GET", True, True, "attributes", False, "GetObjectAttributes"),
    ("PUT", True, True, "", False, "PutObject"),
    ("PUT", True, True, "", True, "CopyObject"),
    ("PUT", True, True, "partNumber=2&uploadId=abc", False, "UploadPart"),
    ("PUT", True, True, "partNumber=2&uploadId=abc", True, "UploadPartCopy"),
    ("PUT", True, True, "retention", False, "PutObjectRetention"),
    ("PUT", True, True, "legal-hold", False, "PutObjectLegalHold"),
    ("HEAD", True, True, "", False, "HeadObject"),
    ("DELETE", True, True, "", False, "DeleteObject"),
    ("DELETE", True, True, "uploadId=abc", False, "AbortMultipartUpload"),
    ("POST", True, True, "uploads", False, "CreateMultipartUpload"),
    ("POST", True, True, "uploadId=abc", False, "CompleteMultipartUpload"),
    ("POST", True, True, "restore", False, "RestoreObject"),
    ("GET", True, False, "", False, "ListObjects"),
    ("GET", True, False, "list-type=2&prefix=a", False, "ListObjectsV2"),
    ("GET", True, False, "versions", False, "ListObjectVersions"),
    ("GET", True, False, "uploads", False, "ListMultipartUploads"),
    ("GET", True, False, "location", False, "GetBucketLocation"),
    ("GET", True, False, "policy", False, "GetBucketPolicy"),
    ("GET", True, False, "policyStatus", False, "GetBucketPolicyStatus"),
    ("PUT", True, False, "policy", False, "PutBucketPolicy"),
    ("DELETE", True, False, "policy", False, "DeleteBucketPolicy"),
    ("GET", True, False, "publicAccessBlock", False, "GetPublicAccessBlock"),
    ("PUT", True, False, "ownershipControls", False, "PutBucketOwnershipControls"),
    ("HEAD", True, False, "", False, "HeadBucket"),
    ("PUT", True, False, "", False, "CreateBucket"),
    ("DELETE", True, False, "", False, "DeleteBucket"),
    ("POST", True, False, "delete", False, "DeleteObjects"),
    ("GET", False, False, "", False, "ListBuckets"),
]


@pytest.mark.parametrize(
    ("method", "bucket", "key", "query", "copy", "want"), HTTP, ids=[h[-1] + "-" + h[3] for h in HTTP]
)
def test_http_request_maps_to_its_s3_operation(
    method: str, bucket: bool, key: bool, query: str, copy: bool, want: str
) -> None:
    assert http_operation(method, has_bucket=bucket, has_key=key, query=query, copy_source=copy) == want


CLI = [
    ("aws s3 cp s3://b/k ./k", None, ("HeadObject", "GetObject"), "b", "k"),
    ("aws s3 cp ./k s3://b/k", "PutObject", (), "b", "k"),
    ("aws s3 cp s3://a/k s3://b/k2", "CopyObject", (), "b", "k2"),
    ("aws s3 cp s3://b/p/ ./d --recursive", None, ("ListObjectsV2", "HeadObject", "GetObject"), "b", "p/"),
    ("aws s3 mv ./k s3://b/k", "PutObject", (), "b", "k"),
    ("aws s3 sync s3://b/p ./d", None, ("ListObjectsV2", "HeadObject", "GetObject"), "b", "p"),
    ("aws s3 sync ./d s3://b/p", None, ("ListObjectsV2", "PutObject"), "b", "p"),
    ("aws s3 ls", "ListBuckets", (), None, None),
    ("aws s3 ls s3://b/p/", "ListObjectsV2", (), "b", None),
    ("aws s3 rm s3://b/k", "DeleteObject", (), "b", "k"),
    ("aws s3 rm s3://b/p --recursive", None, ("ListObjectsV2", "DeleteObjects"), "b", None),
    ("aws s3 mb s3://b", "CreateBucket", (), "b", None),
    ("aws s3 rb s3://b --force", "DeleteBucket", (), "b", None),
    ("aws s3api head-object --bucket b --key k", "HeadObject", (), "b", "k"),
    ("aws s3api put-bucket-policy --bucket b --policy file://p.json", "PutBucketPolicy", (), "b", None),
    ("upload: ./a to s3://b/a", "PutObject", (), "b", "a"),
    ("download: s3://b/a to ./a", None, ("HeadObject", "GetObject"), "b", "a"),
    ("copy: s3://a/x to s3://b/y", "CopyObject", (), "b", "y"),
    ("delete: s3://b/a", "DeleteObject", (), "b", "a"),
]


@pytest.mark.parametrize(("line", "op", "candidates", "bucket", "key"), CLI, ids=[c[0] for c in CLI])
def test_cli_command_or_transfer_line_names_its_operation(
    line: str, op: str | None, candidates: tuple[str, ...], bucket: str | None, key: str | None
) -> None:
    found = from_cli(line)
    assert (found.operation, found.candidates, found.bucket, found.key) == (op, candidates, bucket, key)


@pytest.mark.parametrize(
    ("name", "want"),
    [("getObject", "GetObject"), ("get_object", "GetObject"), ("get-object", "GetObject"),
     ("upload_file", "PutObject"), ("download_fileobj", "GetObject"), ("getObjectMetadata", "HeadObject"),
     ("list_objects_v2", "ListObjectsV2"), ("format", None)],
)  # fmt: skip
def test_sdk_spellings_resolve_to_api_operations(name: str, want: str | None) -> None:
    assert known(name) == want


def test_several_sdk_operations_in_a_stack_become_candidates() -> None:
    found = from_sdk_names("at S3Client.headObject(S3Client.java:10)\nat S3Client.putObject(S3Client.java:20)")
    assert found.operation is None
    assert found.candidates == ("HeadObject", "PutObject")


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("github.com/aws/aws-sdk-go-v2/service/s3.(*Client).PutObject(0xc0001, {0x1, 0x2})", "PutObject"),
        ("github.com/aws/aws-sdk-go/service/s3.(*S3).GetObjectWithContext(0xc0002, ...)", "GetObject"),
        ("out, err := svc.HeadObject(&s3.HeadObjectInput{Bucket: aws.String(b)})", "HeadObject"),
        ("Err(SdkError<GetObjectError, HttpResponse>)", "GetObject"),
        (
            "at software.amazon.awssdk.services.s3.DefaultS3Client.deleteObject(DefaultS3Client.java:3210)",
            "DeleteObject",
        ),
    ],
)
def test_sdk_call_shapes_name_the_operation(text: str, want: str) -> None:
    assert from_sdk_names(text).operation == want


@pytest.mark.parametrize(
    ("command", "operation", "scheme"),
    [
        ("curl http://hr-docs.s3.amazonaws.com/policies/handbook.pdf", "GetObject", "false"),
        ("curl -sI https://hr-docs.s3.amazonaws.com/policies/handbook.pdf", "HeadObject", "true"),
        ("curl -X DELETE https://hr-docs.s3.amazonaws.com/policies/handbook.pdf", "DeleteObject", "true"),
        ("curl -T handbook.pdf https://hr-docs.s3.amazonaws.com/policies/handbook.pdf", "PutObject", "true"),
    ],
)
def test_a_curl_command_states_its_method_and_scheme(command: str, operation: str, scheme: str) -> None:
    """curl sends GET unless -X, -I, -T or a body says otherwise; its URL's scheme says whether TLS was used."""
    text = f"$ {command}\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
    (req,) = parse_text(text).requests
    assert (req.operation, req.bucket, req.key) == (operation, "hr-docs", "policies/handbook.pdf")
    assert req.context["aws:SecureTransport"] == [scheme]
