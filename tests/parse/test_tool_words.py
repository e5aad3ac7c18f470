"""A tool's words for the call it failed on: which state an operation and which only suggest one (issue 21)."""

from __future__ import annotations

from bot.parse import parse_text
from bot.parse.model import DeniedRequest


def _one(text: str) -> DeniedRequest:
    (request,) = parse_text(text).requests
    return request


def test_a_stat_only_suggests_a_head_for_the_minio_client() -> None:
    request = _one("mc: <ERROR> Unable to stat `prod/reports-2024/q1.csv`. Access Denied.")
    assert request.operation is None
    assert "HeadObject" in request.operation_candidates


def test_a_stat_only_suggests_a_head_for_objstore_clients() -> None:
    request = _one('level=warn msg="upload failed" err="check exists: stat s3 object: Access Denied."')
    assert request.operation is None
    assert request.operation_candidates == ("HeadObject",)


def test_a_tool_phrase_with_an_api_verb_still_states_the_call() -> None:
    request = _one('time="2024-01-02" level=error msg="failed to put file: Access Denied."')
    assert request.operation == "PutObject"


def test_a_request_line_whose_bucket_the_poster_masked_still_states_the_operation() -> None:
    text = (
        "mc: <ERROR> Unable to stat `s3/<bucket>/`. Access Denied.\n"
        "mc: <DEBUG> GET /<your-bucket>/?location= HTTP/1.1\nHost: s3.amazonaws.com\n"
        "mc: <DEBUG> HTTP/1.1 403 Forbidden\n<Error><Code>AccessDenied</Code></Error>"
    )
    request = _one(text)
    assert (request.operation, request.bucket) == ("GetBucketLocation", None)


def test_an_api_verb_after_the_object_names_the_objects_own_call_not_a_key() -> None:
    request = _one("ERROR Error getting object head: { code: 'Forbidden', statusCode: 403 }")
    assert (request.operation, request.key) == ("HeadObject", None)


def test_a_real_key_after_getting_object_is_still_the_key() -> None:
    request = _one("ERROR Error getting object reports/head.csv: AccessDenied: Access Denied")
    assert (request.operation, request.key) == ("GetObject", "reports/head.csv")
