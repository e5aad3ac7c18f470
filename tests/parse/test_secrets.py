"""Pasted credentials are found, reported by kind and position, and never survive in what s3why keeps."""

from __future__ import annotations

import json
import subprocess
import sys

from bot.parse import parse_text

KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD" + "A" * 120


def test_access_key_and_secret_in_a_credentials_file_paste() -> None:
    text = (
        "[default]\naws_access_key_id = " + KEY_ID + "\naws_secret_access_key = " + SECRET + "\n"
        "upload failed: a.txt to s3://b/a.txt An error occurred (AccessDenied) when calling the PutObject "
        "operation: Access Denied"
    )
    result = parse_text(text)
    kinds = sorted(w.secret_type or "" for w in result.secrets)
    assert kinds == ["aws-access-key-id", "aws-secret-access-key"]
    for w in result.secrets:
        assert w.start is not None and w.end is not None
        assert text[w.start : w.end] in (KEY_ID, SECRET)
    assert KEY_ID not in result.redacted_text and SECRET not in result.redacted_text
    assert result.requests[0].bucket == "b"  # the error itself is still read


def test_session_token_and_presigned_url_parts_are_redacted() -> None:
    url = (
        "https://b.s3.amazonaws.com/k.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        f"&X-Amz-Credential={KEY_ID}%2F20240101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240101T000000Z"
        "&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Security-Token=" + TOKEN +
        "&X-Amz-Signature=" + "ab12" * 16
    )  # fmt: skip
    text = f"curl '{url}'\n<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
    result = parse_text(text)
    kinds = {w.secret_type for w in result.secrets}
    assert {"presigned-credential", "aws-session-token", "presigned-signature"} <= kinds
    for secret in (KEY_ID, TOKEN, "ab12" * 16):
        assert secret not in result.redacted_text
    assert result.requests[0].bucket == "b"
    assert result.requests[0].key == "k.txt"


def test_parse_json_never_echoes_a_secret() -> None:
    text = f"export AWS_SECRET_ACCESS_KEY={SECRET}\nAccessDenied: Access Denied\n\tstatus code: 403, request id: 1, host id: 2"
    out = subprocess.run(
        [sys.executable, "-m", "bot", "parse", "--json"], input=text, capture_output=True, text=True, check=True
    )
    assert SECRET not in out.stdout and SECRET not in out.stderr
    data = json.loads(out.stdout)
    (warning,) = [w for w in data["warnings"] if w["kind"] == "secret"]
    assert warning["secret_type"] == "aws-secret-access-key"
    assert "Rotate" in warning["message"]


def test_request_ids_and_host_ids_are_not_mistaken_for_secrets() -> None:
    text = (
        "Access Denied (Service: Amazon S3; Status Code: 403; Error Code: AccessDenied; Request ID: 1AC7FB214CD42697; "
        "S3 Extended Request ID: SXy5z7M9fETAsSSc6GaZsABusvghoixl4Dk8bjI5uJ02xxb4ZVP26WqpCkEI8Ji7cmMyuwXfh68=)"
    )
    assert parse_text(text).secrets == ()
