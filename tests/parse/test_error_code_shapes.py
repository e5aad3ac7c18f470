"""Error codes as SDKs write them into class names (issue 21)."""

from __future__ import annotations

import pytest

from bot.parse import parse_text

PHP_V2_CLASSES = [
    ("AccessDenied", "PHP Fatal error:  Uncaught Aws\\S3\\Exception\\AccessDeniedException: Access Denied in /srv/app/vendor/aws/aws-sdk-php/src/Aws/Common/Exception/NamespaceExceptionFactory.php:91"),
    ("InvalidAccessKeyId", "Whoops, looks like something went wrong.\nAws \\ S3 \\ Exception \\ InvalidAccessKeyIdException\n403 Forbidden"),
]  # fmt: skip


@pytest.mark.parametrize(("code", "text"), PHP_V2_CLASSES, ids=[c for c, _ in PHP_V2_CLASSES])
def test_php_v2s_s3_exception_class_is_the_code_with_exception_appended(code: str, text: str) -> None:
    (request,) = parse_text(text).requests
    assert request.error_code == code


def test_php_v2s_base_s3_exception_names_no_code() -> None:
    (request,) = parse_text("Aws\\S3\\Exception\\S3Exception: Access Denied").requests
    assert request.error_code == "AccessDenied"  # from S3's message, not the base class's name


def test_swifts_type_name_is_the_code_and_its_status_name_the_status() -> None:
    text = (
        'UnknownAWSHTTPServiceError(typeName: Optional("InvalidAccessKeyId"), message: Optional("The AWS Access Key '
        'Id you provided does not exist in our records."), requestID: Optional("Q1W2E3R4T5Y6U7I8"), httpResponse: \n'
        "Status Code: http_status_403 \n Server: AmazonS3)"
    )
    (request,) = parse_text(text).requests
    assert (request.error_code, request.http_status) == ("InvalidAccessKeyId", 403)


def test_a_tools_http_error_code_label_is_the_status_not_the_code() -> None:
    text = "mount: CURLE_HTTP_RETURNED_ERROR\nmount: HTTP Error Code: 403\nmount: AWS Error Code: AccessDenied\n"
    (request,) = parse_text(text).requests
    assert (request.error_code, request.http_status) == ("AccessDenied", 403)


def test_a_java_error_code_of_digits_is_still_the_code() -> None:
    text = (
        "AmazonS3Exception: Forbidden (Service: Amazon S3; Status Code: 403; Error Code: 403 Forbidden; Request ID: A1)"
    )
    (request,) = parse_text(text).requests
    assert request.error_code == "403 Forbidden"


def test_an_s3_compatible_stores_request_id_keeps_its_hyphens() -> None:
    text = "HTTP/1.1 403 Forbidden\nx-amz-request-id: tx00000000000000001a2b3-0065a1b2c3-4d5e6f-zone-a\n<Error><Code>AccessDenied</Code></Error>"
    (request,) = parse_text(text).requests
    assert request.request_id == "tx00000000000000001a2b3-0065a1b2c3-4d5e6f-zone-a"


def test_a_logged_sigv2_string_to_sign_states_the_request() -> None:
    text = (
        "DEBUG - HTTP request method: GET\nDEBUG - StringToSign:\nGET\n\n\nMon, 02 Jan 2017 10:00:00 GMT\n"
        "x-amz-security-token:FQoDYXdzEXAMPLE\n/analytics-raw-2017/?versions\n"
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>'
    )
    (request,) = parse_text(text).requests
    assert (request.operation, request.bucket) == ("ListObjectVersions", "analytics-raw-2017")


def test_a_sigv4_string_to_sign_states_no_request() -> None:
    text = (
        "DEBUG - StringToSign:\nAWS4-HMAC-SHA256\n20170102T100000Z\n20170102/us-east-1/s3/aws4_request\nabc123\n"
        "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
    )
    (request,) = parse_text(text).requests
    assert request.operation is None
