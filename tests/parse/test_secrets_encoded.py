"""Secrets in an encoding are redacted like plain ones (issue 22 §3): JSON string escapes (`\\u002B`, `\\/`),
percent-encoded query values, base64 (a Kubernetes Secret manifest), and every value of a Secret's data."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest

from bot.parse import parse_text
from bot.parse.secrets import find_secrets, redact_secrets

KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDexampletokenvalue1234567890abcdefABCDEF"
ERROR = (
    "An error occurred (AccessDenied) when calling the GetObject operation: User: "
    "arn:aws:iam::111122223333:user/etl is not authorized to perform: s3:GetObject on resource: "
    '"arn:aws:s3:::team-data/a.csv" because no identity-based policy allows the s3:GetObject action'
)


def _k8s_secret() -> str:
    def b64(v: str) -> str:
        return base64.b64encode(v.encode()).decode()

    return (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: etl-aws\ntype: Opaque\ndata:\n"
        f"  AWS_ACCESS_KEY_ID: {b64('AKIAIOSFODNN7EXAMPLE')}\n  AWS_SECRET_ACCESS_KEY: {b64(KEY)}\n"
        f"  DB_PASSWORD: {b64('correct horse')}\nstringData:\n  note: plain-text-value\n"
    )


@pytest.mark.parametrize(
    ("name", "text", "hidden"),
    [
        ("json \\/", json.dumps({"SecretAccessKey": KEY}).replace("/", "\\/"), KEY.split("/")[1]),
        ("json \\u002B", '{"SecretAccessKey": "' + KEY.replace("/", "\\u002B") + '"}', "K7MDENG"),
        ("json \\u002F", '{"SessionToken": "' + TOKEN.replace("/", "\\u002F") + '"}', "wEaCXVzLWVhc3Qt"),
        (
            "percent-encoded query",
            "https://app.example/?next=" + quote(f"https://b.s3.amazonaws.com/k?X-Amz-Security-Token={TOKEN}", safe=""),
            "wEaCXVzLWVhc3Qt",
        ),
        ("base64 of a credentials file", base64.b64encode(f"aws_secret_access_key = {KEY}".encode()).decode(), ""),
    ],
)
def test_an_encoded_secret_is_redacted(name: str, text: str, hidden: str) -> None:
    shown = redact_secrets(f"{ERROR}\n{text}")
    assert "[REDACTED:" in shown, name
    if hidden:
        assert hidden not in shown, name
    assert ERROR in shown  # the error itself is untouched


_ZWSP = "\u200b"
_FULL_SOLIDUS, _FULL_PLUS, _SOFT_HYPHEN, _ZWJ = "\uff0f", "\uff0b", "\u00ad", "\u200d"


@pytest.mark.parametrize(
    ("name", "text", "hidden"),
    [
        ("full-width solidus", f"aws_secret_access_key = {KEY.replace('/', _FULL_SOLIDUS)}", "K7MDENG"),
        ("full-width letters", "key id \uff21\uff2b\uff29\uff21IOSFODNN7EXAMPLE", "IOSFODNN7EXAMPLE"),
        ("zero-width space inside an access key", f"AKIA{_ZWSP}IOSFODNN7{_ZWSP}EXAMPLE", "IOSFODNN7"),
        ("zero-width joiner inside a secret key", f"SecretAccessKey: {KEY[:10]}{_ZWJ}{KEY[10:]}", "K7MDENG"),
        ("html hex entity for /", f"aws_secret_access_key={KEY.replace('/', '&#x2F;')}", "K7MDENG"),
        ("html decimal entity for +", f'"SecretAccessKey": "{KEY.replace("/", "&#43;")}"', "K7MDENG"),
        ("html entity as Slack delivers its &", f"aws_secret_access_key={KEY.replace('/', '&amp;#x2F;')}", "K7MDENG"),
        ("named html entity", f"aws_secret_access_key={KEY.replace('/', '&sol;')}", "K7MDENG"),
        ("session token with a soft hyphen", f"{TOKEN[:30]}{_SOFT_HYPHEN}{TOKEN[30:]}", "wEaCXVzLWVhc3Qt"),
        ("bare secret key, full-width +", KEY.replace("/", _FULL_PLUS), "K7MDENG"),
    ],
)
def test_an_obfuscated_secret_is_redacted_in_its_original_characters(name: str, text: str, hidden: str) -> None:
    """Detection runs on a normalised copy (NFKC, invisible characters dropped, HTML references decoded); what is
    redacted is the original span, obfuscation included."""
    shown = redact_secrets(f"{ERROR}\n{text}")
    assert "[REDACTED:" in shown, name
    assert hidden not in shown, name
    assert "\uff0f" not in shown and _ZWSP not in shown and "&#x2F;" not in shown, name
    assert ERROR in shown


def test_ordinary_unicode_and_entities_are_left_alone() -> None:
    for text in (
        f"{ERROR} — caf\u00e9 \uff08\u5168\u89d2\uff09 &amp; &lt;b&gt; &#x2F;tmp",
        "Zugriff verweigert f\u00fcr s3://team-data/\u00e9t\u00e9/\u200bbericht.csv",
    ):
        assert find_secrets(text) == [], text


def test_every_value_of_a_kubernetes_secret_is_redacted() -> None:
    manifest = _k8s_secret()
    shown = redact_secrets(f"{ERROR}\n{manifest}")
    for line in manifest.splitlines():
        key, _, value = line.strip().partition(": ")
        if key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "DB_PASSWORD", "note"):
            assert value not in shown, key
    assert "name: etl-aws" in shown and "kind: Secret" in shown  # the manifest's shape stays readable


def test_the_parse_keeps_only_the_redacted_text_and_warns() -> None:
    parsed = parse_text(f"{ERROR}\n{_k8s_secret()}")
    assert base64.b64encode(KEY.encode()).decode() not in parsed.redacted_text
    assert parsed.secrets and parsed.requests[0].bucket == "team-data"


def test_ordinary_encoded_text_is_left_alone() -> None:
    for text in (ERROR, "https://x.example/a%20b?c=%7Ed", '{"path": "a\\/b", "n": "\\u00e9t\\u00e9"}', "dGVhbS1kYXRh"):
        assert find_secrets(text) == [], text
