"""Pasted credentials are found, reported by kind and position, and never survive in what s3why keeps."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

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


# --- every kind detect-secrets and s3why's own rules know, and what must never be taken for a secret -----------
ERROR = "An error occurred (AccessDenied) when calling the GetObject operation: Access Denied"
PEM = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----"
JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
KINDS = [
    ("slack-token", "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "token {}"),
    ("slack-token", "xoxp-1234567890-1234567890-1234567890123-0123456789abcdef0123456789abcdef", "{}"),
    ("slack-token", "xapp-1-A0123ABCD-1234567890123-0123456789abcdef0123456789abcdef", "SLACK_APP_TOKEN={}"),
    ("slack-webhook", "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX", "hook: {}"),
    ("github-token", "ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123", "GITHUB_TOKEN={}"),
    (
        "github-token",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456",
        "{}",
    ),
    ("private-key", PEM, "key:\n{}\nafter"),
    ("private-key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1234567890abcdef\nMIIEpAIBAAKCAQEA", "cut: {}"),
    ("jwt", JWT, "Authorization: {}"),
    ("basic-auth-credentials", "pa55w0rd-Xy", "https://admin:{}@proxy.example.com/"),
    (
        "presigned-signature",
        "vjbyPxybdZaNmGa%2ByT272YEAiv4%3D",
        "https://b.s3.amazonaws.com/k?AWSAccessKeyId=x&amp;Expires=1&amp;Signature={}",
    ),
    ("presigned-signature", "vjbyPxybdZaNmGa%2ByT272YEAiv4%3D", "https://b.s3.amazonaws.com/k?Expires=1&Signature={}"),
    ("presigned-signature", "ab12" * 16, "https://b.s3.amazonaws.com/k?X-Amz-Date=1&amp;X-Amz-Signature={}"),
    ("aws-session-token", "IQoJb3JpZ2luX2VjEJr%2F%2F%2Fwinning" + "A" * 40, "?X-Amz-Security-Token={}&X-Amz-Date=1"),
    ("aws-secret-access-key", SECRET.replace("/", "\\/"), '{{"SecretAccessKey": "{}"}}'),
    ("aws-secret-access-key", SECRET.replace("/", "\\/"), '{{"creds": "{}"}}'),
    ("aws-secret-access-key", SECRET, "aws_secret_access_key = {}"),
    (
        "request-signature",
        "fe" * 32,
        "Authorization: AWS4-HMAC-SHA256 Credential=x/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature={}",
    ),
    ("bearer-token", "abcdefghijklmnop1234", "Authorization: Bearer {}"),
    ("password", "hunter2-but-longer", "db_password = {}"),
    ("high-entropy-string", "Zx8Qp2Lm9Vt4Rw7Ks1Hb6Nc3Jd5Gf0Ya", 'config = "{}"'),
]


@pytest.mark.parametrize(("kind", "secret", "template"), KINDS)
def test_each_kind_of_credential_is_redacted_and_named(kind: str, secret: str, template: str) -> None:
    text = template.format(secret) + "\n" + ERROR
    result = parse_text(text)
    assert secret not in result.redacted_text
    assert kind in {w.secret_type for w in result.secrets}
    assert all(secret not in w.message for w in result.secrets)
    assert result.requests and result.requests[0].operation == "GetObject"  # the error is still read
    assert parse_text(result.redacted_text).secrets == ()  # redaction is idempotent: placeholders are not secrets


NOT_SECRETS = [
    '{"RequestId": "4442587FB7D0A2F9", "HostId": "vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo="}',
    '"x-amz-id-2": "Yd6PSJxJFQeTYJ/3dDO7miqJfVMXXW0S2Hijo3WFs4bz6oe2QCVXasxXLZdMfASd/yZnR2p5Nh0="',
    'ETag: "d41d8cd98f00b204e9800998ecf8427e"',
    '"arn:aws:iam::123456789012:role/service-role/MyRole-abcdefghijklmnopqrstuvwxyz012345"',
    '"Bucket": "my-bucket-name-2024", "Key": "data/2024/01/02/part-00000-aBcD1234.snappy.parquet"',
    "s3://team-data/reports/2024/Q1/summary-final-v2.csv",
    "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "Request ID: 1AC7FB214CD42697, Extended Request ID: SXy5z7M9fETAsSSc6GaZsABusvghoixl4Dk8bjI5uJ02xxb4ZVP26WqpCkEI8Ji7cmMyuwXfh68=",
    "<RequestId>4442587FB7D0A2F9</RequestId><HostId>vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo=</HostId>",
    "Encoded authorization failure message: 9Gm1yQ0w2i-Ao4tn1Wz3",
    "vpce-1a2b3c4d5e6f7a8b9 from 203.0.113.10",
]


@pytest.mark.parametrize("text", NOT_SECRETS)
def test_identifiers_aws_prints_are_not_taken_for_secrets(text: str) -> None:
    assert parse_text(text + "\n" + ERROR).secrets == ()


# Fragments aimed at the secret rules' patterns (detect-secrets' own npm and JWT patterns took ~45x and ~15x an
# ordinary paste on the first two; s3why's linear rules replace them). Cost is compared with an ordinary paste of
# the same length, CPU time, best of several runs, never asserted against a clock.
SECRET_FRAGMENTS = [
    "://",
    "eyJ",
    "://a:b",
    "//x/:_authToken=",
    "-----BEGIN RSA PRIVATE KEY-----\n",
    '"A',
    "xoxb-1-",
    "\\/",
    "password=",
    "&amp;Signature=a",
    "aws_secret_access_key=",
    "ghp_",
]


def _cpu(text: str) -> float:
    from bot.parse.secrets import find_secrets

    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        find_secrets(text)
        best = min(best, time.process_time() - start)
    return max(best, 1e-6)


def test_no_fragment_makes_the_secret_scan_slow() -> None:
    from benchmarks.parse_hostile import hostile_text, ordinary_paste

    ordinary = ordinary_paste()
    _cpu(ordinary)  # warm up: detect-secrets' plugins load on first use
    slow = {}
    for fragment in SECRET_FRAGMENTS:
        ratio = min(_cpu(hostile_text(fragment)) / _cpu(ordinary) for _ in range(3))
        if ratio > 10:
            slow[fragment] = round(ratio, 1)
    assert not slow, f"fragments costing more than 10x an ordinary paste in the secret scan: {slow}"


@pytest.mark.parametrize(
    ("secret", "template"),
    [
        ("bWFkZXVwc2lnbmF0dXJlMTIzNDU2Nzg=", "Authorization: AWS AKIAZZZZEXAMPLE7Q2W9:{s}\nDate: x"),
        ("AQoDYXdzEJr1K2xvbmdlcnNlc3Npb250b2tlbnZhbHVlMTIzNDU2Nzg5MA", "token {s} expired"),
        ("a" * 24 + "0123456789abcdef" * 2 + "b" * 8, "https://x/?u=https%3A%2F%2Fb%2Fk%3FX%2DAmz%2DSignature%3D{s}"),
        ("0123456789abcdef" * 4, "https://b.s3.amazonaws.com/k?x-AMZ-sIgNaTuRe={s}&y=1"),
        ("0123456789abcdef" * 4, "https://b.s3.amazonaws.com/k?X%2DAmz%2DSignature={s}&y=1"),
    ],
)
def test_sigv2_header_old_sts_tokens_and_encoded_signatures_are_redacted(secret: str, template: str) -> None:
    result = parse_text(template.format(s=secret))
    assert secret not in result.redacted_text
    assert secret[:12] not in result.redacted_text
    assert "REDACTED" in result.redacted_text


@pytest.mark.parametrize(
    "text",
    [
        "export AWS_SECRET_ACCESS_KEY=" + SECRET + "x",  # one character too many for a bare key: still a secret
        "aws_secret_access_key = " + SECRET + "Z",
        "SecretAccessKey: " + SECRET[:22] + "\n  " + SECRET[22:],  # wrapped onto an indented line of its own
    ],
)
def test_a_named_secret_key_of_any_length_or_wrapped_over_two_lines_is_redacted(text: str) -> None:
    result = parse_text(text + "\n" + ERROR)
    assert SECRET[:13] not in result.redacted_text
    assert SECRET[-13:] not in result.redacted_text
    assert "aws-secret-access-key" in {w.secret_type for w in result.secrets}
