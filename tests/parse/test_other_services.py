"""Operations, resource types and relayed errors that say which AWS service refused, read from botocore's models."""

from __future__ import annotations

import pytest

from bot.parse import parse_text
from bot.parse.model import DeniedRequest


def _one(text: str) -> DeniedRequest:
    (request,) = parse_text(text).requests
    return request


OTHER_SERVICE_CALLS = [
    ("glue", "glue:StartCrawler", "botocore.exceptions.ClientError: An error occurred (AccessDeniedException) when calling the StartCrawler operation: Account 111122223333 is denied access"),
    ("ssm", "ssm:GetParameter", "An error occurred (AccessDeniedException) when calling the GetParameter operation: no access"),
    ("sts", "sts:GetSessionToken", "fatal: An error occurred (AccessDenied) when calling the GetSessionToken operation: Cannot call GetSessionToken with session credentials"),
]  # fmt: skip


@pytest.mark.parametrize(("service", "action", "text"), OTHER_SERVICE_CALLS, ids=[s for s, _, _ in OTHER_SERVICE_CALLS])
def test_an_operation_only_another_service_has_names_that_service_and_its_action(
    service: str, action: str, text: str
) -> None:
    request = _one(text)
    assert (request.service, request.action) == (service, action)


def test_an_s3_operation_stays_s3() -> None:
    request = _one("An error occurred (AccessDenied) when calling the GetBucketPolicy operation: Access Denied")
    assert (request.service, request.action) == ("s3", "s3:GetBucketPolicy")


def test_an_operation_several_services_share_names_no_service() -> None:
    # SNS and IoT Data both have Publish: the model does not say which one refused.
    request = _one("An error occurred (AuthorizationError) when calling the Publish operation: not authorized")
    assert request.action is None
    assert request.operation == "Publish"


def test_a_cloudformation_resource_failing_on_create_states_its_handlers_operation() -> None:
    text = '12:01:44 | CREATE_FAILED | AWS::S3::BucketPolicy | SiteBucketPolicy1A2B3C\nResource handler returned message: "Access Denied"'
    request = _one(text)
    assert (request.operation, request.action) == ("PutBucketPolicy", "s3:PutBucketPolicy")


def test_a_resource_type_without_a_failure_status_only_suggests_its_operation() -> None:
    text = "UPDATE_COMPLETE | AWS::S3::BucketPolicy | SiteBucketPolicy1A2B3C\nAccess Denied (Service: S3, Status Code: 403)"
    request = _one(text)
    assert request.operation is None
    assert "PutBucketPolicy" in request.operation_candidates


def test_s3s_error_relayed_in_another_services_message_is_s3s_without_the_relays_request_id() -> None:
    text = (
        'Resource handler returned message: "Your access has been denied by S3, please make sure your request '
        "credentials have permission to GetObject for deploy-artifacts-eu/layers/deps.zip. S3 Error Code: AccessDenied. "
        "S3 Error Message: Access Denied (Service: Lambda, Status Code: 403, Request ID: "
        '1b2c3d4e-0000-4a4a-9f9f-123456789abc)"'
    )
    request = _one(text)
    assert (request.service, request.operation, request.bucket, request.key) == (
        "s3",
        "GetObject",
        "deploy-artifacts-eu",
        "layers/deps.zip",
    )
    assert request.request_id is None


def test_another_services_own_refusal_keeps_its_service_and_request_id() -> None:
    text = (
        "Lambda does not have permission to access the ECR image. (Service: Lambda, Status Code: 403, "
        "Request ID: 1b2c3d4e-0000-4a4a-9f9f-123456789abc)"
    )
    request = _one(text)
    assert request.service == "lambda"
    assert request.request_id == "1b2c3d4e-0000-4a4a-9f9f-123456789abc"


def test_a_request_logged_with_its_method_and_an_s3_uri_states_its_operation() -> None:
    text = "Error: HTTP GET error reading 's3://lake-raw-eu/?encoding-type=url&list-type=2&prefix=events%2F' (HTTP 403 Forbidden)"
    request = _one(text)
    assert (request.operation, request.action, request.bucket) == ("ListObjectsV2", "s3:ListBucket", "lake-raw-eu")


def test_a_url_whose_query_only_one_operation_takes_states_it_without_a_method() -> None:
    text = "debug : start URLRequest(https://photos-archive-7.s3.eu-west-1.amazonaws.com/?delete) called\nAccessDenied"
    request = _one(text)
    assert (request.operation, request.action, request.bucket) == (
        "DeleteObjects",
        "s3:DeleteObject",
        "photos-archive-7",
    )


def test_a_url_whose_query_several_operations_take_states_none_without_a_method() -> None:
    # ?acl is GetBucketAcl's and PutBucketAcl's: only the method would tell them apart.
    text = "request URLRequest(https://photos-archive-7.s3.eu-west-1.amazonaws.com/?acl) failed: AccessDenied"
    request = _one(text)
    assert request.operation not in ("GetBucketAcl", "PutBucketAcl")


def test_a_tool_naming_a_service_and_its_resource_states_the_service_and_call() -> None:
    text = "Error: error creating CloudWatch Logs Log Group (app-logs): AccessDeniedException: not allowed\n\tstatus code: 400, request id: 1b2c3d4e-0000-4a4a-9f9f-123456789abc"
    request = _one(text)
    assert (request.service, request.operation, request.action) == ("logs", "CreateLogGroup", "logs:CreateLogGroup")


def test_a_tool_naming_a_service_but_no_call_of_it_states_only_the_service() -> None:
    text = "Error: error reading SSM Parameter Tier (db-pass): AccessDeniedException: denied\n\tstatus code: 400, request id: 1b2c3d4e-0000-4a4a-9f9f-123456789abc"
    request = _one(text)
    assert (request.service, request.operation) == ("ssm", None)


def test_a_tool_naming_s3_keeps_s3s_own_reading() -> None:
    text = "Error: error creating S3 Bucket (logs-2024-eu): AccessDenied: Access Denied\n\tstatus code: 403, request id: Q1W2E3R4T5Y6U7I8"
    request = _one(text)
    assert (request.service, request.operation) == ("s3", "CreateBucket")


def test_a_sub_resource_of_an_s3_compatible_hosts_root_is_the_buckets_named_by_the_host() -> None:
    text = "Client error: `GET https://media-eu.ams3.example-spaces.com/?versioning` resulted in a `403 Forbidden` response"
    request = _one(text)
    assert (request.operation, request.bucket) == ("GetBucketVersioning", "media-eu")


def test_a_path_style_request_to_an_s3_compatible_host_names_the_bucket_in_its_path() -> None:
    text = "Client error: `GET https://store.example.com/media-eu/?versioning` resulted in a `403 Forbidden` response"
    request = _one(text)
    assert (request.operation, request.bucket) == ("GetBucketVersioning", "media-eu")
