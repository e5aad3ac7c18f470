"""Statuses and services as more clients word them: Google's Go clients (a GCS lookalike), Apple's reason-then-code,
the AWS SDK for C++'s "Response code", Objective-C selectors and settings (issue 21)."""

from __future__ import annotations

from bot.parse import parse_text
from bot.parse.model import DeniedRequest


def _one(text: str) -> DeniedRequest:
    (request,) = parse_text(text).requests
    return request


def test_google_clouds_refusal_is_a_gcs_lookalike_with_its_status() -> None:
    request = _one(
        "sync failed: googleapi: Error 403: ci-bot@example.com does not have storage.objects.create access to the Google Cloud Storage object., forbidden"
    )
    assert (request.service, request.http_status) == ("gcs", 403)


def test_a_tool_relaying_gcs_names_it_by_its_product_name() -> None:
    text = "stage error: Anonymous caller does not have storage.buckets.get access to the Google Cloud Storage bucket. (Status Code: 401)"
    assert _one(text).service == "gcs"


def test_an_s3_error_that_mentions_google_elsewhere_stays_s3() -> None:
    text = "migrating from Google Drive to S3\nAn error occurred (AccessDenied) when calling the PutObject operation: Access Denied"
    assert _one(text).service == "s3"


def test_apples_reason_then_code_is_the_status() -> None:
    request = _one("Upload finished with error: Request failed: forbidden (403)")
    assert (request.service, request.http_status) == ("s3", 403)


def test_the_cpp_sdks_response_code_without_http_is_the_status() -> None:
    request = _one("download error: No response body. Response code: 403")
    assert request.http_status == 403


def test_a_response_code_that_is_no_error_is_no_anchor() -> None:
    assert parse_text("health check ok. Response code: 200").requests == ()


def test_an_objective_c_selector_names_the_operation_before_with() -> None:
    text = (
        'Request failed: forbidden (403) calling [client getObjectWithKey:@"a.txt"]\nclient.bucket = @"media-uploads-2"'
    )
    request = _one(text)
    assert (request.operation, request.bucket) == ("GetObject", "media-uploads-2")


def test_a_selector_with_a_longer_argument_is_not_split() -> None:
    request = _one("Request failed: forbidden (403) in listObjectsWithBucketPrefix")
    assert request.operation is None


def test_words_after_bucket_name_in_prose_are_no_bucket() -> None:
    text = "I pass the bucket name and key name to the download. No response body. Response code: 400"
    request = _one(text)
    assert (request.bucket, request.key) == (None, None)
