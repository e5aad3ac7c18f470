"""However a paste arrives (colour codes, JSON escapes, markdown, Slack formatting, glued punctuation, masks), the
parser reads the same request out of it; and on any text it returns, in bounded work, without raising."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.parse import parse_text
from bot.parse.entities import is_masked
from bot.parse.normalize import normalize

PLAIN = (
    "upload failed: ./a.csv to s3://ingest-raw-9/in/a.csv An error occurred (AccessDenied) when calling the "
    "PutObject operation: Access Denied"
)


def _fields(text: str) -> tuple[str | None, ...]:
    (req,) = parse_text(text).requests
    return req.error_code, req.operation, req.bucket, req.key


@pytest.mark.parametrize(
    "arrived",
    [
        pytest.param("\x1b[31m" + PLAIN + "\x1b[0m", id="ansi-colour"),
        pytest.param("^[[1;31m" + PLAIN + "^[[0m", id="ansi-caret-escape"),
        pytest.param("[31m" + PLAIN + "[0m", id="ansi-esc-lost"),
        pytest.param('{"log": "' + PLAIN.replace("/", "\\/") + '\\u001b[0m\\n"}', id="json-escaped"),
        pytest.param("```\n" + PLAIN + "\n```", id="code-fence"),
        pytest.param(PLAIN.replace("s3://ingest-raw-9/in/a.csv", "`s3://ingest-raw-9/in/a.csv`"), id="inline-code"),
        pytest.param(PLAIN.replace("(AccessDenied)", "(*AccessDenied*)"), id="slack-bold"),
        pytest.param(PLAIN.replace("Access Denied", "_Access Denied_"), id="slack-italic"),
        pytest.param(PLAIN.replace(" when calling", "\nwhen calling").replace(" to s3:", "\nto s3:"), id="wrapped"),
        pytest.param("> " + PLAIN.replace(" An error", "\n> An error"), id="quoted"),
        pytest.param(PLAIN.replace("s3://ingest-raw-9/in/a.csv", "(s3://ingest-raw-9/in/a.csv),"), id="punctuation"),
    ],
)
def test_the_same_request_is_read_however_the_paste_arrives(arrived: str) -> None:
    assert _fields(arrived) == ("AccessDenied", "PutObject", "ingest-raw-9", "in/a.csv")


def test_markup_around_policy_wildcards_is_left_alone() -> None:
    text = '"Action": "s3:*", "Resource": "arn:aws:s3:::b/*"'
    assert normalize(text) == text


def test_snake_case_and_hadoop_markers_keep_their_underscores() -> None:
    text = "s3.get_object(...) on s3a://b/_temporary/0/_SUCCESS"
    assert normalize(text) == text


@pytest.mark.parametrize(
    "value",
    ["***", "xxx", "XXXXXXXX", "REDACTED", "[redacted]", "<bucket>", "<your-bucket>", "${BUCKET}", "{bucket}",
     "$BUCKET_NAME", "%s", "...", "…", "my-bucket-redacted", "null", "None"],
)  # fmt: skip
def test_a_masked_or_elided_value_is_no_value(value: str) -> None:
    assert is_masked(value)


@pytest.mark.parametrize("value", ["demo-fss-XXXX-demo", "my-bucket", "logs.example.com", "dir_$folder$"])
def test_a_real_or_partly_masked_name_is_a_value(value: str) -> None:
    assert not is_masked(value)


@pytest.mark.parametrize(
    "where",
    ["s3://***/f.txt", "s3://<bucket>/f.txt", "s3://REDACTED/f.txt", "s3://xxxxxx/f.txt", "s3://${BUCKET}/f.txt"],
)
def test_a_masked_bucket_is_not_reported(where: str) -> None:
    text = f"upload failed: ./f.txt to {where} An error occurred (AccessDenied) when calling the PutObject operation"
    (req,) = parse_text(text).requests
    assert req.bucket is None
    assert req.operation == "PutObject"


_PIECES = [
    "\x1b[31m", "^[[0m", "[0;31m", "\\u001b[", "\\\\", '\\"', "*", "_", "~", "`", "```", "s3://", "s3://arn:aws:s3:",
    "arn:aws:s3:us-east-1:123456789012:accesspoint/", "/object/", "Bucket=", "bucket: ", "BucketName=\"", "Key='",
    "key ", "bucket '", "'", "GetObject ", "get_object(", "S3.PutObject", "aws-sdk:s3:", "aws_s3_bucket_policy.",
    "AWS::S3::", "AccessDenied", "NoSuchKeyException", "Error: ", "request-id: ", "status=", "HTTP 403", "xxx",
    "REDACTED", "<", ">", "{", "}", "$", ".", ",", ")", "(", "/", " ", "\n", "a", "7", "-",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=80))
def test_parse_never_raises_and_returns_what_the_text_can_hold(pieces: list[str]) -> None:
    text = "".join(pieces)
    result = parse_text(text)
    assert len(result.requests) <= text.count("\n") + 1
    for req in result.requests:
        for value in (req.bucket, req.key, req.operation, req.error_code, req.resource_arn, req.request_id):
            assert value is None or (0 < len(value) <= len(text))
        assert req.bucket is None or not is_masked(req.bucket)
