"""Garbage in, a clear answer out: never a traceback, never unbounded work."""

from __future__ import annotations

import json
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.parse import MAX_INPUT_CHARS, parse_text

# Fragments that exercise every pattern's prefix, so that random concatenations probe backtracking.
FRAGMENTS = [
    "User: ", "arn:aws:iam::123456789012:user/", " is not authorized to perform: ", "s3:GetObject", " on resource: ",
    '"', "because no ", "with an explicit deny in a ", "policy", "An error occurred (", ") when calling the ",
    " operation", "Error Code: ", "Request ID: ", "<Code>", "</Code>", "<RequestId>", "s3://", "/", "s3a://",
    ".s3.us-east-1.amazonaws.com", "https://", "amazonaws.com", "AccessDenied: ", "status code: 403, request id: ",
    "(Service: ", "api error ", "Error executing \"", "S3 bucket \"", "AKIA", "A" * 40, "aws_secret_access_key=",
    "X-Amz-Signature=", "${", "&lt;", "&amp;", "<http://", "|", ">", "```", "\\n", "\n", " ", "a", "*", "\u2026",
]  # fmt: skip


def _run_cli(*args: str, stdin: bytes | str = b"") -> subprocess.CompletedProcess[bytes]:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run([sys.executable, "-m", "bot", *args], input=data, capture_output=True, check=False)


def test_empty_text_is_a_usage_error_with_a_reason() -> None:
    out = _run_cli("parse", stdin="  \n ")
    assert out.returncode == 2
    assert b"empty" in out.stderr and b"Traceback" not in out.stderr


def test_text_without_an_error_says_so() -> None:
    result = parse_text("hey team, lunch at 12? the deploy went fine")
    assert result.requests == ()
    assert [w.kind for w in result.warnings] == ["no-error"]
    assert "no AWS error found" in result.warnings[0].message


def test_binary_junk_is_rejected_clearly() -> None:
    out = _run_cli("parse", stdin=bytes(range(256)) * 64)
    assert out.returncode == 2
    assert b"binary" in out.stderr and b"Traceback" not in out.stderr


def test_one_megabyte_of_text_parses_every_error_in_it() -> None:
    line = "upload failed: ./f{i} to s3://bulk-bucket/f{i} An error occurred (AccessDenied) when calling the PutObject operation: Access Denied\n"
    filler = "INFO some unrelated log line that says nothing about permissions\n"
    text = "".join(line.format(i=i) + filler * 60 for i in range(250))
    assert len(text) > 1_000_000
    result = parse_text(text)
    assert len(result.requests) == 250
    assert {r.key for r in result.requests} == {f"f{i}" for i in range(250)}


def test_text_beyond_the_limit_is_cut_with_a_warning() -> None:
    result = parse_text("x" * (MAX_INPUT_CHARS + 10))
    assert any(w.kind == "truncated" for w in result.warnings)


def test_several_errors_in_one_paste_become_several_requests() -> None:
    text = (
        "upload failed: a.txt to s3://b1/a.txt An error occurred (AccessDenied) when calling the PutObject operation: Access Denied\n"
        "download failed: s3://b2/x.csv to x.csv An error occurred (403) when calling the HeadObject operation: Forbidden\n"
    )
    result = parse_text(text)
    assert [(r.bucket, r.key, r.operation) for r in result.requests] == [
        ("b1", "a.txt", "PutObject"),
        ("b2", "x.csv", "HeadObject"),
    ]


def test_slack_escaping_and_code_fences_are_undone() -> None:
    text = (
        "```&lt;Error&gt;&lt;Code&gt;AccessDenied&lt;/Code&gt;&lt;RequestId&gt;AB12CD34&lt;/RequestId&gt;&lt;/Error&gt;```\n"
        "while calling <https://my-bkt.s3.eu-west-1.amazonaws.com/a/b.txt|my-bkt.s3.eu-west-1.amazonaws.com/a/b.txt>"
    )
    (req,) = parse_text(text).requests
    assert (req.error_code, req.request_id, req.bucket, req.key, req.region) == (
        "AccessDenied", "AB12CD34", "my-bkt", "a/b.txt", "eu-west-1",
    )  # fmt: skip


def test_windows_line_ends_and_wrapped_enriched_message() -> None:
    text = (
        "An error occurred (AccessDenied) when calling the GetObject operation:\r\nUser: arn:aws:iam::123456789012:user/a\r\n"
        '  is not authorized to perform: s3:GetObject on resource:\r\n  "arn:aws:s3:::bk/k" because no\r\n'
        "  identity-based policy allows the s3:GetObject action\r\n"
    )
    (req,) = parse_text(text).requests
    assert (req.principal_arn, req.deny_kind, req.policy_type, req.key) == (
        "arn:aws:iam::123456789012:user/a", "implicit", "identity", "k",
    )  # fmt: skip


@settings(max_examples=300, deadline=2000)
@given(st.text(max_size=3000))
def test_parse_never_raises_on_arbitrary_text(text: str) -> None:
    result = parse_text(text)
    json.dumps(result.to_json())


@settings(max_examples=200, deadline=2000)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=400))
def test_parse_never_raises_or_hangs_on_adversarial_fragments(parts: list[str]) -> None:
    # The deadline catches catastrophic backtracking (seconds or worse); it is not a speed test.
    result = parse_text("".join(parts))
    json.dumps(result.to_json())


@settings(max_examples=25, deadline=5000)
@given(st.sampled_from(FRAGMENTS), st.integers(min_value=2000, max_value=20000))
def test_long_repetitions_of_one_fragment_stay_bounded(fragment: str, times: int) -> None:
    parse_text((fragment * times)[:200_000])
