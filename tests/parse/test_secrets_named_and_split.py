"""Secrets under any name, touched by `=` or `/`, in base64 text, behind invisible characters or split over
lines are redacted; ordinary text is not (issue 22 §3, attack finding 6). The Kubernetes scan is linear (finding
11): counted in lines read, never in seconds."""

from __future__ import annotations

import base64
import contextlib
import json
import urllib.parse
from collections.abc import Iterator

import pytest

from bot.parse import secrets
from bot.parse.secrets import find_secrets, redact_secrets

SK = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
AKID = "AKIAIOSFODNN7EXAMPLE"
CREDS_FILE = f"[default]\naws_access_key_id = {AKID}\naws_secret_access_key = {SK}\n"


def _leaks(text: str) -> list[str]:
    """What of the key pair survives redaction, read back in the text's encodings."""
    out = redact_secrets(text)
    views = [out, urllib.parse.unquote(out), out.replace("\\\n", "").replace("\n", "").replace(" ", "")]
    for token in out.split():
        for candidate in (token, token.strip("\"',:{}")):
            for pad in ("", "=", "=="):
                for decode in (base64.b64decode, base64.urlsafe_b64decode):
                    with contextlib.suppress(ValueError):
                        views.append(decode(candidate + pad).decode("utf-8", "ignore"))
    joined = "\n".join(views)
    return [s for s in (SK, AKID, SK[:20], SK[20:]) if s in joined]


@pytest.mark.parametrize(
    "text",
    [
        f"spark-submit --conf spark.hadoop.fs.s3a.secret.key={SK} job.py",
        f"java -Dfs.s3a.secret.key={SK} -jar app.jar",
        f"S3_SECRET={SK}",
        f"s3.secret={SK}",
        f"--secret={SK}",
        f"MINIO_SECRET_KEY={SK}",
        f'{{"secretKey": "{SK}"}}',
        f"storage:\n  secretKey: {SK}\n",
        f"db_password: Zq8-{SK[:12]}",
        f"client.credentials={SK}",
        f"api_token: {SK[::2]}9",
        f"{AKID}/{SK}",
        f"{AKID}{SK}",
        f"https://x.example/?k={urllib.parse.quote(SK, safe='')}",
        f"https://x.example/?anything={urllib.parse.quote(SK, safe='')}&b=1",
        base64.b64encode(CREDS_FILE.encode()).decode(),
        base64.b64encode(json.dumps({"AccessKeyId": AKID, "SecretAccessKey": SK}, indent=2).encode()).decode(),
        base64.urlsafe_b64encode(f"key={SK}??>>".encode()).decode(),
        base64.urlsafe_b64encode(CREDS_FILE.encode()).decode().rstrip("="),
        f"AWS_SECRET_ACCESS_KEY={SK[:20]}\\\n{SK[20:]}",
        f"aws_secret_access_key: >-\n  {SK[:20]}\n  {SK[20:]}",
        f"key id\n{AKID[:10]}\n{AKID[10:]}\n{SK[:20]}\n{SK[20:]}",
        f"secret_key={SK.replace('/', '&#47')}",
        f"{SK.replace('/', '&#x2F')}",
    ],
    ids=[
        "spark-conf",
        "java-D",
        "env-S3_SECRET",
        "dotted",
        "double-dash",
        "minio",
        "json-camel",
        "yaml",
        "password",
        "credentials",
        "token",
        "akid-slash-sk",
        "akid-sk",
        "pct-k",
        "pct-any",
        "b64-creds-file",
        "b64-pretty-json",
        "b64-urlsafe",
        "b64-urlsafe-unpadded",
        "line-continuation",
        "yaml-folded",
        "plain-wrap",
        "entity-no-semi",
        "hex-entity-no-semi",
    ],
)
def test_a_key_in_any_of_these_forms_is_redacted(text: str) -> None:
    assert _leaks(text) == []


# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt), bidi controls, tags, and no-break spaces
INVISIBLE = ["\u00ad", "\u034f", "\u061c", "\u115f", "\u17b4", "\u180b", "\u180e", "\u200b", "\u200e", "\u202a",
             "\u202e", "\u2066", "\u2069", "\u2060", "\u3164", "\ufe0f", "\ufeff", "\uffa0", "\U0001d173",
             "\U000e0001", "\U000e0020", "\U000e0100", "\u00a0", "\u202f"]  # fmt: skip


@pytest.mark.parametrize("char", INVISIBLE, ids=[f"U+{ord(c):04X}" for c in INVISIBLE])
def test_a_key_behind_invisible_characters_is_redacted(char: str) -> None:
    text = f"id {char.join(AKID)} and {char.join(SK)} end"
    shown = redact_secrets(text)
    assert shown.count("[REDACTED:") == 2, shown
    assert shown.startswith("id ") and shown.endswith(" end")


@pytest.mark.parametrize(
    "text",
    [
        "Key: reports/2024/Q1/summary-final-version-Abc123.csv",
        '{"Bucket": "team-data", "Key": "photos/IMG_0001.jpg", "KeyCount": 12, "MaxKeys": 1000}',
        "aws s3 cp s3://b/k --sse-kms-key-id arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "x-amz-server-side-encryption-aws-kms-key-id: arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd",
        "KMSMasterKeyID=arn:aws:kms:us-east-1:111122223333:alias/data",
        "NextContinuationToken: 1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM",
        "error creating Secrets Manager Secret: AccessDeniedException: User is not authorized",
        "secret: required\npassword: ${DB_PASSWORD}\ntoken: <your-token>\napi_key: xxxxxxxx",
        "(RequestToken: 0b0a339e-fb38-550c-b2ae-2d9d2605a2b9, HandlerErrorCode: AccessDenied)",
        "credentialsProvider: com.amazonaws.auth.WebIdentityTokenCredentialsProvider",
        "Access Denied when calling\nthe PutObject operation\nRequestId 4442587FB7D0A2F9\n",
        "PublicKey: ssh-ed25519",
        "object key\nreports/2024/a.csv\nbucket\nteam-data",
    ],
)
def test_ordinary_text_is_not_redacted(text: str) -> None:
    assert find_secrets(text) == [], redact_secrets(text)


def test_a_credential_scope_keeps_its_date_and_region() -> None:
    shown = redact_secrets(f"Authorization: AWS4-HMAC-SHA256 Credential={AKID}/20240129/ap-southeast-2/s3/aws4_request")
    assert AKID not in shown and "/20240129/ap-southeast-2/s3/aws4_request" in shown


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    read = [0]
    lines = secrets._lines

    def counted(text: str, pos: int) -> Iterator[object]:
        for line in lines(text, pos):
            read[0] += 1
            yield line

    monkeypatch.setattr(secrets, "_lines", counted)
    return read


@pytest.mark.parametrize(
    "body",
    [
        "data:\n  k: dmFsdWU=\n" * 3000,  # many data blocks, one after another
        "".join(" " * i + "data:\n" for i in range(200)) * 5,  # data blocks nested in data blocks
        "data:\n" + "  k: v\n" * 6000,  # one long block
    ],
    ids=["many-blocks", "nested-blocks", "one-long-block"],
)
def test_the_kubernetes_secret_scan_reads_each_line_about_once(monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    read = _counting(monkeypatch)
    text = "apiVersion: v1\nkind: Secret\n" + body
    find_secrets(text)
    assert 0 < read[0] <= 2 * text.count("\n")


def test_every_value_of_many_data_blocks_is_still_redacted() -> None:
    text = "kind: Secret\n" + "".join(f"data:\n  k{i}: dmFsdWU{i}\n" for i in range(500))
    assert redact_secrets(text).count("[REDACTED:kubernetes-secret]") == 500
