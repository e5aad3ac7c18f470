"""Error shapes of SDKs and HTTP clients that name no AWS error code: each is read by its own general form."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from bot.parse import parse_text
from bot.parse.model import DeniedRequest
from bot.parse.normalize import normalize


def _one(text: str) -> DeniedRequest:
    requests = parse_text(text).requests
    assert len(requests) == 1, requests
    return requests[0]


@pytest.mark.parametrize(
    ("service", "status", "call", "operation", "action"),
    [
        ("s3", 403, "getBucketLocation({ Bucket: 'b-1' })", "GetBucketLocation", "s3:GetBucketLocation"),
        ("s3", 403, "putObject({ Bucket: 'b-1', Key: 'k/1.txt' })", "PutObject", "s3:PutObject"),
        ("s3", 400, "listObjectsV2({ Bucket: 'b-1' })", "ListObjectsV2", "s3:ListBucket"),
        ("sts", 403, "assumeRole({ RoleArn: 'arn:aws:iam::111122223333:role/r' })", "AssumeRole", "sts:AssumeRole"),
    ],
)
def test_the_js_sdk_v2_request_logger_line(service: str, status: int, call: str, operation: str, action: str) -> None:
    # lib/event_listeners.js: "[AWS " + serviceIdentifier + " " + status + " " + delta + "s " + retries + " retries]"
    req = _one(f"Serverless: [AWS {service} {status} 0.207s 0 retries] {call}")
    assert (req.service, req.http_status, req.operation, req.action) == (service, status, operation, action)


@pytest.mark.parametrize(("domain", "service"), [("AWSS3TransferUtility", "s3"), ("AWSS3", "s3"), ("AWSSTS", "sts")])
def test_the_ios_sdk_nserror(domain: str, service: str) -> None:
    req = _one(
        f'Failed with error: Error Domain=com.amazonaws.{domain}ErrorDomain Code=2 "(null)" UserInfo={{Server=AmazonS3, '
        "Connection=close, x-amz-request-id=3DFF780A2317BA95, x-amz-id-2=j0RqkR4jIZZ5Nk83lpmpgXhOWY0nOdr1be68Ki6q=}"
    )
    assert (req.service, req.request_id) == (service, "3DFF780A2317BA95")


def test_the_dotnet_sdk_http_error_response_exception() -> None:
    req = _one(
        "Amazon.Runtime.Internal.HttpErrorResponseException: Exception of type "
        "'Amazon.Runtime.Internal.HttpErrorResponseException' was thrown.\n"
        "  at Amazon.Runtime.Internal.UnityWebRequestFactory.EndGetResponse (IAsyncResult asyncResult)\n"
        "  at Amazon.S3.AmazonS3Client.ProcessPostResponse (IAsyncResult result)\n"
        'var request = new GetObjectRequest { BucketName = "photos-1", Region = RegionEndpoint.APSouth1 };'
    )
    assert (req.service, req.operation, req.region) == ("s3", "GetObject", "ap-south-1")


@pytest.mark.parametrize("status", [s for s in HTTPStatus if s.value >= 400][:12])
def test_excon_errors_name_the_http_status(status: HTTPStatus) -> None:
    name = status.phrase.replace(" ", "").replace("-", "")
    req = _one(
        f"Excon::Errors::{name}\n\n"
        "excon (0.6.3) lib/excon/connection.rb:179:in `request'\n"
        "fog (0.8.1) lib/fog/storage/requests/aws/put_object.rb:43:in`put_object'\n"
    )
    assert (req.http_status, req.operation, req.action) == (status.value, "PutObject", "s3:PutObject")


def test_an_excon_response_dump_states_its_method_host_and_path() -> None:
    # Excon logs the request as fields: `:method => "HEAD"` with `:host` and `:path` is a HeadObject on that key.
    req = _one(
        "Excon::Error::Forbidden: Expected(200) <=> Actual(403 Forbidden)\n"
        "excon.error.response\n"
        '  :body          => ""\n'
        '  :method        => "HEAD"\n'
        '  :path          => "/img/logo.png"\n'
        '  :host          => "site-assets.s3.amazonaws.com"\n'
        "  :status        => 403\n"
    )
    assert (req.operation, req.bucket, req.key, req.http_status) == ("HeadObject", "site-assets", "img/logo.png", 403)


def test_a_backtick_glued_between_words_separates_them() -> None:
    assert normalize("aws.rb:43:in`put_object'") == "aws.rb:43:in put_object'"
    assert normalize("`s3:*` and `bucket/*`") == "s3:* and bucket/*"


def test_another_services_refusal_takes_no_s3_operation_from_its_prose() -> None:
    req = _one(
        "com.amazonaws.services.rekognition.model.InvalidS3ObjectException: Unable to get object metadata from S3. "
        "(Service: AmazonRekognition; Status Code: 400; Error Code: InvalidS3ObjectException; Request ID: d7f2ecd7)"
    )
    assert (req.service, req.operation, req.action) == ("rekognition", None, None)
    named = _one(
        'Resource handler returned message: "Your access has been denied by S3, please make sure your request '
        "credentials have permission to GetObject for b-1/k.zip. S3 Error Code: AccessDenied. (Service: Lambda, "
        'Status Code: 403, Request ID: 807f6f50)"'
    )
    assert named.operation == "GetObject"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Fatal error: An error occurred (403)when calling the HeadObject operation: Forbidden", "403"),
        (
            "aws.sdk.kotlin.services.s3.model.S3Exception: Service returned error code 403: Forbidden, Request ID: A1",
            "403",
        ),
        ("S3Exception: Service returned error code AccessDenied: Access Denied", "AccessDenied"),
        ('Error executing "HeadObject" on "https://s3.amazonaws.com/b-1/k"; AWS HTTP error: 403 (client): 403', "403"),
        ('Error executing "GetObject" on "https://s3.amazonaws.com/b-1/k"; SlowDown (server): Reduce rate', "SlowDown"),
        ('error_class="AWS::S3::Errors::Forbidden" error="AWS::S3::Errors::Forbidden"', "Forbidden"),
        ("Aws::S3::Errors::AccessDenied (Access Denied)", "AccessDenied"),
        ("Forbidden: null\n    at Request.extractError (node_modules/aws-sdk/lib/services/s3.js:251:35)", "Forbidden"),
    ],
)
def test_the_code_an_sdk_reports(text: str, code: str) -> None:
    assert _one(text).error_code == code


def test_the_old_botocore_wording_names_the_code_and_the_operation() -> None:
    # botocore before 1.4 (the AWS CLI of 2015): "A client error (CODE) occurred when calling the OP operation: ...".
    req = _one(
        "$ aws s3 cp s3://models-1/a/manifest.txt .\n"
        "A client error (403) occurred when calling the HeadObject operation: Forbidden\n"
    )
    assert (req.error_code, req.http_status, req.operation, req.bucket, req.key) == (
        "403",
        403,
        "HeadObject",
        "models-1",
        "a/manifest.txt",
    )
    assert _one(
        "A client error (AccessDenied) occurred when calling the PutObject operation: Access Denied"
    ).error_code == ("AccessDenied")


@pytest.mark.parametrize(
    ("summary", "key"),
    [
        (
            "Name: ami-build-logs-2025-05-20.tar.gz   Status: Failed   Error: Access Denied",
            "uploads/ami-build-logs-2025-05-20.tar.gz",
        ),
        ("Name: my report.pdf\tFolder: -\tType: pdf\tStatus: Failed\nError: Access Denied", "uploads/my report.pdf"),
    ],
)
def test_the_consoles_upload_summary_names_the_object_under_its_destination_folder(summary: str, key: str) -> None:
    # The S3 console's upload result: the destination is a folder, each failed file is named under it.
    req = _one(f"Upload failed\nDestination: s3://shared-artifacts-1/uploads/\nFailed  1 file, 48.2 MB\n{summary}\n")
    # "Upload failed" names no call (a large file goes as a multipart upload): PutObject is a candidate only
    assert (req.bucket, req.key) == ("shared-artifacts-1", key)
    assert req.operation == "PutObject" or "PutObject" in req.operation_candidates


def test_a_status_line_is_no_reason_code() -> None:
    assert _one("HTTP/1.1 403 Forbidden: the bucket policy denies it\nAccessDenied: Access Denied").error_code == (
        "AccessDenied"
    )


@pytest.mark.parametrize(
    "message",
    [
        "The operation is not valid for the object's storage class",
        "The operation is not valid for the current state of the object",
    ],
)
def test_s3s_documented_message_marks_the_error_a_tool_renames(message: str) -> None:
    # S3 API Reference, "List of error codes": InvalidObjectState's messages, behind a tool's own error class.
    req = _one(f"stor cat s3://b-1/cold.json\nUnauthorizedError: {message} Bucket: b-1, Key: cold.json")
    assert (req.error_code, req.bucket, req.key) == ("InvalidObjectState", "b-1", "cold.json")


def test_a_json_protocol_response_names_code_request_id_and_service() -> None:
    # Smithy's awsJson / restJson1 protocols: x-amzn-ErrorType and x-amzn-RequestId headers.
    req = _one(
        "HttpResponse(status=403: Forbidden, headers=Headers [content-type=[application/json], "
        "x-amzn-errortype=[AccessDeniedException:http://internal.amazon.com/coral/com.amazon.coral.service/], "
        "x-amzn-requestid=[1cd9ee6b-b253-4372-be5e-d9a00936271c]], request=HttpRequest(method=GET, "
        "url=https://workdocs.us-west-2.amazonaws.com/api/v1/users?organizationId=d-1))"
    )
    assert (req.service, req.error_code, req.request_id, req.region, req.http_status) == (
        "workdocs",
        "AccessDeniedException",
        "1cd9ee6b-b253-4372-be5e-d9a00936271c",
        "us-west-2",
        403,
    )


def test_post_object_the_documented_operation_outside_the_model() -> None:
    # S3 API Reference "PostObject" (browser form upload): botocore has no such operation; it needs s3:PutObject.
    req = _one(
        "posting an object (using Client.PostObjectAsync) provokes an exception\n"
        "Amazon.Runtime.Internal.HttpErrorResponseException: Exception of type "
        "'Amazon.Runtime.Internal.HttpErrorResponseException' was thrown.\n"
        "  at Amazon.S3.AmazonS3Client.ProcessPostResponse (IAsyncResult result)"
    )
    assert (req.service, req.operation, req.action) == ("s3", "PostObject", "s3:PutObject")
