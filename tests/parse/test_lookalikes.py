"""Errors that look like a 403 but are not: each keeps its own error code and is explained."""

from __future__ import annotations

import pytest

from bot.parse import parse_text

LOOKALIKES = [
    ("NoSuchBucket", "An error occurred (NoSuchBucket) when calling the ListObjectsV2 operation: The specified bucket does not exist"),
    ("NoSuchKey", "An error occurred (NoSuchKey) when calling the GetObject operation: The specified key does not exist."),
    ("PermanentRedirect", "An error occurred (PermanentRedirect) when calling the ListObjects operation: The bucket you are attempting to access must be addressed using the specified endpoint."),
    ("InvalidAccessKeyId", "<Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided does not exist in our records.</Message></Error>"),
    ("SignatureDoesNotMatch", "SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided.\n\tstatus code: 403, request id: 123, host id: x"),
    ("ExpiredToken", "An error occurred (ExpiredToken) when calling the PutObject operation: The provided token has expired."),
    ("RequestTimeTooSkewed", "An error occurred (RequestTimeTooSkewed) when calling the ListBuckets operation: The difference between the request time and the current time is too large."),
    ("AllAccessDisabled", "<Error><Code>AllAccessDisabled</Code><Message>All access to this object has been disabled</Message></Error>"),
    ("AccountProblem", "An error occurred (AccountProblem) when calling the PutObject operation: There is a problem with your AWS account that prevents the operation from completing successfully."),
    ("AccessControlListNotSupported", "An error occurred (AccessControlListNotSupported) when calling the PutObject operation: The bucket does not allow ACLs"),
]  # fmt: skip


@pytest.mark.parametrize(("code", "text"), LOOKALIKES, ids=[c for c, _ in LOOKALIKES])
def test_lookalike_keeps_its_own_code_and_is_explained(code: str, text: str) -> None:
    result = parse_text(text)
    assert [r.error_code for r in result.requests] == [code]
    notes = [w for w in result.warnings if w.kind == "lookalike"]
    assert len(notes) == 1
    assert notes[0].error_code == code
    assert "not an access denial" in notes[0].message


def test_expired_presigned_url_is_explained_as_a_lifetime_not_a_policy() -> None:
    text = "<Error><Code>AccessDenied</Code><Message>Request has expired</Message><X-Amz-Expires>300</X-Amz-Expires></Error>"
    result = parse_text(text)
    assert result.requests[0].error_code == "AccessDenied"
    (note,) = [w for w in result.warnings if w.kind == "lookalike"]
    assert "Presign it again" in note.message


def test_a_real_access_denial_gets_no_lookalike_note() -> None:
    result = parse_text("An error occurred (AccessDenied) when calling the GetObject operation: Access Denied")
    assert not [w for w in result.warnings if w.kind == "lookalike"]
