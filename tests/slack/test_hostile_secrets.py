"""Secrets pasted into Slack never leave the paste: not in what s3why posts (the /s3why echo, the thread), not in
Redis (runs, proposals, the audit stream), with one rotate warning per kind. Through the real Bolt app with signed
requests, the fake Web API and a real Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from bot.approve.store import PatchStore
from bot.demo.scenarios import s_identity_missing_put
from tests.account.conftest import client
from tests.approve.support import REQUESTER, config
from tests.slack.conftest import SECRET, Harness, start_app
from tests.slack.signed import event, message, post_signed, slash

FORM, JSON = "application/x-www-form-urlencoded", "application/json"
SESSION = "arn:aws:sts::123456789012:assumed-role/app/run-1"
ERROR = (
    "upload failed: ./a.txt to s3://team-data/out/a.txt An error occurred (AccessDenied) when calling the PutObject "
    f'operation: User: {SESSION} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::team-data/out/a.txt" '
    "because no identity-based policy allows the s3:PutObject action"
)
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
PEM_BODY = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0"
SIGV2 = "vjbyPxybdZaNmGa%2ByT272YEAiv4%3D"
SECRETS = {
    "slack-token": "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "slack-app-token": "xapp-1-A0123ABCD-1234567890123-0123456789abcdef0123456789abcdef",
    "user-token": "xoxp-1234567890-1234567890-1234567890123-0123456789abcdef0123456789abcdef",
    "github": "ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123",
    "pem": PEM_BODY,
    "sigv2": SIGV2,
    "json-escaped-key": SECRET_KEY.replace("/", "\\/"),
    "key": SECRET_KEY,
}
# As Slack delivers it: `&` as `&amp;`.
PASTE = (
    f"{ERROR}\n"
    f"SLACK_BOT_TOKEN={SECRETS['slack-token']} SLACK_APP_TOKEN={SECRETS['slack-app-token']}\n"
    f"user token {SECRETS['user-token']} and GITHUB_TOKEN={SECRETS['github']}\n"
    f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----\n"
    f"curl https://team-data.s3.amazonaws.com/out/a.txt?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&amp;Expires=1700000000&amp;Signature={SIGV2}\n"
    '{"AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "SecretAccessKey": "' + SECRETS["json-escaped-key"] + '"}\n'
    f"second copy of the bot token: {SECRETS['slack-token']}"
)


def _assert_nowhere(text: str, where: str) -> None:
    for name, secret in SECRETS.items():
        assert secret not in text, f"{name} found in {where}"
    assert "AKIAIOSFODNN7EXAMPLE" not in text, where


def _redis_dump(client: redis.Redis, prefix: str) -> str:
    out = []
    for key in client.scan_iter(match=prefix + "*"):
        kind = client.type(key)
        if kind in (b"string", "string"):
            out.append(str(client.get(key)))
        elif kind in (b"stream", "stream"):
            out.append(str(client.xrange(key)))
        elif kind in (b"hash", "hash"):
            out.append(str(client.hgetall(key)))
        elif kind in (b"list", "list"):
            out.append(str(client.lrange(key, 0, -1)))
        elif kind in (b"set", "set"):
            out.append(str(client.smembers(key)))
        elif kind in (b"zset", "zset"):
            out.append(str(client.zrange(key, 0, -1)))
    return "\n".join(out)


@pytest.fixture
def approving(harness: Harness, redis_client: redis.Redis, redis_prefix: str) -> Iterator[tuple[Harness, str]]:
    patches = PatchStore(redis_client, prefix=redis_prefix)
    endpoint, httpd = start_app(harness.slack_url, harness.store, harness.gate, config(), patches)
    yield harness, endpoint
    httpd.shutdown()


def test_secrets_in_a_pasted_message_are_never_posted_or_stored(
    approving: tuple[Harness, str], redis_client: redis.Redis, redis_prefix: str
) -> None:
    h, endpoint = approving
    client("iam").create_role(RoleName="s3why-write", AssumeRolePolicyDocument="{}")
    s_identity_missing_put()
    assert post_signed(endpoint, SECRET, event(message(PASTE, user=REQUESTER), event_id="EvSecrets"), JSON)[0] == 200
    answer = h.fake.wait_for("chat.update")[-1].body
    _assert_nowhere(h.fake.everything_posted(), "the Slack posts")
    stored = _redis_dump(redis_client, redis_prefix)
    assert "run:" in " ".join(k.decode() for k in redis_client.scan_iter(match=redis_prefix + "*"))
    assert "[REDACTED:" in stored  # the run was kept, redacted
    _assert_nowhere(stored, "Redis")
    assert any(b.get("type") == "actions" and "s3why_fix" in str(b.get("block_id")) for b in answer["blocks"])
    # One rotate warning per kind, in the answer; the error itself was still diagnosed.
    warnings = [
        b["text"]["text"] for b in answer["blocks"] if "A credential was pasted" in b.get("text", {}).get("text", "")
    ]
    kinds = [w.split("(", 1)[1].split(")", 1)[0] for w in warnings]
    assert len(kinds) == len(set(kinds))
    assert {"slack-token", "github-token", "private-key", "presigned-signature", "aws-secret-access-key"} <= set(kinds)
    assert "identity" in answer["text"]


def test_the_slash_echo_never_repeats_a_secret(harness: Harness, redis_client: redis.Redis, redis_prefix: str) -> None:
    s_identity_missing_put()
    status, ack = post_signed(harness.endpoint, SECRET, slash(PASTE, f"{harness.slack_url}/response/1"), FORM)
    assert status == 200
    echo = harness.fake.wait_for("chat.postMessage")[0].body["text"]
    assert "asked s3why" in echo and "REDACTED" not in echo and "PutObject" not in echo  # the paste is never echoed
    harness.fake.wait_for("chat.update")
    _assert_nowhere(ack + harness.fake.everything_posted(), "the Slack posts")
    _assert_nowhere(_redis_dump(redis_client, redis_prefix), "Redis")


SIGV2_HEADER_SIG = "bWFkZXVwc2lnbmF0dXJlMTIzNDU2Nzg="
OLD_STS_TOKEN = "AQoDYXdzEJr1K2xvbmdlcnNlc3Npb250b2tlbnZhbHVlMTIzNDU2Nzg5MA"
ENCODED_SIG = "0123456789abcdef" * 4
MORE = {"sigv2-header": SIGV2_HEADER_SIG, "old-sts-token": OLD_STS_TOKEN, "encoded-signature": ENCODED_SIG}


def test_sigv2_headers_old_sts_tokens_and_encoded_signatures_never_leave_the_paste(
    harness: Harness, redis_client: redis.Redis, redis_prefix: str
) -> None:
    s_identity_missing_put()
    paste = (
        f"{ERROR}\nAuthorization: AWS AKIAZZZZEXAMPLE7Q2W9:{SIGV2_HEADER_SIG}\n"
        f"x-amz-security-token was {OLD_STS_TOKEN}\n"
        f"https://x.example/?next=https%3A%2F%2Fteam-data.s3.amazonaws.com%2Fout%2Fa.txt%3FX%2DAmz%2DSignature%3D{ENCODED_SIG}"
    )
    status, ack = post_signed(harness.endpoint, SECRET, slash(paste, f"{harness.slack_url}/response/2"), FORM)
    assert status == 200
    echo = harness.fake.wait_for("chat.postMessage")[0].body["text"]
    assert "asked s3why" in echo and "[REDACTED:" not in echo
    answer = harness.fake.wait_for("chat.update")[-1].body
    assert "identity" in answer["text"]  # still diagnosed
    posted, stored = ack + harness.fake.everything_posted(), _redis_dump(redis_client, redis_prefix)
    assert "[REDACTED:" in stored
    for name, secret in MORE.items():
        for where, text in (("the echo", echo), ("the Slack posts", posted), ("Redis", stored)):
            assert secret not in text and secret[:16] not in text, f"{name} found in {where}"


_ZWSP, _FULL_SOLIDUS = "\u200b", "\uff0f"
K8S_KEY_B64 = "d0phbHJYVXRuRkVNSS9LN01ERU5HL2JQeFJmaUNZRVhBTVBMRUtFWQ=="  # base64 of SECRET_KEY
OBFUSCATED = {
    "full-width solidus": f"aws_secret_access_key = {SECRET_KEY.replace('/', _FULL_SOLIDUS)}",
    "zero-width spaces in a key id": f"key AKIA{_ZWSP}IOSFODNN7{_ZWSP}EXAMPLE",
    # `&#x2F;` typed in Slack arrives as `&amp;#x2F;`, `&#43;` as `&amp;#43;`
    "html entities": f"aws_secret_access_key={SECRET_KEY.replace('/', '&amp;#x2F;', 1).replace('/', '&amp;#43;')}",
    "kubernetes secret": f"apiVersion: v1\nkind: Secret\ndata:\n  AWS_SECRET_ACCESS_KEY: {K8S_KEY_B64}",
    "percent-encoded": "https://x.example/?u=https%3A%2F%2Fb.s3.amazonaws.com%2Fk%3FX-Amz-Security-Token%3D"
    + OLD_STS_TOKEN,
}


def test_obfuscated_and_encoded_secrets_never_leave_the_paste(
    harness: Harness, redis_client: redis.Redis, redis_prefix: str
) -> None:
    """A full-width `／`, zero-width spaces, HTML entities, base64 in a Secret manifest and percent-encoding hide
    nothing: detection runs on a normalised copy, the original span is what is redacted."""
    s_identity_missing_put()
    paste = ERROR + "\n" + "\n".join(OBFUSCATED.values())
    assert post_signed(harness.endpoint, SECRET, event(message(paste), event_id="EvObfuscated"), JSON)[0] == 200
    answer = harness.fake.wait_for("chat.update")[-1].body
    assert "identity" in answer["text"]  # still diagnosed
    posted, stored = harness.fake.everything_posted(), _redis_dump(redis_client, redis_prefix)
    assert "[REDACTED:" in stored
    for part in ("K7MDENG", "bPxRfiCYEXAMPLEKEY", "IOSFODNN7", K8S_KEY_B64, OLD_STS_TOKEN[12:40]):
        for where, text in (("the Slack posts", posted), ("Redis", stored)):
            assert part not in text, f"{part} found in {where}"
